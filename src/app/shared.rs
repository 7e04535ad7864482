//! Long-lived state shared by the parts of the running service: the config in
//! force (written by the reloader, read by the review UI and `/metrics`) and
//! the scheduler's heartbeat (written by the loop, read by `/healthz`).
//!
//! Plain shared values, no I/O: they live here, in the composition root, so
//! that the web layer and the daemon both depend on them and not on each other.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::model::Source;

/// The config in force: the one shared source list (a `watch` channel that
/// the reloader writes and the scheduler, the editorial queue, the publisher
/// and the review UI read) and the last refused edit. Cheap to clone; clones
/// share everything.
#[derive(Debug, Clone)]
pub struct ConfigStatus {
    sources: Arc<watch::Sender<Vec<Source>>>,
    inner: Arc<RwLock<StatusInner>>,
}

#[derive(Debug, Default)]
struct StatusInner {
    /// `file:line:col: message` of the last refused edit; empty when the files on disk are in force.
    errors: Vec<String>,
    /// When the refused edit was seen.
    rejected_at: Option<DateTime<Utc>>,
}

impl Default for ConfigStatus {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl ConfigStatus {
    /// Status for a config that was valid at start.
    pub fn new(sources: Vec<Source>) -> Self {
        Self { sources: Arc::new(watch::channel(sources).0), inner: Arc::default() }
    }

    /// The source list in force (disabled sources included).
    pub fn sources(&self) -> Arc<Vec<Source>> {
        Arc::new(self.sources.borrow().clone())
    }

    /// A receiver of the source list: it holds the list in force now and
    /// sees every accepted reload.
    pub fn subscribe(&self) -> watch::Receiver<Vec<Source>> {
        self.sources.subscribe()
    }

    /// The errors of the last refused edit (empty when none is pending).
    pub fn errors(&self) -> Vec<String> {
        self.read().errors.clone()
    }

    /// When the pending refused edit was seen.
    pub fn rejected_at(&self) -> Option<DateTime<Utc>> {
        self.read().rejected_at
    }

    /// A reloaded, valid source list goes into force for every reader.
    pub(crate) fn accepted(&self, sources: Vec<Source>) {
        // `send_replace` stores the list even while nobody subscribes.
        self.sources.send_replace(sources);
        let mut inner = self.write();
        inner.errors.clear();
        inner.rejected_at = None;
    }

    pub(crate) fn rejected(&self, errors: Vec<String>, now: DateTime<Utc>) {
        let mut inner = self.write();
        inner.errors = errors;
        inner.rejected_at = Some(now);
    }

    // A panic while holding the lock leaves plain data behind, still
    // consistent (every write replaces whole fields): use it.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, StatusInner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, StatusInner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Longest the loop sleeps without reading its clock (see `daemon::scheduler::run`).
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// When the scheduler loop last woke, shared with the health route: a cheap
/// atomic, since the loop writes it on every wake and nothing else waits on it.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    /// Records a beat at `now`.
    pub fn beat(&self, now: DateTime<Utc>) {
        self.0.store(now.timestamp(), Ordering::Relaxed);
    }

    /// When the loop last beat; `None` before the first beat.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0),
        }
    }

    /// A wall clock for the scheduler loop that beats on every reading.
    pub fn clock(&self) -> impl Fn() -> DateTime<Utc> + use<> {
        let heartbeat = self.clone();
        move || {
            let now = Utc::now();
            heartbeat.beat(now);
            now
        }
    }
}
