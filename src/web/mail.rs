//! The public mailing-list pages (issue 15.4): the sign-up form added to the
//! `/feeds/` archive page, the double opt-in confirmation link, and the
//! unsubscribe link, which works without login (its token is the proof)
//! and takes RFC 8058 one-click POSTs from mail clients.
//!
//! A GET never changes anything (mail scanners and link previews fetch
//! every URL in a message): the unsubscribe page's GET shows a button that
//! POSTs. Answers never say whether an address was already on the list.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::{WebError, WebState};
use crate::mail::MailError;
use crate::mail::list::{self, Added, Confirmed};
use crate::sanitize::escape_text;
use crate::store::Store;

/// What the mailing-list pages need.
pub struct MailPages {
    pub store: Arc<dyn Store>,
    /// The digest's title, for page headings.
    pub title: String,
}

#[derive(serde::Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(serde::Deserialize)]
pub(super) struct SignupForm {
    #[serde(default)]
    email: String,
}

const FORM_MARKER: &str = "</main>";

/// The sign-up form, as added to the archive page.
fn signup_form() -> &'static str {
    "<section class=\"subscribe\"><h2>Get each issue by email</h2>\
     <form method=\"post\" action=\"/feeds/subscribe\">\
     <label>Email <input type=\"email\" name=\"email\" required autocomplete=\"email\"></label> \
     <button type=\"submit\">Subscribe</button></form>\
     <p><small>We send a confirmation link first; every message has a one-click unsubscribe.</small></p></section>"
}

fn page(status: StatusCode, title: &str, heading: &str, body_html: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title></head>\
         <body style=\"max-width:40rem;margin:2rem auto;padding:0 1rem;font:1.05rem/1.5 Georgia,serif\">\
         <h1>{h}</h1>{body_html}<p><a href=\"/feeds/\">{t}</a></p></body></html>",
        t = escape_text(title),
        h = escape_text(heading),
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn internal(error: &MailError) -> Response {
    tracing::error!(%error, "mailing-list request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

fn pages(state: &WebState) -> Result<Arc<MailPages>, WebError> {
    state.mail.clone().ok_or(WebError::NotFound)
}

/// GET /feeds/ with the sign-up form added before the end of `<main>` (or
/// of `<body>`, for a template override without one).
pub(super) fn index_with_signup(state: &WebState) -> Result<Response, WebError> {
    let file = state.feeds.get("index.html")?;
    let html = String::from_utf8_lossy(&file.bytes);
    let at = html.rfind(FORM_MARKER).or_else(|| html.rfind("</body>")).unwrap_or(html.len());
    let page = format!("{}{}{}", &html[..at], signup_form(), &html[at..]);
    let mut response = Html(page).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// POST /feeds/subscribe: stores the address as pending and queues the
/// confirmation message (`serve` sends it).
pub(super) async fn subscribe(
    State(state): State<WebState>,
    Form(form): Form<SignupForm>,
) -> Result<Response, WebError> {
    let mail = pages(&state)?;
    let title = mail.title.clone();
    let email = form.email.clone();
    let result = tokio::task::spawn_blocking(move || list::add(mail.store.as_ref(), &email, false, Utc::now()))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok(match result {
        Ok(Added::ConfirmationQueued | Added::AlreadyConfirmed | Added::Confirmed) => page(
            StatusCode::OK,
            &title,
            "Check your inbox",
            "<p>If the address can receive mail, a confirmation link is on its way. \
             Nothing is sent until you follow it.</p>",
        ),
        Err(MailError::BadAddress { .. }) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &title,
            "That is not an email address",
            "<p>Go back and check the address.</p>",
        ),
        Err(other) => internal(&other),
    })
}

/// GET /mail/confirm?token=…
pub(super) async fn confirm(
    State(state): State<WebState>,
    Query(query): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let mail = pages(&state)?;
    let title = mail.title.clone();
    let result = tokio::task::spawn_blocking(move || list::confirm(mail.store.as_ref(), &query.token, Utc::now()))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok(match result {
        Ok(Confirmed::Done { email }) => page(
            StatusCode::OK,
            &title,
            "You are subscribed",
            &format!("<p>The next issue goes to <strong>{}</strong>.</p>", escape_text(&email)),
        ),
        Ok(Confirmed::Expired) => page(
            StatusCode::GONE,
            &title,
            "This link has expired",
            "<p>Sign up again on the archive page to get a new one.</p>",
        ),
        Ok(Confirmed::Unknown) => {
            page(StatusCode::NOT_FOUND, &title, "Unknown link", "<p>This confirmation link is not valid.</p>")
        }
        Err(error) => internal(&error),
    })
}

/// GET /mail/unsubscribe?token=…: a page with a button (see the module docs).
pub(super) async fn unsubscribe_page(
    State(state): State<WebState>,
    Query(query): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let mail = pages(&state)?;
    let token = escape_text(&query.token);
    Ok(page(
        StatusCode::OK,
        &mail.title,
        "Unsubscribe",
        &format!(
            "<form method=\"post\" action=\"/mail/unsubscribe?token={token}\">\
             <button type=\"submit\">Unsubscribe me</button></form>"
        ),
    ))
}

/// POST /mail/unsubscribe?token=…: the button, and RFC 8058 one-click
/// (`List-Unsubscribe=One-Click` in the body; any body is accepted).
pub(super) async fn unsubscribe(
    State(state): State<WebState>,
    Query(query): Query<TokenQuery>,
    _headers: HeaderMap,
) -> Result<Response, WebError> {
    let mail = pages(&state)?;
    let title = mail.title.clone();
    let result = tokio::task::spawn_blocking(move || list::unsubscribe(mail.store.as_ref(), &query.token, Utc::now()))
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok(match result {
        Ok(Some(email)) => page(
            StatusCode::OK,
            &title,
            "You are unsubscribed",
            &format!("<p><strong>{}</strong> will get no more issues.</p>", escape_text(&email)),
        ),
        Ok(None) => page(StatusCode::NOT_FOUND, &title, "Unknown link", "<p>This unsubscribe link is not valid.</p>"),
        Err(error) => internal(&error),
    })
}
