//! `/api/v1/speakers`: the most quoted speakers of a period (issue 16.2),
//! so `gleaner speakers` answers the same while `serve` runs.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::wire::{MergeBody, SpeakerEdited, SplitBody};
use super::{ApiError, ApiState, Caller, blocking, body, ok};

pub(crate) const QUOTES_QUERY: &[(&str, &str)] = &[
    ("speaker", "only this speaker's quotes (an id or a name, with everyone merged into them)"),
    ("limit", "at most this many records, most repeated first (default 100)"),
];

pub(crate) const SPEAKERS_QUERY: &[(&str, &str)] = &[
    ("days", "items published in the last N days (default: all time)"),
    ("limit", "at most this many speakers, most quoted first (default 100)"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpeakersParams {
    days: Option<u32>,
    limit: Option<usize>,
}

/// GET /api/v1/speakers: speaker summaries, most quoted first.
pub(crate) async fn list(
    State(state): State<ApiState>,
    params: Result<Query<SpeakersParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let since = params.days.map(|days| Utc::now() - Duration::days(i64::from(days)));
    let limit = params.limit.unwrap_or(100);
    let speakers = blocking(&state, move |api| Ok(api.editorial.speakers(since, limit)?)).await?;
    Ok(ok(&speakers))
}

fn speaker(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id).map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// POST /api/v1/speakers/{id}/merge: the id of the speaker merged into.
pub(crate) async fn merge(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let from = speaker(path)?;
    let request: MergeBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let id = blocking(&state, move |api| Ok(api.editorial.merge_speakers(&from, &request.into, &actor, Utc::now())?))
        .await?;
    Ok(ok(&SpeakerEdited { id }))
}

/// POST /api/v1/speakers/{id}/split: the split-off name's new id.
pub(crate) async fn split(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let id = speaker(path)?;
    let request: SplitBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let id =
        blocking(&state, move |api| Ok(api.editorial.split_speaker(&id, &request.alias, &actor, Utc::now())?)).await?;
    Ok(ok(&SpeakerEdited { id }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuotesParams {
    speaker: Option<String>,
    limit: Option<usize>,
}

/// GET /api/v1/quotes: quote records, most repeated first.
pub(crate) async fn quotes(
    State(state): State<ApiState>,
    params: Result<Query<QuotesParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = params.limit.unwrap_or(100);
    let records =
        blocking(&state, move |api| Ok(api.editorial.quote_records(params.speaker.as_deref(), limit)?)).await?;
    Ok(ok(&records))
}
