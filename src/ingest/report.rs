//! What a poll did, per source and in all: the `--json` contract of `fetch`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::model::{ItemId, Source};

/// How one source's poll ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// What one poll of one source did. Deserialized by the CLI from the
/// running service's answer (`fetch` through `serve`), so the skipped
/// fields come back empty.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Ids of the items this poll stored for the first time (the ones
    /// `[[rule]]`s act on).
    #[serde(skip)]
    pub(super) new: Vec<ItemId>,
    /// Ids of every entry the parsed body delivered (by their own id): with
    /// `changed`, the candidates for extraction.
    #[serde(skip)]
    pub(super) delivered: Vec<ItemId>,
    /// Ids whose extraction this poll already settled (stored with the items,
    /// or found current): the extraction stage skips them.
    #[serde(skip)]
    pub(super) settled: HashSet<ItemId>,
    /// Articles this poll fetched for good (extracted, unchanged, or failed
    /// for a reason that will not pass): off the source's retry list.
    #[serde(skip)]
    pub(super) articles_done: Vec<ItemId>,
    /// Articles whose fetch failed for a reason that may pass: onto the
    /// source's retry list (see [`FetchState::article_retries`]).
    #[serde(skip)]
    pub(super) articles_to_retry: Vec<ItemId>,
    /// The server moved the source for good (301/308): the operator should edit the URL.
    pub permanent_redirect: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
    /// Parser notes (dates that fell back to fetch time, skipped entries, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl SourceReport {
    pub(super) fn new(source: &Source, outcome: Outcome) -> Self {
        Self {
            source: source.id.clone(),
            outcome,
            new_items: 0,
            updated_items: 0,
            excluded_items: 0,
            changed: Vec::new(),
            new: Vec::new(),
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
