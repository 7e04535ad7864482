//! Quote provenance (issue 16.3) and editors' speaker merges and splits
//! (16.2), over `tests/fixtures/provenance/`: Ann Mayor's one quote run
//! five times by three outlets (trimmed, extended, curly and straight
//! quote marks), and the same words by Bob Banker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gleaner::app::App;
use gleaner::speakers::QuoteRecord;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use tower::ServiceExt as _;

use crate::ingest::write_config;
use crate::support::gleaner;

fn config_in(dir: &Path) -> PathBuf {
    for name in ["ledger.xml", "wire.xml", "post.xml"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/provenance").join(name);
        std::fs::copy(from, dir.join(name)).expect("copy fixture");
    }
    let sources = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"ledger.xml\"\n\n\
                   [[source]]\nid = \"wire\"\nname = \"City Wire\"\nurl = \"wire.xml\"\n\n\
                   [[source]]\nid = \"post\"\nname = \"Evening Post\"\nurl = \"post.xml\"\n\n";
    write_config(dir, sources)
}

fn only(records: &[QuoteRecord]) -> &QuoteRecord {
    assert_eq!(records.len(), 1, "{records:#?}");
    &records[0]
}

#[test]
fn one_quote_in_five_articles_is_one_record_with_the_first_outlet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = crate::support::polled_app(&config_in(dir.path()));
    let ann = app.editorial.quote_records(Some("ann-mayor"), 10).expect("records");
    let record = only(&ann);
    assert_eq!(record.occurrences.len(), 5, "{record:#?}");
    let first = record.first().expect("a first occurrence");
    assert_eq!(first.outlet.as_deref(), Some("Daily Ledger"));
    assert_eq!(record.repeated_by(), ["City Wire", "Evening Post"]);
    assert!(record.text.contains("and not next year either"), "the longest form is kept: {}", record.text);

    let bob = app.editorial.quote_records(Some("Bob Banker"), 10).expect("records");
    assert_eq!(only(&bob).occurrences.len(), 1, "the same words by another speaker stay apart");
    assert_eq!(app.editorial.quote_records(None, 10).expect("all").len(), 2);

    // A refetch of every source changes nothing.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for source in app.config.sources.clone() {
        runtime.block_on(app.ingest.poll_source(&source, chrono::Utc::now(), gleaner::ingest::Urgency::Now));
    }
    let again = app.editorial.quote_records(Some("ann-mayor"), 10).expect("records");
    assert_eq!(again, ann);
}

async fn send(router: &axum::Router, cookie: &str, request: Request<Body>) -> (StatusCode, String) {
    let mut request = request;
    request.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie"));
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn ui(app: &App) -> (axum::Router, String, String) {
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let (session, csrf) = crate::ui::ann_session(&state, &app.store);
    (review::routes(state), format!("gleaner_session={session}"), csrf)
}

#[tokio::test]
async fn the_item_page_says_who_reported_a_quote_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || crate::support::polled_app(&config_in(&path))).await.expect("app");
    let post = app.store.item_by_url("http://example.org/post-taxes").expect("read").expect("stored");
    let (router, cookie, _) = ui(&app);
    let (status, body) =
        send(&router, &cookie, Request::get(format!("/items/{}", post.id)).body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    let html = scraper::Html::parse_document(&body);
    let lines: Vec<String> =
        html.select(&scraper::Selector::parse("p.provenance").expect("selector")).map(|p| p.text().collect()).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("first reported by Daily Ledger on 2026-11-10; repeated by 2 outlets"), "{lines:?}");
}

#[tokio::test]
async fn editors_merge_and_split_speakers_in_the_ui_and_search_follows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || crate::support::polled_app(&config_in(&path))).await.expect("app");
    let (router, cookie, csrf) = ui(&app);
    let form = |path: &str, body: String| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };
    let (status, _) =
        send(&router, &cookie, form("/speakers/bob-banker/merge", format!("csrf={csrf}&into=ann-mayor"))).await;
    assert!(status.is_redirection(), "{status}");
    let page = app.editorial.speaker_page("ann-mayor").expect("page").expect("Ann");
    assert_eq!(page.quotes.len(), 6, "Bob's quote is Ann's now");
    assert!(page.speaker.aliases.contains(&"Bob Banker".to_owned()));
    assert_eq!(page.history.len(), 1);
    let found = app.editorial.search("speaker:\"Ann Mayor\"", 20).expect("search");
    assert!(found.results.iter().any(|r| r.title == "Banker echoes the mayor"), "{found:#?}");
    let (_, body) = send(&router, &cookie, Request::get("/speakers/ann-mayor").body(Body::empty()).expect("get")).await;
    assert!(body.contains("Bob Banker") && body.contains("merge"), "the page shows the alias and the history");

    // A later ingest keeps the editors' merge.
    for source in app.config.sources.clone() {
        app.ingest.poll_source(&source, chrono::Utc::now(), gleaner::ingest::Urgency::Now).await;
    }
    assert_eq!(app.editorial.speaker_page("ann-mayor").expect("page").expect("Ann").quotes.len(), 6);

    let (status, _) =
        send(&router, &cookie, form("/speakers/ann-mayor/split", format!("csrf={csrf}&alias=Bob+Banker"))).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(app.editorial.speaker_page("ann-mayor").expect("page").expect("Ann").quotes.len(), 5);
    assert!(app.editorial.speaker_page("bob-banker").expect("page").is_some());
    let found = app.editorial.search("speaker:\"Ann Mayor\"", 20).expect("search");
    assert!(!found.results.iter().any(|r| r.title == "Banker echoes the mayor"));
}

#[test]
fn gleaner_quotes_and_speakers_merge_on_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    assert!(gleaner(&config, &["fetch"]).status.success());
    let output = gleaner(&config, &["quotes", "--speaker", "ann-mayor", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["occurrences"].as_array().map(Vec::len), Some(5));
    assert_eq!(lines[0]["occurrences"][0]["outlet"], "Daily Ledger");

    let merged = gleaner(&config, &["speakers", "merge", "Bob Banker", "ann-mayor", "--as", "ed"]);
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    assert_eq!(String::from_utf8_lossy(&merged.stdout).trim(), "ann-mayor");
    let output = gleaner(&config, &["speakers", "--json"]);
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&output.stdout).lines().next().expect("a line")).expect("JSON");
    assert_eq!((first["id"].as_str(), first["quotes"].as_u64()), (Some("ann-mayor"), Some(6)));
    let split = gleaner(&config, &["speakers", "split", "ann-mayor", "Bob Banker", "--as", "ed"]);
    assert!(split.status.success(), "{}", String::from_utf8_lossy(&split.stderr));
    assert_eq!(String::from_utf8_lossy(&split.stdout).trim(), "bob-banker");
    let refused = gleaner(&config, &["speakers", "merge", "ann-mayor", "ann-mayor", "--as", "ed"]);
    assert!(!refused.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_searches_by_speaker_and_opens_the_speaker_page() {
    if !crate::browser::browser_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || crate::support::polled_app(&config_in(&path))).await.expect("app");
    app.editorial.add_user("ann", "correct horse battery", chrono::Utc::now()).expect("user");
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let served = crate::browser::ServedUi::start(review::routes(state)).await;
    let base = served.base.clone();
    let driver = crate::browser::Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = crate::browser::browser(&driver, profile.path()).await;
    crate::browser::log_in_at(&client, &base, "/speakers").await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("state", "all")
        .append_pair("q", "speaker:\"Bob Banker\"")
        .finish();
    client.goto(&format!("{base}/queue?{query}")).await.expect("goto");
    crate::browser::wait_for_text(&client, "body", "Banker echoes the mayor").await;
    let shown = crate::browser::texts(&client, "body").await.join(" ");
    assert!(!shown.contains("Taxes stay flat"), "only Bob's item: {shown}");
    client.goto(&format!("{base}/speakers/ann-mayor")).await.expect("goto");
    crate::browser::wait_for_text(&client, ".speaker-quote blockquote", "We will not raise taxes").await;
    assert_eq!(crate::browser::texts(&client, ".speaker-quote").await.len(), 5);
    let _ = client.close().await;
    served.stop().await;
}
