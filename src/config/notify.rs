//! Validates the outbound settings of `gleaner.toml`: `[mail]` (the digest by
//! email) and `[[webhook]]` targets (issue 15). Secrets named by file are
//! read by `app`, not here: validation does no I/O.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use url::Url;

use super::doc::{Diag, Section, normalize};
use crate::model::WebhookEvent;

pub(super) const MAIL_KEYS: &[&str] =
    &["smtp", "username", "password_file", "ca_file", "from", "rate_per_minute", "public_url"];
const WEBHOOK_KEYS: &[&str] = &["name", "url", "secret", "secret_file", "events"];

/// Sends per minute when `rate_per_minute` is not set: gentle enough for a
/// shared relay's usual limits, an hour for a list of 3,600.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 60;

/// `[mail]`: where and how the digest is mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `smtp://HOST:PORT` (STARTTLS when offered... required unless the host is
    /// loopback) or `smtps://HOST:PORT` (implicit TLS).
    pub smtp: Url,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    /// A PEM file of CA certificates to trust for the server's certificate,
    /// besides the system's roots: a relay with a private CA.
    pub ca_file: Option<PathBuf>,
    /// The `From:` mailbox, e.g. `Digest <digest@example.org>`.
    pub from: String,
    pub rate_per_minute: u32,
    /// Where subscribers' links (confirm, unsubscribe) point: the address at
    /// which `serve` is reachable from outside. Defaults to `http://{bind}`.
    pub public_url: Option<Url>,
}

/// Where a webhook's secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Inline(String),
    File(PathBuf),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("Inline(..)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// One `[[webhook]]` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// What `[[rule]]`'s `notify` (and other senders of a
    /// `notify::Notification` to named targets) call it; unique. A named
    /// target may list no `events`: it then receives only what is sent to
    /// it by name.
    pub name: Option<String>,
    pub url: Url,
    pub secret: SecretSource,
    pub events: Vec<WebhookEvent>,
}

pub(super) fn mail(
    diag: &mut Diag<'_>,
    table: &DeTable<'_>,
    header: &Range<usize>,
    base: &Path,
) -> Option<MailSettings> {
    let errors_before = diag.errors.len();
    let section = Section::new(table, "mail");
    section.check_keys(diag, MAIL_KEYS, &[]);
    let smtp = if let Some((text, span)) = section.string(diag, "smtp") {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "smtp" | "smtps") && url.host_str().is_some() => Some(url),
            _ => {
                diag.error(&span, format!("bad `mail.smtp` {text:?}: expected smtp://HOST:PORT or smtps://HOST:PORT"));
                None
            }
        }
    } else {
        diag.missing(header, "[mail] is missing required key `smtp` (smtp://HOST:PORT or smtps://HOST:PORT)");
        None
    };
    let from = if let Some((text, span)) = section.string(diag, "from") {
        if text.parse::<lettre::message::Mailbox>().is_err() {
            diag.error(
                &span,
                format!("bad `mail.from` {text:?}: expected an address such as \"Digest <digest@example.org>\""),
            );
        }
        Some(text.to_owned())
    } else {
        diag.missing(header, "[mail] is missing required key `from` (the sender address)");
        None
    };
    let username = section.string(diag, "username").map(|(t, _)| t.to_owned());
    let password_file = section.string(diag, "password_file").map(|(t, _)| normalize(&base.join(t)));
    if username.is_some() != password_file.is_some() {
        diag.error(header, "[mail] needs `username` and `password_file` together (or neither)");
    }
    let ca_file = section.string(diag, "ca_file").map(|(t, _)| normalize(&base.join(t)));
    let rate_per_minute = section
        .integer(diag, "rate_per_minute", 1, 100_000)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(DEFAULT_RATE_PER_MINUTE);
    let public_url = section.string(diag, "public_url").and_then(|(text, span)| match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
        _ => {
            diag.error(&span, format!("bad `mail.public_url` {text:?}: expected an http(s) URL"));
            None
        }
    });
    if diag.errors.len() > errors_before {
        return None;
    }
    Some(MailSettings { smtp: smtp?, username, password_file, ca_file, from: from?, rate_per_minute, public_url })
}

pub(super) fn webhooks(diag: &mut Diag<'_>, doc: &DeTable<'_>, base: &Path) -> Vec<WebhookTarget> {
    let Some(value) = doc.get("webhook") else { return Vec::new() };
    let DeValue::Array(items) = value.get_ref() else {
        diag.error(&value.span(), "`webhook` must be an array of tables: write [[webhook]], not [webhook]");
        return Vec::new();
    };
    let mut names = std::collections::HashSet::new();
    items
        .iter()
        .filter_map(|item| {
            let DeValue::Table(table) = item.get_ref() else {
                diag.error(&item.span(), format!("each webhook must be a table, found {}", item.get_ref().type_str()));
                return None;
            };
            let target = webhook(diag, table, &item.span(), base)?;
            if let Some(name) = &target.name
                && !names.insert(name.clone())
            {
                diag.error(&item.span(), format!("a second webhook named {name:?}: webhook names must be unique"));
                return None;
            }
            Some(target)
        })
        .collect()
}

fn webhook(diag: &mut Diag<'_>, table: &DeTable<'_>, header: &Range<usize>, base: &Path) -> Option<WebhookTarget> {
    let errors_before = diag.errors.len();
    let section = Section::new(table, "webhook");
    section.check_keys(diag, WEBHOOK_KEYS, &[]);
    let name = section.string(diag, "name").and_then(|(text, span)| {
        let text = text.trim();
        if text.is_empty() || !text.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            diag.error(&span, format!("bad `webhook.name` {text:?}: letters, digits, '-' and '_' only"));
            return None;
        }
        Some(text.to_owned())
    });
    let url = if let Some((text, span)) = section.string(diag, "url") {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                diag.error(&span, format!("bad `webhook.url` {text:?}: expected an http(s) URL"));
                None
            }
        }
    } else {
        diag.missing(header, "webhook is missing required key `url`");
        None
    };
    let secret = match (section.string(diag, "secret"), section.string(diag, "secret_file")) {
        (Some((text, span)), None) => {
            if text.len() < 16 {
                diag.error(&span, "`webhook.secret` must be at least 16 characters (receivers verify with it)");
            }
            Some(SecretSource::Inline(text.to_owned()))
        }
        (None, Some((path, _))) => Some(SecretSource::File(normalize(&base.join(path)))),
        (Some(_), Some((_, span))) => {
            diag.error(&span, "a webhook takes `secret` or `secret_file`, not both");
            None
        }
        (None, None) => {
            diag.missing(header, "webhook is missing `secret` or `secret_file` (its deliveries are signed)");
            None
        }
    };
    let mut events = Vec::new();
    for (name, span) in section.strings(diag, "events") {
        match WebhookEvent::parse(name) {
            Some(event) if event.is_addressed() => diag.error(
                &span,
                format!(
                    "event `{}` is not subscribed to: a [[rule]] or a watch names this webhook in `notify` (give \
                     the webhook a `name`)",
                    event.as_str()
                ),
            ),
            Some(event) if !events.contains(&event) => events.push(event),
            Some(_) => {}
            None => {
                let known: Vec<&str> =
                    WebhookEvent::ALL.iter().filter(|e| !e.is_addressed()).map(|e| e.as_str()).collect();
                diag.error(&span, format!("unknown webhook event {name:?} (known: {})", known.join(", ")));
            }
        }
    }
    if section.get("events").is_none() && name.is_none() {
        diag.missing(header, "webhook is missing required key `events` (e.g. [\"issue.published\"])");
    }
    if diag.errors.len() > errors_before {
        return None;
    }
    Some(WebhookTarget { name, url: url?, secret: secret?, events })
}
