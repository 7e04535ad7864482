//! The HTTP server (axum): the published digest under `/feeds/`, `/healthz`,
//! `/metrics`, and (in `review/`) the editors' UI; `server.rs` owns the
//! connections and their limits.
//!
//! Every route is listed in [`router`]; one handler file per page family
//! (`feeds.rs`); every failure is a [`WebError`] whose one `IntoResponse`
//! impl picks the status (internals are logged, never shown). The server
//! only reads what the publisher wrote: it must not compose, render or touch
//! the store for feeds.

pub mod api;
mod feeds;
mod health;
pub mod mail;
pub mod metrics;
pub mod review;
mod server;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use feeds::FileCache;
pub use server::{ServerOptions, serve_with};

/// What handlers share; cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub(crate) feeds: Arc<FileCache>,
    /// What `/healthz` checks; without it, `/healthz` only says the server answers.
    pub(crate) health: Option<Arc<health::Health>>,
    /// The mailing-list pages, when `[mail]` is configured.
    pub(crate) mail: Option<Arc<mail::MailPages>>,
}

impl WebState {
    /// Serves the publisher's output folder (`publish.output_dir`).
    pub fn new(feeds_dir: impl Into<PathBuf>) -> Self {
        Self { feeds: Arc::new(FileCache::new(feeds_dir.into())), health: None, mail: None }
    }

    /// Makes `/healthz` check that `store` takes writes and, when given, that
    /// the scheduler's heartbeat is recent.
    #[must_use]
    pub fn with_health(
        mut self,
        store: Arc<dyn crate::store::Store>,
        scheduler: Option<crate::app::Heartbeat>,
    ) -> Self {
        self.health = Some(Arc::new(health::Health { store, scheduler }));
        self
    }
}

impl WebState {
    /// Adds the sign-up form to `/feeds/` and serves the confirm and unsubscribe links.
    #[must_use]
    pub fn with_mail(mut self, pages: mail::MailPages) -> Self {
        self.mail = Some(Arc::new(pages));
        self
    }
}

/// Every route, in one place.
pub fn router(state: WebState) -> Router {
    let feeds = Router::new()
        .route("/feeds", get(feeds::to_index))
        .route("/feeds/", get(feeds::index))
        .route("/feeds/{file}", get(feeds::top_level))
        .route("/feeds/issues/{file}", get(feeds::issue))
        .route("/feeds/speakers/{file}", get(feeds::speaker))
        .route("/feeds/subscribe", axum::routing::post(mail::subscribe))
        .route_layer(axum::middleware::from_fn(feeds::security_headers));
    let mailing = Router::new()
        .route("/mail/confirm", get(mail::confirm))
        .route("/mail/unsubscribe", get(mail::unsubscribe_page).post(mail::unsubscribe));
    Router::new()
        .route("/healthz", get(health::healthz))
        .merge(feeds)
        .merge(mailing)
        .fallback(not_found)
        .with_state(state)
}

/// `/metrics` (public, like `/healthz`: scrapers do not log in). Separate from
/// [`router`] because it reads the store and the scheduler's counters, which
/// only `serve` has.
pub fn metrics_routes(state: metrics::MetricsState) -> Router {
    Router::new().route("/metrics", get(metrics::show)).with_state(state)
}

/// Serves `router` on `listener` with the default [`ServerOptions`] until
/// `shutdown` resolves, then drains in-flight requests up to a deadline.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, ServerOptions::default(), shutdown).await
}

async fn not_found() -> WebError {
    WebError::NotFound
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page or file (also: a name outside the allow-list).
    #[error("not found")]
    NotFound,
    /// The request (its body included) took longer than the server allows.
    #[error("request timed out")]
    Timeout,
    /// A published file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, "not found\n"),
            Self::Timeout => (StatusCode::REQUEST_TIMEOUT, "request timed out\n"),
            Self::Io { .. } => {
                tracing::error!(error = %self, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        };
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
    }
}
