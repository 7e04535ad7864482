//! `/api/v1/items` (POST: add by URL), `/api/v1/notes`, an entry's cited
//! items and `/api/v1/stories`: the entries beyond one fed article, through
//! the same ingest and editorial use-cases as `gleaner add`, `note add`,
//! `review attach|detach` and `stories`. Thin: no rule is decided here.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::items::item_id;
use super::wire::{AddBody, AddResult, CiteBody, NoteBody, StoriesBody, StoriesResult};
use super::{ApiError, ApiState, Caller, blocking, body, ok};
use crate::editorial::{EditChanges, EditorialError};
use crate::ingest::AddError;

/// An add that failed, with a code per cause (`bad_url` is the caller's).
fn add_error(error: &AddError) -> ApiError {
    match error {
        AddError::BadUrl { .. } => ApiError::failed(StatusCode::BAD_REQUEST, "bad_url", error),
        AddError::Fetch { .. } => ApiError::failed(StatusCode::BAD_GATEWAY, "fetch_failed", error),
        AddError::NotAPage { .. } => ApiError::failed(StatusCode::UNPROCESSABLE_ENTITY, "not_a_page", error),
        AddError::Extraction { .. } => ApiError::failed(StatusCode::BAD_GATEWAY, "extraction_failed", error),
        AddError::Store(e) => ApiError::Internal(e.to_string()),
    }
}

/// POST /api/v1/items: fetch, extract and queue the article at `url`.
pub(crate) async fn add(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: AddBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let added = state.inner.ingest.add_url(&request.url, Utc::now()).await.map_err(|e| add_error(&e))?;
    let new = added.new;
    let item = blocking(&state, move |api| {
        let mut item = added.item;
        api.editorial.assign_stories(std::slice::from_ref(&item.id))?;
        if let Some(section) = request.section {
            let changes = EditChanges { section: Some(Some(section)), ..EditChanges::default() };
            item = api.editorial.edit(&item.id, item.revision, &changes, &actor, Utc::now())?;
        }
        Ok(item)
    })
    .await?;
    Ok(ok(&AddResult { item, new }))
}

/// POST /api/v1/notes: the new entry (approved for the next issue).
pub(crate) async fn note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: NoteBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let item = blocking(&state, move |api| {
        let headline = request.headline.as_deref();
        Ok(api.editorial.add_note(&request.section, headline, &request.commentary, &actor, Utc::now())?)
    })
    .await?;
    Ok(ok(&item))
}

async fn cite(
    state: &ApiState,
    caller: &Caller,
    path: Result<Path<String>, PathRejection>,
    bytes: &[u8],
    attach: bool,
) -> Result<Response, ApiError> {
    let id = item_id(path)?;
    let request: CiteBody = body(bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let item = blocking(state, move |api| {
        let editorial = &api.editorial;
        let revision = match request.revision {
            Some(revision) => revision,
            None => editorial.item(&id)?.ok_or(EditorialError::NotFound { id: id.clone() })?.revision,
        };
        let done = if attach {
            editorial.attach(&id, revision, &request.items, &actor, Utc::now())
        } else {
            editorial.detach(&id, revision, &request.items, &actor, Utc::now())
        };
        Ok(done?)
    })
    .await?;
    Ok(ok(&item))
}

/// POST /api/v1/items/{id}/attach: the entry at its new revision.
pub(crate) async fn attach(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    cite(&state, &caller, path, &bytes, true).await
}

/// POST /api/v1/items/{id}/detach: the entry at its new revision.
pub(crate) async fn detach(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    cite(&state, &caller, path, &bytes, false).await
}

/// POST /api/v1/stories: the items whose story changed.
pub(crate) async fn stories(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: StoriesBody = body(&bytes)?;
    let changed = blocking(&state, move |api| {
        let changed =
            if request.all { api.editorial.reassign_all_stories() } else { api.editorial.assign_missing_stories() };
        Ok(changed?)
    })
    .await?;
    Ok(ok(&StoriesResult { changed }))
}
