//! Main-text recall on the page shapes that are not a plain article: bodies
//! kept in `<noscript>` for crawlers, React streaming islands, a `<main>`
//! swallowed by an unclosed `<aside>`, lists and tables in an article, the
//! replies of a page marked as a discussion thread; and
//! documents that are not pages at all (`extract::sniff`, `gleaner extract`).

use std::path::Path;
use std::process::Command;

use gleaner::extract::{NotPage, extract, sniff};
use url::Url;

fn page(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text_of(name: &str) -> String {
    let url = Url::parse("https://pages.example/item").expect("valid URL");
    extract(&page(name), Some(&url), None).text
}

#[test]
fn noscript_forum_thread_keeps_every_post() {
    let text = text_of("noscript_forum.html");
    assert!(text.contains("dedicated winter tyres are worth the money"), "{text}");
    assert!(text.contains("nine metres shorter"), "second post lost: {text}");
    assert!(!text.contains("Loading"), "{text}");
    assert!(!text.contains("Powered by"), "{text}");
}

#[test]
fn streaming_island_is_content_but_hidden_menus_are_not() {
    let text = text_of("streaming_island.html");
    assert!(text.contains("food-safe two-part epoxy"), "{text}");
    assert!(text.contains("tape across the crack"), "{text}");
    assert!(!text.contains("menu button"), "{text}");
}

#[test]
fn main_inside_an_unclosed_aside_is_still_read() {
    let text = text_of("misnested_main.html");
    assert!(text.contains("Sleeper services will run again"), "{text}");
    assert!(text.contains("Tickets go on sale next week"), "{text}");
}

#[test]
fn article_lists_tables_and_headings_stay_and_comments_go() {
    let text = text_of("article_with_list_and_table.html");
    for kept in [
        "largest in its history",
        "Where the money goes",
        "Four new playgrounds",
        "River path",
        "Work on the river path starts",
    ] {
        assert!(text.contains(kept), "missing {kept:?}: {text}");
    }
    for dropped in ["Most read", "Bus fares rise", "12 comments", "Reader one", "all rights reserved"] {
        assert!(!text.contains(dropped), "kept {dropped:?}: {text}");
    }
}

#[test]
fn sniff_tells_pages_from_binaries_feeds_and_json() {
    assert_eq!(sniff(page("misnested_main.html").as_bytes(), Some("text/html")), None);
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", None), Some(NotPage::Binary("a PNG image")));
    assert_eq!(sniff(b"%PDF-1.4\n%\xe2\xe3", Some("application/pdf")), Some(NotPage::Binary("a PDF document")));
    assert_eq!(sniff(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel/></rss>", None), Some(NotPage::Feed));
    assert_eq!(sniff(b"{\"items\": []}", Some("application/json")), Some(NotPage::Json));
}

#[test]
fn extract_refuses_a_png_with_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = dir.path().join("picture.html");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89")
        .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_gleaner")).arg("extract").arg(&png).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not an HTML page (looks like a PNG image)"), "{stderr}");
    assert!(output.stdout.is_empty(), "printed: {}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn a_listing_pages_content_is_its_grid_of_cards() {
    let text = text_of("listing_cards.html");
    for card in ["Seeded rye loaf", "Cinnamon buns", "Rye crispbread, a tin of twenty"] {
        assert!(text.contains(card), "missing card {card:?}: {text}");
    }
    assert!(text.contains("£4.20"), "a card's price is content too: {text}");
    assert!(!text.contains("All rights reserved"), "{text}");
}

#[test]
fn an_articles_teaser_grid_stays_out() {
    let text = text_of("article_with_teaser_grid.html");
    assert!(text.contains("extra crossing every weekday"), "{text}");
    assert!(text.contains("season tickets bought before June"), "{text}");
    assert!(!text.contains("Lifeboat crew"), "the article, not its teasers: {text}");
}

#[test]
fn a_discussion_pages_replies_are_content() {
    // The page says it is a thread (schema.org `DiscussionForumPosting`), so
    // its comment-named boxes hold posts; an article's comments still go
    // (`article_lists_tables_and_headings_stay_and_comments_go`).
    let text = text_of("discussion_thread_comments.html");
    assert!(text.contains("keep a crate back as seed"), "the question: {text}");
    for reply in ["paper sacks, never plastic", "one rotten tuber spoils", "set a reminder"] {
        assert!(text.contains(reply), "missing reply {reply:?}: {text}");
    }
    assert!(!text.contains("All rights reserved"), "{text}");
    assert!(!text.contains("Log in"), "{text}");
}
