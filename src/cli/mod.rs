//! Command line: parses arguments, runs a use-case, prints, picks the exit code.
//!
//! The commands and their `--json` shapes are a contract (DESIGN.md); exit codes
//! are decided in one place, [`Failure`].

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};

use crate::app;
use crate::config::{Config, FetchSettings};
use crate::editorial::rules::Action;
use crate::editorial::{EditChanges, Editorial, EditorialError, QuoteOverride};
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher, Purpose, Validators};
use crate::ingest::{self, Outcome, SourceReport, Urgency};
use crate::model::{Article, Item, ItemId, Link, Quote, ReviewState, Source};
use crate::parse::{self, ParseInput, ParsedFeed};
use crate::publish::write::DirOutput;
use crate::publish::{self, IssueReport, PublishOutcome, Publisher};
use crate::store::ItemQuery;
use crate::web::{self, WebState};

/// Gleaner: collect sources, extract quotes and links, publish a numbered digest.
#[derive(Debug, Parser)]
#[command(name = "gleaner", version, about)]
struct Cli {
    /// Settings file; sources and paths inside resolve relative to it.
    #[arg(long, global = true, default_value = "config/gleaner.toml", env = "GLEANER_CONFIG")]
    config: PathBuf,
    /// Log line format on stderr (`RUST_LOG` sets the level).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the config; print every error as `file:line:col` and exit 2.
    Check,
    /// Poll all (or the named) sources once, now.
    Fetch {
        /// Only this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Poll sources on schedule, serve /feeds/ over HTTP and publish on
    /// `publish.schedule`, until SIGTERM or Ctrl-C.
    Serve,
    /// The offline demo: poll the bundled sources, create a demo editor, publish
    /// a first issue from items with quotes, then `serve` (use with config/demo.toml).
    Demo,
    /// Compose the next issue from the approved items and publish it (or
    /// complete an interrupted one).
    Publish {
        /// Compose and render only; store and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Per source: last success, consecutive failures, next due, last error.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// List stored items, newest first.
    Items {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Show one item.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Fetch and parse one source, apply its filters, store nothing.
    Preview {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Parse one feed file or URL and print its normalized items; store nothing.
    Parse {
        target: String,
        #[arg(long)]
        json: bool,
    },
    /// Extract one article page (file or URL): text, quotes, links; store nothing.
    Extract {
        target: String,
        #[arg(long)]
        json: bool,
    },
    /// Evaluations over public corpora, given by path.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// Editors' decisions and edits, with the same rules and audit trail as the review UI.
    Review {
        #[command(subcommand)]
        what: ReviewCommand,
    },
    /// Review UI users.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// OPML subscription lists: import feeds as sources, export the sources.
    Opml {
        #[command(subcommand)]
        what: OpmlCommand,
    },
    /// Write the whole store as JSON lines to standard output (a backup).
    Export,
    /// Restore a backup made by `export` into an empty store.
    Import { file: PathBuf },
    /// GET /healthz of a running `serve`; exit 0 when healthy, else 1 (for container health checks).
    Healthcheck {
        /// Default: `http://` + `[server] bind` (a wildcard address probed on loopback) + `/healthz`.
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Parse every file under DIR: panics, failures, feedparser manifest checks.
    Feeds {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Main-text shingle F1 and speed over the article-extraction benchmark in DIR.
    Articles {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Quote span precision/recall/F1 and speaker accuracy against the gold set in DIR.
    Quotes {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// Why a command did not fully succeed; decides the exit code.
enum Failure {
    /// Some sources failed; what succeeded is stored (exit 1).
    Partial,
    /// Bad usage or config (exit 2); the message is already printed.
    Usage,
    /// Anything else (exit 1), printed by `main`.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

type CmdResult = Result<(), Failure>;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, matches!(cli.command, Command::Serve | Command::Demo));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Partial) => ExitCode::from(1),
        Err(Failure::Usage) => ExitCode::from(2),
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(format: LogFormat, long_running: bool) {
    let default = if long_running { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Check => check(&cli.config),
        Command::Fetch { sources, json } => fetch(&load(&cli.config)?, &sources, json),
        Command::Serve => serve(&cli.config, &load(&cli.config)?),
        Command::Demo => demo(&cli.config, &load(&cli.config)?),
        Command::Publish { dry_run } => publish(&load(&cli.config)?, dry_run),
        Command::Sources { json } => sources(&load(&cli.config)?, json),
        Command::Items { state, source, limit, json } => {
            items(&load(&cli.config)?, state.as_deref(), source, limit, json)
        }
        Command::Show { id, json } => show(&load(&cli.config)?, &id, json),
        Command::Preview { id, json } => preview(&load(&cli.config)?, &id, json),
        Command::Parse { target, json } => parse_command(&cli.config, &target, json),
        Command::Extract { target, json } => extract_command(&cli.config, &target, json),
        Command::Eval { what: EvalCommand::Feeds { dir, json } } => eval_feeds(&dir, json),
        Command::Eval { what: EvalCommand::Articles { dir, json } } => {
            print_report(&crate::eval::articles::article_benchmark(&dir), json)
        }
        Command::Eval { what: EvalCommand::Quotes { dir, json } } => {
            print_report(&crate::eval::quotes::quote_gold(&dir), json)
        }
        Command::Review { what } => review(&load(&cli.config)?, what),
        Command::User { what } => user(&load(&cli.config)?, what),
        Command::Opml { what: OpmlCommand::Import { file } } => opml_import(&load(&cli.config)?, &file),
        Command::Opml { what: OpmlCommand::Export } => opml_export(&load(&cli.config)?),
        Command::Export => export_backup(&load(&cli.config)?),
        Command::Import { file } => import_backup(&load(&cli.config)?, &file),
        Command::Healthcheck { url, timeout } => healthcheck(&cli.config, url.as_deref(), timeout),
    }
}

fn load(path: &Path) -> Result<Config, Failure> {
    app::load_config(path).map_err(|errors| {
        eprintln!("{errors}");
        Failure::Usage
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn check(path: &Path) -> CmdResult {
    let config = load(path)?;
    // Templates are checked here, not at publish time (they are files the config names).
    publisher(&config)?;
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    println!("{}: ok ({} sources, {enabled} enabled)", path.display(), config.sources.len());
    Ok(())
}

fn select_sources(config: &Config, ids: &[String]) -> Result<Vec<Source>, Failure> {
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

fn fetch(config: &Config, ids: &[String], json: bool) -> CmdResult {
    let sources = select_sources(config, ids)?;
    let ingest = app::ingest(config).context("cannot start")?;
    let progress = indicatif::ProgressBar::new(sources.len() as u64);
    if !std::io::stderr().is_terminal() || json {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sources {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = runtime()?.block_on(ingest.poll_many(&sources, Utc::now(), Urgency::Now, |report| {
        progress.set_message(report.source.clone());
        progress.inc(1);
    }));
    progress.finish_and_clear();
    ingest.store().flush().context("cannot flush the store")?;

    if json {
        let mut out = std::io::stdout().lock();
        for source in &report.sources {
            writeln!(out, "{}", serde_json::to_string(source).context("encoding report")?).context("writing")?;
        }
    } else {
        print_poll_table(&report.sources);
        println!(
            "{} sources: {} new items, {} updated, {} failed",
            report.sources.len(),
            report.new_items(),
            report.updated_items(),
            report.sources.iter().filter(|r| r.failed()).count()
        );
    }
    if report.any_failed() { Err(Failure::Partial) } else { Ok(()) }
}

fn outcome_text(report: &SourceReport) -> String {
    match &report.outcome {
        Outcome::Ok => "ok".to_owned(),
        Outcome::NotModified => "not modified".to_owned(),
        Outcome::Unchanged => "unchanged".to_owned(),
        Outcome::Deferred { until } => format!("deferred until {}", short_time(*until)),
        Outcome::Failed { error } => format!("FAILED: {error}"),
    }
}

fn print_poll_table(reports: &[SourceReport]) {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(["source", "result", "new", "updated", "excluded", "note"]);
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
    println!("{table}");
}

fn short_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn optional_time(time: Option<DateTime<Utc>>) -> String {
    time.map_or_else(|| "never".to_owned(), short_time)
}

/// The publisher with the operator's templates; a broken template is a
/// config error (exit 2), reported as `file:line: message`.
fn publisher(config: &Config) -> Result<Publisher, Failure> {
    let settings = &config.settings.publish;
    match publish::load_templates(settings) {
        Ok(renderer) => Ok(Publisher::new(settings.clone(), renderer, &config.sources)),
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            Err(Failure::Usage)
        }
    }
}

fn publish(config: &Config, dry_run: bool) -> CmdResult {
    let publisher = publisher(config)?;
    let store = app::open_store(config).context("cannot open the store")?;
    let output = DirOutput::new(&config.settings.publish.output_dir);
    let outcome = publisher.publish_next(store.as_ref(), &output, Utc::now(), dry_run).context("publishing")?;
    let PublishOutcome::Issue(report) = outcome else {
        println!("nothing approved: no issue published");
        return Ok(());
    };
    print_issue_report(&report, output.dir());
    if !dry_run {
        runtime()?.block_on(ping_hub(&publisher, &config.settings.fetch.user_agent));
    }
    Ok(())
}

fn print_issue_report(report: &IssueReport, dir: &Path) {
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
    println!("{verb} issue {} “{}”: {} items ({})", report.number, report.title, report.items, sections.join(", "));
    for file in &report.files {
        println!("  {}", dir.join(file).display());
    }
}

/// Tells the `WebSub` hub (if any) that the feeds changed; a failure is logged
/// and printed, never fatal: the issue is already out.
async fn ping_hub(publisher: &Publisher, user_agent: &str) {
    let Some(hub) = &publisher.settings().websub_hub else { return };
    match publish::websub::ping(hub, &publisher.feed_urls(), user_agent).await {
        Ok(()) => tracing::info!(hub = %hub, "WebSub hub pinged"),
        Err(e) => {
            tracing::warn!(error = %e, "WebSub ping failed");
            eprintln!("warning: {e}");
        }
    }
}

/// `serve`: the scheduler, the HTTP server and the publish schedule on one
/// runtime; one signal stops all three (each drains its own work). Edits to
/// the source list at `path` are applied live (`reload`); `/metrics` counts polls.
fn serve(path: &Path, config: &Config) -> CmdResult {
    let publisher = Arc::new(publisher(config)?);
    let ingest = app::ingest(config).context("cannot start")?;
    let store = Arc::clone(ingest.store());
    let ui = web::review::UiState::from_config(
        config,
        Arc::clone(&store),
        web::review::UiOptions::from_settings(&config.settings.server),
    )
    .context("cannot start the review UI")?;
    let (reloader, sources) = crate::daemon::reload::Reloader::new(path, config, ui.config_status().clone());
    let metrics = Arc::new(web::metrics::Metrics::default());
    let metrics_state = web::metrics::MetricsState {
        metrics: Arc::clone(&metrics),
        store: Arc::clone(&store),
        config: ui.config_status().clone(),
    };
    let bind = config.settings.server.bind;
    let output_dir = config.settings.publish.output_dir.clone();
    let user_agent = config.settings.fetch.user_agent.clone();
    // The scheduler beats it on every wake; `/healthz` reads it.
    let heartbeat = crate::app::Heartbeat::default();
    let summary = runtime()?.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let when_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        tracing::info!(addr = %bind, "serving the review UI and /feeds/");
        let router = web::router(WebState::new(output_dir).with_health(Arc::clone(&store), Some(heartbeat.clone())))
            .merge(web::metrics_routes(metrics_state))
            .merge(web::review::routes(ui.clone()));
        let server = tokio::spawn(web::serve(listener, router, when_stopped()));
        let publishing =
            tokio::spawn(publish_on_schedule(Arc::clone(&publisher), Arc::clone(&store), user_agent, when_stopped()));
        let reloading = tokio::spawn(reloader.watch(crate::daemon::reload::WATCH_INTERVAL, when_stopped()));
        // A reloaded source's section applies to the queue, the draft and the next issue at once.
        let sections = tokio::spawn(crate::daemon::reload::follow_sources(
            sources.clone(),
            {
                let ui = ui.clone();
                move |sources: &[crate::model::Source]| {
                    ui.set_sources(sources);
                    publisher.set_sources(sources);
                }
            },
            when_stopped(),
        ));
        let signal = async move {
            shutdown_signal().await;
            tracing::info!("stopping");
            let _ = stop.send(true);
        };
        let (summary, ()) = tokio::join!(
            crate::daemon::scheduler::run(ingest, sources, heartbeat.clock(), when_stopped(), |report, elapsed| {
                tracing::info!(source = %report.source, result = %outcome_text(report), new = report.new_items, "polled");
                metrics.record_poll(report, elapsed);
                // The review queue is an in-memory index: show new and changed items at once.
                if let Err(error) = ui.editorial().refresh(&report.changed) {
                    tracing::error!(%error, "review queue refresh failed");
                }
            }),
            signal,
        );
        if let Ok(Err(e)) = server.await {
            tracing::error!(error = %e, "HTTP server failed");
        }
        let _ = publishing.await;
        let _ = reloading.await;
        let _ = sections.await;
        anyhow::Ok(summary)
    })?;
    tracing::info!(polls = summary.polls, failures = summary.failures, abandoned = summary.abandoned, "stopped");
    Ok(())
}

/// The demo editor's login, printed by `demo`; only ever created by `demo`.
const DEMO_USER: &str = "editor";
const DEMO_PASSWORD: &str = "gleaner-demo";
/// How many items with quotes the demo approves for its first issue.
const DEMO_ISSUE_ITEMS: usize = 6;

fn demo(path: &Path, config: &Config) -> CmdResult {
    println!("== 1. Polling the bundled demo sources (files only; nothing leaves this machine)");
    match fetch(config, &[], false) {
        Ok(()) | Err(Failure::Partial) => {}
        Err(other) => return Err(other),
    }
    {
        let store = app::open_store(config).context("cannot open the store")?;
        let editorial = Editorial::without_queue(Arc::clone(&store));
        let now = Utc::now();
        match editorial.add_user(DEMO_USER, DEMO_PASSWORD, now) {
            Ok(()) | Err(EditorialError::UserExists { .. }) => {}
            Err(error) => return Err(anyhow!(error).context("creating the demo editor").into()),
        }
        let published_before = !store.issues().context("reading issues")?.is_empty();
        if !published_before {
            println!(
                "\n== 2. Approving {DEMO_ISSUE_ITEMS} items with quotes, as the demo editor would, for a first issue"
            );
            let candidates = store.items(&ItemQuery { state: Some(ReviewState::New), ..ItemQuery::default() });
            let candidates = candidates.context("listing items")?;
            for item in candidates.iter().filter(|i| i.quote_count > 0).take(DEMO_ISSUE_ITEMS) {
                // Choose up to two attributed quotes, as an editor would, so the digest shows them.
                let quotes = store.quotes(&item.id).context("reading quotes")?;
                let chosen: Vec<String> =
                    quotes.iter().filter(|q| q.speaker.is_some()).take(2).map(|q| q.id.clone()).collect();
                let changes = EditChanges { quote_ids: Some(chosen), ..EditChanges::default() };
                let edited =
                    editorial.edit(&item.id, item.revision, &changes, "demo", now).map_err(editorial_failure)?;
                editorial.act(&item.id, edited.revision, Action::Approve, "demo", now).map_err(editorial_failure)?;
                println!("  approved {}  {}", item.id, truncate(&item.title, 70));
            }
        }
    }
    println!("\n== 3. Publishing");
    publish(config, false)?;
    let bind = config.settings.server.bind;
    println!("\n== 4. Serving until Ctrl-C");
    println!("  review UI: http://{bind}/   (log in as {DEMO_USER} / {DEMO_PASSWORD})");
    println!("  digest:    http://{bind}/feeds/digest.xml   archive: http://{bind}/feeds/");
    serve(path, config)
}

/// Publishes on `publish.schedule` until `stopped`; without a schedule, only waits.
async fn publish_on_schedule(
    publisher: Arc<Publisher>,
    store: Arc<dyn crate::store::Store>,
    user_agent: String,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    let Some(schedule) = publisher.settings().schedule.clone() else {
        stopped.await;
        return;
    };
    while let Some(next) = schedule.next_after(Utc::now()) {
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = &mut stopped => break,
            () = tokio::time::sleep(wait) => {}
        }
        let (job_publisher, job_store) = (Arc::clone(&publisher), Arc::clone(&store));
        // Rendering and the store are synchronous; keep them off the server's threads.
        // A stop signal waits for this to finish: a publish is never cut short on purpose.
        let result = tokio::task::spawn_blocking(move || {
            let output = DirOutput::new(&job_publisher.settings().output_dir);
            job_publisher.publish_next(job_store.as_ref(), &output, Utc::now(), false)
        })
        .await;
        match result {
            Ok(Ok(PublishOutcome::Issue(report))) => {
                tracing::info!(
                    issue = report.number,
                    items = report.items,
                    resumed = report.resumed,
                    "scheduled publish"
                );
                ping_hub(&publisher, &user_agent).await;
            }
            Ok(Ok(PublishOutcome::NothingApproved)) => tracing::info!("scheduled publish: nothing approved"),
            Ok(Err(e)) => tracing::error!(error = %e, "scheduled publish failed"),
            Err(e) => tracing::error!(error = %e, "scheduled publish panicked"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[derive(serde::Serialize)]
struct SourceStatus<'a> {
    id: &'a str,
    name: &'a str,
    url: String,
    kind: crate::model::SourceKind,
    enabled: bool,
    schedule: &'a str,
    last_attempt: Option<DateTime<Utc>>,
    last_success: Option<DateTime<Utc>>,
    last_status: Option<u16>,
    consecutive_failures: u32,
    next_due: Option<DateTime<Utc>>,
    last_error: Option<String>,
    permanent_redirect: Option<String>,
}

fn sources(config: &Config, json: bool) -> CmdResult {
    let store = app::open_store(config).context("cannot open the store")?;
    let mut rows = Vec::new();
    for source in &config.sources {
        let state = store.fetch_state(&source.id).context("reading fetch state")?.unwrap_or_default();
        rows.push(SourceStatus {
            id: &source.id,
            name: &source.name,
            url: source.url.to_string(),
            kind: source.kind,
            enabled: source.enabled,
            schedule: source.schedule.as_str(),
            last_attempt: state.last_attempt,
            last_success: state.last_success,
            last_status: state.last_status,
            consecutive_failures: state.consecutive_failures,
            next_due: state.next_due,
            last_error: state.last_error,
            permanent_redirect: state.permanent_redirect,
        });
    }
    if json {
        for row in &rows {
            println!("{}", serde_json::to_string(row).context("encoding")?);
        }
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "source",
        "schedule",
        "last success",
        "failures",
        "next due",
        "last error",
    ]);
    for row in &rows {
        let mut error = row.last_error.clone().unwrap_or_default();
        if let Some(to) = &row.permanent_redirect {
            error = format!("moved permanently to {to}; update the URL. {error}");
        }
        let name = if row.enabled { row.id.to_owned() } else { format!("{} (disabled)", row.id) };
        table.add_row([
            name,
            row.schedule.to_owned(),
            optional_time(row.last_success),
            row.consecutive_failures.to_string(),
            optional_time(row.next_due),
            error.trim().to_owned(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// The `items --json` object: the contract's fields first.
#[derive(serde::Serialize)]
struct ItemLine<'a> {
    id: &'a ItemId,
    source: &'a str,
    sources: &'a [String],
    url: Option<&'a str>,
    title: &'a str,
    state: ReviewState,
    published: DateTime<Utc>,
    language: Option<&'a str>,
}

impl<'a> From<&'a Item> for ItemLine<'a> {
    fn from(item: &'a Item) -> Self {
        Self {
            id: &item.id,
            source: item.source(),
            sources: &item.sources,
            url: item.url.as_deref(),
            title: &item.title,
            state: item.state,
            published: item.published,
            language: item.language.as_deref(),
        }
    }
}

fn items(config: &Config, state: Option<&str>, source: Option<String>, limit: Option<usize>, json: bool) -> CmdResult {
    let state = match state.map(|s| (s, ReviewState::parse(s))) {
        None => None,
        Some((_, Some(state))) => Some(state),
        Some((text, None)) => {
            let known: Vec<_> = ReviewState::ALL.iter().map(|s| s.as_str()).collect();
            eprintln!("unknown state {text:?}; expected one of {}", known.join(", "));
            return Err(Failure::Usage);
        }
    };
    let store = app::open_store(config).context("cannot open the store")?;
    let items = store.items(&ItemQuery { state, source, since: None, limit }).context("listing items")?;
    let mut out = std::io::stdout().lock();
    if json {
        for item in &items {
            writeln!(out, "{}", serde_json::to_string(&ItemLine::from(item)).context("encoding")?)
                .context("writing")?;
        }
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(["id", "published", "state", "source", "title"]);
    for item in &items {
        table.add_row([
            item.id.to_string(),
            short_time(item.published),
            item.state.to_string(),
            item.source().to_owned(),
            truncate(&item.title, 70),
        ]);
    }
    writeln!(out, "{table}\n{} items", items.len()).context("writing")?;
    Ok(())
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn show(config: &Config, id: &str, json: bool) -> CmdResult {
    let Some(id) = ItemId::parse(id) else {
        eprintln!("{id:?} is not an item id (32 hex digits, as `gleaner items` prints)");
        return Err(Failure::Usage);
    };
    let store = app::open_store(config).context("cannot open the store")?;
    let Some(item) = store.item(&id).context("reading item")? else {
        return Err(anyhow!("no item {id}").into());
    };
    let quotes = store.quotes(&id).context("reading quotes")?;
    let links = store.links(&id).context("reading links")?;
    if json {
        let output = ShowOutput { item: &item, quotes: &quotes, links: &links };
        println!("{}", serde_json::to_string_pretty(&output).context("encoding")?);
        return Ok(());
    }
    println!("{}", item.title);
    println!("  id:        {}", item.id);
    println!("  url:       {}", item.url.as_deref().unwrap_or("-"));
    println!("  sources:   {}", item.sources.join(", "));
    let estimated = if item.published_is_fetch_time { " (feed gave no date: fetch time)" } else { "" };
    println!("  published: {}{estimated}", short_time(item.published));
    if !item.authors.is_empty() {
        println!("  authors:   {}", item.authors.join(", "));
    }
    println!("  language:  {}", item.language.as_deref().unwrap_or("-"));
    println!("  state:     {} (revision {})", item.state, item.revision);
    if let Some(headline) = &item.editor.headline {
        println!("  headline:  {headline}");
    }
    if let Some(outlet) = &item.outlet {
        println!("  outlet:    {outlet}");
    }
    if let Some(byline) = &item.byline {
        println!("  byline:    {byline}");
    }
    match item.extracted_at {
        Some(at) => println!("  extracted: {}", short_time(at)),
        None => println!("  extracted: not yet"),
    }
    if let Some(note) = &item.extraction_note {
        println!("  note:      {note}");
    }
    if !item.editor.quote_ids.is_empty() {
        println!("  chosen quotes: {}", item.editor.quote_ids.join(", "));
    }
    let summary = crate::sanitize::html_to_text(&item.summary);
    if !summary.trim().is_empty() {
        println!("\n{}", summary.trim());
    }
    print_quotes(&quotes, true);
    print_links(&links);
    Ok(())
}

/// `show --json`: the stored item with its quotes and links.
#[derive(serde::Serialize)]
struct ShowOutput<'a> {
    #[serde(flatten)]
    item: &'a Item,
    quotes: &'a [Quote],
    links: &'a [Link],
}

/// `[id] Speaker (cue, via): “text”`, numbered; with `confidence`, each line
/// ends with the attribution's confidence (editors weigh doubtful ones).
fn print_quotes(quotes: &[Quote], confidence: bool) {
    if quotes.is_empty() {
        return;
    }
    println!("\nQuotes ({}):", quotes.len());
    for (n, quote) in quotes.iter().enumerate() {
        let speaker = quote.speaker.as_deref().unwrap_or("(unknown speaker)");
        let how: Vec<&str> =
            [quote.cue.as_deref(), quote.via.as_deref().or(quote.outlet.as_deref())].into_iter().flatten().collect();
        let how = if how.is_empty() { String::new() } else { format!(" ({})", how.join(", ")) };
        let sure = if confidence { format!("  [confidence {:.2}]", quote.confidence) } else { String::new() };
        println!("  {}. [{}] {speaker}{how}: “{}”{sure}", n + 1, quote.id, quote.text);
    }
}

fn print_links(links: &[Link]) {
    if links.is_empty() {
        return;
    }
    println!("\nLinks ({}):", links.len());
    for link in links {
        let scope = if link.external { "external" } else { "internal" };
        let text = if link.text.is_empty() { String::new() } else { format!("  “{}”", truncate(&link.text, 60)) };
        println!("  {} ({scope}){text}", link.url);
    }
}

/// `preview --json`: the parse contract plus what the filters dropped.
#[derive(serde::Serialize)]
struct PreviewOutput {
    source: String,
    #[serde(flatten)]
    feed: ParsedFeed,
    excluded: Vec<String>,
}

fn preview(config: &Config, id: &str, json: bool) -> CmdResult {
    let source = select_sources(config, std::slice::from_ref(&id.to_owned()))?.remove(0);
    let fetcher = Fetcher::new(&config.settings.fetch).context("cannot start the fetcher")?;
    let now = Utc::now();
    let body = runtime()?.block_on(async {
        let validators = Validators::default();
        let request = FetchRequest { url: &source.url, validators: &validators, purpose: Purpose::Source };
        fetcher.fetch(&request).await
    });
    let body = match body.with_context(|| format!("source {}: fetching {}", source.id, source.url))? {
        FetchOutcome::Fetched(body) => body,
        FetchOutcome::NotModified => {
            return Err(anyhow!("source {}: server answered 304 to an unconditional request", source.id).into());
        }
    };
    let mut feed = ingest::parse_source_body(&source, &body, now).with_context(|| format!("source {}", source.id))?;
    let normalized = parse::normalize(&feed, &source, now);
    let kept: std::collections::HashSet<_> = normalized.items.iter().map(|i| i.identity_key().to_owned()).collect();
    feed.items.retain(|item| item.guid.as_ref().or(item.url.as_ref()).is_none_or(|key| kept.contains(key.as_str())));
    if json {
        let output = PreviewOutput { source: source.id.clone(), feed, excluded: normalized.excluded };
        println!("{}", serde_json::to_string_pretty(&output).context("encoding")?);
    } else {
        print_feed(&feed);
        for title in &normalized.excluded {
            println!("  excluded by filters: {title}");
        }
    }
    Ok(())
}

fn print_feed(feed: &ParsedFeed) {
    println!("{} ({}, {} items)", feed.title.as_deref().unwrap_or("(untitled)"), feed.format, feed.items.len());
    for item in &feed.items {
        println!("  {}  {}", short_time(item.published), item.title);
        if let Some(url) = &item.url {
            println!("      {url}");
        }
    }
    for warning in &feed.warnings {
        println!("  warning: {warning}");
    }
}

fn parse_command(config_path: &Path, target: &str, json: bool) -> CmdResult {
    let now = Utc::now();
    let (bytes, url, content_type) = read_target(config_path, target)?;
    let input = ParseInput { url: url.as_ref(), content_type: content_type.as_deref(), fetched_at: now };
    let feed = parse::parse_feed(&bytes, &input).with_context(|| target.to_owned())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&feed).context("encoding")?);
    } else {
        print_feed(&feed);
    }
    Ok(())
}

/// A page or feed named on the command line: bytes, URL, Content-Type.
type Target = (Vec<u8>, Option<url::Url>, Option<String>);

/// A target's bytes, its URL (a `file://` URL for a path) and Content-Type.
///
/// A URL is fetched as a source would be (`Purpose::Source`): the operator
/// typed it. No config is needed, but its fetch settings apply when it loads.
fn read_target(config_path: &Path, target: &str) -> Result<Target, Failure> {
    Ok(if target.starts_with("http://") || target.starts_with("https://") {
        let url = url::Url::parse(target).with_context(|| format!("bad URL {target}"))?;
        // `parse` needs no config, but honours the settings' fetch options when there are some.
        let settings = app::load_config(config_path).map_or_else(|_| FetchSettings::default(), |c| c.settings.fetch);
        let fetcher = Fetcher::new(&settings).context("cannot start the fetcher")?;
        let outcome = runtime()?.block_on(async {
            let validators = Validators::default();
            fetcher.fetch(&FetchRequest { url: &url, validators: &validators, purpose: Purpose::Source }).await
        });
        match outcome.with_context(|| format!("fetching {url}"))? {
            FetchOutcome::Fetched(body) => (body.bytes, Some(body.final_url), body.content_type),
            FetchOutcome::NotModified => return Err(anyhow!("{url}: 304 to an unconditional request").into()),
        }
    } else {
        let path = Path::new(target);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        (bytes, url::Url::from_file_path(absolute).ok(), None)
    })
}

fn extract_command(config_path: &Path, target: &str, json: bool) -> CmdResult {
    let (bytes, url, content_type) = read_target(config_path, target)?;
    let (html, _) = parse::decode(&bytes, content_type.as_deref());
    let article = crate::extract::extract(&html, url.as_ref(), None);
    if json {
        // `Article` carries the contract's field names (DESIGN.md) plus a few more.
        println!("{}", serde_json::to_string_pretty(&article).context("encoding")?);
    } else {
        print_article(&article);
    }
    Ok(())
}

fn print_article(article: &Article) {
    println!("{}", article.title.as_deref().unwrap_or("(untitled)"));
    let url = article.canonical_url.as_deref().or(article.url.as_deref());
    for (label, value) in [
        ("url", url),
        ("byline", article.byline.as_deref()),
        ("outlet", article.outlet.as_deref()),
        ("language", article.language.as_deref()),
    ] {
        if let Some(value) = value {
            println!("  {label:<10}{value}");
        }
    }
    if let Some(published) = article.published {
        println!("  {:<10}{}", "published", short_time(published));
    }
    for note in &article.notes {
        println!("  note:     {note}");
    }
    let words = article.text.split_whitespace().count();
    println!("\n{} ({words} words)", truncate(&article.text.replace("\n\n", " ¶ "), 600));
    print_quotes(&article.quotes, false);
    print_links(&article.links);
}

fn print_report<R: serde::Serialize + std::fmt::Display>(report: &R, json: bool) -> CmdResult {
    if json {
        println!("{}", serde_json::to_string_pretty(report).context("encoding")?);
    } else {
        println!("{report}");
    }
    Ok(())
}

fn eval_feeds(dir: &Path, json: bool) -> CmdResult {
    let report = crate::eval::feeds::feed_corpus(dir);
    if json {
        println!("{}", serde_json::to_string_pretty(&report).context("encoding")?);
    } else {
        println!("{report}");
    }
    Ok(())
}

// ---- Review and users (issue 4): `review approve|reject|shortlist|reset|edit`, `user add` ----

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// Approve items for the next issue.
    Approve(ReviewActArgs),
    /// Reject items.
    Reject(ReviewActArgs),
    /// Shortlist items.
    Shortlist(ReviewActArgs),
    /// Put items back to `new`.
    Reset(ReviewActArgs),
    /// Change an item's editor fields; an empty value clears a field.
    Edit(ReviewEditArgs),
}

#[derive(Debug, clap::Args)]
struct ReviewActArgs {
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Who acts, for the audit trail (default: the OS user).
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    /// The revision you looked at (`gleaner show ID`); refused if the item changed since. One ID only.
    #[arg(long)]
    revision: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct ReviewEditArgs {
    #[arg(value_name = "ID")]
    id: String,
    #[arg(long)]
    headline: Option<String>,
    #[arg(long)]
    commentary: Option<String>,
    /// Chosen quote ids in order, comma-separated (as `gleaner show ID` prints them).
    #[arg(long, value_name = "Q,..")]
    quotes: Option<String>,
    #[arg(long)]
    section: Option<String>,
    /// Position in the next issue's section (`none` or empty clears).
    #[arg(long, value_name = "N")]
    position: Option<String>,
    /// Correct a quote's speaker: `QUOTE_ID=NAME` (an empty NAME drops the correction). Repeatable.
    #[arg(long, value_name = "Q=NAME")]
    speaker: Vec<String>,
    /// Correct a quote's outlet: `QUOTE_ID=OUTLET`. Repeatable.
    #[arg(long, value_name = "Q=OUTLET")]
    outlet: Vec<String>,
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    #[arg(long)]
    revision: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a review user; the password is read from standard input (first line).
    Add { name: String },
}

/// The audit trail's name for whoever runs the command: `--as`, else the OS user.
fn cli_actor(given: Option<&str>) -> Result<String, Failure> {
    if let Some(name) = given.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(name.to_owned());
    }
    for var in ["USER", "LOGNAME"] {
        if let Some(name) = std::env::var(var).ok().filter(|n| !n.trim().is_empty()) {
            return Ok(name.trim().to_owned());
        }
    }
    let whoami = std::process::Command::new("whoami").output().ok().filter(|o| o.status.success());
    if let Some(name) = whoami.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).filter(|n| !n.is_empty()) {
        return Ok(name);
    }
    eprintln!("cannot tell who you are (no $USER, $LOGNAME or `whoami`): pass --as NAME");
    Err(Failure::Usage)
}

fn parse_item_id(text: &str) -> Result<ItemId, Failure> {
    ItemId::parse(text.trim()).ok_or_else(|| {
        eprintln!("{text:?} is not an item id (32 hex digits, as `gleaner items` prints)");
        Failure::Usage
    })
}

/// An editorial refusal is the user's to fix (exit 2); a store failure is not (exit 1).
fn editorial_failure(error: EditorialError) -> Failure {
    match error {
        EditorialError::Store(e) => Failure::Other(anyhow::Error::new(e).context("store")),
        refused => {
            eprintln!("error: {refused}");
            Failure::Usage
        }
    }
}

fn review(config: &Config, what: ReviewCommand) -> CmdResult {
    let (action, args) = match what {
        ReviewCommand::Approve(args) => (Action::Approve, args),
        ReviewCommand::Reject(args) => (Action::Reject, args),
        ReviewCommand::Shortlist(args) => (Action::Shortlist, args),
        ReviewCommand::Reset(args) => (Action::Reset, args),
        ReviewCommand::Edit(args) => return review_edit(config, &args),
    };
    if args.revision.is_some() && args.ids.len() > 1 {
        eprintln!("--revision names one item's revision: give a single ID with it");
        return Err(Failure::Usage);
    }
    let actor = cli_actor(args.actor.as_deref())?;
    let ids = args.ids.iter().map(|id| parse_item_id(id)).collect::<Result<Vec<_>, _>>()?;
    let editorial = Editorial::without_queue(app::open_store(config).context("cannot open the store")?);
    let mut refused = false;
    for id in &ids {
        // Without --revision the operator means "as it is now": the stored
        // revision, so only a write racing this very command is refused.
        let revision = if let Some(revision) = args.revision {
            revision
        } else {
            let Some(item) = editorial.store().item(id).context("reading item")? else {
                eprintln!("error: no item with id {id}");
                refused = true;
                continue;
            };
            item.revision
        };
        match editorial.act(id, revision, action, &actor, Utc::now()) {
            Ok(item) => println!("{id}: {} (revision {})", item.state, item.revision),
            Err(EditorialError::Store(e)) => return Err(anyhow::Error::new(e).context("store").into()),
            Err(e) => {
                eprintln!("error: {e}");
                refused = true;
            }
        }
    }
    if refused { Err(Failure::Usage) } else { Ok(()) }
}

/// `Q=VALUE` pairs into overrides on top of the stored ones.
fn merge_overrides(
    into: &mut crate::editorial::QuoteOverrides,
    pairs: &[String],
    set: fn(&mut QuoteOverride, Option<String>),
) -> Result<(), Failure> {
    for pair in pairs {
        let Some((quote, value)) = pair.split_once('=') else {
            eprintln!("{pair:?}: expected QUOTE_ID=VALUE");
            return Err(Failure::Usage);
        };
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        set(into.entry(quote.trim().to_owned()).or_default(), value);
    }
    Ok(())
}

fn review_edit(config: &Config, args: &ReviewEditArgs) -> CmdResult {
    let actor = cli_actor(args.actor.as_deref())?;
    let id = parse_item_id(&args.id)?;
    let position = match args.position.as_deref().map(str::trim) {
        None => None,
        Some("" | "none") => Some(None),
        Some(text) => {
            let Ok(n) = text.parse::<u32>() else {
                eprintln!("--position {text:?}: expected a number, or `none`");
                return Err(Failure::Usage);
            };
            Some(Some(n))
        }
    };
    let editorial = Editorial::without_queue(app::open_store(config).context("cannot open the store")?);
    let Some(item) = editorial.store().item(&id).context("reading item")? else {
        eprintln!("error: no item with id {id}");
        return Err(Failure::Usage);
    };
    let quote_overrides = if args.speaker.is_empty() && args.outlet.is_empty() {
        None
    } else {
        let mut overrides = item.editor.quote_overrides.clone();
        merge_overrides(&mut overrides, &args.speaker, |o, v| o.speaker = v)?;
        merge_overrides(&mut overrides, &args.outlet, |o, v| o.outlet = v)?;
        Some(overrides)
    };
    let changes = EditChanges {
        headline: args.headline.clone().map(Some),
        commentary: args.commentary.clone().map(Some),
        quote_ids: args
            .quotes
            .as_deref()
            .map(|q| q.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()),
        quote_overrides,
        section: args.section.clone().map(Some),
        position,
    };
    if changes.is_empty() {
        eprintln!(
            "nothing to change: give --headline, --commentary, --quotes, --section, --position, --speaker or --outlet"
        );
        return Err(Failure::Usage);
    }
    let revision = args.revision.unwrap_or(item.revision);
    match editorial.edit(&id, revision, &changes, &actor, Utc::now()) {
        Ok(edited) if edited.revision == item.revision => {
            println!("{id}: nothing changed (revision {})", edited.revision);
            Ok(())
        }
        Ok(edited) => {
            println!("{id}: edited (revision {})", edited.revision);
            Ok(())
        }
        Err(error) => {
            let stale_at = if let EditorialError::Stale { found, .. } = &error { Some(*found) } else { None };
            let failure = editorial_failure(error);
            if let Some(found) = stale_at {
                // Nothing is lost: the operator's command line still holds the edit.
                eprintln!("your edit was not applied; see `gleaner show {id}`, then re-run it with --revision {found}");
            }
            Err(failure)
        }
    }
}

fn user(config: &Config, what: UserCommand) -> CmdResult {
    let UserCommand::Add { name } = what;
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        // No echo suppression without a terminal crate: say so rather than surprise.
        eprint!("password for {name} (shown as typed; pipe it in to avoid that): ");
        std::io::stderr().flush().context("writing prompt")?;
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdin, &mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("no password on standard input (e.g. `printf '%s\\n' \"$PASS\" | gleaner user add {name}`)");
        return Err(Failure::Usage);
    }
    let editorial = Editorial::without_queue(app::open_store(config).context("cannot open the store")?);
    editorial.add_user(&name, password, Utc::now()).map_err(editorial_failure)?;
    println!("added user {name}");
    Ok(())
}

// ---- Operations (issue 6): `opml import|export`, `export`/`import` backups, `healthcheck` ----

#[derive(Debug, Subcommand)]
enum OpmlCommand {
    /// Append the file's feeds to the sources file as `[[source]]` tables
    /// (categories become sections; duplicates are skipped and reported).
    Import { file: PathBuf },
    /// Print every feed source as OPML 2.0, grouped by section.
    Export,
}

fn opml_import(config: &Config, file: &Path) -> CmdResult {
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
        println!("skipped “{}” <{}>: {}", skipped.title, skipped.url, skipped.reason);
    }
    for title in &opml.ignored {
        println!("ignored outline “{title}”: no xmlUrl (not a feed)");
    }
    if plan.add.is_empty() {
        println!("nothing to add ({} feeds in {}, all skipped)", opml.outlines.len(), file.display());
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
    replace_file(&target, &new).with_context(|| format!("cannot write {}", target.display()))?;
    for source in &plan.add {
        println!(
            "added {} “{}”{}",
            source.id,
            source.name,
            source.section.as_deref().map(|s| format!(" in {s}")).unwrap_or_default()
        );
    }
    println!("{} sources added to {}, {} skipped", plan.add.len(), target.display(), plan.skipped.len());
    Ok(())
}

/// Replaces `path` with `text` atomically (temporary file, then rename), so
/// the live config reload never reads half a file; keeps the permissions.
fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".gleaner-tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    let renamed = std::fs::metadata(path)
        .and_then(|meta| std::fs::set_permissions(&temporary, meta.permissions()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

fn opml_export(config: &Config) -> CmdResult {
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
    let mut out = std::io::stdout().lock();
    out.write_all(crate::config::opml::write(&title, &feeds).as_bytes()).context("writing the OPML")?;
    Ok(())
}

fn export_backup(config: &Config) -> CmdResult {
    let store = app::open_store(config).context("cannot open the store")?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let report = crate::store::backup::export(store.as_ref(), &mut out).context("export failed")?;
    eprintln!("exported {report}");
    Ok(())
}

fn import_backup(config: &Config, file: &Path) -> CmdResult {
    let open = || {
        std::fs::File::open(file)
            .map(std::io::BufReader::new)
            .with_context(|| format!("cannot read {}", file.display()))
    };
    let shown = file.display();
    // A first pass reads everything, so a bad line is found before anything is written.
    crate::store::backup::check(&mut open()?).map_err(|e| backup_failure(&shown.to_string(), e))?;
    let store = app::open_store(config).context("cannot open the store")?;
    let report = crate::store::backup::import(store.as_ref(), &mut open()?)
        .map_err(|e| backup_failure(&shown.to_string(), e))?;
    println!("imported {report}");
    Ok(())
}

/// A backup the user must fix or a store they must empty is exit 2; I/O is exit 1.
fn backup_failure(file: &str, error: crate::store::backup::BackupError) -> Failure {
    use crate::store::backup::BackupError;
    match error {
        BackupError::Store(_) | BackupError::Io(_) => {
            Failure::Other(anyhow!(error).context(format!("importing {file}")))
        }
        BackupError::NotEmpty => {
            eprintln!("error: {error}");
            Failure::Usage
        }
        other => {
            eprintln!("{file}: {other}");
            Failure::Usage
        }
    }
}

/// The URL `healthcheck` probes by default: `[server] bind`, with a wildcard
/// address replaced by loopback (a server bound to all addresses answers there).
fn health_url(bind: std::net::SocketAddr) -> String {
    let ip = match bind.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", std::net::SocketAddr::new(ip, bind.port()))
}

fn healthcheck(config_path: &Path, url: Option<&str>, timeout: u64) -> CmdResult {
    let url = match url {
        Some(url) => url.to_owned(),
        None => health_url(load(config_path)?.settings.server.bind),
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(timeout.max(1)))
        .build()
        .context("cannot build the HTTP client")?;
    let answer = runtime()?.block_on(async {
        let response = client.get(&url).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await.unwrap_or_default()))
    });
    let (status, body) = answer.with_context(|| format!("{url}: no answer"))?;
    print!("{body}");
    if status.is_success() { Ok(()) } else { Err(anyhow!("{url}: {status}").into()) }
}
