//! The resumable send: confirmation messages first, then every open issue
//! job, one recipient at a time at `rate_per_minute`.
//!
//! Each recipient's record moves `pending` → `committing` → `sent` (or
//! `skipped`), each a flushed store write. `committing` is written after the
//! message body is on the wire and immediately before DATA's final `.`
//! (`smtp.rs`): a process killed before it leaves the server to discard the
//! half-sent message, and the recipient pending; killed after it, the
//! server delivers and the restart counts the recipient as sent. The only
//! gap left is the few microseconds between that write returning and the
//! `.` reaching the socket, where a kill would skip one recipient (never
//! double one). Marking after the server's reply instead would leave a
//! window of its whole queue commit and our flush, in which a kill sends
//! the issue twice: the test that kills `serve` mid-send hit that often.

use std::time::Duration;

use chrono::Utc;

use super::message::{self, IssueMail};
use super::smtp::SendError;
use super::{MailError, Mailer};
use crate::model::{IssueState, SendState, SubscriberStatus};
use crate::store::Store;

/// Transient failures before a recipient is given up on.
pub const MAX_ATTEMPTS: u32 = 8;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub skipped: usize,
    pub confirmations: usize,
    /// Set when the server failed (not the address): wait this long before
    /// the next pass.
    pub retry_after: Option<Duration>,
    /// The pass stopped early because `stop` said so.
    pub stopped: bool,
}

/// Backoff after a failed pass: 30 s doubling per attempt, at most an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(30u64.saturating_mul(1 << attempts.min(7)).min(3600))
}

fn blake_hex8(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_owned()
}

/// The state one pass carries from message to message.
struct Pass {
    report: PassReport,
    connection: Option<super::smtp::Connection>,
    pace: Duration,
    next_slot: tokio::time::Instant,
}

impl Pass {
    /// Waits for the next sending slot (`rate_per_minute`).
    async fn wait_turn(&mut self) {
        let at = self.next_slot;
        self.next_slot = at.max(tokio::time::Instant::now()) + self.pace;
        tokio::time::sleep_until(at).await;
    }

    fn connection(&mut self, mailer: &Mailer) -> &mut super::smtp::Connection {
        self.connection.get_or_insert_with(|| mailer.sender.connect())
    }
}

impl Mailer {
    /// One pass over everything due: pending confirmations, then each open
    /// issue job (whose issue the store shows published) in number order.
    /// `stop` is checked between messages.
    pub async fn send_pending(
        &self,
        store: &dyn Store,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<PassReport, MailError> {
        let mut pass = Pass {
            report: PassReport::default(),
            connection: None,
            pace: Duration::from_secs(60) / self.settings.rate_per_minute.max(1),
            next_slot: tokio::time::Instant::now(),
        };
        if self.send_confirmations(store, stop, &mut pass).await? {
            for number in store.open_mail_jobs()? {
                if !self.send_issue(store, stop, number, &mut pass).await? {
                    break;
                }
            }
        }
        Ok(pass.report)
    }

    /// Confirmation messages not sent yet; `false` when the pass must stop.
    async fn send_confirmations(
        &self,
        store: &dyn Store,
        stop: &(dyn Fn() -> bool + Sync),
        pass: &mut Pass,
    ) -> Result<bool, MailError> {
        for mut subscriber in store.subscribers()? {
            let due = subscriber.status == SubscriberStatus::Pending
                && subscriber.confirm_sent_at.is_none()
                && subscriber.confirm_expires.is_some_and(|e| e > Utc::now());
            let Some(token) = subscriber.confirm_token.clone().filter(|_| due) else { continue };
            if stop() {
                pass.report.stopped = true;
                return Ok(false);
            }
            pass.wait_turn().await;
            let message = message::confirmation_message(
                &self.from,
                &subscriber.email,
                &self.publish.title,
                &self.confirm_url(&token),
                super::list::CONFIRM_TTL_HOURS,
                std::time::SystemTime::now(),
            )?;
            match pass.connection(self).send_now(&message).await {
                Ok(()) => {
                    subscriber.confirm_sent_at = Some(Utc::now());
                    store.put_subscriber(&subscriber)?;
                    pass.report.confirmations += 1;
                }
                Err(SendError::Refused(reason)) => {
                    subscriber.status = SubscriberStatus::Bounced;
                    subscriber.note = Some(reason);
                    store.put_subscriber(&subscriber)?;
                }
                Err(SendError::Failed(reason)) => {
                    tracing::warn!(%reason, "confirmation message not sent; retrying later");
                    pass.report.retry_after = Some(backoff(0));
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Issue `number` to its pending recipients; `false` when the pass must stop.
    async fn send_issue(
        &self,
        store: &dyn Store,
        stop: &(dyn Fn() -> bool + Sync),
        number: u32,
        pass: &mut Pass,
    ) -> Result<bool, MailError> {
        let Some(issue) = store.issue(number)? else { return Ok(true) };
        if issue.state != IssueState::Published {
            return Ok(true); // queued by a publish that has not finished (yet)
        }
        let html = message::inline_css(&self.renderer.issue_page(&issue, &self.publish)?);
        let text = message::html_to_mail_text(&html);
        let list_id = format!("{} {}", self.publish.title, self.list_id);
        for (email, state) in store.sends(number)? {
            let SendState::Pending { attempts, .. } = state else { continue };
            if stop() {
                pass.report.stopped = true;
                return Ok(false);
            }
            let subscriber = store.subscriber(&email)?;
            let Some(subscriber) = subscriber.filter(|s| s.status == SubscriberStatus::Confirmed) else {
                store.put_send(number, &email, &SendState::Skipped { reason: "no longer subscribed".into() })?;
                pass.report.skipped += 1;
                continue;
            };
            pass.wait_turn().await;
            let mail = IssueMail {
                from: &self.from,
                to: &email,
                subject: &issue.title,
                html: &html,
                text: &text,
                unsubscribe_url: &self.unsubscribe_url(&subscriber.unsubscribe_token),
                message_id: format!("<issue-{number}.{}@{}>", blake_hex8(&email), self.from.email.domain()),
                list_id: &list_id,
                date: std::time::SystemTime::now(),
            };
            let message = message::issue_message(&mail)?;
            let mut commit =
                || store.put_send(number, &email, &SendState::Committing { at: Utc::now() }).map_err(|e| e.to_string());
            match pass.connection(self).send(&message, &mut commit).await {
                Ok(()) => {
                    store.put_send(number, &email, &SendState::Sent { at: Utc::now() })?;
                    pass.report.sent += 1;
                }
                Err(SendError::Refused(reason)) => {
                    tracing::info!(issue = number, %email, %reason, "address refused; marked bounced");
                    store.put_send(number, &email, &SendState::Skipped { reason: reason.clone() })?;
                    let mut bounced = subscriber;
                    bounced.status = SubscriberStatus::Bounced;
                    bounced.note = Some(reason);
                    bounced.updated_at = Utc::now();
                    store.put_subscriber(&bounced)?;
                    pass.report.skipped += 1;
                }
                Err(SendError::Failed(reason)) => {
                    let attempts = attempts + 1;
                    let state = if attempts >= MAX_ATTEMPTS {
                        SendState::Skipped { reason: format!("gave up after {attempts} attempts: {reason}") }
                    } else {
                        SendState::Pending { attempts, last_error: Some(reason.clone()) }
                    };
                    store.put_send(number, &email, &state)?;
                    tracing::warn!(issue = number, %email, attempts, %reason, "send failed; retrying later");
                    pass.report.retry_after = Some(backoff(attempts));
                    return Ok(false);
                }
            }
        }
        if store.sends(number)?.iter().all(|(_, s)| !s.is_pending()) {
            store.close_mail_job(number)?;
            tracing::info!(issue = number, "mailing finished");
        }
        Ok(true)
    }
}
