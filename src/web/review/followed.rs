//! The queue's "Followed" tab and the follow buttons (issue 16.5): the
//! quotes of recent items matching the editor's watchlist, new ones marked
//! (opening the tab marks them seen), and the forms that follow a speaker
//! (on `/speakers/{id}`) or the current search (on the queue) and unfollow.
//! Matching is `editorial::watchlist`'s. Template: `followed.html.j2`.

use axum::Extension;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;

use super::auth::Editor;
use super::form::{Fields, local_path};
use super::{UiError, UiState, blocking};
use crate::editorial::EditorialError;
use crate::model::WatchTarget;

/// GET /queue/followed.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
) -> Result<Html<String>, UiError> {
    let name = editor.name.clone();
    let followed = blocking(&state, move |ui| Ok(ui.editorial.open_followed(&name, Utc::now())?)).await?;
    let watches: Vec<_> = followed
        .watches
        .iter()
        .map(|w| {
            let (kind, target, url) = match &w.target {
                WatchTarget::Speaker { id } => ("speaker", id.clone(), format!("/speakers/{}", encode(id))),
                WatchTarget::Query { query } => ("query", query.clone(), queue_search(query)),
            };
            context! { id => &w.id, kind => kind, target => target, url => url, notify => &w.notify }
        })
        .collect();
    let matches: Vec<_> = followed
        .matches
        .iter()
        .map(|m| {
            context! {
                item => m.item.as_str(), title => &m.title, url => &m.url, outlet => &m.outlet,
                speaker => &m.speaker, quote => &m.quote, followed => &m.followed, unseen => m.unseen,
                published => m.published.format("%Y-%m-%d %H:%M").to_string(), published_iso => m.published.to_rfc3339(),
            }
        })
        .collect();
    state.inner.pages.render(
        "followed.html.j2",
        context! {
            user => &editor.name, csrf => &editor.csrf, flash => state.inner.sessions.take_flash(&editor),
            watches => watches, matches => matches, unseen => followed.unseen,
            window_days => crate::editorial::FOLLOWED_WINDOW_DAYS,
        },
    )
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The queue searching `query` over every state.
fn queue_search(query: &str) -> String {
    format!(
        "/queue?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("state", "all")
            .append_pair("q", query)
            .finish()
    )
}

/// An editor's mistake is flashed; a store failure is an error page.
fn flashed<T>(state: &UiState, editor: &Editor, result: Result<T, EditorialError>) -> Result<Option<T>, UiError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error @ (EditorialError::Invalid { .. } | EditorialError::NoSuch { .. })) => {
            state.inner.sessions.flash(editor, format!("Not changed: {error}"));
            Ok(None)
        }
        Err(other) => Err(UiError::from(other)),
    }
}

/// POST /queue/follow: `kind` (`speaker` or `query`) and `target` (a speaker id or a query).
pub(crate) async fn follow(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let target = fields.need("target")?.to_owned();
    let target = match fields.need("kind")? {
        "speaker" => WatchTarget::Speaker { id: target },
        "query" => WatchTarget::Query { query: target },
        other => return Err(UiError::BadRequest(format!("kind {other:?} is neither speaker nor query"))),
    };
    let back = local_path(fields.get("back"), "/queue/followed");
    let name = editor.name.clone();
    let result = blocking(&state, move |ui| Ok(ui.editorial.follow(&name, target, None, Utc::now()))).await?;
    if let Some(watch) = flashed(&state, &editor, result)? {
        state.inner.sessions.flash(&editor, format!("Following {}.", watch.target.describe()));
    }
    Ok(Redirect::to(&back).into_response())
}

/// POST /queue/unfollow: the watch `id` of this editor.
pub(crate) async fn unfollow(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = fields.need("id")?.to_owned();
    let back = local_path(fields.get("back"), "/queue/followed");
    let name = editor.name.clone();
    let result = blocking(&state, move |ui| Ok(ui.editorial.unfollow(Some(&name), &id))).await?;
    if let Some(watch) = flashed(&state, &editor, result)? {
        state.inner.sessions.flash(&editor, format!("No longer following {}.", watch.target.describe()));
    }
    Ok(Redirect::to(&back).into_response())
}
