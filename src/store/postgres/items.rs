//! Items on PostgreSQL: the upsert that merges copies of one article, extractions,
//! retention and listings. The rules are the model's (see the module docs of
//! `postgres`); this file only reads, locks and writes rows.

use std::collections::HashSet;

use super::super::codec::{self, EXTRACTS, ITEMS};
use super::super::{Extraction, ItemQuery, ItemStore, StoreError, UpsertReport};
use super::{Failure, PgStore, Tx, big, execute, query};
use crate::model::{Item, ItemId, Link, NewItem, Quote, ReviewState};

/// Most items per transaction in an upsert: each item stays atomic with its
/// index rows; grouping saves commits, and keeping it modest bounds how long
/// one writer holds the locks of a huge feed.
const ITEMS_PER_TRANSACTION: usize = 256;

/// An advisory-lock key: the first 8 bytes of BLAKE3 over a kind and a value.
/// A collision only makes two unrelated writes take turns.
fn lock_key(kind: &str, parts: &[&str]) -> i64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(kind.as_bytes());
    for part in parts {
        hasher.update(&[0]);
        hasher.update(part.as_bytes());
    }
    let bytes = hasher.finalize();
    let mut first = [0; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    i64::from_be_bytes(first)
}

/// The locks an upsert of `items` takes: each entry's id, canonical URL and
/// guid, sorted (the order every writer takes them in, so none deadlock).
fn upsert_locks(items: &[(ItemId, String, &NewItem)]) -> Vec<i64> {
    let mut keys: Vec<i64> = Vec::with_capacity(items.len() * 3);
    for (id, _, new) in items {
        keys.push(lock_key("id", &[id.as_str()]));
        if let Some(url) = &new.url {
            keys.push(lock_key("url", &[url]));
        }
        if let Some(guid) = &new.guid {
            keys.push(lock_key("guid", &[&new.source_id, guid]));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn state_code(state: ReviewState) -> i16 {
    i16::from(codec::state_byte(state))
}

fn text(bytes: &[u8]) -> &str {
    // Every codec encoder writes JSON through serde_json, which is UTF-8.
    std::str::from_utf8(bytes).expect("the codec writes UTF-8 JSON")
}

/// Reads an item, locking its row for this transaction when `lock`.
pub(super) async fn load(tx: &Tx<'_>, id: &ItemId, lock: bool) -> Result<Option<Item>, Failure> {
    let sql = if lock {
        "SELECT record::text FROM items WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT record::text FROM items WHERE id = $1"
    };
    let rows = query(tx, sql, &[&id.as_str()]).await?;
    let Some(row) = rows.first() else { return Ok(None) };
    let record: &str = row.get(0);
    Ok(Some(codec::decode_item(ITEMS.name, id.as_str().as_bytes(), record.as_bytes())?))
}

/// Writes an item's row (insert or replace) with the columns queries use.
pub(super) async fn save(tx: &Tx<'_>, item: &Item) -> Result<(), Failure> {
    let record = codec::encode_item(item);
    execute(
        tx,
        "INSERT INTO items (id, state, published, sources, revision, record)
         VALUES ($1, $2, $3, $4, $5, $6::text::json)
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, published = EXCLUDED.published,
             sources = EXCLUDED.sources, revision = EXCLUDED.revision, record = EXCLUDED.record",
        &[
            &item.id.as_str(),
            &state_code(item.state),
            &item.published,
            &item.sources,
            &big(item.revision),
            &text(&record),
        ],
    )
    .await?;
    Ok(())
}

/// The item an index row points at, locked; a dangling row counts as absent.
async fn load_owner(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Option<Item>, Failure> {
    let rows = query(tx, sql, params).await?;
    let Some(row) = rows.first() else { return Ok(None) };
    let owner: &str = row.get(0);
    let id = codec::decode_item_id(owner.as_bytes())
        .ok_or_else(|| codec::corrupt(codec::IDX_URL.name, owner.as_bytes(), "not an item id"))?;
    load(tx, &id, true).await
}

/// How an incoming entry matched a stored item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matched {
    Id,
    Url,
    Guid,
}

/// The stored item this entry is a copy of: by id, canonical URL, then this
/// source's guid (the sled writer's `find`).
async fn find(tx: &Tx<'_>, id: &ItemId, new: &NewItem) -> Result<Option<(Matched, Item)>, Failure> {
    if let Some(item) = load(tx, id, true).await? {
        return Ok(Some((Matched::Id, item)));
    }
    if let Some(url) = &new.url {
        if let Some(item) = load_owner(tx, "SELECT item_id FROM item_urls WHERE url = $1", &[url]).await? {
            return Ok(Some((Matched::Url, item)));
        }
    }
    if let Some(guid) = &new.guid {
        let sql = "SELECT item_id FROM item_guids WHERE source_id = $1 AND guid = $2";
        if let Some(item) = load_owner(tx, sql, &[&new.source_id, guid]).await? {
            return Ok(Some((Matched::Guid, item)));
        }
    }
    Ok(None)
}

/// Upserts one entry; see [`ItemStore::upsert_items`] for the rules.
async fn upsert_one(
    tx: &Tx<'_>,
    id: &ItemId,
    hash: &str,
    new: &NewItem,
    report: &mut UpsertReport,
) -> Result<(), Failure> {
    let Some((matched, mut item)) = find(tx, id, new).await? else {
        let item = Item::first_sighting(id.clone(), hash.to_owned(), new);
        if let Some(url) = &item.url {
            // `find` saw no item under this URL (or a dangling row): claim it.
            execute(
                tx,
                "INSERT INTO item_urls (url, item_id) VALUES ($1, $2)
                 ON CONFLICT (url) DO UPDATE SET item_id = EXCLUDED.item_id",
                &[url, &id.as_str()],
            )
            .await?;
        }
        save(tx, &item).await?;
        report.new.push(item.id);
        return Ok(());
    };
    let mut changed = item.also_from(&new.source_id);
    if let (Matched::Url, Some(guid)) = (matched, &new.guid) {
        // As in sled: the id does not follow from this source's guid, so the
        // guid is recorded to find the item again if its URL changes.
        execute(
            tx,
            "INSERT INTO item_guids (source_id, guid, item_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&new.source_id, guid, &item.id.as_str()],
        )
        .await?;
    }
    if item.follows_feed_change(hash, &new.source_id) {
        if item.url != new.url {
            if let Some(old) = &item.url {
                execute(tx, "DELETE FROM item_urls WHERE url = $1 AND item_id = $2", &[old, &item.id.as_str()]).await?;
            }
            if let Some(url) = &new.url {
                // Another item may already own the new URL; the first claim stands.
                execute(
                    tx,
                    "INSERT INTO item_urls (url, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[url, &item.id.as_str()],
                )
                .await?;
            }
        }
        item.take_feed_fields(new, hash);
        changed = true;
    }
    if changed {
        item.revision += 1;
        save(tx, &item).await?;
        report.updated.push(item.id);
    } else {
        report.unchanged += 1;
    }
    Ok(())
}

/// Stores an extraction of a stored item (see [`ItemStore::put_extraction`]).
async fn stage_extraction(tx: &Tx<'_>, id: &ItemId, extraction: &Extraction) -> Result<(), Failure> {
    let mut item = load(tx, id, true).await?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })?;
    let found = !extraction.quotes.is_empty() || !extraction.links.is_empty();
    let record = found.then(|| codec::encode_extract(&extraction.quotes, &extraction.links));
    let stored: Option<String> = query(tx, "SELECT record::text FROM extracts WHERE item_id = $1", &[&id.as_str()])
        .await?
        .first()
        .map(|row| row.get(0));
    // `json` keeps the text as written, so bytes compare as sled's values do.
    let changed = stored.as_deref().map(str::as_bytes) != record.as_deref();
    match &record {
        Some(record) => {
            execute(
                tx,
                "INSERT INTO extracts (item_id, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (item_id) DO UPDATE SET record = EXCLUDED.record",
                &[&id.as_str(), &text(record)],
            )
            .await?;
        }
        None if stored.is_some() => {
            execute(tx, "DELETE FROM extracts WHERE item_id = $1", &[&id.as_str()]).await?;
        }
        None => {}
    }
    item.take_extraction(extraction, changed);
    save(tx, &item).await
}

impl PgStore {
    fn upsert_chunk(&self, chunk: &[(ItemId, String, &NewItem)]) -> Result<UpsertReport, StoreError> {
        let locks = upsert_locks(chunk);
        self.transaction(async |tx| {
            query(tx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", &[&locks]).await?;
            let mut report = UpsertReport::default();
            for (id, hash, new) in chunk {
                upsert_one(tx, id, hash, new, &mut report).await?;
            }
            Ok(report)
        })
    }

    /// One extract record (empty when the item has none).
    fn extract_record(&self, id: &ItemId) -> Result<codec::ExtractRecord, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT record::text FROM extracts WHERE item_id = $1", &[&id.as_str()]).await?;
            match rows.first() {
                Some(row) => {
                    let record: &str = row.get(0);
                    Ok(codec::decode_extract(EXTRACTS.name, id.as_str().as_bytes(), record.as_bytes())?)
                }
                None => Ok(codec::ExtractRecord::default()),
            }
        })
    }
}

impl ItemStore for PgStore {
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError> {
        let prepared: Vec<(ItemId, String, &NewItem)> =
            items.iter().map(|new| (new.id(), new.content_hash(), new)).collect();
        let mut report = UpsertReport::default();
        let mut new_ids = HashSet::new();
        let mut updated_ids = HashSet::new();
        for chunk in prepared.chunks(ITEMS_PER_TRANSACTION) {
            let part = self.upsert_chunk(chunk)?;
            report.unchanged += part.unchanged;
            for id in part.new {
                new_ids.insert(id.clone());
                report.new.push(id);
            }
            // An item new in this call and changed again later in it is reported once, as new.
            for id in part.updated {
                if !new_ids.contains(&id) && updated_ids.insert(id.clone()) {
                    report.updated.push(id);
                }
            }
        }
        Ok(report)
    }

    fn remove_untouched(&self, source: &str, ids: &[ItemId]) -> Result<Vec<ItemId>, StoreError> {
        self.transaction(async |tx| {
            let mut removed = Vec::new();
            for id in ids {
                let Some(item) = load(tx, id, true).await? else { continue };
                let audited =
                    !query(tx, "SELECT 1 FROM audit WHERE item_id = $1 LIMIT 1", &[&id.as_str()]).await?.is_empty();
                if item.sources != [source] || !item.untouched_by_editors() || audited {
                    continue;
                }
                let key = id.as_str();
                execute(tx, "DELETE FROM items WHERE id = $1", &[&key]).await?;
                execute(tx, "DELETE FROM extracts WHERE item_id = $1", &[&key]).await?;
                if let Some(url) = &item.url {
                    execute(tx, "DELETE FROM item_urls WHERE url = $1 AND item_id = $2", &[url, &key]).await?;
                    execute(tx, "DELETE FROM page_caches WHERE url = $1", &[url]).await?;
                }
                if let Some(guid) = &item.guid {
                    execute(
                        tx,
                        "DELETE FROM item_guids WHERE source_id = $1 AND guid = $2 AND item_id = $3",
                        &[&source, guid, &key],
                    )
                    .await?;
                }
                removed.push(id.clone());
            }
            Ok(removed)
        })
    }

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        self.transaction(async |tx| load(tx, id, false).await)
    }

    fn item_by_url(&self, url: &str) -> Result<Option<Item>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(
                tx,
                "SELECT i.record::text FROM item_urls u JOIN items i ON i.id = u.item_id WHERE u.url = $1",
                &[&url],
            )
            .await?;
            let Some(row) = rows.first() else { return Ok(None) };
            let record: &str = row.get(0);
            Ok(Some(codec::decode_item(ITEMS.name, url.as_bytes(), record.as_bytes())?))
        })
    }

    fn items(&self, q: &ItemQuery) -> Result<Vec<Item>, StoreError> {
        let state = q.state.map(state_code);
        let limit = q.limit.map(|n| big(n as u64));
        self.transaction(async |tx| {
            let rows = query(
                tx,
                "SELECT id, record::text FROM items
                 WHERE ($1::smallint IS NULL OR state = $1)
                   AND ($2::text IS NULL OR $2 = ANY (sources))
                   AND ($3::timestamptz IS NULL OR published >= $3)
                 ORDER BY published DESC, id DESC
                 LIMIT $4",
                &[&state, &q.source, &q.since, &limit],
            )
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let (id, record): (&str, &str) = (row.get(0), row.get(1));
                out.push(codec::decode_item(ITEMS.name, id.as_bytes(), record.as_bytes())?);
            }
            Ok(out)
        })
    }

    fn item_count(&self) -> Result<usize, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT count(*) FROM items", &[]).await?;
            Ok(rows.first().map_or(0, |row| usize::try_from(row.get::<_, i64>(0)).unwrap_or(0)))
        })
    }

    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError> {
        let rows = self.transaction(async |tx| {
            let rows = query(tx, "SELECT state, count(*) FROM items GROUP BY state", &[]).await?;
            Ok(rows.iter().map(|row| (row.get::<_, i16>(0), row.get::<_, i64>(1))).collect::<Vec<_>>())
        })?;
        Ok(ReviewState::ALL
            .into_iter()
            .map(|state| {
                let n = rows.iter().find(|(code, _)| *code == state_code(state)).map_or(0, |(_, n)| *n);
                (state, usize::try_from(n).unwrap_or(0))
            })
            .collect())
    }

    fn put_extraction(&self, id: &ItemId, extraction: &Extraction) -> Result<(), StoreError> {
        self.transaction(async |tx| stage_extraction(tx, id, extraction).await)
    }

    fn put_extractions(&self, extractions: &[(ItemId, Extraction)]) -> Vec<Result<(), StoreError>> {
        // One transaction for all; an unknown item fails its own entry only.
        let outcome = self.transaction(async |tx| {
            let mut results = Vec::with_capacity(extractions.len());
            for (id, extraction) in extractions {
                match stage_extraction(tx, id, extraction).await {
                    Err(Failure::Store(e)) => results.push(Err(e)),
                    other => results.push(other.map_err(Failure::into_store)),
                }
            }
            // A database error aborted the transaction: nothing was written.
            if results.iter().any(|r| matches!(r, Err(StoreError::Io(_)))) {
                let reason = results.iter().find_map(|r| r.as_ref().err()).map(ToString::to_string);
                return Err(StoreError::Io(reason.unwrap_or_default()).into());
            }
            Ok(results)
        });
        outcome.unwrap_or_else(|error| {
            let reason = error.to_string();
            extractions.iter().map(|_| Err(StoreError::Io(reason.clone()))).collect()
        })
    }

    fn record_extraction_attempt(
        &self,
        id: &ItemId,
        content_hash: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            let mut item = load(tx, id, true).await?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })?;
            item.extracted_for = Some(content_hash.to_owned());
            if let Some(failure) = failure {
                if item.extraction_note.as_deref() != Some(failure) {
                    item.extraction_note = Some(failure.to_owned());
                    item.revision += 1;
                }
            }
            save(tx, &item).await
        })
    }

    fn put_stories(&self, stories: &[(ItemId, ItemId)]) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            for (id, story) in stories {
                let Some(mut item) = load(tx, id, true).await? else { continue };
                if item.story.as_ref() != Some(story) {
                    item.story = Some(story.clone());
                    save(tx, &item).await?;
                }
            }
            Ok(())
        })
    }

    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError> {
        Ok(self.extract_record(id)?.quotes)
    }

    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError> {
        Ok(self.extract_record(id)?.links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_sorted_unique_and_separate_kinds() {
        assert_ne!(lock_key("id", &["x"]), lock_key("url", &["x"]));
        assert_ne!(lock_key("guid", &["a", "bc"]), lock_key("guid", &["ab", "c"]));
        let new = NewItem {
            source_id: "s".to_owned(),
            guid: Some("g".to_owned()),
            url: Some("https://e.org/a".to_owned()),
            title: "t".to_owned(),
            authors: vec![],
            published: chrono::DateTime::UNIX_EPOCH,
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: None,
            fetched_at: chrono::DateTime::UNIX_EPOCH,
        };
        let entries = [(new.id(), String::new(), &new), (new.id(), String::new(), &new)];
        let keys = upsert_locks(&entries);
        assert_eq!(keys.len(), 3);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }
}
