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
}
