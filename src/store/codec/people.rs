//! Keys of the people tree (quote provenance and the speaker map), shared by
//! the sled store, its migration, the backup checks and PostgreSQL's dump,
//! which writes the same keys from its tables. Pure: bytes in, bytes out.
//!
//! | key | value |
//! |---|---|
//! | `rec/{record}` | JSON [`QuoteSummary`](crate::speakers::QuoteSummary) |
//! | `occ/{record}/{spot}` | JSON [`Occurrence`] |
//! | `item/{item}/{record}` | JSON list of the item's occurrences in that record, in spot order |
//! | `key/{shingle}/{record}`, `spk/{speaker}/{record}` | empty |
//! | `map` | JSON [`SpeakerMap`](crate::speakers::SpeakerMap) |
//!
//! A spot is the occurrence's time (seconds with the sign bit flipped, then
//! nanoseconds, as fixed-width hex), item id and quote id, so a prefix scan
//! of `occ/{record}/` lists a record's occurrences oldest first. Record ids,
//! item ids, shingle keys and speaker ids hold no `/` (hex hashes, word
//! characters and `-`), so a prefix scan never runs into a neighbour's
//! entries; quote ids are hex or `ed-` and hex.

use crate::speakers::Occurrence;

/// The sled tree the keys live in.
pub const TREE: &str = "people";

pub const REC: &str = "rec";
pub const OCC: &str = "occ";
pub const ITEM: &str = "item";
pub const KEY: &str = "key";
pub const SPK: &str = "spk";
pub const MAP: &[u8] = b"map";

/// `{a}/{b}/...`.
pub fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

/// `{a}/{b}/.../`: what a prefix scan of the entries under those parts takes.
pub fn prefix(parts: &[&str]) -> Vec<u8> {
    let mut out = key(parts);
    out.push(b'/');
    out
}

/// Where an occurrence sorts in its record (the part of its key after the record).
pub fn spot(occurrence: &Occurrence) -> String {
    // Flipping the sign bit maps i64 order onto unsigned (and so hex) order.
    #[allow(clippy::cast_sign_loss)]
    let seconds = (occurrence.published.timestamp() as u64) ^ (1 << 63);
    let nanos = occurrence.published.timestamp_subsec_nanos();
    format!("{seconds:016x}{nanos:08x}/{}/{}", occurrence.item.as_str(), occurrence.quote)
}

/// `occ/{record}/{spot}`.
pub fn occurrence_key(record: &str, occurrence: &Occurrence) -> Vec<u8> {
    key(&[OCC, record, &spot(occurrence)])
}

/// The record and spot of an `occ/` key's rest (after `occ/`).
pub fn split_occurrence(rest: &[u8]) -> Option<(&str, &str)> {
    std::str::from_utf8(rest).ok()?.split_once('/')
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::ItemId;

    fn at(seconds: i64, item: &str) -> Occurrence {
        Occurrence {
            item: ItemId::derive("s", item),
            quote: "q1".to_owned(),
            outlet: None,
            published: Utc.timestamp_opt(seconds, 5).single().expect("valid"),
            text: String::new(),
        }
    }

    #[test]
    fn occurrence_keys_sort_oldest_first_before_1970_too() {
        let times = [-86_400 * 400, -1, 0, 1, 1_700_000_000];
        let keys: Vec<Vec<u8>> = times.iter().map(|t| occurrence_key("r", &at(*t, "a"))).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        let rest = &keys[0][OCC.len() + 1..];
        assert_eq!(split_occurrence(rest).map(|(record, _)| record), Some("r"));
    }
}
