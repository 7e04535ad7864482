//! Speakers (issue 16.2): people counted across outlets from the quotes of
//! ingested fixture feeds, the `/speakers` pages through the review router,
//! and `gleaner speakers --json` through the binary.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gleaner::app::App;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use tower::ServiceExt as _;

use crate::ingest::write_config;
use crate::support::gleaner;

/// Two outlets quoting Ann Mayor, one quoting Bob Banker.
fn config_in(dir: &Path) -> PathBuf {
    for name in ["en.xml", "wire.xml"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search").join(name);
        std::fs::copy(from, dir.join(name)).expect("copy fixture");
    }
    let sources = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"en.xml\"\n\n\
                   [[source]]\nid = \"wire\"\nname = \"City Wire\"\nurl = \"wire.xml\"\n\n";
    write_config(dir, sources)
}

fn ingested(dir: &Path) -> App {
    crate::support::polled_app(&config_in(dir))
}

#[test]
fn speakers_are_counted_across_outlets_and_a_page_lists_every_quote() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = ingested(dir.path());
    let speakers = app.editorial.speakers(None, 10).expect("speakers");
    let ann = speakers.iter().find(|s| s.id == "ann-mayor").unwrap_or_else(|| panic!("{speakers:#?}"));
    assert_eq!((ann.name.as_str(), ann.quotes, ann.items), ("Ann Mayor", 2, 2));
    let mut outlets: Vec<&str> = ann.outlets.iter().map(|(o, _)| o.as_str()).collect();
    outlets.sort_unstable();
    assert_eq!(outlets, ["City Wire", "Daily Ledger"]);
    assert_eq!(speakers[0].id, "ann-mayor", "the most quoted first");
    assert!(speakers.iter().any(|s| s.id == "bob-banker"));

    let page = app.editorial.speaker_page("ann-mayor").expect("page").expect("Ann was quoted");
    let texts: Vec<&str> = page.quotes.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].starts_with("The bridge will open"), "newest first: {texts:?}");
    assert!(texts[1].starts_with("We need more time"));
    assert!(app.editorial.speaker_page("nobody-at-all").expect("page").is_none());
}

async fn get(router: &axum::Router, cookie: &str, path: &str) -> (StatusCode, String) {
    let request = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_speaker_pages_list_people_and_their_quotes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("ingest");
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let (session, _) = crate::ui::ann_session(&state, &app.store);
    let cookie = format!("gleaner_session={session}");
    let router = review::routes(state);

    let (status, body) = get(&router, &cookie, "/speakers?days=0").await;
    assert_eq!(status, StatusCode::OK);
    let html = scraper::Html::parse_document(&body);
    let names: Vec<String> = html
        .select(&scraper::Selector::parse("tr.speaker td a").expect("selector"))
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("Ann Mayor"), "{names:?}");
    let (_, filtered) = get(&router, &cookie, "/speakers?days=0&q=banker").await;
    assert!(filtered.contains("Bob Banker") && !filtered.contains("Ann Mayor"));

    let (status, body) = get(&router, &cookie, "/speakers/ann-mayor").await;
    assert_eq!(status, StatusCode::OK);
    let html = scraper::Html::parse_document(&body);
    let quotes: Vec<String> = html
        .select(&scraper::Selector::parse(".speaker-quote blockquote").expect("selector"))
        .map(|q| q.text().collect())
        .collect();
    assert_eq!(quotes.len(), 2);
    assert!(body.contains("City Wire") && body.contains("Daily Ledger"), "each quote's outlet");
    let originals: Vec<&str> = html
        .select(&scraper::Selector::parse(".speaker-quote .meta a[rel]").expect("selector"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(originals.contains(&"http://example.org/wire/bridge"), "a link to the original: {originals:?}");
    let (status, _) = get(&router, &cookie, "/speakers/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn gleaner_speakers_lists_json_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    assert!(gleaner(&config, &["fetch"]).status.success());
    let output = gleaner(&config, &["speakers", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines[0]["id"], "ann-mayor");
    assert_eq!(lines[0]["quotes"], 2);
}
