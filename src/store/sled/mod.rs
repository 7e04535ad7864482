//! The sled implementation of the store traits: the only module that imports
//! sled (`writer.rs` stages batches, `open.rs` opens the database).
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
//! owns no record), and [`ItemStore::put_extraction`] rewrites the item and that
//! record in one batch.
//!
//! This module must not decide anything about review rules or feed parsing;
//! it stores what it is given.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod notify;
mod open;
mod people;
mod watch;
mod writer;

use sled::{Batch, Db, IVec, Tree};

use self::open::{SledTarget, base_config, io, open_error, open_when_unlocked};
use self::writer::{EncodedExtraction, Writer};

use super::codec::{self, Decode, EXTRACTS, FETCH_STATE, IDX_STATE, IDX_URL, ITEMS, PAGES, STORIES, Space, corrupt};
use super::migrate;
use super::{
    EditorialStore, Extraction, FetchStateStore, IssueStore, ItemQuery, ItemStore, OpsStore, PageCache, StoreError,
    StoryPrint, UpsertReport, UserStore,
};
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

/// Most text per batch (entries' content and summaries, their extractions'
/// text), counted before encoding. A batch is held two or three times over
/// while it is written (the staged records, sled's batch, its log buffers),
/// so 256 items of 200 KB each made one poll of a feed under the body cap
/// cost tens of MiB more than the feed itself (issue 11.14).
const BYTES_PER_BATCH: usize = 4 * 1024 * 1024;

/// Splits `items` into the runs written as one batch each: at most
/// [`ITEMS_PER_BATCH`] items and, past the first item of a run, at most
/// `max_bytes` of text by `weight`.
fn batches<T>(items: &[T], max_bytes: usize, weight: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if i > start && (i - start == ITEMS_PER_BATCH || bytes + w > max_bytes) {
            out.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += w;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

const META: &str = "meta";
const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";
/// Written and removed again by [`OpsStore::health_check`].
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
    /// Mailing list and send state ([`notify`]).
    mail: Tree,
    /// Webhook deliveries ([`notify`]).
    outbox: Tree,
    /// Quote provenance and the speaker map ([`people`]).
    people: Tree,
    /// Editors' watchlists ([`watch`]).
    watch: Tree,
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
        let mail = db.open_tree(notify::MAIL_TREE).map_err(io)?;
        let outbox = db.open_tree(notify::OUTBOX_TREE).map_err(io)?;
        let people = db.open_tree(people::PEOPLE_TREE).map_err(io)?;
        let watch = db.open_tree(watch::WATCH_TREE).map_err(io)?;
        Ok(Self { db, tree, mail, outbox, people, watch, writer: Arc::new(Mutex::new(())), path: path.into() })
    }

    /// The writer lock. Poisoning carries no meaning here: the lock guards no
    /// data, and a panicking writer applied either its whole batch or nothing.
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Upserts one chunk of items in one batch, with the extractions (taken
    /// out of `extractions`) of those chunk items they still apply to (see
    /// [`ItemStore::upsert_with_extractions`]); returns the chunk's report and
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

    /// The story an item's print names, if it has one. The print is the
    /// item's story when both name one (see `put_story_prints`): a record's
    /// own `story` is what `put_stories` or an older version wrote.
    fn print_story(&self, id: &ItemId) -> Result<Option<ItemId>, StoreError> {
        let key = codec::story_key(id);
        self.tree.get(&key).map_err(io)?.map(|bytes| codec::decode_print_story(STORIES.name, &key, &bytes)).transpose()
    }

    /// An item record as exported: with the story its print names, so a
    /// store that keeps no prints (PostgreSQL) restores the story too. The
    /// stored bytes when they already say so.
    fn exported_item(&self, key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut item = codec::decode_item(ITEMS.name, key, value)?;
        match self.print_story(&item.id)? {
            Some(story) if item.story.as_ref() != Some(&story) => {
                item.story = Some(story);
                Ok(codec::encode_item(&item))
            }
            _ => Ok(value.to_vec()),
        }
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

impl ItemStore for SledStore {
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
        let weight = |(id, _, new): &(ItemId, String, &NewItem)| {
            let text = pending.get(id).map_or(0, |(e, _)| e.text.len());
            new.content.len() + new.summary.len() + text
        };
        let runs = batches(&prepared, BYTES_PER_BATCH, weight);
        for chunk in runs {
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

    fn remove_untouched(&self, source: &str, ids: &[ItemId]) -> Result<Vec<ItemId>, StoreError> {
        let _writing = self.lock();
        let mut writer = Writer::new(&self.tree);
        let mut removed = Vec::new();
        for id in ids {
            let Some(item) = writer.load(id)? else { continue };
            let audited = self.tree.scan_prefix(codec::audit_prefix(id)).next().is_some();
            if item.sources != [source] || !item.untouched_by_editors() || audited {
                continue;
            }
            writer.remove_item(&item, source)?;
            removed.push(id.clone());
        }
        writer.commit()?;
        Ok(removed)
    }

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let Some(mut item) = self.record(ITEMS, &codec::item_key(id), codec::decode_item)? else { return Ok(None) };
        if let Some(story) = self.print_story(id)? {
            item.story = Some(story);
        }
        Ok(Some(item))
    }

    fn item_by_url(&self, url: &str) -> Result<Option<Item>, StoreError> {
        let Some(value) = self.tree.get(codec::url_key(url)).map_err(io)? else { return Ok(None) };
        match codec::decode_item_id(&value) {
            Some(id) => self.indexed_item(IDX_URL.name, &id),
            None => Err(corrupt(IDX_URL.name, url.as_bytes(), "not an item id".to_owned())),
        }
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

    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError> {
        ReviewState::ALL.into_iter().map(|state| Ok((state, self.count_prefix(&codec::state_prefix(state))?))).collect()
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

    fn put_stories(&self, stories: &[(ItemId, ItemId)]) -> Result<(), StoreError> {
        let _writing = self.lock();
        let mut batch = Batch::default();
        for (id, story) in stories {
            let Some(mut item) = self.item(id)? else { continue };
            if item.story.as_ref() != Some(story) {
                item.story = Some(story.clone());
                batch.insert(codec::item_key(id), codec::encode_item(&item));
                // The print names the old story: made again from the item when next read.
                batch.remove(codec::story_key(id));
            }
        }
        self.tree.apply_batch(batch).map_err(io)
    }

    fn story_prints(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<StoryPrint>, StoreError> {
        // The state index lists the window's ids in one range per state; each
        // print is one small read, and the item itself is read only for items
        // placed before prints were kept (or under another signature scheme).
        let mut prints = Vec::new();
        let mut seen = HashSet::new();
        let Some(end) = to.checked_add_signed(chrono::Duration::microseconds(1)) else { return Ok(prints) };
        for state in ReviewState::ALL {
            let prefix = codec::state_prefix(state);
            let range = codec::time_lower_bound(&prefix, from)..codec::time_lower_bound(&prefix, end);
            for entry in self.tree.range(range) {
                let (key, _) = entry.map_err(io)?;
                let (_, published, id) = codec::decode_state_key(&key)
                    .ok_or_else(|| corrupt(IDX_STATE.name, &key, "not a valid index key"))?;
                if !seen.insert(id.clone()) {
                    continue;
                }
                let print = self.record(STORIES, &codec::story_key(&id), codec::decode_story_print)?.flatten();
                match print {
                    Some((story, signature)) => prints.push(StoryPrint { id, published, story, signature }),
                    None => {
                        if let Some(print) = self.item(&id)?.as_ref().and_then(StoryPrint::of_item) {
                            prints.push(print);
                        }
                    }
                }
            }
        }
        Ok(prints)
    }

    fn put_story_prints(&self, prints: &[StoryPrint]) -> Result<(), StoreError> {
        // The print alone sets the story: reading an item takes its story
        // from its print (`item`), so the item's record is not decoded and
        // written again just to carry it (that was a tenth of a cold poll's
        // CPU). In batches of ITEMS_PER_BATCH, so a cold poll's prints are
        // not one batch held in memory at once.
        for chunk in prints.chunks(ITEMS_PER_BATCH) {
            let _writing = self.lock();
            let mut batch = Batch::default();
            for print in chunk {
                if !self.tree.contains_key(codec::item_key(&print.id)).map_err(io)? {
                    continue;
                }
                batch.insert(codec::story_key(&print.id), codec::encode_story_print(&print.story, &print.signature));
            }
            self.tree.apply_batch(batch).map_err(io)?;
        }
        Ok(())
    }

    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError> {
        Ok(self.extract_record(id)?.quotes)
    }

    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError> {
        Ok(self.extract_record(id)?.links)
    }
}

impl FetchStateStore for SledStore {
    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError> {
        self.record(FETCH_STATE, &codec::fetch_state_key(source_id), codec::decode_fetch_state)
    }

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError> {
        // One key, written whole: needs neither a batch nor the writer lock.
        self.tree.insert(codec::fetch_state_key(source_id), codec::encode_fetch_state(state)).map_err(io)?;
        Ok(())
    }

    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError> {
        self.record(PAGES, &codec::page_key(url), codec::decode_page_cache)
    }

    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError> {
        self.tree.insert(codec::page_key(url), codec::encode_page_cache(cache)).map_err(io)?;
        Ok(())
    }
}

impl EditorialStore for SledStore {
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
}

impl UserStore for SledStore {
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

    fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.tree.remove(codec::user_key(name)).map_err(io)?.is_some())
    }

    fn put_token(&self, token: &crate::model::ApiToken) -> Result<(), StoreError> {
        self.tree.insert(codec::token_key(&token.hash), codec::encode_token(token)).map_err(io)?;
        Ok(())
    }

    fn token(&self, hash: &str) -> Result<Option<crate::model::ApiToken>, StoreError> {
        self.record(codec::TOKENS, &codec::token_key(hash), codec::decode_token)
    }

    fn tokens(&self) -> Result<Vec<crate::model::ApiToken>, StoreError> {
        self.tree
            .scan_prefix(codec::TOKENS.prefix)
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                codec::decode_token(codec::TOKENS.name, &key, &value)
            })
            .collect()
    }

    fn remove_token(&self, hash: &str) -> Result<bool, StoreError> {
        Ok(self.tree.remove(codec::token_key(hash)).map_err(io)?.is_some())
    }
}

impl IssueStore for SledStore {
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
}

impl OpsStore for SledStore {
    fn flush(&self) -> Result<(), StoreError> {
        // One log serves every tree, so this makes all of them durable.
        self.db.flush().map_err(io)?;
        Ok(())
    }

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
        Ok(self.tree.is_empty()
            && self.mail.is_empty()
            && self.outbox.is_empty()
            && self.people.is_empty()
            && self.watch.is_empty())
    }

    fn export_records(
        &self,
        visit: &mut dyn FnMut(super::RawRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Not a snapshot, but nothing else writes meanwhile: sled lets one
        // process open a store, so `serve` is not running during an export.
        for entry in &self.tree {
            let (key, value) = entry.map_err(io)?;
            // Story prints are derived: the story goes out in the item record
            // (`exported_item`) and a signature is recomputed when first read.
            if key.starts_with(STORIES.prefix) {
                continue;
            }
            let Some((space, rest)) = super::dump::split(&key) else {
                return Err(corrupt(codec::TREE, &key, "key outside every key space"));
            };
            let value = if key.starts_with(ITEMS.prefix) { self.exported_item(&key, &value)? } else { value.to_vec() };
            visit(super::RawRecord { space, key: rest.to_vec(), value })?;
        }
        // The mailing list with its send state, and the webhook outbox: a
        // restore that dropped them would mail an issue twice or lose a delivery.
        // The people tree: the editors' speaker map cannot be recomputed, and
        // the quote records go with their indexes so a restore is the same
        // store, not a rebuild whose first-seen order could differ.
        let side = [
            (&self.mail, super::dump::MAIL_SPACE),
            (&self.outbox, super::dump::OUTBOX_SPACE),
            (&self.people, super::dump::PEOPLE_SPACE),
            (&self.watch, super::dump::WATCH_SPACE),
        ];
        for (tree, space) in side {
            for entry in tree {
                let (key, value) = entry.map_err(io)?;
                visit(super::RawRecord { space: space.to_owned(), key: key.to_vec(), value: value.to_vec() })?;
            }
        }
        Ok(())
    }

    fn import_records(&self, records: &[super::RawRecord]) -> Result<(), StoreError> {
        use super::dump::Target;
        let (mut batch, mut mail, mut outbox, mut people, mut watch) =
            (Batch::default(), Batch::default(), Batch::default(), Batch::default(), Batch::default());
        for record in records {
            let (target, key) = super::dump::restore_target(record)?;
            let batch = match target {
                Target::Records => &mut batch,
                Target::Mail => &mut mail,
                Target::Outbox => &mut outbox,
                Target::People => &mut people,
                Target::Watch => &mut watch,
            };
            batch.insert(key, record.value.as_slice());
        }
        let _writing = self.lock();
        self.tree.apply_batch(batch).map_err(io)?;
        self.mail.apply_batch(mail).map_err(io)?;
        self.outbox.apply_batch(outbox).map_err(io)?;
        self.people.apply_batch(people).map_err(io)?;
        self.watch.apply_batch(watch).map_err(io)?;
        Ok(())
    }
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

#[cfg(test)]
mod tests;
