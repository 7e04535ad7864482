//! Speakers across the archive (issue 16.2): the most quoted people of a
//! period, and one person's every quote, newest first, with the outlet,
//! date and link of each, and the other outlets that ran the same story.
//!
//! Counting is `speakers::tally` (pure); this file gathers the sightings:
//! the items of the period from the store, or, for one person, the items
//! the search index finds under `speaker:` (a scan of the store when the
//! index is not attached).

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, StoryMember};
use crate::model::{Item, ItemId, Quote};
use crate::search::query::{Clause, SearchQuery, Term};
use crate::speakers::{Sighting, SpeakerSummary, speaker_id, tally};
use crate::store::ItemQuery;

/// Most items one speaker page reads (the newest matches, best first).
const MAX_SPEAKER_ITEMS: usize = 2_000;

/// One quote on a speaker's page.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerQuote {
    pub item: ItemId,
    pub title: String,
    pub url: Option<String>,
    pub outlet: Option<String>,
    pub published: DateTime<Utc>,
    pub text: String,
    /// The same story as other outlets ran it.
    pub also: Vec<StoryMember>,
}

/// A speaker's page.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerPage {
    pub speaker: SpeakerSummary,
    /// Newest first.
    pub quotes: Vec<SpeakerQuote>,
}

/// A quote's speaker and outlet as the item shows them (the editor's correction first).
fn credited(item: &Item, quote: &Quote) -> (Option<String>, Option<String>) {
    let fix = item.editor.quote_overrides.get(&quote.id);
    let speaker = fix.and_then(|f| f.speaker.clone()).or_else(|| quote.speaker.clone());
    let outlet = fix.and_then(|f| f.outlet.clone()).or_else(|| quote.outlet.clone()).or_else(|| item.outlet.clone());
    (speaker, outlet)
}

impl Editorial {
    /// The `limit` most quoted speakers among items published since `since`
    /// (all items when `None`).
    pub fn speakers(&self, since: Option<DateTime<Utc>>, limit: usize) -> Result<Vec<SpeakerSummary>, EditorialError> {
        let items = self.store.items(&ItemQuery { since, ..ItemQuery::default() })?;
        let mut sightings = Vec::new();
        for item in &items {
            if item.quote_count == 0 && item.editor.added_quotes.is_empty() {
                continue;
            }
            for quote in item.editor.with_added(self.store.quotes(&item.id)?) {
                let (speaker, outlet) = credited(item, &quote);
                if let Some(speaker) = speaker {
                    sightings.push(Sighting { speaker, outlet, item: item.id.clone(), published: item.published });
                }
            }
        }
        let mut speakers = tally(&sightings);
        speakers.truncate(limit);
        Ok(speakers)
    }

    /// Every quote of the speaker `id` (see [`speaker_id`]), newest first;
    /// `None` when nobody by that id was quoted.
    pub fn speaker_page(&self, id: &str) -> Result<Option<SpeakerPage>, EditorialError> {
        let items = match &self.search {
            Some(search) => {
                let words = id.split('-').collect::<Vec<_>>().join(" ");
                let query = SearchQuery {
                    clauses: vec![Clause { negated: false, term: Term::Speaker(words) }],
                    warnings: Vec::new(),
                };
                let mut items = Vec::new();
                for hit in search.matching(&query, &self.sections(), MAX_SPEAKER_ITEMS)? {
                    items.extend(self.store.item(&hit.id)?);
                }
                items
            }
            None => self.store.items(&ItemQuery::default())?,
        };
        let mut sightings = Vec::new();
        let mut quotes = Vec::new();
        for item in &items {
            for quote in item.editor.with_added(self.store.quotes(&item.id)?) {
                let (speaker, outlet) = credited(item, &quote);
                let Some(speaker) = speaker.filter(|s| speaker_id(s).as_deref() == Some(id)) else { continue };
                sightings.push(Sighting {
                    speaker,
                    outlet: outlet.clone(),
                    item: item.id.clone(),
                    published: item.published,
                });
                let text =
                    item.editor.quote_overrides.get(&quote.id).and_then(|f| f.text.clone()).unwrap_or(quote.text);
                quotes.push(SpeakerQuote {
                    item: item.id.clone(),
                    title: item.title.clone(),
                    url: item.url.clone(),
                    outlet,
                    published: item.published,
                    text,
                    also: self.story_members(item)?,
                });
            }
        }
        let Some(speaker) = tally(&sightings).into_iter().next() else { return Ok(None) };
        quotes.sort_by(|a, b| b.published.cmp(&a.published).then(a.item.cmp(&b.item)));
        Ok(Some(SpeakerPage { speaker, quotes }))
    }
}
