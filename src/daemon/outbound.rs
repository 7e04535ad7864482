//! The outbound loops `serve` runs: mailing from the send queue and
//! delivering webhooks, each until the service stops.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::mail::Mailer;
use crate::notify::Webhooks;
use crate::store::Store;

/// How often the queues are looked at when idle: a published issue starts
/// going out within this long.
pub const IDLE_POLL: Duration = Duration::from_secs(2);

/// Sends what the mail queue holds, pass after pass, until `stopped`.
pub async fn mail_loop(mailer: Arc<Mailer>, store: Arc<dyn Store>, stopped: tokio::sync::watch::Receiver<bool>) {
    let mut stop_rx = stopped.clone();
    loop {
        if *stopped.borrow() {
            return;
        }
        let is_stopped = || *stopped.borrow();
        let wait = match mailer.send_pending(store.as_ref(), &is_stopped).await {
            Ok(report) => {
                if report.sent + report.skipped + report.confirmations > 0 {
                    tracing::info!(
                        sent = report.sent,
                        skipped = report.skipped,
                        confirmations = report.confirmations,
                        "mail pass"
                    );
                }
                report.retry_after.unwrap_or(IDLE_POLL)
            }
            Err(error) => {
                tracing::error!(%error, "mail pass failed");
                Duration::from_secs(60)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop_rx.wait_for(|s| *s) => return,
        }
    }
}

/// Turns approvals into events and delivers what is due, until `stopped`.
pub async fn webhook_loop(webhooks: Arc<Webhooks>, store: Arc<dyn Store>, stopped: tokio::sync::watch::Receiver<bool>) {
    let mut stop_rx = stopped.clone();
    loop {
        if *stopped.borrow() {
            return;
        }
        if let Err(error) = webhooks.collect_approvals(store.as_ref(), Utc::now()) {
            tracing::error!(%error, "reading approvals for webhooks failed");
        }
        match webhooks.deliver_due(store.as_ref(), Utc::now()).await {
            Ok(report) if report.delivered + report.retrying + report.failed > 0 => {
                tracing::info!(
                    delivered = report.delivered,
                    retrying = report.retrying,
                    failed = report.failed,
                    "webhook pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "webhook pass failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(IDLE_POLL) => {}
            _ = stop_rx.wait_for(|s| *s) => return,
        }
    }
}
