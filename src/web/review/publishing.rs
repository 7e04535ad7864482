//! The composer's Publish button and the Correct button of a published
//! issue. Both go through the service's one `Publisher` (the schedule's own,
//! behind its run lock), are CSRF-checked by `auth::require_session` like
//! every POST, and put the editor's name in the log, on the issue record and
//! in the audit trail of every item the issue carries.
//!
//! Publishing is confirmed in two steps: the composer's button opens a
//! confirmation (`/composer?confirm=publish`, no JavaScript needed) whose
//! form names the issue number the editor saw; if someone published
//! meanwhile the number no longer matches and nothing is published (409).

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::auth::Editor;
use super::form::{Fields, local_path};
use super::{UiError, UiState, blocking};
use crate::publish::{PublishError, PublishOutcome};

/// What the composer shows beside the draft: the number the Publish button
/// will publish, the schedule, and the latest published issues (each with
/// its Correct form).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Panel {
    /// `None` when numbers are used up.
    next_number: Option<u32>,
    /// "2026-12-07 09:00 UTC", when `publish.schedule` is set.
    next_scheduled: Option<String>,
    issues: Vec<PublishedIssue>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct PublishedIssue {
    number: u32,
    title: String,
    corrections: usize,
}

/// How many published issues the composer lists for correction.
const ISSUES_SHOWN: usize = 5;

impl Panel {
    /// Blocking: reads the store.
    pub(crate) fn load(preview: &super::Preview, now: chrono::DateTime<Utc>) -> Result<Self, UiError> {
        let issues = preview.published_issues(ISSUES_SHOWN).map_err(ui_error)?;
        Ok(Self {
            next_number: preview.next_number().map_err(ui_error)?,
            next_scheduled: preview.next_scheduled(now).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            issues: issues
                .into_iter()
                .map(|(number, title, corrections)| PublishedIssue { number, title, corrections })
                .collect(),
        })
    }
}

/// A refused publish the editor can act on, or our own failure.
fn ui_error(error: PublishError) -> UiError {
    match error {
        PublishError::NotNext { .. }
        | PublishError::NoSuchIssue { .. }
        | PublishError::NotPublished { .. }
        | PublishError::Busy { .. }
        | PublishError::NumbersExhausted { .. } => UiError::PublishRefused(error.to_string()),
        PublishError::NoteTooLong { .. } => UiError::BadRequest(error.to_string()),
        other => UiError::Internal(other.to_string()),
    }
}

fn number(text: &str) -> Result<u32, UiError> {
    text.trim().parse().map_err(|_| UiError::BadRequest(format!("bad issue number {text:?}")))
}

/// POST /composer/publish: `number`, the issue the editor confirmed.
pub(crate) async fn publish(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let expected = number(fields.need("number")?)?;
    let by = editor.name.clone();
    let outcome = blocking(&state, move |ui| {
        let now = Utc::now();
        let outcome = ui.preview.publish(expected, &by, now).map_err(ui_error)?;
        if let PublishOutcome::Issue(report) = &outcome {
            let ids = ui.preview.issue_items(report.number).map_err(ui_error)?;
            ui.editorial.record_issue_event(&ids, "publish", &format!("in issue {}", report.number), &by, now)?;
        }
        Ok(outcome)
    })
    .await?;
    let message = match outcome {
        PublishOutcome::Issue(report) => {
            tracing::info!(issue = report.number, items = report.items, editor = %editor.name, "published from the composer");
            state.inner.preview.announce().await;
            format!("Published issue {} ({} items): {}.", report.number, report.items, report.title)
        }
        PublishOutcome::NothingApproved => "Nothing is approved: no issue was published.".to_owned(),
    };
    state.inner.sessions.flash(&editor, message);
    Ok(Redirect::to("/composer").into_response())
}

/// POST /issues/{number}/correct: `note` (optional), `back` (where to return).
/// Re-renders the published issue from its items as they are now.
pub(crate) async fn correct(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(number_text): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let number = number(&number_text)?;
    let note = crate::editorial::rules::clean_text(fields.get("note").unwrap_or_default(), false).trim().to_owned();
    let back = local_path(fields.get("back"), "/composer");
    let by = editor.name.clone();
    let report = blocking(&state, move |ui| {
        let now = Utc::now();
        let report = ui.preview.correct(number, &note, &by, now).map_err(ui_error)?;
        let ids = ui.preview.issue_items(number).map_err(ui_error)?;
        let detail = if note.is_empty() { format!("issue {number}") } else { format!("issue {number}: {note}") };
        ui.editorial.record_issue_event(&ids, "correct", &detail, &by, now)?;
        Ok(report)
    })
    .await?;
    tracing::info!(issue = report.number, editor = %editor.name, "corrected from the review UI");
    state.inner.preview.announce().await;
    state
        .inner
        .sessions
        .flash(&editor, format!("Published a correction of issue {}: {}.", report.number, report.title));
    Ok(Redirect::to(&back).into_response())
}
