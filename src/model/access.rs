//! Who may do what: review users' roles and API tokens with their scopes.
//!
//! Plain records; hashing, checking and storing them is `editorial`'s and
//! `store`'s business.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A review user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reviews, edits and publishes.
    Editor,
    /// An editor who also manages users, API tokens and sources.
    Admin,
}

impl Role {
    pub const ALL: [Self; 2] = [Self::Editor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The role of a user stored before roles existed: every user could then
    /// do everything there was to do, so none loses a power by the upgrade.
    pub fn legacy() -> Self {
        Self::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API token may do; each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Reads items, issues, sources and users.
    Read,
    /// Also reviews, edits, publishes and polls.
    Edit,
    /// Also manages users, tokens and sources.
    Admin,
}

impl Scope {
    pub const ALL: [Self; 3] = [Self::Read, Self::Edit, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Edit => "edit",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether a token of this scope may use a route that needs `needed`.
    pub fn allows(self, needed: Self) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API token as stored: never the token itself, only its hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Unique; what `token list` shows and `token revoke` names.
    pub name: String,
    /// BLAKE3 of the token, hex. A token is 256 random bits, so a fast hash
    /// is enough (no dictionary to guess from, unlike a password).
    pub hash: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute (a write per request would cost more than the request).
    #[serde(default)]
    pub last_used: Option<DateTime<Utc>>,
    /// The review user the token was made for, if any: removing that user
    /// or lowering their role revokes it (the person leaves, their keys go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

// Hand-written so the hash never lands in a log line through `{:?}`.
impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken").field("name", &self.name).field("scope", &self.scope).finish_non_exhaustive()
    }
}
