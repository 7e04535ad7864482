//! What only the PostgreSQL store has: schema versions and `migrate`, logins,
//! several processes writing at once, and calls from inside async tasks.

use std::sync::Arc;

use gleaner::model::{EditorFields, ReviewState};
use gleaner::store::prelude::*;
use gleaner::store::{PG_SCHEMA_VERSION, PgOptions, PgStore, StoreError};

use super::entry;
use crate::support::pg;

#[test]
fn a_database_never_migrated_is_refused_until_migrate_runs_once() {
    let options = pg::cluster().database();
    let err = PgStore::connect(&options).expect_err("not migrated");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("run `gleaner migrate`"), "{err}");

    let first = PgStore::migrate(&options).expect("migrate");
    assert_eq!((first.from, first.to), (None, PG_SCHEMA_VERSION));
    let again = PgStore::migrate(&options).expect("migrate again");
    assert_eq!((again.from, again.to), (Some(PG_SCHEMA_VERSION), PG_SCHEMA_VERSION), "nothing left to do");
    let store = PgStore::connect(&options).expect("connects now");
    assert_eq!(store.schema_version().expect("version"), Some(PG_SCHEMA_VERSION));
}

#[test]
fn a_schema_from_a_newer_gleaner_is_refused_with_a_clear_message() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    pg::cluster()
        .on(options.url.rsplit('/').next().expect("a database"), |client| async move {
            client.batch_execute("INSERT INTO gleaner_schema (version, what) VALUES (99, 'from the future')").await
        })
        .expect("a newer step recorded");
    let err = PgStore::connect(&options).expect_err("too new");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade Gleaner"), "{err}");
    let err = PgStore::migrate(&options).expect_err("migrate refuses too");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err:?}");
}

/// Schema step 5 (issue 16.3's cost): a version 4 quote record, its
/// occurrences inline, becomes a summary with one row per occurrence, found
/// by speaker and by item as before.
#[test]
fn migrating_from_version_4_splits_a_quote_records_occurrences_into_rows() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let item = gleaner::model::ItemId::derive("s", "a");
    let occurrence = |item: &gleaner::model::ItemId, secs: i64, text: &str| {
        serde_json::json!({"item": item, "quote": "q1", "outlet": "Ledger",
                           "published": super::at(secs), "text": text})
    };
    let old = serde_json::json!({"id": "r1", "speaker": "ann", "text": "we will not back down now",
        "occurrences": [occurrence(&item, 1, "we will not back down"),
                        occurrence(&gleaner::model::ItemId::derive("s", "b"), 2, "we will not back down now")]});
    // The database as version 4 left it, with one record.
    let v4 = format!(
        "DELETE FROM gleaner_schema WHERE version >= 5; DROP TABLE quote_occurrences; DROP TABLE watchlists;
         DROP TABLE host_slots; DROP TABLE host_holds; DROP SEQUENCE host_slot_tokens;
         CREATE TABLE quote_items (item_id text COLLATE \"C\" NOT NULL, record_id text COLLATE \"C\" NOT NULL,
                                   PRIMARY KEY (item_id, record_id));
         INSERT INTO quote_records (id, speaker, record) VALUES ('r1', 'ann', '{old}');
         INSERT INTO quote_items VALUES ('{item}', 'r1');",
        item = item.as_str()
    );
    let database = options.url.rsplit('/').next().expect("a database").to_owned();
    pg::cluster().on(&database, |client| async move { client.batch_execute(&v4).await }).expect("back to v4");
    let report = PgStore::migrate(&options).expect("migrate from 4");
    assert_eq!((report.from, report.to), (Some(4), PG_SCHEMA_VERSION));
    let store = PgStore::connect(&options).expect("connect");
    let records = store.quote_records(Some(&["ann".to_owned()])).expect("by speaker");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].occurrences.len(), 2);
    assert_eq!(records[0].text, "we will not back down now");
    assert_eq!(store.quote_records_of(&item).expect("by item"), records);
    let summary = &store.quote_summaries(None).expect("summaries")[0];
    assert_eq!((summary.count, summary.first.item.clone()), (2, item));
}

#[test]
fn a_wrong_or_missing_password_and_a_password_in_the_url_are_open_errors() {
    let options = pg::cluster().database();
    for password in [Some("wrong".to_owned()), None] {
        let err = PgStore::migrate(&PgOptions::new(&options.url, password)).expect_err("no login");
        assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
        assert!(!err.to_string().contains(pg::PASSWORD), "{err}");
    }
    let with_password = options.url.replace("gleaner@", &format!("gleaner:{}@", pg::PASSWORD));
    let err = PgStore::connect(&PgOptions::new(&with_password, None)).expect_err("password in the URL");
    assert!(err.to_string().contains("GLEANER_STORE_PASSWORD"), "{err}");
}

#[test]
fn a_second_connection_sees_every_write() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let article = entry("a", "article", 0);
    let editor = EditorFields { headline: Some("Kept".to_owned()), ..EditorFields::default() };
    {
        let store = PgStore::connect(&options).expect("connect");
        store.upsert_items(std::slice::from_ref(&article)).expect("insert");
        store.update_editorial(&article.id(), 1, ReviewState::Approved, &editor).expect("edit");
    }
    let store = PgStore::connect(&options).expect("reconnect");
    let item = store.item(&article.id()).expect("read").expect("kept");
    assert_eq!((item.state, item.editor, item.revision), (ReviewState::Approved, editor, 2));
    store.health_check().expect("takes writes");
}

/// Two processes' worth of stores (separate pools) upsert copies of the same
/// articles from different sources at the same moment.
#[test]
fn concurrent_writers_store_one_item_per_canonical_url() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let workers: Vec<PgStore> = (0..3).map(|_| PgStore::connect(&options).expect("connect")).collect();
    let barrier = Arc::new(std::sync::Barrier::new(workers.len()));
    let threads: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(n, store)| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let source = format!("source-{n}");
                // Every worker has every article, in a different order.
                let mut batch: Vec<_> = (0..60).map(|i| entry(&source, &format!("story-{i}"), i)).collect();
                batch.rotate_left(n * 20);
                barrier.wait();
                for chunk in batch.chunks(7) {
                    store.upsert_items(chunk).expect("upsert");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("worker");
    }
    let store = PgStore::connect(&options).expect("connect");
    assert_eq!(store.item_count().expect("count"), 60, "one item per URL");
    for item in store.items(&gleaner::store::ItemQuery::default()).expect("list") {
        let mut sources = item.sources.clone();
        sources.sort();
        assert_eq!(sources, ["source-0", "source-1", "source-2"], "{}", item.title);
    }
}

#[test]
fn two_editors_on_one_revision_one_wins_and_one_is_told() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let (first, second) = (PgStore::connect(&options).expect("a"), PgStore::connect(&options).expect("b"));
    let article = entry("a", "article", 0);
    first.upsert_items(std::slice::from_ref(&article)).expect("insert");
    let id = article.id();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let editors: Vec<_> = [(first, ReviewState::Approved), (second, ReviewState::Rejected)]
        .into_iter()
        .map(|(store, state)| {
            let (barrier, id) = (Arc::clone(&barrier), id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.update_editorial(&id, 1, state, &EditorFields::default())
            })
        })
        .collect();
    let results: Vec<_> = editors.into_iter().map(|thread| thread.join().expect("editor")).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(StoreError::StaleRevision { expected: 1, found: 2, .. }))));
}

/// The traits are sync; the service calls them from its runtime's tasks as
/// well as from plain threads. Neither may panic or stall.
#[test]
fn the_store_answers_from_inside_async_tasks_of_either_runtime_flavour() {
    let store = Arc::new(pg::store());
    store.upsert_items(&[entry("a", "x", 0)]).expect("from a plain thread");
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    for runtime in [multi, current] {
        let store = Arc::clone(&store);
        let count = runtime.block_on(async move {
            let task = tokio::spawn({
                let store = Arc::clone(&store);
                async move { store.item_count().expect("from a task") }
            });
            let direct = store.item_count().expect("from block_on");
            let blocking = tokio::task::spawn_blocking(move || store.item_count().expect("from spawn_blocking"));
            (direct, task.await.expect("task"), blocking.await.expect("blocking"))
        });
        assert_eq!(count, (1, 1, 1));
    }
    // The last handle dropped inside a runtime's task must not panic either.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let last = Arc::try_unwrap(store).expect("the only handle");
    runtime.block_on(async move { tokio::spawn(async move { drop(last) }).await }).expect("dropped");
}

/// The operator's path: `store = "postgres://…"` in the config, the password
/// in the environment, `gleaner migrate`, then any store command.
#[test]
fn migrate_then_commands_work_on_a_postgres_store_named_in_the_config() {
    let options = pg::cluster().database();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("gleaner.toml");
    std::fs::write(&config, format!("store = \"{}\"\n", options.url)).expect("config");
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gleaner"));
        command.arg("--config").arg(&config).args(args).env_remove("RUST_LOG").env_remove("GLEANER_STORE_PASSWORD");
        if let Some(password) = password {
            command.env("GLEANER_STORE_PASSWORD", password);
        }
        let out = command.output().expect("gleaner runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["items", "--json"], Some(pg::PASSWORD));
    assert_eq!(code, Some(1), "not migrated yet: {err}");
    assert!(err.contains("gleaner migrate"), "{err}");

    let (code, out, err) = run(&["migrate"], Some(pg::PASSWORD));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("created at schema version"), "{out}");
    let (code, out, _) = run(&["migrate"], Some(pg::PASSWORD));
    assert_eq!(code, Some(0));
    assert!(out.contains("nothing to do"), "{out}");

    let (code, _, err) = run(&["items", "--json"], None);
    assert_eq!(code, Some(1), "no password, no login");
    assert!(err.contains("password"), "{err}");
    let (code, out, err) = run(&["items", "--json"], Some(pg::PASSWORD));
    assert_eq!((code, out.as_str()), (Some(0), ""), "{err}");
}

/// The migration path: `export` from sled, `import` into PostgreSQL, and
/// back into a new sled store, loses nothing (the last export is the first,
/// byte for byte, and PostgreSQL answers every query as sled did).
#[test]
fn sled_to_postgres_to_sled_round_trip_loses_nothing() {
    use gleaner::model::{ApiToken, AuditEntry, Issue, IssueSection, IssueState, Period, Role, Scope, User};
    use gleaner::store::{ItemQuery, PageCache, SledStore, backup};

    let sled = SledStore::temporary().expect("sled");
    let (a, b) = (entry("a", "one", 0), entry("a", "two", 1));
    let mut copy = entry("b", "one", 0);
    copy.title = "b's copy".to_owned();
    sled.upsert_items(&[a.clone(), b.clone(), copy]).expect("items");
    let found = super::extraction(
        &a.content_hash(),
        vec![super::quote("Words that matter", "Ann")],
        vec![super::link("https://example.net/r")],
    );
    sled.put_extraction(&a.id(), &found).expect("extraction");
    gleaner::store::record_provenance(&sled, &[a.id()]);
    // b joins a's story through its print alone (sled keeps a placed item's
    // story there); the story must come through, the derived print need not.
    let print = |id: &gleaner::model::ItemId, published| gleaner::store::StoryPrint {
        id: id.clone(),
        published,
        story: a.id(),
        signature: gleaner::story::Signature::of("one", "the same story"),
    };
    sled.put_story_prints(&[print(&a.id(), a.published), print(&b.id(), b.published)]).expect("prints");
    let at = super::at;
    let audit = AuditEntry {
        at: at(50),
        actor: "ann".to_owned(),
        item_id: a.id(),
        action: "approve".to_owned(),
        detail: String::new(),
        revision: 0,
    };
    let revision = sled.item(&a.id()).expect("read").expect("stored").revision;
    let approved =
        sled.apply_edit(&a.id(), revision, ReviewState::Approved, &EditorFields::default(), &audit).expect("approve");
    let issue = Issue {
        number: 7,
        title: "Digest – 7".to_owned(),
        period: Period { start: at(0), end: at(100) },
        sections: vec![IssueSection { name: String::new(), items: vec![a.id()] }],
        html: "<p>7</p>".to_owned(),
        summary: "7".to_owned(),
        created_at: at(100),
        published_at: Some(at(101)),
        published_by: Some("ann".to_owned()),
        corrections: Vec::new(),
        state: IssueState::Published,
    };
    sled.finish_issue(&issue, &[(a.id(), approved.revision)]).expect("publish");
    let user =
        User { name: "ann".to_owned(), password_hash: "$argon2id$x".to_owned(), created_at: at(0), role: Role::Admin };
    sled.insert_user(&user).expect("user");
    let token = ApiToken {
        name: "ci".to_owned(),
        hash: "beef".to_owned(),
        owner: Some("ann".to_owned()),
        scope: Scope::Edit,
        created_at: at(0),
        last_used: None,
    };
    sled.put_token(&token).expect("token");
    sled.put_fetch_state("a", &gleaner::model::FetchState { consecutive_failures: 2, ..Default::default() })
        .expect("fs");
    sled.put_page_cache("https://example.org/one", &PageCache { etag: Some("e".to_owned()), ..PageCache::default() })
        .expect("page");
    seed_mail_and_outbox(&sled);
    let map = seed_people(&sled);

    let mut first = Vec::new();
    backup::export(&sled, &mut first).expect("export sled");
    let pg = pg::store();
    let report = backup::import(&pg, &mut first.as_slice()).expect("import into postgres");
    assert!(report.total() > 10, "{report:?}");

    // PostgreSQL answers as sled does.
    let all = ItemQuery::default;
    assert_eq!(pg.items(&all()).expect("pg list"), sled.items(&all()).expect("sled list"));
    assert_eq!(pg.item_by_url("https://example.org/one").expect("url"), sled.item(&a.id()).expect("read"));
    assert_eq!(pg.quotes(&a.id()).expect("quotes"), found.quotes);
    assert_eq!(pg.audit_for(&a.id()).expect("trail"), sled.audit_for(&a.id()).expect("trail"));
    assert_eq!(pg.recent_audit(5).expect("recent"), sled.recent_audit(5).expect("recent"));
    assert_eq!(pg.issues().expect("issues"), vec![issue]);
    assert_eq!((pg.users().expect("users"), pg.tokens().expect("tokens")), (vec![user], vec![token]));
    assert_eq!(pg.counts_by_state().expect("counts"), sled.counts_by_state().expect("counts"));
    assert_eq!(pg.item(&b.id()).expect("read").and_then(|item| item.story), Some(a.id()), "the story came along");
    assert!(report.records.get("mail_list.v1").is_some_and(|n| *n >= 8), "{report:?}");
    assert_eq!(report.records.get("webhook_outbox.v1"), Some(&2), "{report:?}");
    assert_eq!(pg.open_mail_jobs().expect("jobs"), vec![7]);
    assert_eq!(pg.sends(7).expect("sends"), sled.sends(7).expect("sends"));
    let emails = |list: Vec<gleaner::model::Subscriber>| list.into_iter().map(|s| s.email).collect::<Vec<_>>();
    assert_eq!(emails(pg.subscribers().expect("list")), emails(sled.subscribers().expect("list")));
    assert_eq!(pg.deliveries().expect("outbox"), sled.deliveries().expect("outbox"));
    assert_eq!(pg.outbox_cursor("items").expect("cursor"), Some(at(62)));
    people_came_along(&report, &sled, &pg, &a.id(), &map);
    // The merged source still finds its item by guid: the guid index came along.
    let mut moved = entry("b", "one", 0);
    moved.url = Some("https://example.org/one-moved".to_owned());

    let mut second = Vec::new();
    backup::export(&pg, &mut second).expect("export postgres");
    let back = SledStore::temporary().expect("sled again");
    backup::import(&back, &mut second.as_slice()).expect("import into sled");
    let mut third = Vec::new();
    backup::export(&back, &mut third).expect("export sled again");
    assert_eq!(String::from_utf8_lossy(&third), String::from_utf8_lossy(&first), "nothing lost or changed");

    assert_eq!(pg.upsert_items(&[moved.clone()]).expect("pg").unchanged, 1);
    assert_eq!(back.upsert_items(&[moved]).expect("sled").unchanged, 1);
}

/// The editors' speaker map and watchlists; the map as stored.
fn seed_people(sled: &gleaner::store::SledStore) -> gleaner::speakers::SpeakerMap {
    super::seed_watchlists(sled);
    super::seed_speaker_map(sled)
}

/// The editors' watchlists, merge and split, and the quote records with their indexes
/// (found by speaker and by item), as PostgreSQL answers after the import.
fn people_came_along(
    report: &gleaner::store::backup::BackupReport,
    sled: &gleaner::store::SledStore,
    pg: &dyn Store,
    item: &gleaner::model::ItemId,
    map: &gleaner::speakers::SpeakerMap,
) {
    assert!(report.records.get("people.v1").is_some_and(|n| *n >= 4), "{report:?}");
    assert_eq!(report.records.get("watchlists.v1"), Some(&2), "{report:?}");
    assert_eq!(pg.watchlists().expect("pg watchlists"), sled.watchlists().expect("sled watchlists"));
    assert_eq!(&pg.speaker_map().expect("map"), map);
    assert_eq!(pg.speaker_map().expect("map").resolve("Bob Banker").as_deref(), Some("sara-lee"));
    let records = sled.quote_records(None).expect("records");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(pg.quote_records(None).expect("records"), records);
    assert_eq!(pg.quote_records(Some(&["ann".to_owned()])).expect("by speaker"), records);
    assert_eq!(pg.quote_records_of(item).expect("by item"), records);
}

/// The mailing list with one issue's send state half way, and the webhook
/// outbox (a delivery and a cursor), for the round trip.
fn seed_mail_and_outbox(sled: &gleaner::store::SledStore) {
    let at = super::at;
    gleaner::mail::list::add(sled, "reader@example.org", true, at(61)).expect("subscriber");
    gleaner::mail::list::add(sled, "pending@example.org", false, at(61)).expect("pending subscriber");
    let recipients = ["reader@example.org".to_owned(), "later@example.org".to_owned()];
    assert!(sled.queue_issue_mail(7, &recipients).expect("queue"));
    assert!(sled.queue_issue_mail(6, &recipients[..1]).expect("queue"));
    sled.close_mail_job(6).expect("closed");
    sled.put_send(7, "reader@example.org", &gleaner::model::SendState::Sent { at: at(62) }).expect("send");
    let delivery = gleaner::model::Delivery {
        id: "wh_1".to_owned(),
        url: "http://127.0.0.1:9/hook".to_owned(),
        event: gleaner::model::WebhookEvent::IssuePublished,
        body: "{\"event\":\"issue.published\"}".to_owned(),
        created_at: at(62),
        after_issue: Some(7),
        state: gleaner::model::DeliveryState::Pending,
        attempts: 2,
        next_attempt_at: at(63),
        last_result: Some("HTTP 500".to_owned()),
        delivered_at: None,
    };
    sled.enqueue_deliveries(&[delivery]).expect("delivery");
    sled.put_outbox_cursor("items", at(62)).expect("cursor");
}

/// Part 2's first step: sources leased with `FOR UPDATE SKIP LOCKED`.
#[test]
fn due_sources_are_leased_to_one_worker_and_taken_over_after_expiry() {
    use chrono::Duration;
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let (one, two) = (PgStore::connect(&options).expect("one"), PgStore::connect(&options).expect("two"));
    let ids: Vec<String> = (0..6).map(|n| format!("s{n}")).collect();
    one.sync_sources(&ids).expect("sync");
    let now = super::at(0);
    let minute = Duration::minutes(1);

    // Never polled: due at once; two workers get disjoint halves.
    let first = one.lease_due_sources(now, minute, 3).expect("lease");
    let second = two.lease_due_sources(now, minute, 10).expect("lease");
    let mut all: Vec<&str> = first.iter().chain(&second).map(|l| l.source_id.as_str()).collect();
    all.sort_unstable();
    assert_eq!((first.len(), second.len()), (3, 3));
    assert_eq!(all, ["s0", "s1", "s2", "s3", "s4", "s5"], "each source leased once");
    assert!(one.lease_due_sources(now, minute, 10).expect("lease").is_empty(), "all held");

    // Worker one finishes; worker two "dies" holding its leases.
    for lease in &first {
        assert!(one.finish_source(lease, now + Duration::minutes(30)).expect("finish"));
    }
    let later = now + Duration::minutes(2);
    let taken_over = one.lease_due_sources(later, minute, 10).expect("after expiry");
    let taken: Vec<&str> = taken_over.iter().map(|l| l.source_id.as_str()).collect();
    let expired: Vec<&str> = second.iter().map(|l| l.source_id.as_str()).collect();
    assert_eq!(taken, expired, "only the dead worker's sources, not the finished ones (due in 30 min)");

    // The dead worker's late finish changes nothing; a duplicate finish neither.
    assert!(!two.finish_source(&second[0], now + Duration::days(9)).expect("late"));
    assert!(one.finish_source(&taken_over[0], later + Duration::minutes(30)).expect("finish"));
    assert!(!one.finish_source(&taken_over[0], later + Duration::days(9)).expect("twice"));
    let due = one.lease_due_sources(later + Duration::minutes(31), minute, 10).expect("lease");
    assert!(due.iter().any(|l| l.source_id == second[0].source_id), "due at the finish's time, not the late one's");

    // A source removed from the config is no longer leased.
    one.sync_sources(&ids[..1]).expect("sync");
    let rest = two.lease_due_sources(now + Duration::days(30), minute, 10).expect("lease");
    assert!(rest.iter().all(|l| l.source_id == "s0"), "{rest:?}");
}

/// Issue 17: a host's politeness limit counted across processes, slots that
/// free themselves when their holder dies, and a `Retry-After` every process
/// sees.
#[test]
fn host_slots_are_shared_by_connections_expire_and_a_hold_stops_every_taker() {
    use gleaner::store::HostSlot;
    use std::time::Duration;
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let (one, two) = (PgStore::connect(&options).expect("one"), PgStore::connect(&options).expect("two"));
    let host = "news.example:443";
    let long = Duration::from_secs(60);
    let taken = |slot: HostSlot| match slot {
        HostSlot::Taken { slot, token } => (slot, token),
        other => panic!("expected a slot, got {other:?}"),
    };

    let a = taken(one.take_host_slot(host, 2, long).expect("take"));
    let b = taken(two.take_host_slot(host, 2, long).expect("take"));
    assert_ne!(a.0, b.0, "two different slots");
    assert_eq!(one.take_host_slot(host, 2, long).expect("take"), HostSlot::Busy, "the limit holds across connections");
    assert!(matches!(two.take_host_slot("other.example:443", 2, long).expect("take"), HostSlot::Taken { .. }));

    // A stale token frees nothing; the holder's does.
    one.release_host_slot(host, a.0, a.1 + 1000).expect("release");
    assert_eq!(two.take_host_slot(host, 2, long).expect("take"), HostSlot::Busy);
    one.release_host_slot(host, a.0, a.1).expect("release");
    let c = taken(two.take_host_slot(host, 2, long).expect("take"));
    assert_eq!(c.0, a.0, "the freed slot");

    // A holder that dies: its slot expires and is taken again.
    let dead = "dead.example:80";
    let gone = taken(one.take_host_slot(dead, 1, Duration::from_millis(300)).expect("take"));
    assert_eq!(two.take_host_slot(dead, 1, long).expect("take"), HostSlot::Busy);
    std::thread::sleep(Duration::from_millis(400));
    let after = taken(two.take_host_slot(dead, 1, long).expect("after expiry"));
    one.release_host_slot(dead, gone.0, gone.1).expect("late release");
    assert_eq!(one.take_host_slot(dead, 1, long).expect("take"), HostSlot::Busy, "a late release frees nothing");
    two.release_host_slot(dead, after.0, after.1).expect("release");

    // Retry-After seen through one connection holds the host for the other,
    // free slots or not; a shorter hold does not shorten it.
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    let until = until - chrono::Duration::nanoseconds(i64::from(until.timestamp_subsec_nanos() % 1000));
    one.hold_host(dead, until).expect("hold");
    one.hold_host(dead, until - chrono::Duration::minutes(30)).expect("shorter hold");
    assert_eq!(two.take_host_slot(dead, 1, long).expect("take"), HostSlot::Held { until });
    // A hold in the past holds nothing.
    one.hold_host("past.example:80", chrono::Utc::now() - chrono::Duration::seconds(5)).expect("hold");
    assert!(matches!(two.take_host_slot("past.example:80", 1, long).expect("take"), HostSlot::Taken { .. }));
}
