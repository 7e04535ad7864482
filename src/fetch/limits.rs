//! Politeness limits: one global semaphore and one per host, shared by every
//! clone of the `Fetcher` and by both feed polls and article fetches; and,
//! when several processes fetch for one deployment (issue 17), a
//! [`HostGate`] that keeps the per-host limit and `Retry-After` across all
//! of them.
//!
//! Lock order, to rule out deadlock: a fetch takes its host permit first,
//! then its shared host slot, then the global one, and releases all before
//! waiting on another host (a redirect). So nobody ever waits while holding
//! a global permit, and a global-permit holder is always making progress.
//! Waiting for a busy host therefore never ties up a global slot that other
//! hosts could use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Entries whose semaphore is gone are swept once the map grows past this.
const SWEEP_AT: usize = 64;

/// The first and the longest pause before asking a busy shared host again.
/// Short at first: a slot is usually freed within one fetch.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// A slot of a host's shared limit, as the gate hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub slot: i32,
    pub token: i64,
}

/// What the gate says to a fetch that asks for a host slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateAnswer {
    Taken(Ticket),
    /// All the host's slots are in use, by this process or another.
    Busy,
    /// The host asked for a pause (`Retry-After`) that lasts until then.
    Held(DateTime<Utc>),
}

/// Why the gate could not answer (its store is unreachable).
pub type GateError = Box<dyn std::error::Error + Send + Sync>;

/// Per-host politeness shared between processes. Its methods block (they
/// ask a database); the fetcher calls them off the async threads. `host` is
/// `host:port` as [`host_key`] makes it.
pub trait HostGate: Send + Sync {
    /// One of `limit` slots for `host`, freed by [`HostGate::release`] or
    /// after `expires_in` (the holder died).
    fn take(&self, host: &str, limit: usize, expires_in: Duration) -> Result<GateAnswer, GateError>;
    fn release(&self, host: &str, ticket: Ticket) -> Result<(), GateError>;
    /// Nobody fetches from `host` before `until`.
    fn hold(&self, host: &str, until: DateTime<Utc>) -> Result<(), GateError>;
}

/// The permits of one request; dropping it frees the slots.
pub(super) struct Permits {
    _shared: Option<SharedSlot>,
    _host: Option<OwnedSemaphorePermit>,
    _global: OwnedSemaphorePermit,
}

/// A host slot taken from the gate, handed back when dropped.
struct SharedSlot {
    gate: Arc<dyn HostGate>,
    host: String,
    ticket: Ticket,
}

impl Drop for SharedSlot {
    fn drop(&mut self) {
        let gate = Arc::clone(&self.gate);
        let host = std::mem::take(&mut self.host);
        let ticket = self.ticket;
        let release = move || {
            if let Err(error) = gate.release(&host, ticket) {
                // The slot expires on its own; until then the host has one slot fewer.
                tracing::warn!(%host, %error, "handing back a shared host slot failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => drop(handle.spawn_blocking(release)),
            Err(_) => release(),
        }
    }
}

/// The gate and how long its slots live.
struct Shared {
    gate: Arc<dyn HostGate>,
    expires_in: Duration,
}

pub(super) struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    /// Weak, so a host's semaphore lives only while someone holds or awaits
    /// it: thousands of article hosts do not pile up in memory.
    hosts: Mutex<HashMap<String, Weak<Semaphore>>>,
    shared: Option<Shared>,
}

impl Limits {
    /// A limit of 0 would block forever; it is read as 1.
    pub(super) fn new(global: usize, per_host: usize) -> Self {
        Self {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Keeps the per-host limit and holds through `gate` as well, with
    /// slots that free themselves after `expires_in` (longer than a fetch
    /// may take). The local per-host semaphore stays: it keeps this
    /// process from asking the gate more often than it could use a slot.
    pub(super) fn with_gate(mut self, gate: Arc<dyn HostGate>, expires_in: Duration) -> Self {
        self.shared = Some(Shared { gate, expires_in });
        self
    }

    /// Waits for a slot for `url`'s host (if it has one), then a global
    /// slot. `Err(until)`: the host is held until then, and nothing was taken.
    pub(super) async fn acquire(&self, url: &Url) -> Result<Permits, DateTime<Utc>> {
        let Some(key) = host_key(url) else {
            let global = acquire(Arc::clone(&self.global)).await;
            return Ok(Permits { _shared: None, _host: None, _global: global });
        };
        let host = acquire(self.host_semaphore(key.clone())).await;
        let shared = match &self.shared {
            Some(shared) => take_shared(shared, key, self.per_host).await?,
            None => None,
        };
        let global = acquire(Arc::clone(&self.global)).await;
        Ok(Permits { _shared: shared, _host: Some(host), _global: global })
    }

    /// Tells every process to leave `url`'s host alone until `until`. Awaited
    /// while the caller still holds its slot, so no fetch of this host
    /// starts between the answer and the hold.
    pub(super) async fn hold(&self, url: &Url, until: DateTime<Utc>) {
        let (Some(shared), Some(host)) = (&self.shared, host_key(url)) else { return };
        let gate = Arc::clone(&shared.gate);
        let held = tokio::task::spawn_blocking(move || gate.hold(&host, until)).await;
        match held {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%url, %error, "recording a host's Retry-After for all workers failed"),
            Err(error) => tracing::warn!(%url, %error, "recording a host's Retry-After for all workers failed"),
        }
    }

    /// A global slot only (local files have no host to be polite to).
    pub(super) async fn acquire_global(&self) -> OwnedSemaphorePermit {
        acquire(Arc::clone(&self.global)).await
    }

    fn host_semaphore(&self, key: String) -> Arc<Semaphore> {
        // A poisoned lock only means another fetch panicked mid-insert; the map is still valid.
        let mut hosts = self.hosts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = hosts.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        if hosts.len() >= SWEEP_AT {
            hosts.retain(|_, semaphore| semaphore.strong_count() > 0);
        }
        let fresh = Arc::new(Semaphore::new(self.per_host));
        hosts.insert(key, Arc::downgrade(&fresh));
        fresh
    }
}

/// Asks the gate until it gives a slot or says the host is held. When the
/// gate cannot answer (its database is down) the fetch goes ahead under this
/// process's own limit, with a warning: fetching politely per process beats
/// not fetching at all.
async fn take_shared(shared: &Shared, host: String, limit: usize) -> Result<Option<SharedSlot>, DateTime<Utc>> {
    let mut pause = FIRST_PAUSE;
    loop {
        let gate = Arc::clone(&shared.gate);
        let (key, expires_in) = (host.clone(), shared.expires_in);
        let answer = tokio::task::spawn_blocking(move || gate.take(&key, limit, expires_in)).await;
        let error = match answer {
            Ok(Ok(GateAnswer::Taken(ticket))) => {
                return Ok(Some(SharedSlot { gate: Arc::clone(&shared.gate), host, ticket }));
            }
            Ok(Ok(GateAnswer::Held(until))) => return Err(until),
            Ok(Ok(GateAnswer::Busy)) => {
                // Jittered, so processes waiting on one host do not ask in step.
                tokio::time::sleep(pause.mul_f64(0.5 + fastrand::f64())).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
                continue;
            }
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        tracing::warn!(%host, %error, "the shared per-host limit cannot be read: this fetch keeps to this process's limit");
        return Ok(None);
    }
}

async fn acquire(semaphore: Arc<Semaphore>) -> OwnedSemaphorePermit {
    semaphore.acquire_owned().await.expect("fetch semaphores are never closed")
}

/// `host:port`, lower-case, port made explicit so `http://a/` and
/// `http://a:80/` share a limit while `https://a/` (port 443) does not.
pub(super) fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default().unwrap_or(0);
    Some(format!("{}:{port}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        host_key(&Url::parse(s).expect("test URL parses"))
    }

    #[test]
    fn host_key_is_lower_case_with_explicit_port() {
        assert_eq!(key("http://Example.ORG/feed"), Some("example.org:80".to_owned()));
        assert_eq!(key("http://example.org:80/x"), key("http://example.org/y"));
        assert_eq!(key("https://example.org/"), Some("example.org:443".to_owned()));
        assert_eq!(key("http://[::1]:8080/"), Some("[::1]:8080".to_owned()));
        assert_eq!(key("file:///tmp/x"), None);
    }

    #[tokio::test]
    async fn host_semaphores_are_shared_and_then_freed() {
        let limits = Limits::new(4, 1);
        let url = Url::parse("http://a.example/").expect("test URL parses");
        let first = limits.acquire(&url).await.expect("no gate: never held");
        let second = tokio::time::timeout(std::time::Duration::from_millis(50), limits.acquire(&url)).await;
        assert!(second.is_err(), "a second request to the same host must wait");
        drop(first);
        let third = limits.acquire(&url).await.expect("no gate: never held");
        drop(third);
        let live = limits.hosts.lock().expect("not poisoned").values().filter(|w| w.strong_count() > 0).count();
        assert_eq!(live, 0);
    }

    /// A gate that answers from a script and records what it was told.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<Vec<Result<GateAnswer, &'static str>>>,
        released: Mutex<Vec<(String, Ticket)>>,
        held: Mutex<Vec<(String, DateTime<Utc>)>>,
    }

    impl HostGate for Scripted {
        fn take(&self, _host: &str, _limit: usize, _expires_in: Duration) -> Result<GateAnswer, GateError> {
            let next = self.answers.lock().expect("not poisoned").remove(0);
            next.map_err(Into::into)
        }
        fn release(&self, host: &str, ticket: Ticket) -> Result<(), GateError> {
            self.released.lock().expect("not poisoned").push((host.to_owned(), ticket));
            Ok(())
        }
        fn hold(&self, host: &str, until: DateTime<Utc>) -> Result<(), GateError> {
            self.held.lock().expect("not poisoned").push((host.to_owned(), until));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_gate_is_asked_again_while_busy_and_its_slot_is_handed_back() {
        let ticket = Ticket { slot: 1, token: 7 };
        let gate = Arc::new(Scripted::default());
        *gate.answers.lock().expect("not poisoned") = vec![Ok(GateAnswer::Busy), Ok(GateAnswer::Taken(ticket))];
        let limits = Limits::new(4, 2).with_gate(Arc::clone(&gate) as Arc<dyn HostGate>, Duration::from_secs(40));
        let url = Url::parse("http://A.example/x").expect("test URL parses");
        let permits = limits.acquire(&url).await.expect("taken after one busy answer");
        drop(permits);
        for _ in 0..100 {
            if !gate.released.lock().expect("not poisoned").is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(*gate.released.lock().expect("not poisoned"), [("a.example:80".to_owned(), ticket)]);
    }

    #[tokio::test]
    async fn a_held_host_takes_nothing_and_a_broken_gate_falls_back_to_the_local_limit() {
        let until = Utc::now() + chrono::Duration::minutes(5);
        let gate = Arc::new(Scripted::default());
        *gate.answers.lock().expect("not poisoned") = vec![Ok(GateAnswer::Held(until)), Err("database down")];
        let limits = Limits::new(1, 1).with_gate(Arc::clone(&gate) as Arc<dyn HostGate>, Duration::from_secs(40));
        let url = Url::parse("http://a.example/").expect("test URL parses");
        assert_eq!(limits.acquire(&url).await.err(), Some(until));
        // Nothing was kept: the one global and host permit are free again.
        let permits = limits.acquire(&url).await.expect("a broken gate does not stop fetching");
        drop(permits);
        limits.hold(&url, until).await;
        assert_eq!(*gate.held.lock().expect("not poisoned"), [("a.example:80".to_owned(), until)]);
    }
}
