//! What processes that share one store coordinate through (issue 17): the
//! sources leased to fetch workers, the per-host politeness slots and holds
//! every fetch keeps to, and the claim on each scheduled publish.
//! Only a store that several processes open at once offers it
//! ([`OpsStore::shared`](super::OpsStore::shared): PostgreSQL); sled is one
//! process, whose scheduler needs neither.

use chrono::{DateTime, Utc};

use super::StoreError;

/// A source leased to one worker until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLease {
    pub source_id: String,
    /// Unique per lease: what [`SharedWork::finish_source`] must present.
    pub token: i64,
    pub until: DateTime<Utc>,
}

/// One answer to [`SharedWork::take_host_slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSlot {
    /// Slot `slot` of the host is the caller's until released with `token`
    /// or until it expires.
    Taken { slot: i32, token: i64 },
    /// Every slot of the host is held: ask again shortly.
    Busy,
    /// The host asked to be left alone (`Retry-After`) until `until`.
    Held { until: DateTime<Utc> },
}

/// Work that several processes share through the store. `now` is always
/// the caller's (tests drive time).
pub trait SharedWork: Send + Sync {
    /// Makes the leasable sources exactly `ids` (the config's enabled
    /// sources): new ones are due at once, removed ones are dropped, the
    /// others keep their due time and any lease.
    fn sync_sources(&self, ids: &[String]) -> Result<(), StoreError>;

    /// Leases up to `limit` sources due at `now` and not leased (or whose
    /// lease expired) for `lease_for`; no two callers get the same source.
    fn lease_due_sources(
        &self,
        now: DateTime<Utc>,
        lease_for: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<SourceLease>, StoreError>;

    /// Ends `lease` with the source's next due time; `Ok(false)` and nothing
    /// written when the lease is no longer held.
    fn finish_source(&self, lease: &SourceLease, next_due: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Takes one of `limit` concurrent slots for `host` (`host:port`) unless
    /// the host is held; the slot expires after `expires_in` (by the
    /// database's clock, so workers on other machines agree), which frees it
    /// if its holder dies mid-fetch.
    fn take_host_slot(&self, host: &str, limit: usize, expires_in: std::time::Duration)
    -> Result<HostSlot, StoreError>;

    /// Frees a slot [`SharedWork::take_host_slot`] gave; nothing when it
    /// expired and was taken by someone else meanwhile.
    fn release_host_slot(&self, host: &str, slot: i32, token: i64) -> Result<(), StoreError>;

    /// Holds `host` until `until` for every process (a 429 or 503 with
    /// `Retry-After`); a later hold already there is kept.
    fn hold_host(&self, host: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Claims the scheduled publish due at `due` for `by`: `Ok(true)` for
    /// exactly one caller per due time, however many processes ask.
    fn claim_publish(&self, due: DateTime<Utc>, by: &str) -> Result<bool, StoreError>;
}
