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

use crate::model::Source;

/// The config in force and the last refused edit, shared by the reloader
/// (writes) and the review UI and `/metrics` (read). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ConfigStatus {
    inner: Arc<RwLock<StatusInner>>,
}

#[derive(Debug, Default)]
struct StatusInner {
    /// The source list in force (disabled ones included, for the sources page).
    sources: Arc<Vec<Source>>,
    /// `file:line:col: message` of the last refused edit; empty when the files on disk are in force.
    errors: Vec<String>,
    /// When the refused edit was seen.
    rejected_at: Option<DateTime<Utc>>,
}

impl ConfigStatus {
    /// Status for a config that was valid at start.
    pub fn new(sources: Vec<Source>) -> Self {
        let inner = StatusInner { sources: Arc::new(sources), ..StatusInner::default() };
        Self { inner: Arc::new(RwLock::new(inner)) }
    }

    /// The source list in force.
    pub fn sources(&self) -> Arc<Vec<Source>> {
        Arc::clone(&self.read().sources)
    }

    /// The errors of the last refused edit (empty when none is pending).
    pub fn errors(&self) -> Vec<String> {
        self.read().errors.clone()
    }

    /// When the pending refused edit was seen.
    pub fn rejected_at(&self) -> Option<DateTime<Utc>> {
        self.read().rejected_at
    }

    pub(crate) fn accepted(&self, sources: Vec<Source>) {
        let mut inner = self.write();
        inner.sources = Arc::new(sources);
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
