//! `gleaner subscribers add|remove|list|import` and `gleaner mail test`.
//! Adds and imports only queue confirmation messages: `serve` sends them,
//! as it sends the issues.

use anyhow::Context;
use clap::Subcommand;

use super::backend::Backend;
use super::{CmdResult, Failure};
use crate::mail::list::Added;

#[derive(Debug, Subcommand)]
pub(super) enum SubscribersCommand {
    /// Add an address. Without --confirmed it gets a confirmation link
    /// first (double opt-in, sent by `serve`).
    Add {
        email: String,
        /// The operator vouches for consent (an existing list): no confirmation.
        #[arg(long)]
        confirmed: bool,
    },
    /// Forget an address entirely.
    Remove { email: String },
    /// Every address with its status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add the addresses in the first column of a CSV file (a header row
    /// naming `email` is skipped); bad rows are reported by line.
    Import {
        file: std::path::PathBuf,
        /// The operator vouches for consent: no confirmation messages.
        #[arg(long)]
        confirmed: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum MailCommand {
    /// Send a test message through the `[mail]` settings.
    Test { address: String },
}

pub(super) fn subscribers(backend: &Backend, what: SubscribersCommand) -> CmdResult {
    match what {
        SubscribersCommand::Add { email, confirmed } => match backend.add_subscriber(&email, confirmed)? {
            Added::Confirmed => outln!("added {} (confirmed)", email.trim().to_lowercase()),
            Added::ConfirmationQueued => {
                outln!("added {} (pending: `serve` sends the confirmation link)", email.trim().to_lowercase());
            }
            Added::AlreadyConfirmed => outln!("{} is already subscribed", email.trim().to_lowercase()),
        },
        SubscribersCommand::Remove { email } => {
            if backend.remove_subscriber(&email)? {
                outln!("removed {}", email.trim().to_lowercase());
            } else {
                eprintln!("no subscriber {}", email.trim());
                return Err(Failure::Usage);
            }
        }
        SubscribersCommand::List { json } => {
            let subscribers = backend.subscribers()?;
            for s in &subscribers {
                if json {
                    super::output::json_line(&serde_json::json!({
                        "email": s.email,
                        "status": s.status.as_str(),
                        "created_at": s.created_at,
                        "updated_at": s.updated_at,
                        "note": s.note,
                    }))?;
                } else {
                    let note = s.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default();
                    outln!("{:<12} {}{note}", s.status.as_str(), s.email);
                }
            }
            if !json {
                let confirmed =
                    subscribers.iter().filter(|s| s.status == crate::model::SubscriberStatus::Confirmed).count();
                outln!("{} subscribers, {confirmed} confirmed", subscribers.len());
            }
        }
        SubscribersCommand::Import { file, confirmed } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = backend.import_subscribers(&text, confirmed)?;
            for error in &report.errors {
                eprintln!("{}: {error}", file.display());
            }
            outln!(
                "imported {} confirmed, {} pending confirmation, {} already subscribed, {} rows skipped",
                report.confirmed,
                report.confirmation_queued,
                report.already,
                report.errors.len()
            );
            if !report.errors.is_empty() {
                return Err(Failure::Partial);
            }
        }
    }
    Ok(())
}

pub(super) fn mail(backend: &Backend, what: MailCommand) -> CmdResult {
    let MailCommand::Test { address } = what;
    let Some(smtp) = backend.mail_test(&address)? else {
        eprintln!("{}: no [mail] section: configure `smtp` and `from` first", backend.config_path().display());
        return Err(Failure::Usage);
    };
    outln!("sent a test message to {address} through {smtp}");
    Ok(())
}
