//! Evaluation over public corpora (by path, never bundled): feed conformance.
//!
//! `gleaner eval feeds DIR` walks every file under a corpus folder (feedparser,
//! feed-rs, gofeed, miniflux test data), parses each with [`parse_feed`] inside
//! `catch_unwind` (the panic count must be zero), and counts what parsed. For
//! feedparser's `manifest.jsonl` it also runs the structured checks
//! (`{"path":[...],"op","value"}` over feedparser's result keys) after mapping
//! our model onto feedparser's keys; checks on keys we do not model count as
//! not applicable and are reported apart. A driver: reads files, no clock
//! (a fixed fetch time keeps runs comparable).
//!
//! Main type: [`FeedCorpusReport`] (`Display` for people, `Serialize` for scripts).

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::model::canonicalize;
use crate::parse::{self, ParseError, ParseInput, ParsedFeed, parse_feed};
use crate::sanitize::html_to_text;

/// Samples kept per list in the report; enough to see patterns, short enough to read.
const SAMPLES: usize = 25;

/// Where feedparser's own harness serves its test files from; its expected
/// values resolve relative URLs against this.
const FEEDPARSER_BASE: &str = "http://127.0.0.1:8097/tests/";

/// What a corpus run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedCorpusReport {
    pub dir: String,
    /// Every file under the folder (all of them are parsed for the panic count).
    pub files: usize,
    /// Files that are feeds to read (ground truth, licences and pages excluded).
    pub inputs: usize,
    pub parsed: usize,
    pub failed: usize,
    /// Panics over every file, inputs or not. Must be 0.
    pub panics: usize,
    pub panicked_files: Vec<String>,
    /// Entries read from the inputs that parsed.
    pub items: usize,
    /// Inputs that parsed only after the repair pass.
    pub repaired: usize,
    pub failures_by_kind: BTreeMap<String, usize>,
    pub failure_samples: Vec<FileMessage>,
    /// feedparser's structured checks, when the folder has a `manifest.jsonl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<CheckReport>,
}

/// A file and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct FileMessage {
    pub path: String,
    pub message: String,
}

/// Pass/fail tallies of feedparser's structured checks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub total: usize,
    pub applicable: usize,
    pub passed: usize,
    pub failed: usize,
    /// Checks on keys our model does not carry (feed.subtitle, tags, enclosures ...).
    pub not_applicable: usize,
    /// `passed / applicable`.
    pub pass_rate_applicable: f64,
    /// `passed / total` (not-applicable checks count as not passed).
    pub pass_rate_all: f64,
    pub by_key: BTreeMap<String, KeyTally>,
    /// Every failed check (JSON only; the text report shows tallies).
    pub failed_samples: Vec<CheckFailure>,
}

/// Tallies for one feedparser key (indices folded to `[i]`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyTally {
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
}

/// One failed check, for debugging the parser.
#[derive(Debug, Clone, Serialize)]
pub struct CheckFailure {
    pub path: String,
    pub key: String,
    pub expected: Value,
    pub actual: Value,
}

/// Runs the evaluation over `dir`. Unreadable files count as failures.
pub fn feed_corpus(dir: &Path) -> FeedCorpusReport {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut report = FeedCorpusReport { dir: dir.display().to_string(), files: files.len(), ..Default::default() };
    let fetched_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();

    // Silence the default hook while we provoke panics on purpose; restored below.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for path in &files {
        let relative = path.strip_prefix(dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let Ok(bytes) = std::fs::read(path) else {
            report.failed += 1;
            *report.failures_by_kind.entry("unreadable file".to_owned()).or_default() += 1;
            continue;
        };
        let url = Url::from_file_path(path).ok();
        let input = ParseInput { url: url.as_ref(), content_type: None, fetched_at };
        let outcome = catch_unwind(AssertUnwindSafe(|| parse_feed(&bytes, &input)));
        let Ok(result) = outcome else {
            report.panics += 1;
            report.panicked_files.push(relative);
            continue;
        };
        if !is_input(path, &files) {
            continue;
        }
        report.inputs += 1;
        match result {
            Ok(feed) => {
                report.parsed += 1;
                report.items += feed.items.len();
                if is_bozo(&feed) {
                    report.repaired += 1;
                }
            }
            Err(error) => {
                report.failed += 1;
                *report.failures_by_kind.entry(error_kind(&error).to_owned()).or_default() += 1;
                if report.failure_samples.len() < SAMPLES {
                    report.failure_samples.push(FileMessage { path: relative, message: error.to_string() });
                }
            }
        }
    }
    let manifest = dir.join("manifest.jsonl");
    if manifest.is_file() {
        report.checks = Some(feedparser_checks(dir, &manifest, fetched_at, &mut report));
    }
    std::panic::set_hook(previous_hook);
    report
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// Feeds to read, as opposed to the corpora's ground truth (`X.json` beside
/// `X.xml`, `*_expected.json`, `*.serde.json`), licences, manifests and the
/// HTML pages some corpora carry for their scrapers.
#[allow(clippy::case_sensitive_file_extension_comparisons)] // `name` is lower-cased
fn is_input(path: &Path, all: &[PathBuf]) -> bool {
    // Lower-cased once, so the suffix checks below are case-insensitive.
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    if name.starts_with("license") || name.starts_with("readme") || name == "date_parser_vectors.json" {
        return false;
    }
    if name.ends_with(".serde.json") || name.ends_with("_expected.json") || name.ends_with(".jsonl") {
        return false;
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "json" => !all.iter().any(|other| other != path && other.with_extension("json") == *path),
        "xml" | "rss" | "atom" | "rdf" | "" => true,
        _ => false,
    }
}

/// Whether feedparser would call the feed ill-formed: we only needed repairs.
fn is_bozo(feed: &ParsedFeed) -> bool {
    // Only well-formedness repairs; a missing `version` or `<channel>` is not bozo to feedparser either.
    feed.warnings.iter().any(|w| w.starts_with("repaired") || w.starts_with("closed"))
}

fn error_kind(error: &ParseError) -> &'static str {
    match error {
        ParseError::Empty => "empty",
        ParseError::NotAFeed { looks_like } if looks_like.contains("HTML") => "not a feed (HTML)",
        ParseError::NotAFeed { .. } => "not a feed",
        ParseError::MalformedXml { .. } => "malformed XML",
        ParseError::MalformedJson { .. } => "malformed JSON",
        ParseError::Unsupported { .. } => "unsupported",
    }
}

// ------------------------------------------------------------ feedparser

fn feedparser_checks(
    dir: &Path,
    manifest: &Path,
    fetched_at: DateTime<Utc>,
    report: &mut FeedCorpusReport,
) -> CheckReport {
    let mut checks = CheckReport::default();
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    for line in text.lines() {
        let Ok(case) = serde_json::from_str::<Value>(line) else { continue };
        let Some(list) = case.get("checks").and_then(Value::as_array) else { continue };
        let rel = case.get("path").and_then(Value::as_str).unwrap_or_default();
        let Ok(bytes) = std::fs::read(dir.join(rel)) else { continue };
        let headers = case.get("headers").and_then(Value::as_object);
        let header = |name: &str| {
            headers.and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))).and_then(|(_, v)| v.as_str())
        };
        let doc_url = Url::parse(FEEDPARSER_BASE).and_then(|b| b.join(rel)).ok();
        // Content-Location sets the base URI (RFC 2557), as feedparser's harness simulates.
        let base = match (header("Content-Location"), &doc_url) {
            (Some(location), Some(doc)) => doc.join(location).ok().or_else(|| doc_url.clone()),
            _ => doc_url.clone(),
        };
        let content_type = header("Content-type");
        let input = ParseInput { url: base.as_ref(), content_type, fetched_at };
        let Ok(result) = catch_unwind(AssertUnwindSafe(|| parse_feed(&bytes, &input))) else {
            report.panics += 1;
            report.panicked_files.push(format!("{rel} (with manifest headers)"));
            continue;
        };
        for check in list {
            let path = check.get("path").and_then(Value::as_array).cloned().unwrap_or_default();
            let op = check.get("op").and_then(Value::as_str).unwrap_or("==");
            let expected = check.get("value").cloned().unwrap_or(Value::Null);
            let key = fold_key(&path);
            checks.total += 1;
            let tally = checks.by_key.entry(key.clone()).or_default();
            let Some(actual) = lookup(&result, &bytes, content_type, &path) else {
                checks.not_applicable += 1;
                tally.not_applicable += 1;
                continue;
            };
            checks.applicable += 1;
            if compare(op, &actual, &expected, &path) {
                checks.passed += 1;
                tally.passed += 1;
            } else {
                checks.failed += 1;
                tally.failed += 1;
                checks.failed_samples.push(CheckFailure { path: rel.to_owned(), key, expected, actual });
            }
        }
    }
    #[allow(clippy::cast_precision_loss)] // counts are far below 2^52
    let rate = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    checks.pass_rate_applicable = rate(checks.passed, checks.applicable);
    checks.pass_rate_all = rate(checks.passed, checks.total);
    checks
}

fn fold_key(path: &[Value]) -> String {
    path.iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            _ => "[i]".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Our value for a feedparser key, or `None` when we do not model the key.
/// A key we model on a feed we failed to parse is applicable (and fails).
fn lookup(
    result: &Result<ParsedFeed, ParseError>,
    bytes: &[u8],
    content_type: Option<&str>,
    path: &[Value],
) -> Option<Value> {
    let names: Vec<&str> = path.iter().filter_map(Value::as_str).collect();
    let index = |at: usize| path.get(at).and_then(Value::as_u64).and_then(|i| usize::try_from(i).ok());
    match names.as_slice() {
        ["bozo"] => {
            return Some(Value::Bool(result.as_ref().map_or(true, is_bozo)));
        }
        ["encoding"] => {
            return Some(Value::String(parse::sniff(bytes, content_type).encoding.name().to_lowercase()));
        }
        _ => {}
    }
    // One feedparser key per line reads as the list of what we map.
    #[allow(clippy::unnested_or_patterns)]
    let known = matches!(
        names.as_slice(),
        ["version"]
            | ["feed", "title" | "link" | "language"]
            | ["feed", "title_detail", "value"]
            | [
                "entries",
                "title" | "link" | "id" | "guid" | "description" | "summary" | "author" | "published" | "updated"
            ]
            | ["entries", "title_detail" | "summary_detail", "value"]
            | ["entries", "author_detail", "name"]
            | ["entries", "content", "value"]
            | ["entries", "authors", "name"]
    );
    if !known {
        return None;
    }
    let Ok(feed) = result else { return Some(Value::Null) };
    let opt = |v: Option<&String>| v.map_or(Value::Null, |s| Value::String(s.clone()));
    let value = match names.as_slice() {
        ["version"] => Value::String(feedparser_version(&feed.format).to_owned()),
        ["feed", "title"] | ["feed", "title_detail", "value"] => opt(feed.title.as_ref()),
        ["feed", "link"] => opt(feed.link.as_ref()),
        ["feed", "language"] => opt(feed.language.as_ref()),
        ["entries", rest @ ..] => {
            let Some(item) = index(1).and_then(|i| feed.items.get(i)) else { return Some(Value::Null) };
            match rest {
                ["title"] | ["title_detail", "value"] => Value::String(item.title.clone()),
                ["link"] => opt(item.url.as_ref()),
                ["id" | "guid"] => opt(item.guid.as_ref()),
                ["description" | "summary"] | ["summary_detail", "value"] => {
                    Value::String(if item.summary.is_empty() { item.content.clone() } else { item.summary.clone() })
                }
                ["content", "value"] => Value::String(item.content.clone()),
                ["author"] | ["author_detail", "name"] => opt(item.authors.first()),
                ["authors", "name"] => opt(index(3).and_then(|i| item.authors.get(i))),
                ["published"] => {
                    if item.published_is_fetch_time {
                        Value::Null
                    } else {
                        Value::String(item.published.to_rfc3339())
                    }
                }
                ["updated"] => item.updated.map_or(Value::Null, |u| Value::String(u.to_rfc3339())),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(value)
}

/// feedparser's `version` names for our `format`.
fn feedparser_version(format: &str) -> &'static str {
    match format {
        "rss2.0" => "rss20",
        "rss1.0" => "rss10",
        "rss0.9x" => "rss09x",
        "atom1.0" => "atom10",
        "atom0.3" => "atom03",
        "json1.0" => "json10",
        "json1.1" => "json11",
        _ => "",
    }
}

/// Compares after mapping: URLs through our canonical form, dates through our
/// date parser, HTML without the `rel` we add to every link on purpose.
fn compare(op: &str, actual: &Value, expected: &Value, path: &[Value]) -> bool {
    let key = path.iter().filter_map(Value::as_str).collect::<Vec<_>>();
    let equal = match (actual, expected) {
        (Value::String(ours), Value::String(theirs)) => {
            let ours = ours.trim();
            let theirs = theirs.trim();
            match key.as_slice() {
                ["entries" | "feed", "link"] => canonicalize(theirs, None).as_deref() == Some(ours) || ours == theirs,
                ["entries", "published" | "updated"] => {
                    parse::parse_date(theirs).map(|d| d.to_rfc3339()).as_deref() == Some(ours)
                }
                ["version"] => ours == theirs || (ours == "rss09x" && theirs.starts_with("rss09")),
                ["encoding"] => encoding_rs::Encoding::for_label(theirs.as_bytes())
                    .is_some_and(|e| e.name().eq_ignore_ascii_case(ours)),
                // feedparser keeps titles as (escaped) HTML; ours are plain text.
                ["entries" | "feed", "title"] | ["entries" | "feed", "title_detail", "value"] => {
                    ours == theirs || ours == html_to_text(theirs)
                }
                // Same markup, different serializer: `<br />` vs `<br>`, our added `rel`.
                _ => ours.replace(r#" rel="noopener noreferrer nofollow""#, "") == theirs.replace(" />", ">"),
            }
        }
        // A title that is only markup (`<img>`) is no title in plain text.
        (Value::Null, Value::String(theirs)) => html_to_text(theirs).is_empty(),
        _ => actual == expected,
    };
    match op {
        "!=" => !equal,
        "not contains" => match (actual, expected) {
            (Value::String(ours), Value::String(theirs)) => !ours.contains(theirs.as_str()),
            _ => !equal,
        },
        _ => equal,
    }
}

impl fmt::Display for FeedCorpusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[allow(clippy::cast_precision_loss)]
        let pct = |n: usize, d: usize| if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 };
        writeln!(f, "corpus {}", self.dir)?;
        writeln!(f, "  files {} (all parsed for the panic count), feed inputs {}", self.files, self.inputs)?;
        writeln!(
            f,
            "  parsed {} ({:.1}%), of which repaired {}; failed {}; items {}",
            self.parsed,
            pct(self.parsed, self.inputs),
            self.repaired,
            self.failed,
            self.items
        )?;
        writeln!(f, "  panics {}", self.panics)?;
        for file in &self.panicked_files {
            writeln!(f, "    panicked: {file}")?;
        }
        for (kind, count) in &self.failures_by_kind {
            writeln!(f, "  failed as {kind}: {count}")?;
        }
        for sample in &self.failure_samples {
            writeln!(f, "    {}: {}", sample.path, sample.message)?;
        }
        if let Some(checks) = &self.checks {
            writeln!(
                f,
                "  feedparser checks: {} total, {} applicable, {} not applicable (keys we do not model)",
                checks.total, checks.applicable, checks.not_applicable
            )?;
            writeln!(
                f,
                "  passed {} = {:.1}% of applicable, {:.1}% of all; failed {}",
                checks.passed,
                100.0 * checks.pass_rate_applicable,
                100.0 * checks.pass_rate_all,
                checks.failed
            )?;
            for (key, tally) in checks.by_key.iter().filter(|(_, t)| t.passed + t.failed > 0) {
                writeln!(f, "    {key}: {} passed, {} failed", tally.passed, tally.failed)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_over_a_small_corpus_and_scores_checks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ok = r#"<rss version="2.0"><channel><title>T</title><item><title>A &amp; B</title>
            <link>http://Example.com/a#x</link></item></channel></rss>"#;
        std::fs::write(dir.path().join("ok.xml"), ok).expect("write");
        std::fs::write(dir.path().join("ok.json"), "{}").expect("write ground truth");
        std::fs::write(dir.path().join("bad.xml"), "<html><body>no</body></html>").expect("write");
        let manifest = [
            r#"{"path":"ok.xml","headers":{},"checks":[{"path":["bozo"],"op":"==","value":false},"#,
            r#"{"path":["entries",0,"title"],"op":"==","value":"A & B"},"#,
            r#"{"path":["entries",0,"link"],"op":"==","value":"http://example.com/a#x"},"#,
            r#"{"path":["feed","subtitle"],"op":"==","value":"x"}]}"#,
        ]
        .concat();
        std::fs::write(dir.path().join("manifest.jsonl"), manifest).expect("write");
        let report = feed_corpus(dir.path());
        assert_eq!((report.files, report.inputs, report.parsed, report.failed, report.panics), (4, 2, 1, 1, 0));
        assert!(report.to_string().contains("panics 0"));
        let checks = report.checks.expect("manifest present");
        assert_eq!((checks.total, checks.applicable, checks.passed, checks.not_applicable), (4, 3, 3, 1));
    }
}
