//! The editors' review UI: queue, item page, composer, login. Server-rendered
//! HTML that works without JavaScript (forms, POST-redirect-GET); `app.js`
//! only adds keyboard shortcuts on top.
//!
//! Every route is listed in [`routes`]; one handler file per page family
//! (`queue.rs`, `item.rs`, `composer.rs`, `sources.rs`, `auth.rs`), each with a template of
//! the same name in `src/web/templates/`. Every failure is a [`UiError`]
//! whose one `IntoResponse` impl picks the status; the error page itself is
//! rendered by a layer that has the templates (internals are logged, never
//! shown).
//!
//! Security lives in two layers, not in handlers: `auth::require_session`
//! (no session → `/login`; every POST needs the session's CSRF token, else
//! 403) and `assets::security_headers` (CSP without inline script, no
//! framing, no sniffing). What the UI must not do: decide review rules (that
//! is `editorial`), or show outside HTML that has not been through
//! `sanitize`. Main type: [`UiState`].

mod admin;
mod assets;
mod auth;
mod composer;
mod entries;
mod followed;
mod form;
mod highlight;
mod item;
mod next_item;
mod pages;
mod preview;
mod publishing;
mod queue;
mod sources;
mod speakers;
mod tags;
mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use self::auth::Sessions;
pub use self::pages::Pages;
pub use self::preview::Preview;
use crate::app::{App, ConfigStatus};
use crate::editorial::{Editorial, EditorialError};

/// Settings of the UI that are not in the config file yet.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// Mark the session cookie `Secure` (the UI is behind an HTTPS proxy).
    pub secure_cookies: bool,
    /// How long a session lasts after login.
    pub session_ttl: Duration,
    /// Login attempts allowed per client address and user name within
    /// `login_window` (an address, or a name, gets a few times as many).
    pub login_attempts: usize,
    pub login_window: Duration,
    /// Password checks (argon2id, 19 MiB each) running at once.
    pub password_checks: usize,
    /// How long a login waits for a free password check before it gets 429.
    pub password_wait: Duration,
}

/// Twelve hours: a working day, so nobody is logged out mid-issue.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Five failed tries a minute per address and name stops password guessing
/// (argon2 makes each try slow too) without locking out a typo-prone editor.
const LOGIN_ATTEMPTS: usize = 5;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Two checks at once keep a login under a second on two cores and the
/// memory they take under 40 MiB, however many clients try.
const PASSWORD_CHECKS: usize = 2;
/// Long enough for a queue of a few dozen honest logins, short enough that a
/// flood is told no before it piles up in memory.
const PASSWORD_WAIT: Duration = Duration::from_secs(2);

impl Default for UiOptions {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: SESSION_TTL,
            login_attempts: LOGIN_ATTEMPTS,
            login_window: LOGIN_WINDOW,
            password_checks: PASSWORD_CHECKS,
            password_wait: PASSWORD_WAIT,
        }
    }
}

impl UiOptions {
    /// Defaults, with `secure_cookies` from `GLEANER_SECURE_COOKIES=1|true`.
    ///
    /// An environment variable only until `[server] secure_cookies` exists in
    /// the config; read once here and passed on as a value.
    pub fn from_env() -> Self {
        let secure = std::env::var("GLEANER_SECURE_COOKIES").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        Self { secure_cookies: secure, ..Self::default() }
    }

    /// Options from the settings (`[server] secure_cookies`); the
    /// `GLEANER_SECURE_COOKIES` environment variable can only turn it on.
    pub fn from_settings(server: &crate::config::ServerSettings) -> Self {
        let mut options = Self::from_env();
        options.secure_cookies |= server.secure_cookies;
        options
    }
}

/// What the review handlers share; cheap to clone.
#[derive(Clone)]
pub struct UiState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) editorial: Editorial,
    pub(crate) pages: Pages,
    pub(crate) sessions: Sessions,
    /// Slots for password checks (`UiOptions::password_checks`).
    pub(crate) password_checks: Arc<tokio::sync::Semaphore>,
    pub(crate) preview: Preview,
    /// Section names offered on the item page (`publish.sections`).
    pub(crate) sections: Vec<String>,
    pub(crate) options: UiOptions,
    /// Fetches what an editor adds by URL; `None` where the UI runs without
    /// a fetcher (then the queue's "Add by URL" box says so).
    pub(crate) ingest: Option<crate::ingest::Ingest>,
    /// Checks chosen quotes against their pages before a publish (and on
    /// the composer's "Check quotes now"); `None`: the UI publishes unchecked.
    pub(crate) verifier: Option<crate::verify::Verifier>,
}

/// Why the UI could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum UiSetupError {
    #[error(transparent)]
    Editorial(Box<EditorialError>),
    /// A template (UI or digest) does not compile; one line per problem.
    #[error("templates:\n{0}")]
    Templates(String),
}

impl UiState {
    /// Assembles the UI from its parts.
    pub fn new(editorial: Editorial, pages: Pages, preview: Preview, options: UiOptions) -> Self {
        let sections = preview.settings().sections.clone();
        let sessions = Sessions::new(options.session_ttl, options.login_attempts, options.login_window);
        let password_checks = Arc::new(tokio::sync::Semaphore::new(options.password_checks.max(1)));
        let inner = Inner {
            editorial,
            pages,
            sessions,
            password_checks,
            preview,
            sections,
            options,
            ingest: None,
            verifier: None,
        };
        Self { inner: Arc::new(inner) }
    }

    /// Lets editors add articles by URL, fetched by `ingest` (the service's own).
    ///
    /// # Panics
    /// When called after the state was cloned (it is set while assembling).
    #[must_use]
    pub fn with_ingest(mut self, ingest: crate::ingest::Ingest) -> Self {
        Arc::get_mut(&mut self.inner).expect("with_ingest is called before the state is shared").ingest = Some(ingest);
        self
    }

    /// Checks chosen quotes with `verifier` before each publish, and asks
    /// for confirmation when one is not verified.
    ///
    /// # Panics
    /// When called after the state was cloned (it is set while assembling).
    #[must_use]
    pub fn with_verifier(mut self, verifier: crate::verify::Verifier) -> Self {
        Arc::get_mut(&mut self.inner).expect("with_verifier is called before the state is shared").verifier =
            Some(verifier);
        self
    }

    /// The UI over the service's own parts (one editorial, one publisher
    /// for the preview, the config in force), with the UI templates and
    /// their overrides from `{publish.templates_dir}/review/`.
    pub fn from_app(app: &App, options: UiOptions) -> Result<Self, UiSetupError> {
        let pages = Pages::load(&app.config.settings.publish.templates_dir).map_err(UiSetupError::Templates)?;
        let pages = pages.with_config_status(app.status.clone());
        let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store))
            .with_user_agent(&app.config.settings.fetch.user_agent);
        Ok(Self::new(app.editorial.clone(), pages, preview, options)
            .with_ingest(app.ingest.clone())
            .with_verifier(app.verifier.clone()))
    }

    /// The editorial use-case behind the UI: `serve` refreshes its queue after each poll.
    pub fn editorial(&self) -> &Editorial {
        &self.inner.editorial
    }

    /// The config in force and any refused edit: `serve`'s reloader writes it,
    /// the banner and the sources page read it.
    pub fn config_status(&self) -> &ConfigStatus {
        self.inner.pages.config_status()
    }

    /// The sessions (also lets an embedder or a test start one without a password).
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }
}

/// Every review route, in one place. Everything but `/login` and the static
/// files needs a session; the caller merges this with the public routes.
pub fn routes(state: UiState) -> Router {
    let protected = Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/queue", get(queue::show))
        .route("/queue/bulk", post(queue::bulk))
        .route("/queue/views", post(views::save))
        .route("/queue/views/delete", post(views::delete))
        .route("/queue/followed", get(followed::show))
        .route("/queue/follow", post(followed::follow))
        .route("/queue/unfollow", post(followed::unfollow))
        .route("/items/{id}", get(item::show).post(item::save))
        .route("/items/{id}/act", post(item::act))
        .route("/items/{id}/attach", post(entries::attach))
        .route("/items/{id}/detach", post(entries::detach))
        .route("/queue/add", post(entries::add))
        .route("/items/{id}/quotes", post(item::add_quote))
        .route("/items/{id}/tags", post(tags::tag))
        .route("/composer", get(composer::show))
        .route("/composer/reorder", post(composer::reorder))
        .route("/composer/remove", post(composer::remove))
        .route("/composer/preview", get(composer::preview))
        .route("/composer/publish", post(composer::publish))
        .route("/composer/verify", post(composer::verify))
        .route("/issues/{number}/correct", post(publishing::correct))
        .route("/sources", get(sources::show))
        .route("/speakers", get(speakers::list))
        .route("/speakers/{id}", get(speakers::show))
        .route("/speakers/{id}/merge", post(speakers::merge))
        .route("/speakers/{id}/split", post(speakers::split))
        .route("/admin", get(admin::show))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/role", post(admin::set_role))
        .route("/admin/users/remove", post(admin::remove_user))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/tokens/revoke", post(admin::revoke_token))
        .route("/logout", post(auth::logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_session));
    Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/static/{version}/{file}", get(assets::file))
        .merge(protected)
        .layer(middleware::from_fn_with_state(state.clone(), pages::render_errors))
        .layer(middleware::from_fn(assets::security_headers))
        .with_state(state)
}

/// Runs store work off the async threads (sled and argon2 block).
pub(crate) async fn blocking<T, F>(state: &UiState, work: F) -> Result<T, UiError>
where
    F: FnOnce(&Inner) -> Result<T, UiError> + Send + 'static,
    T: Send + 'static,
{
    let inner = Arc::clone(&state.inner);
    tokio::task::spawn_blocking(move || work(&inner)).await.map_err(|e| UiError::Internal(e.to_string()))?
}

/// Why a review request failed.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// No such page or item.
    #[error("not found")]
    NotFound,
    /// A POST without the session's CSRF token (or with a wrong one).
    #[error("the form was stale or not sent by this site; reload the page and try again")]
    Csrf,
    /// A page for admins, asked for by an editor.
    #[error("{0}")]
    Forbidden(String),
    /// A malformed form or query (a hand-made request, not the UI's).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Too many failed logins for this address and name.
    #[error("too many login attempts; wait a minute and try again")]
    TooManyAttempts,
    /// Every password-check slot stayed taken while the login waited.
    #[error("the server is busy checking other logins; try again in a moment")]
    Busy,
    /// The review rules refused (stale revision, illegal transition, invalid
    /// edit). Boxed: a stale error carries an audit entry, and every handler
    /// result would otherwise be that large.
    #[error(transparent)]
    Editorial(Box<EditorialError>),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(String),
    /// The preview could not be composed or rendered.
    #[error("preview: {0}")]
    Preview(String),
    /// A publish or correction was refused (someone published meanwhile, no
    /// such issue): the editor can act on it.
    #[error("{0}")]
    PublishRefused(String),
    /// Anything else that is ours, not the user's (a panicked worker).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<EditorialError> for UiError {
    fn from(error: EditorialError) -> Self {
        Self::Editorial(Box::new(error))
    }
}

impl UiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PublishRefused(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts | Self::Busy => StatusCode::TOO_MANY_REQUESTS,
            Self::Editorial(e) => editorial_status(e),
            Self::Template(_) | Self::Preview(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The status of a refused editorial write: a conflict with someone else's
/// change or with the item's state is 409, a bad edit 422.
pub(crate) fn editorial_status(error: &EditorialError) -> StatusCode {
    match error {
        EditorialError::NotFound { .. } | EditorialError::NoSuch { .. } => StatusCode::NOT_FOUND,
        EditorialError::Stale { .. } | EditorialError::Transition { .. } | EditorialError::UserExists { .. } => {
            StatusCode::CONFLICT
        }
        EditorialError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        EditorialError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What the error page shows; carried in the response's extensions to
/// [`pages::render_errors`], which has the templates.
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    pub(crate) title: &'static str,
    pub(crate) message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "review request failed");
            "Something went wrong on our side; it has been logged.".to_owned()
        } else {
            self.to_string()
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let mut response = (status, message.clone()).into_response();
        response.extensions_mut().insert(ErrorPage { title, message });
        response
    }
}
