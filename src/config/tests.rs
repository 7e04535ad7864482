//! Config validation as operators meet it: every error with its `file:line:col`.

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
    assert_eq!(s.server.max_connections, defaults::MAX_CONNECTIONS);
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
fn the_connection_cap_is_read_and_bounded() {
    assert_eq!(ok(&format!("[server]\nmax_connections = 64\n{FEED}"), None).settings.server.max_connections, 64);
    let errors = errors("[server]\nmax_connections = 0\n", None);
    assert_eq!(errors, ["gleaner.toml:2:19: `server.max_connections` must be between 1 and 100000"]);
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
        "/c/gleaner.toml:1:1: unknown key `x` (known keys: store, store_cache_mib, store_password_file, sources, fetch, schedule, publish, server, mail, webhook, rule, source)\n\
             /c/gleaner.toml:2:1: unknown key `y` (known keys: store, store_cache_mib, store_password_file, sources, fetch, schedule, publish, server, mail, webhook, rule, source)"
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

#[test]
fn a_postgres_store_url_is_read_and_a_password_in_it_refused() {
    let config =
        ok("store = \"postgres://gleaner@db.internal:5433/digest\"\nstore_password_file = \"pg.pass\"\n", None);
    let s = &config.settings;
    assert_eq!(s.store_url.as_deref(), Some("postgres://gleaner@db.internal:5433/digest"));
    assert_eq!(s.store_password_file.as_deref(), Some(Path::new("/srv/gleaner/config/pg.pass")));
    assert_eq!(s.store_path, Path::new("/srv/gleaner/data/gleaner.sled"), "the local folder keeps its default");
    assert_eq!(ok("store = \"data/x.sled\"\n", None).settings.store_url, None);

    let refused = errors("store = \"postgres://gleaner:hunter2@db/digest\"\n", None);
    assert_has(&refused, "gleaner.toml:1:9: `store` must not carry a password");
    assert!(refused.iter().all(|e| !e.contains("hunter2")), "the password is not echoed: {refused:?}");
    assert_has(&errors("store = \"postgres:///digest\"\n", None), "names no host");
    assert_has(&errors("store_password_file = \"p\"\n", None), "only for a `postgres://` store");
}

#[test]
fn speaker_feeds_take_speaker_ids_and_name_each_bad_one_at_its_place() {
    let p = ok("[publish]\nspeaker_feeds = [\"ann-mayor\", \"ann-mayor-2\"]\n", None).settings.publish;
    assert_eq!(p.speaker_feeds, ["ann-mayor", "ann-mayor-2"]);
    assert!(ok("", None).settings.publish.speaker_feeds.is_empty());

    let errors = errors("[publish]\nspeaker_feeds = [\"Ann Mayor\", \"../etc\", \"bob\", \"bob\"]\n", None);
    assert_has(
        &errors,
        "gleaner.toml:2:18: `publish.speaker_feeds` entry \"Ann Mayor\" is not a speaker id; did you mean \"ann-mayor\"?",
    );
    assert_has(
        &errors,
        "gleaner.toml:2:31: `publish.speaker_feeds` entry \"../etc\" is not a speaker id; did you mean \"etc\"?",
    );
    assert_has(&errors, "gleaner.toml:2:48: speaker \"bob\" is listed twice in `publish.speaker_feeds`");
}
