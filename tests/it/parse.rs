//! Integration tests: parse. Fixtures in `tests/fixtures/feeds` and
//! `tests/fixtures/pages` are ours, each named for what it exercises.

use chrono::{DateTime, TimeZone, Utc};
use gleaner::model::PageSelectors;
use gleaner::model::canonicalize;
use gleaner::parse::{self, ParseError, ParseInput, ParsedFeed, parse_feed, parse_page};
use gleaner::sanitize::sanitize_html;
use proptest::prelude::*;
use scraper::Selector;
use url::Url;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).single().expect("valid")
}

fn parse_at(path: &str, url: &str) -> Result<ParsedFeed, ParseError> {
    let url = Url::parse(url).expect("valid test URL");
    parse_feed(&fixture(path), &ParseInput { url: Some(&url), content_type: None, fetched_at: fetched_at() })
}

fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339()
}

#[test]
fn rss2_relative_links_are_resolved_and_tracking_params_dropped() {
    let feed = parse_at("feeds/rss2_relative_links_tracking_bare_amp.xml", "https://news.example.org/feed/rss.xml")
        .expect("repaired and parsed");
    assert_eq!(feed.format, "rss2.0");
    assert_eq!(feed.title.as_deref(), Some("AT&T Watch & Friends"));
    assert_eq!(feed.language.as_deref(), Some("en-us"));
    assert!(feed.warnings.iter().any(|w| w.contains("unescaped '&'")), "{:?}", feed.warnings);
    let first = &feed.items[0];
    assert_eq!(first.url.as_deref(), Some("https://news.example.org/2024/05/cafe-talks?id=7"));
    assert_eq!(first.title, "Café talks resume");
    assert_eq!(first.authors, ["Jane Doe"]);
    assert_eq!(first.guid.as_deref(), Some("story-7"));
    assert_eq!(rfc3339(first.published), "2024-05-07T07:30:00+00:00");
    assert!(first.summary.contains(r#"href="https://news.example.org/related""#), "{}", first.summary);
    assert!(first.summary.contains(r#"src="https://news.example.org/feed/img/map.png""#), "{}", first.summary);
    assert!(first.content.contains("<q>a quote</q> &amp; more"), "{}", first.content);
    let second = &feed.items[1];
    assert_eq!(second.url.as_deref(), Some("https://news.example.org/2024/05/second?page=2"));
    assert_eq!(second.authors, ["Ali Rezaei"]);
    assert_eq!(rfc3339(second.published), "2024-05-08T12:05:00+00:00");
}

#[test]
fn parsed_rss2_fixture_matches_snapshot() {
    let feed = parse_at("feeds/rss2_relative_links_tracking_bare_amp.xml", "https://news.example.org/feed/rss.xml")
        .expect("parses");
    insta::assert_json_snapshot!("parsed_rss2_fixture", feed);
}

#[test]
fn atom_xml_base_resolves_entry_links() {
    let feed = parse_at("feeds/atom_xml_base.xml", "https://other.example/feed.atom").expect("parses");
    assert_eq!(feed.format, "atom1.0");
    assert_eq!(feed.title.as_deref(), Some("Le journal"));
    assert_eq!(feed.link.as_deref(), Some("https://blog.example.net/journal/"));
    let first = &feed.items[0];
    assert_eq!(first.url.as_deref(), Some("https://blog.example.net/journal/posts/premier.html"));
    assert_eq!(first.authors, ["Marie"]);
    assert_eq!(rfc3339(first.published), "2024-06-01T08:00:00+00:00");
    assert_eq!(first.updated.map(rfc3339).as_deref(), Some("2024-06-01T09:00:00+00:00"));
    assert_eq!(first.summary, "Un résumé avec &lt;balise&gt; littérale");
    assert!(!first.content.contains("script") && first.content.contains("lien"), "{}", first.content);
    let second = &feed.items[1];
    assert_eq!(second.published, second.updated.expect("updated"));
    assert!(!second.published_is_fetch_time);
}

#[test]
fn json_feed_1_1_maps_fields() {
    let feed = parse_at("feeds/json_feed_1_1.json", "https://json.example.com/feed.json").expect("parses");
    assert_eq!(feed.format, "json1.1");
    assert_eq!(feed.title.as_deref(), Some("JSON Example"));
    assert_eq!(feed.language.as_deref(), Some("en"));
    let first = &feed.items[0];
    assert_eq!(first.url.as_deref(), Some("https://json.example.com/posts/1"));
    assert_eq!(first.authors, ["Sam"]);
    assert_eq!(first.content, "<p>Hi <b>there</b></p>");
    assert_eq!(rfc3339(first.published), "2024-03-04T10:06:07+00:00");
    assert_eq!(feed.items[1].content, "Text only &lt;not a tag&gt;");
}

#[test]
fn rss1_0_feed_parses() {
    let feed = parse_at("feeds/rss1_0.xml", "https://rdf.example.org/index.rdf").expect("parses");
    assert_eq!(feed.format, "rss1.0");
    assert_eq!(feed.language.as_deref(), Some("de"));
    assert_eq!(feed.items[0].title, "Erster Artikel");
    assert_eq!(feed.items[0].authors, ["Hans"]);
    assert_eq!(rfc3339(feed.items[0].published), "2024-01-15T07:00:00+00:00");
}

#[test]
fn windows_1256_persian_feed_decodes_to_exact_text() {
    let feed = parse_at("feeds/persian_windows_1256.xml", "https://fa.example.ir/rss").expect("parses");
    assert_eq!(feed.title.as_deref(), Some("خبرگزاري نمونه"));
    assert_eq!(feed.items[0].title, "گزارش ويژه: گفتگوي پژوهشگران");
    assert_eq!(feed.items[0].summary, "متن کوتاه خبر");
    assert_eq!(rfc3339(feed.items[0].published), "2024-06-01T06:30:00+00:00");
}

#[test]
fn windows_1256_feed_decodes_by_http_charset_without_a_prolog() {
    let doc = "<rss version=\"2.0\"><channel><title>خبر</title><item><title>گزارش ويژه</title><guid>1</guid></item></channel></rss>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(doc);
    assert!(!unmappable);
    let input = ParseInput {
        url: None,
        content_type: Some("application/rss+xml; charset=windows-1256"),
        fetched_at: fetched_at(),
    };
    let feed = parse_feed(&bytes, &input).expect("parses");
    assert_eq!(feed.items[0].title, "گزارش ويژه");
}

#[test]
fn utf16_and_koi8r_feeds_decode() {
    let feed = parse_at("feeds/utf16le_bom.xml", "https://u16.example/feed").expect("utf-16 parses");
    assert_eq!(feed.title.as_deref(), Some("UTF-16 ✓ Ελληνικά"));
    assert_eq!(feed.items[0].title, "Ζωή & χαρά");
    let feed = parse_at("feeds/koi8_r.xml", "https://ru.example/feed").expect("koi8-r parses");
    assert_eq!(feed.title.as_deref(), Some("Новости дня"));
    assert_eq!(feed.items[0].title, "Привет, мир");
    assert_eq!(feed.items[0].summary, "Съешь же ещё этих мягких французских булок");
}

#[test]
fn html_page_served_as_feed_is_a_clear_error() {
    let err = parse_at("feeds/html_page_served_as_feed.html", "https://e.org/feed").expect_err("not a feed");
    assert_eq!(err.to_string(), "not a feed: looks like an HTML page");
}

#[test]
fn malformed_xml_is_a_clear_error_with_a_line() {
    let err = parse_at("feeds/malformed.xml", "https://e.org/feed").expect_err("malformed");
    assert!(matches!(err, ParseError::MalformedXml { line: 5, .. }), "{err}");
    assert!(err.to_string().starts_with("malformed XML at line 5"), "{err}");
}

#[test]
fn entry_without_any_id_has_a_stable_identity_across_parses() {
    let source = test_source();
    let ids = || {
        let feed = parse_at("feeds/entry_without_id.xml", "https://e.org/feed").expect("parses");
        assert!(feed.items.iter().all(|i| i.guid.is_none()), "no invented guids");
        parse::normalize(&feed, &source, fetched_at()).items.iter().map(gleaner::model::NewItem::id).collect::<Vec<_>>()
    };
    let first = ids();
    assert_eq!(first.len(), 2);
    assert_eq!(first, ids());
}

#[test]
fn odd_dates_are_recovered_or_fall_back_to_fetch_time() {
    let feed = parse_at("feeds/odd_dates.xml", "https://e.org/feed").expect("parses");
    let dates: Vec<_> = feed.items.iter().map(|i| (rfc3339(i.published), i.published_is_fetch_time)).collect();
    assert_eq!(dates[0], ("2024-09-05T15:07:06+00:00".to_owned(), false));
    assert_eq!(dates[1], ("2024-09-05T08:07:00+00:00".to_owned(), false));
    assert_eq!(dates[2], ("2024-09-05T08:07:06+00:00".to_owned(), false));
    assert_eq!(dates[3], ("2024-09-05T08:07:06+00:00".to_owned(), false));
    assert_eq!(dates[4], (rfc3339(fetched_at()), true));
    assert_eq!(dates[5], (rfc3339(fetched_at()), true));
    assert!(feed.warnings.iter().any(|w| w.contains("yesterday-ish")), "{:?}", feed.warnings);
}

#[test]
fn hostile_summary_is_sanitized() {
    let feed = parse_at("feeds/hostile_summary.xml", "https://h.example/feed").expect("parses");
    let summary = feed.items[0].summary.to_lowercase();
    for bad in ["<script", "onclick", "onerror", "onload", "javascript", "<iframe", "<form", "style=", "alert"] {
        assert!(!summary.contains(bad), "{bad} survived: {summary}");
    }
    assert!(summary.contains(r#"<img src="https://h.example/x.png">"#), "{summary}");
}

#[test]
fn page_source_reads_items_with_selectors() {
    let s = |x: &str| Selector::parse(x).expect("valid selector");
    let selectors = PageSelectors {
        item: s("article.card"),
        title: Some(s(".headline")),
        link: Some(s(".headline a")),
        date: Some(s("time, .date")),
        summary: Some(s(".teaser")),
    };
    let url = Url::parse("https://site.example/").expect("valid");
    let input = ParseInput { url: Some(&url), content_type: Some("text/html"), fetched_at: fetched_at() };
    let feed = parse_page(&fixture("pages/listing_with_selectors.html"), &selectors, &input).expect("parses");
    assert_eq!(feed.format, "html");
    assert_eq!(feed.title.as_deref(), Some("Example Listing"));
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.items[0].url.as_deref(), Some("https://site.example/news/2024/06/first-story.html"));
    assert_eq!(feed.items[0].title, "First story & more");
    assert_eq!(rfc3339(feed.items[0].published), "2024-06-03T09:00:00+00:00");
    assert_eq!(
        feed.items[0].summary,
        r#"A <em>teaser</em> <a href="https://site.example/about" rel="noopener noreferrer nofollow">about</a>"#
    );
    assert_eq!(feed.items[1].url.as_deref(), Some("https://site.example/2024/06/second.html"));
    assert_eq!(rfc3339(feed.items[1].published), "2024-06-03T12:00:00+00:00");
    assert_eq!(feed.warnings, ["item 3 has no usable link; skipped"]);
}

fn test_source() -> gleaner::model::Source {
    gleaner::model::Source {
        id: "test".into(),
        name: "Test".into(),
        url: Url::parse("https://e.org/feed").expect("valid"),
        kind: gleaner::model::SourceKind::Feed,
        section: None,
        language: None,
        schedule: gleaner::model::Schedule::parse("*/30 * * * *").expect("valid cron"),
        follow: false,
        selectors: None,
        filter: gleaner::model::TextFilter::default(),
        enabled: true,
        public_url: None,
        rules: gleaner::model::ExtractRules::default(),
        fetch: gleaner::model::FetchOverrides::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_feed_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), text in ".{0,300}") {
        let input = ParseInput { url: None, content_type: Some("text/xml; charset=utf-16"), fetched_at: fetched_at() };
        let _ = parse_feed(&bytes, &input);
        for doc in [
            format!("<rss version=\"2.0\"><channel><item><title>{text}</title><description>{text}</description></item>"),
            format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"html\">{text}</title>"),
            format!("{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{{\"id\":\"{text}\"}}]}}"),
            text.clone(),
        ] {
            let _ = parse_feed(doc.as_bytes(), &input);
        }
    }

    #[test]
    fn parse_page_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), text in ".{0,200}") {
        let selectors = PageSelectors {
            item: Selector::parse("li, article").expect("valid"),
            title: None,
            link: None,
            date: Some(Selector::parse("time").expect("valid")),
            summary: Some(Selector::parse("p").expect("valid")),
        };
        let input = ParseInput { url: None, content_type: None, fetched_at: fetched_at() };
        let _ = parse_page(&bytes, &selectors, &input);
        let doc = format!("<base href=\"{text}\"><li><a href=\"{text}\">{text}</a><time>{text}</time><p>{text}</p></li>");
        let _ = parse_page(doc.as_bytes(), &selectors, &input);
    }

    #[test]
    fn canonicalize_and_sanitize_never_panic(text in ".{0,200}") {
        let base = Url::parse("https://e.org/a/b").expect("valid");
        if let Some(once) = canonicalize(&text, Some(&base)) {
            prop_assert_eq!(canonicalize(&once, None), Some(once.clone()));
        }
        let clean = sanitize_html(&text, Some(&base));
        prop_assert!(!clean.to_lowercase().contains("<script"));
        let _ = parse::parse_date(&text);
    }
}
