//! One poll of a source: fetch (conditionally), parse, normalize, store, and
//! record the fetch state. A poll of many sources never stops at a bad one:
//! each source gets a [`SourceReport`], failures included.
//!
//! Takes `now` as a parameter; commit points (flush) are the caller's.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::config::{FetchSettings, Settings};
use crate::fetch::{FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{FetchState, ItemId, Source, SourceKind};
use crate::parse::{self, ParseInput, ParsedFeed};
use crate::schedule::policy::{self, Draw};
use crate::store::{Store, StoreError};

/// How one source's poll ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Fetched and parsed; counts are in the report.
    Ok,
    /// The server answered 304: nothing parsed.
    NotModified,
    /// A 200 whose body hash equals the last one: nothing parsed.
    Unchanged,
    /// The server's Retry-After has not passed yet; nothing was requested.
    Deferred { until: DateTime<Utc> },
    /// Fetching, parsing or storing failed; what was stored before stays.
    Failed { error: String },
}

/// What one poll of one source did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceReport {
    pub source: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub new_items: usize,
    pub updated_items: usize,
    /// Items dropped by the source's include/exclude patterns.
    pub excluded_items: usize,
    /// Ids of new and changed items (for the extraction stage).
    #[serde(skip)]
    pub changed: Vec<ItemId>,
    /// The server moved the source for good (301/308): the operator should edit the URL.
    pub permanent_redirect: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
    /// Parser notes (dates that fell back to fetch time, skipped entries, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl SourceReport {
    fn new(source: &Source, outcome: Outcome) -> Self {
        Self {
            source: source.id.clone(),
            outcome,
            new_items: 0,
            updated_items: 0,
            excluded_items: 0,
            changed: Vec::new(),
            permanent_redirect: None,
            next_due: None,
            warnings: Vec::new(),
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. })
    }
}

/// Reports of a poll of several sources, in the order they were given.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PollReport {
    pub sources: Vec<SourceReport>,
}

impl PollReport {
    pub fn any_failed(&self) -> bool {
        self.sources.iter().any(SourceReport::failed)
    }

    pub fn new_items(&self) -> usize {
        self.sources.iter().map(|r| r.new_items).sum()
    }

    pub fn updated_items(&self) -> usize {
        self.sources.iter().map(|r| r.updated_items).sum()
    }
}

/// Whether a poll may skip a source the scheduler would not poll yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Poll regardless of backoff (an operator's `fetch`), but still honour a
    /// server's Retry-After: that is the server's explicit wish.
    Now,
    /// The scheduler decided the source is due.
    Scheduled,
}

/// The ingest use-case: owns a fetcher and the store.
#[derive(Clone)]
pub struct Ingest {
    fetcher: Fetcher,
    store: Arc<dyn Store>,
    fetch: FetchSettings,
    jitter: std::time::Duration,
}

impl Ingest {
    pub fn new(fetcher: Fetcher, store: Arc<dyn Store>, settings: &Settings) -> Self {
        Self { fetcher, store, fetch: settings.fetch.clone(), jitter: settings.schedule_jitter }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Polls one source and records its fetch state. Never returns an error:
    /// failures are in the report and in the stored state.
    pub async fn poll_source(&self, source: &Source, now: DateTime<Utc>, urgency: Urgency) -> SourceReport {
        let mut state = match self.store.fetch_state(&source.id) {
            Ok(state) => state.unwrap_or_default(),
            Err(error) => return SourceReport::new(source, Outcome::Failed { error: error.to_string() }),
        };
        if let Some(until) = state.retry_after.filter(|until| *until > now) {
            let mut report = SourceReport::new(source, Outcome::Deferred { until });
            report.next_due = state.next_due;
            return report;
        }
        if urgency == Urgency::Scheduled && state.next_due.is_some_and(|due| due > now) {
            let mut report = SourceReport::new(source, Outcome::Deferred { until: state.next_due.unwrap_or(now) });
            report.next_due = state.next_due;
            return report;
        }

        state.last_attempt = Some(now);
        let validators = Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() };
        let request = FetchRequest { url: &source.url, validators: &validators, purpose: Purpose::Source };
        let mut report = match self.fetcher.fetch(&request).await {
            Ok(FetchOutcome::NotModified) => {
                state.last_status = Some(304);
                SourceReport::new(source, Outcome::NotModified)
            }
            Ok(FetchOutcome::Fetched(body)) => self.ingest_body(source, &body, &mut state, now),
            Err(error) => {
                state.last_status = error.status();
                state.retry_after = error.retry_after();
                SourceReport::new(source, Outcome::Failed { error: error.to_string() })
            }
        };

        if let Outcome::Failed { error } = &report.outcome {
            tracing::warn!(source = %source.id, url = %source.url, %error, "poll failed");
            state.consecutive_failures = state.consecutive_failures.saturating_add(1);
            state.last_error = Some(error.clone());
            state.next_due = Some(policy::next_due_after_failure(
                state.consecutive_failures,
                state.retry_after,
                now,
                self.fetch.backoff_base,
                self.fetch.backoff_cap,
                Draw::new(fastrand::f64()),
            ));
        } else {
            state.consecutive_failures = 0;
            state.last_error = None;
            state.retry_after = None;
            state.last_success = Some(now);
            state.next_due =
                Some(policy::next_due_after_success(&source.schedule, now, self.jitter, Draw::new(fastrand::f64())));
        }
        report.next_due = state.next_due;
        if report.permanent_redirect.is_none() {
            report.permanent_redirect.clone_from(&state.permanent_redirect);
        }
        if let Err(error) = self.store.put_fetch_state(&source.id, &state) {
            report.outcome = Outcome::Failed { error: error.to_string() };
        }
        report
    }

    /// Parses and stores a 200 body, updating validators and body hash only
    /// once the items are safely stored (so a failed store retries next time).
    fn ingest_body(&self, source: &Source, body: &FetchedBody, state: &mut FetchState, now: DateTime<Utc>) -> SourceReport {
        state.last_status = Some(body.status);
        state.permanent_redirect = body.permanent_redirect.as_ref().map(ToString::to_string);
        let mut report = if state.body_hash.as_deref() == Some(body.body_hash.as_str()) {
            SourceReport::new(source, Outcome::Unchanged)
        } else {
            match self.store_body(source, body, now) {
                Ok(report) => {
                    state.body_hash = Some(body.body_hash.clone());
                    report
                }
                Err(error) => return SourceReport::new(source, Outcome::Failed { error }),
            }
        };
        state.etag.clone_from(&body.validators.etag);
        state.last_modified.clone_from(&body.validators.last_modified);
        report.permanent_redirect.clone_from(&state.permanent_redirect);
        report
    }

    fn store_body(&self, source: &Source, body: &FetchedBody, now: DateTime<Utc>) -> Result<SourceReport, String> {
        let feed = parse_source_body(source, body, now).map_err(|e| e.to_string())?;
        let normalized = parse::normalize(&feed, source, now);
        let upsert = self.store.upsert_items(&normalized.items).map_err(|e: StoreError| e.to_string())?;
        let mut report = SourceReport::new(source, Outcome::Ok);
        report.new_items = upsert.new.len();
        report.updated_items = upsert.updated.len();
        report.excluded_items = normalized.excluded.len();
        report.warnings = feed.warnings;
        report.changed = upsert.new.into_iter().chain(upsert.updated).collect();
        tracing::info!(source = %source.id, new = report.new_items, updated = report.updated_items, "stored");
        Ok(report)
    }

    /// Polls every source concurrently (the fetcher's global and per-host limits
    /// bound what is really in flight) and calls `on_report` as each finishes.
    pub async fn poll_many(
        &self,
        sources: &[Source],
        now: DateTime<Utc>,
        urgency: Urgency,
        mut on_report: impl FnMut(&SourceReport),
    ) -> PollReport {
        let mut tasks = JoinSet::new();
        for (index, source) in sources.iter().enumerate() {
            let ingest = self.clone();
            let source = source.clone();
            tasks.spawn(async move { (index, ingest.poll_source(&source, now, urgency).await) });
        }
        let mut reports: Vec<Option<SourceReport>> = vec![None; sources.len()];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, report)) => {
                    on_report(&report);
                    reports[index] = Some(report);
                }
                Err(error) => tracing::error!(%error, "poll task panicked"),
            }
        }
        let sources = reports
            .into_iter()
            .zip(sources)
            .map(|(report, source)| {
                report.unwrap_or_else(|| {
                    SourceReport::new(source, Outcome::Failed { error: "internal error while polling".to_owned() })
                })
            })
            .collect();
        PollReport { sources }
    }
}

/// Parses a fetched body as the source's kind says.
pub fn parse_source_body(source: &Source, body: &FetchedBody, now: DateTime<Utc>) -> Result<ParsedFeed, parse::ParseError> {
    let input = ParseInput { url: Some(&body.final_url), content_type: body.content_type.as_deref(), fetched_at: now };
    match (source.kind, &source.selectors) {
        (SourceKind::Page, Some(selectors)) => parse::parse_page(&body.bytes, selectors, &input),
        _ => parse::parse_feed(&body.bytes, &input),
    }
}
