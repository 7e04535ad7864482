//! `POST /api/v1/issues/{number}/correct`: a correction of a published
//! issue (`gleaner publish --correct`), through the service's one publisher,
//! recorded in its items' audit trail as the review UI records it.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::wire::{CorrectBody, CorrectResult};
use super::{ApiError, ApiState, Caller, blocking, body, ok};
use crate::publish::PublishError;
use crate::publish::write::DirOutput;

fn correct_error(error: &PublishError) -> ApiError {
    let status = match error {
        PublishError::NoSuchIssue { .. } => StatusCode::NOT_FOUND,
        PublishError::NotPublished { .. } | PublishError::Busy { .. } => StatusCode::CONFLICT,
        PublishError::NoteTooLong { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        PublishError::Store(e) => return ApiError::Internal(e.to_string()),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::failed(status, "correction_failed", error)
}

/// POST /api/v1/issues/{number}/correct.
pub(crate) async fn correct(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let Path(text) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let number: u32 = text.parse().map_err(|_| ApiError::BadRequest(format!("{text:?} is not an issue number")))?;
    let request: CorrectBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    // One publish or correction at a time: both rewrite the feeds.
    let _one_at_a_time = state.inner.publishing.lock().await;
    let report = blocking(&state, move |api| {
        let now = Utc::now();
        let note = crate::editorial::rules::clean_text(request.note.as_deref().unwrap_or_default(), false);
        let note = note.trim();
        let output = DirOutput::new(&api.output_dir);
        let report = api
            .publisher
            .correct(api.store.as_ref(), &output, number, note, &actor, now)
            .map_err(|e| correct_error(&e))?;
        let ids: Vec<_> = api
            .store
            .issue(number)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map(|i| i.item_ids().cloned().collect())
            .unwrap_or_default();
        let detail = if note.is_empty() { format!("issue {number}") } else { format!("issue {number}: {note}") };
        // The correction is out; a failed audit write is logged, not a failed correction.
        if let Err(e) = api.editorial.record_issue_event(&ids, "correct", &detail, &actor, now) {
            tracing::warn!(error = %e, issue = number, "could not record the correction in the items' audit trail");
        }
        Ok(report)
    })
    .await?;
    let publisher = Arc::clone(&state.inner.publisher);
    let warning = crate::daemon::announce(&publisher, &state.inner.user_agent).await.err().map(|e| e.to_string());
    Ok(ok(&CorrectResult {
        number: report.number,
        title: report.title,
        corrections: report.corrections,
        files: report.files,
        warning,
    }))
}
