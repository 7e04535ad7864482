//! Watchlists (issue 16.5): an editor follows a speaker or a query, and
//! new matching quotes appear in the queue's Followed tab with a count of
//! those not yet seen. Over `tests/fixtures/search/en.xml` (Ann Mayor, Bob
//! Banker) plus a feed written by the test with items dated now (the tab
//! looks at recent items only): the use-case with and without the search
//! index, the UI through the router, the real binary, the API, and a real
//! Chromium.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use gleaner::app::App;
use gleaner::editorial::Editorial;
use gleaner::model::WatchTarget;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use tower::ServiceExt as _;

use crate::ingest::write_config;
use crate::support::gleaner;

/// `ledger` (the search fixture's English items, dated November 2026) and
/// `late`, a feed the test fills with [`write_late`].
fn config_in(dir: &Path) -> PathBuf {
    config_with(dir, "")
}

/// [`config_in`] with `head` (e.g. a `[server]` table) before the sources.
fn config_with(dir: &Path, head: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search/en.xml");
    std::fs::copy(from, dir.join("en.xml")).expect("copy fixture");
    write_late(dir, &[]);
    let sources = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"en.xml\"\n\n\
                   [[source]]\nid = \"late\"\nname = \"Late Post\"\nurl = \"late.xml\"\n\n";
    write_config(dir, &format!("{head}{sources}"))
}

/// `late.xml` with one item per `(slug, speaker, quote)`, published now.
fn write_late(dir: &Path, items: &[(&str, &str, &str)]) {
    let date = Utc::now().to_rfc2822();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>Late Post</title>\
         <link>http://example.org/late/</link><description>test</description><language>en</language>\n",
    );
    for (slug, speaker, quote) in items {
        let _ = writeln!(
            xml,
            "<item><guid>late-{slug}</guid><title>Late news: {slug}</title><link>http://example.org/late/{slug}</link>\
             <pubDate>{date}</pubDate><description>{slug}</description><content:encoded><![CDATA[\
             <p>Reporters gathered in the capital on {slug} morning for a statement.</p>\
             <p>“{quote},” said {speaker} at a press conference in the capital.</p>\
             <p>Officials declined to comment further on the matter.</p>]]></content:encoded></item>"
        );
    }
    xml.push_str("</channel></rss>\n");
    std::fs::write(dir.join("late.xml"), xml).expect("write late.xml");
}

/// Polls `late` once more (after [`write_late`]) and updates the queue.
async fn poll_late(app: &App) {
    let source = app.config.sources.iter().find(|s| s.id == "late").expect("late source").clone();
    let report = app.ingest.poll_source(&source, Utc::now(), gleaner::ingest::Urgency::Now).await;
    assert!(!report.failed(), "{report:?}");
    app.editorial.refresh(&report.changed).expect("queue refresh");
}

fn ingested(dir: &Path) -> App {
    crate::support::polled_app(&config_in(dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_quotes_of_a_followed_speaker_and_query_are_unseen_until_the_tab_is_opened() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("ingest");
    let editorial = &app.editorial;
    let banker = editorial
        .follow("ann", WatchTarget::Speaker { id: "Bob Banker".into() }, None, Utc::now())
        .expect("follow by name");
    assert_eq!(banker.target, WatchTarget::Speaker { id: "bob-banker".into() }, "followed under the id");
    editorial.follow("ann", WatchTarget::Query { query: "harbour dredging".into() }, None, Utc::now()).expect("query");
    editorial.follow("cy", WatchTarget::Speaker { id: "ann-mayor".into() }, None, Utc::now()).expect("cy");
    let nothing = editorial.follow("ann", WatchTarget::Query { query: "\"\"".into() }, None, Utc::now());
    assert!(matches!(nothing, Err(gleaner::editorial::EditorialError::Invalid { .. })), "{nothing:?}");
    // Old items (published in November) and items from before the follow are not new.
    assert_eq!(editorial.followed("ann", Utc::now()).expect("followed").unseen, 0);

    write_late(
        dir.path(),
        &[
            ("rates", "Bob Banker", "Rates will stay where they are for now"),
            ("port", "Ann Mayor", "The harbour dredging starts in spring"),
            ("weather", "Ann Mayor", "It will rain all week"),
        ],
    );
    poll_late(&app).await;
    let followed = editorial.followed("ann", Utc::now()).expect("followed");
    // The extractor keeps the comma inside the quote marks.
    let quotes: Vec<&str> =
        followed.matches.iter().filter_map(|m| m.quote.as_deref()).map(|q| q.trim_end_matches(',')).collect();
    assert_eq!(followed.unseen, 2, "{quotes:?}");
    assert!(quotes.contains(&"Rates will stay where they are for now"), "the followed speaker: {quotes:?}");
    assert!(quotes.contains(&"The harbour dredging starts in spring"), "the followed query: {quotes:?}");
    assert!(!quotes.contains(&"It will rain all week"), "neither followed: {quotes:?}");
    let rates = followed.matches.iter().find(|m| m.speaker.as_deref() == Some("Bob Banker")).expect("Bob's row");
    assert_eq!(
        (rates.outlet.as_deref(), rates.url.as_deref()),
        (Some("Late Post"), Some("http://example.org/late/rates"))
    );
    assert_eq!(editorial.followed("cy", Utc::now()).expect("cy").unseen, 2, "cy follows Ann: both her new quotes");

    // Without an index (a process that keeps none) the same matches, evaluated in memory.
    let plain = Editorial::new(Arc::clone(&app.store)).expect("editorial").with_sources(&app.config.sources);
    let without = plain.followed("ann", Utc::now()).expect("followed without index");
    assert_eq!(without.matches, followed.matches);

    // Opening the tab lists them as new once, then they are seen.
    let opened = editorial.open_followed("ann", Utc::now()).expect("open");
    assert_eq!(opened.unseen, 2);
    let again = editorial.followed("ann", Utc::now()).expect("again");
    assert_eq!((again.unseen, again.matches.len()), (0, 2), "still listed, no longer new");
    assert_eq!(editorial.followed("cy", Utc::now()).expect("cy").unseen, 2, "cy's tab is cy's");

    // A merge is followed: Ann's quotes under a name merged into Bob's count for Bob's watch.
    editorial.merge_speakers("ann-mayor", "bob-banker", "ann", Utc::now()).expect("merge");
    let merged = editorial.followed("ann", Utc::now()).expect("after the merge");
    assert!(merged.matches.iter().any(|m| m.quote.as_deref() == Some("It will rain all week,")), "{merged:#?}");

    let removed = editorial.unfollow(None, &banker.id).expect("unfollow by id alone");
    assert_eq!(removed.id, banker.id);
    assert_eq!(editorial.watchlist("ann").expect("list").watches.len(), 1);
}

/// A query watch naming a speaker lists that speaker's quotes of the items
/// it matches, not the other people quoted beside them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_watch_naming_a_speaker_lists_only_that_speakers_quotes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("ingest");
    let query = WatchTarget::Query { query: "harbour speaker:\"Ann Mayor\"".into() };
    app.editorial.follow("dee", query, None, Utc::now()).expect("follow");
    let date = Utc::now().to_rfc2822();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>Late Post</title>\
         <link>http://example.org/late/</link><description>test</description><language>en</language>\n\
         <item><guid>late-two</guid><title>Harbour works and loans</title><link>http://example.org/late/two</link>\
         <pubDate>{date}</pubDate><content:encoded><![CDATA[\
         <p>The harbour board met in the capital on Monday morning.</p>\
         <p>“The harbour works start in spring,” said Ann Mayor at a press conference.</p>\
         <p>“The loans for the works are ready,” said Bob Banker after the meeting.</p>]]></content:encoded></item>\
         </channel></rss>\n"
    );
    std::fs::write(dir.path().join("late.xml"), xml).expect("write late.xml");
    poll_late(&app).await;
    let followed = app.editorial.followed("dee", Utc::now()).expect("followed");
    let rows: Vec<(Option<&str>, Option<&str>)> =
        followed.matches.iter().map(|m| (m.speaker.as_deref(), m.quote.as_deref())).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, Some("Ann Mayor"), "{rows:?}");
    assert!(rows[0].1.is_some_and(|q| q.starts_with("The harbour works start in spring")), "{rows:?}");
}

async fn send(
    router: &axum::Router,
    cookie: &str,
    request: axum::http::request::Builder,
    body: String,
) -> (StatusCode, String, String) {
    let request = request.header(header::COOKIE, cookie).body(Body::from(body)).expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let location =
        response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned(), location)
}

fn form(fields: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

fn select(body: &str, css: &str) -> Vec<String> {
    let html = scraper::Html::parse_document(body);
    html.select(&scraper::Selector::parse(css).expect("selector"))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_follows_a_search_and_the_followed_tab_shows_and_clears_its_badge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("ingest");
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let (session, csrf) = crate::ui::ann_session(&state, &app.store);
    let cookie = format!("gleaner_session={session}");
    let router = review::routes(state);
    let get = |path: &str| Request::get(path.to_owned());
    let post =
        |path: &str| Request::post(path.to_owned()).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");

    let (_, queue, _) = send(&router, &cookie, get("/queue?state=all&q=harbour"), String::new()).await;
    assert_eq!(select(&queue, "form.follow-search button"), ["Follow this search"]);
    assert!(select(&queue, ".badge-followed").is_empty(), "nothing followed yet");
    let fields = form(&[("csrf", &csrf), ("kind", "query"), ("target", "harbour"), ("back", "/queue?q=harbour")]);
    let (status, _, location) = send(&router, &cookie, post("/queue/follow"), fields).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/queue?q=harbour"));
    let (_, speaker, _) = send(&router, &cookie, get("/speakers/bob-banker"), String::new()).await;
    assert_eq!(select(&speaker, "#follow-speaker"), ["Follow"]);

    write_late(dir.path(), &[("port", "Ann Mayor", "The harbour dredging starts in spring")]);
    poll_late(&app).await;
    let (_, queue, _) = send(&router, &cookie, get("/queue"), String::new()).await;
    assert_eq!(select(&queue, "#followed-tab .badge-followed"), ["1"]);
    let (status, tab, _) = send(&router, &cookie, get("/queue/followed"), String::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(select(&tab, ".followed-match.unseen blockquote"), ["The harbour dredging starts in spring,"]);
    assert_eq!(select(&tab, ".followed-match .speaker"), ["Ann Mayor"]);
    assert!(tab.contains("href=\"/items/"), "a link to the item");
    let (_, queue, _) = send(&router, &cookie, get("/queue"), String::new()).await;
    assert!(select(&queue, ".badge-followed").is_empty(), "opening the tab cleared the badge");
    let (_, tab, _) = send(&router, &cookie, get("/queue/followed"), String::new()).await;
    assert!(select(&tab, ".followed-match.unseen").is_empty() && select(&tab, ".followed-match").len() == 1);

    let id = app.editorial.watchlist("ann").expect("list").watches[0].id.clone();
    let (status, _, _) = send(&router, &cookie, post("/queue/unfollow"), form(&[("csrf", &csrf), ("id", &id)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(app.editorial.watchlist("ann").expect("list").watches.is_empty());
    let refused = form(&[("csrf", &csrf), ("kind", "query"), ("target", "  ")]);
    let (status, _, _) = send(&router, &cookie, post("/queue/follow"), refused).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "an empty query is flashed back, not a server error");
    assert!(app.editorial.watchlist("ann").expect("list").watches.is_empty());
}

#[test]
fn gleaner_follow_lists_and_unfollows_through_the_binary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    assert!(gleaner(&config, &["fetch"]).status.success());
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let followed = gleaner(&config, &["follow", "speaker", "Bob Banker", "--editor", "ann", "--notify", "newsroom"]);
    assert!(followed.status.success(), "{}", String::from_utf8_lossy(&followed.stderr));
    let id = text(&followed).split('\t').next().expect("an id").to_owned();
    assert!(text(&followed).contains("speaker bob-banker"), "{}", text(&followed));
    let query = gleaner(&config, &["follow", "query", "\"free elections\" outlet:Reuters", "--editor", "ann"]);
    assert!(query.status.success(), "{}", String::from_utf8_lossy(&query.stderr));

    let listed = gleaner(&config, &["follow", "--list", "--editor", "ann", "--json"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let lines: Vec<serde_json::Value> =
        text(&listed).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0]["target"]["kind"].as_str(), lines[0]["id"].as_str()), (Some("speaker"), Some(id.as_str())));
    assert_eq!(lines[0]["notify"], "newsroom", "the notification hook is stored");
    assert_eq!(lines[1]["target"]["query"], "\"free elections\" outlet:Reuters");
    let nobody = gleaner(&config, &["follow", "--list", "--editor", "cy", "--json"]);
    assert!(text(&nobody).trim().is_empty(), "watchlists are per editor");

    let removed = gleaner(&config, &["unfollow", &id]);
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    assert!(text(&removed).starts_with(&format!("unfollowed {id}")));
    let again = gleaner(&config, &["unfollow", &id]);
    assert_eq!(again.status.code(), Some(2), "an unknown watch is a usage error");
    assert_eq!(gleaner(&config, &["follow"]).status.code(), Some(2), "nothing to follow");
    let listed = gleaner(&config, &["follow", "--list", "--editor", "ann", "--json"]);
    assert_eq!(text(&listed).lines().count(), 1);
}

#[test]
fn follow_goes_through_a_running_serve_and_a_token_follows_as_itself() {
    use crate::api::{free_port, request};
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = config_with(dir.path(), &format!("[server]\nbind = \"127.0.0.1:{port}\"\n\n"));
    assert!(gleaner(&config, &["fetch"]).status.success());
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).trim().to_owned();
    let read = text(&gleaner(&config, &["token", "create", "dashboard"]));
    let edit = text(&gleaner(&config, &["token", "create", "bot", "--scope", "edit"]));
    let (mut serve, addr) = crate::support::start_serve(&config, port);

    // The CLI goes through the service, for the editor it names.
    let followed = gleaner(&config, &["follow", "query", "harbour", "--editor", "ann"]);
    assert!(followed.status.success(), "{}", String::from_utf8_lossy(&followed.stderr));
    let id = text(&followed).split('\t').next().expect("an id").to_owned();
    let listed = gleaner(&config, &["follow", "--list", "--editor", "ann", "--json"]);
    assert!(text(&listed).contains(&id), "{}", text(&listed));

    // A token follows as itself; a read token may look but not follow.
    let body = r#"{"kind":"speaker","target":"Bob Banker","notify":"newsroom"}"#;
    let (status, watch) = request(addr, "POST", "/api/v1/watches", Some(&read), Some(body));
    assert_eq!(status, 403, "{watch}");
    let (status, watch) = request(addr, "POST", "/api/v1/watches", Some(&edit), Some(body));
    assert_eq!(status, 200, "{watch}");
    assert_eq!((watch["target"]["id"].as_str(), watch["notify"].as_str()), (Some("bob-banker"), Some("newsroom")));
    let (status, list) = request(addr, "GET", "/api/v1/watches", Some(&edit), None);
    assert_eq!((status, list["editor"].as_str()), (200, Some("api:bot")), "{list}");
    let (status, tab) = request(addr, "GET", "/api/v1/watches/followed", Some(&read), None);
    assert_eq!((status, tab["unseen"].as_u64()), (200, Some(0)), "{tab}");
    let bad = r#"{"kind":"person","target":"x"}"#;
    assert_eq!(request(addr, "POST", "/api/v1/watches", Some(&edit), Some(bad)).0, 400);
    let gone = format!("/api/v1/watches/{}", watch["id"].as_str().expect("id"));
    assert_eq!(request(addr, "DELETE", &gone, Some(&edit), None).0, 200);
    assert_eq!(request(addr, "DELETE", &gone, Some(&edit), None).0, 404, "already gone");

    let removed = gleaner(&config, &["unfollow", &id]);
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    crate::support::terminate(&mut serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_follows_a_speaker_and_the_followed_badge_counts_then_clears() {
    if !crate::browser::browser_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("app");
    app.editorial.add_user("ann", "correct horse battery", Utc::now()).expect("user");
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let served = crate::browser::ServedUi::start(review::routes(state)).await;
    let base = served.base.clone();
    let driver = crate::browser::Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = crate::browser::browser(&driver, profile.path()).await;
    let run = async {
        crate::browser::log_in_at(&client, &base, "/speakers/bob-banker").await;
        client.find(fantoccini::Locator::Css("#follow-speaker")).await.expect("Follow").click().await.expect("click");
        crate::browser::wait_for_text(&client, "body", "Following speaker bob-banker").await;
        client.goto(&format!("{base}/queue")).await.expect("goto");
        crate::browser::wait_for_text(&client, "#followed-tab", "Followed").await;
        assert!(crate::browser::texts(&client, ".badge-followed").await.is_empty(), "no new quote yet");

        write_late(dir.path(), &[("rates", "Bob Banker", "Rates will stay where they are for now")]);
        poll_late(&app).await;
        client.goto(&format!("{base}/queue")).await.expect("reload");
        crate::browser::wait_for_text(&client, "#followed-tab .badge-followed", "1").await;
        client.find(fantoccini::Locator::Css("#followed-tab")).await.expect("tab").click().await.expect("click");
        crate::browser::wait_for_path(&client, "/queue/followed").await;
        crate::browser::wait_for_text(&client, ".followed-match.unseen blockquote", "Rates will stay where they are")
            .await;
        client.goto(&format!("{base}/queue")).await.expect("back to the queue");
        crate::browser::wait_for_text(&client, "#followed-tab", "Followed").await;
        assert!(crate::browser::texts(&client, ".badge-followed").await.is_empty(), "the badge cleared");
    };
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(120), run).await;
    let _ = client.close().await;
    drop(driver);
    served.stop().await;
    outcome.expect("the browser test finished within two minutes");
}
