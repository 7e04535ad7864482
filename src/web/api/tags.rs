//! `POST /api/v1/items/{id}/tags`: editors' tags added and removed
//! (`gleaner review tag` through a running service; issue 16.5).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Utc;

use super::wire::TagBody;
use super::{ApiError, ApiState, Caller, blocking, body, ok};
use crate::editorial::EditorialError;
use crate::model::ItemId;

/// POST /api/v1/items/{id}/tags: the item as stored after the change.
pub(crate) async fn tag(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let id =
        ItemId::parse(&id).ok_or_else(|| ApiError::BadRequest(format!("{id:?} is not an item id (32 hex digits)")))?;
    let request: TagBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let item = blocking(&state, move |api| {
        let revision = match request.revision {
            Some(revision) => revision,
            None => api.editorial.item(&id)?.ok_or(EditorialError::NotFound { id: id.clone() })?.revision,
        };
        Ok(api.editorial.tag(&id, revision, &request.add, &request.remove, &actor, Utc::now())?)
    })
    .await?;
    Ok(ok(&item))
}
