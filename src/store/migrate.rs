//! Schema versions and the steps that bring an older store up to date.
//!
//! The version lives under `meta/schema_version`. A store without it is at
//! version 0 (a fresh store, or one older than versioning); every step in
//! [`MIGRATIONS`] from there to [`CURRENT_VERSION`] runs in order, and the
//! version is written (durably) after each one, so a crash mid-migration
//! resumes at the step that was interrupted. Steps must therefore be
//! idempotent. A store with a newer version is refused, never touched.
//!
//! Adding a tree needs no step and no version bump: sled creates a tree on
//! first open and an old store simply has it empty, which is what it means.
//! So `quotes.v1`, `links.v1` and `pages.v1` (extraction) arrived at version 1
//! and the item fields that came with them default when absent
//! (`#[serde(default)]`). Bump the version only when existing keys or records
//! change meaning.
//!
//! This module must not import sled: it works through [`MigrationTarget`],
//! which `sled.rs` implements, so the plan is unit-tested with an in-memory fake.

use super::StoreError;

/// The schema this build reads and writes.
pub const CURRENT_VERSION: u32 = 1;

/// A visitor over a tree's entries, in key order.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'a;

/// The raw operations a migration step may use.
///
/// The v1 step needs none of the tree operations; they are here so the next
/// layout change has what it needs without reaching for sled.
#[allow(dead_code, reason = "tree operations await the first real migration step")]
pub trait MigrationTarget {
    /// The stored schema version, `None` when no version was ever written.
    fn schema_version(&self) -> Result<Option<u32>, StoreError>;
    /// Records `version` and makes it durable before returning.
    fn set_schema_version(&self, version: u32) -> Result<(), StoreError>;
    /// Calls `visit` on every entry of `tree` in key order.
    fn for_each(&self, tree: &str, visit: &mut Visit<'_>) -> Result<(), StoreError>;
    fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    fn remove(&self, tree: &str, key: &[u8]) -> Result<(), StoreError>;
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
pub const MIGRATIONS: &[Migration] = &[Migration {
    to: 1,
    what: "initial layout: items.v1 with idx.{url,guid,published,source,state}.v1 and fetch_state.v1",
    // Trees are created on first use, so there is nothing to convert.
    run: |_| Ok(()),
}];

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
            let trees = self.trees.borrow();
            for (k, v) in trees.get(tree).into_iter().flatten() {
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
