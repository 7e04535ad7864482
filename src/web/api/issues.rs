//! `/api/v1/issues`: the digest issues, the next one's draft and preview,
//! and publishing it (the same publisher `serve` runs on its schedule).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;

use super::wire::{IssueReport, ItemLine, PublishBody, PublishResult};
use super::{ApiError, ApiState, blocking, body, ok};
use crate::model::{ItemId, ReviewState};
use crate::publish::PublishOutcome;
use crate::publish::write::DirOutput;
use crate::store::ItemQuery;

/// GET /api/v1/issues.
pub(crate) async fn list(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let issues = blocking(&state, |api| api.store.issues().map_err(|e| ApiError::Internal(e.to_string()))).await?;
    Ok(ok(&issues))
}

/// GET /api/v1/issues/{number}.
pub(crate) async fn show(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(text) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let number: u32 = text.parse().map_err(|_| ApiError::BadRequest(format!("{text:?} is not an issue number")))?;
    let issue = blocking(&state, move |api| api.store.issue(number).map_err(|e| ApiError::Internal(e.to_string())))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no issue {number}")))?;
    Ok(ok(&issue))
}

#[derive(Serialize)]
struct DraftSection {
    /// Empty for the unnamed main section.
    name: String,
    items: Vec<DraftItem>,
}

#[derive(Serialize)]
struct DraftItem {
    #[serde(flatten)]
    line: ItemLine,
    headline: Option<String>,
    position: Option<u32>,
    revision: u64,
}

/// GET /api/v1/issues/draft.
pub(crate) async fn draft(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let sections = blocking(&state, |api| {
        let configured = api.publisher.settings().sections.clone();
        Ok(api.editorial.draft(&configured)?)
    })
    .await?;
    let sections: Vec<DraftSection> = sections
        .into_iter()
        .map(|s| DraftSection {
            name: s.name,
            items: s
                .items
                .iter()
                .map(|item| DraftItem {
                    line: ItemLine::from(item),
                    headline: item.editor.headline.clone(),
                    position: item.editor.position,
                    revision: item.revision,
                })
                .collect(),
        })
        .collect();
    Ok(ok(&sections))
}

/// GET /api/v1/issues/preview: `{"html": ...}`, `null` when nothing is approved.
pub(crate) async fn preview(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let html = blocking(&state, |api| {
        api.publisher.preview(api.store.as_ref(), Utc::now()).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok(ok(&serde_json::json!({ "html": html })))
}

/// POST /api/v1/issues/publish.
pub(crate) async fn publish(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: PublishBody = body(&bytes)?;
    let _one_at_a_time = state.inner.publishing.lock().await;
    if !request.dry_run {
        // Each chosen quote checked against its page first (issue 16.4).
        let checks = state
            .inner
            .verifier
            .verify_draft("api", Utc::now())
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Some(message) = crate::verify::refusal(&checks).filter(|_| !request.accept_unverified) {
            return Err(ApiError::Conflict(message));
        }
    }
    let (outcome, approved) = blocking(&state, move |api| {
        let store = api.store.as_ref();
        let internal = |e: &dyn std::fmt::Display| ApiError::Internal(e.to_string());
        let approved: Vec<ItemId> = store
            .items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() })
            .map_err(|e| internal(&e))?
            .into_iter()
            .map(|i| i.id)
            .collect();
        let output = DirOutput::new(&api.output_dir);
        let outcome =
            api.publisher.publish_next(store, &output, Utc::now(), request.dry_run).map_err(|e| internal(&e))?;
        Ok((outcome, approved))
    })
    .await?;
    let PublishOutcome::Issue(report) = outcome else {
        return Ok(ok(&PublishResult { issue: None, warning: None }));
    };
    let mut warning = None;
    if !report.dry_run {
        // The queue index shows the published items as published at once.
        let editorial = state.inner.editorial.clone();
        blocking(&state, move |_| Ok(editorial.refresh(&approved)?)).await?;
        let publisher = Arc::clone(&state.inner.publisher);
        if let Err(e) = crate::daemon::announce(&publisher, &state.inner.user_agent).await {
            warning = Some(e.to_string());
        }
    }
    Ok(ok(&PublishResult { issue: Some(IssueReport::from(report)), warning }))
}
