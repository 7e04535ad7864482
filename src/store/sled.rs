//! The sled implementation of [`Store`]: the only file that imports sled.
//!
//! One tree per record kind and one per index (layouts in [`super::codec`]),
//! all suffixed with the layout version so a future layout can be built beside
//! the old one. An item and every index entry it owns are written in one sled
//! transaction, so a crash leaves either the old or the new item with matching
//! indexes, never a mix. Time-ordered indexes hold no values: their keys end
//! with the item id, and the item record says which keys it owns (its
//! `published` time, its `sources`, its `state`), so no inverse trees are
//! needed to remove old keys.
//!
//! Every sled key written costs several microseconds, which is what bounds
//! ingest speed, so each item owns as few keys as the queries need: its
//! record, its URL, one state key and one key per source. There is no separate
//! "all items by date" index: the state index already holds every item in date
//! order within each state, and a listing without a state merges those five
//! ranges. A guid entry is written only when it says something the item id
//! does not (another source's guid for a merged item; see [`Tx::upsert_one`]).
//!
//! Quotes and links follow the same rule: an item's entries are the sequence
//! `0..quote_count` (`0..link_count`) under its id, the counts live in the
//! item record, and [`Store::put_extraction`] rewrites the record and both
//! sequences in one transaction (sled transactions cannot scan, so the counts
//! are what lets the transaction remove a longer old sequence's tail).
//!
//! This module must not decide anything about review rules or feed parsing;
//! it stores what it is given.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional, TransactionalTree};
use sled::{Config, Db, IVec, Tree};

use super::codec::{self, corrupt};
use super::migrate::{self, MigrationTarget, Visit};
use super::{Extraction, ItemQuery, PageCache, Store, StoreError, UpsertReport};
use crate::model::{EditorFields, FetchState, Item, ItemId, Link, NewItem, Quote, ReviewState};

/// Page cache size. sled's default (1 GiB) would let a long poll of 2,000 feeds
/// grow far past our 100 MiB RSS budget; 64 MiB keeps the hot index pages.
const CACHE_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// Items per transaction in [`SledStore::upsert_items`]. Each item still lands
/// atomically with its indexes; grouping amortizes sled's per-transaction cost
/// (a global write lock, an overlay per tree, a log batch), which dominates
/// when items are small. Kept modest so other writers are not blocked for long.
const ITEMS_PER_TRANSACTION: usize = 64;

const ITEMS: &str = "items.v1";
const IDX_URL: &str = "idx.url.v1";
const IDX_GUID: &str = "idx.guid.v1";
const IDX_SOURCE: &str = "idx.source.v1";
const IDX_STATE: &str = "idx.state.v1";
const FETCH_STATE: &str = "fetch_state.v1";
const QUOTES: &str = "quotes.v1";
const LINKS: &str = "links.v1";
const PAGES: &str = "pages.v1";
const META: &str = "meta";
const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";

/// A sled-backed store. Cloning is cheap and shares the open database: open a
/// path once per process and clone the handle.
#[derive(Clone)]
pub struct SledStore {
    db: Db,
    trees: Trees,
    /// The path as given, for error messages.
    path: Arc<str>,
}

#[derive(Clone)]
struct Trees {
    items: Tree,
    url: Tree,
    guid: Tree,
    source: Tree,
    state: Tree,
    fetch_state: Tree,
    quotes: Tree,
    links: Tree,
    pages: Tree,
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
        let shown = path.display().to_string();
        let db = base_config().path(path).open().map_err(|e| open_error(&shown, &e))?;
        Self::from_db(db, shown)
    }

    /// A store in a fresh temporary directory, deleted when the last clone is
    /// dropped (tests, `preview`).
    pub fn temporary() -> Result<Self, StoreError> {
        let shown = "(temporary store)".to_owned();
        let db = base_config().temporary(true).open().map_err(|e| open_error(&shown, &e))?;
        Self::from_db(db, shown)
    }

    fn from_db(db: Db, path: String) -> Result<Self, StoreError> {
        let meta = db.open_tree(META).map_err(io)?;
        migrate::bring_up_to_date(&SledTarget { db: &db, meta: &meta }, &path)?;
        let open = |name: &str| db.open_tree(name).map_err(io);
        let trees = Trees {
            items: open(ITEMS)?,
            url: open(IDX_URL)?,
            guid: open(IDX_GUID)?,
            source: open(IDX_SOURCE)?,
            state: open(IDX_STATE)?,
            fetch_state: open(FETCH_STATE)?,
            quotes: open(QUOTES)?,
            links: open(LINKS)?,
            pages: open(PAGES)?,
        };
        Ok(Self { db, trees, path: path.into() })
    }

    /// Upserts one chunk of items in one transaction; returns the chunk's report.
    fn upsert_chunk(&self, chunk: &[(ItemId, String, &NewItem)]) -> Result<UpsertReport, StoreError> {
        let t = &self.trees;
        (&t.items, &t.url, &t.guid, &t.source, &t.state)
            .transaction(|(items, url, guid, source, state)| {
                let tx = Tx { items, url, guid, source, state };
                // Built inside the closure: sled may rerun it on a conflict.
                let mut report = UpsertReport::default();
                for (id, hash, new) in chunk {
                    tx.upsert_one(id, hash, new, &mut report)?;
                }
                Ok(report)
            })
            .map_err(from_tx)
    }

    /// Every record under one item's prefix of `quotes.v1` or `links.v1`, in
    /// sequence order.
    ///
    /// A plain scan, not a snapshot: a re-extraction committing mid-scan can
    /// show a mix of old and new entries to this one read; the next read is whole.
    fn seq_records<T>(tree: &Tree, name: &'static str, id: &ItemId, decode: Decode<T>) -> Result<Vec<T>, StoreError> {
        tree.scan_prefix(codec::item_key(id))
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                decode(name, &key, &value)
            })
            .collect()
    }

    /// Reads the item an index entry points at; a dangling entry is logged and
    /// skipped, so one damaged entry cannot hide the rest of a listing.
    fn indexed_item(&self, tree: &'static str, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let item = self.item(id)?;
        if item.is_none() {
            tracing::warn!(tree, id = %id, "index entry points at a missing item; skipped");
        }
        Ok(item)
    }
}

impl Store for SledStore {
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError> {
        // Hashing happens outside the transaction, so a retried closure does not
        // repeat it and the global write lock is held for less time.
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
            // An item new in this batch and changed again later in it is reported once, as new.
            for id in part.updated {
                if !new_ids.contains(&id) && updated_ids.insert(id.clone()) {
                    report.updated.push(id);
                }
            }
        }
        Ok(report)
    }

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        let key = codec::item_key(id);
        self.trees.items.get(key).map_err(io)?.map(|bytes| codec::decode_item(ITEMS, key, &bytes)).transpose()
    }

    fn items(&self, query: &ItemQuery) -> Result<Vec<Item>, StoreError> {
        // The narrowest index that answers the query; the other filters are
        // checked on the record. A source usually has fewer items than a state.
        let (tree, name, prefixes, key_id): (_, _, Vec<Vec<u8>>, KeyToId) = match (&query.source, query.state) {
            (Some(source), _) => (&self.trees.source, IDX_SOURCE, vec![codec::source_prefix(source)], |key| {
                codec::decode_source_key(key).map(|(_, _, id)| id)
            }),
            (None, state) => {
                let states = state.map_or_else(|| ReviewState::ALL.to_vec(), |s| vec![s]);
                (&self.trees.state, IDX_STATE, states.into_iter().map(codec::state_prefix).collect(), |key| {
                    codec::decode_state_key(key).map(|(_, _, id)| id)
                })
            }
        };
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let ranges = prefixes.iter().map(|prefix| {
            let lower = query.since.map_or_else(|| prefix.clone(), |since| codec::time_lower_bound(prefix, since));
            let upper = codec::prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
            tree.range::<Vec<u8>, _>((Bound::Included(lower), upper)).rev()
        });
        // Every range shares its prefix length, so the rest of the key is [time][id].
        let prefix_len = prefixes.first().map_or(0, Vec::len);
        // Scans are not a snapshot: an item whose state changes mid-listing can
        // show up in two state ranges; list it once.
        let mut seen = HashSet::new();
        for key in NewestFirst::new(ranges.collect(), prefix_len) {
            let key = key?;
            let id = key_id(&key).ok_or_else(|| corrupt(name, &key, "not a valid index key"))?;
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some(item) = self.indexed_item(name, &id)? else { continue };
            let state_ok = query.state.is_none_or(|s| s == item.state);
            // The key holds the time at microsecond precision; compare exactly.
            let since_ok = query.since.is_none_or(|since| item.published >= since);
            if state_ok && since_ok {
                out.push(item);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn item_count(&self) -> Result<usize, StoreError> {
        Ok(self.trees.items.len())
    }

    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError> {
        let key = source_id.as_bytes();
        self.trees
            .fetch_state
            .get(key)
            .map_err(io)?
            .map(|bytes| codec::decode_fetch_state(FETCH_STATE, key, &bytes))
            .transpose()
    }

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError> {
        self.trees.fetch_state.insert(source_id.as_bytes(), codec::encode_fetch_state(state)).map_err(io)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        // One page cache serves every tree, so this makes all of them durable.
        self.db.flush().map_err(io)?;
        Ok(())
    }

    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError> {
        ReviewState::ALL
            .into_iter()
            .map(|state| {
                let mut count = 0;
                for entry in self.trees.state.scan_prefix(codec::state_prefix(state)).keys() {
                    entry.map_err(io)?;
                    count += 1;
                }
                Ok((state, count))
            })
            .collect()
    }

    fn update_editorial(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
    ) -> Result<Item, StoreError> {
        let key = codec::item_key(id);
        (&self.trees.items, &self.trees.state)
            .transaction(|(items, state_idx)| {
                let bytes = items.get(key)?.ok_or_else(|| abort(StoreError::UnknownItem { id: id.clone() }))?;
                let mut item = codec::decode_item(ITEMS, key, &bytes).map_err(abort)?;
                if item.revision != expected_revision {
                    return Err(abort(StoreError::StaleRevision {
                        id: id.clone(),
                        expected: expected_revision,
                        found: item.revision,
                    }));
                }
                if item.state != state {
                    state_idx.remove(codec::state_key(item.state, item.published, id))?;
                    state_idx.insert(codec::state_key(state, item.published, id), IVec::default())?;
                }
                item.state = state;
                item.editor = editor.clone();
                item.revision += 1;
                items.insert(key, codec::encode_item(&item))?;
                Ok(item)
            })
            .map_err(from_tx)
    }

    fn put_extraction(&self, id: &ItemId, extraction: &Extraction) -> Result<(), StoreError> {
        let key = codec::item_key(id);
        // Encoded outside the transaction: sled may rerun the closure.
        let quotes: Vec<Vec<u8>> = extraction.quotes.iter().map(codec::encode_quote).collect();
        let links: Vec<Vec<u8>> = extraction.links.iter().map(codec::encode_link).collect();
        let t = &self.trees;
        (&t.items, &t.quotes, &t.links)
            .transaction(|(items, quote_tree, link_tree)| {
                let bytes = items.get(key)?.ok_or_else(|| abort(StoreError::UnknownItem { id: id.clone() }))?;
                let mut item = codec::decode_item(ITEMS, key, &bytes).map_err(abort)?;
                let mut changed = replace_sequence(quote_tree, id, item.quote_count, &quotes)?;
                changed |= replace_sequence(link_tree, id, item.link_count, &links)?;
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
                item.quote_count = sequence_len(quotes.len());
                item.link_count = sequence_len(links.len());
                // Only what editors see bumps the revision: a re-extraction that
                // found the same page must not make an open edit form stale.
                if changed {
                    item.revision += 1;
                }
                items.insert(key, codec::encode_item(&item))?;
                Ok(())
            })
            .map_err(from_tx)
    }

    fn record_extraction_attempt(
        &self,
        id: &ItemId,
        content_hash: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let key = codec::item_key(id);
        self.trees
            .items
            .transaction(|items| {
                let bytes = items.get(key)?.ok_or_else(|| abort(StoreError::UnknownItem { id: id.clone() }))?;
                let mut item = codec::decode_item(ITEMS, key, &bytes).map_err(abort)?;
                item.extracted_for = Some(content_hash.to_owned());
                if let Some(failure) = failure {
                    if item.extraction_note.as_deref() != Some(failure) {
                        item.extraction_note = Some(failure.to_owned());
                        item.revision += 1;
                    }
                }
                items.insert(key, codec::encode_item(&item))?;
                Ok(())
            })
            .map_err(from_tx)
    }

    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError> {
        Self::seq_records(&self.trees.quotes, QUOTES, id, codec::decode_quote)
    }

    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError> {
        Self::seq_records(&self.trees.links, LINKS, id, codec::decode_link)
    }

    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError> {
        let key = url.as_bytes();
        self.trees.pages.get(key).map_err(io)?.map(|bytes| codec::decode_page_cache(PAGES, key, &bytes)).transpose()
    }

    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError> {
        self.trees.pages.insert(url.as_bytes(), codec::encode_page_cache(cache)).map_err(io)?;
        Ok(())
    }
}

/// A stored sequence length. Pages are capped far below 4 billion quotes by
/// the fetcher's body limit; saturating keeps the count an upper bound anyway.
fn sequence_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Writes `records` as the item's sequence `0..len` in `tree` and removes the
/// entries `len..old_count` left from a longer previous sequence. Returns
/// whether anything differs from what was stored.
fn replace_sequence(tree: &TransactionalTree, id: &ItemId, old_count: u32, records: &[Vec<u8>]) -> TxResult<bool> {
    let new_count = sequence_len(records.len());
    let mut changed = old_count != new_count;
    for (seq, record) in (0..new_count).zip(records) {
        let old = tree.insert(codec::seq_key(id, seq), record.as_slice())?;
        changed |= old.as_deref() != Some(record.as_slice());
    }
    for seq in new_count..old_count {
        tree.remove(codec::seq_key(id, seq))?;
    }
    Ok(changed)
}

/// A record decoder from `codec` (tree name and key only name the place in errors).
type Decode<T> = fn(&'static str, &[u8], &[u8]) -> Result<T, StoreError>;

/// Reads the item id out of one index's key (and checks the key's shape).
type KeyToId = fn(&[u8]) -> Option<ItemId>;

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

/// How an incoming item was matched to a stored one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matched {
    Id,
    Url,
    Guid,
}

/// The transactional views of the item tree and its indexes.
struct Tx<'a> {
    items: &'a TransactionalTree,
    url: &'a TransactionalTree,
    guid: &'a TransactionalTree,
    source: &'a TransactionalTree,
    state: &'a TransactionalTree,
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

impl Tx<'_> {
    /// Upserts one item; see [`Store::upsert_items`] for the rules.
    fn upsert_one(&self, id: &ItemId, hash: &str, new: &NewItem, report: &mut UpsertReport) -> TxResult<()> {
        let Some((matched, mut item)) = self.find(id, new)? else {
            let item = new_item(id.clone(), hash.to_owned(), new);
            self.insert_new(&item, new)?;
            report.new.push(item.id);
            return Ok(());
        };
        let mut changed = false;
        if !item.sources.contains(&new.source_id) {
            // The same article from another source: remember that source too.
            self.source.insert(codec::source_key(&new.source_id, item.published, &item.id), IVec::default())?;
            item.sources.push(new.source_id.clone());
            changed = true;
        }
        if let (Matched::Url, Some(guid)) = (matched, &new.guid) {
            // The item id does not follow from this source's guid (another
            // source's copy, or a guid that changed): record the guid, so the
            // item is found again even if its URL changes later. An item matched
            // by id needs no entry: its id *is* the hash of source and guid.
            let key = codec::guid_key(&new.source_id, guid);
            if self.guid.get(&key)?.is_none() {
                self.guid.insert(key, codec::item_key(&item.id))?;
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
            self.items.insert(codec::item_key(&item.id), codec::encode_item(&item))?;
            report.updated.push(item.id);
        } else {
            report.unchanged += 1;
        }
        Ok(())
    }

    /// The stored item this entry is a copy of: by id, then canonical URL, then
    /// this source's guid.
    fn find(&self, id: &ItemId, new: &NewItem) -> TxResult<Option<(Matched, Item)>> {
        if let Some(item) = self.load(codec::item_key(id))? {
            return Ok(Some((Matched::Id, item)));
        }
        if let Some(url) = &new.url {
            if let Some(item) = self.load_via(self.url, IDX_URL, url.as_bytes())? {
                return Ok(Some((Matched::Url, item)));
            }
        }
        if let Some(guid) = &new.guid {
            if let Some(item) = self.load_via(self.guid, IDX_GUID, &codec::guid_key(&new.source_id, guid))? {
                return Ok(Some((Matched::Guid, item)));
            }
        }
        Ok(None)
    }

    fn load(&self, key: &[u8]) -> TxResult<Option<Item>> {
        match self.items.get(key)? {
            Some(bytes) => Ok(Some(codec::decode_item(ITEMS, key, &bytes).map_err(abort)?)),
            None => Ok(None),
        }
    }

    /// Follows an id index; a key pointing at a missing item counts as absent.
    fn load_via(&self, index: &TransactionalTree, name: &'static str, key: &[u8]) -> TxResult<Option<Item>> {
        match index.get(key)? {
            Some(target) => {
                codec::decode_item_id(&target).ok_or_else(|| abort(corrupt(name, key, "value is not an item id")))?;
                self.load(&target)
            }
            None => Ok(None),
        }
    }

    /// Writes a first-seen item: its record, URL, state and source keys (no
    /// guid entry: the id is derived from it).
    fn insert_new(&self, item: &Item, new: &NewItem) -> TxResult<()> {
        let id = &item.id;
        let id_bytes = codec::item_key(id);
        self.items.insert(id_bytes, codec::encode_item(item))?;
        if let Some(url) = &item.url {
            // `find` saw no item under this URL (or a dangling entry): claim it.
            self.url.insert(url.as_bytes(), id_bytes)?;
        }
        self.source.insert(codec::source_key(&new.source_id, item.published, id), IVec::default())?;
        self.state.insert(codec::state_key(item.state, item.published, id), IVec::default())?;
        Ok(())
    }

    /// Copies what the feed says onto `item` and moves the index keys that
    /// depend on it. Review state, editor fields and extracted text stay.
    fn apply_feed_fields(&self, item: &mut Item, hash: &str, new: &NewItem) -> TxResult<()> {
        let id_bytes = codec::item_key(&item.id).to_vec();
        if item.url != new.url {
            if let Some(old) = &item.url {
                if self.url.get(old.as_bytes())?.as_deref() == Some(id_bytes.as_slice()) {
                    self.url.remove(old.as_bytes())?;
                }
            }
            // Another item may already own the new URL; the first claim stands.
            if let Some(url) = &new.url {
                if self.url.get(url.as_bytes())?.is_none() {
                    self.url.insert(url.as_bytes(), id_bytes.as_slice())?;
                }
            }
        }
        if codec::encode_time(item.published) != codec::encode_time(new.published) {
            self.move_time_keys(item, new.published)?;
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
    fn move_time_keys(&self, item: &Item, to: chrono::DateTime<chrono::Utc>) -> TxResult<()> {
        let (from, id) = (item.published, &item.id);
        for source in &item.sources {
            self.source.remove(codec::source_key(source, from, id))?;
            self.source.insert(codec::source_key(source, to, id), IVec::default())?;
        }
        self.state.remove(codec::state_key(item.state, from, id))?;
        self.state.insert(codec::state_key(item.state, to, id), IVec::default())?;
        Ok(())
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
fn base_config() -> Config {
    Config::new().cache_capacity(CACHE_CAPACITY_BYTES)
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
        for entry in &self.db.open_tree(tree).map_err(io)? {
            let (key, value) = entry.map_err(io)?;
            visit(&key, &value)?;
        }
        Ok(())
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
}

// Plain functions rather than `From` impls, so no sled type appears in the
// crate's public API.

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io)`
fn io(error: sled::Error) -> StoreError {
    StoreError::Io(error.to_string())
}

fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

fn from_tx(error: TransactionError<StoreError>) -> StoreError {
    match error {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => io(e),
    }
}

/// An open failure, saying plainly when the cause is another open handle.
fn open_error(path: &str, error: &sled::Error) -> StoreError {
    let text = error.to_string();
    let reason = if text.contains("could not acquire lock") {
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
        let db = Config::new().path(&path).open().expect("reopens raw");
        let meta = db.open_tree(META).expect("meta");
        let version = meta.get(SCHEMA_VERSION_KEY).expect("read").expect("written");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION));
        assert!(db.tree_names().iter().any(|n| n.as_ref() == ITEMS.as_bytes()));
    }

    #[test]
    fn a_store_from_a_newer_gleaner_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = Config::new().path(&path).open().expect("raw open");
            let meta = db.open_tree(META).expect("meta");
            meta.insert(SCHEMA_VERSION_KEY, &codec::encode_version(migrate::CURRENT_VERSION + 1)).expect("write");
            db.flush().expect("flush");
        }
        let err = SledStore::open(&path).expect_err("a newer store must be refused");
        let message = err.to_string();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == migrate::CURRENT_VERSION + 1));
        assert!(message.contains("g.sled") && message.contains("upgrade Gleaner"), "{message}");
        // Refused untouched: the version is still the newer one.
        let db = Config::new().path(&path).open().expect("raw reopen");
        let version = db.open_tree(META).expect("meta").get(SCHEMA_VERSION_KEY).expect("read").expect("kept");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION + 1));
    }

    #[test]
    fn an_unversioned_store_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = Config::new().path(&path).open().expect("raw open");
            db.open_tree(FETCH_STATE)
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
