//! The upsert and extraction writer: reads what is stored, decides with the
//! model's merge rules, and stages every key of the result for one atomic batch.

use std::collections::{BTreeMap, HashMap};

use sled::{Batch, Tree};

use super::super::codec::{self, IDX_GUID, IDX_URL, ITEMS, Space, corrupt};
use super::super::{Extraction, StoreError, UpsertReport};
use super::io;
use crate::model::{Item, ItemId, NewItem};

/// An extraction's quotes-and-links record, encoded before the writer lock
/// is taken; `None` when it found neither (the item then has no record).
pub(super) struct EncodedExtraction {
    record: Option<Vec<u8>>,
}

impl EncodedExtraction {
    pub(super) fn new(extraction: &Extraction) -> Self {
        let found = !extraction.quotes.is_empty() || !extraction.links.is_empty();
        Self { record: found.then(|| codec::encode_extract(&extraction.quotes, &extraction.links)) }
    }
}

/// How an incoming item was matched to a stored one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Matched {
    Id,
    Url,
    Guid,
}

/// The writes of one batch, readable before they are applied: reads
/// see the batch's own earlier writes first (an entry repeated within one
/// call, two sources' copies of one URL), then the tree. Used under the
/// writer lock only.
pub(super) struct Writer<'t> {
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
    pub(super) fn new(tree: &'t Tree) -> Self {
        Self { tree, pending: BTreeMap::new(), items: HashMap::new() }
    }

    /// A raw read; never of an item record (those go through [`Writer::load`]).
    pub(super) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(key) {
            Some(value) => Ok(value.clone()),
            None => Ok(self.tree.get(key).map_err(io)?.map(|v| v.to_vec())),
        }
    }

    pub(super) fn insert(&mut self, key: Vec<u8>, value: impl Into<Vec<u8>>) {
        self.pending.insert(key, Some(value.into()));
    }

    pub(super) fn remove(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }

    /// Stages `item`'s record.
    pub(super) fn put_item(&mut self, item: Item) {
        self.items.insert(item.id.clone(), item);
    }

    /// Applies every pending write as one atomic batch.
    pub(super) fn commit(mut self) -> Result<(), StoreError> {
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

    /// Stages an extraction of item `id` (see [`ItemStore::put_extraction`]).
    /// Stages nothing when the item is unknown.
    pub(super) fn stage_extraction(
        &mut self,
        id: &ItemId,
        extraction: &Extraction,
        encoded: EncodedExtraction,
    ) -> Result<(), StoreError> {
        let mut item = self.load(id)?.ok_or_else(|| StoreError::UnknownItem { id: id.clone() })?;
        let key = codec::extract_key(id);
        // An item owns a record exactly when it has quotes or links: no lookup otherwise.
        let stored = if item.quote_count > 0 || item.link_count > 0 { self.get(&key)? } else { None };
        let changed = stored != encoded.record;
        match encoded.record {
            Some(record) => self.insert(key, record),
            None if stored.is_some() => self.remove(key),
            None => {}
        }
        item.take_extraction(extraction, changed);
        self.put_item(item);
        Ok(())
    }

    /// Stages the removal of `item` (delivered by `source` only) and of every
    /// key it owns: record, state key, extract record, story print, and the URL, guid and
    /// page-cache entries that point at it.
    pub(super) fn remove_item(&mut self, item: &Item, source: &str) -> Result<(), StoreError> {
        let id_bytes = codec::id_value(&item.id).to_vec();
        self.items.remove(&item.id);
        self.remove(codec::item_key(&item.id));
        self.remove(codec::state_key(item.state, item.published, &item.id));
        self.remove(codec::extract_key(&item.id));
        self.remove(codec::story_key(&item.id));
        if let Some(url) = &item.url {
            let key = codec::url_key(url);
            if self.get(&key)?.as_deref() == Some(id_bytes.as_slice()) {
                self.remove(key);
            }
            self.remove(codec::page_key(url));
        }
        if let Some(guid) = &item.guid {
            let key = codec::guid_key(source, guid);
            if self.get(&key)?.as_deref() == Some(id_bytes.as_slice()) {
                self.remove(key);
            }
        }
        Ok(())
    }

    /// Upserts one item; see [`ItemStore::upsert_items`] for the rules.
    pub(super) fn upsert_one(
        &mut self,
        id: &ItemId,
        hash: &str,
        new: &NewItem,
        report: &mut UpsertReport,
    ) -> Result<(), StoreError> {
        let Some((matched, mut item)) = self.find(id, new)? else {
            let item = Item::first_sighting(id.clone(), hash.to_owned(), new);
            report.new.push(item.id.clone());
            self.insert_new(item);
            return Ok(());
        };
        let mut changed = item.also_from(&new.source_id);
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
        if item.follows_feed_change(hash, &new.source_id) {
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

    pub(super) fn load(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
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
        item.take_feed_fields(new, hash);
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
