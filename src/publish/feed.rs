//! One feed in every published format, whatever it lists: what a feed says
//! about itself ([`FeedMeta`]) and its entries ([`FeedEntry`]). The digest's
//! feeds (one entry per issue) and each speaker's feeds (one entry per
//! quote, `speaker_feed.rs`) are both written through here, so the formats'
//! rules live in one place: RSS 2.0 by the `rss` crate ([`rss`]), JSON Feed
//! 1.1 by `serde_json` ([`json`]), Atom 1.0 by the `atom.xml.j2` template
//! (`Renderer::atom_feed`, so operators can override it).
//!
//! Pure: no I/O, no clock; every date comes from the entries.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::sanitize::escape_text;

/// What a feed says about itself. Serialized as the Atom template's `site`
/// (and the archive pages' `site`), so the field names are a template
/// contract: operators' overrides use them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedMeta {
    pub title: String,
    /// Empty: none given (RSS then repeats the title, which it requires).
    pub description: String,
    /// BCP 47 tag.
    pub language: Option<String>,
    /// The HTML page the feed stands for (`link`, `alternate`, `home_page_url`).
    pub index_url: String,
    /// The feed's own URL in each format (`self` links, `feed_url`).
    pub rss_url: String,
    pub atom_url: String,
    pub json_url: String,
    /// Atom `feed/id`: stable, an IRI.
    pub feed_id: String,
    /// `WebSub` hub advertised in every format.
    pub hub: Option<String>,
    /// The newest change to anything listed (Atom `updated`, RSS
    /// `lastBuildDate`); the epoch for an empty feed, never the clock.
    /// RFC 3339 in templates.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub updated: DateTime<Utc>,
}

/// One entry of a feed, in whichever format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// RSS `guid` (not a permalink), Atom `id`, JSON Feed `id`: must never
    /// change for the same entry, or readers show it again.
    pub id: String,
    /// Plain text.
    pub title: String,
    pub url: String,
    /// Plain text: RSS `description` (escaped, since readers render it as
    /// HTML), Atom `summary type="text"`, JSON Feed `summary`.
    pub summary: String,
    /// The entry as HTML (RSS `content:encoded`, Atom `content type="html"`,
    /// JSON Feed `content_html`).
    pub html: String,
    pub published: DateTime<Utc>,
    /// When it changed after it went out (a correction); `None` if never.
    pub modified: Option<DateTime<Utc>>,
}

/// A [`FeedEntry`] as the Atom template sees it (dates as RFC 3339).
#[derive(Serialize)]
pub(super) struct EntryContext<'a> {
    id: &'a str,
    title: &'a str,
    url: &'a str,
    published: String,
    /// The modification date, else `published` (Atom requires `updated`).
    updated: String,
    summary: &'a str,
    /// Escaped by the XML template (Atom `type="html"`).
    html: &'a str,
}

impl<'a> From<&'a FeedEntry> for EntryContext<'a> {
    fn from(entry: &'a FeedEntry) -> Self {
        Self {
            id: &entry.id,
            title: &entry.title,
            url: &entry.url,
            published: rfc3339(entry.published),
            updated: rfc3339(entry.modified.unwrap_or(entry.published)),
            summary: &entry.summary,
            html: &entry.html,
        }
    }
}

pub(super) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn serialize_rfc3339<S: serde::Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*time))
}

/// The newest date among `dates`, as a feed's `updated`; the epoch when
/// there is none (a feed with no entries yet), never the clock, so output
/// stays reproducible.
pub fn newest(dates: impl IntoIterator<Item = DateTime<Utc>>) -> DateTime<Utc> {
    dates.into_iter().max().unwrap_or(DateTime::UNIX_EPOCH)
}

/// RSS 2.0.
///
/// RSS 2.0 requires channel `title`, `link` and `description`; `atom:link
/// rel="self"` is the RSS Advisory Board's recommendation; `pubDate` and
/// `lastBuildDate` are RFC 822 dates (we write RFC 2822, its successor).
pub fn rss(meta: &FeedMeta, entries: &[FeedEntry]) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    let mut links = vec![Link {
        href: meta.rss_url.clone(),
        rel: "self".to_owned(),
        mime_type: Some("application/rss+xml".to_owned()),
        ..Link::default()
    }];
    if let Some(hub) = &meta.hub {
        links.push(Link { href: hub.clone(), rel: "hub".to_owned(), ..Link::default() });
    }
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|entry| rss::Item {
            title: Some(entry.title.clone()),
            link: Some(entry.url.clone()),
            // Readers render `description` as HTML whatever its CDATA wrapping,
            // so the plain-text synopsis is escaped: raw, a headline's markup
            // ran in subscribers' readers.
            description: Some(escape_text(&entry.summary)),
            guid: Some(rss::Guid { value: entry.id.clone(), permalink: false }),
            pub_date: Some(entry.published.to_rfc2822()),
            content: Some(entry.html.clone()),
            ..rss::Item::default()
        })
        .collect();
    let description = if meta.description.is_empty() { meta.title.clone() } else { meta.description.clone() };
    let channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.index_url.clone(),
        description,
        language: meta.language.clone(),
        last_build_date: Some(meta.updated.to_rfc2822()),
        generator: Some("Gleaner".to_owned()),
        atom_ext: Some(AtomExtension { links }),
        items,
        ..rss::Channel::default()
    };
    // `Channel`'s Display writes the XML declaration itself.
    let mut xml = xml_chars(&channel.to_string()).into_owned();
    xml.push('\n');
    xml
}

/// JSON Feed 1.1.
pub fn json(meta: &FeedMeta, entries: &[FeedEntry]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            let mut item = serde_json::json!({
                "id": entry.id,
                "url": entry.url,
                "title": entry.title,
                "content_html": entry.html,
                "summary": entry.summary,
                "date_published": rfc3339(entry.published),
            });
            if let (Some(modified), Some(object)) = (entry.modified, item.as_object_mut()) {
                object.insert("date_modified".to_owned(), rfc3339(modified).into());
            }
            item
        })
        .collect();
    let mut feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.index_url,
        "feed_url": meta.json_url,
        "items": items,
    });
    if let Some(object) = feed.as_object_mut() {
        if !meta.description.is_empty() {
            object.insert("description".to_owned(), meta.description.clone().into());
        }
        if let Some(language) = &meta.language {
            object.insert("language".to_owned(), language.clone().into());
        }
        if let Some(hub) = &meta.hub {
            object.insert("hubs".to_owned(), serde_json::json!([{ "type": "WebSub", "url": hub }]));
        }
    }
    let mut text = serde_json::to_string_pretty(&feed).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Text as XML 1.0 allows it (§2.2, `Char`): C0 controls other than tab,
/// line feed and carriage return, and the noncharacters U+FFFE and U+FFFF,
/// dropped. No escape can carry them (`&#xFFFF;` is not well-formed either),
/// and one of them in a title made `digest.xml` and `digest.atom` unreadable
/// in every XML reader for as long as the issue stayed in the feed. Every
/// document the `Renderer`'s templates and [`rss`] produce goes through here whole, so no
/// string can reach the output around it.
pub fn xml_chars(text: &str) -> Cow<'_, str> {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
    }
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}
