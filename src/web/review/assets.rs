//! The UI's static files (`app.css`, `app.js`), compiled into the binary and
//! served under a URL carrying a hash of their content, so they can be cached
//! for a year and a new build is still picked up at once. Also the security
//! headers every review response carries.

use std::sync::LazyLock;

use axum::extract::{Path, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::UiError;

const FILES: [(&str, &str, &str); 2] = [
    ("app.css", "text/css; charset=utf-8", include_str!("../static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../static/app.js")),
];

/// One hash over every file: a single version segment keeps URLs short and
/// changes whenever any file does.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = blake3::Hasher::new();
    for (name, _, text) in FILES {
        hasher.update(name.as_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.finalize().to_hex()[..12].to_owned()
});

/// The versioned URL of static file `name`.
pub(crate) fn url(name: &str) -> String {
    format!("/static/{}/{name}", *VERSION)
}

/// GET /static/{version}/{file}. An old version is served the current file
/// (a page cached across a deploy still gets styles), but not cached long.
pub(crate) async fn file(Path((version, name)): Path<(String, String)>) -> Result<Response, UiError> {
    let (_, content_type, text) = FILES.iter().find(|(n, _, _)| *n == name).ok_or(UiError::NotFound)?;
    let cache = if version == *VERSION { "public, max-age=31536000, immutable" } else { "no-cache" };
    Ok(([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, cache)], *text).into_response())
}

/// The policy for every review page: scripts only from our own files (so an
/// injected inline `<script>` or `onerror=` would not run even if it got
/// past escaping), no plugins, no framing (clickjacking), forms only to us.
/// Images only from us: a remote image in feed content would tell its
/// sender which editor opened the item, and when (a tracking pixel).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// [`CSP`] with remote `https` images, for a page where the editor chose
/// "show images" (`?images=1`).
pub(crate) const IMAGES_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                                     img-src 'self' https: data:; connect-src 'self'; form-action 'self'; \
                                     base-uri 'none'; frame-ancestors 'none'";

/// The preview shows the digest page exactly as published, and its template
/// carries an inline `<style>`; scripts stay forbidden, images as on [`CSP`].
pub(crate) const PREVIEW_CSP: &str = "default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
                                      img-src 'self' data:; form-action 'none'; base-uri 'none'; \
                                      frame-ancestors 'none'";

/// [`PREVIEW_CSP`] with remote `https` images (`?images=1`).
pub(crate) const PREVIEW_IMAGES_CSP: &str = "default-src 'none'; script-src 'none'; \
                                             style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; \
                                             form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The `?images=1` choice of the item page and the preview.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ImagesQuery {
    images: Option<String>,
}

impl ImagesQuery {
    /// True when the editor asked to load remote images.
    pub(crate) fn shown(&self) -> bool {
        matches!(self.images.as_deref(), Some("1" | "true" | "yes"))
    }
}

/// Adds the security headers to every review response (a handler may have
/// set its own CSP, which is kept).
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages carry a CSRF token and editorial drafts: never into a shared cache.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
