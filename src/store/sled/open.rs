//! Opening the database: its settings, the migration target over the raw
//! trees, and waiting out a lock that another handle is about to release.

use sled::{Config, Db, Tree};

use super::super::StoreError;
use super::super::codec::{self, corrupt};
use super::super::migrate::{MigrationTarget, Visit};
use super::{META, SCHEMA_VERSION_KEY};

/// Settings shared by on-disk and temporary stores.
pub(super) fn base_config(cache_bytes: u64) -> Config {
    Config::new().cache_capacity(cache_bytes)
}

/// The raw operations migrations use, over the open database.
pub(super) struct SledTarget<'a> {
    pub(super) db: &'a Db,
    pub(super) meta: &'a Tree,
}

impl MigrationTarget for SledTarget<'_> {
    fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        match self.meta.get(SCHEMA_VERSION_KEY).map_err(io)? {
            Some(bytes) => codec::decode_version(&bytes)
                .map(Some)
                .ok_or_else(|| corrupt(META, SCHEMA_VERSION_KEY, "schema version is not a 4-byte integer")),
            None => Ok(None),
        }
    }

    fn set_schema_version(&self, version: u32) -> Result<(), StoreError> {
        self.meta.insert(SCHEMA_VERSION_KEY, &codec::encode_version(version)).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(())
    }

    fn for_each(&self, tree: &str, visit: &mut Visit<'_>) -> Result<(), StoreError> {
        // Opening would create it: a store that never had the tree has nothing to visit.
        if !self.db.tree_names().iter().any(|name| name.as_ref() == tree.as_bytes()) {
            return Ok(());
        }
        for entry in &self.db.open_tree(tree).map_err(io)? {
            let (key, value) = entry.map_err(io)?;
            visit(&key, &value)?;
        }
        Ok(())
    }

    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.open_tree(tree).map_err(io)?.get(key).map_err(io)?.map(|v| v.to_vec()))
    }

    fn insert(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.db.open_tree(tree).map_err(io)?.insert(key, value).map_err(io)?;
        Ok(())
    }

    fn remove(&self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.db.open_tree(tree).map_err(io)?.remove(key).map_err(io)?;
        Ok(())
    }

    fn drop_tree(&self, tree: &str) -> Result<(), StoreError> {
        self.db.drop_tree(tree).map_err(io)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(io)?;
        Ok(())
    }
}

// Plain functions rather than `From` impls, so no sled type appears in the
// crate's public API.

#[allow(clippy::needless_pass_by_value)] // used as `map_err(io)`
pub(super) fn io(error: sled::Error) -> StoreError {
    StoreError::Io(error.to_string())
}

/// An open failure, saying plainly when the cause is another open handle.
/// How long [`SledStore::open_with_cache`] waits, between attempts, for a
/// held lock to be released: about a second in all, so another process that
/// really has the store open is still reported promptly.
pub(super) const LOCK_RETRY_WAITS: [std::time::Duration; 6] = [
    std::time::Duration::from_millis(10),
    std::time::Duration::from_millis(30),
    std::time::Duration::from_millis(60),
    std::time::Duration::from_millis(100),
    std::time::Duration::from_millis(300),
    std::time::Duration::from_millis(500),
];

/// Opens `config`, retrying a held lock over [`LOCK_RETRY_WAITS`] (see
/// [`SledStore::open_with_cache`]).
pub(super) fn open_when_unlocked(config: &Config) -> sled::Result<Db> {
    let mut waits = LOCK_RETRY_WAITS.iter();
    loop {
        match config.open() {
            Err(error) if is_lock_held(&error) => match waits.next() {
                Some(wait) => std::thread::sleep(*wait),
                None => return Err(error),
            },
            opened => return opened,
        }
    }
}

/// sled's error when another handle holds the store's file lock.
pub(super) fn is_lock_held(error: &sled::Error) -> bool {
    error.to_string().contains("could not acquire lock")
}

pub(super) fn open_error(path: &str, error: &sled::Error) -> StoreError {
    let text = error.to_string();
    let reason = if is_lock_held(error) {
        "the store is in use: another Gleaner process (or another handle in this process) has it open; \
         only one may open a store at a time"
            .to_owned()
    } else {
        text
    };
    StoreError::Open { path: path.to_owned(), reason }
}
