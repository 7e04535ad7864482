//! Each opted-in speaker's published feeds (issue 16.2):
//! `speakers/{id}.xml`, `.atom` and `.json`, one entry per quote of that
//! person in a published issue, newest first, so subscribers can follow a
//! person rather than the whole digest.
//!
//! A quote counts when an issue showed it credited to the speaker, as the
//! issue showed it (the editor's correction of the speaker wins over
//! extraction), with editors' merges followed: a quote credited to "Mayor
//! Ann" belongs to `ann-mayor`'s feed once an editor merged the two.
//! Entry ids are the issue's id plus the quote's stable id, so republishing
//! (a later issue, a correction) never shows a reader the same entry twice.
//!
//! Pure: the caller hands in each issue with its composed sections, newest
//! first ([`SpeakerFeeds::add_issue`]); the formats are written by `feed`
//! and the Atom template. Must not read the store or files. Main type:
//! [`SpeakerFeeds`].

use std::collections::HashSet;

use super::compose::{QuoteView, SectionView};
use super::feed::{self, FeedEntry, FeedMeta};
use super::render::{digest_meta, issue_file, issue_id, root};
use crate::config::PublishSettings;
use crate::model::Issue;
use crate::sanitize::escape_text;
use crate::speakers::SpeakerMap;

/// Most entries one speaker feed carries (the newest): a reader polls the
/// whole file, and a year of weekly quotes fits.
pub const MAX_ENTRIES: usize = 100;
/// Characters of the quote in an entry's title; the whole quote is in its
/// summary and content.
const TITLE_CHARS: usize = 80;

/// The three files of speaker `id`'s feeds, relative to the output folder:
/// RSS, Atom, JSON Feed.
pub fn files(id: &str) -> [String; 3] {
    [format!("speakers/{id}.xml"), format!("speakers/{id}.atom"), format!("speakers/{id}.json")]
}

/// The same three as paths in URLs (the id percent-encoded).
pub fn url_paths(id: &str) -> [String; 3] {
    files(&segment(id))
}

/// One speaker's feed, ready to write in every format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerFeed {
    /// The id as configured: the file name, kept even after a merge moves
    /// the person under another id, so subscribers' URLs keep working.
    pub id: String,
    pub meta: FeedMeta,
    /// Newest first.
    pub entries: Vec<FeedEntry>,
}

/// One configured speaker's feed as it fills.
#[derive(Debug)]
struct Filling {
    id: String,
    /// What the id stands for now, through editors' merges.
    speaker: String,
    /// The name as the newest quote was credited, for the title.
    name: Option<String>,
    entries: Vec<FeedEntry>,
    /// Entry ids already taken (the same quote twice in one issue is one entry).
    seen: HashSet<String>,
    updated: Vec<chrono::DateTime<chrono::Utc>>,
}

/// Gathers the opted-in speakers' quotes issue by issue.
#[derive(Debug)]
pub struct SpeakerFeeds<'a> {
    settings: &'a PublishSettings,
    map: &'a SpeakerMap,
    feeds: Vec<Filling>,
}

impl<'a> SpeakerFeeds<'a> {
    /// Empty feeds for every id in `publish.speaker_feeds`.
    pub fn new(settings: &'a PublishSettings, map: &'a SpeakerMap) -> Self {
        let feeds = settings
            .speaker_feeds
            .iter()
            .map(|id| Filling {
                id: id.clone(),
                speaker: map.resolve_id(id),
                name: None,
                entries: Vec::new(),
                seen: HashSet::new(),
                updated: Vec::new(),
            })
            .collect();
        Self { settings, map, feeds }
    }

    /// Whether every feed holds [`MAX_ENTRIES`]: older issues can add nothing.
    pub fn is_full(&self) -> bool {
        self.feeds.iter().all(|f| f.entries.len() >= MAX_ENTRIES)
    }

    /// Adds the quotes `issue` showed (its `sections` as composed), in
    /// issue order. Call with the newest issue first.
    pub fn add_issue(&mut self, issue: &Issue, sections: &[SectionView]) {
        let quotes = sections.iter().flat_map(|s| s.entries.iter()).flat_map(|e| e.quotes.iter());
        for quote in quotes {
            let Some(speaker) = quote.speaker.as_deref().and_then(|name| self.map.resolve(name)) else { continue };
            for filling in self.feeds.iter_mut().filter(|f| f.speaker == speaker) {
                if filling.entries.len() >= MAX_ENTRIES {
                    continue;
                }
                let entry = quote_entry(self.settings, issue, quote);
                if filling.seen.insert(entry.id.clone()) {
                    if filling.name.is_none() {
                        filling.name.clone_from(&quote.speaker);
                    }
                    filling.updated.push(issue.updated());
                    filling.entries.push(entry);
                }
            }
        }
    }

    /// The feeds, in the configured order; a speaker never quoted in a
    /// published issue gets an empty feed (a valid document to subscribe to).
    pub fn finish(self) -> Vec<SpeakerFeed> {
        let settings = self.settings;
        self.feeds
            .into_iter()
            .map(|f| {
                let name = f.name.unwrap_or_else(|| f.id.clone());
                SpeakerFeed {
                    meta: meta(settings, &f.id, &name, feed::newest(f.updated)),
                    id: f.id,
                    entries: f.entries,
                }
            })
            .collect()
    }
}

/// An id as one URL path segment: speaker ids are folded words and `-`,
/// which may be any script's letters.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// What speaker `id`'s feeds say about themselves.
fn meta(settings: &PublishSettings, id: &str, name: &str, updated: chrono::DateTime<chrono::Utc>) -> FeedMeta {
    let root = root(settings, "");
    let [rss, atom, json] = url_paths(id);
    // The digest's own (language, hub, home page), but its own name and files.
    FeedMeta {
        title: format!("{}: {name}", settings.title),
        description: format!("Quotes by {name} in {}", settings.title),
        rss_url: format!("{root}{rss}"),
        feed_id: settings
            .base_url
            .as_ref()
            .map_or_else(|| format!("urn:gleaner:speaker:{}", segment(id)), |b| format!("{b}{atom}")),
        atom_url: format!("{root}{atom}"),
        json_url: format!("{root}{json}"),
        updated,
        ..digest_meta(settings, "", &[])
    }
}

/// One quote as a feed entry: the words, who said them in which outlet,
/// links to the article and to the issue that carried them.
fn quote_entry(settings: &PublishSettings, issue: &Issue, quote: &QuoteView) -> FeedEntry {
    let issue_url = format!("{}{}", root(settings, ""), issue_file(issue.number));
    let words = format!("{}{}{}", quote.open, quote.text, quote.close);
    let lang = quote.lang.as_deref().map(|l| format!(" lang=\"{}\"", escape_text(l))).unwrap_or_default();
    let article = quote
        .article
        .as_deref()
        .map(|a| format!(" · <a href=\"{}\">the article</a>", escape_text(a)))
        .unwrap_or_default();
    // `attribution_html` is markup `compose` built from escaped names.
    let html = format!(
        "<blockquote{lang} dir=\"{}\"><p>{}</p></blockquote>\n<p>{}{article} · <a href=\"{}\">{}</a></p>",
        quote.dir,
        escape_text(&words),
        quote.attribution_html,
        escape_text(&issue_url),
        escape_text(&issue.title)
    );
    let summary = if quote.attribution.is_empty() {
        format!("{words} ({})", issue.title)
    } else {
        format!("{}: {words} ({})", quote.attribution, issue.title)
    };
    let speaker = quote.speaker.as_deref().unwrap_or_default();
    FeedEntry {
        // The issue's id plus the quote's: stable across republishing.
        id: format!("{}#quote-{}", issue_id(settings, issue.number), quote.id),
        title: format!("{speaker}: {}{}{}", quote.open, shortened(&quote.text), quote.close),
        url: quote.article.clone().unwrap_or(issue_url),
        summary,
        html,
        published: issue.created_at,
        modified: (!issue.corrections.is_empty()).then(|| issue.updated()),
    }
}

/// The first [`TITLE_CHARS`] characters, cut at a word and marked with `…`.
fn shortened(text: &str) -> String {
    let Some((cut, _)) = text.char_indices().nth(TITLE_CHARS) else { return text.to_owned() };
    let head = &text[..cut];
    let head = head.rfind(char::is_whitespace).map_or(head, |space| &head[..space]);
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::model::{IssueState, ItemId, Period};
    use crate::publish::compose::Entry;
    use crate::publish::render::Renderer;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + day * 86_400, 0).expect("a valid time")
    }

    fn settings(ids: &[&str]) -> PublishSettings {
        let mut settings = PublishSettings::defaults(std::path::Path::new("/"));
        settings.base_url = url::Url::parse("https://example.org/digest/").ok();
        "The Digest".clone_into(&mut settings.title);
        settings.speaker_feeds = ids.iter().map(|s| (*s).to_owned()).collect();
        settings
    }

    fn quote(id: &str, text: &str, speaker: Option<&str>) -> QuoteView {
        let outlet = Some("Daily Ledger");
        QuoteView {
            text: text.to_owned(),
            speaker: speaker.map(str::to_owned),
            outlet: outlet.map(str::to_owned),
            via: None,
            attribution: crate::publish::compose::attribution(speaker, outlet, None),
            attribution_html: format!("<bdi>{}</bdi>, in <bdi>Daily Ledger</bdi>", speaker.unwrap_or_default()),
            lang: Some("en".to_owned()),
            dir: "auto",
            open: "“",
            close: "”",
            checked: None,
            id: id.to_owned(),
            article: Some(format!("https://news.example/{id}")),
        }
    }

    fn issue(number: u32, day: i64, quotes: Vec<QuoteView>) -> (Issue, Vec<SectionView>) {
        let entry = Entry {
            id: ItemId::derive("s", &number.to_string()),
            headline: format!("Headline {number}"),
            commentary_html: String::new(),
            quotes,
            url: None,
            outlet: None,
            also: Vec::new(),
            lang: None,
            dir: "auto",
        };
        let issue = Issue {
            number,
            title: format!("Issue {number}"),
            period: Period { start: at(day), end: at(day) },
            sections: Vec::new(),
            html: String::new(),
            summary: String::new(),
            created_at: at(day),
            published_at: Some(at(day)),
            state: IssueState::Published,
            published_by: None,
            corrections: Vec::new(),
        };
        (issue, vec![SectionView { name: String::new(), entries: vec![entry] }])
    }

    fn gather(settings: &PublishSettings, map: &SpeakerMap, issues: &[(Issue, Vec<SectionView>)]) -> Vec<SpeakerFeed> {
        let mut feeds = SpeakerFeeds::new(settings, map);
        for (issue, sections) in issues {
            feeds.add_issue(issue, sections);
        }
        feeds.finish()
    }

    #[test]
    fn only_the_opted_in_speakers_quotes_newest_issue_first_with_merges_followed() {
        let settings = settings(&["ann-mayor"]);
        let mut map = SpeakerMap::default();
        map.merge("mayor-ann", "ann-mayor", "ed", at(0)).expect("merge");
        let issues = [
            issue(
                2,
                7,
                vec![
                    quote("q3", "The bridge opens in May.", Some("Mayor Ann")),
                    quote("q4", "No.", Some("Bob Banker")),
                ],
            ),
            issue(
                1,
                0,
                vec![quote("q1", "We will build it.", Some("Ann Mayor")), quote("q2", "Unsigned words.", None)],
            ),
        ];
        let feeds = gather(&settings, &map, &issues);
        assert_eq!(feeds.len(), 1);
        let feed = &feeds[0];
        assert_eq!(feed.id, "ann-mayor");
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            ["https://example.org/digest/issues/2.html#quote-q3", "https://example.org/digest/issues/1.html#quote-q1"]
        );
        assert_eq!(feed.meta.title, "The Digest: Mayor Ann", "named as the newest quote credits them");
        assert_eq!(feed.meta.rss_url, "https://example.org/digest/speakers/ann-mayor.xml");
        assert_eq!(feed.meta.updated, at(7));
        let newest = &feed.entries[0];
        assert_eq!(newest.url, "https://news.example/q3");
        assert_eq!(newest.title, "Mayor Ann: “The bridge opens in May.”");
        assert_eq!(newest.summary, "Mayor Ann, in Daily Ledger: “The bridge opens in May.” (Issue 2)");
        assert!(
            newest.html.contains("<a href=\"https://example.org/digest/issues/2.html\">Issue 2</a>"),
            "{}",
            newest.html
        );
        assert!(newest.html.contains("<a href=\"https://news.example/q3\">the article</a>"));
    }

    #[test]
    fn a_speaker_never_quoted_gets_an_empty_valid_feed() {
        let settings = settings(&["nobody-yet"]);
        let feeds = gather(&settings, &SpeakerMap::default(), &[issue(1, 0, vec![quote("q1", "Hi.", Some("Ann"))])]);
        assert!(feeds[0].entries.is_empty());
        assert_eq!(feeds[0].meta.title, "The Digest: nobody-yet");
        assert_eq!(feeds[0].meta.updated, DateTime::UNIX_EPOCH);
        let parsed = feed_rs::parser::parse(feed::json(&feeds[0].meta, &feeds[0].entries).as_bytes()).expect("JSON");
        assert!(parsed.entries.is_empty());
    }

    #[test]
    fn the_same_quote_twice_in_an_issue_is_one_entry_and_a_feed_stops_at_its_cap() {
        let settings = settings(&["ann-mayor"]);
        let words = quote("q1", "Once.", Some("Ann Mayor"));
        let feeds = gather(&settings, &SpeakerMap::default(), &[issue(1, 0, vec![words.clone(), words])]);
        assert_eq!(feeds[0].entries.len(), 1);

        let many: Vec<QuoteView> =
            (0..=MAX_ENTRIES).map(|n| quote(&format!("q{n}"), "Words.", Some("Ann Mayor"))).collect();
        let map = SpeakerMap::default();
        let mut gathering = SpeakerFeeds::new(&settings, &map);
        let (issue, sections) = issue(1, 0, many);
        gathering.add_issue(&issue, &sections);
        assert!(gathering.is_full());
        assert_eq!(gathering.finish()[0].entries.len(), MAX_ENTRIES);
    }

    #[test]
    fn long_quotes_are_shortened_at_a_word_in_titles_only() {
        let text = "word ".repeat(40);
        let title = shortened(text.trim());
        assert!(title.ends_with("word…") && title.chars().count() <= TITLE_CHARS + 1, "{title}");
        assert_eq!(shortened("Short."), "Short.");
    }

    /// The three formats parse back with the entries' ids, links, dates and
    /// words (RSS with the `rss` crate, Atom and JSON Feed with feed-rs).
    #[test]
    fn every_format_parses_back_with_each_entry() {
        let settings = settings(&["ann-mayor"]);
        let issues = [
            issue(2, 7, vec![quote("q2", "Tom & Jerry <b>said</b> it.", Some("Ann Mayor"))]),
            issue(1, 0, vec![quote("q1", "We will build it.", Some("Ann Mayor"))]),
        ];
        let feed = gather(&settings, &SpeakerMap::default(), &issues).remove(0);
        let expected_ids =
            ["https://example.org/digest/issues/2.html#quote-q2", "https://example.org/digest/issues/1.html#quote-q1"];

        let rss_text = feed::rss(&feed.meta, &feed.entries);
        let channel = rss::Channel::read_from(rss_text.as_bytes()).expect("RSS parses");
        assert_eq!(channel.title, "The Digest: Ann Mayor");
        assert_eq!(channel.link, "https://example.org/digest/index.html");
        let guids: Vec<&str> = channel.items.iter().filter_map(|i| i.guid.as_ref()).map(rss::Guid::value).collect();
        assert_eq!(guids, expected_ids);
        assert_eq!(channel.items[0].link.as_deref(), Some("https://news.example/q2"));
        assert_eq!(channel.items[0].pub_date.as_deref(), Some(at(7).to_rfc2822().as_str()));
        assert!(channel.items[0].content.as_deref().is_some_and(|c| c.contains("Tom &amp; Jerry &lt;b&gt;said")));

        let atom_text = Renderer::builtin().atom_feed(&feed.meta, &feed.entries).expect("renders");
        let atom = feed_rs::parser::parse(atom_text.as_bytes()).expect("Atom parses");
        assert_eq!(atom.id, "https://example.org/digest/speakers/ann-mayor.atom");
        let ids: Vec<&str> = atom.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, expected_ids);
        assert_eq!(atom.entries[1].published, Some(at(0)));
        assert_eq!(atom.entries[1].links[0].href, "https://news.example/q1");
        assert!(atom.links.iter().any(|l| l.rel.as_deref() == Some("self") && l.href.ends_with("/ann-mayor.atom")));

        let json = feed_rs::parser::parse(feed::json(&feed.meta, &feed.entries).as_bytes()).expect("JSON parses");
        let ids: Vec<&str> = json.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, expected_ids);
        let summary = json.entries[0].summary.as_ref().map(|s| s.content.as_str());
        assert_eq!(summary, Some("Ann Mayor, in Daily Ledger: “Tom & Jerry <b>said</b> it.” (Issue 2)"));
    }

    #[test]
    fn without_a_base_url_ids_are_urns_and_links_relative() {
        let mut settings = settings(&["ann-mayor"]);
        settings.base_url = None;
        let (issue, sections) = issue(3, 0, vec![quote("q1", "Words.", Some("Ann Mayor"))]);
        let map = SpeakerMap::default();
        let mut feeds = SpeakerFeeds::new(&settings, &map);
        feeds.add_issue(&issue, &sections);
        let feed = feeds.finish().remove(0);
        assert_eq!(feed.entries[0].id, "urn:gleaner:issue:3#quote-q1");
        assert_eq!(feed.meta.feed_id, "urn:gleaner:speaker:ann-mayor");
        assert_eq!(feed.meta.json_url, "speakers/ann-mayor.json");
    }
}
