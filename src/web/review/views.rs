//! Saved views in the queue (issue 16.1): a named search an editor reopens
//! from the queue's "Saved views" list. Shared by the team, like the queue.
//! Storage and validation are `search`'s; these handlers only flash and redirect.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Editor;
use super::form::{Fields, local_path};
use super::{UiError, UiState, blocking};
use crate::search::{SavedView, SearchError};

/// `/queue?...` that opens `view`: its query over every state (a query
/// that names a state filters by it).
pub(crate) fn view_url(view: &SavedView) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("state", "all")
        .append_pair("q", &view.query)
        .append_pair("view", &view.name)
        .finish();
    format!("/queue?{query}")
}

/// The saved views, or none where search is not attached (a test's UI).
pub(crate) fn list(ui: &super::Inner) -> Result<Vec<SavedView>, UiError> {
    let Some(search) = ui.editorial.search_index() else { return Ok(Vec::new()) };
    search.views().map_err(|e| UiError::Internal(e.to_string()))
}

/// POST /queue/views: save the current search as `name`.
pub(crate) async fn save(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.need("name")?.to_owned();
    let query = fields.need("q")?.to_owned();
    let outcome = blocking(&state, move |ui| {
        let Some(search) = ui.editorial.search_index() else {
            return Ok(Err("Saved views need the search index.".to_owned()));
        };
        match search.save_view(&name, &query) {
            Ok(view) => Ok(Ok(view)),
            Err(SearchError::Views(crate::search::ViewError::Invalid(message))) => Ok(Err(message)),
            Err(other) => Err(UiError::Internal(other.to_string())),
        }
    })
    .await?;
    match outcome {
        Ok(view) => {
            state.inner.sessions.flash(&editor, format!("Saved the view “{}”.", view.name));
            Ok(Redirect::to(&view_url(&view)).into_response())
        }
        Err(message) => {
            state.inner.sessions.flash(&editor, format!("Not saved: {message}"));
            Ok(Redirect::to(&local_path(fields.get("back"), "/queue")).into_response())
        }
    }
}

/// POST /queue/views/delete: remove the view `name`.
pub(crate) async fn delete(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.need("name")?.to_owned();
    let shown = name.clone();
    let removed = blocking(&state, move |ui| match ui.editorial.search_index() {
        Some(search) => search.delete_view(&name).map_err(|e| UiError::Internal(e.to_string())),
        None => Ok(false),
    })
    .await?;
    let message =
        if removed { format!("Deleted the view “{shown}”.") } else { format!("No view named “{shown}”.") };
    state.inner.sessions.flash(&editor, message);
    Ok(Redirect::to("/queue").into_response())
}
