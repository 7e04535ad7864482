//! When to poll next: schedule ticks with jitter after a success, exponential
//! backoff with jitter after a failure, and the server's Retry-After above both.
//!
//! Pure: `now` and the random draw are parameters, so every rule is testable.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::Schedule;

/// A random draw in `[0, 1)`, passed in so the policy stays deterministic under test.
#[derive(Debug, Clone, Copy)]
pub struct Draw(f64);

impl Draw {
    /// Clamps into `[0, 1)`; NaN counts as 0.
    pub fn new(value: f64) -> Self {
        Self(if value.is_finite() { value.clamp(0.0, 0.999_999) } else { 0.0 })
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

fn scaled(duration: Duration, factor: f64) -> Duration {
    duration.mul_f64(factor)
}

/// The next poll after a success: the schedule's next tick, plus up to `jitter`
/// so that many sources on one schedule do not hit their hosts in the same second.
pub fn next_due_after_success(schedule: &Schedule, now: DateTime<Utc>, jitter: Duration, draw: Draw) -> DateTime<Utc> {
    let tick = schedule.next_after(now).unwrap_or(now + TimeDelta::days(1));
    tick + delta(scaled(jitter, draw.0))
}

/// Backoff before retry number `failures` (1 = first failure): `base · 2^(failures-1)`
/// capped at `cap`, then "equal jitter" (half fixed, half random) so that retries of
/// sources that failed together spread out but never come sooner than half the step.
pub fn backoff_delay(failures: u32, base: Duration, cap: Duration, draw: Draw) -> Duration {
    let exponent = failures.saturating_sub(1).min(31);
    let step = base.checked_mul(1 << exponent).unwrap_or(cap).min(cap);
    step / 2 + scaled(step / 2, draw.0)
}

/// The next poll after a failure: backoff, but never before the server's
/// Retry-After (RFC 9110 §10.2.3). A source is never dropped: it is always due again.
pub fn next_due_after_failure(
    failures: u32,
    retry_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    base: Duration,
    cap: Duration,
    draw: Draw,
) -> DateTime<Utc> {
    let backoff = now + delta(backoff_delay(failures, base, cap, draw));
    retry_after.map_or(backoff, |server| server.max(backoff))
}

/// Article fetches that failed for a passing reason are tried again this
/// many times at most (after 15 min, 1 h, 4 h and 16 h), then left with their
/// note: a page down for a day is likelier gone than coming back.
pub const ARTICLE_ATTEMPTS: u32 = 5;

/// When to fetch an article page again after its `attempts`-th failed fetch,
/// or `None` when it has had its tries.
pub fn article_retry_due(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if attempts == 0 || attempts >= ARTICLE_ATTEMPTS {
        return None;
    }
    let minutes = 15i64 << (2 * (attempts - 1));
    Some(now + chrono::TimeDelta::minutes(minutes))
}

/// When a source should first be polled by a scheduler starting at `now`: its
/// stored due time, or at once. A due time long past (the process was down)
/// yields `now`, so a missed tick runs once rather than once per missed tick.
pub fn first_due(stored_next_due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    stored_next_due.map_or(now, |due| due.max(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, s).single().expect("valid time")
    }

    #[test]
    fn a_failed_article_is_retried_after_growing_delays_then_given_up() {
        let now = at(12, 0, 0);
        let due: Vec<Option<DateTime<Utc>>> = (1..=5).map(|n| article_retry_due(n, now)).collect();
        assert_eq!(
            due,
            [
                Some(at(12, 15, 0)),
                Some(at(13, 0, 0)),
                Some(at(16, 0, 0)),
                Some(at(12, 0, 0) + chrono::TimeDelta::hours(16)),
                None
            ]
        );
        assert_eq!(article_retry_due(0, now), None, "no failure, nothing to retry");
    }

    #[test]
    fn success_waits_for_the_next_tick_plus_bounded_jitter() {
        let schedule = Schedule::parse("*/30 * * * *").expect("valid cron");
        let now = at(10, 5, 0);
        let earliest = next_due_after_success(&schedule, now, Duration::from_secs(60), Draw::new(0.0));
        let latest = next_due_after_success(&schedule, now, Duration::from_secs(60), Draw::new(0.99));
        assert_eq!(earliest, at(10, 30, 0));
        assert!(latest > earliest && latest < at(10, 31, 0));
    }

    #[test]
    fn backoff_doubles_until_the_cap() {
        let base = Duration::from_secs(60);
        let cap = Duration::from_secs(3600);
        let full = |n| backoff_delay(n, base, cap, Draw::new(0.999_999));
        let half = |n| backoff_delay(n, base, cap, Draw::new(0.0));
        assert_eq!(half(1), Duration::from_secs(30));
        assert_eq!(half(2), Duration::from_secs(60));
        assert_eq!(half(3), Duration::from_secs(120));
        assert!(full(3) > Duration::from_secs(239));
        assert_eq!(half(30), Duration::from_secs(1800));
        assert_eq!(half(u32::MAX), Duration::from_secs(1800));
    }

    #[test]
    fn retry_after_wins_when_later_than_backoff() {
        let now = at(10, 0, 0);
        let server = at(12, 0, 0);
        let due = next_due_after_failure(
            1,
            Some(server),
            now,
            Duration::from_secs(60),
            Duration::from_secs(600),
            Draw::new(0.5),
        );
        assert_eq!(due, server);
        let soon = at(10, 0, 1);
        let due = next_due_after_failure(
            3,
            Some(soon),
            now,
            Duration::from_secs(60),
            Duration::from_secs(600),
            Draw::new(0.0),
        );
        assert_eq!(due, at(10, 2, 0));
    }

    #[test]
    fn missed_ticks_after_downtime_run_once_now() {
        let now = at(10, 0, 0);
        assert_eq!(first_due(Some(at(1, 0, 0)), now), now);
        assert_eq!(first_due(Some(at(11, 0, 0)), now), at(11, 0, 0));
        assert_eq!(first_due(None, now), now);
    }

    proptest! {
        #[test]
        fn backoff_never_exceeds_cap_nor_panics(failures in any::<u32>(), base in 0u64..100_000, cap in 0u64..1_000_000, draw in any::<f64>()) {
            let cap = Duration::from_secs(cap);
            let delay = backoff_delay(failures, Duration::from_secs(base), cap, Draw::new(draw));
            prop_assert!(delay <= cap);
        }
    }
}
