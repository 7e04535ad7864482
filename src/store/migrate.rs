//! Schema versions and the steps that bring an older store up to date.
//!
//! The version lives under `meta/schema_version`. A store without it is at
//! version 0 (a fresh store, or one older than versioning); every step in
//! [`MIGRATIONS`] from there to [`CURRENT_VERSION`] runs in order, and the
//! version is written (durably) after each one, so a crash mid-migration
//! resumes at the step that was interrupted. Steps must therefore be
//! idempotent. A store with a newer version is refused, never touched.
//!
//! Adding a key space needs no step and no version bump: an old store simply
//! has it empty, which is what it means. So `quotes`, `links` and `pages`
//! (extraction) arrived within version 1 and the item fields that came with
//! them default when absent (`#[serde(default)]`), and `issues.v2/` (the
//! publisher's digest issues) arrived within version 2: a version 2 store
//! from before it has no issues. Bump the version only when existing keys
//! or records change meaning or place.
//!
//! Version 2 moved every tree of version 1 (`items.v1`, `idx.url.v1`, ...)
//! into one tree under versioned key prefixes (see `codec.rs`), so that an
//! item and its indexes are written with one atomic sled batch instead of a
//! multi-tree transaction. Keys and values are unchanged behind the prefix,
//! so the step is a copy: every entry is copied, the copy is made durable,
//! and only then are the old trees dropped. Interrupted anywhere, the step
//! runs again from the start and converges (copies overwrite themselves,
//! dropped trees have nothing left to copy).
//!
//! Versions 3 and 4 cut the keys a new item costs, because every key costs
//! sled about 5 µs of CPU to write and ingest speed is bounded by the store
//! (`cargo bench --bench ingest`):
//! - Version 3 moved each item's quotes and links, one record per quote and
//!   per link under `quotes.v2/` and `links.v2/`, into one record per item
//!   under `extracts.v3/`. The step only adds: it reads the old records,
//!   merges them into each item's new record, and leaves them in place, so
//!   an interrupted run simply runs again.
//! - Version 4 removes what version 3 made redundant and the per-source time
//!   index (`idx.source.v2/`), whose only listing was the command line's
//!   `items --source` (the review UI filters sources in its in-memory queue
//!   index); that listing now walks the state index and checks each record's
//!   sources. Removing is idempotent too.
//!
//! Version 5 stores a quote provenance record's occurrences one entry each
//! (`occ/` in the people tree, see `codec/people.rs`) and the record as
//! their summary, and the item index holds each item's occurrences: a
//! record that held them inline was rewritten whole for each new one. The
//! step converts each `rec/` entry still in the version 4 shape, writing
//! its occurrences and item entries before the summary that replaces it, so
//! an interrupted run converts the rest when it runs again.
//!
//! This module must not import sled: it works through [`MigrationTarget`],
//! which `sled.rs` implements, so the plan is unit-tested with an in-memory fake.

use super::{StoreError, codec};

/// The schema this build reads and writes.
pub const CURRENT_VERSION: u32 = 5;

/// A visitor over a tree's entries, in key order.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'a;

/// The raw operations a migration step may use.
pub trait MigrationTarget {
    /// The stored schema version, `None` when no version was ever written.
    fn schema_version(&self) -> Result<Option<u32>, StoreError>;
    /// Records `version` and makes it durable before returning.
    fn set_schema_version(&self, version: u32) -> Result<(), StoreError>;
    /// Calls `visit` on every entry of `tree` in key order (none when the
    /// tree does not exist; it is not created).
    fn for_each(&self, tree: &str, visit: &mut Visit<'_>) -> Result<(), StoreError>;
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    fn remove(&self, tree: &str, key: &[u8]) -> Result<(), StoreError>;
    /// Makes everything written so far durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Deletes a whole tree (an old version's layout).
    fn drop_tree(&self, tree: &str) -> Result<(), StoreError>;
}

/// One step from `to - 1` to `to`.
pub struct Migration {
    pub to: u32,
    /// What the step changes, for the log.
    pub what: &'static str,
    pub run: fn(&dyn MigrationTarget) -> Result<(), StoreError>,
}

/// Every step, in order: `MIGRATIONS[n].to == n + 1`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        what: "initial layout: items.v1 with idx.{url,guid,published,source,state}.v1 and fetch_state.v1",
        // Trees are created on first use, so there is nothing to convert.
        run: |_| Ok(()),
    },
    Migration {
        to: 2,
        what: "one tree with versioned key prefixes (items.v2/, idx.*.v2/, ...) instead of a tree per kind",
        run: one_tree_with_prefixes,
    },
    Migration {
        to: 3,
        what: "an item's quotes and links in one record (extracts.v3/) instead of one record each",
        run: one_extract_record_per_item,
    },
    Migration {
        to: 4,
        what: "quotes.v2/, links.v2/ and the per-source index idx.source.v2/ removed",
        run: drop_retired_spaces,
    },
    Migration {
        to: 5,
        what: "quote records' occurrences one entry each (people tree occ/) beside the record's summary",
        run: split_quote_occurrences,
    },
];

/// The v4 → v5 step (see the module docs).
fn split_quote_occurrences(target: &dyn MigrationTarget) -> Result<(), StoreError> {
    use crate::speakers::{Occurrence, QuoteRecord, QuoteSummary, provenance};
    use codec::people::{self, ITEM, REC, key, prefix};
    let mut old: Vec<(Vec<u8>, QuoteRecord)> = Vec::new();
    let records = prefix(&[REC]);
    target.for_each(people::TREE, &mut |k, value| {
        if k.starts_with(&records) && serde_json::from_slice::<QuoteSummary>(value).is_err() {
            let record = serde_json::from_slice(value).map_err(|e| codec::corrupt(people::TREE, k, e.to_string()))?;
            old.push((k.to_vec(), record));
        }
        Ok(())
    })?;
    for (k, record) in &old {
        let mut by_item: std::collections::BTreeMap<&crate::model::ItemId, Vec<&Occurrence>> =
            std::collections::BTreeMap::new();
        for occurrence in &record.occurrences {
            let bytes = serde_json::to_vec(occurrence).expect("plain fields serialize");
            target.insert(people::TREE, &people::occurrence_key(&record.id, occurrence), &bytes)?;
            by_item.entry(&occurrence.item).or_default().push(occurrence);
        }
        for (item, mut held) in by_item {
            held.sort_by_cached_key(|o| o.spot());
            let bytes = serde_json::to_vec(&held).expect("plain fields serialize");
            target.insert(people::TREE, &key(&[ITEM, item.as_str(), &record.id]), &bytes)?;
        }
        match provenance::summarize(&record.id, &record.speaker, &record.occurrences) {
            Some(summary) => {
                let bytes = serde_json::to_vec(&summary).expect("plain fields serialize");
                target.insert(people::TREE, k, &bytes)?;
            }
            None => target.remove(people::TREE, k)?,
        }
    }
    tracing::info!(records = old.len(), "quote records split");
    target.flush()
}

/// The v1 → v2 step (see the module docs).
fn one_tree_with_prefixes(target: &dyn MigrationTarget) -> Result<(), StoreError> {
    for (tree, space) in codec::V1_TREES {
        let mut copied = 0usize;
        target.for_each(tree, &mut |key, value| {
            copied += 1;
            target.insert(codec::TREE, &codec::from_v1(space, key), value)
        })?;
        tracing::info!(tree, to = space.name, copied, "copied");
    }
    target.flush()?;
    for (tree, _) in codec::V1_TREES {
        target.drop_tree(tree)?;
    }
    target.flush()
}

/// The v2 → v3 step (see the module docs): quotes first, then links, each
/// merged into whatever record the item already has.
fn one_extract_record_per_item(target: &dyn MigrationTarget) -> Result<(), StoreError> {
    merge_sequences(target, codec::RETIRED_QUOTES, &|record, entries| {
        record.quotes = decode_all(codec::RETIRED_QUOTES, entries, codec::decode_quote)?;
        Ok(())
    })?;
    merge_sequences(target, codec::RETIRED_LINKS, &|record, entries| {
        record.links = decode_all(codec::RETIRED_LINKS, entries, codec::decode_link)?;
        Ok(())
    })?;
    target.flush()
}

/// One item's v2 sequence entries, as (key, value), in page order.
type Entries = [(Vec<u8>, Vec<u8>)];

/// Sets the list an item's sequence holds on its record. The step owns
/// that list and replaces it whole, so a rerun starts it over.
type Replace<'a> = dyn Fn(&mut codec::ExtractRecord, &Entries) -> Result<(), StoreError> + 'a;

fn decode_all<T>(space: codec::Space, entries: &Entries, decode: codec::Decode<T>) -> Result<Vec<T>, StoreError> {
    entries.iter().map(|(key, value)| decode(space.name, key, value)).collect()
}

/// Rewrites each item's `extracts.v3/` record with `replace` applied to the
/// item's entries under `space`. Entries come in key order, so one item's
/// sequence is contiguous and already in page order.
fn merge_sequences(target: &dyn MigrationTarget, space: codec::Space, replace: &Replace<'_>) -> Result<(), StoreError> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut current = None;
    let mut written = 0usize;
    let mut write = |id: &crate::model::ItemId, entries: &mut Vec<(Vec<u8>, Vec<u8>)>| -> Result<(), StoreError> {
        let key = codec::extract_key(id);
        let mut record = match target.get(codec::TREE, &key)? {
            Some(bytes) => codec::decode_extract(codec::EXTRACTS.name, &key, &bytes)?,
            None => codec::ExtractRecord::default(),
        };
        replace(&mut record, entries)?;
        entries.clear();
        written += 1;
        target.insert(codec::TREE, &key, &codec::encode_extract(&record.quotes, &record.links))
    };
    target.for_each(codec::TREE, &mut |key, value| {
        if !key.starts_with(space.prefix) {
            return Ok(());
        }
        let (id, _) =
            codec::decode_seq_key(space, key).ok_or_else(|| codec::corrupt(space.name, key, "not a sequence key"))?;
        if current.as_ref().is_some_and(|c| *c != id) {
            if let Some(done) = current.take() {
                write(&done, &mut entries)?;
            }
        }
        current = Some(id);
        entries.push((key.to_vec(), value.to_vec()));
        Ok(())
    })?;
    if let Some(done) = current {
        write(&done, &mut entries)?;
    }
    tracing::info!(from = space.name, items = written, "merged into extracts.v3");
    Ok(())
}

/// The v3 → v4 step (see the module docs).
fn drop_retired_spaces(target: &dyn MigrationTarget) -> Result<(), StoreError> {
    let mut keys = Vec::new();
    target.for_each(codec::TREE, &mut |key, _| {
        if codec::RETIRED.iter().any(|space| key.starts_with(space.prefix)) {
            keys.push(key.to_vec());
        }
        Ok(())
    })?;
    for key in &keys {
        target.remove(codec::TREE, key)?;
    }
    tracing::info!(removed = keys.len(), "dropped retired key spaces");
    target.flush()
}

/// The steps that take a store at `found` to [`CURRENT_VERSION`].
///
/// `path` only names the store in the error.
pub fn plan(found: u32, path: &str) -> Result<&'static [Migration], StoreError> {
    if found > CURRENT_VERSION {
        return Err(StoreError::TooNew { path: path.to_owned(), found, supported: CURRENT_VERSION });
    }
    let start = usize::try_from(found).expect("a version at most CURRENT_VERSION fits in usize");
    Ok(&MIGRATIONS[start..])
}

/// Brings `target` to [`CURRENT_VERSION`]; returns the version it was found at
/// (0 for a store that had no version yet).
pub fn bring_up_to_date(target: &dyn MigrationTarget, path: &str) -> Result<u32, StoreError> {
    let found = target.schema_version()?.unwrap_or(0);
    for step in plan(found, path)? {
        tracing::info!(path, to = step.to, what = step.what, "migrating store");
        (step.run)(target)?;
        target.set_schema_version(step.to)?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    type Trees = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

    /// An in-memory store: tree name → key → value, plus the version.
    #[derive(Default)]
    struct Fake {
        version: RefCell<Option<u32>>,
        trees: RefCell<Trees>,
    }

    impl MigrationTarget for Fake {
        fn schema_version(&self) -> Result<Option<u32>, StoreError> {
            Ok(*self.version.borrow())
        }
        fn set_schema_version(&self, version: u32) -> Result<(), StoreError> {
            *self.version.borrow_mut() = Some(version);
            Ok(())
        }
        fn for_each(&self, tree: &str, visit: &mut Visit<'_>) -> Result<(), StoreError> {
            // A copy, so the visitor may write (sled iterators allow that too).
            let entries = self.trees.borrow().get(tree).cloned().unwrap_or_default();
            for (k, v) in &entries {
                visit(k, v)?;
            }
            Ok(())
        }
        fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.trees.borrow().get(tree).and_then(|t| t.get(key)).cloned())
        }
        fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
            self.trees.borrow_mut().entry(tree.to_owned()).or_default().insert(key.to_vec(), value.to_vec());
            Ok(())
        }
        fn remove(&self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
            self.trees.borrow_mut().entry(tree.to_owned()).or_default().remove(key);
            Ok(())
        }
        fn drop_tree(&self, tree: &str) -> Result<(), StoreError> {
            self.trees.borrow_mut().remove(tree);
            Ok(())
        }
        fn flush(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn quote(n: u32) -> crate::model::Quote {
        crate::model::Quote {
            id: format!("q{n}"),
            text: format!("Quote {n}"),
            speaker: None,
            speaker_mention: None,
            cue: None,
            outlet: None,
            via: None,
            kind: crate::model::QuoteKind::Inline,
            start: 0,
            end: 1,
            context: String::new(),
            confidence: 0.5,
        }
    }

    fn link(n: u32) -> crate::model::Link {
        crate::model::Link {
            url: format!("https://e.org/{n}"),
            text: format!("link {n}"),
            context: String::new(),
            domain: "e.org".to_owned(),
            external: true,
        }
    }

    /// A v1 store with one item, its indexes, two quotes, a link and a fetch state.
    fn v1_store() -> Fake {
        let fake = Fake::default();
        let id = ID;
        fake.insert("items.v1", id.as_bytes(), b"{item}").expect("insert");
        fake.insert("idx.url.v1", b"https://e.org/a", id.as_bytes()).expect("insert");
        let epoch = codec::encode_time(chrono::DateTime::UNIX_EPOCH);
        fake.insert("idx.state.v1", &[&[0][..], &epoch, id.as_bytes()].concat(), b"").expect("insert");
        fake.insert("idx.source.v1", &[&b"src\0"[..], &epoch, id.as_bytes()].concat(), b"").expect("insert");
        for seq in 0..2u32 {
            let key = [id.as_bytes(), &seq.to_be_bytes()].concat();
            fake.insert("quotes.v1", &key, &codec::encode_quote(&quote(seq))).expect("insert");
        }
        let key = [id.as_bytes(), &0u32.to_be_bytes()].concat();
        fake.insert("links.v1", &key, &codec::encode_link(&link(0))).expect("insert");
        fake.insert("fetch_state.v1", b"src", b"{state}").expect("insert");
        fake.set_schema_version(1).expect("set");
        fake
    }

    #[test]
    fn a_v1_store_ends_with_one_tree_one_extract_record_and_no_retired_keys() {
        let fake = v1_store();
        assert_eq!(bring_up_to_date(&fake, "mem").expect("migrates"), 1);
        assert_eq!(*fake.version.borrow(), Some(CURRENT_VERSION));
        let trees = fake.trees.borrow();
        assert_eq!(trees.keys().collect::<Vec<_>>(), [codec::TREE], "only the one tree is left");
        let tree = &trees[codec::TREE];
        let id = crate::model::ItemId::parse(ID).expect("valid id");
        assert_eq!(tree.get(&codec::item_key(&id)).map(Vec::as_slice), Some(&b"{item}"[..]));
        assert_eq!(tree.get(&codec::url_key("https://e.org/a")).map(Vec::as_slice), Some(id.as_str().as_bytes()));
        assert_eq!(tree.get(&codec::fetch_state_key("src")).map(Vec::as_slice), Some(&b"{state}"[..]));
        let key = codec::extract_key(&id);
        let record = codec::decode_extract("extracts.v3", &key, &tree[&key]).expect("decodes");
        assert_eq!(record.quotes, [quote(0), quote(1)], "in page order");
        assert_eq!(record.links, [link(0)]);
        assert!(tree.keys().all(|k| !codec::RETIRED.iter().any(|s| k.starts_with(s.prefix))));
        assert!(tree.keys().all(|k| codec::decode_state_key(k).is_some() || !k.starts_with(b"idx.state")));
        assert_eq!(tree.len(), 5, "item, URL, state, fetch state, extract record");
    }

    #[test]
    fn an_interrupted_v2_step_converges_when_run_again() {
        let fake = v1_store();
        let step = &MIGRATIONS[1];
        (step.run)(&fake).expect("first run");
        let done = fake.trees.borrow().clone();
        // As if the crash came after the copy but before the version was written.
        (step.run)(&fake).expect("second run");
        assert_eq!(*fake.trees.borrow(), done);
        // As if it came after copying but before any drop: the old trees are back.
        let again = v1_store();
        again.trees.borrow_mut().insert(codec::TREE.to_owned(), done[codec::TREE].clone());
        (step.run)(&again).expect("rerun");
        assert_eq!(*again.trees.borrow(), done);
    }

    #[test]
    fn the_v3_and_v4_steps_converge_when_interrupted_and_run_again() {
        let fake = v1_store();
        (MIGRATIONS[1].run)(&fake).expect("v2 step");
        (MIGRATIONS[2].run)(&fake).expect("v3 step");
        let v3 = fake.trees.borrow()[codec::TREE].clone();
        // v3 only adds: the old records stay until v4.
        assert!(v3.keys().any(|k| k.starts_with(codec::RETIRED_QUOTES.prefix)));
        (MIGRATIONS[2].run)(&fake).expect("v3 again");
        assert_eq!(fake.trees.borrow()[codec::TREE], v3, "a rerun rebuilds the same records");
        (MIGRATIONS[3].run)(&fake).expect("v4 step");
        let v4 = fake.trees.borrow()[codec::TREE].clone();
        let mut expected = v3;
        expected.retain(|k, _| !codec::RETIRED.iter().any(|s| k.starts_with(s.prefix)));
        assert_eq!(v4, expected, "v4 removes the retired spaces and nothing else");
        (MIGRATIONS[3].run)(&fake).expect("v4 again");
        assert_eq!(fake.trees.borrow()[codec::TREE], expected);
    }

    #[test]
    fn the_v5_step_splits_inline_occurrences_and_runs_again_to_the_same_tree() {
        use crate::speakers::{Occurrence, QuoteRecord, QuoteSummary};
        let occurrence = |item: &str, day: i64, text: &str| Occurrence {
            item: crate::model::ItemId::derive("s", item),
            quote: "q1".to_owned(),
            outlet: Some("Ledger".to_owned()),
            published: chrono::DateTime::from_timestamp(1_700_000_000 + day * 86_400, 0).expect("valid"),
            text: text.to_owned(),
        };
        let old = QuoteRecord {
            id: "r1".to_owned(),
            speaker: "ann".to_owned(),
            text: "we will not back down now".to_owned(),
            occurrences: vec![
                occurrence("a", 1, "we will not back down"),
                occurrence("b", 2, "we will not back down now"),
            ],
        };
        let fake = Fake::default();
        let tree = codec::people::TREE;
        fake.insert(tree, b"rec/r1", &serde_json::to_vec(&old).expect("json")).expect("insert");
        fake.insert(tree, b"map", b"{}").expect("insert");
        (MIGRATIONS[4].run)(&fake).expect("v5 step");
        let after = fake.trees.borrow()[tree].clone();
        let summary: QuoteSummary = serde_json::from_slice(&after[b"rec/r1".as_slice()]).expect("a summary");
        assert_eq!((summary.count, summary.text.as_str()), (2, "we will not back down now"));
        assert_eq!(summary.first, old.occurrences[0]);
        assert_eq!(after.keys().filter(|k| k.starts_with(b"occ/r1/")).count(), 2);
        let item = codec::people::key(&["item", old.occurrences[1].item.as_str(), "r1"]);
        let held: Vec<Occurrence> = serde_json::from_slice(&after[&item]).expect("the item's occurrences");
        assert_eq!(held, [old.occurrences[1].clone()]);
        (MIGRATIONS[4].run)(&fake).expect("v5 again");
        assert_eq!(fake.trees.borrow()[tree], after);
    }

    #[test]
    fn a_damaged_v2_quote_stops_the_v3_step_with_its_key() {
        let fake = v1_store();
        (MIGRATIONS[1].run)(&fake).expect("v2 step");
        let id = crate::model::ItemId::parse(ID).expect("valid id");
        let mut key = codec::RETIRED_QUOTES.prefix.to_vec();
        key.extend_from_slice(id.as_str().as_bytes());
        key.extend_from_slice(&5u32.to_be_bytes());
        fake.insert(codec::TREE, &key, b"{not json").expect("insert");
        let err = (MIGRATIONS[2].run)(&fake).expect_err("a record that does not decode must stop the step");
        assert!(matches!(err, StoreError::Corrupt { tree: "quotes.v2", .. }), "{err:?}");
    }

    #[test]
    fn steps_are_consecutive_and_end_at_the_current_version() {
        for (n, step) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(step.to).ok(), Some(n + 1), "step {n}: {}", step.what);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.to), Some(CURRENT_VERSION));
    }

    #[test]
    fn a_fresh_store_is_brought_to_the_current_version() {
        let fake = Fake::default();
        assert_eq!(bring_up_to_date(&fake, "mem").expect("migrates"), 0);
        assert_eq!(*fake.version.borrow(), Some(CURRENT_VERSION));
    }

    #[test]
    fn the_v1_step_is_a_no_op_on_data() {
        let fake = Fake::default();
        fake.insert("items.v1", b"k", b"v").expect("insert");
        let before = fake.trees.borrow().clone();
        (MIGRATIONS[0].run)(&fake).expect("v1 step runs");
        assert_eq!(*fake.trees.borrow(), before);
    }

    #[test]
    fn a_current_store_runs_no_step() {
        let fake = Fake::default();
        fake.set_schema_version(CURRENT_VERSION).expect("set");
        assert!(plan(CURRENT_VERSION, "mem").expect("plan").is_empty());
        assert_eq!(bring_up_to_date(&fake, "mem").expect("ok"), CURRENT_VERSION);
    }

    #[test]
    fn a_newer_store_is_refused_untouched() {
        let fake = Fake::default();
        fake.set_schema_version(CURRENT_VERSION + 1).expect("set");
        let err = bring_up_to_date(&fake, "/data/g.sled").expect_err("newer must be refused");
        let message = err.to_string();
        assert!(
            matches!(err, StoreError::TooNew { found, supported, .. } if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION)
        );
        assert!(message.contains("/data/g.sled") && message.contains("newer Gleaner"), "{message}");
        assert_eq!(*fake.version.borrow(), Some(CURRENT_VERSION + 1));
    }
}
