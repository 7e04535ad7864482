//! Builds the outbound parts from the config: the mailer (`[mail]`) and the
//! webhook targets (`[[webhook]]`), reading `password_file` and
//! `secret_file` here so that config validation stays free of I/O.

use std::sync::Arc;

use crate::config::{Config, SecretSource};
use crate::fetch::Fetcher;
use crate::mail::{MailError, Mailer};
use crate::notify::{Target, Webhooks};

/// Why the outbound parts could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("cannot read {path}: {source}")]
    Secret {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("[mail]: {0}")]
    Mail(#[from] MailError),
    #[error("[[webhook]]: {0}")]
    Client(#[from] crate::fetch::FetchError),
}

fn read_secret(path: &std::path::Path) -> Result<String, OutboundError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim_end_matches(['\n', '\r']).to_owned())
        .map_err(|source| OutboundError::Secret { path: path.display().to_string(), source })
}

/// The mailer, when `[mail]` is configured.
pub fn mailer(config: &Config) -> Result<Option<Arc<Mailer>>, OutboundError> {
    let Some(mail) = &config.settings.mail else { return Ok(None) };
    let password = mail.password_file.as_deref().map(read_secret).transpose()?;
    let mailer = Mailer::new(mail, &config.settings.publish, config.settings.server.bind, password)?;
    Ok(Some(Arc::new(mailer)))
}

/// The webhook targets, when any is configured. Deliveries go through a
/// client with the fetch settings (timeouts, user agent, private-network guard).
pub fn webhooks(config: &Config) -> Result<Option<Arc<Webhooks>>, OutboundError> {
    if config.settings.webhooks.is_empty() {
        return Ok(None);
    }
    let mut targets = Vec::with_capacity(config.settings.webhooks.len());
    for target in &config.settings.webhooks {
        let secret = match &target.secret {
            SecretSource::Inline(secret) => secret.clone(),
            SecretSource::File(path) => read_secret(path)?,
        };
        targets.push(Target::new(target, &secret));
    }
    Ok(Some(Arc::new(Webhooks::new(targets, Fetcher::new(&config.settings.fetch)?))))
}
