//! Persistence behind a narrow trait, so a server-backed store can be added later.
//!
//! Callers never see sled: they use [`Store`]. Two implementations keep the
//! same contract: [`SledStore`] (`sled/`, the one module that imports sled),
//! the embedded default for one machine, and [`PgStore`] (`postgres/`), the
//! shared store for several processes. Key codecs live in `codec/` (the
//! PostgreSQL store keeps the same JSON records) and sled's schema versions
//! in `migrate.rs`. This module holds only the contract: the traits, their
//! error and their report and query types.

pub mod backup;
mod codec;
mod dump;
mod migrate;
mod postgres;
pub mod shared;
mod sled;

use chrono::{DateTime, Utc};

pub use self::migrate::CURRENT_VERSION as SCHEMA_VERSION;
pub use self::postgres::{
    DEFAULT_MAX_CONNECTIONS as PG_DEFAULT_MAX_CONNECTIONS, MigrateReport, PG_SCHEMA_VERSION, PgOptions, PgStore,
};
pub use self::shared::{HostSlot, SharedWork, SourceLease};
pub use self::sled::SledStore;
pub use crate::model::Extraction;
use crate::model::{EditorFields, FetchState, Item, ItemId, Link, NewItem, Quote, ReviewState};

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

/// An item as the story pass sees it: when it was published, the story it
/// is in, and the signature of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryPrint {
    pub id: ItemId,
    pub published: DateTime<Utc>,
    pub story: ItemId,
    pub signature: crate::story::Signature,
}

impl StoryPrint {
    /// The print of a stored item that is placed in a story, made from its text.
    pub fn of_item(item: &Item) -> Option<Self> {
        Some(Self {
            id: item.id.clone(),
            published: item.published,
            story: item.story.clone()?,
            signature: crate::story::Signature::of_item(item),
        })
    }
}

/// The conditional-GET cache of one article page (RFC 9110 §8.8 validators,
/// kept verbatim), keyed by the page's canonical URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageCache {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// BLAKE3 of the body last extracted: an identical 200 is not extracted again.
    pub body_hash: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
}

// ---- Review: editorial writes with their audit entries, users (issue 4) ----

/// One editors' write for [`EditorialStore::apply_edits`]: the item's new review
/// state and editor fields, the revision they were based on, and the audit
/// entry that describes the change.
#[derive(Debug, Clone)]
pub struct EditorialWrite {
    pub id: ItemId,
    pub expected_revision: u64,
    pub state: ReviewState,
    pub editor: EditorFields,
    /// Stored with the change; its `item_id` and `revision` are set by the
    /// store (to `id` and the item's new revision).
    pub audit: crate::model::AuditEntry,
}

/// Items as fetched and extracted: upserts that merge copies of one article,
/// extractions, listings.
pub trait ItemStore: Send + Sync {
    /// Inserts or updates items, each with its indexes in one atomic write.
    ///
    /// An item is matched by id, then by canonical URL (another source's copy of
    /// the same article is merged, remembering both sources). Review state and
    /// editor fields of existing items are never touched.
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError>;

    /// [`ItemStore::upsert_items`] together with extractions made from the
    /// entries' own feed content, so a polled source costs one write instead
    /// of two (and each item's record is written once).
    ///
    /// An extraction is stored only for an item that, after the upsert, is
    /// stored under that id with that `content_hash` and whose stored
    /// extraction does not already answer it; the others are skipped (the
    /// caller extracts those the usual way). Returns the upsert's report and
    /// the ids whose extraction was stored. Each item stays atomic with its
    /// indexes and its extraction; a store may commit everything together.
    fn upsert_with_extractions(
        &self,
        items: &[NewItem],
        extractions: &[(ItemId, Extraction)],
    ) -> Result<(UpsertReport, Vec<ItemId>), StoreError> {
        let report = self.upsert_items(items)?;
        let mut wanted = Vec::new();
        for (id, extraction) in extractions {
            let current = self.item(id)?;
            if current.is_some_and(|item| {
                item.content_hash == extraction.content_hash
                    && item.extracted_for.as_deref() != Some(extraction.content_hash.as_str())
            }) {
                wanted.push((id.clone(), extraction.clone()));
            }
        }
        let mut stored = Vec::with_capacity(wanted.len());
        for ((id, _), written) in wanted.iter().zip(self.put_extractions(&wanted)) {
            written?;
            stored.push(id.clone());
        }
        Ok((report, stored))
    }

    /// Retention: removes those of `ids` that are still only `source`'s and
    /// untouched by editors ([`Item::untouched_by_editors`], and no audit
    /// entry), each with every index entry, extract record and page cache it
    /// owns, in one atomic write. Checked again under the writer lock, so an
    /// editor's write that lands first keeps its item. Returns the ids removed.
    fn remove_untouched(&self, source: &str, ids: &[ItemId]) -> Result<Vec<ItemId>, StoreError>;

    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError>;

    /// The item stored under this canonical URL, from whichever source.
    fn item_by_url(&self, url: &str) -> Result<Option<Item>, StoreError>;

    /// Items matching `query`, newest first.
    fn items(&self, query: &ItemQuery) -> Result<Vec<Item>, StoreError>;

    /// How many items are stored in all.
    fn item_count(&self) -> Result<usize, StoreError>;

    /// How many items are in each review state, in [`ReviewState::ALL`] order
    /// (states without items included, with 0).
    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError>;

    /// Stores an extraction: in one atomic write, replaces every quote and link
    /// of the item and its extraction fields (text, byline, outlet, note, ...).
    /// Review state and editor fields are never touched; the revision is bumped
    /// only when something an editor sees changed.
    ///
    /// `editor.quote_ids` stays valid by design rather than by bookkeeping:
    /// quote ids are derived from the normalized quote text, so a quote that
    /// survives a re-extraction keeps its id. An id whose quote disappeared
    /// (the page was edited) is kept too: the editor chose it, so whoever shows
    /// the choice looks the id up and can say it is gone, rather than the store
    /// silently dropping an editorial decision.
    ///
    /// Fails with [`StoreError::UnknownItem`].
    fn put_extraction(&self, id: &ItemId, extraction: &Extraction) -> Result<(), StoreError>;

    /// [`ItemStore::put_extraction`] for many items at once, with one result per
    /// entry in the same order. Each item's writes stay atomic; a store may
    /// commit them together, which is much cheaper than one commit per item
    /// (sled pays for every atomic batch with a synced log write).
    fn put_extractions(&self, extractions: &[(ItemId, Extraction)]) -> Vec<Result<(), StoreError>> {
        extractions.iter().map(|(id, extraction)| self.put_extraction(id, extraction)).collect()
    }

    /// Records an extraction attempt that produced nothing new for the item at
    /// `content_hash`: with `failure`, the note says why (the stored text,
    /// quotes and links stay: a failed re-fetch must not wipe a good
    /// extraction); without, the stored extraction is confirmed current (the
    /// page answered 304 or with an identical body).
    ///
    /// Fails with [`StoreError::UnknownItem`].
    fn record_extraction_attempt(
        &self,
        id: &ItemId,
        content_hash: &str,
        failure: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Sets each listed item's story (see `Item::story`), leaving everything
    /// else, the revision included, as it is: a story is the queue's grouping,
    /// not something an open edit form shows. Unknown ids are skipped.
    fn put_stories(&self, stories: &[(ItemId, ItemId)]) -> Result<(), StoreError>;

    /// The story prints of the items published in `from..=to` that are
    /// placed in a story, in no particular order: what the story pass
    /// compares new items with. This default makes each from the item
    /// itself; a store that keeps the prints written by
    /// [`ItemStore::put_story_prints`] reads them instead (sled does).
    fn story_prints(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<StoryPrint>, StoreError> {
        let items = self.items(&ItemQuery { since: Some(from), ..ItemQuery::default() })?;
        Ok(items.iter().filter(|item| item.published <= to).filter_map(StoryPrint::of_item).collect())
    }

    /// Sets each print's item's story as [`ItemStore::put_stories`] does and
    /// keeps the print for [`ItemStore::story_prints`]. This default sets the
    /// stories only.
    fn put_story_prints(&self, prints: &[StoryPrint]) -> Result<(), StoreError> {
        let stories: Vec<(ItemId, ItemId)> = prints.iter().map(|p| (p.id.clone(), p.story.clone())).collect();
        self.put_stories(&stories)
    }

    /// The item's quotes in page order (empty for an unknown item).
    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError>;

    /// The item's outbound links in page order (empty for an unknown item).
    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError>;
}

/// What the fetcher remembers between polls: per-source state and the
/// conditional-GET cache of article pages.
pub trait FetchStateStore: Send + Sync {
    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError>;

    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError>;

    /// The conditional-GET cache of an article page, by canonical URL.
    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError>;

    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError>;
}

/// Editors' writes, each with its audit entry, under optimistic revisions.
pub trait EditorialStore: Send + Sync {
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

    /// [`EditorialStore::update_editorial`] plus its audit entry, in one atomic write:
    /// the trail never shows a change that did not happen, nor misses one.
    /// `audit.revision` and `audit.item_id` are set by the store.
    ///
    /// Fails with [`StoreError::UnknownItem`] or [`StoreError::StaleRevision`].
    fn apply_edit(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
        audit: &crate::model::AuditEntry,
    ) -> Result<Item, StoreError> {
        let write =
            EditorialWrite { id: id.clone(), expected_revision, state, editor: editor.clone(), audit: audit.clone() };
        let mut items = self.apply_edits(std::slice::from_ref(&write))?;
        items.pop().ok_or_else(|| StoreError::Io("an editorial write returned no item".to_owned()))
    }

    /// Several editorial writes, all or nothing: if any item is unknown or
    /// stale, nothing is written (a reorder is one decision). Returns the
    /// items at their new revisions, in order.
    fn apply_edits(&self, writes: &[EditorialWrite]) -> Result<Vec<Item>, StoreError>;

    /// An item's audit trail, newest first.
    fn audit_for(&self, id: &ItemId) -> Result<Vec<crate::model::AuditEntry>, StoreError>;

    /// The latest `limit` audit entries across all items, newest first.
    fn recent_audit(&self, limit: usize) -> Result<Vec<crate::model::AuditEntry>, StoreError>;
}

/// Editors' accounts.
pub trait UserStore: Send + Sync {
    /// Stores a new user; `Ok(false)` (and nothing written) when the name is
    /// taken. Atomic: two concurrent adds of one name cannot both succeed.
    fn insert_user(&self, user: &crate::model::User) -> Result<bool, StoreError>;

    /// Replaces (or creates) a user, e.g. after a password change.
    fn put_user(&self, user: &crate::model::User) -> Result<(), StoreError>;

    fn user(&self, name: &str) -> Result<Option<crate::model::User>, StoreError>;

    /// Every user, by name.
    fn users(&self) -> Result<Vec<crate::model::User>, StoreError>;

    /// Removes a user; `Ok(false)` when there was none by that name.
    fn remove_user(&self, name: &str) -> Result<bool, StoreError>;

    /// Stores (or replaces) an API token under its hash.
    fn put_token(&self, token: &crate::model::ApiToken) -> Result<(), StoreError>;

    /// The token with this hash, if one is stored.
    fn token(&self, hash: &str) -> Result<Option<crate::model::ApiToken>, StoreError>;

    /// Every API token.
    fn tokens(&self) -> Result<Vec<crate::model::ApiToken>, StoreError>;

    /// Removes the token with this hash; `Ok(false)` when there was none.
    fn remove_token(&self, hash: &str) -> Result<bool, StoreError>;
}

/// Digest issue records, drafts included.
pub trait IssueStore: Send + Sync {
    /// Every digest issue, drafts included, by number.
    fn issues(&self) -> Result<Vec<crate::model::Issue>, StoreError>;

    fn issue(&self, number: u32) -> Result<Option<crate::model::Issue>, StoreError>;

    /// Stores an issue record as given (the publisher's draft), replacing one
    /// with the same number.
    fn put_issue(&self, issue: &crate::model::Issue) -> Result<(), StoreError>;

    /// Publishes an issue in one atomic write: stores `issue` (already marked
    /// published by the caller) and moves every listed item to `published`,
    /// bumping its revision; each must still be at the given revision. An id
    /// listed twice is moved once.
    ///
    /// Fails with [`StoreError::UnknownItem`] or [`StoreError::StaleRevision`],
    /// and then changes nothing.
    fn finish_issue(&self, issue: &crate::model::Issue, items: &[(ItemId, u64)]) -> Result<(), StoreError>;
}

/// The digest's mailing list and its per-issue send state (issue 15.4).
///
/// A send is queued per issue as one record per recipient, written in one
/// atomic batch with the issue's job marker, so the recipient list is fixed
/// when the issue is queued and a crash cannot leave half a list.
pub trait MailStore: Send + Sync {
    fn subscriber(&self, email: &str) -> Result<Option<crate::model::Subscriber>, StoreError>;

    /// The subscriber whose confirmation or unsubscribe token this is.
    fn subscriber_by_token(&self, token: &str) -> Result<Option<crate::model::Subscriber>, StoreError>;

    /// Stores a subscriber (replacing the one with its address) and its token index entries.
    fn put_subscriber(&self, subscriber: &crate::model::Subscriber) -> Result<(), StoreError>;

    /// Removes a subscriber and its tokens; `Ok(false)` when there was none.
    fn remove_subscriber(&self, email: &str) -> Result<bool, StoreError>;

    /// Every subscriber, by address.
    fn subscribers(&self) -> Result<Vec<crate::model::Subscriber>, StoreError>;

    /// Queues issue `number` for `recipients`, each `Pending`, in one atomic
    /// write; `Ok(false)` and nothing written when the issue was queued before
    /// (so a resumed publish cannot queue it twice).
    fn queue_issue_mail(&self, number: u32, recipients: &[String]) -> Result<bool, StoreError>;

    /// Issues queued and not yet marked done, by number.
    fn open_mail_jobs(&self) -> Result<Vec<u32>, StoreError>;

    /// Marks issue `number`'s send finished (every recipient sent or skipped).
    fn close_mail_job(&self, number: u32) -> Result<(), StoreError>;

    /// Every recipient of issue `number` with their state, by address.
    fn sends(&self, number: u32) -> Result<Vec<(String, crate::model::SendState)>, StoreError>;

    /// Records one recipient's state; durable when this returns (it is what
    /// stops a restarted send from mailing them again).
    fn put_send(&self, number: u32, email: &str, state: &crate::model::SendState) -> Result<(), StoreError>;
}

/// The webhook delivery queue and log (issue 15.3).
pub trait OutboxStore: Send + Sync {
    /// Stores new deliveries, skipping any whose id is already stored (an
    /// event enqueued twice is delivered once); returns how many were new.
    fn enqueue_deliveries(&self, deliveries: &[crate::model::Delivery]) -> Result<usize, StoreError>;

    /// Replaces a stored delivery (after an attempt); durable when this returns.
    fn put_delivery(&self, delivery: &crate::model::Delivery) -> Result<(), StoreError>;

    /// Every stored delivery, oldest first.
    fn deliveries(&self) -> Result<Vec<crate::model::Delivery>, StoreError>;

    /// Drops finished deliveries beyond the newest `keep` (the log's length).
    fn prune_deliveries(&self, keep: usize) -> Result<(), StoreError>;

    /// A named position in another record stream (e.g. how far the audit
    /// trail has been turned into `item.approved` events).
    fn outbox_cursor(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;

    fn put_outbox_cursor(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError>;
}

/// Quote provenance records and the editors' speaker map (issue 16.2, 16.3).
/// Matching is `speakers::provenance` (pure); a store keeps each record's
/// summary with its key index (`QuoteSummary::keys`), its occurrences one
/// entry each (listed oldest first by a prefix scan), and an item index that
/// holds each item's occurrences, and runs the read-match-write of one item
/// under its writer lock.
pub trait PeopleStore: Send + Sync {
    /// Replaces what is recorded for `item` by `sightings` (all of its
    /// quotes) in one atomic write: reads the summaries of the records
    /// holding the item or sharing a key with a sighting, applies
    /// `speakers::provenance::apply` (reading a record's occurrences only
    /// when it asks), writes the change. A second call with the same
    /// sightings writes nothing; adding an occurrence never rewrites the
    /// record's others.
    fn record_quotes(&self, item: &ItemId, sightings: &[crate::speakers::QuoteSighting]) -> Result<(), StoreError>;

    /// The summaries of the records holding an occurrence in `item`, by id.
    fn quote_summaries_of(&self, item: &ItemId) -> Result<Vec<crate::speakers::QuoteSummary>, StoreError>;

    /// Every record's summary, or those of the listed speaker ids, by id.
    fn quote_summaries(&self, speakers: Option<&[String]>) -> Result<Vec<crate::speakers::QuoteSummary>, StoreError>;

    /// A record's occurrences, oldest first.
    fn occurrences(&self, record: &str) -> Result<Vec<crate::speakers::Occurrence>, StoreError>;

    /// The records holding an occurrence in `item`, with every occurrence.
    fn quote_records_of(&self, item: &ItemId) -> Result<Vec<crate::speakers::QuoteRecord>, StoreError> {
        self.with_occurrences(self.quote_summaries_of(item)?)
    }

    /// Every record, or those of the listed speaker ids, with every occurrence, by id.
    fn quote_records(&self, speakers: Option<&[String]>) -> Result<Vec<crate::speakers::QuoteRecord>, StoreError> {
        self.with_occurrences(self.quote_summaries(speakers)?)
    }

    /// Summaries with their occurrences, as readers show them.
    fn with_occurrences(
        &self,
        summaries: Vec<crate::speakers::QuoteSummary>,
    ) -> Result<Vec<crate::speakers::QuoteRecord>, StoreError> {
        summaries
            .into_iter()
            .map(|summary| {
                let occurrences = self.occurrences(&summary.id)?;
                Ok(crate::speakers::QuoteRecord::from_parts(summary, occurrences))
            })
            .collect()
    }

    /// The editors' merges and splits (empty when none was made).
    fn speaker_map(&self) -> Result<crate::speakers::SpeakerMap, StoreError>;

    /// Replaces the speaker map if it is still `expected` (compare and swap);
    /// `Ok(false)` and nothing written when someone changed it meanwhile.
    fn swap_speaker_map(
        &self,
        expected: &crate::speakers::SpeakerMap,
        map: &crate::speakers::SpeakerMap,
    ) -> Result<bool, StoreError>;
}

/// Editors' watchlists (issue 16.5): one record per editor. Matching is
/// `editorial::watchlist`'s; a store only keeps the records.
pub trait WatchStore: Send + Sync {
    /// `editor`'s list, `None` when they never followed anything.
    fn watchlist(&self, editor: &str) -> Result<Option<crate::model::WatchList>, StoreError>;

    /// Every editor's list, by editor name.
    fn watchlists(&self) -> Result<Vec<crate::model::WatchList>, StoreError>;

    /// Replaces `list.editor`'s list if it is still `expected` (`None`: no
    /// list yet), compare and swap; `Ok(false)` and nothing written when it
    /// changed meanwhile (the same editor in two tabs).
    fn swap_watchlist(
        &self,
        expected: Option<&crate::model::WatchList>,
        list: &crate::model::WatchList,
    ) -> Result<bool, StoreError>;
}

/// Operations: durability, the health probe, backup dump and restore.
pub trait OpsStore: ItemStore + UserStore + IssueStore {
    /// Makes everything written so far durable (a commit point).
    fn flush(&self) -> Result<(), StoreError>;

    /// Proves the store takes writes: a probe key written, removed and
    /// flushed. The default only flushes (enough for stores without a meta area).
    fn health_check(&self) -> Result<(), StoreError> {
        self.flush()
    }

    /// Whether the store holds no records at all (a restore target must).
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.item_count()? == 0 && self.users()?.is_empty() && self.issues()?.is_empty())
    }

    /// Visits every record and index entry of the current schema, raw, in key
    /// order (see [`RawRecord`]): what `gleaner export` writes. The default
    /// refuses: only a store that knows its own layout can dump it whole.
    fn export_records(&self, visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let _ = visit;
        Err(StoreError::Io("this store cannot export its records".to_owned()))
    }

    /// Writes records from [`OpsStore::export_records`] back, as given (one
    /// atomic batch per call). Meant for an empty store only: callers check
    /// [`OpsStore::is_empty`] first. Fails with [`StoreError::Corrupt`] for a
    /// record of an unknown space or whose value does not decode.
    fn import_records(&self, records: &[RawRecord]) -> Result<(), StoreError> {
        let _ = records;
        Err(StoreError::Io("this store cannot import records".to_owned()))
    }

    /// The work several processes share through this store (fetch leases,
    /// the publish claim); `None` for a store one process holds (sled).
    fn shared(&self) -> Option<&dyn shared::SharedWork> {
        None
    }
}

/// The whole store as the rest of Gleaner holds it: one value implementing
/// every concern. A caller names the concern traits whose methods it calls,
/// and a test wrapper injects faults into one concern by delegating the rest.
pub trait Store:
    ItemStore
    + FetchStateStore
    + EditorialStore
    + UserStore
    + IssueStore
    + OpsStore
    + MailStore
    + OutboxStore
    + PeopleStore
    + WatchStore
{
}

impl<S> Store for S where
    S: ItemStore
        + FetchStateStore
        + EditorialStore
        + UserStore
        + IssueStore
        + OpsStore
        + MailStore
        + OutboxStore
        + PeopleStore
        + WatchStore
{
}

/// Every concern trait, for callers that use a whole [`Store`]: trait methods
/// are callable only with their trait in scope.
pub mod prelude {
    pub use super::{
        EditorialStore, FetchStateStore, IssueStore, ItemStore, MailStore, OpsStore, OutboxStore, PeopleStore, Store,
        UserStore, WatchStore,
    };
}

/// Keeps the quote provenance records (issue 16.3) current for `ids`, as
/// stored now. A failure is logged, not returned: provenance is derived
/// from the items, and the next write of the item records it again.
pub fn record_provenance(store: &dyn Store, ids: &[ItemId]) {
    for id in ids {
        let recorded = store.item(id).and_then(|item| {
            let Some(item) = item else { return store.record_quotes(id, &[]) };
            let sightings = crate::speakers::provenance::sightings_of(&item, store.quotes(id)?);
            store.record_quotes(id, &sightings)
        });
        if let Err(error) = recorded {
            tracing::warn!(item = %id, %error, "quote provenance not recorded");
        }
    }
}

/// One stored key and value of the current schema, exactly as stored.
///
/// A raw dump rather than typed records, because the typed API cannot put
/// everything back: an upsert never writes review state, editor fields or
/// revisions, and audit entries only arrive with the edits they describe.
/// Index entries are dumped too, so a restore needs no rebuild logic that
/// could drift from the writers'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The key space's name, e.g. `items.v2` (its prefix without the `/`).
    pub space: String,
    /// The key after the space's prefix.
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Checks a record from a backup as [`OpsStore::import_records`] would, without
/// writing: its space is well-formed and, for a record kind this build
/// knows, its value decodes. Fails with [`StoreError::Corrupt`].
pub fn check_record(record: &RawRecord) -> Result<(), StoreError> {
    dump::restore_target(record).map(drop)
}
