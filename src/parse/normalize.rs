//! Parsed entries → the store's [`NewItem`]s for one source.
//!
//! Fills in what the source knows (id, language), applies the operator's
//! include/exclude patterns, and drops repeats of one entry within a single
//! feed (same identity), keeping the first. Pure; must not consult the store:
//! deduplication across fetches is the store's upsert.

use chrono::{DateTime, Utc};

use super::ParsedFeed;
use crate::model::{NewItem, Source};
use crate::sanitize::html_to_text;

/// What survived normalization, and what the filters dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub items: Vec<NewItem>,
    /// Titles of entries the source's include/exclude patterns dropped.
    pub excluded: Vec<String>,
}

/// Normalizes every entry of `feed` for `source`.
pub fn normalize(feed: &ParsedFeed, source: &Source, fetched_at: DateTime<Utc>) -> Normalized {
    let language = feed.language.clone().or_else(|| source.language.clone());
    let mut items: Vec<NewItem> = Vec::with_capacity(feed.items.len());
    let mut seen = std::collections::HashSet::with_capacity(feed.items.len());
    let mut excluded = Vec::new();
    // The summary's text is only needed for the patterns: without any, skip
    // the HTML parse it costs.
    let has_patterns = !source.filter.include.is_empty() || !source.filter.exclude.is_empty();
    for parsed in &feed.items {
        let summary_text = if has_patterns { html_to_text(&parsed.summary) } else { String::new() };
        let url = parsed.url.as_deref().unwrap_or("");
        if has_patterns && !source.filter.accepts(&[&parsed.title, url, &summary_text]) {
            excluded.push(parsed.title.clone());
            continue;
        }
        let mut item = NewItem {
            source_id: source.id.clone(),
            guid: parsed.guid.clone(),
            url: parsed.url.clone(),
            title: parsed.title.clone(),
            authors: parsed.authors.clone(),
            published: parsed.published,
            published_is_fetch_time: parsed.published_is_fetch_time,
            updated: parsed.updated,
            summary: parsed.summary.clone(),
            content: parsed.content.clone(),
            language: language.clone(),
            fetched_at,
        };
        // An entry with no guid, link or title would share the empty identity
        // with every other such entry; its text is the only stable thing it has.
        if item.guid.is_none() && item.url.is_none() && item.title.trim().is_empty() {
            if item.summary.is_empty() && item.content.is_empty() {
                continue;
            }
            item.guid = Some(content_identity(&item.summary, &item.content));
        }
        if seen.insert(item.identity_key().to_owned()) {
            items.push(item);
        }
    }
    Normalized { items, excluded }
}

/// `content:` + 32 hex digits of BLAKE3 over summary and content.
fn content_identity(summary: &str, content: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(summary.as_bytes());
    hasher.update(&[0]);
    hasher.update(content.as_bytes());
    format!("content:{}", &hasher.finalize().to_hex()[..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Schedule, SourceKind, TextFilter};
    use crate::parse::ParsedItem;
    use chrono::TimeZone;
    use regex::RegexBuilder;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single().expect("valid")
    }

    fn source(include: &[&str], exclude: &[&str]) -> Source {
        let re = |p: &&str| RegexBuilder::new(p).case_insensitive(true).build().expect("valid");
        Source {
            id: "src".into(),
            name: "Src".into(),
            url: url::Url::parse("https://e.org/feed").expect("valid"),
            kind: SourceKind::Feed,
            section: None,
            language: Some("fa".into()),
            schedule: Schedule::parse("*/30 * * * *").expect("valid cron"),
            follow: false,
            selectors: None,
            filter: TextFilter { include: include.iter().map(re).collect(), exclude: exclude.iter().map(re).collect() },
            enabled: true,
            public_url: None,
            rules: crate::model::ExtractRules::default(),
            fetch: crate::model::FetchOverrides::default(),
        }
    }

    fn item(guid: Option<&str>, url: Option<&str>, title: &str, summary: &str) -> ParsedItem {
        ParsedItem {
            guid: guid.map(Into::into),
            url: url.map(Into::into),
            title: title.into(),
            authors: vec![],
            published: now(),
            updated: None,
            summary: summary.into(),
            content: String::new(),
            published_is_fetch_time: false,
        }
    }

    fn feed(items: Vec<ParsedItem>, language: Option<&str>) -> ParsedFeed {
        ParsedFeed {
            format: "rss2.0".into(),
            title: None,
            link: None,
            language: language.map(Into::into),
            items,
            warnings: vec![],
        }
    }

    #[test]
    fn filters_apply_to_title_url_and_summary_text() {
        let f = feed(
            vec![
                item(Some("1"), None, "Iran talks", "<p>diplomacy</p>"),
                item(Some("2"), None, "Sports", "<p>football</p>"),
                item(Some("3"), Some("https://e.org/iran/x"), "Other", ""),
                item(Some("4"), None, "Iran sponsored", "<b>advert</b>"),
            ],
            None,
        );
        let n = normalize(&f, &source(&["iran"], &["ADVERT"]), now());
        let titles: Vec<_> = n.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["Iran talks", "Other"]);
        assert_eq!(n.excluded, ["Sports", "Iran sponsored"]);
    }

    #[test]
    fn duplicates_within_a_feed_are_dropped_and_language_falls_back() {
        let f = feed(vec![item(Some("g"), None, "a", ""), item(Some("g"), None, "a again", "")], None);
        let n = normalize(&f, &source(&[], &[]), now());
        assert_eq!(n.items.len(), 1);
        assert_eq!(n.items[0].language.as_deref(), Some("fa"));
        let n = normalize(&feed(vec![item(Some("g"), None, "a", "")], Some("en")), &source(&[], &[]), now());
        assert_eq!(n.items[0].language.as_deref(), Some("en"));
        assert_eq!(n.items[0].source_id, "src");
    }

    #[test]
    fn entries_with_nothing_but_text_get_a_stable_content_identity() {
        let f = feed(vec![item(None, None, "", "<p>one</p>"), item(None, None, "", "<p>two</p>")], None);
        let a = normalize(&f, &source(&[], &[]), now());
        let b = normalize(&f, &source(&[], &[]), now());
        assert_eq!(a.items.len(), 2);
        assert_eq!(a.items[0].id(), b.items[0].id());
        assert_ne!(a.items[0].id(), a.items[1].id());
    }
}
