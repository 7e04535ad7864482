//! `/healthz`: whether this process can do its job, for container health
//! checks and `gleaner healthcheck`.
//!
//! Two checks: the store takes a write ([`crate::store::OpsStore::health_check`]), and the
//! scheduler loop woke recently (its [`Heartbeat`]). 200 when both pass, 503
//! naming what failed; the body is JSON either way. Causes are logged, not
//! shown: the route is public. Must not do anything slower than one small
//! store write, since probes run every few seconds.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::WebState;
use crate::app::{HEARTBEAT_EVERY, Heartbeat};
use crate::store::Store;

/// What `/healthz` checks (see [`WebState::with_health`]).
pub struct Health {
    pub store: Arc<dyn Store>,
    pub scheduler: Option<Heartbeat>,
}

/// Beats the loop may miss before it counts as stalled: a poll's synchronous
/// store work can delay a wake, and a flapping health check restarts containers.
const MISSED_BEATS: i64 = 6;

#[derive(Debug, Serialize)]
struct Report {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduler: Option<String>,
}

pub(super) async fn healthz(State(state): State<WebState>) -> Response {
    let Some(health) = state.health else {
        return respond(StatusCode::OK, &Report { status: "ok", store: None, scheduler: None });
    };
    let store = Arc::clone(&health.store);
    // A flush may wait on the disk: off the async workers.
    let written = tokio::task::spawn_blocking(move || store.health_check()).await;
    let store_ok = match written {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::error!(%error, "health check: store not writable");
            false
        }
        Err(error) => {
            tracing::error!(%error, "health check: store probe panicked");
            false
        }
    };
    let scheduler = health.scheduler.as_ref().map(scheduler_status);
    let healthy = store_ok && scheduler.as_ref().is_none_or(|s| s == "ok");
    let report = Report {
        status: if healthy { "ok" } else { "unhealthy" },
        store: Some((if store_ok { "ok" } else { "not writable" }).to_owned()),
        scheduler,
    };
    respond(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, &report)
}

/// JSON by hand: axum's `json` feature is not enabled for one small body.
fn respond(status: StatusCode, report: &Report) -> Response {
    let mut body = serde_json::to_string(report).expect("a health report always serializes");
    body.push('\n');
    (status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn scheduler_status(heartbeat: &Heartbeat) -> String {
    let Some(last) = heartbeat.last() else { return "not started".to_owned() };
    let age = (Utc::now() - last).num_seconds();
    let limit = i64::try_from(HEARTBEAT_EVERY.as_secs()).unwrap_or(i64::MAX).saturating_mul(MISSED_BEATS);
    if age > limit {
        tracing::error!(seconds = age, "health check: scheduler loop stalled");
        format!("stalled: last woke {age} s ago")
    } else {
        "ok".to_owned()
    }
}
