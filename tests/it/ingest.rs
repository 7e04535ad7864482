//! Integration tests: ingest (fetch → parse → normalize → store) against
//! scripted servers on 127.0.0.1, with a real sled store in a temp dir.

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

use crate::support::http::{Reply, TestServer};

pub fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test feed</title><link>http://example.org/</link><description>d</description>"#,
    );
    for (guid, title, link) in items {
        xml.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate><description>About {title}</description></item>"
        ));
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
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write_config(dir.path(), sources);
        let config = gleaner::app::load_config(&path).unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
        Self { _dir: dir, config }
    }

    pub fn ingest(&self) -> Ingest {
        gleaner::app::ingest(&self.config).expect("ingest starts")
    }
}

pub fn write_config(dir: &Path, sources: &str) -> std::path::PathBuf {
    let path = dir.join("gleaner.toml");
    let text = format!(
        "store = \"store.sled\"\n\n[fetch]\nallow_private_networks = true\ntimeout_secs = 5\nconnect_timeout_secs = 2\n\n{sources}"
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
        ("/bad", true) => {
            Reply::ok("<rss version=\"2.0\"><channel><item><title>broken</titl></item></channel></rss>").header("Content-Type", "text/xml")
        }
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
    let summary = gleaner::schedule::runner::run(
        ingest,
        test.config.sources.clone(),
        Utc::now,
        tokio::time::sleep(Duration::from_millis(2600)),
        move |_| {
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
    let summary = gleaner::schedule::runner::run(
        ingest,
        test.config.sources.clone(),
        Utc::now,
        tokio::time::sleep(Duration::from_millis(800)),
        |_| {},
    )
    .await;
    assert_eq!(summary.polls, 1, "48 missed ticks run once, not 48 times");
    assert_eq!(server.hits(), 1);
}
