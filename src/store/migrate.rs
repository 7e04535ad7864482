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
//! Version 3 dropped the per-source time index (`idx.source.v2/`). It cost
//! one more random sled write per new item (a fifth of ingest's store time,
//! measured by `cargo bench --bench ingest`), and the only listing it served
//! is the command line's `items --source`; the review UI filters sources in
//! its in-memory queue index. That listing now walks the state index and
//! checks each record's sources. The step removes the entries; nothing else
//! changes.
//!
//! This module must not import sled: it works through [`MigrationTarget`],
//! which `sled.rs` implements, so the plan is unit-tested with an in-memory fake.

use super::{StoreError, codec};

/// The schema this build reads and writes.
pub const CURRENT_VERSION: u32 = 3;

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
        what: "no per-source time index (idx.source.v2/ removed; source listings walk the state index)",
        run: drop_source_index,
    },
];

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

/// The v2 → v3 step (see the module docs). Removing is idempotent, so an
/// interrupted step simply runs again.
fn drop_source_index(target: &dyn MigrationTarget) -> Result<(), StoreError> {
    let mut keys = Vec::new();
    target.for_each(codec::TREE, &mut |key, _| {
        if key.starts_with(codec::RETIRED_IDX_SOURCE.prefix) {
            keys.push(key.to_vec());
        }
        Ok(())
    })?;
    for key in &keys {
        target.remove(codec::TREE, key)?;
    }
    tracing::info!(removed = keys.len(), "dropped the per-source index");
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

    /// A v1 store with one item, its indexes, a quote and a fetch state.
    fn v1_store() -> Fake {
        let fake = Fake::default();
        let id = "0123456789abcdef0123456789abcdef";
        fake.insert("items.v1", id.as_bytes(), b"{item}").expect("insert");
        fake.insert("idx.url.v1", b"https://e.org/a", id.as_bytes()).expect("insert");
        let epoch = codec::encode_time(chrono::DateTime::UNIX_EPOCH);
        fake.insert("idx.state.v1", &[&[0][..], &epoch, id.as_bytes()].concat(), b"").expect("insert");
        fake.insert("quotes.v1", &[id.as_bytes(), &[0, 0, 0, 0]].concat(), b"{quote}").expect("insert");
        fake.insert("fetch_state.v1", b"src", b"{state}").expect("insert");
        fake.set_schema_version(1).expect("set");
        fake
    }

    #[test]
    fn v2_moves_every_v1_entry_under_its_prefix_and_drops_the_old_trees() {
        let fake = v1_store();
        assert_eq!(bring_up_to_date(&fake, "mem").expect("migrates"), 1);
        assert_eq!(*fake.version.borrow(), Some(CURRENT_VERSION));
        let trees = fake.trees.borrow();
        assert_eq!(trees.keys().collect::<Vec<_>>(), [codec::TREE], "only the one tree is left");
        let tree = &trees[codec::TREE];
        assert_eq!(tree.len(), 5);
        let id = crate::model::ItemId::parse("0123456789abcdef0123456789abcdef").expect("valid id");
        assert_eq!(tree.get(&codec::item_key(&id)).map(Vec::as_slice), Some(&b"{item}"[..]));
        assert_eq!(tree.get(&codec::url_key("https://e.org/a")).map(Vec::as_slice), Some(id.as_str().as_bytes()));
        assert!(tree.contains_key(&codec::seq_key(codec::QUOTES, &id, 0)));
        assert_eq!(tree.get(&codec::fetch_state_key("src")).map(Vec::as_slice), Some(&b"{state}"[..]));
        assert!(tree.keys().all(|k| codec::decode_state_key(k).is_some() || !k.starts_with(b"idx.state")));
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
    fn v3_removes_the_source_index_and_nothing_else() {
        let fake = v1_store();
        let id = crate::model::ItemId::parse("0123456789abcdef0123456789abcdef").expect("valid id");
        let source_key =
            [&b"src\0"[..], &codec::encode_time(chrono::DateTime::UNIX_EPOCH), id.as_str().as_bytes()].concat();
        fake.insert("idx.source.v1", &source_key, b"").expect("insert");
        (MIGRATIONS[1].run)(&fake).expect("v2 step");
        let v2 = fake.trees.borrow()[codec::TREE].clone();
        assert_eq!(v2.keys().filter(|k| k.starts_with(codec::RETIRED_IDX_SOURCE.prefix)).count(), 1);
        (MIGRATIONS[2].run)(&fake).expect("v3 step");
        let v3 = fake.trees.borrow()[codec::TREE].clone();
        let mut expected = v2;
        expected.retain(|k, _| !k.starts_with(codec::RETIRED_IDX_SOURCE.prefix));
        assert_eq!(v3, expected, "only the source index is gone");
        assert_eq!(v3.len(), 5);
        (MIGRATIONS[2].run)(&fake).expect("an interrupted step runs again");
        assert_eq!(fake.trees.borrow()[codec::TREE], expected);
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
