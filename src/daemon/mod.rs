//! What `gleaner serve` runs: the HTTP server (review UI, `/feeds/`,
//! `/healthz`, `/metrics`), the scheduler loop that polls sources when due,
//! the live config reloader, the scheduled publish, signal handling and an
//! orderly shutdown.
//!
//! A driver: it owns loops, timers and the runtime, and builds no part itself
//! (every long-lived part comes from [`App`]).

pub mod outbound;
mod publishing;
pub mod reload;
pub mod scheduler;
pub mod service_file;
mod signal;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use publishing::{Scheduled, announce, publish_due, publish_on_schedule};
pub use signal::shutdown_signal;

use crate::app::{App, Role};
use crate::web::{self, WebState};

/// How long blocking work (an extraction, a publish) may go on after the
/// stop signal before the process exits without it. With the scheduler's own
/// drain (`scheduler::DRAIN_TIMEOUT`) and the HTTP server's (shorter, at the
/// same time: `web::ServerOptions::drain_timeout`) the process stops inside
/// the 10 s that Docker and systemd allow before they kill it.
pub const ABANDON_AFTER: Duration = Duration::from_secs(1);

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the review UI: {0}")]
    Ui(#[from] web::review::UiSetupError),
}

/// Runs the service until SIGTERM or Ctrl-C; each part drains its own work,
/// and blocking work still running [`ABANDON_AFTER`] the drain is abandoned.
/// The mailing-list pages when `[mail]` is configured.
fn with_mail_pages(app: &App, state: WebState) -> WebState {
    if app.mailer.is_none() {
        return state;
    }
    state.with_mail(web::mail::MailPages {
        store: Arc::clone(&app.store),
        title: app.config.settings.publish.title.clone(),
    })
}

/// How long a poll's search index update may wait to be committed with
/// the next ones (see [`crate::search::Search::defer_updates`]).
const SEARCH_COMMIT_WINDOW: Duration = Duration::from_secs(5);

pub fn serve(app: App) -> Result<scheduler::RunSummary, DaemonError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(DaemonError::Runtime)?;
    let result = runtime.block_on(run(app));
    // Dropping a runtime waits for every blocking task; a long extraction
    // would hold the process past its stop deadline.
    runtime.shutdown_timeout(ABANDON_AFTER);
    result
}

async fn run(app: App) -> Result<scheduler::RunSummary, DaemonError> {
    remove_stale_temp_files(&app.config.settings.publish.output_dir);
    let ui = web::review::UiState::from_app(&app, web::review::UiOptions::from_settings(&app.config.settings.server))?;
    let (reloader, sources) = reload::Reloader::new(&app.config_path, &app.config, app.status.clone());
    let metrics = Arc::new(web::metrics::Metrics::default());
    let metrics_state = web::metrics::MetricsState {
        metrics: Arc::clone(&metrics),
        store: Arc::clone(&app.store),
        config: app.status.clone(),
    };
    let bind = app.config.settings.server.bind;
    let user_agent = app.config.settings.fetch.user_agent.clone();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mailing = app
        .mailer
        .clone()
        .map(|mailer| tokio::spawn(outbound::mail_loop(mailer, Arc::clone(&app.store), stopped.clone())));
    let delivering = app
        .webhooks
        .clone()
        .map(|webhooks| tokio::spawn(outbound::webhook_loop(webhooks, Arc::clone(&app.store), stopped.clone())));
    let when_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let listener =
        tokio::net::TcpListener::bind(bind).await.map_err(|source| DaemonError::Bind { addr: bind, source })?;
    tracing::info!(addr = %bind, "serving the review UI and /feeds/");
    let (api, service_file) = open_api_door(&app, &listener);
    let router = web::router(with_mail_pages(
        &app,
        WebState::new(app.config.settings.publish.output_dir.clone())
            .with_health(Arc::clone(&app.store), Some(app.heartbeat.clone())),
    ))
    .merge(web::metrics_routes(metrics_state))
    .merge(web::review::routes(ui))
    .merge(web::api::routes(api));
    let server_options = web::ServerOptions::from_settings(&app.config.settings.server);
    let server = tokio::spawn(web::serve_with(listener, router, server_options, when_stopped()));
    let publishing = tokio::spawn(publish_on_schedule(
        Arc::clone(&app.publisher),
        Arc::clone(&app.store),
        Some(app.verifier.clone()),
        user_agent,
        when_stopped(),
    ));
    let reloading = tokio::spawn(reloader.watch(reload::WATCH_INTERVAL, when_stopped()));
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("stopping");
        let _ = stop.send(true);
    };
    // A commit per polled source was most of a steady poll's index cost.
    if let Some(search) = &app.search {
        search.defer_updates(SEARCH_COMMIT_WINDOW);
    }
    let editorial = app.editorial.clone();
    assign_missing_stories(editorial.clone());
    let shared = app.store.shared().is_some();
    let catching_up = shared.then(|| tokio::spawn(catch_up(editorial.clone(), app.search.clone(), when_stopped())));
    let on_report = reporter(app.webhooks.clone(), Arc::clone(&app.store), metrics, editorial);
    let clock = app.heartbeat.clock();
    let polling = async {
        match (app.role, shared) {
            // The workers poll; the heartbeat still shows `/healthz` the process is alive.
            (Role::Web, _) => {
                beat(clock, when_stopped()).await;
                scheduler::RunSummary::default()
            }
            // On a shared store plain `serve` is one more worker: it leases
            // its sources, so it never polls one that a worker has.
            (_, true) => {
                let options = worker::WorkerOptions::default();
                let polled = worker::run(app.ingest.clone(), sources, options, when_stopped(), on_report);
                tokio::join!(polled, beat(clock, when_stopped())).0
            }
            _ => scheduler::run(app.ingest.clone(), sources, clock, when_stopped(), on_report).await,
        }
    };
    let (summary, ()) = tokio::join!(polling, signal);
    if let Some(task) = catching_up {
        let _ = task.await;
    }
    if let Ok(Err(e)) = server.await {
        tracing::error!(error = %e, "HTTP server failed");
    }
    let _ = publishing.await;
    for task in [mailing, delivering].into_iter().flatten() {
        let _ = task.await;
    }
    let _ = reloading.await;
    if let Some(search) = &app.search {
        search.flush();
    }
    if let Err(error) = app.store.flush() {
        tracing::error!(%error, "flushing the store at shutdown failed");
    }
    drop(service_file);
    tracing::info!(polls = summary.polls, failures = summary.failures, abandoned = summary.abandoned, "stopped");
    Ok(summary)
}

/// The JSON API's state, and the service file that is the CLI's way in
/// while this process holds the store (see `service_file`): removed when
/// dropped, at a clean stop.
fn open_api_door(app: &App, listener: &tokio::net::TcpListener) -> (web::api::ApiState, Option<service_file::Written>) {
    let operator_token = crate::editorial::new_token();
    let api = web::api::ApiState::from_app(app).with_operator_token(&operator_token);
    let service_file = match listener.local_addr() {
        Ok(addr) => service_file::write(&app.config.settings.store_path, addr, &operator_token)
            .map_err(|error| tracing::warn!(%error, "cannot write the service file: the CLI cannot reach this service"))
            .ok(),
        Err(_) => None,
    };
    (api, service_file)
}

/// What the service does with each poll's report: log it, queue `item.new`
/// webhooks, count it for `/metrics`, and show its items in the review queue.
fn reporter(
    webhooks: Option<Arc<crate::notify::Webhooks>>,
    store: Arc<dyn crate::store::Store>,
    metrics: Arc<web::metrics::Metrics>,
    editorial: crate::editorial::Editorial,
) -> impl FnMut(&crate::ingest::SourceReport, Duration) {
    move |report, elapsed| {
        tracing::info!(source = %report.source, result = ?report.outcome, new = report.new_items, "polled");
        if let Some(webhooks) = &webhooks
            && report.new_items > 0
        {
            let now = chrono::Utc::now();
            // A little slack: `first_seen` is stamped inside the poll.
            let since = now - chrono::Duration::from_std(elapsed + Duration::from_secs(1)).unwrap_or_default();
            if let Err(error) = webhooks.items_seen(store.as_ref(), &report.changed, since, now) {
                tracing::error!(%error, "queueing item.new webhooks failed");
            }
        }
        metrics.record_poll(report, elapsed);
        // The review queue is an in-memory index: show new and changed items at once.
        if let Err(error) = editorial.refresh(&report.changed) {
            tracing::error!(%error, "review queue refresh failed");
        }
    }
}

/// Reads `clock` (the heartbeat's) every [`crate::app::HEARTBEAT_EVERY`]
/// until `stopped`: what the scheduler loop does when it runs, for a process
/// whose polling is leased or done elsewhere.
async fn beat(clock: impl Fn() -> chrono::DateTime<chrono::Utc>, stopped: impl std::future::Future<Output = ()>) {
    tokio::pin!(stopped);
    loop {
        clock();
        tokio::select! {
            () = &mut stopped => return,
            () = tokio::time::sleep(crate::app::HEARTBEAT_EVERY) => {}
        }
    }
}

/// How often a process serving a shared store takes in what the workers
/// stored: their new items get stories, queue rows and search entries.
pub const CATCH_UP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The web tier's view of the workers' polls: every [`CATCH_UP_EVERY`], the
/// items without a story (what workers stored since) are placed in stories,
/// shown in the review queue and indexed for search. An item a worker
/// refetched with changes shows its new fields on the item page at once (it
/// is read from the store) and in the queue row at the next start.
async fn catch_up(
    editorial: crate::editorial::Editorial,
    search: Option<crate::search::Search>,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            () = tokio::time::sleep(CATCH_UP_EVERY) => {}
        }
        let (editorial, search) = (editorial.clone(), search.clone());
        let caught = tokio::task::spawn_blocking(move || {
            let ids = editorial.assign_missing_stories()?;
            if !ids.is_empty() {
                editorial.refresh_rows(&ids)?;
                if let Some(search) = &search {
                    search.update(&ids);
                }
            }
            Ok::<_, crate::editorial::EditorialError>(ids.len())
        })
        .await;
        match caught {
            Ok(Ok(0)) => {}
            Ok(Ok(items)) => tracing::info!(items, "took in the workers' new items"),
            Ok(Err(error)) => tracing::error!(%error, "taking in the workers' new items failed"),
            Err(error) => tracing::error!(%error, "taking in the workers' new items panicked"),
        }
    }
}

/// Items stored before stories existed (or while a poll's assignment
/// failed) get theirs in the background: serving does not wait for it.
fn assign_missing_stories(editorial: crate::editorial::Editorial) {
    tokio::task::spawn_blocking(move || match editorial.assign_missing_stories() {
        Ok(ids) => {
            if let Err(error) = editorial.refresh_rows(&ids) {
                tracing::error!(%error, "review queue refresh failed");
            }
            tracing::info!(items = ids.len(), "stories assigned");
        }
        Err(error) => tracing::error!(%error, "assigning stories failed"),
    });
}

/// Removes what a publish killed mid-write left in the output folder, at
/// start rather than only at the next publish: a service that publishes
/// weekly would otherwise serve beside them for days. Same rule as the
/// publisher's (another process's temp files older than
/// [`crate::publish::write::STALE_TEMP_AGE`]), so a `gleaner publish`
/// running beside the service keeps its own.
fn remove_stale_temp_files(output_dir: &std::path::Path) {
    let removed = crate::publish::write::DirOutput::new(output_dir).remove_stale_temp_files();
    if removed > 0 {
        tracing::info!(dir = %output_dir.display(), removed, "removed temporary files an interrupted publish left");
    }
}
