//! Validates the settings half of `gleaner.toml` into [`Settings`].
//!
//! Always returns usable settings (defaults where a value was wrong) so that
//! source validation can go on; the errors are in the [`Diag`].

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::DeTable;
use url::Url;

use super::doc::{Diag, Section, language_tag, normalize, schedule};
use super::{FetchSettings, PublishSettings, ServerSettings, Settings, defaults};
use crate::model::Schedule;

pub(super) const TOP_KEYS: &[&str] = &[
    "store",
    "store_cache_mib",
    "store_password_file",
    "sources",
    "fetch",
    "schedule",
    "publish",
    "server",
    "mail",
    "webhook",
    "rule",
    "source",
];
const FETCH_KEYS: &[&str] = &[
    "user_agent",
    "connect_timeout_secs",
    "timeout_secs",
    "max_body_bytes",
    "max_items_per_feed",
    "max_items_per_source",
    "max_concurrency",
    "per_host_concurrency",
    "max_redirects",
    "allow_private_networks",
    "backoff_base_secs",
    "backoff_cap_secs",
];
const SCHEDULE_KEYS: &[&str] = &["default", "jitter_secs"];
const PUBLISH_KEYS: &[&str] = &[
    "title",
    "first_number",
    "output_dir",
    "base_url",
    "schedule",
    "title_template",
    "sections",
    "item_marker",
    "feed_items",
    "description",
    "language",
    "websub_hub",
    "templates_dir",
    "quote_checks",
    "speaker_feeds",
];
const SERVER_KEYS: &[&str] = &["bind", "secure_cookies", "max_connections"];

/// Where each table's keys live, to tell an operator who put one at the top level.
pub(super) fn homes() -> Vec<(&'static str, &'static str)> {
    let mut homes = Vec::new();
    for (keys, table) in [
        (FETCH_KEYS, "[fetch]"),
        (PUBLISH_KEYS, "[publish]"),
        (SERVER_KEYS, "[server]"),
        (super::notify::MAIL_KEYS, "[mail]"),
    ] {
        homes.extend(keys.iter().map(|k| (*k, table)));
    }
    homes.push(("jitter_secs", "[schedule]"));
    homes
}

/// One day: no sane timeout, backoff or jitter is longer (a typo in units is likelier).
const DAY_SECS: i64 = 24 * 60 * 60;

/// Validates the settings file; `other_homes` names the tables of keys that
/// are not settings (the source list's), for a better message when one is
/// written at the top level.
pub(super) fn validate(
    diag: &mut Diag<'_>,
    doc: &DeTable<'_>,
    other_homes: &[(&'static str, &'static str)],
) -> Settings {
    let root = Section::new(doc, "");
    let mut homes = homes();
    homes.extend_from_slice(other_homes);
    root.check_keys(diag, TOP_KEYS, &homes);
    let base = diag.base_dir();

    let (store_path, store_url) = store_location(diag, &root, &base);
    let store_password_file = path_value(diag, &root, "store_password_file", &base);
    if store_password_file.is_some() && store_url.is_none() {
        if let Some((_, span)) = root.string(diag, "store_password_file") {
            diag.error(&span, "`store_password_file` is only for a `postgres://` store".to_owned());
        }
    }
    // 4 GiB is past any machine this runs on; a larger number is likelier a typo in units.
    let store_cache_mib = root.integer(diag, "store_cache_mib", 1, 4096).and_then(|mib| u64::try_from(mib).ok());
    let sources_path = path_value(diag, &root, "sources", &base);

    let fetch = sub_table(diag, &root, "fetch").map(|t| fetch(diag, t)).unwrap_or_default();

    let mut default_schedule = fallback_schedule();
    let mut schedule_jitter = defaults::SCHEDULE_JITTER;
    if let Some(table) = sub_table(diag, &root, "schedule") {
        let section = Section::new(table, "schedule");
        section.check_keys(diag, SCHEDULE_KEYS, &[]);
        if let Some((text, span)) = section.string(diag, "default")
            && let Some(schedule) = schedule(diag, text, &span)
        {
            default_schedule = schedule;
        }
        if let Some(secs) = section.integer(diag, "jitter_secs", 0, DAY_SECS) {
            schedule_jitter = secs_duration(secs);
        }
    }

    let publish_table = sub_table(diag, &root, "publish");
    let publish = publish(diag, publish_table, &base);

    let mut server =
        ServerSettings { bind: default_bind(), secure_cookies: false, max_connections: defaults::MAX_CONNECTIONS };
    if let Some(table) = sub_table(diag, &root, "server") {
        let section = Section::new(table, "server");
        section.check_keys(diag, SERVER_KEYS, &[]);
        if let Some((text, span)) = section.string(diag, "bind") {
            match text.parse::<SocketAddr>() {
                Ok(addr) => server.bind = addr,
                Err(_) => diag.error(
                    &span,
                    format!("bad bind address {text:?}: expected IP:PORT such as \"127.0.0.1:8080\" or \"[::1]:8080\""),
                ),
            }
        }
        if let Some(secure) = section.boolean(diag, "secure_cookies") {
            server.secure_cookies = secure;
        }
        // Each connection is a file descriptor; beyond ~100k the process limit
        // is the real cap, so a larger number only hides a typo.
        if let Some(n) = section.integer(diag, "max_connections", 1, 100_000) {
            server.max_connections = to_usize(n);
        }
    }

    let mail = root.table(diag, "mail").and_then(|(table, span)| super::notify::mail(diag, table, &span, &base));
    let webhooks = super::notify::webhooks(diag, doc, &base);

    Settings {
        mail,
        webhooks,
        rules: Vec::new(),
        path: diag.path().to_path_buf(),
        store_path,
        store_url,
        store_password_file,
        store_cache_mib,
        sources_path,
        fetch,
        default_schedule,
        schedule_jitter,
        publish,
        server,
    }
}

fn sub_table<'t, 'i>(diag: &mut Diag<'_>, root: &Section<'t, 'i>, key: &str) -> Option<&'t DeTable<'i>> {
    root.table(diag, key).map(|(t, _)| t)
}

fn fetch(diag: &mut Diag<'_>, table: &DeTable<'_>) -> FetchSettings {
    let section = Section::new(table, "fetch");
    section.check_keys(diag, FETCH_KEYS, &[]);
    let mut fetch = FetchSettings::default();
    if let Some((text, span)) = section.string(diag, "user_agent") {
        if text.trim().is_empty() {
            diag.error(&span, "`fetch.user_agent` must not be empty (name the service and a contact URL)");
        } else {
            text.clone_into(&mut fetch.user_agent);
        }
    }
    if let Some(secs) = section.integer(diag, "connect_timeout_secs", 1, DAY_SECS) {
        fetch.connect_timeout = secs_duration(secs);
    }
    if let Some(secs) = section.integer(diag, "timeout_secs", 1, DAY_SECS) {
        fetch.timeout = secs_duration(secs);
    }
    if let Some(n) = section.integer(diag, "max_body_bytes", 1, i64::MAX) {
        fetch.max_body_bytes = n.unsigned_abs();
    }
    if let Some(n) = section.integer(diag, "max_items_per_feed", 1, 1_000_000) {
        fetch.max_items_per_feed = to_usize(n);
    }
    if let Some(n) = section.integer(diag, "max_items_per_source", 1, 100_000_000) {
        fetch.max_items_per_source = to_usize(n);
    }
    if let Some(n) = section.integer(diag, "max_concurrency", 1, 10_000) {
        fetch.max_concurrency = to_usize(n);
    }
    if let Some(n) = section.integer(diag, "per_host_concurrency", 1, 10_000) {
        fetch.per_host_concurrency = to_usize(n);
    }
    if let Some(n) = section.integer(diag, "max_redirects", 0, 20) {
        fetch.max_redirects = to_usize(n);
    }
    if let Some(b) = section.boolean(diag, "allow_private_networks") {
        fetch.allow_private_networks = b;
    }
    if let Some(secs) = section.integer(diag, "backoff_base_secs", 1, DAY_SECS) {
        fetch.backoff_base = secs_duration(secs);
    }
    if let Some(secs) = section.integer(diag, "backoff_cap_secs", 1, 30 * DAY_SECS) {
        fetch.backoff_cap = secs_duration(secs);
    }
    if fetch.backoff_base > fetch.backoff_cap
        && let Some(value) = section.get("backoff_base_secs").or_else(|| section.get("backoff_cap_secs"))
    {
        diag.error(&value.span(), "`fetch.backoff_base_secs` must not exceed `fetch.backoff_cap_secs`");
    }
    fetch
}

fn publish(diag: &mut Diag<'_>, table: Option<&DeTable<'_>>, base: &Path) -> PublishSettings {
    let mut publish = PublishSettings::defaults(base);
    let Some(table) = table else { return publish };
    let section = Section::new(table, "publish");
    section.check_keys(diag, PUBLISH_KEYS, &[]);
    if let Some((text, span)) = section.string(diag, "title") {
        if text.trim().is_empty() {
            diag.error(&span, "`publish.title` must not be empty");
        } else {
            text.clone_into(&mut publish.title);
        }
    }
    if let Some(n) = section.integer(diag, "first_number", 0, i64::from(defaults::MAX_FIRST_NUMBER)) {
        publish.first_number = u32::try_from(n).unwrap_or(defaults::FIRST_NUMBER);
    }
    if let Some(dir) = path_value(diag, &section, "output_dir", base) {
        publish.output_dir = dir;
    }
    if let Some((text, span)) = section.string(diag, "base_url") {
        match Url::parse(text) {
            Ok(mut url) if matches!(url.scheme(), "http" | "https") => {
                // Issue pages are joined onto it; without a trailing slash the
                // last path segment would be replaced rather than extended.
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                publish.base_url = Some(url);
            }
            Ok(url) => diag.error(&span, format!("`publish.base_url` must be http or https, not {}", url.scheme())),
            Err(e) => diag.error(&span, format!("bad `publish.base_url` {text:?}: {e}")),
        }
    }
    publish_layout(diag, &section, &mut publish);
    if let Some(dir) = path_value(diag, &section, "templates_dir", base) {
        publish.templates_dir = dir;
    }
    publish
}

/// The publish keys about what an issue and its feeds look like and when they go out.
fn publish_layout(diag: &mut Diag<'_>, section: &Section<'_, '_>, publish: &mut PublishSettings) {
    if let Some((text, span)) = section.string(diag, "schedule") {
        publish.schedule = schedule(diag, text, &span);
    }
    if let Some((text, span)) = section.string(diag, "title_template") {
        match title_template_problem(text) {
            Some(problem) => diag.error(&span, format!("`publish.title_template` {text:?}: {problem}")),
            None => text.clone_into(&mut publish.title_template),
        }
    }
    let mut sections: Vec<String> = Vec::new();
    for (name, span) in section.strings(diag, "sections") {
        let name = name.trim();
        if name.is_empty() {
            diag.error(&span, "`publish.sections` entries must not be empty");
        } else if sections.iter().any(|s| s == name) {
            diag.error(&span, format!("section {name:?} is listed twice in `publish.sections`"));
        } else {
            sections.push(name.to_owned());
        }
    }
    publish.sections = sections;
    if let Some((text, _)) = section.string(diag, "item_marker") {
        // Empty is allowed: some layouts want no marker at all.
        text.clone_into(&mut publish.item_marker);
    }
    if let Some(n) = section.integer(diag, "feed_items", 1, 1000) {
        publish.feed_items = to_usize(n);
    }
    if let Some(show) = section.boolean(diag, "quote_checks") {
        publish.quote_checks = show;
    }
    publish.speaker_feeds = speaker_feeds(diag, section);
    if let Some((text, _)) = section.string(diag, "description") {
        text.trim().clone_into(&mut publish.description);
    }
    if let Some((text, span)) = section.string(diag, "language") {
        publish.language = language_tag(diag, text, &span);
    }
    if let Some((text, span)) = section.string(diag, "websub_hub") {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => publish.websub_hub = Some(url),
            Ok(url) => diag.error(&span, format!("`publish.websub_hub` must be http or https, not {}", url.scheme())),
            Err(e) => diag.error(&span, format!("bad `publish.websub_hub` {text:?}: {e}")),
        }
        if publish.base_url.is_none() {
            // Subscribers of a hub name the feed by its absolute URL (WebSub §4).
            diag.error(&span, "`publish.websub_hub` needs `publish.base_url`: the hub is told the feeds' public URLs");
        }
    }
}

/// `publish.speaker_feeds`: each entry must be a speaker id as `gleaner
/// speakers` prints it (folded words joined by `-`), since it names files
/// and URLs. Whether anyone by that id has been quoted is not checked: a
/// config is written before the speaker's first quote is ingested (and
/// must load on an empty store), so an id nobody matches yet gets an empty
/// feed that fills once an issue quotes them.
fn speaker_feeds(diag: &mut Diag<'_>, section: &Section<'_, '_>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (id, span) in section.strings(diag, "speaker_feeds") {
        let canonical = crate::speakers::speaker_id(&id.replace('-', " "));
        if canonical.as_deref() != Some(id) {
            let hint = crate::speakers::speaker_id(id).map(|c| format!("; did you mean {c:?}?")).unwrap_or_default();
            diag.error(&span, format!("`publish.speaker_feeds` entry {id:?} is not a speaker id{hint}"));
        } else if ids.iter().any(|known| known == id) {
            diag.error(&span, format!("speaker {id:?} is listed twice in `publish.speaker_feeds`"));
        } else {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// What is wrong with a title template, if anything: only `{title}` and
/// `{number}` are placeholders, so a typo such as `{numbr}` is caught here
/// rather than printed into every issue title.
fn title_template_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("must not be empty".to_owned());
    }
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        let after = &rest[at + 1..];
        let Some(end) = after.find('}') else { return Some("has a `{` without a closing `}`".to_owned()) };
        let name = &after[..end];
        if name != "title" && name != "number" {
            return Some(format!("unknown placeholder `{{{name}}}` (known: {{title}}, {{number}})"));
        }
        rest = &after[end + 1..];
    }
    None
}

/// `store`: a sled path (resolved against the config file's folder), or a
/// `postgres://USER@HOST/DB` URL, which must not carry a password (a config
/// file is read by many and often committed). With a URL, the path stays the
/// default: the folder where `serve` leaves its service file.
fn store_location(diag: &mut Diag<'_>, root: &Section<'_, '_>, base: &Path) -> (PathBuf, Option<String>) {
    let default = || normalize(&base.join(defaults::STORE));
    let Some((text, span)) = root.string(diag, "store") else { return (default(), None) };
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        let path = path_value(diag, root, "store", base).unwrap_or_else(default);
        return (path, None);
    }
    match url::Url::parse(text) {
        Ok(url) if url.password().is_some() => diag.error(
            &span,
            "`store` must not carry a password: set GLEANER_STORE_PASSWORD or `store_password_file`".to_owned(),
        ),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => {
            diag.error(&span, format!("`store` URL {text:?} names no host: expected postgres://USER@HOST/DB"));
        }
        Ok(_) => return (default(), Some(text.to_owned())),
        Err(e) => diag.error(&span, format!("`store` is not a valid URL ({e}): expected postgres://USER@HOST/DB")),
    }
    (default(), None)
}

/// A string naming a path, resolved against the config file's folder.
fn path_value(diag: &mut Diag<'_>, section: &Section<'_, '_>, key: &str, base: &Path) -> Option<PathBuf> {
    let (text, span): (&str, Range<usize>) = section.string(diag, key)?;
    if text.trim().is_empty() {
        diag.error(&span, format!("`{key}` must not be empty"));
        return None;
    }
    Some(normalize(&base.join(text)))
}

/// The default schedule; it is a constant we ship, so it always parses.
pub(super) fn fallback_schedule() -> Schedule {
    Schedule::parse(defaults::SCHEDULE).expect("defaults::SCHEDULE is a valid cron expression")
}

fn default_bind() -> SocketAddr {
    defaults::BIND.parse().expect("defaults::BIND is a valid socket address")
}

fn secs_duration(secs: i64) -> Duration {
    Duration::from_secs(secs.unsigned_abs())
}

fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots_lexically() {
        assert_eq!(normalize(Path::new("/srv/config/../data/x")), PathBuf::from("/srv/data/x"));
        assert_eq!(normalize(Path::new("./a/./b")), PathBuf::from("a/b"));
        assert_eq!(normalize(Path::new("../a")), PathBuf::from("../a"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn title_templates_accept_only_known_placeholders() {
        assert_eq!(title_template_problem("{title} – {number}"), None);
        assert_eq!(title_template_problem("No. {number}"), None);
        assert!(title_template_problem("{title} {numbr}").is_some_and(|p| p.contains("`{numbr}`")));
        assert!(title_template_problem("{title").is_some());
        assert!(title_template_problem("  ").is_some());
    }

    #[test]
    fn shipped_defaults_are_valid() {
        let _ = fallback_schedule();
        let _ = default_bind();
    }
}
