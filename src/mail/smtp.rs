//! The SMTP client (lettre): STARTTLS or implicit TLS, optional auth, one
//! pooled connection reused across a send; classifies failures into "this
//! address is refused" and "try again later".

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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

/// Sends messages through the configured server.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// `smtp://` uses STARTTLS, required unless the host is loopback (a local
    /// relay often has no certificate; credentials never cross the network in
    /// the clear); `smtps://` is TLS from the first byte.
    pub fn new(settings: &MailSettings, password: Option<String>) -> Result<Self, SmtpSetupError> {
        let url = &settings.smtp;
        let setup = |reason: String| SmtpSetupError { url: url.to_string(), reason };
        let host = url.host_str().ok_or_else(|| setup("no host".to_owned()))?.trim_matches(['[', ']']).to_owned();
        let implicit = url.scheme() == "smtps";
        let port = url.port().unwrap_or(if implicit { 465 } else { 587 });
        let params = TlsParameters::new(host.clone()).map_err(|e| setup(e.to_string()))?;
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let tls = if implicit {
            Tls::Wrapper(params)
        } else if loopback {
            Tls::Opportunistic(params)
        } else {
            Tls::Required(params)
        };
        let hello = settings
            .from
            .parse::<lettre::message::Mailbox>()
            .map(|m| ClientId::Domain(m.email.domain().to_owned()))
            .unwrap_or_default();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .hello_name(hello)
            .timeout(Some(TIMEOUT));
        if let (Some(user), Some(password)) = (&settings.username, password) {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self { transport: builder.build() })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => {
                let refused = error.is_permanent()
                    && error.status().is_some_and(|code| matches!(u16::from(code), 550 | 551 | 553));
                let text = error.to_string();
                Err(if refused { SendError::Refused(text) } else { SendError::Failed(text) })
            }
        }
    }
}
