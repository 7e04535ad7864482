//! What a check of a chosen quote against its page found (issue 16.4): the
//! record an item keeps per chosen quote, shown in the composer and on the
//! item page, and carried into the digest as "quote checked on DATE".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    /// The words stand verbatim (after normalisation) in the page's main text.
    Verified,
    /// A near match only: the page now says something close but different.
    Changed,
    /// The page answers 404 or 410, or the words are no longer in it.
    Gone,
    /// The page could not be fetched, even after retries.
    Unreachable,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Changed => "changed",
            Self::Gone => "gone",
            Self::Unreachable => "unreachable",
        }
    }
}

impl std::fmt::Display for CheckState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One chosen quote's last check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteCheck {
    pub state: CheckState,
    /// When the page was fetched (or the fetch gave up).
    pub at: DateTime<Utc>,
    /// The words checked: the quote as the digest shows it (an editor's trim included).
    pub published: String,
    /// For `changed`: the page's current words, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// Why a check is not `verified` ("HTTP 404", a fetch error), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
