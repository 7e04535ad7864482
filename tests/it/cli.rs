//! Integration tests: the `gleaner` binary as operators and scripts use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::ingest::{rss, source, write_config};
use crate::support::http::{Reply, TestServer};
use crate::support::killed_fetch::{ITEMS_PER_FEED, KilledFetch};
use crate::support::{gleaner, terminate};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn project_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn check_reports_every_error_with_file_line_col_and_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = "[[source]]\nid = \"a\"\nurl = \"http://example.org/a\"\nschedul = \"* * * * *\"\n\n\
                   [[source]]\nid = \"a\"\nurl = \"http://example.org/b\"\nschedule = \"99 * * * *\"\n";
    let config = write_config(dir.path(), sources);
    let output = gleaner(&config, &["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let errors = stderr(&output);
    let located: Vec<_> = errors.lines().filter(|l| l.contains("gleaner.toml:")).collect();
    assert!(located.len() >= 3, "unknown key, duplicate id and bad cron all reported:\n{errors}");
    assert!(errors.contains("schedul"), "{errors}");
    assert!(errors.contains("99 * * * *"), "{errors}");
    // file:line:col: the unknown key `schedul` sits on line 11, column 1 of the generated file.
    assert!(errors.lines().any(|l| l.contains("gleaner.toml:11:1:")), "{errors}");
}

#[test]
fn check_accepts_the_shipped_configs() {
    for config in ["config/gleaner.toml", "config/demo.toml"] {
        let output = gleaner(&project_file(config), &["check"]);
        assert!(output.status.success(), "{config}: {}", stderr(&output));
        assert!(stdout(&output).contains("ok"), "{config}: {}", stdout(&output));
    }
}

#[test]
fn fetch_prints_a_summary_and_exits_1_when_a_source_failed() {
    let server = TestServer::start(|req| match req.path() {
        "/good" => Reply::ok(rss(&[("a", "Alpha", "http://example.org/a"), ("b", "Beta", "http://example.org/b")])),
        _ => Reply::new(503).header("Retry-After", "3600"),
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        dir.path(),
        &(source("good", server.url("/good").as_str()) + &source("down", server.url("/down").as_str())),
    );
    let output = gleaner(&config, &["fetch"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("good") && table.contains("ok"), "{table}");
    assert!(table.contains("down") && table.contains("FAILED") && table.contains("503"), "{table}");
    assert!(table.contains("2 new items"), "{table}");

    let output = gleaner(&config, &["sources", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let down = rows.iter().find(|r| r["id"] == "down").expect("down listed");
    assert_eq!(down["consecutive_failures"], 1);
    assert!(down["last_error"].as_str().is_some_and(|e| e.contains("503")), "{down}");
    assert!(down["next_due"].is_string());

    let output = gleaner(&config, &["fetch", "--source", "good"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("unchanged"), "{}", stdout(&output));

    let output = gleaner(&config, &["fetch", "--source", "nope"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn items_and_show_json_carry_the_contract_fields() {
    let server = TestServer::start(|_| Reply::ok(rss(&[("a", "Alpha", "http://example.org/a")])));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &source("feed", server.url("/feed").as_str()));
    assert!(gleaner(&config, &["fetch"]).status.success());

    let output = gleaner(&config, &["items", "--json", "--state", "new"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 1);
    for field in ["id", "source", "url", "title", "state", "published"] {
        assert!(lines[0].get(field).is_some(), "missing {field}: {}", lines[0]);
    }
    assert_eq!(lines[0]["state"], "new");
    assert_eq!(lines[0]["source"], "feed");

    let id = lines[0]["id"].as_str().expect("id string");
    let output = gleaner(&config, &["show", id, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let item: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(item["title"], "Alpha");

    let output = gleaner(&config, &["items", "--state", "bogus"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn parse_json_follows_the_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, rss(&[("a", "Alpha", "http://Example.org/a?utm_medium=x")])).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .args(["parse", "--json"])
        .arg(&feed)
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    for field in ["format", "title", "link", "language", "items"] {
        assert!(parsed.get(field).is_some(), "missing {field}");
    }
    let item = &parsed["items"][0];
    for field in ["guid", "url", "title", "authors", "published", "updated", "summary", "content"] {
        assert!(item.get(field).is_some(), "missing item.{field}");
    }
    assert_eq!(item["url"], "http://example.org/a");
    assert_eq!(item["published"], "2026-11-24T09:00:00Z");
}

#[test]
fn preview_applies_filters_and_stores_nothing() {
    let server = TestServer::start(|_| {
        Reply::ok(rss(&[("a", "Keep me", "http://example.org/a"), ("b", "Drop me", "http://example.org/b")]))
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &(source("feed", server.url("/feed").as_str()) + "exclude = [\"drop\"]\n"));
    let output = gleaner(&config, &["preview", "feed", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let preview: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let titles: Vec<_> = preview["items"].as_array().expect("items").iter().map(|i| i["title"].clone()).collect();
    assert_eq!(titles, ["Keep me"]);
    assert_eq!(preview["excluded"], serde_json::json!(["Drop me"]));
    let output = gleaner(&config, &["items", "--json"]);
    assert_eq!(stdout(&output).trim(), "", "preview stores nothing");
}

#[test]
fn offline_demo_ingests_every_bundled_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&project_file("config"), &dir.path().join("config"));
    let config = dir.path().join("config/demo.toml");
    let output = gleaner(&config, &["fetch", "--json"]);
    assert!(output.status.success(), "{}\n{}", stdout(&output), stderr(&output));
    let reports: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert!(reports.len() >= 6, "at least six demo sources");
    assert!(reports.iter().all(|r| r["status"] == "ok" && r["new_items"].as_u64() > Some(0)), "{reports:#?}");

    let output = gleaner(&config, &["items", "--json"]);
    let items: Vec<serde_json::Value> =
        stdout(&output).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let persian = items
        .iter()
        .any(|i| i["title"].as_str().is_some_and(|t| t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))));
    assert!(persian, "the windows-1256 feed decodes to Persian text");

    let again = gleaner(&config, &["fetch", "--json"]);
    let reports: Vec<serde_json::Value> =
        stdout(&again).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert!(reports.iter().all(|r| r["new_items"] == 0), "second demo run stores nothing new: {reports:#?}");
}

#[test]
fn killed_mid_ingest_leaves_a_store_that_reopens_and_a_rerun_completes() {
    const SOURCES: usize = 24;
    let killed = KilledFetch::run(SOURCES, "Story");
    let config = &killed.config;

    let partial = gleaner(config, &["items", "--json"]);
    assert!(partial.status.success(), "the store reopens after a kill: {}", stderr(&partial));
    assert!(stdout(&partial).lines().count() < SOURCES * ITEMS_PER_FEED, "the kill came before the poll finished");

    killed.speed_up();
    let rerun = gleaner(config, &["fetch"]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    let output = gleaner(config, &["items", "--json"]);
    let mut urls: Vec<String> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["url"].as_str().expect("url").to_owned())
        .collect();
    assert_eq!(urls.len(), SOURCES * ITEMS_PER_FEED, "nothing lost");
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), SOURCES * ITEMS_PER_FEED, "nothing duplicated");
}

#[test]
fn extract_json_prints_the_contract_fields() {
    let page = project_file("tests/fixtures/follow/council-vote.html");
    let output =
        Command::new(env!("CARGO_BIN_EXE_gleaner")).arg("extract").arg(&page).arg("--json").output().expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let article: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    for field in ["url", "title", "byline", "published", "language", "text", "quotes", "links"] {
        assert!(article.get(field).is_some(), "missing {field}: {article}");
    }
    assert_eq!(article["title"], "Council approves the river bridge");
    assert_eq!(article["byline"], "Sam Writer");
    assert!(article["text"].as_str().is_some_and(|t| t.contains("pedestrian bridge")));
    let quotes = article["quotes"].as_array().expect("quotes array");
    assert!(!quotes.is_empty());
    for quote in quotes {
        for field in ["text", "speaker", "cue", "outlet", "kind"] {
            assert!(quote.get(field).is_some(), "missing quote.{field}: {quote}");
        }
    }
    assert!(quotes.iter().any(|q| q["speaker"] == "Jane Doe" && q["cue"] == "said"), "{quotes:#?}");
    let links = article["links"].as_array().expect("links array");
    assert!(!links.is_empty());
    for link in links {
        for field in ["url", "text", "context", "external"] {
            assert!(link.get(field).is_some(), "missing link.{field}: {link}");
        }
    }

    let human = Command::new(env!("CARGO_BIN_EXE_gleaner")).arg("extract").arg(&page).output().expect("run");
    assert!(human.status.success(), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(text.contains("Council approves the river bridge") && text.contains("Jane Doe (said"), "{text}");
}

#[test]
fn show_lists_an_items_quotes_and_links() {
    let page = std::fs::read_to_string(project_file("tests/fixtures/follow/council-vote.html")).expect("fixture");
    let server = TestServer::start(move |req| match req.path() {
        "/feed" => {
            let host = req.header("host").expect("Host");
            Reply::ok(rss(&[("1", "Bridge vote", &format!("http://{host}/a/1"))]))
        }
        _ => Reply::ok(page.clone()).header("Content-Type", "text/html"),
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &(source("ledger", server.url("/feed").as_str()) + "follow = true\n"));
    let fetched = gleaner(&config, &["fetch", "--json"]);
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    let report: serde_json::Value = serde_json::from_str(stdout(&fetched).trim()).expect("one JSON line");
    assert_eq!(report["articles_fetched"], 1, "{report}");
    assert_eq!(report["articles_failed"], 0, "{report}");

    let listed = gleaner(&config, &["items", "--json"]);
    let line: serde_json::Value = serde_json::from_str(stdout(&listed).trim()).expect("one item");
    let id = line["id"].as_str().expect("id");
    let output = gleaner(&config, &["show", id, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let item: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(item["title"], "Bridge vote");
    let quotes = item["quotes"].as_array().expect("quotes array");
    assert!(quotes.iter().any(|q| q["speaker"] == "Jane Doe" && q["id"].is_string()), "{item:#}");
    assert!(item["links"].as_array().is_some_and(|l| !l.is_empty()), "{item:#}");

    let output = gleaner(&config, &["show", id]);
    let text = stdout(&output);
    assert!(text.contains("Quotes (") && text.contains("Jane Doe (said") && text.contains("confidence"), "{text}");
    assert!(text.contains("Links (") && text.contains("budget.example.org"), "{text}");
}

/// Issue 11.13: `gleaner items | head -1` used to panic ("failed printing to
/// stdout: Broken pipe", exit 101). Reading one line and closing the pipe
/// must end the command quietly.
#[test]
fn a_closed_stdout_pipe_ends_a_command_quietly() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&project_file("config"), &dir.path().join("config"));
    let config = dir.path().join("config/demo.toml");
    assert!(gleaner(&config, &["fetch"]).status.success(), "the demo sources poll");
    for args in [&["items"][..], &["items", "--json"], &["sources"], &["export"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run gleaner");
        // Close our end at once: every write the command makes meets a closed pipe.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("finished");
        let errors = stderr(&output);
        assert!(!errors.contains("panicked") && !errors.contains("Broken pipe"), "{args:?}: {errors}");
        assert_ne!(output.status.code(), Some(101), "{args:?} panicked: {errors}");
        assert!(output.status.success(), "{args:?}: {:?} {errors}", output.status);
    }
}

/// Issue 11.12: `gleaner demo` on an operator's config polled real sources
/// and created the public demo login in the real store. It refuses (exit 2,
/// naming config/demo.toml) unless every source is a bundled file.
#[test]
fn demo_refuses_a_config_with_remote_sources_and_touches_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), &source("remote", "http://127.0.0.1:9/feed.xml"));
    let output = gleaner(&config, &["demo"]);
    assert_eq!(output.status.code(), Some(2), "{}\n{}", stdout(&output), stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("config/demo.toml") && errors.contains("remote"), "{errors}");
    assert!(!stdout(&output).contains("Polling"), "nothing ran: {}", stdout(&output));
    let items = gleaner(&config, &["items", "--json"]);
    assert!(stdout(&items).trim().is_empty(), "no item stored: {}", stdout(&items));
}

/// Issue 11.12, the store half: the bundled config on a store that has a
/// user the demo did not make is refused too.
#[test]
fn demo_refuses_a_store_with_someone_elses_users() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&project_file("config"), &dir.path().join("config"));
    let config = dir.path().join("config/demo.toml");
    let mut add = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .args(["user", "add", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run gleaner");
    std::io::Write::write_all(add.stdin.as_mut().expect("stdin"), b"a long enough password\n").expect("password");
    assert!(add.wait().expect("user add").success());
    let output = gleaner(&config, &["demo"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("alice"), "{}", stderr(&output));
}

/// Issue 11.9: SIGTERM during a poll stops `serve` within the 10 s that
/// Docker and systemd allow: in-flight work drains up to its deadline and
/// whatever blocking work remains is abandoned, not waited for.
#[test]
fn serve_stops_within_ten_seconds_of_sigterm_during_a_poll() {
    let server =
        TestServer::start(|_| Reply::ok(rss(&[("a", "Alpha", "http://example.org/a")])).delay(Duration::from_secs(4)));
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let sources = format!("[server]\nbind = \"127.0.0.1:{port}\"\n\n{}", source("slow", server.url("/feed").as_str()));
    let config = write_config(dir.path(), &sources);
    let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let up = Instant::now();
    while server.hits() == 0 && up.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.hits() > 0, "the poll started");
    let (status, took) = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "stopped {took:?} after SIGTERM");
}

/// Issue 18: result tables fit the terminal; a long error wraps inside its
/// column instead of running past the edge (`COLUMNS` sets the width).
#[test]
fn sources_table_fits_the_terminal_width() {
    let server = TestServer::start(|_| Reply::new(500).body("x".repeat(10)));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        dir.path(),
        &source("broken-with-a-long-name", server.url("/a/rather/long/path/to/a/feed.xml").as_str()),
    );
    let _ = gleaner(&config, &["fetch"]);
    let output = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .arg("sources")
        .env("COLUMNS", "72")
        .output()
        .expect("run gleaner");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("500"), "the error is shown: {text}");
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 72, "every line within 72 columns (widest {widest}):\n{text}");
}

/// Issue 18: `fetch` on a terminal counts article pages in its bar, and a
/// WARN logged while the bar is drawn goes above it on a line of its own
/// (written straight to stderr, it landed glued to the end of the bar's line).
/// Run in a pseudo-terminal (`script` from util-linux) so the bar is shown.
#[test]
fn fetch_bar_counts_articles_and_prints_warnings_above_itself() {
    let server = TestServer::start(|request| {
        match request.path() {
        "/feed.xml" => {
            let host = request.header("host").expect("HTTP/1.1 requests carry Host");
            let links: Vec<String> = (1..=4).map(|n| format!("http://{host}/a/{n}")).collect();
            Reply::ok(rss(&[
                ("a", "Alpha", &links[0]),
                ("b", "Beta", &links[1]),
                ("c", "Gamma", &links[2]),
                ("d", "Delta", &links[3]),
            ]))
            .header("Content-Type", "application/rss+xml")
        }
        path if path.starts_with("/a/") => Reply::ok(
            "<html><head><title>Story</title></head><body><article><p>The council met on Tuesday. \
             “We will not raise taxes,” said the mayor, after weeks of debate about the budget.</p></article></body></html>",
        )
        .header("Content-Type", "text/html; charset=utf-8")
        .delay(Duration::from_millis(400)),
        // Fails while the articles above are still being fetched: its WARN comes mid-bar.
        _ => Reply::new(404).delay(Duration::from_millis(700)),
    }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sources = source("news", server.url("/feed.xml").as_str());
    sources.push_str("follow = true\n\n");
    sources.push_str(&source("broken", server.url("/gone.xml").as_str()));
    let config = write_config(dir.path(), &sources);
    let command = format!("{} --config {} fetch", env!("CARGO_BIN_EXE_gleaner"), config.display());
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "120")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let screen = strip_ansi(&String::from_utf8_lossy(&output.stdout));
    // What the terminal showed, line by line: a carriage return starts a redraw of the same line.
    let lines: Vec<&str> = screen.split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()).collect();
    let warnings: Vec<&&str> = lines.iter().filter(|l| l.contains("WARN")).collect();
    assert!(!warnings.is_empty(), "the failed source is logged: {screen}");
    for line in &warnings {
        assert!(!line.contains("sources,"), "a log line glued to the bar: {line:?}");
    }
    let counted = lines.iter().any(|l| {
        l.split_once("sources, ")
            .and_then(|(_, rest)| rest.split(' ').next()?.parse::<usize>().ok())
            .is_some_and(|n| n > 0)
    });
    assert!(counted, "the bar counted article fetches: {screen}");
    assert!(screen.contains("news"), "the summary table follows: {screen}");
}

/// The terminal's text without escape sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn eval_of_a_missing_corpus_folder_is_an_error_not_an_empty_score() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-corpus");
    let config = dir.path().join("unused.toml");
    for what in ["wcxb", "articles"] {
        let out = gleaner(&config, &["eval", what, missing.to_str().expect("utf-8 path"), "--json"]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains("no-such-corpus"), "{what}: the error names the folder: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{what}: no score printed: {}", stdout(&out));
    }
}
