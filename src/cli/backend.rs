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
use crate::ingest::AddError;
use crate::ingest::{PollReport, SourceReport};
use crate::mail::MailError;
use crate::mail::list::{self, Added};
use crate::model::{Item, ItemId, ReviewState, Role, Scope};
use crate::publish::PublishOutcome;
use crate::web::api::wire::{
    ActBody, AddBody, AddResult, CiteBody, CorrectBody, CorrectResult, CreatedToken, EditBody, ErrorBody, IssueReport,
    ItemLine, ItemPage, MailTestBody, MailTestResult, NewSubscriber, NewToken, NewUser, NoteBody, PasswordBody,
    PublishBody, PublishResult, RoleBody, SERVICE_FILE, ServiceFile, SourceStatus, StoriesBody, StoriesResult,
    SubscriberAdded, SubscriberImport, SubscriberImportReport, SubscriberLine, TokenLine, UserLine,
};

/// The store, or the service that holds it.
#[derive(Debug)]
pub(super) enum Backend {
    Local(Box<App>),
    Remote { remote: Remote, config: Box<Config>, config_path: std::path::PathBuf },
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
        return Ok(Backend::Remote { remote, config: Box::new(config), config_path: path.to_path_buf() });
    }
    match App::build(path, config.clone(), Queue::OnDemand) {
        Ok(app) => Ok(Backend::Local(Box::new(app))),
        // A service that was starting a moment ago may have written its file since.
        Err(AppError::Store(error)) => match remote(&config)? {
            Some(remote) => Ok(Backend::Remote { remote, config: Box::new(config), config_path: path.to_path_buf() }),
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

    /// The settings file, as given on the command line.
    pub(super) fn config_path(&self) -> &Path {
        match self {
            Self::Local(app) => &app.config_path,
            Self::Remote { config_path, .. } => config_path,
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

    /// Adds and removes tags of item `id` (at `revision`, else as it is now).
    pub(super) fn tag(
        &self,
        id: &ItemId,
        revision: Option<u64>,
        add: &[String],
        remove: &[String],
        actor: &str,
    ) -> Result<Item, EditorialError> {
        match self {
            Self::Local(app) => {
                let revision = match revision {
                    Some(revision) => revision,
                    None => {
                        app.editorial.item(id)?.ok_or_else(|| EditorialError::NotFound { id: id.clone() })?.revision
                    }
                };
                app.editorial.tag(id, revision, add, remove, actor, Utc::now())
            }
            Self::Remote { remote, .. } => {
                let body = crate::web::api::wire::TagBody {
                    add: add.to_vec(),
                    remove: remove.to_vec(),
                    revision,
                    actor: Some(actor.to_owned()),
                };
                remote.call(Method::POST, &format!("{}/tags", path_id(id)), Some(&body))
            }
        }
    }

    /// Publishes (or only composes, with `dry_run`) the next issue; the
    /// report, if anything was approved, and the `WebSub` ping's failure.
    pub(super) fn publish(
        &self,
        dry_run: bool,
        accept_unverified: bool,
    ) -> anyhow::Result<(Option<IssueReport>, Option<String>)> {
        match self {
            Self::Local(app) => publish_here(app, dry_run),
            Self::Remote { remote, .. } => {
                let result: PublishResult = remote
                    .call(Method::POST, "/api/v1/issues/publish", Some(&PublishBody { dry_run, accept_unverified }))
                    .map_err(|e| anyhow!(e).context("publishing"))?;
                Ok((result.issue, result.warning))
            }
        }
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

    pub(super) fn create_token(
        &self,
        name: &str,
        scope: Scope,
        owner: Option<&str>,
    ) -> Result<CreatedToken, EditorialError> {
        match self {
            Self::Local(app) => {
                let (token, record) = app.editorial.create_token_for(name, scope, owner, Utc::now())?;
                Ok(CreatedToken { token, line: TokenLine::from(&record) })
            }
            Self::Remote { remote, .. } => remote.call(
                Method::POST,
                "/api/v1/tokens",
                Some(&NewToken { name: name.to_owned(), scope, owner: owner.map(str::to_owned) }),
            ),
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

/// `gleaner add`'s failures, each printed as the offline command prints it.
pub(super) enum AddFailure {
    /// Not a web address (exit 2).
    BadUrl(String),
    /// The article could not be fetched or extracted (exit 1).
    Failed(anyhow::Error),
    /// The review rules refused (the section).
    Editorial(EditorialError),
}

/// A mail use-case's failure, printed as `cli/mail.rs` prints it offline:
/// an unusable address is the operator's to fix (exit 2).
fn mail_refusal(body: ErrorBody) -> Failure {
    if body.code == "bad_address" {
        eprintln!("{}", body.message);
        return Failure::Usage;
    }
    Failure::Other(anyhow!(body.message))
}

fn unreachable_service(error: EditorialError) -> Failure {
    Failure::Other(anyhow::Error::new(error))
}

/// The entries beyond one fed article, corrections and the mailing list.
impl Backend {
    /// Fetches, extracts and queues the article at `url` (`gleaner add`).
    pub(super) fn add(&self, url: &str, section: Option<&str>, actor: &str) -> Result<AddResult, AddFailure> {
        match self {
            Self::Local(app) => {
                let runtime = super::runtime().map_err(AddFailure::Failed)?;
                let added = match runtime.block_on(app.ingest.add_url(url, Utc::now())) {
                    Ok(added) => added,
                    Err(error @ AddError::BadUrl { .. }) => return Err(AddFailure::BadUrl(error.to_string())),
                    Err(error) => {
                        return Err(AddFailure::Failed(anyhow::Error::new(error).context("cannot add the article")));
                    }
                };
                let mut item = added.item;
                app.editorial
                    .assign_stories(std::slice::from_ref(&item.id))
                    .context("assigning its story")
                    .map_err(AddFailure::Failed)?;
                if let Some(section) = section {
                    let changes = EditChanges { section: Some(Some(section.to_owned())), ..EditChanges::default() };
                    item = app
                        .editorial
                        .edit(&item.id, item.revision, &changes, actor, Utc::now())
                        .map_err(AddFailure::Editorial)?;
                }
                Ok(AddResult { item, new: added.new })
            }
            Self::Remote { remote, .. } => {
                let body =
                    AddBody { url: url.to_owned(), section: section.map(str::to_owned), actor: Some(actor.to_owned()) };
                match remote.send(Method::POST, "/api/v1/items", Some(&body)).map_err(AddFailure::Editorial)? {
                    Ok(result) => Ok(result),
                    Err(refused) if refused.code == "bad_url" => Err(AddFailure::BadUrl(refused.message)),
                    Err(refused)
                        if matches!(refused.code.as_str(), "fetch_failed" | "not_a_page" | "extraction_failed") =>
                    {
                        Err(AddFailure::Failed(anyhow!(refused.message).context("cannot add the article")))
                    }
                    Err(refused) => Err(AddFailure::Editorial(refused.into_editorial())),
                }
            }
        }
    }

    /// A commentary-only entry, approved for the next issue.
    pub(super) fn add_note(
        &self,
        section: &str,
        headline: Option<&str>,
        commentary: &str,
        actor: &str,
    ) -> Result<Item, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.add_note(section, headline, commentary, actor, Utc::now()),
            Self::Remote { remote, .. } => {
                let body = NoteBody {
                    section: section.to_owned(),
                    commentary: commentary.to_owned(),
                    headline: headline.map(str::to_owned),
                    actor: Some(actor.to_owned()),
                };
                remote.call(Method::POST, "/api/v1/notes", Some(&body))
            }
        }
    }

    /// Adds `others` to (or, without `attach`, removes them from) the items entry `id` cites.
    pub(super) fn cite(
        &self,
        id: &ItemId,
        revision: u64,
        others: &[ItemId],
        actor: &str,
        attach: bool,
    ) -> Result<Item, EditorialError> {
        match self {
            Self::Local(app) if attach => app.editorial.attach(id, revision, others, actor, Utc::now()),
            Self::Local(app) => app.editorial.detach(id, revision, others, actor, Utc::now()),
            Self::Remote { remote, .. } => {
                let body = CiteBody { items: others.to_vec(), revision: Some(revision), actor: Some(actor.to_owned()) };
                let verb = if attach { "attach" } else { "detach" };
                remote.call(Method::POST, &format!("{}/{verb}", path_id(id)), Some(&body))
            }
        }
    }

    /// Groups items into stories (all again with `all`); the items whose story changed.
    pub(super) fn stories(&self, all: bool) -> Result<Vec<ItemId>, EditorialError> {
        match self {
            Self::Local(app) if all => app.editorial.reassign_all_stories(),
            Self::Local(app) => app.editorial.assign_missing_stories(),
            Self::Remote { remote, .. } => remote
                .call::<StoriesResult>(Method::POST, "/api/v1/stories", Some(&StoriesBody { all }))
                .map(|r| r.changed),
        }
    }

    /// A correction of published issue `number`, with the `WebSub` ping's failure as `warning`.
    pub(super) fn correct(&self, number: u32, note: &str, actor: &str) -> anyhow::Result<CorrectResult> {
        match self {
            Self::Local(app) => {
                let report = app.correct_issue(number, note, actor, Utc::now()).context("correcting")?;
                let warning = super::runtime()?
                    .block_on(crate::daemon::announce(&app.publisher, &app.config.settings.fetch.user_agent))
                    .err()
                    .map(|e| e.to_string());
                Ok(CorrectResult {
                    number: report.number,
                    title: report.title,
                    corrections: report.corrections,
                    files: report.files,
                    warning,
                })
            }
            Self::Remote { remote, .. } => {
                let body = CorrectBody { note: Some(note.to_owned()), actor: Some(actor.to_owned()) };
                match remote.send(Method::POST, &format!("/api/v1/issues/{number}/correct"), Some(&body)) {
                    Ok(Ok(result)) => Ok(result),
                    Ok(Err(refused)) => Err(anyhow!(refused.message).context("correcting")),
                    Err(e) => Err(anyhow::Error::new(e).context("correcting")),
                }
            }
        }
    }

    /// Adds an address to the mailing list.
    pub(super) fn add_subscriber(&self, email: &str, confirmed: bool) -> Result<Added, Failure> {
        match self {
            Self::Local(app) => list::add(app.store.as_ref(), email, confirmed, Utc::now()).map_err(mail_failure),
            Self::Remote { remote, .. } => {
                let body = NewSubscriber { email: email.to_owned(), confirmed };
                let added: SubscriberAdded = remote
                    .send(Method::POST, "/api/v1/subscribers", Some(&body))
                    .map_err(unreachable_service)?
                    .map_err(mail_refusal)?;
                match added.outcome.as_str() {
                    "confirmed" => Ok(Added::Confirmed),
                    "confirmation_queued" => Ok(Added::ConfirmationQueued),
                    "already_confirmed" => Ok(Added::AlreadyConfirmed),
                    other => Err(Failure::Other(anyhow!("the service answered an unknown outcome {other:?}"))),
                }
            }
        }
    }

    /// Forgets an address; false when there was none.
    pub(super) fn remove_subscriber(&self, email: &str) -> Result<bool, Failure> {
        match self {
            Self::Local(app) => list::remove(app.store.as_ref(), email).map_err(mail_failure),
            Self::Remote { remote, .. } => {
                let path = format!("/api/v1/subscribers/{}", encode(email));
                match remote
                    .send::<serde_json::Value>(Method::DELETE, &path, None::<&()>)
                    .map_err(unreachable_service)?
                {
                    Ok(_) => Ok(true),
                    Err(refused) if refused.code == "not_found" => Ok(false),
                    Err(refused) => Err(mail_refusal(refused)),
                }
            }
        }
    }

    pub(super) fn subscribers(&self) -> Result<Vec<SubscriberLine>, Failure> {
        match self {
            Self::Local(app) => {
                Ok(app.store.subscribers().context("reading subscribers")?.iter().map(SubscriberLine::from).collect())
            }
            Self::Remote { remote, .. } => remote
                .get("/api/v1/subscribers")
                .map_err(|e| anyhow::Error::new(e).context("reading subscribers").into()),
        }
    }

    /// Adds the addresses of a CSV text.
    pub(super) fn import_subscribers(&self, csv: &str, confirmed: bool) -> Result<SubscriberImportReport, Failure> {
        match self {
            Self::Local(app) => {
                let report = list::import_csv(app.store.as_ref(), csv, confirmed, Utc::now()).map_err(mail_failure)?;
                Ok(SubscriberImportReport {
                    confirmed: report.confirmed,
                    confirmation_queued: report.confirmation_queued,
                    already: report.already,
                    errors: report.errors,
                })
            }
            Self::Remote { remote, .. } => {
                let body = SubscriberImport { csv: csv.to_owned(), confirmed };
                remote
                    .send(Method::POST, "/api/v1/subscribers/import", Some(&body))
                    .map_err(unreachable_service)?
                    .map_err(mail_refusal)
            }
        }
    }

    /// Sends a test message; the SMTP server it went through. `Ok(None)`
    /// when no `[mail]` section is configured.
    pub(super) fn mail_test(&self, address: &str) -> Result<Option<String>, Failure> {
        match self {
            Self::Local(app) => {
                let Some(mailer) = &app.mailer else { return Ok(None) };
                super::runtime()?.block_on(mailer.send_test(address)).map_err(mail_failure)?;
                Ok(Some(mailer.settings().smtp.to_string()))
            }
            Self::Remote { remote, config, .. } => {
                if config.settings.mail.is_none() {
                    return Ok(None);
                }
                let body = MailTestBody { address: address.to_owned() };
                match remote.send::<MailTestResult>(Method::POST, "/api/v1/mail/test", Some(&body)) {
                    Ok(Ok(sent)) => Ok(Some(sent.smtp)),
                    Ok(Err(refused)) if refused.code == "no_mail" => Ok(None),
                    Ok(Err(refused)) => Err(mail_refusal(refused)),
                    Err(e) => Err(unreachable_service(e)),
                }
            }
        }
    }
}

/// A mail use-case's failure, as `cli/mail.rs` prints it.
fn mail_failure(error: MailError) -> Failure {
    if let MailError::BadAddress { .. } = error {
        eprintln!("{error}");
        return Failure::Usage;
    }
    Failure::Other(anyhow::Error::new(error))
}

/// [`Backend::publish`] on the store itself.
pub(super) fn publish_here(app: &App, dry_run: bool) -> anyhow::Result<(Option<IssueReport>, Option<String>)> {
    let outcome = app.publish_next(Utc::now(), dry_run).context("publishing")?;
    let PublishOutcome::Issue(report) = outcome else { return Ok((None, None)) };
    let mut warning = None;
    if !dry_run
        && let Err(e) =
            super::runtime()?.block_on(crate::daemon::announce(&app.publisher, &app.config.settings.fetch.user_agent))
    {
        warning = Some(e.to_string());
    }
    Ok((Some(IssueReport::from(report)), warning))
}

/// A poll of each of `sources` by the running service, one after the
/// other, in order.
pub(super) fn poll_through_service(remote: &Remote, sources: &[crate::model::Source]) -> anyhow::Result<PollReport> {
    let mut report = PollReport::default();
    for source in sources {
        let path = format!("/api/v1/sources/{}/poll", encode(&source.id));
        let one = remote
            .call::<SourceReport>(Method::POST, &path, None::<&()>)
            .map_err(|e| anyhow!(e).context(format!("polling {}", source.id)))?;
        report.sources.push(one);
    }
    Ok(report)
}
