//! The article retry list: transient article failures come back with growing
//! delays, independent of whether the feed changed.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::{Ingest, SourceReport};
use crate::model::{ArticleRetry, ItemId, Source};
use crate::schedule as policy;

impl Ingest {
    /// Fetches again the articles on the source's retry list that are due
    /// and that this poll has not already fetched. An item that changed,
    /// disappeared or got extracted meanwhile leaves the list.
    pub(super) async fn retry_articles(
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
}

/// Most articles a source keeps on its retry list: a site that fails every
/// page must not grow its source's state without bound.
pub(super) const MAX_ARTICLE_RETRIES: usize = 100;

/// Updates a source's retry list from this poll's article fetches: those
/// settled leave it; each transient failure is (re)scheduled with a growing
/// delay, or dropped once it has had its tries (its note stays on the item).
pub(super) fn note_article_outcomes(retries: &mut Vec<ArticleRetry>, report: &mut SourceReport, now: DateTime<Utc>) {
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
