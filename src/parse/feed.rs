//! Feeds (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x) → [`ParsedFeed`].
//!
//! feed-rs does the reading; this module handles what it cannot: the HTTP
//! charset (RFC 7303 §3.2: it overrides the XML declaration, which feed-rs
//! alone would follow), one repair pass for the breakage real feeds ship (bare
//! `&`, `<rss>` without a known `version`, truncated documents), dates in the
//! formats feeds really use, ids it would invent, the `(Jane)` author oddity,
//! relative links, and clear errors. Its `sanitize` stays off: summaries and
//! content go through our own ammonia policy. Pure: no I/O, no clock.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, FeedType, Link, Person, Text};
use feed_rs::parser::{Builder, ParseErrorKind, ParseFeedError};
use quick_xml::events::Event;
use regex::Regex;
use url::Url;

use super::{ParseError, ParseInput, ParsedFeed, ParsedItem, charset, date, xml_items};
use crate::sanitize::{self, Sanitizer};

/// What our id generator hands feed-rs for an entry without an id: a value no
/// feed can contain (a control character), so it is recognized and dropped
/// instead of trusting feed-rs's link hash or random UUID for deduplication.
const NO_ID: &str = "\u{1}gleaner:no-id";

/// Most unparseable-date warnings kept per feed (one bad generator repeats itself).
const MAX_DATE_WARNINGS: usize = 5;

/// Parses a feed body. See the module docs for what happens around feed-rs.
pub fn parse_feed(bytes: &[u8], input: &ParseInput<'_>) -> Result<ParsedFeed, ParseError> {
    parse_feed_keeping(bytes, input, usize::MAX)
}

/// [`parse_feed`] keeping only the `max` newest items, as
/// [`super::keep_newest`] would, but chosen among feed-rs's entries before
/// any is mapped (sanitized, resolved): a feed of 60,000 items at the body
/// cap then costs its entries once, not entries and mapped items together.
pub fn parse_feed_keeping(bytes: &[u8], input: &ParseInput<'_>, max: usize) -> Result<ParsedFeed, ParseError> {
    // UTF-32 first: its little-endian mark begins with UTF-16's.
    let utf32 = charset::utf32_to_utf8(bytes);
    let bytes = utf32.as_deref().map_or(bytes, str::as_bytes);
    let sniffed = if utf32.is_some() {
        charset::Sniffed { encoding: encoding_rs::UTF_8, source: charset::CharsetSource::Bom }
    } else {
        charset::sniff(bytes, input.content_type)
    };
    // Borrowed (no copy) when the body is already UTF-8 without a BOM.
    let (decoded, _, _) = sniffed.encoding.decode(bytes);
    if decoded.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    // feed-rs decodes by the XML declaration, so after transcoding it must say UTF-8.
    let text = declare_utf8(&decoded);
    let text = upgrade_legacy_namespaces(&text);
    let format_hint = FormatHint::sniff(&decoded);
    // A feed's surplus items never reach feed-rs (see `json_items`,
    // `xml_items`); should the shortened document fail where the whole one
    // might not, the whole one is read as before.
    let trimmed = super::json_items::keep_newest_items(&text, max, input.fetched_at)
        .map(|(text, dropped)| xml_items::Trimmed { text, dropped, date_failures: Vec::new() })
        .or_else(|| xml_items::keep_newest_items(&text, max, input.fetched_at));
    if let Some(trimmed) = trimmed
        && let Ok((feed, notes, mut failures)) = read_feed(&trimmed.text, input.url)
    {
        failures.extend(trimmed.date_failures);
        return Ok(finish(feed, format_hint, input, notes, &failures, max, Some(trimmed.dropped)));
    }
    let (feed, notes, failures) = read_feed(&text, input.url)?;
    Ok(finish(feed, format_hint, input, notes, &failures, max, None))
}

/// feed-rs on `text`, then on its repair if that fails: the feed, the
/// repair notes, and the dates feed-rs could not read.
fn read_feed(text: &str, base: Option<&Url>) -> Result<(Feed, Vec<String>, Vec<String>), ParseError> {
    let date_failures = Arc::new(Mutex::new(Vec::new()));
    let mut notes = Vec::new();
    let feed = match run_feed_rs(text, base, &date_failures) {
        Ok(feed) => feed,
        Err(first) => {
            let repaired = repair(text);
            let retry = repaired.as_ref().map(|(fixed, _)| run_feed_rs(fixed, base, &date_failures));
            match (retry, repaired) {
                (Some(Ok(feed)), Some((_, repair_notes))) => {
                    notes = repair_notes;
                    feed
                }
                (_, repaired) => {
                    let shown = repaired.as_ref().map_or(text, |(fixed, _)| fixed.as_str());
                    return Err(classify_failure(&first, shown));
                }
            }
        }
    };
    let failures = date_failures.lock().map(|list| list.clone()).unwrap_or_default();
    Ok((feed, notes, failures))
}

/// The warnings (repairs, then unreadable dates, then the items over the
/// cap: the order a whole parse and [`super::keep_newest`] give), the cap
/// applied to what is still over it, and the mapping.
fn finish(
    mut feed: Feed,
    hint: FormatHint,
    input: &ParseInput<'_>,
    mut warnings: Vec<String>,
    date_failures: &[String],
    max: usize,
    dropped_before: Option<usize>,
) -> ParsedFeed {
    let mut seen: Vec<&String> = Vec::new();
    for failure in date_failures {
        if !seen.contains(&failure) && seen.len() < MAX_DATE_WARNINGS {
            seen.push(failure);
            warnings.push(format!("unparseable date {failure:?}"));
        }
    }
    let dropped = keep_newest_entries(&mut feed.entries, max, input.fetched_at).or(dropped_before);
    if let Some(dropped) = dropped {
        warnings.push(super::dropped_warning(dropped, max));
    }
    map_feed(feed, hint, input, warnings)
}

/// Keeps the `max` newest entries, dated as [`map_entry`] dates them, in feed
/// order; returns how many were dropped, if any.
fn keep_newest_entries(entries: &mut Vec<Entry>, max: usize, fetched_at: DateTime<Utc>) -> Option<usize> {
    let total = entries.len();
    if total <= max {
        return None;
    }
    let dates: Vec<DateTime<Utc>> = entries.iter().map(|e| e.published.or(e.updated).unwrap_or(fetched_at)).collect();
    let keep = super::newest(&dates, max);
    let mut index = 0;
    entries.retain(|_| {
        index += 1;
        keep[index - 1]
    });
    entries.shrink_to_fit();
    Some(total - max)
}

fn run_feed_rs(text: &str, base: Option<&Url>, failures: &Arc<Mutex<Vec<String>>>) -> Result<Feed, ParseFeedError> {
    let failures = Arc::clone(failures);
    Builder::new()
        .base_uri(base.map(Url::as_str))
        .sanitize_content(false)
        .id_generator(|_, _, _| NO_ID.to_owned())
        .timestamp_parser(move |raw| {
            let parsed = date::parse_date(raw);
            if parsed.is_none() && !raw.trim().is_empty() {
                if let Ok(mut list) = failures.lock() {
                    list.push(raw.trim().chars().take(80).collect());
                }
            }
            parsed
        })
        .build()
        .parse(text.as_bytes())
}

/// Rewrites a non-UTF-8 `encoding` in the XML declaration; the text is UTF-8 now.
fn declare_utf8(text: &str) -> Cow<'_, str> {
    static DECL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^(\s*<\?xml[^>]*?\sencoding\s*=\s*)["']([^"']*)["']"#).expect("static regex is valid")
    });
    match DECL.captures(text) {
        Some(c) if !c[2].eq_ignore_ascii_case("utf-8") => DECL.replace(text, r#"${1}"utf-8""#),
        _ => Cow::Borrowed(text),
    }
}

/// feed-rs only knows the Atom 1.0 and RSS 1.0 namespaces; Atom 0.3 and
/// Netscape's RSS 0.90 use the same element names under older namespaces.
fn upgrade_legacy_namespaces(text: &str) -> Cow<'_, str> {
    const ATOM03: &str = "http://purl.org/atom/ns#";
    const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
    const USERLAND_RSS2: [&str; 3] = [
        "http://backend.userland.com/rss2",
        "http://backend.userland.com/rss",
        "http://blogs.law.harvard.edu/tech/rss",
    ];
    static ATOM03_NAMES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"<(/?)((?:[A-Za-z_][\w.-]*:)?)(issued|modified|tagline|copyright)\b")
            .expect("static regex is valid")
    });
    if text.contains(ATOM03) {
        let upgraded = text.replace(ATOM03, "http://www.w3.org/2005/Atom");
        let renamed = ATOM03_NAMES.replace_all(&upgraded, |c: &regex::Captures<'_>| {
            let new = match &c[3] {
                "issued" => "published",
                "modified" => "updated",
                "tagline" => "subtitle",
                _ => "rights",
            };
            format!("<{}{}{new}", &c[1], &c[2])
        });
        Cow::Owned(renamed.into_owned())
    } else if text.contains(RSS090) {
        Cow::Owned(text.replace(RSS090, "http://purl.org/rss/1.0/"))
    } else if let Some(ns) = USERLAND_RSS2.iter().find(|ns| text.contains(**ns)) {
        // RSS 2.0 under a default namespace (UserLand's, Harvard's) is still RSS 2.0.
        Cow::Owned(text.replacen(&format!("xmlns=\"{ns}\""), "", 1))
    } else {
        Cow::Borrowed(text)
    }
}

/// Version details feed-rs's `FeedType` does not carry.
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_excessive_bools)] // independent facts sniffed from one document
struct FormatHint {
    atom03: bool,
    rss090: bool,
    /// `<rss version="0.93">`/`0.94`: read as 2.0 after repair, reported as what it is.
    rss09x: bool,
    json11: bool,
}

impl FormatHint {
    fn sniff(text: &str) -> Self {
        static RSS09X: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"<rss(?:\s[^>]*)?\sversion\s*=\s*["']0\.9"#).expect("static regex is valid"));
        static JSON_VERSION: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#""version"\s*:\s*"[^"]*1\.1"#).expect("static regex is valid"));
        let head = &text[..floor_char_boundary(text, 4096)];
        Self {
            atom03: head.contains("http://purl.org/atom/ns#"),
            rss090: head.contains("http://my.netscape.com/rdf/simple/0.9/"),
            rss09x: RSS09X.is_match(head),
            json11: JSON_VERSION.is_match(head),
        }
    }

    fn format(self, feed_type: &FeedType) -> &'static str {
        match feed_type {
            FeedType::Atom if self.atom03 => "atom0.3",
            FeedType::Atom => "atom1.0",
            FeedType::JSON if self.json11 => "json1.1",
            FeedType::JSON => "json1.0",
            FeedType::RSS0 => "rss0.9x",
            FeedType::RSS2 if self.rss09x => "rss0.9x",
            FeedType::RSS1 if self.rss090 => "rss0.9x",
            FeedType::RSS1 => "rss1.0",
            FeedType::RSS2 => "rss2.0",
        }
    }
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

// ---------------------------------------------------------------- repair

/// One repair pass; `None` when nothing needed repairing. Returns the notes
/// that become warnings, so the operator learns the feed is broken.
fn repair(text: &str) -> Option<(String, Vec<String>)> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if start.starts_with('{') {
        return repair_json_feed(start);
    }
    if !start.starts_with('<') {
        return None;
    }
    let mut notes = Vec::new();
    let (mut fixed, escaped) = escape_bare_ampersands(text);
    if escaped > 0 {
        notes.push(format!("repaired {escaped} unescaped '&'"));
    }
    if let Some(versioned) = fix_rss_version(&fixed) {
        fixed = versioned;
        notes.push("gave <rss> the version=\"2.0\" it lacked".to_owned());
    }
    if let Some(with_channel) = add_missing_channel(&fixed) {
        fixed = with_channel;
        notes.push("gave <rss> the <channel> it lacked".to_owned());
    }
    if let Some(typed) = fix_atom_text_types(&fixed) {
        fixed = typed;
        notes.push("mapped MIME types on Atom text elements to text/html/xhtml".to_owned());
    }
    if let Some(typed) = fix_content_types(&fixed) {
        fixed = typed;
        notes.push("mapped odd `type` attributes on content and media descriptions".to_owned());
    }
    if let Some((closed, count)) = close_open_elements(&fixed) {
        fixed = closed;
        notes.push(format!("closed {count} element(s) left open (truncated document?)"));
    }
    (!notes.is_empty()).then_some((fixed, notes))
}

/// Escapes every `&` that does not start an entity or character reference,
/// leaving CDATA sections and comments alone (their `&` are literal already).
fn escape_bare_ampersands(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + 16);
    let mut count = 0;
    let mut rest = text;
    while let Some(pos) = rest.find(['&', '<']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let skip_to = if rest.starts_with("<![CDATA[") {
            Some(rest.find("]]>").map_or(rest.len(), |end| end + 3))
        } else if rest.starts_with("<!--") {
            Some(rest.find("-->").map_or(rest.len(), |end| end + 3))
        } else {
            None
        };
        if let Some(end) = skip_to {
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if rest.starts_with('&') {
            if starts_with_reference(rest) {
                out.push('&');
            } else {
                out.push_str("&amp;");
                count += 1;
            }
            rest = &rest[1..];
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    (out, count)
}

/// `&name;`, `&#123;` or `&#x1F;` at the start of `text` (XML 1.0 §4.1).
fn starts_with_reference(text: &str) -> bool {
    let body = &text[1..];
    let end = match body.find(';') {
        Some(end) if end > 0 && end <= 32 => end,
        _ => return false,
    };
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
}

/// feed-rs accepts `<rss version>` 2.0, 0.91 and 0.92 only; 0.93, 0.94, 2.0.1
/// or no version at all are read as 2.0 (a superset of the others).
fn fix_rss_version(text: &str) -> Option<String> {
    // `<rss` then a space or `>`: `\b` also matched `<rss:link>` of a namespaced feed.
    static RSS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<rss((?:\s[^>]*)?)>").expect("static regex is valid"));
    static VERSION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\sversion\s*=\s*["']([^"']*)["']"#).expect("static regex is valid"));
    let tag = RSS.captures(text)?;
    let attrs = tag.get(1)?;
    let new_attrs = match VERSION.captures(attrs.as_str()) {
        Some(v) if matches!(&v[1], "2.0" | "0.91" | "0.92") => return None,
        Some(_) => VERSION.replace(attrs.as_str(), r#" version="2.0""#).into_owned(),
        None => format!(r#" version="2.0"{}"#, attrs.as_str()),
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..attrs.start()]);
    out.push_str(&new_attrs);
    out.push_str(&text[attrs.end()..]);
    Some(out)
}

/// An `<rss>` with no `<channel>` is an empty feed, not an error (feedparser agrees).
fn add_missing_channel(text: &str) -> Option<String> {
    static RSS_OPEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<rss(?:\s[^>]*)?>").expect("static regex is valid"));
    if text.contains("<channel") {
        return None;
    }
    let open = RSS_OPEN.find(text)?;
    if text[..open.end()].ends_with("/>") {
        return None;
    }
    let close = text.rfind("</rss>").filter(|&at| at >= open.end())?;
    Some(format!("{}<channel>{}</channel>{}", &text[..open.end()], &text[open.end()..close], &text[close..]))
}

/// Atom 1.0 text constructs take `type` = text, html or xhtml; Atom 0.3 and
/// sloppy feeds write MIME types there, which feed-rs rejects outright.
fn fix_atom_text_types(text: &str) -> Option<String> {
    static TYPED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(<(?:[A-Za-z_][\w.-]*:)?(?:title|subtitle|summary|rights|tagline|copyright|info)\b[^>]*?\stype\s*=\s*)["']([^"']*)["']"#,
        )
        .expect("static regex is valid")
    });
    let mut changed = false;
    let fixed = TYPED.replace_all(text, |c: &regex::Captures<'_>| {
        let kind = match c[2].trim().to_ascii_lowercase().as_str() {
            "text" | "html" | "xhtml" => return c[0].to_owned(),
            "text/html" => "html",
            "application/xhtml+xml" => "xhtml",
            _ => "text",
        };
        changed = true;
        format!(r#"{}"{kind}""#, &c[1])
    });
    changed.then(|| fixed.into_owned())
}

/// Atom `content` takes text, html, xhtml or a MIME type (RFC 4287 §4.1.3.1),
/// and with `src` a MIME type only; Media RSS `media:description` takes plain
/// or html. Feeds write `type="xml"`, a blank type, `type="html"` beside
/// `src` and `type="text/html"` on media descriptions, and feed-rs rejects
/// the whole feed for any one of them.
fn fix_content_types(text: &str) -> Option<String> {
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"<((?:[A-Za-z_][\w.-]*:)?(?:content|description))(\s[^>]*)>").expect("static regex is valid")
    });
    static TYPE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(\stype\s*=\s*)["']([^"']*)["']"#).expect("static regex is valid"));
    static SRC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\ssrc\s*=").expect("static regex is valid"));
    let mut changed = false;
    let fixed = TAG.replace_all(text, |c: &regex::Captures<'_>| {
        let (element, attrs) = (&c[1], &c[2]);
        let Some(kind) = TYPE.captures(attrs).map(|t| t[2].trim().to_ascii_lowercase()) else { return c[0].to_owned() };
        let replacement = if element.contains(':') && element.ends_with("description") {
            match kind.as_str() {
                "plain" | "html" => None,
                k if k.contains("html") => Some("html"),
                _ => Some("plain"),
            }
        } else if element.ends_with("description") {
            None
        } else if SRC.is_match(attrs) {
            match kind.as_str() {
                "html" => Some("text/html"),
                "xhtml" => Some("application/xhtml+xml"),
                "text" | "" => Some("text/plain"),
                _ => None,
            }
        } else {
            // feed-rs reads inline XML children only as `xhtml`; any other XML
            // type (RFC 4287 allows `*/xml`, `*+xml`) failed the whole feed.
            match kind.as_str() {
                "" => Some("text"),
                k if k == "xml" || k.ends_with("/xml") || k.ends_with("+xml") => Some("xhtml"),
                _ => None,
            }
        };
        let Some(kind) = replacement else { return c[0].to_owned() };
        changed = true;
        let attrs = TYPE.replace(attrs, |t: &regex::Captures<'_>| format!(r#"{}"{kind}""#, &t[1]));
        format!("<{element}{attrs}>")
    });
    changed.then(|| fixed.into_owned())
}

/// JSON Feed that feed-rs refuses for one field: a `version` that is not
/// one of the two URLs (`"1.1"`, `http://`), `tags` as a string, no
/// `title`. Rewritten to what the spec says, with notes.
fn repair_json_feed(text: &str) -> Option<(String, Vec<String>)> {
    use serde_json::Value;
    const V1: &str = "https://jsonfeed.org/version/1";
    const V11: &str = "https://jsonfeed.org/version/1.1";
    let mut feed: Value = serde_json::from_str(text).ok()?;
    let object = feed.as_object_mut()?;
    let mut notes = Vec::new();
    let version = object.get("version").and_then(Value::as_str).map(str::trim).map(str::to_owned);
    if let Some(version) = version.filter(|v| v != V1 && v != V11) {
        let known =
            version.ends_with("1.1") || version.ends_with("version/1") || matches!(version.as_str(), "1" | "1.0");
        if known {
            let canonical = if version.ends_with("1.1") { V11 } else { V1 };
            object.insert("version".to_owned(), canonical.into());
            notes.push(format!("read JSON Feed version {version:?} as {canonical}"));
        }
    }
    if !object.get("title").is_some_and(Value::is_string) {
        object.insert("title".to_owned(), "".into());
        notes.push("JSON Feed without a title".to_owned());
    }
    let mut tags_fixed = 0;
    for item in object.get_mut("items").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(item) = item.as_object_mut() else { continue };
        match item.get("tags") {
            Some(Value::String(tag)) => {
                let tag = tag.clone();
                item.insert("tags".to_owned(), Value::Array(vec![tag.into()]));
                tags_fixed += 1;
            }
            Some(Value::Array(_)) | None => {}
            Some(_) => {
                item.remove("tags");
                tags_fixed += 1;
            }
        }
    }
    if tags_fixed > 0 {
        notes.push(format!("read {tags_fixed} item(s) `tags` that were not a list"));
    }
    (!notes.is_empty()).then(|| (feed.to_string(), notes))
}

/// Appends end tags for elements still open at the end of a truncated
/// document. `None` when the document is balanced or broken in another way.
fn close_open_elements(text: &str) -> Option<(String, usize)> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => open.push(start.name().as_ref().to_owned()),
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            // An unclosed CDATA or tag at the very end: cut it off, then close.
            Err(_) if !open.is_empty() => {
                let cut = usize::try_from(reader.error_position()).ok()?.min(text.len());
                let cut = floor_char_boundary(text, cut);
                let mut out = text[..cut].to_owned();
                let count = open.len();
                for name in open.iter().rev() {
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
                return (reader.buffer_position() >= u64::try_from(text.len()).ok()?).then_some((out, count));
            }
            Err(_) => return None,
        }
    }
    if open.is_empty() {
        return None;
    }
    let mut out = text.to_owned();
    let count = open.len();
    for name in open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some((out, count))
}

// ---------------------------------------------------------------- errors

/// Turns feed-rs's error into one that says what the body looked like.
fn classify_failure(error: &ParseFeedError, text: &str) -> ParseError {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return ParseError::Empty;
    }
    // feed-rs tries JSON on anything that is not XML, so a binary file came
    // back as "malformed JSON feed"; only a body that starts like JSON is one.
    if !trimmed.starts_with(['<', '{', '[']) && looks_binary(trimmed) {
        return ParseError::NotAFeed { looks_like: "binary data (control bytes in the first kilobyte)".to_owned() };
    }
    if let ParseFeedError::JsonSerde(e) = error
        && trimmed.starts_with(['{', '['])
    {
        return ParseError::MalformedJson { line: e.line(), column: e.column(), message: e.to_string() };
    }
    // OPML has a `<head>` and was reported as "an HTML page".
    if root_element_name(text).is_some_and(|root| root.eq_ignore_ascii_case("opml")) {
        return ParseError::NotAFeed {
            looks_like: "an OPML subscription list (add its feeds with `gleaner opml import`)".to_owned(),
        };
    }
    if let ParseFeedError::JsonUnsupportedVersion(version) = error {
        return ParseError::Unsupported { message: format!("JSON Feed version {version:?}") };
    }
    if looks_like_html(trimmed) {
        return ParseError::NotAFeed { looks_like: "an HTML page".to_owned() };
    }
    if !trimmed.starts_with('<') {
        let looks_like = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            "JSON that is not a JSON Feed"
        } else {
            "plain text or binary data (no '<' or '{' at the start)"
        };
        return ParseError::NotAFeed { looks_like: looks_like.to_owned() };
    }
    if let Some((line, column, message)) = first_xml_error(text) {
        return ParseError::MalformedXml { line, column, message };
    }
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            let root = root_element_name(text).unwrap_or_else(|| "?".to_owned());
            let local = root.rsplit(':').next().unwrap_or_default();
            // "root element is <rss>, not rss" said nothing: the name was right, its namespace was not.
            let looks_like = if ["rss", "rdf", "feed"].iter().any(|n| local.eq_ignore_ascii_case(n)) {
                format!("XML whose root element <{root}> is in a namespace no feed format uses")
            } else {
                format!("XML whose root element is <{root}>, not rss, RDF or feed")
            };
            ParseError::NotAFeed { looks_like }
        }
        other => ParseError::Unsupported { message: other.to_string() },
    }
}

/// NUL or other C0 control bytes (besides whitespace) near the start: no
/// text format, XML or JSON, has them.
fn looks_binary(text: &str) -> bool {
    text[..floor_char_boundary(text, 1024)].bytes().any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

fn looks_like_html(text: &str) -> bool {
    let head = text[..floor_char_boundary(text, 2048)].to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.contains("<html") || head.contains("<head>") || head.contains("<body")
}

/// The first well-formedness error with its line and column (1-based).
fn first_xml_error(text: &str) -> Option<(u64, u64, String)> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) if depth > 0 => {
                let (line, column) = line_column(text, reader.buffer_position());
                return Some((line, column, format!("document ends with {depth} element(s) still open")));
            }
            Ok(Event::Eof) => return None,
            Ok(_) => {}
            Err(e) => {
                let (line, column) = line_column(text, reader.error_position());
                return Some((line, column, e.to_string()));
            }
        }
    }
}

fn line_column(text: &str, offset: u64) -> (u64, u64) {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.split(|&b| b == b'\n').count();
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (u64::try_from(line).unwrap_or(u64::MAX), u64::try_from(column).unwrap_or(u64::MAX))
}

fn root_element_name(text: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return Some(e.name().as_ref().to_owned()),
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

// ---------------------------------------------------------------- mapping

fn map_feed(feed: Feed, hint: FormatHint, input: &ParseInput<'_>, warnings: Vec<String>) -> ParsedFeed {
    let link = pick_link(&feed.links).and_then(|l| resolve(&l.href, input.url));
    // Relative URLs inside summaries resolve against the document (RFC 3986
    // §5.1.3), else against the site the feed names.
    let link_url = link.as_deref().and_then(|l| Url::parse(l).ok());
    let sanitizer = Sanitizer::new(input.url.or(link_url.as_ref()));
    let items = feed.entries.into_iter().map(|entry| map_entry(&entry, input, &sanitizer)).collect();
    ParsedFeed {
        format: hint.format(&feed.feed_type).to_owned(),
        title: feed.title.as_ref().map(plain_text).map(fix_c1_controls).filter(|t| !t.is_empty()),
        link,
        // BCP 47 uses hyphens; feeds often write POSIX locales (`en_US`).
        language: feed.language.map(|l| l.trim().replace('_', "-")).filter(|l| !l.is_empty()),
        items,
        warnings,
    }
}

fn map_entry(entry: &Entry, input: &ParseInput<'_>, sanitizer: &Sanitizer) -> ParsedItem {
    let guid = Some(entry.id.trim().to_owned()).filter(|id| !id.is_empty() && id != NO_ID);
    // RSS 2.0: a guid is a permalink unless it says otherwise; use it when there is no link.
    let url = pick_link(&entry.links).and_then(|l| resolve(&l.href, input.url)).or_else(|| {
        guid.as_deref().filter(|g| g.starts_with("http://") || g.starts_with("https://")).and_then(|g| resolve(g, None))
    });
    let (published, published_is_fetch_time) = match (entry.published, entry.updated) {
        (Some(published), _) | (None, Some(published)) => (published, false),
        (None, None) => (input.fetched_at, true),
    };
    let mut authors: Vec<String> = Vec::new();
    for name in entry.authors.iter().filter_map(person_name) {
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
    ParsedItem {
        guid,
        url,
        title: entry.title.as_ref().map(plain_text).map(fix_c1_controls).unwrap_or_default(),
        authors,
        published,
        updated: entry.updated,
        summary: entry.summary.as_ref().map(|t| fix_c1_controls(text_to_html(t, sanitizer))).unwrap_or_default(),
        content: entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref().map(|body| (c.content_type.essence().to_string(), body)))
            .map(
                |(mime, body)| if is_plain(&mime) { sanitize::escape_text(body.trim()) } else { sanitizer.clean(body) },
            )
            .map(fix_c1_controls)
            .unwrap_or_default(),
        published_is_fetch_time,
    }
}

/// The article link: `alternate` (or unlabelled) first, never comments, self or enclosures.
fn pick_link(links: &[Link]) -> Option<&Link> {
    let usable = |l: &&Link| l.target.is_none() && !l.href.trim().is_empty();
    links.iter().filter(usable).find(|l| matches!(l.rel.as_deref(), None | Some("alternate"))).or_else(|| {
        links.iter().filter(usable).find(|l| !matches!(l.rel.as_deref(), Some("self" | "enclosure" | "hub")))
    })
}

fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    super::item_link(href, base)
}

/// `jane@example.com (Jane Doe)` gives feed-rs the name `(Jane Doe)`.
fn person_name(person: &Person) -> Option<String> {
    let name = person.name.as_deref().map(str::trim).unwrap_or_default();
    let name = name.strip_prefix('(').and_then(|n| n.strip_suffix(')')).unwrap_or(name).trim();
    let name = sanitize::decode_entities(name);
    if name.is_empty() {
        person.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned)
    } else {
        Some(name)
    }
}

fn is_plain(mime: &str) -> bool {
    mime == "text/plain"
}

/// A title or feed name as plain text: markup stripped, entities decoded.
fn plain_text(text: &Text) -> String {
    if is_plain(&text.content_type.essence().to_string()) {
        sanitize::decode_entities(&text.content)
    } else {
        sanitize::html_to_text(&text.content)
    }
}

/// A summary as sanitized HTML; plain text is escaped, not interpreted.
fn text_to_html(text: &Text, sanitizer: &Sanitizer) -> String {
    if is_plain(&text.content_type.essence().to_string()) {
        sanitize::escape_text(text.content.trim())
    } else {
        sanitizer.clean(&text.content)
    }
}

/// C1 controls (U+0080–U+009F) in feed text are windows-1252 punctuation
/// written as `&#146;` by CMSs; HTML5's numeric-reference rule and every
/// feed reader map them back (`don&#146;t` → `don’t`).
fn fix_c1_controls(text: String) -> String {
    if !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text;
    }
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(byte @ 0x80..=0x9f) => {
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(&[byte]).0.chars().next().unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
