//! Configuration: raw TOML (with spans) in, validated runtime values out.
//!
//! Pure: callers hand in file texts; reading files is `app::load_config`'s job.
//! Every problem is collected as `file:line:col: message`, never just the first.
//!
//! Two steps, as ripgrep does it: `toml::de::DeTable` keeps every key and
//! value with its byte span (`doc`), then `settings` and `sources` walk those
//! tables by hand, so unknown keys, wrong types and bad values are all found
//! in one pass instead of serde's first-error-and-stop. Entry point: [`build`].
//! Must not read files, the environment or the clock.

mod doc;
pub mod edit;
mod notify;
pub mod opml;
mod rules;
mod settings;
mod source_rules;
mod sources;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use self::notify::{DEFAULT_RATE_PER_MINUTE, MailSettings, SecretSource, WebhookTarget};
use crate::model::{Schedule, Source};

/// Defaults, in one place.
pub mod defaults {
    use std::time::Duration;
    pub const USER_AGENT: &str = concat!("Gleaner/", env!("CARGO_PKG_VERSION"), " (+https://example.org/gleaner)");
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    pub const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
    /// Items kept from one feed body, newest first. Real feeds carry tens; a
    /// 10 MB feed of 100,000 tiny items cost 1.2 GiB and 1.1 GB of store per poll.
    pub const MAX_ITEMS_PER_FEED: usize = 1000;
    /// Unreviewed items kept per source (see `FetchSettings::max_items_per_source`).
    pub const MAX_ITEMS_PER_SOURCE: usize = 5000;
    pub const MAX_CONCURRENCY: usize = 16;
    pub const PER_HOST_CONCURRENCY: usize = 2;
    pub const MAX_REDIRECTS: usize = 5;
    pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
    pub const BACKOFF_CAP: Duration = Duration::from_secs(24 * 60 * 60);
    pub const SCHEDULE: &str = "*/30 * * * *";
    pub const SCHEDULE_JITTER: Duration = Duration::from_secs(60);
    pub const BIND: &str = "127.0.0.1:8080";
    /// Open HTTP connections; an editorial team and feed readers behind a
    /// proxy need far fewer, a slowloris far more.
    pub const MAX_CONNECTIONS: usize = 512;
    /// Relative to the settings file, like every path in it.
    pub const STORE: &str = "../data/gleaner.sled";
    pub const OUTPUT_DIR: &str = "../feeds";
    pub const PUBLISH_TITLE: &str = "Gleaner Digest";
    pub const FIRST_NUMBER: u32 = 1;
    /// The highest `first_number` accepted: a billion issues of headroom
    /// below `u32::MAX`, so numbering can never run out in practice (a
    /// `first_number` of 4294967295 once made the second issue reuse the first's number).
    pub const MAX_FIRST_NUMBER: u32 = 1_000_000_000;
    /// `{title}` and `{number}` are replaced; the dash is an en dash, as in "Weekly Digest – 266".
    pub const TITLE_TEMPLATE: &str = "{title} – {number}";
    pub const ITEM_MARKER: &str = "++";
    /// Issues carried by each feed (newest first); the HTML archive lists all.
    pub const FEED_ITEMS: usize = 20;
    /// Relative to the settings file: `config/templates/` for the shipped config.
    pub const TEMPLATES_DIR: &str = "templates";
}

/// How the fetcher behaves; reaches it as a value, never through a global.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Should carry a contact URL, as polite crawlers do.
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Whole request, headers to last body byte.
    pub timeout: Duration,
    /// Cap on the (decompressed) body; over it is an error and nothing is stored.
    pub max_body_bytes: u64,
    /// Items kept from one feed body (the newest); the rest are dropped with a warning.
    pub max_items_per_feed: usize,
    /// Retention: a source's items that no editor touched, beyond this many
    /// (newest kept, and always those in its latest body), are removed.
    pub max_items_per_source: usize,
    /// Requests in flight at once, all hosts together.
    pub max_concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    pub max_redirects: usize,
    /// Let item links point at loopback, private and link-local addresses.
    pub allow_private_networks: bool,
    /// First retry delay after a failure; doubles per consecutive failure.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            user_agent: defaults::USER_AGENT.to_owned(),
            connect_timeout: defaults::CONNECT_TIMEOUT,
            timeout: defaults::TIMEOUT,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_items_per_feed: defaults::MAX_ITEMS_PER_FEED,
            max_items_per_source: defaults::MAX_ITEMS_PER_SOURCE,
            max_concurrency: defaults::MAX_CONCURRENCY,
            per_host_concurrency: defaults::PER_HOST_CONCURRENCY,
            max_redirects: defaults::MAX_REDIRECTS,
            allow_private_networks: false,
            backoff_base: defaults::BACKOFF_BASE,
            backoff_cap: defaults::BACKOFF_CAP,
        }
    }
}

/// Publishing settings (used by the publisher; read and checked here).
#[derive(Debug, Clone)]
pub struct PublishSettings {
    /// The digest's name: feed title, and `{title}` in `title_template`.
    pub title: String,
    /// Number of the first issue; each later one is one more.
    pub first_number: u32,
    pub output_dir: PathBuf,
    /// Public URL of `output_dir`, always ending in `/`; links are absolute with it.
    pub base_url: Option<url::Url>,
    /// When `serve` publishes the next issue on its own; `None`: only `gleaner publish`.
    pub schedule: Option<Schedule>,
    /// Issue title with `{title}` and `{number}` placeholders (validated: no others).
    pub title_template: String,
    /// Section names in issue order; items without a section go in the first.
    pub sections: Vec<String>,
    /// Shown before each item ("++").
    pub item_marker: String,
    /// How many issues (newest first) each feed carries.
    pub feed_items: usize,
    /// Feed description (RSS `description`, Atom `subtitle`); empty: none given.
    pub description: String,
    /// BCP 47 tag for the feeds and `<html lang>`.
    pub language: Option<String>,
    /// `WebSub` hub advertised in the feeds and pinged after each publish.
    pub websub_hub: Option<url::Url>,
    /// Where operator overrides of the digest templates live (may not exist).
    pub templates_dir: PathBuf,
    /// Whether a quote found verbatim on its page before publishing says
    /// "quote checked on DATE" (the templates' `quote_checks` variable).
    pub quote_checks: bool,
    /// Speakers (ids, as `gleaner speakers` lists them) whose quotes in
    /// published issues get feeds of their own, `speakers/{id}.xml`,
    /// `.atom` and `.json` (issue 16.2); empty: none.
    pub speaker_feeds: Vec<String>,
}

impl PublishSettings {
    /// Every default, with paths resolved against `base` (the settings file's folder).
    pub fn defaults(base: &std::path::Path) -> Self {
        Self {
            title: defaults::PUBLISH_TITLE.to_owned(),
            first_number: defaults::FIRST_NUMBER,
            output_dir: doc::normalize(&base.join(defaults::OUTPUT_DIR)),
            base_url: None,
            schedule: None,
            title_template: defaults::TITLE_TEMPLATE.to_owned(),
            sections: Vec::new(),
            item_marker: defaults::ITEM_MARKER.to_owned(),
            quote_checks: true,
            speaker_feeds: Vec::new(),
            feed_items: defaults::FEED_ITEMS,
            description: String::new(),
            language: None,
            websub_hub: None,
            templates_dir: doc::normalize(&base.join(defaults::TEMPLATES_DIR)),
        }
    }

    /// The issue title: `title_template` with `{title}` and `{number}` filled in.
    pub fn issue_title(&self, number: u32) -> String {
        // One pass, so a `{number}` inside the title itself is left alone.
        let mut out = String::with_capacity(self.title_template.len() + self.title.len());
        let mut rest = self.title_template.as_str();
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("{title}") {
                out.push_str(&self.title);
                rest = after;
            } else if let Some(after) = rest.strip_prefix("{number}") {
                out.push_str(&number.to_string());
                rest = after;
            } else {
                out.push('{');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        out
    }
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// Mark the review session cookie `Secure`: set when the UI is reached through an HTTPS proxy.
    pub secure_cookies: bool,
    /// Most HTTP connections open at once (`max_connections`); more wait to be accepted.
    pub max_connections: usize,
}

/// Validated `gleaner.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file these settings came from.
    pub path: PathBuf,
    /// Absolute or relative to the working directory (already resolved against `path`).
    pub store_path: PathBuf,
    /// `store = "postgres://USER@HOST/DB"`: the shared store (no password in it);
    /// `None` for sled at `store_path`.
    pub store_url: Option<String>,
    /// `store_password_file`: the PostgreSQL password, when not in `GLEANER_STORE_PASSWORD`.
    pub store_password_file: Option<PathBuf>,
    /// The store's page cache in MiB (`store_cache_mib`); `None`: the store's default.
    pub store_cache_mib: Option<u64>,
    /// The operators' source list (resolved against `path`), if any.
    pub sources_path: Option<PathBuf>,
    pub fetch: FetchSettings,
    pub default_schedule: Schedule,
    /// Random delay added to each scheduled poll so sources on one schedule spread out.
    pub schedule_jitter: Duration,
    pub publish: PublishSettings,
    pub server: ServerSettings,
    /// `[mail]`: the digest by email; `None` when not configured.
    pub mail: Option<MailSettings>,
    /// `[[webhook]]` targets.
    pub webhooks: Vec<WebhookTarget>,
    /// `[[rule]]` tables: what happens to new items at ingest, in order.
    pub rules: Vec<crate::editorial::rules::Rule>,
}

/// Settings plus every enabled and disabled source.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<Source>,
}

/// A config file's text and where it came from (paths inside resolve against its folder).
#[derive(Debug, Clone)]
pub struct ConfigText {
    /// Should be absolute: relative `file` source URLs are resolved against its folder.
    pub path: PathBuf,
    pub text: String,
}

/// One problem in a config file, at a 1-based line and column (in
/// characters); line 0 for the file as a whole (it could not be read), shown
/// without a position rather than a made-up `:1:1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), Position(*line, *col))]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ConfigError {
    /// A file that could not be read; the position is the top of the file.
    pub fn unreadable(file: PathBuf, reason: &std::io::Error) -> Self {
        let mut message = format!("cannot read {}: {reason}", file.display());
        if reason.kind() == std::io::ErrorKind::NotFound {
            message.push_str(
                " (name the settings file with --config or $GLEANER_CONFIG; \
                 `gleaner --config config/demo.toml demo` runs the offline demo)",
            );
        }
        Self { file, line: 0, col: 0, message }
    }
}

/// `:line:col`, or nothing for line 0 (the whole file).
struct Position(usize, usize);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 { Ok(()) } else { write!(f, ":{}:{}", self.0, self.1) }
    }
}

/// Every problem found, in file order (the main file first), one per line when shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", ShowAll(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// Displays errors one per line (`thiserror` needs a `Display` to delegate to).
struct ShowAll<'a>(&'a [ConfigError]);

impl fmt::Display for ShowAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The source list that `sources = "..."` in the main file names, and where it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcesRef {
    /// Resolved against the main file's folder.
    pub path: PathBuf,
    /// Position of the `sources` value in the main file, for "cannot read" errors.
    pub line: usize,
    pub col: usize,
}

/// Finds `sources = "..."` in the main text so the caller can read that file
/// before calling [`build`]. Lenient: anything wrong is left for `build` to report.
pub fn sources_ref(main: &ConfigText) -> Option<SourcesRef> {
    let diag = doc::Diag::new(&main.path, &main.text);
    let (table, _) = toml::de::DeTable::parse_recoverable(&main.text);
    let value = table.get_ref().get("sources")?;
    let text = value.get_ref().as_str()?;
    let (line, col) = diag.position(value.span().start);
    Some(SourcesRef { path: doc::normalize(&doc::base_dir(&main.path).join(text)), line, col })
}

/// Validates the settings file and, if given, the source list into a [`Config`].
///
/// `[[source]]` tables may sit in either file; ids must be unique across both.
/// Returns every error found, sorted by file (main first), line and column.
pub fn build(main: &ConfigText, sources: Option<&ConfigText>) -> Result<Config, ConfigErrors> {
    let mut seen = sources::SeenIds::new();

    let mut main_diag = doc::Diag::new(&main.path, &main.text);
    let main_doc = main_diag.parse();
    let source_homes: Vec<_> = sources::SOURCE_KEYS.iter().map(|k| (*k, "a [[source]] table")).collect();
    let mut settings = settings::validate(&mut main_diag, main_doc.get_ref(), &source_homes);
    let mut all_sources = sources::validate(&mut main_diag, main_doc.get_ref(), &settings.default_schedule, &mut seen);

    let mut list_errors = Vec::new();
    if let Some(list) = sources {
        let mut diag = doc::Diag::new(&list.path, &list.text);
        let list_doc = diag.parse();
        doc::Section::new(list_doc.get_ref(), "").check_keys(&mut diag, &["source"], &settings_homes());
        all_sources.extend(sources::validate(&mut diag, list_doc.get_ref(), &settings.default_schedule, &mut seen));
        list_errors = sorted(diag.errors);
    }
    // Rules last: a rule's section may be any source's, from either file.
    settings.rules = rules::rules(&mut main_diag, main_doc.get_ref(), &settings, &all_sources);
    let mut errors = sorted(main_diag.errors);
    errors.extend(list_errors);

    if errors.is_empty() { Ok(Config { settings, sources: all_sources }) } else { Err(ConfigErrors(errors)) }
}

/// Settings keys that an operator might put in the source list by mistake.
fn settings_homes() -> Vec<(&'static str, &'static str)> {
    settings::TOP_KEYS.iter().filter(|k| **k != "source").map(|k| (*k, "gleaner.toml")).collect()
}

fn sorted(mut errors: Vec<ConfigError>) -> Vec<ConfigError> {
    errors.sort_by_key(|e| (e.line, e.col));
    errors
}

#[cfg(test)]
mod tests;
