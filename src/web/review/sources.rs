//! The sources page: every configured source with its fetch state (last
//! success, consecutive failures, last error, next poll, a permanent redirect
//! to act on), and the config-status banner with any refused edit. Read-only:
//! sources are edited in the config files. Template: `sources.html.j2`.

use axum::Extension;
use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Serialize;

use super::auth::Editor;
use super::{UiError, UiState, blocking};
use crate::model::{DeliveryState, FetchState};

/// One table row.
#[derive(Serialize)]
struct SourceRow {
    id: String,
    name: String,
    url: String,
    kind: String,
    enabled: bool,
    schedule: String,
    /// `ok`, `failing`, `never polled` or `disabled`.
    status: &'static str,
    last_success: Option<String>,
    last_attempt: Option<String>,
    consecutive_failures: u32,
    last_error: Option<String>,
    next_poll: Option<String>,
    permanent_redirect: Option<String>,
}

/// One line of the webhook delivery log.
#[derive(Serialize)]
struct DeliveryRow {
    id: String,
    event: &'static str,
    url: String,
    state: &'static str,
    attempts: u32,
    created: Option<String>,
    /// When the next attempt is due (pending only).
    next_attempt: Option<String>,
    last_result: Option<String>,
}

/// Deliveries shown on the page: the newest first, this many.
const DELIVERY_LOG_ROWS: usize = 50;

fn delivery_rows(store: &dyn crate::store::Store) -> Result<Vec<DeliveryRow>, UiError> {
    let deliveries = store.deliveries().map_err(|e| UiError::Internal(format!("webhook deliveries: {e}")))?;
    Ok(deliveries
        .into_iter()
        .rev()
        .take(DELIVERY_LOG_ROWS)
        .map(|d| DeliveryRow {
            state: match d.state {
                DeliveryState::Pending => "pending",
                DeliveryState::Delivered => "delivered",
                DeliveryState::Failed => "failed",
            },
            next_attempt: (d.state == DeliveryState::Pending).then(|| when(Some(d.next_attempt_at))).flatten(),
            id: d.id,
            event: d.event.as_str(),
            url: d.url,
            attempts: d.attempts,
            created: when(Some(d.created_at)),
            last_result: d.last_result,
        })
        .collect())
}

fn when(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn status(enabled: bool, state: &FetchState) -> &'static str {
    if !enabled {
        "disabled"
    } else if state.last_attempt.is_none() {
        "never polled"
    } else if state.consecutive_failures > 0 {
        "failing"
    } else {
        "ok"
    }
}

/// GET /sources.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
) -> Result<Html<String>, UiError> {
    let config = state.config_status().clone();
    let (rows, deliveries) = blocking(&state, move |ui| {
        let store = ui.editorial.store();
        let mut rows = Vec::new();
        for source in config.sources().iter() {
            let fetch = store
                .fetch_state(&source.id)
                .map_err(|e| UiError::Internal(format!("fetch state of {}: {e}", source.id)))?
                .unwrap_or_default();
            rows.push(SourceRow {
                id: source.id.clone(),
                name: source.name.clone(),
                url: source.url.to_string(),
                kind: format!("{:?}", source.kind).to_lowercase(),
                enabled: source.enabled,
                schedule: source.schedule.as_str().to_owned(),
                status: status(source.enabled, &fetch),
                last_success: when(fetch.last_success),
                last_attempt: when(fetch.last_attempt),
                consecutive_failures: fetch.consecutive_failures,
                last_error: fetch.last_error.clone(),
                // A source never polled is due as soon as the scheduler runs.
                next_poll: if source.enabled { when(fetch.next_due).or_else(|| Some("now".to_owned())) } else { None },
                permanent_redirect: fetch.permanent_redirect.clone(),
            });
        }
        Ok((rows, delivery_rows(store.as_ref())?))
    })
    .await?;
    let failing = rows.iter().filter(|r| r.status == "failing").count();
    state.inner.pages.render(
        "sources.html.j2",
        context! {
            user => &editor.name,
            csrf => &editor.csrf,
            rows => rows,
            failing => failing,
            deliveries => deliveries,
            rejected_at => when(state.config_status().rejected_at()),
        },
    )
}
