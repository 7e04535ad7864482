//! Watchlists (issue 16.5): an editor follows a speaker or a query, and the
//! queue's "Followed" tab lists the matching quotes of recent items, with a
//! count of those first seen since the editor last opened the tab.
//!
//! **Matched when looked at, not at ingest.** A poll never evaluates
//! watches: at 2,000 feeds × 20 items, evaluating every watch of every
//! editor against every new item (`search::eval` folds the item's whole
//! text per query) would add work that grows with watches × items to the
//! poll (issue 18). Here each watch is one search-index query limited to a
//! recent window of publication dates, run when an editor opens the queue:
//! it costs in proportion to the editor's watches and the few items that
//! match, and nothing at all while nobody looks. Without an index (a
//! process that keeps none) the window's items are read from the store and
//! each watch is evaluated in memory by `search::eval`.
//!
//! A match is an item first seen by Gleaner inside the window; it is
//! unseen when first seen after both the editor's last opening of the tab
//! and the watch's creation (following someone starts from now, not from
//! the archive). Items published long before they were first fetched (a
//! backfilled feed) fall outside the index query's date window and are
//! not listed: the tab is for news.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::speakers::credited;
use super::{Editorial, EditorialError};
use crate::model::{Item, ItemId, Quote, Watch, WatchError, WatchList, WatchTarget};
use crate::search::doc::SearchDoc;
use crate::search::query::{Clause, SearchQuery, Term};
use crate::speakers::SpeakerMap;
use crate::store::ItemQuery;

/// How far back the tab looks (by when Gleaner first saw an item).
pub const FOLLOWED_WINDOW_DAYS: i64 = 14;
/// Margin for the index's publication-date filter: an item may be first
/// fetched a little after its stated publication time.
const PUBLISHED_MARGIN_DAYS: i64 = 2;
/// Most items one watch reads from the index per look.
const MAX_ITEMS_PER_WATCH: usize = 500;
/// Most rows the tab lists.
pub const MAX_FOLLOWED_ROWS: usize = 300;
/// Attempts at a list change when the same editor changes it at once elsewhere.
const ATTEMPTS: usize = 3;

/// One matching quote (or, for a query matching an item without quotes, the item).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FollowedMatch {
    /// The watch that found it (the first, when several did).
    pub watch: String,
    /// How that watch reads (`speaker bob-banker`, `query "…"`).
    pub followed: String,
    pub item: ItemId,
    pub title: String,
    pub url: Option<String>,
    pub outlet: Option<String>,
    pub speaker: Option<String>,
    /// `None` for an item without quotes.
    pub quote: Option<String>,
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    /// First seen since the editor last opened the tab.
    pub unseen: bool,
}

/// What the Followed tab shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Followed {
    pub editor: String,
    pub watches: Vec<Watch>,
    /// Newest first seen first.
    pub matches: Vec<FollowedMatch>,
    /// How many of `matches` are unseen (the badge).
    pub unseen: usize,
    /// When the editor had last opened the tab, before this look.
    pub seen_at: Option<DateTime<Utc>>,
}

impl From<WatchError> for EditorialError {
    fn from(error: WatchError) -> Self {
        match error {
            WatchError::Unknown(id) => Self::NoSuch { what: "watch", name: id },
            other => Self::Invalid { message: other.to_string() },
        }
    }
}

/// The quote's text as the item shows it (the editor's trim first).
fn shown_text(item: &Item, quote: &Quote) -> String {
    item.editor.quote_overrides.get(&quote.id).and_then(|f| f.text.clone()).unwrap_or_else(|| quote.text.clone())
}

impl Editorial {
    /// `editor`'s watchlist (empty when they follow nothing).
    pub fn watchlist(&self, editor: &str) -> Result<WatchList, EditorialError> {
        Ok(self.store.watchlist(editor)?.unwrap_or_else(|| WatchList::new(editor)))
    }

    /// Every editor's watchlist, by editor.
    pub fn watchlists(&self) -> Result<Vec<WatchList>, EditorialError> {
        Ok(self.store.watchlists()?)
    }

    /// Changes `editor`'s list by `change` under compare and swap, retrying
    /// when the same editor changed it at the same moment elsewhere.
    fn change_watchlist<T>(
        &self,
        editor: &str,
        mut change: impl FnMut(&mut WatchList) -> Result<T, EditorialError>,
    ) -> Result<T, EditorialError> {
        for _ in 0..ATTEMPTS {
            let stored = self.store.watchlist(editor)?;
            let mut list = stored.clone().unwrap_or_else(|| WatchList::new(editor));
            let answer = change(&mut list)?;
            if stored.as_ref() == Some(&list) || self.store.swap_watchlist(stored.as_ref(), &list)? {
                return Ok(answer);
            }
        }
        Err(EditorialError::Invalid { message: "the watchlist kept changing meanwhile; try again".to_owned() })
    }

    /// Follows `target` for `editor` (a speaker given by name or id is
    /// followed under the id it resolves to now). Following the same thing
    /// again returns the existing watch.
    pub fn follow(
        &self,
        editor: &str,
        target: WatchTarget,
        notify: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Watch, EditorialError> {
        let editor = super::checked_actor(editor)?.to_owned();
        let target = match target {
            WatchTarget::Speaker { id } => WatchTarget::Speaker {
                id: self.resolve_speaker(&id)?.ok_or_else(|| EditorialError::Invalid {
                    message: format!("{id:?} names no speaker (no word in it)"),
                })?,
            },
            WatchTarget::Query { query } => {
                // A query of nothing but ignored parts would match every recent item.
                if crate::search::parse(&query).is_empty() {
                    return Err(EditorialError::Invalid { message: format!("{query:?} asks for nothing to match") });
                }
                WatchTarget::Query { query }
            }
        };
        self.change_watchlist(&editor, |list| Ok(list.follow(target.clone(), notify.map(str::to_owned), now)?))
    }

    /// Removes the watch `id`: from `editor`'s list, or with `None` from
    /// whichever editor's list holds it (ids are unique across editors).
    pub fn unfollow(&self, editor: Option<&str>, id: &str) -> Result<Watch, EditorialError> {
        let owner = match editor {
            Some(editor) => editor.to_owned(),
            None => self
                .store
                .watchlists()?
                .into_iter()
                .find(|list| list.watches.iter().any(|w| w.id == id.trim()))
                .map(|list| list.editor)
                .ok_or_else(|| EditorialError::NoSuch { what: "watch", name: id.to_owned() })?,
        };
        self.change_watchlist(&owner, |list| Ok(list.unfollow(id)?))
    }

    /// The Followed tab for `editor` at `now`, without marking anything seen
    /// (the queue's badge).
    pub fn followed(&self, editor: &str, now: DateTime<Utc>) -> Result<Followed, EditorialError> {
        let list = self.watchlist(editor)?;
        self.followed_for(&list, now)
    }

    /// The Followed tab as the editor opens it: the matches, with those new
    /// since the last opening flagged, and the tab marked seen at `now`.
    pub fn open_followed(&self, editor: &str, now: DateTime<Utc>) -> Result<Followed, EditorialError> {
        let list = self.watchlist(editor)?;
        let followed = self.followed_for(&list, now)?;
        if !list.watches.is_empty() {
            self.change_watchlist(editor, |list| {
                // Never backwards: a slow request must not undo a later look.
                list.seen_at = Some(list.seen_at.map_or(now, |seen| seen.max(now)));
                Ok(())
            })?;
        }
        Ok(followed)
    }

    fn followed_for(&self, list: &WatchList, now: DateTime<Utc>) -> Result<Followed, EditorialError> {
        if list.watches.is_empty() {
            // The queue asks on every page: an editor who follows nothing costs one read.
            return Ok(Followed {
                editor: list.editor.clone(),
                watches: Vec::new(),
                matches: Vec::new(),
                unseen: 0,
                seen_at: list.seen_at,
            });
        }
        let window = now - Duration::days(FOLLOWED_WINDOW_DAYS);
        let map = self.store.speaker_map()?;
        // (item, quote) → its row, so a quote two watches find is listed once.
        let mut rows: HashMap<(ItemId, Option<String>), usize> = HashMap::new();
        let mut matches = Vec::new();
        let mut pool: Option<Vec<Item>> = None;
        for watch in &list.watches {
            let items = self.watch_items(watch, window, &map, &mut pool)?;
            let cutoff = list.seen_at.map_or(watch.created_at, |seen| seen.max(watch.created_at));
            for item in items.iter().filter(|item| item.first_seen >= window) {
                let mut row = |quote: Option<&Quote>, speaker: Option<String>, outlet: Option<String>| {
                    let unseen = item.first_seen > cutoff;
                    let key = (item.id.clone(), quote.map(|q| q.id.clone()));
                    if let Some(&at) = rows.get(&key) {
                        // Found by an earlier watch too: new if new to either.
                        let found: &mut FollowedMatch = &mut matches[at];
                        found.unseen |= unseen;
                        return;
                    }
                    rows.insert(key, matches.len());
                    matches.push(FollowedMatch {
                        watch: watch.id.clone(),
                        followed: watch.target.describe(),
                        item: item.id.clone(),
                        title: item.title.clone(),
                        url: item.url.clone(),
                        outlet,
                        speaker,
                        quote: quote.map(|q| shown_text(item, q)),
                        published: item.published,
                        first_seen: item.first_seen,
                        unseen,
                    });
                };
                let quotes = item.editor.with_added(self.store.quotes(&item.id)?);
                match &watch.target {
                    WatchTarget::Speaker { id } => {
                        let wanted = map.resolve_id(id);
                        for quote in &quotes {
                            let (speaker, outlet) = credited(item, quote);
                            if speaker.as_deref().and_then(|s| map.resolve(s)).as_deref() == Some(wanted.as_str()) {
                                row(Some(quote), speaker, outlet);
                            }
                        }
                    }
                    WatchTarget::Query { .. } if quotes.is_empty() => row(None, None, item.outlet.clone()),
                    WatchTarget::Query { query } => {
                        let query = crate::search::parse(query);
                        for quote in &quotes {
                            let (speaker, outlet) = credited(item, quote);
                            if crate::search::eval::wants_quote_by(&query, speaker.as_deref()) {
                                row(Some(quote), speaker, outlet);
                            }
                        }
                    }
                }
            }
        }
        matches.sort_by(|a, b| b.first_seen.cmp(&a.first_seen).then(b.published.cmp(&a.published)));
        matches.truncate(MAX_FOLLOWED_ROWS);
        let unseen = matches.iter().filter(|m| m.unseen).count();
        Ok(Followed {
            editor: list.editor.clone(),
            watches: list.watches.clone(),
            matches,
            unseen,
            seen_at: list.seen_at,
        })
    }

    /// The items `watch` matches among those published in the window (with
    /// its margin): through the index, else from the store evaluated one by
    /// one (`pool` keeps the window's items for the next watch).
    fn watch_items(
        &self,
        watch: &Watch,
        window: DateTime<Utc>,
        map: &SpeakerMap,
        pool: &mut Option<Vec<Item>>,
    ) -> Result<Vec<Item>, EditorialError> {
        let since = window - Duration::days(PUBLISHED_MARGIN_DAYS);
        let mut query = match &watch.target {
            WatchTarget::Speaker { id } => {
                let words = map.resolve_id(id).split('-').collect::<Vec<_>>().join(" ");
                SearchQuery {
                    clauses: vec![Clause { negated: false, term: Term::Speaker(words) }],
                    warnings: Vec::new(),
                }
            }
            WatchTarget::Query { query } => crate::search::parse(query),
        };
        if query.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(search) = &self.search {
            query.clauses.push(Clause { negated: false, term: Term::Since(since.date_naive()) });
            let mut items = Vec::new();
            for hit in search.matching(&query, &self.sections(), MAX_ITEMS_PER_WATCH)? {
                items.extend(self.store.item(&hit.id)?);
            }
            return Ok(items);
        }
        if pool.is_none() {
            let items = self.store.items(&ItemQuery { since: Some(since), ..ItemQuery::default() })?;
            *pool = Some(items.into_iter().filter(|item| item.first_seen >= window).collect());
        }
        let sections = self.sections();
        let mut items = Vec::new();
        for item in pool.iter().flatten() {
            let quotes = item.editor.with_added(self.store.quotes(&item.id)?);
            // A speaker watch is decided by each quote's resolved speaker (in `followed_for`).
            let wanted = matches!(watch.target, WatchTarget::Speaker { .. })
                || crate::search::eval::matches(&query, &SearchDoc::new(item, &quotes), &sections);
            if wanted {
                items.push(item.clone());
            }
        }
        Ok(items)
    }
}
