//! The composer's view of the publisher: the preview of the next issue
//! exactly as `publish` would write it (the publisher's own compose and
//! renderer, operator template overrides included), and the composer's
//! Publish and Correct buttons, which go through that same one publisher
//! (the one the schedule uses, so the two can never run at once).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::PublishSettings;
use crate::model::{IssueState, ItemId};
use crate::publish::write::DirOutput;
use crate::publish::{CorrectionReport, PublishError, PublishOutcome, Publisher};
use crate::store::Store;

/// The publisher plus the store it previews from and publishes to.
pub struct Preview {
    publisher: Arc<Publisher>,
    store: Arc<dyn Store>,
    /// Sent to the `WebSub` hub after a publish or correction.
    user_agent: String,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview").field("title", &self.publisher.settings().title).finish_non_exhaustive()
    }
}

impl Preview {
    pub fn new(publisher: Arc<Publisher>, store: Arc<dyn Store>) -> Self {
        Self { publisher, store, user_agent: "Gleaner".to_owned() }
    }

    /// The `User-Agent` for the hub ping (`fetch.user_agent`).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: &str) -> Self {
        user_agent.clone_into(&mut self.user_agent);
        self
    }

    pub fn settings(&self) -> &PublishSettings {
        self.publisher.settings()
    }

    /// The page `issues/{n}.html` of the issue that would be published at
    /// `now`; `None` when nothing is approved.
    pub fn render(&self, now: DateTime<Utc>) -> Result<Option<String>, String> {
        self.publisher.preview(self.store.as_ref(), now).map_err(|e| e.to_string())
    }

    /// The number the next publish will carry.
    pub fn next_number(&self) -> Result<Option<u32>, PublishError> {
        self.publisher.next_number(self.store.as_ref())
    }

    /// When `publish.schedule` publishes next after `now`, if it is set.
    pub fn next_scheduled(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.settings().schedule.as_ref().and_then(|s| s.next_after(now))
    }

    /// Publishes issue `expected` now, for editor `by` (blocking: call off the async threads).
    pub fn publish(&self, expected: u32, by: &str, now: DateTime<Utc>) -> Result<PublishOutcome, PublishError> {
        let output = DirOutput::new(&self.settings().output_dir);
        self.publisher.publish_confirmed(self.store.as_ref(), &output, expected, by, now)
    }

    /// Publishes a correction of issue `number` (blocking).
    pub fn correct(
        &self,
        number: u32,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<CorrectionReport, PublishError> {
        let output = DirOutput::new(&self.settings().output_dir);
        self.publisher.correct(self.store.as_ref(), &output, number, note, by, now)
    }

    /// The published issue that carried item `id`, if any (blocking).
    pub fn issue_of(&self, id: &ItemId) -> Result<Option<u32>, PublishError> {
        let issues = self.store.issues()?;
        Ok(issues
            .iter()
            .filter(|i| i.state == IssueState::Published && i.item_ids().any(|i| i == id))
            .map(|i| i.number)
            .max())
    }

    /// The items issue `number` carries, in issue order (empty when there is no such issue).
    pub fn issue_items(&self, number: u32) -> Result<Vec<ItemId>, PublishError> {
        Ok(self.store.issue(number)?.map(|i| i.item_ids().cloned().collect()).unwrap_or_default())
    }

    /// Published issues, newest first: (number, title, corrections so far).
    pub fn published_issues(&self, limit: usize) -> Result<Vec<(u32, String, usize)>, PublishError> {
        let mut issues = self.store.issues()?;
        issues.retain(|i| i.state == IssueState::Published);
        issues.sort_by_key(|i| std::cmp::Reverse(i.number));
        Ok(issues.into_iter().take(limit).map(|i| (i.number, i.title, i.corrections.len())).collect())
    }

    /// Tells the `WebSub` hub (if any) that the feeds changed; a failure is
    /// logged only: the issue is out either way.
    pub async fn announce(&self) {
        let Some(hub) = &self.settings().websub_hub else { return };
        match crate::publish::websub::ping(hub, &self.publisher.feed_urls(), &self.user_agent).await {
            Ok(()) => tracing::info!(hub = %hub, "WebSub hub pinged"),
            Err(e) => tracing::warn!(error = %e, "WebSub ping failed"),
        }
    }
}
