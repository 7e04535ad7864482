//! The digest by email (issue 15.4): the mailing list with double opt-in
//! (`list.rs`), messages (`message.rs`, pure), the SMTP client (`smtp.rs`)
//! and the resumable send (`send.rs`).
//!
//! Publishing only queues: [`Mailer`] is a [`PublishHook`] that stores one
//! `pending` record per confirmed subscriber in one atomic write; `serve`
//! sends from that queue at `rate_per_minute`, recording each recipient as
//! sent the moment the server accepts the message. A restart (even after
//! SIGKILL) resumes from the records, so nobody is skipped; the only copy
//! that can go out twice is one accepted by the server in the instant
//! between its reply and our write (see `send.rs`).

pub mod list;
pub mod message;
pub mod send;
pub mod smtp;

use std::net::SocketAddr;

use lettre::message::Mailbox;
use url::Url;

use self::smtp::{SendError, SmtpSender, SmtpSetupError};
use crate::config::{MailSettings, PublishSettings};
use crate::model::{Issue, SubscriberStatus};
use crate::publish::render::{Renderer, TemplateError};
use crate::publish::{PublishHook, load_templates};
use crate::store::{Store, StoreError};

/// Everything that can go wrong with mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not a usable email address (the text as given).
    #[error("not an email address: {address:?}")]
    BadAddress { address: String },
    #[error(transparent)]
    Setup(#[from] SmtpSetupError),
    #[error("mail.from {from:?} is not an address")]
    BadFrom { from: String },
    #[error(transparent)]
    Message(#[from] message::MessageError),
    #[error("sending to {to}: {source}")]
    Send {
        to: String,
        #[source]
        source: SendError,
    },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateError>),
    #[error("template {0}")]
    Template(#[from] TemplateError),
    /// The OS random source failed (tokens cannot be made).
    #[error("no randomness for tokens: {0}")]
    Random(String),
}

/// The configured mailer: settings, the SMTP client, and the issue page
/// renderer (the same templates as `issues/N.html`).
pub struct Mailer {
    settings: MailSettings,
    from: Mailbox,
    sender: SmtpSender,
    renderer: Renderer,
    /// `publish` settings with `base_url` always set, so links in a mailed
    /// page are absolute.
    publish: PublishSettings,
    /// Where confirm and unsubscribe links point (ends with `/`).
    links: Url,
    list_id: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("smtp", &self.settings.smtp.as_str()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// `password` is the content of `password_file` (read by the caller).
    pub fn new(
        settings: &MailSettings,
        publish: &PublishSettings,
        bind: SocketAddr,
        password: Option<String>,
    ) -> Result<Self, MailError> {
        let from: Mailbox = settings.from.parse().map_err(|_| MailError::BadFrom { from: settings.from.clone() })?;
        let sender = SmtpSender::new(settings, password)?;
        let renderer = load_templates(publish).map_err(MailError::Templates)?;
        let mut links = settings
            .public_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("http://{bind}/")).expect("a socket address makes a valid URL"));
        if !links.path().ends_with('/') {
            links.set_path(&format!("{}/", links.path()));
        }
        let mut publish = publish.clone();
        if publish.base_url.is_none() {
            publish.base_url = links.join("feeds/").ok();
        }
        let list_id = format!("<digest.{}>", from.email.domain());
        Ok(Self { settings: settings.clone(), from, sender, renderer, publish, links, list_id })
    }

    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// The link that confirms a sign-up.
    pub fn confirm_url(&self, token: &str) -> String {
        format!("{}mail/confirm?token={token}", self.links)
    }

    /// The link (and RFC 8058 one-click target) that unsubscribes.
    pub fn unsubscribe_url(&self, token: &str) -> String {
        format!("{}mail/unsubscribe?token={token}", self.links)
    }

    /// `gleaner mail test ADDRESS`.
    pub async fn send_test(&self, to: &str) -> Result<(), MailError> {
        let to = list::normalize_email(to)?;
        let message = message::test_message(&self.from, &to, std::time::SystemTime::now())?;
        self.sender.connect().send_now(&message).await.map_err(|source| MailError::Send { to, source })
    }
}

impl PublishHook for Mailer {
    /// Queues the issue for every subscriber confirmed now (a no-op when it
    /// was queued before: a resumed publish).
    fn issue_published(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        let recipients: Vec<String> = store
            .subscribers()?
            .into_iter()
            .filter(|s| s.status == SubscriberStatus::Confirmed)
            .map(|s| s.email)
            .collect();
        if store.queue_issue_mail(issue.number, &recipients)? {
            tracing::info!(issue = issue.number, recipients = recipients.len(), "issue queued for mailing");
        }
        Ok(())
    }
}
