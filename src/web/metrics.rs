//! `/metrics`: Prometheus text exposition (format 0.0.4), written by hand
//! because the format is a few lines of text and a client library would
//! bring a registry, global state and dependencies for five metrics.
//!
//! Counters and the fetch-latency histogram live in [`Metrics`] (atomics,
//! fed by `serve`'s scheduler callback); gauges are read from the store and
//! the [`ConfigStatus`] at scrape time, so they are right after a restart
//! too. What this module must not do: decide anything; it only counts and
//! prints. Main types: [`Metrics`], [`MetricsState`].

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::ConfigStatus;
use crate::ingest::{Outcome, SourceReport};
use crate::store::Store;

/// Upper bounds of the fetch-latency buckets, in seconds: a fast 304 takes
/// tens of milliseconds, a followed source with article pages tens of seconds.
const DURATION_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Fetch results as labelled in `gleaner_fetches_total{result}`.
const RESULTS: [&str; 5] = ["ok", "not_modified", "unchanged", "failed", "deferred"];

/// What the scheduler has done since start. Shared by the scheduler callback
/// (writes) and the `/metrics` route (reads); relaxed atomics are enough for
/// counters that are only ever added to and read for display.
#[derive(Debug, Default)]
pub struct Metrics {
    fetches: [AtomicU64; 5],
    /// Cumulative counts per bucket of [`DURATION_BUCKETS`].
    duration_buckets: [AtomicU64; DURATION_BUCKETS.len()],
    /// Sum of poll durations in microseconds (integer, so an atomic add).
    duration_sum_micros: AtomicU64,
    duration_count: AtomicU64,
    items_ingested: AtomicU64,
    quotes_extracted: AtomicU64,
}

fn result_index(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Ok => 0,
        Outcome::NotModified => 1,
        Outcome::Unchanged => 2,
        Outcome::Failed { .. } => 3,
        Outcome::Deferred { .. } => 4,
    }
}

impl Metrics {
    /// Counts one poll and how long it took.
    pub fn record_poll(&self, report: &SourceReport, elapsed: Duration) {
        self.record(&report.outcome, report.new_items, report.quotes_found, elapsed);
    }

    fn record(&self, outcome: &Outcome, new_items: usize, quotes: usize, elapsed: Duration) {
        self.fetches[result_index(outcome)].fetch_add(1, Ordering::Relaxed);
        self.items_ingested.fetch_add(new_items as u64, Ordering::Relaxed);
        self.quotes_extracted.fetch_add(quotes as u64, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in DURATION_BUCKETS.iter().zip(&self.duration_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.duration_sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.duration_count.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the `/metrics` route reads.
#[derive(Clone)]
pub struct MetricsState {
    pub metrics: Arc<Metrics>,
    pub store: Arc<dyn Store>,
    pub config: ConfigStatus,
}

/// GET /metrics.
pub(crate) async fn show(State(state): State<MetricsState>) -> Response {
    // The store reads block (sled): keep them off the async threads.
    match tokio::task::spawn_blocking(move || render(&state)).await {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response(),
        Ok(Err(error)) => {
            tracing::error!(%error, "metrics: store read failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "metrics: worker panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// The exposition text: counters from [`Metrics`], gauges from the store.
fn render(state: &MetricsState) -> Result<String, crate::store::StoreError> {
    let m = &state.metrics;
    let mut out = String::new();
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);

    header_lines(&mut out, "gleaner_fetches_total", "counter", "Source polls by result.");
    for (name, counter) in RESULTS.iter().zip(&m.fetches) {
        line(&mut out, &format!("gleaner_fetches_total{{result=\"{name}\"}}"), load(counter));
    }

    header_lines(&mut out, "gleaner_fetch_duration_seconds", "histogram", "Time one source poll took.");
    for (bound, bucket) in DURATION_BUCKETS.iter().zip(&m.duration_buckets) {
        line(&mut out, &format!("gleaner_fetch_duration_seconds_bucket{{le=\"{bound}\"}}"), load(bucket));
    }
    let count = load(&m.duration_count);
    line(&mut out, "gleaner_fetch_duration_seconds_bucket{le=\"+Inf\"}", count);
    #[allow(clippy::cast_precision_loss)] // microseconds in an f64 stay exact for 285 years of polling
    let sum = load(&m.duration_sum_micros) as f64 / 1e6;
    line(&mut out, "gleaner_fetch_duration_seconds_sum", sum);
    line(&mut out, "gleaner_fetch_duration_seconds_count", count);

    header_lines(&mut out, "gleaner_items_ingested_total", "counter", "New items stored by polls.");
    line(&mut out, "gleaner_items_ingested_total", load(&m.items_ingested));
    header_lines(&mut out, "gleaner_quotes_extracted_total", "counter", "Quotes found by polls' extractions.");
    line(&mut out, "gleaner_quotes_extracted_total", load(&m.quotes_extracted));

    header_lines(&mut out, "gleaner_items", "gauge", "Stored items per review state.");
    for (review_state, n) in state.store.counts_by_state()? {
        line(&mut out, &format!("gleaner_items{{state=\"{}\"}}", review_state.as_str()), n);
    }

    let last_publish = state.store.issues()?.iter().filter_map(|i| i.published_at).max();
    header_lines(
        &mut out,
        "gleaner_last_publish_timestamp_seconds",
        "gauge",
        "Unix time of the latest published issue (0: none yet).",
    );
    line(&mut out, "gleaner_last_publish_timestamp_seconds", last_publish.map_or(0, |t| t.timestamp()));

    header_lines(&mut out, "gleaner_source_consecutive_failures", "gauge", "Failed polls in a row per enabled source.");
    for source in state.config.sources().iter().filter(|s| s.enabled) {
        let failures = state.store.fetch_state(&source.id)?.map_or(0, |s| s.consecutive_failures);
        let label = escape_label(&source.id);
        line(&mut out, &format!("gleaner_source_consecutive_failures{{source=\"{label}\"}}"), failures);
    }

    header_lines(&mut out, "gleaner_config_errors", "gauge", "Errors of a refused config edit (0: files in force).");
    line(&mut out, "gleaner_config_errors", state.config.errors().len());
    Ok(out)
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn line(out: &mut String, series: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{series} {value}");
}

/// Label values escape `\`, `"` and newlines (exposition format spec).
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record(&Outcome::Ok, 2, 1, Duration::from_millis(300));
        let counts: Vec<u64> = metrics.duration_buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        assert_eq!(counts, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(metrics.fetches[0].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.items_ingested.load(Ordering::Relaxed), 2);
    }
}
