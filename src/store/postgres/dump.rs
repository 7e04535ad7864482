//! `gleaner export` / `import` on PostgreSQL, in the sled layout: the raw
//! records of `codec.rs` (the same JSON values, the same keys), so a backup
//! of either store restores into the other. That is the migration path from
//! sled to PostgreSQL and back (README, "More than one machine").
//!
//! The time-ordered indexes (`idx.state.v2/`, `idx.audit_time.v2/`) are
//! columns here: an export derives their entries from the rows, and an import
//! skips them (the rows they index carry the same facts).

use super::super::codec::{self, Space};
use super::super::{RawRecord, StoreError, dump};
use super::{Failure, PgStore, Tx, big, execute, query};
use crate::model::ItemId;
use crate::speakers::Occurrence;

/// A record from a full sled key and its value.
fn raw(full_key: &[u8], value: Vec<u8>) -> Result<RawRecord, StoreError> {
    let (space, rest) =
        dump::split(full_key).ok_or_else(|| codec::corrupt("export", full_key, "key outside every key space"))?;
    Ok(RawRecord { space, key: rest.to_vec(), value })
}

/// `(key, record)` rows of one statement as records of `space`.
async fn table(
    tx: &Tx<'_>,
    sql: &str,
    space: Space,
    visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    for row in query(tx, sql, &[]).await? {
        let (key, value): (&str, &str) = (row.get(0), row.get(1));
        let mut full = space.prefix.to_vec();
        full.extend_from_slice(key.as_bytes());
        visit(raw(&full, value.as_bytes().to_vec())?)?;
    }
    Ok(())
}

fn item_id(space: &'static str, text: &str) -> Result<ItemId, StoreError> {
    ItemId::parse(text).ok_or_else(|| codec::corrupt(space, text.as_bytes(), "not an item id"))
}

pub(super) async fn export(
    tx: &Tx<'_>,
    visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    // One REPEATABLE READ snapshot (set by the caller): a consistent dump while other processes write.
    for row in query(tx, "SELECT id, state, published, record::text FROM items ORDER BY id", &[]).await? {
        let (id, state, published, record): (&str, i16, chrono::DateTime<chrono::Utc>, &str) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let id = item_id(codec::ITEMS.name, id)?;
        visit(raw(&codec::item_key(&id), record.as_bytes().to_vec())?)?;
        let state = u8::try_from(state).ok().and_then(codec::state_from_byte).ok_or_else(|| {
            codec::corrupt(codec::ITEMS.name, id.as_str().as_bytes(), format!("unknown state code {state}"))
        })?;
        visit(raw(&codec::state_key(state, published, &id), Vec::new())?)?;
    }
    table(tx, "SELECT url, item_id FROM item_urls ORDER BY url", codec::IDX_URL, visit).await?;
    for row in query(tx, "SELECT source_id, guid, item_id FROM item_guids ORDER BY source_id, guid", &[]).await? {
        let (source, guid, id): (&str, &str, &str) = (row.get(0), row.get(1), row.get(2));
        visit(raw(&codec::guid_key(source, guid), id.as_bytes().to_vec())?)?;
    }
    table(tx, "SELECT source_id, record::text FROM fetch_states ORDER BY source_id", codec::FETCH_STATE, visit).await?;
    table(tx, "SELECT item_id, record::text FROM extracts ORDER BY item_id", codec::EXTRACTS, visit).await?;
    table(tx, "SELECT url, record::text FROM page_caches ORDER BY url", codec::PAGES, visit).await?;
    for row in
        query(tx, "SELECT item_id, revision, at, record::text FROM audit ORDER BY item_id, revision", &[]).await?
    {
        let (id, revision, at, record): (&str, i64, chrono::DateTime<chrono::Utc>, &str) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let id = item_id(codec::AUDIT.name, id)?;
        let revision = u64::try_from(revision).unwrap_or_default();
        visit(raw(&codec::audit_key(&id, revision), record.as_bytes().to_vec())?)?;
        visit(raw(&codec::audit_time_key(at, &id, revision), Vec::new())?)?;
    }
    table(tx, "SELECT name, record::text FROM users ORDER BY name", codec::USERS, visit).await?;
    table(tx, "SELECT hash, record::text FROM api_tokens ORDER BY hash", codec::TOKENS, visit).await?;
    for row in query(tx, "SELECT number, record::text FROM issues ORDER BY number", &[]).await? {
        let (number, record): (i64, &str) = (row.get(0), row.get(1));
        let number = u32::try_from(number).unwrap_or_default();
        visit(raw(&codec::issue_key(number), record.as_bytes().to_vec())?)?;
    }
    mail_and_outbox(tx, visit).await?;
    people(tx, visit).await?;
    super::watch::export(tx, visit).await
}

/// A record of the mailing list's or the outbox's space (see `dump::MAIL_SPACE`).
fn side(space: &str, key: Vec<u8>, value: impl Into<Vec<u8>>) -> RawRecord {
    RawRecord { space: space.to_owned(), key, value: value.into() }
}

/// An issue number as the sled mail tree keys it (4 bytes, big-endian).
fn number_bytes(number: i64) -> [u8; 4] {
    u32::try_from(number).unwrap_or_default().to_be_bytes()
}

/// The mailing list and the webhook outbox, in the keys and byte order of
/// sled's trees (`sled/notify.rs`), so a backup of either store is the same.
async fn mail_and_outbox(
    tx: &Tx<'_>,
    visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    use dump::{MAIL_SPACE, OUTBOX_SPACE};
    // `job/` < `send/` < `sub/` < `tok/`: the tree's order.
    for row in query(tx, "SELECT number, done FROM mail_jobs ORDER BY number", &[]).await? {
        let (number, done): (i64, bool) = (row.get(0), row.get(1));
        let key = [b"job/".as_slice(), &number_bytes(number)].concat();
        visit(side(MAIL_SPACE, key, if done { b"done".as_slice() } else { b"open".as_slice() }))?;
    }
    for row in query(tx, "SELECT number, email, record::text FROM mail_sends ORDER BY number, email", &[]).await? {
        let (number, email, record): (i64, &str, &str) = (row.get(0), row.get(1), row.get(2));
        let key = [b"send/".as_slice(), &number_bytes(number), b"/", email.as_bytes()].concat();
        visit(side(MAIL_SPACE, key, record.as_bytes()))?;
    }
    for row in query(tx, "SELECT email, record::text FROM subscribers ORDER BY email", &[]).await? {
        let (email, record): (&str, &str) = (row.get(0), row.get(1));
        visit(side(MAIL_SPACE, [b"sub/".as_slice(), email.as_bytes()].concat(), record.as_bytes()))?;
    }
    for row in query(tx, "SELECT token, email FROM subscriber_tokens ORDER BY token", &[]).await? {
        let (token, email): (&str, &str) = (row.get(0), row.get(1));
        visit(side(MAIL_SPACE, [b"tok/".as_slice(), token.as_bytes()].concat(), email.as_bytes()))?;
    }
    // `cursor/` < `d/`.
    for row in query(tx, "SELECT name, record::text FROM outbox_cursors ORDER BY name", &[]).await? {
        let (name, record): (&str, &str) = (row.get(0), row.get(1));
        visit(side(OUTBOX_SPACE, [b"cursor/".as_slice(), name.as_bytes()].concat(), record.as_bytes()))?;
    }
    for row in query(tx, "SELECT id, record::text FROM webhook_deliveries ORDER BY id", &[]).await? {
        let (id, record): (&str, &str) = (row.get(0), row.get(1));
        visit(side(OUTBOX_SPACE, [b"d/".as_slice(), id.as_bytes()].concat(), record.as_bytes()))?;
    }
    Ok(())
}

/// Quote provenance and the speaker map, in the keys and byte order of
/// sled's people tree (`codec/people.rs`): `item/` < `key/` < `map` <
/// `occ/` < `rec/` < `spk/`, each index ordered by its whole key in bytes
/// (`COLLATE "C"`). An `item/` entry's value is the item's occurrence rows
/// in that record, encoded as one list the way sled's writer encodes it (a
/// row keeps the JSON text it was given, whose key order a backup may have
/// changed).
async fn people(tx: &Tx<'_>, visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>) -> Result<(), Failure> {
    use dump::PEOPLE_SPACE;
    let sql = r#"SELECT item_id || '/' || record_id, occurrence::text FROM quote_occurrences
                 ORDER BY (item_id || '/' || record_id) COLLATE "C", spot"#;
    let mut entry: Option<(String, Vec<Occurrence>)> = None;
    let mut flush = |entry: Option<(String, Vec<Occurrence>)>| -> Result<(), StoreError> {
        let Some((rest, held)) = entry else { return Ok(()) };
        let list = serde_json::to_vec(&held).expect("plain fields serialize");
        visit(side(PEOPLE_SPACE, [b"item/".as_slice(), rest.as_bytes()].concat(), list))
    };
    for row in query(tx, sql, &[]).await? {
        let (rest, text): (&str, &str) = (row.get(0), row.get(1));
        let occurrence: Occurrence = serde_json::from_str(text)
            .map_err(|e| codec::corrupt("quote_occurrences", rest.as_bytes(), e.to_string()))?;
        match &mut entry {
            Some((key, held)) if key == rest => held.push(occurrence),
            _ => flush(entry.replace((rest.to_owned(), vec![occurrence])))?,
        }
    }
    flush(entry)?;
    let sql = r#"SELECT key || '/' || record_id FROM quote_keys ORDER BY (key || '/' || record_id) COLLATE "C""#;
    for row in query(tx, sql, &[]).await? {
        let rest: &str = row.get(0);
        visit(side(PEOPLE_SPACE, [b"key/".as_slice(), rest.as_bytes()].concat(), Vec::new()))?;
    }
    for row in query(tx, "SELECT record::text FROM speaker_map WHERE id = 1", &[]).await? {
        let record: &str = row.get(0);
        visit(side(PEOPLE_SPACE, b"map".to_vec(), record.as_bytes()))?;
    }
    let sql = "SELECT record_id || '/' || spot, occurrence::text FROM quote_occurrences ORDER BY record_id, spot";
    for row in query(tx, sql, &[]).await? {
        let (rest, occurrence): (&str, &str) = (row.get(0), row.get(1));
        visit(side(PEOPLE_SPACE, [b"occ/".as_slice(), rest.as_bytes()].concat(), occurrence.as_bytes()))?;
    }
    for row in query(tx, "SELECT id, record::text FROM quote_records ORDER BY id", &[]).await? {
        let (id, record): (&str, &str) = (row.get(0), row.get(1));
        visit(side(PEOPLE_SPACE, [b"rec/".as_slice(), id.as_bytes()].concat(), record.as_bytes()))?;
    }
    let sql = r#"SELECT speaker || '/' || id FROM quote_records ORDER BY (speaker || '/' || id) COLLATE "C""#;
    for row in query(tx, sql, &[]).await? {
        let rest: &str = row.get(0);
        visit(side(PEOPLE_SPACE, [b"spk/".as_slice(), rest.as_bytes()].concat(), Vec::new()))?;
    }
    Ok(())
}

/// Writes one checked record of the people tree: a quote record's summary
/// with its shingle index (`people::put_summary`), an occurrence row, or
/// the speaker map. The item and speaker index entries are skipped: the
/// rows they index carry the same facts, as on every store.
async fn import_people(tx: &Tx<'_>, record: &RawRecord) -> Result<(), Failure> {
    let (_, key) = dump::restore_target(record)?;
    let bad = |reason: String| codec::corrupt("backup", &key, reason);
    let value = std::str::from_utf8(&record.value).map_err(|_| bad("not UTF-8".to_owned()))?;
    if key.starts_with(b"rec/") {
        let summary: crate::speakers::QuoteSummary = serde_json::from_str(value).map_err(|e| bad(e.to_string()))?;
        super::people::put_summary(tx, &summary, None).await?;
    } else if let Some(rest) = key.strip_prefix(b"occ/") {
        let (id, spot) =
            codec::people::split_occurrence(rest).ok_or_else(|| bad("not an occurrence key".to_owned()))?;
        let occurrence: crate::speakers::Occurrence = serde_json::from_str(value).map_err(|e| bad(e.to_string()))?;
        super::people::put_occurrence(tx, id, spot, &occurrence, value).await?;
    } else if key == b"map" {
        execute(tx, "INSERT INTO speaker_map (id, record) VALUES (1, $1::text::json)", &[&value]).await?;
    }
    Ok(())
}

/// Writes one checked record of the mailing list or the outbox into its table.
async fn import_side(tx: &Tx<'_>, record: &RawRecord) -> Result<(), Failure> {
    // The same check as sled's import (`dump::restore_target`).
    let (_, key) = dump::restore_target(record)?;
    let bad = |reason: &str| codec::corrupt("backup", &key, reason.to_owned());
    let text = |bytes: &[u8]| std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| bad("not UTF-8"));
    let value = text(&record.value)?;
    let number =
        |rest: &[u8]| rest.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(|b| i64::from(u32::from_be_bytes(b)));
    if let Some(rest) = key.strip_prefix(b"job/") {
        let number = number(rest).ok_or_else(|| bad("job key without an issue number"))?;
        let sql = "INSERT INTO mail_jobs (number, done) VALUES ($1, $2)";
        execute(tx, sql, &[&number, &(value == "done")]).await?;
    } else if let Some(rest) = key.strip_prefix(b"send/") {
        let number = number(rest).ok_or_else(|| bad("send key without an issue number"))?;
        let email = text(rest.get(5..).unwrap_or_default())?;
        let sql = "INSERT INTO mail_sends (number, email, record) VALUES ($1, $2, $3::text::json)";
        execute(tx, sql, &[&number, &email, &value]).await?;
    } else if let Some(email) = key.strip_prefix(b"sub/") {
        let sql = "INSERT INTO subscribers (email, record) VALUES ($1, $2::text::json)";
        execute(tx, sql, &[&text(email)?, &value]).await?;
    } else if let Some(token) = key.strip_prefix(b"tok/") {
        let sql = "INSERT INTO subscriber_tokens (token, email) VALUES ($1, $2)";
        execute(tx, sql, &[&text(token)?, &value]).await?;
    } else if let Some(name) = key.strip_prefix(b"cursor/") {
        let sql = "INSERT INTO outbox_cursors (name, record) VALUES ($1, $2::text::json)";
        execute(tx, sql, &[&text(name)?, &value]).await?;
    } else if key.starts_with(b"d/") {
        let delivery: crate::model::Delivery = serde_json::from_str(&value).map_err(|e| bad(&e.to_string()))?;
        execute(
            tx,
            "INSERT INTO webhook_deliveries (id, created_at, finished, record) VALUES ($1, $2, $3, $4::text::json)",
            &[&delivery.id, &delivery.created_at, &(delivery.state != crate::model::DeliveryState::Pending), &value],
        )
        .await?;
    } else {
        return Err(bad("not a key of the mailing list or the webhook outbox").into());
    }
    Ok(())
}

/// Writes one checked record into its table.
async fn import_one(tx: &Tx<'_>, record: &RawRecord) -> Result<(), Failure> {
    if record.space == dump::MAIL_SPACE || record.space == dump::OUTBOX_SPACE {
        return import_side(tx, record).await;
    }
    if record.space == dump::PEOPLE_SPACE {
        return import_people(tx, record).await;
    }
    if record.space == dump::WATCH_SPACE {
        return super::watch::import(tx, record).await;
    }
    // The same check as sled's import: a known record must decode.
    let full = dump::restore_key(record)?;
    let bad = |reason: &str| codec::corrupt("backup", &full, reason.to_owned());
    if record.space == codec::IDX_STATE.name || record.space == codec::IDX_AUDIT_TIME.name {
        return Ok(());
    }
    let value = std::str::from_utf8(&record.value).map_err(|_| bad("value is not UTF-8"))?;
    // Issue and audit keys are binary; every other key here is text.
    let key = || std::str::from_utf8(&record.key).map_err(|_| bad("key is not UTF-8"));
    let upsert = |table: &str, column: &str| {
        format!(
            "INSERT INTO {table} ({column}, record) VALUES ($1, $2::text::json)
             ON CONFLICT ({column}) DO UPDATE SET record = EXCLUDED.record"
        )
    };
    match record.space.as_str() {
        s if s == codec::ITEMS.name => {
            let item = codec::decode_item(codec::ITEMS.name, &full, &record.value)?;
            execute(
                tx,
                "INSERT INTO items (id, state, published, sources, revision, record)
                 VALUES ($1, $2, $3, $4, $5, $6::text::json)",
                &[
                    &item.id.as_str(),
                    &i16::from(codec::state_byte(item.state)),
                    &item.published,
                    &item.sources,
                    &big(item.revision),
                    &value,
                ],
            )
            .await?;
        }
        s if s == codec::IDX_URL.name => {
            execute(tx, "INSERT INTO item_urls (url, item_id) VALUES ($1, $2)", &[&key()?, &value]).await?;
        }
        s if s == codec::IDX_GUID.name => {
            let (source, guid) = codec::decode_guid_key(&full).ok_or_else(|| bad("not a guid key"))?;
            let sql = "INSERT INTO item_guids (source_id, guid, item_id) VALUES ($1, $2, $3)";
            execute(tx, sql, &[&source, &guid, &value]).await?;
        }
        s if s == codec::FETCH_STATE.name => {
            execute(tx, &upsert("fetch_states", "source_id"), &[&key()?, &value]).await?;
        }
        s if s == codec::EXTRACTS.name => {
            execute(tx, &upsert("extracts", "item_id"), &[&key()?, &value]).await?;
        }
        s if s == codec::PAGES.name => {
            execute(tx, &upsert("page_caches", "url"), &[&key()?, &value]).await?;
        }
        s if s == codec::USERS.name => {
            execute(tx, &upsert("users", "name"), &[&key()?, &value]).await?;
        }
        s if s == codec::TOKENS.name => {
            execute(tx, &upsert("api_tokens", "hash"), &[&key()?, &value]).await?;
        }
        s if s == codec::ISSUES.name => {
            let number = codec::decode_issue_key(&full).ok_or_else(|| bad("not an issue number"))?;
            execute(tx, &upsert("issues", "number"), &[&i64::from(number), &value]).await?;
        }
        s if s == codec::AUDIT.name => {
            let entry = codec::decode_audit(codec::AUDIT.name, &full, &record.value)?;
            execute(
                tx,
                "INSERT INTO audit (item_id, revision, at, record) VALUES ($1, $2, $3, $4::text::json)",
                &[&entry.item_id.as_str(), &big(entry.revision), &entry.at, &value],
            )
            .await?;
        }
        // Derived: exports before prints were left out carry them, and the
        // item records already say each item's story.
        s if s == codec::STORIES.name => {}
        _ => return Err(bad("a key space this store does not hold").into()),
    }
    Ok(())
}

impl PgStore {
    pub(super) fn export_all(
        &self,
        visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
            export(tx, visit).await
        })
    }

    pub(super) fn import_all(&self, records: &[RawRecord]) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            for record in records {
                import_one(tx, record).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReviewState;

    #[test]
    fn derived_index_keys_split_into_their_spaces() {
        let id = ItemId::derive("s", "g");
        let state = raw(&codec::state_key(ReviewState::New, chrono::DateTime::UNIX_EPOCH, &id), Vec::new());
        assert_eq!(state.expect("a state key").space, codec::IDX_STATE.name);
        assert!(raw(b"no-space", Vec::new()).is_err());
    }
}
