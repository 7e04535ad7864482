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

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::config::{FetchSettings, Settings};
use crate::extract;
use crate::extract::PageFacts;
use crate::fetch::{FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{Article, ArticleRetry, FetchState, Item, ItemId, Source, SourceKind};
use crate::parse::{self, ParseInput, ParsedFeed};
use crate::schedule::{self as policy, Draw};
use crate::store::{Extraction, PageCache, Store, StoreError};

/// How many article failures a report spells out as warnings; the rest are
/// only counted (each failed item carries its own note).
const ARTICLE_WARNINGS: usize = 3;

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
    /// Article pages fetched for extraction (200 or 304).
    pub articles_fetched: usize,
    /// Article pages that could not be fetched; each such item carries a note.
    pub articles_failed: usize,
    /// Quotes found by this poll's extractions.
    pub quotes_found: usize,
    /// Ids of every entry the parsed body delivered (by their own id): with
    /// `changed`, the candidates for extraction.
    #[serde(skip)]
    delivered: Vec<ItemId>,
    /// Ids whose extraction this poll already settled (stored with the items,
    /// or found current): the extraction stage skips them.
    #[serde(skip)]
    settled: HashSet<ItemId>,
    /// Articles this poll fetched for good (extracted, unchanged, or failed
    /// for a reason that will not pass): off the source's retry list.
    #[serde(skip)]
    articles_done: Vec<ItemId>,
    /// Articles whose fetch failed for a reason that may pass: onto the
    /// source's retry list (see [`FetchState::article_retries`]).
    #[serde(skip)]
    articles_to_retry: Vec<ItemId>,
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
            articles_fetched: 0,
            articles_failed: 0,
            quotes_found: 0,
            delivered: Vec::new(),
            settled: HashSet::new(),
            articles_done: Vec::new(),
            articles_to_retry: Vec::new(),
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
    /// One permit per core: extractions running at once (see the module docs).
    extracting: Arc<Semaphore>,
    /// One permit per core: feed and page-source parses running at once.
    parsing: Arc<Semaphore>,
    cores: usize,
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
        }
    }

    /// What the last polls of a source left: validators, failures, next due time.
    pub fn fetch_state(&self, source: &str) -> Result<Option<crate::model::FetchState>, StoreError> {
        self.store.fetch_state(source)
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
                Ok(report) => {
                    state.body_hash = Some(body_hash);
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
        let (feed, normalized) = self.parse_off_executor(source, body, now).await?;
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
        report.warnings = feed.warnings;
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
    async fn parse_off_executor(
        &self,
        source: &Source,
        body: FetchedBody,
        now: DateTime<Utc>,
    ) -> Result<(ParsedFeed, parse::Normalized), String> {
        let _permit = Arc::clone(&self.parsing).acquire_owned().await.expect("the parse semaphore is never closed");
        let id = source.id.clone();
        let source = source.clone();
        let max_items = self.fetch.max_items_per_feed;
        tokio::task::spawn_blocking(move || {
            let mut feed = parse_source_body(&source, &body, now).map_err(|e| e.to_string())?;
            drop(body);
            parse::keep_newest(&mut feed, max_items);
            let normalized = parse::normalize(&feed, &source, now);
            Ok((feed, normalized))
        })
        .await
        .unwrap_or_else(|error| {
            tracing::error!(source = %id, %error, "parsing panicked");
            Err(format!("parsing failed: {error}"))
        })
    }

    /// Extracts every item of this poll whose extraction is not current (see
    /// the module docs). Never fails: problems are counted, noted on the item
    /// and listed as warnings.
    async fn extract_delivered(&self, source: &Source, report: &mut SourceReport, now: DateTime<Utc>) {
        let follow = source.follow || source.kind == SourceKind::Page;
        // Taken, not borrowed: they are this stage's input only, and a poll of
        // thousands of sources keeps every report until it ends (about 5 MiB
        // of ids on the 2,000-feed benchmark).
        let (delivered, settled) = (std::mem::take(&mut report.delivered), std::mem::take(&mut report.settled));
        let mut seen = HashSet::new();
        let candidates: Vec<ItemId> = report
            .changed
            .iter()
            .chain(&delivered)
            .filter(|id| !settled.contains(*id) && seen.insert(*id))
            .cloned()
            .collect();
        let mut tasks = JoinSet::new();
        let mut from_feed = Vec::new();
        for id in candidates {
            let item = match self.store.item(&id) {
                Ok(Some(item)) => item,
                // Delivered under another item's id (merged by URL): that item's source extracts it.
                Ok(None) => continue,
                Err(error) => {
                    report.warnings.push(format!("cannot read item {id} for extraction: {error}"));
                    continue;
                }
            };
            if item.extracted_for.as_deref() == Some(item.content_hash.as_str()) {
                continue;
            }
            match if follow { self.page_job(&item, source, now) } else { None } {
                Some(job) => {
                    tasks.spawn(job.run(self.fetcher.clone(), Arc::clone(&self.extracting)));
                }
                None => from_feed.push(FeedJob::new(item, follow)),
            }
        }
        if !from_feed.is_empty() {
            let ingest = self.clone();
            let outlet = source.name.clone();
            tasks.spawn(async move { ingest.run_feed_jobs(from_feed, &outlet).await });
        }
        self.store_as_they_finish(tasks, source, report, now).await;
    }

    /// The fetch of `item`'s article page, or `None` when it has no usable URL.
    fn page_job(&self, item: &Item, source: &Source, now: DateTime<Utc>) -> Option<PageJob> {
        let page = Url::parse(item.url.as_deref()?).ok()?;
        // Validators only when there is an extraction to keep: a 304
        // for an item never extracted would leave it empty for good.
        let cache =
            if item.extracted_at.is_some() { self.store.page_cache(page.as_str()).ok().flatten() } else { None };
        Some(PageJob {
            id: item.id.clone(),
            content_hash: item.content_hash.clone(),
            page,
            cache,
            outlet: source.name.clone(),
            purpose: Purpose::ItemLink { from_file_source: source.url.scheme() == "file" },
            now,
        })
    }

    /// Fetches again the articles on the source's retry list that are due
    /// and that this poll has not already fetched. An item that changed,
    /// disappeared or got extracted meanwhile leaves the list.
    async fn retry_articles(
        &self,
        source: &Source,
        retries: &[ArticleRetry],
        report: &mut SourceReport,
        now: DateTime<Utc>,
    ) {
        // Every poll of every source passes here; most have nothing listed.
        if retries.is_empty() {
            return;
        }
        let handled: HashSet<&ItemId> = report.articles_done.iter().chain(&report.articles_to_retry).collect();
        let mut tasks = JoinSet::new();
        let mut gone = Vec::new();
        for retry in retries.iter().filter(|r| r.due <= now && !handled.contains(&r.item)) {
            let item = match self.store.item(&retry.item) {
                Ok(Some(item)) => item,
                Ok(None) => {
                    gone.push(retry.item.clone());
                    continue;
                }
                // Left on the list: the next poll tries the read again.
                Err(error) => {
                    report.warnings.push(format!("cannot read item {} for a retry: {error}", retry.item));
                    continue;
                }
            };
            // Extracted since (the feed changed it and the usual path got it).
            if item.extracted_at.is_some() && item.extracted_for.as_deref() == Some(item.content_hash.as_str()) {
                gone.push(item.id);
                continue;
            }
            match self.page_job(&item, source, now) {
                Some(job) => {
                    tasks.spawn(job.run(self.fetcher.clone(), Arc::clone(&self.extracting)));
                }
                None => gone.push(item.id),
            }
        }
        report.articles_done.extend(gone);
        self.store_as_they_finish(tasks, source, report, now).await;
    }

    /// Stores each batch of article results as its task finishes.
    async fn store_as_they_finish(
        &self,
        mut tasks: JoinSet<Vec<ArticleResult>>,
        source: &Source,
        report: &mut SourceReport,
        now: DateTime<Utc>,
    ) {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(results) => self.store_articles(results, report, now),
                Err(error) => tracing::error!(source = %source.id, %error, "extraction task panicked"),
            }
        }
    }

    /// Which of a feed's entries to extract before storing them (see
    /// [`Ingest::store_body`]): those not stored yet under their id, or stored
    /// with other content. Also returns the ids whose stored extraction
    /// already answers the entry's content. An entry stored with the same
    /// content but not extracted (an interrupted poll) is in neither: the
    /// usual path extracts it from the stored item.
    fn feed_jobs(&self, items: &[crate::model::NewItem]) -> (Vec<FeedJob>, Vec<ItemId>) {
        let mut jobs = Vec::new();
        let mut current = Vec::new();
        for new in items {
            let (id, hash) = (new.id(), new.content_hash());
            match self.store.item(&id) {
                Ok(Some(item)) if item.content_hash == hash => {
                    if item.extracted_for.as_deref() == Some(hash.as_str()) {
                        current.push(id);
                    }
                }
                // A read error leaves the entry to the usual path, which reports it.
                Err(_) => {}
                Ok(_) => jobs.push(FeedJob::from_new(id, hash, new)),
            }
        }
        (jobs, current)
    }

    /// Runs feed-content extractions in one blocking task, under an
    /// extraction permit (one task for the batch: extraction is CPU work, and
    /// a thread per item would swamp the blocking pool on a big feed).
    async fn run_feed_jobs(&self, jobs: Vec<FeedJob>, outlet: &str) -> Vec<ArticleResult> {
        if jobs.is_empty() {
            return Vec::new();
        }
        let outlet = outlet.to_owned();
        let _permit =
            Arc::clone(&self.extracting).acquire_owned().await.expect("the extraction semaphore is never closed");
        tokio::task::spawn_blocking(move || jobs.into_iter().map(|job| job.run(&outlet)).collect())
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "extraction from feed content panicked");
                Vec::new()
            })
    }

    /// Stores the outcomes of a batch of articles (synchronously: no await
    /// between the writes) and counts them in the report. New extractions go
    /// to the store together; each item's writes stay atomic.
    fn store_articles(&self, results: Vec<ArticleResult>, report: &mut SourceReport, now: DateTime<Utc>) {
        let mut extractions = Vec::new();
        let mut caches = Vec::new();
        for result in results {
            let ArticleResult { id, content_hash, page, outcome } = result;
            match outcome {
                ArticleOutcome::Extracted(article, cache) => {
                    report.articles_done.push(id.clone());
                    report.articles_fetched += usize::from(page.is_some());
                    report.quotes_found += article.quotes.len();
                    caches.push(page.zip(cache));
                    extractions.push((id, extraction_of(*article, content_hash, now)));
                }
                ArticleOutcome::Unchanged(cache) => {
                    report.articles_done.push(id.clone());
                    report.articles_fetched += 1;
                    if let Err(warning) = self.store_unchanged(&id, &content_hash, page.as_ref(), &cache) {
                        report.warnings.push(warning);
                    }
                }
                ArticleOutcome::Failed { error, transient } => {
                    self.store_failure(&id, &content_hash, page.as_ref(), &error, report);
                    if transient {
                        report.articles_to_retry.push(id);
                    } else {
                        report.articles_done.push(id);
                    }
                }
            }
        }
        if extractions.is_empty() {
            return;
        }
        let written = self.store.put_extractions(&extractions);
        for (((id, _), written), cache) in extractions.iter().zip(written).zip(caches) {
            // The page cache only after its extraction: a cache entry without
            // one would answer the next fetch with a 304 for nothing.
            let written = written.and_then(|()| match cache {
                Some((page, cache)) => self.store.put_page_cache(page.as_str(), &cache),
                None => Ok(()),
            });
            if let Err(error) = written {
                tracing::warn!(item = %id, %error, "storing extraction failed");
                report.warnings.push(format!("cannot store extraction of item {id}: {error}"));
            }
        }
    }

    /// Records an article whose stored extraction stands (304 or an identical body).
    fn store_unchanged(
        &self,
        id: &ItemId,
        content_hash: &str,
        page: Option<&Url>,
        cache: &PageCache,
    ) -> Result<(), String> {
        let written = self.store.record_extraction_attempt(id, content_hash, None).and_then(|()| match page {
            Some(page) => self.store.put_page_cache(page.as_str(), cache),
            None => Ok(()),
        });
        written.map_err(|error| {
            tracing::warn!(item = %id, %error, "storing extraction failed");
            format!("cannot store extraction of item {id}: {error}")
        })
    }

    /// Records an article that could not be fetched, with a note on its item.
    fn store_failure(
        &self,
        id: &ItemId,
        content_hash: &str,
        page: Option<&Url>,
        error: &str,
        report: &mut SourceReport,
    ) {
        report.articles_failed += 1;
        let url = page.map_or_else(|| id.to_string(), ToString::to_string);
        tracing::warn!(item = %id, %url, %error, "article failed");
        if report.articles_failed <= ARTICLE_WARNINGS {
            // Fetch errors start with the URL that failed; name the item's
            // URL too when a redirect made that another one.
            let warning =
                if error.starts_with(&url) { format!("article {error}") } else { format!("article {url}: {error}") };
            report.warnings.push(warning);
        }
        let note = format!("article fetch failed: {error}");
        if let Err(error) = self.store.record_extraction_attempt(id, content_hash, Some(&note)) {
            tracing::warn!(item = %id, %error, "storing extraction failed");
            report.warnings.push(format!("cannot store extraction of item {id}: {error}"));
        }
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
            tasks.spawn(async move { (index, ingest.poll_source(&source, now, urgency).await) });
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
            .collect();
        PollReport { sources }
    }
}

/// One item's article page to fetch and extract (owned: it runs in its own task).
struct PageJob {
    id: ItemId,
    content_hash: String,
    /// The item's canonical URL.
    page: Url,
    /// Present only when the item has an extraction a 304 may keep.
    cache: Option<PageCache>,
    /// The source's name: the outlet of pages that do not name theirs.
    outlet: String,
    purpose: Purpose,
    now: DateTime<Utc>,
}

impl PageJob {
    async fn run(self, fetcher: Fetcher, extracting: Arc<Semaphore>) -> Vec<ArticleResult> {
        let conditional = self.cache.is_some();
        let cache = self.cache.unwrap_or_default();
        let validators = Validators { etag: cache.etag.clone(), last_modified: cache.last_modified.clone() };
        let request = FetchRequest { url: &self.page, validators: &validators, purpose: self.purpose };
        let outcome = match fetcher.fetch(&request).await {
            Ok(FetchOutcome::NotModified) if conditional => {
                ArticleOutcome::Unchanged(PageCache { fetched_at: Some(self.now), ..cache })
            }
            Ok(FetchOutcome::NotModified) => ArticleOutcome::Failed {
                error: "the server answered 304 to an unconditional request".to_owned(),
                transient: false,
            },
            Ok(FetchOutcome::Fetched(body)) => {
                let fresh = PageCache {
                    etag: body.validators.etag.clone(),
                    last_modified: body.validators.last_modified.clone(),
                    body_hash: Some(body.body_hash.clone()),
                    fetched_at: Some(self.now),
                };
                if cache.body_hash.as_deref() == Some(body.body_hash.as_str()) {
                    ArticleOutcome::Unchanged(fresh)
                } else if let Some(what) = extract::sniff(&body.bytes, body.content_type.as_deref()) {
                    // A PDF or an image behind an item link: the item keeps its
                    // feed content, and the note says why no text was read.
                    ArticleOutcome::Failed {
                        error: format!("the article is {what}, not a page; not extracted"),
                        transient: false,
                    }
                } else {
                    let outlet = self.outlet;
                    let _permit = extracting.acquire_owned().await.expect("the extraction semaphore is never closed");
                    // Parsing a page is CPU work: keep it off the async workers.
                    let extracted = tokio::task::spawn_blocking(move || {
                        let (html, _) = parse::decode(&body.bytes, body.content_type.as_deref());
                        extract::extract(&html, Some(&body.final_url), Some(&outlet))
                    })
                    .await;
                    match extracted {
                        Ok(article) => ArticleOutcome::Extracted(Box::new(article), Some(fresh)),
                        Err(error) => ArticleOutcome::Failed {
                            error: format!("extraction did not finish: {error}"),
                            transient: false,
                        },
                    }
                }
            }
            Err(error) => ArticleOutcome::Failed { error: error.to_string(), transient: error.is_transient() },
        };
        vec![ArticleResult { id: self.id, content_hash: self.content_hash, page: Some(self.page), outcome }]
    }
}

/// One item extracted from the feed's own HTML (no fetch).
struct FeedJob {
    id: ItemId,
    content_hash: String,
    html: String,
    base: Option<Url>,
    title: String,
    language: Option<String>,
    /// Set when the source follows links but this item has none.
    note: Option<&'static str>,
}

impl FeedJob {
    fn new(item: Item, follow: bool) -> Self {
        let Item { id, content_hash, content, summary, url, title, language, .. } = item;
        let html = if content.trim().is_empty() { summary } else { content };
        Self {
            id,
            content_hash,
            html,
            base: url.as_deref().and_then(|url| Url::parse(url).ok()),
            title,
            language,
            note: follow.then_some("the item has no article link; extracted from the feed's content"),
        }
    }

    /// The job for an entry not stored yet (or stored with other content):
    /// what the upsert will store is what the entry says.
    fn from_new(id: ItemId, content_hash: String, new: &crate::model::NewItem) -> Self {
        let html = if new.content.trim().is_empty() { &new.summary } else { &new.content };
        Self {
            id,
            content_hash,
            html: html.clone(),
            base: new.url.as_deref().and_then(|url| Url::parse(url).ok()),
            title: new.title.clone(),
            language: new.language.clone(),
            note: None,
        }
    }

    fn run(self, outlet: &str) -> ArticleResult {
        let facts = PageFacts {
            title: Some(self.title).filter(|t| !t.trim().is_empty()),
            outlet: Some(outlet.to_owned()),
            language: self.language,
        };
        let mut article = extract::extract_fragment(&self.html, self.base.as_ref(), facts);
        article.notes.extend(self.note.map(str::to_owned));
        ArticleResult {
            id: self.id,
            content_hash: self.content_hash,
            page: None,
            outcome: ArticleOutcome::Extracted(Box::new(article), None),
        }
    }
}

struct ArticleResult {
    id: ItemId,
    content_hash: String,
    /// The article page fetched; `None` when the feed's content was the article.
    page: Option<Url>,
    outcome: ArticleOutcome,
}

enum ArticleOutcome {
    /// A new extraction, with the page's new cache entry when a page was fetched.
    Extracted(Box<Article>, Option<PageCache>),
    /// 304 or an identical body: the stored extraction stands; the cache is refreshed.
    Unchanged(PageCache),
    /// The page could not be fetched; `transient` when trying later may work
    /// (see [`crate::fetch::FetchError::is_transient`]).
    Failed { error: String, transient: bool },
}

/// Most articles a source keeps on its retry list: a site that fails every
/// page must not grow its source's state without bound.
const MAX_ARTICLE_RETRIES: usize = 100;

/// Updates a source's retry list from this poll's article fetches: those
/// settled leave it; each transient failure is (re)scheduled with a growing
/// delay, or dropped once it has had its tries (its note stays on the item).
fn note_article_outcomes(retries: &mut Vec<ArticleRetry>, report: &mut SourceReport, now: DateTime<Utc>) {
    let done: HashSet<ItemId> = std::mem::take(&mut report.articles_done).into_iter().collect();
    retries.retain(|r| !done.contains(&r.item));
    for id in std::mem::take(&mut report.articles_to_retry) {
        let attempts = retries.iter().find(|r| r.item == id).map_or(0, |r| r.attempts) + 1;
        retries.retain(|r| r.item != id);
        match policy::article_retry_due(attempts, now) {
            Some(due) if retries.len() < MAX_ARTICLE_RETRIES => retries.push(ArticleRetry { item: id, attempts, due }),
            Some(_) => tracing::warn!(item = %id, "retry list full; the article keeps its failure note"),
            None => tracing::info!(item = %id, attempts, "giving up on the article; it keeps its failure note"),
        }
    }
}

/// What the store keeps of an article.
fn extraction_of(article: Article, content_hash: String, now: DateTime<Utc>) -> Extraction {
    Extraction {
        content_hash,
        text: article.text,
        byline: article.byline,
        outlet: article.outlet,
        language: article.language,
        quotes: article.quotes,
        links: article.links,
        extracted_at: now,
        note: (!article.notes.is_empty()).then(|| article.notes.join("; ")),
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
    let input = ParseInput { url: Some(&body.final_url), content_type: body.content_type.as_deref(), fetched_at: now };
    match (source.kind, &source.selectors) {
        (SourceKind::Page, Some(selectors)) => parse::parse_page(&body.bytes, selectors, &input),
        _ => parse::parse_feed(&body.bytes, &input),
    }
}
