//! Integration tests of operations (issue 6): OPML import and export through
//! the binary, backup export/import round trips compared record by record,
//! `/healthz` through the router, and `gleaner healthcheck` exit codes
//! against a loopback server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use gleaner::app::Heartbeat;
use gleaner::editorial::rules::Action;
use gleaner::editorial::{EditChanges, Editorial};
use gleaner::model::{
    Delivery, DeliveryState, FetchState, Issue, IssueSection, IssueState, Link, Period, Quote, QuoteKind, ReviewState,
    SendState, WebhookEvent,
};
use gleaner::store::{Extraction, ItemQuery, PageCache, SledStore, Store};

use crate::support::store::{Fault, FaultyStore};
use tower::ServiceExt as _;

use crate::store::{at, entry};
use crate::support::gleaner;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A settings file naming `sources.toml` (with `sources` as its text) beside it.
fn config_with_sources(dir: &Path, sources: &str) -> PathBuf {
    let path = dir.join("gleaner.toml");
    std::fs::write(&path, "store = \"store.sled\"\nsources = \"sources.toml\"\n").expect("write settings");
    std::fs::write(dir.join("sources.toml"), sources).expect("write sources");
    path
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opml").join(name)
}

// ---- OPML ----

const KNOWN: &str = "# Our own list; this comment must survive an import.\n\
                     [[source]]\nid = \"known\"\nname = \"Known\"\nurl = \"https://known.example/feed\"\n";

#[test]
fn opml_import_appends_sources_with_sections_and_reports_duplicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_sources(dir.path(), KNOWN);
    let output = gleaner(&config, &["opml", "import", fixture("reader-export.opml").to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.contains("skipped “Amwaj again”") && report.contains("earlier in the file"), "{report}");
    assert!(report.contains("skipped “Already here”") && report.contains("duplicate of source `known`"), "{report}");
    assert!(report.contains("ignored outline “A web page”"), "{report}");

    let written = std::fs::read_to_string(dir.path().join("sources.toml")).expect("read");
    assert!(written.starts_with(KNOWN), "the operators' text, comments included, is kept as it was:\n{written}");
    let check = gleaner(&config, &["check"]);
    assert_eq!(check.status.code(), Some(0), "the result validates: {}", text(&check.stderr));
    let sources = gleaner(&config, &["sources", "--json"]);
    assert!(sources.status.success(), "{}", text(&sources.stderr));
    for (id, section) in [
        ("al-monitor", "section = \"Middle East\""),
        ("amwaj", "section = \"Middle East\""),
        ("le-monde-international", "section = \"Europe\""),
        ("tagged", "section = \"Think tanks\""),
    ] {
        let table = written.split("[[source]]").find(|t| t.contains(&format!("id = \"{id}\""))).expect(id);
        assert!(table.contains(section), "{id}: {table}");
    }
    assert_eq!(written.matches("[[source]]").count(), 5, "{written}");
}

#[test]
fn opml_import_into_an_invalid_config_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A page source without selectors: the list does not validate as it is.
    let broken = format!("{KNOWN}\n[[source]]\nid = \"other\"\nurl = \"https://other.example/\"\nkind = \"page\"\n");
    let config = config_with_sources(dir.path(), &broken);
    let output = gleaner(&config, &["opml", "import", fixture("reader-export.opml").to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("sources.toml:"), "errors are located: {}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("sources.toml")).expect("read"), broken);
}

#[test]
fn opml_export_then_import_into_an_empty_list_exports_the_same_outlines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = "[[source]]\nid = \"a\"\nname = \"Alpha & <Co>\"\nurl = \"https://a.example/feed\"\n\n\
                   [[source]]\nid = \"b\"\nname = \"Beta\"\nurl = \"https://b.example/rss?x=1&y=2\"\nsection = \"Europe\"\n\n\
                   [[source]]\nid = \"c\"\nname = \"Gamma “quoted”\"\nurl = \"https://c.example/atom\"\nsection = \"Middle East\"\n\n\
                   [[source]]\nid = \"d\"\nname = \"Delta\"\nurl = \"https://d.example/feed\"\nsection = \"Europe\"\n";
    let first_config = config_with_sources(dir.path(), sources);
    let first = gleaner(&first_config, &["opml", "export"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let exported = text(&first.stdout);
    assert!(exported.contains("<opml version=\"2.0\">"), "{exported}");
    let opml_path = dir.path().join("out.opml");
    std::fs::write(&opml_path, &exported).expect("write opml");

    let empty = tempfile::tempdir().expect("temp dir");
    let second_config = config_with_sources(empty.path(), "");
    let imported = gleaner(&second_config, &["opml", "import", opml_path.to_str().expect("utf-8 path")]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let again = gleaner(&second_config, &["opml", "export"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let outlines = |opml: &str| {
        let parsed = gleaner::config::opml::parse(opml).expect("our export parses");
        parsed.outlines
    };
    assert_eq!(outlines(&text(&again.stdout)), outlines(&exported));
    assert_eq!(text(&again.stdout), exported, "byte for byte, even");
}

#[test]
fn opml_import_of_a_broken_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_sources(dir.path(), KNOWN);
    let bad = dir.path().join("bad.opml");
    std::fs::write(&bad, "<rss version=\"2.0\"><channel/></rss>").expect("write");
    let output = gleaner(&config, &["opml", "import", bad.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not an OPML document"), "{}", text(&output.stderr));
}

// ---- Backup ----

fn quote(text: &str) -> Quote {
    Quote {
        id: format!("q-{}", text.len()),
        text: text.to_owned(),
        speaker: Some("Sara Lee".to_owned()),
        speaker_mention: None,
        cue: Some("said".to_owned()),
        outlet: Some("Ledger".to_owned()),
        via: None,
        kind: QuoteKind::Inline,
        start: 0,
        end: text.chars().count(),
        context: format!("“{text}” said Sara Lee."),
        confidence: 0.875,
    }
}

/// A store with something of every kind, written through the public APIs only.
fn filled_store() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    // Two sources deliver the same article: one item remembering both, plus a guid index entry.
    let mut copy = entry("other", "one", 5);
    copy.guid = Some("urn:other:copy".to_owned());
    store.upsert_items(&[entry("src", "one", 0), entry("src", "two", 100), copy]).expect("upsert");
    let items = store.items(&ItemQuery::default()).expect("list");
    let one = items.iter().find(|i| i.title == "Title one").expect("item one").clone();
    let extraction = Extraction {
        content_hash: one.content_hash.clone(),
        text: "Main text.\n\nSecond paragraph.".to_owned(),
        byline: Some("Sam Writer".to_owned()),
        outlet: Some("Ledger".to_owned()),
        language: None,
        quotes: vec![quote("We will not back down"), quote("Talks resume on Monday")],
        links: vec![Link {
            url: "https://example.net/report".to_owned(),
            text: "a report".to_owned(),
            context: "See a report.".to_owned(),
            domain: "example.net".to_owned(),
            external: true,
        }],
        extracted_at: at(20_000),
        note: None,
    };
    store.put_extraction(&one.id, &extraction).expect("extraction");
    let state = FetchState {
        etag: Some("\"abc\"".to_owned()),
        last_success: Some(at(30)),
        consecutive_failures: 2,
        last_error: Some("HTTP 503".to_owned()),
        next_due: Some(at(3_600)),
        ..FetchState::default()
    };
    store.put_fetch_state("src", &state).expect("fetch state");
    let cache = PageCache { etag: Some("W/\"p\"".to_owned()), body_hash: Some("h".to_owned()), ..PageCache::default() };
    store.put_page_cache("https://example.org/one", &cache).expect("page cache");

    // Editors: a user, edits with audit entries, an approval.
    let editorial = Editorial::without_queue(Arc::clone(&store));
    editorial.add_user("ann", "a long passphrase", at(40_000)).expect("user");
    let now = at(50_000);
    let changes = EditChanges {
        headline: Some(Some("A better headline".to_owned())),
        commentary: Some(Some("Why it matters.".to_owned())),
        quote_ids: Some(vec![extraction.quotes[0].id.clone()]),
        section: Some(Some("Europe".to_owned())),
        ..EditChanges::default()
    };
    // The extraction bumped the revision: edit what is stored now.
    let current = store.item(&one.id).expect("read").expect("stored");
    let edited = editorial.edit(&one.id, current.revision, &changes, "ann", now).expect("edit");
    editorial.act(&one.id, edited.revision, Action::Approve, "ann", now).expect("approve");

    let issue = Issue {
        number: 7,
        title: "Digest – 7".to_owned(),
        period: Period { start: at(0), end: at(60_000) },
        sections: vec![IssueSection { name: "Europe".to_owned(), items: vec![one.id.clone()] }],
        html: "<p>x</p>".to_owned(),
        summary: "x".to_owned(),
        created_at: at(60_000),
        published_at: None,
        published_by: None,
        corrections: Vec::new(),
        state: IssueState::Draft,
    };
    store.put_issue(&issue).expect("issue");

    // The mailing list, issue 7's send state half way, and the webhook outbox.
    gleaner::mail::list::add(store.as_ref(), "reader@example.org", true, at(61_000)).expect("subscriber");
    gleaner::mail::list::add(store.as_ref(), "pending@example.org", false, at(61_000)).expect("pending subscriber");
    gleaner::mail::list::add(store.as_ref(), "later@example.org", true, at(61_000)).expect("subscriber");
    let recipients = ["reader@example.org".to_owned(), "later@example.org".to_owned()];
    assert!(store.queue_issue_mail(7, &recipients).expect("queue"));
    store.put_send(7, "reader@example.org", &SendState::Sent { at: at(62_000) }).expect("send state");
    let delivery = Delivery {
        id: "wh_1".to_owned(),
        url: "http://127.0.0.1:9/hook".to_owned(),
        event: WebhookEvent::IssuePublished,
        body: "{\"event\":\"issue.published\"}".to_owned(),
        created_at: at(62_000),
        after_issue: Some(7),
        state: DeliveryState::Pending,
        attempts: 2,
        next_attempt_at: at(63_000),
        last_result: Some("HTTP 500".to_owned()),
        delivered_at: None,
    };
    store.enqueue_deliveries(&[delivery]).expect("delivery");
    store.put_outbox_cursor("items", at(62_500)).expect("cursor");
    // The editors' speaker map (the edit above recorded Sara Lee's quotes).
    crate::store::seed_speaker_map(store.as_ref());
    crate::store::seed_watchlists(store.as_ref());
    store.flush().expect("flush");
    store
}

fn export_text(store: &dyn Store) -> String {
    let mut out = Vec::new();
    gleaner::store::backup::export(store, &mut out).expect("export");
    String::from_utf8(out).expect("utf-8 backup")
}

/// Everything the public API can read, for comparing two stores.
fn everything(store: &dyn Store) -> String {
    let items = store.items(&ItemQuery::default()).expect("items");
    let mut parts = vec![format!("{items:#?}")];
    for item in &items {
        parts.push(format!("{:#?}", store.quotes(&item.id).expect("quotes")));
        parts.push(format!("{:#?}", store.links(&item.id).expect("links")));
        parts.push(format!("{:#?}", store.audit_for(&item.id).expect("audit")));
        if let Some(url) = &item.url {
            parts.push(format!("{:#?}", store.page_cache(url).expect("page cache")));
        }
    }
    for source in ["src", "other"] {
        parts.push(format!("{:#?}", store.fetch_state(source).expect("fetch state")));
    }
    for user in store.users().expect("users") {
        parts.push(serde_json::to_string(&user).expect("user json"));
    }
    parts.push(format!("{:#?}", store.issues().expect("issues")));
    parts.push(format!("{:#?}", store.recent_audit(100).expect("recent audit")));
    parts.push(format!("{:?}", store.counts_by_state().expect("counts")));
    for subscriber in store.subscribers().expect("subscribers") {
        parts.push(serde_json::to_string(&subscriber).expect("subscriber json"));
        let found = store.subscriber_by_token(&subscriber.unsubscribe_token).expect("by token");
        parts.push(format!("token finds {:?}", found.map(|s| s.email)));
    }
    parts.push(format!("{:?}", store.open_mail_jobs().expect("jobs")));
    parts.push(format!("{:?}", store.sends(7).expect("sends")));
    parts.push(format!("{:?}", store.deliveries().expect("deliveries")));
    parts.push(format!("{:?}", store.outbox_cursor("items").expect("cursor")));
    parts.push(format!("{:?}", store.speaker_map().expect("speaker map")));
    let mut records = store.quote_records(None).expect("quote records");
    records.sort_by(|a, b| a.id.cmp(&b.id));
    parts.push(format!("{records:#?}"));
    parts.push(format!("{:#?}", store.watchlists().expect("watchlists")));
    parts.join("\n")
}

#[test]
fn export_then_import_into_a_fresh_store_is_lossless() {
    let original = filled_store();
    let backup = export_text(original.as_ref());
    assert!(backup.starts_with("{\"gleaner_backup\":1,\"schema_version\":"), "{}", &backup[..80]);
    let kinds = [
        "items.v2",
        "extracts.v3",
        "audit.v2",
        "users.v2",
        "issues.v2",
        "fetch_state.v2",
        "pages.v2",
        "mail_list.v1",
        "webhook_outbox.v1",
        "people.v1",
        "watchlists.v1",
    ];
    for kind in kinds {
        assert!(backup.contains(&format!("\"kind\":\"{kind}\"")), "{kind} missing from the backup");
    }

    let restored: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let report = gleaner::store::backup::import(restored.as_ref(), &mut backup.as_bytes()).expect("import");
    assert_eq!(report.total(), backup.lines().count() - 1, "every record line was imported");
    // Record by record, raw (every key and index entry) and as the API reads them.
    assert_eq!(export_text(restored.as_ref()), backup);
    assert_eq!(everything(restored.as_ref()), everything(original.as_ref()));
    let approved = restored.items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() });
    let approved = approved.expect("listing by state uses the restored index");
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].editor.headline.as_deref(), Some("A better headline"));
    // Subscribers, send state and deliveries came back: issue 7 resumes
    // with `later` only, and the delivery keeps its id and attempts.
    assert_eq!(restored.subscribers().expect("subscribers").len(), 3);
    assert_eq!(restored.open_mail_jobs().expect("jobs"), vec![7]);
    let sends = restored.sends(7).expect("sends");
    assert!(sends.contains(&("reader@example.org".to_owned(), SendState::Sent { at: at(62_000) })), "{sends:?}");
    assert!(sends.iter().any(|(email, state)| email == "later@example.org" && state.is_pending()), "{sends:?}");
    let deliveries = restored.deliveries().expect("deliveries");
    assert_eq!((deliveries.len(), deliveries[0].id.as_str(), deliveries[0].attempts), (1, "wh_1", 2));
    // The editors' merge and split came back, and so did the quote records.
    let map = restored.speaker_map().expect("speaker map");
    assert_eq!(map, original.speaker_map().expect("speaker map"));
    assert_eq!(map.resolve("Bob Banker").as_deref(), Some("sara-lee"), "the merge");
    assert_eq!(map.resolve("SARA LEE").as_deref(), Some("sara-lee-2"), "the split");
    assert_eq!(restored.quote_records(Some(&["sara-lee".to_owned()])).expect("records").len(), 2);
    // The editors' watchlists came back, seen-at and notify hook included.
    assert_eq!(restored.watchlists().expect("watchlists"), original.watchlists().expect("watchlists"));
    assert_eq!(restored.watchlists().expect("watchlists").len(), 2);
    // The restored store works on: a re-fetch still finds the item by URL and keeps the editor's work.
    let report = restored.upsert_items(&[entry("src", "one", 0)]).expect("upsert");
    assert!(report.new.is_empty(), "{report:?}");
}

#[test]
fn import_refuses_a_store_that_is_not_empty() {
    let original = filled_store();
    let backup = export_text(original.as_ref());
    let target: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    target.upsert_items(&[entry("x", "y", 0)]).expect("upsert");
    let error = gleaner::store::backup::import(target.as_ref(), &mut backup.as_bytes()).expect_err("refused");
    assert!(matches!(error, gleaner::store::backup::BackupError::NotEmpty), "{error}");
    assert_eq!(target.item_count().expect("count"), 1, "nothing was written");
    // A store holding only a mailing list is not empty either.
    let listed: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    gleaner::mail::list::add(listed.as_ref(), "a@example.org", true, at(0)).expect("subscriber");
    let error = gleaner::store::backup::import(listed.as_ref(), &mut backup.as_bytes()).expect_err("refused");
    assert!(matches!(error, gleaner::store::backup::BackupError::NotEmpty), "{error}");
    // Nor is one holding only an editor's speaker map.
    let mapped: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    crate::store::seed_speaker_map(mapped.as_ref());
    let error = gleaner::store::backup::import(mapped.as_ref(), &mut backup.as_bytes()).expect_err("refused");
    assert!(matches!(error, gleaner::store::backup::BackupError::NotEmpty), "{error}");
}

#[test]
fn export_and_import_commands_round_trip_and_refuse_a_non_empty_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source_dir = dir.path().join("a");
    std::fs::create_dir_all(&source_dir).expect("mkdir");
    let config = config_with_sources(&source_dir, "");
    {
        let settings = gleaner::app::load_config(&config).expect("config");
        let store = gleaner::app::open_store(&settings).expect("store");
        store.upsert_items(&[entry("src", "one", 0)]).expect("upsert");
        store.put_fetch_state("src", &FetchState { consecutive_failures: 1, ..FetchState::default() }).expect("state");
        store.flush().expect("flush");
    }
    let exported = gleaner(&config, &["export"]);
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    let backup = dir.path().join("backup.jsonl");
    std::fs::write(&backup, &exported.stdout).expect("write backup");

    let target_dir = dir.path().join("b");
    std::fs::create_dir_all(&target_dir).expect("mkdir");
    let target = config_with_sources(&target_dir, "");
    let imported = gleaner(&target, &["import", backup.to_str().expect("utf-8 path")]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let again = gleaner(&target, &["export"]);
    assert_eq!(text(&again.stdout), text(&exported.stdout));

    let twice = gleaner(&target, &["import", backup.to_str().expect("utf-8 path")]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice.stderr));
    assert!(text(&twice.stderr).contains("not empty"), "{}", text(&twice.stderr));

    let damaged = dir.path().join("damaged.jsonl");
    let mut lines: Vec<String> = text(&exported.stdout).lines().map(str::to_owned).collect();
    lines.push("{\"kind\":\"items.v2\",\"key\":\"x\",\"value\":{\"not\":\"an item\"}}".to_owned());
    std::fs::write(&damaged, lines.join("\n")).expect("write");
    let fresh_dir = dir.path().join("c");
    std::fs::create_dir_all(&fresh_dir).expect("mkdir");
    let fresh = config_with_sources(&fresh_dir, "");
    let refused = gleaner(&fresh, &["import", damaged.to_str().expect("utf-8 path")]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains(&format!("line {}", lines.len())), "{}", text(&refused.stderr));
}

// ---- Health ----

fn health_router(store: Arc<dyn Store>, heartbeat: Option<Heartbeat>) -> axum::Router {
    let feeds = tempfile::tempdir().expect("temp dir");
    gleaner::web::router(gleaner::web::WebState::new(feeds.path()).with_health(store, heartbeat))
}

async fn get_healthz(router: &axum::Router) -> (StatusCode, serde_json::Value) {
    let request = Request::get("/healthz").body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible router");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.expect("body");
    (status, serde_json::from_slice(&body).expect("JSON body"))
}

fn beating() -> Heartbeat {
    let heartbeat = Heartbeat::default();
    heartbeat.beat(Utc::now());
    heartbeat
}

#[tokio::test]
async fn healthz_is_200_when_the_store_takes_writes_and_the_scheduler_beats() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let (status, body) = get_healthz(&health_router(store, Some(beating()))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, serde_json::json!({"status": "ok", "store": "ok", "scheduler": "ok"}));
}

#[tokio::test]
async fn healthz_is_503_when_the_store_is_not_writable() {
    let store: Arc<dyn Store> = Arc::new(FaultyStore::new(&[Fault::AllWrites]));
    let (status, body) = get_healthz(&health_router(store, Some(beating()))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["store"], "not writable");
    assert_eq!(body["scheduler"], "ok");
    assert!(!body.to_string().contains("No space left"), "internals are logged, not shown: {body}");
}

#[tokio::test]
async fn healthz_is_503_when_the_scheduler_stopped_beating() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let stalled = Heartbeat::default();
    stalled.beat(Utc::now() - chrono::TimeDelta::minutes(5));
    let (status, body) = get_healthz(&health_router(Arc::clone(&store), Some(stalled))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["scheduler"].as_str().is_some_and(|s| s.starts_with("stalled")), "{body}");
    let (status, body) = get_healthz(&health_router(store, Some(Heartbeat::default()))).await;
    assert_eq!((status, body["scheduler"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("not started")));
}

/// `router` on 127.0.0.1:0 on its own runtime; the URL of its `/healthz`.
fn serve(router: axum::Router) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind loopback");
    let url = format!("http://{}/healthz", listener.local_addr().expect("addr"));
    runtime.spawn(gleaner::web::serve(listener, router, std::future::pending()));
    (runtime, url)
}

#[test]
fn healthcheck_exits_0_when_healthy_and_1_when_not_or_unreachable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_sources(dir.path(), "");

    let healthy = health_router(Arc::new(SledStore::temporary().expect("store")), Some(beating()));
    let (_healthy_rt, healthy_url) = serve(healthy);
    let ok = gleaner(&config, &["healthcheck", "--url", &healthy_url]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("\"status\":\"ok\""), "{}", text(&ok.stdout));

    let sick = health_router(Arc::new(FaultyStore::new(&[Fault::AllWrites])), Some(beating()));
    let (_sick_rt, sick_url) = serve(sick);
    let failing = gleaner(&config, &["healthcheck", "--url", &sick_url]);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing.stderr));
    assert!(text(&failing.stderr).contains("503"), "{}", text(&failing.stderr));

    // Nothing listening: a closed port answers at once with a refusal.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_url = format!("http://{}/healthz", closed.local_addr().expect("addr"));
    drop(closed);
    let unreachable = gleaner(&config, &["healthcheck", "--url", &closed_url, "--timeout", "2"]);
    assert_eq!(unreachable.status.code(), Some(1), "{}", text(&unreachable.stderr));
}
