//! `/feeds/*`: the published files, with HTTP caching done properly.
//!
//! Strong `ETag`s (a hash of the bytes; the gzip variant has its own, as RFC
//! 9110 §8.8.3 requires of a different content coding), `Last-Modified` from
//! the file, 304 on `If-None-Match` (or, without it, `If-Modified-Since`, per
//! §13.2.2), gzip when `Accept-Encoding` allows (`Vary: Accept-Encoding`),
//! `Cache-Control`. Bytes, their gzip form and their headers are kept in
//! memory keyed by the file's mtime and length, so the hot path costs one
//! `stat` and no read; the publisher's atomic renames change both.
//!
//! Only the file names the publisher writes are served: no path from the
//! request ever reaches the file system unchecked. Every response carries
//! `nosniff`, a `Referrer-Policy` and a CSP under which nothing runs.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{WebError, WebState};

/// Feeds and the archive change at most once per publish; five minutes keeps
/// readers polling cheaply (they revalidate with 304s) yet current.
const FEED_CACHE_CONTROL: &str = "public, max-age=300";
/// Below this, gzip's 20-byte framing outweighs what it saves.
const MIN_GZIP_BYTES: usize = 512;
/// An issue page does not change once published.
const ISSUE_CACHE_CONTROL: &str = "public, max-age=86400";

/// One published file as served.
pub struct CachedFile {
    modified: SystemTime,
    len: u64,
    pub(super) bytes: Bytes,
    /// Made on the first request that accepts gzip, then kept.
    gzip: OnceLock<Bytes>,
    etag: HeaderValue,
    etag_gzip: HeaderValue,
    last_modified: HeaderValue,
    /// Whole seconds since the epoch (HTTP dates have no finer resolution).
    modified_secs: u64,
}

/// The output folder's files in memory, revalidated against the disk on every request.
pub struct FileCache {
    dir: PathBuf,
    files: RwLock<HashMap<String, Arc<CachedFile>>>,
}

impl FileCache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, files: RwLock::new(HashMap::new()) }
    }

    /// The current version of `relative`, from memory unless the file changed.
    pub fn get(&self, relative: &str) -> Result<Arc<CachedFile>, WebError> {
        let path = self.dir.join(relative);
        let meta = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Err(WebError::NotFound),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(WebError::NotFound),
            Err(source) => return Err(WebError::Io { path, source }),
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if let Some(file) = self.files.read().ok().and_then(|files| files.get(relative).cloned())
            && file.modified == modified
            && file.len == meta.len()
        {
            return Ok(file);
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(WebError::NotFound),
            Err(source) => return Err(WebError::Io { path, source }),
        };
        let file = Arc::new(CachedFile::new(bytes, modified));
        if let Ok(mut files) = self.files.write() {
            files.insert(relative.to_owned(), Arc::clone(&file));
        }
        Ok(file)
    }
}

impl CachedFile {
    fn new(bytes: Vec<u8>, modified: SystemTime) -> Self {
        let hash = blake3::hash(&bytes).to_hex();
        let tag = &hash[..32];
        let modified_secs = modified.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let http_date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(modified_secs));
        Self {
            modified,
            len: bytes.len() as u64,
            bytes: Bytes::from(bytes),
            gzip: OnceLock::new(),
            etag: HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header value"),
            etag_gzip: HeaderValue::from_str(&format!("\"{tag}-gz\"")).expect("hex is a valid header value"),
            last_modified: HeaderValue::from_str(&http_date).expect("an HTTP date is a valid header value"),
            modified_secs,
        }
    }

    fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            // Writing into a Vec cannot fail.
            let _ = encoder.write_all(&self.bytes);
            Bytes::from(encoder.finish().unwrap_or_default())
        })
    }
}

/// The archive and issue pages: the shipped templates use one inline
/// `<style>` and nothing else, so no script, frame, form or remote resource
/// is allowed even if an operator's template or an editor's text let markup
/// through. (An override that needs a remote stylesheet or image must relax
/// this at the proxy.)
const ARCHIVE_CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                           base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Feeds are data: a browser that renders one (XML with a stylesheet
/// instruction, say) must load nothing and run nothing.
const FEED_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";
/// Links out of the archive tell outlets where readers come from (the
/// origin), never which page.
const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// Adds the security headers to every `/feeds` response, not-found and 304 included.
pub(super) async fn security_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let page =
        path == "/feeds/" || std::path::Path::new(path).extension().is_some_and(|e| e.eq_ignore_ascii_case("html"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = if page { ARCHIVE_CSP } else { FEED_CSP };
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(REFERRER_POLICY));
    response
}

pub(super) async fn to_index() -> Redirect {
    Redirect::permanent("/feeds/")
}

pub(super) async fn index(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, WebError> {
    if state.mail.is_some() {
        return super::mail::index_with_signup(&state);
    }
    serve_file(&state, "index.html", &headers)
}

pub(super) async fn top_level(
    State(state): State<WebState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    match file.as_str() {
        "digest.xml" | "digest.atom" | "digest.json" | "index.html" => serve_file(&state, &file, &headers),
        _ => Err(WebError::NotFound),
    }
}

pub(super) async fn issue(
    State(state): State<WebState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    // Only `{digits}.html`: nothing else from the URL reaches the file system.
    let number = file.strip_suffix(".html").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let Some(number) = number else { return Err(WebError::NotFound) };
    serve_file(&state, &format!("issues/{number}.html"), &headers)
}

/// `/feeds/speakers/{id}.xml` (`.atom`, `.json`): a speaker's feeds. Only a
/// speaker id (folded words joined by `-`, no dot or slash) with one of the
/// three extensions reaches the file system.
pub(super) async fn speaker(
    State(state): State<WebState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let Some((id, extension)) = file.rsplit_once('.') else { return Err(WebError::NotFound) };
    let is_id = crate::speakers::speaker_id(&id.replace('-', " ")).is_some_and(|canonical| canonical == id);
    if !is_id || !matches!(extension, "xml" | "atom" | "json") {
        return Err(WebError::NotFound);
    }
    serve_file(&state, &format!("speakers/{file}"), &headers)
}

/// RFC 6838 registrations where they exist (`application/feed+json` is JSON
/// Feed 1.1's own recommendation); always with a charset, since every file is UTF-8.
fn content_type(relative: &str) -> &'static str {
    // Only names we wrote get here, all lower-case.
    match relative.rsplit('.').next() {
        Some("xml") => "application/rss+xml; charset=utf-8",
        Some("atom") => "application/atom+xml; charset=utf-8",
        Some("json") => "application/feed+json; charset=utf-8",
        _ => "text/html; charset=utf-8",
    }
}

fn serve_file(state: &WebState, relative: &str, request: &HeaderMap) -> Result<Response, WebError> {
    let file = state.feeds.get(relative)?;
    let gzip = file.bytes.len() >= MIN_GZIP_BYTES && accepts_gzip(request);
    let etag = if gzip { &file.etag_gzip } else { &file.etag };
    let cache_control = if relative.starts_with("issues/") { ISSUE_CACHE_CONTROL } else { FEED_CACHE_CONTROL };

    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::LAST_MODIFIED, file.last_modified.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));

    if not_modified(request, etag, file.modified_secs) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(relative)));
    let body = if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        file.gzip().clone()
    } else {
        file.bytes.clone()
    };
    Ok((StatusCode::OK, headers, Body::from(body)).into_response())
}

/// RFC 9110 §13.1.2 and §13.1.3: `If-None-Match` (weak comparison) decides
/// when present; only without it does `If-Modified-Since` count.
fn not_modified(request: &HeaderMap, etag: &HeaderValue, modified_secs: u64) -> bool {
    if let Some(value) = request.get(header::IF_NONE_MATCH) {
        let Ok(list) = value.to_str() else { return false };
        let ours = etag.to_str().unwrap_or_default();
        return list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
    }
    request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|since| since.duration_since(SystemTime::UNIX_EPOCH).ok())
        .is_some_and(|since| modified_secs <= since.as_secs())
}

/// True when `Accept-Encoding` lists `gzip` (or `*`) with a non-zero quality.
fn accepts_gzip(request: &HeaderMap) -> bool {
    let Some(value) = request.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return false };
    let mut star = false;
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or_default().trim();
        let zero = pieces
            .any(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return !zero;
        }
        if coding == "*" {
            star = !zero;
        }
    }
    star
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).expect("valid"));
        }
        map
    }

    #[test]
    fn accept_encoding_honours_quality() {
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")])));
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "br;q=1, GZIP;q=0.5")])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "identity")])));
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "*")])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "*;q=0")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let etag = HeaderValue::from_static("\"abc\"");
        let later = "Tue, 24 Nov 2026 10:00:00 GMT";
        let at = httpdate::parse_http_date(later)
            .expect("date")
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after epoch");
        let secs = at.as_secs();
        assert!(not_modified(&headers(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")]), &etag, secs));
        assert!(not_modified(&headers(&[(header::IF_NONE_MATCH, "*")]), &etag, secs));
        assert!(!not_modified(
            &headers(&[(header::IF_NONE_MATCH, "\"x\""), (header::IF_MODIFIED_SINCE, later)]),
            &etag,
            secs
        ));
        assert!(not_modified(&headers(&[(header::IF_MODIFIED_SINCE, later)]), &etag, secs));
        assert!(!not_modified(&headers(&[(header::IF_MODIFIED_SINCE, later)]), &etag, secs + 1));
        assert!(!not_modified(&headers(&[(header::IF_MODIFIED_SINCE, "garbage")]), &etag, secs));
    }
}
