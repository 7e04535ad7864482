//! The queue: every item, newest first, with filters (state, source,
//! section, language, date range, full text), counts per state, paging, and
//! bulk shortlist/approve/reject. Template: `queue.html.j2`.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Editor;
use super::form::{Fields, local_path, parse_action, parse_target};
use super::{UiError, UiState, blocking};
use crate::editorial::{QueueChoices, QueueFilter, QueuePage};
use crate::model::ReviewState;

/// Rows per page: a screenful, and what the speed budget is measured for.
pub(crate) const PER_PAGE: usize = 50;

/// The query string as sent: every field text, so a bad value is shown back
/// in the form and ignored rather than answered with a bare 400.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct QueueParams {
    state: Option<String>,
    source: Option<String>,
    section: Option<String>,
    language: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    page: Option<String>,
    /// The saved view being shown, if the editor opened one (its name, for display).
    view: Option<String>,
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `YYYY-MM-DD` as the start (or, with `end`, the last instant) of that UTC day.
fn day(value: Option<&String>, end: bool) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(value?.trim(), "%Y-%m-%d").ok()?;
    let time = if end { NaiveTime::from_hms_milli_opt(23, 59, 59, 999)? } else { NaiveTime::MIN };
    Some(date.and_time(time).and_utc())
}

impl QueueParams {
    fn filter(&self) -> QueueFilter {
        // No state asked for: the work still to do (new and shortlisted); `all` means any.
        // A search that names a state (`state:published`) decides the states itself.
        let query_names_state = self.q.as_deref().is_some_and(|q| {
            crate::search::parse(q).clauses.iter().any(|c| matches!(c.term, crate::search::query::Term::State(_)))
        });
        let states = match self.state.as_deref().map(str::trim) {
            None | Some("") if !query_names_state => crate::editorial::TO_DO.to_vec(),
            _ => Vec::new(),
        };
        QueueFilter {
            state: self.state.as_deref().and_then(ReviewState::parse),
            states,
            source: non_empty(self.source.as_ref()),
            section: non_empty(self.section.as_ref()),
            language: non_empty(self.language.as_ref()),
            from: day(self.from.as_ref(), false),
            to: day(self.to.as_ref(), true),
            text: non_empty(self.q.as_ref()),
        }
    }

    fn page(&self) -> usize {
        self.page.as_deref().and_then(|p| p.trim().parse().ok()).filter(|p| *p >= 1).unwrap_or(1)
    }

    /// `/queue?...` with these filters (empty ones left out) and `page`.
    fn url(&self, page: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("state", &self.state),
            ("source", &self.source),
            ("section", &self.section),
            ("language", &self.language),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if let Some(value) = non_empty(value.as_ref()) {
                query.append_pair(name, &value);
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() { "/queue".to_owned() } else { format!("/queue?{query}") }
    }

    fn with_state(&self, state: Option<ReviewState>) -> Self {
        Self { state: state.map(|s| s.as_str().to_owned()), page: None, ..self.clone() }
    }

    fn with_state_named(&self, name: &str) -> Self {
        Self { state: Some(name.to_owned()), page: None, ..self.clone() }
    }
}

#[derive(Serialize)]
struct RowView {
    id: String,
    target: String,
    title: String,
    source: String,
    outlet: Option<String>,
    section: Option<String>,
    language: Option<String>,
    published: String,
    published_iso: String,
    state: &'static str,
    quote_count: usize,
    /// The story's other tellings ("also in: ...").
    also: Vec<MemberView>,
    /// Their outlets (else sources), once each, in order.
    also_in: Vec<String>,
    /// Where the search matched, in pieces (`hit` ones are highlighted);
    /// empty without a search.
    snippet: Vec<SnippetPart>,
}

#[derive(Serialize)]
struct SnippetPart {
    text: String,
    hit: bool,
}

/// A snippet cut at its highlights; ranges that are out of order or not on
/// character boundaries are dropped rather than trusted.
fn snippet_parts(snippet: &crate::search::Snippet) -> Vec<SnippetPart> {
    let text = &snippet.text;
    let mut parts = Vec::new();
    let mut at = 0;
    for &(start, end) in &snippet.highlights {
        let (Some(before), Some(hit)) = (text.get(at..start), text.get(start..end)) else { continue };
        if !before.is_empty() {
            parts.push(SnippetPart { text: before.to_owned(), hit: false });
        }
        parts.push(SnippetPart { text: hit.to_owned(), hit: true });
        at = end;
    }
    if let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        parts.push(SnippetPart { text: rest.to_owned(), hit: false });
    }
    parts
}

#[derive(Serialize)]
struct MemberView {
    id: String,
    title: String,
    outlet: String,
    state: &'static str,
}

#[derive(Serialize)]
struct StateView {
    name: &'static str,
    count: usize,
    url: String,
    current: bool,
}

/// One queue row (a story) as the template shows it.
fn row_view(row: &crate::editorial::QueueRow) -> RowView {
    RowView {
        id: row.id.to_string(),
        target: format!("{}:{}", row.id, row.revision),
        title: row.title.clone(),
        source: row.source.clone(),
        outlet: row.outlet.clone(),
        section: row.section.clone(),
        language: row.language.clone(),
        published: row.published.format("%Y-%m-%d %H:%M").to_string(),
        published_iso: row.published.to_rfc3339(),
        state: row.state.as_str(),
        #[allow(clippy::useless_conversion)] // the count's integer type is editorial's choice
        quote_count: usize::try_from(row.quote_count).unwrap_or(usize::MAX),
        also: row
            .also
            .iter()
            .map(|m| MemberView {
                id: m.id.to_string(),
                title: m.title.clone(),
                outlet: m.outlet.clone().unwrap_or_else(|| m.source.clone()),
                state: m.state.as_str(),
            })
            .collect(),
        also_in: {
            let mut names: Vec<String> = Vec::new();
            for member in &row.also {
                let name = member.outlet.clone().unwrap_or_else(|| member.source.clone());
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            names
        },
        snippet: row.snippet.as_ref().map(snippet_parts).unwrap_or_default(),
    }
}

/// GET /queue.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Query(params): Query<QueueParams>,
) -> Result<Html<String>, UiError> {
    let (filter, page) = (params.filter(), params.page());
    let name = editor.name.clone();
    let (result, choices, views, followed): (QueuePage, QueueChoices, _, _) = blocking(&state, move |ui| {
        let page = ui.editorial.queue(&filter, page, PER_PAGE)?;
        // The Followed tab's badge: matched now, so it costs nothing at ingest.
        let followed = ui.editorial.followed(&name, Utc::now())?.unseen;
        let views = super::views::list(ui)?;
        let mut choices = ui.editorial.queue_choices()?;
        for section in &ui.sections {
            if !choices.sections.contains(section) {
                choices.sections.push(section.clone());
            }
        }
        Ok((page, choices, views, followed))
    })
    .await?;
    let rows: Vec<RowView> = result.rows.iter().map(row_view).collect();
    let current_state = params.state.as_deref().and_then(ReviewState::parse);
    let asked = params.state.as_deref().map(str::trim).unwrap_or_default();
    let mut states = vec![
        StateView {
            name: "to do",
            count: result.to_do,
            url: params.with_state(None).url(1),
            current: asked.is_empty(),
        },
        StateView {
            name: "all",
            count: result.any_state,
            url: params.with_state_named("all").url(1),
            current: asked == "all",
        },
    ];
    states.extend(result.counts.iter().map(|(s, count)| StateView {
        name: s.as_str(),
        count: *count,
        url: params.with_state(Some(*s)).url(1),
        current: current_state == Some(*s),
    }));
    let pages = result.pages.max(1);
    let page = result.page.max(1);
    let flash = state.inner.sessions.take_flash(&editor);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    state.inner.pages.render(
        "queue.html.j2",
        context! {
            user => &editor.name,
            csrf => &editor.csrf,
            flash => flash,
            rows => rows,
            states => states,
            state_names => ReviewState::ALL.map(ReviewState::as_str),
            sources => choices.sources,
            sections => choices.sections,
            languages => choices.languages,
            filter => context! {
                state => text(&params.state), source => text(&params.source), section => text(&params.section),
                language => text(&params.language), from => text(&params.from), to => text(&params.to),
                q => text(&params.q),
            },
            total => result.total,
            page => page,
            pages => pages,
            prev_url => (page > 1).then(|| params.url(page - 1)),
            next_url => (page < pages).then(|| params.url(page + 1)),
            back => params.url(page),
            views => views.iter().map(|v| context! {
                name => &v.name, query => &v.query, url => super::views::view_url(v),
                current => params.view.as_deref() == Some(v.name.as_str()),
            }).collect::<Vec<_>>(),
            view => text(&params.view),
            searchable => state.inner.editorial.search_index().is_some(),
            followed => followed,
        },
    )
}

/// POST /queue/bulk: one action on every checked row, then back to the queue.
pub(crate) async fn bulk(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let action = parse_action(fields.need("do")?)?;
    let targets = fields.all("sel").map(parse_target).collect::<Result<Vec<_>, _>>()?;
    let back = local_path(fields.get("back"), "/queue");
    if targets.is_empty() {
        state.inner.sessions.flash(&editor, "Nothing selected.".to_owned());
        return Ok(Redirect::to(&back).into_response());
    }
    let actor = editor.name.clone();
    let results = blocking(&state, move |ui| Ok(ui.editorial.act_many(&targets, action, &actor, Utc::now()))).await?;
    let done = results.iter().filter(|r| r.is_ok()).count();
    let verb = super::form::action_past(action);
    state.inner.sessions.flash(&editor, format!("{verb} {done} of {} selected items.", results.len()));
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        if super::editorial_status(error).is_server_error() {
            tracing::error!(error = %error, "bulk action failed");
            state.inner.sessions.flash(&editor, "One item could not be changed (logged).".to_owned());
        } else {
            state.inner.sessions.flash(&editor, error.to_string());
        }
    }
    Ok(Redirect::to(&back).into_response())
}
