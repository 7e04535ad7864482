//! The mailing list, per-issue send state and webhook outbox, in two trees of
//! their own (`mail.list`, `webhook.outbox`) beside the records tree: they share no
//! batch with items, so keeping them apart leaves the item layout, its dump
//! and its migrations untouched. (No `.vN` suffix: that names the retired
//! per-concern trees of schema v1, which migrations remove; a new layout
//! here gets a new tree name.)
//!
//! Layout of `mail.list`: `sub/{email}` → subscriber (JSON), `tok/{token}` →
//! email (confirmation and unsubscribe tokens), `job/{number:be32}` → `open`
//! or `done`, `send/{number:be32}/{email}` → send state (JSON). Big-endian
//! numbers keep jobs and sends in issue order. `webhook.outbox` holds
//! `d/{id}` → delivery (JSON).
//!
//! Send-state and delivery writes flush before returning: they are what a
//! restart reads to avoid mailing or posting anything twice.

use sled::{Batch, Tree};

use super::super::{MailStore, OutboxStore, StoreError};
use super::SledStore;
use super::open::io;
use crate::model::{Delivery, DeliveryState, SendState, Subscriber};

pub(super) const MAIL_TREE: &str = "mail.list";
pub(super) const OUTBOX_TREE: &str = "webhook.outbox";

const JOB_OPEN: &[u8] = b"open";
const JOB_DONE: &[u8] = b"done";

fn sub_key(email: &str) -> Vec<u8> {
    [b"sub/".as_slice(), email.as_bytes()].concat()
}

fn token_key(token: &str) -> Vec<u8> {
    [b"tok/".as_slice(), token.as_bytes()].concat()
}

fn job_key(number: u32) -> Vec<u8> {
    [b"job/".as_slice(), &number.to_be_bytes()].concat()
}

fn send_prefix(number: u32) -> Vec<u8> {
    [b"send/".as_slice(), &number.to_be_bytes(), b"/"].concat()
}

fn delivery_key(id: &str) -> Vec<u8> {
    [b"d/".as_slice(), id.as_bytes()].concat()
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records of plain fields always serialize")
}

fn decode<T: serde::de::DeserializeOwned>(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn tokens(subscriber: &Subscriber) -> impl Iterator<Item = &str> {
    std::iter::once(subscriber.unsubscribe_token.as_str()).chain(subscriber.confirm_token.as_deref())
}

impl SledStore {
    fn mail(&self) -> &Tree {
        &self.mail
    }

    fn durable(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(io)?;
        Ok(())
    }
}

impl MailStore for SledStore {
    fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        let key = sub_key(email);
        self.mail().get(&key).map_err(io)?.map(|v| decode(MAIL_TREE, &key, &v)).transpose()
    }

    fn subscriber_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        let Some(email) = self.mail().get(token_key(token)).map_err(io)? else { return Ok(None) };
        let subscriber = self.subscriber(&String::from_utf8_lossy(&email))?;
        // A token left over from an older record (a renewed confirmation) is no longer valid.
        Ok(subscriber.filter(|s| tokens(s).any(|t| t == token)))
    }

    fn put_subscriber(&self, subscriber: &Subscriber) -> Result<(), StoreError> {
        let _writing = self.lock();
        let mut batch = Batch::default();
        if let Some(old) = self.subscriber(&subscriber.email)? {
            for token in tokens(&old) {
                batch.remove(token_key(token));
            }
        }
        for token in tokens(subscriber) {
            batch.insert(token_key(token), subscriber.email.as_bytes());
        }
        batch.insert(sub_key(&subscriber.email), encode(subscriber));
        self.mail().apply_batch(batch).map_err(io)?;
        self.durable()
    }

    fn remove_subscriber(&self, email: &str) -> Result<bool, StoreError> {
        let _writing = self.lock();
        let Some(old) = self.subscriber(email)? else { return Ok(false) };
        let mut batch = Batch::default();
        for token in tokens(&old) {
            batch.remove(token_key(token));
        }
        batch.remove(sub_key(email));
        self.mail().apply_batch(batch).map_err(io)?;
        self.durable()?;
        Ok(true)
    }

    fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.mail()
            .scan_prefix(b"sub/")
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                decode(MAIL_TREE, &key, &value)
            })
            .collect()
    }

    fn queue_issue_mail(&self, number: u32, recipients: &[String]) -> Result<bool, StoreError> {
        let _writing = self.lock();
        if self.mail().get(job_key(number)).map_err(io)?.is_some() {
            return Ok(false);
        }
        let mut batch = Batch::default();
        let pending = encode(&SendState::Pending { attempts: 0, last_error: None });
        let prefix = send_prefix(number);
        for email in recipients {
            batch.insert([prefix.as_slice(), email.as_bytes()].concat(), pending.clone());
        }
        batch.insert(job_key(number), JOB_OPEN);
        self.mail().apply_batch(batch).map_err(io)?;
        self.durable()?;
        Ok(true)
    }

    fn open_mail_jobs(&self) -> Result<Vec<u32>, StoreError> {
        let mut open = Vec::new();
        for entry in self.mail().scan_prefix(b"job/") {
            let (key, value) = entry.map_err(io)?;
            let number =
                key.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes).ok_or_else(|| {
                    StoreError::Corrupt {
                        tree: MAIL_TREE,
                        key: String::from_utf8_lossy(&key).into_owned(),
                        reason: "job key without a 4-byte issue number".to_owned(),
                    }
                })?;
            if value.as_ref() == JOB_OPEN {
                open.push(number);
            }
        }
        Ok(open)
    }

    fn close_mail_job(&self, number: u32) -> Result<(), StoreError> {
        self.mail().insert(job_key(number), JOB_DONE).map_err(io)?;
        self.durable()
    }

    fn sends(&self, number: u32) -> Result<Vec<(String, SendState)>, StoreError> {
        let prefix = send_prefix(number);
        self.mail()
            .scan_prefix(&prefix)
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                let email = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
                Ok((email, decode(MAIL_TREE, &key, &value)?))
            })
            .collect()
    }

    fn put_send(&self, number: u32, email: &str, state: &SendState) -> Result<(), StoreError> {
        let key = [send_prefix(number).as_slice(), email.as_bytes()].concat();
        self.mail().insert(key, encode(state)).map_err(io)?;
        // `sent` only follows a flushed `committing`, which a restart already
        // counts as sent: losing it changes nothing, so it skips the fsync
        // (half the flushes of a send).
        if matches!(state, SendState::Sent { .. }) { Ok(()) } else { self.durable() }
    }
}

impl OutboxStore for SledStore {
    fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> Result<usize, StoreError> {
        let _writing = self.lock();
        let mut batch = Batch::default();
        let mut new = 0;
        for delivery in deliveries {
            let key = delivery_key(&delivery.id);
            if self.outbox.get(&key).map_err(io)?.is_none() {
                batch.insert(key, encode(delivery));
                new += 1;
            }
        }
        if new > 0 {
            self.outbox.apply_batch(batch).map_err(io)?;
            self.durable()?;
        }
        Ok(new)
    }

    fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.outbox.insert(delivery_key(&delivery.id), encode(delivery)).map_err(io)?;
        self.durable()
    }

    fn deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut all = self
            .outbox
            .scan_prefix(b"d/")
            .map(|entry| {
                let (key, value) = entry.map_err(io)?;
                decode(OUTBOX_TREE, &key, &value)
            })
            .collect::<Result<Vec<Delivery>, StoreError>>()?;
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    fn prune_deliveries(&self, keep: usize) -> Result<(), StoreError> {
        let all = self.deliveries()?;
        let finished: Vec<&Delivery> = all.iter().filter(|d| d.state != DeliveryState::Pending).collect();
        let excess = finished.len().saturating_sub(keep);
        if excess == 0 {
            return Ok(());
        }
        let mut batch = Batch::default();
        for delivery in &finished[..excess] {
            batch.remove(delivery_key(&delivery.id));
        }
        self.outbox.apply_batch(batch).map_err(io)?;
        Ok(())
    }

    fn outbox_cursor(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let key = [b"cursor/".as_slice(), name.as_bytes()].concat();
        self.outbox.get(&key).map_err(io)?.map(|v| decode(OUTBOX_TREE, &key, &v)).transpose()
    }

    fn put_outbox_cursor(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        let key = [b"cursor/".as_slice(), name.as_bytes()].concat();
        self.outbox.insert(key, encode(&at)).map_err(io)?;
        self.durable()
    }
}
