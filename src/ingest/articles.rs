//! Extraction of a poll's items: article pages fetched and read (or the
//! feed's own content), results stored as they finish, failures noted on
//! their items and never made a source failure.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use super::{Ingest, SourceReport};
use crate::extract::{self, PageFacts};
use crate::fetch::{FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{Article, ExtractRules, FetchOverrides, Item, ItemId, Source, SourceKind};
use crate::parse;
use crate::store::{Extraction, PageCache};

impl Ingest {
    /// Extracts every item of this poll whose extraction is not current (see
    /// the module docs). Never fails: problems are counted, noted on the item
    /// and listed as warnings.
    pub(super) async fn extract_delivered(&self, source: &Source, report: &mut SourceReport, now: DateTime<Utc>) {
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
    pub(super) fn page_job(&self, item: &Item, source: &Source, now: DateTime<Utc>) -> Option<PageJob> {
        let page = Url::parse(item.url.as_deref()?).ok()?;
        let cache = self.stored_validators(item, &page);
        Some(PageJob {
            id: item.id.clone(),
            content_hash: item.content_hash.clone(),
            fetch: source.local_page(&page).unwrap_or_else(|| page.clone()),
            cache,
            outlet: source.name.clone(),
            purpose: Purpose::ItemLink { from_file_source: source.url.scheme() == "file" },
            overrides: super::paging::overrides_for(source, &page).cloned(),
            rules: source_rules(source),
            page,
            now,
        })
    }

    /// The fetch of a stored item's page for a recheck (`ingest::recheck`):
    /// as a poll would fetch it under its source's settings, else (a source
    /// no longer configured, an article added by hand) as an added link is.
    pub(super) fn recheck_job(&self, item: &Item, source: Option<&Source>, now: DateTime<Utc>) -> Option<PageJob> {
        if let Some(source) = source {
            return self.page_job(item, source, now);
        }
        let page = Url::parse(item.url.as_deref()?).ok()?;
        let cache = self.stored_validators(item, &page);
        Some(PageJob {
            id: item.id.clone(),
            content_hash: item.content_hash.clone(),
            fetch: page.clone(),
            cache,
            outlet: item.outlet.clone().unwrap_or_default(),
            purpose: Purpose::ItemLink { from_file_source: false },
            overrides: None,
            rules: Arc::new(ExtractRules::default()),
            page,
            now,
        })
    }

    /// The validators for a conditional GET of `item`'s page: only when there
    /// is an extraction to keep, since a 304 for an item never extracted
    /// would leave it empty for good.
    fn stored_validators(&self, item: &Item, page: &Url) -> Option<PageCache> {
        if item.extracted_at.is_some() { self.store.page_cache(page.as_str()).ok().flatten() } else { None }
    }

    /// Stores each batch of article results as its task finishes.
    pub(super) async fn store_as_they_finish(
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
    pub(super) fn feed_jobs(&self, items: &[crate::model::NewItem]) -> (Vec<FeedJob>, Vec<ItemId>) {
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
    pub(super) async fn run_feed_jobs(&self, jobs: Vec<FeedJob>, outlet: &str) -> Vec<ArticleResult> {
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
    pub(super) fn store_articles(&self, results: Vec<ArticleResult>, report: &mut SourceReport, now: DateTime<Utc>) {
        let mut extractions = Vec::new();
        let mut caches = Vec::new();
        let pages = results.iter().filter(|result| result.page.is_some()).count();
        self.article_fetches.fetch_add(pages, std::sync::atomic::Ordering::Relaxed);
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
                ArticleOutcome::Failed { error, transient, .. } => {
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
    pub(super) fn store_unchanged(
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
    pub(super) fn store_failure(
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
}

/// How many article failures a report spells out as warnings; the rest are
/// only counted (each failed item carries its own note).
pub(super) const ARTICLE_WARNINGS: usize = 3;

/// One item's article page to fetch and extract (owned: it runs in its own task).
pub(super) struct PageJob {
    id: ItemId,
    content_hash: String,
    /// The item's canonical URL.
    page: Url,
    /// Where the page is read from: `page`, or the local file it stands for
    /// (a `file` source with a `public_url`, see `Source::local_page`).
    fetch: Url,
    /// Present only when the item has an extraction a 304 may keep.
    cache: Option<PageCache>,
    /// The source's name: the outlet of pages that do not name theirs.
    outlet: String,
    purpose: Purpose,
    /// The source's fetch settings, when the page is on its site.
    overrides: Option<FetchOverrides>,
    rules: Arc<ExtractRules>,
    now: DateTime<Utc>,
}

impl PageJob {
    pub(super) async fn run(self, fetcher: Fetcher, extracting: Arc<Semaphore>) -> Vec<ArticleResult> {
        let conditional = self.cache.is_some();
        let cache = self.cache.unwrap_or_default();
        let validators = Validators { etag: cache.etag.clone(), last_modified: cache.last_modified.clone() };
        let request = FetchRequest {
            url: &self.fetch,
            validators: &validators,
            purpose: self.purpose,
            overrides: self.overrides.as_ref(),
        };
        let outcome = match fetcher.fetch(&request).await {
            Ok(FetchOutcome::NotModified) if conditional => {
                ArticleOutcome::Unchanged(PageCache { fetched_at: Some(self.now), ..cache })
            }
            Ok(FetchOutcome::NotModified) => ArticleOutcome::Failed {
                error: "the server answered 304 to an unconditional request".to_owned(),
                transient: false,
                status: None,
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
                        status: None,
                    }
                } else {
                    let outlet = self.outlet;
                    let (more, paging_note) = match &self.rules.follow_next {
                        Some(next) => {
                            super::paging::follow_pages(&fetcher, &body, next, self.purpose, self.overrides.as_ref())
                                .await
                        }
                        None => (Vec::new(), None),
                    };
                    let mut body = body;
                    // A local stand-in resolves its links as the public page would.
                    if self.fetch != self.page {
                        body.final_url = self.page.clone();
                    }
                    let rules = Arc::clone(&self.rules);
                    let _permit = extracting.acquire_owned().await.expect("the extraction semaphore is never closed");
                    // Parsing a page is CPU work: keep it off the async workers.
                    let extracted = tokio::task::spawn_blocking(move || {
                        let mut article = extract_bodies(&body, &more, &outlet, &rules);
                        article.notes.extend(paging_note);
                        article
                    })
                    .await;
                    match extracted {
                        Ok(article) => ArticleOutcome::Extracted(Box::new(article), Some(fresh)),
                        Err(error) => ArticleOutcome::Failed {
                            error: format!("extraction did not finish: {error}"),
                            transient: false,
                            status: None,
                        },
                    }
                }
            }
            Err(error) => ArticleOutcome::Failed {
                error: error.to_string(),
                transient: error.is_transient(),
                status: error.status(),
            },
        };
        vec![ArticleResult { id: self.id, content_hash: self.content_hash, page: Some(self.page), outcome }]
    }
}

/// The article of one or more fetched pages under a source's rules.
pub fn extract_bodies(first: &FetchedBody, more: &[FetchedBody], outlet: &str, rules: &ExtractRules) -> Article {
    let texts: Vec<(String, &Url)> = std::iter::once(first)
        .chain(more)
        .map(|body| (parse::decode(&body.bytes, body.content_type.as_deref()).0, &body.final_url))
        .collect();
    let pages: Vec<_> = texts.iter().map(|(html, url)| extract::PageText { html, url: Some(*url) }).collect();
    extract::extract_pages(&pages, Some(outlet), rules)
}

/// The source's rules, shared by its page jobs (selectors are not small).
fn source_rules(source: &Source) -> Arc<ExtractRules> {
    Arc::new(source.rules.clone())
}

/// One item extracted from the feed's own HTML (no fetch).
pub(super) struct FeedJob {
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
    pub(super) fn new(item: Item, follow: bool) -> Self {
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
    pub(super) fn from_new(id: ItemId, content_hash: String, new: &crate::model::NewItem) -> Self {
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

    pub(super) fn run(self, outlet: &str) -> ArticleResult {
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

pub(super) struct ArticleResult {
    pub(super) id: ItemId,
    pub(super) content_hash: String,
    /// The article page fetched; `None` when the feed's content was the article.
    pub(super) page: Option<Url>,
    pub(super) outcome: ArticleOutcome,
}

pub(super) enum ArticleOutcome {
    /// A new extraction, with the page's new cache entry when a page was fetched.
    Extracted(Box<Article>, Option<PageCache>),
    /// 304 or an identical body: the stored extraction stands; the cache is refreshed.
    Unchanged(PageCache),
    /// The page could not be fetched; `transient` when trying later may work
    /// (see [`crate::fetch::FetchError::is_transient`]).
    /// `status`: the HTTP status the server refused with, if any (a
    /// recheck reads 404 and 410 as "gone").
    Failed { error: String, transient: bool, status: Option<u16> },
}

/// What the store keeps of an article.
pub(super) fn extraction_of(article: Article, content_hash: String, now: DateTime<Utc>) -> Extraction {
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
