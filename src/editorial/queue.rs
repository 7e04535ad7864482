//! The review queue's in-memory index: one compact row per item, newest
//! first, with a folded search text, answering every queue query by a scan.
//!
//! Why memory and not a sled index per filter: the queue combines up to
//! seven filters (state, source, section, language, date range, free text)
//! and always wants per-state counts under the other filters. Per-filter
//! indexes in sled would need a key layout per combination or an
//! intersection of id sets read from disk on every request, and free-text
//! substring search cannot use an ordered index at all. A row here is a few
//! hundred bytes (≈ 30 MB for 50,000 items, dominated by the search text),
//! and a linear scan of 50,000 rows with substring tests takes a few
//! milliseconds (see `benches/queue.rs`), well under the 50 ms budget, with
//! no per-query disk reads. The store stays the source of truth: the index is
//! rebuilt from it at start, and every write through `Editorial` (plus
//! `Editorial::refresh` for ingest's writes) updates the affected rows.
//!
//! Must not touch the store: `Editorial` feeds it rows.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::model::{Item, ItemId, ReviewState};

/// Most characters of an item's summary kept for search: enough for any
/// feed summary's gist, and a cap so one feed that puts whole articles in
/// its summaries cannot blow up the index.
const MAX_SUMMARY_SEARCH_CHARS: usize = 2_000;

/// One item as the queue needs it (no article text, no quotes).
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub id: ItemId,
    pub title: String,
    pub source: String,
    pub outlet: Option<String>,
    /// The editor's section; the source's section applies when `None`.
    pub editor_section: Option<String>,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub state: ReviewState,
    pub revision: u64,
    pub quote_count: usize,
    /// The story the item tells (its own id when no other outlet ran it).
    pub story: ItemId,
    /// Folded (see [`fold`]) title, summary text and outlet, one per line.
    pub haystack: String,
}

impl Row {
    pub fn from_item(item: &Item) -> Self {
        let summary = crate::sanitize::html_to_text(&item.summary);
        let summary: String = summary.chars().take(MAX_SUMMARY_SEARCH_CHARS).collect();
        let mut haystack = fold(&item.title);
        haystack.push('\n');
        haystack.push_str(&fold(&summary));
        if let Some(outlet) = &item.outlet {
            haystack.push('\n');
            haystack.push_str(&fold(outlet));
        }
        if let Some(headline) = &item.editor.headline {
            // Editors search for what they wrote as much as for what the feed said.
            haystack.push('\n');
            haystack.push_str(&fold(headline));
        }
        Self {
            id: item.id.clone(),
            title: item.title.clone(),
            source: item.source().to_owned(),
            outlet: item.outlet.clone(),
            editor_section: item.editor.section.clone(),
            language: item.language.clone(),
            published: item.published,
            state: item.state,
            revision: item.revision,
            quote_count: usize::try_from(item.quote_count).unwrap_or(usize::MAX),
            story: item.story_id().clone(),
            haystack,
        }
    }
}

/// Text as search compares it: lower-cased, with the Arabic-script letters
/// that Persian text spells two ways (Arabic yeh/kaf vs. Persian yeh/keheh,
/// from keyboards and sources that disagree) folded to one, and tatweel and
/// zero-width non-joiners dropped, so "می‌گوید" matches "ميگويد".
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{064A}' | '\u{0649}' => out.push('\u{06CC}'),
            '\u{0643}' => out.push('\u{06A9}'),
            '\u{0640}' | '\u{200C}' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The query as the scan uses it: everything pre-folded once.
pub(super) struct Matcher<'a> {
    pub state: Option<ReviewState>,
    /// Any of these (empty: any); `state` wins when set.
    pub states: Vec<ReviewState>,
    pub source: Option<&'a str>,
    pub section: Option<&'a str>,
    /// Lower-cased; matches `fa` and `fa-IR` alike.
    pub language: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub terms: Vec<String>,
}

impl Matcher<'_> {
    /// The state filter.
    pub fn wants_state(&self, state: ReviewState) -> bool {
        match self.state {
            Some(wanted) => wanted == state,
            None => self.states.is_empty() || self.states.contains(&state),
        }
    }

    /// Every filter but the state (the per-state counts are taken under these).
    pub fn matches_except_state(&self, row: &Row, section: Option<&str>) -> bool {
        self.source.is_none_or(|s| row.source == s)
            && self.from.is_none_or(|from| row.published >= from)
            && self.to.is_none_or(|to| row.published < to)
            && self.section.is_none_or(|s| section == Some(s))
            && self
                .language
                .as_deref()
                .is_none_or(|wanted| row.language.as_deref().is_some_and(|l| language_matches(l, wanted)))
            && self.terms.iter().all(|term| row.haystack.contains(term.as_str()))
    }
}

/// `wanted` is lower-case already; no allocation per row (this runs 50,000 times a query).
fn language_matches(language: &str, wanted: &str) -> bool {
    let (language, wanted) = (language.as_bytes(), wanted.as_bytes());
    language.len() >= wanted.len()
        && language[..wanted.len()].eq_ignore_ascii_case(wanted)
        && (language.len() == wanted.len() || language[wanted.len()] == b'-')
}

/// Rows newest first, with an id lookup for updates.
#[derive(Debug, Default)]
pub(super) struct QueueIndex {
    rows: BTreeMap<(Reverse<DateTime<Utc>>, ItemId), Row>,
    published: HashMap<ItemId, DateTime<Utc>>,
}

impl QueueIndex {
    pub fn upsert(&mut self, row: Row) {
        if let Some(old) = self.published.insert(row.id.clone(), row.published) {
            self.rows.remove(&(Reverse(old), row.id.clone()));
        }
        self.rows.insert((Reverse(row.published), row.id.clone()), row);
    }

    pub fn remove(&mut self, id: &ItemId) {
        if let Some(old) = self.published.remove(id) {
            self.rows.remove(&(Reverse(old), id.clone()));
        }
    }

    pub fn get(&self, id: &ItemId) -> Option<&Row> {
        let published = self.published.get(id)?;
        self.rows.get(&(Reverse(*published), id.clone()))
    }

    /// Newest first (ties by id, so paging is stable).
    pub fn iter(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_joins_persian_spellings_and_ignores_case() {
        assert_eq!(fold("ميگويد"), fold("می‌گوید"));
        assert_eq!(fold("كتاب"), fold("کتاب"));
        assert_eq!(fold("Tehran"), "tehran");
    }

    #[test]
    fn language_filter_takes_the_primary_subtag() {
        assert!(language_matches("fa-IR", "fa"));
        assert!(language_matches("FA", "fa"));
        assert!(!language_matches("fr", "f"));
    }
}
