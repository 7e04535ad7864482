//! Integration tests: ingest (fetch → parse → normalize → store) against
//! scripted servers on 127.0.0.1, with a real sled store in a temp dir.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use gleaner::config::Config;
use gleaner::ingest::{Ingest, Outcome, Urgency};
use gleaner::model::{EditorFields, ReviewState};
use gleaner::store::{ItemQuery, Store};
use tempfile::TempDir;

use crate::support::http::{Reply, Request, TestServer};

pub fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test feed</title><link>http://example.org/</link><description>d</description>"#,
    );
    for (guid, title, link) in items {
        write!(
            xml,
            "<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate><description>About {title}</description></item>"
        )
        .expect("writing to a String cannot fail");
    }
    xml.push_str("</channel></rss>");
    xml
}

/// A config in a temp dir: settings for fast tests plus the given `[[source]]` tables.
pub struct TestConfig {
    /// Holds the store and config files for the test's lifetime.
    _dir: TempDir,
    pub config: Config,
}

impl TestConfig {
    pub fn new(sources: &str) -> Self {
        Self::with_private_networks(sources, true)
    }

    /// As the shipped config: item links to 127.0.0.1 and other private
    /// addresses are refused (the source URL itself may still be loopback).
    pub fn guarded(sources: &str) -> Self {
        Self::with_private_networks(sources, false)
    }

    fn with_private_networks(sources: &str, allow: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write_config_with(dir.path(), sources, allow);
        let config = gleaner::app::load_config(&path).unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
        Self { _dir: dir, config }
    }

    pub fn ingest(&self) -> Ingest {
        gleaner::app::ingest(&self.config).expect("ingest starts")
    }
}

pub fn write_config(dir: &Path, sources: &str) -> std::path::PathBuf {
    write_config_with(dir, sources, true)
}

/// `write_config` with `fetch.allow_private_networks` as given.
pub fn write_config_with(dir: &Path, sources: &str, allow_private_networks: bool) -> std::path::PathBuf {
    let path = dir.join("gleaner.toml");
    let text = format!(
        "store = \"store.sled\"\n\n[fetch]\nallow_private_networks = {allow_private_networks}\ntimeout_secs = 5\nconnect_timeout_secs = 2\n\n{sources}"
    );
    std::fs::write(&path, text).expect("write config");
    path
}

pub fn source(id: &str, url: &str) -> String {
    format!("[[source]]\nid = \"{id}\"\nurl = \"{url}\"\n\n")
}

fn all_items(store: &Arc<dyn Store>) -> Vec<gleaner::model::Item> {
    store.items(&ItemQuery::default()).expect("list items")
}

#[tokio::test]
async fn same_feed_twice_stores_nothing_new() {
    let body = rss(&[("a", "First", "http://example.org/1"), ("b", "Second", "http://example.org/2")]);
    let server = TestServer::start(move |_| Reply::ok(body.clone()).header("Content-Type", "application/rss+xml"));
    let test = TestConfig::new(&source("feed", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];

    let first = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!(first.outcome, Outcome::Ok);
    assert_eq!(first.new_items, 2);
    let second = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!(second.outcome, Outcome::Unchanged, "an identical body is not parsed again");
    assert_eq!((second.new_items, second.updated_items), (0, 0));
    assert_eq!(all_items(ingest.store()).len(), 2);
}

#[tokio::test]
async fn not_modified_costs_no_parse_and_keeps_items() {
    let body = rss(&[("a", "First", "http://example.org/1")]);
    let server = TestServer::start(move |req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::new(304)
        } else {
            Reply::ok(body.clone()).header("ETag", "\"v1\"")
        }
    });
    let test = TestConfig::new(&source("feed", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    assert_eq!(ingest.poll_source(source, Utc::now(), Urgency::Now).await.outcome, Outcome::Ok);
    let second = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!(second.outcome, Outcome::NotModified);
    let state = ingest.store().fetch_state("feed").expect("state").expect("stored");
    assert_eq!(state.last_status, Some(304));
    assert_eq!(state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(all_items(ingest.store()).len(), 1);
}

#[tokio::test]
async fn refetch_updates_feed_fields_and_keeps_editor_fields() {
    let server = TestServer::start(|req| {
        let title = if req.seq == 0 { "Old title" } else { "New title" };
        Reply::ok(rss(&[("a", title, "http://example.org/1")]))
    });
    let test = TestConfig::new(&source("feed", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    let item = all_items(ingest.store()).remove(0);
    let editor = EditorFields {
        headline: Some("Editor's headline".into()),
        commentary: Some("Our words".into()),
        section: Some("In English".into()),
        ..EditorFields::default()
    };
    ingest.store().update_editorial(&item.id, item.revision, ReviewState::Approved, &editor).expect("edit");

    let report = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!((report.new_items, report.updated_items), (0, 1));
    let after = ingest.store().item(&item.id).expect("read").expect("still there");
    assert_eq!(after.title, "New title");
    assert_eq!(after.state, ReviewState::Approved);
    assert_eq!(after.editor, editor);
    assert!(after.revision > item.revision);
}

#[tokio::test]
async fn same_canonical_url_from_two_sources_is_one_item() {
    let server = TestServer::start(|req| {
        let guid = if req.path() == "/one" { "one-1" } else { "two-1" };
        Reply::ok(rss(&[(guid, "Shared story", "http://Example.org/story?utm_source=x#top")]))
    });
    let sources = source("one", server.url("/one").as_str()) + &source("two", server.url("/two").as_str());
    let test = TestConfig::new(&sources);
    let ingest = test.ingest();
    let report = ingest.poll_many(&test.config.sources, Utc::now(), Urgency::Now, |_| {}).await;
    assert_eq!(report.new_items(), 1, "{report:?}");
    let items = all_items(ingest.store());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].url.as_deref(), Some("http://example.org/story"));
    let mut sources = items[0].sources.clone();
    sources.sort();
    assert_eq!(sources, ["one", "two"]);
}

#[tokio::test]
async fn malformed_feed_fails_only_its_source_and_keeps_stored_items() {
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&broken);
    let server = TestServer::start(move |req| match (req.path(), flag.load(Ordering::SeqCst)) {
        ("/bad", false) => Reply::ok(rss(&[("x", "Kept", "http://example.org/kept")])),
        ("/bad", true) => Reply::ok("<rss version=\"2.0\"><channel><item><title>broken</titl></item></channel></rss>")
            .header("Content-Type", "text/xml"),
        _ => Reply::ok(rss(&[("g", "Good", "http://example.org/good")])),
    });
    let sources = source("bad", server.url("/bad").as_str()) + &source("good", server.url("/good").as_str());
    let test = TestConfig::new(&sources);
    let ingest = test.ingest();
    let bad = &test.config.sources[0];
    ingest.poll_source(bad, Utc::now(), Urgency::Now).await;
    assert_eq!(all_items(ingest.store()).len(), 1);
    broken.store(true, Ordering::SeqCst);

    let report = ingest.poll_many(&test.config.sources, Utc::now(), Urgency::Now, |_| {}).await;
    let failed: Vec<_> = report.sources.iter().filter(|r| r.failed()).map(|r| r.source.as_str()).collect();
    assert_eq!(failed, ["bad"]);
    assert!(report.any_failed());
    let titles: Vec<_> = all_items(ingest.store()).into_iter().map(|i| i.title).collect();
    assert!(titles.contains(&"Kept".to_owned()) && titles.contains(&"Good".to_owned()), "{titles:?}");

    let state = ingest.store().fetch_state("bad").expect("state").expect("stored");
    assert_eq!(state.consecutive_failures, 1);
    assert!(state.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(state.next_due.is_some_and(|due| due > Utc::now()), "a failing source is retried later, never dropped");
}

#[tokio::test]
async fn html_where_a_feed_was_expected_is_a_clear_error() {
    let server = TestServer::start(|_| {
        Reply::ok("<!doctype html><html><head><title>Home</title></head><body><p>Hi</p></body></html>")
            .header("Content-Type", "text/html; charset=utf-8")
    });
    let test = TestConfig::new(&source("page-not-feed", server.url("/").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    let Outcome::Failed { error } = &report.outcome else { panic!("expected failure, got {report:?}") };
    assert!(error.to_lowercase().contains("html"), "error should say it looks like HTML: {error}");
}

#[tokio::test]
async fn retry_after_defers_even_a_manual_poll() {
    let server = TestServer::start(|_| Reply::new(429).header("Retry-After", "120"));
    let test = TestConfig::new(&source("busy", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    let now = Utc::now();
    let first = ingest.poll_source(source, now, Urgency::Now).await;
    assert!(first.failed());
    let state = ingest.store().fetch_state("busy").expect("state").expect("stored");
    let until = state.retry_after.expect("Retry-After recorded");
    assert!(until >= now + TimeDelta::seconds(119) && until <= now + TimeDelta::seconds(125), "{until}");
    assert!(state.next_due >= Some(until));

    let second = ingest.poll_source(source, now + TimeDelta::seconds(60), Urgency::Now).await;
    assert!(matches!(second.outcome, Outcome::Deferred { .. }), "{second:?}");
    assert_eq!(server.hits(), 1, "no request before Retry-After passed");
    ingest.poll_source(source, now + TimeDelta::seconds(130), Urgency::Now).await;
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn repeated_failures_back_off_exponentially() {
    let server = TestServer::start(|_| Reply::new(500));
    let test = TestConfig::new(&source("down", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    let now = Utc::now();
    let mut delays = Vec::new();
    for attempt in 0..4 {
        let at = now + TimeDelta::days(attempt);
        let report = ingest.poll_source(source, at, Urgency::Now).await;
        assert!(report.failed());
        delays.push(report.next_due.expect("always due again") - at);
    }
    let state = ingest.store().fetch_state("down").expect("state").expect("stored");
    assert_eq!(state.consecutive_failures, 4);
    assert_eq!(state.last_status, Some(500));
    // Equal jitter: each delay lies in [step/2, step) and the steps double (60 s base).
    for (n, delay) in delays.iter().enumerate() {
        let step = 60 * (1_i64 << n);
        assert!(delay.num_seconds() >= step / 2 && delay.num_seconds() <= step, "attempt {n}: {delay}");
    }
}

#[tokio::test]
async fn scheduled_poll_skips_a_source_not_yet_due() {
    let server = TestServer::start(|_| Reply::ok(rss(&[("a", "A", "http://example.org/a")])));
    let test = TestConfig::new(&source("feed", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    let report = ingest.poll_source(source, Utc::now(), Urgency::Scheduled).await;
    assert_eq!(report.outcome, Outcome::Ok);
    let again = ingest.poll_source(source, Utc::now(), Urgency::Scheduled).await;
    assert!(matches!(again.outcome, Outcome::Deferred { .. }));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn permanent_redirect_is_recorded_for_the_operator() {
    let server = TestServer::start(|req| match req.path() {
        "/old" => Reply::redirect(301, "/new"),
        _ => Reply::ok(rss(&[("a", "A", "http://example.org/a")])),
    });
    let test = TestConfig::new(&source("moved", server.url("/old").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok);
    let expected = server.url("/new").to_string();
    assert_eq!(report.permanent_redirect.as_deref(), Some(expected.as_str()));
    let state = ingest.store().fetch_state("moved").expect("state").expect("stored");
    assert_eq!(state.permanent_redirect.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn windows_1256_persian_feed_decodes_to_unicode() {
    let title = "گزارش تازه درباره انتخابات";
    let xml = format!(
        r#"<?xml version="1.0" encoding="windows-1256"?><rss version="2.0"><channel><title>خبر</title><link>http://example.org/</link><description>d</description><item><guid>fa-1</guid><title>{title}</title><link>http://example.org/fa/1</link></item></channel></rss>"#
    );
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(&xml);
    assert!(!unmappable);
    let bytes = bytes.into_owned();
    let server = TestServer::start(move |_| {
        Reply::ok(bytes.clone()).header("Content-Type", "application/rss+xml; charset=windows-1256")
    });
    let test = TestConfig::new(&source("fa", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!(all_items(ingest.store())[0].title, title);
}

#[tokio::test]
async fn include_and_exclude_patterns_filter_items() {
    let server = TestServer::start(|_| {
        Reply::ok(rss(&[
            ("1", "Iran talks resume", "http://example.org/1"),
            ("2", "Football results", "http://example.org/2"),
            ("3", "Iran sponsored content", "http://example.org/3"),
        ]))
    });
    let sources =
        source("filtered", server.url("/feed").as_str()) + "include = [\"iran\"]\nexclude = [\"sponsored\"]\n";
    let test = TestConfig::new(&sources);
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!((report.new_items, report.excluded_items), (1, 2));
    assert_eq!(all_items(ingest.store())[0].title, "Iran talks resume");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_polls_on_schedule_and_stops_on_signal() {
    let server = TestServer::start(|_| Reply::ok(rss(&[("a", "A", "http://example.org/a")])));
    let sources = source("tick", server.url("/feed").as_str()) + "schedule = \"* * * * * *\"\n";
    let mut test = TestConfig::new(&sources);
    test.config.settings.schedule_jitter = Duration::ZERO;
    let ingest = gleaner::app::ingest(&test.config).expect("ingest");
    let store = Arc::clone(ingest.store());
    let polled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polled);
    let summary = gleaner::daemon::scheduler::run(
        ingest,
        gleaner::daemon::scheduler::fixed(test.config.sources.clone()),
        Utc::now,
        tokio::time::sleep(Duration::from_millis(2600)),
        move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        },
    )
    .await;
    // Once at start (never polled before), then every second: 3 or 4 in 2.6 s.
    assert!((2..=4).contains(&summary.polls), "polls: {}", summary.polls);
    assert_eq!(polled.load(Ordering::SeqCst), summary.polls);
    assert_eq!(server.hits(), summary.polls);
    assert_eq!(store.items(&ItemQuery::default()).expect("items").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_ticks_after_downtime_run_once() {
    let server = TestServer::start(|_| Reply::ok(rss(&[("a", "A", "http://example.org/a")])));
    let sources = source("late", server.url("/feed").as_str()) + "schedule = \"*/30 * * * *\"\n";
    let test = TestConfig::new(&sources);
    let ingest = test.ingest();
    // The process was down for a day: the stored due time is long past.
    let state = gleaner::model::FetchState {
        next_due: Some(Utc::now() - TimeDelta::days(1)),
        ..gleaner::model::FetchState::default()
    };
    ingest.store().put_fetch_state("late", &state).expect("seed state");
    let summary = gleaner::daemon::scheduler::run(
        ingest,
        gleaner::daemon::scheduler::fixed(test.config.sources.clone()),
        Utc::now,
        tokio::time::sleep(Duration::from_millis(800)),
        |_, _| {},
    )
    .await;
    assert_eq!(summary.polls, 1, "48 missed ticks run once, not 48 times");
    assert_eq!(server.hits(), 1);
}

// --- Extraction: article pages (follow = true) and feed content (follow = false) ---

fn follow_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/follow").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A source that follows its items' links (its name is not the page's outlet).
fn following(id: &str, url: &str) -> String {
    source(id, url) + "name = \"Ledger Feed\"\nfollow = true\n"
}

fn html(body: &str) -> Reply {
    Reply::ok(body.to_owned()).header("Content-Type", "text/html; charset=utf-8")
}

/// `http://<the server itself>` + `path`: feeds link back to their own server.
fn here(req: &Request, path: &str) -> String {
    format!("http://{}{path}", req.header("host").expect("HTTP/1.1 requests carry Host"))
}

/// Requests that asked for `path`.
fn hits_on(server: &TestServer, path: &str) -> Vec<Request> {
    server.requests().into_iter().filter(|r| r.path() == path).collect()
}

fn jane_doe_quote(quotes: &[gleaner::model::Quote]) -> &gleaner::model::Quote {
    quotes
        .iter()
        .find(|q| q.text.contains("connect two halves"))
        .unwrap_or_else(|| panic!("the mayor's quote: {quotes:#?}"))
}

#[tokio::test]
async fn follow_fetches_each_article_and_stores_its_quotes_and_links() {
    let page = follow_fixture("council-vote.html");
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => {
            Reply::ok(rss(&[("1", "Bridge vote", &here(req, "/a/1")), ("2", "Bridge again", &here(req, "/a/2"))]))
        }
        "/a/1" | "/a/2" => html(&page),
        _ => Reply::new(404),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();

    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!((report.articles_fetched, report.articles_failed), (2, 0), "{report:?}");
    assert!(report.quotes_found >= 4, "two quotes or more per page: {report:?}");

    let items = all_items(ingest.store());
    assert_eq!(items.len(), 2);
    for item in &items {
        assert!(item.text.contains("pedestrian bridge"), "{}", item.text);
        assert!(!item.text.contains("Privacy"), "boilerplate dropped: {}", item.text);
        assert_eq!(
            item.outlet.as_deref(),
            Some("Riverton Ledger"),
            "the page's og:site_name wins over the source name"
        );
        assert!(item.extracted_at.is_some());
        assert_eq!(item.extracted_for.as_deref(), Some(item.content_hash.as_str()));
        let quotes = ingest.store().quotes(&item.id).expect("quotes");
        let jane = jane_doe_quote(&quotes);
        assert_eq!(jane.speaker.as_deref(), Some("Jane Doe"));
        assert_eq!(jane.cue.as_deref(), Some("said"));
        let links = ingest.store().links(&item.id).expect("links");
        assert!(links.iter().any(|l| l.url.contains("budget.example.org") && l.external), "{links:?}");
    }

    // The same feed body again: nothing parsed, so no article is fetched again.
    let again = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(again.articles_fetched, 0);
    assert_eq!(hits_on(&server, "/a/1").len(), 1);
}

#[tokio::test]
async fn changed_item_refetches_its_article_conditionally_and_304_keeps_the_extraction() {
    let page = follow_fixture("council-vote.html");
    let feed_polls = Arc::new(AtomicUsize::new(0));
    let polls = Arc::clone(&feed_polls);
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => {
            let title = if polls.fetch_add(1, Ordering::SeqCst) == 0 { "Bridge vote" } else { "Bridge vote (updated)" };
            Reply::ok(rss(&[("1", title, &here(req, "/a/1"))]))
        }
        "/a/1" if req.header("if-none-match") == Some("\"p1\"") => Reply::new(304),
        "/a/1" => html(&page).header("ETag", "\"p1\""),
        _ => Reply::new(404),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    let before = all_items(ingest.store()).remove(0);
    let quotes_before = ingest.store().quotes(&before.id).expect("quotes");
    assert!(!quotes_before.is_empty());

    let report = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!((report.updated_items, report.articles_fetched, report.articles_failed), (1, 1, 0), "{report:?}");
    let requests = hits_on(&server, "/a/1");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("if-none-match"), Some("\"p1\""), "the re-fetch is conditional");

    let after = ingest.store().item(&before.id).expect("read").expect("kept");
    assert_eq!(after.title, "Bridge vote (updated)");
    assert_eq!(after.text, before.text, "304: the extraction stays");
    assert_eq!(after.extracted_at, before.extracted_at);
    assert_eq!(after.extracted_for.as_deref(), Some(after.content_hash.as_str()), "and answers the new feed data");
    assert_eq!(ingest.store().quotes(&before.id).expect("quotes"), quotes_before);
    let cache = ingest.store().page_cache(&here_of(&server, "/a/1")).expect("cache").expect("stored");
    assert_eq!(cache.etag.as_deref(), Some("\"p1\""));
}

fn here_of(server: &TestServer, path: &str) -> String {
    server.url(path).to_string()
}

#[tokio::test]
async fn an_editors_chosen_quote_survives_reextraction() {
    let pages = [follow_fixture("council-vote.html"), follow_fixture("council-vote-revised.html")];
    let revised = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&revised);
    let server = TestServer::start(move |req| {
        let revised = flag.load(Ordering::SeqCst);
        match req.path() {
            "/feed" => Reply::ok(rss(&[("1", if revised { "Bridge (v2)" } else { "Bridge" }, &here(req, "/a/1"))])),
            "/a/1" => html(&pages[usize::from(revised)]),
            _ => Reply::new(404),
        }
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    let item = all_items(ingest.store()).remove(0);
    let quotes = ingest.store().quotes(&item.id).expect("quotes");
    let chosen = jane_doe_quote(&quotes).id.clone();
    assert!(quotes.iter().any(|q| q.text.contains("monument")), "{quotes:#?}");
    let editor = EditorFields { quote_ids: vec![chosen.clone()], ..EditorFields::default() };
    ingest.store().update_editorial(&item.id, item.revision, ReviewState::Shortlisted, &editor).expect("edit");

    revised.store(true, Ordering::SeqCst);
    let report = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!(report.articles_fetched, 1, "{report:?}");

    let after = ingest.store().item(&item.id).expect("read").expect("kept");
    assert_eq!(after.editor, editor, "editor fields untouched");
    assert_eq!(after.state, ReviewState::Shortlisted);
    assert!(after.text.contains("updated after the vote"), "{}", after.text);
    let quotes = ingest.store().quotes(&item.id).expect("quotes");
    assert_eq!(jane_doe_quote(&quotes).id, chosen, "same words, same id");
    assert!(quotes.iter().any(|q| q.speaker.as_deref() == Some("Maria Lopez")), "{quotes:#?}");
    assert!(!quotes.iter().any(|q| q.text.contains("monument")), "the old page's quotes are replaced: {quotes:#?}");
}

#[tokio::test]
async fn an_article_404_does_not_fail_the_source_and_leaves_a_note() {
    let page = follow_fixture("council-vote.html");
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => Reply::ok(rss(&[("1", "Gone", &here(req, "/gone")), ("2", "Here", &here(req, "/a/2"))])),
        "/a/2" => html(&page),
        _ => Reply::new(404),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!((report.new_items, report.articles_fetched, report.articles_failed), (2, 1, 1), "{report:?}");
    let gone_url = here_of(&server, "/gone");
    assert!(report.warnings.iter().any(|w| w.contains(&gone_url) && w.contains("404")), "{:?}", report.warnings);
    let state = ingest.store().fetch_state("ledger").expect("state").expect("stored");
    assert_eq!(state.consecutive_failures, 0, "an article failure is not a source failure");

    let items = all_items(ingest.store());
    let gone = items.iter().find(|i| i.title == "Gone").expect("stored anyway");
    assert!(gone.extraction_note.as_deref().is_some_and(|n| n.contains("404")), "{:?}", gone.extraction_note);
    assert!(gone.extracted_at.is_none() && gone.text.is_empty());
    let here = items.iter().find(|i| i.title == "Here").expect("stored");
    assert!(here.extracted_at.is_some());
    assert!(state.article_retries.is_empty(), "a 404 will be a 404 next time: no retry");
}

#[tokio::test]
async fn a_transient_article_failure_is_retried_with_backoff_even_when_the_feed_is_unchanged() {
    let page = follow_fixture("council-vote.html");
    let article_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&article_hits);
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => Reply::ok(rss(&[("1", "Flaky", &here(req, "/a/1"))])),
        "/a/1" if hits.fetch_add(1, Ordering::SeqCst) == 0 => Reply::new(503),
        "/a/1" => html(&page),
        _ => Reply::new(404),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    let t0 = Utc::now();
    let retries = || ingest.store().fetch_state("ledger").expect("state").expect("stored").article_retries;

    let first = ingest.poll_source(source, t0, Urgency::Now).await;
    assert_eq!((first.outcome.clone(), first.articles_failed), (Outcome::Ok, 1), "{first:?}");
    let listed = retries();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].attempts, listed[0].due), (1, t0 + TimeDelta::minutes(15)));

    // The feed is unchanged and the retry is not due: the article is left alone.
    let early = ingest.poll_source(source, t0 + TimeDelta::minutes(5), Urgency::Now).await;
    assert_eq!((early.outcome.clone(), early.articles_fetched), (Outcome::Unchanged, 0), "{early:?}");
    assert_eq!(article_hits.load(Ordering::SeqCst), 1);

    // Due: fetched again though the feed is unchanged, extracted, and off the list.
    let due = ingest.poll_source(source, t0 + TimeDelta::minutes(16), Urgency::Now).await;
    assert_eq!((due.outcome.clone(), due.articles_fetched, due.articles_failed), (Outcome::Unchanged, 1, 0));
    assert_eq!(article_hits.load(Ordering::SeqCst), 2);
    let item = all_items(ingest.store()).pop().expect("stored");
    assert!(item.extracted_at.is_some() && item.extraction_note.is_none(), "{:?}", item.extraction_note);
    assert!(jane_doe_quote(&ingest.store().quotes(&item.id).expect("quotes")).cue.is_some());
    assert!(retries().is_empty());
}

#[tokio::test]
async fn follow_false_extracts_from_the_feeds_own_content() {
    let feed = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Full text</title><link>http://example.org/</link><description>d</description>
<item><guid>ft-1</guid><title>Harbour reopens</title><link>http://example.org/harbour</link>
<pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate><description>Short summary.</description>
<content:encoded><![CDATA[<p>The harbour reopened on Monday after three weeks of repairs to the sea wall, and the first ferries docked before noon.</p>
<p>“We lost a month of trade, but the wall will now stand for fifty years,” said Ana Silva, the harbour master.</p>
<p>The repairs were paid for by the <a href="https://ports.example.net/fund">regional ports fund</a>, which covers storm damage.</p>]]></content:encoded>
</item></channel></rss>"#;
    let server = TestServer::start(move |_| Reply::ok(feed).header("Content-Type", "application/rss+xml"));
    let test = TestConfig::new(&source("fulltext", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!((report.articles_fetched, report.articles_failed), (0, 0));
    assert_eq!(server.hits(), 1, "no article page is fetched");

    let item = all_items(ingest.store()).remove(0);
    assert!(item.text.contains("sea wall") && item.text.contains("regional ports fund"), "{}", item.text);
    assert!(item.extracted_at.is_some());
    let quotes = ingest.store().quotes(&item.id).expect("quotes");
    assert!(quotes.iter().any(|q| q.speaker.as_deref() == Some("Ana Silva")), "{quotes:#?}");
    let links = ingest.store().links(&item.id).expect("links");
    assert!(links.iter().any(|l| l.url == "https://ports.example.net/fund"), "{links:?}");
}

#[tokio::test]
async fn article_links_to_private_addresses_are_refused_unless_allowed() {
    let page = follow_fixture("council-vote.html");
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => Reply::ok(rss(&[("1", "Internal", &here(req, "/a/1"))])),
        _ => html(&page),
    });
    // The operator's own source URL may be loopback; the feed's links may not.
    let test = TestConfig::guarded(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!((report.new_items, report.articles_failed), (1, 1), "{report:?}");
    assert_eq!(server.hits(), 1, "only the feed was requested");
    let item = all_items(ingest.store()).remove(0);
    let note = item.extraction_note.expect("a note says why");
    assert!(note.contains("private"), "{note}");
}

#[tokio::test]
async fn a_poll_cancelled_during_article_fetches_is_completed_by_the_next_poll() {
    let page = follow_fixture("council-vote.html");
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = Arc::clone(&slow);
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => Reply::ok(rss(&[("1", "Bridge vote", &here(req, "/a/1"))])),
        _ if flag.load(Ordering::SeqCst) => html(&page).delay(Duration::from_secs(3)),
        _ => html(&page),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    let cut =
        tokio::time::timeout(Duration::from_millis(500), ingest.poll_source(source, Utc::now(), Urgency::Now)).await;
    assert!(cut.is_err(), "the poll was still waiting for the article");
    let item = all_items(ingest.store()).remove(0);
    assert!(item.extracted_at.is_none(), "the item is stored, its extraction is not");

    slow.store(false, Ordering::SeqCst);
    let report = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    assert_eq!((report.new_items, report.updated_items), (0, 0), "{report:?}");
    assert_eq!(report.articles_fetched, 1, "the unfinished extraction is picked up: {report:?}");
    let item = ingest.store().item(&item.id).expect("read").expect("kept");
    assert!(item.extracted_at.is_some() && !ingest.store().quotes(&item.id).expect("quotes").is_empty());
}

/// Issue 13: an item link to a PNG or a PDF is not read as a page; the item
/// keeps its feed fields and its note names what the link served.
#[tokio::test]
async fn an_article_link_to_an_image_is_not_extracted_and_says_why() {
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => Reply::ok(rss(&[("1", "Chart", &here(req, "/chart"))])),
        // Served as HTML on purpose: the bytes, not the header, say what it is.
        "/chart" => Reply::ok(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).header("Content-Type", "text/html"),
        _ => Reply::new(404),
    });
    let test = TestConfig::new(&following("ledger", server.url("/feed").as_str()));
    let ingest = test.ingest();
    let report = ingest.poll_source(&test.config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let items = all_items(ingest.store());
    let chart = items.iter().find(|i| i.title == "Chart").expect("stored");
    let note = chart.extraction_note.as_deref().unwrap_or_default();
    assert!(note.contains("PNG"), "the note names the image: {note:?}");
    assert!(chart.text.is_empty(), "no text read from an image");
}

// --- Retention: max_items_per_source (issue 11.14) ---

/// Poll `n` of an endless feed: ten entries never seen before, each newer than the last.
fn endless_feed(n: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Endless</title><link>http://example.org/</link><description>d</description>"#,
    );
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").expect("valid");
    for i in 0..10 {
        let at = start + TimeDelta::minutes(i64::try_from(n * 10 + i).expect("small"));
        write!(
            xml,
            "<item><guid>g{n}-{i}</guid><title>Entry {n}-{i}</title><link>http://example.org/{n}/{i}</link><pubDate>{}</pubDate></item>",
            at.to_rfc2822()
        )
        .expect("writing to a String cannot fail");
    }
    xml.push_str("</channel></rss>");
    xml
}

#[tokio::test]
async fn a_feed_of_endless_new_guids_keeps_at_most_the_cap_of_untouched_items() {
    let server = TestServer::start(|req| Reply::ok(endless_feed(req.seq)));
    let mut test = TestConfig::new(&source("endless", server.url("/feed").as_str()));
    test.config.settings.fetch.max_items_per_source = 25;
    let ingest = test.ingest();
    let source = &test.config.sources[0];
    ingest.poll_source(source, Utc::now(), Urgency::Now).await;
    // The two oldest entries get an editor: one approved, one reset after a look (audited, state new again).
    let mut first = all_items(ingest.store());
    first.sort_by_key(|item| item.published);
    let approved = first[0].id.clone();
    ingest
        .store()
        .update_editorial(&approved, first[0].revision, ReviewState::Approved, &EditorFields::default())
        .expect("approve");
    let audit = gleaner::model::AuditEntry {
        at: Utc::now(),
        actor: "ed".to_owned(),
        item_id: first[1].id.clone(),
        action: "reset".to_owned(),
        detail: "shortlisted → new".to_owned(),
        revision: 0,
    };
    let reset = first[1].id.clone();
    ingest
        .store()
        .apply_edit(&reset, first[1].revision, ReviewState::New, &EditorFields::default(), &audit)
        .expect("reset");

    let mut warned = false;
    for _ in 1..6 {
        let report = ingest.poll_source(source, Utc::now(), Urgency::Now).await;
        assert_eq!((report.outcome, report.new_items), (Outcome::Ok, 10));
        warned |= report.warnings.iter().any(|w| w.contains("max_items_per_source = 25"));
    }
    assert!(warned, "the poll that removed items says so");
    let items = all_items(ingest.store());
    let kept: std::collections::HashSet<_> = items.iter().map(|item| item.id.clone()).collect();
    assert!(kept.contains(&approved) && kept.contains(&reset), "items an editor touched are never removed");
    let untouched: Vec<_> = items.iter().filter(|item| item.id != approved && item.id != reset).collect();
    assert_eq!(untouched.len(), 25, "60 delivered, the cap kept");
    let oldest_kept = untouched.iter().map(|item| item.published).min().expect("some kept");
    let newest_removed_would_be = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:34:00Z").expect("valid");
    assert!(oldest_kept > newest_removed_would_be, "the newest are kept: oldest kept {oldest_kept}");
    // Removed items leave no index entry behind: a listing by state finds exactly what is stored.
    let listed =
        ingest.store().items(&ItemQuery { state: Some(ReviewState::New), ..ItemQuery::default() }).expect("list");
    assert_eq!(listed.len(), 26);
    assert_eq!(ingest.store().item_count().expect("count"), 27);
}
