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
//! is indexed again. The service reconciles at every start anyway, so even
//! a write path that forgot to tell us is caught at the next start. An index
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Always (the service, at start).
    Always,
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
    views: std::sync::Mutex<()>,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search").field("folder", &self.inner.folder).finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
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
                views: std::sync::Mutex::new(()),
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
    pub fn reconcile(&self) -> Result<SyncReport, SearchError> {
        let mut indexed = self.inner.index.stamps()?;
        let mut stale = Vec::new();
        let mut report = SyncReport::default();
        for item in self.inner.store.items(&ItemQuery::default())? {
            if indexed.remove(&item.id) != Some(doc::stamp(&item)) {
                stale.push(item);
            }
            if stale.len() == BATCH {
                report.indexed += stale.len();
                self.index_items(&std::mem::take(&mut stale), &[])?;
            }
        }
        let removed: Vec<ItemId> = indexed.into_keys().collect();
        report.indexed += stale.len();
        report.removed = removed.len();
        if !stale.is_empty() || !removed.is_empty() {
            self.index_items(&stale, &removed)?;
        }
        if report.indexed + report.removed > 0 {
            tracing::info!(indexed = report.indexed, removed = report.removed, "search index brought up to date");
        }
        Ok(report)
    }

    /// Re-reads these items from the store into the index (ids no longer
    /// stored are removed). A failure is logged and remembered (the next
    /// open reconciles), never passed on: the store write it follows stands.
    pub fn update(&self, ids: &[ItemId]) {
        if ids.is_empty() {
            return;
        }
        let result = self.reread(ids);
        self.settle(result);
    }

    fn reread(&self, ids: &[ItemId]) -> Result<(), SearchError> {
        let unique: HashSet<&ItemId> = ids.iter().collect();
        let mut items = Vec::with_capacity(unique.len());
        let mut removed = Vec::new();
        for id in unique {
            match self.inner.store.item(id)? {
                Some(item) => items.push(item),
                None => removed.push(id.clone()),
            }
        }
        self.index_items(&items, &removed)
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
        let mut docs = Vec::with_capacity(items.len());
        for item in items {
            let quotes = item.editor.with_added(self.inner.store.quotes(&item.id)?);
            docs.push(SearchDoc::new(item, &quotes));
        }
        self.inner.index.apply(&docs, removed)?;
        Ok(())
    }

    /// How many items are indexed.
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
        let query = parse(text);
        if query.is_empty() {
            return Ok(SearchResults { warnings: query.warnings, ..SearchResults::default() });
        }
        let (hits, total) = self.inner.index.search(&query, sections, limit.clamp(1, MAX_LIMIT))?;
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
        Ok(self.inner.index.search(query, sections, cap)?.0)
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
