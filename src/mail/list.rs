//! The mailing list's rules: address checks, operator adds and imports, the
//! double opt-in (sign up, confirm within [`CONFIRM_TTL_HOURS`]) and the
//! token-only unsubscribe. Sending is `send.rs`'s business.

use chrono::{DateTime, Duration, Utc};

use super::MailError;
use crate::model::{Subscriber, SubscriberStatus};
use crate::store::Store;

/// How long a confirmation link works: long enough for a weekend away from
/// the inbox, short enough that an old forwarded message cannot sign anyone up.
pub const CONFIRM_TTL_HOURS: i64 = 48;

/// The address as stored: trimmed, lower-cased, and a valid mailbox.
pub fn normalize_email(text: &str) -> Result<String, MailError> {
    let email = text.trim().to_lowercase();
    match email.parse::<lettre::Address>() {
        Ok(_) if !email.contains(['<', '>', ' ', ',']) => Ok(email),
        _ => Err(MailError::BadAddress { address: text.trim().to_owned() }),
    }
}

/// 32 random bytes, hex: unguessable, URL-safe.
pub(crate) fn new_token() -> Result<String, MailError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| MailError::Random(e.to_string()))?;
    Ok(blake3::Hash::from_bytes(bytes).to_hex().to_string())
}

fn fresh(email: String, status: SubscriberStatus, now: DateTime<Utc>) -> Result<Subscriber, MailError> {
    Ok(Subscriber {
        email,
        status,
        unsubscribe_token: new_token()?,
        confirm_token: None,
        confirm_expires: None,
        confirm_sent_at: None,
        created_at: now,
        updated_at: now,
        note: None,
    })
}

fn ask_confirmation(subscriber: &mut Subscriber, now: DateTime<Utc>) -> Result<(), MailError> {
    subscriber.status = SubscriberStatus::Pending;
    subscriber.confirm_token = Some(new_token()?);
    subscriber.confirm_expires = Some(now + Duration::hours(CONFIRM_TTL_HOURS));
    subscriber.confirm_sent_at = None;
    subscriber.updated_at = now;
    Ok(())
}

/// What an add or sign-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Stored confirmed (the operator vouches for consent).
    Confirmed,
    /// Stored pending: a confirmation message is queued.
    ConfirmationQueued,
    /// Already confirmed: nothing changed.
    AlreadyConfirmed,
}

/// `gleaner subscribers add EMAIL [--confirmed]` and each row of an import;
/// also the web form (`confirmed = false`).
pub fn add(store: &dyn Store, email: &str, confirmed: bool, now: DateTime<Utc>) -> Result<Added, MailError> {
    let email = normalize_email(email)?;
    let existing = store.subscriber(&email)?;
    if existing.as_ref().is_some_and(|s| s.status == SubscriberStatus::Confirmed) {
        return Ok(Added::AlreadyConfirmed);
    }
    // A form submitted again within the hour gets no second message: the
    // sign-up form must not become a way to flood someone's inbox.
    if !confirmed
        && existing.as_ref().is_some_and(|s| {
            s.status == SubscriberStatus::Pending && s.confirm_sent_at.is_some_and(|at| now - at < Duration::hours(1))
        })
    {
        return Ok(Added::ConfirmationQueued);
    }
    let mut subscriber = match existing {
        Some(s) => s,
        None => fresh(email, SubscriberStatus::Pending, now)?,
    };
    let added = if confirmed {
        subscriber.status = SubscriberStatus::Confirmed;
        subscriber.confirm_token = None;
        subscriber.confirm_expires = None;
        subscriber.note = None;
        subscriber.updated_at = now;
        Added::Confirmed
    } else {
        ask_confirmation(&mut subscriber, now)?;
        Added::ConfirmationQueued
    };
    store.put_subscriber(&subscriber)?;
    Ok(added)
}

/// What following a confirmation link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Done { email: String },
    Expired,
    Unknown,
}

pub fn confirm(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Confirmed, MailError> {
    let Some(mut subscriber) = store.subscriber_by_token(token)? else { return Ok(Confirmed::Unknown) };
    if subscriber.confirm_token.as_deref() != Some(token) {
        // An unsubscribe token is not a confirmation.
        return Ok(Confirmed::Unknown);
    }
    if subscriber.confirm_expires.is_none_or(|expires| expires < now) {
        return Ok(Confirmed::Expired);
    }
    subscriber.status = SubscriberStatus::Confirmed;
    subscriber.confirm_token = None;
    subscriber.confirm_expires = None;
    subscriber.updated_at = now;
    store.put_subscriber(&subscriber)?;
    Ok(Confirmed::Done { email: subscriber.email })
}

/// Unsubscribes whoever holds `token`; `None` for an unknown token. Kept as
/// a record (status `unsubscribed`) so a later import cannot silently add
/// the address back as confirmed without the operator seeing it.
pub fn unsubscribe(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Option<String>, MailError> {
    let Some(mut subscriber) = store.subscriber_by_token(token)? else { return Ok(None) };
    if subscriber.unsubscribe_token != token {
        return Ok(None);
    }
    if subscriber.status != SubscriberStatus::Unsubscribed {
        subscriber.status = SubscriberStatus::Unsubscribed;
        subscriber.confirm_token = None;
        subscriber.confirm_expires = None;
        subscriber.updated_at = now;
        store.put_subscriber(&subscriber)?;
    }
    Ok(Some(subscriber.email))
}

/// `gleaner subscribers remove EMAIL`: forgets the address entirely.
pub fn remove(store: &dyn Store, email: &str) -> Result<bool, MailError> {
    Ok(store.remove_subscriber(&normalize_email(email)?)?)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub confirmed: usize,
    pub confirmation_queued: usize,
    pub already: usize,
    /// `line N: reason` for each row skipped.
    pub errors: Vec<String>,
}

/// `gleaner subscribers import FILE [--confirmed]`: one address per row, in
/// the first column of a CSV (a header row naming `email` is skipped, as
/// are blank lines and `#` comments). A bad row is reported by line and
/// skipped; the others are still imported.
pub fn import_csv(
    store: &dyn Store,
    text: &str,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, MailError> {
    let mut report = ImportReport::default();
    for (index, line) in text.lines().enumerate() {
        let first = line.split(',').next().unwrap_or("").trim().trim_matches('"').trim();
        if first.is_empty() || first.starts_with('#') || (index == 0 && first.eq_ignore_ascii_case("email")) {
            continue;
        }
        match add(store, first, confirmed, now) {
            Ok(Added::Confirmed) => report.confirmed += 1,
            Ok(Added::ConfirmationQueued) => report.confirmation_queued += 1,
            Ok(Added::AlreadyConfirmed) => report.already += 1,
            Err(MailError::BadAddress { address }) => {
                report.errors.push(format!("line {}: not an email address: {address:?}", index + 1));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MailStore, SledStore};

    #[test]
    fn addresses_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ann@Example.ORG ").unwrap(), "ann@example.org");
        assert!(normalize_email("not an address").is_err());
        assert!(normalize_email("a@b@c").is_err());
    }

    #[test]
    fn confirmation_expires_and_unsubscribe_needs_the_right_token() {
        let store = SledStore::temporary().unwrap();
        let now = Utc::now();
        assert_eq!(add(&store, "a@example.org", false, now).unwrap(), Added::ConfirmationQueued);
        let mut pending = store.subscriber("a@example.org").unwrap().unwrap();
        pending.confirm_sent_at = Some(now);
        store.put_subscriber(&pending).unwrap();
        add(&store, "a@example.org", false, now).unwrap();
        assert_eq!(store.subscriber("a@example.org").unwrap().unwrap(), pending, "no second message within the hour");
        let token = pending.confirm_token.clone().unwrap();
        let late = now + Duration::hours(CONFIRM_TTL_HOURS + 1);
        assert_eq!(confirm(&store, &token, late).unwrap(), Confirmed::Expired);
        assert_eq!(confirm(&store, &pending.unsubscribe_token, now).unwrap(), Confirmed::Unknown);
        assert_eq!(confirm(&store, &token, now).unwrap(), Confirmed::Done { email: "a@example.org".into() });
        assert_eq!(store.subscriber("a@example.org").unwrap().unwrap().status, SubscriberStatus::Confirmed);
        assert_eq!(unsubscribe(&store, &token, now).unwrap(), None, "a used confirmation token is void");
        assert_eq!(unsubscribe(&store, &pending.unsubscribe_token, now).unwrap().as_deref(), Some("a@example.org"));
        assert_eq!(store.subscriber("a@example.org").unwrap().unwrap().status, SubscriberStatus::Unsubscribed);
    }

    #[test]
    fn import_reports_bad_rows_by_line_and_keeps_the_rest() {
        let store = SledStore::temporary().unwrap();
        let csv = "email,name\nann@example.org,Ann\n\nnot-an-address,X\n\"bob@example.org\"\nann@example.org\n";
        let report = import_csv(&store, csv, true, Utc::now()).unwrap();
        assert_eq!(report.confirmed, 2);
        assert_eq!(report.already, 1);
        assert_eq!(report.errors, vec!["line 4: not an email address: \"not-an-address\"".to_owned()]);
        assert_eq!(store.subscribers().unwrap().len(), 2);
    }
}
