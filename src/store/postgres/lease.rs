//! Work leased from the database (issue 17, part 2, first step): each source
//! is a row with its next due time and, while a worker polls it, a lease
//! with an expiry and a token. Workers take due rows with
//! `SELECT … FOR UPDATE SKIP LOCKED`, so two never take the same source at
//! once; a worker that dies loses its lease when it expires, and the next
//! worker takes the source; a finish is written only under the token it was
//! leased with, so a late or duplicate finish changes nothing.
//!
//! Per-host politeness is kept here too: a fetch takes one of the host's
//! numbered slots (a row with an expiry, so a dead process's slot frees
//! itself) and gives it back when done; a `Retry-After` holds the host for
//! every process until its time.
//!
//! For leases `now` is the caller's parameter (tests drive time; the workers
//! pass their clock, which production keeps in step with NTP). Host slots
//! live for seconds and are compared across machines, so they use the
//! database's clock.

use chrono::{DateTime, Utc};

use super::super::StoreError;
use super::super::shared::{HostSlot, SharedWork, SourceLease};
use super::{PgStore, execute, query};

impl PgStore {
    /// Makes the leasable sources exactly `ids` (the config's enabled
    /// sources): new ones are due at once, removed ones are dropped, the
    /// others keep their due time and any lease.
    pub fn sync_sources(&self, ids: &[String]) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO source_leases (source_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                &[&ids],
            )
            .await?;
            execute(tx, "DELETE FROM source_leases WHERE NOT (source_id = ANY ($1))", &[&ids]).await?;
            Ok(())
        })
    }

    /// Leases up to `limit` sources that are due at `now` (never polled
    /// first, then by due time) and not leased, or whose lease expired, for
    /// `lease_for`.
    pub fn lease_due_sources(
        &self,
        now: DateTime<Utc>,
        lease_for: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<SourceLease>, StoreError> {
        let until = now + lease_for;
        let limit = super::big(limit as u64);
        self.transaction(async |tx| {
            let rows = query(
                tx,
                "WITH due AS (
                     SELECT source_id FROM source_leases
                     WHERE (next_due IS NULL OR next_due <= $1) AND (lease_until IS NULL OR lease_until <= $1)
                     ORDER BY next_due NULLS FIRST, source_id
                     LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 UPDATE source_leases s SET lease_token = nextval('source_lease_tokens'), lease_until = $3
                 FROM due WHERE s.source_id = due.source_id
                 RETURNING s.source_id, s.lease_token",
                &[&now, &limit, &until],
            )
            .await?;
            let mut leases: Vec<SourceLease> =
                rows.iter().map(|row| SourceLease { source_id: row.get(0), token: row.get(1), until }).collect();
            leases.sort_by(|a, b| a.source_id.cmp(&b.source_id));
            Ok(leases)
        })
    }

    /// Ends `lease`, setting the source's next due time; `Ok(false)` and
    /// nothing written when the lease is no longer held (it expired and
    /// another worker took the source, or it was finished already).
    pub fn finish_source(&self, lease: &SourceLease, next_due: DateTime<Utc>) -> Result<bool, StoreError> {
        self.transaction(async |tx| {
            let written = execute(
                tx,
                "UPDATE source_leases SET next_due = $3, lease_token = NULL, lease_until = NULL
                 WHERE source_id = $1 AND lease_token = $2",
                &[&lease.source_id, &lease.token, &next_due],
            )
            .await?;
            Ok(written == 1)
        })
    }
}

impl PgStore {
    /// Takes the lowest free slot below `limit` for `host`, in one
    /// statement: a slot row is free when absent or expired. Two takers of
    /// one free slot conflict on its key; the second waits for the first to
    /// commit, then finds the row live and gets nothing (`Busy`; it asks
    /// again). A held host gives no slot at all.
    pub fn take_host_slot(
        &self,
        host: &str,
        limit: usize,
        expires_in: std::time::Duration,
    ) -> Result<HostSlot, StoreError> {
        let limit = i32::try_from(limit.max(1)).unwrap_or(i32::MAX);
        let secs = expires_in.as_secs_f64();
        self.transaction(async |tx| {
            let rows = query(
                tx,
                "WITH held AS (
                     SELECT not_before FROM host_holds WHERE host = $1 AND not_before > now()),
                 taken AS (
                     INSERT INTO host_slots AS h (host, slot, token, expires_at)
                     SELECT $1, s, nextval('host_slot_tokens'), now() + make_interval(secs => $3::float8)
                     FROM generate_series(0, $2::int - 1) AS s
                     WHERE NOT EXISTS (SELECT 1 FROM held)
                       AND NOT EXISTS (SELECT 1 FROM host_slots x WHERE x.host = $1 AND x.slot = s AND x.expires_at > now())
                     ORDER BY s
                     LIMIT 1
                     ON CONFLICT (host, slot) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
                         WHERE h.expires_at <= now()
                     RETURNING h.slot, h.token)
                 SELECT (SELECT not_before FROM held), (SELECT slot FROM taken), (SELECT token FROM taken)",
                &[&host, &limit, &secs],
            )
            .await?;
            let row = rows.first();
            let held: Option<DateTime<Utc>> = row.and_then(|row| row.get(0));
            let slot: Option<i32> = row.and_then(|row| row.get(1));
            let token: Option<i64> = row.and_then(|row| row.get(2));
            Ok(match (held, slot, token) {
                (Some(until), _, _) => HostSlot::Held { until },
                (None, Some(slot), Some(token)) => HostSlot::Taken { slot, token },
                _ => HostSlot::Busy,
            })
        })
    }

    pub fn release_host_slot(&self, host: &str, slot: i32, token: i64) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(tx, "DELETE FROM host_slots WHERE host = $1 AND slot = $2 AND token = $3", &[&host, &slot, &token])
                .await?;
            Ok(())
        })
    }

    /// Holds `host` until `until`, keeping a later hold already there; holds
    /// long past are swept here (a 429 is rare, so this costs nothing).
    pub fn hold_host(&self, host: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO host_holds (host, not_before) VALUES ($1, $2)
                 ON CONFLICT (host) DO UPDATE SET not_before = GREATEST(host_holds.not_before, EXCLUDED.not_before)",
                &[&host, &until],
            )
            .await?;
            execute(tx, "DELETE FROM host_holds WHERE not_before < now() - interval '1 day'", &[]).await?;
            Ok(())
        })
    }
}

impl PgStore {
    /// Claims the scheduled publish due at `due`: the first `INSERT` of that
    /// due time wins, every later one (another process, the same one after
    /// a restart) finds the row and stands down.
    pub fn claim_publish(&self, due: DateTime<Utc>, by: &str) -> Result<bool, StoreError> {
        self.transaction(async |tx| {
            let written = execute(
                tx,
                "INSERT INTO publish_claims (due, claimed_by) VALUES ($1, $2) ON CONFLICT (due) DO NOTHING",
                &[&due, &by],
            )
            .await?;
            Ok(written == 1)
        })
    }
}

// The inherent methods above are the implementation (tests call them on a
// `PgStore`); the trait is how the workers and the publisher reach them
// through an `Arc<dyn Store>`.
impl SharedWork for PgStore {
    fn sync_sources(&self, ids: &[String]) -> Result<(), StoreError> {
        PgStore::sync_sources(self, ids)
    }

    fn lease_due_sources(
        &self,
        now: DateTime<Utc>,
        lease_for: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<SourceLease>, StoreError> {
        PgStore::lease_due_sources(self, now, lease_for, limit)
    }

    fn finish_source(&self, lease: &SourceLease, next_due: DateTime<Utc>) -> Result<bool, StoreError> {
        PgStore::finish_source(self, lease, next_due)
    }

    fn claim_publish(&self, due: DateTime<Utc>, by: &str) -> Result<bool, StoreError> {
        PgStore::claim_publish(self, due, by)
    }

    fn take_host_slot(
        &self,
        host: &str,
        limit: usize,
        expires_in: std::time::Duration,
    ) -> Result<HostSlot, StoreError> {
        PgStore::take_host_slot(self, host, limit, expires_in)
    }

    fn release_host_slot(&self, host: &str, slot: i32, token: i64) -> Result<(), StoreError> {
        PgStore::release_host_slot(self, host, slot, token)
    }

    fn hold_host(&self, host: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        PgStore::hold_host(self, host, until)
    }
}
