//! HTTP and file fetching: polite, capped, conditional.
//!
//! [`Fetcher`] turns a [`FetchRequest`] into a [`FetchOutcome`]: the body of a
//! feed or article page, or "not modified". It owns every network rule of
//! Gleaner: timeouts, a body cap enforced while streaming (after
//! decompression, so gzip bombs stop too), at most `max_redirects` redirects
//! with loop detection, conditional GET, `Retry-After`, global and per-host
//! concurrency limits, and the private-network guard for item links.
//!
//! Must not: parse what it fetched, touch the store, or decide backoff; it
//! reports (`FetchError::retry_after`, `permanent_redirect`) and callers decide.

mod cookies;
mod error;
mod file;
mod guard;
mod limits;
mod post;
mod retry_after;

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::Instant;
use url::Url;

use crate::config::FetchSettings;
use crate::model::FetchOverrides;

pub use error::FetchError;
pub use guard::{is_blocked_address, is_own_address, is_private_address};
pub use retry_after::parse_retry_after;

use limits::Limits;
pub use limits::{GateAnswer, GateError, HostGate, Ticket};

/// What a fetch is for; decides which URLs are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A source's own URL, written by the operator: anything goes, including
    /// `file://` and loopback.
    Source,
    /// An item's article link, which came from the source's content. Guarded
    /// against private networks (unless `allow_private_networks`) and allowed
    /// to read a local file only when the source itself was a local file.
    ItemLink { from_file_source: bool },
}

/// HTTP cache validators (RFC 9110 §8.8), kept verbatim from the last response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One fetch to perform.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    pub url: &'a Url,
    /// Sent as If-None-Match / If-Modified-Since.
    pub validators: &'a Validators,
    pub purpose: Purpose,
    /// The source's own fetch settings: sent on this request and on redirect
    /// hops to the same host, never to another.
    pub overrides: Option<&'a FetchOverrides>,
}

/// The result of a successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per fetch and moved once; the bytes are on the heap already, and boxing would change the shared contract"
)]
pub enum FetchOutcome {
    /// 304: what we have is current; no body was read.
    NotModified,
    Fetched(FetchedBody),
}

/// A complete body (never a partial one) and what the server said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedBody {
    /// Where the body came from, after redirects.
    pub final_url: Url,
    /// 2xx; 200 for `file://`.
    pub status: u16,
    /// The `Content-Type` header verbatim; `None` for `file://`.
    pub content_type: Option<String>,
    /// From this response; store them for the next conditional GET.
    pub validators: Validators,
    /// Decompressed, at most `max_body_bytes`.
    pub bytes: Vec<u8>,
    /// blake3 of `bytes`, lower-case hex: "unchanged body" means equal hashes.
    pub body_hash: String,
    /// Set when the chain of redirects began with permanent ones (301/308):
    /// the target of the last of them, i.e. the URL the operator should now
    /// use. A 302 first means the original URL stays authoritative, so `None`.
    pub permanent_redirect: Option<Url>,
}

/// Fetches over HTTP(S) and from `file://`. Cheap to clone; clones share the
/// connection pools and the concurrency limits.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    settings: FetchSettings,
    /// For sources and for item links when `allow_private_networks` is set.
    open: reqwest::Client,
    /// For item links: its resolver drops non-public addresses.
    guarded: reqwest::Client,
    limits: Limits,
}

/// Feed fetches prefer feed types but take anything (page sources are HTML).
const ACCEPT_SOURCE: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, \
     application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5";
const ACCEPT_ARTICLE: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Self, FetchError> {
        Ok(Self {
            inner: Arc::new(Inner {
                open: build_client(settings, false)?,
                guarded: build_client(settings, true)?,
                limits: Limits::new(settings.max_concurrency, settings.per_host_concurrency),
                settings: settings.clone(),
            }),
        })
    }

    /// A fetcher whose per-host limit and `Retry-After` holds are also kept
    /// through `gate`, across every process that shares it (issue 17).
    pub fn with_host_gate(settings: &FetchSettings, gate: Arc<dyn HostGate>) -> Result<Self, FetchError> {
        // A hop holds its slot for at most the whole fetch's timeout; the
        // margin covers a slow start and clock steps on the database side.
        let expires_in = settings.timeout + std::time::Duration::from_secs(10);
        Ok(Self {
            inner: Arc::new(Inner {
                open: build_client(settings, false)?,
                guarded: build_client(settings, true)?,
                limits: Limits::new(settings.max_concurrency, settings.per_host_concurrency)
                    .with_gate(gate, expires_in),
                settings: settings.clone(),
            }),
        })
    }

    /// Fetches one URL. A body is returned only when complete and within the
    /// cap; every other case is an error naming the URL.
    pub async fn fetch(&self, request: &FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        let started = std::time::Instant::now();
        let result = match request.url.scheme() {
            "http" | "https" => self.fetch_http(request).await,
            "file" => self.fetch_file(request).await,
            _ => Err(FetchError::UnsupportedScheme { url: request.url.clone() }),
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(FetchOutcome::NotModified) => {
                tracing::debug!(url = %request.url, status = 304, elapsed_ms, "not modified");
            }
            Ok(FetchOutcome::Fetched(body)) => tracing::debug!(
                url = %request.url,
                final_url = %body.final_url,
                status = body.status,
                bytes = body.bytes.len(),
                elapsed_ms,
                "fetched"
            ),
            Err(error) => {
                tracing::debug!(url = %request.url, status = error.status(), elapsed_ms, %error, "fetch failed");
            }
        }
        result
    }

    async fn fetch_file(&self, request: &FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        // A remote feed must never name a local file for us to read; only the
        // operator (a source URL) or a local source's own links may.
        if let Purpose::ItemLink { from_file_source: false } = request.purpose {
            return Err(FetchError::LocalFileRefused { url: request.url.clone() });
        }
        let _slot = self.inner.limits.acquire_global().await;
        let bytes = file::read_capped(request.url, self.inner.settings.max_body_bytes).await?;
        Ok(FetchOutcome::Fetched(fetched(request.url.clone(), 200, None, Validators::default(), bytes, None)))
    }

    /// Redirects are followed here, hop by hop, rather than by a reqwest
    /// `redirect::Policy`: a policy is per client, so it cannot tell this
    /// request that a hop was permanent, and doing it here lets every hop pass
    /// the private-network guard, the scheme check and its own host's limit
    /// with a precise error.
    async fn fetch_http(&self, request: &FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        let settings = &self.inner.settings;
        let guarded = request.purpose != Purpose::Source && !settings.allow_private_networks;
        let client = if guarded { &self.inner.guarded } else { &self.inner.open };
        let headers = request_headers(request);
        let cookies = match request.overrides.and_then(|o| o.cookie_file.as_ref()) {
            Some(path) => Some(tokio::fs::read_to_string(path).await.map_err(|source| FetchError::CookieFile {
                url: request.url.clone(),
                path: path.clone(),
                source,
            })?),
            None => None,
        };

        let mut current = request.url.clone();
        let mut visited = vec![current.clone()];
        let mut permanent_redirect = None;
        let mut still_permanent = true;
        // The total timeout covers the whole chain, starting once the first
        // request may go out (time queued behind our own limits is not the
        // server's fault).
        let mut deadline = None;
        loop {
            if guarded {
                refuse_private_literal(&current)?;
            }
            let _permits = match self.inner.limits.acquire(&current).await {
                Ok(permits) => permits,
                Err(until) => return Err(FetchError::HostHeld { url: current, until }),
            };
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + settings.timeout);
            let timed_out = || FetchError::Timeout { url: current.clone() };
            let remaining = deadline.saturating_duration_since(Instant::now());
            let mut hop_headers = headers.clone();
            if let Some(overrides) = request.overrides.filter(|_| same_host(request.url, &current)) {
                add_overrides(&mut hop_headers, overrides, cookies.as_deref(), &current);
            }
            let send = client.get(current.clone()).headers(hop_headers).timeout(remaining).send();
            let response = tokio::time::timeout_at(deadline, send)
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| FetchError::from_reqwest(&current, e))?;
            let status = response.status();

            if is_followed_redirect(status) {
                let target = redirect_target(&current, status, response.headers())?;
                if visited.contains(&target) {
                    return Err(FetchError::RedirectLoop { url: current, target: Box::new(target) });
                }
                if visited.len() > settings.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: request.url.clone(),
                        limit: settings.max_redirects,
                    });
                }
                if !matches!(target.scheme(), "http" | "https") {
                    // Also what keeps a web server from redirecting us into file://.
                    return Err(FetchError::UnsupportedScheme { url: target });
                }
                still_permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
                if still_permanent {
                    permanent_redirect = Some(target.clone());
                }
                tracing::debug!(url = %current, status = status.as_u16(), target = %target, "redirect");
                visited.push(target.clone());
                current = target;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(FetchOutcome::NotModified);
            }
            if !status.is_success() {
                let retry_after = match status {
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, chrono::Utc::now())),
                    _ => None,
                };
                if let Some(until) = retry_after {
                    self.inner.limits.hold(&current, until).await;
                }
                return Err(FetchError::Status { url: current, status: status.as_u16(), retry_after });
            }

            let text_header =
                |name| response.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
            let content_type = text_header(header::CONTENT_TYPE);
            let validators =
                Validators { etag: text_header(header::ETAG), last_modified: text_header(header::LAST_MODIFIED) };
            let bytes = tokio::time::timeout_at(deadline, read_capped(response, &current, settings.max_body_bytes))
                .await
                .map_err(|_| timed_out())??;
            return Ok(FetchOutcome::Fetched(fetched(
                current,
                status.as_u16(),
                content_type,
                validators,
                bytes,
                permanent_redirect,
            )));
        }
    }
}

fn build_client(settings: &FetchSettings, guarded: bool) -> Result<reqwest::Client, FetchError> {
    let builder = reqwest::Client::builder()
        .user_agent(settings.user_agent.as_str())
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .brotli(true)
        .deflate(true)
        // No proxies: a proxy resolves names itself, which would defeat the
        // private-network guard, and an inherited HTTP_PROXY must not divert
        // fetches (tests included) anywhere unexpected.
        .no_proxy()
        // Referer would leak the feed's URL to every article host.
        .referer(false)
        .pool_max_idle_per_host(settings.per_host_concurrency);
    let builder = if guarded { builder.dns_resolver(guard::PublicOnlyResolver) } else { builder };
    builder.build().map_err(|source| FetchError::Client { source })
}

fn request_headers(request: &FetchRequest<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let accept = if request.purpose == Purpose::Source { ACCEPT_SOURCE } else { ACCEPT_ARTICLE };
    headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
    // A stored validator that is not a valid header value (it came from a
    // server) is dropped: the fetch then is unconditional, which is safe.
    let conditional = [
        (header::IF_NONE_MATCH, &request.validators.etag),
        (header::IF_MODIFIED_SINCE, &request.validators.last_modified),
    ];
    for (name, value) in conditional {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Whether a redirect hop stays where the source's own settings may go: the
/// same host and port as the first request, and no step down from https to
/// http (credentials must not cross to another server, nor into plain text).
fn same_host(first: &Url, hop: &Url) -> bool {
    first.host_str().map(str::to_ascii_lowercase) == hop.host_str().map(str::to_ascii_lowercase)
        && first.port() == hop.port()
        && !(first.scheme() == "https" && hop.scheme() == "http")
}

/// The source's user agent, extra headers and cookies for `url`. Config
/// validation already refused names and values that are not valid HTTP;
/// anything that still is not (a cookie file's line) is left out.
fn add_overrides(headers: &mut HeaderMap, overrides: &FetchOverrides, cookies: Option<&str>, url: &Url) {
    if let Some(agent) = overrides.user_agent.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::USER_AGENT, agent);
    }
    for (name, value) in &overrides.headers {
        if let (Ok(name), Ok(value)) = (header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    let now = chrono::Utc::now().timestamp();
    if let Some(cookie) = cookies.and_then(|text| cookies::cookie_header(text, url, now)) {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::COOKIE, value);
        }
    }
}

/// 300, 304, 305 and 306 are not redirects we follow (RFC 9110 §15.4).
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// Location may be relative (RFC 9110 §10.2.2); it is resolved against the
/// URL that answered.
fn redirect_target(current: &Url, status: StatusCode, headers: &HeaderMap) -> Result<Url, FetchError> {
    headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| current.join(location.trim()).ok())
        .ok_or_else(|| FetchError::BadRedirect { url: current.clone(), status: status.as_u16() })
}

/// Literal IPs never reach the resolver, so the guard checks them here.
fn refuse_private_literal(url: &Url) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        _ => return Ok(()),
    };
    if is_blocked_address(ip) { Err(FetchError::PrivateAddress { url: url.clone(), ip: Some(ip) }) } else { Ok(()) }
}

/// Reads the whole body, failing as soon as it passes `limit`. Chunks arrive
/// decompressed, so the cap also bounds gzip/brotli bombs.
async fn read_capped(mut response: reqwest::Response, url: &Url, limit: u64) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge { url: url.clone(), limit };
    // Known only for uncompressed, non-chunked bodies: refuse before reading.
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // Trust the announced length for the first allocation only up to 1 MiB.
    let mut bytes =
        Vec::with_capacity(announced.map_or(0, |n| usize::try_from(n).unwrap_or(0)).min(limit).min(1 << 20));
    while let Some(chunk) = response.chunk().await.map_err(|e| FetchError::from_reqwest(url, e))? {
        if bytes.len().saturating_add(chunk.len()) > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn fetched(
    final_url: Url,
    status: u16,
    content_type: Option<String>,
    validators: Validators,
    bytes: Vec<u8>,
    permanent_redirect: Option<Url>,
) -> FetchedBody {
    let body_hash = blake3::hash(&bytes).to_hex().to_string();
    FetchedBody { final_url, status, content_type, validators, bytes, body_hash, permanent_redirect }
}
