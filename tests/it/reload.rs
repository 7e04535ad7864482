//! Live config reload: a valid edit reaches the running scheduler (a new
//! source is polled), an invalid one is refused with `file:line:col` errors
//! that the review UI shows while the previous config stays in force.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use gleaner::app::ConfigStatus;
use gleaner::config::PublishSettings;
use gleaner::daemon::reload::{ReloadOutcome, Reloader};
use gleaner::editorial::Editorial;
use gleaner::publish::Publisher;
use gleaner::publish::render::Renderer;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use scraper::{Html, Selector};
use tower::ServiceExt as _;

use crate::ingest::{rss, source, write_config};
use crate::support::http::{Reply, TestServer};

fn feeds() -> TestServer {
    TestServer::start(|req| match req.path() {
        "/a" => Reply::ok(rss(&[("a1", "From A", "http://example.org/a1")])),
        "/b" => Reply::ok(rss(&[("b1", "From B", "http://example.org/b1")])),
        _ => Reply::new(404),
    })
}

fn hits(server: &TestServer, path: &str) -> usize {
    server.requests().iter().filter(|r| r.path() == path).count()
}

/// Waits up to 10 s for `done`.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn load(path: &Path) -> gleaner::config::Config {
    gleaner::app::load_config(path).unwrap_or_else(|e| panic!("test config invalid:\n{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_edit_adds_a_source_that_gets_polled() {
    let server = feeds();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), &source("a", server.url("/a").as_str()));
    let config = load(&path);
    let ingest = gleaner::app::ingest(&config).expect("ingest");
    let status = ConfigStatus::new(config.sources.clone());
    let (reloader, sources) = Reloader::new(&path, &config, status.clone());

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let when_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let polled = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&polled);
    let runner =
        tokio::spawn(gleaner::daemon::scheduler::run(ingest, sources, Utc::now, when_stopped(), move |r, _| {
            log.lock().expect("lock").push(r.source.clone());
        }));
    let watcher = tokio::spawn(reloader.watch(Duration::from_millis(50), when_stopped()));

    eventually("the first poll of a", || hits(&server, "/a") == 1).await;
    write_config(dir.path(), &(source("a", server.url("/a").as_str()) + &source("b", server.url("/b").as_str())));
    eventually("the new source b to be polled", || hits(&server, "/b") == 1).await;
    assert_eq!(status.sources().len(), 2);
    assert!(status.errors().is_empty());

    // Removing a source stops its polls; the one left is not polled again (its schedule is not due).
    write_config(dir.path(), &source("b", server.url("/b").as_str()));
    eventually("the removal", || status.sources().len() == 1).await;

    stop.send(true).expect("runner listening");
    let summary = runner.await.expect("runner finished");
    watcher.await.expect("watcher finished");
    assert_eq!(summary.polls, 2, "{:?}", polled.lock().expect("lock"));
    assert_eq!(*polled.lock().expect("lock"), ["a", "b"]);
}

/// A review UI showing `status`, over `store`, logged in as "ann".
fn ui(store: &Arc<dyn gleaner::store::Store>, status: ConfigStatus) -> (axum::Router, String) {
    let editorial = Editorial::new(Arc::clone(store)).expect("editorial");
    let settings = PublishSettings::defaults(&std::env::temp_dir());
    let preview = Preview::new(Arc::new(Publisher::new(settings, Renderer::builtin(), &[])), Arc::clone(store));
    let state = UiState::new(editorial, Pages::builtin().with_config_status(status), preview, UiOptions::default());
    let (session, _csrf) = crate::ui::ann_session(&state, store);
    (review::routes(state), format!("gleaner_session={session}"))
}

async fn get_html(router: &axum::Router, cookie: &str, path: &str) -> (StatusCode, Html) {
    let request = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible router");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.expect("body");
    (status, Html::parse_document(&String::from_utf8_lossy(&bytes)))
}

fn texts(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).expect("valid selector");
    html.select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

#[tokio::test]
async fn invalid_edit_keeps_the_old_config_and_shows_the_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), &source("a", "http://127.0.0.1:9/a"));
    let config = load(&path);
    let store = gleaner::app::open_store(&config).expect("store");
    let status = ConfigStatus::new(config.sources.clone());
    let (reloader, sources) = Reloader::new(&path, &config, status.clone());

    // Two mistakes: a bad schedule and an unknown key; both are reported.
    write_config(
        dir.path(),
        "[[source]]\nid = \"a\"\nurl = \"http://127.0.0.1:9/a\"\nschedule = \"not cron\"\n\n[[source]]\nid = \"b\"\nurl = \"http://127.0.0.1:9/b\"\nbogus = 1\n",
    );
    let outcome = reloader.reload(Utc::now());
    assert!(matches!(outcome, ReloadOutcome::Rejected { errors } if errors >= 2), "{outcome:?}");
    let errors = status.errors();
    let file = path.display().to_string();
    for error in &errors {
        let position = error.strip_prefix(&format!("{file}:")).unwrap_or_else(|| panic!("no file: {error}"));
        let mut parts = position.splitn(3, ':');
        let (line, col) = (parts.next().expect("line"), parts.next().expect("col"));
        assert!(line.parse::<usize>().is_ok() && col.parse::<usize>().is_ok(), "not file:line:col: {error}");
    }
    assert!(errors.iter().any(|e| e.contains("bogus")), "{errors:?}");
    // The scheduler saw nothing; the config in force is the old one.
    assert!(!sources.has_changed().expect("sender alive"));
    assert_eq!(sources.borrow().iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(status.sources().len(), 1);

    // The review UI shows the errors on every page and on the sources page.
    let (router, cookie) = ui(&store, status.clone());
    for page in ["/queue", "/sources"] {
        let (code, html) = get_html(&router, &cookie, page).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        let banner = texts(&html, ".config-errors li");
        assert_eq!(banner.len(), errors.len(), "{page}: {banner:?}");
        assert!(banner[0].starts_with(&file), "{page}: {banner:?}");
    }
    let (_, html) = get_html(&router, &cookie, "/sources").await;
    assert_eq!(texts(&html, "tr.source code.id"), ["a"]);

    // Fixing the file clears the banner and applies the list.
    write_config(dir.path(), &(source("a", "http://127.0.0.1:9/a") + &source("b", "http://127.0.0.1:9/b")));
    assert_eq!(reloader.reload(Utc::now()), ReloadOutcome::Applied { sources: 2, restart_needed: false });
    assert!(status.errors().is_empty());
    assert!(sources.has_changed().expect("sender alive"));
    let (_, html) = get_html(&router, &cookie, "/queue").await;
    assert!(texts(&html, ".config-errors li").is_empty());
}

#[tokio::test]
async fn sources_page_shows_fetch_state_and_needs_a_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_config(dir.path(), &(source("a", "http://127.0.0.1:9/a") + "enabled = false\n"));
    let config = load(&path);
    let store = gleaner::app::open_store(&config).expect("store");
    let state = gleaner::model::FetchState {
        last_error: Some("HTTP 500 from the server".to_owned()),
        consecutive_failures: 3,
        last_attempt: Some(Utc::now()),
        permanent_redirect: Some("http://example.org/moved".to_owned()),
        ..gleaner::model::FetchState::default()
    };
    store.put_fetch_state("a", &state).expect("seed state");
    let (router, cookie) = ui(&store, ConfigStatus::new(config.sources.clone()));

    let (_, html) = get_html(&router, &cookie, "/sources").await;
    let row = texts(&html, "tr.source").join(" ");
    assert!(row.contains("HTTP 500 from the server"), "{row}");
    assert!(row.contains("Moved permanently to http://example.org/moved"), "{row}");
    assert!(row.contains("disabled"), "{row}");
    assert_eq!(texts(&html, "tr.source td:nth-child(6)"), ["3"]);
    assert!(texts(&html, "header nav a").contains(&"Sources".to_owned()));
    assert!(texts(&html, ".config-errors").is_empty());

    let request = Request::get("/sources").body(Body::empty()).expect("request");
    let response = router.oneshot(request).await.expect("infallible router");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "no session → login");
}

#[tokio::test]
async fn a_reloaded_sources_section_applies_to_the_draft_and_the_next_issue_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = "http://127.0.0.1:9/a";
    let path = write_config(dir.path(), &source("a", feed));
    let config = load(&path);
    // The service's own wiring: one shared source list that the reloader writes.
    let app = gleaner::app::App::build(&path, config.clone(), gleaner::app::Queue::Loaded).expect("app");
    let store = Arc::clone(&app.store);
    let bridge = crate::support::items::entry("a", "story", "Bridge reopens", "<p>Traffic is back.</p>", 0, "en");
    store.upsert_items(std::slice::from_ref(&bridge)).expect("stored");
    let no_edits = gleaner::model::EditorFields::default();
    store.update_editorial(&bridge.id(), 1, gleaner::model::ReviewState::Approved, &no_edits).expect("approved");
    app.editorial.refresh(std::slice::from_ref(&bridge.id())).expect("queue refreshed");
    let ui = UiState::from_app(&app, UiOptions::default()).expect("ui");
    let publisher = Arc::clone(&app.publisher);
    let (reloader, _sources) = Reloader::new(&path, &config, app.status.clone());
    let configured = ["Top".to_owned()];
    let draft_sections = || -> Vec<(String, usize)> {
        let draft = ui.editorial().draft(&configured).expect("draft");
        draft.into_iter().filter(|s| !s.items.is_empty()).map(|s| (s.name, s.items.len())).collect()
    };
    assert_eq!(draft_sections(), [("Top".to_owned(), 1)], "no section configured: the first one");

    write_config(dir.path(), &format!("{}\nsection = \"World\"\n", source("a", feed).trim_end()));
    let outcome = reloader.reload(Utc::now());
    assert!(
        matches!(outcome, ReloadOutcome::Applied { sources: 1, .. }),
        "{outcome:?} {:?}",
        ui.config_status().errors()
    );
    eventually("the reloaded section in the draft", || draft_sections() == [("World".to_owned(), 1)]).await;
    let page = publisher.preview(store.as_ref(), Utc::now()).expect("preview").expect("an issue");
    assert!(page.contains("World"), "the next issue files the item under the reloaded section");
}
