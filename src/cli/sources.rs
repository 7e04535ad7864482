//! `gleaner check`, `fetch`, `sources`, `preview`, `parse`, `extract` and
//! `opml import|export`: the source list, polling it, and looking at one
//! document without storing anything.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use std::path::PathBuf;

use super::backend::Backend;
use super::output::{json_document, json_line, optional_time, print_article, print_feed, print_poll_table, table};
use super::progress::PollProgress;
use super::{CmdResult, Failure, load, runtime};
use crate::app::{self, App};
use crate::config::{Config, FetchSettings};
use crate::ingest::{self, Urgency};
use crate::model::Source;
use crate::parse::{self, ParseInput, ParsedFeed};

pub(super) fn check(path: &Path) -> CmdResult {
    let config = load(path)?;
    // Templates are checked here, not at publish time (they are files the
    // config names). Not through `App`: `check` must work while `serve` holds the store.
    if let Err(errors) = crate::publish::load_templates(&config.settings.publish) {
        for error in &errors {
            eprintln!("{error}");
        }
        return Err(Failure::Usage);
    }
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    outln!("{}: ok ({} sources, {enabled} enabled)", path.display(), config.sources.len());
    Ok(())
}

pub(super) fn select_sources(config: &Config, ids: &[String]) -> Result<Vec<Source>, Failure> {
    if ids.is_empty() {
        return Ok(config.sources.iter().filter(|s| s.enabled).cloned().collect());
    }
    let mut chosen = Vec::new();
    for id in ids {
        let Some(source) = config.sources.iter().find(|s| &s.id == id) else {
            eprintln!("unknown source {id:?} (see `gleaner sources`)");
            return Err(Failure::Usage);
        };
        chosen.push(source.clone());
    }
    Ok(chosen)
}

pub(super) fn fetch(backend: &Backend, ids: &[String], json: bool) -> CmdResult {
    let sources = select_sources(backend.config(), ids)?;
    let report = match backend {
        Backend::Local(app) => poll_here(app, &sources, json)?,
        Backend::Remote { remote, .. } => super::backend::poll_through_service(remote, &sources)?,
    };
    print_poll(&report, json)
}

/// `fetch` on the store itself, for `demo`, which holds its own store.
pub(super) fn fetch_here(app: &App, json: bool) -> CmdResult {
    let sources = select_sources(&app.config, &[])?;
    print_poll(&poll_here(app, &sources, json)?, json)
}

fn print_poll(report: &crate::ingest::PollReport, json: bool) -> CmdResult {
    if json {
        for source in &report.sources {
            json_line(source)?;
        }
    } else {
        print_poll_table(&report.sources)?;
        outln!(
            "{} sources: {} new items, {} updated, {} failed",
            report.sources.len(),
            report.new_items(),
            report.updated_items(),
            report.sources.iter().filter(|r| r.failed()).count()
        );
    }
    if report.any_failed() { Err(Failure::Partial) } else { Ok(()) }
}

pub(super) fn sources(backend: &Backend, json: bool) -> CmdResult {
    let rows = backend.sources()?;
    if json {
        for row in &rows {
            json_line(row)?;
        }
        return Ok(());
    }
    let mut table = table(["source", "schedule", "last success", "failures", "next due", "last error"]);
    for row in &rows {
        let mut error = row.last_error.clone().unwrap_or_default();
        if let Some(to) = &row.permanent_redirect {
            error = format!("moved permanently to {to}; update the URL. {error}");
        }
        let name = if row.enabled { row.id.clone() } else { format!("{} (disabled)", row.id) };
        table.add_row([
            name,
            row.schedule.clone(),
            optional_time(row.last_success),
            row.consecutive_failures.to_string(),
            optional_time(row.next_due),
            error.trim().to_owned(),
        ]);
    }
    outln!("{table}");
    Ok(())
}

#[derive(Debug, Subcommand)]
pub(super) enum SourcesCommand {
    /// Set `enabled = true` in the source's `[[source]]` table (a running serve reloads it).
    Enable { id: String },
    /// Set `enabled = false`: the source is kept but no longer polled.
    Disable { id: String },
}

/// `sources enable|disable ID`: an edit of the config file, not of the
/// store, so it is the same whether or not `serve` runs (its live reload
/// applies it).
pub(super) fn set_enabled(config: &Config, what: &SourcesCommand) -> CmdResult {
    let (id, enabled) = match what {
        SourcesCommand::Enable { id } => (id, true),
        SourcesCommand::Disable { id } => (id, false),
    };
    match app::set_source_enabled(config, id, enabled) {
        Ok(file) => {
            outln!("source {id} {} in {}", if enabled { "enabled" } else { "disabled" }, file.display());
            Ok(())
        }
        Err(error @ app::SourceEditError::Io { .. }) => Err(anyhow::Error::new(error).into()),
        Err(error) => {
            eprintln!("error: {error}");
            Err(Failure::Usage)
        }
    }
}

/// One poll of `sources` by this process, with a progress bar on a terminal.
fn poll_here(app: &App, sources: &[Source], json: bool) -> Result<crate::ingest::PollReport, Failure> {
    let ingest = &app.ingest;
    let progress = PollProgress::new(sources.len(), std::io::stderr().is_terminal() && !json);
    let articles_before = ingest.article_fetches_finished();
    let report = runtime()?.block_on(async {
        let poll = ingest.poll_many(sources, Utc::now(), Urgency::Now, |report| progress.source_done(&report.source));
        tokio::pin!(poll);
        // Article fetches finish inside a source's poll: count them as they go.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tokio::select! {
                report = &mut poll => break report,
                _ = tick.tick() => progress.set_articles(ingest.article_fetches_finished().saturating_sub(articles_before)),
            }
        }
    });
    drop(progress);
    let changed: Vec<_> = report.sources.iter().flat_map(|s| s.changed.iter().cloned()).collect();
    app.editorial.assign_stories(&changed).context("assigning stories")?;
    app.flush().context("cannot flush the store")?;
    Ok(report)
}

/// `preview --json`: the parse contract plus what the filters dropped.
#[derive(serde::Serialize)]
pub(super) struct PreviewOutput {
    source: String,
    #[serde(flatten)]
    feed: ParsedFeed,
    excluded: Vec<String>,
}

pub(super) fn preview(config: &Config, id: &str, json: bool) -> CmdResult {
    let source = select_sources(config, std::slice::from_ref(&id.to_owned()))?.remove(0);
    let now = Utc::now();
    let body = runtime()?
        .block_on(app::fetch_one(&config.settings.fetch, &source.url))
        .with_context(|| format!("source {}", source.id))?;
    let mut feed = ingest::parse_source_body(&source, &body, now).with_context(|| format!("source {}", source.id))?;
    let normalized = parse::normalize(&feed, &source, now);
    let kept: std::collections::HashSet<_> = normalized.items.iter().map(|i| i.identity_key().to_owned()).collect();
    feed.items.retain(|item| item.guid.as_ref().or(item.url.as_ref()).is_none_or(|key| kept.contains(key.as_str())));
    if json {
        let output = PreviewOutput { source: source.id.clone(), feed, excluded: normalized.excluded };
        json_document(&output)?;
    } else {
        print_feed(&feed)?;
        for title in &normalized.excluded {
            outln!("  excluded by filters: {title}");
        }
    }
    Ok(())
}

pub(super) fn parse_command(config_path: &Path, target: &str, json: bool) -> CmdResult {
    let now = Utc::now();
    let (bytes, url, content_type) = read_target(config_path, target)?;
    let input = ParseInput { url: url.as_ref(), content_type: content_type.as_deref(), fetched_at: now };
    let feed = parse::parse_feed(&bytes, &input).with_context(|| target.to_owned())?;
    if json {
        json_document(&feed)?;
    } else {
        print_feed(&feed)?;
    }
    Ok(())
}

/// A page or feed named on the command line: bytes, URL, Content-Type.
pub(super) type Target = (Vec<u8>, Option<url::Url>, Option<String>);

/// A target's bytes, its URL (a `file://` URL for a path) and Content-Type.
///
/// A URL is fetched as a source would be (`Purpose::Source`): the operator
/// typed it. No config is needed, but its fetch settings apply when it loads.
pub(super) fn read_target(config_path: &Path, target: &str) -> Result<Target, Failure> {
    Ok(if target.starts_with("http://") || target.starts_with("https://") {
        let url = url::Url::parse(target).with_context(|| format!("bad URL {target}"))?;
        // `parse` needs no config, but honours the settings' fetch options when there are some.
        let settings = app::load_config(config_path).map_or_else(|_| FetchSettings::default(), |c| c.settings.fetch);
        let body = runtime()?.block_on(app::fetch_one(&settings, &url)).map_err(anyhow::Error::new)?;
        (body.bytes, Some(body.final_url), body.content_type)
    } else {
        let path = Path::new(target);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        (bytes, url::Url::from_file_path(absolute).ok(), None)
    })
}

/// A command-line target as a URL: http(s) as given, a path as `file://`.
fn target_url(target: &str) -> Result<url::Url, Failure> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(url::Url::parse(target).with_context(|| format!("bad URL {target}"))?);
    }
    let path = Path::new(target);
    if !path.exists() {
        return Err(anyhow::anyhow!("cannot read {}: no such file", path.display()).into());
    }
    let absolute = std::path::absolute(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(url::Url::from_file_path(&absolute)
        .map_err(|()| anyhow::anyhow!("cannot turn {} into a file URL", absolute.display()))?)
}

pub(super) fn extract_command(config_path: &Path, target: &str, source: Option<&str>, json: bool) -> CmdResult {
    let article = if let Some(id) = source {
        let config = load(config_path)?;
        let source = select_sources(&config, &[id.to_owned()])?.remove(0);
        let url = target_url(target)?;
        runtime()?
            .block_on(app::extract_as_source(&config.settings.fetch, &url, &source))
            .map_err(anyhow::Error::new)?
    } else {
        let (bytes, url, content_type) = read_target(config_path, target)?;
        if let Some(what) = crate::extract::sniff(&bytes, content_type.as_deref()) {
            return Err(anyhow::anyhow!("{target}: not an HTML page (looks like {what})").into());
        }
        let (html, _) = parse::decode(&bytes, content_type.as_deref());
        crate::extract::extract(&html, url.as_ref(), None)
    };
    if json {
        // `Article` carries the contract's field names (DESIGN.md) plus a few more.
        json_document(&article)?;
    } else {
        print_article(&article)?;
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub(super) enum OpmlCommand {
    /// Append the file's feeds to the sources file as `[[source]]` tables
    /// (categories become sections; duplicates are skipped and reported).
    Import { file: PathBuf },
    /// Print every feed source as OPML 2.0, grouped by section.
    Export,
}

pub(super) fn opml_import(config: &Config, file: &Path) -> CmdResult {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // OPML is XML: honour its BOM or encoding declaration, as for feeds.
    let (text, _) = parse::decode(&bytes, Some("application/xml"));
    let opml = crate::config::opml::parse(&text).map_err(|e| {
        eprintln!("{}: {e}", file.display());
        Failure::Usage
    })?;
    let existing: Vec<crate::config::opml::Existing<'_>> =
        config.sources.iter().map(|s| crate::config::opml::Existing { id: &s.id, url: s.url.as_str() }).collect();
    let plan = crate::config::opml::plan_import(&opml.outlines, &existing);
    for skipped in &plan.skipped {
        outln!("skipped “{}” <{}>: {}", skipped.title, skipped.url, skipped.reason);
    }
    for title in &opml.ignored {
        outln!("ignored outline “{title}”: no xmlUrl (not a feed)");
    }
    if plan.add.is_empty() {
        outln!("nothing to add ({} feeds in {}, all skipped)", opml.outlines.len(), file.display());
        return Ok(());
    }

    // `[[source]]` tables may live in the settings file when no sources file is named.
    let settings_path = &config.settings.path;
    let target = config.settings.sources_path.clone().unwrap_or_else(|| settings_path.clone());
    let old = std::fs::read_to_string(&target).with_context(|| format!("cannot read {}", target.display()))?;
    let mut new = old.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&crate::config::opml::render_sources(&plan.add, &file.display().to_string()));

    // Validate exactly what would be written, with the same rules as `check`.
    let validated = if target == *settings_path {
        crate::config::build(&crate::config::ConfigText { path: target.clone(), text: new.clone() }, None)
    } else {
        let main = std::fs::read_to_string(settings_path)
            .with_context(|| format!("cannot read {}", settings_path.display()))?;
        crate::config::build(
            &crate::config::ConfigText { path: settings_path.clone(), text: main },
            Some(&crate::config::ConfigText { path: target.clone(), text: new.clone() }),
        )
    };
    if let Err(errors) = validated {
        eprintln!("{errors}");
        eprintln!("the imported sources do not validate: nothing written to {}", target.display());
        return Err(Failure::Usage);
    }
    app::write_atomic(&target, new.as_bytes()).with_context(|| format!("cannot write {}", target.display()))?;
    for source in &plan.add {
        outln!(
            "added {} “{}”{}",
            source.id,
            source.name,
            source.section.as_deref().map(|s| format!(" in {s}")).unwrap_or_default()
        );
    }
    outln!("{} sources added to {}, {} skipped", plan.add.len(), target.display(), plan.skipped.len());
    Ok(())
}

pub(super) fn opml_export(config: &Config) -> CmdResult {
    let feeds: Vec<crate::config::opml::ExportSource> = config
        .sources
        .iter()
        .filter(|s| s.kind == crate::model::SourceKind::Feed)
        .map(|s| crate::config::opml::ExportSource {
            name: s.name.clone(),
            url: s.url.to_string(),
            // Sources have no site URL today; the writer takes one when they do.
            html_url: None,
            section: s.section.clone(),
        })
        .collect();
    let pages = config.sources.len() - feeds.len();
    if pages > 0 {
        // OPML readers expect a feed behind every xmlUrl; a page source has none.
        eprintln!("left out {pages} page source(s): OPML lists feeds only");
    }
    let title = format!("{} sources", config.settings.publish.title);
    out!("{}", crate::config::opml::write(&title, &feeds));
    Ok(())
}
