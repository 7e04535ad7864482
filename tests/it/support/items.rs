//! Items and quotes for the editorial tests (review use-case and UI), all
//! relative to one base time.

use chrono::{DateTime, TimeZone, Utc};
use gleaner::model::{NewItem, Quote, QuoteKind};

/// `secs` after the base time.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).single().expect("valid test time")
}

pub fn entry(source: &str, slug: &str, title: &str, summary: &str, secs: i64, language: &str) -> NewItem {
    NewItem {
        source_id: source.to_owned(),
        guid: Some(format!("urn:{source}:{slug}")),
        url: Some(format!("https://example.org/{slug}")),
        title: title.to_owned(),
        authors: Vec::new(),
        published: at(secs),
        published_is_fetch_time: false,
        updated: None,
        summary: summary.to_owned(),
        content: String::new(),
        language: Some(language.to_owned()),
        fetched_at: at(100_000),
    }
}

pub fn quote(id: &str, text: &str, speaker: &str) -> Quote {
    Quote {
        id: id.to_owned(),
        text: text.to_owned(),
        speaker: Some(speaker.to_owned()),
        speaker_mention: None,
        cue: Some("said".to_owned()),
        outlet: Some("Ledger".to_owned()),
        via: None,
        kind: QuoteKind::Inline,
        start: 0,
        end: text.chars().count(),
        context: text.to_owned(),
        confidence: 0.9,
    }
}
