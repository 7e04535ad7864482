//! What the index holds of an item: the searchable text by field, the
//! filter values, and a stamp that says which version of the item it was
//! made from.
//!
//! Pure: the caller reads the item and its quotes; this only arranges them.

use chrono::{DateTime, Utc};

use crate::model::{Item, ItemId, Quote};

/// The section value of an item whose editor chose none: its source's
/// section applies, which the query resolves at search time (a reloaded
/// config must not need a reindex).
pub const NO_SECTION: &str = "\u{1}none";

/// One item as indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub id: ItemId,
    pub stamp: u64,
    /// The feed's title and the editor's headline.
    pub title: Vec<String>,
    /// The article's main text, else the feed's summary as text.
    pub body: String,
    pub quotes: Vec<String>,
    /// Speakers as the editor corrected them, else as extracted.
    pub speakers: Vec<String>,
    /// The article's outlet and every quote's outlet and relaying outlet.
    pub outlets: Vec<String>,
    /// The editor's commentary.
    pub commentary: String,
    pub sources: Vec<String>,
    /// Primary subtag, lower-cased.
    pub language: Option<String>,
    pub state: &'static str,
    /// The editor's section, lower-cased, else [`NO_SECTION`].
    pub section: String,
    /// The editors' tags (cleaned, so matched exactly).
    pub tags: Vec<String>,
    pub published: DateTime<Utc>,
}

/// The text an item is searched and snippeted by: the extracted article,
/// else its feed summary (as text).
pub fn body_text(item: &Item) -> String {
    if item.text.trim().is_empty() { crate::sanitize::html_to_text(&item.summary) } else { item.text.clone() }
}

/// Which version of `item` a document was made from: a hash of the whole
/// record. Every write that changes something indexed rewrites the record
/// (quotes come with a new `extracted_at`, editors' changes with a new
/// revision), so an equal stamp means an index entry that is current.
pub fn stamp(item: &Item) -> u64 {
    let bytes = serde_json::to_vec(item).unwrap_or_default();
    let hash = blake3::hash(&bytes);
    let mut first = [0_u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

impl SearchDoc {
    /// `quotes` as the item page shows them (stored plus editor-added).
    pub fn new(item: &Item, quotes: &[Quote]) -> Self {
        let overrides = &item.editor.quote_overrides;
        let mut speakers: Vec<String> = Vec::new();
        let mut outlets: Vec<String> = item.outlet.iter().cloned().collect();
        let push = |list: &mut Vec<String>, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.trim().is_empty())
                && !list.contains(&value)
            {
                list.push(value);
            }
        };
        for quote in quotes {
            let fix = overrides.get(&quote.id);
            push(&mut speakers, fix.and_then(|f| f.speaker.clone()).or_else(|| quote.speaker.clone()));
            push(&mut outlets, fix.and_then(|f| f.outlet.clone()).or_else(|| quote.outlet.clone()));
            push(&mut outlets, quote.via.clone());
        }
        let section = item.editor.section.as_deref().map(str::trim).filter(|s| !s.is_empty());
        Self {
            id: item.id.clone(),
            stamp: stamp(item),
            title: std::iter::once(item.title.clone()).chain(item.editor.headline.clone()).collect(),
            body: body_text(item),
            quotes: quotes.iter().map(|q| q.text.clone()).collect(),
            speakers,
            outlets,
            commentary: item.editor.commentary.clone().unwrap_or_default(),
            sources: item.sources.clone(),
            language: item
                .language
                .as_deref()
                .and_then(|l| l.split(['-', '_']).next())
                .map(|l| l.trim().to_ascii_lowercase())
                .filter(|l| !l.is_empty()),
            state: item.state.as_str(),
            section: section.map_or_else(|| NO_SECTION.to_owned(), str::to_lowercase),
            tags: item.editor.tags.clone(),
            published: item.published,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{NewItem, QuoteKind, QuoteOverride, ReviewState};

    fn item() -> Item {
        let new = NewItem {
            source_id: "wire".to_owned(),
            guid: Some("g".to_owned()),
            url: None,
            title: "Budget".to_owned(),
            authors: Vec::new(),
            published: Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).single().expect("valid"),
            published_is_fetch_time: false,
            updated: None,
            summary: "<p>Feed <b>summary</b></p>".to_owned(),
            content: String::new(),
            language: Some("fa-IR".to_owned()),
            fetched_at: Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).single().expect("valid"),
        };
        Item::first_sighting(new.id(), new.content_hash(), &new)
    }

    fn quote(id: &str, speaker: &str) -> Quote {
        Quote {
            id: id.to_owned(),
            text: "words".to_owned(),
            speaker: Some(speaker.to_owned()),
            speaker_mention: None,
            cue: None,
            outlet: Some("Wire".to_owned()),
            via: Some("Agency".to_owned()),
            kind: QuoteKind::Inline,
            start: 0,
            end: 5,
            context: String::new(),
            confidence: 1.0,
        }
    }

    #[test]
    fn editors_corrections_and_defaults_are_what_is_indexed() {
        let mut item = item();
        item.editor
            .quote_overrides
            .insert("q1".to_owned(), QuoteOverride { speaker: Some("Ann Mayor".to_owned()), outlet: None, text: None });
        let doc = SearchDoc::new(&item, &[quote("q1", "the mayor"), quote("q2", "Bob")]);
        assert_eq!(doc.speakers, ["Ann Mayor", "Bob"], "the editor's correction wins");
        assert_eq!(doc.outlets, ["Wire", "Agency"], "once each");
        assert_eq!(doc.body, "Feed summary", "the summary as text until extracted");
        assert_eq!(doc.language.as_deref(), Some("fa"));
        assert_eq!(doc.section, NO_SECTION);
        assert_eq!(doc.state, ReviewState::New.as_str());
    }

    #[test]
    fn the_stamp_changes_with_the_item() {
        let mut item = item();
        let before = stamp(&item);
        assert_eq!(before, stamp(&item));
        item.revision += 1;
        assert_ne!(before, stamp(&item));
    }
}
