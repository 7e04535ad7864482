//! The scheduler loop: polls each enabled source when it is due, on its own
//! cron schedule, until told to stop; then lets in-flight polls finish their
//! writes and flushes the store.
//!
//! The source list arrives on a `watch` channel, so a live config reload
//! (`super::reload`) can add, drop and change sources while the loop runs.
//! Timing decisions live in `policy`; this file only sleeps and spawns.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::HEARTBEAT_EVERY;
use crate::ingest::{Ingest, SourceReport, Urgency};
use crate::model::Source;
use crate::schedule as policy;

/// How long in-flight polls may take to finish after a stop was requested.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// What a scheduler run did, for logs and tests.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub polls: usize,
    pub failures: usize,
    /// Polls still running when the drain timeout passed (their writes are lost; the next start redoes them).
    pub abandoned: usize,
}

/// A fixed source list, for callers without live reload (tests, one-shot runs).
pub fn fixed(sources: Vec<Source>) -> watch::Receiver<Vec<Source>> {
    // The sender is dropped at once: `run` then never waits for updates.
    watch::channel(sources).1
}

/// One scheduled source. `token` changes whenever the source is (re)scheduled
/// by a config change, so queue entries and polls of an older version are
/// recognised as stale (lazy deletion: a binary heap cannot remove from the middle).
struct Slot {
    source: Source,
    token: u64,
    in_flight: bool,
}

/// The enabled sources by id, and the due queue over them.
struct Plan {
    slots: HashMap<String, Slot>,
    queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, String)>>,
    next_token: u64,
}

impl Plan {
    fn new() -> Self {
        Self { slots: HashMap::new(), queue: BinaryHeap::new(), next_token: 0 }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    fn schedule(&mut self, id: &str, due: DateTime<Utc>) {
        if let Some(slot) = self.slots.get(id) {
            self.queue.push(Reverse((due, slot.token, id.to_owned())));
        }
    }

    /// Applies a new source list: added sources are due per their stored state
    /// (at once if never polled), removed ones are dropped (a poll in flight
    /// finishes but is not rescheduled), and a source whose URL, kind or schedule
    /// changed is polled at once, so the operator sees the edit work; its next
    /// due time then follows the new schedule. Other edits (filters, name,
    /// section) take effect on the next regular poll.
    /// `stored_due` is the due time the store remembers for a source id.
    fn apply(&mut self, sources: &[Source], stored_due: impl Fn(&str) -> Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let wanted: HashMap<&str, &Source> = sources.iter().filter(|s| s.enabled).map(|s| (s.id.as_str(), s)).collect();
        let removed: Vec<String> = self.slots.keys().filter(|id| !wanted.contains_key(id.as_str())).cloned().collect();
        for id in removed {
            self.slots.remove(&id);
            tracing::info!(source = %id, "source removed from the schedule");
        }
        for (id, source) in wanted {
            let token = self.token();
            match self.slots.get_mut(id) {
                None => {
                    let stored = stored_due(id);
                    self.slots.insert(id.to_owned(), Slot { source: source.clone(), token, in_flight: false });
                    self.schedule(id, policy::first_due(stored, now));
                }
                Some(slot) if rescheduled(&slot.source, source) => {
                    tracing::info!(source = %id, "source changed: polling it now");
                    slot.source = source.clone();
                    slot.token = token;
                    // A poll in flight is rescheduled when it ends (see `finished`), never run twice at once.
                    if !slot.in_flight {
                        self.schedule(id, now);
                    }
                }
                Some(slot) => slot.source = source.clone(),
            }
        }
    }

    /// The sources due at `now`, marked in flight.
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<Source> {
        let mut due = Vec::new();
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, token, id))) = self.queue.pop() else { break };
            if let Some(slot) = self.slots.get_mut(&id).filter(|s| s.token == token && !s.in_flight) {
                slot.in_flight = true;
                due.push(slot.source.clone());
            }
        }
        due
    }

    /// A poll ended: schedule the source's next one (at once if it changed meanwhile).
    fn finished(&mut self, id: &str, token: u64, next: DateTime<Utc>, now: DateTime<Utc>) {
        let Some(slot) = self.slots.get_mut(id) else { return };
        slot.in_flight = false;
        let due = if slot.token == token { next } else { now };
        self.schedule(id, due);
    }

    fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.queue.peek().map(|Reverse((due, _, _))| *due)
    }
}

/// Whether an edit changes what or when the source fetches.
fn rescheduled(old: &Source, new: &Source) -> bool {
    old.url != new.url || old.kind != new.kind || old.schedule.as_str() != new.schedule.as_str()
}

/// Runs until `shutdown` resolves. `sources` carries the source list and
/// later versions of it (see [`fixed`] for a list that never changes).
/// `clock` gives the current time (a parameter so tests may shift it;
/// production passes `Utc::now`). `on_report` also gets how long the poll took.
///
/// The loop calls `clock` at least every [`HEARTBEAT_EVERY`], idle or not, so
/// a clock from [`Heartbeat::clock`] shows `/healthz` that the loop is alive.
pub async fn run(
    ingest: Ingest,
    mut sources: watch::Receiver<Vec<Source>>,
    clock: impl Fn() -> DateTime<Utc>,
    shutdown: impl Future<Output = ()>,
    mut on_report: impl FnMut(&SourceReport, Duration),
) -> RunSummary {
    let mut plan = Plan::new();
    // Cloned so the channel is not locked while `apply` reads the store.
    let initial = sources.borrow_and_update().clone();
    let stored_due = |id: &str| ingest.store().fetch_state(id).ok().flatten().and_then(|s| s.next_due);
    plan.apply(&initial, stored_due, clock());
    tracing::info!(sources = plan.slots.len(), "scheduler started");
    let mut updates_open = true;

    let mut summary = RunSummary::default();
    let mut in_flight: JoinSet<(String, u64, SourceReport, Duration)> = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Capped so the loop wakes (and reads its clock: the heartbeat) even when idle.
        let wait = plan
            .next_wake()
            .map_or(HEARTBEAT_EVERY, |due| (due - clock()).to_std().unwrap_or(Duration::ZERO))
            .min(HEARTBEAT_EVERY);
        tokio::select! {
            () = &mut shutdown => break,
            changed = sources.changed(), if updates_open => {
                if changed.is_err() {
                    // The sender is gone (no live reload): keep the current list.
                    updates_open = false;
                    continue;
                }
                let list = sources.borrow_and_update().clone();
                plan.apply(&list, stored_due, clock());
                tracing::info!(sources = plan.slots.len(), "source list updated");
            }
            () = tokio::time::sleep(wait) => {
                let now = clock();
                for source in plan.take_due(now) {
                    let ingest = ingest.clone();
                    let token = plan.slots.get(&source.id).map_or(0, |s| s.token);
                    in_flight.spawn(async move {
                        let started = Instant::now();
                        let report = ingest.poll_source(&source, now, Urgency::Now).await;
                        (source.id, token, report, started.elapsed())
                    });
                }
            }
            Some(joined) = in_flight.join_next() => {
                let now = clock();
                if let Ok((id, token, report, elapsed)) = joined {
                    summary.polls += 1;
                    summary.failures += usize::from(report.failed());
                    on_report(&report, elapsed);
                    let next = report.next_due.unwrap_or(now + chrono::TimeDelta::hours(1)).max(now);
                    plan.finished(&id, token, next, now);
                    if let Err(error) = ingest.store().flush() {
                        tracing::error!(%error, "store flush failed");
                    }
                }
            }
        }
    }

    tracing::info!(in_flight = in_flight.len(), "stopping: letting in-flight polls finish");
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(joined) = in_flight.join_next().await {
            if let Ok((_, _, report, elapsed)) = joined {
                summary.polls += 1;
                summary.failures += usize::from(report.failed());
                on_report(&report, elapsed);
            }
        }
    })
    .await;
    if drained.is_err() {
        summary.abandoned = in_flight.len();
        in_flight.abort_all();
    }
    if let Err(error) = ingest.store().flush() {
        tracing::error!(%error, "store flush failed");
    }
    summary
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{Schedule, SourceKind, TextFilter};

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).single().expect("valid time")
    }

    fn source(id: &str, url: &str, schedule: &str) -> Source {
        Source {
            id: id.to_owned(),
            name: id.to_owned(),
            url: url::Url::parse(url).expect("valid url"),
            kind: SourceKind::Feed,
            section: None,
            language: None,
            schedule: Schedule::parse(schedule).expect("valid schedule"),
            follow: false,
            selectors: None,
            filter: TextFilter::default(),
            enabled: true,
            public_url: None,
            rules: crate::model::ExtractRules::default(),
            fetch: crate::model::FetchOverrides::default(),
        }
    }

    fn ids(sources: &[Source]) -> Vec<&str> {
        sources.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn added_sources_are_due_at_once_unless_the_store_says_later() {
        let mut plan = Plan::new();
        let list = [source("a", "http://a.example/", "@hourly"), source("b", "http://b.example/", "@hourly")];
        plan.apply(&list, |id| (id == "b").then(|| at(600)), at(0));
        assert_eq!(ids(&plan.take_due(at(0))), ["a"]);
        assert_eq!(ids(&plan.take_due(at(600))), ["b"]);
    }

    #[test]
    fn removed_source_is_not_polled_nor_rescheduled() {
        let mut plan = Plan::new();
        plan.apply(&[source("a", "http://a.example/", "@hourly")], |_| None, at(0));
        let token = plan.slots["a"].token;
        assert_eq!(ids(&plan.take_due(at(0))), ["a"]);
        plan.apply(&[], |_| None, at(1));
        plan.finished("a", token, at(100), at(2));
        assert!(plan.take_due(at(1000)).is_empty());
        assert!(plan.slots.is_empty());
    }

    #[test]
    fn disabled_counts_as_removed() {
        let mut plan = Plan::new();
        let mut a = source("a", "http://a.example/", "@hourly");
        plan.apply(std::slice::from_ref(&a), |_| None, at(0));
        a.enabled = false;
        plan.apply(&[a], |_| None, at(0));
        assert!(plan.take_due(at(0)).is_empty());
    }

    #[test]
    fn changed_url_is_polled_at_once_and_unchanged_sources_keep_their_time() {
        let mut plan = Plan::new();
        let before = [source("a", "http://a.example/", "@hourly"), source("b", "http://b.example/", "@hourly")];
        plan.apply(&before, |_| Some(at(3600)), at(0));
        let after = [source("a", "http://a.example/new", "@hourly"), source("b", "http://b.example/", "@hourly")];
        plan.apply(&after, |_| Some(at(3600)), at(10));
        let due = plan.take_due(at(10));
        assert_eq!(ids(&due), ["a"]);
        assert_eq!(due[0].url.as_str(), "http://a.example/new");
        // The stale entry for the old version of `a` is skipped; `b` keeps its time.
        assert_eq!(ids(&plan.take_due(at(3600))), ["b"]);
    }

    #[test]
    fn source_changed_while_polling_is_polled_again_once_after_not_twice_at_once() {
        let mut plan = Plan::new();
        plan.apply(&[source("a", "http://a.example/", "@hourly")], |_| None, at(0));
        let token = plan.slots["a"].token;
        assert_eq!(ids(&plan.take_due(at(0))), ["a"]);
        plan.apply(&[source("a", "http://a.example/", "*/5 * * * *")], |_| None, at(1));
        assert!(plan.take_due(at(1)).is_empty(), "still in flight: not started twice");
        plan.finished("a", token, at(3600), at(2));
        let due = plan.take_due(at(2));
        assert_eq!(ids(&due), ["a"], "the new version runs at once");
        assert_eq!(due[0].schedule.as_str(), "*/5 * * * *");
    }

    #[test]
    fn other_edits_swap_the_source_without_rescheduling() {
        let mut plan = Plan::new();
        plan.apply(&[source("a", "http://a.example/", "@hourly")], |_| Some(at(600)), at(0));
        let mut renamed = source("a", "http://a.example/", "@hourly");
        renamed.name = "Renamed".to_owned();
        plan.apply(&[renamed], |_| Some(at(600)), at(1));
        assert!(plan.take_due(at(1)).is_empty());
        assert_eq!(plan.take_due(at(600))[0].name, "Renamed");
    }
}
