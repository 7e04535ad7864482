//! Validates a source's extraction rules (`content`, `strip`, `follow_next`)
//! and its fetch overrides (`user_agent`, `headers`, `cookie_file`).
//!
//! Every message names the source and the key, so an operator with fifty
//! sources finds the one to fix. Checking here that a header is valid HTTP
//! means a fetch can never fail on one; the cookie file is only resolved
//! (reading it is the fetcher's job, at each fetch).

use std::path::Path;

use scraper::Selector;
use toml::de::DeValue;

use super::doc::{Diag, Section, normalize, selector_reason};
use crate::model::{ExtractRules, FetchOverrides};

/// Headers the HTTP client owns: setting them by hand breaks the request
/// (framing, `Host`) or conditional GET, which has its own settings.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "if-none-match",
    "if-modified-since",
];

/// `content`, `strip` and `follow_next` of one source.
pub(super) fn rules(diag: &mut Diag<'_>, section: &Section<'_, '_>, label: &str) -> ExtractRules {
    let mut compile = |key: &str| -> Vec<Selector> {
        section
            .strings(diag, key)
            .into_iter()
            .filter_map(|(text, span)| match Selector::parse(text) {
                Ok(selector) => Some(selector),
                Err(e) => {
                    diag.error(
                        &span,
                        format!("{label}: bad CSS selector {text:?} in `{key}`: {}", selector_reason(&e)),
                    );
                    None
                }
            })
            .collect()
    };
    let content = compile("content");
    let strip = compile("strip");
    let follow_next = match section.get("follow_next").map(toml::Spanned::get_ref) {
        Some(DeValue::String(_)) | None => compile("follow_next").into_iter().next(),
        Some(_) => {
            // A string only: one link is followed, and a list would suggest otherwise.
            section.string(diag, "follow_next");
            None
        }
    };
    ExtractRules { content, strip, follow_next }
}

/// `user_agent`, `headers` and `cookie_file` of one source; `base` resolves a
/// relative cookie file, as every path in a config file is.
pub(super) fn fetch(diag: &mut Diag<'_>, section: &Section<'_, '_>, label: &str, base: &Path) -> FetchOverrides {
    let user_agent = section.string(diag, "user_agent").and_then(|(text, span)| {
        if text.trim().is_empty() || !valid_value(text) {
            diag.error(
                &span,
                format!("{label}: `user_agent` must be a non-empty header value (printable text, no line breaks)"),
            );
            return None;
        }
        Some(text.trim().to_owned())
    });
    let mut headers = Vec::new();
    if let Some((table, _)) = section.table(diag, "headers") {
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            if !valid_name(name) {
                diag.error(&key.span(), format!("{label}: `headers` has a bad header name {name:?}"));
                continue;
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                diag.error(
                    &key.span(),
                    format!("{label}: `headers` may not set {name:?}; the HTTP client sets it itself"),
                );
                continue;
            }
            match value.get_ref() {
                DeValue::String(text) if valid_value(text) => headers.push((name.to_owned(), text.trim().to_owned())),
                DeValue::String(_) => diag.error(
                    &value.span(),
                    format!("{label}: header {name:?} has a bad value (printable text, no line breaks)"),
                ),
                other => diag.error(
                    &value.span(),
                    format!("{label}: header {name:?} must be a string, found {}", other.type_str()),
                ),
            }
        }
    }
    let cookie_file = section.string(diag, "cookie_file").and_then(|(text, span)| {
        if text.trim().is_empty() {
            diag.error(&span, format!("{label}: `cookie_file` must not be empty"));
            return None;
        }
        Some(normalize(&base.join(text.trim())))
    });
    FetchOverrides { user_agent, headers, cookie_file }
}

/// A header name is an RFC 9110 §5.6.2 token.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value (RFC 9110 §5.5) without obsolete line folding: visible
/// characters, spaces and tabs; non-ASCII text is refused since servers read
/// it as Latin-1 at best.
fn valid_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}
