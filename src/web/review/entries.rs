//! Entries beyond one fed article, in the review UI (issue 14): the item
//! page's "Cited articles" (attach another item, by id or from the story's
//! other tellings; detach; choose quotes of cited items) and the queue's
//! "Add by URL" box. Handlers are thin: the rules are `editorial`'s, the
//! fetching `ingest`'s.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::{Value, context};

use super::auth::Editor;
use super::form::{Fields, local_path};
use super::{UiError, UiState, blocking, editorial_status};
use crate::editorial::{EditChanges, ItemView};
use crate::model::ItemId;

/// The cited articles with their quotes, as the item page's form shows them.
pub(crate) fn cited_context(
    view: &ItemView,
    chosen: &[String],
    speakers: &HashMap<String, String>,
    outlets: &HashMap<String, String>,
) -> Vec<Value> {
    view.cited
        .iter()
        .map(|cited| {
            let item = &cited.item;
            let quotes: Vec<Value> = cited
                .quotes
                .iter()
                .map(|q| {
                    context! {
                        id => &q.id,
                        text => &q.text,
                        found_speaker => &q.speaker,
                        found_outlet => q.outlet.as_ref().or(item.outlet.as_ref()),
                        speaker => speakers.get(&q.id).cloned().unwrap_or_default(),
                        outlet => outlets.get(&q.id).cloned().unwrap_or_default(),
                        chosen => chosen.contains(&q.id),
                    }
                })
                .collect();
            context! {
                id => item.id.as_str(),
                title => &item.title,
                outlet => item.outlet.clone().unwrap_or_else(|| item.source().to_owned()),
                state => item.state.as_str(),
                quotes => quotes,
            }
        })
        .collect()
}

/// The story's other tellings, each marked when the entry cites it already.
pub(crate) fn story_context(view: &ItemView) -> Vec<Value> {
    view.story
        .iter()
        .map(|member| {
            context! {
                id => member.id.as_str(),
                title => &member.title,
                outlet => member.outlet.clone().unwrap_or_else(|| member.source.clone()),
                state => member.state.as_str(),
                cited => view.item.editor.cited.contains(&member.id),
            }
        })
        .collect()
}

fn item_id(text: &str) -> Result<ItemId, UiError> {
    ItemId::parse(text.trim()).ok_or(UiError::NotFound)
}

/// The ids a cite form names: `other` buttons and the typed `other_id` box.
fn others(fields: &Fields) -> Result<Vec<ItemId>, UiError> {
    let mut ids = Vec::new();
    for text in fields.all("other").chain(fields.get("other_id")).map(str::trim).filter(|t| !t.is_empty()) {
        let id = ItemId::parse(text)
            .ok_or_else(|| UiError::BadRequest(format!("{text:?} is not an item id (32 hex digits)")))?;
        ids.push(id);
    }
    Ok(ids)
}

/// POST /items/{id}/attach and /items/{id}/detach.
async fn cite(state: UiState, editor: Editor, id: String, fields: Fields, attach: bool) -> Result<Response, UiError> {
    let id = item_id(&id)?;
    let revision = fields.revision()?;
    let others = others(&fields)?;
    let back = format!("/items/{id}");
    if others.is_empty() {
        state.inner.sessions.flash(&editor, "Give an item id to attach.".to_owned());
        return Ok(Redirect::to(&back).into_response());
    }
    let actor = editor.name.clone();
    let outcome = blocking(&state, move |ui| {
        let now = Utc::now();
        let done = if attach {
            ui.editorial.attach(&id, revision, &others, &actor, now)
        } else {
            ui.editorial.detach(&id, revision, &others, &actor, now)
        };
        Ok(done)
    })
    .await?;
    match outcome {
        Ok(_) => {
            state.inner.sessions.flash(&editor, if attach { "Attached." } else { "Detached." }.to_owned());
        }
        Err(error) if !editorial_status(&error).is_server_error() => {
            state.inner.sessions.flash(&editor, error.to_string());
        }
        Err(error) => return Err(error.into()),
    }
    Ok(Redirect::to(&back).into_response())
}

pub(crate) async fn attach(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    cite(state, editor, id, fields, true).await
}

pub(crate) async fn detach(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    cite(state, editor, id, fields, false).await
}

/// POST /queue/add: fetch and queue one article, then show it.
pub(crate) async fn add(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let url = fields.need("url")?.trim().to_owned();
    let section = fields.get("section").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let back = local_path(fields.get("back"), "/queue");
    let Some(ingest) = state.inner.ingest.clone() else {
        state.inner.sessions.flash(&editor, "Adding by URL is not available here.".to_owned());
        return Ok(Redirect::to(&back).into_response());
    };
    let added = match ingest.add_url(&url, Utc::now()).await {
        Ok(added) => added,
        Err(error) => {
            // The editor's to fix (a typo, a page that refused): say what happened.
            tracing::info!(%error, "add by URL failed");
            state.inner.sessions.flash(&editor, format!("Not added: {error}"));
            return Ok(Redirect::to(&back).into_response());
        }
    };
    let actor = editor.name.clone();
    let item = added.item;
    let id = item.id.clone();
    blocking(&state, move |ui| {
        ui.editorial.refresh(std::slice::from_ref(&item.id))?;
        if let Some(section) = section {
            let changes = EditChanges { section: Some(Some(section)), ..EditChanges::default() };
            ui.editorial.edit(&item.id, item.revision, &changes, &actor, Utc::now())?;
        }
        Ok(())
    })
    .await?;
    let message = if added.new { "Added." } else { "Already stored: here it is." };
    state.inner.sessions.flash(&editor, message.to_owned());
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
}
