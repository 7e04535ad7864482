//! What `gleaner worker` runs (issue 17): fetching only, with the sources
//! leased from the shared store instead of scheduled in memory, so any
//! number of workers on any number of machines poll each source once per
//! due time between them.
//!
//! The loop: the config's enabled sources are synced into the database at
//! start and at every live reload (every worker and web process follows the
//! same config file); due sources are leased (`SELECT … FOR UPDATE SKIP
//! LOCKED`, see `store/postgres/lease.rs`), polled through the same
//! [`Ingest`] as `serve`'s scheduler, and finished under the lease's token
//! with their next due time. A worker killed mid-poll simply never
//! finishes: its lease expires and another worker takes the source. The
//! store's upserts make a repeated poll store nothing twice.
//!
//! A driver: loops and timers; the parts come from [`App`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::scheduler::{DRAIN_TIMEOUT, RunSummary};
use super::{ABANDON_AFTER, DaemonError, reload, shutdown_signal};
use crate::app::App;
use crate::ingest::{Ingest, SourceReport, Urgency};
use crate::model::Source;
use crate::store::{SharedWork, SourceLease};
use crate::web;

/// How a worker leases.
#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    /// How long a lease holds: longer than a poll takes (else another worker
    /// polls the source too, harmlessly but wastefully), short enough that a
    /// dead worker's sources are not late by much.
    pub lease_for: Duration,
    /// Sources polled at once by this worker.
    pub batch: usize,
    /// How long to wait before asking again when nothing was due.
    pub idle: Duration,
    /// Where this worker serves its own `/metrics` (a worker has no web
    /// server otherwise): its polls, and the shared store's gauges.
    pub metrics: Option<std::net::SocketAddr>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self { lease_for: Duration::from_secs(300), batch: 8, idle: Duration::from_secs(1), metrics: None }
    }
}

/// Runs the worker until SIGTERM or Ctrl-C.
pub fn work(app: App, options: WorkerOptions) -> Result<RunSummary, DaemonError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(DaemonError::Runtime)?;
    let result = runtime.block_on(async move {
        let (reloader, sources) = reload::Reloader::new(&app.config_path, &app.config, app.status.clone());
        let (stop, stopped) = watch::channel(false);
        let when_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let reloading = tokio::spawn(reloader.watch(reload::WATCH_INTERVAL, when_stopped()));
        let signal = async move {
            shutdown_signal().await;
            tracing::info!("stopping");
            let _ = stop.send(true);
        };
        let metrics = Arc::new(web::metrics::Metrics::default());
        let serving = match options.metrics {
            Some(addr) => Some(serve_metrics(&app, addr, Arc::clone(&metrics), when_stopped()).await?),
            None => None,
        };
        let webhooks = app.webhooks.clone();
        let store = Arc::clone(&app.store);
        let (summary, ()) = tokio::join!(
            run(app.ingest.clone(), sources, options, when_stopped(), |report, elapsed| {
                tracing::info!(source = %report.source, result = ?report.outcome, new = report.new_items, "polled");
                metrics.record_poll(report, elapsed);
                // The web process delivers what is queued here (its outbox loop reads the store).
                if let Some(webhooks) = &webhooks
                    && report.new_items > 0
                {
                    let now = Utc::now();
                    let since = now - chrono::Duration::from_std(elapsed + Duration::from_secs(1)).unwrap_or_default();
                    if let Err(error) = webhooks.items_seen(store.as_ref(), &report.changed, since, now) {
                        tracing::error!(%error, "queueing item.new webhooks failed");
                    }
                }
            }),
            signal,
        );
        let _ = reloading.await;
        if let Some(serving) = serving {
            let _ = serving.await;
        }
        Ok::<_, DaemonError>(summary)
    });
    runtime.shutdown_timeout(ABANDON_AFTER);
    let result = result?;
    tracing::info!(polls = result.polls, failures = result.failures, abandoned = result.abandoned, "stopped");
    Ok(result)
}

/// Serves `/metrics` on `addr` until `stopped` resolves: the counters of
/// this worker's polls, and gauges read from the shared store.
async fn serve_metrics(
    app: &App,
    addr: std::net::SocketAddr,
    metrics: Arc<web::metrics::Metrics>,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<std::io::Result<()>>, DaemonError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| DaemonError::Bind { addr, source })?;
    tracing::info!(%addr, "serving this worker's /metrics");
    let state = web::metrics::MetricsState { metrics, store: Arc::clone(&app.store), config: app.status.clone() };
    let options = web::ServerOptions::from_settings(&app.config.settings.server);
    Ok(tokio::spawn(web::serve_with(listener, web::metrics_routes(state), options, stopped)))
}

/// The enabled sources by id.
fn enabled(sources: &[Source]) -> HashMap<String, Source> {
    sources.iter().filter(|s| s.enabled).map(|s| (s.id.clone(), s.clone())).collect()
}

/// Makes the database's leasable sources this config's.
fn sync(shared: &dyn SharedWork, known: &HashMap<String, Source>) {
    let mut ids: Vec<String> = known.keys().cloned().collect();
    ids.sort();
    match shared.sync_sources(&ids) {
        Ok(()) => tracing::info!(sources = ids.len(), "source list synced into the store"),
        Err(error) => tracing::error!(%error, "syncing the source list into the store failed"),
    }
}

/// Leases, polls and finishes sources until `shutdown` resolves; in-flight
/// polls then get [`DRAIN_TIMEOUT`] to finish (an abandoned one's lease
/// expires and another worker redoes it).
pub async fn run(
    ingest: Ingest,
    mut sources: watch::Receiver<Vec<Source>>,
    options: WorkerOptions,
    shutdown: impl Future<Output = ()>,
    mut on_report: impl FnMut(&SourceReport, Duration),
) -> RunSummary {
    let mut summary = RunSummary::default();
    let store = Arc::clone(ingest.store());
    let Some(shared) = store.shared() else {
        tracing::error!("this store is held by one process: it has no shared work to lease");
        return summary;
    };
    let lease_for = chrono::Duration::from_std(options.lease_for).unwrap_or(chrono::Duration::minutes(5));
    let batch = options.batch.max(1);
    let mut known = enabled(&sources.borrow_and_update());
    sync(shared, &known);
    tracing::info!(sources = known.len(), batch, lease_secs = options.lease_for.as_secs(), "worker started");
    let mut updates_open = true;
    let mut in_flight: JoinSet<(SourceLease, SourceReport, Duration)> = JoinSet::new();
    let mut next_lease = Instant::now();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            changed = sources.changed(), if updates_open => {
                if changed.is_err() {
                    updates_open = false;
                    continue;
                }
                known = enabled(&sources.borrow_and_update());
                sync(shared, &known);
                next_lease = Instant::now();
            }
            () = tokio::time::sleep_until(next_lease) => {
                let free = batch.saturating_sub(in_flight.len());
                let now = Utc::now();
                let leases = if free == 0 { Ok(Vec::new()) } else { shared.lease_due_sources(now, lease_for, free) };
                match leases {
                    Ok(leases) => {
                        for lease in leases {
                            let Some(source) = known.get(&lease.source_id).cloned() else {
                                // Another process's newer config names it; hand it back for a while.
                                let later = now + chrono::Duration::minutes(1);
                                let _ = shared.finish_source(&lease, later);
                                continue;
                            };
                            let ingest = ingest.clone();
                            in_flight.spawn(async move {
                                let started = std::time::Instant::now();
                                let report = ingest.poll_source(&source, Utc::now(), Urgency::Now).await;
                                (lease, report, started.elapsed())
                            });
                        }
                    }
                    Err(error) => tracing::error!(%error, "leasing due sources failed"),
                }
                next_lease = Instant::now() + options.idle;
            }
            Some(joined) = in_flight.join_next() => {
                if let Ok((lease, report, elapsed)) = joined {
                    finished(shared, &lease, &report, elapsed, &mut summary, &mut on_report);
                }
                // A slot is free: more due work may be waiting.
                next_lease = Instant::now();
            }
        }
    }
    tracing::info!(in_flight = in_flight.len(), "stopping: letting in-flight polls finish");
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(joined) = in_flight.join_next().await {
            if let Ok((lease, report, elapsed)) = joined {
                finished(shared, &lease, &report, elapsed, &mut summary, &mut on_report);
            }
        }
    })
    .await;
    if drained.is_err() {
        summary.abandoned = in_flight.len();
        in_flight.abort_all();
    }
    summary
}

/// A poll ended: report it and finish its lease with the next due time.
fn finished(
    shared: &dyn SharedWork,
    lease: &SourceLease,
    report: &SourceReport,
    elapsed: Duration,
    summary: &mut RunSummary,
    on_report: &mut impl FnMut(&SourceReport, Duration),
) {
    summary.polls += 1;
    summary.failures += usize::from(report.failed());
    on_report(report, elapsed);
    let now = Utc::now();
    let next = report.next_due.unwrap_or(now + chrono::TimeDelta::hours(1)).max(now);
    match shared.finish_source(lease, next) {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            source = %lease.source_id,
            "the lease expired before the poll ended: another worker has the source (raise --lease)"
        ),
        Err(error) => tracing::error!(%error, source = %lease.source_id, "finishing the lease failed"),
    }
}
