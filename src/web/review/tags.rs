//! POST /items/{id}/tags: an editor adds tags (`add`, comma-separated) or
//! removes one (`remove`) on the item page (issue 16.5), then is sent back
//! to the item with what happened in the flash. The rules are
//! `editorial::rules::tags`; the queue's search box filters by `tag:NAME`.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use super::auth::Editor;
use super::form::Fields;
use super::{UiError, UiState, blocking};
use crate::model::ItemId;

pub(crate) async fn tag(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = ItemId::parse(&id).ok_or_else(|| UiError::BadRequest(format!("{id:?} is not an item id")))?;
    let revision = fields.revision()?;
    let add: Vec<String> = fields
        .get("add")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let remove: Vec<String> = fields.get("remove").map(str::to_owned).into_iter().collect();
    let actor = editor.name.clone();
    let job_id = id.clone();
    let result = blocking(&state, move |ui| {
        Ok(ui.editorial.tag(&job_id, revision, &add, &remove, &actor, Utc::now()).map_err(Box::new))
    })
    .await?;
    let message = match result {
        Ok(item) if item.editor.tags.is_empty() => "No tags.".to_owned(),
        Ok(item) => format!("Tags: {}.", item.editor.tags.join(", ")),
        Err(error) if matches!(*error, crate::editorial::EditorialError::Store(_)) => {
            return Err(UiError::Editorial(error));
        }
        Err(error) => format!("{error}. Tags unchanged."),
    };
    state.inner.sessions.flash(&editor, message);
    Ok(Redirect::to(&format!("/items/{id}#tags")).into_response())
}
