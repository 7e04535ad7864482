//! Command line: parses arguments, runs a use-case, prints, picks the exit code.
//!
//! One file per command family (`sources`: config, polling, parsing and
//! extracting one document, OPML; `items`: the queue, review and users;
//! `publish`; `ops`: the service, the demo, backups, health; `eval`;
//! `entries`: add by URL, notes, attach/detach, stories), and
//! every printer in `output`. The commands and their `--json` shapes are a
//! contract (DESIGN.md); exit codes are decided in one place, [`Failure`].
//! Commands reach the store and the network only through the parts of an
//! [`App`], so they follow the same rules as the review UI and the service.

#[macro_use]
mod output;
mod accounts;
mod backend;
mod entries;
mod eval;
mod follow;
mod items;
mod mail;
mod ops;
mod progress;
mod publish;
mod remote;
mod rules;
mod search;
mod sources;
mod speakers;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, App, AppError, Queue};
use crate::config::Config;

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

/// What `serve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ServeRole {
    /// Polling and the web tier in one process.
    All,
    /// The web tier only.
    Web,
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
    Serve {
        /// `web`: the UI, the API and the publisher only, with `gleaner
        /// worker` processes polling (PostgreSQL stores only).
        #[arg(long, value_enum, default_value_t = ServeRole::All)]
        role: ServeRole,
    },
    /// Poll the sources leased from a shared PostgreSQL store, until SIGTERM
    /// or Ctrl-C; run any number of these beside one `serve --role web`.
    Worker {
        /// Seconds a leased source is this worker's; after that a dead
        /// worker's sources go to the others.
        #[arg(long, value_name = "SECS", default_value_t = 300)]
        lease: u64,
        /// Sources polled at once.
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Serve this worker's own `/metrics` on ADDR (e.g. 127.0.0.1:9101).
        #[arg(long, value_name = "ADDR")]
        metrics: Option<std::net::SocketAddr>,
    },
    /// The offline demo: poll the bundled sources, create a demo editor, publish
    /// a first issue from items with quotes, then `serve` (use with config/demo.toml).
    Demo,
    /// Compose the next issue from the approved items and publish it (or
    /// complete an interrupted one).
    Publish {
        /// Compose and render only; store and write nothing.
        #[arg(long, conflicts_with = "correct")]
        dry_run: bool,
        /// Re-render published issue N from its items as they are now, with a
        /// "Corrected on DATE" note, and rewrite its page and the feeds.
        #[arg(long, value_name = "N")]
        correct: Option<u32>,
        /// The correction note ("Corrected on DATE: TEXT"); with --correct.
        #[arg(long, value_name = "TEXT", requires = "correct")]
        note: Option<String>,
        /// Who corrects, for the audit trail (default: the OS user); with --correct.
        #[arg(long = "as", value_name = "NAME", requires = "correct")]
        as_name: Option<String>,
        /// Publish even though some chosen quotes are not verified against
        /// their pages now (each is checked first; see `gleaner verify`).
        #[arg(long, conflicts_with = "correct")]
        accept_unverified: bool,
    },
    /// Check chosen quotes against their pages now: verified, changed, gone
    /// or unreachable (exit 1 when any is not verified).
    Verify {
        /// An item whose chosen quotes to check.
        #[arg(required_unless_present = "issue", conflicts_with = "issue")]
        item: Option<String>,
        /// Every entry of this published issue.
        #[arg(long, value_name = "N")]
        issue: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Per source: last success, consecutive failures, next due, last error;
    /// or enable or disable one (in its config file).
    Sources {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        what: Option<sources::SourcesCommand>,
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
    /// Full-text search: words, "exact phrases", speaker:, outlet:, source:,
    /// lang:, state:, section:, since: and until: (YYYY-MM-DD), -negation.
    Search {
        query: String,
        /// At most this many hits, best first.
        #[arg(long, default_value_t = search::DEFAULT_LIMIT)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the full-text index (`<store>.search/`) from the store.
    Reindex,
    /// The most quoted speakers, with counts per outlet; `merge` and `split` them.
    #[command(args_conflicts_with_subcommands = true)]
    Speakers {
        #[command(subcommand)]
        what: Option<speakers::SpeakersCommand>,
        /// Only items published in the last N days.
        #[arg(long)]
        days: Option<u32>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Quote records: each quote once, with every article that ran it.
    Quotes {
        /// Only this speaker's (an id or a name).
        #[arg(long)]
        speaker: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Follow a speaker or a query (`follow speaker ID`, `follow query "…"`), or
    /// list what you follow (`--list`): matches show in the queue's Followed tab.
    #[command(args_conflicts_with_subcommands = true)]
    Follow {
        #[command(subcommand)]
        what: Option<follow::FollowCommand>,
        /// List the watches instead.
        #[arg(long)]
        list: bool,
        /// Whose watchlist (default: you, as `$USER`).
        #[arg(long, value_name = "NAME")]
        editor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Stop following: remove the watch ID (from `gleaner follow --list`).
    Unfollow {
        id: String,
        /// Only from this editor's watchlist (default: whoever's holds it).
        #[arg(long, value_name = "NAME")]
        editor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one item.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Fetch and parse one source, apply its filters, store nothing. Without
    /// ID: what the [[rule]] tables would do to the stored items (of
    /// --source ID), changing nothing.
    Preview {
        id: Option<String>,
        /// Only this source's stored items (the rules preview).
        #[arg(long, value_name = "ID", conflicts_with = "id")]
        source: Option<String>,
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
        /// Apply this source's extraction rules and fetch settings (needs the config).
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch, extract and queue one article by hand (as `new`, source `manual`).
    Add {
        url: String,
        /// Put it in this section of the digest.
        #[arg(long)]
        section: Option<String>,
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Commentary-only entries.
    Note {
        #[command(subcommand)]
        what: entries::NoteCommand,
    },
    /// Group items into stories across outlets: those without one, or all again with --all.
    Stories {
        #[arg(long)]
        all: bool,
    },
    /// Evaluations over public corpora, given by path.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// Editors' decisions and edits, with the same rules and audit trail as the review UI.
    Review {
        #[command(subcommand)]
        what: items::ReviewCommand,
    },
    /// Review UI users and their roles (`editor`, `admin`).
    User {
        #[command(subcommand)]
        what: accounts::UserCommand,
    },
    /// API tokens (`Authorization: Bearer TOKEN` on /api/v1/).
    Token {
        #[command(subcommand)]
        what: accounts::TokenCommand,
    },
    /// The digest's mailing list.
    Subscribers {
        #[command(subcommand)]
        what: mail::SubscribersCommand,
    },
    /// Mail settings: `mail test ADDRESS` sends a test message.
    Mail {
        #[command(subcommand)]
        what: mail::MailCommand,
    },
    /// OPML subscription lists: import feeds as sources, export the sources.
    Opml {
        #[command(subcommand)]
        what: sources::OpmlCommand,
    },
    /// Bring the store's schema up to this build's (PostgreSQL: once per
    /// upgrade, before the new processes start; they refuse an old schema).
    Migrate,
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
    /// Word F1 per page type over the WCXB pages in DIR (WCXB's `evaluate.py` metric).
    Wcxb {
        /// The benchmark root (holding `dev/`) or a split folder (holding `ground-truth/` and `html/`).
        dir: PathBuf,
        /// Only the tuning (~70 %) or held-out (~30 %) pages, split by a hash of the page id.
        #[arg(long)]
        split: Option<crate::eval::wcxb::Split>,
        /// Also write the extracted texts as `{id: text}` for `evaluate.py --results`.
        #[arg(long)]
        predictions: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Quote span precision/recall/F1 and speaker accuracy against the gold set in DIR.
    Quotes {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Near-duplicate precision and recall over every pair of versions in FILE
    /// (our test set: `tests/fixtures/stories/pairs.toml`).
    Stories {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// Why a command did not fully succeed; decides the exit code.
enum Failure {
    /// Whoever reads our output closed it (`gleaner items | head`): stop
    /// quietly, as `cat` and `grep` do.
    Closed,
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
    init_logging(cli.log_format, matches!(cli.command, Command::Serve { .. } | Command::Worker { .. } | Command::Demo));
    match run(cli) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Partial) => ExitCode::from(1),
        Err(Failure::Usage) => ExitCode::from(2),
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Log targets of the HTML parsers, silenced by default (see [`init_logging`]).
const QUIET_PARSERS: [&str; 4] = ["html5ever", "markup5ever", "selectors", "ammonia"];

fn init_logging(format: LogFormat, long_running: bool) {
    let default = if long_running { "info" } else { "warn" };
    let from_env = std::env::var(tracing_subscriber::EnvFilter::DEFAULT_ENV).ok();
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // html5ever logs a warning per parse error through `log` (bridged into
    // tracing): a 2 MB hostile item gave 300,000 lines (37.5 MB) per parse.
    // Hostile markup is expected input, not news, so the parsers stay quiet
    // unless RUST_LOG names them.
    for parser in QUIET_PARSERS {
        if !from_env.as_deref().is_some_and(|env| env.contains(parser)) {
            filter = filter.add_directive(format!("{parser}=off").parse().expect("static directive is valid"));
        }
    }
    // The search index logs every commit and garbage collection at info:
    // housekeeping, not events an operator acts on.
    if !from_env.as_deref().is_some_and(|env| env.contains("tantivy")) {
        filter = filter.add_directive("tantivy=warn".parse().expect("static directive is valid"));
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(progress::LogWriter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> CmdResult {
    let path = &cli.config;
    // Store commands go through a running `serve` when it holds the store
    // (`backend::open`); the ones that need the store to themselves say so.
    match cli.command {
        Command::Check => sources::check(path),
        Command::Fetch { sources, json } => sources::fetch(&backend::open(path)?, &sources, json),
        Command::Serve { role: ServeRole::All } => ops::serve(build(path, Queue::Loaded)?),
        Command::Serve { role: ServeRole::Web } => {
            ops::serve(built(App::build_as(path, load(path)?, Queue::Loaded, app::Role::Web))?)
        }
        Command::Worker { lease, batch, metrics } => ops::worker(
            built(App::build_as(path, load(path)?, Queue::OnDemand, app::Role::Worker))?,
            std::time::Duration::from_secs(lease.max(1)),
            batch,
            metrics,
        ),
        Command::Demo => ops::demo(path),
        Command::Publish { dry_run, correct: None, accept_unverified, .. } => {
            publish::publish(&backend::open(path)?, dry_run, accept_unverified)
        }
        Command::Verify { item, issue, json } => {
            let target = match (item, issue) {
                (_, Some(number)) => verify::Target::Issue(number),
                (Some(id), None) => verify::Target::Item(id),
                (None, None) => return Err(Failure::Usage),
            };
            verify::verify(&backend::open(path)?, &target, json)
        }
        Command::Publish { correct: Some(number), note, as_name, .. } => {
            publish::correct(&backend::open(path)?, number, note.as_deref(), as_name.as_deref())
        }
        Command::Sources { what: Some(what), .. } => sources::set_enabled(&load(path)?, &what),
        Command::Sources { json, what: None } => sources::sources(&backend::open(path)?, json),
        Command::Items { state, source, limit, json } => {
            items::items(&backend::open(path)?, state.as_deref(), source, limit, json)
        }
        Command::Show { id, json } => items::show(&backend::open(path)?, &id, json),
        Command::Search { query, limit, json } => search::search(&backend::open(path)?, &query, limit, json),
        Command::Reindex => search::reindex(&backend::offline(path, "reindex")?),
        Command::Speakers { what: Some(what), .. } => speakers::edit(&backend::open(path)?, &what),
        Command::Speakers { what: None, days, limit, json } => {
            speakers::speakers(&backend::open(path)?, days, limit, json)
        }
        Command::Quotes { speaker, limit, json } => {
            speakers::quotes(&backend::open(path)?, speaker.as_deref(), limit, json)
        }
        Command::Follow { what: Some(what), json, .. } => follow::follow(&backend::open(path)?, what, json),
        Command::Follow { what: None, list: true, editor, json } => {
            follow::list(&backend::open(path)?, editor.as_deref(), json)
        }
        Command::Follow { what: None, list: false, .. } => {
            eprintln!("say what to follow (`follow speaker ID`, `follow query \"…\"`) or pass --list");
            Err(Failure::Usage)
        }
        Command::Unfollow { id, editor, json } => follow::unfollow(&backend::open(path)?, &id, editor.as_deref(), json),
        Command::Preview { id: Some(id), json, .. } => sources::preview(&load(path)?, &id, json),
        Command::Preview { id: None, source, json } => {
            rules::preview(&backend::offline(path, "preview")?, source.as_deref(), json)
        }
        Command::Parse { target, json } => sources::parse_command(path, &target, json),
        Command::Extract { target, source, json } => sources::extract_command(path, &target, source.as_deref(), json),
        Command::Eval { what } => eval::eval(what),
        Command::Add { url, section, actor, json } => {
            entries::add(&backend::open(path)?, &url, section.as_deref(), actor.as_deref(), json)
        }
        Command::Note { what } => entries::note(&backend::open(path)?, what),
        Command::Stories { all } => entries::stories(&backend::open(path)?, all),
        Command::Review { what } => items::review(&backend::open(path)?, what),
        Command::User { what } => accounts::user(&backend::open(path)?, what),
        Command::Token { what } => accounts::token(&backend::open(path)?, what),
        Command::Subscribers { what } => mail::subscribers(&backend::open(path)?, what),
        Command::Mail { what } => mail::mail(&backend::open(path)?, what),
        Command::Opml { what: sources::OpmlCommand::Import { file } } => sources::opml_import(&load(path)?, &file),
        Command::Opml { what: sources::OpmlCommand::Export } => sources::opml_export(&load(path)?),
        Command::Migrate => {
            println!("{}", app::migrate_store(&load(path)?).context("migrate")?);
            Ok(())
        }
        Command::Export => ops::export_backup(&backend::offline(path, "export")?),
        Command::Import { file } => ops::import_backup(path, &file),
        Command::Healthcheck { url, timeout } => ops::healthcheck(path, url.as_deref(), timeout),
    }
}

fn load(path: &Path) -> Result<Config, Failure> {
    app::load_config(path).map_err(|errors| {
        eprintln!("{errors}");
        Failure::Usage
    })
}

/// Every part of the service, built as `serve` builds it. Broken templates
/// are the operator's to fix (exit 2), printed as `file:line: message`.
fn build(path: &Path, queue: Queue) -> Result<App, Failure> {
    built(App::build(path, load(path)?, queue))
}

/// [`build`]'s error handling, for callers that build the app themselves.
fn built(result: Result<App, AppError>) -> Result<App, Failure> {
    match result {
        Ok(app) => Ok(app),
        Err(AppError::Templates(errors)) => {
            for error in &errors {
                eprintln!("{error}");
            }
            Err(Failure::Usage)
        }
        Err(other) => Err(anyhow::Error::new(other).context("cannot start").into()),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}
