//! The JSON API under `/api/v1/`: items and review actions, issues, sources,
//! users and tokens, for scripts, integrations and the CLI (which talks to a
//! running `serve` through it; see `cli/remote.rs`).
//!
//! Every route is one row of [`endpoints`]: method, path, the token scope it
//! needs, what it does and its handler. The router, the scope check and the
//! `OpenAPI` document (`openapi.rs`, served at `/api/v1/openapi.json`) are all
//! built from that one table, so none can drift from the others.
//!
//! Auth is `Authorization: Bearer TOKEN` only (no cookies, so no CSRF to
//! guard against): a token created with `gleaner token create`, or the
//! operator token `serve` writes to its service file for the CLI. Errors are
//! JSON with a stable `code` ([`ApiError`]). The HTML UI's sessions and CSRF
//! rules are untouched. Must not decide review rules (that is `editorial`).

mod accounts;
mod corrections;
mod entries;
mod error;
mod issues;
mod items;
mod mail;
pub mod openapi;
mod search;
mod sources;
mod speakers;
mod tags;
mod verify;
mod watches;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use chrono::Utc;

pub use self::error::ApiError;
use crate::app::{App, ConfigStatus};
use crate::editorial::Editorial;
use crate::ingest::Ingest;
use crate::model::{ApiToken, Scope};
use crate::publish::Publisher;
use crate::store::Store;

/// What the API handlers share; cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) editorial: Editorial,
    pub(crate) publisher: Arc<Publisher>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) status: ConfigStatus,
    pub(crate) ingest: Ingest,
    pub(crate) output_dir: PathBuf,
    /// The settings file: source edits re-read the files in force on disk.
    pub(crate) config_path: PathBuf,
    pub(crate) user_agent: String,
    /// The digest's mailer, when `[mail]` is configured (`mail test`).
    pub(crate) mailer: Option<Arc<crate::mail::Mailer>>,
    /// Checks chosen quotes against their pages (`/api/v1/verify`, before a publish).
    pub(crate) verifier: crate::verify::Verifier,
    /// Hash of the operator token (see [`ApiState::with_operator_token`]).
    operator: Option<String>,
    /// One API publish at a time: two would compose the same issue number.
    pub(crate) publishing: tokio::sync::Mutex<()>,
}

impl ApiState {
    /// The API over the service's own parts.
    pub fn from_app(app: &App) -> Self {
        Self {
            inner: Arc::new(Inner {
                editorial: app.editorial.clone(),
                publisher: Arc::clone(&app.publisher),
                store: Arc::clone(&app.store),
                status: app.status.clone(),
                ingest: app.ingest.clone(),
                output_dir: app.config.settings.publish.output_dir.clone(),
                config_path: app.config_path.clone(),
                user_agent: app.config.settings.fetch.user_agent.clone(),
                mailer: app.mailer.clone(),
                verifier: app.verifier.clone(),
                operator: None,
                publishing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Also accepts `token` as an admin token that may name the actor of a
    /// review action (the CLI acting for whoever runs it). Never stored:
    /// it lives as long as this process, in its service file.
    #[must_use]
    pub fn with_operator_token(mut self, token: &str) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("set before the state is shared");
        inner.operator = Some(crate::editorial::token_hash(token));
        self
    }
}

/// Who is calling, as handlers see it (put in request extensions by [`authenticate`]).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// `None` for the operator token.
    pub(crate) token: Option<ApiToken>,
}

impl Caller {
    /// The audit trail's name for a change this caller makes: the operator
    /// token acts for the person named in the request (the CLI's `--as` or
    /// OS user), any other token as itself.
    pub(crate) fn actor(&self, requested: Option<&str>) -> Result<String, ApiError> {
        match (&self.token, requested.map(str::trim).filter(|a| !a.is_empty())) {
            (None, Some(actor)) => Ok(actor.to_owned()),
            (None, None) => Ok("operator".to_owned()),
            (Some(token), None) => Ok(format!("api:{}", token.name)),
            (Some(_), Some(_)) => Err(ApiError::BadRequest(
                "`actor` is for the service's operator token only; this change is recorded under the token's name"
                    .to_owned(),
            )),
        }
    }
}

/// One route of the API.
pub struct Endpoint {
    pub method: Method,
    /// In axum's syntax (`/api/v1/items/{id}`), which is also `OpenAPI`'s.
    pub path: &'static str,
    /// The least token scope that may call it.
    pub scope: Scope,
    pub summary: &'static str,
    /// Query parameters: name and meaning.
    pub query: &'static [(&'static str, &'static str)],
    /// The JSON body it takes, if any: the name of a schema in `openapi.rs`.
    pub body: Option<&'static str>,
    pub(crate) handler: MethodRouter<ApiState>,
}

const QUEUE_QUERY: &[(&str, &str)] = &[
    ("state", "new, shortlisted, approved, rejected or published"),
    ("source", "a source id (the item's first source)"),
    ("section", "the effective section (the editor's, else the source's)"),
    ("language", "a language tag; `fa` matches `fa-IR`"),
    ("from", "published at or after (RFC 3339)"),
    ("to", "published before (RFC 3339)"),
    ("q", "a full-text search in `gleaner search`'s syntax (words, \"phrases\", speaker:, outlet:, ...), best first"),
    ("page", "1-based page"),
    ("per_page", "rows per page (1-500, default 50)"),
];

const LISTING_QUERY: &[(&str, &str)] = &[
    ("state", "new, shortlisted, approved, rejected or published"),
    ("source", "a source id (any of the item's sources)"),
    ("limit", "at most this many, newest first"),
];

/// Every route of the API, in one place (one row per route).
pub fn endpoints() -> Vec<Endpoint> {
    use Scope::{Admin, Edit, Read};
    let e = |method, path, scope, summary, query, body, handler| Endpoint {
        method,
        path,
        scope,
        summary,
        query,
        body,
        handler,
    };
    #[rustfmt::skip]
    let table = vec![
        e(Method::GET, "/api/v1/items", Read, "The review queue: filters and paging", QUEUE_QUERY, None, get(items::queue)),
        e(Method::GET, "/api/v1/items/all", Read, "Every stored item matching, newest first (what `gleaner items` lists)", LISTING_QUERY, None, get(items::listing)),
        e(Method::GET, "/api/v1/items/{id}", Read, "One item with its quotes, links and audit trail", &[], None, get(items::show)),
        e(Method::PATCH, "/api/v1/items/{id}", Edit, "Edit an item's editor fields; 409 when `revision` is stale", &[], Some("EditBody"), patch(items::edit)),
        e(Method::POST, "/api/v1/items", Edit, "Fetch, extract and queue one article by URL (as `new`, source `manual`)", &[], Some("AddBody"), post(entries::add)),
        e(Method::POST, "/api/v1/items/{id}/attach", Edit, "Make an entry cite more items", &[], Some("CiteBody"), post(entries::attach)),
        e(Method::POST, "/api/v1/items/{id}/tags", Edit, "Add and remove an item's tags", &[], Some("TagBody"), post(tags::tag)),
        e(Method::POST, "/api/v1/items/{id}/detach", Edit, "Make an entry cite fewer items", &[], Some("CiteBody"), post(entries::detach)),
        e(Method::POST, "/api/v1/notes", Edit, "A commentary-only entry, approved for the next issue", &[], Some("NoteBody"), post(entries::note)),
        e(Method::POST, "/api/v1/stories", Edit, "Group items into stories: those without one, or all again", &[], Some("StoriesBody"), post(entries::stories)),
        e(Method::POST, "/api/v1/items/{id}/{action}", Edit, "A review action: approve, reject, shortlist or reset", &[], Some("ActBody"), post(items::act)),
        e(Method::GET, "/api/v1/search", Read, "Full-text search: ranked hits with snippets", search::SEARCH_QUERY, None, get(search::search)),
        e(Method::GET, "/api/v1/speakers", Read, "The most quoted speakers, with counts per outlet", speakers::SPEAKERS_QUERY, None, get(speakers::list)),
        e(Method::POST, "/api/v1/speakers/{id}/merge", Edit, "Merge a speaker into another (stored; every later ingest keeps it)", &[], Some("MergeBody"), post(speakers::merge)),
        e(Method::POST, "/api/v1/speakers/{id}/split", Edit, "Split a name off a speaker into a speaker of its own", &[], Some("SplitBody"), post(speakers::split)),
        e(Method::GET, "/api/v1/watches", Read, "An editor's watchlist: followed speakers and queries", watches::EDITOR_QUERY, None, get(watches::list)),
        e(Method::POST, "/api/v1/watches", Edit, "Follow a speaker or a query (matches appear in the queue's Followed tab)", &[], Some("FollowBody"), post(watches::follow)),
        e(Method::GET, "/api/v1/watches/followed", Read, "The Followed tab's matches (recent quotes of followed speakers and queries), none marked seen", watches::EDITOR_QUERY, None, get(watches::followed)),
        e(Method::DELETE, "/api/v1/watches/{id}", Edit, "Unfollow: remove a watch", watches::EDITOR_QUERY, None, delete(watches::unfollow)),
        e(Method::GET, "/api/v1/quotes", Read, "Quote records: each quote with every article that ran it, first first", speakers::QUOTES_QUERY, None, get(speakers::quotes)),
        e(Method::GET, "/api/v1/issues", Read, "Every digest issue, drafts included", &[], None, get(issues::list)),
        e(Method::GET, "/api/v1/issues/draft", Read, "The next issue as it stands: approved items by section, in order", &[], None, get(issues::draft)),
        e(Method::GET, "/api/v1/issues/preview", Read, "The next issue's HTML page as `publish` would write it", &[], None, get(issues::preview)),
        e(Method::POST, "/api/v1/issues/publish", Edit, "Publish the next issue (or complete an interrupted one)", &[], Some("PublishBody"), post(issues::publish)),
        e(Method::POST, "/api/v1/verify", Edit, "Check chosen quotes against their pages now (an item's, or a published issue's)", &[], Some("VerifyBody"), post(verify::verify)),
        e(Method::GET, "/api/v1/issues/{number}", Read, "One digest issue", &[], None, get(issues::show)),
        e(Method::POST, "/api/v1/issues/{number}/correct", Edit, "Re-render a published issue with a correction note", &[], Some("CorrectBody"), post(corrections::correct)),
        e(Method::GET, "/api/v1/sources", Read, "Every source with its fetch state", &[], None, get(sources::list)),
        e(Method::POST, "/api/v1/sources/{id}/poll", Admin, "Poll one source now", &[], None, post(sources::poll)),
        e(Method::PUT, "/api/v1/sources/{id}/enabled", Admin, "Enable or disable a source (its config file is edited; live reload applies it)", &[], Some("EnabledBody"), put(sources::set_enabled)),
        e(Method::GET, "/api/v1/users", Admin, "Every review user and their role", &[], None, get(accounts::users)),
        e(Method::POST, "/api/v1/users", Admin, "Add a review user", &[], Some("NewUser"), post(accounts::add_user)),
        e(Method::DELETE, "/api/v1/users/{name}", Admin, "Remove a review user (not the last admin)", &[], None, delete(accounts::remove_user)),
        e(Method::PUT, "/api/v1/users/{name}/password", Admin, "Set a user's password", &[], Some("PasswordBody"), put(accounts::set_password)),
        e(Method::PUT, "/api/v1/users/{name}/role", Admin, "Set a user's role", &[], Some("RoleBody"), put(accounts::set_role)),
        e(Method::GET, "/api/v1/tokens", Admin, "Every API token with its scope and last use", &[], None, get(accounts::tokens)),
        e(Method::POST, "/api/v1/tokens", Admin, "Create an API token (shown once)", &[], Some("NewToken"), post(accounts::create_token)),
        e(Method::DELETE, "/api/v1/tokens/{name}", Admin, "Revoke an API token", &[], None, delete(accounts::revoke_token)),
        e(Method::GET, "/api/v1/subscribers", Admin, "Every mailing-list address with its status", &[], None, get(mail::list)),
        e(Method::POST, "/api/v1/subscribers", Admin, "Add an address (confirmed, or sent a confirmation link)", &[], Some("NewSubscriber"), post(mail::add)),
        e(Method::POST, "/api/v1/subscribers/import", Admin, "Add the addresses of a CSV text (first column)", &[], Some("SubscriberImport"), post(mail::import)),
        e(Method::DELETE, "/api/v1/subscribers/{email}", Admin, "Forget an address entirely", &[], None, delete(mail::remove)),
        e(Method::POST, "/api/v1/mail/test", Admin, "Send a test message through the `[mail]` settings", &[], Some("MailTestBody"), post(mail::test)),
    ];
    table
}

/// Every API route, with token auth, JSON errors and the `OpenAPI` document.
pub fn routes(state: ApiState) -> Router {
    // One method router per path, each method guarded by the scope its row
    // names; another method on a known path is a JSON 405.
    let mut paths: Vec<(&'static str, MethodRouter<ApiState>)> = Vec::new();
    for endpoint in endpoints() {
        let guard = middleware::from_fn_with_state((state.clone(), endpoint.scope), authenticate);
        let handler = endpoint.handler.route_layer(guard);
        match paths.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(handler),
            None => paths.push((endpoint.path, handler)),
        }
    }
    let mut router = Router::new().route("/api/v1/openapi.json", get(openapi::serve));
    for (path, methods) in paths {
        router = router.route(path, methods.fallback(method_not_allowed));
    }
    router
        .route("/api/v1", get(not_found))
        .route("/api/v1/", get(not_found))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NoRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Checks the bearer token against the scope the route needs.
async fn authenticate(
    State((state, needed)): State<(ApiState, Scope)>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized("no bearer token: send `Authorization: Bearer TOKEN`"))?;
    let hash = crate::editorial::token_hash(&presented);
    let caller = if state.inner.operator.as_deref().is_some_and(|op| same_secret(op, &hash)) {
        Caller { token: None }
    } else {
        let editorial = state.inner.editorial.clone();
        let found = tokio::task::spawn_blocking(move || editorial.authenticate_token(&presented, Utc::now()))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
        let token = found.ok_or(ApiError::Unauthorized("unknown or revoked token"))?;
        if !token.scope.allows(needed) {
            return Err(ApiError::Forbidden { needed, has: token.scope });
        }
        Caller { token: Some(token) }
    };
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// Equal hashes, compared without an early exit.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs store work off the async threads (sled and argon2 block).
pub(crate) async fn blocking<T, F>(state: &ApiState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&Inner) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let inner = Arc::clone(&state.inner);
    tokio::task::spawn_blocking(move || work(&inner)).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

/// `value` as a JSON answer with `status`.
pub(crate) fn json_response(status: axum::http::StatusCode, value: &impl serde::Serialize) -> Response {
    use axum::response::IntoResponse as _;
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode an API answer");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `value` as a 200 JSON answer.
pub(crate) fn ok(value: &impl serde::Serialize) -> Response {
    json_response(axum::http::StatusCode::OK, value)
}

/// A JSON request body; an empty one reads as `{}` (for bodies whose every field is optional).
pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}
