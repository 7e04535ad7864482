//! An XML feed's items past the cap, dropped before feed-rs reads them
//! (issue 11.14): feed-rs builds every `<item>`/`<entry>` of a document, so
//! a 10 MiB RSS feed of 60,000 small items peaked at 129 MiB before the cap
//! dropped all but 1,000. [`keep_newest_items`] streams the document once
//! with quick-xml (the version feed-rs itself uses), finds each item's byte
//! span and the date feed-rs would give it, and hands back the document
//! without the surplus items: every other byte (declaration, DOCTYPE,
//! channel or feed header, whatever sits between items) is kept as it was.
//!
//! Which elements are items, and their dates, follow feed-rs 3.0 exactly:
//! - RSS 0.9x/2.0: the children `item` (RSS namespace, or none) of the first
//!   child `channel` of `<rss>`; `pubDate`/`dc:date` give `published`,
//!   `updated`/`atom:updated` give `updated`, the last of each winning (an
//!   empty or unreadable one clears it).
//! - RSS 1.0: the children `item` of `<rdf:RDF>` (outside `<channel>`);
//!   `dc:date` gives `published`.
//! - Atom: the children `entry` of `<feed>`; `published`/`pubDate` and
//!   `updated`, an empty one leaving the earlier value.
//!
//! A date's text is the text, CDATA and references right after its start
//! tag, comments skipped, as feed-rs reads it. Anything this pass does not
//! understand (not well-formed, an unknown root, a bare `&`) leaves the
//! document whole, and the caller parses it whole, so no item feed-rs would
//! have given is lost. The walk keeps a depth counter, not a call stack, so
//! nesting depth costs no stack. Pure: no I/O, no clock.

use chrono::{DateTime, Utc};
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::date;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const RSS: &str = "http://purl.org/rss/1.0/";
const DUBLIN_CORE: &str = "http://purl.org/dc/elements/1.1/";

/// The namespaces that decide what an element means to feed-rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Atom,
    Rss,
    DublinCore,
    Other,
}

impl Ns {
    /// The namespace an element is bound to; `None` for none or an
    /// undeclared prefix, which feed-rs reads as the format's own.
    fn bound(resolved: &ResolveResult<'_>) -> Option<Self> {
        match resolved {
            ResolveResult::Bound(ns) => Some(match ns.0 {
                ATOM => Self::Atom,
                RSS => Self::Rss,
                DUBLIN_CORE => Self::DublinCore,
                _ => Self::Other,
            }),
            ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
        }
    }
}

/// The feed formats, by their root element's local name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss2,
    Rss1,
    Atom,
}

/// Which date of an entry an element sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateField {
    Published,
    Updated,
}

impl Format {
    fn of_root(local: &str) -> Option<Self> {
        match local {
            "rss" => Some(Self::Rss2),
            "RDF" => Some(Self::Rss1),
            "feed" => Some(Self::Atom),
            _ => None,
        }
    }

    fn default_ns(self) -> Ns {
        if self == Self::Atom { Ns::Atom } else { Ns::Rss }
    }

    fn is_item(self, ns: Ns, local: &str) -> bool {
        match self {
            Self::Rss2 | Self::Rss1 => ns == Ns::Rss && local == "item",
            Self::Atom => ns == Ns::Atom && local == "entry",
        }
    }

    fn date_field(self, ns: Ns, local: &str) -> Option<DateField> {
        match (self, ns, local) {
            (Self::Rss2, Ns::Rss, "pubDate") | (Self::Rss2 | Self::Rss1, Ns::DublinCore, "date") => {
                Some(DateField::Published)
            }
            (Self::Rss2, Ns::Rss | Ns::Atom, "updated") | (Self::Atom, Ns::Atom, "updated") => Some(DateField::Updated),
            (Self::Atom, Ns::Atom, "published" | "pubDate") => Some(DateField::Published),
            _ => None,
        }
    }

    /// feed-rs's Atom parser keeps an earlier date when a later element has
    /// no text; its RSS parsers clear it.
    fn empty_date_clears(self) -> bool {
        self != Self::Atom
    }
}

/// The document without its surplus items, as [`keep_newest_items`] returns it.
#[derive(Debug)]
pub(super) struct Trimmed {
    pub text: String,
    pub dropped: usize,
    /// Dates feed-rs would have failed to read in the dropped items, for the warnings.
    pub date_failures: Vec<String>,
}

/// One item: where it is and when it was published.
struct Span {
    start: usize,
    end: usize,
    date: DateTime<Utc>,
    failures: Vec<String>,
}

/// The document with only the `max` newest items (dated as `parse::feed`
/// dates entries: published, else updated, else `fetched_at`; feed order
/// among equals). `None` when nothing is dropped or the pass cannot read
/// the document (see the module docs).
pub(super) fn keep_newest_items(text: &str, max: usize, fetched_at: DateTime<Utc>) -> Option<Trimmed> {
    // Every item's start tag names it, so a feed with no more than `max`
    // mentions of `item` and `entry` has nothing to drop: a byte search
    // spares the everyday small feed the XML pass.
    let mentions = |word: &str| memchr::memmem::find_iter(text.as_bytes(), word).take(max.saturating_add(1)).count();
    if mentions("item").saturating_add(mentions("entry")) <= max {
        return None;
    }
    let spans = scan(text, fetched_at)?;
    if spans.len() <= max {
        return None;
    }
    let dates: Vec<DateTime<Utc>> = spans.iter().map(|s| s.date).collect();
    let keep = super::newest(&dates, max);
    let dropped_bytes: usize = spans.iter().zip(&keep).filter(|(_, k)| !**k).map(|(s, _)| s.end - s.start).sum();
    let mut out = String::with_capacity(text.len() - dropped_bytes);
    let mut date_failures = Vec::new();
    let mut at = 0;
    for (span, kept) in spans.into_iter().zip(keep) {
        if !kept {
            out.push_str(&text[at..span.start]);
            at = span.end;
            date_failures.extend(span.failures);
        }
    }
    out.push_str(&text[at..]);
    Some(Trimmed { text: out, dropped: dates.len() - max, date_failures })
}

/// The date element being read: which field, and its text so far.
struct DateText {
    field: DateField,
    text: Option<String>,
}

/// The item being read.
struct Open {
    start: usize,
    depth: usize,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    reading: Option<DateText>,
    failures: Vec<String>,
}

impl Open {
    fn new(start: usize, depth: usize) -> Self {
        Self { start, depth, published: None, updated: None, reading: None, failures: Vec::new() }
    }

    /// Ends the date element being read (its text ends at the next tag).
    fn finish_date(&mut self, format: Format) {
        let Some(DateText { field, text }) = self.reading.take() else { return };
        if text.is_none() && !format.empty_date_clears() {
            return;
        }
        let parsed = text.as_deref().and_then(date::parse_date);
        if parsed.is_none()
            && let Some(raw) = text.as_deref().map(str::trim).filter(|raw| !raw.is_empty())
        {
            self.failures.push(raw.chars().take(80).collect());
        }
        match field {
            DateField::Published => self.published = parsed,
            DateField::Updated => self.updated = parsed,
        }
    }

    fn close(mut self, format: Format, end: usize, fetched_at: DateTime<Utc>) -> Span {
        self.finish_date(format);
        let date = self.published.or(self.updated).unwrap_or(fetched_at);
        Span { start: self.start, end, date, failures: self.failures }
    }
}

/// Every item of the document in order; `None` if the pass cannot read it.
fn scan(text: &str, fetched_at: DateTime<Utc>) -> Option<Vec<Span>> {
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = false;
    config.check_end_names = true;
    config.trim_markup_names_in_closing_tags = true;
    let mut format = None;
    // The depth whose child elements are items: the root's for Atom and
    // RSS 1.0, the channel's for RSS 2.0 (unknown until it opens).
    let mut items_at = None;
    let mut depth = 0usize;
    let mut open: Option<Open> = None;
    let mut spans = Vec::new();
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        let (resolved, event) = reader.read_resolved_event().ok()?;
        let bound = Ns::bound(&resolved);
        let after = usize::try_from(reader.buffer_position()).ok()?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                let name = start.name();
                let local = local_name(name.as_ref());
                let Some(format) = format else {
                    let found = Format::of_root(local)?;
                    format = Some(found);
                    depth = 1;
                    if found != Format::Rss2 {
                        items_at = Some(1);
                    }
                    if empty {
                        return Some(spans);
                    }
                    continue;
                };
                let ns = bound.unwrap_or(format.default_ns());
                depth += 1;
                if let Some(item) = open.as_mut() {
                    item.finish_date(format);
                    if depth == item.depth + 1 {
                        item.reading = format.date_field(ns, local).map(|field| DateText { field, text: None });
                    }
                } else if items_at == Some(depth - 1) && format.is_item(ns, local) {
                    open = Some(Open::new(before, depth));
                } else if items_at.is_none() && depth == 2 && local == "channel" {
                    items_at = Some(2);
                }
                if empty {
                    if let Some(item) = open.as_mut() {
                        item.finish_date(format);
                    }
                    depth -= 1;
                    close(&mut open, &mut spans, format, depth, after, fetched_at);
                }
            }
            Event::End(_) => {
                let format = format?;
                if let Some(item) = open.as_mut() {
                    item.finish_date(format);
                }
                depth -= 1;
                close(&mut open, &mut spans, format, depth, after, fetched_at);
                // feed-rs reads nothing after the element holding the items.
                if items_at.is_some_and(|at| depth < at) || depth == 0 {
                    return Some(spans);
                }
            }
            Event::Text(ref t) => push_text(&mut open, t),
            Event::CData(ref t) => push_text(&mut open, t),
            Event::GeneralRef(ref r) => {
                if let Some(DateText { text, .. }) = open.as_mut().and_then(|o| o.reading.as_mut()) {
                    let buffer = text.get_or_insert_with(String::new);
                    if let Some(ch) = r.resolve_char_ref().ok()? {
                        buffer.push(ch);
                    } else if let Some(resolved) = quick_xml::escape::resolve_predefined_entity(r) {
                        buffer.push_str(resolved);
                    } else {
                        // feed-rs keeps unknown entities as written.
                        buffer.push('&');
                        buffer.push_str(r);
                        buffer.push(';');
                    }
                }
            }
            Event::Eof => return (format.is_some() && depth == 0).then_some(spans),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

/// Closes the open item if the element just ended was it.
fn close(
    open: &mut Option<Open>,
    spans: &mut Vec<Span>,
    format: Format,
    depth: usize,
    end: usize,
    fetched_at: DateTime<Utc>,
) {
    if open.as_ref().is_some_and(|item| depth < item.depth)
        && let Some(item) = open.take()
    {
        spans.push(item.close(format, end, fetched_at));
    }
}

fn push_text(open: &mut Option<Open>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(DateText { text: buffer, .. }) = open.as_mut().and_then(|o| o.reading.as_mut()) {
        buffer.get_or_insert_with(String::new).push_str(text);
    }
}

/// The name after the last `:`, as feed-rs takes it.
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
#[path = "xml_items_tests.rs"]
mod tests;
