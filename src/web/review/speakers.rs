//! Speaker pages (issue 16.2): `/speakers`, the most quoted people of a
//! period (7 days by default; `days=0` for all time), filterable by name;
//! `/speakers/{id}`, one person's every quote, newest first, with outlet,
//! date and link, and the other outlets that ran the same story.
//! Templates: `speakers.html.j2`, `speaker.html.j2`.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use minijinja::context;
use serde::Deserialize;

use super::auth::Editor;
use super::form::Fields;
use super::{UiError, UiState, blocking};
use crate::editorial::EditorialError;

/// The default period: the digest's week.
const DEFAULT_DAYS: i64 = 7;
/// Speakers listed.
const LISTED: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SpeakersParams {
    days: Option<String>,
    q: Option<String>,
}

/// GET /speakers.
pub(crate) async fn list(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Query(params): Query<SpeakersParams>,
) -> Result<Html<String>, UiError> {
    let days = params.days.as_deref().and_then(|d| d.trim().parse::<i64>().ok()).filter(|d| (0..=3650).contains(d));
    let days = days.unwrap_or(DEFAULT_DAYS);
    let since = (days > 0).then(|| Utc::now() - Duration::days(days));
    let filter = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).and_then(crate::speakers::speaker_id);
    let speakers = blocking(&state, move |ui| Ok(ui.editorial.speakers(since, usize::MAX)?)).await?;
    let rows: Vec<_> = speakers
        .iter()
        .filter(|s| filter.as_deref().is_none_or(|f| s.id.contains(f)))
        .take(LISTED)
        .map(|s| {
            context! {
                id => &s.id, name => &s.name, aliases => &s.aliases, quotes => s.quotes, items => s.items,
                outlets => s.outlets.iter().map(|(o, n)| format!("{o} ({n})")).collect::<Vec<_>>(),
                latest => s.latest.format("%Y-%m-%d").to_string(),
            }
        })
        .collect();
    state.inner.pages.render(
        "speakers.html.j2",
        context! {
            user => &editor.name, csrf => &editor.csrf, rows => rows, days => days,
            q => params.q.unwrap_or_default(),
        },
    )
}

/// GET /speakers/{id}.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
) -> Result<Html<String>, UiError> {
    let name = editor.name.clone();
    let (page, feed, watch) = blocking(&state, move |ui| {
        let Some(page) = ui.editorial.speaker_page(&id)? else { return Ok((None, None, None)) };
        let feed = published_feed(ui, &page.speaker.id)?;
        // This editor's watch on the speaker, if any (the Follow button shows Unfollow then).
        let watch = ui
            .editorial
            .watchlist(&name)?
            .watches
            .into_iter()
            .find(|w| matches!(&w.target, crate::model::WatchTarget::Speaker { id } if *id == page.speaker.id));
        Ok((Some(page), feed, watch.map(|w| w.id)))
    })
    .await?;
    let page = page.ok_or(UiError::NotFound)?;
    let quotes: Vec<_> = page
        .quotes
        .iter()
        .map(|q| {
            context! {
                item => q.item.as_str(), title => &q.title, url => &q.url, outlet => &q.outlet, text => &q.text,
                published => q.published.format("%Y-%m-%d %H:%M").to_string(), published_iso => q.published.to_rfc3339(),
                also => q.also.iter().map(|m| context! {
                    id => m.id.as_str(), title => &m.title, outlet => m.outlet.clone().unwrap_or_else(|| m.source.clone()),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let s = &page.speaker;
    state.inner.pages.render(
        "speaker.html.j2",
        context! {
            user => &editor.name, csrf => &editor.csrf, flash => state.inner.sessions.take_flash(&editor),
            speaker => context! {
                id => &s.id, name => &s.name, aliases => &s.aliases, quotes => s.quotes, items => s.items,
                outlets => s.outlets.iter().map(|(o, n)| format!("{o} ({n})")).collect::<Vec<_>>(),
            },
            quotes => quotes,
            feed => feed,
            watch => watch,
            history => page.history.iter().map(|h| context! {
                at => h.at.format("%Y-%m-%d %H:%M").to_string(), actor => &h.actor, action => &h.action, detail => &h.detail,
            }).collect::<Vec<_>>(),
            search => format!("/queue?{}", url::form_urlencoded::Serializer::new(String::new())
                .append_pair("state", "all").append_pair("q", &format!("speaker:\"{}\"", s.name)).finish()),
        },
    )
}

/// The public URLs of speaker `id`'s feeds (RSS, Atom, JSON Feed) when
/// `publish.speaker_feeds` opts them in (under their id or one merged into
/// it) and the publisher has written them; `None` otherwise, so the page
/// never links to a feed that answers 404.
fn published_feed(ui: &super::Inner, id: &str) -> Result<Option<minijinja::Value>, UiError> {
    let settings = ui.preview.settings();
    for configured in &settings.speaker_feeds {
        if ui.editorial.resolve_speaker(configured)?.as_deref() != Some(id) {
            continue;
        }
        let [rss_file, ..] = crate::publish::speaker_feed::files(configured);
        if !settings.output_dir.join(&rss_file).is_file() {
            continue;
        }
        // Relative to the server's own `/feeds/` without a public base URL.
        let root = settings.base_url.as_ref().map_or_else(|| "/feeds/".to_owned(), url::Url::to_string);
        let [rss, atom, json] = crate::publish::speaker_feed::url_paths(configured).map(|p| format!("{root}{p}"));
        return Ok(Some(context! { rss => rss, atom => atom, json => json }));
    }
    Ok(None)
}

/// Flashes a merge's or split's outcome and goes to the speaker that now
/// holds the name (back to `from` when it was refused).
fn edited(
    state: &UiState,
    editor: &Editor,
    outcome: Result<String, EditorialError>,
    from: &str,
    done: &str,
) -> Response {
    match outcome {
        Ok(id) => {
            state.inner.sessions.flash(editor, done.to_owned());
            Redirect::to(&format!("/speakers/{}", encode(&id))).into_response()
        }
        Err(error) => {
            state.inner.sessions.flash(editor, format!("Not changed: {error}"));
            Redirect::to(&format!("/speakers/{}", encode(from))).into_response()
        }
    }
}

fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The outcome of a use-case call: an editor's mistake is flashed, a store failure is an error page.
fn refused(result: Result<String, EditorialError>) -> Result<Result<String, EditorialError>, UiError> {
    match result {
        Err(EditorialError::Invalid { message }) => Ok(Err(EditorialError::Invalid { message })),
        other => other.map(Ok).map_err(UiError::from),
    }
}

/// POST /speakers/{id}/merge: merge this speaker into `into` (an id or a name).
pub(crate) async fn merge(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let into = fields.need("into")?.to_owned();
    let (from, actor) = (id.clone(), editor.name.clone());
    let outcome =
        blocking(&state, move |ui| refused(ui.editorial.merge_speakers(&from, &into, &actor, Utc::now()))).await?;
    Ok(edited(&state, &editor, outcome, &id, "Merged."))
}

/// POST /speakers/{id}/split: split the name `alias` off this speaker.
pub(crate) async fn split(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let alias = fields.need("alias")?.to_owned();
    let (from, actor) = (id.clone(), editor.name.clone());
    let outcome =
        blocking(&state, move |ui| refused(ui.editorial.split_speaker(&from, &alias, &actor, Utc::now()))).await?;
    // Back to the speaker split from: the editor likely has more to do there.
    let outcome = outcome.map(|_| id.clone());
    Ok(edited(&state, &editor, outcome, &id, "Split off into a speaker of its own."))
}
