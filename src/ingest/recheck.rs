//! A stored item's page fetched again to check what it says now
//! (verification at publish, issue 16.4): the same fetcher, page cache
//! validators, source settings, extraction rules and permits as a poll, but
//! nothing is stored: the stored extraction and page cache stay those of
//! the text the editors chose from.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Ingest;
use super::articles::ArticleOutcome;
use crate::model::{Item, Source};

/// What an item's page says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageNow {
    /// A fresh main text.
    Text(String),
    /// 304 to the stored validators, or the very body extracted before: the
    /// stored text is the page's text.
    Unchanged,
    /// 404 or 410.
    Gone { status: u16 },
    /// The item has no web address to fetch.
    NoPage,
}

/// Why a recheck's fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RecheckError {
    pub message: String,
    /// Whether trying again later may work (see `FetchError::is_transient`).
    pub transient: bool,
}

impl Ingest {
    /// Fetches `item`'s page again (under `source`'s settings when it is
    /// configured) and extracts its main text; stores nothing.
    pub async fn page_now(
        &self,
        item: &Item,
        source: Option<&Source>,
        now: DateTime<Utc>,
    ) -> Result<PageNow, RecheckError> {
        let Some(job) = self.recheck_job(item, source, now) else { return Ok(PageNow::NoPage) };
        let results = job.run(self.fetcher.clone(), Arc::clone(&self.extracting)).await;
        let Some(result) = results.into_iter().next() else {
            return Err(RecheckError { message: "the page fetch returned nothing".to_owned(), transient: true });
        };
        match result.outcome {
            ArticleOutcome::Extracted(article, _) => Ok(PageNow::Text(article.text)),
            ArticleOutcome::Unchanged(_) => Ok(PageNow::Unchanged),
            ArticleOutcome::Failed { status: Some(status @ (404 | 410)), .. } => Ok(PageNow::Gone { status }),
            ArticleOutcome::Failed { error, transient, .. } => Err(RecheckError { message: error, transient }),
        }
    }
}
