//! Quote provenance records and the speaker map (issue 16.2, 16.3), in a
//! tree of their own (`people`) beside the records tree, like the mailing
//! list: they share no batch with items. The keys are in `codec/people.rs`:
//! each record's summary, its occurrences one entry each, the item index
//! (each item's occurrences per record), the shingle and speaker indexes,
//! and the speaker map.

use std::collections::{BTreeMap, BTreeSet};

use sled::{Batch, Tree};

use super::super::codec::people::{self as keys, ITEM, KEY, MAP, OCC, REC, SPK, key, prefix};
use super::super::{PeopleStore, StoreError};
use super::SledStore;
use super::open::io;
use crate::model::ItemId;
use crate::speakers::provenance::{self, Known, Reread, words};
use crate::speakers::{Occurrence, QuoteSighting, QuoteSummary, SpeakerMap};

pub(super) const PEOPLE_TREE: &str = keys::TREE;

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

/// The shingle and speaker index entries of a summary.
fn index_keys(summary: &QuoteSummary) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = summary.keys().iter().map(|k| key(&[KEY, k, &summary.id])).collect();
    out.push(key(&[SPK, &summary.speaker, &summary.id]));
    out
}

/// The item index entries one write changes, read on first use.
struct ItemIndex<'a> {
    tree: &'a Tree,
    entries: BTreeMap<(ItemId, String), Vec<Occurrence>>,
}

impl ItemIndex<'_> {
    fn entry(&mut self, item: &ItemId, record: &str) -> Result<&mut Vec<Occurrence>, StoreError> {
        let slot = (item.clone(), record.to_owned());
        if !self.entries.contains_key(&slot) {
            let k = key(&[ITEM, item.as_str(), record]);
            let held = self.tree.get(&k).map_err(io)?.map(|v| decode(&k, &v)).transpose()?.unwrap_or_default();
            self.entries.insert(slot.clone(), held);
        }
        Ok(self.entries.get_mut(&slot).expect("just inserted"))
    }

    fn remove(&mut self, record: &str, occurrence: &Occurrence) -> Result<(), StoreError> {
        self.entry(&occurrence.item, record)?.retain(|o| o.item != occurrence.item || o.quote != occurrence.quote);
        Ok(())
    }

    fn add(&mut self, record: &str, occurrence: &Occurrence) -> Result<(), StoreError> {
        let held = self.entry(&occurrence.item, record)?;
        held.retain(|o| o.quote != occurrence.quote);
        held.push(occurrence.clone());
        held.sort_by_cached_key(Occurrence::spot);
        Ok(())
    }

    fn write(self, batch: &mut Batch) {
        for ((item, record), held) in self.entries {
            let k = key(&[ITEM, item.as_str(), &record]);
            if held.is_empty() { batch.remove(k) } else { batch.insert(k, encode(&held)) }
        }
    }
}

impl SledStore {
    fn quote_summary(&self, id: &str) -> Result<Option<QuoteSummary>, StoreError> {
        let k = key(&[REC, id]);
        self.people.get(&k).map_err(io)?.map(|v| decode(&k, &v)).transpose()
    }

    fn summaries_by_id(&self, ids: impl IntoIterator<Item = String>) -> Result<Vec<QuoteSummary>, StoreError> {
        let mut out = BTreeMap::new();
        for id in ids {
            if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(id) {
                if let Some(summary) = self.quote_summary(slot.key())? {
                    slot.insert(summary);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Every record holding the item (with its occurrences there) or
    /// sharing a key with a sighting.
    fn candidates(&self, item: &ItemId, sightings: &[QuoteSighting]) -> Result<Vec<Known>, StoreError> {
        let mut held: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
        let by_item = prefix(&[ITEM, item.as_str()]);
        for entry in self.people.scan_prefix(&by_item) {
            let (k, v) = entry.map_err(io)?;
            held.insert(String::from_utf8_lossy(&k[by_item.len()..]).into_owned(), decode(&k, &v)?);
        }
        let mut ids: BTreeSet<String> = held.keys().cloned().collect();
        for sighting in sightings {
            for k in provenance::keys_of(&sighting.speaker, &words(&sighting.occurrence.text)) {
                ids.extend(ids_under(&self.people, &prefix(&[KEY, &k]))?);
            }
        }
        Ok(self
            .summaries_by_id(ids)?
            .into_iter()
            .map(|summary| {
                let mine = held.remove(&summary.id).unwrap_or_default();
                Known::new(summary, mine)
            })
            .collect())
    }
}

impl PeopleStore for SledStore {
    fn record_quotes(&self, item: &ItemId, sightings: &[QuoteSighting]) -> Result<(), StoreError> {
        let _writing = self.lock();
        let mut known = self.candidates(item, sightings)?;
        let change = match provenance::apply(item, sightings, &known) {
            Ok(change) => change,
            Err(Reread(ids)) => {
                for k in known.iter_mut().filter(|k| ids.contains(&k.summary.id)) {
                    k.all = Some(self.occurrences(&k.summary.id)?);
                }
                provenance::apply(item, sightings, &known).map_err(|Reread(ids)| StoreError::Corrupt {
                    tree: PEOPLE_TREE,
                    key: ids.join(","),
                    reason: "asked again for occurrences it was given".to_owned(),
                })?
            }
        };
        if change.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::default();
        let mut index = ItemIndex { tree: &self.people, entries: BTreeMap::new() };
        let dropped: BTreeSet<(&str, &ItemId, &str)> =
            change.dropped.iter().map(|(r, o)| (r.as_str(), &o.item, o.quote.as_str())).collect();
        for (record, occurrence) in &change.dropped {
            batch.remove(keys::occurrence_key(record, occurrence));
            index.remove(record, occurrence)?;
        }
        // A merge moves every occurrence the record still has: the only
        // write that is as long as a record (bridging forms are rare).
        for (from, into) in &change.merged {
            for entry in self.people.scan_prefix(prefix(&[OCC, from])) {
                let (k, v) = entry.map_err(io)?;
                let occurrence: Occurrence = decode(&k, &v)?;
                if dropped.contains(&(from.as_str(), &occurrence.item, occurrence.quote.as_str())) {
                    continue;
                }
                batch.remove(k);
                batch.insert(keys::occurrence_key(into, &occurrence), v);
                index.remove(from, &occurrence)?;
                index.add(into, &occurrence)?;
            }
        }
        for (record, occurrence) in &change.added {
            batch.insert(keys::occurrence_key(record, occurrence), encode(occurrence));
            index.add(record, occurrence)?;
        }
        index.write(&mut batch);
        let old: BTreeMap<&str, &QuoteSummary> = known.iter().map(|k| (k.summary.id.as_str(), &k.summary)).collect();
        for id in &change.removed {
            if let Some(summary) = old.get(id.as_str()) {
                for k in index_keys(summary) {
                    batch.remove(k);
                }
            }
            batch.remove(key(&[REC, id]));
        }
        for summary in &change.put {
            let before = old.get(summary.id.as_str());
            if before.is_none_or(|b| b.text != summary.text || b.speaker != summary.speaker) {
                for k in before.map(|b| index_keys(b)).unwrap_or_default() {
                    batch.remove(k);
                }
                for k in index_keys(summary) {
                    batch.insert(k, &[]);
                }
            }
            batch.insert(key(&[REC, &summary.id]), encode(summary));
        }
        self.people.apply_batch(batch).map_err(io)
    }

    fn quote_summaries_of(&self, item: &ItemId) -> Result<Vec<QuoteSummary>, StoreError> {
        self.summaries_by_id(ids_under(&self.people, &prefix(&[ITEM, item.as_str()]))?)
    }

    fn quote_summaries(&self, speakers: Option<&[String]>) -> Result<Vec<QuoteSummary>, StoreError> {
        match speakers {
            Some(speakers) => {
                let mut ids = Vec::new();
                for speaker in speakers {
                    ids.extend(ids_under(&self.people, &prefix(&[SPK, speaker]))?);
                }
                self.summaries_by_id(ids)
            }
            None => self
                .people
                .scan_prefix(prefix(&[REC]))
                .map(|entry| {
                    let (k, v) = entry.map_err(io)?;
                    decode(&k, &v)
                })
                .collect(),
        }
    }

    fn occurrences(&self, record: &str) -> Result<Vec<Occurrence>, StoreError> {
        self.people
            .scan_prefix(prefix(&[OCC, record]))
            .map(|entry| {
                let (k, v) = entry.map_err(io)?;
                decode(&k, &v)
            })
            .collect()
    }

    fn speaker_map(&self) -> Result<SpeakerMap, StoreError> {
        Ok(self.people.get(MAP).map_err(io)?.map(|v| decode(MAP, &v)).transpose()?.unwrap_or_default())
    }

    fn swap_speaker_map(&self, expected: &SpeakerMap, map: &SpeakerMap) -> Result<bool, StoreError> {
        let _writing = self.lock();
        if self.speaker_map()? != *expected {
            return Ok(false);
        }
        self.people.insert(MAP, encode(map)).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(true)
    }
}
