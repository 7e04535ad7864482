//! `extract()` on fixture pages we wrote: boilerplate removal, captions,
//! metadata from JSON-LD, a Persian right-to-left page, link resolution and
//! filtering; JSON snapshots of the `Article` contract; no input panics.

use std::path::Path;

use gleaner::extract::{NO_TEXT_NOTE, extract};
use gleaner::model::Article;
use proptest::prelude::*;
use url::Url;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn extract_fixture(name: &str, url: &str) -> Article {
    let url = Url::parse(url).expect("valid fixture URL");
    extract(&fixture(name), Some(&url), Some("Fallback Source"))
}

fn boilerplate() -> Article {
    extract_fixture("boilerplate_heavy.html", "https://www.coastalledger.example/news/harbor-bridge-reopens")
}

#[test]
fn boilerplate_heavy_page_keeps_only_article_paragraphs() {
    let article = boilerplate();
    let paragraphs: Vec<&str> = article.text.split("\n\n").collect();
    assert_eq!(paragraphs.len(), 5, "{paragraphs:#?}");
    assert!(paragraphs[0].starts_with("The harbor bridge reopened"));
    assert!(paragraphs[4].starts_with("Ferry service will continue"));
    for boilerplate in [
        "cookies",
        "Accept all",
        "Sports",
        "Home",
        "Share on",
        "Related coverage",
        "newsletter",
        "Most read",
        "Infrastructure",
        "©",
        "By Maria",
        "Advertisement",
    ] {
        assert!(!article.text.contains(boilerplate), "{boilerplate:?} left in:\n{}", article.text);
    }
}

#[test]
fn cookie_banner_and_comments_are_removed() {
    let article = boilerplate();
    assert!(!article.text.contains("We use cookies"));
    assert!(!article.text.contains("Comments (3)"));
    assert!(!article.text.contains("Forty-eight million dollars, really?"));
}

#[test]
fn captions_are_excluded_from_text() {
    let article = boilerplate();
    assert!(!article.text.contains("Traffic crosses the harbor bridge"), "{}", article.text);
}

#[test]
fn meta_tags_give_metadata() {
    let article = boilerplate();
    assert_eq!(article.title.as_deref(), Some("Harbor bridge reopens after two-year repair"));
    assert_eq!(article.byline.as_deref(), Some("Maria Okafor"));
    assert_eq!(article.outlet.as_deref(), Some("The Coastal Ledger"));
    assert_eq!(article.canonical_url.as_deref(), Some("https://www.coastalledger.example/news/harbor-bridge-reopens"));
    assert_eq!(article.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-05-14T12:30:00+00:00"));
    assert_eq!(article.language.as_deref(), Some("en"));
}

#[test]
fn json_ld_gives_metadata() {
    let article = extract_fixture(
        "json_ld_metadata.html",
        "https://scienceweekly.example/2023/11/underground-river?utm_source=rss",
    );
    assert_eq!(article.title.as_deref(), Some("Researchers map a vast underground river"));
    assert_eq!(article.byline.as_deref(), Some("Tomás Ribeiro, Aiko Tanaka"));
    assert_eq!(article.outlet.as_deref(), Some("Science Weekly"));
    assert_eq!(article.published.map(|d| d.to_rfc3339()).as_deref(), Some("2023-11-02T14:05:00+00:00"));
    assert_eq!(article.canonical_url.as_deref(), Some("https://scienceweekly.example/2023/11/underground-river"));
    assert_eq!(article.language.as_deref(), Some("en"));
    assert!(article.text.contains("How the map was made"));
    assert!(!article.text.contains("Earth"));
}

#[test]
fn persian_rtl_page_is_read_with_its_language() {
    let article = extract_fixture("persian_rtl.html", "https://news.example.ir/fa/news/1234");
    assert_eq!(article.language.as_deref(), Some("fa"));
    assert_eq!(article.title.as_deref(), Some("افزایش بارندگی در استان‌های شمالی"));
    assert_eq!(article.outlet.as_deref(), Some("خبرگزاری نمونه"));
    assert_eq!(article.text.split("\n\n").count(), 3, "{}", article.text);
    assert!(article.text.contains("«این افزایش بارندگی"));
    assert!(!article.text.contains("صفحه اصلی"));
    assert!(!article.text.contains("تلگرام"));
    assert_eq!(article.links.len(), 1);
    assert!(article.links[0].external);
}

#[test]
fn language_is_guessed_from_persian_letters_without_markup() {
    let html = fixture("persian_rtl.html").replace(r#"lang="fa-IR""#, "");
    let article = extract(&html, None, None);
    assert_eq!(article.language.as_deref(), Some("fa"));
    assert!(article.notes.iter().any(|n| n.contains("guessed")));
}

#[test]
fn relative_links_resolve_against_base_and_duplicates_appear_once() {
    let article = extract_fixture("relative_links.html", "https://www.citynews.example/politics/budget-passes");
    let urls: Vec<&str> = article.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://www.citynews.example/politics/budget-2025.html",
            "https://www.auditor.example.gov/reports/2024?id=7",
            "https://www.citynews.example/data/deficit.csv",
        ]
    );
    let first = &article.links[0];
    assert_eq!(first.text, "the spending plan");
    assert!(first.context.starts_with("The city council passed the budget"));
    assert_eq!(first.domain, "citynews.example");
    assert!(!first.external);
    assert!(article.links[1].external);
    assert_eq!(article.links[1].domain, "auditor.example.gov");
}

#[test]
fn nav_share_tag_and_author_links_are_excluded() {
    let article = extract_fixture("relative_links.html", "https://www.citynews.example/politics/budget-passes");
    for link in &article.links {
        for furniture in
            ["linkedin", "facebook", "/category/", "/author/", "mailto", "javascript", "/about", "/sports/"]
        {
            assert!(!link.url.contains(furniture), "{} kept", link.url);
        }
    }
}

#[test]
fn empty_page_says_no_text_found() {
    let article = extract(&fixture("empty_page.html"), None, Some("Source Name"));
    assert!(article.text.is_empty());
    assert!(article.notes.iter().any(|n| n == NO_TEXT_NOTE));
    assert_eq!(article.outlet.as_deref(), Some("Source Name"));
    let garbage = extract("\u{0}<<>>&&;;<\u{fffd}", None, None);
    assert!(garbage.notes.iter().any(|n| n == NO_TEXT_NOTE));
}

#[test]
fn snapshot_boilerplate_heavy() {
    insta::assert_json_snapshot!(boilerplate());
}

#[test]
fn snapshot_json_ld_metadata() {
    insta::assert_json_snapshot!(extract_fixture(
        "json_ld_metadata.html",
        "https://scienceweekly.example/2023/11/underground-river"
    ));
}

#[test]
fn snapshot_persian_rtl() {
    insta::assert_json_snapshot!(extract_fixture("persian_rtl.html", "https://news.example.ir/fa/news/1234"));
}

/// Pieces of real-looking markup, shuffled into broken documents.
fn mangled_html() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<p>".to_owned()),
        Just("</p>".to_owned()),
        Just("<div class=\"article-body\">".to_owned()),
        Just("</div>".to_owned()),
        Just("<a href=\"".to_owned()),
        Just("\">".to_owned()),
        Just("</a>".to_owned()),
        Just("<q>".to_owned()),
        Just("<blockquote class=\"twitter-tweet\">".to_owned()),
        Just("<figcaption>".to_owned()),
        Just("<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"author\":[".to_owned()),
        Just("<base href=\"::\">".to_owned()),
        Just("<html lang=\"".to_owned()),
        Just("<time datetime=\"9999-99-99\">".to_owned()),
        Just("(@".to_owned()),
        Just("&amp;&#x;&#99999999;".to_owned()),
        "[a-zA-Z ,.«»“”\"'@#/:?=&\u{600}-\u{6ff}]{0,40}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn extract_never_panics_on_arbitrary_strings(input in ".{0,400}") {
        let base = Url::parse("https://example.com/a/b").expect("valid");
        let article = extract(&input, Some(&base), None);
        prop_assert!(article.text.is_empty() == article.notes.iter().any(|n| n == NO_TEXT_NOTE));
    }

    #[test]
    fn extract_never_panics_on_mangled_html(input in mangled_html()) {
        let base = Url::parse("https://example.com/a/b").expect("valid");
        let article = extract(&input, Some(&base), Some("Source"));
        for link in &article.links {
            prop_assert!(link.url.starts_with("http"));
        }
    }
}
