//! Where a store command's request goes: the store itself ([`Backend::Local`],
//! through the parts of an [`App`]) or, while a `gleaner serve` holds the
//! store, that service's JSON API ([`Backend::Remote`]). Both answer in the
//! same types, so each command has one printer and prints the same either way.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Utc;
use reqwest::Method;

use super::remote::{Remote, encode};
use super::{Failure, build, built, load};
use crate::app::{App, AppError, Queue};
use crate::config::Config;
use crate::editorial::rules::Action;
use crate::editorial::{EditChanges, EditorialError};
use crate::ingest::{PollReport, SourceReport};
use crate::model::{Item, ItemId, ReviewState, Role, Scope};
use crate::publish::PublishOutcome;
use crate::web::api::wire::{
    ActBody, CreatedToken, EditBody, IssueReport, ItemLine, ItemPage, NewToken, NewUser, PasswordBody, PublishBody,
    PublishResult, RoleBody, SERVICE_FILE, ServiceFile, SourceStatus, TokenLine, UserLine,
};

/// The store, or the service that holds it.
#[derive(Debug)]
pub(super) enum Backend {
    Local(Box<App>),
    Remote { remote: Remote, config: Box<Config> },
}

/// The running service holding the store of `config`, if one does: its
/// service file names a live process.
pub(super) fn running_service(config: &Config) -> Option<ServiceFile> {
    let bytes = std::fs::read(config.settings.store_path.join(SERVICE_FILE)).ok()?;
    let file: ServiceFile = serde_json::from_slice(&bytes).ok()?;
    // A file left by a killed service names a dead process (or, after pid
    // reuse, some other program): the store is free.
    let cmdline = std::fs::read(Path::new("/proc").join(file.pid.to_string()).join("cmdline")).ok()?;
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.iter().any(|a| *a == b"serve" || *a == b"demo").then_some(file)
}

/// The backend for a store command: the running service when one holds the
/// store, else the store itself.
pub(super) fn open(path: &Path) -> Result<Backend, Failure> {
    let config = load(path)?;
    if let Some(remote) = remote(&config)? {
        return Ok(Backend::Remote { remote, config: Box::new(config) });
    }
    match App::build(path, config.clone(), Queue::OnDemand) {
        Ok(app) => Ok(Backend::Local(Box::new(app))),
        // A service that was starting a moment ago may have written its file since.
        Err(AppError::Store(error)) => match remote(&config)? {
            Some(remote) => Ok(Backend::Remote { remote, config: Box::new(config) }),
            None => Err(built(Err(AppError::Store(error))).err().unwrap_or(Failure::Usage)),
        },
        Err(other) => Err(built(Err(other)).err().unwrap_or(Failure::Usage)),
    }
}

/// The client of the service holding the store, when one does.
fn remote(config: &Config) -> Result<Option<Remote>, Failure> {
    if running_service(config).is_none() {
        return Ok(None);
    }
    let remote = Remote::from_store_dir(&config.settings.store_path)?;
    if let Some(remote) = &remote {
        tracing::debug!(url = remote.url(), "the store is held by a running service: going through it");
    }
    Ok(remote)
}

/// For commands that need the store to themselves: a plain refusal while a
/// service holds it, else the app.
pub(super) fn offline(path: &Path, command: &str) -> Result<App, Failure> {
    let config = load(path)?;
    if let Some(service) = running_service(&config) {
        eprintln!(
            "error: `gleaner {command}` needs the store offline, and a running `gleaner serve` (pid {}, {}) holds \
             it: stop the service first, then run it again",
            service.pid, service.url
        );
        return Err(Failure::Usage);
    }
    build(path, Queue::OnDemand)
}

fn path_id(id: &ItemId) -> String {
    format!("/api/v1/items/{id}")
}

impl Backend {
    pub(super) fn config(&self) -> &Config {
        match self {
            Self::Local(app) => &app.config,
            Self::Remote { config, .. } => config,
        }
    }

    /// Stored items, newest first (`gleaner items`).
    pub(super) fn items(
        &self,
        state: Option<ReviewState>,
        source: Option<String>,
        limit: Option<usize>,
    ) -> Result<Vec<ItemLine>, EditorialError> {
        match self {
            Self::Local(app) => Ok(app.editorial.items(state, source, limit)?.iter().map(ItemLine::from).collect()),
            Self::Remote { remote, .. } => {
                let mut query = Vec::new();
                if let Some(state) = state {
                    query.push(format!("state={}", state.as_str()));
                }
                if let Some(source) = source {
                    query.push(format!("source={}", encode(&source)));
                }
                if let Some(limit) = limit {
                    query.push(format!("limit={limit}"));
                }
                remote.get(&format!("/api/v1/items/all?{}", query.join("&")))
            }
        }
    }

    /// One item with its quotes, links and audit trail.
    pub(super) fn item_page(&self, id: &ItemId) -> Result<ItemPage, EditorialError> {
        match self {
            Self::Local(app) => {
                let view = app.editorial.item_page(id)?;
                Ok(ItemPage { item: view.item, quotes: view.quotes, links: view.links, audit: view.audit })
            }
            Self::Remote { remote, .. } => remote.get(&path_id(id)),
        }
    }

    /// One stored item, if there is one with this id.
    pub(super) fn item(&self, id: &ItemId) -> Result<Option<Item>, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.item(id),
            Self::Remote { .. } => match self.item_page(id) {
                Ok(page) => Ok(Some(page.item)),
                Err(EditorialError::NotFound { .. }) => Ok(None),
                Err(other) => Err(other),
            },
        }
    }

    pub(super) fn act(&self, id: &ItemId, revision: u64, action: Action, actor: &str) -> Result<Item, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.act(id, revision, action, actor, Utc::now()),
            Self::Remote { remote, .. } => {
                let body = ActBody { revision: Some(revision), actor: Some(actor.to_owned()) };
                remote.call(Method::POST, &format!("{}/{}", path_id(id), action.as_str()), Some(&body))
            }
        }
    }

    pub(super) fn edit(
        &self,
        id: &ItemId,
        revision: u64,
        changes: &EditChanges,
        actor: &str,
    ) -> Result<Item, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.edit(id, revision, changes, actor, Utc::now()),
            Self::Remote { remote, .. } => {
                let body = EditBody::new(revision, Some(actor.to_owned()), changes.clone());
                remote.call(Method::PATCH, &path_id(id), Some(&body))
            }
        }
    }

    /// Publishes (or only composes, with `dry_run`) the next issue; the
    /// report, if anything was approved, and the `WebSub` ping's failure.
    pub(super) fn publish(&self, dry_run: bool) -> anyhow::Result<(Option<IssueReport>, Option<String>)> {
        match self {
            Self::Local(app) => {
                let outcome = app.publish_next(Utc::now(), dry_run).context("publishing")?;
                let PublishOutcome::Issue(report) = outcome else { return Ok((None, None)) };
                let mut warning = None;
                if !dry_run
                    && let Err(e) = super::runtime()?
                        .block_on(crate::daemon::announce(&app.publisher, &app.config.settings.fetch.user_agent))
                {
                    warning = Some(e.to_string());
                }
                Ok((Some(IssueReport::from(report)), warning))
            }
            Self::Remote { remote, .. } => {
                let result: PublishResult = remote
                    .call(Method::POST, "/api/v1/issues/publish", Some(&PublishBody { dry_run }))
                    .map_err(|e| anyhow!(e).context("publishing"))?;
                Ok((result.issue, result.warning))
            }
        }
    }

    /// A poll of each of `sources` by the running service, one after the
    /// other, in order; `None` for the store itself (the caller polls it).
    pub(super) fn poll_through_service(&self, sources: &[crate::model::Source]) -> Option<anyhow::Result<PollReport>> {
        let Self::Remote { remote, .. } = self else { return None };
        let mut report = PollReport::default();
        for source in sources {
            let path = format!("/api/v1/sources/{}/poll", encode(&source.id));
            match remote.call::<SourceReport>(Method::POST, &path, None::<&()>) {
                Ok(one) => report.sources.push(one),
                Err(e) => return Some(Err(anyhow!(e).context(format!("polling {}", source.id)))),
            }
        }
        Some(Ok(report))
    }

    /// Every source with its fetch state.
    pub(super) fn sources(&self) -> anyhow::Result<Vec<SourceStatus>> {
        match self {
            Self::Local(app) => app
                .config
                .sources
                .iter()
                .map(|source| {
                    let state = app.ingest.fetch_state(&source.id).context("reading fetch state")?.unwrap_or_default();
                    Ok(SourceStatus::new(source, state))
                })
                .collect(),
            Self::Remote { remote, .. } => remote.get("/api/v1/sources").map_err(|e| anyhow!(e)),
        }
    }

    pub(super) fn add_user(&self, name: &str, password: &str, role: Option<Role>) -> Result<Role, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.add_user_as(name, password, role, Utc::now()),
            Self::Remote { remote, .. } => {
                let body = NewUser { name: name.to_owned(), password: password.to_owned(), role };
                remote.call::<UserLine>(Method::POST, "/api/v1/users", Some(&body)).map(|u| u.role)
            }
        }
    }

    pub(super) fn users(&self) -> Result<Vec<UserLine>, EditorialError> {
        match self {
            Self::Local(app) => Ok(app.editorial.users()?.iter().map(UserLine::from).collect()),
            Self::Remote { remote, .. } => remote.get("/api/v1/users"),
        }
    }

    pub(super) fn set_password(&self, name: &str, password: &str) -> Result<(), EditorialError> {
        match self {
            Self::Local(app) => app.editorial.set_password(name, password),
            Self::Remote { remote, .. } => {
                let body = PasswordBody { password: password.to_owned() };
                let path = format!("/api/v1/users/{}/password", encode(name));
                remote.call::<UserLine>(Method::PUT, &path, Some(&body)).map(drop)
            }
        }
    }

    pub(super) fn set_role(&self, name: &str, role: Role) -> Result<(), EditorialError> {
        match self {
            Self::Local(app) => app.editorial.set_role(name, role).map(drop),
            Self::Remote { remote, .. } => {
                let path = format!("/api/v1/users/{}/role", encode(name));
                remote.call::<UserLine>(Method::PUT, &path, Some(&RoleBody { role })).map(drop)
            }
        }
    }

    pub(super) fn remove_user(&self, name: &str) -> Result<(), EditorialError> {
        match self {
            Self::Local(app) => app.editorial.remove_user(name),
            Self::Remote { remote, .. } => remote
                .call::<serde_json::Value>(Method::DELETE, &format!("/api/v1/users/{}", encode(name)), None::<&()>)
                .map(drop),
        }
    }

    pub(super) fn create_token(&self, name: &str, scope: Scope) -> Result<CreatedToken, EditorialError> {
        match self {
            Self::Local(app) => {
                let (token, record) = app.editorial.create_token(name, scope, Utc::now())?;
                Ok(CreatedToken { token, line: TokenLine::from(&record) })
            }
            Self::Remote { remote, .. } => {
                remote.call(Method::POST, "/api/v1/tokens", Some(&NewToken { name: name.to_owned(), scope }))
            }
        }
    }

    pub(super) fn tokens(&self) -> Result<Vec<TokenLine>, EditorialError> {
        match self {
            Self::Local(app) => Ok(app.editorial.tokens()?.iter().map(TokenLine::from).collect()),
            Self::Remote { remote, .. } => remote.get("/api/v1/tokens"),
        }
    }

    pub(super) fn revoke_token(&self, name: &str) -> Result<(), EditorialError> {
        match self {
            Self::Local(app) => app.editorial.revoke_token(name),
            Self::Remote { remote, .. } => remote
                .call::<serde_json::Value>(Method::DELETE, &format!("/api/v1/tokens/{}", encode(name)), None::<&()>)
                .map(drop),
        }
    }
}
