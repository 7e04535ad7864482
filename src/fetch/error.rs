//! `FetchError`: every way a fetch fails, each variant naming the URL.
//!
//! `url` is the URL being fetched when the failure happened, which after
//! redirects may differ from the one requested; callers add the source id.

use std::error::Error as _;
use std::io;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use url::Url;

use super::guard::BlockedAddress;

/// Why a fetch produced no body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Connect, headers and body together took longer than the configured
    /// timeout (or the connect phase alone longer than the connect timeout).
    #[error("{url}: timed out")]
    Timeout { url: Url },

    /// No usable connection: DNS failure, refused, reset, TLS failure.
    #[error("{url}: cannot connect: {}", innermost_message(source))]
    Connect {
        url: Url,
        #[source]
        source: reqwest::Error,
    },

    /// A status we do not treat as success. For 429 and 503, `retry_after` is
    /// the server's `Retry-After` when it sent a valid one.
    #[error("{url}: HTTP {status}{}", retry_after.map(|at| format!(", retry after {}", at.to_rfc3339())).unwrap_or_default())]
    Status { url: Url, status: u16, retry_after: Option<DateTime<Utc>> },

    /// The host answered another fetch (possibly another worker's) with
    /// `Retry-After`, and that time has not come: nothing was requested.
    #[error("{url}: the host asked for a pause until {}", until.to_rfc3339())]
    HostHeld { url: Url, until: DateTime<Utc> },

    /// The (decompressed) body, or its announced Content-Length, exceeds the cap.
    #[error("{url}: body larger than the limit of {limit} bytes")]
    TooLarge { url: Url, limit: u64 },

    /// The body broke off (shorter than its Content-Length, connection reset)
    /// or could not be decompressed. Nothing is returned.
    #[error("{url}: body incomplete or undecodable: {}", innermost_message(source))]
    Body {
        url: Url,
        #[source]
        source: reqwest::Error,
    },

    /// More redirects than `max_redirects`; `url` is the URL first requested.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: Url, limit: usize },

    /// A redirect pointed back at a URL already visited in this fetch.
    /// (`target` is boxed to keep every `Result<_, FetchError>` small.)
    #[error("{url}: redirect loop back to {target}")]
    RedirectLoop { url: Url, target: Box<Url> },

    /// A 301/302/303/307/308 without a Location header we can use.
    #[error("{url}: HTTP {status} redirect without a usable Location header")]
    BadRedirect { url: Url, status: u16 },

    /// The private-network guard refused the address: the URL (or a redirect
    /// target) is, or resolves only to, a loopback, private or link-local IP.
    #[error("{url}: refused to fetch a private, loopback or link-local address{}", ip.map(|ip| format!(" ({ip})")).unwrap_or_default())]
    PrivateAddress { url: Url, ip: Option<IpAddr> },

    /// Neither http, https nor file (or a redirect to something else).
    #[error("{url}: unsupported URL scheme {:?}", url.scheme())]
    UnsupportedScheme { url: Url },

    /// A `file://` item link from a web source: a remote feed must never make
    /// us read local files.
    #[error("{url}: refused to read a local file linked from a web source")]
    LocalFileRefused { url: Url },

    /// Reading a `file://` URL failed.
    #[error("{url}: {source}")]
    File {
        url: Url,
        #[source]
        source: io::Error,
    },

    /// The source's `cookie_file` could not be read: nothing was requested.
    #[error("{url}: cannot read the cookie file {}: {source}", path.display())]
    CookieFile {
        url: Url,
        path: std::path::PathBuf,
        #[source]
        source: io::Error,
    },

    /// Any other request failure reqwest reports.
    #[error("{url}: request failed: {}", innermost_message(source))]
    Request {
        url: Url,
        #[source]
        source: reqwest::Error,
    },

    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client: {source}")]
    Client {
        #[source]
        source: reqwest::Error,
    },
}

impl FetchError {
    /// The URL being fetched when the failure happened (`None` only for `Client`).
    pub fn url(&self) -> Option<&Url> {
        match self {
            Self::Timeout { url }
            | Self::Connect { url, .. }
            | Self::Status { url, .. }
            | Self::HostHeld { url, .. }
            | Self::TooLarge { url, .. }
            | Self::Body { url, .. }
            | Self::TooManyRedirects { url, .. }
            | Self::RedirectLoop { url, .. }
            | Self::BadRedirect { url, .. }
            | Self::PrivateAddress { url, .. }
            | Self::UnsupportedScheme { url }
            | Self::LocalFileRefused { url }
            | Self::File { url, .. }
            | Self::CookieFile { url, .. }
            | Self::Request { url, .. } => Some(url),
            Self::Client { .. } => None,
        }
    }

    /// The HTTP status, when the server answered with one we refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::BadRedirect { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: the network, a timeout, a cut
    /// body, or a status that means "not now" (408, 429, 5xx). A 404, a
    /// refused address or an oversized body will be the same next time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. }
            | Self::Connect { .. }
            | Self::Body { .. }
            | Self::Request { .. }
            | Self::HostHeld { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 429) || *status >= 500,
            _ => false,
        }
    }

    /// When the server asked us to come back (429/503 with `Retry-After`).
    pub fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::HostHeld { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// A short, URL-free message for an operator's table, e.g. "HTTP 404",
    /// "timed out", "cannot connect: Connection refused (os error 111)".
    pub fn short_message(&self) -> String {
        match self {
            Self::Timeout { .. } => "timed out".to_owned(),
            Self::Connect { source, .. } => format!("cannot connect: {}", innermost_message(source)),
            Self::Status { status, retry_after: Some(at), .. } => {
                format!("HTTP {status}, retry after {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            Self::Status { status, retry_after: None, .. } => format!("HTTP {status}"),
            Self::HostHeld { until, .. } => format!("host pausing until {}", until.format("%Y-%m-%d %H:%M:%S UTC")),
            Self::TooLarge { limit, .. } => format!("body over {limit} bytes"),
            Self::Body { source, .. } => format!("body incomplete: {}", innermost_message(source)),
            Self::TooManyRedirects { limit, .. } => format!("more than {limit} redirects"),
            Self::RedirectLoop { .. } => "redirect loop".to_owned(),
            Self::BadRedirect { status, .. } => format!("HTTP {status} without Location"),
            Self::PrivateAddress { .. } => "private address refused".to_owned(),
            Self::UnsupportedScheme { url } => format!("unsupported scheme {:?}", url.scheme()),
            Self::LocalFileRefused { .. } => "local file refused".to_owned(),
            Self::File { source, .. } => source.to_string(),
            Self::CookieFile { path, source, .. } => format!("cookie file {}: {source}", path.display()),
            Self::Request { source, .. } => innermost_message(source),
            Self::Client { source } => format!("HTTP client: {source}"),
        }
    }

    /// Sorts a reqwest error (from `send` or from reading the body) into a variant.
    pub(super) fn from_reqwest(url: &Url, source: reqwest::Error) -> Self {
        let url = url.clone();
        if let Some(blocked) = find_cause::<BlockedAddress>(&source) {
            return Self::PrivateAddress { url, ip: Some(blocked.ip) };
        }
        if source.is_timeout() {
            return Self::Timeout { url };
        }
        if source.is_connect() {
            Self::Connect { url, source }
        } else if source.is_body() || source.is_decode() {
            Self::Body { url, source }
        } else {
            Self::Request { url, source }
        }
    }
}

fn find_cause<T: std::error::Error + 'static>(error: &reqwest::Error) -> Option<&T> {
    let mut cause = error.source();
    while let Some(err) = cause {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        cause = err.source();
    }
    None
}

/// reqwest's own message repeats the URL ("error sending request for url
/// (...)"); the innermost cause is what an operator can act on.
fn innermost_message(error: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}
