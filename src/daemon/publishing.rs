//! The scheduled publish (`publish.schedule`) and the `WebSub` hub ping that
//! follows every publish.

use std::sync::Arc;

use chrono::Utc;

use crate::publish::write::DirOutput;
use crate::publish::{self, PublishOutcome, Publisher};
use crate::store::Store;

/// Publishes on `publish.schedule` until `stopped`; without a schedule, only waits.
pub async fn publish_on_schedule(
    publisher: Arc<Publisher>,
    store: Arc<dyn Store>,
    verifier: Option<crate::verify::Verifier>,
    user_agent: String,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    let Some(schedule) = publisher.settings().schedule.clone() else {
        stopped.await;
        return;
    };
    while let Some(next) = schedule.next_after(Utc::now()) {
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = &mut stopped => break,
            () = tokio::time::sleep(wait) => {}
        }
        // Each chosen quote checked against its page first (issue 16.4). An
        // unattended publish has nobody to confirm, so it goes out (the
        // operator chose a schedule) and says which quotes were not verified;
        // those carry no "quote checked on" line.
        if let Some(verifier) = &verifier {
            match verifier.verify_draft("schedule", Utc::now()).await {
                Ok(checks) => {
                    for line in crate::verify::describe_unverified(&checks) {
                        tracing::warn!(quote = %line, "scheduled publish: a chosen quote is not verified");
                    }
                }
                Err(error) => tracing::warn!(%error, "scheduled publish: checking the chosen quotes failed"),
            }
        }
        let (job_publisher, job_store) = (Arc::clone(&publisher), Arc::clone(&store));
        // Rendering and the store are synchronous; keep them off the server's threads.
        // A stop signal waits for this to finish: a publish is never cut short on purpose.
        let result = tokio::task::spawn_blocking(move || publish_due(&job_publisher, job_store.as_ref(), next)).await;
        match result {
            Ok(Ok(Scheduled::Elsewhere)) => tracing::info!(due = %next, "scheduled publish: another process has it"),
            Ok(Ok(Scheduled::Ran(PublishOutcome::Issue(report)))) => {
                tracing::info!(
                    issue = report.number,
                    items = report.items,
                    resumed = report.resumed,
                    "scheduled publish"
                );
                // Already logged; a scheduled publish has nobody to show it to.
                let _ = announce(&publisher, &user_agent).await;
            }
            Ok(Ok(Scheduled::Ran(PublishOutcome::NothingApproved))) => {
                tracing::info!("scheduled publish: nothing approved");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "scheduled publish failed"),
            Err(e) => tracing::error!(error = %e, "scheduled publish panicked"),
        }
    }
}

/// What one scheduled publish did.
#[derive(Debug)]
pub enum Scheduled {
    Ran(PublishOutcome),
    /// Another process sharing the store claimed this due time first.
    Elsewhere,
}

/// The scheduled publish due at `due`, into `publish.output_dir`. On a
/// store that several processes share it runs only when this process wins
/// the due time's claim, so it runs once however many web processes serve
/// (a claimant that dies mid-publish leaves an interrupted issue, which the
/// next publish completes).
pub fn publish_due(
    publisher: &Publisher,
    store: &dyn Store,
    due: chrono::DateTime<Utc>,
) -> Result<Scheduled, publish::PublishError> {
    if let Some(shared) = store.shared() {
        let by = format!("{}:{}", hostname(), std::process::id());
        if !shared.claim_publish(due, &by).map_err(publish::PublishError::from)? {
            return Ok(Scheduled::Elsewhere);
        }
    }
    let output = DirOutput::new(&publisher.settings().output_dir);
    publisher.publish_next(store, &output, Utc::now(), false).map(Scheduled::Ran)
}

/// This machine's name, for the claim's record (which process published).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|name| name.trim().to_owned()))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Tells the `WebSub` hub (if any) that the feeds changed. A failure is
/// logged and returned for the caller to show, never fatal: the issue is
/// already out.
pub async fn announce(publisher: &Publisher, user_agent: &str) -> Result<(), publish::websub::PingError> {
    let Some(hub) = &publisher.settings().websub_hub else { return Ok(()) };
    match publish::websub::ping(hub, &publisher.feed_urls(), user_agent).await {
        Ok(()) => {
            tracing::info!(hub = %hub, "WebSub hub pinged");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %e, "WebSub ping failed");
            Err(e)
        }
    }
}
