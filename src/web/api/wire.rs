//! The API's JSON shapes, shared by the handlers and the CLI's client, so
//! that a command prints the same thing whether it read the store itself or
//! asked the running service.
//!
//! Plain data with serde both ways; no I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::editorial::rules::Action;
use crate::editorial::{EditChanges, EditorialError, QueueRow};
use crate::model::{ApiToken, AuditEntry, Item, ItemId, Link, Quote, QuoteOverride, ReviewState, Role, Scope, User};
use crate::store::StoreError;

/// `Some(None)` for an explicit `null` (clear the field), `None` when absent.
#[allow(clippy::option_option, reason = "absent, null and a value are three different requests")]
fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Every error answer: `code` is stable (scripts branch on it), `message`
/// is for people; the other fields say more for some codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    /// `stale_revision`, `invalid_transition`, `not_found` (an item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemId>,
    /// `stale_revision`: the revision the request named and the stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<u64>,
    /// `stale_revision`: the change made since, when a person made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_change: Option<AuditEntry>,
    /// `invalid_transition`: the item's state and the refused action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ReviewState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `exists`, `not_found` (a user or token): the name, and what it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
}

impl ErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into(), ..Self::default() }
    }

    /// An editorial refusal, with what the client needs to say it in the same words.
    pub fn from_editorial(error: &EditorialError) -> Self {
        let mut body = Self::new("", error.to_string());
        let code = match error {
            EditorialError::NotFound { id } => {
                body.item = Some(id.clone());
                "not_found"
            }
            EditorialError::Stale { id, expected, found, last_change } => {
                body.item = Some(id.clone());
                body.expected = Some(*expected);
                body.found = Some(*found);
                body.last_change = last_change.as_deref().cloned();
                "stale_revision"
            }
            EditorialError::Transition { id, from, action } => {
                body.item = Some(id.clone());
                body.from = Some(*from);
                body.action = Some(action.as_str().to_owned());
                "invalid_transition"
            }
            EditorialError::Invalid { .. } => "invalid",
            EditorialError::UserExists { name } => {
                body.name = Some(name.clone());
                "exists"
            }
            EditorialError::NoSuch { what, name } => {
                body.name = Some(name.clone());
                body.what = Some((*what).to_owned());
                "not_found"
            }
            EditorialError::Store(_) => {
                "internal error; the service logged it".clone_into(&mut body.message);
                "internal"
            }
        };
        code.clone_into(&mut body.code);
        body
    }

    /// The editorial error this answer describes, so the CLI reports a
    /// refusal from the service exactly as it reports its own; anything
    /// else is a store failure on the far side.
    pub fn into_editorial(self) -> EditorialError {
        let action = self.action.as_deref().and_then(|a| Action::ALL.into_iter().find(|x| x.as_str() == a));
        match (self.code.as_str(), self.item, self.from, action) {
            ("not_found", Some(id), ..) => EditorialError::NotFound { id },
            ("not_found", None, ..) if self.name.is_some() => EditorialError::NoSuch {
                what: if self.what.as_deref() == Some("token") { "token" } else { "user" },
                name: self.name.unwrap_or_default(),
            },
            ("stale_revision", Some(id), ..) => EditorialError::Stale {
                id,
                expected: self.expected.unwrap_or_default(),
                found: self.found.unwrap_or_default(),
                last_change: self.last_change.map(Box::new),
            },
            ("invalid_transition", Some(id), Some(from), Some(action)) => {
                EditorialError::Transition { id, from, action }
            }
            ("invalid", ..) => EditorialError::Invalid { message: self.message },
            ("exists", ..) => EditorialError::UserExists { name: self.name.unwrap_or_default() },
            (code, ..) => remote_failure(format!("the service answered {code}: {}", self.message)),
        }
    }
}

/// A failure on the far side of the API (or on the way there), as the
/// store failure it stands for: the CLI reports it as it reports its own.
pub fn remote_failure(message: String) -> EditorialError {
    EditorialError::Store(StoreError::Io(message))
}

/// `gleaner items` and `GET /api/v1/items/all`: one stored item; the
/// contract's fields first (DESIGN.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemLine {
    pub id: ItemId,
    pub source: String,
    pub sources: Vec<String>,
    pub url: Option<String>,
    pub title: String,
    pub state: ReviewState,
    pub published: DateTime<Utc>,
    pub language: Option<String>,
    /// The story this item tells (see `Item::story`): items with one story
    /// are one event as several outlets ran it.
    pub story: ItemId,
}

impl From<&Item> for ItemLine {
    fn from(item: &Item) -> Self {
        Self {
            id: item.id.clone(),
            source: item.source().to_owned(),
            sources: item.sources.clone(),
            url: item.url.clone(),
            title: item.title.clone(),
            state: item.state,
            published: item.published,
            language: item.language.clone(),
            story: item.story_id().clone(),
        }
    }
}

/// One row of `GET /api/v1/items` (the review queue).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueLine {
    pub id: ItemId,
    pub title: String,
    pub source: String,
    pub outlet: Option<String>,
    /// The editor's section, else the source's.
    pub section: Option<String>,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub state: ReviewState,
    pub revision: u64,
    pub quote_count: usize,
}

impl From<QueueRow> for QueueLine {
    fn from(row: QueueRow) -> Self {
        Self {
            id: row.id,
            title: row.title,
            source: row.source,
            outlet: row.outlet,
            section: row.section,
            language: row.language,
            published: row.published,
            state: row.state,
            revision: row.revision,
            quote_count: row.quote_count,
        }
    }
}

/// `GET /api/v1/items`: one page of the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueList {
    pub items: Vec<QueueLine>,
    /// Items matching every filter, on all pages.
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub per_page: usize,
    /// Per state, the items matching every filter but the state one.
    pub counts: BTreeMap<String, usize>,
}

/// `GET /api/v1/items/{id}` and `gleaner show --json`: the stored item with
/// its quotes and links (the API adds the audit trail).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemPage {
    #[serde(flatten)]
    pub item: Item,
    pub quotes: Vec<Quote>,
    pub links: Vec<Link>,
    #[serde(default)]
    pub audit: Vec<AuditEntry>,
}

/// `POST /api/v1/items/{id}/{action}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    /// The revision the caller looked at; absent means "as it is now".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Who acts, for the audit trail: honoured for the service's operator
    /// token only (the CLI passes its `--as` or OS user); others act as their token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// `PATCH /api/v1/items/{id}`: absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// Required: an edit names the revision it was based on (409 when stale).
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, deserialize_with = "double", skip_serializing_if = "Option::is_none")]
    pub headline: Option<Option<String>>,
    #[serde(default, deserialize_with = "double", skip_serializing_if = "Option::is_none")]
    pub commentary: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_overrides: Option<BTreeMap<String, QuoteOverride>>,
    #[serde(default, deserialize_with = "double", skip_serializing_if = "Option::is_none")]
    pub section: Option<Option<String>>,
    #[serde(default, deserialize_with = "double", skip_serializing_if = "Option::is_none")]
    pub position: Option<Option<u32>>,
}

impl EditBody {
    pub fn new(revision: u64, actor: Option<String>, changes: EditChanges) -> Self {
        Self {
            revision,
            actor,
            headline: changes.headline,
            commentary: changes.commentary,
            quote_ids: changes.quote_ids,
            quote_overrides: changes.quote_overrides,
            section: changes.section,
            position: changes.position,
        }
    }

    pub fn changes(&self) -> EditChanges {
        EditChanges {
            headline: self.headline.clone(),
            commentary: self.commentary.clone(),
            quote_ids: self.quote_ids.clone(),
            quote_overrides: self.quote_overrides.clone(),
            section: self.section.clone(),
            position: self.position,
        }
    }
}

/// `POST /api/v1/issues/publish`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// Compose and render only; store and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Publish even though some chosen quotes are not verified against
    /// their pages (each is checked first; without this, a 409 lists them).
    #[serde(default)]
    pub accept_unverified: bool,
}

/// `POST /api/v1/items/{id}/tags`: tags to add and to remove.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagBody {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// The revision the caller saw; without it, the item as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// `POST /api/v1/verify`: one item's chosen quotes, or a published issue's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u32>,
    /// Who asked, for the audit trail (the operator token only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// What a publish did: `issue` is absent when nothing was approved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishResult {
    pub issue: Option<IssueReport>,
    /// The `WebSub` ping's failure, when there was one (the issue is out regardless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// [`crate::publish::IssueReport`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssueReport {
    pub number: u32,
    pub title: String,
    /// Section names (empty for the unnamed main one) with their item counts.
    pub sections: Vec<(String, usize)>,
    pub items: usize,
    pub resumed: bool,
    /// Relative to the output folder.
    pub files: Vec<String>,
    pub dry_run: bool,
}

impl From<crate::publish::IssueReport> for IssueReport {
    fn from(r: crate::publish::IssueReport) -> Self {
        Self {
            number: r.number,
            title: r.title,
            sections: r.sections,
            items: r.items,
            resumed: r.resumed,
            files: r.files,
            dry_run: r.dry_run,
        }
    }
}

impl From<IssueReport> for crate::publish::IssueReport {
    fn from(r: IssueReport) -> Self {
        Self {
            number: r.number,
            title: r.title,
            sections: r.sections,
            items: r.items,
            resumed: r.resumed,
            files: r.files,
            dry_run: r.dry_run,
        }
    }
}

/// `gleaner sources` and `GET /api/v1/sources`: one source with its fetch state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceStatus {
    pub id: String,
    pub name: String,
    pub url: String,
    pub kind: crate::model::SourceKind,
    pub enabled: bool,
    pub schedule: String,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub consecutive_failures: u32,
    pub next_due: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub permanent_redirect: Option<String>,
}

impl SourceStatus {
    pub fn new(source: &crate::model::Source, state: crate::model::FetchState) -> Self {
        Self {
            id: source.id.clone(),
            name: source.name.clone(),
            url: source.url.to_string(),
            kind: source.kind,
            enabled: source.enabled,
            schedule: source.schedule.as_str().to_owned(),
            last_attempt: state.last_attempt,
            last_success: state.last_success,
            last_status: state.last_status,
            consecutive_failures: state.consecutive_failures,
            next_due: state.next_due,
            last_error: state.last_error,
            permanent_redirect: state.permanent_redirect,
        }
    }
}

/// `PUT /api/v1/sources/{id}/enabled`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    pub enabled: bool,
}

/// `POST /api/v1/items`: fetch, extract and queue one article (`gleaner add`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    pub url: String,
    /// Put it in this section of the digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// What an add did: the item as stored, and whether it was new.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddResult {
    pub item: Item,
    /// False when the URL was stored already (nothing was fetched).
    pub new: bool,
}

/// `POST /api/v1/notes`: a commentary-only entry (`gleaner note add`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub section: String,
    pub commentary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// `POST /api/v1/items/{id}/attach` and `.../detach`: the items an entry cites.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiteBody {
    pub items: Vec<ItemId>,
    /// The revision the caller looked at; absent means "as it is now".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// `POST /api/v1/stories`: group items into stories (`gleaner stories`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoriesBody {
    /// All items again, not only those without a story.
    #[serde(default)]
    pub all: bool,
}

/// The items whose story changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoriesResult {
    pub changed: Vec<ItemId>,
}

/// `POST /api/v1/issues/{number}/correct` (`gleaner publish --correct`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectBody {
    /// The correction note ("Corrected on DATE: TEXT").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// What a correction did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorrectResult {
    pub number: u32,
    pub title: String,
    /// How many corrections the issue carries now (this one included).
    pub corrections: usize,
    /// Files rewritten, relative to the output folder, in order.
    pub files: Vec<String>,
    /// The `WebSub` ping's failure, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One mailing-list address as listed (never its tokens).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriberLine {
    pub email: String,
    pub status: crate::model::SubscriberStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why the address bounced, when it did.
    pub note: Option<String>,
}

impl From<&crate::model::Subscriber> for SubscriberLine {
    fn from(s: &crate::model::Subscriber) -> Self {
        Self {
            email: s.email.clone(),
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
            note: s.note.clone(),
        }
    }
}

/// `POST /api/v1/subscribers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriber {
    pub email: String,
    /// The operator vouches for consent: no confirmation message.
    #[serde(default)]
    pub confirmed: bool,
}

/// What adding an address did: `confirmed`, `confirmation_queued` or `already_confirmed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriberAdded {
    pub email: String,
    pub outcome: String,
}

/// `POST /api/v1/subscribers/import`: the CSV text itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberImport {
    pub csv: String,
    #[serde(default)]
    pub confirmed: bool,
}

/// What an import did; `errors` are `line N: reason`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriberImportReport {
    pub confirmed: usize,
    pub confirmation_queued: usize,
    pub already: usize,
    pub errors: Vec<String>,
}

/// `POST /api/v1/mail/test`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailTestBody {
    pub address: String,
}

/// Where a test message went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailTestResult {
    pub address: String,
    pub smtp: String,
}

/// A review user as listed (never the hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserLine {
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserLine {
    fn from(user: &User) -> Self {
        Self { name: user.name.clone(), role: user.role, created_at: user.created_at }
    }
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub password: String,
    /// Default: admin for the first user, else editor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `PUT /api/v1/users/{name}/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub password: String,
}

/// `PUT /api/v1/users/{name}/role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: Role,
}

/// An API token as listed (never the token or its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenLine {
    pub name: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    /// The review user it was made for (removing or demoting them revokes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl From<&ApiToken> for TokenLine {
    fn from(token: &ApiToken) -> Self {
        Self {
            name: token.name.clone(),
            scope: token.scope,
            created_at: token.created_at,
            last_used: token.last_used,
            owner: token.owner.clone(),
        }
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    #[serde(default = "default_scope")]
    pub scope: Scope,
    /// The review user it is for (removing or demoting them revokes it).
    /// A token made with a user's token is that user's, whatever this says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn default_scope() -> Scope {
    Scope::Read
}

/// The answer to `POST /api/v1/tokens`: the token itself, this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub line: TokenLine,
}

/// The file `serve` writes in the store's folder while it runs (mode 0600):
/// where it listens and the operator token that lets the CLI in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceFile {
    /// `http://127.0.0.1:PORT` (a wildcard bind is reached on loopback).
    pub url: String,
    pub token: String,
    pub pid: u32,
}

/// The service file's name inside the store's folder.
pub const SERVICE_FILE: &str = "gleaner-service.json";

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// The CLI says a refusal from the service in the offline words: every
    /// editorial error survives the trip through JSON with its message.
    #[test]
    fn editorial_errors_cross_the_wire_with_their_messages() {
        let id = ItemId::parse("0123456789abcdef0123456789abcdef").expect("id");
        let change = AuditEntry {
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).single().expect("time"),
            actor: "sara".into(),
            item_id: id.clone(),
            action: "edit".into(),
            detail: "headline".into(),
            revision: 4,
        };
        let errors = [
            EditorialError::NotFound { id: id.clone() },
            EditorialError::Stale { id: id.clone(), expected: 3, found: 4, last_change: Some(Box::new(change)) },
            EditorialError::Stale { id: id.clone(), expected: 3, found: 5, last_change: None },
            EditorialError::Transition { id, from: ReviewState::Published, action: Action::Reset },
            EditorialError::Invalid { message: "password too short".into() },
            EditorialError::UserExists { name: "ann".into() },
            EditorialError::NoSuch { what: "token", name: "ci".into() },
            EditorialError::NoSuch { what: "user", name: "bob".into() },
        ];
        for error in errors {
            let json = serde_json::to_string(&ErrorBody::from_editorial(&error)).expect("encode");
            let back: ErrorBody = serde_json::from_str(&json).expect("decode");
            assert_eq!(back.into_editorial().to_string(), error.to_string(), "{json}");
        }
        let internal = ErrorBody::from_editorial(&EditorialError::Store(StoreError::Io("disk on fire".into())));
        assert_eq!(internal.code, "internal");
        assert!(!internal.message.contains("disk"), "internals stay in the service's log");
    }

    #[test]
    fn an_edit_body_tells_absent_from_null() {
        let body: EditBody = serde_json::from_str(r#"{"revision":3,"headline":null,"section":"World"}"#).expect("json");
        let changes = body.changes();
        assert_eq!(changes.headline, Some(None), "null clears");
        assert_eq!(changes.section, Some(Some("World".into())));
        assert_eq!(changes.commentary, None, "absent stays");
        assert!(serde_json::from_str::<EditBody>(r#"{"revision":1,"headlin":"x"}"#).is_err(), "typos are refused");
    }
}

/// `POST /api/v1/speakers/{id}/merge`: merge the speaker into another (`gleaner speakers merge`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The speaker (id or name) it is merged into.
    pub into: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// `POST /api/v1/watches`: follow a speaker or a query (`gleaner follow`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowBody {
    /// `speaker` or `query`.
    pub kind: String,
    /// A speaker's id or name, or a query in the search syntax.
    pub target: String,
    /// Whose watchlist (the operator token only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editor: Option<String>,
    /// The `[[webhook]]` name told of each new match (event `quote.followed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
}

/// `POST /api/v1/speakers/{id}/split`: split a name off the speaker (`gleaner speakers split`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// The name, as written, that becomes a speaker of its own.
    pub alias: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// What a merge or split answers: the speaker id that now holds the name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpeakerEdited {
    pub id: String,
}
