//! Composition root: turns a validated config into ready parts, once. The
//! only place that decides which implementations are used and how the parts
//! share state; commands and the daemon take the parts from an [`App`] and
//! build none themselves.
//!
//! Must not run loops or serve requests (that is `daemon` and `web`).

mod fetch_one;
mod host_gate;
mod load_config;
mod outbound;
mod shared;
mod source_edit;
mod store_open;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The one atomic file writer (temporary file, fsync, rename), for the
/// commands that rewrite a config file.
pub use crate::publish::write::write_atomic;
pub use fetch_one::{FetchOneError, extract_as_source, fetch_one};
pub use load_config::load_config;
pub use outbound::OutboundError;
pub use shared::{ConfigStatus, HEARTBEAT_EVERY, Heartbeat};
pub use source_edit::{SourceEditError, set_source_enabled};
pub use store_open::{PASSWORD_ENV, migrate_store, open_store};

use crate::config::Config;
use crate::editorial::{Editorial, EditorialError};
use crate::fetch::{FetchError, Fetcher};
use crate::ingest::Ingest;
use crate::publish::render::TemplateError;
use crate::publish::write::DirOutput;
use crate::publish::{CorrectionReport, PublishError, PublishOutcome, Publisher, load_templates};
use crate::search::{Check, Search};
pub use crate::store::backup::{BackupError, BackupReport, check as check_backup};
use crate::store::{Store, StoreError, backup};

/// Why the application could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The digest templates (the operator's overrides) do not compile: a config error.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateError>),
    #[error(transparent)]
    Editorial(#[from] Box<EditorialError>),
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// The full-text index beside the store could not be opened or brought up to date.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    /// A role of its own (a worker, a web tier) asked of a sled store, which one process holds.
    #[error(
        "{0} needs a PostgreSQL store (`store = \"postgres://USER@HOST/DB\"`): a sled store is held by one \
         process, so there plain `gleaner serve` polls the sources and serves the UI together"
    )]
    OneProcess(&'static str),
}

/// What this process does with the parts (issue 17). One process on sled
/// does everything; on PostgreSQL any number of workers and web processes
/// share the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Polls and serves (`gleaner serve`, and every command).
    Both,
    /// The UI, the API and the publisher; no polling (`gleaner serve --role web`).
    Web,
    /// Polling only, sources leased from the database (`gleaner worker`).
    /// It keeps no search index: that folder is the web process's.
    Worker,
}

impl Role {
    /// The command that asks for this role, for messages.
    fn command(self) -> &'static str {
        match self {
            Self::Both => "`gleaner serve`",
            Self::Web => "`gleaner serve --role web`",
            Self::Worker => "`gleaner worker`",
        }
    }
}

/// Whether the editorial queue index is loaded when the app is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Loaded now, before anything runs concurrently (the service).
    Loaded,
    /// Loaded by the first queue query only: one-shot commands that write one
    /// item should not read 50,000.
    OnDemand,
}

/// Every long-lived part, wired from one config. Cheap parts are built
/// eagerly: a command pays a few milliseconds for parts it does not use, and
/// in exchange no command can wire a part differently from the service.
pub struct App {
    pub config: Config,
    /// The settings file the config was read from (the reloader watches it).
    pub config_path: PathBuf,
    pub store: Arc<dyn Store>,
    pub ingest: Ingest,
    pub publisher: Arc<Publisher>,
    pub editorial: Editorial,
    /// The full-text index beside the store (`<store>.search/`), kept
    /// current by ingest, editorial and the publisher; none in a worker.
    pub search: Option<Search>,
    /// What this process does (see [`Role`]).
    pub role: Role,
    /// The config in force: the one shared source list and refused edits.
    pub status: ConfigStatus,
    /// The scheduler's heartbeat, read by `/healthz`.
    pub heartbeat: Heartbeat,
    /// The digest by email, when `[mail]` is configured (a publish hook).
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// Webhook targets, when any is configured (a publish hook).
    pub webhooks: Option<Arc<crate::notify::Webhooks>>,
    /// Checks chosen quotes against their pages (`gleaner verify`, before publishing).
    pub verifier: crate::verify::Verifier,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config_path", &self.config_path).finish_non_exhaustive()
    }
}

impl App {
    /// Opens the store and builds every part over it.
    pub fn build(config_path: &Path, config: Config, queue: Queue) -> Result<Self, AppError> {
        Self::build_as(config_path, config, queue, Role::Both)
    }

    /// [`App::build`] for one [`Role`]; a role other than [`Role::Both`]
    /// needs a store that several processes share.
    pub fn build_as(config_path: &Path, config: Config, queue: Queue, role: Role) -> Result<Self, AppError> {
        if role != Role::Both && config.settings.store_url.is_none() {
            return Err(AppError::OneProcess(role.command()));
        }
        // Templates first: a broken override is a config error, reported before the store is locked.
        let renderer = load_templates(&config.settings.publish).map_err(AppError::Templates)?;
        let store = open_store(&config)?;
        // The service compares the index with the store at every start, in
        // the background so that it answers meanwhile; a one-shot command
        // only after an unclean stop, before it runs (see `search`). Workers
        // keep none: several on one machine would fight over its folder.
        let check = if queue == Queue::Loaded { Check::InBackground } else { Check::IfDirty };
        let search = match role {
            Role::Worker => None,
            Role::Both | Role::Web => Some(Search::open(&search_folder(&config), Arc::clone(&store), check)?.0),
        };
        let mut ingest = ingest_over(Arc::clone(&store), &config)?;
        if let Some(search) = &search {
            ingest = ingest.with_search(search.clone());
        }
        let status = ConfigStatus::new(config.sources.clone());
        let mut publisher =
            Publisher::new(config.settings.publish.clone(), renderer, &[]).following(status.subscribe());
        let mailer = outbound::mailer(&config)?;
        let webhooks = outbound::webhooks(&config)?;
        if let Some(webhooks) = &webhooks {
            ingest = ingest.with_notifier(Arc::clone(webhooks));
        }
        if let Some(mailer) = &mailer {
            publisher = publisher.with_hook(Arc::clone(mailer) as Arc<dyn crate::publish::PublishHook>);
        }
        if let Some(webhooks) = &webhooks {
            publisher = publisher.with_hook(Arc::clone(webhooks) as Arc<dyn crate::publish::PublishHook>);
        }
        let mut editorial = Editorial::without_queue(Arc::clone(&store)).following(status.subscribe());
        if let Some(search) = &search {
            publisher = publisher.with_hook(Arc::new(search.clone()) as Arc<dyn crate::publish::PublishHook>);
            editorial = editorial.with_search(search.clone());
        }
        if queue == Queue::Loaded {
            editorial.load_queue().map_err(Box::new)?;
        }
        let verifier = crate::verify::Verifier::new(ingest.clone(), editorial.clone(), status.subscribe());
        Ok(Self {
            verifier,
            ingest,
            publisher: Arc::new(publisher),
            editorial,
            search,
            role,
            store,
            status,
            heartbeat: Heartbeat::default(),
            mailer,
            webhooks,
            config_path: config_path.to_path_buf(),
            config,
        })
    }
}

impl App {
    /// Publishes the next issue into `publish.output_dir` (the CLI and the
    /// demo; the daemon's scheduled publish writes to the same place), or
    /// only composes and renders it with `dry_run`.
    pub fn publish_next(&self, now: DateTime<Utc>, dry_run: bool) -> Result<PublishOutcome, PublishError> {
        let output = DirOutput::new(&self.config.settings.publish.output_dir);
        self.publisher.publish_next(self.store.as_ref(), &output, now, dry_run)
    }

    /// Publishes a correction of issue `number` into `publish.output_dir`
    /// and puts it in the audit trail of its items, as `actor`.
    pub fn correct_issue(
        &self,
        number: u32,
        note: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<CorrectionReport, PublishError> {
        let output = DirOutput::new(&self.config.settings.publish.output_dir);
        let note = crate::editorial::rules::clean_text(note, false);
        let report = self.publisher.correct(self.store.as_ref(), &output, number, note.trim(), actor, now)?;
        let ids: Vec<_> = self.store.issue(number)?.map(|i| i.item_ids().cloned().collect()).unwrap_or_default();
        let detail =
            if note.trim().is_empty() { format!("issue {number}") } else { format!("issue {number}: {}", note.trim()) };
        // The correction is out; a failed audit write is logged, not a failed correction.
        if let Err(e) = self.editorial.record_issue_event(&ids, "correct", &detail, actor, now) {
            tracing::warn!(error = %e, issue = number, "could not record the correction in the items' audit trail");
        }
        Ok(report)
    }

    /// How many issues the store holds (published or interrupted).
    pub fn issue_count(&self) -> Result<usize, StoreError> {
        Ok(self.store.issues()?.len())
    }

    /// The whole store as JSON lines (`gleaner export`).
    pub fn export_backup(&self, out: &mut dyn std::io::Write) -> Result<BackupReport, BackupError> {
        backup::export(self.store.as_ref(), out)
    }

    /// Restores a backup into this (empty) store; check it first with [`check_backup`].
    pub fn import_backup(&self, input: &mut dyn std::io::BufRead) -> Result<BackupReport, BackupError> {
        let report = backup::import(self.store.as_ref(), input)?;
        // The restored items are searchable at once; a failure leaves the
        // marker, and the next start rebuilds what is missing.
        if let Some(Err(error)) = self.search.as_ref().map(Search::reconcile) {
            tracing::error!(%error, "indexing the restored items for search failed");
        }
        Ok(report)
    }

    /// Rebuilds the full-text index from the store (`gleaner reindex`).
    pub fn reindex(&self) -> Result<crate::search::SyncReport, crate::search::SearchError> {
        self.search.as_ref().map_or_else(|| Ok(crate::search::SyncReport::default()), Search::rebuild)
    }

    /// Makes every acknowledged write durable (one-shot commands end with it).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }
}

/// The full-text index's folder: beside the store, `<store>.search/`.
pub fn search_folder(config: &Config) -> PathBuf {
    crate::search::folder_for(&config.settings.store_path)
}

/// Store, fetcher and ingest alone (tests, benches, and tools that poll
/// without the rest of the service).
pub fn ingest(config: &Config) -> Result<Ingest, AppError> {
    Ok(ingest_over(open_store(config)?, config)?)
}

fn ingest_over(store: Arc<dyn Store>, config: &Config) -> Result<Ingest, FetchError> {
    // The sections as configured at start: like the rules themselves
    // (settings), a reload of the source list does not change them.
    let sections = config
        .sources
        .iter()
        .filter_map(|s| Some((s.id.clone(), s.section.clone().filter(|x| !x.trim().is_empty())?)))
        .collect();
    // Processes sharing a store share each host's politeness too (issue 17).
    let fetcher = if store.shared().is_some() {
        Fetcher::with_host_gate(&config.settings.fetch, Arc::new(host_gate::StoreHosts(Arc::clone(&store))))?
    } else {
        Fetcher::new(&config.settings.fetch)?
    };
    Ok(Ingest::new(fetcher, store, &config.settings).with_rules(config.settings.rules.clone(), sections))
}
