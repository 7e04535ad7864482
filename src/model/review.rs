//! Records of the editors' workflow: the audit trail and the review users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ItemId, Role};

/// One line of the audit trail: who did what to which item, when.
///
/// Written by the store in the same atomic write as the change it describes,
/// so the trail never shows a change that did not happen, nor misses one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The editor: a review user's name, the OS user, or `--as NAME`.
    pub actor: String,
    pub item_id: ItemId,
    /// What was done: `shortlist`, `approve`, `reject`, `reset`, `edit`,
    /// `reorder`. Kept as text rather than an enum so that an older build can
    /// still show entries a newer one wrote.
    pub action: String,
    /// Human-readable particulars ("new → approved", "headline, commentary").
    pub detail: String,
    /// The item's revision after the change.
    pub revision: u64,
}

/// A person who may log in to the review UI.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// PHC string (argon2id with its salt and parameters); never the password.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Users stored before roles existed read as [`Role::legacy`].
    #[serde(default = "Role::legacy")]
    pub role: Role,
}

// Hand-written so the hash never lands in a log line through `{:?}`.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}
