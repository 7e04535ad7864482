//! Feed and page parsing: bytes in, normalized items out. Pure.
//!
//! [`parse_feed`] reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.x
//! through feed-rs (with charset, repair and date recovery around it);
//! [`parse_page`] reads a plain web page with the source's CSS selectors. Both
//! return a [`ParsedFeed`], the `gleaner parse --json` contract. [`normalize`]
//! turns it into the store's [`crate::model::NewItem`]s.
//!
//! Nothing here does I/O or reads the clock: the fetch time comes in through
//! [`ParseInput`]. No input may make it panic (property-tested).

mod charset;
mod date;
mod feed;
mod json_items;
mod normalize;
mod page;
mod xml_items;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

pub use charset::{CharsetSource, Sniffed, decode, sniff};
pub use date::parse_date;
pub use feed::{parse_feed, parse_feed_keeping};
pub use normalize::{Normalized, normalize};
pub use page::parse_page;

/// An item's link, absolute and canonical: `href` resolved against `base`.
/// A `file:` link is kept only from a body that was itself read from a file
/// (the bundled demo feeds): from an http(s) feed it names a file on the
/// reader's machine (or ours), and was published as such.
pub(crate) fn item_link(href: &str, base: Option<&Url>) -> Option<String> {
    let link = crate::model::canonicalize(href, base)?;
    let local_body = base.is_some_and(|b| b.scheme() == "file");
    (local_body || !link.starts_with("file:")).then_some(link)
}

/// Keeps the `max` newest items of `feed` (by `published`; feed order among
/// equals), in feed order, with a warning counting the dropped ones. Feeds
/// list newest first by convention but not by rule, hence the sort.
/// ([`parse_feed_keeping`] does this before mapping, for feeds.)
pub fn keep_newest(feed: &mut ParsedFeed, max: usize) {
    let total = feed.items.len();
    if total <= max {
        return;
    }
    let dates: Vec<DateTime<Utc>> = feed.items.iter().map(|item| item.published).collect();
    let keep = newest(&dates, max);
    let mut index = 0;
    feed.items.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    feed.warnings.push(dropped_warning(total - max, max));
}

/// Which of `dates` are among the `max` newest (feed order among equals).
fn newest(dates: &[DateTime<Utc>], max: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..dates.len()).collect();
    order.sort_by(|&a, &b| dates[b].cmp(&dates[a]).then(a.cmp(&b)));
    let mut keep = vec![false; dates.len()];
    for &index in order.iter().take(max) {
        keep[index] = true;
    }
    keep
}

fn dropped_warning(dropped: usize, max: usize) -> String {
    format!("{dropped} items over the limit of {max} per feed dropped (oldest first)")
}

/// What the parser knows about the body besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct ParseInput<'a> {
    /// Where the body came from (after redirects): the base for relative URLs.
    pub url: Option<&'a Url>,
    /// The HTTP `Content-Type` header, for its charset.
    pub content_type: Option<&'a str>,
    /// When the body was fetched: the date of items that carry none.
    pub fetched_at: DateTime<Utc>,
}

/// A parsed feed or page: the `gleaner parse --json` document (DESIGN.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFeed {
    /// `rss2.0`, `rss1.0`, `rss0.9x`, `atom1.0`, `atom0.3`, `json1.0`, `json1.1` or `html`.
    pub format: String,
    pub title: Option<String>,
    pub link: Option<String>,
    pub language: Option<String>,
    pub items: Vec<ParsedItem>,
    /// What was repaired or could not be read (bare `&`, unparseable dates, items without links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One entry of a feed or page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedItem {
    /// The entry's own id (`guid`, `atom:id`, JSON `id`); never one the parser made up.
    pub guid: Option<String>,
    /// Canonical absolute URL of the article.
    pub url: Option<String>,
    /// Plain text, entities decoded.
    pub title: String,
    pub authors: Vec<String>,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    /// Sanitized HTML.
    pub summary: String,
    /// Sanitized HTML.
    pub content: String,
    /// True when the entry had no usable date and `published` is the fetch time.
    pub published_is_fetch_time: bool,
}

/// Why a body could not be read as a feed. The message says what it looked like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("empty document")]
    Empty,
    /// Well-formed enough to recognize, but not a feed (an HTML page, other XML, text).
    #[error("not a feed: looks like {looks_like}")]
    NotAFeed { looks_like: String },
    /// XML that is not well-formed even after the repair pass.
    #[error("malformed XML at line {line}, column {column}: {message}")]
    MalformedXml { line: u64, column: u64, message: String },
    /// A JSON document that is not valid JSON or not a JSON Feed.
    #[error("malformed JSON feed at line {line}, column {column}: {message}")]
    MalformedJson { line: usize, column: usize, message: String },
    /// A feed in a form feed-rs cannot read (an unknown JSON Feed version, a missing element).
    #[error("unsupported feed: {message}")]
    Unsupported { message: String },
}
