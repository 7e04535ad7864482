//! `/api/v1/watches`: editors' watchlists (issue 16.5), so `gleaner follow`
//! and `gleaner unfollow` answer the same while `serve` runs, and the
//! Followed tab's matches for scripts.
//!
//! The editor is the caller: a token acts for itself (`api:NAME`), the
//! operator token for the editor the request names.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use super::wire::FollowBody;
use super::{ApiError, ApiState, Caller, blocking, body, ok};
use crate::model::WatchTarget;

pub(crate) const EDITOR_QUERY: &[(&str, &str)] =
    &[("editor", "whose watchlist (the operator token only; a token's own otherwise)")];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditorParams {
    editor: Option<String>,
}

fn editor(caller: &Caller, params: Result<Query<EditorParams>, QueryRejection>) -> Result<String, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    caller.actor(params.editor.as_deref())
}

/// GET /api/v1/watches: the caller's watchlist.
pub(crate) async fn list(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<EditorParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let editor = editor(&caller, params)?;
    let list = blocking(&state, move |api| Ok(api.editorial.watchlist(&editor)?)).await?;
    Ok(ok(&list))
}

/// GET /api/v1/watches/followed: the Followed tab's matches, nothing marked seen.
pub(crate) async fn followed(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<EditorParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let editor = editor(&caller, params)?;
    let followed = blocking(&state, move |api| Ok(api.editorial.followed(&editor, Utc::now())?)).await?;
    Ok(ok(&followed))
}

/// POST /api/v1/watches: follow a speaker or a query; the watch.
pub(crate) async fn follow(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: FollowBody = body(&bytes)?;
    let editor = caller.actor(request.editor.as_deref())?;
    let target = match request.kind.as_str() {
        "speaker" => WatchTarget::Speaker { id: request.target },
        "query" => WatchTarget::Query { query: request.target },
        other => return Err(ApiError::BadRequest(format!("kind {other:?} is neither \"speaker\" nor \"query\""))),
    };
    let watch = blocking(&state, move |api| {
        Ok(api.editorial.follow(&editor, target, request.notify.as_deref(), Utc::now())?)
    })
    .await?;
    Ok(ok(&watch))
}

/// DELETE /api/v1/watches/{id}: unfollow; the watch removed. The operator
/// token may name no editor (ids are unique across editors).
pub(crate) async fn unfollow(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<EditorParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let editor = match (caller.token.is_none(), params.editor.as_deref()) {
        (true, None) => None,
        (_, named) => Some(caller.actor(named)?),
    };
    let watch = blocking(&state, move |api| Ok(api.editorial.unfollow(editor.as_deref(), &id)?)).await?;
    Ok(ok(&watch))
}
