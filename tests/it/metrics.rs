//! `/metrics`: the Prometheus text is there and counts what the scheduler did
//! (polls by result, latency histogram, items, review states, per-source failures).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use gleaner::app::ConfigStatus;
use gleaner::web::metrics::{Metrics, MetricsState};
use tower::ServiceExt as _;

use crate::ingest::{rss, source, write_config};
use crate::support::http::{Reply, TestServer};

async fn scrape(state: MetricsState) -> (StatusCode, String, String) {
    let request = Request::get("/metrics").body(Body::empty()).expect("request");
    let response = gleaner::web::metrics_routes(state).oneshot(request).await.expect("infallible router");
    let status = response.status();
    let kind = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, kind, String::from_utf8_lossy(&bytes).into_owned())
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_polls_items_and_failures() {
    let server = TestServer::start(|req| match req.path() {
        "/ok" => Reply::ok(rss(&[("1", "One", "http://example.org/1"), ("2", "Two", "http://example.org/2")])),
        _ => Reply::new(404),
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = source("good", server.url("/ok").as_str()) + &source("bad", server.url("/gone").as_str());
    let config = gleaner::app::load_config(&write_config(dir.path(), &sources)).expect("valid config");
    let ingest = gleaner::app::ingest(&config).expect("ingest");
    let metrics = Arc::new(Metrics::default());
    let state = MetricsState {
        metrics: Arc::clone(&metrics),
        store: Arc::clone(ingest.store()),
        config: ConfigStatus::new(config.sources.clone()),
    };

    let (status, kind, before) = scrape(state.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    has(&before, "# TYPE gleaner_fetch_duration_seconds histogram");
    has(&before, "gleaner_fetches_total{result=\"ok\"} 0");
    has(&before, "gleaner_last_publish_timestamp_seconds 0");

    // Both sources are due at once; stop after their two reports.
    let done = Arc::new(tokio::sync::Notify::new());
    let (reports, notify) = (Arc::new(AtomicUsize::new(0)), Arc::clone(&done));
    let counter = Arc::clone(&metrics);
    let summary = gleaner::daemon::scheduler::run(
        ingest,
        gleaner::daemon::scheduler::fixed(config.sources.clone()),
        Utc::now,
        async move { done.notified().await },
        move |report, elapsed| {
            counter.record_poll(report, elapsed);
            if reports.fetch_add(1, Ordering::SeqCst) == 1 {
                notify.notify_one();
            }
        },
    )
    .await;
    assert_eq!(summary.polls, 2);

    let (_, _, after) = scrape(state).await;
    has(&after, "gleaner_fetches_total{result=\"ok\"} 1");
    has(&after, "gleaner_fetches_total{result=\"failed\"} 1");
    has(&after, "gleaner_fetch_duration_seconds_count 2");
    has(&after, "gleaner_fetch_duration_seconds_bucket{le=\"+Inf\"} 2");
    has(&after, "gleaner_items_ingested_total 2");
    has(&after, "gleaner_quotes_extracted_total 0");
    has(&after, "gleaner_items{state=\"new\"} 2");
    has(&after, "gleaner_source_consecutive_failures{source=\"good\"} 0");
    has(&after, "gleaner_source_consecutive_failures{source=\"bad\"} 1");
    has(&after, "gleaner_config_errors 0");
    // Every sample line belongs to a declared metric family.
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        let family = name.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count");
        assert!(after.contains(&format!("# TYPE {family} ")), "undeclared: {line}");
    }
}
