//! Full-text search over the archive (issue 16.1): titles, article text,
//! quotes, speakers, outlets and editors' commentary, with the query syntax
//! of `query.rs`, ranked hits and highlighted snippets.
//!
//! The index lives in a folder beside the store (`<store>.search/`) and is
//! derived data: the store stays the source of truth, and `gleaner reindex`
//! rebuilds the index from it. [`Search`] keeps it current: ingest calls
//! [`Search::update`] once per poll with every id it wrote, the editorial
//! use-case after every write, the publisher once an issue's items are
//! marked published ([`crate::publish::PublishHook`]).
//!
//! Crash safety: a store write comes first and its index update after, so a
//! kill between the two leaves an index that lags. A `dirty` file in the
//! folder says "this process may have written the store without the index":
//! it is created (and synced) when the index is opened, before any write,
//! and removed when the last handle is dropped after every update went
//! through. Opening an index whose `dirty` file is there (a crash, a kill
//! -9, a failed update) reconciles it with the store: every item's stamp
//! (`doc::stamp`) is compared with the one indexed, and only what differs
//! is indexed again. The service reconciles at every start anyway, on a
//! thread of its own once it is up ([`Check::InBackground`]), so even a
//! write path that forgot to tell us is caught at the next start. An index
//! of another schema version, or one that does not open, is rebuilt.
//!
//! Layers: `fold.rs`, `query.rs` and `doc.rs` are pure; `tokenizer.rs` and
//! `index.rs` are the tantivy adapter; this file is the use-case (it reads
//! the store). Saved views (named queries) are kept in `views.json` in the
//! same folder, outside the part a rebuild wipes.

pub mod doc;
pub mod eval;
pub mod fold;
pub mod index;
pub mod query;
pub mod tokenizer;
mod views;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub use self::doc::SearchDoc;
use self::index::SearchIndex;
pub use self::index::{Hit, IndexError, Snippet};
pub use self::query::{SearchQuery, parse};
pub use self::views::{SavedView, ViewError};
use crate::model::{Issue, Item, ItemId};
use crate::store::{ItemQuery, Store, StoreError};

/// Most hits one search returns.
pub const MAX_LIMIT: usize = 1_000;
/// Items indexed per commit while rebuilding or reconciling.
const BATCH: usize = 1_000;
/// Items read from the store and made documents at a time within one
/// commit: a cold poll's 4,000 items and their documents were about 30 MiB
/// held at once.
const PART: usize = 256;
/// Most text (content, summary, article text) read at a time: 256 items of
/// 200 KB each, with their documents, were a poll's peak memory on a feed of
/// big items under the body cap (issue 11.14).
const PART_BYTES: usize = 4 * 1024 * 1024;
/// Deferred updates ([`Search::defer_updates`]) waiting at most this many
/// items: then they are committed at once.
const DEFER_MAX: usize = 1_000;

/// Why a search or an index update failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Views(#[from] ViewError),
    /// A file of the search folder (the marker, the version) failed.
    #[error("search folder {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// When [`Search::open`] compares the index with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Only after an unclean stop (the `dirty` marker) or a version change.
    IfDirty,
    /// Always, before [`Search::open`] returns.
    Always,
    /// Always, on a thread of its own after [`Search::open`] returns (the
    /// service, at start: with a large archive the comparison takes seconds,
    /// and the service answers meanwhile; an item written behind the
    /// index's back is found once it is done).
    InBackground,
}

/// What [`Search::open`], [`Search::reconcile`] or [`Search::rebuild`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Items (re)indexed.
    pub indexed: usize,
    /// Index entries of items no longer stored, removed.
    pub removed: usize,
    /// Whether the whole index was rebuilt.
    pub rebuilt: bool,
}

/// One hit, as the CLI, the API and the queue show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchResult {
    pub id: ItemId,
    pub title: String,
    pub source: String,
    pub outlet: Option<String>,
    pub url: Option<String>,
    pub state: String,
    pub published: DateTime<Utc>,
    /// Relevance (higher is better); 0 for a filter-only query (newest first).
    pub score: f32,
    pub snippet: Snippet,
}

/// A page of results.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchResults {
    /// Every matching item (not only those returned).
    pub total: usize,
    pub results: Vec<SearchResult>,
    /// Parts of the query that were ignored, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The search use-case; cheap to clone (clones share the index).
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    folder: PathBuf,
    index: SearchIndex,
    store: Arc<dyn Store>,
    /// An update failed: the index may lag, so the marker stays for the next open.
    lagging: AtomicBool,
    /// One read-modify-write of `views.json` at a time.
    views: Mutex<()>,
    /// Updates waiting for the next commit (see [`Search::defer_updates`]).
    deferred: Arc<Mutex<Deferred>>,
}

/// Ids whose update waits, and for how long updates may wait.
#[derive(Default)]
struct Deferred {
    /// `None`: every update commits at once.
    window: Option<Duration>,
    ids: HashSet<ItemId>,
    /// When the oldest waiting id arrived.
    since: Option<Instant>,
}

impl Deferred {
    /// The waiting ids, when they have waited long enough (or are many).
    fn take_due(&mut self, now: Instant) -> Option<Vec<ItemId>> {
        self.is_due(now).then(|| self.take())
    }

    fn is_due(&self, now: Instant) -> bool {
        let Some(window) = self.window else { return false };
        let due = self.ids.len() >= DEFER_MAX || self.since.is_some_and(|since| now - since >= window);
        due && !self.ids.is_empty()
    }

    fn take(&mut self) -> Vec<ItemId> {
        self.since = None;
        self.ids.drain().collect()
    }
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search").field("folder", &self.inner.folder).finish_non_exhaustive()
    }
}

impl Inner {
    /// Reads these items from the store into the index, [`PART`] at a time,
    /// in one commit; returns how many were indexed and how many removed.
    /// The reads happen while the writer is held: a store write after a
    /// read has its own update wait for this commit, so an older version
    /// never lands after a newer one.
    fn reread(&self, ids: &[ItemId]) -> Result<(usize, usize), SearchError> {
        let mut seen = HashSet::new();
        let unique: Vec<&ItemId> = ids.iter().filter(|id| seen.insert(*id)).collect();
        let mut staged = self.index.stage();
        let (mut indexed, mut removed) = (0, 0);
        let (mut items, mut gone, mut bytes) = (Vec::new(), Vec::new(), 0);
        for (n, &id) in unique.iter().enumerate() {
            match self.store.item(id)? {
                Some(item) => {
                    bytes += item.content.len() + item.summary.len() + item.text.len();
                    items.push(item);
                }
                None => gone.push(id.clone()),
            }
            if items.len() + gone.len() == PART || bytes >= PART_BYTES || n + 1 == unique.len() {
                staged.remove(&gone);
                staged.add(&self.docs(&items)?)?;
                indexed += items.len();
                removed += gone.len();
                (items, gone, bytes) = (Vec::new(), Vec::new(), 0);
            }
        }
        staged.commit()?;
        Ok((indexed, removed))
    }

    fn docs(&self, items: &[Item]) -> Result<Vec<SearchDoc>, SearchError> {
        let mut docs = Vec::with_capacity(items.len());
        for item in items {
            let quotes = item.editor.with_added(self.store.quotes(&item.id)?);
            docs.push(SearchDoc::new(item, &quotes));
        }
        Ok(docs)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone (a clean stop): what waits is committed now.
        let waiting = self.deferred.lock().unwrap_or_else(PoisonError::into_inner).take();
        if !waiting.is_empty() {
            if let Err(error) = self.reread(&waiting) {
                self.lagging.store(true, Ordering::SeqCst);
                tracing::error!(%error, "updating the search index failed; it is brought up to date at the next start");
            }
        }
        if !self.lagging.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(self.folder.join(DIRTY));
        }
    }
}

const DIRTY: &str = "dirty";
const VERSION: &str = "version";

/// The search folder for a store at `store_path`: `<store>.search`.
pub fn folder_for(store_path: &Path) -> PathBuf {
    let mut name = store_path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".search");
    store_path.with_file_name(name)
}

impl Search {
    /// Opens (or creates) the index in `folder` over `store`, brings it up to
    /// date as `check` says, and marks it in use (see the module docs).
    pub fn open(folder: &Path, store: Arc<dyn Store>, check: Check) -> Result<(Self, SyncReport), SearchError> {
        let io = |source| SearchError::Io { path: folder.display().to_string(), source };
        std::fs::create_dir_all(folder).map_err(io)?;
        let version = std::fs::read_to_string(folder.join(VERSION)).ok();
        let current = version.as_deref().map(str::trim) == Some(index::INDEX_VERSION.to_string().as_str());
        let was_dirty = folder.join(DIRTY).exists();
        let dir = folder.join("index");
        // No index yet (first start, or its folder was deleted): build one.
        let current = current && dir.join("meta.json").exists();
        let index = match (current, SearchIndex::open(&dir)) {
            (true, Ok(index)) => Some(index),
            (_, Ok(index)) => {
                drop(index);
                None
            }
            (_, Err(error)) => {
                tracing::warn!(%error, "the search index does not open; rebuilding it from the store");
                None
            }
        };
        let (index, fresh) = if let Some(index) = index {
            (index, false)
        } else {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(io)?;
            }
            (SearchIndex::open(&dir)?, true)
        };
        mark_dirty(folder).map_err(io)?;
        let search = Self {
            inner: Arc::new(Inner {
                folder: folder.to_path_buf(),
                index,
                store,
                lagging: AtomicBool::new(false),
                views: Mutex::new(()),
                deferred: Arc::default(),
            }),
        };
        let report = if fresh {
            let report = search.rebuild()?;
            crate::publish::write::write_atomic(&folder.join(VERSION), index::INDEX_VERSION.to_string().as_bytes())
                .map_err(|e| SearchError::Io {
                    path: folder.display().to_string(),
                    source: std::io::Error::other(e),
                })?;
            report
        } else if check == Check::InBackground {
            search.reconcile_in_background();
            SyncReport::default()
        } else if was_dirty || check == Check::Always {
            search.reconcile()?
        } else {
            SyncReport::default()
        };
        Ok((search, report))
    }

    /// Indexes every stored item anew.
    pub fn rebuild(&self) -> Result<SyncReport, SearchError> {
        self.inner.index.clear()?;
        let items = self.inner.store.items(&ItemQuery::default())?;
        let mut report = SyncReport { rebuilt: true, ..SyncReport::default() };
        for chunk in items.chunks(BATCH) {
            report.indexed += chunk.len();
            self.index_items(chunk, &[])?;
        }
        Ok(report)
    }

    /// Brings the index in line with the store: items whose stamp differs
    /// (or that are missing) are indexed, entries of removed items dropped.
    ///
    /// Safe beside updates: the comparison reads no snapshot, so every item
    /// it finds stale or gone is read again while the writer is held (see
    /// [`Search::update`]), and an item the listing missed (its state
    /// changed mid-scan) is kept, not dropped.
    pub fn reconcile(&self) -> Result<SyncReport, SearchError> {
        let mut indexed = self.inner.index.stamps()?;
        let mut differ = Vec::new();
        for item in self.inner.store.items(&ItemQuery::default())? {
            if indexed.remove(&item.id) != Some(doc::stamp(&item)) {
                differ.push(item.id);
            }
        }
        differ.extend(indexed.into_keys());
        let mut report = SyncReport::default();
        for chunk in differ.chunks(BATCH) {
            let (indexed, removed) = self.inner.reread(chunk)?;
            report.indexed += indexed;
            report.removed += removed;
        }
        if report.indexed + report.removed > 0 {
            tracing::info!(indexed = report.indexed, removed = report.removed, "search index brought up to date");
        }
        Ok(report)
    }

    /// [`Search::reconcile`] on a thread of its own; a failure is logged and
    /// leaves the marker for the next open.
    fn reconcile_in_background(&self) {
        let search = self.clone();
        let spawned = std::thread::Builder::new().name("search-reconcile".to_owned()).spawn(move || {
            let result = search.reconcile().map(drop);
            search.settle(result);
        });
        if let Err(error) = spawned {
            self.settle(Err(SearchError::Io { path: self.inner.folder.display().to_string(), source: error }));
        }
    }

    /// Re-reads these items from the store into the index (ids no longer
    /// stored are removed), at once or, after [`Search::defer_updates`],
    /// with the next commit. A failure is logged and remembered (the next
    /// open reconciles), never passed on: the store write it follows stands.
    pub fn update(&self, ids: &[ItemId]) {
        if ids.is_empty() {
            return;
        }
        let due = {
            let mut deferred = self.deferred();
            if deferred.window.is_some() {
                deferred.since.get_or_insert_with(Instant::now);
                deferred.ids.extend(ids.iter().cloned());
                deferred.take_due(Instant::now())
            } else {
                Some(ids.to_vec())
            }
        };
        if let Some(ids) = due {
            let result = self.inner.reread(&ids).map(drop);
            self.settle(result);
        }
    }

    /// Lets [`Search::update`] wait up to `window` (or [`DEFER_MAX`] items)
    /// and commit what came meanwhile at once: the service's scheduler
    /// updates after every source it polls, and a commit writes and syncs
    /// files. Searches commit what waits first, so they never miss it; a
    /// kill meanwhile leaves the `dirty` marker, so the next open
    /// reconciles; the last handle's drop commits it.
    pub fn defer_updates(&self, window: Duration) {
        self.deferred().window = Some(window);
        let (inner, deferred) = (Arc::downgrade(&self.inner), Arc::clone(&self.inner.deferred));
        let spawned = std::thread::Builder::new()
            .name("search-commit".to_owned())
            .spawn(move || commit_when_due(&inner, &deferred, window));
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread for deferred search updates; each update commits at once");
            self.deferred().window = None;
        }
    }

    /// Commits the updates that wait (see [`Search::defer_updates`]).
    pub fn flush(&self) {
        let waiting = self.deferred().take();
        if !waiting.is_empty() {
            let result = self.inner.reread(&waiting).map(drop);
            self.settle(result);
        }
    }

    fn deferred(&self) -> std::sync::MutexGuard<'_, Deferred> {
        self.inner.deferred.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`Search::update`] with the items in hand (an editorial write returns them).
    pub fn update_items(&self, items: &[Item]) {
        let result = self.index_items(items, &[]);
        self.settle(result);
    }

    fn settle(&self, result: Result<(), SearchError>) {
        if let Err(error) = result {
            self.inner.lagging.store(true, Ordering::SeqCst);
            tracing::error!(%error, "updating the search index failed; it is brought up to date at the next start");
        }
    }

    fn index_items(&self, items: &[Item], removed: &[ItemId]) -> Result<(), SearchError> {
        self.inner.index.apply(&self.inner.docs(items)?, removed)?;
        Ok(())
    }

    /// How many items are indexed (by the last commit: deferred updates
    /// are not counted until they are committed).
    pub fn len(&self) -> u64 {
        self.inner.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.index.is_empty()
    }

    /// The best `limit` matches of `text` with snippets. `sections` maps a
    /// source id to its configured section (for `section:`).
    pub fn search(
        &self,
        text: &str,
        sections: &HashMap<String, String>,
        limit: usize,
    ) -> Result<SearchResults, SearchError> {
        self.flush();
        let query = parse(text);
        if query.is_empty() {
            return Ok(SearchResults { warnings: query.warnings, ..SearchResults::default() });
        }
        let speakers = self.inner.store.speaker_map()?.search_groups();
        let (hits, total) = self.inner.index.search(&query, sections, &speakers, limit.clamp(1, MAX_LIMIT))?;
        let highlighter = self.inner.index.highlighter(&query)?;
        let mut results = Vec::with_capacity(hits.len());
        for hit in hits {
            // An item removed since it was indexed is skipped, not an error.
            let Some(item) = self.inner.store.item(&hit.id)? else { continue };
            let snippet = self.snippet(&highlighter, &item)?;
            results.push(SearchResult {
                source: item.source().to_owned(),
                title: item.title,
                outlet: item.outlet,
                url: item.url,
                state: item.state.as_str().to_owned(),
                published: item.published,
                score: hit.score,
                snippet,
                id: item.id,
            });
        }
        Ok(SearchResults { total, results, warnings: query.warnings })
    }

    /// Every match of `query` up to `cap`, best first (newest first for a
    /// filter-only query): the queue's search box.
    pub fn matching(
        &self,
        query: &SearchQuery,
        sections: &HashMap<String, String>,
        cap: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        self.flush();
        let speakers = self.inner.store.speaker_map()?.search_groups();
        Ok(self.inner.index.search(query, sections, &speakers, cap)?.0)
    }

    /// What makes snippets for `query` (the queue shows one per row).
    pub fn highlighter(&self, query: &SearchQuery) -> Result<index::Highlighter, SearchError> {
        Ok(self.inner.index.highlighter(query)?)
    }

    /// Where `highlighter`'s query matched `item`: its text, else its
    /// quotes, title or commentary.
    pub fn snippet(&self, highlighter: &index::Highlighter, item: &Item) -> Result<Snippet, SearchError> {
        let quotes = item.editor.with_added(self.inner.store.quotes(&item.id)?);
        let quotes: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        let title = match &item.editor.headline {
            Some(headline) => format!("{} — {headline}", item.title),
            None => item.title.clone(),
        };
        Ok(highlighter.snippet(
            &doc::body_text(item),
            &quotes.join(" … "),
            &title,
            item.editor.commentary.as_deref().unwrap_or_default(),
        ))
    }

    /// The saved views, by name.
    pub fn views(&self) -> Result<Vec<SavedView>, SearchError> {
        Ok(views::load(&self.inner.folder)?)
    }

    /// Saves (or replaces) the view `name`.
    pub fn save_view(&self, name: &str, query: &str) -> Result<SavedView, SearchError> {
        let _one = self.inner.views.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(views::save(&self.inner.folder, name, query)?)
    }

    /// Removes the view `name`; `false` when there was none.
    pub fn delete_view(&self, name: &str) -> Result<bool, SearchError> {
        let _one = self.inner.views.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(views::delete(&self.inner.folder, name)?)
    }
}

/// Published items change state: index them again.
impl crate::publish::PublishHook for Search {
    fn issue_published(&self, _store: &dyn Store, _issue: &Issue) -> Result<(), StoreError> {
        Ok(())
    }

    fn issue_finished(&self, _store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        let ids: Vec<ItemId> = issue.item_ids().cloned().collect();
        self.update(&ids);
        Ok(())
    }
}

/// The loop of [`Search::defer_updates`]' thread: commits what has waited
/// its window, until the last handle is dropped. It holds a handle only
/// while it commits, so a drop elsewhere is the last one (and commits what
/// waits) nearly always.
fn commit_when_due(inner: &Weak<Inner>, deferred: &Mutex<Deferred>, window: Duration) {
    let tick = (window / 4).max(Duration::from_millis(10));
    while inner.strong_count() > 0 {
        std::thread::sleep(tick);
        if !deferred.lock().unwrap_or_else(PoisonError::into_inner).is_due(Instant::now()) {
            continue;
        }
        // Taken only under a handle: what is taken is committed, not lost to a drop meanwhile.
        let Some(inner) = inner.upgrade() else { return };
        let search = Search { inner };
        let due = search.deferred().take_due(Instant::now());
        if let Some(ids) = due {
            let result = search.inner.reread(&ids).map(drop);
            search.settle(result);
        }
    }
}

/// Creates the marker and syncs it and its folder, so it is on disk before
/// any store write that the index may then miss.
fn mark_dirty(folder: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(folder.join(DIRTY))?;
    file.sync_all()?;
    // The folder's entry for the file: without this a power cut could lose it.
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}
