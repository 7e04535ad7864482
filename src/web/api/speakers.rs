//! `/api/v1/speakers`: the most quoted speakers of a period (issue 16.2),
//! so `gleaner speakers` answers the same while `serve` runs.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{ApiError, ApiState, blocking, ok};

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
