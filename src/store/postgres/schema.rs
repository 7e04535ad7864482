//! The PostgreSQL schema, in numbered steps that `gleaner migrate` applies.
//!
//! Each applied step is a row of `gleaner_schema`; the database's version is
//! the highest. Opening a store never migrates (several processes start at
//! once, and a schema change is an operator's decision): it refuses a
//! database that is behind (run `gleaner migrate`) or ahead (a newer Gleaner
//! migrated it; this build would misread it). `migrate` holds an advisory
//! lock for its transaction, so two at once take turns and the second finds
//! nothing to do; each step is DDL inside that transaction, so a crash
//! leaves the previous version whole.
//!
//! Steps are append-only: never edit one that has shipped; add the next.

use super::{Failure, Tx, query};
use crate::store::StoreError;

/// The schema this build reads and writes.
pub const CURRENT_VERSION: u32 = 7;

/// `pg_advisory_xact_lock` key held by `migrate` ("gleaner" in ASCII).
const MIGRATE_LOCK: i64 = 0x0067_6c65_616e_6572;

/// One step: the version it brings the database to, its SQL, and what
/// converts existing rows after it, in the same transaction.
struct Step {
    to: u32,
    what: &'static str,
    sql: &'static str,
    then: Option<Convert>,
}

/// A step's conversion of rows that SQL alone cannot do.
#[derive(Clone, Copy)]
enum Convert {
    /// Version 5: quote records' inline occurrences into rows (`people::split_occurrences`).
    QuoteOccurrences,
}

const STEPS: &[Step] = &[
    Step { to: 1, what: "items, indexes, editorial, issues, mail and outbox tables", sql: V1, then: None },
    Step { to: 2, what: "source leases for fetch workers", sql: V2, then: None },
    Step { to: 3, what: "claims on scheduled publishes", sql: V3, then: None },
    Step { to: 4, what: "quote provenance records and the speaker map", sql: V4, then: None },
    Step {
        to: 5,
        what: "quote occurrences one row each beside their record's summary",
        sql: V5,
        then: Some(Convert::QuoteOccurrences),
    },
    Step { to: 6, what: "editors' watchlists", sql: V6, then: None },
    Step { to: 7, what: "per-host politeness slots and holds shared by every fetch", sql: V7, then: None },
];

/// Version 1: the records of the sled layout (`codec.rs`) as tables. Each
/// record is the codec's JSON; columns beside it are what queries use.
const V1: &str = r#"
CREATE TABLE items (
    id        text COLLATE "C" PRIMARY KEY,
    state     smallint NOT NULL,
    published timestamptz NOT NULL,
    sources   text[] COLLATE "C" NOT NULL,
    revision  bigint NOT NULL,
    record    json NOT NULL
);
CREATE INDEX items_by_state_time ON items (state, published DESC, id DESC);
CREATE INDEX items_by_time ON items (published DESC, id DESC);
CREATE INDEX items_by_source ON items USING gin (sources);

-- The first item to claim a canonical URL owns it (idx.url.v2).
CREATE TABLE item_urls (
    url     text COLLATE "C" PRIMARY KEY,
    item_id text COLLATE "C" NOT NULL
);
-- Another source's guid for a merged item (idx.guid.v2).
CREATE TABLE item_guids (
    source_id text COLLATE "C" NOT NULL,
    guid      text COLLATE "C" NOT NULL,
    item_id   text COLLATE "C" NOT NULL,
    PRIMARY KEY (source_id, guid)
);
-- An item's quotes and links, one record (extracts.v3).
CREATE TABLE extracts (
    item_id text COLLATE "C" PRIMARY KEY,
    record  json NOT NULL
);
CREATE TABLE fetch_states (
    source_id text COLLATE "C" PRIMARY KEY,
    record    json NOT NULL
);
CREATE TABLE page_caches (
    url    text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
CREATE TABLE audit (
    item_id  text COLLATE "C" NOT NULL,
    revision bigint NOT NULL,
    at       timestamptz NOT NULL,
    record   json NOT NULL,
    PRIMARY KEY (item_id, revision)
);
CREATE INDEX audit_by_time ON audit (at DESC, item_id DESC, revision DESC);
CREATE TABLE users (
    name   text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
CREATE TABLE api_tokens (
    hash   text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
CREATE TABLE issues (
    number bigint PRIMARY KEY,
    record json NOT NULL
);
CREATE TABLE subscribers (
    email  text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
CREATE TABLE subscriber_tokens (
    token text COLLATE "C" PRIMARY KEY,
    email text COLLATE "C" NOT NULL
);
CREATE TABLE mail_jobs (
    number bigint PRIMARY KEY,
    done   boolean NOT NULL
);
CREATE TABLE mail_sends (
    number bigint NOT NULL,
    email  text COLLATE "C" NOT NULL,
    record json NOT NULL,
    PRIMARY KEY (number, email)
);
CREATE TABLE webhook_deliveries (
    id         text COLLATE "C" PRIMARY KEY,
    created_at timestamptz NOT NULL,
    finished   boolean NOT NULL,
    record     json NOT NULL
);
CREATE TABLE outbox_cursors (
    name   text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
-- Written and removed by the health probe.
CREATE TABLE health_probe (
    id integer PRIMARY KEY,
    at timestamptz NOT NULL
);
"#;

/// Version 2: sources as leasable work (`lease.rs`). A source never polled
/// has no due time and is due at once.
const V2: &str = r#"
CREATE SEQUENCE source_lease_tokens;
CREATE TABLE source_leases (
    source_id   text COLLATE "C" PRIMARY KEY,
    next_due    timestamptz,
    lease_token bigint,
    lease_until timestamptz
);
CREATE INDEX source_leases_by_due ON source_leases (next_due NULLS FIRST, source_id);
"#;

/// Version 3: one row per scheduled publish that ran (`lease.rs`), so each
/// due time is published by one process however many serve.
const V3: &str = r"
CREATE TABLE publish_claims (
    due        timestamptz PRIMARY KEY,
    claimed_by text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
";

/// Version 4: quote provenance (`people.rs`): records with their shingle
/// and item indexes, and the editors' speaker map (one row).
const V4: &str = r#"
CREATE TABLE quote_records (
    id      text COLLATE "C" PRIMARY KEY,
    speaker text COLLATE "C" NOT NULL,
    record  json NOT NULL
);
CREATE INDEX quote_records_by_speaker ON quote_records (speaker);
CREATE TABLE quote_keys (
    key       text COLLATE "C" NOT NULL,
    record_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (key, record_id)
);
CREATE INDEX quote_keys_by_record ON quote_keys (record_id);
CREATE TABLE quote_items (
    item_id   text COLLATE "C" NOT NULL,
    record_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (item_id, record_id)
);
CREATE INDEX quote_items_by_record ON quote_items (record_id);
CREATE TABLE speaker_map (
    id     integer PRIMARY KEY,
    record json NOT NULL
);
"#;

/// Version 5: a quote record's occurrences one row each (`people.rs`), so
/// adding one no longer rewrites the record with all the others; the record
/// becomes its summary. The rows replace `quote_items` (dropped by the
/// conversion once it has read the version 4 records).
const V5: &str = r#"
CREATE TABLE quote_occurrences (
    record_id  text COLLATE "C" NOT NULL,
    spot       text COLLATE "C" NOT NULL,
    item_id    text COLLATE "C" NOT NULL,
    occurrence json NOT NULL,
    PRIMARY KEY (record_id, spot)
);
CREATE INDEX quote_occurrences_by_item ON quote_occurrences (item_id, record_id, spot);
"#;

/// Version 6: editors' watchlists (`watch.rs`), one row per editor.
const V6: &str = r#"
CREATE TABLE watchlists (
    editor text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
);
"#;

/// Version 7: per-host politeness across processes (`lease.rs`): one row per fetch in
/// flight to a host, numbered below the per-host limit, with an expiry that
/// frees it if its process dies; and a host's `Retry-After` as the time
/// before which nobody asks it again.
const V7: &str = r#"
CREATE SEQUENCE host_slot_tokens;
CREATE TABLE host_slots (
    host       text COLLATE "C" NOT NULL,
    slot       integer NOT NULL,
    token      bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (host, slot)
);
CREATE TABLE host_holds (
    host       text COLLATE "C" PRIMARY KEY,
    not_before timestamptz NOT NULL
);
"#;

/// What `gleaner migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// The version found (`None`: a database Gleaner never used).
    pub from: Option<u32>,
    pub to: u32,
}

/// The recorded version, `None` when `gleaner_schema` does not exist.
pub(super) async fn version(tx: &Tx<'_>) -> Result<Option<u32>, Failure> {
    let exists = query(tx, "SELECT to_regclass('gleaner_schema') IS NOT NULL", &[]).await?;
    if !exists.first().is_some_and(|row| row.get::<_, bool>(0)) {
        return Ok(None);
    }
    let rows = query(tx, "SELECT max(version) FROM gleaner_schema", &[]).await?;
    let found: Option<i32> = rows.first().and_then(|row| row.get(0));
    Ok(found.map(|v| u32::try_from(v).unwrap_or(0)))
}

/// Whether a store at `found` may be opened by this build.
pub(super) fn check(shown: &str, found: Option<u32>) -> Result<(), StoreError> {
    match found {
        Some(found) if found > CURRENT_VERSION => {
            Err(StoreError::TooNew { path: shown.to_owned(), found, supported: CURRENT_VERSION })
        }
        Some(found) if found == CURRENT_VERSION => Ok(()),
        found => Err(StoreError::Open {
            path: shown.to_owned(),
            reason: format!(
                "the database schema is at version {}, this build needs version {CURRENT_VERSION}: \
                 run `gleaner migrate` first",
                found.map_or_else(|| "none (never migrated)".to_owned(), |v| v.to_string())
            ),
        }),
    }
}

/// Applies every step past the recorded version, under the migrate lock.
pub(super) async fn migrate(tx: &Tx<'_>, shown: &str) -> Result<MigrateReport, Failure> {
    query(tx, "SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS gleaner_schema (
             version    integer PRIMARY KEY,
             what       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let from = version(tx).await?;
    if let Some(found) = from.filter(|found| *found > CURRENT_VERSION) {
        return Err(StoreError::TooNew { path: shown.to_owned(), found, supported: CURRENT_VERSION }.into());
    }
    for step in STEPS.iter().filter(|step| from.is_none_or(|v| step.to > v)) {
        tracing::info!(to = step.to, what = step.what, "migrating the PostgreSQL schema");
        tx.batch_execute(step.sql).await?;
        match step.then {
            Some(Convert::QuoteOccurrences) => super::people::split_occurrences(tx).await?,
            None => {}
        }
        let to = i32::try_from(step.to).unwrap_or(i32::MAX);
        query(tx, "INSERT INTO gleaner_schema (version, what) VALUES ($1, $2)", &[&to, &step.what]).await?;
    }
    Ok(MigrateReport { from, to: CURRENT_VERSION })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_one_after_another_up_to_the_current_version() {
        for (n, step) in STEPS.iter().enumerate() {
            assert_eq!(step.to as usize, n + 1);
        }
        assert_eq!(STEPS.last().map(|s| s.to), Some(CURRENT_VERSION));
    }

    #[test]
    fn only_the_current_version_opens() {
        assert!(check("db", Some(CURRENT_VERSION)).is_ok());
        let newer = check("db", Some(CURRENT_VERSION + 1)).expect_err("too new");
        assert!(matches!(newer, StoreError::TooNew { found, .. } if found == CURRENT_VERSION + 1));
        let unmigrated = check("db", None).expect_err("never migrated").to_string();
        assert!(unmigrated.contains("gleaner migrate"), "{unmigrated}");
    }
}
