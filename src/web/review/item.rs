//! The item page: what the article says (title, source, outlet, date, text,
//! quotes, links), the editor's fields (headline, commentary, chosen quotes
//! with speaker/outlet corrections, section), the review buttons and the
//! audit trail. Template: `item.html.j2`.
//!
//! One form carries every field plus the revision it was read at, and each
//! button saves before it acts, so typing commentary and then pressing
//! "Approve" loses nothing. A refused write (someone else changed the item,
//! an illegal transition, a too-long field) answers 409/422 with the page
//! re-rendered from the current item *but the editor's own input kept in the
//! form*, under the message saying what happened.

use std::collections::{BTreeMap, HashMap};

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::{Value, context};
use serde::Serialize;

use super::assets::{IMAGES_CSP, ImagesQuery};
use super::auth::Editor;
use super::form::{Fields, action_past, local_path, parse_action};
use super::{UiError, UiState, blocking, editorial_status};
use crate::editorial::rules::{EditChanges, allowed};
use crate::editorial::{EditorialError, ItemView};
use crate::model::{Item, ItemId, QuoteOverride};
use crate::sanitize::sanitize_html;

/// What the editor's form shows: the stored fields, or what they submitted.
#[derive(Debug, Clone, Default, Serialize)]
struct FormValues {
    headline: String,
    commentary: String,
    section: String,
    chosen: Vec<String>,
    /// Quote id → speaker / outlet as shown in the inputs.
    speakers: HashMap<String, String>,
    outlets: HashMap<String, String>,
    /// Quote id → the words as shown (trimmed, or the quote's own).
    words: HashMap<String, String>,
}

impl FormValues {
    fn stored(view: &ItemView) -> Self {
        let editor = &view.item.editor;
        let mut speakers = HashMap::new();
        let mut outlets = HashMap::new();
        let mut words = HashMap::new();
        for quote in view.all_quotes() {
            let shown = editor.quote_overrides.get(&quote.id).map_or_else(|| quote.clone(), |o| o.apply(quote));
            speakers.insert(quote.id.clone(), shown.speaker.unwrap_or_default());
            outlets.insert(quote.id.clone(), shown.outlet.unwrap_or_default());
            words.insert(quote.id.clone(), shown.text);
        }
        Self {
            headline: editor.headline.clone().unwrap_or_default(),
            commentary: editor.commentary.clone().unwrap_or_default(),
            section: editor.section.clone().unwrap_or_default(),
            chosen: editor.quote_ids.clone(),
            speakers,
            outlets,
            words,
        }
    }

    fn submitted(fields: &Fields) -> Self {
        let prefixed = |prefix: &str| -> HashMap<String, String> {
            fields.0.iter().filter_map(|(n, v)| Some((n.strip_prefix(prefix)?.to_owned(), v.clone()))).collect()
        };
        Self {
            headline: fields.get("headline").unwrap_or_default().to_owned(),
            commentary: fields.get("commentary").unwrap_or_default().to_owned(),
            section: fields.get("section").unwrap_or_default().to_owned(),
            chosen: chosen_in_order(fields),
            speakers: prefixed("speaker."),
            outlets: prefixed("outlet."),
            words: prefixed("words."),
        }
    }

    /// The change request: every field, since an edit that changes nothing
    /// writes nothing. A speaker or outlet equal to what extraction found is
    /// no correction and is not stored as one.
    fn changes(&self, view: &ItemView) -> EditChanges {
        let optional = |text: &str| Some(Some(text.trim().to_owned()).filter(|t| !t.is_empty()));
        let mut overrides = BTreeMap::new();
        for quote in view.all_quotes() {
            let differs = |sent: Option<&String>, found: Option<&String>| {
                sent.map(|s| s.trim())
                    .filter(|s| !s.is_empty() && Some(*s) != found.map(String::as_str))
                    .map(str::to_owned)
            };
            let value = QuoteOverride {
                speaker: differs(self.speakers.get(&quote.id), quote.speaker.as_ref()),
                outlet: differs(self.outlets.get(&quote.id), quote.outlet.as_ref()),
                text: differs(self.words.get(&quote.id), Some(&quote.text)),
            };
            if !value.is_empty() {
                overrides.insert(quote.id.clone(), value);
            }
        }
        EditChanges {
            headline: optional(&self.headline),
            commentary: optional(&self.commentary),
            quote_ids: Some(self.chosen.clone()),
            quote_overrides: Some(overrides),
            section: optional(&self.section),
            position: None,
        }
    }
}

/// The ticked quotes in the order the editor numbered them (`order.ID`);
/// unnumbered ones keep their place on the page after the numbered ones
/// with the same or a lower number, so ticking a quote without numbering it
/// puts it last.
fn chosen_in_order(fields: &Fields) -> Vec<String> {
    let mut chosen: Vec<(u32, usize, String)> = fields
        .all("quote")
        .enumerate()
        .map(|(at, id)| {
            let number = fields.get(&format!("order.{id}")).and_then(|n| n.trim().parse().ok()).unwrap_or(u32::MAX);
            (number, at, id.to_owned())
        })
        .collect();
    chosen.sort();
    chosen.into_iter().map(|(_, _, id)| id).collect()
}

fn item_id(text: &str) -> Result<ItemId, UiError> {
    ItemId::parse(text).ok_or(UiError::NotFound)
}

/// Only web links become `href`s: a feed's `javascript:` or `data:` URL stays text.
fn web_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// How a page is shown: the refusal it reports, its status, and whether the
/// editor chose to load remote images.
struct Shown<'a> {
    error: Option<&'a str>,
    status: StatusCode,
    images: bool,
    /// The quote to mark in the article's text (`?quote=ID`).
    highlight: Option<&'a str>,
    /// The published issue that carried the item (see [`load`]).
    published_in: Option<u32>,
}

/// The item page's data, read off the async threads: the item with its
/// quotes, links and history, and the issue it went out in, if any.
async fn load(state: &UiState, id: &ItemId) -> Result<(ItemView, Option<u32>), UiError> {
    let id = id.clone();
    blocking(state, move |ui| {
        let view = ui.editorial.item_page(&id)?;
        // Only a published item can be in an issue.
        let published_in = if view.item.state == crate::model::ReviewState::Published {
            ui.preview.issue_of(&id).map_err(|e| UiError::Internal(e.to_string()))?
        } else {
            None
        };
        Ok((view, published_in))
    })
    .await
}

/// The quotes as the page lists them (chosen first, in the order they will
/// publish; then the rest in page order), and the one to mark in the text
/// with the words it publishes.
fn quote_rows<'a>(
    view: &'a ItemView,
    values: &'a FormValues,
    highlight: Option<&str>,
) -> (Vec<Value>, Option<(&'a crate::model::Quote, &'a str)>) {
    let mut ordered: Vec<&crate::model::Quote> = view.quotes.iter().collect();
    let position = |id: &str| values.chosen.iter().position(|c| c == id);
    ordered.sort_by_key(|q| position(&q.id).unwrap_or(usize::MAX));
    let quotes: Vec<Value> = ordered
        .iter()
        .map(|q| {
            let words = values.words.get(&q.id).filter(|w| !w.trim().is_empty()).unwrap_or(&q.text);
            let (before, marked, after) = in_context(&q.context, &q.text);
            context! {
                id => &q.id,
                check => q.confidence < CHECK_BELOW,
                mention => &q.speaker_mention,
                before => before,
                marked => marked,
                after => after,
                text => &q.text,
                words => words,
                trimmed => words.trim() != q.text.trim(),
                context => &q.context,
                cue => &q.cue,
                kind => format!("{:?}", q.kind).to_lowercase(),
                found_speaker => &q.speaker,
                found_outlet => &q.outlet,
                speaker => values.speakers.get(&q.id).cloned().unwrap_or_default(),
                outlet => values.outlets.get(&q.id).cloned().unwrap_or_default(),
                chosen => position(&q.id).is_some(),
                position => position(&q.id).map(|p| p + 1),
                highlighted => highlight == Some(q.id.as_str()),
                added => q.id.starts_with("ed-"),
                confidence => format!("{:.0}%", q.confidence * 100.0),
                provenance => provenance_line(view, &q.id),
                verification => view.item.editor.quote_checks.get(&q.id).map(|c| context! {
                    state => c.state.as_str(),
                    day => c.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    published => &c.published,
                    current => &c.current,
                    detail => &c.detail,
                }),
            }
        })
        .collect();
    let marked = highlight.and_then(|id| view.quotes.iter().find(|q| q.id == id)).map(|q| {
        let words = values.words.get(&q.id).map(|w| w.trim()).filter(|w| !w.is_empty()).unwrap_or(&q.text);
        (q, words)
    });
    (quotes, marked)
}

/// "first reported by Outlet on DATE; repeated by N outlets" for a quote
/// that more than one article ran; `None` for a quote seen only here.
fn provenance_line(view: &ItemView, quote: &str) -> Option<String> {
    let record = view
        .provenance
        .iter()
        .find(|r| r.occurrences.iter().any(|o| o.item == view.item.id && o.quote == quote))
        .filter(|r| r.occurrences.len() > 1)?;
    let first = record.first()?;
    let by = match (&first.outlet, first.item == view.item.id) {
        (_, true) => "this article".to_owned(),
        (Some(outlet), false) => outlet.clone(),
        (None, false) => "another article".to_owned(),
    };
    let repeated = record.repeated_by().len();
    let times = record.occurrences.len() - 1;
    let outlets = if repeated == 1 { "outlet" } else { "outlets" };
    Some(format!(
        "first reported by {by} on {}; repeated by {repeated} {outlets} ({times} later {})",
        first.published.format("%Y-%m-%d"),
        if times == 1 { "article" } else { "articles" }
    ))
}

/// Quotes whose attribution confidence is below this are marked "check the
/// speaker": above it, the speaker was right at least 97 % of the time on
/// the `PolNeAR` training split (see `extract/quotes/confidence.rs`).
const CHECK_BELOW: f32 = 0.9;

/// The quote's sentence split around the quoted words, so the page can
/// highlight them; the whole sentence before when the words are not found.
fn in_context<'a>(context: &'a str, text: &str) -> (&'a str, &'a str, &'a str) {
    match context.find(text).filter(|_| !text.is_empty()) {
        Some(at) => (&context[..at], &context[at..at + text.len()], &context[at + text.len()..]),
        None => (context, "", ""),
    }
}

fn render(
    state: &UiState,
    editor: &Editor,
    view: &ItemView,
    values: &FormValues,
    shown: &Shown<'_>,
) -> Result<Response, UiError> {
    let Shown { error, status, images, highlight, published_in } = *shown;
    let item: &Item = &view.item;
    let base = item.url.as_deref().and_then(|u| url::Url::parse(u).ok());
    // The summary was sanitized at ingest; sanitizing again at display costs
    // little and keeps the page safe whatever wrote the record.
    let summary = if item.text.trim().is_empty() {
        let html = if item.content.trim().is_empty() { &item.summary } else { &item.content };
        sanitize_html(html, base.as_ref())
    } else {
        String::new()
    };
    let (quotes, marked) = quote_rows(view, values, highlight);
    let text_paragraphs = super::highlight::paragraphs(&item.text, marked);
    // Chosen quotes the page no longer has (re-extracted): say so rather than drop them silently.
    let missing: Vec<&String> = values.chosen.iter().filter(|id| !view.all_quotes().any(|q| &q.id == *id)).collect();
    let links: Vec<Value> = view
        .links
        .iter()
        .map(|l| context! { href => web_url(Some(&l.url)), url => &l.url, text => &l.text, domain => &l.domain, external => l.external })
        .collect();
    let audit: Vec<Value> = view
        .audit
        .iter()
        .rev()
        .map(|a| {
            context! {
                at => a.at.format("%Y-%m-%d %H:%M").to_string(), at_iso => a.at.to_rfc3339(),
                actor => &a.actor, action => &a.action, detail => &a.detail, revision => a.revision,
            }
        })
        .collect();
    let mut sections = state.inner.sections.clone();
    if !values.section.is_empty() && !sections.contains(&values.section) {
        sections.push(values.section.clone());
    }
    let actions: Vec<Value> = crate::editorial::rules::Action::ALL
        .iter()
        .map(|a| context! { name => a.as_str(), label => a.as_str(), allowed => allowed(item.state, *a) })
        .collect();
    let flash = state.inner.sessions.take_flash(editor);
    let html = state.inner.pages.render(
        "item.html.j2",
        context! {
            user => &editor.name,
            csrf => &editor.csrf,
            flash => flash,
            error => error,
            item => context! {
                tags => &item.editor.tags,
                id => item.id.as_str(),
                title => &item.title,
                source => item.source(),
                sources => &item.sources,
                outlet => &item.outlet,
                byline => &item.byline,
                authors => &item.authors,
                url => web_url(item.url.as_deref()),
                url_text => &item.url,
                published => item.published.format("%Y-%m-%d %H:%M UTC").to_string(),
                published_iso => item.published.to_rfc3339(),
                language => &item.language,
                state => item.state.as_str(),
                revision => item.revision,
                paragraphs => text_paragraphs,
                // The sanitizer lowercases tags, so this finds every image it kept.
                has_images => summary.contains("<img"),
                summary_html => Value::from_safe_string(summary),
                extraction_note => &item.extraction_note,
                published_in => published_in,
            },
            form => values,
            quotes => quotes,
            missing_quotes => missing,
            links => links,
            audit => audit,
            sections => sections,
            actions => actions,
            images => images,
            cited => super::entries::cited_context(view, values.chosen.as_slice(), &values.speakers, &values.outlets),
            story => super::entries::story_context(view),
        },
    )?;
    let mut response = (status, html).into_response();
    if images {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(IMAGES_CSP));
    }
    Ok(response)
}

/// `?quote=ID`: mark that quote in the article's text.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct QuoteQuery {
    quote: Option<String>,
}

/// GET /items/{id}; remote images in the summary load only with `?images=1`.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    Query(images): Query<ImagesQuery>,
    Query(marked): Query<QuoteQuery>,
) -> Result<Response, UiError> {
    let id = item_id(&id)?;
    let (view, published_in) = load(&state, &id).await?;
    let shown = Shown {
        error: None,
        status: StatusCode::OK,
        images: images.shown(),
        highlight: marked.quote.as_deref(),
        published_in,
    };
    render(&state, &editor, &view, &FormValues::stored(&view), &shown)
}

/// POST /items/{id}: save the editor's fields, then act if a review button was pressed.
pub(crate) async fn save(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = item_id(&id)?;
    let revision = fields.revision()?;
    let action = match fields.get("do").unwrap_or("save") {
        "save" => None,
        other => Some(parse_action(other)?),
    };
    let values = FormValues::submitted(&fields);
    let actor = editor.name.clone();
    let (job_id, job_values) = (id.clone(), values.clone());
    let outcome = blocking(&state, move |ui| {
        let view = ui.editorial.item_page(&job_id)?;
        // Where a decision sends the editor next: read before the item leaves its list.
        let next = match action {
            Some(a) if a != crate::editorial::rules::Action::Reset => {
                super::next_item::after(&ui.editorial, &job_id, view.item.state)?
            }
            _ => None,
        };
        Ok(save_then_act(ui, &job_id, revision, &job_values.changes(&view), action, &actor)
            .map(|_| next)
            .map_err(|e| (e, job_id)))
    })
    .await?;
    match outcome {
        Ok(next) => {
            let message = action.map_or("Saved.".to_owned(), |a| format!("Saved; {}.", action_past(a).to_lowercase()));
            let target = match next {
                Some((next_id, title)) => {
                    state.inner.sessions.flash(&editor, format!("{message} Next: {title}"));
                    format!("/items/{next_id}")
                }
                None if action.is_some() => {
                    state.inner.sessions.flash(&editor, format!("{message} That was the last one in its list."));
                    format!("/items/{id}")
                }
                None => {
                    state.inner.sessions.flash(&editor, message);
                    format!("/items/{id}")
                }
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err((error, id)) => refused(&state, &editor, &id, error, &values).await,
    }
}

/// The edit, then the action on the revision the edit produced; a failed
/// action leaves the edit saved (the editor's words are never lost).
fn save_then_act(
    ui: &super::Inner,
    id: &ItemId,
    revision: u64,
    changes: &EditChanges,
    action: Option<crate::editorial::rules::Action>,
    actor: &str,
) -> Result<Item, Box<EditorialError>> {
    let now = Utc::now();
    let item = ui.editorial.edit(id, revision, changes, actor, now).map_err(Box::new)?;
    match action {
        Some(action) => ui.editorial.act(id, item.revision, action, actor, now).map_err(Box::new),
        None => Ok(item),
    }
}

/// A refused write: the page again, from the item as it is now, with the
/// editor's input kept and the reason on top.
async fn refused(
    state: &UiState,
    editor: &Editor,
    id: &ItemId,
    error: Box<EditorialError>,
    values: &FormValues,
) -> Result<Response, UiError> {
    let status = editorial_status(&error);
    if status.is_server_error() || status == StatusCode::NOT_FOUND {
        return Err(UiError::Editorial(error));
    }
    let (view, published_in) = load(state, id).await?;
    // Only a conflict goes away by looking again; a refused value needs changing.
    let message = match *error {
        EditorialError::Stale { .. } => {
            format!("{error}. Your input is kept below; check it against the current item and submit again.")
        }
        EditorialError::Invalid { .. } => format!("{error}. Your input is kept below; change it and save again."),
        _ => format!("{error}. Nothing was saved; your input is kept below."),
    };
    let shown = Shown { error: Some(&message), status, images: false, highlight: None, published_in };
    render(state, editor, &view, values, &shown)
}

/// POST /items/{id}/quotes: `revision`, `text` (a selection of the
/// article's text), `speaker`, `outlet`: adds and chooses a quote.
pub(crate) async fn add_quote(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = item_id(&id)?;
    let revision = fields.revision()?;
    let (text, speaker, outlet) = (
        fields.get("text").unwrap_or_default().to_owned(),
        fields.get("speaker").map(str::to_owned),
        fields.get("outlet").map(str::to_owned),
    );
    let actor = editor.name.clone();
    let job_id = id.clone();
    let result = blocking(&state, move |ui| {
        let added =
            ui.editorial.add_quote(&job_id, revision, &text, speaker.as_deref(), outlet.as_deref(), &actor, Utc::now());
        Ok(added.map_err(Box::new))
    })
    .await?;
    match result {
        Ok(_) => {
            state.inner.sessions.flash(&editor, "Quote added and chosen.".to_owned());
            Ok(Redirect::to(&format!("/items/{id}#quotes")).into_response())
        }
        Err(error) => {
            let status = editorial_status(&error);
            if status.is_server_error() || status == StatusCode::NOT_FOUND {
                return Err(UiError::Editorial(error));
            }
            let (view, published_in) = load(&state, &id).await?;
            let message = format!("{error}. Select the words in the article's text and add them again.");
            let shown = Shown { error: Some(&message), status, images: false, highlight: None, published_in };
            render(&state, &editor, &view, &FormValues::stored(&view), &shown)
        }
    }
}

/// POST /items/{id}/act: one review action (the queue's keyboard shortcuts
/// and per-row buttons), then back where the editor was.
pub(crate) async fn act(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = item_id(&id)?;
    let revision = fields.revision()?;
    let action = parse_action(fields.need("do")?)?;
    let back = local_path(fields.get("back"), "/queue");
    let actor = editor.name.clone();
    let job_id = id.clone();
    let item = blocking(&state, move |ui| Ok(ui.editorial.act(&job_id, revision, action, &actor, Utc::now())?)).await?;
    state.inner.sessions.flash(&editor, format!("{}: {}.", action_past(action), item.title));
    Ok(Redirect::to(&back).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_become_hrefs() {
        assert_eq!(web_url(Some("https://e.org/a")), Some("https://e.org/a".to_owned()));
        for bad in ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "vbscript:x", "/relative"] {
            assert_eq!(web_url(Some(bad)), None, "{bad}");
        }
    }
}
