//! One poll of a source: fetch (conditionally), parse, normalize, store,
//! extract, and record the fetch state. A poll of many sources never stops at
//! a bad one: each source gets a [`SourceReport`], failures included.
//!
//! Extraction: every item the poll delivered whose extraction does not answer
//! its current `content_hash` (new and changed items, and items a cancelled
//! poll never got to) is extracted. With `follow = true`, or for a page
//! source, that means fetching the item's article page through the same
//! fetcher (its per-host limits, caps and private-network guard), with the
//! page's conditional-GET cache; otherwise the feed's own content (else
//! summary) is the article, read with [`extract::extract_fragment`] (a feed
//! entry has no page furniture to score away). Article fetches of one poll
//! run concurrently; an article failure is counted and noted on its item,
//! never a source failure.
//!
//! CPU work: parsing and extraction both run on tokio's blocking pool, never
//! on the async executor (two hostile 3.4 MB feeds parsed inline once kept
//! `/healthz`, the review UI and `/feeds/` from answering for 136 s), and
//! never more of either at once than there are cores ([`Ingest`]'s parse and
//! extraction permits; bodies waiting for a parse permit are bounded by
//! [`Ingest::poll_many`]'s polls in flight), so a poll of thousands of sources
//! neither starts hundreds of blocking threads nor holds hundreds of parsed
//! documents in memory. For a source read from its feed content, the entries
//! that need it are extracted before they are stored, and the items and
//! their extractions go to the store in one write
//! ([`crate::store::ItemStore::upsert_with_extractions`]); anything left over (an entry stored
//! earlier but never extracted, an entry merged into another source's item)
//! is extracted afterwards and stored with one [`crate::store::ItemStore::put_extractions`] call.
//!
//! Cancellation: every store write happens between awaits, in this task, and
//! the fetch state (with the new body hash) is written last, so a poll dropped
//! mid-way leaves complete writes only, and the next poll re-parses the same
//! body and extracts whatever was left.
//!
//! Takes `now` as a parameter; commit points (flush) are the caller's.
//!
//! Files by job: this one polls (fetch, parse, store, fetch state);
//! `articles.rs` extracts; `retry.rs` keeps the article retry list;
//! `retention.rs` bounds what one source keeps in the store;
//! `report.rs` is what a poll reports; `manual.rs` adds one article by URL.

mod articles;
mod manual;
mod paging;
mod recheck;
mod report;
mod retention;
mod retry;
mod rules;
mod watches;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::{FetchSettings, Settings};
use crate::fetch::{FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{FetchState, ItemId, Source, SourceKind};
use crate::parse::{self, ParseInput, ParsedFeed};
use crate::schedule::{self as policy, Draw};
use crate::store::{Extraction, Store, StoreError};

pub use self::articles::extract_bodies;
use self::articles::{ArticleOutcome, extraction_of};
pub use self::manual::{AddError, Added};
pub use self::paging::{MAX_PAGES, follow_pages, overrides_for};
pub use self::recheck::{PageNow, RecheckError};
pub use self::report::{Outcome, PollReport, SourceReport};
use self::retry::note_article_outcomes;
pub use self::rules::{PreviewStep, RulePreview};

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
    /// One permit per core: extractions running at once (see the module docs).
    extracting: Arc<Semaphore>,
    /// One permit per core: feed and page-source parses running at once.
    parsing: Arc<Semaphore>,
    cores: usize,
    /// Article page fetches finished (any outcome) by this ingest and its
    /// clones: what a progress display counts while sources are still polling.
    article_fetches: Arc<std::sync::atomic::AtomicUsize>,
    /// The full-text index, told once per poll about every item written.
    search: Option<crate::search::Search>,
    /// `[[rule]]`s, applied once to each item a poll stores first.
    rules: rules::RuleSet,
}

impl Ingest {
    pub fn new(fetcher: Fetcher, store: Arc<dyn Store>, settings: &Settings) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            fetcher,
            store,
            fetch: settings.fetch.clone(),
            jitter: settings.schedule_jitter,
            extracting: Arc::new(Semaphore::new(cores)),
            parsing: Arc::new(Semaphore::new(cores)),
            cores,
            article_fetches: Arc::default(),
            search: None,
            rules: rules::RuleSet::default(),
        }
    }

    /// Keeps `search` current: each poll (and each manual add) tells it
    /// every item it wrote, in one index commit.
    #[must_use]
    pub fn with_search(mut self, search: crate::search::Search) -> Self {
        self.search = Some(search);
        self
    }

    /// What the last polls of a source left: validators, failures, next due time.
    pub fn fetch_state(&self, source: &str) -> Result<Option<crate::model::FetchState>, StoreError> {
        self.store.fetch_state(source)
    }

    /// How many article pages this ingest (and its clones) fetched so far,
    /// whatever the outcome; grows during a poll, as each page is stored.
    pub fn article_fetches_finished(&self) -> usize {
        self.article_fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many sources [`Ingest::poll_many`] keeps in progress: what the
    /// fetcher may have on the wire, plus one per core for those parsing,
    /// extracting and storing, so the wire stays full while the CPU works.
    /// More only holds more parsed feeds in memory waiting for a core (twice
    /// the wire limit cost about 3 MiB of peak RSS on the 2,000-feed
    /// benchmark for no speed).
    fn polls_in_flight(&self) -> usize {
        self.fetch.max_concurrency.max(1) + self.cores
    }

    /// Polls one source and records its fetch state. Never returns an error:
    /// failures are in the report and in the stored state.
    pub async fn poll_source(&self, source: &Source, now: DateTime<Utc>, urgency: Urgency) -> SourceReport {
        let report = self.poll_unindexed(source, now, urgency).await;
        self.update_search(std::slice::from_ref(&report), now).await;
        report
    }

    /// [`Ingest::poll_source`] without the search index update, for callers
    /// that poll many sources and update the index once for all of them.
    async fn poll_unindexed(&self, source: &Source, now: DateTime<Utc>, urgency: Urgency) -> SourceReport {
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
        let request = FetchRequest {
            url: &source.url,
            validators: &validators,
            purpose: Purpose::Source,
            overrides: Some(&source.fetch),
        };
        let mut report = match self.fetcher.fetch(&request).await {
            Ok(FetchOutcome::NotModified) => {
                state.last_status = Some(304);
                SourceReport::new(source, Outcome::NotModified)
            }
            Ok(FetchOutcome::Fetched(body)) => self.ingest_body(source, body, &mut state, now).await,
            Err(error) => {
                state.last_status = error.status();
                state.retry_after = error.retry_after();
                SourceReport::new(source, Outcome::Failed { error: error.to_string() })
            }
        };
        if report.outcome == Outcome::Ok {
            self.extract_delivered(source, &mut report, now).await;
        }
        if !matches!(report.outcome, Outcome::Failed { .. }) {
            self.retry_articles(source, &state.article_retries, &mut report, now).await;
        }
        note_article_outcomes(&mut state.article_retries, &mut report, now);

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

    /// The one place polls' writes reach the search index: new, changed
    /// and removed items (`changed`), items stored with their extraction
    /// (`settled`), and articles extracted afterwards (`articles_done`), in
    /// one index commit for all `reports` (a commit per source made a cold
    /// poll of 200 feeds several times dearer). The commit writes and syncs
    /// files, so it runs on the blocking pool, never on the executor that
    /// answers `/healthz`. The `[[rule]]`s act on the new items first, so
    /// the index sees what they did.
    async fn update_search(&self, reports: &[SourceReport], now: DateTime<Utc>) {
        self.apply_rules(reports.iter().flat_map(|r| r.new.iter().cloned()).collect(), now).await;
        let written: HashSet<&ItemId> = reports
            .iter()
            .flat_map(|report| report.changed.iter().chain(&report.settled).chain(&report.articles_done))
            .collect();
        if written.is_empty() {
            return;
        }
        let (store, ids) = (self.store.clone(), written.iter().map(|id| (*id).clone()).collect::<Vec<_>>());
        if let Err(error) =
            tokio::task::spawn_blocking(move || crate::store::record_provenance(store.as_ref(), &ids)).await
        {
            tracing::error!(%error, "the quote provenance update did not finish");
        }
        let Some(search) = &self.search else { return };
        let (search, ids) = (search.clone(), written.into_iter().cloned().collect::<Vec<_>>());
        if let Err(error) = tokio::task::spawn_blocking(move || search.update(&ids)).await {
            tracing::error!(%error, "the search index update did not finish");
        }
    }

    /// Parses and stores a 200 body, updating validators and body hash only
    /// once the items are safely stored (so a failed store retries next time).
    async fn ingest_body(
        &self,
        source: &Source,
        body: FetchedBody,
        state: &mut FetchState,
        now: DateTime<Utc>,
    ) -> SourceReport {
        state.last_status = Some(body.status);
        state.permanent_redirect = body.permanent_redirect.as_ref().map(ToString::to_string);
        let (body_hash, validators) = (body.body_hash.clone(), body.validators.clone());
        let mut report = if state.body_hash.as_deref() == Some(body_hash.as_str()) {
            SourceReport::new(source, Outcome::Unchanged)
        } else {
            match self.store_body(source, body, now).await {
                Ok(mut report) => {
                    state.body_hash = Some(body_hash);
                    self.retain(source, state, &mut report);
                    report
                }
                Err(error) => return SourceReport::new(source, Outcome::Failed { error }),
            }
        };
        state.etag.clone_from(&validators.etag);
        state.last_modified.clone_from(&validators.last_modified);
        report.permanent_redirect.clone_from(&state.permanent_redirect);
        report
    }

    /// Parses and stores a body. For a source read from its feed content
    /// (no `follow`), the entries that will need an extraction are extracted
    /// first and stored in the same write as the items (one write per source,
    /// each item's record written once); whatever that write could not settle
    /// is left to [`Ingest::extract_delivered`].
    async fn store_body(&self, source: &Source, body: FetchedBody, now: DateTime<Utc>) -> Result<SourceReport, String> {
        let (warnings, normalized) = self.parse_off_executor(source, body, now).await?;
        let follow = source.follow || source.kind == SourceKind::Page;
        let (jobs, current) = if follow { (Vec::new(), Vec::new()) } else { self.feed_jobs(&normalized.items) };
        let extractions: Vec<(ItemId, Extraction)> = self
            .run_feed_jobs(jobs, &source.name)
            .await
            .into_iter()
            .filter_map(|result| match result.outcome {
                ArticleOutcome::Extracted(article, _) => {
                    Some((result.id, extraction_of(*article, result.content_hash, now)))
                }
                ArticleOutcome::Unchanged(_) | ArticleOutcome::Failed { .. } => None,
            })
            .collect();
        let (upsert, extracted) = self
            .store
            .upsert_with_extractions(&normalized.items, &extractions)
            .map_err(|e: StoreError| e.to_string())?;
        let mut report = SourceReport::new(source, Outcome::Ok);
        let extracted: HashSet<ItemId> = extracted.into_iter().collect();
        report.quotes_found =
            extractions.iter().filter(|(id, _)| extracted.contains(id)).map(|(_, e)| e.quotes.len()).sum();
        report.new_items = upsert.new.len();
        report.updated_items = upsert.updated.len();
        report.excluded_items = normalized.excluded.len();
        report.warnings = warnings;
        report.new.clone_from(&upsert.new);
        report.changed = upsert.new.into_iter().chain(upsert.updated).collect();
        // Settled: extracted in the write above, or already current and left unchanged by it.
        let changed: HashSet<&ItemId> = report.changed.iter().collect();
        let settled: HashSet<ItemId> =
            current.into_iter().filter(|id| !changed.contains(id)).chain(extracted).collect();
        report.delivered = normalized.items.iter().map(crate::model::NewItem::id).collect();
        report.settled = settled;
        tracing::info!(source = %source.id, new = report.new_items, updated = report.updated_items, "stored");
        Ok(report)
    }

    /// Parses (and normalizes) a body on the blocking pool under a parse
    /// permit: parsing is CPU work that hostile input stretches to seconds,
    /// and on the executor it stalls every other task, the web server's included.
    /// Only the feed's warnings come back with the normalized items: the
    /// parsed items are a second copy of every entry's content, and holding
    /// them through extraction and the store write raised the peak of a feed
    /// of big items by that much (issue 11.14).
    async fn parse_off_executor(
        &self,
        source: &Source,
        body: FetchedBody,
        now: DateTime<Utc>,
    ) -> Result<(Vec<String>, parse::Normalized), String> {
        let _permit = Arc::clone(&self.parsing).acquire_owned().await.expect("the parse semaphore is never closed");
        let id = source.id.clone();
        let source = source.clone();
        let max_items = self.fetch.max_items_per_feed;
        tokio::task::spawn_blocking(move || {
            let mut feed = parse_source_body_keeping(&source, &body, now, max_items).map_err(|e| e.to_string())?;
            drop(body);
            parse::keep_newest(&mut feed, max_items);
            let normalized = parse::normalize(&feed, &source, now);
            Ok((feed.warnings, normalized))
        })
        .await
        .unwrap_or_else(|error| {
            tracing::error!(source = %id, %error, "parsing panicked");
            Err(format!("parsing failed: {error}"))
        })
    }

    /// Polls every source concurrently and calls `on_report` as each finishes.
    ///
    /// At most [`Ingest::polls_in_flight`] sources are in progress at once,
    /// started in an order that alternates between hosts: the fetcher's
    /// global and per-host limits already bound what is on the wire, and the
    /// window bounds what is held in memory (bodies, parsed items, pending
    /// extractions) when parsing and extraction cannot keep up with the
    /// network. Interleaving hosts keeps one host's sources, waiting on that
    /// host's limit, from filling the window.
    pub async fn poll_many(
        &self,
        sources: &[Source],
        now: DateTime<Utc>,
        urgency: Urgency,
        mut on_report: impl FnMut(&SourceReport),
    ) -> PollReport {
        let mut order = host_interleaved(sources).into_iter();
        let window = self.polls_in_flight();
        let mut tasks = JoinSet::new();
        let spawn = |tasks: &mut JoinSet<_>, index: usize| {
            let ingest = self.clone();
            let source = sources[index].clone();
            tasks.spawn(async move { (index, ingest.poll_unindexed(&source, now, urgency).await) });
        };
        for index in order.by_ref().take(window) {
            spawn(&mut tasks, index);
        }
        let mut reports: Vec<Option<SourceReport>> = vec![None; sources.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Some(index) = order.next() {
                spawn(&mut tasks, index);
            }
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
            .collect::<Vec<_>>();
        self.update_search(&sources, now).await;
        PollReport { sources }
    }
}

/// Indexes of `sources` in round-robin order over their hosts (host and
/// port), each host's sources in their given order.
fn host_interleaved(sources: &[Source]) -> Vec<usize> {
    let mut hosts: Vec<(String, std::collections::VecDeque<usize>)> = Vec::new();
    let mut slot: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, source) in sources.iter().enumerate() {
        let host =
            format!("{}:{}", source.url.host_str().unwrap_or(""), source.url.port_or_known_default().unwrap_or(0));
        let at = *slot.entry(host.clone()).or_insert_with(|| {
            hosts.push((host, std::collections::VecDeque::new()));
            hosts.len() - 1
        });
        hosts[at].1.push_back(index);
    }
    let mut order = Vec::with_capacity(sources.len());
    while order.len() < sources.len() {
        for (_, queue) in &mut hosts {
            order.extend(queue.pop_front());
        }
    }
    order
}

/// Parses a fetched body as the source's kind says.
pub fn parse_source_body(
    source: &Source,
    body: &FetchedBody,
    now: DateTime<Utc>,
) -> Result<ParsedFeed, parse::ParseError> {
    parse_source_body_keeping(source, body, now, usize::MAX)
}

/// [`parse_source_body`] that drops a feed's items past the `max` newest
/// while parsing (see [`parse::parse_feed_keeping`]); a page source's items
/// are few and capped afterwards by [`parse::keep_newest`].
fn parse_source_body_keeping(
    source: &Source,
    body: &FetchedBody,
    now: DateTime<Utc>,
    max: usize,
) -> Result<ParsedFeed, parse::ParseError> {
    // A local file that stands for a public page resolves its links as that page would.
    let base = source.public_url.as_ref().unwrap_or(&body.final_url);
    let input = ParseInput { url: Some(base), content_type: body.content_type.as_deref(), fetched_at: now };
    match (source.kind, &source.selectors) {
        (SourceKind::Page, Some(selectors)) => parse::parse_page(&body.bytes, selectors, &input),
        _ => parse::parse_feed_keeping(&body.bytes, &input, max),
    }
}
