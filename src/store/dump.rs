//! Raw records for backups: which key space a stored key belongs to, and the
//! checks a restored record must pass before it is written.
//!
//! Pure, like `codec.rs` (whose prefixes it reads): no sled, no I/O. A key
//! space is everything up to and including the first `/` of a key; every
//! prefix in the layout table has that shape, so a dump needs no list of
//! spaces and a space added later is dumped without anyone remembering to.

use super::codec::{self, Space};
use super::{RawRecord, StoreError};

/// Name errors use for records read from a backup.
const BACKUP: &str = "backup";

/// Splits a stored key into its space's name and the rest; `None` for a key
/// outside any space (none is written; such a key means a damaged store).
pub fn split(key: &[u8]) -> Option<(String, &[u8])> {
    let slash = key.iter().position(|&b| b == b'/')?;
    let name = std::str::from_utf8(&key[..slash]).ok()?;
    well_formed(name).then(|| (name.to_owned(), &key[slash + 1..]))
}

/// `name.vN`: lower-case letters, `_` and `.`, then a version.
fn well_formed(name: &str) -> bool {
    let Some((base, version)) = name.rsplit_once(".v") else { return false };
    !base.is_empty()
        && base.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
}

/// The backup's names for the trees beside the records tree (see
/// `sled/notify.rs` and `sled/people.rs`): the mailing list with its tokens,
/// jobs and per-issue send state, the webhook outbox with its deliveries and
/// cursors, and the people tree with the quote provenance records, their
/// indexes and the editors' speaker map. A record of these spaces carries
/// its key within that tree as `key`. They are backup names only: no key of
/// the records tree starts with them.
pub const MAIL_SPACE: &str = "mail_list.v1";
pub const OUTBOX_SPACE: &str = "webhook_outbox.v1";
pub const PEOPLE_SPACE: &str = "people.v1";
/// Editors' watchlists (`sled/watch.rs`): `list/{editor}` → the list.
pub const WATCH_SPACE: &str = "watchlists.v1";

/// Where a restored record goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The records tree (items, indexes, users, issues, ...).
    Records,
    /// The mailing list's tree.
    Mail,
    /// The webhook outbox's tree.
    Outbox,
    /// Quote provenance and the speaker map.
    People,
    /// Editors' watchlists.
    Watch,
}

/// Checks a record from a backup and returns where it goes and its key
/// there (see [`restore_key`] for the records tree).
pub fn restore_target(record: &RawRecord) -> Result<(Target, Vec<u8>), StoreError> {
    let json = |what: &str| -> Result<(), StoreError> {
        serde_json::from_slice::<serde::de::IgnoredAny>(&record.value)
            .map(drop)
            .map_err(|e| codec::corrupt(BACKUP, &record.key, format!("{what}: {e}")))
    };
    let starts = |prefix: &[u8]| record.key.starts_with(prefix);
    let decoded =
        |result: Result<(), serde_json::Error>| result.map_err(|e| codec::corrupt(BACKUP, &record.key, e.to_string()));
    match record.space.as_str() {
        MAIL_SPACE => {
            if starts(b"sub/") {
                decoded(serde_json::from_slice::<crate::model::Subscriber>(&record.value).map(drop))?;
            } else if starts(b"send/") {
                decoded(serde_json::from_slice::<crate::model::SendState>(&record.value).map(drop))?;
            } else if !(starts(b"tok/") || starts(b"job/")) {
                return Err(codec::corrupt(BACKUP, &record.key, "not a key of the mailing list"));
            }
            Ok((Target::Mail, record.key.clone()))
        }
        OUTBOX_SPACE => {
            if starts(b"d/") {
                decoded(serde_json::from_slice::<crate::model::Delivery>(&record.value).map(drop))?;
            } else if starts(b"cursor/") {
                json("a cursor")?;
            } else {
                return Err(codec::corrupt(BACKUP, &record.key, "not a key of the webhook outbox"));
            }
            Ok((Target::Outbox, record.key.clone()))
        }
        PEOPLE_SPACE => {
            if starts(b"rec/") {
                decoded(serde_json::from_slice::<crate::speakers::QuoteSummary>(&record.value).map(drop))?;
            } else if starts(b"occ/") {
                decoded(serde_json::from_slice::<crate::speakers::Occurrence>(&record.value).map(drop))?;
            } else if starts(b"item/") {
                decoded(serde_json::from_slice::<Vec<crate::speakers::Occurrence>>(&record.value).map(drop))?;
            } else if record.key == b"map" {
                decoded(serde_json::from_slice::<crate::speakers::SpeakerMap>(&record.value).map(drop))?;
            } else if !(starts(b"key/") || starts(b"spk/")) || !record.value.is_empty() {
                return Err(codec::corrupt(BACKUP, &record.key, "not a key of the people tree"));
            }
            Ok((Target::People, record.key.clone()))
        }
        WATCH_SPACE => {
            if !starts(b"list/") {
                return Err(codec::corrupt(BACKUP, &record.key, "not a key of the watchlists"));
            }
            decoded(serde_json::from_slice::<crate::model::WatchList>(&record.value).map(drop))?;
            Ok((Target::Watch, record.key.clone()))
        }
        _ => restore_key(record).map(|key| (Target::Records, key)),
    }
}

/// The spaces whose values are JSON records this build can decode.
const RECORD_SPACES: [Space; 7] =
    [codec::ITEMS, codec::FETCH_STATE, codec::EXTRACTS, codec::PAGES, codec::AUDIT, codec::USERS, codec::ISSUES];

/// Checks a record from a backup and returns its full key. A record of a
/// known kind must decode (a damaged backup is refused before it lands);
/// an index entry or a well-formed space this build does not know is
/// written as given, since the backup came from the same schema version.
pub fn restore_key(record: &RawRecord) -> Result<Vec<u8>, StoreError> {
    if !well_formed(&record.space) {
        return Err(codec::corrupt(BACKUP, record.space.as_bytes(), "not a key space of this store"));
    }
    let mut key = Vec::with_capacity(record.space.len() + 1 + record.key.len());
    key.extend_from_slice(record.space.as_bytes());
    key.push(b'/');
    key.extend_from_slice(&record.key);
    let Some(space) = RECORD_SPACES.into_iter().find(|s| s.name == record.space) else { return Ok(key) };
    let value = &record.value;
    let decoded = match space.name {
        n if n == codec::ITEMS.name => codec::decode_item(BACKUP, &key, value).map(drop),
        n if n == codec::FETCH_STATE.name => codec::decode_fetch_state(BACKUP, &key, value).map(drop),
        n if n == codec::EXTRACTS.name => codec::decode_extract(BACKUP, &key, value).map(drop),
        n if n == codec::PAGES.name => codec::decode_page_cache(BACKUP, &key, value).map(drop),
        n if n == codec::AUDIT.name => codec::decode_audit(BACKUP, &key, value).map(drop),
        n if n == codec::USERS.name => codec::decode_user(BACKUP, &key, value).map(drop),
        _ => codec::decode_issue(BACKUP, &key, value).map(drop),
    };
    decoded.map(|()| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_slash_of_a_versioned_space() {
        let key = codec::url_key("https://e.org/a/b");
        assert_eq!(split(&key), Some(("idx.url.v2".to_owned(), b"https://e.org/a/b".as_slice())));
        assert_eq!(split(b"nospace"), None);
        assert_eq!(split(b"Items/x"), None);
    }

    #[test]
    fn a_record_that_does_not_decode_is_refused() {
        let bad = RawRecord { space: "items.v2".into(), key: b"x".to_vec(), value: b"{}".to_vec() };
        assert!(matches!(restore_key(&bad), Err(StoreError::Corrupt { .. })));
        let index = RawRecord { space: "idx.url.v2".into(), key: b"u".to_vec(), value: b"id".to_vec() };
        assert_eq!(restore_key(&index).expect("index entries pass"), b"idx.url.v2/u");
        let odd = RawRecord { space: "../etc".into(), key: vec![], value: vec![] };
        assert!(restore_key(&odd).is_err());
    }

    #[test]
    fn mail_and_outbox_records_go_to_their_trees_and_must_decode() {
        let token = RawRecord { space: MAIL_SPACE.into(), key: b"tok/abc".to_vec(), value: b"a@example.org".to_vec() };
        assert_eq!(restore_target(&token).expect("a token"), (Target::Mail, b"tok/abc".to_vec()));
        let bad = RawRecord { space: MAIL_SPACE.into(), key: b"sub/a@example.org".to_vec(), value: b"{}".to_vec() };
        assert!(matches!(restore_target(&bad), Err(StoreError::Corrupt { .. })));
        let stray = RawRecord { space: OUTBOX_SPACE.into(), key: b"zzz".to_vec(), value: b"{}".to_vec() };
        assert!(restore_target(&stray).is_err());
        let cursor = RawRecord {
            space: OUTBOX_SPACE.into(),
            key: b"cursor/x".to_vec(),
            value: b"\"2026-01-01T00:00:00Z\"".to_vec(),
        };
        assert_eq!(restore_target(&cursor).expect("a cursor").0, Target::Outbox);
        let item = RawRecord { space: "idx.url.v2".into(), key: b"u".to_vec(), value: b"id".to_vec() };
        assert_eq!(restore_target(&item).expect("records tree").0, Target::Records);
    }

    #[test]
    fn people_records_go_to_their_tree_and_must_decode() {
        let people = |key: &[u8], value: &[u8]| RawRecord {
            space: PEOPLE_SPACE.into(),
            key: key.to_vec(),
            value: value.to_vec(),
        };
        let map = people(b"map", br#"{"merges":{"bob":"ann"}}"#);
        assert_eq!(restore_target(&map).expect("the map"), (Target::People, b"map".to_vec()));
        assert_eq!(restore_target(&people(b"spk/ann/q1", b"")).expect("an index entry").0, Target::People);
        assert!(restore_target(&people(b"map", b"\"merged\"")).is_err(), "a map that does not decode");
        assert!(restore_target(&people(b"rec/q1", b"{}")).is_err(), "a record that does not decode");
        assert!(restore_target(&people(b"key/k/q1", b"x")).is_err(), "index entries are empty");
        assert!(restore_target(&people(b"occ/q1/t/i/q", b"{}")).is_err(), "an occurrence that does not decode");
        assert!(restore_target(&people(b"item/i/q1", b"")).is_err(), "the item index holds occurrences");
        assert_eq!(restore_target(&people(b"item/i/q1", b"[]")).expect("an item entry").0, Target::People);
        assert!(restore_target(&people(b"zzz", b"")).is_err());
    }

    #[test]
    fn watchlists_go_to_their_tree_and_must_decode() {
        let watch = |key: &[u8], value: &[u8]| RawRecord {
            space: WATCH_SPACE.into(),
            key: key.to_vec(),
            value: value.to_vec(),
        };
        let list = watch(b"list/ann", br#"{"editor":"ann","watches":[]}"#);
        assert_eq!(restore_target(&list).expect("a list"), (Target::Watch, b"list/ann".to_vec()));
        assert!(restore_target(&watch(b"list/ann", b"{}")).is_err(), "a list that does not decode");
        assert!(restore_target(&watch(b"zzz", br#"{"editor":"ann"}"#)).is_err());
    }
}
