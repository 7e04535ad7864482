//! Behaviours every store keeps that the older sled-only tests did not cover
//! through the trait: atomic editorial batches with their audit trail,
//! publishing, users and tokens, retention, page caches, the mail queue.

use gleaner::model::{
    ApiToken, AuditEntry, EditorFields, Issue, IssueSection, IssueState, ItemId, Period, ReviewState, Role, Scope,
    SendState, User,
};
use gleaner::store::prelude::*;
use gleaner::store::{EditorialWrite, ItemQuery, PageCache, StoreError};

use super::{at, entry};

fn audit(actor: &str, action: &str, secs: i64) -> AuditEntry {
    AuditEntry {
        at: at(secs),
        actor: actor.to_owned(),
        item_id: ItemId::derive("unset", "unset"),
        action: action.to_owned(),
        detail: String::new(),
        revision: 0,
    }
}

fn write(id: &ItemId, expected: u64, state: ReviewState, position: u32, entry: AuditEntry) -> EditorialWrite {
    EditorialWrite {
        id: id.clone(),
        expected_revision: expected,
        state,
        editor: EditorFields { position: Some(position), ..EditorFields::default() },
        audit: entry,
    }
}

pub(crate) fn edits_apply_all_or_nothing_and_leave_an_audit_trail(store: &dyn Store) {
    let (a, b) = (entry("s", "a", 0), entry("s", "b", 1));
    store.upsert_items(&[a.clone(), b.clone()]).expect("insert");
    let (ida, idb) = (a.id(), b.id());

    // One stale write in the batch: nothing of it lands, not even the audit entries.
    let batch = [
        write(&ida, 1, ReviewState::Approved, 1, audit("ann", "approve", 100)),
        write(&idb, 7, ReviewState::Approved, 2, audit("ann", "approve", 100)),
    ];
    let err = store.apply_edits(&batch).expect_err("stale");
    assert!(matches!(&err, StoreError::StaleRevision { id, expected: 7, found: 1 } if *id == idb), "{err:?}");
    assert_eq!(store.item(&ida).expect("read").expect("stored").revision, 1);
    assert!(store.audit_for(&ida).expect("trail").is_empty());

    // The same item twice in one batch chains its revisions.
    let batch = [
        write(&ida, 1, ReviewState::Approved, 1, audit("ann", "approve", 100)),
        write(&idb, 1, ReviewState::Approved, 2, audit("ann", "approve", 101)),
        write(&ida, 2, ReviewState::Approved, 3, audit("bob", "move", 102)),
    ];
    let written = store.apply_edits(&batch).expect("all apply");
    let revisions: Vec<u64> = written.iter().map(|i| i.revision).collect();
    assert_eq!(revisions, [2, 2, 3]);
    let item = store.item(&ida).expect("read").expect("stored");
    assert_eq!((item.state, item.editor.position, item.revision), (ReviewState::Approved, Some(3), 3));

    let trail = store.audit_for(&ida).expect("trail");
    let seen: Vec<(&str, u64)> = trail.iter().map(|e| (e.actor.as_str(), e.revision)).collect();
    assert_eq!(seen, [("bob", 3), ("ann", 2)], "newest first, revisions set by the store");
    assert!(trail.iter().all(|e| e.item_id == ida), "item ids set by the store");
    let recent: Vec<(String, u64)> =
        store.recent_audit(2).expect("recent").into_iter().map(|e| (e.actor, e.revision)).collect();
    assert_eq!(recent, [("bob".to_owned(), 3), ("ann".to_owned(), 2)]);
    assert_eq!(store.recent_audit(10).expect("recent").len(), 3);

    // A refetch afterwards keeps every editor field.
    let mut refetched = a.clone();
    "Retitled".clone_into(&mut refetched.title);
    store.upsert_items(&[refetched]).expect("refetch");
    let item = store.item(&ida).expect("read").expect("stored");
    assert_eq!((item.title.as_str(), item.editor.position, item.revision), ("Retitled", Some(3), 4));
    let err = store.apply_edit(&ida, 3, ReviewState::Rejected, &EditorFields::default(), &audit("cy", "reject", 103));
    assert!(matches!(err, Err(StoreError::StaleRevision { expected: 3, found: 4, .. })), "{err:?}");
}

fn issue(number: u32, items: Vec<ItemId>, state: IssueState) -> Issue {
    Issue {
        number,
        title: format!("Digest – {number}"),
        period: Period { start: at(0), end: at(1_000) },
        sections: vec![IssueSection { name: String::new(), items }],
        html: "<p>x</p>".to_owned(),
        summary: "x".to_owned(),
        created_at: at(1_000),
        published_at: (state == IssueState::Published).then(|| at(1_001)),
        published_by: None,
        corrections: Vec::new(),
        state,
    }
}

pub(crate) fn finish_issue_publishes_the_issue_and_its_items_together_or_not_at_all(store: &dyn Store) {
    let report = store.upsert_items(&[entry("s", "a", 0), entry("s", "b", 1)]).expect("insert");
    let ids = report.new;
    for id in &ids {
        store.update_editorial(id, 1, ReviewState::Approved, &EditorFields::default()).expect("approve");
    }
    for n in [256, 3, 1] {
        store.put_issue(&issue(n, vec![], IssueState::Draft)).expect("draft");
    }
    let numbers: Vec<u32> = store.issues().expect("list").iter().map(|i| i.number).collect();
    assert_eq!(numbers, [1, 3, 256]);
    let draft = issue(1, ids.clone(), IssueState::Draft);
    store.put_issue(&draft).expect("replace");

    let published = issue(1, ids.clone(), IssueState::Published);
    let err = store.finish_issue(&published, &[(ids[0].clone(), 2), (ids[1].clone(), 1)]).expect_err("stale");
    assert!(matches!(err, StoreError::StaleRevision { expected: 1, found: 2, .. }), "{err:?}");
    assert_eq!(store.issue(1).expect("read"), Some(draft), "nothing changed");
    assert_eq!(store.item(&ids[0]).expect("read").expect("stored").state, ReviewState::Approved);

    let listed = [(ids[0].clone(), 2), (ids[1].clone(), 2), (ids[0].clone(), 2)];
    store.finish_issue(&published, &listed).expect("publish");
    assert_eq!(store.issue(1).expect("read"), Some(published));
    for id in &ids {
        let item = store.item(id).expect("read").expect("stored");
        assert_eq!((item.state, item.revision), (ReviewState::Published, 3), "moved once");
    }
    let query = ItemQuery { state: Some(ReviewState::Published), ..ItemQuery::default() };
    assert_eq!(store.items(&query).expect("list").len(), 2);
}

pub(crate) fn users_and_tokens_are_unique_by_name_and_hash(store: &dyn Store) {
    let user = |name: &str| User {
        name: name.to_owned(),
        password_hash: format!("$argon2id$fake${name}"),
        created_at: at(0),
        role: Role::Editor,
    };
    assert!(store.insert_user(&user("zed")).expect("insert"));
    assert!(store.insert_user(&user("amy")).expect("insert"));
    assert!(!store.insert_user(&user("amy")).expect("taken"), "a name is taken once");
    let mut admin = user("amy");
    admin.role = Role::Admin;
    store.put_user(&admin).expect("replace");
    let names: Vec<(String, Role)> = store.users().expect("list").into_iter().map(|u| (u.name, u.role)).collect();
    assert_eq!(names, [("amy".to_owned(), Role::Admin), ("zed".to_owned(), Role::Editor)]);
    assert!(store.remove_user("zed").expect("remove"));
    assert!(!store.remove_user("zed").expect("gone"));
    assert_eq!(store.user("zed").expect("read"), None);

    let token = ApiToken {
        name: "ci".to_owned(),
        hash: "ab12".to_owned(),
        owner: Some("amy".to_owned()),
        scope: Scope::Read,
        created_at: at(0),
        last_used: None,
    };
    store.put_token(&token).expect("put");
    assert_eq!(store.token("ab12").expect("read"), Some(token.clone()));
    assert_eq!(store.tokens().expect("list"), vec![token]);
    assert!(store.remove_token("ab12").expect("remove"));
    assert!(store.tokens().expect("list").is_empty());
    assert!(!store.is_empty().expect("users remain"), "a store with a user is not empty");
}

pub(crate) fn retention_removes_only_untouched_single_source_items(store: &dyn Store) {
    let (plain, edited, shared) = (entry("a", "plain", 0), entry("a", "edited", 1), entry("a", "shared", 2));
    let mut copy = entry("b", "shared", 2);
    "b's copy".clone_into(&mut copy.title);
    store.upsert_items(&[plain.clone(), edited.clone(), shared.clone(), copy]).expect("insert");
    store.update_editorial(&edited.id(), 1, ReviewState::Shortlisted, &EditorFields::default()).expect("edit");
    let url = plain.url.clone().expect("a URL");
    store.put_page_cache(&url, &PageCache { etag: Some("e".to_owned()), ..PageCache::default() }).expect("cache");

    let removed = store.remove_untouched("a", &[plain.id(), edited.id(), shared.id()]).expect("retention");
    assert_eq!(removed, vec![plain.id()]);
    assert_eq!(store.item(&plain.id()).expect("read"), None);
    assert_eq!(store.item_by_url(&url).expect("read"), None, "its URL is free again");
    assert_eq!(store.page_cache(&url).expect("read"), None, "its page cache went with it");
    assert_eq!(store.item_count().expect("count"), 2);
    // A later delivery of the same entry is a new item again.
    assert_eq!(store.upsert_items(&[plain]).expect("again").new.len(), 1);
}

/// A restore refuses a store that is not empty: one holding only the mail
/// list or the webhook outbox must not pass for empty (an import would
/// then mix two lists of subscribers).
pub(crate) fn a_store_holding_only_mail_or_webhook_records_is_not_empty(store: &dyn Store) {
    assert!(store.is_empty().expect("empty"), "a fresh store");
    store.put_outbox_cursor("items", at(7)).expect("cursor");
    assert!(!store.is_empty().expect("read"), "an outbox cursor");
}

pub(crate) fn a_store_with_only_a_subscriber_is_not_empty(store: &dyn Store) {
    gleaner::mail::list::add(store, "reader@example.org", false, at(1)).expect("subscriber");
    assert!(!store.is_empty().expect("read"), "a pending subscriber");
}

pub(crate) fn page_cache_round_trips(store: &dyn Store) {
    let url = "https://example.org/news/story";
    let cache = PageCache {
        etag: Some("W/\"p1\"".to_owned()),
        last_modified: Some("Tue, 24 Nov 2026 09:00:00 GMT".to_owned()),
        body_hash: Some("abcd".to_owned()),
        fetched_at: Some(at(40_000)),
    };
    assert_eq!(store.page_cache(url).expect("read"), None);
    store.put_page_cache(url, &cache).expect("write");
    assert_eq!(store.page_cache(url).expect("read"), Some(cache));
    assert_eq!(store.page_cache("https://example.org/news").expect("read"), None, "exact URL only");
}

pub(crate) fn mail_queue_is_written_once_per_issue(store: &dyn Store) {
    let recipients = vec!["b@example.org".to_owned(), "a@example.org".to_owned()];
    assert!(store.queue_issue_mail(4, &recipients).expect("queue"));
    assert!(!store.queue_issue_mail(4, &["c@example.org".to_owned()]).expect("again"), "queued once");
    assert_eq!(store.open_mail_jobs().expect("jobs"), [4]);
    let sent = SendState::Sent { at: at(5) };
    store.put_send(4, "a@example.org", &sent).expect("send");
    let sends = store.sends(4).expect("sends");
    let emails: Vec<&str> = sends.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(emails, ["a@example.org", "b@example.org"], "by address, and no c");
    assert_eq!(sends[0].1, sent);
    store.close_mail_job(4).expect("close");
    assert!(store.open_mail_jobs().expect("jobs").is_empty());

    store.put_outbox_cursor("approvals", at(7)).expect("cursor");
    assert_eq!(store.outbox_cursor("approvals").expect("read"), Some(at(7)));
}
