//! Webhooks against a real receiver on loopback and a real sled store: a
//! receiver that fails the first two deliveries gets the same `webhook-id`
//! three times, each signed as Standard Webhooks specifies (checked here
//! with an independent HMAC), on the backoff schedule; the queue survives a
//! reopen of the store; an event queued twice is delivered once; an
//! `issue.published` waits for the publish to finish; `item.approved` comes
//! from the audit trail; and webhook URLs pass the private-network guard.

use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use gleaner::config::{FetchSettings, SecretSource, WebhookTarget};
use gleaner::fetch::Fetcher;
use gleaner::model::{AuditEntry, DeliveryState, ReviewState, WebhookEvent};
use gleaner::notify::{Target, Webhooks};
use gleaner::publish::render::Renderer;
use gleaner::publish::write::DirOutput;
use gleaner::publish::{PublishHook, Publisher};
use gleaner::store::{EditorialStore, ItemStore, OutboxStore, SledStore, Store};

use crate::publish::settings;
use crate::publish::use_case::{approve, stored_items};
use crate::support::http::{Reply, TestServer};
use crate::support::store::{Fault, FaultyStore};

const SECRET: &str = "a-test-secret-of-some-length";

fn webhooks(url: &str, events: Vec<WebhookEvent>, allow_private: bool) -> Arc<Webhooks> {
    let config = WebhookTarget {
        name: None,
        url: url.parse().expect("url"),
        secret: SecretSource::Inline(SECRET.to_owned()),
        events,
    };
    let settings = FetchSettings { allow_private_networks: allow_private, ..FetchSettings::default() };
    Arc::new(Webhooks::new(vec![Target::new(&config, SECRET)], Fetcher::new(&settings).expect("client")))
}

fn publisher(dir: &Path, hook: Arc<Webhooks>) -> Publisher {
    Publisher::new(settings(dir), Renderer::builtin(), &[]).with_hook(hook as Arc<dyn PublishHook>)
}

/// Checks a request's Standard Webhooks signature with our own HMAC.
fn verify(request: &crate::support::http::Request) -> (String, i64) {
    let id = request.header("webhook-id").expect("webhook-id").to_owned();
    let timestamp: i64 = request.header("webhook-timestamp").expect("timestamp").parse().expect("integer");
    let signature = request.header("webhook-signature").expect("signature");
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, &signed).as_ref());
    assert_eq!(signature, format!("v1,{expected}"), "signature over id.timestamp.body");
    assert!((Utc::now().timestamp() - timestamp).abs() < 60, "the timestamp is the attempt's");
    (id, timestamp)
}

fn at(start: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    start + TimeDelta::seconds(secs)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_receiver_gets_retries_with_one_id_and_valid_signatures_across_a_restart() {
    let receiver = TestServer::start(|request| if request.seq < 2 { Reply::new(500) } else { Reply::new(204) });
    let dir = tempfile::tempdir().expect("temp dir");
    let store_path = dir.path().join("store.sled");
    let hooks = webhooks(receiver.url("/hook").as_str(), vec![WebhookEvent::IssuePublished], true);
    let start = Utc::now();
    {
        let store = SledStore::open(&store_path).expect("store");
        approve(&store, &stored_items(&store, "a", 2));
        publisher(dir.path(), Arc::clone(&hooks))
            .publish_next(&store, &DirOutput::new(dir.path().join("feeds")), start, false)
            .expect("publish");
        let first = hooks.deliver_due(&store, start).await.expect("pass");
        assert_eq!((first.delivered, first.retrying), (0, 1));
        let early = hooks.deliver_due(&store, at(start, 5)).await.expect("pass");
        assert_eq!(early.retrying + early.delivered, 0, "not due before its backoff");
        assert_eq!(receiver.hits(), 1);
    }
    // A restart: the queue is in the store.
    let store = SledStore::open(&store_path).expect("reopen");
    let pending = store.deliveries().expect("deliveries");
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].state.clone(), pending[0].attempts), (DeliveryState::Pending, 1));
    let second = hooks.deliver_due(&store, at(start, 10)).await.expect("pass");
    assert_eq!(second.retrying, 1);
    let third = hooks.deliver_due(&store, at(start, 20)).await.expect("pass");
    assert_eq!(third.delivered + third.retrying, 0, "the second backoff is longer than the first");
    let fourth = hooks.deliver_due(&store, at(start, 30)).await.expect("pass");
    assert_eq!(fourth.delivered, 1);
    let after = hooks.deliver_due(&store, at(start, 10_000)).await.expect("pass");
    assert_eq!(after.delivered + after.retrying, 0, "delivered once, never again");

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    let ids: Vec<String> = requests.iter().map(|r| verify(r).0).collect();
    assert!(ids.iter().all(|id| id == &ids[0] && id.starts_with("msg_")), "one dedup id on every attempt: {ids:?}");
    let body: serde_json::Value = serde_json::from_slice(&requests[2].body).expect("JSON body");
    assert_eq!(body["type"], "issue.published");
    let number = settings(dir.path()).first_number;
    assert_eq!(body["data"]["number"], number);
    assert!(requests.iter().all(|r| r.body == requests[0].body), "the same body on every attempt");
    assert_eq!(requests[0].header("content-type"), Some("application/json"));

    // The same event again (a resumed publish calls the hook again): one delivery still.
    let issue = gleaner::store::IssueStore::issue(&store, number).expect("read").expect("the issue");
    hooks.issue_published(&store, &issue).expect("hook");
    assert_eq!(store.deliveries().expect("log").len(), 1);
    let log = &store.deliveries().expect("log")[0];
    assert_eq!((log.state.clone(), log.attempts), (DeliveryState::Delivered, 3));
    assert_eq!(log.last_result.as_deref(), Some("HTTP 204"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_event_waits_until_the_publish_has_finished() {
    let receiver = TestServer::start(|_| Reply::new(200));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FaultyStore::new(&[Fault::FinishIssue]);
    approve(&store, &stored_items(&store, "a", 2));
    let hooks = webhooks(receiver.url("/hook").as_str(), vec![WebhookEvent::IssuePublished], true);
    let publish = publisher(dir.path(), Arc::clone(&hooks));
    let output = DirOutput::new(dir.path().join("feeds"));
    store.arm(true);
    assert!(publish.publish_next(&store, &output, Utc::now(), false).is_err(), "the final write fails");
    store.arm(false);
    let pass = hooks.deliver_due(&store, at(Utc::now(), 3600)).await.expect("pass");
    assert_eq!(receiver.hits() + pass.delivered, 0, "nothing announced for an issue not yet published");
    publish.publish_next(&store, &output, Utc::now(), false).expect("the rerun completes the draft");
    let pass = hooks.deliver_due(&store, Utc::now()).await.expect("pass");
    assert_eq!((pass.delivered, receiver.hits()), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_sends_issue_corrected_once() {
    let bodies = Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let seen = Arc::clone(&bodies);
    let receiver = TestServer::start(move |request| {
        if let Ok(body) = serde_json::from_slice(&request.body) {
            seen.lock().expect("lock").push(body);
        }
        Reply::new(200)
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(&dir.path().join("store")).expect("store");
    approve(&store, &stored_items(&store, "a", 2));
    let hooks = webhooks(receiver.url("/hook").as_str(), vec![WebhookEvent::IssueCorrected], true);
    let publish = publisher(dir.path(), Arc::clone(&hooks));
    let output = DirOutput::new(dir.path().join("feeds"));
    let gleaner::publish::PublishOutcome::Issue(issue) =
        publish.publish_next(&store, &output, Utc::now(), false).expect("published")
    else {
        panic!("two items were approved")
    };
    let pass = hooks.deliver_due(&store, Utc::now()).await.expect("pass");
    assert_eq!(pass.delivered, 0, "only corrections were asked for");
    publish.correct(&store, &output, issue.number, "A name was misspelled.", "ann", Utc::now()).expect("corrected");
    let pass = hooks.deliver_due(&store, Utc::now()).await.expect("pass");
    assert_eq!(pass.delivered, 1);
    let bodies = bodies.lock().expect("lock");
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["type"], "issue.corrected", "{}", bodies[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn approvals_in_the_audit_trail_become_item_approved_events() {
    let receiver = TestServer::start(|_| Reply::new(200));
    let store = SledStore::temporary().expect("store");
    let ids = stored_items(&store, "a", 2);
    let hooks = webhooks(receiver.url("/hook").as_str(), vec![WebhookEvent::ItemApproved], true);
    let before = Utc::now() - TimeDelta::seconds(1);
    hooks.collect_approvals(&store, before).expect("starts the cursor");
    let item = store.item(&ids[0]).expect("read").expect("item");
    let audit = |action: &str| AuditEntry {
        at: Utc::now(),
        actor: "ed".to_owned(),
        item_id: ids[0].clone(),
        action: action.to_owned(),
        detail: String::new(),
        revision: 0,
    };
    let shortlisted = store
        .apply_edit(&ids[0], item.revision, ReviewState::Shortlisted, &item.editor, &audit("shortlist"))
        .expect("edit");
    store
        .apply_edit(&ids[0], shortlisted.revision, ReviewState::Approved, &item.editor, &audit("approve"))
        .expect("edit");
    hooks.collect_approvals(&store, Utc::now()).expect("collect");
    hooks.collect_approvals(&store, Utc::now()).expect("collect again: nothing new");
    let pass = hooks.deliver_due(&store, Utc::now()).await.expect("pass");
    assert_eq!(pass.delivered, 1, "one approval, one event (the shortlist is not one)");
    let request = &receiver.requests()[0];
    verify(request);
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(body["type"], "item.approved");
    assert_eq!(body["data"]["id"], ids[0].as_str());
    assert_eq!(body["data"]["approved_by"], "ed");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_urls_pass_the_private_network_guard() {
    let receiver = TestServer::start(|_| Reply::new(200));
    let store = SledStore::temporary().expect("store");
    let hooks = webhooks(receiver.url("/hook").as_str(), vec![WebhookEvent::IssuePublished], false);
    let dir = tempfile::tempdir().expect("temp dir");
    approve(&store, &stored_items(&store, "a", 1));
    publisher(dir.path(), Arc::clone(&hooks))
        .publish_next(&store, &DirOutput::new(dir.path().join("feeds")), Utc::now(), false)
        .expect("publish");
    let pass = hooks.deliver_due(&store, Utc::now()).await.expect("pass");
    assert_eq!((pass.delivered, pass.retrying), (0, 1));
    assert_eq!(receiver.hits(), 0, "nothing reached the loopback receiver");
    let log = store.deliveries().expect("log");
    let result = log[0].last_result.clone().unwrap_or_default();
    assert!(result.contains("private") || result.contains("refused"), "{result}");
    let _: &dyn Store = &store;
}
