//! `/api/v1/subscribers` and `/api/v1/mail/test`: the mailing list and a
//! test message, through the same `mail` use-cases as `gleaner subscribers`
//! and `gleaner mail test`. Adds and imports only queue confirmation
//! messages; the service's send loop sends them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::wire::{
    MailTestBody, MailTestResult, NewSubscriber, SubscriberAdded, SubscriberImport, SubscriberImportReport,
    SubscriberLine,
};
use super::{ApiError, ApiState, blocking, body, ok};
use crate::mail::MailError;
use crate::mail::list::{self, Added};

fn mail_error(error: &MailError) -> ApiError {
    match error {
        MailError::BadAddress { .. } => ApiError::failed(StatusCode::BAD_REQUEST, "bad_address", error),
        MailError::Store(e) => ApiError::Internal(e.to_string()),
        MailError::Send { .. } => ApiError::failed(StatusCode::BAD_GATEWAY, "send_failed", error),
        _ => ApiError::failed(StatusCode::INTERNAL_SERVER_ERROR, "mail_failed", error),
    }
}

/// GET /api/v1/subscribers.
pub(crate) async fn list(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let subscribers =
        blocking(&state, |api| api.store.subscribers().map_err(|e| ApiError::Internal(e.to_string()))).await?;
    Ok(ok(&subscribers.iter().map(SubscriberLine::from).collect::<Vec<_>>()))
}

/// POST /api/v1/subscribers.
pub(crate) async fn add(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: NewSubscriber = body(&bytes)?;
    let added = blocking(&state, move |api| {
        let email = list::normalize_email(&request.email).map_err(|e| mail_error(&e))?;
        let added = list::add(api.store.as_ref(), &email, request.confirmed, Utc::now()).map_err(|e| mail_error(&e))?;
        let outcome = match added {
            Added::Confirmed => "confirmed",
            Added::ConfirmationQueued => "confirmation_queued",
            Added::AlreadyConfirmed => "already_confirmed",
        };
        Ok(SubscriberAdded { email, outcome: outcome.to_owned() })
    })
    .await?;
    Ok(ok(&added))
}

/// DELETE /api/v1/subscribers/{email}: forgets the address entirely.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(email) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    blocking(&state, move |api| {
        if list::remove(api.store.as_ref(), &email).map_err(|e| mail_error(&e))? {
            Ok(())
        } else {
            let message = format!("no subscriber {}", email.trim());
            Err(ApiError::Failed { status: StatusCode::NOT_FOUND, code: "not_found", message })
        }
    })
    .await?;
    Ok(ok(&serde_json::json!({})))
}

/// POST /api/v1/subscribers/import: the CSV's text in the body.
pub(crate) async fn import(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: SubscriberImport = body(&bytes)?;
    let report = blocking(&state, move |api| {
        list::import_csv(api.store.as_ref(), &request.csv, request.confirmed, Utc::now()).map_err(|e| mail_error(&e))
    })
    .await?;
    Ok(ok(&SubscriberImportReport {
        confirmed: report.confirmed,
        confirmation_queued: report.confirmation_queued,
        already: report.already,
        errors: report.errors,
    }))
}

/// POST /api/v1/mail/test: sends a test message through the `[mail]` settings.
pub(crate) async fn test(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: MailTestBody = body(&bytes)?;
    let Some(mailer) = state.inner.mailer.as_ref().map(Arc::clone) else {
        let message = "no [mail] section: configure `smtp` and `from` first".to_owned();
        return Err(ApiError::Failed { status: StatusCode::CONFLICT, code: "no_mail", message });
    };
    mailer.send_test(&request.address).await.map_err(|e| mail_error(&e))?;
    Ok(ok(&MailTestResult { address: request.address, smtp: mailer.settings().smtp.to_string() }))
}
