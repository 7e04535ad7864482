//! The SMTP client (lettre's connection, driven here): STARTTLS or implicit
//! TLS, optional auth, one connection reused across a send; classifies
//! failures into "this address is refused" and "try again later".
//!
//! Why not lettre's `AsyncSmtpTransport`: a resumable send must record a
//! message as committed at the last moment it can still be taken back. SMTP
//! commits on the final `.` of DATA; once that is in the socket the server
//! delivers even if we die (the kernel sends it when the process exits),
//! and before it the server discards a half-sent message. So
//! [`Connection::send`] runs the caller's `commit` hook after the body and
//! immediately before the `.`, which the transport API cannot do.

use std::time::Duration;

use lettre::Message;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};

use crate::config::MailSettings;

/// Per-command timeout: a stuck server must not stall the send for good.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The transport could not be set up from the settings.
#[derive(Debug, thiserror::Error)]
#[error("mail.smtp {url}: {reason}")]
pub struct SmtpSetupError {
    pub url: String,
    pub reason: String,
}

/// Why one message was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The server refused this recipient for good (550, 551, 553): a hard
    /// bounce; the address is marked and never mailed again.
    #[error("address refused: {0}")]
    Refused(String),
    /// Anything else (connection, TLS, auth, 4xx, other 5xx): not the
    /// address's fault; retried later.
    #[error("{0}")]
    Failed(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://` to another host, or with credentials: STARTTLS or no send.
    Required,
    /// `smtp://` to loopback: STARTTLS when offered (a local relay often has
    /// no certificate, and nothing crosses the network).
    Opportunistic,
}

/// The configured server.
#[derive(Clone)]
pub struct SmtpSender {
    host: String,
    port: u16,
    tls: TlsMode,
    params: TlsParameters,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

fn failed(error: &lettre::transport::smtp::Error) -> SendError {
    let refused = error.is_permanent() && error.status().is_some_and(|code| matches!(u16::from(code), 550 | 551 | 553));
    if refused { SendError::Refused(error.to_string()) } else { SendError::Failed(error.to_string()) }
}

impl SmtpSender {
    pub fn new(settings: &MailSettings, password: Option<String>) -> Result<Self, SmtpSetupError> {
        let url = &settings.smtp;
        let setup = |reason: String| SmtpSetupError { url: url.to_string(), reason };
        let host = url.host_str().ok_or_else(|| setup("no host".to_owned()))?.trim_matches(['[', ']']).to_owned();
        let implicit = url.scheme() == "smtps";
        let port = url.port().unwrap_or(if implicit { 465 } else { 587 });
        let mut tls_builder = TlsParameters::builder(host.clone());
        if let Some(path) = &settings.ca_file {
            // Read once here, at start or reload, so a bad file is named before any send.
            let bad = |e: &dyn std::fmt::Display| setup(format!("ca_file {}: {e}", path.display()));
            let pem = std::fs::read(path).map_err(|e| bad(&e))?;
            // lettre takes a file without a certificate in it as an empty list.
            if memchr::memmem::find(&pem, b"-----BEGIN CERTIFICATE-----").is_none() {
                return Err(bad(&"no PEM certificate (-----BEGIN CERTIFICATE-----) in it"));
            }
            let certificate = Certificate::from_pem(&pem).map_err(|e| bad(&e))?;
            tls_builder = tls_builder.add_root_certificate(certificate);
        }
        let params = tls_builder.build().map_err(|e| setup(e.to_string()))?;
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let tls = match (implicit, loopback) {
            (true, _) => TlsMode::Implicit,
            (false, false) => TlsMode::Required,
            (false, true) => TlsMode::Opportunistic,
        };
        let hello = settings
            .from
            .parse::<lettre::message::Mailbox>()
            .map(|m| ClientId::Domain(m.email.domain().to_owned()))
            .unwrap_or_default();
        let credentials = match (&settings.username, password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password)),
            _ => None,
        };
        // Credentials never cross a connection in the clear, loopback or not.
        let tls = if credentials.is_some() && tls == TlsMode::Opportunistic { TlsMode::Required } else { tls };
        Ok(Self { host, port, tls, params, hello, credentials })
    }

    /// A connection for one pass, opened on its first message.
    pub fn connect(&self) -> Connection {
        Connection { sender: self.clone(), open: None, sent_on_open: 0 }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut conn = if self.tls == TlsMode::Implicit {
            let (address, wrapper) = ((self.host.as_str(), self.port), Some(self.params.clone()));
            AsyncSmtpConnection::connect_tokio1(address, Some(TIMEOUT), &self.hello, wrapper, None)
                .await
                .map_err(|e| failed(&e))?
        } else {
            // Our own socket, for TCP_NODELAY (it stays set through
            // STARTTLS): lettre writes a message's body and then the final
            // `.` apart, and under Nagle the `.` waited for the server's
            // delayed ACK of the body, about 40 ms a message (18 → 73
            // messages/s to a local OpenSMTPD, debug build). lettre's own
            // connect gives no way to set it, so `smtps://` keeps that delay.
            let unreachable = |e: &dyn std::fmt::Display| SendError::Failed(format!("connecting: {e}"));
            let stream = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect((self.host.as_str(), self.port)))
                .await
                .map_err(|_| unreachable(&"timed out"))?
                .map_err(|e| unreachable(&e))?;
            stream.set_nodelay(true).map_err(|e| unreachable(&e))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await.map_err(|e| failed(&e))?
        };
        let wants_starttls = match self.tls {
            TlsMode::Implicit => false,
            TlsMode::Required if !conn.can_starttls() => {
                conn.abort().await;
                return Err(SendError::Failed(format!(
                    "{}:{} does not offer STARTTLS: nothing (credentials included) is sent to it in the clear",
                    self.host, self.port
                )));
            }
            TlsMode::Required => true,
            TlsMode::Opportunistic => conn.can_starttls(),
        };
        if wants_starttls {
            conn.starttls(self.params.clone(), &self.hello).await.map_err(|e| failed(&e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|e| failed(&e))?;
        }
        Ok(conn)
    }
}

/// One SMTP session, reused for every message of a pass and reopened
/// after a failure.
pub struct Connection {
    sender: SmtpSender,
    open: Option<AsyncSmtpConnection>,
    /// Messages the open session has taken.
    sent_on_open: usize,
}

/// How far a message got before it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// At MAIL, RCPT or DATA: nothing of the message was committed.
    Envelope,
    /// In the body or at the final `.`: the commit hook may have run.
    Body,
}

impl Connection {
    /// Sends one message. `commit` runs after the whole body is on the wire
    /// and immediately before the final `.` (see the module docs). Should
    /// it fail (the store cannot write), the `.` still goes out (lettre's
    /// writer cannot be stopped there) and the error is returned: the pass
    /// stops, and that one recipient may get a second copy once the store
    /// works again.
    pub async fn send(
        &mut self,
        message: &Message,
        commit: &mut (dyn FnMut() -> Result<(), String> + Send),
    ) -> Result<(), SendError> {
        let (envelope, body) = (message.envelope(), message.formatted());
        let reused = self.sent_on_open > 0;
        let mut result = self.try_send(envelope, &body, commit).await;
        // Servers cap the messages of one session (OpenSMTPD: 100, then
        // "452 4.5.3 Too many messages sent"; others close with a 421). A
        // session that has taken messages and then refuses the envelope is
        // retried once on a fresh one, before anything was committed;
        // counted as a failed send instead, it cost a minute's backoff per
        // hundred messages (0.59 s a message over a 1,000-reader list).
        if reused && matches!(result, Err((SendError::Failed(_), Stage::Envelope))) {
            tracing::debug!(messages = self.sent_on_open, "the SMTP session refused more: reconnecting");
            self.close().await;
            result = self.try_send(envelope, &body, commit).await;
        }
        if result.is_err() || self.open.as_ref().is_some_and(AsyncSmtpConnection::has_broken) {
            self.close().await;
        }
        result.map_err(|(error, _)| error)
    }

    async fn close(&mut self) {
        if let Some(mut conn) = self.open.take() {
            conn.abort().await;
        }
        self.sent_on_open = 0;
    }

    /// [`Connection::send`] without a commit point (a test message).
    pub async fn send_now(&mut self, message: &Message) -> Result<(), SendError> {
        self.send(message, &mut || Ok(())).await
    }

    async fn try_send(
        &mut self,
        envelope: &Envelope,
        body: &[u8],
        commit: &mut (dyn FnMut() -> Result<(), String> + Send),
    ) -> Result<(), (SendError, Stage)> {
        let envelope_failed = |e: &lettre::transport::smtp::Error| (failed(e), Stage::Envelope);
        if self.open.is_none() {
            self.open = Some(self.sender.open().await.map_err(|e| (e, Stage::Envelope))?);
            self.sent_on_open = 0;
        }
        let conn = self.open.as_mut().expect("opened just above");
        let mut options = Vec::new();
        if !body.is_ascii() {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        conn.command(Mail::new(envelope.from().cloned(), options)).await.map_err(|e| envelope_failed(&e))?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), Vec::new())).await.map_err(|e| envelope_failed(&e))?;
        }
        conn.command(Data).await.map_err(|e| envelope_failed(&e))?;
        // lettre writes each part as the iterator yields it and the final
        // `.` once it is exhausted: the hook runs in between.
        let mut commit_error = None;
        let parts = std::iter::once(body).chain(std::iter::from_fn(|| {
            if let Err(error) = commit() {
                commit_error = Some(error);
            }
            None
        }));
        let sent = conn.message_iter(parts).await;
        if let Some(error) = commit_error {
            return Err((SendError::Failed(format!("not committed: {error}")), Stage::Body));
        }
        sent.map_err(|e| (failed(&e), Stage::Body))?;
        self.sent_on_open += 1;
        Ok(())
    }
}
