//! The mailing list, per-issue send state and webhook outbox on PostgreSQL
//! (the sled layout is in `sled/notify.rs`). Every write is a committed
//! transaction, so the "durable when this returns" promises hold as they are.

use super::super::{MailStore, OutboxStore, StoreError};
use super::{Failure, PgStore, Tx, execute, query};
use crate::model::{Delivery, DeliveryState, SendState, Subscriber};

const MAIL: &str = "mail";
const OUTBOX: &str = "outbox";

fn encode<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records of plain fields always serialize")
}

fn decode<T: serde::de::DeserializeOwned>(table: &'static str, key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        tree: table,
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

fn tokens(subscriber: &Subscriber) -> impl Iterator<Item = &str> {
    std::iter::once(subscriber.unsubscribe_token.as_str()).chain(subscriber.confirm_token.as_deref())
}

fn number(n: u32) -> i64 {
    i64::from(n)
}

async fn subscriber_row(tx: &Tx<'_>, email: &str) -> Result<Option<Subscriber>, Failure> {
    let rows = query(tx, "SELECT record::text FROM subscribers WHERE email = $1", &[&email]).await?;
    Ok(rows.first().map(|row| decode(MAIL, email, row.get(0))).transpose()?)
}

async fn all_deliveries(tx: &Tx<'_>) -> Result<Vec<Delivery>, Failure> {
    let rows = query(tx, "SELECT id, record::text FROM webhook_deliveries ORDER BY created_at, id", &[]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(decode(OUTBOX, row.get(0), row.get(1))?);
    }
    // As sled sorts: by the record's own time (the column is its microsecond copy).
    out.sort_by(|a: &Delivery, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

impl MailStore for PgStore {
    fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        self.transaction(async |tx| subscriber_row(tx, email).await)
    }

    fn subscriber_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT email FROM subscriber_tokens WHERE token = $1", &[&token]).await?;
            let Some(row) = rows.first() else { return Ok(None) };
            let subscriber = subscriber_row(tx, row.get(0)).await?;
            // A token left over from an older record (a renewed confirmation) is no longer valid.
            Ok(subscriber.filter(|s| tokens(s).any(|t| t == token)))
        })
    }

    fn put_subscriber(&self, subscriber: &Subscriber) -> Result<(), StoreError> {
        let record = encode(subscriber);
        self.transaction(async |tx| {
            let email = subscriber.email.as_str();
            execute(tx, "DELETE FROM subscriber_tokens WHERE email = $1", &[&email]).await?;
            for token in tokens(subscriber) {
                execute(
                    tx,
                    "INSERT INTO subscriber_tokens (token, email) VALUES ($1, $2)
                     ON CONFLICT (token) DO UPDATE SET email = EXCLUDED.email",
                    &[&token, &email],
                )
                .await?;
            }
            execute(
                tx,
                "INSERT INTO subscribers (email, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (email) DO UPDATE SET record = EXCLUDED.record",
                &[&email, &record],
            )
            .await?;
            Ok(())
        })
    }

    fn remove_subscriber(&self, email: &str) -> Result<bool, StoreError> {
        self.transaction(async |tx| {
            execute(tx, "DELETE FROM subscriber_tokens WHERE email = $1", &[&email]).await?;
            Ok(execute(tx, "DELETE FROM subscribers WHERE email = $1", &[&email]).await? == 1)
        })
    }

    fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT email, record::text FROM subscribers ORDER BY email", &[]).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(decode(MAIL, row.get(0), row.get(1))?);
            }
            Ok(out)
        })
    }

    fn queue_issue_mail(&self, n: u32, recipients: &[String]) -> Result<bool, StoreError> {
        let pending = encode(&SendState::Pending { attempts: 0, last_error: None });
        self.transaction(async |tx| {
            let sql = "INSERT INTO mail_jobs (number, done) VALUES ($1, false) ON CONFLICT DO NOTHING";
            if execute(tx, sql, &[&number(n)]).await? == 0 {
                return Ok(false);
            }
            for email in recipients {
                execute(
                    tx,
                    "INSERT INTO mail_sends (number, email, record) VALUES ($1, $2, $3::text::json)
                     ON CONFLICT (number, email) DO UPDATE SET record = EXCLUDED.record",
                    &[&number(n), email, &pending],
                )
                .await?;
            }
            Ok(true)
        })
    }

    fn open_mail_jobs(&self) -> Result<Vec<u32>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT number FROM mail_jobs WHERE NOT done ORDER BY number", &[]).await?;
            Ok(rows.iter().filter_map(|row| u32::try_from(row.get::<_, i64>(0)).ok()).collect())
        })
    }

    fn close_mail_job(&self, n: u32) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO mail_jobs (number, done) VALUES ($1, true) ON CONFLICT (number) DO UPDATE SET done = true",
                &[&number(n)],
            )
            .await?;
            Ok(())
        })
    }

    fn sends(&self, n: u32) -> Result<Vec<(String, SendState)>, StoreError> {
        self.transaction(async |tx| {
            let sql = "SELECT email, record::text FROM mail_sends WHERE number = $1 ORDER BY email";
            let rows = query(tx, sql, &[&number(n)]).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let email: String = row.get(0);
                let state = decode(MAIL, &email, row.get(1))?;
                out.push((email, state));
            }
            Ok(out)
        })
    }

    fn put_send(&self, n: u32, email: &str, state: &SendState) -> Result<(), StoreError> {
        let record = encode(state);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO mail_sends (number, email, record) VALUES ($1, $2, $3::text::json)
                 ON CONFLICT (number, email) DO UPDATE SET record = EXCLUDED.record",
                &[&number(n), &email, &record],
            )
            .await?;
            Ok(())
        })
    }
}

impl OutboxStore for PgStore {
    fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> Result<usize, StoreError> {
        self.transaction(async |tx| {
            let mut new = 0;
            for delivery in deliveries {
                let inserted = execute(
                    tx,
                    "INSERT INTO webhook_deliveries (id, created_at, finished, record)
                     VALUES ($1, $2, $3, $4::text::json) ON CONFLICT DO NOTHING",
                    &[
                        &delivery.id,
                        &delivery.created_at,
                        &(delivery.state != DeliveryState::Pending),
                        &encode(delivery),
                    ],
                )
                .await?;
                new += usize::try_from(inserted).unwrap_or(0);
            }
            Ok(new)
        })
    }

    fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO webhook_deliveries (id, created_at, finished, record)
                 VALUES ($1, $2, $3, $4::text::json)
                 ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at,
                     finished = EXCLUDED.finished, record = EXCLUDED.record",
                &[&delivery.id, &delivery.created_at, &(delivery.state != DeliveryState::Pending), &encode(delivery)],
            )
            .await?;
            Ok(())
        })
    }

    fn deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        self.transaction(async |tx| all_deliveries(tx).await)
    }

    fn prune_deliveries(&self, keep: usize) -> Result<(), StoreError> {
        self.transaction(async |tx| {
            let all = all_deliveries(tx).await?;
            let finished: Vec<&Delivery> = all.iter().filter(|d| d.state != DeliveryState::Pending).collect();
            let excess = finished.len().saturating_sub(keep);
            if excess > 0 {
                let ids: Vec<&str> = finished[..excess].iter().map(|d| d.id.as_str()).collect();
                execute(tx, "DELETE FROM webhook_deliveries WHERE id = ANY ($1)", &[&ids]).await?;
            }
            Ok(())
        })
    }

    fn outbox_cursor(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT record::text FROM outbox_cursors WHERE name = $1", &[&name]).await?;
            Ok(rows.first().map(|row| decode(OUTBOX, name, row.get(0))).transpose()?)
        })
    }

    fn put_outbox_cursor(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        // The record keeps the exact time (a `timestamptz` would cut it to microseconds).
        let record = encode(&at);
        self.transaction(async |tx| {
            execute(
                tx,
                "INSERT INTO outbox_cursors (name, record) VALUES ($1, $2::text::json)
                 ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record",
                &[&name, &record],
            )
            .await?;
            Ok(())
        })
    }
}
