//! Unit tests of `xml_items.rs`: the capped parse of RSS 2.0, RSS 1.0 and
//! Atom equals the whole parse followed by `keep_newest`, over generated feeds.

use std::fmt::Write as _;

use super::*;
use crate::parse::{ParseInput, keep_newest, parse_feed, parse_feed_keeping};
use chrono::TimeZone;
use proptest::prelude::*;

fn fetched() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("valid")
}

fn input() -> ParseInput<'static> {
    ParseInput { url: None, content_type: None, fetched_at: fetched() }
}

/// The capped parse is the whole parse plus `keep_newest`, and the surplus
/// was dropped before feed-rs (not by the fallback to the whole parse).
fn assert_capped_equals_whole(doc: &[u8], max: usize) {
    let capped = parse_feed_keeping(doc, &input(), max).expect("capped parses");
    let mut whole = parse_feed(doc, &input()).expect("whole parses");
    let total = whole.items.len();
    keep_newest(&mut whole, max);
    assert_eq!(capped, whole, "max {max} of {total}");
    if total > max {
        let text = std::str::from_utf8(doc).expect("utf-8 test feed");
        let trimmed = keep_newest_items(text, max, fetched()).expect("the pass trims it");
        assert_eq!(trimmed.dropped, total - max);
    }
}

/// A few instants, with repeats so that ties keep feed order.
fn instant(n: u8) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20 + u32::from(n % 5), u32::from(n % 3), 0, 0).single().expect("valid")
}

/// How one item carries its dates, in every form feed-rs reads or ignores.
#[derive(Debug, Clone)]
enum Dated {
    None,
    Plain(u8),
    Cdata(u8),
    /// Split by a comment, which feed-rs skips inside the text.
    Commented(u8),
    /// A character reference for its first space.
    CharRef(u8),
    Empty,
    Garbage,
    /// The date element twice: the last one wins (or, empty, clears it in RSS).
    Twice(u8, Option<u8>),
    /// A date in a nested element, which is not the item's.
    Nested(u8),
    /// Only the updated date.
    Updated(u8),
    /// Published and updated.
    Both(u8, u8),
}

fn dated() -> impl Strategy<Value = Dated> {
    prop_oneof![
        Just(Dated::None),
        any::<u8>().prop_map(Dated::Plain),
        any::<u8>().prop_map(Dated::Cdata),
        any::<u8>().prop_map(Dated::Commented),
        any::<u8>().prop_map(Dated::CharRef),
        Just(Dated::Empty),
        Just(Dated::Garbage),
        (any::<u8>(), proptest::option::of(any::<u8>())).prop_map(|(a, b)| Dated::Twice(a, b)),
        any::<u8>().prop_map(Dated::Nested),
        any::<u8>().prop_map(Dated::Updated),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Dated::Both(a, b)),
    ]
}

/// The names a format writes its dates under.
struct Names {
    published: &'static str,
    updated: &'static str,
    rfc2822: bool,
}

fn stamp(n: u8, names: &Names) -> String {
    if names.rfc2822 { instant(n).to_rfc2822() } else { instant(n).to_rfc3339() }
}

fn date_markup(dated: &Dated, names: &Names) -> String {
    let element = |name: &str, body: &str| format!("<{name}>{body}</{name}>");
    let published = names.published;
    match dated {
        Dated::None => String::new(),
        Dated::Plain(n) => element(published, &stamp(*n, names)),
        Dated::Cdata(n) => element(published, &format!("<![CDATA[{}]]>", stamp(*n, names))),
        Dated::Commented(n) => {
            let s = stamp(*n, names);
            let (a, b) = s.split_at(4);
            element(published, &format!("{a}<!-- between -->{b}"))
        }
        Dated::CharRef(n) => element(published, &format!("\n  {}  ", stamp(*n, names).replacen(' ', "&#32;", 1))),
        Dated::Empty => format!("<{published}/>"),
        Dated::Garbage => element(published, "not a date"),
        Dated::Twice(a, b) => {
            let second =
                b.map_or_else(|| format!("<{published}></{published}>"), |b| element(published, &stamp(b, names)));
            format!("{}<x>y</x>{second}", element(published, &stamp(*a, names)))
        }
        Dated::Nested(n) => format!("<source>{}</source>", element(published, &stamp(*n, names))),
        Dated::Updated(n) => element(names.updated, &stamp(*n, names)),
        Dated::Both(a, b) => {
            format!("{}{}", element(names.updated, &stamp(*b, names)), element(published, &stamp(*a, names)))
        }
    }
}

fn rss2(items: &[Dated]) -> String {
    let names = Names { published: "pubDate", updated: "atom:updated", rfc2822: true };
    let mut doc = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rss [<!ENTITY site "Example">]>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>T &amp; <![CDATA[co]]></title><link>https://example.org/</link><!-- a comment -->"#,
    );
    for (i, dated) in items.iter().enumerate() {
        if i % 4 == 3 {
            doc.push_str("<category>between items</category>\n");
        }
        if i % 9 == 8 {
            doc.push_str("<item/>");
        } else {
            writeln!(
                doc,
                "<item><guid>g{i}</guid><title>t{i} &lt;b&gt;</title><link>https://example.org/{i}</link>{}</item>",
                date_markup(dated, &names)
            )
            .expect("a String takes any write");
        }
    }
    doc.push_str("<description>after the items</description></channel></rss>\n");
    doc
}

fn rss1(items: &[Dated]) -> String {
    let names = Names { published: "dc:date", updated: "dc:date", rfc2822: false };
    let mut doc = String::from(
        r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>T</title><link>https://example.org/</link><items><rdf:Seq/></items></channel>"#,
    );
    for (i, dated) in items.iter().enumerate() {
        write!(
            doc,
            r#"<item rdf:about="https://example.org/{i}"><title>t{i}</title><link>https://example.org/{i}</link>{}</item>"#,
            date_markup(dated, &names)
        )
        .expect("a String takes any write");
    }
    doc.push_str("</rdf:RDF>");
    doc
}

/// Atom, with the default namespace or an `a:` prefix on every element.
fn atom(items: &[Dated], prefixed: bool) -> String {
    let p = if prefixed { "a:" } else { "" };
    let names = if prefixed {
        Names { published: "a:published", updated: "a:updated", rfc2822: false }
    } else {
        Names { published: "published", updated: "updated", rfc2822: false }
    };
    let xmlns = if prefixed { "xmlns:a" } else { "xmlns" };
    let mut doc = format!(
        r#"<{p}feed {xmlns}="http://www.w3.org/2005/Atom"><{p}title>T</{p}title><{p}id>urn:f</{p}id><{p}updated>2026-11-01T00:00:00Z</{p}updated>"#
    );
    for (i, dated) in items.iter().enumerate() {
        write!(
            doc,
            r#"<{p}entry><{p}id>urn:e{i}</{p}id><{p}title type="html">t{i}</{p}title><{p}link href="https://example.org/{i}"/>{}</{p}entry>"#,
            date_markup(dated, &names)
        )
        .expect("a String takes any write");
    }
    write!(doc, "</{p}feed>").expect("a String takes any write");
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_capped_parse_equals_the_whole_parse_then_keep_newest(
        items in proptest::collection::vec(dated(), 0..40),
        max in 0usize..45,
    ) {
        assert_capped_equals_whole(rss2(&items).as_bytes(), max);
        assert_capped_equals_whole(rss1(&items).as_bytes(), max);
        assert_capped_equals_whole(atom(&items, false).as_bytes(), max);
        assert_capped_equals_whole(atom(&items, true).as_bytes(), max);
    }
}

#[test]
fn the_header_and_kept_items_are_kept_byte_for_byte() {
    let items: Vec<Dated> = (0..6).map(Dated::Plain).collect();
    let doc = rss2(&items);
    let trimmed = keep_newest_items(&doc, 2, fetched()).expect("trims");
    let head = &doc[..doc.find("<item>").expect("has items")];
    assert!(trimmed.text.starts_with(head), "{}", trimmed.text);
    assert!(trimmed.text.ends_with("<description>after the items</description></channel></rss>\n"));
    assert_eq!(trimmed.text.matches("<item>").count(), 2);
    assert_eq!(trimmed.dropped, 4);
}

#[test]
fn a_legacy_charset_is_capped_like_utf8() {
    let items: Vec<Dated> = (0..30).map(Dated::Plain).collect();
    let utf8 = rss2(&items).replace("encoding=\"utf-8\"", "encoding=\"ISO-8859-1\"").replace("t1 ", "caf\u{e9} ");
    let (latin1, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&utf8);
    assert!(!unmappable);
    let capped = parse_feed_keeping(&latin1, &input(), 5).expect("parses");
    let mut whole = parse_feed(&latin1, &input()).expect("parses");
    keep_newest(&mut whole, 5);
    assert_eq!(capped, whole);
    let all = parse_feed(&latin1, &input()).expect("parses");
    assert!(all.items.iter().any(|i| i.title.contains("café")), "{all:?}");
}

#[test]
fn a_million_deep_nesting_costs_no_stack() {
    let nested = |depth: usize| format!("{}x{}", "<d>".repeat(depth), "</d>".repeat(depth));
    let doc = |inner: &str| {
        format!(
            r#"<rss version="2.0"><channel><title>t</title><item><guid>old</guid><pubDate>Mon, 02 Nov 2026 00:00:00 GMT</pubDate><description>{inner}</description></item><item><guid>new</guid><pubDate>Tue, 03 Nov 2026 00:00:00 GMT</pubDate></item><x>{inner}</x></channel></rss>"#
        )
    };
    // Within quick-xml's nesting limit (65,535, which feed-rs shares): trimmed.
    let trimmed = keep_newest_items(&doc(&nested(60_000)), 1, fetched()).expect("trims");
    assert_eq!(trimmed.dropped, 1);
    assert!(trimmed.text.contains("<guid>new</guid>") && !trimmed.text.contains("<guid>old</guid>"));
    // Past it, closed or left open: left whole, and the whole parse says why.
    let open = format!("{}{}", &doc("")[..60], "<d>".repeat(1_000_000));
    for deep in [doc(&nested(1_000_000)), open] {
        assert!(keep_newest_items(&deep, 1, fetched()).is_none());
        assert_eq!(parse_feed_keeping(deep.as_bytes(), &input(), 1), parse_feed(deep.as_bytes(), &input()));
    }
}

#[test]
fn a_damaged_document_is_parsed_whole_and_loses_nothing() {
    let items: Vec<Dated> = (0..20).map(Dated::Plain).collect();
    let whole_doc = rss2(&items);
    // Truncated mid-item, and a bare `&`: both for feed-rs's repair pass.
    let truncated = &whole_doc[..whole_doc.rfind("<item>").expect("items") + 20];
    let bare_amp = whole_doc.replace("t3 &lt;b&gt;", "AT&T");
    for doc in [truncated, bare_amp.as_str()] {
        assert!(keep_newest_items(doc, 5, fetched()).is_none(), "the pass leaves it whole");
        let capped = parse_feed_keeping(doc.as_bytes(), &input(), 5).expect("repaired");
        let mut whole = parse_feed(doc.as_bytes(), &input()).expect("repaired");
        assert!(whole.warnings.iter().any(|w| w.starts_with("repaired") || w.starts_with("closed")));
        keep_newest(&mut whole, 5);
        assert_eq!(capped, whole);
    }
}

#[test]
fn unreadable_dates_of_dropped_items_still_warn() {
    // The first item's pubDate is unreadable, its (older) updated date is not: it is dropped.
    let doc = rss2(&(0..10).map(|n| Dated::Plain(n + 1)).collect::<Vec<_>>());
    let (from, to) = (doc.find("<pubDate>").expect("dated"), doc.find("</pubDate>").expect("dated") + 10);
    let doc = format!(
        "{}<atom:updated>2001-01-01T00:00:00Z</atom:updated><pubDate>Thursday<!----></pubDate>{}",
        &doc[..from],
        &doc[to..]
    );
    let capped = parse_feed_keeping(doc.as_bytes(), &input(), 1).expect("parses");
    assert!(!capped.items.iter().any(|i| i.guid.as_deref() == Some("g0")), "dropped");
    assert!(capped.warnings.contains(&"unparseable date \"Thursday\"".to_owned()), "{:?}", capped.warnings);
    let mut whole = parse_feed(doc.as_bytes(), &input()).expect("parses");
    keep_newest(&mut whole, 1);
    assert_eq!(capped, whole);
}

#[test]
fn items_elsewhere_are_not_items() {
    // RSS 2.0 reads items only in the first channel; RSS 1.0 outside it; a
    // foreign namespace's `item` is none.
    let doc = r#"<rss version="2.0" xmlns:o="urn:other"><channel><item/><o:item/><item><item/></item></channel><channel><item/><item/></channel></rss>"#;
    let spans = scan(doc, fetched()).expect("reads");
    assert_eq!(spans.len(), 2);
    let doc = r#"<RDF xmlns="http://purl.org/rss/1.0/"><channel><item/></channel><item/><item/></RDF>"#;
    assert_eq!(scan(doc, fetched()).expect("reads").len(), 2);
    assert!(scan("<html><item/></html>", fetched()).is_none());
}
