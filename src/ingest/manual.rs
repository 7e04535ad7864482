//! Add by URL (issue 14.3): an article that reached an editor by email or
//! social media, fetched and extracted exactly as a followed article link is
//! (the same fetcher, so the same private-network guard, size and time
//! limits, per-host politeness and extraction permits), and stored as a
//! `new` item of the built-in `manual` source.
//!
//! The URL is the item's identity: adding a URL that is stored already (from
//! any source, canonical form) returns that item and fetches nothing, so the
//! same URL twice is the same item.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::Ingest;
use super::articles::extraction_of;
use crate::extract;
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, Purpose, Validators};
use crate::model::{Item, MANUAL_SOURCE, NewItem, canonical_url};
use crate::parse;
use crate::store::StoreError;

/// Why an article could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// Not an absolute http(s) URL.
    #[error("{url:?} is not a web address: {reason}")]
    BadUrl { url: String, reason: String },
    /// The page could not be fetched (refused by the guard, too big, 404, ...).
    #[error("fetching {url}: {source}")]
    Fetch {
        url: Url,
        #[source]
        source: FetchError,
    },
    /// The URL answered with something that is no page (a PDF, an image).
    #[error("{url}: the article is {what}, not a page")]
    NotAPage { url: Url, what: String },
    /// The extraction task did not finish (it panicked).
    #[error("{url}: extraction did not finish: {reason}")]
    Extraction { url: Url, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an add did.
#[derive(Debug, Clone)]
pub struct Added {
    pub item: Item,
    /// False when the URL was stored already (nothing was fetched).
    pub new: bool,
}

impl Ingest {
    /// Fetches, extracts and stores the article at `raw` (see the module docs).
    pub async fn add_url(&self, raw: &str, now: DateTime<Utc>) -> Result<Added, AddError> {
        let bad = |reason: &str| AddError::BadUrl { url: raw.trim().to_owned(), reason: reason.to_owned() };
        let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("only http and https links can be added"));
        }
        let page = canonical_url(&url);
        if let Some(item) = self.store.item_by_url(page.as_str())? {
            return Ok(Added { item, new: false });
        }
        // A hand-added link came from outside, like an item's link: the same guard.
        let purpose = Purpose::ItemLink { from_file_source: false };
        let validators = Validators::default();
        let request = FetchRequest { url: &page, validators: &validators, purpose, overrides: None };
        let fetched =
            self.fetcher.fetch(&request).await.map_err(|source| AddError::Fetch { url: page.clone(), source })?;
        let FetchOutcome::Fetched(body) = fetched else {
            // A 304 to a request without validators: a broken server.
            let source = FetchError::Status { url: page.clone(), status: 304, retry_after: None };
            return Err(AddError::Fetch { url: page, source });
        };
        if let Some(what) = extract::sniff(&body.bytes, body.content_type.as_deref()) {
            return Err(AddError::NotAPage { url: page, what: what.to_string() });
        }
        let host = page.host_str().unwrap_or_default().trim_start_matches("www.").to_owned();
        let permit =
            Arc::clone(&self.extracting).acquire_owned().await.expect("the extraction semaphore is never closed");
        let final_url = body.final_url.clone();
        let article = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let (html, _) = parse::decode(&body.bytes, body.content_type.as_deref());
            extract::extract(&html, Some(&final_url), Some(&host))
        })
        .await
        .map_err(|e| AddError::Extraction { url: page.clone(), reason: e.to_string() })?;
        let new = NewItem {
            source_id: MANUAL_SOURCE.to_owned(),
            guid: None,
            url: Some(page.to_string()),
            title: article.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| page.to_string()),
            authors: article.byline.iter().cloned().collect(),
            published: article.published.unwrap_or(now),
            published_is_fetch_time: article.published.is_none(),
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: article.language.clone(),
            fetched_at: now,
        };
        let (id, hash) = (new.id(), new.content_hash());
        let extraction = extraction_of(article, hash, now);
        self.store.upsert_with_extractions(std::slice::from_ref(&new), &[(id.clone(), extraction)])?;
        self.store.flush()?;
        let item = match self.store.item(&id)? {
            Some(item) => item,
            // Another source stored the URL meanwhile and the upsert merged into it.
            None => self.store.item_by_url(page.as_str())?.ok_or(StoreError::UnknownItem { id })?,
        };
        crate::store::record_provenance(self.store.as_ref(), std::slice::from_ref(&item.id));
        if let Some(search) = &self.search {
            search.update_items(std::slice::from_ref(&item));
        }
        tracing::info!(item = %item.id, url = %page, "added by hand");
        Ok(Added { item, new: true })
    }
}
