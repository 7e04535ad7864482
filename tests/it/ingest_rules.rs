//! `[[rule]]` tables at ingest (issue 16.5), through the real parts: a feed
//! fixture served from a loopback server, polled into a sled store in a
//! temp dir by the app's own ingest with rules configured; the webhook
//! notification delivered to a second loopback server that records the
//! POST; `gleaner preview` and `gleaner check` run as the real binary.

use std::path::Path;

use chrono::Utc;
use gleaner::app::App;
use gleaner::editorial::rules::Action;
use gleaner::ingest::Urgency;
use gleaner::model::{AuditEntry, Item, ReviewState};
use gleaner::store::{ItemQuery, SledStore, Store};

use crate::ingest::write_config;
use crate::support::gleaner;
use crate::support::http::{Reply, TestServer};

const OIL: &str = "Oil prices climb after talks at the Elysee";
const FOOTBALL: &str = "Football final draws record crowd";
const HARBOUR: &str = "Harbour council meets on fees";

fn feed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/desk.xml");
    std::fs::read_to_string(path).expect("fixture")
}

/// Rules, a named webhook at `hook`, and the desk feed at `feed`.
fn config(dir: &Path, feed: &str, hook: &str) -> std::path::PathBuf {
    let text = format!(
        "[publish]\nsections = [\"Economy\", \"World\"]\n\n\
         [[webhook]]\nname = \"desk\"\nurl = \"{hook}\"\nsecret = \"a-secret-of-some-length\"\n\n\
         [[rule]]\nname = \"energy\"\nquery = 'oil speaker:\"Ana Ferreira\" -football'\ntag = \"energy\"\n\
         shortlist = true\nsection = \"Economy\"\nnotify = \"desk\"\n\n\
         [[rule]]\nname = \"paris\"\nquery = \"élysée\"\ntag = [\"paris\"]\n\n\
         [[rule]]\nname = \"sport\"\nquery = \"football\"\nreject = true\n\n\
         [[source]]\nid = \"desk\"\nname = \"Desk Wire\"\nurl = \"{feed}\"\n\n"
    );
    write_config(dir, &text)
}

fn by_title(store: &dyn Store, title: &str) -> Item {
    store
        .items(&ItemQuery::default())
        .expect("items")
        .into_iter()
        .find(|item| item.title == title)
        .unwrap_or_else(|| panic!("no item {title:?}"))
}

fn by_rules(trail: &[AuditEntry]) -> Vec<(String, String)> {
    let mut done: Vec<(String, String)> =
        trail.iter().filter(|e| e.actor.starts_with("rule:")).map(|e| (e.actor.clone(), e.action.clone())).collect();
    done.sort();
    done
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    pairs.sort();
    pairs
}

fn poll(app: &App, runtime: &tokio::runtime::Runtime) -> gleaner::ingest::SourceReport {
    let source = app.config.sources[0].clone();
    let report = runtime.block_on(app.ingest.poll_source(&source, Utc::now(), Urgency::Now));
    assert!(!report.failed(), "{report:?}");
    app.editorial.refresh(&report.changed).expect("queue refresh");
    report
}

#[test]
fn rules_act_once_on_new_items_notify_and_leave_editors_decisions_alone() {
    let first = feed();
    // The refetch changes the oil item's text (an update, not a new item).
    let second = first.replace("for a third day", "for a fourth day");
    let server = TestServer::start(move |request| {
        let body = if request.seq == 0 { first.clone() } else { second.clone() };
        Reply::ok(body).header("Content-Type", "application/rss+xml")
    });
    let receiver = TestServer::start(|_| Reply::new(204));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path(), server.url("/desk.xml").as_str(), receiver.url("/hook").as_str());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    let app = App::build(&config, gleaner::app::load_config(&config).expect("config"), gleaner::app::Queue::Loaded)
        .expect("app");
    let report = poll(&app, &runtime);
    assert_eq!(report.new_items, 3);
    let store = app.store.as_ref();

    let oil = by_title(store, OIL);
    assert_eq!(oil.state, ReviewState::Shortlisted);
    assert_eq!(oil.editor.tags, ["energy", "paris"], "`élysée` matched the unaccented Elysee");
    assert_eq!(oil.editor.section.as_deref(), Some("Economy"));
    assert_eq!(
        by_rules(&store.audit_for(&oil.id).expect("trail")),
        pairs(&[
            ("rule:energy", "tag"),
            ("rule:energy", "shortlist"),
            ("rule:energy", "edit"),
            ("rule:energy", "notify"),
            ("rule:paris", "tag"),
        ])
    );
    let football = by_title(store, FOOTBALL);
    assert_eq!(football.state, ReviewState::Rejected);
    assert_eq!(by_rules(&store.audit_for(&football.id).expect("trail")), pairs(&[("rule:sport", "reject")]));
    let harbour = by_title(store, HARBOUR);
    assert_eq!((harbour.state, harbour.editor.tags.len()), (ReviewState::New, 0));
    assert!(store.audit_for(&harbour.id).expect("trail").is_empty(), "no rule matched: nothing written");

    // The search index and the queue heard of what the rules did.
    let found = app.editorial.search("tag:energy state:shortlisted", 10).expect("search");
    assert_eq!(found.results.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), [OIL]);

    // The notification: one queued delivery, POSTed to the named webhook.
    let hooks = app.webhooks.clone().expect("webhooks configured");
    let delivered = runtime.block_on(hooks.deliver_due(store, Utc::now())).expect("deliver");
    assert_eq!(delivered.delivered, 1);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!((requests[0].method.as_str(), requests[0].path()), ("POST", "/hook"));
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON body");
    assert_eq!(body["type"], "rule.matched");
    assert_eq!(body["data"]["rule"], "energy");
    assert_eq!(body["data"]["id"], oil.id.to_string());
    assert_eq!(body["data"]["title"], OIL);
    assert_eq!(body["data"]["url"], "http://example.org/desk/oil");

    // An editor rejects the shortlisted item; a refetch changes its text.
    let oil = app.editorial.act(&oil.id, oil.revision, Action::Reject, "alice", Utc::now()).expect("reject");
    let report = poll(&app, &runtime);
    assert_eq!((report.new_items, report.updated_items), (0, 1), "{report:?}");
    let after = by_title(store, OIL);
    assert!(after.revision > oil.revision, "the refetch did update the item");
    assert_eq!(after.state, ReviewState::Rejected, "the editor's rejection stands");
    assert_eq!(by_rules(&store.audit_for(&after.id).expect("trail")).len(), 5, "no rule ran again");
    assert_eq!(store.deliveries().expect("deliveries").len(), 1, "no second notification");
    drop(app);

    // `gleaner preview`: what the rules would do now, written nowhere.
    let output = gleaner(&config, &["preview", "--source", "desk", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let previews: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(previews.len(), 2, "the harbour item matches no rule: {previews:?}");
    let oil_preview = previews.iter().find(|p| p["title"] == OIL).expect("oil previewed");
    let shortlist = oil_preview["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["action"] == "shortlist")
        .expect("the energy rule's shortlist step");
    assert_eq!(shortlist["rule"], "energy");
    assert_eq!(shortlist["skipped"], "an editor already decided");
    let football_preview = previews.iter().find(|p| p["title"] == FOOTBALL).expect("football previewed");
    assert_eq!(football_preview["steps"][0]["action"], "reject");
    assert_eq!(football_preview["steps"][0]["skipped"], "already so");

    let text = gleaner(&config, &["preview"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("rule:paris  tag +paris  (skipped: already so)"), "{text}");
    let unknown = gleaner(&config, &["preview", "--source", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));

    let store = SledStore::open(&dir.path().join("store.sled")).expect("store");
    let oil = by_title(&store, OIL);
    assert_eq!(oil.revision, after.revision, "preview wrote nothing");
    assert_eq!(oil.state, ReviewState::Rejected);
}

#[test]
fn check_names_each_bad_rule_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        dir.path(),
        "[[rule]]\nname = \"bad\"\nquery = \"until:soon oil\"\nshortlist = true\nreject = true\napprove = true\n\
         section = \"Nowhere\"\n\n[[source]]\nid = \"a\"\nurl = \"https://example.org/feed\"\n",
    );
    let output = gleaner(&config, &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // write_config puts six lines of [fetch] settings first.
    for needle in [
        "gleaner.toml:10:9: rule \"bad\": bad query \"until:soon oil\": until:soon is not a date",
        "gleaner.toml:12:10: rule \"bad\": `shortlist` and `reject` contradict each other",
        "gleaner.toml:13:1: unknown rule action `approve`",
        "gleaner.toml:14:11: rule \"bad\": unknown section \"Nowhere\"",
    ] {
        assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
    }
}

/// The notifier's one door for other senders (watchlists next): a
/// notification by name reaches only that target, whatever its events; one
/// by subscription only the targets listing the event; twice is once.
#[test]
fn notifications_reach_named_or_subscribed_targets_once() {
    use gleaner::config::{FetchSettings, SecretSource, WebhookTarget};
    use gleaner::fetch::Fetcher;
    use gleaner::model::WebhookEvent;
    use gleaner::notify::{Notification, Recipients, Target, Webhooks};
    use gleaner::store::OutboxStore as _;

    let secret = "a-secret-of-some-length";
    let target = |name: &str, events: Vec<WebhookEvent>| {
        let config = WebhookTarget {
            name: Some(name.to_owned()),
            url: format!("https://{name}.example.org/hook").parse().expect("url"),
            secret: SecretSource::Inline(secret.to_owned()),
            events,
        };
        Target::new(&config, secret)
    };
    let hooks = Webhooks::new(
        vec![target("desk", Vec::new()), target("feed", vec![WebhookEvent::ItemNew])],
        Fetcher::new(&FetchSettings::default()).expect("client"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(&dir.path().join("store.sled")).expect("store");
    let named = Notification {
        event: WebhookEvent::RuleMatched,
        key: "item@rule:energy".to_owned(),
        data: serde_json::json!({"id": "item", "rule": "energy"}),
        to: Recipients::Named(vec!["desk".to_owned()]),
    };
    assert_eq!(hooks.notify(&store, &named, Utc::now()).expect("queue"), 1);
    assert_eq!(hooks.notify(&store, &named, Utc::now()).expect("queue again"), 0, "already queued");
    let subscribed = Notification { event: WebhookEvent::ItemNew, to: Recipients::Subscribed, ..named.clone() };
    hooks.notify(&store, &subscribed, Utc::now()).expect("queue");
    let mut urls: Vec<(String, &str)> =
        store.deliveries().expect("deliveries").into_iter().map(|d| (d.url, d.event.as_str())).collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            ("https://desk.example.org/hook".to_owned(), "rule.matched"),
            ("https://feed.example.org/hook".to_owned(), "item.new"),
        ]
    );
}

/// A watch with `notify` is told of each new matching item once, by the
/// poll that stores it (no `[[rule]]` needed); a watch without `notify` is
/// not.
#[test]
fn watches_that_ask_to_be_told_are_notified_once_per_new_item() {
    use gleaner::model::WatchTarget;

    let body = feed();
    let server = TestServer::start(move |_| Reply::ok(body.clone()).header("Content-Type", "application/rss+xml"));
    let receiver = TestServer::start(|_| Reply::new(204));
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "[[webhook]]\nname = \"desk\"\nurl = \"{}\"\nsecret = \"a-secret-of-some-length\"\n\n\
         [[source]]\nid = \"desk\"\nname = \"Desk Wire\"\nurl = \"{}\"\n\n",
        receiver.url("/hook"),
        server.url("/desk.xml")
    );
    let config = write_config(dir.path(), &text);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let app = App::build(&config, gleaner::app::load_config(&config).expect("config"), gleaner::app::Queue::Loaded)
        .expect("app");
    let before = Utc::now() - chrono::Duration::seconds(5);
    let ana = WatchTarget::Speaker { id: "Ana Ferreira".to_owned() };
    let ana = app.editorial.follow("alice", ana, Some("desk"), before).expect("follow Ana");
    let harbour = WatchTarget::Query { query: "harbour fees".to_owned() };
    app.editorial.follow("bob", harbour, Some("desk"), before).expect("follow harbour");
    let quiet = WatchTarget::Query { query: "football".to_owned() };
    app.editorial.follow("bob", quiet, None, before).expect("follow football, untold");

    assert_eq!(poll(&app, &runtime).new_items, 3);
    let store = app.store.as_ref();
    let hooks = app.webhooks.clone().expect("webhooks configured");
    let delivered = runtime.block_on(hooks.deliver_due(store, Utc::now())).expect("deliver");
    assert_eq!(delivered.delivered, 2);
    let mut told: Vec<(String, String, String)> = receiver
        .requests()
        .iter()
        .map(|request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
            assert_eq!(body["type"], "quote.followed");
            let watch = &body["data"]["watch"];
            (
                body["data"]["title"].as_str().unwrap_or_default().to_owned(),
                watch["editor"].as_str().unwrap_or_default().to_owned(),
                watch["followed"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    told.sort();
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!((told[0].0.as_str(), told[0].1.as_str()), (HARBOUR, "bob"));
    assert_eq!((told[1].0.as_str(), told[1].1.as_str()), (OIL, "alice"));
    assert!(told[1].2.contains("ana-ferreira"), "{told:?}");
    assert_eq!(ana.notify.as_deref(), Some("desk"));

    // A second poll stores nothing new and tells nobody again.
    let report = poll(&app, &runtime);
    assert_eq!(report.new_items, 0);
    assert_eq!(store.deliveries().expect("deliveries").len(), 2, "nothing queued again");
}
