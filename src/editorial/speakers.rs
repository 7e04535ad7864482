//! Speakers across the archive (issue 16.2): the most quoted people of a
//! period, and one person's every quote, newest first, with the outlet,
//! date and link of each, and the other outlets that ran the same story.
//!
//! Counting is `speakers::tally` (pure); this file gathers the sightings:
//! the items of the period from the store, or, for one person, the items
//! the search index finds under `speaker:` (a scan of the store when the
//! index is not attached).

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, StoryMember, checked_actor};
use crate::model::{Item, ItemId, Quote};
use crate::search::query::{Clause, SearchQuery, Term};
use crate::speakers::{QuoteRecord, Sighting, SpeakerEdit, SpeakerMap, SpeakerSummary, tally};
use crate::store::ItemQuery;

/// Attempts at a merge or split when another editor changes the map at the same moment.
const ATTEMPTS: usize = 3;

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
    /// Editors' merges and splits that touched this speaker, oldest first.
    pub history: Vec<SpeakerEdit>,
}

/// A quote's speaker and outlet as the item shows them (the editor's correction first).
pub fn credited(item: &Item, quote: &Quote) -> (Option<String>, Option<String>) {
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
        let map = self.store.speaker_map()?;
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
        let mut speakers = tally(&sightings, &map);
        speakers.truncate(limit);
        Ok(speakers)
    }

    /// Every quote of the speaker `id` (see [`speaker_id`]), newest first;
    /// `None` when nobody by that id was quoted.
    pub fn speaker_page(&self, id: &str) -> Result<Option<SpeakerPage>, EditorialError> {
        let map = self.store.speaker_map()?;
        let items = match &self.search {
            Some(search) => {
                // The index matches every name merged with this one (`search_groups`).
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
                let Some(speaker) = speaker.filter(|s| map.resolve(s).as_deref() == Some(id)) else { continue };
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
        let Some(speaker) = tally(&sightings, &map).into_iter().next() else { return Ok(None) };
        quotes.sort_by(|a, b| b.published.cmp(&a.published).then(a.item.cmp(&b.item)));
        let group = map.group(id);
        let history = map
            .history
            .iter()
            .filter(|edit| group.iter().any(|g| edit.detail.split(|c: char| c.is_whitespace()).any(|w| w == g)))
            .cloned()
            .collect();
        Ok(Some(SpeakerPage { speaker, quotes, history }))
    }

    /// The speaker a name or id stands for now, after editors' merges.
    pub fn resolve_speaker(&self, name_or_id: &str) -> Result<Option<String>, EditorialError> {
        Ok(self.store.speaker_map()?.resolve(&name_or_id.replace('-', " ")))
    }

    /// Merges speaker `from` into speaker `into` (ids or names), as `actor`:
    /// stored in the speaker map with its history line, kept by every later
    /// ingest. Returns the id of the merged speaker.
    pub fn merge_speakers(
        &self,
        from: &str,
        into: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<String, EditorialError> {
        let actor = checked_actor(actor)?;
        self.edit_speakers(|map| {
            let (from, into) = (resolved(map, from)?, resolved(map, into)?);
            map.merge(&from, &into, actor, now).map_err(|e| invalid(&e))?;
            Ok(map.resolve_id(&into))
        })
    }

    /// Splits the name `alias` off speaker `id`, as `actor`; returns the alias's new id.
    pub fn split_speaker(
        &self,
        id: &str,
        alias: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<String, EditorialError> {
        let actor = checked_actor(actor)?;
        let page = self
            .speaker_page(id)?
            .ok_or_else(|| EditorialError::Invalid { message: format!("nobody by the id {id:?} was quoted") })?;
        let mut names = page.speaker.aliases.clone();
        names.push(page.speaker.name.clone());
        self.edit_speakers(|map| map.split(&page.speaker.id, alias, &names, actor, now).map_err(|e| invalid(&e)))
    }

    /// A read-change-swap of the speaker map, retried when another editor
    /// swapped it first.
    fn edit_speakers<T>(
        &self,
        mut change: impl FnMut(&mut SpeakerMap) -> Result<T, EditorialError>,
    ) -> Result<T, EditorialError> {
        for _ in 0..ATTEMPTS {
            let before = self.store.speaker_map()?;
            let mut map = before.clone();
            let out = change(&mut map)?;
            if self.store.swap_speaker_map(&before, &map)? {
                self.store.flush()?;
                return Ok(out);
            }
        }
        Err(EditorialError::Invalid { message: "the speakers kept changing meanwhile: try again".to_owned() })
    }

    /// Quote records (issue 16.3), most repeated first, then newest: every
    /// record, or those of one speaker (an id or name, with everyone merged
    /// into them).
    pub fn quote_records(&self, speaker: Option<&str>, limit: usize) -> Result<Vec<QuoteRecord>, EditorialError> {
        let mut summaries = match speaker {
            Some(speaker) => {
                let map = self.store.speaker_map()?;
                let Some(id) = resolved(&map, speaker).ok() else { return Ok(Vec::new()) };
                self.store.quote_summaries(Some(&map.group(&id)))?
            }
            None => self.store.quote_summaries(None)?,
        };
        // Sorted by summary, so only the records shown have their occurrences read.
        summaries
            .sort_by(|a, b| b.count.cmp(&a.count).then(b.last.published.cmp(&a.last.published)).then(a.id.cmp(&b.id)));
        summaries.truncate(limit);
        Ok(self.store.with_occurrences(summaries)?)
    }

    /// The records of an item's quotes: where each was first reported.
    pub fn quote_records_of(&self, item: &ItemId) -> Result<Vec<QuoteRecord>, EditorialError> {
        Ok(self.store.quote_records_of(item)?)
    }
}

/// A speaker id, or a name as written, as the speaker it stands for now.
fn resolved(map: &SpeakerMap, id_or_name: &str) -> Result<String, EditorialError> {
    map.resolve(&id_or_name.replace('-', " "))
        .ok_or_else(|| EditorialError::Invalid { message: format!("{id_or_name:?} names no speaker") })
}

fn invalid(error: &crate::speakers::SpeakerEditError) -> EditorialError {
    EditorialError::Invalid { message: error.to_string() }
}
