//! Persistence behind a narrow trait, so a server-backed store can be added later.
//!
//! Callers never see sled: they use [`Store`]. The only implementation today is
//! [`SledStore`] (`sled.rs`, the one file that imports sled); key codecs live
//! in `codec.rs` and schema versions in `migrate.rs`. This module holds only
//! the contract: the trait, its error and its report and query types.

mod codec;
mod migrate;
mod sled;

use chrono::{DateTime, Utc};

pub use self::migrate::CURRENT_VERSION as SCHEMA_VERSION;
pub use self::sled::SledStore;
use crate::model::{EditorFields, FetchState, Item, ItemId, NewItem, ReviewState};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened (locked by another process, unreadable, ...).
    #[error("cannot open store at {path}: {reason}")]
    Open { path: String, reason: String },
    /// The store was written by a newer Gleaner.
    #[error(
        "store at {path} has schema version {found}, written by a newer Gleaner; this build understands \
         up to version {supported}: upgrade Gleaner, or point `store` at another path"
    )]
    TooNew { path: String, found: u32, supported: u32 },
    /// A read or write failed underneath.
    #[error("store I/O error: {0}")]
    Io(String),
    /// A record did not decode: the store is damaged or was written by other code.
    #[error("corrupt record in {tree} at key {key}: {reason}")]
    Corrupt { tree: &'static str, key: String, reason: String },
    /// An editorial write named an item that is not stored.
    #[error("no item with id {id}")]
    UnknownItem { id: ItemId },
    /// An editorial write was based on an older revision than the stored one
    /// (someone else, or a re-fetch, changed the item since it was read).
    #[error("item {id} changed since it was read: expected revision {expected}, found {found}")]
    StaleRevision { id: ItemId, expected: u64, found: u64 },
}

/// What one upsert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// Items never seen before (by id or canonical URL).
    pub new: Vec<ItemId>,
    /// Items whose feed data changed (editor fields and review state untouched).
    pub updated: Vec<ItemId>,
    /// Items delivered again with nothing changed.
    pub unchanged: usize,
}

/// A listing query; results come newest first by `published`.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub state: Option<ReviewState>,
    pub source: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

/// The store as the rest of Gleaner sees it.
pub trait Store: Send + Sync {
    /// Inserts or updates items, each with its indexes in one transaction.
    ///
    /// An item is matched by id, then by canonical URL (another source's copy of
    /// the same article is merged, remembering both sources). Review state and
    /// editor fields of existing items are never touched.
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError>;

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError>;

    /// Items matching `query`, newest first.
    fn items(&self, query: &ItemQuery) -> Result<Vec<Item>, StoreError>;

    /// How many items are stored in all.
    fn item_count(&self) -> Result<usize, StoreError>;

    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError>;

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError>;

    /// Makes everything written so far durable (a commit point).
    fn flush(&self) -> Result<(), StoreError>;

    /// How many items are in each review state, in [`ReviewState::ALL`] order
    /// (states without items included, with 0).
    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError>;

    /// The editors' write: replaces an item's review state and editor fields,
    /// provided it is still at `expected_revision` (optimistic concurrency), and
    /// returns the item at its new revision. Feed fields are never touched.
    ///
    /// This is the raw write only; which state transitions are allowed is the
    /// review module's business, not the store's.
    ///
    /// Fails with [`StoreError::UnknownItem`] or [`StoreError::StaleRevision`].
    fn update_editorial(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
    ) -> Result<Item, StoreError>;
}
