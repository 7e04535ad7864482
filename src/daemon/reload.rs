//! Live config reload: watches `gleaner.toml` and the source list it names
//! (and listens for SIGHUP), validates every edit with `app::load_config`,
//! and hands a valid source list to the scheduler through a `watch` channel.
//!
//! An invalid edit is refused as a whole: every error is logged as
//! `file:line:col: message` and kept in the shared [`ConfigStatus`] that the
//! review UI shows, while the previous config stays in force. Only the source
//! list is live; other settings need a restart (logged when they change).
//! What this module must not do: poll sources or render pages. Main types:
//! [`ConfigStatus`], [`Reloader`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::app::{self, ConfigStatus};
use crate::config::{self, Config, ConfigText};
use crate::model::Source;

/// How often the config files' modification times are checked. A 2-second
/// `stat` of two files costs nothing and needs no dependency; the `notify`
/// crate would add a platform watcher backend (inotify/kqueue/FSEvents) and its
/// corner cases (editors that save by rename, files on network mounts, mounted
/// Kubernetes `ConfigMap`s that change by symlink swap) for a latency gain
/// nobody needs when a source is polled every few minutes at most.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// What one reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The edit was valid; the new source list is in force.
    Applied {
        sources: usize,
        /// Settings other than the source list changed too: they need a restart.
        restart_needed: bool,
    },
    /// The edit was refused (the errors are in the [`ConfigStatus`]); the previous config stays.
    Rejected { errors: usize },
}

/// Re-reads the config on demand and publishes valid source lists.
pub struct Reloader {
    path: PathBuf,
    status: ConfigStatus,
    /// The settings the process started with, to tell when an edit needs a restart.
    settings: String,
}

impl Reloader {
    /// A reloader for the config at `path`, already loaded as `config`,
    /// writing the source list of `status`; the returned receiver (one of
    /// that list's) is for the scheduler.
    pub fn new(path: &Path, config: &Config, status: ConfigStatus) -> (Self, watch::Receiver<Vec<Source>>) {
        let receiver = status.subscribe();
        (Self { path: path.to_path_buf(), status, settings: settings_fingerprint(config) }, receiver)
    }

    /// The shared status this reloader writes.
    pub fn status(&self) -> &ConfigStatus {
        &self.status
    }

    /// Loads and validates the config files now; applies a valid source list
    /// or keeps the old one and records why not.
    pub fn reload(&self, now: DateTime<Utc>) -> ReloadOutcome {
        match app::load_config(&self.path) {
            Ok(config) => {
                let restart_needed = settings_fingerprint(&config) != self.settings;
                if restart_needed {
                    tracing::warn!(
                        path = %self.path.display(),
                        "settings other than the source list changed: they take effect after a restart"
                    );
                }
                let count = config.sources.len();
                self.status.accepted(config.sources);
                tracing::info!(sources = count, "config reloaded");
                ReloadOutcome::Applied { sources: count, restart_needed }
            }
            Err(errors) => {
                let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                for line in &lines {
                    tracing::error!(error = %line, "config edit refused");
                }
                tracing::warn!(errors = lines.len(), "config edit refused: the previous config stays in force");
                let count = lines.len();
                self.status.rejected(lines, now);
                ReloadOutcome::Rejected { errors: count }
            }
        }
    }

    /// Reloads whenever a config file changes (checked every `interval`) or
    /// on SIGHUP, until `stopped` resolves.
    pub async fn watch(self, interval: Duration, stopped: impl std::future::Future<Output = ()>) {
        tokio::pin!(stopped);
        let mut hangup = hangup_signal();
        let mut seen = self.stamps();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stopped => break,
                () = next_hangup(&mut hangup) => {
                    tracing::info!("SIGHUP: reloading the config");
                    seen = self.stamps();
                    self.reload(Utc::now());
                }
                _ = ticker.tick() => {
                    let now = self.stamps();
                    if now != seen {
                        let changed: Vec<String> = now
                            .iter()
                            .filter(|stamp| !seen.contains(stamp))
                            .map(|(path, _)| path.display().to_string())
                            .collect();
                        seen = now;
                        tracing::info!(files = ?changed, "config changed: reloading");
                        self.reload(Utc::now());
                    }
                }
            }
        }
    }

    /// Modification time and length of each config file (the source list
    /// named by the main file may change with it); `None` for a missing file.
    fn stamps(&self) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
        let mut files = vec![self.path.clone()];
        if let Ok(text) = std::fs::read_to_string(&self.path) {
            let main = ConfigText { path: std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone()), text };
            files.extend(config::sources_ref(&main).map(|r| r.path));
        }
        // Length too: two saves within the file system's timestamp granularity still differ in size mostly.
        files
            .into_iter()
            .map(|f| {
                let stamp = std::fs::metadata(&f).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
                (f, stamp)
            })
            .collect()
    }
}

/// Settings compared by their debug text: `Settings` has no `PartialEq`, and
/// this only decides whether to log "restart needed".
fn settings_fingerprint(config: &Config) -> String {
    format!("{:?}", config.settings)
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGHUP; config file changes are still picked up");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> Hangup {}

/// Resolves on the next SIGHUP; never, without a handler.
#[cfg(unix)]
async fn next_hangup(signal: &mut Hangup) {
    if let Some(signal) = signal
        && signal.recv().await.is_some()
    {
        return;
    }
    std::future::pending::<()>().await;
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) {
    std::future::pending().await;
}
