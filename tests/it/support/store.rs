//! A sled store with injectable write faults, for the tests that prove a
//! failed write loses nothing (a full disk, a crash at one step).
//!
//! Reads always reach the sled store. Writes fail while their fault is armed:
//! [`Fault::AllWrites`] for a read-only or full disk, or one issue write for
//! a crash at that step of publishing. The trait methods with defaults
//! (`put_extractions`, `apply_edit`, `health_check`, ...) are left to those
//! defaults, so they fail through the faulted methods as a real store would.

use std::sync::atomic::{AtomicBool, Ordering};

use gleaner::model::{
    AuditEntry, Delivery, EditorFields, FetchState, Issue, Item, ItemId, Link, NewItem, Quote, ReviewState, SendState,
    Subscriber, User,
};
use gleaner::store::{
    EditorialStore, EditorialWrite, Extraction, FetchStateStore, IssueStore, ItemQuery, ItemStore, MailStore, OpsStore,
    OutboxStore, PageCache, PeopleStore, SledStore, StoreError, UpsertReport, UserStore, WatchStore,
};

/// Which writes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every write, as on a full or read-only disk.
    AllWrites,
    /// Storing an issue draft (`put_issue`).
    PutIssue,
    /// The publishing transaction (`finish_issue`).
    FinishIssue,
}

/// See the module docs.
pub struct FaultyStore {
    inner: SledStore,
    faults: Vec<Fault>,
    armed: AtomicBool,
}

impl FaultyStore {
    /// A temporary sled store whose `faults` are armed from the start.
    pub fn new(faults: &[Fault]) -> Self {
        Self { inner: SledStore::temporary().expect("temporary store"), faults: faults.to_vec(), armed: true.into() }
    }

    /// Arms or disarms every fault at once (set up the data, then crash).
    pub fn arm(&self, on: bool) {
        self.armed.store(on, Ordering::SeqCst);
    }

    fn write(&self, fault: Fault) -> Result<(), StoreError> {
        let hit = self.faults.iter().any(|f| *f == fault || *f == Fault::AllWrites);
        if hit && self.armed.load(Ordering::SeqCst) {
            return Err(StoreError::Io("No space left on device (injected)".to_owned()));
        }
        Ok(())
    }

    fn any_write(&self) -> Result<(), StoreError> {
        self.write(Fault::AllWrites)
    }
}

impl ItemStore for FaultyStore {
    fn upsert_items(&self, items: &[NewItem]) -> Result<UpsertReport, StoreError> {
        self.any_write()?;
        self.inner.upsert_items(items)
    }
    fn item(&self, id: &ItemId) -> Result<Option<Item>, StoreError> {
        self.inner.item(id)
    }
    fn remove_untouched(&self, source: &str, ids: &[ItemId]) -> Result<Vec<ItemId>, StoreError> {
        self.any_write()?;
        self.inner.remove_untouched(source, ids)
    }

    fn item_by_url(&self, url: &str) -> Result<Option<Item>, StoreError> {
        self.inner.item_by_url(url)
    }
    fn items(&self, query: &ItemQuery) -> Result<Vec<Item>, StoreError> {
        self.inner.items(query)
    }
    fn item_count(&self) -> Result<usize, StoreError> {
        self.inner.item_count()
    }
    fn counts_by_state(&self) -> Result<Vec<(ReviewState, usize)>, StoreError> {
        self.inner.counts_by_state()
    }
    fn put_extraction(&self, id: &ItemId, extraction: &Extraction) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_extraction(id, extraction)
    }
    fn record_extraction_attempt(&self, id: &ItemId, hash: &str, failure: Option<&str>) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.record_extraction_attempt(id, hash, failure)
    }
    fn put_stories(&self, stories: &[(ItemId, ItemId)]) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_stories(stories)
    }
    fn story_prints(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<gleaner::store::StoryPrint>, StoreError> {
        self.inner.story_prints(from, to)
    }
    fn put_story_prints(&self, prints: &[gleaner::store::StoryPrint]) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_story_prints(prints)
    }
    fn quotes(&self, id: &ItemId) -> Result<Vec<Quote>, StoreError> {
        self.inner.quotes(id)
    }
    fn links(&self, id: &ItemId) -> Result<Vec<Link>, StoreError> {
        self.inner.links(id)
    }
}

impl FetchStateStore for FaultyStore {
    fn fetch_state(&self, source_id: &str) -> Result<Option<FetchState>, StoreError> {
        self.inner.fetch_state(source_id)
    }
    fn put_fetch_state(&self, source_id: &str, state: &FetchState) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_fetch_state(source_id, state)
    }
    fn page_cache(&self, url: &str) -> Result<Option<PageCache>, StoreError> {
        self.inner.page_cache(url)
    }
    fn put_page_cache(&self, url: &str, cache: &PageCache) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_page_cache(url, cache)
    }
}

impl EditorialStore for FaultyStore {
    fn update_editorial(
        &self,
        id: &ItemId,
        expected_revision: u64,
        state: ReviewState,
        editor: &EditorFields,
    ) -> Result<Item, StoreError> {
        self.any_write()?;
        self.inner.update_editorial(id, expected_revision, state, editor)
    }
    fn apply_edits(&self, writes: &[EditorialWrite]) -> Result<Vec<Item>, StoreError> {
        self.any_write()?;
        self.inner.apply_edits(writes)
    }
    fn audit_for(&self, id: &ItemId) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_for(id)
    }
    fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.recent_audit(limit)
    }
}

impl UserStore for FaultyStore {
    fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.insert_user(user)
    }
    fn put_user(&self, user: &User) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_user(user)
    }
    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.inner.user(name)
    }
    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.users()
    }
    fn remove_user(&self, name: &str) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.remove_user(name)
    }
    fn put_token(&self, token: &gleaner::model::ApiToken) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_token(token)
    }
    fn token(&self, hash: &str) -> Result<Option<gleaner::model::ApiToken>, StoreError> {
        self.inner.token(hash)
    }
    fn tokens(&self) -> Result<Vec<gleaner::model::ApiToken>, StoreError> {
        self.inner.tokens()
    }
    fn remove_token(&self, hash: &str) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.remove_token(hash)
    }
}

impl IssueStore for FaultyStore {
    fn issues(&self) -> Result<Vec<Issue>, StoreError> {
        self.inner.issues()
    }
    fn issue(&self, number: u32) -> Result<Option<Issue>, StoreError> {
        self.inner.issue(number)
    }
    fn put_issue(&self, issue: &Issue) -> Result<(), StoreError> {
        self.write(Fault::PutIssue)?;
        self.inner.put_issue(issue)
    }
    fn finish_issue(&self, issue: &Issue, items: &[(ItemId, u64)]) -> Result<(), StoreError> {
        self.write(Fault::FinishIssue)?;
        self.inner.finish_issue(issue, items)
    }
}

impl OpsStore for FaultyStore {
    fn flush(&self) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.flush()
    }
}

impl MailStore for FaultyStore {
    fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        self.inner.subscriber(email)
    }
    fn subscriber_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        self.inner.subscriber_by_token(token)
    }
    fn put_subscriber(&self, subscriber: &Subscriber) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_subscriber(subscriber)
    }
    fn remove_subscriber(&self, email: &str) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.remove_subscriber(email)
    }
    fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.inner.subscribers()
    }
    fn queue_issue_mail(&self, number: u32, recipients: &[String]) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.queue_issue_mail(number, recipients)
    }
    fn open_mail_jobs(&self) -> Result<Vec<u32>, StoreError> {
        self.inner.open_mail_jobs()
    }
    fn close_mail_job(&self, number: u32) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.close_mail_job(number)
    }
    fn sends(&self, number: u32) -> Result<Vec<(String, SendState)>, StoreError> {
        self.inner.sends(number)
    }
    fn put_send(&self, number: u32, email: &str, state: &SendState) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_send(number, email, state)
    }
}

impl OutboxStore for FaultyStore {
    fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> Result<usize, StoreError> {
        self.any_write()?;
        self.inner.enqueue_deliveries(deliveries)
    }
    fn put_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_delivery(delivery)
    }
    fn deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        self.inner.deliveries()
    }
    fn prune_deliveries(&self, keep: usize) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.prune_deliveries(keep)
    }
    fn outbox_cursor(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.inner.outbox_cursor(name)
    }
    fn put_outbox_cursor(&self, name: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.put_outbox_cursor(name, at)
    }
}

impl PeopleStore for FaultyStore {
    fn record_quotes(&self, item: &ItemId, sightings: &[gleaner::speakers::QuoteSighting]) -> Result<(), StoreError> {
        self.any_write()?;
        self.inner.record_quotes(item, sightings)
    }
    fn quote_summaries_of(&self, item: &ItemId) -> Result<Vec<gleaner::speakers::QuoteSummary>, StoreError> {
        self.inner.quote_summaries_of(item)
    }
    fn quote_summaries(&self, speakers: Option<&[String]>) -> Result<Vec<gleaner::speakers::QuoteSummary>, StoreError> {
        self.inner.quote_summaries(speakers)
    }
    fn occurrences(&self, record: &str) -> Result<Vec<gleaner::speakers::Occurrence>, StoreError> {
        self.inner.occurrences(record)
    }
    fn speaker_map(&self) -> Result<gleaner::speakers::SpeakerMap, StoreError> {
        self.inner.speaker_map()
    }
    fn swap_speaker_map(
        &self,
        expected: &gleaner::speakers::SpeakerMap,
        map: &gleaner::speakers::SpeakerMap,
    ) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.swap_speaker_map(expected, map)
    }
}

impl WatchStore for FaultyStore {
    fn watchlist(&self, editor: &str) -> Result<Option<gleaner::model::WatchList>, StoreError> {
        self.inner.watchlist(editor)
    }
    fn watchlists(&self) -> Result<Vec<gleaner::model::WatchList>, StoreError> {
        self.inner.watchlists()
    }
    fn swap_watchlist(
        &self,
        expected: Option<&gleaner::model::WatchList>,
        list: &gleaner::model::WatchList,
    ) -> Result<bool, StoreError> {
        self.any_write()?;
        self.inner.swap_watchlist(expected, list)
    }
}
