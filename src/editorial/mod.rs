//! The editorial use-case: everything editors do, shared by the CLI and the
//! web UI so both follow the same rules and leave the same audit trail.
//!
//! [`Editorial`] checks the workflow ([`crate::editorial::rules`]), validates edits,
//! writes each change together with its [`AuditEntry`] in one atomic store
//! write, and answers the review queue from an in-memory index (see
//! `queue.rs` for why not from sled indexes).
//!
//! Concurrency is optimistic: every change names the revision the editor
//! saw, and a stale one is refused with who changed what and when
//! ([`EditorialError::Stale`]), so nobody overwrites a colleague's work
//! unseen. Must not know about HTTP, terminals or argument parsing.

mod accounts;
mod added_quotes;
mod checks;
mod entries;
mod issue_audit;
mod queue;
pub mod rules;
mod speakers;
mod stories;
mod tags;
mod users;
mod watchlist;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

pub use self::accounts::{TOKEN_PREFIX, new_token, token_hash};
pub use self::checks::{ChosenQuote, summary as check_summary};
pub use self::entries::{CitedItem, MAX_CITED};
use self::queue::{Matcher, QueueIndex, Row, fold};
pub use self::rules::EditChanges;
use self::rules::{Action, TransitionError};
pub use self::speakers::{SpeakerPage, SpeakerQuote, credited};
pub use self::users::{MAX_NAME_CHARS, MIN_PASSWORD_CHARS};
pub use self::watchlist::{FOLLOWED_WINDOW_DAYS, Followed, FollowedMatch};
pub use crate::model::QuoteOverride;
use crate::model::{AuditEntry, EditorFields, Item, ItemId, Link, Quote, ReviewState, Source};
use crate::publish::layout::lay_out;
use crate::search::{Search, SearchResults};
use crate::store::{EditorialWrite, ItemQuery, Store, StoreError};

/// Most rows one queue page may ask for.
pub const MAX_PER_PAGE: usize = 500;

/// Most matches of a search the queue goes through (best first): past this
/// the tail is noise, and reading every id of a 100,000-item match costs.
pub const QUEUE_SEARCH_CAP: usize = 10_000;

/// Why an editorial request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum EditorialError {
    /// No item has this id.
    #[error("no item with id {id}")]
    NotFound { id: ItemId },
    /// The item changed since the editor loaded `expected` (it is at
    /// `found` now); `last_change` is the latest audited change after
    /// `expected`, if a person made it (a re-fetch leaves none).
    #[error("{}", stale_message(id, *expected, *found, last_change.as_deref()))]
    Stale { id: ItemId, expected: u64, found: u64, last_change: Option<Box<AuditEntry>> },
    /// The workflow does not allow `action` from `from`.
    #[error("item {id}: {}", TransitionError { from: *from, action: *action })]
    Transition { id: ItemId, from: ReviewState, action: Action },
    /// The request itself is unusable (a field too long, an unknown quote, a
    /// bad user name); the message says which part and why.
    #[error("{message}")]
    Invalid { message: String },
    /// `add_user` with a name that is taken.
    #[error("user {name:?} already exists")]
    UserExists { name: String },
    /// No user, or no API token, by this name.
    #[error("no {what} named {name:?}")]
    NoSuch { what: &'static str, name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The search index is derived storage: its failure is a storage failure
/// to whoever asked (a 500, logged), and `gleaner reindex` is the remedy.
impl From<crate::search::SearchError> for EditorialError {
    fn from(error: crate::search::SearchError) -> Self {
        match error {
            crate::search::SearchError::Store(error) => Self::Store(error),
            other => Self::Store(StoreError::Io(format!("search index: {other}"))),
        }
    }
}

fn stale_message(id: &ItemId, expected: u64, found: u64, last: Option<&AuditEntry>) -> String {
    match last {
        Some(change) => {
            let what = if change.detail.is_empty() {
                change.action.clone()
            } else {
                format!("{}: {}", change.action, change.detail)
            };
            format!(
                "item {id} was changed by {} at {} ({what}) since you loaded revision {expected}; reload",
                change.actor,
                change.at.format("%Y-%m-%d %H:%M:%S UTC"),
            )
        }
        None => format!(
            "item {id} was updated (by a re-fetch or extraction; now revision {found}) since you loaded revision \
             {expected}; reload"
        ),
    }
}

/// The queue's filters; `None` means any. Text matching is case-insensitive.
#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub state: Option<ReviewState>,
    /// A source id: matches items whose first source it is.
    pub source: Option<String>,
    /// The effective section: the editor's, else the item's source's (see [`Editorial::with_sources`]).
    pub section: Option<String>,
    /// A language tag; `fa` matches `fa` and `fa-IR`.
    pub language: Option<String>,
    /// Any of these states (empty: any); `state`, when set, wins. The queue's
    /// default view is the work still to do: new and shortlisted.
    pub states: Vec<ReviewState>,
    /// Published at or after (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Published before (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// A search query (`crate::search::query` syntax) when the full-text
    /// index is attached ([`Editorial::with_search`]): matching rows come
    /// best first, each with a snippet. Without the index: whitespace-separated
    /// terms, each a substring of the title, summary text, outlet or headline.
    pub text: Option<String>,
}

/// The states of the work still to do: the queue's default view.
pub const TO_DO: [ReviewState; 2] = [ReviewState::New, ReviewState::Shortlisted];

/// One page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// Items matching every filter (all pages).
    pub total: usize,
    /// Per state, in [`ReviewState::ALL`] order, the items matching every
    /// filter except the state one (what state tabs show), a story once per state.
    pub counts: Vec<(ReviewState, usize)>,
    /// The rows the queue shows for the work still to do ([`TO_DO`]) under
    /// every filter but the state: a story of a new and a shortlisted item
    /// is one row, so it counts once here (the per-state counts cannot be summed).
    pub to_do: usize,
    /// The same for every state (the "all" tab).
    pub any_state: usize,
    /// The page shown, 1-based (a `page` of 0 is read as 1).
    pub page: usize,
    /// How many pages there are; at least 1.
    pub pages: usize,
}

/// One item in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: ItemId,
    pub title: String,
    pub source: String,
    pub outlet: Option<String>,
    /// Effective section (the editor's, else the source's).
    pub section: Option<String>,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub state: ReviewState,
    pub revision: u64,
    pub quote_count: usize,
    /// The story's other items that match the filters, newest first: the
    /// same story as other outlets ran it ("also in: ...").
    pub also: Vec<StoryMember>,
    /// Where a full-text search matched (searches through the index only).
    pub snippet: Option<crate::search::Snippet>,
}

/// What the queue's dropdown filters offer (see [`Editorial::queue_choices`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueChoices {
    pub sources: Vec<String>,
    pub sections: Vec<String>,
    pub languages: Vec<String>,
}

/// Another telling of a queue row's story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryMember {
    pub id: ItemId,
    pub title: String,
    pub source: String,
    pub outlet: Option<String>,
    pub state: ReviewState,
}

/// Everything the item page shows.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Item,
    /// In page order.
    pub quotes: Vec<Quote>,
    pub links: Vec<Link>,
    /// Newest first.
    pub audit: Vec<AuditEntry>,
    /// The items this entry cites, with their quotes (choosable too).
    pub cited: Vec<CitedItem>,
    /// The other items of its story (other outlets' tellings), newest first.
    pub story: Vec<StoryMember>,
    /// Where its quotes were first reported and who repeated them (issue 16.3).
    pub provenance: Vec<crate::speakers::QuoteRecord>,
}

impl ItemView {
    /// Every quote the entry may choose: its own, then its cited items'.
    pub fn all_quotes(&self) -> impl Iterator<Item = &Quote> {
        self.quotes.iter().chain(self.cited.iter().flat_map(|c| c.quotes.iter()))
    }
}

/// One section of the next issue's draft.
#[derive(Debug, Clone)]
pub struct DraftSection {
    /// Empty for the unnamed main section when no sections are configured.
    pub name: String,
    pub items: Vec<Item>,
}

/// The editorial use-case. Cheap to clone; clones share the store and the
/// queue index.
#[derive(Clone)]
pub struct Editorial {
    store: Arc<dyn Store>,
    /// Loaded by [`Editorial::new`], or on the first queue query for
    /// [`Editorial::without_queue`] (one-shot CLI commands never load it).
    index: Arc<OnceLock<RwLock<QueueIndex>>>,
    /// The source list in force, for the section of items without an
    /// editor's section ([`Editorial::following`] shares the service's list,
    /// so a reload applies at once).
    sources: tokio::sync::watch::Receiver<Vec<Source>>,
    /// The story prints of recent items, by band (see `stories.rs`).
    signatures: Arc<std::sync::Mutex<stories::StoryIndex>>,
    /// The full-text index, kept current by every write here.
    search: Option<Search>,
}

impl fmt::Debug for Editorial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indexed = self.index.get().map(|i| i.read().unwrap_or_else(PoisonError::into_inner).len());
        f.debug_struct("Editorial").field("indexed", &indexed).finish_non_exhaustive()
    }
}

impl Editorial {
    /// Loads the queue index from every stored item (once; writes keep it current).
    pub fn new(store: Arc<dyn Store>) -> Result<Self, EditorialError> {
        let editorial = Self::without_queue(store);
        editorial.load_queue()?;
        Ok(editorial)
    }

    /// Loads the queue index now (if not yet), before the handle is shared
    /// between threads.
    pub fn load_queue(&self) -> Result<(), EditorialError> {
        drop(self.read_index()?);
        Ok(())
    }

    /// For one-shot writes (the CLI): the queue index is loaded only if a
    /// queue query comes, so `review approve` does not read 50,000 items.
    /// Only for single-threaded use: writes made while another thread loads
    /// the index may be missing from it until [`Editorial::refresh`].
    pub fn without_queue(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            index: Arc::new(OnceLock::new()),
            sources: tokio::sync::watch::channel(Vec::new()).1,
            signatures: Arc::new(stories::new_index()),
            search: None,
        }
    }

    /// Keeps `search` current with every editorial write, and answers the
    /// queue's search box and [`Editorial::search`] from it.
    #[must_use]
    pub fn with_search(mut self, search: Search) -> Self {
        self.search = Some(search);
        self
    }

    /// The full-text index, when attached.
    pub fn search_index(&self) -> Option<&Search> {
        self.search.as_ref()
    }

    /// Full-text search (`crate::search::query` syntax), best `limit` hits
    /// with snippets; `section:` knows the sources' configured sections.
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults, EditorialError> {
        let search = self.search.as_ref().ok_or_else(|| EditorialError::Invalid {
            message: "full-text search is not available here (no index)".to_owned(),
        })?;
        Ok(search.search(query, &self.sections(), limit)?)
    }

    /// Tells the use-case each source's configured section, the section an
    /// item falls in when its editor chose none (as the publisher decides).
    #[must_use]
    pub fn with_sources(self, sources: &[Source]) -> Self {
        self.following(tokio::sync::watch::channel(sources.to_vec()).1)
    }

    /// Reads the sources from the service's shared list, so a reloaded
    /// source's section applies to the queue at once.
    #[must_use]
    pub fn following(mut self, sources: tokio::sync::watch::Receiver<Vec<Source>>) -> Self {
        self.sources = sources;
        self
    }

    /// Source id → configured section, from the list in force now.
    fn sections(&self) -> HashMap<String, String> {
        let sources = self.sources.borrow();
        sources
            .iter()
            .filter_map(|s| Some((s.id.clone(), s.section.clone().filter(|x| !x.trim().is_empty())?)))
            .collect()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Applies a workflow action to one item seen at `expected_revision`.
    pub fn act(
        &self,
        id: &ItemId,
        expected_revision: u64,
        action: Action,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.current(id, expected_revision)?;
        let to = rules::transition(item.state, action).map_err(|e| EditorialError::Transition {
            id: id.clone(),
            from: e.from,
            action: e.action,
        })?;
        let audit = audit(now, actor, id, action.as_str(), format!("{} → {to}", item.state));
        self.write_one(id, expected_revision, to, &item.editor, &audit)
    }

    /// [`Editorial::act`] on many items, one result per target in order; each
    /// succeeds or fails alone (a bulk approve of 20 items where one went
    /// stale approves the other 19 and says which one did not).
    pub fn act_many(
        &self,
        targets: &[(ItemId, u64)],
        action: Action,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Vec<Result<Item, EditorialError>> {
        targets.iter().map(|(id, revision)| self.act(id, *revision, action, actor, now)).collect()
    }

    /// Changes editor fields of one item seen at `expected_revision`. Fields
    /// not named in `changes` keep their stored values; an edit that changes
    /// nothing writes nothing and returns the item as stored.
    pub fn edit(
        &self,
        id: &ItemId,
        expected_revision: u64,
        changes: &EditChanges,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.current(id, expected_revision)?;
        // A published item stays editable: the edit is what a correction of
        // its issue (`Publisher::correct`) then publishes.
        let mut quotes = item.editor.with_added(self.store.quotes(id)?);
        // The quotes of the items the entry cites may be chosen too.
        for cited in self.cited(&item)? {
            quotes.extend(cited.quotes);
        }
        let known: Vec<&str> = quotes.iter().map(|q| q.id.as_str()).collect();
        let (editor, fields) = changes
            .apply(&item.editor, &known)
            .and_then(|(editor, fields)| {
                rules::check_trims(&editor.quote_overrides, &quotes).map(|()| (editor, fields))
            })
            .map_err(|e| EditorialError::Invalid { message: format!("item {id}: {e}") })?;
        if fields.is_empty() {
            return Ok(item);
        }
        let audit = audit(now, actor, id, "edit", fields.join(", "));
        self.write_one(id, expected_revision, item.state, &editor, &audit)
    }

    /// A page of the review queue, newest first. `page` is 1-based;
    /// `per_page` is clamped to `1..=MAX_PER_PAGE`. A page past the end has
    /// no rows but the true `total` and `pages`.
    pub fn queue(&self, filter: &QueueFilter, page: usize, per_page: usize) -> Result<QueuePage, EditorialError> {
        let per_page = per_page.clamp(1, MAX_PER_PAGE);
        let page = page.max(1);
        let mut matcher = Matcher {
            state: filter.state,
            states: filter.states.clone(),
            source: non_blank(filter.source.as_deref()),
            section: non_blank(filter.section.as_deref()),
            language: non_blank(filter.language.as_deref()).map(str::to_ascii_lowercase),
            from: filter.from,
            to: filter.to,
            terms: Vec::new(),
        };
        let text = non_blank(filter.text.as_deref());
        // With the index: the query's matches, best first; without, substrings.
        let searched = if let (Some(text), Some(search)) = (text, &self.search) {
            let query = crate::search::parse(text);
            let hits = search.matching(&query, &self.sections(), QUEUE_SEARCH_CAP)?;
            Some((hits, query, search))
        } else {
            matcher.terms = text.map(|t| fold(t).split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
            None
        };
        let skip = (page - 1).saturating_mul(per_page);
        let mut counts = [0_usize; ReviewState::ALL.len()];
        let mut total = 0;
        let mut rows: Vec<QueueRow> = Vec::with_capacity(per_page);
        let index = self.read_index()?;
        let sections = self.sections();
        // One row per story: its newest matching item, with the others as
        // `also` (`Some(n)`: the story's row is `rows[n]`; `None`: on another page).
        let mut stories: HashMap<&ItemId, Option<usize>> = HashMap::new();
        let mut counted: HashSet<(usize, &ItemId)> = HashSet::new();
        let (mut to_do, mut any_state): (HashSet<&ItemId>, HashSet<&ItemId>) = (HashSet::new(), HashSet::new());
        let order: Box<dyn Iterator<Item = &Row>> = match &searched {
            Some((hits, _, _)) => Box::new(hits.iter().filter_map(|hit| index.get(&hit.id))),
            None => Box::new(index.iter()),
        };
        for row in order {
            let section = section_of(&sections, row);
            if !matcher.matches_except_state(row, section) {
                continue;
            }
            if counted.insert((state_slot(row.state), &row.story)) {
                counts[state_slot(row.state)] += 1;
            }
            if TO_DO.contains(&row.state) {
                to_do.insert(&row.story);
            }
            any_state.insert(&row.story);
            if !matcher.wants_state(row.state) {
                continue;
            }
            if let Some(shown) = stories.get(&row.story) {
                if let Some(n) = shown {
                    rows[*n].also.push(story_member(row));
                }
                continue;
            }
            let shown = (total >= skip && rows.len() < per_page).then(|| {
                rows.push(queue_row(row, section));
                rows.len() - 1
            });
            stories.insert(&row.story, shown);
            total += 1;
        }
        let (to_do, any_state) = (to_do.len(), any_state.len());
        drop(index);
        if let Some((_, query, search)) = &searched {
            let highlighter = search.highlighter(query)?;
            for row in &mut rows {
                if let Some(item) = self.store.item(&row.id)? {
                    row.snippet = Some(search.snippet(&highlighter, &item)?);
                }
            }
        }
        Ok(QueuePage {
            rows,
            total,
            counts: ReviewState::ALL.into_iter().zip(counts).collect(),
            to_do,
            any_state,
            page,
            pages: total.div_ceil(per_page).max(1),
        })
    }

    /// The values the queue's source, section and language filters offer:
    /// every one some item has (or a configured source names), sorted.
    /// Languages by primary subtag (`fa` for `fa-IR`), as the filter matches.
    pub fn queue_choices(&self) -> Result<QueueChoices, EditorialError> {
        let sections = self.sections();
        let mut choices = QueueChoices::default();
        let mut seen = (HashSet::new(), HashSet::new(), HashSet::new());
        for source in self.sources.borrow().iter() {
            seen.0.insert(source.id.clone());
        }
        seen.1.extend(sections.values().cloned());
        let index = self.read_index()?;
        for row in index.iter() {
            seen.0.insert(row.source.clone());
            if let Some(section) = section_of(&sections, row) {
                seen.1.insert(section.to_owned());
            }
            if let Some(language) = &row.language {
                let primary = language.split('-').next().unwrap_or(language).trim().to_ascii_lowercase();
                if !primary.is_empty() {
                    seen.2.insert(primary);
                }
            }
        }
        drop(index);
        choices.sources = seen.0.into_iter().collect();
        choices.sections = seen.1.into_iter().collect();
        choices.languages = seen.2.into_iter().collect();
        choices.sources.sort();
        choices.sections.sort();
        choices.languages.sort();
        Ok(choices)
    }

    /// Stored items, newest first, in `state` and from `source` when given
    /// (the CLI's `items`; the review UI pages through [`Editorial::queue`]).
    pub fn items(
        &self,
        state: Option<ReviewState>,
        source: Option<String>,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, EditorialError> {
        Ok(self.store.items(&ItemQuery { state, source, since: None, limit })?)
    }

    /// The review users' names.
    pub fn user_names(&self) -> Result<Vec<String>, EditorialError> {
        Ok(self.store.users()?.into_iter().map(|u| u.name).collect())
    }

    /// One stored item, if there is one with this id.
    pub fn item(&self, id: &ItemId) -> Result<Option<Item>, EditorialError> {
        Ok(self.store.item(id)?)
    }

    /// The item with its quotes, links and audit trail.
    pub fn item_page(&self, id: &ItemId) -> Result<ItemView, EditorialError> {
        let item = self.store.item(id)?.ok_or_else(|| EditorialError::NotFound { id: id.clone() })?;
        Ok(ItemView {
            quotes: item.editor.with_added(self.store.quotes(id)?),
            links: self.store.links(id)?,
            audit: self.store.audit_for(id)?,
            cited: self.cited(&item)?,
            story: self.story_members(&item)?,
            provenance: self.store.quote_records_of(id)?,
            item,
        })
    }

    /// The next issue as it stands: approved items by section, in the order
    /// the publisher will use (see `publish::compose`): the configured
    /// `sections` first (kept even when empty, so the composer can move items
    /// into them), then sections only editors named, in order of first use;
    /// within a section by `editor.position` (unpositioned last), then by
    /// publication time. Items with no section go to the first configured
    /// section (the unnamed main one, `""`, when none is configured).
    pub fn draft(&self, sections: &[String]) -> Result<Vec<DraftSection>, EditorialError> {
        // From the store, not the index: approved items are few, and the
        // draft must show exactly what `publish` would take.
        let items = self.store.items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() })?;
        let sources = self.sections();
        let draft = lay_out(sections, items, |item| item, |item| sources.get(item.source()).cloned())
            .into_iter()
            .map(|s| DraftSection { name: s.name, items: s.items })
            .collect();
        Ok(draft)
    }

    /// Puts `ordered` (approved items, as the editor saw them) in that order
    /// in `section`: positions 1, 2, 3, ..., and the item's section set to
    /// `section` when it was in another one. All or nothing: if any item is
    /// stale, unknown or not approved, nothing changes (a half-applied
    /// reorder would be an order nobody chose). Items already in place are
    /// not written.
    pub fn reorder(
        &self,
        section: &str,
        ordered: &[(ItemId, u64)],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), EditorialError> {
        let actor = checked_actor(actor)?;
        let section = rules::clean_text(section, false);
        let mut writes = Vec::new();
        let sources = self.sections();
        for (n, (id, revision)) in ordered.iter().enumerate() {
            if ordered[..n].iter().any(|(other, _)| other == id) {
                return Err(EditorialError::Invalid { message: format!("item {id} is listed twice") });
            }
            let item = self.current(id, *revision)?;
            if item.state != ReviewState::Approved {
                return Err(EditorialError::Invalid {
                    message: format!("item {id} is {}, not approved: only approved items are in the draft", item.state),
                });
            }
            let mut editor = item.editor.clone();
            editor.position = Some(u32::try_from(n + 1).unwrap_or(u32::MAX));
            if effective_section(&sources, item.editor.section.as_deref(), item.source()).unwrap_or("") != section {
                editor.section = (!section.is_empty()).then(|| section.clone());
            }
            let changed = rules::changed_fields(&item.editor, &editor);
            if changed.is_empty() {
                continue;
            }
            let detail = match &editor.section {
                Some(name) => format!("position {} in {name}", n + 1),
                None => format!("position {}", n + 1),
            };
            writes.push(EditorialWrite {
                id: id.clone(),
                expected_revision: *revision,
                state: item.state,
                editor,
                audit: audit(now, actor, id, "reorder", detail),
            });
        }
        if writes.is_empty() {
            return Ok(());
        }
        match self.store.apply_edits(&writes) {
            Ok(items) => {
                self.after_write(&items)?;
                Ok(())
            }
            Err(e) => Err(self.explain(e)),
        }
    }

    /// Adds a review user with an argon2id hash of `password`: an admin
    /// when they are the first, else an editor (see [`Editorial::add_user_as`]).
    pub fn add_user(&self, name: &str, password: &str, now: DateTime<Utc>) -> Result<(), EditorialError> {
        self.add_user_as(name, password, None, now).map(drop)
    }

    /// Whether `name` exists and `password` is theirs. Takes as long for an
    /// unknown name as for a wrong password (no user enumeration by timing).
    pub fn verify_user(&self, name: &str, password: &str) -> Result<bool, EditorialError> {
        let Some(user) = self.store.user(name)? else {
            users::verify_against_dummy(password);
            return Ok(false);
        };
        users::verify_password(password, &user.password_hash).map_err(|reason| {
            EditorialError::Store(StoreError::Corrupt { tree: "users", key: name.to_owned(), reason })
        })
    }

    /// Re-reads these items into the queue index (ingest calls this for the
    /// items it added or changed; an id no longer stored is dropped).
    pub fn refresh(&self, ids: &[ItemId]) -> Result<(), EditorialError> {
        // New and changed items find their story first, so their rows show it.
        if let Err(error) = self.assign_stories(ids) {
            tracing::warn!(%error, "assigning stories failed; the items stay in their old stories");
        }
        self.refresh_rows(ids)
    }

    /// Re-reads these items into the queue index, and nothing else.
    pub fn refresh_rows(&self, ids: &[ItemId]) -> Result<(), EditorialError> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            rows.push((id, self.store.item(id)?.map(|item| Row::from_item(&item))));
        }
        let Some(mut index) = self.write_index() else { return Ok(()) };
        for (id, row) in rows {
            match row {
                Some(row) => index.upsert(row),
                None => index.remove(id),
            }
        }
        Ok(())
    }

    /// The item as stored, provided it is still at `expected_revision`.
    fn current(&self, id: &ItemId, expected_revision: u64) -> Result<Item, EditorialError> {
        let item = self.store.item(id)?.ok_or_else(|| EditorialError::NotFound { id: id.clone() })?;
        if item.revision != expected_revision {
            return Err(self.stale(id, expected_revision, item.revision));
        }
        Ok(item)
    }

    fn write_one(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
        audit: &AuditEntry,
    ) -> Result<Item, EditorialError> {
        let item = self.store.apply_edit(id, expected_revision, state, editor, audit).map_err(|e| self.explain(e))?;
        self.after_write(std::slice::from_ref(&item))?;
        Ok(item)
    }

    /// After a successful write: make it durable before saying "saved" (an
    /// editor's decision must survive a crash a moment later), then update
    /// the index.
    fn after_write(&self, items: &[Item]) -> Result<(), EditorialError> {
        self.store.flush()?;
        // An editor's speaker correction or added quote moves provenance.
        let ids: Vec<ItemId> = items.iter().map(|item| item.id.clone()).collect();
        crate::store::record_provenance(self.store.as_ref(), &ids);
        if let Some(search) = &self.search {
            search.update_items(items);
        }
        if let Some(mut index) = self.write_index() {
            for item in items {
                index.upsert(Row::from_item(item));
            }
        }
        Ok(())
    }

    /// A store error in the editor's terms (a revision race lost at the store).
    fn explain(&self, error: StoreError) -> EditorialError {
        match error {
            StoreError::UnknownItem { id } => EditorialError::NotFound { id },
            StoreError::StaleRevision { id, expected, found } => self.stale(&id, expected, found),
            other => EditorialError::Store(other),
        }
    }

    fn stale(&self, id: &ItemId, expected: u64, found: u64) -> EditorialError {
        // The newest audited change after the editor's revision; a failure to
        // read the trail must not hide the refusal itself.
        let last_change = self
            .store
            .audit_for(id)
            .unwrap_or_else(|e| {
                tracing::warn!(id = %id, error = %e, "cannot read the audit trail for a stale-revision message");
                Vec::new()
            })
            .into_iter()
            .find(|entry| entry.revision > expected)
            .map(Box::new);
        EditorialError::Stale { id: id.clone(), expected, found, last_change }
    }

    // Poisoning carries no meaning here: every index update is a whole-row
    // replace, so a panicking writer leaves rows that are each consistent.
    fn read_index(&self) -> Result<RwLockReadGuard<'_, QueueIndex>, EditorialError> {
        if let Some(lock) = self.index.get() {
            return Ok(lock.read().unwrap_or_else(PoisonError::into_inner));
        }
        let mut index = QueueIndex::default();
        for item in self.store.items(&ItemQuery::default())? {
            index.upsert(Row::from_item(&item));
        }
        // Another thread may have won the race; either index is whole.
        let _ = self.index.set(RwLock::new(index));
        let lock = self.index.get().expect("set just above or by the thread that won");
        Ok(lock.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// `None` while the index is not loaded (nothing to keep current).
    fn write_index(&self) -> Option<RwLockWriteGuard<'_, QueueIndex>> {
        self.index.get().map(|lock| lock.write().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Every change names someone: an empty actor would make the trail useless.
fn checked_actor(actor: &str) -> Result<&str, EditorialError> {
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(EditorialError::Invalid { message: "no actor: every change must name who made it".to_owned() });
    }
    Ok(actor)
}

fn audit(now: DateTime<Utc>, actor: &str, id: &ItemId, action: &str, detail: String) -> AuditEntry {
    // `revision` is filled in by the store with the item's new revision.
    AuditEntry { at: now, actor: actor.to_owned(), item_id: id.clone(), action: action.to_owned(), detail, revision: 0 }
}

fn state_slot(state: ReviewState) -> usize {
    ReviewState::ALL.iter().position(|s| *s == state).expect("ALL lists every state")
}

/// The section an item falls in: its editor's, else its source's (`sources`
/// maps source id to configured section).
fn effective_section<'a>(
    sources: &'a HashMap<String, String>,
    editor_section: Option<&'a str>,
    source: &str,
) -> Option<&'a str> {
    non_blank(editor_section).or_else(|| sources.get(source).map(String::as_str))
}

fn section_of<'a>(sources: &'a HashMap<String, String>, row: &'a Row) -> Option<&'a str> {
    effective_section(sources, row.editor_section.as_deref(), &row.source)
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|s| !s.is_empty())
}

fn queue_row(row: &Row, section: Option<&str>) -> QueueRow {
    QueueRow {
        id: row.id.clone(),
        title: row.title.clone(),
        source: row.source.clone(),
        outlet: row.outlet.clone(),
        section: section.map(str::to_owned),
        language: row.language.clone(),
        published: row.published,
        state: row.state,
        revision: row.revision,
        quote_count: row.quote_count,
        also: Vec::new(),
        snippet: None,
    }
}

fn story_member(row: &Row) -> StoryMember {
    StoryMember {
        id: row.id.clone(),
        title: row.title.clone(),
        source: row.source.clone(),
        outlet: row.outlet.clone(),
        state: row.state,
    }
}

/// Speaker/outlet overrides keyed by quote id, as [`EditChanges::quote_overrides`] takes them.
pub type QuoteOverrides = BTreeMap<String, QuoteOverride>;
