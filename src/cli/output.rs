//! Everything the CLI prints to standard output: tables, JSON lines, item
//! and article pages. Every line goes through [`write_out`], which turns a
//! closed pipe (`gleaner items | head`) into a quiet stop instead of a panic.

use std::fmt;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};

use super::{CmdResult, Failure};
use crate::ingest::{Outcome, SourceReport};
use crate::model::{Article, Link, Quote};
use crate::parse::ParsedFeed;
use crate::publish::IssueReport;

/// `println!` that stops quietly on a closed pipe: evaluates to `()` or
/// returns the [`Failure`] from the enclosing command.
macro_rules! outln {
    () => {
        $crate::cli::output::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` with the same closed-pipe rule.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_out(format_args!($($arg)*))?
    };
}

/// Writes to standard output; a closed pipe is [`Failure::Closed`].
pub(super) fn write_out(text: fmt::Arguments<'_>) -> CmdResult {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(text) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::Closed),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output").into()),
    }
}

/// One JSON document on one line (the `--json` list contract).
pub(super) fn json_line(value: &impl serde::Serialize) -> CmdResult {
    outln!("{}", serde_json::to_string(value).context("encoding")?);
    Ok(())
}

/// One pretty-printed JSON document.
pub(super) fn json_document(value: &impl serde::Serialize) -> CmdResult {
    outln!("{}", serde_json::to_string_pretty(value).context("encoding")?);
    Ok(())
}

/// A table with the CLI's one style, fitted to the terminal: long cells (a
/// note, an error, a URL) wrap inside their column instead of running past the
/// edge. `COLUMNS` overrides the width (scripts, tests, a pager).
pub(super) fn table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    if let Some(width) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()).filter(|w| *w >= 20) {
        table.set_width(width);
    }
    table
}

pub(super) fn outcome_text(report: &SourceReport) -> String {
    match &report.outcome {
        Outcome::Ok => "ok".to_owned(),
        Outcome::NotModified => "not modified".to_owned(),
        Outcome::Unchanged => "unchanged".to_owned(),
        Outcome::Deferred { until } => format!("deferred until {}", short_time(*until)),
        Outcome::Failed { error } => format!("FAILED: {error}"),
    }
}

pub(super) fn print_poll_table(reports: &[SourceReport]) -> CmdResult {
    let mut table = table(["source", "result", "new", "updated", "excluded", "note"]);
    for report in reports {
        let note =
            report.permanent_redirect.as_ref().map(|to| format!("moved permanently to {to}")).unwrap_or_default();
        table.add_row([
            report.source.clone(),
            outcome_text(report),
            report.new_items.to_string(),
            report.updated_items.to_string(),
            report.excluded_items.to_string(),
            note,
        ]);
    }
    outln!("{table}");
    Ok(())
}

pub(super) fn short_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) fn optional_time(time: Option<DateTime<Utc>>) -> String {
    time.map_or_else(|| "never".to_owned(), short_time)
}

pub(super) fn print_issue_report(report: &IssueReport, dir: &Path) -> CmdResult {
    let verb = match (report.dry_run, report.resumed) {
        (true, false) => "would publish",
        (true, true) => "would complete interrupted",
        (false, false) => "published",
        (false, true) => "completed interrupted",
    };
    let sections: Vec<String> = report
        .sections
        .iter()
        .map(|(name, n)| format!("{} {n}", if name.is_empty() { "main" } else { name }))
        .collect();
    outln!("{verb} issue {} “{}”: {} items ({})", report.number, report.title, report.items, sections.join(", "));
    for file in &report.files {
        outln!("  {}", dir.join(file).display());
    }
    Ok(())
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// `[id] Speaker (cue, via): “text”`, numbered; with `confidence`, each line
/// ends with the attribution's confidence (editors weigh doubtful ones).
pub(super) fn print_quotes(quotes: &[Quote], confidence: bool) -> CmdResult {
    if quotes.is_empty() {
        return Ok(());
    }
    outln!("\nQuotes ({}):", quotes.len());
    for (n, quote) in quotes.iter().enumerate() {
        let speaker = quote.speaker.as_deref().unwrap_or("(unknown speaker)");
        let how: Vec<&str> =
            [quote.cue.as_deref(), quote.via.as_deref().or(quote.outlet.as_deref())].into_iter().flatten().collect();
        let how = if how.is_empty() { String::new() } else { format!(" ({})", how.join(", ")) };
        let sure = if confidence { format!("  [confidence {:.2}]", quote.confidence) } else { String::new() };
        outln!("  {}. [{}] {speaker}{how}: “{}”{sure}", n + 1, quote.id, quote.text);
    }
    Ok(())
}

pub(super) fn print_links(links: &[Link]) -> CmdResult {
    if links.is_empty() {
        return Ok(());
    }
    outln!("\nLinks ({}):", links.len());
    for link in links {
        let scope = if link.external { "external" } else { "internal" };
        let text = if link.text.is_empty() { String::new() } else { format!("  “{}”", truncate(&link.text, 60)) };
        outln!("  {} ({scope}){text}", link.url);
    }
    Ok(())
}

pub(super) fn print_feed(feed: &ParsedFeed) -> CmdResult {
    outln!("{} ({}, {} items)", feed.title.as_deref().unwrap_or("(untitled)"), feed.format, feed.items.len());
    for item in &feed.items {
        outln!("  {}  {}", short_time(item.published), item.title);
        if let Some(url) = &item.url {
            outln!("      {url}");
        }
    }
    for warning in &feed.warnings {
        outln!("  warning: {warning}");
    }
    Ok(())
}

pub(super) fn print_article(article: &Article) -> CmdResult {
    outln!("{}", article.title.as_deref().unwrap_or("(untitled)"));
    let url = article.canonical_url.as_deref().or(article.url.as_deref());
    for (label, value) in [
        ("url", url),
        ("byline", article.byline.as_deref()),
        ("outlet", article.outlet.as_deref()),
        ("language", article.language.as_deref()),
    ] {
        if let Some(value) = value {
            outln!("  {label:<10}{value}");
        }
    }
    if let Some(published) = article.published {
        outln!("  {:<10}{}", "published", short_time(published));
    }
    for note in &article.notes {
        outln!("  note:     {note}");
    }
    let words = article.text.split_whitespace().count();
    outln!("\n{} ({words} words)", truncate(&article.text.replace("\n\n", " ¶ "), 600));
    print_quotes(&article.quotes, false)?;
    print_links(&article.links)?;
    Ok(())
}

pub(super) fn print_report<R: serde::Serialize + std::fmt::Display>(report: &R, json: bool) -> CmdResult {
    if json {
        json_document(report)?;
    } else {
        outln!("{report}");
    }
    Ok(())
}
