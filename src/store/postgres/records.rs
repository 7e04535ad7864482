//! Fetch state, editors' writes with their audit trail, users and tokens,
//! issues, and operations on PostgreSQL.

use std::collections::HashMap;

use super::super::codec::{self, AUDIT, FETCH_STATE, ISSUES, PAGES, TOKENS, USERS};
use super::super::{
    EditorialStore, EditorialWrite, FetchStateStore, IssueStore, OpsStore, PageCache, StoreError, UserStore,
};
use super::items::load;
use super::{Failure, PgStore, Tx, big, execute, query};
use crate::model::{ApiToken, AuditEntry, EditorFields, FetchState, Issue, Item, ItemId, ReviewState, User};

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("the codec writes UTF-8 JSON")
}

/// Every row's `record` of one statement, decoded.
async fn records<T>(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    table: &'static str,
    decode: codec::Decode<T>,
) -> Result<Vec<T>, Failure> {
    let rows = query(tx, sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let (key, record): (String, &str) = (row.get(0), row.get(1));
        out.push(decode(table, key.as_bytes(), record.as_bytes())?);
    }
    Ok(out)
}

/// The first row's record, decoded.
async fn record<T>(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    table: &'static str,
    decode: codec::Decode<T>,
) -> Result<Option<T>, Failure> {
    Ok(records(tx, sql, params, table, decode).await?.into_iter().next())
}

/// One editors' write on `item` (already read and checked): the optimistic
/// `UPDATE … WHERE revision = $n`. Zero rows means another writer got there
/// between the read and this write: stale.
async fn write_editorial(
    tx: &Tx<'_>,
    mut item: Item,
    state: ReviewState,
    editor: Option<&EditorFields>,
) -> Result<Item, Failure> {
    let expected = item.revision;
    item.state = state;
    if let Some(editor) = editor {
        item.editor = editor.clone();
    }
    item.revision += 1;
    let record = codec::encode_item(&item);
    let written = execute(
        tx,
        "UPDATE items SET state = $2, revision = $3, record = $4::text::json WHERE id = $1 AND revision = $5",
        &[&item.id.as_str(), &i16::from(codec::state_byte(state)), &big(item.revision), &text(&record), &big(expected)],
    )
    .await?;
    if written == 0 {
        let found = load(tx, &item.id, false).await?.map_or(expected, |now| now.revision);
        return Err(StoreError::StaleRevision { id: item.id.clone(), expected, found }.into());
    }
    Ok(item)
}

/// Reads an item for an editors' write and checks its revision.
async fn checked(tx: &Tx<'_>, id: &ItemId, expected: u64) -> Result<Item, Failure> {
    let item = load(tx, id, false).await?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })?;
    if item.revision != expected {
        return Err(StoreError::StaleRevision { id: id.clone(), expected, found: item.revision }.into());
    }
    Ok(item)
}

impl FetchStateStore for PgStore {
    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT source_id, record::text FROM fetch_states WHERE source_id = $1";
            record(tx, sql, &[&source_id], FETCH_STATE.name, codec::decode_fetch_state).await
        })
    }

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError> {
        let encoded = codec::encode_fetch_state(state);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO fetch_states (source_id, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (source_id) DO UPDATE SET record = EXCLUDED.record",
                &[&source_id, &text(&encoded)],
            )
            .await?;
            Ok(())
        })
    }

    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT url, record::text FROM page_caches WHERE url = $1";
            record(tx, sql, &[&url], PAGES.name, codec::decode_page_cache).await
        })
    }

    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError> {
        let encoded = codec::encode_page_cache(cache);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO page_caches (url, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (url) DO UPDATE SET record = EXCLUDED.record",
                &[&url, &text(&encoded)],
            )
            .await?;
            Ok(())
        })
    }
}

impl EditorialStore for PgStore {
    fn update_editorial(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
    ) -> Result<Item, StoreError> {
        self.transaction(async |tx| {
            let item = checked(tx, id, expected_revision).await?;
            write_editorial(tx, item, state, Some(editor)).await
        })
    }

    fn apply_edits(&self, writes: &[EditorialWrite]) -> Result<Vec<Item>, StoreError> {
        self.transaction(async |tx| {
            // Items written earlier in this call, so one item named twice chains its revisions.
            let mut staged: HashMap<ItemId, Item> = HashMap::new();
            let mut out = Vec::with_capacity(writes.len());
            for write in writes {
                let item = match staged.remove(&write.id) {
                    Some(item) if item.revision == write.expected_revision => item,
                    Some(item) => {
                        let (expected, found) = (write.expected_revision, item.revision);
                        return Err(StoreError::StaleRevision { id: write.id.clone(), expected, found }.into());
                    }
                    None => checked(tx, &write.id, write.expected_revision).await?,
                };
                // Any failure returns before the commit: nothing of the call is written.
                let item = write_editorial(tx, item, write.state, Some(&write.editor)).await?;
                let mut entry = write.audit.clone();
                entry.item_id = write.id.clone();
                entry.revision = item.revision;
                let encoded = codec::encode_audit(&entry);
                execute(
                    tx,
                    "INSERT INTO audit (item_id, revision, at, record) VALUES ($1, $2, $3, $4::text::json)",
                    &[&write.id.as_str(), &big(item.revision), &entry.at, &text(&encoded)],
                )
                .await?;
                out.push(item.clone());
                staged.insert(write.id.clone(), item);
            }
            Ok(out)
        })
    }

    fn audit_for(&self, id: &ItemId) -> Result<Vec<AuditEntry>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT item_id, record::text FROM audit WHERE item_id = $1 ORDER BY revision DESC";
            records(tx, sql, &[&id.as_str()], AUDIT.name, codec::decode_audit).await
        })
    }

    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = big(limit as u64);
        self.transaction(async |tx| {
            let sql = "SELECT item_id, record::text FROM audit ORDER BY at DESC, item_id DESC, revision DESC LIMIT $1";
            records(tx, sql, &[&limit], AUDIT.name, codec::decode_audit).await
        })
    }
}

impl UserStore for PgStore {
    fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        let encoded = codec::encode_user(user);
        self.transaction(async |tx| {
            let sql = "INSERT INTO users (name, record) VALUES ($1, $2::text::json) ON CONFLICT DO NOTHING";
            Ok(execute(tx, sql, &[&user.name, &text(&encoded)]).await? == 1)
        })
    }

    fn put_user(&self, user: &User) -> Result<(), StoreError> {
        let encoded = codec::encode_user(user);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO users (name, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record",
                &[&user.name, &text(&encoded)],
            )
            .await?;
            Ok(())
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT name, record::text FROM users WHERE name = $1";
            record(tx, sql, &[&name], USERS.name, codec::decode_user).await
        })
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.transaction(async |tx| {
            records(tx, "SELECT name, record::text FROM users ORDER BY name", &[], USERS.name, codec::decode_user).await
        })
    }

    fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        self.transaction(async |tx| Ok(execute(tx, "DELETE FROM users WHERE name = $1", &[&name]).await? == 1))
    }

    fn put_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let encoded = codec::encode_token(token);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO api_tokens (hash, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (hash) DO UPDATE SET record = EXCLUDED.record",
                &[&token.hash, &text(&encoded)],
            )
            .await?;
            Ok(())
        })
    }

    fn token(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT hash, record::text FROM api_tokens WHERE hash = $1";
            record(tx, sql, &[&hash], TOKENS.name, codec::decode_token).await
        })
    }

    fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT hash, record::text FROM api_tokens ORDER BY hash";
            records(tx, sql, &[], TOKENS.name, codec::decode_token).await
        })
    }

    fn remove_token(&self, hash: &str) -> Result<bool, StoreError> {
        self.transaction(async |tx| Ok(execute(tx, "DELETE FROM api_tokens WHERE hash = $1", &[&hash]).await? == 1))
    }
}

/// An issue number as PostgreSQL's `bigint` (a `u32` does not fit `integer`).
fn number(n: u32) -> i64 {
    i64::from(n)
}

async fn put_issue_row(tx: &Tx<'_>, issue: &Issue) -> Result<(), Failure> {
    let encoded = codec::encode_issue(issue);
    execute(
        tx,
        "INSERT INTO issues (number, record) VALUES ($1, $2::text::json)
         ON CONFLICT (number) DO UPDATE SET record = EXCLUDED.record",
        &[&number(issue.number), &text(&encoded)],
    )
    .await?;
    Ok(())
}

impl IssueStore for PgStore {
    fn issues(&self) -> Result<Vec<Issue>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT number::text, record::text FROM issues ORDER BY issues.number";
            records(tx, sql, &[], ISSUES.name, codec::decode_issue).await
        })
    }

    fn issue(&self, n: u32) -> Result<Option<Issue>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT number::text, record::text FROM issues WHERE number = $1";
            record(tx, sql, &[&number(n)], ISSUES.name, codec::decode_issue).await
        })
    }

    fn put_issue(&self, issue: &Issue) -> Result<(), StoreError> {
        self.transaction(async |tx| put_issue_row(tx, issue).await)
    }

    fn finish_issue(&self, issue: &Issue, items: &[(ItemId, u64)]) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            // Each item's revision as first read; an id listed again is checked
            // against it and not moved twice.
            let mut read: HashMap<&ItemId, u64> = HashMap::with_capacity(items.len());
            for (id, expected) in items {
                if let Some(&found) = read.get(id) {
                    if found != *expected {
                        return Err(StoreError::StaleRevision { id: id.clone(), expected: *expected, found }.into());
                    }
                    continue;
                }
                let item = checked(tx, id, *expected).await?;
                read.insert(id, item.revision);
                write_editorial(tx, item, ReviewState::Published, None).await?;
            }
            put_issue_row(tx, issue).await
        })
    }
}

impl OpsStore for PgStore {
    fn flush(&self) -> Result<(), StoreError> {
        // Every write is a committed transaction, durable when it returns.
        Ok(())
    }

    fn health_check(&self) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO health_probe (id, at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = now()",
                &[],
            )
            .await?;
            execute(tx, "DELETE FROM health_probe WHERE id = 1", &[]).await?;
            Ok(())
        })
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.transaction(async |tx| {
            let rows = query(
                tx,
                "SELECT NOT (EXISTS (SELECT 1 FROM items) OR EXISTS (SELECT 1 FROM item_urls)
                     OR EXISTS (SELECT 1 FROM fetch_states) OR EXISTS (SELECT 1 FROM page_caches)
                     OR EXISTS (SELECT 1 FROM audit) OR EXISTS (SELECT 1 FROM users)
                     OR EXISTS (SELECT 1 FROM api_tokens) OR EXISTS (SELECT 1 FROM issues)
                     OR EXISTS (SELECT 1 FROM quote_records) OR EXISTS (SELECT 1 FROM speaker_map)
                     OR EXISTS (SELECT 1 FROM subscribers) OR EXISTS (SELECT 1 FROM subscriber_tokens)
                     OR EXISTS (SELECT 1 FROM mail_jobs) OR EXISTS (SELECT 1 FROM mail_sends)
                     OR EXISTS (SELECT 1 FROM webhook_deliveries) OR EXISTS (SELECT 1 FROM outbox_cursors)
                     OR EXISTS (SELECT 1 FROM watchlists))",
                &[],
            )
            .await?;
            Ok(rows.first().is_some_and(|row| row.get::<_, bool>(0)))
        })
    }

    fn export_records(
        &self,
        visit: &mut dyn FnMut(super::super::RawRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.export_all(visit)
    }

    fn import_records(&self, records: &[super::super::RawRecord]) -> Result<(), StoreError> {
        self.import_all(records)
    }

    fn shared(&self) -> Option<&dyn super::super::SharedWork> {
        Some(self)
    }
}
