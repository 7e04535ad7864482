//! Webhooks (issue 15.3): events queued in the store, delivered signed
//! (`webhook_sign.rs`) with retries and exponential backoff.
//!
//! Every delivery is a stored record before any attempt, with an id derived
//! from the event and the target, so enqueueing one event twice stores one
//! delivery, a restart resumes the queue, and the receiver can dedup on
//! `webhook-id` a copy we sent but whose answer we never read. Finished
//! deliveries stay as the delivery log (the newest [`LOG_LENGTH`]).
//!
//! Sources of events: `issue.published` through [`PublishHook`];
//! `item.new` from `serve`'s poll reports ([`Webhooks::items_seen`]);
//! `item.approved` from the audit trail ([`Webhooks::collect_approvals`],
//! so approvals from the UI, the CLI or a bulk action are all seen, even
//! while `serve` was down); `issue.corrected` through
//! [`PublishHook::issue_corrected`] once corrections land; `rule.matched`
//! from `[[rule]]` tables at ingest (`ingest::rules`), to the targets each
//! rule names.
//!
//! Any other sender uses the one small API: build a [`Notification`] (event,
//! dedup key, JSON data, [`Recipients`]) and call [`Webhooks::notify`]. It
//! only queues (one store write; no network), so it never blocks the
//! caller; `serve`'s outbound loop delivers, signed, with a timeout, the
//! fetcher's private-network guard and retries with [`backoff`].

pub mod webhook_sign;

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use url::Url;

use crate::config::WebhookTarget;
use crate::fetch::Fetcher;
use crate::model::{Delivery, DeliveryState, Issue, IssueState, Item, WebhookEvent};
use crate::publish::PublishHook;
use crate::store::{Store, StoreError};

/// Attempts before a delivery is marked failed: with the backoff below, the
/// last one comes about 9 hours after the first.
pub const MAX_ATTEMPTS: u32 = 10;
/// Finished deliveries kept as the log.
pub const LOG_LENGTH: usize = 500;
/// The audit cursor's name in the outbox.
const APPROVALS_CURSOR: &str = "audit.approve";

/// A target with its secret read.
#[derive(Clone)]
pub struct Target {
    pub name: Option<String>,
    pub url: Url,
    secret: Vec<u8>,
    pub events: Vec<WebhookEvent>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("url", &self.url.as_str()).field("events", &self.events).finish_non_exhaustive()
    }
}

impl Target {
    /// `secret` as configured (or read from `secret_file`, trimmed). A
    /// Standard Webhooks secret (`whsec_` + base64) is used decoded, as that
    /// spec's verifiers expect; anything else is used as its bytes.
    pub fn new(config: &WebhookTarget, secret: &str) -> Self {
        let secret = secret.trim();
        let bytes = secret
            .strip_prefix("whsec_")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .unwrap_or_else(|| secret.as_bytes().to_vec());
        Self { name: config.name.clone(), url: config.url.clone(), secret: bytes, events: config.events.clone() }
    }
}

/// The delay after failed attempt `n` (1-based): 10 s doubling, at most 2 h.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(10u64.saturating_mul(1 << attempts.saturating_sub(1).min(10)).min(2 * 3600))
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Who receives a [`Notification`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Every target whose `events` list the notification's event.
    Subscribed,
    /// The targets with these `name`s, whatever their `events` (a rule's
    /// `notify = "desk"`); an unknown name reaches nobody.
    Named(Vec<String>),
}

/// One thing to tell the outside world, as any sender hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub event: WebhookEvent,
    /// Identifies the occurrence (e.g. `ITEM@rule:NAME`): with the event and
    /// the target's URL it makes the delivery id, so notifying twice queues
    /// one delivery per target.
    pub key: String,
    /// The body's `data` member.
    pub data: Value,
    pub to: Recipients,
}

/// The configured targets and the client that delivers to them.
#[derive(Clone)]
pub struct Webhooks {
    targets: Vec<Target>,
    client: Fetcher,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").field("targets", &self.targets).finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(targets: Vec<Target>, client: Fetcher) -> Self {
        Self { targets, client }
    }

    /// Queues `event` for every target that wants it. `key` identifies the
    /// occurrence (an item id and revision, an issue number): with the event
    /// and the target's URL it makes the delivery id.
    pub fn enqueue(
        &self,
        store: &dyn Store,
        event: WebhookEvent,
        key: &str,
        data: &Value,
        after_issue: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let notification = Notification { event, key: key.to_owned(), data: data.clone(), to: Recipients::Subscribed };
        self.queue(store, &notification, after_issue, now)
    }

    /// Queues `notification` for its recipients; returns how many
    /// deliveries it newly queued (0 when no target is meant, or when the
    /// same event and key were queued before). No network: see the module docs.
    pub fn notify(
        &self,
        store: &dyn Store,
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.queue(store, notification, None, now)
    }

    fn queue(
        &self,
        store: &dyn Store,
        notification: &Notification,
        after_issue: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let Notification { event, key, data, to } = notification;
        let event = *event;
        let meant = |t: &&Target| match to {
            Recipients::Subscribed => t.events.contains(&event),
            Recipients::Named(names) => t.name.as_ref().is_some_and(|n| names.contains(n)),
        };
        let deliveries: Vec<Delivery> = self
            .targets
            .iter()
            .filter(meant)
            .map(|target| {
                let seed = format!("{}\n{key}\n{}", event.as_str(), target.url);
                let id = format!("msg_{}", &blake3::hash(seed.as_bytes()).to_hex()[..26]);
                let body = json!({
                    "type": event.as_str(),
                    "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "data": data,
                })
                .to_string();
                Delivery {
                    id,
                    url: target.url.to_string(),
                    event,
                    body,
                    created_at: now,
                    after_issue,
                    state: DeliveryState::Pending,
                    attempts: 0,
                    next_attempt_at: now,
                    last_result: None,
                    delivered_at: None,
                }
            })
            .collect();
        if deliveries.is_empty() {
            return Ok(0);
        }
        store.enqueue_deliveries(&deliveries)
    }

    fn wants(&self, event: WebhookEvent) -> bool {
        self.targets.iter().any(|t| t.events.contains(&event))
    }

    /// `item.new` for the items of a poll first seen at or after `since`
    /// (the poll's start): `changed` also holds updated items.
    pub fn items_seen(
        &self,
        store: &dyn Store,
        changed: &[crate::model::ItemId],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !self.wants(WebhookEvent::ItemNew) {
            return Ok(());
        }
        for id in changed {
            if let Some(item) = store.item(id)?.filter(|item| item.first_seen >= since) {
                self.enqueue(store, WebhookEvent::ItemNew, id.as_str(), &item_data(&item), None, now)?;
            }
        }
        Ok(())
    }

    /// `item.approved` for every approval in the audit trail since the last
    /// call (the first call starts from `now`: configuring a webhook does not
    /// replay history).
    pub fn collect_approvals(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<(), StoreError> {
        if !self.wants(WebhookEvent::ItemApproved) {
            return Ok(());
        }
        let Some(cursor) = store.outbox_cursor(APPROVALS_CURSOR)? else {
            return store.put_outbox_cursor(APPROVALS_CURSOR, now);
        };
        let mut newest = cursor;
        // The audit trail is newest first; stop at the cursor.
        for entry in store.recent_audit(1000)?.into_iter().take_while(|e| e.at > cursor) {
            newest = newest.max(entry.at);
            if entry.action != "approve" {
                continue;
            }
            let Some(item) = store.item(&entry.item_id)? else { continue };
            let mut data = item_data(&item);
            data["approved_by"] = json!(entry.actor);
            data["revision"] = json!(entry.revision);
            let key = format!("{}@{}", entry.item_id.as_str(), entry.revision);
            self.enqueue(store, WebhookEvent::ItemApproved, &key, &data, None, now)?;
        }
        if newest > cursor {
            store.put_outbox_cursor(APPROVALS_CURSOR, newest)?;
        }
        Ok(())
    }

    /// Attempts every pending delivery that is due at `now`, one at a time
    /// (a slow receiver delays the queue rather than opening many
    /// connections to it). Each outcome is stored before the next attempt.
    pub async fn deliver_due(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        for mut delivery in store.deliveries()? {
            if delivery.state != DeliveryState::Pending || delivery.next_attempt_at > now {
                continue;
            }
            if let Some(number) = delivery.after_issue
                && store.issue(number)?.is_none_or(|issue| issue.state != IssueState::Published)
            {
                continue;
            }
            // The secret is the current config's for that URL; a target
            // removed from the config since is not delivered to any more.
            let Some(target) = self.targets.iter().find(|t| t.url.as_str() == delivery.url) else {
                delivery.state = DeliveryState::Failed;
                delivery.last_result = Some("target no longer configured".to_owned());
                store.put_delivery(&delivery)?;
                report.failed += 1;
                continue;
            };
            let timestamp = Utc::now().timestamp();
            let headers = webhook_sign::headers(&target.secret, &delivery.id, timestamp, &delivery.body);
            let result = self.client.post_json(&target.url, &headers, delivery.body.clone()).await;
            delivery.attempts += 1;
            let ok = matches!(result, Ok(status) if (200..300).contains(&status));
            delivery.last_result = Some(match &result {
                Ok(status) => format!("HTTP {status}"),
                Err(error) => error.short_message(),
            });
            if ok {
                delivery.state = DeliveryState::Delivered;
                delivery.delivered_at = Some(Utc::now());
                report.delivered += 1;
            } else if delivery.attempts >= MAX_ATTEMPTS {
                delivery.state = DeliveryState::Failed;
                report.failed += 1;
            } else {
                let wait = chrono::Duration::from_std(backoff(delivery.attempts)).unwrap_or(chrono::Duration::hours(2));
                delivery.next_attempt_at = now + wait;
                report.retrying += 1;
            }
            store.put_delivery(&delivery)?;
        }
        if report.delivered + report.failed > 0 {
            store.prune_deliveries(LOG_LENGTH)?;
        }
        Ok(report)
    }
}

/// An item as notifications describe it: id, title, url, sources,
/// published, state.
pub fn item_data(item: &Item) -> Value {
    json!({
        "id": item.id.as_str(),
        "title": item.title,
        "url": item.url,
        "sources": item.sources,
        "published": item.published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "state": item.state.as_str(),
    })
}

fn issue_data(issue: &Issue) -> Value {
    json!({
        "number": issue.number,
        "title": issue.title,
        "items": issue.item_count(),
        "period": {
            "start": issue.period.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "end": issue.period.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        "summary": issue.summary,
    })
}

impl PublishHook for Webhooks {
    fn issue_published(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        let key = issue.number.to_string();
        self.enqueue(
            store,
            WebhookEvent::IssuePublished,
            &key,
            &issue_data(issue),
            Some(issue.number),
            issue.created_at,
        )
        .map(drop)
    }

    fn issue_corrected(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        // One event per correction: keyed by when it was made, so a hook
        // called twice for one correction queues one delivery.
        let now = issue.corrections.last().map_or_else(Utc::now, |c| c.at);
        let key = format!("{}@{}", issue.number, now.timestamp_micros());
        self.enqueue(store, WebhookEvent::IssueCorrected, &key, &issue_data(issue), None, now).map(drop)
    }
}
