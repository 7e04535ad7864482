//! Issue 11, "No input stops the service": hostile feeds, pages and text,
//! generated here (never committed at size), each test named for the
//! behaviour it pins. Deep-nesting tests run on the test harness's threads,
//! whose 2 MiB stacks are what tokio's workers get: recursion on input depth
//! overflows them.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use gleaner::extract::{PageFacts, extract, extract_fragment};
use gleaner::parse::{ParseInput, parse_feed};
use gleaner::sanitize::{html_to_text, sanitize_html};
use url::Url;

fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid")
}

fn base() -> Url {
    Url::parse("https://hostile.example/feed.xml").expect("valid")
}

fn input(url: &Url) -> ParseInput<'_> {
    ParseInput { url: Some(url), content_type: None, fetched_at: fetched_at() }
}

/// `depth` nested `open`…`close` around `inner`.
fn nested(open: &str, close: &str, depth: usize, inner: &str) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * depth + inner.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

const DEEP: usize = 1_000_000;

#[test]
fn million_deep_markup_goes_through_sanitize_and_text_without_overflow() {
    let html = nested("<span>", "</span>", DEEP, "deep words");
    assert_eq!(html_to_text(&html), "deep words");
    let clean = sanitize_html(&html, None);
    assert!(clean.contains("deep words"));
    let divs = nested("<div>", "</div>", DEEP, "deep words");
    assert_eq!(html_to_text(&divs), "deep words");
}

#[test]
fn million_deep_markup_goes_through_extraction_without_overflow() {
    let page = format!("<html><body><article>{}</article></body></html>", nested("<div>", "</div>", DEEP, "<p>A sentence with words, and more words here.</p>"));
    let url = Url::parse("https://hostile.example/a").expect("valid");
    let _ = extract(&page, Some(&url), None);
    let fragment = nested("<b>", "</b>", DEEP, "\u{201c}Quoted words here,\u{201d} said Ann Example.");
    let _ = extract_fragment(&fragment, Some(&url), PageFacts::default());
}

#[test]
fn million_deep_markup_in_a_feed_title_and_summary_parses_without_overflow() {
    let deep = escape(&nested("<span>", "</span>", DEEP, "Deep title"));
    let feed = format!(
        r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title type="html">{deep}</title><link href="https://hostile.example/1"/><updated>2026-01-01T00:00:00Z</updated><summary type="html">{deep}</summary></entry></feed>"#
    );
    let url = base();
    let parsed = parse_feed(feed.as_bytes(), &input(&url)).expect("parses");
    assert_eq!(parsed.items[0].title, "Deep title");
}

#[test]
fn million_deep_xml_elements_in_a_feed_parse_without_overflow() {
    let deep = nested("<div>", "</div>", DEEP, "Deep");
    let feed = format!(
        r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>ok</title><link href="https://hostile.example/1"/><updated>2026-01-01T00:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{deep}</div></content><x:deep xmlns:x="urn:x">{deep}</x:deep></entry></feed>"#
    );
    let url = base();
    let _ = parse_feed(feed.as_bytes(), &input(&url));
}

#[test]
fn nested_blocks_and_attribute_floods_parse_in_linear_time() {
    let started = Instant::now();
    let divs = nested("<div>", "</div>", 100_000, "x");
    let _ = html_to_text(&divs);
    let _ = sanitize_html(&divs, None);
    let mut attrs = String::from("<p");
    for i in 0..300_000 {
        attrs.push_str(&format!(" a{i}=\"v\""));
    }
    attrs.push_str(">x</p>");
    let _ = html_to_text(&attrs);
    let _ = sanitize_html(&attrs, None);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}
