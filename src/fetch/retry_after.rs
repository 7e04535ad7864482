//! `Retry-After` (RFC 9110 §10.2.3): when a 429 or 503 says we may come back.
//!
//! Pure: the caller supplies `now`.

use chrono::{DateTime, TimeDelta, Utc};

/// The instant named by a `Retry-After` value: either delta-seconds
/// (`120`) counted from `now`, or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`,
/// and the obsolete RFC 850 and asctime forms RFC 9110 still asks recipients
/// to accept).
///
/// A date in the past yields `now` (come back at once). `None` for anything
/// unparseable, negative, or too far out to represent; callers then fall back
/// to their own backoff.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = value.parse().ok()?;
        return now.checked_add_signed(TimeDelta::try_seconds(seconds)?);
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    Some(at.max(now))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 3, 12, 0, 0).single().expect("valid test date")
    }

    #[test]
    fn delta_seconds_count_from_now() {
        assert_eq!(parse_retry_after("120", now()), Some(now() + TimeDelta::seconds(120)));
        assert_eq!(parse_retry_after(" 0 ", now()), Some(now()));
    }

    #[test]
    fn imf_fixdate_is_absolute() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 3, 12, 30, 0).single();
        assert_eq!(parse_retry_after("Tue, 03 Nov 2026 12:30:00 GMT", now()), expected);
    }

    #[test]
    fn obsolete_date_forms_are_accepted() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 3, 12, 30, 0).single();
        assert_eq!(parse_retry_after("Tuesday, 03-Nov-26 12:30:00 GMT", now()), expected);
        assert_eq!(parse_retry_after("Tue Nov  3 12:30:00 2026", now()), expected);
    }

    #[test]
    fn past_date_means_now() {
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now()), Some(now()));
    }

    #[test]
    fn garbage_negative_and_overflow_are_none() {
        for value in ["", "soon", "-5", "1.5", "12abc", "99999999999999999999", "9223372036854775807"] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }
}
