//! Integration tests of the store contract, run against every store: sled
//! in a temp dir and PostgreSQL in a throwaway cluster (`support::pg`).
//! Idempotent upserts, editor-field preservation, cross-source merging,
//! listings, extractions, atomic editorial batches with their audit trail,
//! publishing, users; then what only one store has (sled: reopening a path;
//! PostgreSQL: schema versions, logins, several processes at once).
//!
//! A behaviour test is a plain function over `&dyn Store`; [`every_store!`]
//! makes one `#[test]` per store of it (`store::on_sled::NAME`,
//! `store::on_postgres::NAME`).

use chrono::{DateTime, TimeZone, Utc};
use gleaner::model::{EditorFields, FetchState, ItemId, Link, NewItem, Quote, QuoteKind, ReviewState};
use gleaner::store::prelude::*;
use gleaner::store::{Extraction, ItemQuery, PageCache, SledStore, StoreError};

mod contract;
mod postgres;
mod watch;

pub(crate) use contract::*;
pub(crate) use watch::*;

/// One `#[test]` per store for each named behaviour function.
macro_rules! every_store {
    ($($name:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::temp_store());
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    super::$name(&crate::support::pg::store());
                }
            )*
        }
    };
}

every_store!(
    same_batch_twice_adds_nothing_new,
    duplicate_entry_in_one_batch_is_stored_once,
    refetch_with_changed_title_updates_and_keeps_editor_fields,
    same_canonical_url_from_two_sources_is_one_item_with_both_sources,
    merged_source_finds_the_item_by_guid_after_its_url_changes,
    changed_url_frees_the_old_url_and_claims_the_new_one,
    changed_published_date_moves_the_item_in_listings,
    items_come_newest_first_and_honour_state_source_since_and_limit,
    counts_by_state_follow_editorial_writes,
    editorial_write_on_a_stale_revision_is_refused,
    fetch_state_round_trips,
    put_extraction_replaces_every_quote_and_link_and_leaves_editor_fields_alone,
    a_failed_attempt_keeps_the_stored_extraction_and_records_a_note,
    upsert_with_extractions_stores_items_and_their_extractions_together,
    edits_apply_all_or_nothing_and_leave_an_audit_trail,
    finish_issue_publishes_the_issue_and_its_items_together_or_not_at_all,
    users_and_tokens_are_unique_by_name_and_hash,
    retention_removes_only_untouched_single_source_items,
    page_cache_round_trips,
    mail_queue_is_written_once_per_issue,
    quote_records_follow_each_item_and_a_rerecord_changes_nothing,
    a_much_repeated_quote_adds_an_occurrence_without_rewriting_the_others,
    watchlists_are_per_editor_and_swapped_only_from_what_was_read,
    a_store_holding_only_mail_or_webhook_records_is_not_empty,
    a_store_with_only_a_subscriber_is_not_empty,
);

pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).single().expect("valid test time")
}

/// An entry of `source` with a guid, a URL derived from `slug`, published `secs` after a base time.
pub(crate) fn entry(source: &str, slug: &str, secs: i64) -> NewItem {
    NewItem {
        source_id: source.to_owned(),
        guid: Some(format!("urn:{source}:{slug}")),
        url: Some(format!("https://example.org/{slug}")),
        title: format!("Title {slug}"),
        authors: vec!["Jane Roe".to_owned()],
        published: at(secs),
        published_is_fetch_time: false,
        updated: None,
        summary: format!("<p>Summary of {slug}</p>"),
        content: String::new(),
        language: Some("en".to_owned()),
        fetched_at: at(10_000),
    }
}

fn temp_store() -> SledStore {
    SledStore::temporary().expect("a temporary store opens")
}

fn ids(items: &[gleaner::model::Item]) -> Vec<String> {
    items.iter().map(|i| i.title.clone()).collect()
}

fn same_batch_twice_adds_nothing_new(store: &dyn Store) {
    let batch: Vec<NewItem> = (0..5).map(|n| entry("a", &format!("s{n}"), n)).collect();
    let first = store.upsert_items(&batch).expect("first upsert");
    assert_eq!(first.new.len(), 5);
    assert!(first.updated.is_empty());
    let second = store.upsert_items(&batch).expect("second upsert");
    assert!(second.new.is_empty() && second.updated.is_empty(), "{second:?}");
    assert_eq!(second.unchanged, 5);
    assert_eq!(store.item_count().expect("count"), 5);
}

fn duplicate_entry_in_one_batch_is_stored_once(store: &dyn Store) {
    let one = entry("a", "dup", 0);
    let report = store.upsert_items(&[one.clone(), one.clone()]).expect("upsert");
    assert_eq!(report.new, vec![one.id()]);
    assert_eq!(report.unchanged, 1);
    assert_eq!(store.item_count().expect("count"), 1);
    assert_eq!(store.items(&ItemQuery::default()).expect("list").len(), 1);
}

fn refetch_with_changed_title_updates_and_keeps_editor_fields(store: &dyn Store) {
    let original = entry("a", "article", 0);
    let id = original.id();
    store.upsert_items(std::slice::from_ref(&original)).expect("insert");
    let editor = EditorFields {
        headline: Some("Our headline".to_owned()),
        commentary: Some("Why it matters".to_owned()),
        quote_ids: vec!["q1".to_owned()],
        section: Some("In English".to_owned()),
        position: Some(3),
        ..EditorFields::default()
    };
    let edited = store.update_editorial(&id, 1, ReviewState::Approved, &editor).expect("editorial write");
    assert_eq!(edited.revision, 2);

    let mut changed = original.clone();
    "Title article (updated)".clone_into(&mut changed.title);
    changed.fetched_at = at(20_000);
    let report = store.upsert_items(&[changed]).expect("refetch");
    assert_eq!(report.updated, vec![id.clone()]);
    assert!(report.new.is_empty());

    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!(item.title, "Title article (updated)");
    assert_eq!(item.fetched_at, at(20_000));
    assert_eq!(item.first_seen, at(10_000));
    assert_eq!(item.state, ReviewState::Approved);
    assert_eq!(item.editor, editor);
    assert_eq!(item.revision, 3);
    assert_eq!(item.content_hash, {
        let mut c = original.clone();
        "Title article (updated)".clone_into(&mut c.title);
        c.content_hash()
    });
}

fn same_canonical_url_from_two_sources_is_one_item_with_both_sources(store: &dyn Store) {
    let from_a = entry("a", "shared", 0);
    let mut from_b = entry("b", "shared", 5);
    "B's copy".clone_into(&mut from_b.title);
    store.upsert_items(std::slice::from_ref(&from_a)).expect("a");
    let report = store.upsert_items(std::slice::from_ref(&from_b)).expect("b");
    assert!(report.new.is_empty());
    assert_eq!(report.updated, vec![from_a.id()], "recording a new source is an update");
    assert_eq!(store.item_count().expect("count"), 1);

    let item = store.item(&from_a.id()).expect("read").expect("stored");
    assert_eq!(item.sources, ["a", "b"]);
    assert_eq!(item.title, "Title shared", "feed fields follow the first source");
    assert_eq!(item.revision, 2);

    // Listed under both sources; and B again changes nothing.
    for source in ["a", "b"] {
        let listed = store.items(&ItemQuery { source: Some(source.to_owned()), ..ItemQuery::default() }).expect("list");
        assert_eq!(listed.len(), 1, "source {source}");
    }
    let again = store.upsert_items(&[from_b]).expect("b again");
    assert_eq!(again.unchanged, 1);
}

fn merged_source_finds_the_item_by_guid_after_its_url_changes(store: &dyn Store) {
    let from_a = entry("a", "article", 0);
    let mut from_b = entry("b", "article", 0);
    store.upsert_items(&[from_a.clone(), from_b.clone()]).expect("both");
    from_b.url = Some("https://example.org/article-moved".to_owned());
    let report = store.upsert_items(&[from_b]).expect("b moved");
    assert_eq!(report.unchanged, 1, "{report:?}");
    assert_eq!(store.item_count().expect("count"), 1);
}

fn changed_url_frees_the_old_url_and_claims_the_new_one(store: &dyn Store) {
    let mut article = entry("a", "article", 0);
    store.upsert_items(std::slice::from_ref(&article)).expect("insert");
    article.url = Some("https://example.org/article-v2".to_owned());
    store.upsert_items(std::slice::from_ref(&article)).expect("url changed");
    // Another source now carrying the new URL merges; the old URL is a new article.
    let mut other = entry("b", "x", 0);
    other.url = Some("https://example.org/article-v2".to_owned());
    let mut old_url = entry("c", "y", 0);
    old_url.url = Some("https://example.org/article".to_owned());
    let report = store.upsert_items(&[other, old_url.clone()]).expect("others");
    assert_eq!(report.new, vec![old_url.id()]);
    assert_eq!(store.item(&article.id()).expect("read").expect("stored").sources, ["a", "b"]);
}

fn changed_published_date_moves_the_item_in_listings(store: &dyn Store) {
    let mut article = entry("a", "article", 100);
    store.upsert_items(&[article.clone(), entry("a", "other", 50)]).expect("insert");
    article.published = at(10);
    "Corrected".clone_into(&mut article.title);
    store.upsert_items(&[article]).expect("update");
    for query in [
        ItemQuery::default(),
        ItemQuery { source: Some("a".to_owned()), ..ItemQuery::default() },
        ItemQuery { state: Some(ReviewState::New), ..ItemQuery::default() },
    ] {
        let listed = store.items(&query).expect("list");
        assert_eq!(ids(&listed), ["Title other", "Corrected"], "{query:?}");
    }
    let recent = store.items(&ItemQuery { since: Some(at(20)), ..ItemQuery::default() }).expect("since");
    assert_eq!(ids(&recent), ["Title other"]);
}

fn items_come_newest_first_and_honour_state_source_since_and_limit(store: &dyn Store) {
    let batch = vec![
        entry("a", "a1", 10),
        entry("b", "b1", 20),
        entry("a", "a2", 30),
        entry("b", "b2", 40),
        entry("a", "a3", 50),
    ];
    store.upsert_items(&batch).expect("insert");
    let approve = |n: usize| {
        let id = batch[n].id();
        store.update_editorial(&id, 1, ReviewState::Approved, &EditorFields::default()).expect("approve");
    };
    approve(0);
    approve(3);

    let all = |q: ItemQuery| ids(&store.items(&q).expect("list"));
    let none = ItemQuery::default;
    assert_eq!(all(none()), ["Title a3", "Title b2", "Title a2", "Title b1", "Title a1"]);
    assert_eq!(all(ItemQuery { limit: Some(2), ..none() }), ["Title a3", "Title b2"]);
    assert_eq!(all(ItemQuery { limit: Some(0), ..none() }), Vec::<String>::new());
    assert_eq!(all(ItemQuery { source: Some("a".to_owned()), ..none() }), ["Title a3", "Title a2", "Title a1"]);
    assert_eq!(all(ItemQuery { state: Some(ReviewState::Approved), ..none() }), ["Title b2", "Title a1"]);
    assert_eq!(all(ItemQuery { state: Some(ReviewState::New), limit: Some(1), ..none() }), ["Title a3"]);
    assert_eq!(
        all(ItemQuery { source: Some("a".to_owned()), state: Some(ReviewState::New), ..none() }),
        ["Title a3", "Title a2"]
    );
    assert_eq!(all(ItemQuery { since: Some(at(30)), ..none() }), ["Title a3", "Title b2", "Title a2"]);
    assert_eq!(all(ItemQuery { since: Some(at(20)), state: Some(ReviewState::Approved), ..none() }), ["Title b2"]);
    assert_eq!(all(ItemQuery { source: Some("nobody".to_owned()), ..none() }), Vec::<String>::new());
    // A source id that is a prefix of another does not match it.
    assert!(all(ItemQuery { source: Some("b".to_owned()), ..none() }).iter().all(|t| t.starts_with("Title b")));
}

fn counts_by_state_follow_editorial_writes(store: &dyn Store) {
    let batch: Vec<NewItem> = (0..4).map(|n| entry("a", &format!("s{n}"), n)).collect();
    store.upsert_items(&batch).expect("insert");
    store.update_editorial(&batch[0].id(), 1, ReviewState::Rejected, &EditorFields::default()).expect("reject");
    let counts = store.counts_by_state().expect("counts");
    assert_eq!(
        counts,
        [
            (ReviewState::New, 3),
            (ReviewState::Shortlisted, 0),
            (ReviewState::Approved, 0),
            (ReviewState::Rejected, 1),
            (ReviewState::Published, 0),
        ]
    );
}

fn editorial_write_on_a_stale_revision_is_refused(store: &dyn Store) {
    let article = entry("a", "article", 0);
    store.upsert_items(std::slice::from_ref(&article)).expect("insert");
    let id = article.id();
    store.update_editorial(&id, 1, ReviewState::Shortlisted, &EditorFields::default()).expect("first write");
    let err = store.update_editorial(&id, 1, ReviewState::Approved, &EditorFields::default()).expect_err("stale");
    assert!(matches!(err, StoreError::StaleRevision { expected: 1, found: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("expected revision 1, found 2"), "{err}");
    assert_eq!(store.item(&id).expect("read").expect("stored").state, ReviewState::Shortlisted);

    let unknown = ItemId::derive("nobody", "nothing");
    let err =
        store.update_editorial(&unknown, 1, ReviewState::Approved, &EditorFields::default()).expect_err("unknown");
    assert!(matches!(err, StoreError::UnknownItem { .. }), "{err:?}");
}

fn fetch_state_round_trips(store: &dyn Store) {
    assert_eq!(store.fetch_state("a").expect("read"), None);
    let state = FetchState {
        etag: Some("\"abc\"".to_owned()),
        last_modified: Some("Tue, 14 Nov 2023 22:13:20 GMT".to_owned()),
        body_hash: Some("00ff".to_owned()),
        last_attempt: Some(at(1)),
        last_success: Some(at(0)),
        last_status: Some(503),
        last_error: Some("HTTP 503".to_owned()),
        consecutive_failures: 2,
        next_due: Some(at(600)),
        permanent_redirect: Some("https://example.org/new-feed".to_owned()),
        // Fields added later round-trip through the same JSON record.
        ..FetchState::default()
    };
    store.put_fetch_state("a", &state).expect("write");
    assert_eq!(store.fetch_state("a").expect("read"), Some(state));
    assert_eq!(store.fetch_state("ab").expect("read"), None);
}

#[test]
fn reopen_after_drop_keeps_items_editor_fields_and_fetch_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gleaner.sled");
    let article = entry("a", "article", 0);
    let editor = EditorFields { headline: Some("Kept".to_owned()), ..EditorFields::default() };
    {
        let store = SledStore::open(&path).expect("open");
        store.upsert_items(&[article.clone(), entry("a", "other", 5)]).expect("insert");
        store.update_editorial(&article.id(), 1, ReviewState::Approved, &editor).expect("edit");
        store.put_fetch_state("a", &FetchState { consecutive_failures: 1, ..FetchState::default() }).expect("fetch");
        store.flush().expect("flush");
    }
    let store = SledStore::open(&path).expect("reopen");
    assert_eq!(store.item_count().expect("count"), 2);
    let item = store.item(&article.id()).expect("read").expect("kept");
    assert_eq!((item.state, item.editor, item.revision), (ReviewState::Approved, editor, 2));
    assert_eq!(store.fetch_state("a").expect("read").map(|f| f.consecutive_failures), Some(1));
    assert_eq!(ids(&store.items(&ItemQuery::default()).expect("list")), ["Title other", "Title article"]);
    assert_eq!(store.upsert_items(&[article]).expect("again").unchanged, 1);
}

#[test]
fn opening_a_path_already_open_is_a_clear_open_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gleaner.sled");
    let _held = SledStore::open(&path).expect("first open");
    let err = SledStore::open(&path).expect_err("second open must fail");
    let message = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(message.contains("gleaner.sled") && message.contains("in use"), "{message}");
}

#[test]
fn clones_share_one_open_store() {
    let store = temp_store();
    let clone = store.clone();
    clone.upsert_items(&[entry("a", "s", 0)]).expect("insert via clone");
    assert_eq!(store.item_count().expect("count"), 1);
}

fn quote(text: &str, speaker: &str) -> Quote {
    Quote {
        id: format!("q-{}", text.len()),
        text: text.to_owned(),
        speaker: Some(speaker.to_owned()),
        speaker_mention: None,
        cue: Some("said".to_owned()),
        outlet: Some("Ledger".to_owned()),
        via: None,
        kind: QuoteKind::Inline,
        start: 0,
        end: text.chars().count(),
        context: format!("“{text}” said {speaker}."),
        confidence: 0.9,
    }
}

fn link(url: &str) -> Link {
    Link {
        url: url.to_owned(),
        text: "a report".to_owned(),
        context: "See a report.".to_owned(),
        domain: "example.net".to_owned(),
        external: true,
    }
}

fn extraction(hash: &str, quotes: Vec<Quote>, links: Vec<Link>) -> Extraction {
    Extraction {
        content_hash: hash.to_owned(),
        text: format!("Main text with {} quotes.", quotes.len()),
        byline: Some("Sam Writer".to_owned()),
        outlet: Some("Ledger".to_owned()),
        language: Some("fr".to_owned()),
        quotes,
        links,
        extracted_at: at(30_000),
        note: None,
    }
}

fn put_extraction_replaces_every_quote_and_link_and_leaves_editor_fields_alone(store: &dyn Store) {
    let mut new = entry("a", "article", 0);
    new.language = None;
    let id = new.id();
    store.upsert_items(&[new]).expect("insert");
    let editor = EditorFields { quote_ids: vec!["q-chosen".to_owned()], ..EditorFields::default() };
    store.update_editorial(&id, 1, ReviewState::Shortlisted, &editor).expect("edit");

    let first = extraction(
        "h1",
        vec![quote("One", "Ann"), quote("Second one", "Bob"), quote("The third one", "Cy")],
        vec![link("https://example.net/1"), link("https://example.net/2")],
    );
    store.put_extraction(&id, &first).expect("first extraction");
    assert_eq!(store.quotes(&id).expect("quotes"), first.quotes, "in page order");
    assert_eq!(store.links(&id).expect("links"), first.links);
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!(
        (item.text.as_str(), item.byline.as_deref(), item.outlet.as_deref()),
        (first.text.as_str(), Some("Sam Writer"), Some("Ledger"))
    );
    assert_eq!((item.quote_count, item.link_count), (3, 2));
    assert_eq!(item.extracted_at, Some(at(30_000)));
    assert_eq!(item.extracted_for.as_deref(), Some("h1"));
    assert_eq!(item.language.as_deref(), Some("fr"), "the page's language fills a gap the feed left");
    assert_eq!((item.state, &item.editor), (ReviewState::Shortlisted, &editor));
    assert_eq!(item.revision, 3, "what editors see changed");

    // A shorter extraction leaves no tail of the longer one behind.
    let second = extraction("h2", vec![quote("Second one", "Bob")], vec![]);
    store.put_extraction(&id, &second).expect("second extraction");
    assert_eq!(store.quotes(&id).expect("quotes"), second.quotes);
    assert!(store.links(&id).expect("links").is_empty());
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!((item.quote_count, item.link_count, item.revision), (1, 0, 4));
    assert_eq!(item.editor, editor, "a chosen id is kept even when its quote is gone");

    // The same extraction again changes nothing an editor sees: no new revision.
    store.put_extraction(&id, &extraction("h3", second.quotes.clone(), vec![])).expect("same again");
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!((item.revision, item.extracted_for.as_deref()), (4, Some("h3")));

    // Quotes of one item never leak into another's listing.
    let other = entry("a", "other", 1);
    store.upsert_items(std::slice::from_ref(&other)).expect("insert other");
    assert!(store.quotes(&other.id()).expect("quotes").is_empty());

    let unknown = ItemId::derive("nowhere", "x");
    let err = store.put_extraction(&unknown, &second).expect_err("unknown item");
    assert!(matches!(err, StoreError::UnknownItem { .. }), "{err:?}");
    assert!(store.quotes(&unknown).expect("quotes").is_empty());
}

fn a_failed_attempt_keeps_the_stored_extraction_and_records_a_note(store: &dyn Store) {
    let new = entry("a", "article", 0);
    let id = new.id();
    store.upsert_items(&[new]).expect("insert");
    let good = extraction("h1", vec![quote("Kept words", "Ann")], vec![link("https://example.net/1")]);
    store.put_extraction(&id, &good).expect("extraction");

    store.record_extraction_attempt(&id, "h2", Some("article fetch failed: HTTP 503")).expect("note");
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!(item.extraction_note.as_deref(), Some("article fetch failed: HTTP 503"));
    assert_eq!(item.extracted_for.as_deref(), Some("h2"));
    assert_eq!(item.text, good.text);
    assert_eq!(store.quotes(&id).expect("quotes"), good.quotes);
    assert_eq!(store.links(&id).expect("links"), good.links);

    store.record_extraction_attempt(&id, "h3", None).expect("confirmed current");
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!(item.extracted_for.as_deref(), Some("h3"));
}

#[test]
fn page_cache_round_trips_and_survives_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gleaner.sled");
    let url = "https://example.org/news/story";
    let cache = PageCache {
        etag: Some("W/\"p1\"".to_owned()),
        last_modified: Some("Tue, 24 Nov 2026 09:00:00 GMT".to_owned()),
        body_hash: Some("abcd".to_owned()),
        fetched_at: Some(at(40_000)),
    };
    {
        let store = SledStore::open(&path).expect("open");
        assert_eq!(store.page_cache(url).expect("read"), None);
        store.put_page_cache(url, &cache).expect("write");
        assert_eq!(store.page_cache(url).expect("read"), Some(cache.clone()));
        assert_eq!(store.page_cache("https://example.org/news").expect("read"), None, "exact URL only");
        store.flush().expect("flush");
    }
    let store = SledStore::open(&path).expect("reopen");
    assert_eq!(store.page_cache(url).expect("read"), Some(cache));
}

#[test]
fn extraction_survives_reopen_and_a_later_feed_update() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gleaner.sled");
    let new = entry("a", "article", 0);
    let id = new.id();
    let stored = extraction("h1", vec![quote("Durable words", "Ann")], vec![link("https://example.net/1")]);
    {
        let store = SledStore::open(&path).expect("open");
        store.upsert_items(std::slice::from_ref(&new)).expect("insert");
        store.put_extraction(&id, &stored).expect("extraction");
        store.flush().expect("flush");
    }
    let store = SledStore::open(&path).expect("reopen");
    let mut changed = new;
    "New title".clone_into(&mut changed.title);
    store.upsert_items(&[changed]).expect("feed update");
    let item = store.item(&id).expect("read").expect("kept");
    assert_eq!((item.title.as_str(), item.text.as_str()), ("New title", stored.text.as_str()));
    assert_eq!(store.quotes(&id).expect("quotes"), stored.quotes);
    assert_ne!(item.extracted_for.as_deref(), Some(item.content_hash.as_str()), "stale: ingest will re-extract");
}

fn upsert_with_extractions_stores_items_and_their_extractions_together(store: &dyn Store) {
    let (a, b, c) = (entry("s", "a", 0), entry("s", "b", 1), entry("s", "c", 2));
    let (ha, hb) = (a.content_hash(), b.content_hash());
    let ext_a = extraction(&ha, vec![quote("We will", "Ann")], vec![link("https://example.net/a")]);
    // A stale hash (the entry says something else) and an id not among the entries are skipped.
    let stale = extraction("not-the-hash", vec![quote("Old", "Bob")], vec![]);
    let stray = ItemId::derive("s", "urn:s:nowhere");
    let extractions = vec![(a.id(), ext_a.clone()), (b.id(), stale), (stray.clone(), ext_a.clone())];
    let (report, stored) =
        store.upsert_with_extractions(&[a.clone(), b.clone(), c.clone()], &extractions).expect("one write");
    assert_eq!(report.new.len(), 3);
    assert_eq!(stored, vec![a.id()]);
    let item = store.item(&a.id()).expect("read").expect("stored");
    assert_eq!(item.extracted_for.as_deref(), Some(ha.as_str()));
    assert_eq!((item.quote_count, item.link_count, item.text.as_str()), (1, 1, ext_a.text.as_str()));
    assert_eq!(store.quotes(&a.id()).expect("quotes"), ext_a.quotes);
    assert_eq!(store.links(&a.id()).expect("links"), ext_a.links);
    assert_eq!(store.item(&b.id()).expect("read").expect("stored").extracted_for, None);
    assert_eq!(store.item(&stray).expect("read"), None);

    // Again, with editor fields set in between: nothing new, the current extraction is not rewritten.
    let editor = EditorFields { quote_ids: vec!["q-7".to_owned()], ..EditorFields::default() };
    let edited = store.update_editorial(&a.id(), item.revision, ReviewState::Shortlisted, &editor).expect("edit");
    let again = vec![(a.id(), ext_a.clone()), (b.id(), extraction(&hb, vec![], vec![]))];
    let (report, stored) = store.upsert_with_extractions(&[a.clone(), b.clone(), c], &again).expect("again");
    assert_eq!((report.new.len(), report.updated.len(), report.unchanged), (0, 0, 3));
    assert_eq!(stored, vec![b.id()], "only the item whose extraction was missing");
    let item = store.item(&a.id()).expect("read").expect("stored");
    assert_eq!((item.state, &item.editor, item.revision), (ReviewState::Shortlisted, &editor, edited.revision));
    assert_eq!(store.item(&b.id()).expect("read").expect("stored").extracted_for.as_deref(), Some(hb.as_str()));
}

#[test]
fn a_store_opened_with_the_configured_cache_size_works_and_reopens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("gleaner.toml");
    std::fs::write(&config_path, "store = \"small.sled\"\nstore_cache_mib = 1\n").expect("write config");
    let config = gleaner::app::load_config(&config_path).expect("valid config");
    assert_eq!(config.settings.store_cache_mib, Some(1));
    let entries: Vec<NewItem> = (0..200).map(|n| entry("s", &format!("story-{n}"), n)).collect();
    {
        let store = gleaner::app::open_store(&config).expect("opens");
        assert_eq!(store.upsert_items(&entries).expect("stores").new.len(), 200);
        store.flush().expect("flush");
    }
    // A 1 MiB cache evicts most of it; everything still reads back after reopening.
    let store = gleaner::app::open_store(&config).expect("reopens");
    assert_eq!(store.item_count().expect("counts"), 200);
    assert_eq!(store.upsert_items(&entries).expect("stores").unchanged, 200);
}

fn sighting(
    speaker: &str,
    item: &gleaner::model::ItemId,
    outlet: &str,
    secs: i64,
    text: &str,
) -> gleaner::speakers::QuoteSighting {
    gleaner::speakers::QuoteSighting {
        speaker: speaker.to_owned(),
        occurrence: gleaner::speakers::Occurrence {
            item: item.clone(),
            quote: format!("q-{}", item.as_str()),
            outlet: Some(outlet.to_owned()),
            published: at(secs),
            text: text.to_owned(),
        },
    }
}

/// Issue 16.3 on every store: a trimmed copy joins the record, another
/// speaker's copy does not, a second recording writes nothing, an edited
/// page moves its occurrence out; and the speaker map swaps only from the
/// state it was read in.
fn quote_records_follow_each_item_and_a_rerecord_changes_nothing(store: &dyn Store) {
    let (a, b, c) = (ItemId::derive("s", "a"), ItemId::derive("s", "b"), ItemId::derive("s", "c"));
    store.record_quotes(&a, &[sighting("ann", &a, "Ledger", 1, "We will not raise taxes this year")]).expect("a");
    store.record_quotes(&b, &[sighting("ann", &b, "Wire", 2, "“we will not raise taxes”")]).expect("b");
    store.record_quotes(&c, &[sighting("bob", &c, "Post", 3, "We will not raise taxes this year")]).expect("c");
    let ann = store.quote_records(Some(&["ann".to_owned()])).expect("ann");
    assert_eq!(ann.len(), 1, "{ann:#?}");
    assert_eq!(ann[0].occurrences.len(), 2);
    assert_eq!(ann[0].first().and_then(|o| o.outlet.as_deref()), Some("Ledger"));
    assert_eq!(store.quote_records(None).expect("all").len(), 2);
    store.record_quotes(&b, &[sighting("ann", &b, "Wire", 2, "“we will not raise taxes”")]).expect("again");
    assert_eq!(store.quote_records(Some(&["ann".to_owned()])).expect("ann"), ann);
    store.record_quotes(&b, &[sighting("ann", &b, "Wire", 2, "Something else entirely was said")]).expect("edit");
    assert_eq!(store.quote_records(Some(&["ann".to_owned()])).expect("ann").len(), 2);
    assert_eq!(store.quote_records_of(&a).expect("of a")[0].occurrences.len(), 1);
    store.record_quotes(&c, &[]).expect("gone");
    assert!(store.quote_records(Some(&["bob".to_owned()])).expect("bob").is_empty());

    let empty = gleaner::speakers::SpeakerMap::default();
    let mut merged = empty.clone();
    merged.merges.insert("bob".to_owned(), "ann".to_owned());
    assert!(store.swap_speaker_map(&empty, &merged).expect("swap"));
    assert!(!store.swap_speaker_map(&empty, &empty).expect("stale swap"), "a stale map is refused");
    assert_eq!(store.speaker_map().expect("map"), merged);
}

/// An editor's merge and split in the speaker map, for the backup round
/// trips: `bob-banker` merged into `sara-lee`, and the shouted spelling
/// `SARA LEE` split off as `sara-lee-2`. Returns the map as stored.
pub(crate) fn seed_speaker_map(store: &dyn Store) -> gleaner::speakers::SpeakerMap {
    let empty = gleaner::speakers::SpeakerMap::default();
    let mut map = empty.clone();
    map.merge("bob-banker", "sara-lee", "ann", at(45)).expect("merge");
    let names = ["Sara Lee".to_owned(), "SARA LEE".to_owned()];
    assert_eq!(map.split("sara-lee", "SARA  LEE", &names, "ann", at(46)).as_deref(), Ok("sara-lee-2"));
    assert!(store.swap_speaker_map(&empty, &map).expect("swap"), "a fresh store has no map");
    map
}

/// The size of each stored entry of the people tree, by key (an export
/// reads them as stored, on either store).
fn people_entries(store: &dyn Store) -> std::collections::BTreeMap<Vec<u8>, usize> {
    let mut out = std::collections::BTreeMap::new();
    store
        .export_records(&mut |record| {
            if record.space.starts_with("people.") {
                out.insert(record.key, record.value.len());
            }
            Ok(())
        })
        .expect("export");
    out
}

/// Issue 16.3's cost (issue 18): a record keeps its occurrences apart, so a
/// quote run by 120 articles is a summary of bounded size and an entry per
/// occurrence. Recording one more adds an entry, updates the summary and
/// leaves every other occurrence's entry as it was (inline, each one
/// rewrote them all: a cold poll of one quote in 4,000 items took 12 times
/// as long). Taking out the first occurrence moves "first" to the next.
fn a_much_repeated_quote_adds_an_occurrence_without_rewriting_the_others(store: &dyn Store) {
    let text = "We will not raise taxes this year";
    let ids: Vec<ItemId> = (0..120).map(|n| ItemId::derive("s", &format!("i{n}"))).collect();
    let record = |store: &dyn Store| {
        let records = store.quote_summaries(None).expect("summaries");
        assert_eq!(records.len(), 1, "{records:#?}");
        records.into_iter().next().expect("one")
    };
    store.record_quotes(&ids[0], &[sighting("ann", &ids[0], "Outlet 0", 0, text)]).expect("first");
    let small = people_entries(store);
    let rec_key = |entries: &std::collections::BTreeMap<Vec<u8>, usize>| {
        entries.iter().find(|(k, _)| k.starts_with(b"rec/")).map(|(k, size)| (k.clone(), *size)).expect("a record")
    };
    let (key, size_at_one) = rec_key(&small);
    for (n, id) in ids.iter().enumerate().skip(1) {
        let outlet = format!("Outlet {}", n % 9);
        store.record_quotes(id, &[sighting("ann", id, &outlet, i64::try_from(n).expect("small"), text)]).expect("add");
    }
    let before = people_entries(store);
    let (_, size_at_many) = rec_key(&before);
    assert!(size_at_many <= size_at_one + 16, "the record grew from {size_at_one} to {size_at_many} bytes");
    assert_eq!(before.keys().filter(|k| k.starts_with(b"occ/")).count(), 120);
    let summary = record(store);
    assert_eq!((summary.count, summary.first.item.clone()), (120, ids[0].clone()));

    let late = ItemId::derive("s", "late");
    store.record_quotes(&late, &[sighting("ann", &late, "Outlet 4", 500, text)]).expect("one more");
    let after = people_entries(store);
    let new: Vec<&Vec<u8>> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(new.len(), 2, "one occurrence and its item entry: {new:?}");
    for (k, size) in &before {
        if *k != key {
            assert_eq!(after.get(k), Some(size), "{} changed", String::from_utf8_lossy(k));
        }
    }
    let occurrences = store.occurrences(&summary.id).expect("occurrences");
    assert_eq!(occurrences.len(), 121);
    assert!(occurrences.windows(2).all(|w| w[0].published <= w[1].published), "oldest first");

    store.record_quotes(&ids[0], &[]).expect("the first item gone");
    let summary = record(store);
    assert_eq!((summary.count, summary.first.item.clone()), (120, ids[1].clone()));
    assert_eq!(store.quote_records(None).expect("records")[0].repeated_by().len(), 8);
}
