//! `/api/v1/search`: full-text search (issue 16.1) through the editorial
//! use-case, so `gleaner search` answers the same while `serve` runs.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{ApiError, ApiState, blocking, ok};

/// Hits unless `limit` says otherwise.
const LIMIT: usize = 20;

pub(crate) const SEARCH_QUERY: &[(&str, &str)] = &[
    (
        "q",
        "words, \"exact phrases\", speaker:, outlet:, source:, lang:, state:, section:, since:/until: (YYYY-MM-DD), -negation",
    ),
    ("limit", "at most this many hits, best first (1-1000, default 20)"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

/// GET /api/v1/search: `SearchResults` (total, results with snippets, warnings).
pub(crate) async fn search(
    State(state): State<ApiState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let text = params.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest("`q` is empty: say what to search for".to_owned()));
    }
    let limit = params.limit.unwrap_or(LIMIT);
    let results = blocking(&state, move |api| Ok(api.editorial.search(&text, limit)?)).await?;
    Ok(ok(&results))
}
