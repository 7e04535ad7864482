//! The sled implementation of [`Store`]: the only file that imports sled.
//!
//! Every record and index lives in one tree under versioned key prefixes
//! (layouts in [`super::codec`]), so that an item and every index entry it
//! owns are written with one `apply_batch`: sled applies a batch atomically,
//! both for concurrent readers and across a crash (the batch is sealed in the
//! log as one unit), so a crash leaves either the old or the new item with
//! matching indexes, never a mix. A batch costs a fraction of a multi-tree
//! transaction, which is what bounds ingest speed.
//!
//! Batches cannot read, so every write that depends on what is stored (the
//! upsert's dedup, editorial writes, extractions) reads, decides and applies
//! its batch while holding [`SledStore`]'s writer lock; the reads see
//! everything committed before, and the decisions cannot race another writer
//! in this process (sled lets only one process open a store). Plain reads take
//! no lock: each batch becomes visible whole.
//!
//! Time-ordered indexes hold no values: their keys end with the item id, and
//! the item record says which keys it owns (its `published` time and its
//! `state`), so no inverse indexes are needed to remove old keys. Each item
//! owns as few keys as the queries need, because every key costs sled about
//! 5 µs of CPU to write: its record, its URL and one state key. There is no
//! separate "all items by date" index: the state index already holds every
//! item in date order within each state, and a listing without a state
//! merges those five ranges. A listing by source walks the same ranges and
//! checks the record's `sources` (schema v4 dropped the per-source index;
//! see `migrate.rs`). A guid entry is written only when it says something
//! the item id does not (another source's guid for a merged item; see
//! [`Writer::upsert_one`]).
//!
//! Quotes and links follow the same rule: all of an item's quotes and links
//! are one `extracts.v3/` record under its id (one write, however many links
//! an article has), the counts live in the item record (an item with neither
//! owns no record), and [`Store::put_extraction`] rewrites the item and that
//! record in one batch.
//!
//! This module must not decide anything about review rules or feed parsing;
//! it stores what it is given.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sled::{Batch, Config, Db, IVec, Tree};

use super::codec::{self, Decode, EXTRACTS, FETCH_STATE, IDX_GUID, IDX_STATE, IDX_URL, ITEMS, PAGES, Space, corrupt};
use super::migrate::{self, MigrationTarget, Visit};
use super::{Extraction, ItemQuery, PageCache, Store, StoreError, UpsertReport};
use crate::model::{EditorFields, FetchState, Item, ItemId, Link, NewItem, Quote, ReviewState};

/// Default page cache size (`store_cache_mib` in the config overrides it).
/// sled's own default (1 GiB) would let a long poll of 2,000 feeds grow far
/// past our 100 MiB RSS budget. Measured on the ingest benchmark (`cargo
/// bench --bench ingest`, 2 cores): 16 MiB against 8 MiB takes the
/// in-process ingest from about 19,000 to 23,000 items/s and the cold
/// 2,000-feed poll from 5.4 to 4.6 s (fewer item pages evicted and read back
/// from the log) for about 3 MiB more peak RSS; 24 MiB and more pushed the
/// poller past 100 MiB. A store far larger than a day of polls may want more.
const CACHE_CAPACITY_BYTES: u64 = 16 * 1024 * 1024;

/// Most items per batch in [`SledStore::upsert_items`]. Each item still lands
/// atomically with its indexes; grouping amortizes sled's per-batch cost (the
/// global write lock, a sealed log batch). Kept modest so that readers and
/// other writers are not held up for long and a huge feed is not one huge batch.
const ITEMS_PER_BATCH: usize = 256;

const META: &str = "meta";
const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";
/// Written and removed again by [`Store::health_check`].
const HEALTH_PROBE_KEY: &[u8] = b"health_probe";

/// A sled-backed store. Cloning is cheap and shares the open database (and
/// its writer lock): open a path once per process and clone the handle.
#[derive(Clone)]
pub struct SledStore {
    db: Db,
    /// The one tree of records and indexes ([`codec::TREE`]).
    tree: Tree,
    /// Held around every read-decide-write (see the module docs).
    writer: Arc<Mutex<()>>,
    /// The path as given, for error messages.
    path: Arc<str>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (or creates) the store at `path`, migrating an older layout.
    ///
    /// Fails with [`StoreError::Open`] when the path is unusable or already
    /// open (by another process, or by another handle in this one), and with
    /// [`StoreError::TooNew`] when a newer Gleaner wrote it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(path, CACHE_CAPACITY_BYTES)
    }

    /// [`SledStore::open`] with a page cache of `cache_bytes` instead of the default.
    pub fn open_with_cache(path: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let config = base_config(cache_bytes).path(path);
        // sled releases its file lock from its I/O threads, a moment after the
        // last handle is dropped; a reopen in that moment (a command that
        // closes and reopens, a test) would be refused as "in use". So a held
        // lock is retried briefly before it is reported.
        let db = open_when_unlocked(&config).map_err(|e| open_error(&shown, &e))?;
        Self::from_db(db, shown)
    }

    /// A store in a fresh temporary directory, deleted when the last clone is
    /// dropped (tests, `preview`).
    pub fn temporary() -> Result<Self, StoreError> {
        let shown = "(temporary store)".to_owned();
        let db = base_config(CACHE_CAPACITY_BYTES).temporary(true).open().map_err(|e| open_error(&shown, &e))?;
        Self::from_db(db, shown)
    }

    fn from_db(db: Db, path: String) -> Result<Self, StoreError> {
        let meta = db.open_tree(META).map_err(io)?;
        migrate::bring_up_to_date(&SledTarget { db: &db, meta: &meta }, &path)?;
        let tree = db.open_tree(codec::TREE).map_err(io)?;
        Ok(Self { db, tree, writer: Arc::new(Mutex::new(())), path: path.into() })
    }

    /// The writer lock. Poisoning carries no meaning here: the lock guards no
    /// data, and a panicking writer applied either its whole batch or nothing.
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Upserts one chunk of items in one batch, with the extractions (taken
    /// out of `extractions`) of those chunk items they still apply to (see
    /// [`Store::upsert_with_extractions`]); returns the chunk's report and
    /// pushes the ids whose extraction was staged onto `extracted`.
    fn upsert_chunk(
        &self,
        chunk: &[(ItemId, String, &NewItem)],
        extractions: &mut HashMap<ItemId, (&Extraction, EncodedExtraction)>,
        extracted: &mut Vec<ItemId>,
    ) -> Result<UpsertReport, StoreError> {
        let _writing = self.lock();
        let mut writer = Writer::new(&self.tree);
        let mut report = UpsertReport::default();
        for (id, hash, new) in chunk {
            writer.upsert_one(id, hash, new, &mut report)?;
        }
        for (id, _, _) in chunk {
            let Some((extraction, encoded)) = extractions.remove(id) else { continue };
            let hash = extraction.content_hash.as_str();
            // Only what the upsert left under this id with this content, not yet extracted for it.
            let applies = writer
                .load(id)?
                .is_some_and(|item| item.content_hash == hash && item.extracted_for.as_deref() != Some(hash));
            if applies {
                // Staged after the item's own writes, so item, indexes and extraction land together.
                writer.stage_extraction(id, extraction, encoded)?;
                extracted.push(id.clone());
            }
        }
        writer.commit()?;
        Ok(report)
    }

    /// Reads and decodes one record.
    fn record<T>(&self, space: Space, key: &[u8], decode: Decode<T>) -> Result<Option<T>, StoreError> {
        self.tree.get(key).map_err(io)?.map(|bytes| decode(space.name, key, &bytes)).transpose()
    }

    /// One item's quotes and links (empty when it has none).
    fn extract_record(&self, id: &ItemId) -> Result<codec::ExtractRecord, StoreError> {
        Ok(self.record(EXTRACTS, &codec::extract_key(id), codec::decode_extract)?.unwrap_or_default())
    }

    /// Reads the item an index entry points at; a dangling entry is logged and
    /// skipped, so one damaged entry cannot hide the rest of a listing.
    fn indexed_item(&self, index: &'static str, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let item = self.item(id)?;
        if item.is_none() {
            tracing::warn!(index, id = %id, "index entry points at a missing item; skipped");
        }
        Ok(item)
    }

    /// Counts the keys under `prefix`.
    fn count_prefix(&self, prefix: &[u8]) -> Result<usize, StoreError> {
        let mut count = 0;
        for entry in self.tree.scan_prefix(prefix).keys() {
            entry.map_err(io)?;
            count += 1;
        }
        Ok(count)
    }

    /// Reads an item for a write under the lock, or fails with `UnknownItem`.
    fn item_for_write(&self, id: &ItemId) -> Result<Item, StoreError> {
        self.item(id)?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })
    }
}

impl Store for SledStore {
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError> {
        self.upsert_with_extractions(items, &[]).map(|(report, _)| report)
    }

    fn upsert_with_extractions(
        &self,
        items: &[NewItem],
        extractions: &[(ItemId, Extraction)],
    ) -> Result<(UpsertReport, Vec<ItemId>), StoreError> {
        // Hashing and encoding happen outside the lock, so other writers wait less.
        let prepared: Vec<(ItemId, String, &NewItem)> =
            items.iter().map(|new| (new.id(), new.content_hash(), new)).collect();
        let mut pending: HashMap<ItemId, (&Extraction, EncodedExtraction)> =
            extractions.iter().map(|(id, e)| (id.clone(), (e, EncodedExtraction::new(e)))).collect();
        let mut extracted = Vec::new();
        let mut report = UpsertReport::default();
        let mut new_ids = HashSet::new();
        let mut updated_ids = HashSet::new();
        for chunk in prepared.chunks(ITEMS_PER_BATCH) {
            let part = self.upsert_chunk(chunk, &mut pending, &mut extracted)?;
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
        Ok((report, extracted))
    }

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        self.record(ITEMS, &codec::item_key(id), codec::decode_item)
    }

    fn items(&self, query: &ItemQuery) -> Result<Vec<Item>, StoreError> {
        // The state index answers every listing; a source filter is checked on
        // the record (schema v4 has no per-source index, see `migrate.rs`).
        let states = query.state.map_or_else(|| ReviewState::ALL.to_vec(), |s| vec![s]);
        let prefixes: Vec<Vec<u8>> = states.into_iter().map(codec::state_prefix).collect();
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let ranges = prefixes.iter().map(|prefix| {
            let lower = query.since.map_or_else(|| prefix.clone(), |since| codec::time_lower_bound(prefix, since));
            let upper = codec::prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
            self.tree.range::<Vec<u8>, _>((Bound::Included(lower), upper)).rev()
        });
        // Every range shares its prefix length, so the rest of the key is [time][id].
        let prefix_len = prefixes.first().map_or(0, Vec::len);
        // Scans are not a snapshot: an item whose state changes mid-listing can
        // show up in two state ranges; list it once.
        let mut seen = HashSet::new();
        for key in NewestFirst::new(ranges.collect(), prefix_len) {
            let key = key?;
            let (_, _, id) =
                codec::decode_state_key(&key).ok_or_else(|| corrupt(IDX_STATE.name, &key, "not a valid index key"))?;
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some(item) = self.indexed_item(IDX_STATE.name, &id)? else { continue };
            let state_ok = query.state.is_none_or(|s| s == item.state);
            let source_ok = query.source.as_ref().is_none_or(|source| item.sources.contains(source));
            // The key holds the time at microsecond precision; compare exactly.
            let since_ok = query.since.is_none_or(|since| item.published >= since);
            if state_ok && since_ok && source_ok {
                out.push(item);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn item_count(&self) -> Result<usize, StoreError> {
        self.count_prefix(ITEMS.prefix)
    }

    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError> {
        self.record(FETCH_STATE, &codec::fetch_state_key(source_id), codec::decode_fetch_state)
    }

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError> {
        // One key, written whole: needs neither a batch nor the writer lock.
        self.tree.insert(codec::fetch_state_key(source_id), codec::encode_fetch_state(state)).map_err(io)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        // One log serves every tree, so this makes all of them durable.
        self.db.flush().map_err(io)?;
        Ok(())
    }

    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError> {
        ReviewState::ALL.into_iter().map(|state| Ok((state, self.count_prefix(&codec::state_prefix(state))?))).collect()
    }

    fn update_editorial(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
    ) -> Result<Item, StoreError> {
        let _writing = self.lock();
        let mut item = self.item_for_write(id)?;
        if item.revision != expected_revision {
            return Err(StoreError::StaleRevision {
                id: id.clone(),
                expected: expected_revision,
                found: item.revision,
            });
        }
        let mut batch = Batch::default();
        if item.state != state {
            batch.remove(codec::state_key(item.state, item.published, id));
            batch.insert(codec::state_key(state, item.published, id), IVec::default());
        }
        item.state = state;
        item.editor = editor.clone();
        item.revision += 1;
        batch.insert(codec::item_key(id), codec::encode_item(&item));
        self.tree.apply_batch(batch).map_err(io)?;
        Ok(item)
    }

    fn put_extraction(&self, id: &ItemId, extraction: &Extraction) -> Result<(), StoreError> {
        let encoded = EncodedExtraction::new(extraction);
        let _writing = self.lock();
        let mut writer = Writer::new(&self.tree);
        writer.stage_extraction(id, extraction, encoded)?;
        writer.commit()
    }

    fn put_extractions(&self, extractions: &[(ItemId, Extraction)]) -> Vec<Result<(), StoreError>> {
        let encoded: Vec<EncodedExtraction> = extractions.iter().map(|(_, e)| EncodedExtraction::new(e)).collect();
        let _writing = self.lock();
        let mut writer = Writer::new(&self.tree);
        let mut results: Vec<Result<(), StoreError>> = extractions
            .iter()
            .zip(encoded)
            .map(|((id, extraction), encoded)| writer.stage_extraction(id, extraction, encoded))
            .collect();
        // Each item's writes are complete in the batch before the next item's
        // are staged, so one batch for all keeps every item atomic.
        if let Err(error) = writer.commit() {
            let reason = error.to_string();
            for result in results.iter_mut().filter(|r| r.is_ok()) {
                *result = Err(StoreError::Io(reason.clone()));
            }
        }
        results
    }

    fn record_extraction_attempt(
        &self,
        id: &ItemId,
        content_hash: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let _writing = self.lock();
        let mut item = self.item_for_write(id)?;
        item.extracted_for = Some(content_hash.to_owned());
        if let Some(failure) = failure {
            if item.extraction_note.as_deref() != Some(failure) {
                item.extraction_note = Some(failure.to_owned());
                item.revision += 1;
            }
        }
        self.tree.insert(codec::item_key(id), codec::encode_item(&item)).map_err(io)?;
        Ok(())
    }

    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError> {
        Ok(self.extract_record(id)?.quotes)
    }

    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError> {
        Ok(self.extract_record(id)?.links)
    }

    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError> {
        self.record(PAGES, &codec::page_key(url), codec::decode_page_cache)
    }

    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError> {
        self.tree.insert(codec::page_key(url), codec::encode_page_cache(cache)).map_err(io)?;
        Ok(())
    }

    // ---- Review: editorial writes with their audit entries, users (issue 4) ----

    fn apply_edits(&self, writes: &[super::EditorialWrite]) -> Result<Vec<Item>, StoreError> {
        let _writing = self.lock();
        let mut batch = Batch::default();
        // Items written earlier in this call, so one item named twice chains its revisions.
        let mut staged: std::collections::HashMap<ItemId, Item> = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(writes.len());
        for write in writes {
            let id = &write.id;
            let mut item = match staged.remove(id) {
                Some(item) => item,
                None => self.item_for_write(id)?,
            };
            if item.revision != write.expected_revision {
                // Nothing is applied: the batch is dropped with its staged writes.
                return Err(StoreError::StaleRevision {
                    id: id.clone(),
                    expected: write.expected_revision,
                    found: item.revision,
                });
            }
            if item.state != write.state {
                batch.remove(codec::state_key(item.state, item.published, id));
                batch.insert(codec::state_key(write.state, item.published, id), IVec::default());
            }
            item.state = write.state;
            item.editor = write.editor.clone();
            item.revision += 1;
            batch.insert(codec::item_key(id), codec::encode_item(&item));
            let mut entry = write.audit.clone();
            entry.item_id = id.clone();
            entry.revision = item.revision;
            batch.insert(codec::audit_key(id, item.revision), codec::encode_audit(&entry));
            batch.insert(codec::audit_time_key(entry.at, id, item.revision), IVec::default());
            out.push(item.clone());
            staged.insert(id.clone(), item);
        }
        self.tree.apply_batch(batch).map_err(io)?;
        Ok(out)
    }

    fn audit_for(&self, id: &ItemId) -> Result<Vec<crate::model::AuditEntry>, StoreError> {
        self.tree
            .scan_prefix(codec::audit_prefix(id))
            .rev()
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                codec::decode_audit(codec::AUDIT.name, &key, &value)
            })
            .collect()
    }

    fn recent_audit(&self, limit: usize) -> Result<Vec<crate::model::AuditEntry>, StoreError> {
        let mut out = Vec::with_capacity(limit.min(1_000));
        for key in self.tree.scan_prefix(codec::IDX_AUDIT_TIME.prefix).keys().rev() {
            if out.len() >= limit {
                break;
            }
            let key = key.map_err(io)?;
            let (_, id, revision) = codec::decode_audit_time_key(&key)
                .ok_or_else(|| corrupt(codec::IDX_AUDIT_TIME.name, &key, "not a valid audit time key"))?;
            // Written in the same batch as its entry, so a miss means damage: skip, as listings do.
            let entry = self.record(codec::AUDIT, &codec::audit_key(&id, revision), codec::decode_audit)?;
            if let Some(entry) = entry {
                out.push(entry);
            } else {
                tracing::warn!(id = %id, revision, "audit time index points at a missing entry; skipped");
            }
        }
        Ok(out)
    }

    fn insert_user(&self, user: &crate::model::User) -> Result<bool, StoreError> {
        let swapped = self
            .tree
            .compare_and_swap(codec::user_key(&user.name), None as Option<&[u8]>, Some(codec::encode_user(user)))
            .map_err(io)?;
        Ok(swapped.is_ok())
    }

    fn put_user(&self, user: &crate::model::User) -> Result<(), StoreError> {
        self.tree.insert(codec::user_key(&user.name), codec::encode_user(user)).map_err(io)?;
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<crate::model::User>, StoreError> {
        self.record(codec::USERS, &codec::user_key(name), codec::decode_user)
    }

    fn users(&self) -> Result<Vec<crate::model::User>, StoreError> {
        self.tree
            .scan_prefix(codec::USERS.prefix)
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                codec::decode_user(codec::USERS.name, &key, &value)
            })
            .collect()
    }

    // ---- Publishing: digest issue records (issue 5) ----

    fn issues(&self) -> Result<Vec<crate::model::Issue>, StoreError> {
        // Big-endian numbers: the prefix scan is already in number order.
        self.tree
            .scan_prefix(codec::ISSUES.prefix)
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                let issue = codec::decode_issue(codec::ISSUES.name, &key, &value)?;
                if codec::decode_issue_key(&key) != Some(issue.number) {
                    return Err(corrupt(codec::ISSUES.name, &key, "key does not match the issue's number"));
                }
                Ok(issue)
            })
            .collect()
    }

    fn issue(&self, number: u32) -> Result<Option<crate::model::Issue>, StoreError> {
        self.record(codec::ISSUES, &codec::issue_key(number), codec::decode_issue)
    }

    fn put_issue(&self, issue: &crate::model::Issue) -> Result<(), StoreError> {
        // One key, written whole: needs neither a batch nor the writer lock.
        self.tree.insert(codec::issue_key(issue.number), codec::encode_issue(issue)).map_err(io)?;
        Ok(())
    }

    fn finish_issue(&self, issue: &crate::model::Issue, items: &[(ItemId, u64)]) -> Result<(), StoreError> {
        let encoded = codec::encode_issue(issue);
        let _writing = self.lock();
        let mut batch = Batch::default();
        // Each item's stored revision as read; an id listed again is checked
        // against it and not moved twice.
        let mut read: std::collections::HashMap<&ItemId, u64> = std::collections::HashMap::with_capacity(items.len());
        for (id, expected) in items {
            if let Some(&found) = read.get(id) {
                if found != *expected {
                    return Err(StoreError::StaleRevision { id: id.clone(), expected: *expected, found });
                }
                continue;
            }
            let mut item = self.item_for_write(id)?;
            if item.revision != *expected {
                // Nothing is applied: the batch is dropped with its staged writes.
                return Err(StoreError::StaleRevision { id: id.clone(), expected: *expected, found: item.revision });
            }
            read.insert(id, item.revision);
            if item.state != ReviewState::Published {
                batch.remove(codec::state_key(item.state, item.published, id));
                batch.insert(codec::state_key(ReviewState::Published, item.published, id), IVec::default());
            }
            item.state = ReviewState::Published;
            item.revision += 1;
            batch.insert(codec::item_key(id), codec::encode_item(&item));
        }
        batch.insert(codec::issue_key(issue.number), encoded);
        self.tree.apply_batch(batch).map_err(io)?;
        Ok(())
    }

    // ---- Operations: health probe, backup dump and restore (issue 6) ----

    fn health_check(&self) -> Result<(), StoreError> {
        // In `meta`, outside the records tree, so a dump never sees a probe;
        // the flush makes a full or read-only disk show up here, not later.
        let meta = self.db.open_tree(META).map_err(io)?;
        meta.insert(HEALTH_PROBE_KEY, b"probe".as_slice()).map_err(io)?;
        meta.remove(HEALTH_PROBE_KEY).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.tree.is_empty())
    }

    fn export_records(
        &self,
        visit: &mut dyn FnMut(super::RawRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Not a snapshot, but nothing else writes meanwhile: sled lets one
        // process open a store, so `serve` is not running during an export.
        for entry in &self.tree {
            let (key, value) = entry.map_err(io)?;
            let Some((space, rest)) = super::dump::split(&key) else {
                return Err(corrupt(codec::TREE, &key, "key outside every key space"));
            };
            visit(super::RawRecord { space, key: rest.to_vec(), value: value.to_vec() })?;
        }
        Ok(())
    }

    fn import_records(&self, records: &[super::RawRecord]) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for record in records {
            batch.insert(super::dump::restore_key(record)?, record.value.as_slice());
        }
        let _writing = self.lock();
        self.tree.apply_batch(batch).map_err(io)?;
        Ok(())
    }
}

/// A stored quote or link count. Pages are capped far below 4 billion quotes by
/// the fetcher's body limit; saturating keeps the count an upper bound anyway.
fn sequence_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Index keys from several reverse range scans, merged newest first.
///
/// Each scan yields keys `[prefix][time][id]` in descending order with the
/// same prefix length; the merge always takes the largest `[time][id]` among
/// the scans' next keys.
struct NewestFirst<I> {
    scans: Vec<std::iter::Fuse<I>>,
    heads: Vec<Option<IVec>>,
    prefix_len: usize,
}

impl<I: Iterator<Item = sled::Result<(IVec, IVec)>>> NewestFirst<I> {
    fn new(scans: Vec<I>, prefix_len: usize) -> Self {
        let heads = vec![None; scans.len()];
        Self { scans: scans.into_iter().map(Iterator::fuse).collect(), heads, prefix_len }
    }
}

impl<I: Iterator<Item = sled::Result<(IVec, IVec)>>> Iterator for NewestFirst<I> {
    type Item = Result<IVec, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        for (head, scan) in self.heads.iter_mut().zip(&mut self.scans) {
            if head.is_none() {
                match scan.next() {
                    Some(Ok((key, _))) => *head = Some(key),
                    Some(Err(e)) => return Some(Err(io(e))),
                    None => {}
                }
            }
        }
        let prefix_len = self.prefix_len;
        let newest = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.as_ref().map(|key| (i, key.get(prefix_len..).unwrap_or_default())))
            .max_by(|a, b| a.1.cmp(b.1))?
            .0;
        self.heads[newest].take().map(Ok)
    }
}

/// An extraction's quotes-and-links record, encoded before the writer lock
/// is taken; `None` when it found neither (the item then has no record).
struct EncodedExtraction {
    record: Option<Vec<u8>>,
}

impl EncodedExtraction {
    fn new(extraction: &Extraction) -> Self {
        let found = !extraction.quotes.is_empty() || !extraction.links.is_empty();
        Self { record: found.then(|| codec::encode_extract(&extraction.quotes, &extraction.links)) }
    }
}

/// How an incoming item was matched to a stored one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matched {
    Id,
    Url,
    Guid,
}

/// The writes of one batch, readable before they are applied: reads
/// see the batch's own earlier writes first (an entry repeated within one
/// call, two sources' copies of one URL), then the tree. Used under the
/// writer lock only.
struct Writer<'t> {
    tree: &'t Tree,
    /// Key → new value (`None`: removed). Ordered, so the batch is built in key order.
    pending: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Item records written by this batch, kept decoded and encoded once at
    /// commit: an upsert that also stores the item's extraction reads its
    /// own write back twice, and JSON round trips were a fifth of a poll's
    /// store cost. Never also in `pending`.
    items: HashMap<ItemId, Item>,
}

impl<'t> Writer<'t> {
    fn new(tree: &'t Tree) -> Self {
        Self { tree, pending: BTreeMap::new(), items: HashMap::new() }
    }

    /// A raw read; never of an item record (those go through [`Writer::load`]).
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(key) {
            Some(value) => Ok(value.clone()),
            None => Ok(self.tree.get(key).map_err(io)?.map(|v| v.to_vec())),
        }
    }

    fn insert(&mut self, key: Vec<u8>, value: impl Into<Vec<u8>>) {
        self.pending.insert(key, Some(value.into()));
    }

    fn remove(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }

    /// Stages `item`'s record.
    fn put_item(&mut self, item: Item) {
        self.items.insert(item.id.clone(), item);
    }

    /// Applies every pending write as one atomic batch.
    fn commit(mut self) -> Result<(), StoreError> {
        for (id, item) in &self.items {
            self.pending.insert(codec::item_key(id), Some(codec::encode_item(item)));
        }
        let mut batch = Batch::default();
        for (key, value) in self.pending {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        self.tree.apply_batch(batch).map_err(io)
    }

    /// Stages an extraction of item `id` (see [`Store::put_extraction`]).
    /// Stages nothing when the item is unknown.
    fn stage_extraction(
        &mut self,
        id: &ItemId,
        extraction: &Extraction,
        encoded: EncodedExtraction,
    ) -> Result<(), StoreError> {
        let mut item = self.load(id)?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })?;
        let key = codec::extract_key(id);
        // An item owns a record exactly when it has quotes or links: no lookup otherwise.
        let stored = if item.quote_count > 0 || item.link_count > 0 { self.get(&key)? } else { None };
        let mut changed = stored != encoded.record;
        match encoded.record {
            Some(record) => self.insert(key, record),
            None if stored.is_some() => self.remove(key),
            None => {}
        }
        let language = item.language.clone().or_else(|| extraction.language.clone());
        changed |= item.text != extraction.text
            || item.byline != extraction.byline
            || item.outlet != extraction.outlet
            || item.extraction_note != extraction.note
            || item.language != language;
        item.text.clone_from(&extraction.text);
        item.byline.clone_from(&extraction.byline);
        item.outlet.clone_from(&extraction.outlet);
        item.language = language;
        item.extraction_note.clone_from(&extraction.note);
        item.extracted_at = Some(extraction.extracted_at);
        item.extracted_for = Some(extraction.content_hash.clone());
        item.quote_count = sequence_len(extraction.quotes.len());
        item.link_count = sequence_len(extraction.links.len());
        // Only what editors see bumps the revision: a re-extraction that
        // found the same page must not make an open edit form stale.
        if changed {
            item.revision += 1;
        }
        self.put_item(item);
        Ok(())
    }

    /// Upserts one item; see [`Store::upsert_items`] for the rules.
    fn upsert_one(
        &mut self,
        id: &ItemId,
        hash: &str,
        new: &NewItem,
        report: &mut UpsertReport,
    ) -> Result<(), StoreError> {
        let Some((matched, mut item)) = self.find(id, new)? else {
            let item = new_item(id.clone(), hash.to_owned(), new);
            report.new.push(item.id.clone());
            self.insert_new(item);
            return Ok(());
        };
        let mut changed = false;
        if !item.sources.contains(&new.source_id) {
            // The same article from another source: remember that source too.
            item.sources.push(new.source_id.clone());
            changed = true;
        }
        if let (Matched::Url, Some(guid)) = (matched, &new.guid) {
            // The item id does not follow from this source's guid (another
            // source's copy, or a guid that changed): record the guid, so the
            // item is found again even if its URL changes later. An item matched
            // by id needs no entry: its id *is* the hash of source and guid.
            let key = codec::guid_key(&new.source_id, guid);
            if self.get(&key)?.is_none() {
                self.insert(key, codec::id_value(&item.id));
            }
        }
        // Feed fields follow the item's first source only: letting every source
        // overwrite them would flip the item (and bump its revision) on each poll
        // when two sources carry slightly different copies.
        if item.content_hash != hash && item.source() == new.source_id {
            self.apply_feed_fields(&mut item, hash, new)?;
            changed = true;
        }
        if changed {
            item.revision += 1;
            report.updated.push(item.id.clone());
            self.put_item(item);
        } else {
            report.unchanged += 1;
        }
        Ok(())
    }

    /// The stored item this entry is a copy of: by id, then canonical URL, then
    /// this source's guid.
    fn find(&self, id: &ItemId, new: &NewItem) -> Result<Option<(Matched, Item)>, StoreError> {
        if let Some(item) = self.load(id)? {
            return Ok(Some((Matched::Id, item)));
        }
        if let Some(url) = &new.url {
            if let Some(item) = self.load_via(IDX_URL, &codec::url_key(url))? {
                return Ok(Some((Matched::Url, item)));
            }
        }
        if let Some(guid) = &new.guid {
            if let Some(item) = self.load_via(IDX_GUID, &codec::guid_key(&new.source_id, guid))? {
                return Ok(Some((Matched::Guid, item)));
            }
        }
        Ok(None)
    }

    fn load(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        if let Some(item) = self.items.get(id) {
            return Ok(Some(item.clone()));
        }
        let key = codec::item_key(id);
        self.get(&key)?.map(|bytes| codec::decode_item(ITEMS.name, &key, &bytes)).transpose()
    }

    /// Follows an id index; a key pointing at a missing item counts as absent.
    fn load_via(&self, index: Space, key: &[u8]) -> Result<Option<Item>, StoreError> {
        match self.get(key)? {
            Some(target) => {
                let id = codec::decode_item_id(&target)
                    .ok_or_else(|| corrupt(index.name, key, "value is not an item id"))?;
                self.load(&id)
            }
            None => Ok(None),
        }
    }

    /// Writes a first-seen item: its record, URL and state keys (no guid
    /// entry: the id is derived from it).
    fn insert_new(&mut self, item: Item) {
        let id = &item.id;
        if let Some(url) = &item.url {
            // `find` saw no item under this URL (or a dangling entry): claim it.
            self.insert(codec::url_key(url), codec::id_value(id));
        }
        self.insert(codec::state_key(item.state, item.published, id), Vec::new());
        self.put_item(item);
    }

    /// Copies what the feed says onto `item` and moves the index keys that
    /// depend on it. Review state, editor fields and extracted text stay.
    fn apply_feed_fields(&mut self, item: &mut Item, hash: &str, new: &NewItem) -> Result<(), StoreError> {
        let id_bytes = codec::id_value(&item.id).to_vec();
        if item.url != new.url {
            if let Some(old) = &item.url {
                let key = codec::url_key(old);
                if self.get(&key)?.as_deref() == Some(id_bytes.as_slice()) {
                    self.remove(key);
                }
            }
            // Another item may already own the new URL; the first claim stands.
            if let Some(url) = &new.url {
                let key = codec::url_key(url);
                if self.get(&key)?.is_none() {
                    self.insert(key, id_bytes);
                }
            }
        }
        if codec::encode_time(item.published) != codec::encode_time(new.published) {
            self.move_time_keys(item, new.published);
        }
        item.title.clone_from(&new.title);
        item.url.clone_from(&new.url);
        item.authors.clone_from(&new.authors);
        item.published = new.published;
        item.published_is_fetch_time = new.published_is_fetch_time;
        item.updated = new.updated;
        item.summary.clone_from(&new.summary);
        item.content.clone_from(&new.content);
        item.language.clone_from(&new.language);
        item.fetched_at = new.fetched_at;
        hash.clone_into(&mut item.content_hash);
        Ok(())
    }

    /// Re-keys every time-ordered index entry of `item` from its stored
    /// `published` to `to`.
    fn move_time_keys(&mut self, item: &Item, to: chrono::DateTime<chrono::Utc>) {
        let (from, id) = (item.published, &item.id);
        self.remove(codec::state_key(item.state, from, id));
        self.insert(codec::state_key(item.state, to, id), Vec::new());
    }
}

/// A stored item made from its first sighting.
fn new_item(id: ItemId, content_hash: String, new: &NewItem) -> Item {
    Item {
        id,
        sources: vec![new.source_id.clone()],
        guid: new.guid.clone(),
        url: new.url.clone(),
        title: new.title.clone(),
        authors: new.authors.clone(),
        published: new.published,
        published_is_fetch_time: new.published_is_fetch_time,
        updated: new.updated,
        summary: new.summary.clone(),
        content: new.content.clone(),
        text: String::new(),
        language: new.language.clone(),
        byline: None,
        outlet: None,
        extracted_at: None,
        extraction_note: None,
        extracted_for: None,
        quote_count: 0,
        link_count: 0,
        content_hash,
        first_seen: new.fetched_at,
        fetched_at: new.fetched_at,
        state: ReviewState::New,
        editor: EditorFields::default(),
        revision: 1,
    }
}

/// Settings shared by on-disk and temporary stores.
fn base_config(cache_bytes: u64) -> Config {
    Config::new().cache_capacity(cache_bytes)
}

/// The raw operations migrations use, over the open database.
struct SledTarget<'a> {
    db: &'a Db,
    meta: &'a Tree,
}

impl MigrationTarget for SledTarget<'_> {
    fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        match self.meta.get(SCHEMA_VERSION_KEY).map_err(io)? {
            Some(bytes) => codec::decode_version(&bytes)
                .map(Some)
                .ok_or_else(|| corrupt(META, SCHEMA_VERSION_KEY, "schema version is not a 4-byte integer")),
            None => Ok(None),
        }
    }

    fn set_schema_version(&self, version: u32) -> Result<(), StoreError> {
        self.meta.insert(SCHEMA_VERSION_KEY, &codec::encode_version(version)).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(())
    }

    fn for_each(&self, tree: &str, visit: &mut Visit<'_>) -> Result<(), StoreError> {
        // Opening would create it: a store that never had the tree has nothing to visit.
        if !self.db.tree_names().iter().any(|name| name.as_ref() == tree.as_bytes()) {
            return Ok(());
        }
        for entry in &self.db.open_tree(tree).map_err(io)? {
            let (key, value) = entry.map_err(io)?;
            visit(&key, &value)?;
        }
        Ok(())
    }

    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.open_tree(tree).map_err(io)?.get(key).map_err(io)?.map(|v| v.to_vec()))
    }

    fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.db.open_tree(tree).map_err(io)?.insert(key, value).map_err(io)?;
        Ok(())
    }

    fn remove(&self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.db.open_tree(tree).map_err(io)?.remove(key).map_err(io)?;
        Ok(())
    }

    fn drop_tree(&self, tree: &str) -> Result<(), StoreError> {
        self.db.drop_tree(tree).map_err(io)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(io)?;
        Ok(())
    }
}

// Plain functions rather than `From` impls, so no sled type appears in the
// crate's public API.

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io)`
fn io(error: sled::Error) -> StoreError {
    StoreError::Io(error.to_string())
}

/// An open failure, saying plainly when the cause is another open handle.
/// How long [`SledStore::open_with_cache`] waits, between attempts, for a
/// held lock to be released: about a second in all, so another process that
/// really has the store open is still reported promptly.
const LOCK_RETRY_WAITS: [std::time::Duration; 6] = [
    std::time::Duration::from_millis(10),
    std::time::Duration::from_millis(30),
    std::time::Duration::from_millis(60),
    std::time::Duration::from_millis(100),
    std::time::Duration::from_millis(300),
    std::time::Duration::from_millis(500),
];

/// Opens `config`, retrying a held lock over [`LOCK_RETRY_WAITS`] (see
/// [`SledStore::open_with_cache`]).
fn open_when_unlocked(config: &Config) -> sled::Result<Db> {
    let mut waits = LOCK_RETRY_WAITS.iter();
    loop {
        match config.open() {
            Err(error) if is_lock_held(&error) => match waits.next() {
                Some(wait) => std::thread::sleep(*wait),
                None => return Err(error),
            },
            opened => return opened,
        }
    }
}

/// sled's error when another handle holds the store's file lock.
fn is_lock_held(error: &sled::Error) -> bool {
    error.to_string().contains("could not acquire lock")
}

fn open_error(path: &str, error: &sled::Error) -> StoreError {
    let text = error.to_string();
    let reason = if is_lock_held(error) {
        "the store is in use: another Gleaner process (or another handle in this process) has it open; \
         only one may open a store at a time"
            .to_owned()
    } else {
        text
    };
    StoreError::Open { path: path.to_owned(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_records_the_current_schema_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        drop(SledStore::open(&path).expect("opens"));
        let db = open_when_unlocked(&Config::new().path(&path)).expect("reopens raw");
        let meta = db.open_tree(META).expect("meta");
        let version = meta.get(SCHEMA_VERSION_KEY).expect("read").expect("written");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION));
        assert!(db.tree_names().iter().any(|n| n.as_ref() == codec::TREE.as_bytes()));
    }

    #[test]
    fn a_v1_store_is_migrated_to_one_tree_and_reads_back_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        // Written as version 1 did: a tree per kind, keys without prefixes.
        let new = NewItem {
            source_id: "src".to_owned(),
            guid: Some("g-1".to_owned()),
            url: Some("https://e.org/a".to_owned()),
            title: "A".to_owned(),
            authors: vec![],
            published: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("valid"),
            published_is_fetch_time: false,
            updated: None,
            summary: "<p>a</p>".to_owned(),
            content: String::new(),
            language: None,
            fetched_at: chrono::DateTime::from_timestamp(1_700_000_100, 0).expect("valid"),
        };
        let id = new.id();
        let mut item = new_item(id.clone(), new.content_hash(), &new);
        item.quote_count = 1;
        let quote = Quote {
            id: "q".to_owned(),
            text: "We will".to_owned(),
            speaker: None,
            cue: None,
            outlet: None,
            via: None,
            kind: crate::model::QuoteKind::Inline,
            start: 0,
            end: 7,
            context: "We will.".to_owned(),
            confidence: 0.5,
        };
        let strip = |space: Space, key: Vec<u8>| key[space.prefix.len()..].to_vec();
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            let put = |tree: &str, key: Vec<u8>, value: Vec<u8>| {
                db.open_tree(tree).expect("tree").insert(key, value).expect("write");
            };
            put("items.v1", id.as_str().as_bytes().to_vec(), codec::encode_item(&item));
            put("idx.url.v1", b"https://e.org/a".to_vec(), id.as_str().as_bytes().to_vec());
            let published = item.published;
            put(
                "idx.source.v1",
                strip(codec::RETIRED_IDX_SOURCE, codec::source_key("src", published, &id)),
                Vec::new(),
            );
            put("idx.state.v1", strip(IDX_STATE, codec::state_key(ReviewState::New, published, &id)), Vec::new());
            put(
                "quotes.v1",
                strip(codec::RETIRED_QUOTES, codec::seq_key(codec::RETIRED_QUOTES, &id, 0)),
                codec::encode_quote(&quote),
            );
            put("fetch_state.v1", b"src".to_vec(), codec::encode_fetch_state(&FetchState::default()));
            db.open_tree(META).expect("meta").insert(SCHEMA_VERSION_KEY, &codec::encode_version(1)).expect("write");
            db.flush().expect("flush");
        }
        let store = SledStore::open(&path).expect("migrates from version 1");
        assert_eq!(store.item(&id).expect("reads").as_ref(), Some(&item));
        assert_eq!(store.quotes(&id).expect("reads"), vec![quote]);
        assert_eq!(store.fetch_state("src").expect("reads"), Some(FetchState::default()));
        let by_source = store.items(&ItemQuery { source: Some("src".to_owned()), ..ItemQuery::default() });
        assert_eq!(by_source.expect("lists").len(), 1);
        assert_eq!(store.counts_by_state().expect("counts")[0], (ReviewState::New, 1));
        // The same entry again is found through the migrated indexes: nothing new.
        assert_eq!(store.upsert_items(&[new]).expect("upsert").unchanged, 1);
        drop(store);
        let db = open_when_unlocked(&Config::new().path(&path)).expect("raw reopen");
        assert!(db.tree_names().iter().all(|n| !n.ends_with(b".v1")), "the v1 trees are gone");
        let tree = db.open_tree(codec::TREE).expect("tree");
        assert_eq!(tree.scan_prefix(codec::RETIRED_IDX_SOURCE.prefix).count(), 0, "v3 left no source index");
        assert_eq!(
            db.open_tree(META).expect("meta").get(SCHEMA_VERSION_KEY).expect("read").as_deref(),
            Some(&codec::encode_version(migrate::CURRENT_VERSION)[..])
        );
    }

    #[test]
    fn a_store_from_a_newer_gleaner_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            let meta = db.open_tree(META).expect("meta");
            meta.insert(SCHEMA_VERSION_KEY, &codec::encode_version(migrate::CURRENT_VERSION + 1)).expect("write");
            db.flush().expect("flush");
        }
        let err = SledStore::open(&path).expect_err("a newer store must be refused");
        let message = err.to_string();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == migrate::CURRENT_VERSION + 1));
        assert!(message.contains("g.sled") && message.contains("upgrade Gleaner"), "{message}");
        // Refused untouched: the version is still the newer one.
        let db = open_when_unlocked(&Config::new().path(&path)).expect("raw reopen");
        let version = db.open_tree(META).expect("meta").get(SCHEMA_VERSION_KEY).expect("read").expect("kept");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION + 1));
    }

    #[test]
    fn an_unversioned_store_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            db.open_tree("fetch_state.v1")
                .expect("tree")
                .insert(b"src", codec::encode_fetch_state(&FetchState::default()))
                .expect("write");
            db.flush().expect("flush");
        }
        let store = SledStore::open(&path).expect("migrates from version 0");
        assert_eq!(store.fetch_state("src").expect("reads"), Some(FetchState::default()));
    }

    #[test]
    fn a_garbled_schema_version_is_reported_as_corrupt() {
        let db = Config::new().temporary(true).open().expect("raw open");
        db.open_tree(META).expect("meta").insert(SCHEMA_VERSION_KEY, b"x").expect("write");
        let err = SledStore::from_db(db, "t".to_owned()).expect_err("must refuse");
        assert!(matches!(err, StoreError::Corrupt { tree: META, .. }), "{err:?}");
    }
}

#[cfg(test)]
mod issue_tests {
    use super::*;
    use crate::model::{Issue, IssueSection, IssueState, Period};

    fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(secs, 0).expect("valid test time")
    }

    fn new_entry(n: u32) -> NewItem {
        NewItem {
            source_id: "src".to_owned(),
            guid: Some(format!("g-{n}")),
            url: Some(format!("https://e.org/{n}")),
            title: format!("Item {n}"),
            authors: vec![],
            published: at(1_700_000_000 + i64::from(n)),
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: None,
            fetched_at: at(1_700_001_000),
        }
    }

    fn issue(number: u32, items: Vec<ItemId>, state: IssueState) -> Issue {
        Issue {
            number,
            title: format!("Digest – {number}"),
            period: Period { start: at(1_700_000_000), end: at(1_700_001_000) },
            sections: vec![IssueSection { name: String::new(), items }],
            html: "<p>x</p>".to_owned(),
            summary: "x".to_owned(),
            created_at: at(1_700_001_000),
            published_at: (state == IssueState::Published).then(|| at(1_700_001_001)),
            state,
        }
    }

    /// A store with two items moved to `approved`, at revision 2.
    fn store_with_approved() -> (SledStore, Vec<ItemId>) {
        let store = SledStore::temporary().expect("store");
        let report = store.upsert_items(&[new_entry(1), new_entry(2)]).expect("upsert");
        for id in &report.new {
            store.update_editorial(id, 1, ReviewState::Approved, &EditorFields::default()).expect("approve");
        }
        (store, report.new)
    }

    fn published_ids(store: &SledStore) -> Vec<ItemId> {
        let query = ItemQuery { state: Some(ReviewState::Published), ..ItemQuery::default() };
        store.items(&query).expect("lists").into_iter().map(|i| i.id).collect()
    }

    #[test]
    fn issues_are_listed_by_number_and_replaced_by_number() {
        let store = SledStore::temporary().expect("store");
        assert!(store.issues().expect("lists").is_empty());
        assert_eq!(store.issue(1).expect("reads"), None);
        for n in [256, 3, 10] {
            store.put_issue(&issue(n, vec![], IssueState::Draft)).expect("put");
        }
        let replaced = issue(10, vec![ItemId::derive("s", "g")], IssueState::Draft);
        store.put_issue(&replaced).expect("replace");
        let numbers: Vec<u32> = store.issues().expect("lists").iter().map(|i| i.number).collect();
        assert_eq!(numbers, [3, 10, 256]);
        assert_eq!(store.issue(10).expect("reads"), Some(replaced));
    }

    #[test]
    fn finish_issue_publishes_the_issue_and_its_items_together() {
        let (store, ids) = store_with_approved();
        store.put_issue(&issue(1, ids.clone(), IssueState::Draft)).expect("draft");
        let published = issue(1, ids.clone(), IssueState::Published);
        let listed: Vec<(ItemId, u64)> = ids.iter().map(|id| (id.clone(), 2)).collect();
        store.finish_issue(&published, &listed).expect("finish");
        assert_eq!(store.issue(1).expect("reads"), Some(published));
        for id in &ids {
            let item = store.item(id).expect("reads").expect("stored");
            assert_eq!((item.state, item.revision), (ReviewState::Published, 3));
        }
        let mut listed_ids = published_ids(&store);
        listed_ids.sort();
        let mut expected = ids;
        expected.sort();
        assert_eq!(listed_ids, expected, "the state index moved with the records");
        let counts = store.counts_by_state().expect("counts");
        assert!(counts.contains(&(ReviewState::Approved, 0)) && counts.contains(&(ReviewState::Published, 2)));
    }

    #[test]
    fn a_stale_or_unknown_item_fails_finish_issue_and_changes_nothing() {
        let (store, ids) = store_with_approved();
        let draft = issue(1, ids.clone(), IssueState::Draft);
        store.put_issue(&draft).expect("draft");
        let published = issue(1, ids.clone(), IssueState::Published);

        let stale = [(ids[0].clone(), 2), (ids[1].clone(), 1)];
        let err = store.finish_issue(&published, &stale).expect_err("stale");
        assert!(matches!(&err, StoreError::StaleRevision { id, expected: 1, found: 2 } if *id == ids[1]), "{err:?}");

        let unknown = ItemId::derive("src", "missing");
        let err = store.finish_issue(&published, &[(ids[0].clone(), 2), (unknown.clone(), 1)]).expect_err("unknown");
        assert!(matches!(&err, StoreError::UnknownItem { id } if *id == unknown), "{err:?}");

        let twice = [(ids[0].clone(), 2), (ids[0].clone(), 3)];
        let err = store.finish_issue(&published, &twice).expect_err("a repeat at another revision");
        assert!(matches!(err, StoreError::StaleRevision { expected: 3, found: 2, .. }), "{err:?}");

        assert_eq!(store.issue(1).expect("reads"), Some(draft), "the issue is still the draft");
        for id in &ids {
            let item = store.item(id).expect("reads").expect("stored");
            assert_eq!((item.state, item.revision), (ReviewState::Approved, 2));
        }
        assert!(published_ids(&store).is_empty());
    }

    #[test]
    fn an_item_listed_twice_is_moved_once() {
        let (store, ids) = store_with_approved();
        let published = issue(1, ids.clone(), IssueState::Published);
        store.finish_issue(&published, &[(ids[0].clone(), 2), (ids[0].clone(), 2)]).expect("finish");
        let item = store.item(&ids[0]).expect("reads").expect("stored");
        assert_eq!((item.state, item.revision), (ReviewState::Published, 3));
        assert_eq!(published_ids(&store), vec![ids[0].clone()]);
    }
}
