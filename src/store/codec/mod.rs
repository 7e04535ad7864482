//! Key and record codecs for the store: pure functions with round-trip tests.
//!
//! Everything lives in one sled tree ([`TREE`]) under versioned key prefixes,
//! one per record kind and one per index, so that an item and all its index
//! entries are written with one atomic `apply_batch` (sled batches are
//! atomic within one tree, and far cheaper than multi-tree transactions).
//! Each prefix ends with `/` and none is a prefix of another, so a prefix
//! scan never strays into another kind.
//!
//! Keys are laid out so that sled's byte order is the order we want to scan in:
//! timestamps are big-endian with the sign bit flipped (so dates before 1970
//! sort first, and a range scan comes back in time order; newest first is a
//! reverse scan), and every index key ends with the fixed-length item id so
//! that two items published at the same instant get distinct keys. Records are
//! JSON (`serde_json`): easy to inspect with any sled dump, and measured at
//! about 2 µs per item record each way, small next to parsing the feeds.
//!
//! This module must not touch sled or do I/O: it only turns values into bytes
//! and back.
//!
//! | prefix | rest of the key | value |
//! |---|---|---|
//! | `items.v2/` | item id (32 ASCII hex digits) | JSON [`Item`] |
//! | `idx.url.v2/` | canonical URL | item id |
//! | `idx.guid.v2/` | source id, `0`, guid (only where the id does not follow from it) | item id |
//! | `idx.state.v2/` | state byte, time, item id | empty |
//! | `fetch_state.v2/` | source id | JSON [`FetchState`] |
//! | `extracts.v3/` | item id | JSON [`ExtractRecord`]: the item's quotes and links |
//! | `pages.v2/` | canonical article URL | JSON [`PageCache`] |
//! | `issues.v2/` | issue number (`u32` big-endian) | JSON [`Issue`](crate::model::Issue) |
//! | `stories.v1/` | item id | story id, then signature (binary, [`encode_story_print`]) |
//!
//! An item's story is its print's when it has one: the story pass writes the
//! print only, and the record's own `story` field is what an older version
//! or `put_stories` wrote (sled's `item` reads both; an export carries the
//! print's story in the record).
//!
//! Version 2 kept each quote and each link as a record of its own under
//! `quotes.v2/` and `links.v2/` (item id, `u32` big-endian sequence), and
//! listed items by source in `idx.source.v2/` (source id, `0`, time, item
//! id). Versions 3 and 4 moved the first two into `extracts.v3/` and dropped
//! all three (see `migrate.rs`); the `RETIRED_*` spaces name them for those
//! steps.
//!
//! `issues.v2/` (the publisher's digest issues) arrived within version 2 and
//! has no v1 tree: an older store simply has no issues. Big-endian numbers
//! make a prefix scan list issues in number order.
//!
//! The schema version stays in its own `meta` tree (`schema_version`, a
//! big-endian `u32`), where every version of Gleaner looks for it. Version 1
//! kept each kind in a tree of its own (`items.v1`, `idx.url.v1`, ...) with
//! exactly the keys that follow the prefixes here, which is what makes the
//! v1 → v2 migration a plain copy ([`V1_TREES`]).

use chrono::{DateTime, Utc};

use super::{PageCache, StoreError};
use crate::model::{FetchState, Item, ItemId, Link, Quote, ReviewState};
use crate::story::Signature;

/// The sled tree that holds every record and index (the `meta` tree aside).
pub const TREE: &str = "gleaner";

/// One record kind or index: its key prefix, and the name errors and logs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub prefix: &'static [u8],
    pub name: &'static str,
}

pub const ITEMS: Space = Space { prefix: b"items.v2/", name: "items.v2" };
pub const IDX_URL: Space = Space { prefix: b"idx.url.v2/", name: "idx.url.v2" };
pub const IDX_GUID: Space = Space { prefix: b"idx.guid.v2/", name: "idx.guid.v2" };
/// Version 2's per-source time index, removed by the v3 step; no longer written or read.
pub const RETIRED_IDX_SOURCE: Space = Space { prefix: b"idx.source.v2/", name: "idx.source.v2" };
pub const IDX_STATE: Space = Space { prefix: b"idx.state.v2/", name: "idx.state.v2" };
pub const FETCH_STATE: Space = Space { prefix: b"fetch_state.v2/", name: "fetch_state.v2" };
pub const EXTRACTS: Space = Space { prefix: b"extracts.v3/", name: "extracts.v3" };
/// Version 2's quote records, one per quote; moved into [`EXTRACTS`] by the v3 step.
pub const RETIRED_QUOTES: Space = Space { prefix: b"quotes.v2/", name: "quotes.v2" };
/// Version 2's link records, one per link; moved into [`EXTRACTS`] by the v3 step.
pub const RETIRED_LINKS: Space = Space { prefix: b"links.v2/", name: "links.v2" };
/// The spaces the v4 step empties.
pub const RETIRED: [Space; 3] = [RETIRED_IDX_SOURCE, RETIRED_QUOTES, RETIRED_LINKS];
pub const PAGES: Space = Space { prefix: b"pages.v2/", name: "pages.v2" };
/// Story prints by item id (see [`encode_story_print`]): the item's story
/// and signature, written by the story pass, not by ingest.
pub const STORIES: Space = Space { prefix: b"stories.v1/", name: "stories.v1" };

/// Every space, for tests and dumps.
#[allow(dead_code, reason = "used by the codec's tests and by store dumps")]
pub const SPACES: [Space; 8] = [ITEMS, IDX_URL, IDX_GUID, IDX_STATE, FETCH_STATE, EXTRACTS, PAGES, STORIES];

/// The version 1 trees and the space each one's entries move to: a v1 key
/// is exactly what follows the v2 prefix, and values are unchanged.
pub const V1_TREES: [(&str, Space); 9] = [
    ("items.v1", ITEMS),
    ("idx.url.v1", IDX_URL),
    ("idx.guid.v1", IDX_GUID),
    ("idx.source.v1", RETIRED_IDX_SOURCE),
    ("idx.state.v1", IDX_STATE),
    ("fetch_state.v1", FETCH_STATE),
    ("quotes.v1", RETIRED_QUOTES),
    ("links.v1", RETIRED_LINKS),
    ("pages.v1", PAGES),
];

/// Length of an encoded item id (what [`ItemId::derive`] makes: 32 hex digits).
pub const ID_LEN: usize = 32;
/// Length of an encoded timestamp.
pub const TIME_LEN: usize = 8;
/// Length of an encoded sequence number in the retired `quotes.v2/` and `links.v2/`.
pub const SEQ_LEN: usize = 4;
/// Separates a source id from what follows it; source ids are slugs, never
/// containing NUL (config validation guarantees it).
const SEP: u8 = 0;
/// Flipping the sign bit maps `i64` order onto unsigned byte order.
const SIGN: u64 = 1 << 63;

/// A record decoder of this module (space name and key only name the place in errors).
pub type Decode<T> = fn(&'static str, &[u8], &[u8]) -> Result<T, StoreError>;

/// `stories.v1/[id]`: the key of an item's story signature.
pub fn story_key(id: &ItemId) -> Vec<u8> {
    key_in(STORIES, ID_LEN, &[id_value(id)])
}

/// `stories.v1/` values: the item's story id, then its signature
/// ([`Signature::to_bytes`], which carries its own scheme byte). Binary
/// rather than JSON: the story pass reads one per item of the window, and
/// 128 minima are 261 bytes here against about 800 as JSON numbers.
pub fn encode_story_print(story: &ItemId, signature: &Signature) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ID_LEN + crate::story::ENCODED_LEN);
    bytes.extend_from_slice(id_value(story));
    bytes.extend_from_slice(&signature.to_bytes());
    bytes
}

/// Reads [`encode_story_print`] back: `Ok(None)` for a signature of another
/// scheme (the caller makes it again from the item).
pub fn decode_story_print(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<Option<(ItemId, Signature)>, StoreError> {
    let story = decode_print_story(tree, key, bytes)?;
    Ok(Signature::from_bytes(&bytes[ID_LEN..]).map(|signature| (story, signature)))
}

/// The story id alone of an [`encode_story_print`] value (any signature
/// scheme): what reading an item takes from its print.
pub fn decode_print_story(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<ItemId, StoreError> {
    bytes.get(..ID_LEN).and_then(decode_item_id).ok_or_else(|| corrupt(tree, key, "no story id"))
}

/// `space`'s prefix followed by `parts`.
fn key_in(space: Space, capacity: usize, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(space.prefix.len() + capacity);
    key.extend_from_slice(space.prefix);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// The space this key of the one tree belongs to.
#[allow(dead_code, reason = "the inverse of the prefixes: tests and store dumps")]
pub fn space_of(key: &[u8]) -> Option<Space> {
    SPACES.into_iter().find(|space| key.starts_with(space.prefix))
}

/// The value stored in the id indexes (`idx.url.v2/`, `idx.guid.v2/`).
pub fn id_value(id: &ItemId) -> &[u8] {
    id.as_str().as_bytes()
}

/// Reads an item id back from [`id_value`] bytes.
pub fn decode_item_id(bytes: &[u8]) -> Option<ItemId> {
    std::str::from_utf8(bytes).ok().and_then(ItemId::parse)
}

/// `items.v2/[id]`: the key of an item record.
pub fn item_key(id: &ItemId) -> Vec<u8> {
    key_in(ITEMS, ID_LEN, &[id_value(id)])
}

/// Inverse of [`item_key`].
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_item_key(key: &[u8]) -> Option<ItemId> {
    decode_item_id(key.strip_prefix(ITEMS.prefix)?)
}

/// `idx.url.v2/[canonical url]`.
pub fn url_key(url: &str) -> Vec<u8> {
    key_in(IDX_URL, url.len(), &[url.as_bytes()])
}

/// Inverse of [`url_key`].
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_url_key(key: &[u8]) -> Option<String> {
    String::from_utf8(key.strip_prefix(IDX_URL.prefix)?.to_vec()).ok()
}

/// A timestamp as 8 order-preserving bytes, at microsecond precision.
///
/// Index keys only order items; the record keeps the exact time, and old keys
/// are recomputed from the stored record, so truncation never loses a key.
pub fn encode_time(time: DateTime<Utc>) -> [u8; TIME_LEN] {
    let micros = u64::from_be_bytes(time.timestamp_micros().to_be_bytes());
    (micros ^ SIGN).to_be_bytes()
}

/// Inverse of [`encode_time`] (exact for microsecond-precision times).
pub fn decode_time(bytes: &[u8]) -> Option<DateTime<Utc>> {
    let raw: [u8; TIME_LEN] = bytes.try_into().ok()?;
    let micros = i64::from_be_bytes((u64::from_be_bytes(raw) ^ SIGN).to_be_bytes());
    DateTime::from_timestamp_micros(micros)
}

/// The stable one-byte code of a review state in `idx.state.v2/`.
///
/// Written out rather than taken from the enum's discriminant, so reordering
/// the enum cannot silently remap stored keys.
pub fn state_byte(state: ReviewState) -> u8 {
    match state {
        ReviewState::New => 0,
        ReviewState::Shortlisted => 1,
        ReviewState::Approved => 2,
        ReviewState::Rejected => 3,
        ReviewState::Published => 4,
    }
}

/// Inverse of [`state_byte`].
pub fn state_from_byte(byte: u8) -> Option<ReviewState> {
    ReviewState::ALL.into_iter().find(|s| state_byte(*s) == byte)
}

/// `idx.state.v2/[state][time][id]`.
pub fn state_key(state: ReviewState, time: DateTime<Utc>, id: &ItemId) -> Vec<u8> {
    key_in(IDX_STATE, 1 + TIME_LEN + ID_LEN, &[&[state_byte(state)], &encode_time(time), id_value(id)])
}

/// The prefix shared by every `idx.state.v2/` key of `state`.
pub fn state_prefix(state: ReviewState) -> Vec<u8> {
    key_in(IDX_STATE, 1, &[&[state_byte(state)]])
}

/// Inverse of [`state_key`].
pub fn decode_state_key(key: &[u8]) -> Option<(ReviewState, DateTime<Utc>, ItemId)> {
    let (&first, rest) = key.strip_prefix(IDX_STATE.prefix)?.split_first()?;
    let (time, id) = decode_time_id(rest).filter(|_| rest.len() == TIME_LEN + ID_LEN)?;
    Some((state_from_byte(first)?, time, id))
}

/// The prefix shared by every `idx.source.v2/` key of `source_id`.
#[cfg(test)]
pub fn source_prefix(source_id: &str) -> Vec<u8> {
    key_in(RETIRED_IDX_SOURCE, source_id.len() + 1 + TIME_LEN + ID_LEN, &[source_id.as_bytes(), &[SEP]])
}

/// `idx.source.v2/[source id][0][time][id]` (the retired v2 layout, for migration tests).
#[cfg(test)]
pub fn source_key(source_id: &str, time: DateTime<Utc>, id: &ItemId) -> Vec<u8> {
    let mut key = source_prefix(source_id);
    key.extend_from_slice(&encode_time(time));
    key.extend_from_slice(id_value(id));
    key
}

/// Inverse of [`source_key`]: the time and id are read from the fixed-length
/// tail, so the source id may be any string.
#[cfg(test)]
pub fn decode_source_key(key: &[u8]) -> Option<(String, DateTime<Utc>, ItemId)> {
    let key = key.strip_prefix(RETIRED_IDX_SOURCE.prefix)?;
    let split = key.len().checked_sub(1 + TIME_LEN + ID_LEN)?;
    let (source, rest) = key.split_at(split);
    let (&sep, tail) = rest.split_first()?;
    if sep != SEP {
        return None;
    }
    let (time, id) = decode_time_id(tail)?;
    Some((String::from_utf8(source.to_vec()).ok()?, time, id))
}

/// A lower bound for a time-ordered scan under `prefix`: every key under
/// `prefix` at or after `since` sorts at or after it.
pub fn time_lower_bound(prefix: &[u8], since: DateTime<Utc>) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + TIME_LEN);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&encode_time(since));
    key
}

/// The smallest key after every key that starts with `prefix`, or `None` when
/// there is none (an empty prefix: scan to the end). Used as the exclusive
/// upper bound of a reverse (newest-first) scan.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// `idx.guid.v2/[source id][0][guid]`.
pub fn guid_key(source_id: &str, guid: &str) -> Vec<u8> {
    key_in(IDX_GUID, source_id.len() + 1 + guid.len(), &[source_id.as_bytes(), &[SEP], guid.as_bytes()])
}

/// Inverse of [`guid_key`]: the source id ends at the first NUL.
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_guid_key(key: &[u8]) -> Option<(String, String)> {
    let key = key.strip_prefix(IDX_GUID.prefix)?;
    let at = key.iter().position(|&b| b == SEP)?;
    let source = std::str::from_utf8(&key[..at]).ok()?;
    let guid = std::str::from_utf8(&key[at + 1..]).ok()?;
    Some((source.to_owned(), guid.to_owned()))
}

/// `[time][id]` at the end of a key.
fn decode_time_id(bytes: &[u8]) -> Option<(DateTime<Utc>, ItemId)> {
    let split = bytes.len().checked_sub(ID_LEN)?;
    let time_start = split.checked_sub(TIME_LEN)?;
    Some((decode_time(&bytes[time_start..split])?, decode_item_id(&bytes[split..])?))
}

/// `fetch_state.v2/[source id]`.
pub fn fetch_state_key(source_id: &str) -> Vec<u8> {
    key_in(FETCH_STATE, source_id.len(), &[source_id.as_bytes()])
}

/// Inverse of [`fetch_state_key`].
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_fetch_state_key(key: &[u8]) -> Option<String> {
    String::from_utf8(key.strip_prefix(FETCH_STATE.prefix)?.to_vec()).ok()
}

/// `pages.v2/[canonical article url]`.
pub fn page_key(url: &str) -> Vec<u8> {
    key_in(PAGES, url.len(), &[url.as_bytes()])
}

/// Inverse of [`page_key`].
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_page_key(key: &[u8]) -> Option<String> {
    String::from_utf8(key.strip_prefix(PAGES.prefix)?.to_vec()).ok()
}

/// `[prefix][item id]`: the prefix of all of one item's entries in
/// [`RETIRED_QUOTES`] or [`RETIRED_LINKS`].
#[cfg(test)]
pub fn seq_prefix(space: Space, id: &ItemId) -> Vec<u8> {
    key_in(space, ID_LEN + SEQ_LEN, &[id_value(id)])
}

/// `[prefix][item id][seq]`: a key in [`RETIRED_QUOTES`] or [`RETIRED_LINKS`].
/// The id is fixed-length, so [`seq_prefix`] covers exactly the item's
/// entries, and big-endian sequences scan back in page order.
#[cfg(test)]
pub fn seq_key(space: Space, id: &ItemId, seq: u32) -> Vec<u8> {
    let mut key = seq_prefix(space, id);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Reads item id and sequence out of a retired quote or link key (the v3 step).
pub fn decode_seq_key(space: Space, key: &[u8]) -> Option<(ItemId, u32)> {
    let key = key.strip_prefix(space.prefix)?;
    if key.len() != ID_LEN + SEQ_LEN {
        return None;
    }
    let (id, seq) = key.split_at(ID_LEN);
    Some((decode_item_id(id)?, u32::from_be_bytes(seq.try_into().ok()?)))
}

/// `extracts.v3/[item id]`.
pub fn extract_key(id: &ItemId) -> Vec<u8> {
    key_in(EXTRACTS, ID_LEN, &[id_value(id)])
}

/// Inverse of [`extract_key`].
#[allow(dead_code, reason = "the inverse half of the codec: round-trip tests and store dumps")]
pub fn decode_extract_key(key: &[u8]) -> Option<ItemId> {
    decode_item_id(key.strip_prefix(EXTRACTS.prefix)?).filter(|_| key.len() == EXTRACTS.prefix.len() + ID_LEN)
}

/// A v1 key moved into `space` (the v1 → v2 migration).
pub fn from_v1(space: Space, v1_key: &[u8]) -> Vec<u8> {
    key_in(space, v1_key.len(), &[v1_key])
}

/// The schema version as stored under `meta/schema_version`.
pub fn encode_version(version: u32) -> [u8; 4] {
    version.to_be_bytes()
}

/// Inverse of [`encode_version`].
pub fn decode_version(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// An item record.
pub fn encode_item(item: &Item) -> Vec<u8> {
    // Serializing plain structs of strings, numbers and chrono times cannot fail.
    serde_json::to_vec(item).expect("an Item always serializes to JSON")
}

/// Inverse of [`encode_item`]; `tree` and `key` only name the place in errors.
pub fn decode_item(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A fetch-state record.
pub fn encode_fetch_state(state: &FetchState) -> Vec<u8> {
    serde_json::to_vec(state).expect("a FetchState always serializes to JSON")
}

/// Inverse of [`encode_fetch_state`].
pub fn decode_fetch_state(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<FetchState, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A quote record.
#[cfg(test)]
pub fn encode_quote(quote: &Quote) -> Vec<u8> {
    // Strings, numbers and an enum; an `f32` confidence that is NaN would
    // become `null`, which `decode_quote` then refuses as corrupt: extraction
    // never produces one.
    serde_json::to_vec(quote).expect("a Quote always serializes to JSON")
}

/// Inverse of [`encode_quote`].
pub fn decode_quote(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<Quote, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A link record.
#[cfg(test)]
pub fn encode_link(link: &Link) -> Vec<u8> {
    serde_json::to_vec(link).expect("a Link always serializes to JSON")
}

/// Inverse of [`encode_link`].
pub fn decode_link(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<Link, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// One item's extracted quotes and links, in page order: one record, because
/// every key costs sled about 5 µs to write and an article carries dozens of
/// links (version 2 wrote a record per quote and per link). An item with
/// neither has no record; its `quote_count`/`link_count` say so.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExtractRecord {
    #[serde(default)]
    pub quotes: Vec<Quote>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// The record of `quotes` and `links` (see [`ExtractRecord`]).
pub fn encode_extract(quotes: &[Quote], links: &[Link]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Borrowed<'a> {
        quotes: &'a [Quote],
        links: &'a [Link],
    }
    // Quotes' `f32` confidence is never NaN (see `encode_quote`).
    serde_json::to_vec(&Borrowed { quotes, links }).expect("quotes and links always serialize to JSON")
}

/// Inverse of [`encode_extract`].
pub fn decode_extract(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<ExtractRecord, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A page-cache record.
pub fn encode_page_cache(cache: &PageCache) -> Vec<u8> {
    serde_json::to_vec(cache).expect("a PageCache always serializes to JSON")
}

/// Inverse of [`encode_page_cache`].
pub fn decode_page_cache(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<PageCache, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A [`StoreError::Corrupt`] naming the key readably.
pub fn corrupt(tree: &'static str, key: &[u8], reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt { tree, key: String::from_utf8_lossy(key).escape_debug().to_string(), reason: reason.into() }
}

// ---- Review: audit trail and users (issue 4) ----
//
// | prefix | rest of the key | value |
// |---|---|---|
// | `audit.v2/` | item id, revision (`u64` big-endian) | JSON `AuditEntry` |
// | `idx.audit_time.v2/` | time, item id, revision | empty |
// | `users.v2/` | user name (UTF-8) | JSON `User` |
//
// An item's revisions only grow, so its audit entries scan back in change
// order and newest first is a reverse prefix scan; the time index answers
// "recent changes across all items" the same way. Neither needed a
// migration: stores from before simply have no entries.

/// The audit trail, per item.
pub const AUDIT: Space = Space { prefix: b"audit.v2/", name: "audit.v2" };
/// Every audit entry by time, for the recent-changes listing.
pub const IDX_AUDIT_TIME: Space = Space { prefix: b"idx.audit_time.v2/", name: "idx.audit_time.v2" };
/// Review users by name.
pub const USERS: Space = Space { prefix: b"users.v2/", name: "users.v2" };

/// The review spaces, kept apart from [`SPACES`] (which mirrors the v1 trees one to one).
#[allow(dead_code, reason = "used by the codec's tests and by store dumps")]
pub const REVIEW_SPACES: [Space; 3] = [AUDIT, IDX_AUDIT_TIME, USERS];

/// Length of an encoded revision.
pub const REVISION_LEN: usize = 8;

/// `audit.v2/[item id]`: the prefix of one item's audit entries.
pub fn audit_prefix(id: &ItemId) -> Vec<u8> {
    key_in(AUDIT, ID_LEN + REVISION_LEN, &[id_value(id)])
}

/// `audit.v2/[item id][revision]`.
pub fn audit_key(id: &ItemId, revision: u64) -> Vec<u8> {
    let mut key = audit_prefix(id);
    key.extend_from_slice(&revision.to_be_bytes());
    key
}

/// `idx.audit_time.v2/[time][item id][revision]`.
pub fn audit_time_key(at: DateTime<Utc>, id: &ItemId, revision: u64) -> Vec<u8> {
    key_in(IDX_AUDIT_TIME, TIME_LEN + ID_LEN + REVISION_LEN, &[&encode_time(at), id_value(id), &revision.to_be_bytes()])
}

/// Inverse of [`audit_time_key`]: the audit entry's item id and revision.
pub fn decode_audit_time_key(key: &[u8]) -> Option<(DateTime<Utc>, ItemId, u64)> {
    let rest = key.strip_prefix(IDX_AUDIT_TIME.prefix)?;
    if rest.len() != TIME_LEN + ID_LEN + REVISION_LEN {
        return None;
    }
    let (time_id, revision) = rest.split_at(TIME_LEN + ID_LEN);
    let (time, id) = decode_time_id(time_id)?;
    Some((time, id, u64::from_be_bytes(revision.try_into().ok()?)))
}

pub fn encode_audit(entry: &crate::model::AuditEntry) -> Vec<u8> {
    serde_json::to_vec(entry).expect("an AuditEntry always serializes to JSON")
}

pub fn decode_audit(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<crate::model::AuditEntry, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// `users.v2/[name]`.
pub fn user_key(name: &str) -> Vec<u8> {
    key_in(USERS, name.len(), &[name.as_bytes()])
}

pub fn encode_user(user: &crate::model::User) -> Vec<u8> {
    serde_json::to_vec(user).expect("a User always serializes to JSON")
}

pub fn decode_user(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<crate::model::User, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

// ---- Access: API tokens (issue 15) ----
//
// | prefix | rest of the key | value |
// |---|---|---|
// | `tokens.v2/` | the token's hash (hex) | JSON `ApiToken` |
//
// Keyed by hash, so authenticating a request is one read; revoking by name
// scans (a deployment has a handful of tokens). No migration: older stores
// simply have none.

/// API tokens by hash.
pub const TOKENS: Space = Space { prefix: b"tokens.v2/", name: "tokens.v2" };

/// `tokens.v2/[hash]`.
pub fn token_key(hash: &str) -> Vec<u8> {
    key_in(TOKENS, hash.len(), &[hash.as_bytes()])
}

pub fn encode_token(token: &crate::model::ApiToken) -> Vec<u8> {
    serde_json::to_vec(token).expect("an ApiToken always serializes to JSON")
}

pub fn decode_token(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<crate::model::ApiToken, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

// ---- Publishing: digest issue records (issue 5) ----

/// Digest issues by number (`issues.v2/` in the layout table).
pub const ISSUES: Space = Space { prefix: b"issues.v2/", name: "issues.v2" };

/// Length of an encoded issue number.
pub const ISSUE_NUMBER_LEN: usize = 4;

/// `issues.v2/[number]`, big-endian so that a prefix scan lists issues in
/// number order.
pub fn issue_key(number: u32) -> Vec<u8> {
    key_in(ISSUES, ISSUE_NUMBER_LEN, &[&number.to_be_bytes()])
}

/// Inverse of [`issue_key`].
pub fn decode_issue_key(key: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(key.strip_prefix(ISSUES.prefix)?.try_into().ok()?))
}

/// An issue record.
pub fn encode_issue(issue: &crate::model::Issue) -> Vec<u8> {
    // Strings, numbers, ids and chrono times: serializing cannot fail.
    serde_json::to_vec(issue).expect("an Issue always serializes to JSON")
}

/// Inverse of [`encode_issue`].
pub fn decode_issue(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<crate::model::Issue, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

pub mod people;

#[cfg(test)]
mod tests;
