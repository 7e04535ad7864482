//! A digest issue: the record the publisher stores before it writes any file
//! and marks published after the last one (see `publish`).
//!
//! The record carries everything the feeds need to list the issue again later
//! (title, dates, the rendered body), so regenerating `digest.xml` never has
//! to re-read or re-render the items of older issues. Types only: no I/O.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ItemId;

/// Where an issue stands: stored as a draft first, published once every file
/// is written and its items are marked published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    /// Composed and stored; its files may be partly written. A rerun completes it.
    #[default]
    Draft,
    Published,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }
}

impl fmt::Display for IssueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The time span an issue covers (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One section of an issue, its items in the editors' order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueSection {
    /// Empty for the unnamed main section (no heading is shown).
    pub name: String,
    pub items: Vec<ItemId>,
}

/// One numbered issue of the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub number: u32,
    /// Already expanded from `publish.title_template` ("Weekly Digest – 266").
    pub title: String,
    pub period: Period,
    /// Non-empty sections only, in the configured order.
    pub sections: Vec<IssueSection>,
    /// The sanitized issue body (sections and items, no page chrome), as the
    /// feeds carry it in `content:encoded`, Atom `content` and `content_html`.
    pub html: String,
    /// Plain-text synopsis for RSS `description` and JSON Feed `summary`.
    pub summary: String,
    /// When the draft was composed; also its publication date in every feed,
    /// so that completing an interrupted issue rewrites identical bytes.
    pub created_at: DateTime<Utc>,
    /// When the store marked it published; `None` while a draft.
    pub published_at: Option<DateTime<Utc>>,
    pub state: IssueState,
    /// Who published it from the review UI; `None` for the schedule or the CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_by: Option<String>,
    /// Corrections published since, oldest first. The last one's date is the
    /// issue's `updated` date in every feed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// A correction of a published issue: the issue was re-rendered from its
/// items as they are now, and says so with this note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub at: DateTime<Utc>,
    /// What was corrected, as the editor wrote it (plain text); may be empty.
    pub note: String,
    /// The editor, or the OS user for the CLI.
    pub by: String,
}

impl Issue {
    /// How many items the issue carries.
    pub fn item_count(&self) -> usize {
        self.sections.iter().map(|s| s.items.len()).sum()
    }

    /// When the issue last changed: its last correction, else its creation.
    pub fn updated(&self) -> DateTime<Utc> {
        self.corrections.last().map_or(self.created_at, |c| c.at.max(self.created_at))
    }

    /// Every item id, in issue order.
    pub fn item_ids(&self) -> impl Iterator<Item = &ItemId> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }
}
