//! The scheduler loop: polls each enabled source when it is due, on its own
//! cron schedule, until told to stop; then lets in-flight polls finish their
//! writes and flushes the store.
//!
//! Timing decisions live in `policy`; this file only sleeps and spawns.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::ingest::{Ingest, SourceReport, Urgency};
use crate::model::Source;
use crate::schedule::policy;

/// How long in-flight polls may take to finish after a stop was requested.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// What a scheduler run did, for logs and tests.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub polls: usize,
    pub failures: usize,
    /// Polls still running when the drain timeout passed (their writes are lost; the next start redoes them).
    pub abandoned: usize,
}

/// Runs until `shutdown` resolves. `clock` gives the current time (a parameter
/// so tests may shift it; production passes `Utc::now`).
pub async fn run(
    ingest: Ingest,
    sources: Vec<Source>,
    clock: impl Fn() -> DateTime<Utc>,
    shutdown: impl Future<Output = ()>,
    mut on_report: impl FnMut(&SourceReport),
) -> RunSummary {
    let sources: Vec<Source> = sources.into_iter().filter(|s| s.enabled).collect();
    let now = clock();
    let mut queue = BinaryHeap::new();
    for (index, source) in sources.iter().enumerate() {
        let stored = ingest.store().fetch_state(&source.id).ok().flatten().and_then(|s| s.next_due);
        queue.push(Reverse((policy::first_due(stored, now), index)));
    }
    tracing::info!(sources = sources.len(), "scheduler started");

    let mut summary = RunSummary::default();
    let mut in_flight: JoinSet<(usize, SourceReport)> = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let wait = queue
            .peek()
            .map_or(Duration::from_secs(3600), |Reverse((due, _))| (*due - clock()).to_std().unwrap_or(Duration::ZERO));
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait), if !queue.is_empty() => {
                let now = clock();
                while let Some(Reverse((due, index))) = queue.peek().copied() {
                    if due > now {
                        break;
                    }
                    queue.pop();
                    let ingest = ingest.clone();
                    let source = sources[index].clone();
                    in_flight.spawn(async move {
                        (index, ingest.poll_source(&source, now, Urgency::Now).await)
                    });
                }
            }
            Some(joined) = in_flight.join_next() => {
                let now = clock();
                if let Ok((index, report)) = joined {
                    summary.polls += 1;
                    summary.failures += usize::from(report.failed());
                    on_report(&report);
                    let next = report.next_due.unwrap_or(now + chrono::TimeDelta::hours(1)).max(now);
                    queue.push(Reverse((next, index)));
                    if let Err(error) = ingest.store().flush() {
                        tracing::error!(%error, "store flush failed");
                    }
                }
            }
        }
    }

    tracing::info!(in_flight = in_flight.len(), "stopping: letting in-flight polls finish");
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(joined) = in_flight.join_next().await {
            if let Ok((_, report)) = joined {
                summary.polls += 1;
                summary.failures += usize::from(report.failed());
                on_report(&report);
            }
        }
    })
    .await;
    if drained.is_err() {
        summary.abandoned = in_flight.len();
        in_flight.abort_all();
    }
    if let Err(error) = ingest.store().flush() {
        tracing::error!(%error, "store flush failed");
    }
    summary
}
