//! `/api/v1/sources`: every source in force with its fetch state, and a
//! poll of one source now (the scheduler's own ingest, so the poll obeys the
//! same politeness limits and Retry-After).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;

use axum::body::Bytes;

use super::wire::{EnabledBody, SourceStatus};
use super::{ApiError, ApiState, blocking, body, ok};
use crate::app::SourceEditError;
use crate::ingest::Urgency;

/// GET /api/v1/sources.
pub(crate) async fn list(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let rows = blocking(&state, |api| {
        let mut rows = Vec::new();
        for source in api.status.sources().iter() {
            let fetch = api
                .ingest
                .fetch_state(&source.id)
                .map_err(|e| ApiError::Internal(format!("fetch state of {}: {e}", source.id)))?
                .unwrap_or_default();
            rows.push(SourceStatus::new(source, fetch));
        }
        Ok(rows)
    })
    .await?;
    Ok(ok(&rows))
}

/// POST /api/v1/sources/{id}/poll: the poll's report (`fetch --json`'s shape).
pub(crate) async fn poll(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let source = state
        .inner
        .status
        .sources()
        .iter()
        .find(|s| s.id == id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("no source {id:?} (see GET /api/v1/sources)")))?;
    let report = state.inner.ingest.poll_source(&source, Utc::now(), Urgency::Now).await;
    let editorial = state.inner.editorial.clone();
    let changed = report.changed.clone();
    blocking(&state, move |_| Ok(editorial.refresh(&changed)?)).await?;
    Ok(ok(&report))
}

/// PUT /api/v1/sources/{id}/enabled: `{"enabled": false}` writes
/// `enabled = false` into the source's config file; the service's live
/// reload puts it in force within seconds, as for an operator's own edit.
pub(crate) async fn set_enabled(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let request: EnabledBody = body(&bytes)?;
    let file = blocking(&state, move |api| {
        let config = crate::app::load_config(&api.config_path).map_err(|errors| {
            ApiError::Conflict(format!("the config files do not validate; fix them first:\n{errors}"))
        })?;
        crate::app::set_source_enabled(&config, &id, request.enabled).map_err(|e| match e {
            SourceEditError::Unknown(_) => ApiError::NotFound(e.to_string()),
            SourceEditError::Invalid(_) => ApiError::Conflict(e.to_string()),
            SourceEditError::Io { .. } => ApiError::Internal(e.to_string()),
        })
    })
    .await?;
    Ok(ok(&serde_json::json!({ "enabled": request.enabled, "file": file.display().to_string() })))
}
