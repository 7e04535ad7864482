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
pub mod opml;
mod settings;
mod sources;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::{Schedule, Source};

/// Defaults, in one place.
pub mod defaults {
    use std::time::Duration;
    pub const USER_AGENT: &str = concat!("Gleaner/", env!("CARGO_PKG_VERSION"), " (+https://example.org/gleaner)");
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    pub const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
    pub const MAX_CONCURRENCY: usize = 16;
    pub const PER_HOST_CONCURRENCY: usize = 2;
    pub const MAX_REDIRECTS: usize = 5;
    pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
    pub const BACKOFF_CAP: Duration = Duration::from_secs(24 * 60 * 60);
    pub const SCHEDULE: &str = "*/30 * * * *";
    pub const SCHEDULE_JITTER: Duration = Duration::from_secs(60);
    pub const BIND: &str = "127.0.0.1:8080";
    /// Relative to the settings file, like every path in it.
    pub const STORE: &str = "../data/gleaner.sled";
    pub const OUTPUT_DIR: &str = "../feeds";
    pub const PUBLISH_TITLE: &str = "Gleaner Digest";
    pub const FIRST_NUMBER: u32 = 1;
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
}

/// Validated `gleaner.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file these settings came from.
    pub path: PathBuf,
    /// Absolute or relative to the working directory (already resolved against `path`).
    pub store_path: PathBuf,
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

/// One problem in a config file, at a 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{col}: {message}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ConfigError {
    /// A file that could not be read; the position is the top of the file.
    pub fn unreadable(file: PathBuf, reason: &std::io::Error) -> Self {
        let message = format!("cannot read {}: {reason}", file.display());
        Self { file, line: 1, col: 1, message }
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
    let settings = settings::validate(&mut main_diag, main_doc.get_ref(), &source_homes);
    let mut all_sources = sources::validate(&mut main_diag, main_doc.get_ref(), &settings.default_schedule, &mut seen);
    let mut errors = sorted(main_diag.errors);

    if let Some(list) = sources {
        let mut diag = doc::Diag::new(&list.path, &list.text);
        let list_doc = diag.parse();
        doc::Section::new(list_doc.get_ref(), "").check_keys(&mut diag, &["source"], &settings_homes());
        all_sources.extend(sources::validate(&mut diag, list_doc.get_ref(), &settings.default_schedule, &mut seen));
        errors.extend(sorted(diag.errors));
    }

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
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::SourceKind;

    fn text(path: &str, text: &str) -> ConfigText {
        ConfigText { path: PathBuf::from(path), text: text.to_owned() }
    }

    fn ok(main: &str, sources: Option<&str>) -> Config {
        let main = text("/srv/gleaner/config/gleaner.toml", main);
        let list = sources.map(|s| text("/srv/gleaner/config/sources.toml", s));
        build(&main, list.as_ref()).unwrap_or_else(|e| panic!("config should be valid:\n{e}"))
    }

    /// Each error as `file-name:line:col: message`.
    fn errors(main: &str, sources: Option<&str>) -> Vec<String> {
        let main = text("/srv/gleaner/config/gleaner.toml", main);
        let list = sources.map(|s| text("/srv/gleaner/config/sources.toml", s));
        let errors = build(&main, list.as_ref()).expect_err("config should be refused");
        errors
            .iter()
            .map(|e| {
                let name = e.file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                format!("{name}:{}:{}: {}", e.line, e.col, e.message)
            })
            .collect()
    }

    fn assert_has(errors: &[String], needle: &str) {
        assert!(errors.iter().any(|e| e.contains(needle)), "no error containing {needle:?} in:\n{}", errors.join("\n"));
    }

    const FEED: &str = "[[source]]\nid = \"a\"\nurl = \"https://example.org/feed\"\n";

    #[test]
    fn empty_settings_take_every_default() {
        let config = ok("", None);
        let s = &config.settings;
        assert_eq!(s.store_path, Path::new("/srv/gleaner/data/gleaner.sled"));
        assert_eq!(s.sources_path, None);
        assert_eq!(s.fetch.user_agent, defaults::USER_AGENT);
        assert_eq!(s.fetch.per_host_concurrency, defaults::PER_HOST_CONCURRENCY);
        assert!(!s.fetch.allow_private_networks);
        assert_eq!(s.default_schedule.as_str(), defaults::SCHEDULE);
        assert_eq!(s.server.bind.to_string(), defaults::BIND);
        assert_eq!(s.publish.output_dir, Path::new("/srv/gleaner/feeds"));
        assert_eq!(s.publish.first_number, defaults::FIRST_NUMBER);
        assert!(config.sources.is_empty());
    }

    #[test]
    fn every_settings_key_is_read() {
        let config = ok(
            r#"
store = "/var/lib/gleaner/store"
sources = "list.toml"
[fetch]
user_agent = "Test/1 (+https://example.org/)"
connect_timeout_secs = 3
timeout_secs = 9
max_body_bytes = 1_000
max_concurrency = 4
per_host_concurrency = 1
max_redirects = 3
allow_private_networks = true
backoff_base_secs = 5
backoff_cap_secs = 50
[schedule]
default = "0 */2 * * *"
jitter_secs = 0
[publish]
title = "Weekly"
first_number = 266
output_dir = "out"
base_url = "https://example.org/digest"
[server]
bind = "0.0.0.0:9000"
"#,
            None,
        );
        let s = config.settings;
        assert_eq!(s.store_path, Path::new("/var/lib/gleaner/store"));
        assert_eq!(s.sources_path.as_deref(), Some(Path::new("/srv/gleaner/config/list.toml")));
        assert_eq!(s.fetch.user_agent, "Test/1 (+https://example.org/)");
        assert_eq!(s.fetch.connect_timeout, Duration::from_secs(3));
        assert_eq!(s.fetch.timeout, Duration::from_secs(9));
        assert_eq!(s.fetch.max_body_bytes, 1000);
        assert_eq!((s.fetch.max_concurrency, s.fetch.per_host_concurrency, s.fetch.max_redirects), (4, 1, 3));
        assert!(s.fetch.allow_private_networks);
        assert_eq!((s.fetch.backoff_base, s.fetch.backoff_cap), (Duration::from_secs(5), Duration::from_secs(50)));
        assert_eq!(s.default_schedule.as_str(), "0 */2 * * *");
        assert_eq!(s.schedule_jitter, Duration::ZERO);
        assert_eq!(s.publish.title, "Weekly");
        assert_eq!(s.publish.first_number, 266);
        assert_eq!(s.publish.output_dir, Path::new("/srv/gleaner/config/out"));
        // A trailing slash is added so issue pages join under it.
        assert_eq!(s.publish.base_url.map(String::from).as_deref(), Some("https://example.org/digest/"));
        assert_eq!(s.server.bind.to_string(), "0.0.0.0:9000");
    }

    #[test]
    fn publish_keys_are_read() {
        let config = ok(
            r#"
[publish]
title = "Iran Interlink Weekly Digest"
first_number = 266
base_url = "https://example.org/digest/"
schedule = "0 9 * * MON"
title_template = "{title} – {number}"
sections = ["Main", "In English"]
item_marker = "++"
feed_items = 5
description = "What the week said"
language = "en"
websub_hub = "https://hub.example.org/"
templates_dir = "my-templates"
"#,
            None,
        );
        let p = config.settings.publish;
        assert_eq!(p.schedule.as_ref().map(Schedule::as_str), Some("0 9 * * MON"));
        assert_eq!(p.sections, ["Main", "In English"]);
        assert_eq!((p.item_marker.as_str(), p.feed_items), ("++", 5));
        assert_eq!((p.description.as_str(), p.language.as_deref()), ("What the week said", Some("en")));
        assert_eq!(p.websub_hub.as_ref().map(url::Url::as_str), Some("https://hub.example.org/"));
        assert_eq!(p.templates_dir, Path::new("/srv/gleaner/config/my-templates"));
        assert_eq!(p.issue_title(266), "Iran Interlink Weekly Digest – 266");
    }

    #[test]
    fn publish_defaults() {
        let p = ok("", None).settings.publish;
        assert!(p.schedule.is_none() && p.sections.is_empty() && p.websub_hub.is_none());
        assert_eq!((p.item_marker.as_str(), p.feed_items), (defaults::ITEM_MARKER, defaults::FEED_ITEMS));
        assert_eq!(p.templates_dir, Path::new("/srv/gleaner/config/templates"));
        assert_eq!(p.issue_title(3), "Gleaner Digest – 3");
    }

    #[test]
    fn bad_publish_keys_are_all_reported() {
        let errors = errors(
            "[publish]\nschedule = \"weekly\"\ntitle_template = \"{title} {nr}\"\nsections = [\"A\", \"A\", \"\"]\n\
             feed_items = 0\nlanguage = \"english\"\nwebsub_hub = \"ftp://hub\"\n",
            None,
        );
        assert_has(&errors, "gleaner.toml:2:12: bad cron schedule \"weekly\"");
        assert_has(&errors, "gleaner.toml:3:18: `publish.title_template` \"{title} {nr}\": unknown placeholder `{nr}`");
        assert_has(&errors, "gleaner.toml:4:18: section \"A\" is listed twice");
        assert_has(&errors, "gleaner.toml:4:23: `publish.sections` entries must not be empty");
        assert_has(&errors, "gleaner.toml:5:14: `publish.feed_items` must be between 1 and 1000");
        assert_has(&errors, "gleaner.toml:6:12: bad language tag \"english\"");
        assert_has(&errors, "gleaner.toml:7:14: `publish.websub_hub` must be http or https");
        assert_has(&errors, "gleaner.toml:7:14: `publish.websub_hub` needs `publish.base_url`");
    }

    #[test]
    fn source_defaults_and_fields() {
        let config = ok(
            "[schedule]\ndefault = \"0 * * * *\"\n",
            Some(
                r#"
[[source]]
id = "plain"
url = "https://example.org/feed"

[[source]]
id = "full_1"
name = "Full One"
url = "http://example.org/news"
kind = "page"
section = "In English"
language = "en-GB"
schedule = "*/15 * * * *"
follow = true
enabled = false
include = ["climate", "COUNCIL"]
exclude = "sponsored"
[source.selectors]
item = "article.story"
title = "h2"
link = "h2 a"
date = "time"
summary = "p.dek"
"#,
            ),
        );
        let [plain, full] = config.sources.as_slice() else { panic!("two sources expected") };
        assert_eq!(
            (plain.name.as_str(), plain.kind, plain.follow, plain.enabled),
            ("plain", SourceKind::Feed, false, true)
        );
        assert_eq!(plain.schedule.as_str(), "0 * * * *");
        assert!(plain.selectors.is_none() && plain.section.is_none() && plain.language.is_none());
        assert_eq!(full.name, "Full One");
        assert_eq!(full.kind, SourceKind::Page);
        assert_eq!(full.section.as_deref(), Some("In English"));
        assert_eq!(full.language.as_deref(), Some("en-GB"));
        assert_eq!(full.schedule.as_str(), "*/15 * * * *");
        assert!(full.follow && !full.enabled);
        let selectors = full.selectors.as_ref().expect("page selectors");
        assert!(selectors.title.is_some() && selectors.link.is_some() && selectors.date.is_some());
        assert!(selectors.summary.is_some());
        // Patterns are case-insensitive.
        assert!(full.filter.accepts(&["City council votes"]));
        assert!(!full.filter.accepts(&["Council: a sponsored post"]));
        assert!(!full.filter.accepts(&["Sports"]));
    }

    #[test]
    fn relative_file_urls_resolve_against_the_config_folder() {
        let config = ok(
            r#"
[[source]]
id = "a"
url = "demo/feeds/rss.xml"
[[source]]
id = "b"
url = "./demo/../demo/feeds/atom.xml"
[[source]]
id = "c"
url = "file:demo/feeds/x.json"
[[source]]
id = "d"
url = "file://demo/feeds/y.rdf"
[[source]]
id = "e"
url = "/abs/feed.xml"
[[source]]
id = "f"
url = "file:///abs/other.xml"
[[source]]
id = "g"
url = "../common/feed with space.xml"
"#,
            None,
        );
        let urls: Vec<&str> = config.sources.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "file:///srv/gleaner/config/demo/feeds/rss.xml",
                "file:///srv/gleaner/config/demo/feeds/atom.xml",
                "file:///srv/gleaner/config/demo/feeds/x.json",
                "file:///srv/gleaner/config/demo/feeds/y.rdf",
                "file:///abs/feed.xml",
                "file:///abs/other.xml",
                "file:///srv/gleaner/common/feed%20with%20space.xml",
            ]
        );
    }

    #[test]
    fn sources_in_both_files_are_merged_main_first() {
        let config = ok(FEED, Some("[[source]]\nid = \"b\"\nurl = \"https://example.org/b\"\n"));
        let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn duplicate_id_across_files_names_the_first() {
        let errors = errors(FEED, Some(&format!("\n{FEED}")));
        assert_eq!(
            errors,
            ["sources.toml:3:6: duplicate source id `a` (first defined at /srv/gleaner/config/gleaner.toml:2:6)"]
        );
    }

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        let errors = errors(
            "[fetch]\nuser_agnet = \"x\"\ncolour = 1\n[[source]]\nid = \"a\"\nurls = \"https://example.org/\"\n",
            None,
        );
        assert_has(&errors, "gleaner.toml:2:1: unknown key `fetch.user_agnet` (did you mean `user_agent`?)");
        assert_has(&errors, "gleaner.toml:3:1: unknown key `fetch.colour` (known keys: user_agent,");
        assert_has(&errors, "gleaner.toml:6:1: unknown key `source.urls` (did you mean `url`?)");
    }

    #[test]
    fn a_key_in_the_wrong_table_says_where_it_belongs() {
        let errors = errors("timeout_secs = 5\n", Some("store = \"x\"\n"));
        assert_eq!(
            errors,
            [
                "gleaner.toml:1:1: unknown key `timeout_secs` here; it belongs in [fetch]",
                "sources.toml:1:1: unknown key `store` here; it belongs in gleaner.toml",
            ]
        );
    }

    #[test]
    fn wrong_types_say_what_was_expected() {
        let errors = errors(
            "store = 3\n[fetch]\ntimeout_secs = \"30\"\nallow_private_networks = \"no\"\n[server]\nbind = 8080\n",
            None,
        );
        assert_eq!(
            errors,
            [
                "gleaner.toml:1:9: `store` must be a string, found integer",
                "gleaner.toml:3:16: `fetch.timeout_secs` must be an integer, found string",
                "gleaner.toml:4:26: `fetch.allow_private_networks` must be a boolean (true or false), found string",
                "gleaner.toml:6:8: `server.bind` must be a string, found integer",
            ]
        );
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let errors = errors(
            "[fetch]\ntimeout_secs = 0\nmax_concurrency = -1\nbackoff_base_secs = 600\nbackoff_cap_secs = 60\n",
            None,
        );
        assert_has(&errors, "2:16: `fetch.timeout_secs` must be between 1 and 86400");
        assert_has(&errors, "3:19: `fetch.max_concurrency` must be between 1 and 10000");
        assert_has(&errors, "4:21: `fetch.backoff_base_secs` must not exceed `fetch.backoff_cap_secs`");
    }

    #[test]
    fn the_store_cache_size_is_read_and_bounded() {
        assert_eq!(ok(&format!("store_cache_mib = 64\n{FEED}"), None).settings.store_cache_mib, Some(64));
        assert_eq!(ok(FEED, None).settings.store_cache_mib, None, "unset: the store's own default");
        let errors = errors("store_cache_mib = 0\n", None);
        assert_eq!(errors, ["gleaner.toml:1:19: `store_cache_mib` must be between 1 and 4096"]);
    }

    #[test]
    fn bad_bind_address() {
        let errors = errors("[server]\nbind = \"localhost:80\"\n", None);
        assert_eq!(errors.len(), 1);
        assert_has(&errors, "2:8: bad bind address \"localhost:80\"");
    }

    #[test]
    fn bad_cron_in_settings_and_source() {
        let errors = errors(
            "[schedule]\ndefault = \"every hour\"\n[[source]]\nid = \"a\"\nurl = \"https://e.org/\"\nschedule = \"0 9 * * 8\"\n",
            None,
        );
        assert_has(&errors, "2:11: bad cron schedule \"every hour\"");
        assert_has(&errors, "6:12: bad cron schedule \"0 9 * * 8\": day of week 8");
    }

    #[test]
    fn five_and_six_field_cron_are_both_accepted() {
        let config = ok(
            "[[source]]\nid = \"a\"\nurl = \"https://e.org/\"\nschedule = \"*/30 * * * *\"\n\
             [[source]]\nid = \"b\"\nurl = \"https://e.org/\"\nschedule = \"0 */30 * * * *\"\n",
            None,
        );
        assert_eq!(config.sources.len(), 2);
    }

    #[test]
    fn urls_with_bad_or_unsupported_schemes() {
        let errors = errors(
            "[[source]]\nid = \"a\"\nurl = \"ftp://example.org/feed\"\n\
             [[source]]\nid = \"b\"\nurl = \"https://\"\n\
             [[source]]\nid = \"c\"\nurl = \"\"\n",
            None,
        );
        assert_has(&errors, "3:7: unsupported URL scheme `ftp`");
        assert_has(&errors, "6:7: bad URL \"https://\": empty host");
        assert_has(&errors, "9:7: `source.url` must not be empty");
    }

    #[test]
    fn missing_id_and_url_point_at_the_table() {
        let errors = errors("[[source]]\nname = \"x\"\n", None);
        assert_eq!(
            errors,
            [
                "gleaner.toml:1:1: source is missing required key `id`",
                "gleaner.toml:1:1: this source is missing required key `url`",
            ]
        );
    }

    #[test]
    fn bad_slugs() {
        for id in ["Upper", "with space", "dot.ted", "", "ünï"] {
            let errors = errors(&format!("[[source]]\nid = \"{id}\"\nurl = \"https://e.org/\"\n"), None);
            assert_has(&errors, "2:6: bad source id");
        }
    }

    #[test]
    fn page_and_selector_rules() {
        let errors = errors(
            r#"[[source]]
id = "page-without"
url = "https://e.org/"
kind = "page"

[[source]]
id = "feed-with"
url = "https://e.org/"
[source.selectors]
item = "li"

[[source]]
id = "no-item"
url = "https://e.org/"
kind = "page"
[source.selectors]
title = "h2"

[[source]]
id = "bad-css"
url = "https://e.org/"
kind = "page"
[source.selectors]
item = "div["
link = "a >"
date = "p..x"
summary = 3
"#,
            None,
        );
        assert_eq!(
            errors,
            [
                "gleaner.toml:4:8: source `page-without` is a page source but has no [source.selectors] table (at least `item` is required)",
                "gleaner.toml:9:9: source `feed-with` has [source.selectors] but is a feed; selectors apply only to kind = \"page\"",
                "gleaner.toml:16:1: source `no-item`: [source.selectors] needs `item`, the selector matching one entry each",
                "gleaner.toml:24:8: bad CSS selector \"div[\" in `source.selectors.item`: it ends too early (an unclosed `[`, `(` or quote?)",
                "gleaner.toml:25:8: bad CSS selector \"a >\" in `source.selectors.link`: it ends with a combinator (`>`, `+`, `~`) that has nothing after it",
                "gleaner.toml:26:8: bad CSS selector \"p..x\" in `source.selectors.date`: a `.` must be followed by a class name",
                "gleaner.toml:27:11: `source.selectors.summary` must be a string, found integer",
            ]
        );
    }

    #[test]
    fn bad_regex_and_kind_and_language() {
        let errors = errors(
            "[[source]]\nid = \"a\"\nurl = \"https://e.org/\"\nkind = \"rss\"\nlanguage = \"english!\"\ninclude = [\"(unclosed\", 3]\n",
            None,
        );
        assert_eq!(
            errors,
            [
                "gleaner.toml:4:8: unknown source kind \"rss\": expected \"feed\" or \"page\"",
                "gleaner.toml:5:12: bad language tag \"english!\": use a BCP 47 tag such as \"en\", \"fa\" or \"fr-CA\"",
                "gleaner.toml:6:12: bad regular expression \"(unclosed\" in `source.include`: unclosed group",
                "gleaner.toml:6:25: `source.include` must be an array of strings, found a integer in it",
            ]
        );
    }

    #[test]
    fn single_source_table_instead_of_array() {
        let errors = errors("[source]\nid = \"a\"\n", None);
        assert_eq!(errors, ["gleaner.toml:1:1: `source` must be an array of tables: write [[source]], not [source]"]);
    }

    #[test]
    fn syntax_errors_are_reported_with_the_rest() {
        let errors = errors("store = \n[fetch]\ntimeout_secs = \"x\"\n", Some("[[source]]\nid = \"a\"\nid = \"b\"\n"));
        assert_has(&errors, "gleaner.toml:1:9: TOML syntax:");
        assert!(!errors.iter().any(|e| e.contains("must not be empty")), "{errors:?}");
        assert_has(&errors, "gleaner.toml:3:16: `fetch.timeout_secs` must be an integer");
        assert_has(&errors, "sources.toml:3:1: TOML syntax: duplicate key");
        // The recovered document may be missing keys: no misleading "missing url".
        assert!(!errors.iter().any(|e| e.contains("missing")), "{errors:?}");
    }

    #[test]
    fn errors_display_one_per_line() {
        let main = text("/c/gleaner.toml", "x = 1\ny = 2\n");
        let errors = build(&main, None).expect_err("refused");
        assert_eq!(
            errors.to_string(),
            "/c/gleaner.toml:1:1: unknown key `x` (known keys: store, store_cache_mib, sources, fetch, schedule, publish, server, source)\n\
             /c/gleaner.toml:2:1: unknown key `y` (known keys: store, store_cache_mib, sources, fetch, schedule, publish, server, source)"
        );
    }

    #[test]
    fn sources_ref_is_resolved_and_located() {
        let main = text("/srv/c/gleaner.toml", "store = \"s\"\nsources   = \"../lists/sources.toml\"\n");
        let found = sources_ref(&main).expect("sources named");
        assert_eq!(found, SourcesRef { path: PathBuf::from("/srv/lists/sources.toml"), line: 2, col: 13 });
        assert_eq!(sources_ref(&text("/c/g.toml", "store = \"s\"\n")), None);
    }

    #[test]
    fn relative_file_url_needs_an_absolute_config_path() {
        let main = text("gleaner.toml", "[[source]]\nid = \"a\"\nurl = \"feed.xml\"\n");
        let errors = build(&main, None).expect_err("refused");
        assert!(errors.to_string().contains("cannot turn \"feed.xml\" into a file URL"), "{errors}");
    }
}
