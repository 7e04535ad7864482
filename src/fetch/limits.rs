//! Politeness limits: one global semaphore and one per host, shared by every
//! clone of the `Fetcher` and by both feed polls and article fetches.
//!
//! Lock order, to rule out deadlock: a fetch takes its host permit first,
//! then the global one, and releases both before waiting on another host (a
//! redirect). So nobody ever waits while holding a global permit, and a
//! global-permit holder is always making progress. Waiting for a busy host
//! therefore never ties up a global slot that other hosts could use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Entries whose semaphore is gone are swept once the map grows past this.
const SWEEP_AT: usize = 64;

/// Both permits of one request; dropping it frees the slots.
pub(super) struct Permits {
    _host: Option<OwnedSemaphorePermit>,
    _global: OwnedSemaphorePermit,
}

pub(super) struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    /// Weak, so a host's semaphore lives only while someone holds or awaits
    /// it: thousands of article hosts do not pile up in memory.
    hosts: Mutex<HashMap<String, Weak<Semaphore>>>,
}

impl Limits {
    /// A limit of 0 would block forever; it is read as 1.
    pub(super) fn new(global: usize, per_host: usize) -> Self {
        Self {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `url`'s host (if it has one), then a global slot.
    pub(super) async fn acquire(&self, url: &Url) -> Permits {
        let host = match host_key(url) {
            Some(key) => Some(acquire(self.host_semaphore(key)).await),
            None => None,
        };
        let global = acquire(Arc::clone(&self.global)).await;
        Permits { _host: host, _global: global }
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
        let first = limits.acquire(&url).await;
        let second = tokio::time::timeout(std::time::Duration::from_millis(50), limits.acquire(&url)).await;
        assert!(second.is_err(), "a second request to the same host must wait");
        drop(first);
        let third = limits.acquire(&url).await;
        drop(third);
        let live = limits.hosts.lock().expect("not poisoned").values().filter(|w| w.strong_count() > 0).count();
        assert_eq!(live, 0);
    }
}
