//! Integration tests: publish now and corrections (issue 14 parts 4 and 5)
//! against a real sled store and output folder. A correction re-renders one
//! issue from its items as they are now: the entry keeps its id, gets an
//! `updated` date and a "Corrected on DATE: TEXT" note, and nothing else in
//! any feed changes (checked by diffing the files before and after).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use gleaner::editorial::Editorial;
use gleaner::editorial::rules::EditChanges;
use gleaner::model::{IssueState, ReviewState};
use gleaner::publish::write::DirOutput;
use gleaner::publish::{PublishError, PublishOutcome};
use gleaner::store::{IssueStore, SledStore, Store};

use crate::publish::use_case::{approve, issue_report, publisher, stored_items};
use crate::publish::{fixed_time, parse_feed};

const FEEDS: [&str; 3] = ["digest.xml", "digest.atom", "digest.json"];

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Issues 266 and 267 published a week apart; returns the store and the
/// time of the correction (a day after 267).
fn two_issues(dir: &Path) -> (Arc<dyn Store>, DateTime<Utc>) {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let publisher = publisher(dir);
    let output = DirOutput::new(dir);
    let first = stored_items(store.as_ref(), "a", 2);
    approve(store.as_ref(), &first);
    issue_report(publisher.publish_next(store.as_ref(), &output, fixed_time(), false).expect("publish 266"));
    let second = stored_items(store.as_ref(), "b", 2);
    approve(store.as_ref(), &second);
    let week = fixed_time() + TimeDelta::days(7);
    issue_report(publisher.publish_next(store.as_ref(), &output, week, false).expect("publish 267"));
    (store, week + TimeDelta::days(1))
}

/// Lines of `after` that are not in `before` (order-insensitive, enough for
/// "what changed" in files whose lines are unique).
fn changed_lines(before: &str, after: &str) -> Vec<String> {
    let old: std::collections::HashSet<&str> = before.lines().collect();
    after.lines().filter(|l| !old.contains(l)).map(str::to_owned).collect()
}

#[test]
fn a_published_item_can_be_edited_and_the_correction_changes_only_its_issue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, at) = two_issues(dir.path());
    let before: Vec<String> = FEEDS.iter().map(|f| read(dir.path(), f)).collect();
    let page_267 = read(dir.path(), "issues/267.html");

    // Editing a published item works (it used to be refused with 422 for good).
    let issue = store.issue(266).expect("read").expect("stored");
    let id = issue.item_ids().next().expect("an item").clone();
    let item = store.item(&id).expect("read").expect("stored");
    assert_eq!(item.state, ReviewState::Published);
    let editorial = Editorial::without_queue(Arc::clone(&store));
    let changes = EditChanges { headline: Some(Some("Headline fixed".to_owned())), ..EditChanges::default() };
    editorial.edit(&id, item.revision, &changes, "alice", at).expect("a published item is editable");

    let report = publisher(dir.path())
        .correct(store.as_ref(), &DirOutput::new(dir.path()), 266, "The headline misnamed the speaker.", "alice", at)
        .expect("correct");
    assert_eq!((report.number, report.corrections), (266, 1));

    let note = "Corrected on <time datetime=\"2026-12-02T09:00:00Z\">2026-12-02</time>: <span dir=\"auto\">The headline misnamed the speaker.</span>";
    let page = read(dir.path(), "issues/266.html");
    assert!(page.contains(note), "{page}");
    assert!(page.contains("Headline fixed"), "{page}");
    assert_eq!(read(dir.path(), "issues/267.html"), page_267, "another issue's page is not rewritten");

    let after: Vec<String> = FEEDS.iter().map(|f| read(dir.path(), f)).collect();
    for ((name, old), new) in FEEDS.iter().zip(&before).zip(&after) {
        let (old_feed, new_feed) = (parse_feed(old), parse_feed(new));
        assert_eq!(old_feed.entries.len(), new_feed.entries.len(), "{name}");
        for (o, n) in old_feed.entries.iter().zip(&new_feed.entries) {
            assert_eq!(o.id, n.id, "{name}: entries keep their ids and order");
            assert_eq!(o.published, n.published, "{name}: the publication date stays");
            let body = |e: &feed_rs::model::Entry| e.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
            if n.id.ends_with("/266.html") {
                assert!(
                    body(n).contains("Headline fixed") && body(n).contains("The headline misnamed the speaker."),
                    "{name}"
                );
                assert!(!body(o).contains("Headline fixed"));
            } else {
                assert_eq!(body(o), body(n), "{name}: issue 267 is unchanged");
                assert_eq!(o.updated, n.updated, "{name}: issue 267 is unchanged");
                assert_eq!(o.title, n.title, "{name}: issue 267 is unchanged");
            }
        }
    }
    // RSS, as a whole channel: only lastBuildDate and the corrected item's
    // content and synopsis differ.
    let mut old_rss = rss::Channel::read_from(before[0].as_bytes()).expect("RSS");
    let mut new_rss = rss::Channel::read_from(after[0].as_bytes()).expect("RSS");
    assert_eq!(new_rss.last_build_date.as_deref(), Some("Wed, 2 Dec 2026 09:00:00 +0000"));
    new_rss.last_build_date.clone_from(&old_rss.last_build_date);
    for (o, n) in old_rss.items.iter_mut().zip(new_rss.items.iter_mut()) {
        if n.link.as_deref().is_some_and(|l| l.ends_with("/266.html")) {
            assert_ne!(o.content, n.content);
            for item in [&mut *o, &mut *n] {
                item.content = None;
                item.description = None;
            }
        }
    }
    assert_eq!(old_rss, new_rss, "nothing else in the RSS feed changes");
    // Atom, line by line: the feed's and the entry's updated, the entry's content and summary.
    let atom_changes = changed_lines(&before[1], &after[1]);
    let updated = "<updated>2026-12-02T09:00:00Z</updated>";
    assert_eq!(
        atom_changes.iter().filter(|l| l.as_str() == updated).count(),
        2,
        "feed and entry updated: {atom_changes:#?}"
    );
    assert!(
        atom_changes.iter().all(|l| l == updated
            || l.starts_with("<content type=\"html\">")
            || l.starts_with("<summary")
            || !l.starts_with('<')),
        "{atom_changes:#?}"
    );
    // JSON Feed: the corrected item gains date_modified; everything else is equal.
    let old: serde_json::Value = serde_json::from_str(&before[2]).expect("JSON");
    let mut new: serde_json::Value = serde_json::from_str(&after[2]).expect("JSON");
    let corrected = new["items"]
        .as_array_mut()
        .expect("items")
        .iter_mut()
        .find(|i| i["id"].as_str().is_some_and(|s| s.ends_with("/266.html")))
        .expect("266");
    assert_eq!(corrected["date_modified"], "2026-12-02T09:00:00Z");
    let corrected = corrected.as_object_mut().expect("object");
    corrected.remove("date_modified");
    corrected.insert("content_html".to_owned(), serde_json::Value::Null);
    corrected.insert("summary".to_owned(), serde_json::Value::Null);
    let mut old = old;
    for item in old["items"].as_array_mut().expect("items") {
        if item["id"].as_str().is_some_and(|s| s.ends_with("/266.html")) {
            item["content_html"] = serde_json::Value::Null;
            item["summary"] = serde_json::Value::Null;
        }
    }
    assert_eq!(old, new, "nothing else in the JSON Feed changes");

    let stored = store.issue(266).expect("read").expect("stored");
    assert_eq!(stored.corrections.len(), 1);
    assert_eq!(stored.corrections[0].by, "alice");
    let trail = store.audit_for(&id).expect("audit");
    assert!(trail.iter().any(|a| a.action == "edit" && a.actor == "alice"), "{trail:?}");
}

#[test]
fn correcting_an_unknown_or_unfinished_issue_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::temporary().expect("store");
    let publisher = publisher(dir.path());
    let output = DirOutput::new(dir.path());
    let error = publisher.correct(&store, &output, 9, "", "alice", fixed_time()).expect_err("no issue 9");
    assert!(matches!(error, PublishError::NoSuchIssue { number: 9 }), "{error}");
    let long = "x".repeat(gleaner::publish::MAX_NOTE_CHARS + 1);
    let error = publisher.correct(&store, &output, 9, &long, "alice", fixed_time()).expect_err("too long");
    assert!(matches!(error, PublishError::NoteTooLong { .. }), "{error}");
    let ids = stored_items(&store, "a", 1);
    approve(&store, &ids);
    issue_report(publisher.publish_next(&store, &output, fixed_time(), false).expect("publish"));
    let mut draft = store.issue(266).expect("read").expect("stored");
    draft.state = IssueState::Draft;
    draft.number = 267;
    store.put_issue(&draft).expect("put");
    let error = publisher.correct(&store, &output, 267, "", "alice", fixed_time()).expect_err("a draft");
    assert!(matches!(error, PublishError::NotPublished { number: 267 }), "{error}");
}

#[test]
fn publishing_from_the_composer_needs_the_number_the_editor_saw_and_records_who() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::temporary().expect("store");
    let publisher = publisher(dir.path());
    let output = DirOutput::new(dir.path());
    let ids = stored_items(&store, "a", 2);
    approve(&store, &ids);
    assert_eq!(publisher.next_number(&store).expect("next"), Some(266));
    let error = publisher.publish_confirmed(&store, &output, 265, "alice", fixed_time()).expect_err("stale number");
    assert!(matches!(error, PublishError::NotNext { expected: 265, found: 266 }), "{error}");
    assert!(store.issues().expect("issues").is_empty(), "nothing was published");
    let outcome = publisher.publish_confirmed(&store, &output, 266, "alice", fixed_time()).expect("publish");
    assert!(matches!(outcome, PublishOutcome::Issue(ref r) if r.number == 266), "{outcome:?}");
    let issue = store.issue(266).expect("read").expect("stored");
    assert_eq!((issue.state, issue.published_by.as_deref()), (IssueState::Published, Some("alice")));
    assert!(dir.path().join("issues/266.html").exists());
    // Confirming 266 again (a double click) publishes nothing more.
    let again = publisher.publish_confirmed(&store, &output, 266, "alice", fixed_time()).expect_err("266 is out");
    assert!(matches!(again, PublishError::NotNext { expected: 266, found: 267 }), "{again}");
}

#[test]
fn the_schedule_and_the_publish_button_never_publish_the_same_number_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let publisher = Arc::new(publisher(dir.path()));
    let ids = stored_items(store.as_ref(), "a", 3);
    approve(store.as_ref(), &ids);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (publisher, store, dir) = (Arc::clone(&publisher), Arc::clone(&store), dir.path().to_path_buf());
            std::thread::spawn(move || {
                publisher.publish_next(store.as_ref(), &DirOutput::new(&dir), fixed_time(), false)
            })
        })
        .collect();
    let outcomes: Vec<PublishOutcome> = runs.into_iter().map(|r| r.join().expect("thread").expect("publish")).collect();
    assert_eq!(outcomes.iter().filter(|o| matches!(o, PublishOutcome::Issue(_))).count(), 1, "{outcomes:?}");
    assert_eq!(store.issues().expect("issues").len(), 1);
}

#[test]
fn the_cli_corrects_a_published_issue_and_says_what_it_rewrote() {
    use crate::ingest::{rss, source, write_config};
    use crate::support::gleaner;
    use crate::support::http::{Reply, TestServer};

    // The article's link stays on loopback too (an empty page), so a fetch following it goes nowhere else.
    let pages = TestServer::start(|_| Reply::ok(String::new()));
    let feed = rss(&[("a", "Alpha", pages.url("/a").as_str())]);
    let server = TestServer::start(move |_| Reply::ok(feed.clone()).header("Content-Type", "application/rss+xml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let tables = format!("[publish]\noutput_dir = \"out\"\n\n{}", source("feed", server.url("/feed").as_str()));
    let config = write_config(dir.path(), &tables);
    let run = |args: &[&str]| {
        let output = gleaner(&config, args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(&["fetch"]);
    let listed = run(&["items", "--json"]);
    let item: serde_json::Value = serde_json::from_str(listed.lines().next().expect("one item")).expect("JSON");
    let id = item["id"].as_str().expect("id").to_owned();
    run(&["review", "approve", &id, "--as", "ann"]);
    run(&["publish"]);
    let before = read(&dir.path().join("out"), "digest.atom");
    run(&["review", "edit", &id, "--headline", "Alpha, corrected", "--as", "ann"]);
    let said = run(&["publish", "--correct", "1", "--note", "The headline was wrong.", "--as", "ann"]);
    assert!(said.starts_with("corrected issue 1 "), "{said}");
    assert!(said.contains("digest.atom") && said.contains("issues/1.html"), "{said}");
    let after = read(&dir.path().join("out"), "digest.atom");
    assert_ne!(before, after);
    for file in ["digest.xml", "digest.atom", "digest.json", "issues/1.html"] {
        let text = read(&dir.path().join("out"), file);
        assert!(text.contains("Corrected on") && text.contains("The headline was wrong."), "{file}: {text}");
        assert!(text.contains("Alpha, corrected"), "{file}: {text}");
    }
    let missing = gleaner(&config, &["publish", "--correct", "7"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no issue 7"));
}
