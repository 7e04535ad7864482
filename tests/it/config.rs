//! Integration tests: config. The shipped files load, a broken config reports
//! every mistake at its `file:line:col`, and relative paths resolve against
//! the file they are written in.

use std::path::{Path, PathBuf};

use gleaner::app::load_config;
use gleaner::config::ConfigErrors;
use gleaner::model::SourceKind;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/config").join(name)
}

/// Errors as `file-name:line:col: message`, so expectations do not depend on the checkout path.
fn short(errors: &ConfigErrors) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let name = e.file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            format!("{name}:{}:{}: {}", e.line, e.col, e.message)
        })
        .collect()
}

#[test]
fn shipped_gleaner_toml_and_sources_load() {
    let config = load_config(&root().join("config/gleaner.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!config.settings.fetch.allow_private_networks);
    assert_eq!(config.settings.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(config.settings.store_path, root().join("data/gleaner.sled"));
    assert_eq!(config.settings.sources_path, Some(root().join("config/sources.toml")));
    assert!(config.sources.len() >= 3, "the example sources are loaded");
    assert!(config.sources.iter().any(|s| s.kind == SourceKind::Page && s.selectors.is_some()));
}

#[test]
fn shipped_demo_toml_loads_with_six_local_sources() {
    let config = load_config(&root().join("config/demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings.store_path, root().join("data/demo.sled"));
    assert_eq!(config.settings.publish.output_dir, root().join("feeds"));
    assert_eq!(config.settings.sources_path, None);
    assert!(config.sources.len() >= 6);
    for source in &config.sources {
        assert_eq!(source.url.scheme(), "file", "{}", source.id);
        let path = source.url.to_file_path().unwrap_or_else(|()| panic!("{} has a file path", source.id));
        assert!(path.starts_with(root().join("config/demo")), "{}", path.display());
        assert!(path.is_file(), "{} points at a bundled file: {}", source.id, path.display());
    }
    assert!(config.sources.iter().any(|s| s.kind == SourceKind::Page));
    assert!(config.sources.iter().any(|s| s.follow));
}

#[test]
fn demo_persian_feed_is_windows_1256() {
    let bytes = std::fs::read(root().join("config/demo/feeds/shahr-news-1256.xml")).expect("bundled feed");
    assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"windows-1256\"?>"));
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
}

#[test]
fn broken_config_reports_every_mistake_at_its_position() {
    let errors = load_config(&fixture("broken.toml")).expect_err("broken config must be refused");
    assert_eq!(
        short(&errors),
        [
            "broken.toml:4:1: unknown key `verbose` (known keys: store, store_cache_mib, store_password_file, sources, fetch, schedule, publish, server, mail, webhook, rule, source)",
            "broken.toml:7:1: unknown key `fetch.user_agnet` (did you mean `user_agent`?)",
            "broken.toml:8:16: `fetch.timeout_secs` must be an integer, found string",
            "broken.toml:9:24: `fetch.per_host_concurrency` must be between 1 and 10000",
            "broken.toml:12:11: bad cron schedule \"every 5 minutes\": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found 3",
            "broken.toml:15:8: bad bind address \"localhost\": expected IP:PORT such as \"127.0.0.1:8080\" or \"[::1]:8080\"",
            "broken-sources.toml:3:6: bad source id \"Bad Id\": use only lower-case letters a-z, digits, `-` and `_`",
            "broken-sources.toml:4:7: unsupported URL scheme `ftp` in \"ftp://example.org/feed\": use http, https, file or a file path",
            "broken-sources.toml:9:12: bad cron schedule \"0 9 * * 8\": day of week 8 is out of range (0-7, 0 and 7 = Sunday)",
            "broken-sources.toml:12:6: duplicate source id `dup` (first defined at PATH:7:6)",
            "broken-sources.toml:14:8: source `dup` is a page source but has no [source.selectors] table (at least `item` is required)",
            "broken-sources.toml:19:12: bad regular expression \"(oops\" in `source.include`: unclosed group",
            "broken-sources.toml:20:9: source `feed-with-selectors` has [source.selectors] but is a feed; selectors apply only to kind = \"page\"",
            "broken-sources.toml:27:1: unknown key `source.folow` (did you mean `follow`?)",
            "broken-sources.toml:29:8: bad CSS selector \"div[\" in `source.selectors.item`: it ends too early (an unclosed `[`, `(` or quote?)",
            "broken-sources.toml:31:1: source is missing required key `id`",
            "broken-sources.toml:31:1: this source is missing required key `url`",
            "broken-sources.toml:37:10: `source.follow` must be a boolean (true or false), found string",
            "broken-sources.toml:38:11: `source.enabled` must be a boolean (true or false), found integer",
        ]
        .map(|line| line.replace("PATH", &fixture("broken-sources.toml").display().to_string()))
    );
    // Shown one per line, each `path:line:col: message`.
    let shown = errors.to_string();
    assert_eq!(shown.lines().count(), errors.len());
    assert!(shown.starts_with(&format!("{}:4:1: unknown key", fixture("broken.toml").display())));
}

#[test]
fn missing_sources_file_is_reported_where_it_is_named() {
    let errors = load_config(&fixture("missing-sources.toml")).expect_err("must be refused");
    let [error] = short(&errors).try_into().unwrap_or_else(|e| panic!("one error expected: {e:?}"));
    assert!(error.starts_with("missing-sources.toml:3:11: cannot read sources file "), "{error}");
    assert!(error.contains("no-such-file.toml"), "{error}");
}

#[test]
fn missing_main_file_is_named() {
    let errors = load_config(&fixture("does-not-exist.toml")).expect_err("must be refused");
    let text = errors.to_string();
    assert!(text.contains("does-not-exist.toml: cannot read"), "{text}");
    assert!(
        text.contains("--config") && text.contains("GLEANER_CONFIG") && text.contains("config/demo.toml"),
        "{text}"
    );
}

#[test]
fn relative_paths_resolve_against_the_file_they_are_in() {
    let dir = fixture("relative");
    let config = load_config(&dir.join("gleaner.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings.store_path, dir.join("store.sled"));
    let url = |id: &str| {
        let source = config.sources.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("source {id}"));
        source.url.to_file_path().unwrap_or_else(|()| panic!("{id} is a file URL"))
    };
    assert_eq!(url("inline"), dir.join("shared/inline.xml"));
    assert_eq!(url("nearby"), dir.join("lists/feeds/nearby.xml"));
    assert_eq!(url("up-one"), dir.join("common/up-one.xml"));
}

#[test]
fn five_and_six_field_cron_are_both_accepted() {
    let config = load_config(&fixture("relative/gleaner.toml")).unwrap_or_else(|e| panic!("{e}"));
    let schedule = |id: &str| config.sources.iter().find(|s| s.id == id).map(|s| s.schedule.clone());
    let five = schedule("five-field").expect("5-field source");
    let six = schedule("six-field").expect("6-field source");
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-24T10:05:00Z").expect("valid").to_utc();
    assert_eq!(five.next_after(t), six.next_after(t));
    assert_eq!(five.next_after(t).map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-24T10:30:00+00:00"));
}

#[test]
fn config_paths_given_relative_still_give_absolute_file_urls() {
    // `gleaner --config config/demo.toml` from the repository root.
    let relative = Path::new("config/demo.toml");
    if std::env::current_dir().is_ok_and(|d| d == root()) {
        let config = load_config(relative).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.sources.iter().all(|s| s.url.to_file_path().is_ok()));
    }
}
