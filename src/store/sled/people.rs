//! Quote provenance records and the speaker map (issue 16.2, 16.3), in a
//! tree of their own (`people`) beside the records tree, like the mailing
//! list: they share no batch with items.
//!
//! Layout: `rec/{id}` → record (JSON), `key/{key}/{id}` → empty (the
//! shingle index, see `speakers::provenance`), `item/{item}/{id}` and
//! `spk/{speaker}/{id}` → empty, `map` → the speaker map (JSON). Keys and
//! ids hold no `/` (hex hashes, item ids, speaker ids are word characters
//! and `-`), so a prefix scan never runs into a neighbour's entries.

use std::collections::BTreeMap;

use sled::{Batch, Tree};

use super::super::{PeopleStore, StoreError};
use super::SledStore;
use super::open::io;
use crate::model::ItemId;
use crate::speakers::provenance::{self, words};
use crate::speakers::{QuoteRecord, QuoteSighting, SpeakerMap};

pub(super) const PEOPLE_TREE: &str = "people";
const MAP_KEY: &[u8] = b"map";

fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

fn decode<T: serde::de::DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: PEOPLE_TREE,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records of plain fields always serialize")
}

/// The ids under a prefix `{prefix}/`: each key's last segment.
fn ids_under(tree: &Tree, prefix: &[u8]) -> Result<Vec<String>, StoreError> {
    tree.scan_prefix(prefix)
        .map(|entry| {
            let (key, _) = entry.map_err(io)?;
            Ok(String::from_utf8_lossy(&key[prefix.len()..]).into_owned())
        })
        .collect()
}

/// Every index entry a record owns.
fn index_keys(record: &QuoteRecord) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = record.keys().iter().map(|k| key(&["key", k, &record.id])).collect();
    let mut items: Vec<&str> = record.occurrences.iter().map(|o| o.item.as_str()).collect();
    items.sort_unstable();
    items.dedup();
    out.extend(items.into_iter().map(|item| key(&["item", item, &record.id])));
    out.push(key(&["spk", &record.speaker, &record.id]));
    out
}

impl SledStore {
    fn quote_record(&self, id: &str) -> Result<Option<QuoteRecord>, StoreError> {
        let k = key(&["rec", id]);
        self.people.get(&k).map_err(io)?.map(|v| decode(&k, &v)).transpose()
    }

    fn quote_records_by_id(&self, ids: impl IntoIterator<Item = String>) -> Result<Vec<QuoteRecord>, StoreError> {
        let mut out = BTreeMap::new();
        for id in ids {
            if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(id) {
                if let Some(record) = self.quote_record(slot.key())? {
                    slot.insert(record);
                }
            }
        }
        Ok(out.into_values().collect())
    }
}

impl PeopleStore for SledStore {
    fn record_quotes(&self, item: &ItemId, sightings: &[QuoteSighting]) -> Result<(), StoreError> {
        let _writing = self.lock();
        let mut ids = ids_under(&self.people, &key(&["item", item.as_str(), ""]))?;
        for sighting in sightings {
            for k in provenance::keys_of(&sighting.speaker, &words(&sighting.occurrence.text)) {
                ids.extend(ids_under(&self.people, &key(&["key", &k, ""]))?);
            }
        }
        let known = self.quote_records_by_id(ids)?;
        let change = provenance::apply(item, sightings, &known);
        if change.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::default();
        let old: BTreeMap<&str, &QuoteRecord> = known.iter().map(|r| (r.id.as_str(), r)).collect();
        let touched = change.removed.iter().map(String::as_str).chain(change.put.iter().map(|r| r.id.as_str()));
        for id in touched {
            if let Some(record) = old.get(id) {
                for k in index_keys(record) {
                    batch.remove(k);
                }
                batch.remove(key(&["rec", id]));
            }
        }
        for record in &change.put {
            for k in index_keys(record) {
                batch.insert(k, &[]);
            }
            batch.insert(key(&["rec", &record.id]), encode(record));
        }
        self.people.apply_batch(batch).map_err(io)
    }

    fn quote_records_of(&self, item: &ItemId) -> Result<Vec<QuoteRecord>, StoreError> {
        self.quote_records_by_id(ids_under(&self.people, &key(&["item", item.as_str(), ""]))?)
    }

    fn quote_records(&self, speakers: Option<&[String]>) -> Result<Vec<QuoteRecord>, StoreError> {
        match speakers {
            Some(speakers) => {
                let mut ids = Vec::new();
                for speaker in speakers {
                    ids.extend(ids_under(&self.people, &key(&["spk", speaker, ""]))?);
                }
                self.quote_records_by_id(ids)
            }
            None => self
                .people
                .scan_prefix(b"rec/")
                .map(|entry| {
                    let (k, v) = entry.map_err(io)?;
                    decode(&k, &v)
                })
                .collect(),
        }
    }

    fn speaker_map(&self) -> Result<SpeakerMap, StoreError> {
        Ok(self.people.get(MAP_KEY).map_err(io)?.map(|v| decode(MAP_KEY, &v)).transpose()?.unwrap_or_default())
    }

    fn swap_speaker_map(&self, expected: &SpeakerMap, map: &SpeakerMap) -> Result<bool, StoreError> {
        let _writing = self.lock();
        if self.speaker_map()? != *expected {
            return Ok(false);
        }
        self.people.insert(MAP_KEY, encode(map)).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(true)
    }
}
