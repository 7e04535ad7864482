//! Verification at publish (issue 16.4): a loopback site serves four
//! article pages; after ingest it changes one quote, removes another and
//! 404s a third page, and each chosen quote is checked against the page
//! fetched again through the real fetcher and extractor.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::Utc;
use gleaner::app::App;
use gleaner::editorial::EditChanges;
use gleaner::editorial::rules::Action;
use gleaner::model::{CheckState, Item};

use crate::ingest::write_config;
use crate::support::gleaner;
use crate::support::http::{Reply, TestServer};

/// Each page's title and quote paragraph before and after the site changes.
const PAGES: [(&str, &str, &str); 4] = [
    (
        "Harbour fees rise",
        "<p>“We will not raise the fees again before the quay is repaired,” said Ana Ferreira, the harbour master.</p>",
        "<p>“We will not raise the fees again until the quay is repaired,” said Ana Ferreira, the harbour master.</p>",
    ),
    (
        "Quay repairs delayed",
        "<p>“The contractor has asked for three more months to finish the work,” said Tom Bright, who chairs the board.</p>",
        "<p>The board chair declined to comment on the contractor's request.</p>",
    ),
    (
        "Fishermen protest",
        "<p>“Our boats cannot wait another winter in the southern harbour,” said Lena Holm, a fisherman.</p>",
        "",
    ),
    (
        "Authority publishes schedule",
        "<p>“Every step of the repair is now public, and anyone can follow it,” said Omar Haddad, the authority's spokesman.</p>",
        "",
    ),
];

/// The quoted words chosen from each page.
const QUOTES: [&str; 4] = [
    "We will not raise the fees again before the quay is repaired",
    "The contractor has asked for three more months to finish the work",
    "Our boats cannot wait another winter in the southern harbour",
    "Every step of the repair is now public, and anyone can follow it",
];

struct Site {
    server: TestServer,
    changed: Arc<AtomicBool>,
    /// 304s sent for the untouched page.
    not_modified: Arc<AtomicUsize>,
}

/// A feed of four articles, then (once `changed`) the first with its quote
/// changed, the second without it, the third gone; the fourth answers
/// conditional requests with 304.
fn site() -> Site {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/article.html"))
            .expect("fixture");
    let changed = Arc::new(AtomicBool::new(false));
    let not_modified = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (Arc::clone(&changed), Arc::clone(&not_modified));
    let server = TestServer::start(move |request| {
        let host = request.header("host").unwrap_or("127.0.0.1").to_owned();
        let after = flag.load(Ordering::SeqCst);
        if request.path() == "/feed.xml" {
            let items: Vec<(String, &str, String)> = PAGES
                .iter()
                .enumerate()
                .map(|(n, (title, ..))| (format!("a{n}"), *title, format!("http://{host}/a{n}")))
                .collect();
            let items: Vec<(&str, &str, &str)> = items.iter().map(|(g, t, l)| (g.as_str(), *t, l.as_str())).collect();
            return Reply::ok(crate::ingest::rss(&items)).header("Content-Type", "application/rss+xml");
        }
        let Some(n) = request.path().strip_prefix("/a").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n < 4) else {
            return Reply::new(404);
        };
        if after && n == 2 {
            return Reply::new(404);
        }
        if n == 3 && request.header("if-none-match") == Some("\"v1\"") {
            count.fetch_add(1, Ordering::SeqCst);
            return Reply::new(304).header("ETag", "\"v1\"");
        }
        let (title, before, later) = PAGES[n];
        let quote = if after && n < 2 { later } else { before };
        let page = template.replace("TITLE", title).replace("QUOTE", quote);
        let reply = Reply::ok(page).header("Content-Type", "text/html; charset=utf-8");
        if n == 3 { reply.header("ETag", "\"v1\"") } else { reply }
    });
    Site { server, changed, not_modified }
}

fn config_in(dir: &Path, site: &Site) -> PathBuf {
    let sources = format!(
        "[publish]\noutput_dir = \"feeds\"\n\n[[source]]\nid = \"courier\"\nname = \"Harbour Courier\"\nurl = \"{}\"\nfollow = true\n\n",
        site.server.url("/feed.xml")
    );
    write_config(dir, &sources)
}

/// Each page's item, in `PAGES` order.
fn items(app: &App) -> Vec<Item> {
    let all = app.store.items(&gleaner::store::ItemQuery::default()).expect("items");
    PAGES
        .iter()
        .map(|(title, ..)| all.iter().find(|i| i.title == *title).cloned().unwrap_or_else(|| panic!("no item {title}")))
        .collect()
}

/// Chooses each page's quote and approves the item.
fn choose_and_approve(app: &App) {
    for (item, words) in items(app).iter().zip(QUOTES) {
        let quotes = app.store.quotes(&item.id).expect("quotes");
        let quote = quotes.iter().find(|q| q.text.contains(&words[..30])).unwrap_or_else(|| panic!("{quotes:#?}"));
        let changes = EditChanges { quote_ids: Some(vec![quote.id.clone()]), ..EditChanges::default() };
        let edited = app.editorial.edit(&item.id, item.revision, &changes, "ann", Utc::now()).expect("choose");
        app.editorial.act(&item.id, edited.revision, Action::Approve, "ann", Utc::now()).expect("approve");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn a_changed_quote_a_removed_quote_and_a_404_are_changed_gone_and_gone_and_the_rest_verified() {
    let site = site();
    let dir = tempfile::tempdir().expect("dir");
    let app = crate::support::polled_app(&config_in(dir.path(), &site));
    choose_and_approve(&app);
    let verifier = app.verifier.clone().with_retries(2, std::time::Duration::from_millis(10));

    let before = runtime().block_on(verifier.verify_draft("ann", Utc::now())).expect("verify");
    let states: Vec<CheckState> = before.iter().map(|e| e.quotes[0].check.state).collect();
    assert_eq!(states, [CheckState::Verified; 4], "{before:#?}");

    site.changed.store(true, Ordering::SeqCst);
    let after = runtime().block_on(verifier.verify_draft("ann", Utc::now())).expect("verify");
    let by_title = |title: &str| after.iter().find(|e| e.title == title).unwrap_or_else(|| panic!("{after:#?}"));
    let changed = &by_title(PAGES[0].0).quotes[0].check;
    assert_eq!(changed.state, CheckState::Changed, "{changed:?}");
    assert_eq!(changed.published.trim_end_matches(','), QUOTES[0], "the published form is kept");
    assert_eq!(changed.current.as_deref(), Some("We will not raise the fees again until the quay is repaired"));
    assert_eq!(by_title(PAGES[1].0).quotes[0].check.state, CheckState::Gone);
    let not_found = &by_title(PAGES[2].0).quotes[0].check;
    assert_eq!(not_found.state, CheckState::Gone);
    assert!(not_found.detail.as_deref().unwrap_or_default().contains("404"), "{not_found:?}");
    assert_eq!(by_title(PAGES[3].0).quotes[0].check.state, CheckState::Verified);
    assert!(
        site.not_modified.load(Ordering::SeqCst) >= 1,
        "the untouched page was asked conditionally and answered 304"
    );

    // Stored on the entries, with the published and current forms, and in the audit trail.
    let stored = items(&app);
    let check = stored[0].editor.quote_checks.values().next().expect("stored check");
    assert_eq!((check.state, check.current.is_some()), (CheckState::Changed, true));
    let trail = app.store.audit_for(&stored[0].id).expect("audit");
    assert!(trail.iter().any(|e| e.action == "verify" && e.detail == "1 changed"), "{trail:#?}");
    // The stored text is what the editors chose from: a check stores no page.
    assert!(stored[0].text.contains("before the quay is repaired"));
}

#[test]
fn an_unreachable_page_is_retried_then_unreachable() {
    let site = site();
    let dir = tempfile::tempdir().expect("dir");
    let app = crate::support::polled_app(&config_in(dir.path(), &site));
    choose_and_approve(&app);
    let first = items(&app).remove(0);
    let hits = site.server.hits();
    drop(site);
    let verifier = app.verifier.clone().with_retries(3, std::time::Duration::from_millis(10));
    let checked = runtime().block_on(verifier.verify_item(&first.id, "ann", Utc::now())).expect("verify");
    assert_eq!(checked.quotes[0].check.state, CheckState::Unreachable, "{checked:#?}");
    assert!(hits > 0);
}

#[test]
fn publishing_with_an_unverified_quote_needs_the_confirmation_flag() {
    let site = site();
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), &site);
    choose_and_approve(&crate::support::polled_app(&config));
    site.changed.store(true, Ordering::SeqCst);

    let refused = gleaner(&config, &["publish"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "published without confirmation: {stderr}");
    assert!(stderr.contains("changed") && stderr.contains("--accept-unverified"), "{stderr}");
    assert!(!dir.path().join("feeds/digest.xml").exists(), "nothing went out");

    let verified = gleaner(&config, &["verify", "--issue", "1"]);
    assert!(!verified.status.success(), "no issue 1 yet");

    let published = gleaner(&config, &["publish", "--accept-unverified"]);
    assert!(published.status.success(), "{}", String::from_utf8_lossy(&published.stderr));
    let page = std::fs::read_to_string(dir.path().join("feeds/issues/1.html")).expect("issue page");
    assert!(page.contains("quote checked on"), "the verified quote carries its check");
    assert_eq!(page.matches("quote checked on").count(), 1, "only the verified one");

    let json = gleaner(&config, &["verify", "--issue", "1", "--json"]);
    let out = String::from_utf8_lossy(&json.stdout);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.lines().any(|l| l.contains("\"state\":\"changed\"")), "{out}");
}

/// `fields` as an urlencoded form POST with the session cookie.
async fn post(
    router: &axum::Router,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (axum::http::StatusCode, String) {
    use tower::ServiceExt as _;
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = axum::http::Request::post(path)
        .header(axum::http::header::COOKIE, cookie)
        .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composer_asks_for_confirmation_before_publishing_an_unverified_quote() {
    use gleaner::web::review::{self, UiOptions, UiState};
    let site = site();
    let dir = tempfile::tempdir().expect("dir");
    let config = config_in(dir.path(), &site);
    let app = tokio::task::spawn_blocking(move || {
        let app = crate::support::polled_app(&config);
        choose_and_approve(&app);
        app
    })
    .await
    .expect("ingest");
    site.changed.store(true, Ordering::SeqCst);
    let state = UiState::from_app(&app, UiOptions::default()).expect("ui");
    let (session, csrf) = crate::ui::ann_session(&state, &app.store);
    let cookie = format!("gleaner_session={session}");
    let router = review::routes(state);

    let (status, body) = post(&router, &cookie, "/composer/publish", &[("csrf", &csrf), ("number", "1")]).await;
    assert_eq!(status, axum::http::StatusCode::CONFLICT, "{body}");
    let html = scraper::Html::parse_document(&body);
    let select = |css: &str| -> Vec<String> {
        html.select(&scraper::Selector::parse(css).expect("selector")).map(|e| e.text().collect()).collect()
    };
    assert_eq!(select("input[name=accept_unverified]").len(), 1, "the confirmation asks: {body}");
    let mut shown: Vec<String> = select(".quote-check strong");
    shown.sort();
    assert_eq!(shown, ["changed", "gone", "gone", "verified"], "{body}");
    assert!(select(".quote-check.changed .now").iter().any(|t| t.contains("until the quay is repaired")));
    assert!(!dir.path().join("feeds/digest.xml").exists(), "nothing went out");

    let confirmed = [("csrf", csrf.as_str()), ("number", "1"), ("accept_unverified", "1")];
    let (status, body) = post(&router, &cookie, "/composer/publish", &confirmed).await;
    assert!(status.is_redirection(), "{status}: {body}");
    let page = std::fs::read_to_string(dir.path().join("feeds/issues/1.html")).expect("issue page");
    assert_eq!(page.matches("quote checked on").count(), 1, "the verified quote says so");
}
