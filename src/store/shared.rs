//! What processes that share one store coordinate through (issue 17): the
//! sources leased to fetch workers, and the claim on each scheduled publish.
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

    /// Claims the scheduled publish due at `due` for `by`: `Ok(true)` for
    /// exactly one caller per due time, however many processes ask.
    fn claim_publish(&self, due: DateTime<Utc>, by: &str) -> Result<bool, StoreError>;
}
