//! Unit tests of `feed.rs`: root detection, repairs and their notes.

use super::*;
use chrono::{TimeZone, Utc};

fn input(url: Option<&Url>) -> ParseInput<'_> {
    ParseInput {
        url,
        content_type: None,
        fetched_at: Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).single().expect("valid"),
    }
}

#[test]
fn bare_ampersands_are_escaped_outside_cdata() {
    let (fixed, n) = escape_bare_ampersands("<t>AT&T &amp; &#38; &#x26; &eacute; <![CDATA[a & b]]> <!-- & --> &</t>");
    assert_eq!(n, 2);
    assert_eq!(fixed, "<t>AT&amp;T &amp; &#38; &#x26; &eacute; <![CDATA[a & b]]> <!-- & --> &amp;</t>");
}

#[test]
fn rss_version_is_added_or_normalized() {
    assert_eq!(fix_rss_version("<rss><channel/></rss>").as_deref(), Some(r#"<rss version="2.0"><channel/></rss>"#));
    assert_eq!(fix_rss_version(r#"<rss version="0.94">"#).as_deref(), Some(r#"<rss version="2.0">"#));
    assert_eq!(fix_rss_version(r#"<rss version="2.0">"#), None);
}

#[test]
fn truncated_documents_are_closed() {
    let (closed, n) = close_open_elements("<rss><channel><item><title>x</title>").expect("repairable");
    assert_eq!(n, 3);
    assert_eq!(closed, "<rss><channel><item><title>x</title></item></channel></rss>");
}

#[test]
fn authors_lose_the_parenthesis_oddity() {
    let xml = r#"<rss version="2.0"><channel><title>t</title><item><title>a</title>
        <author>jane@example.com (Jane Doe)</author><guid>g1</guid></item></channel></rss>"#;
    let feed = parse_feed(xml.as_bytes(), &input(None)).expect("parses");
    assert_eq!(feed.items[0].authors, vec!["Jane Doe".to_owned()]);
}

#[test]
fn entries_without_ids_get_no_invented_guid() {
    let xml = r#"<rss version="2.0"><channel><title>t</title><item><description>only text</description></item>
        <item><link>https://e.org/a</link></item></channel></rss>"#;
    let feed = parse_feed(xml.as_bytes(), &input(None)).expect("parses");
    assert_eq!(feed.items[0].guid, None);
    assert_eq!(feed.items[1].guid, None);
    assert_eq!(feed.items[1].url.as_deref(), Some("https://e.org/a"));
}

#[test]
fn html_and_garbage_get_clear_errors() {
    let err = parse_feed(b"<!DOCTYPE html><html><body><p>hi</body></html>", &input(None)).expect_err("html");
    assert_eq!(err.to_string(), "not a feed: looks like an HTML page");
    let err = parse_feed(b"  \n", &input(None)).expect_err("empty");
    assert_eq!(err, ParseError::Empty);
    let err = parse_feed(b"<rss version=\"2.0\"><channel>\n<item><title>x</titl></item>", &input(None))
        .expect_err("malformed");
    assert!(err.to_string().starts_with("malformed XML at line 2"), "{err}");
    let err = parse_feed(b"<catalog><book/></catalog>", &input(None)).expect_err("other xml");
    assert!(err.to_string().contains("<catalog>"), "{err}");
}

#[test]
fn dates_fall_back_to_updated_then_fetch_time() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>a</id><title>a</title><updated>2024-05-06T07:08:09Z</updated></entry>
        <entry><id>b</id><title>b</title></entry></feed>"#;
    let feed = parse_feed(xml.as_bytes(), &input(None)).expect("parses");
    assert_eq!(feed.items[0].published.to_rfc3339(), "2024-05-06T07:08:09+00:00");
    assert!(!feed.items[0].published_is_fetch_time);
    assert!(feed.items[1].published_is_fetch_time);
    assert_eq!(feed.items[1].published, input(None).fetched_at);
}

#[test]
fn the_item_cap_is_applied_before_mapping_and_keeps_what_keep_newest_keeps() {
    // Dates out of order and some missing (those take the fetch time, newer than all).
    let items: Vec<String> = (0..3_000)
        .map(|i| {
            let date = if i % 7 == 0 {
                String::new()
            } else {
                format!(r#","date_published":"2024-01-01T{:02}:{:02}:00Z""#, (i * 13) % 24, i % 60)
            };
            format!(r#"{{"id":"i{i}","url":"https://example.org/{i}","content_html":"<p>item {i}</p>"{date}}}"#)
        })
        .collect();
    let json = format!(r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{}]}}"#, items.join(","));
    let capped = parse_feed_keeping(json.as_bytes(), &input(None), 50).expect("parses");
    let mut whole = parse_feed(json.as_bytes(), &input(None)).expect("parses");
    assert_eq!(whole.items.len(), 3_000);
    crate::parse::keep_newest(&mut whole, 50);
    assert_eq!(capped.items.len(), 50);
    assert_eq!(capped, whole, "the same items, in feed order, with the same warning");
    assert!(capped.warnings.iter().any(|w| w.starts_with("2950 items over the limit of 50")), "{:?}", capped.warnings);
    let under = parse_feed_keeping(json.as_bytes(), &input(None), 3_000).expect("parses");
    assert!(under.warnings.iter().all(|w| !w.contains("over the limit")));
}

#[test]
fn the_item_cap_keeps_the_same_rss_items_as_keep_newest() {
    let mut items = Vec::new();
    for i in 0..500 {
        let date = if i % 5 == 0 {
            String::new()
        } else {
            format!("<pubDate>Tue, 24 Nov 2026 {:02}:{:02}:00 GMT</pubDate>", (i * 37) % 24, i % 60)
        };
        items.push(format!("<item><guid>g{i}</guid><title>t{i}</title>{date}</item>"));
    }
    let items = items.concat();
    let xml = format!(r#"<rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#);
    let capped = parse_feed_keeping(xml.as_bytes(), &input(None), 30).expect("parses");
    let mut whole = parse_feed(xml.as_bytes(), &input(None)).expect("parses");
    crate::parse::keep_newest(&mut whole, 30);
    assert_eq!(capped.items.len(), 30);
    assert_eq!(capped, whole);
}
