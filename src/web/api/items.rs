//! `/api/v1/items`: the queue, the CLI's listing, one item, edits and review
//! actions, all through the editorial use-case (same rules, same audit
//! trail as the HTML UI and the offline CLI).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::wire::{ActBody, EditBody, ItemLine, ItemPage, QueueLine, QueueList};
use super::{ApiError, ApiState, Caller, blocking, body, ok};
use crate::editorial::rules::Action;
use crate::editorial::{EditorialError, QueueFilter};
use crate::model::{ItemId, ReviewState};

/// Rows per queue page unless `per_page` says otherwise.
const PER_PAGE: usize = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueQuery {
    state: Option<String>,
    source: Option<String>,
    section: Option<String>,
    language: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    q: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListingQuery {
    state: Option<String>,
    source: Option<String>,
    limit: Option<usize>,
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::BadRequest(e.body_text()))
}

fn state_filter(text: Option<&str>) -> Result<Option<ReviewState>, ApiError> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => ReviewState::parse(text).map(Some).ok_or_else(|| {
            let known: Vec<_> = ReviewState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest(format!("unknown state {text:?}; expected one of {}", known.join(", ")))
        }),
    }
}

pub(crate) fn item_id(path: Result<Path<String>, PathRejection>) -> Result<ItemId, ApiError> {
    let Path(text) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    ItemId::parse(&text).ok_or_else(|| ApiError::BadRequest(format!("{text:?} is not an item id (32 hex digits)")))
}

/// GET /api/v1/items.
pub(crate) async fn queue(
    State(state): State<ApiState>,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let filter = QueueFilter {
        state: state_filter(q.state.as_deref())?,
        // The API lists every state unless asked: the UI's "to do" default is a view.
        states: Vec::new(),
        source: q.source,
        section: q.section,
        language: q.language,
        from: q.from,
        to: q.to,
        text: q.q,
    };
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, crate::editorial::MAX_PER_PAGE);
    let page = blocking(&state, move |api| Ok(api.editorial.queue(&filter, q.page.unwrap_or(1), per_page)?)).await?;
    Ok(ok(&QueueList {
        items: page.rows.into_iter().map(QueueLine::from).collect(),
        total: page.total,
        page: page.page,
        pages: page.pages,
        per_page,
        counts: page.counts.into_iter().map(|(s, n)| (s.as_str().to_owned(), n)).collect(),
    }))
}

/// GET /api/v1/items/all.
pub(crate) async fn listing(
    State(state): State<ApiState>,
    q: Result<Query<ListingQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let wanted = state_filter(q.state.as_deref())?;
    let items = blocking(&state, move |api| Ok(api.editorial.items(wanted, q.source, q.limit)?)).await?;
    Ok(ok(&items.iter().map(ItemLine::from).collect::<Vec<_>>()))
}

/// GET /api/v1/items/{id}.
pub(crate) async fn show(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = item_id(path)?;
    let view = blocking(&state, move |api| Ok(api.editorial.item_page(&id)?)).await?;
    Ok(ok(&ItemPage { item: view.item, quotes: view.quotes, links: view.links, audit: view.audit }))
}

/// PATCH /api/v1/items/{id}: the edited item (as stored; unchanged when the edit changed nothing).
pub(crate) async fn edit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let id = item_id(path)?;
    let request: EditBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let changes = request.changes();
    if changes.is_empty() {
        return Err(ApiError::BadRequest("nothing to change: name at least one field".to_owned()));
    }
    let item =
        blocking(&state, move |api| Ok(api.editorial.edit(&id, request.revision, &changes, &actor, Utc::now())?))
            .await?;
    Ok(ok(&item))
}

/// POST /api/v1/items/{id}/{action}: the item at its new revision.
pub(crate) async fn act(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let Path((id, verb)) = path.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let id =
        ItemId::parse(&id).ok_or_else(|| ApiError::BadRequest(format!("{id:?} is not an item id (32 hex digits)")))?;
    let action = Action::ALL.into_iter().find(|a| a.as_str() == verb).ok_or_else(|| {
        ApiError::BadRequest(format!("unknown action {verb:?}; expected approve, reject, shortlist or reset"))
    })?;
    let request: ActBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let item = blocking(&state, move |api| {
        // Without a revision the caller means "as it is now", as the CLI does.
        let revision = match request.revision {
            Some(revision) => revision,
            None => api.editorial.item(&id)?.ok_or(EditorialError::NotFound { id: id.clone() })?.revision,
        };
        Ok(api.editorial.act(&id, revision, action, &actor, Utc::now())?)
    })
    .await?;
    Ok(ok(&item))
}
