//! The composer: the next issue's draft (approved items by section, in the
//! publisher's order), moving items up and down or into another section,
//! removing them (back to `shortlisted`), and the preview rendered by the
//! publisher. Template: `composer.html.j2`.
//!
//! Each section is one form listing its items as `ID:REVISION` in the order
//! shown; a move button names the item and direction, so the server applies
//! the move to exactly the order the editor saw, and a stale revision anywhere
//! refuses the whole reorder (409) rather than produce an order nobody chose.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::{Value, context};

use super::auth::Editor;
use super::form::{Fields, parse_target};
use super::publishing::Panel;
use super::{UiError, UiState, assets, blocking, editorial_status};
use crate::editorial::DraftSection;
use crate::editorial::rules::Action;
use crate::model::{ItemId, ReviewState};

/// The draft and what the Publish panel needs.
struct Loaded {
    draft: Vec<DraftSection>,
    publishing: Panel,
}

fn render(
    state: &UiState,
    editor: &Editor,
    loaded: &Loaded,
    confirm: bool,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let draft = &loaded.draft;
    let sections: Vec<Value> = draft
        .iter()
        .map(|section| {
            let last = section.items.len().saturating_sub(1);
            let items: Vec<Value> = section
                .items
                .iter()
                .enumerate()
                .map(|(n, item)| {
                    let headline = item.editor.headline.as_deref().filter(|h| !h.trim().is_empty());
                    let checks: Vec<Value> = item
                        .editor
                        .quote_ids
                        .iter()
                        .map(|id| {
                            let Some(check) = item.editor.quote_checks.get(id) else {
                                return context! { state => "unchecked" };
                            };
                            context! {
                                state => check.state.as_str(),
                                day => check.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                                published => &check.published,
                                current => &check.current,
                                detail => &check.detail,
                            }
                        })
                        .collect();
                    context! {
                        checks => checks,
                        id => item.id.as_str(),
                        target => format!("{}:{}", item.id, item.revision),
                        headline => headline.unwrap_or(&item.title),
                        title => &item.title,
                        source => item.source(),
                        outlet => &item.outlet,
                        quotes => item.editor.quote_ids.len(),
                        has_commentary => item.editor.commentary.as_deref().is_some_and(|c| !c.trim().is_empty()),
                        first => n == 0,
                        last => n == last,
                    }
                })
                .collect();
            context! { name => &section.name, items => items }
        })
        .collect();
    let unverified = draft
        .iter()
        .flat_map(|s| &s.items)
        .flat_map(|item| {
            item.editor.quote_ids.iter().filter(|id| {
                item.editor.quote_checks.get(*id).is_none_or(|c| c.state != crate::model::CheckState::Verified)
            })
        })
        .count();
    let names: Vec<&str> = draft.iter().map(|s| s.name.as_str()).collect();
    let total: usize = draft.iter().map(|s| s.items.len()).sum();
    let flash = state.inner.sessions.take_flash(editor);
    let html = state.inner.pages.render(
        "composer.html.j2",
        context! {
            user => &editor.name, csrf => &editor.csrf, flash => flash, error => error,
            sections => sections, section_names => names, total => total,
            publishing => Value::from_serialize(&loaded.publishing), confirm => confirm,
            unverified => unverified, can_verify => state.inner.verifier.is_some(),
        },
    )?;
    Ok((status, html).into_response())
}

async fn load(state: &UiState) -> Result<Loaded, UiError> {
    blocking(state, |ui| {
        Ok(Loaded { draft: ui.editorial.draft(&ui.sections)?, publishing: Panel::load(&ui.preview, Utc::now())? })
    })
    .await
}

/// GET /composer; `?confirm=publish` opens the confirmation of the Publish button.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, UiError> {
    let loaded = load(&state).await?;
    let confirm = query.confirm.as_deref() == Some("publish");
    render(&state, &editor, &loaded, confirm, None, StatusCode::OK)
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ShowQuery {
    confirm: Option<String>,
}

/// The order after one move: `up:ID` / `down:ID` within the list, or
/// `to:ID` with `section` naming another section (the item goes last there;
/// the caller then reorders that section).
fn moved(order: &[(ItemId, u64)], request: &str) -> Result<Vec<(ItemId, u64)>, UiError> {
    let bad = || UiError::BadRequest(format!("bad move {request:?}"));
    let (direction, id) = request.split_once(':').ok_or_else(bad)?;
    let at = order.iter().position(|(i, _)| i.as_str() == id).ok_or_else(bad)?;
    let mut order = order.to_vec();
    match direction {
        "up" if at > 0 => order.swap(at, at - 1),
        "down" if at + 1 < order.len() => order.swap(at, at + 1),
        "up" | "down" => {}
        _ => return Err(bad()),
    }
    Ok(order)
}

/// POST /composer/reorder: `section`, `order` (the items as shown), and
/// either `move=up:ID|down:ID` or `order` already rearranged (drag and drop).
pub(crate) async fn reorder(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let section = fields.get("section").unwrap_or_default().to_owned();
    let order = fields.all("order").map(parse_target).collect::<Result<Vec<_>, _>>()?;
    let order = match fields.get("move") {
        Some(request) => moved(&order, request)?,
        None => order,
    };
    let actor = editor.name.clone();
    let result = blocking(&state, move |ui| Ok(ui.editorial.reorder(&section, &order, &actor, Utc::now()))).await?;
    match result {
        Ok(()) => Ok(Redirect::to("/composer").into_response()),
        Err(error) => refused(&state, &editor, error).await,
    }
}

/// POST /composer/remove: `remove=ID:REVISION` takes an approved item out of
/// the draft, back to `shortlisted` (still a candidate, just not in this issue).
pub(crate) async fn remove(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let (id, revision) = parse_target(fields.need("remove")?)?;
    let actor = editor.name.clone();
    let result = blocking(&state, move |ui| {
        Ok(ui.editorial.act(&id, revision, Action::Shortlist, &actor, Utc::now()).map(|item| item.title))
    })
    .await?;
    match result {
        Ok(title) => {
            state.inner.sessions.flash(&editor, format!("Removed from the draft (now shortlisted): {title}."));
            Ok(Redirect::to("/composer").into_response())
        }
        Err(error) => refused(&state, &editor, error).await,
    }
}

/// A refused reorder or removal: the composer as it is now, with the reason.
async fn refused(
    state: &UiState,
    editor: &Editor,
    error: crate::editorial::EditorialError,
) -> Result<Response, UiError> {
    let status = editorial_status(&error);
    if status.is_server_error() {
        return Err(error.into());
    }
    let loaded = load(state).await?;
    render(state, editor, &loaded, false, Some(&format!("{error}. Nothing was changed.")), status)
}

/// POST /composer/publish: each chosen quote checked against its page
/// first (issue 16.4); when one is not verified and the editor did not tick
/// `accept_unverified`, the composer again with the checks just made and the
/// confirmation open (409), else the publish itself (`publishing::publish`).
pub(crate) async fn publish(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    if let Some(verifier) = state.inner.verifier.clone() {
        let checks =
            verifier.verify_draft(&editor.name, Utc::now()).await.map_err(|e| UiError::Internal(e.to_string()))?;
        let bad = crate::verify::unverified(&checks).len();
        if bad > 0 && fields.get("accept_unverified") != Some("1") {
            let (verb, whose) = if bad == 1 { ("is", "its") } else { ("are", "their") };
            let error = format!(
                "{bad} chosen quote{} {verb} not verified against {whose} page. Nothing was published: tick the \
                 confirmation to publish anyway.",
                if bad == 1 { "" } else { "s" }
            );
            let loaded = load(&state).await?;
            return render(&state, &editor, &loaded, true, Some(&error), StatusCode::CONFLICT);
        }
    }
    super::publishing::publish(State(state), Extension(editor), fields).await
}

/// POST /composer/verify: every chosen quote of the draft checked against
/// its page now; the composer then shows each one's state.
pub(crate) async fn verify(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
) -> Result<Response, UiError> {
    let Some(verifier) = state.inner.verifier.clone() else {
        return Err(UiError::BadRequest("quote checks are not available here".to_owned()));
    };
    let checks = verifier.verify_draft(&editor.name, Utc::now()).await.map_err(|e| UiError::Internal(e.to_string()))?;
    let quotes: usize = checks.iter().map(|e| e.quotes.len()).sum();
    let bad = crate::verify::unverified(&checks).len();
    let message = if bad == 0 {
        format!("Checked {quotes} chosen quotes: all verified.")
    } else {
        format!("Checked {quotes} chosen quotes: {bad} not verified (see below).")
    };
    state.inner.sessions.flash(&editor, message);
    Ok(Redirect::to("/composer").into_response())
}

/// GET /composer/preview: the next issue's page, exactly as published;
/// remote images only with `?images=1`.
pub(crate) async fn preview(
    State(state): State<UiState>,
    Query(images): Query<assets::ImagesQuery>,
) -> Result<Response, UiError> {
    let page = blocking(&state, |ui| ui.preview.render(Utc::now()).map_err(UiError::Preview)).await?;
    let Some(page) = page else {
        return Ok(Html(format!(
            "<!DOCTYPE html><title>Preview</title><p>No approved items yet: the next issue is empty. \
             <a href=\"/queue?state={}\">Approve some</a>.</p>",
            ReviewState::Shortlisted.as_str()
        ))
        .into_response());
    };
    let mut response = Html(page).into_response();
    let csp = if images.shown() { assets::PREVIEW_IMAGES_CSP } else { assets::PREVIEW_CSP };
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<(ItemId, u64)> {
        ["a", "b", "c"].iter().map(|c| (ItemId::parse(&c.repeat(32)).expect("hex"), 1)).collect()
    }

    fn letters(order: &[(ItemId, u64)]) -> String {
        order.iter().map(|(id, _)| &id.as_str()[..1]).collect()
    }

    #[test]
    fn moves_swap_neighbours_and_stop_at_the_ends() {
        let order = ids();
        let b = "b".repeat(32);
        assert_eq!(letters(&moved(&order, &format!("up:{b}")).expect("ok")), "bac");
        assert_eq!(letters(&moved(&order, &format!("down:{b}")).expect("ok")), "acb");
        assert_eq!(letters(&moved(&order, &format!("up:{}", "a".repeat(32))).expect("ok")), "abc");
        assert!(moved(&order, "sideways:x").is_err());
    }
}
