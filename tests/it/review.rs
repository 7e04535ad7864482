//! Integration tests: the editorial use-case over a real sled store (state
//! transitions, stale revisions, edits, the audit trail, the queue, users)
//! and the `review` / `user` commands of the binary.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use gleaner::editorial::rules::Action;
use gleaner::editorial::{EditChanges, Editorial, EditorialError, QueueFilter};
use gleaner::model::{ItemId, NewItem, QuoteOverride, ReviewState};
use gleaner::store::{Extraction, SledStore, Store};

use crate::ingest::write_config;

use crate::support::items::{at, entry, quote};

/// A store with items a (oldest) .. d (newest) in two sources, two languages.
fn fixture() -> (Editorial, Vec<ItemId>) {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let entries = vec![
        entry("wire", "a", "Budget vote delayed", "<p>The council <b>postponed</b> the vote.</p>", 10, "en"),
        entry("wire", "b", "Talks resume in Vienna", "<p>Negotiators met again.</p>", 20, "en-GB"),
        entry("persian", "c", "گفتگوهای وین از سر گرفته شد", "<p>مذاکره‌کنندگان دوباره دیدار کردند.</p>", 30, "fa"),
        entry("persian", "d", "بودجه", "<p>شورا رأی‌گیری را به تعویق انداخت.</p>", 40, "fa-IR"),
    ];
    let ids: Vec<ItemId> = entries.iter().map(NewItem::id).collect();
    store.upsert_items(&entries).expect("insert");
    let item = store.item(&ids[0]).expect("read").expect("stored");
    let extraction = Extraction {
        content_hash: item.content_hash.clone(),
        text: "Main text.".to_owned(),
        byline: None,
        outlet: Some("Ledger".to_owned()),
        language: None,
        quotes: vec![quote("q1", "We need more time", "Mayor Kim"), quote("q2", "No", "Ali Vaez")],
        links: Vec::new(),
        extracted_at: at(200),
        note: None,
    };
    store.put_extraction(&ids[0], &extraction).expect("extraction");
    let sources = gleaner::app::load_config(&write_config(
        tempfile::tempdir().expect("dir").keep().as_path(),
        "[[source]]\nid = \"wire\"\nurl = \"http://example.org/w\"\nsection = \"In English\"\n\n\
         [[source]]\nid = \"persian\"\nurl = \"http://example.org/p\"\nsection = \"Persian\"\n",
    ))
    .expect("config")
    .sources;
    (Editorial::new(store).expect("index loads").with_sources(&sources), ids)
}

fn revision(editorial: &Editorial, id: &ItemId) -> u64 {
    editorial.store().item(id).expect("read").expect("stored").revision
}

#[test]
fn every_allowed_transition_goes_through_and_is_audited() {
    let (editorial, ids) = fixture();
    let id = &ids[0];
    let path = [
        (Action::Shortlist, ReviewState::Shortlisted),
        (Action::Approve, ReviewState::Approved),
        (Action::Shortlist, ReviewState::Shortlisted),
        (Action::Reject, ReviewState::Rejected),
        (Action::Reset, ReviewState::New),
        (Action::Approve, ReviewState::Approved),
        (Action::Reject, ReviewState::Rejected),
        (Action::Reset, ReviewState::New),
        (Action::Reject, ReviewState::Rejected),
    ];
    for (n, (action, state)) in path.into_iter().enumerate() {
        let rev = revision(&editorial, id);
        let item =
            editorial.act(id, rev, action, "sara", at(1_000 + i64::try_from(n).expect("small"))).expect("allowed");
        assert_eq!(item.state, state, "{action}");
        assert_eq!(item.revision, rev + 1);
    }
    let audit = editorial.item_page(id).expect("page").audit;
    assert_eq!(audit.len(), path.len());
    assert_eq!(audit[0].action, "reject", "newest first");
    assert_eq!(audit[0].detail, "new → rejected");
    assert_eq!(audit[0].revision, revision(&editorial, id));
    assert_eq!(audit.last().map(|a| a.action.as_str()), Some("shortlist"));
    assert!(audit.iter().all(|a| a.actor == "sara" && &a.item_id == id));
}

#[test]
fn illegal_transitions_are_refused_and_change_nothing() {
    let (editorial, ids) = fixture();
    let id = &ids[0];
    let rejected = editorial.act(id, revision(&editorial, id), Action::Reject, "sara", at(1)).expect("reject");
    let err = editorial.act(id, rejected.revision, Action::Approve, "sara", at(2)).expect_err("must reset first");
    assert!(matches!(err, EditorialError::Transition { from: ReviewState::Rejected, action: Action::Approve, .. }));
    assert!(err.to_string().contains("cannot approve an item that is rejected"), "{err}");
    assert_eq!(revision(&editorial, id), rejected.revision);
    assert_eq!(editorial.item_page(id).expect("page").audit.len(), 1);
}

#[test]
fn a_stale_revision_is_refused_naming_who_changed_what_and_when() {
    let (editorial, ids) = fixture();
    let id = &ids[1];
    let seen = revision(&editorial, id);
    editorial.act(id, seen, Action::Shortlist, "omid", at(3_600)).expect("first editor");
    let err = editorial.act(id, seen, Action::Reject, "sara", at(3_700)).expect_err("stale");
    let EditorialError::Stale { expected, found, last_change, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*expected, *found), (seen, seen + 1));
    assert_eq!(last_change.as_ref().map(|c| c.actor.as_str()), Some("omid"));
    let message = err.to_string();
    for part in ["omid", "shortlist", "2027-01-15 09:00:00 UTC", &format!("revision {seen}"), "reload"] {
        assert!(message.contains(part), "{part:?} missing from {message}");
    }
    // Nothing of the stale write landed.
    assert_eq!(editorial.store().item(id).expect("read").expect("stored").state, ReviewState::Shortlisted);

    let edit = EditChanges { headline: Some(Some("Mine".into())), ..EditChanges::default() };
    assert!(matches!(editorial.edit(id, seen, &edit, "sara", at(3_800)), Err(EditorialError::Stale { .. })));
}

#[test]
fn an_edit_keeps_the_other_fields_and_is_audited_with_it() {
    let (editorial, ids) = fixture();
    let id = &ids[0];
    let first = EditChanges {
        headline: Some(Some("Council stalls".into())),
        commentary: Some(Some("Third delay this year.".into())),
        quote_ids: Some(vec!["q2".into(), "q1".into()]),
        section: Some(Some("World".into())),
        position: Some(Some(4)),
        ..EditChanges::default()
    };
    let item = editorial.edit(id, revision(&editorial, id), &first, "sara", at(10)).expect("edit");
    let mut overrides = BTreeMap::new();
    overrides
        .insert("q1".to_owned(), QuoteOverride { speaker: Some("Mayor Jin Kim".into()), outlet: None, text: None });
    let second = EditChanges {
        commentary: Some(Some("Fourth delay.".into())),
        quote_overrides: Some(overrides),
        ..EditChanges::default()
    };
    let item = editorial.edit(id, item.revision, &second, "omid", at(20)).expect("edit");
    assert_eq!(item.editor.headline.as_deref(), Some("Council stalls"));
    assert_eq!(item.editor.commentary.as_deref(), Some("Fourth delay."));
    assert_eq!(item.editor.quote_ids, vec!["q2", "q1"]);
    assert_eq!(item.editor.section.as_deref(), Some("World"));
    assert_eq!(item.editor.position, Some(4));
    assert_eq!(item.editor.quote_overrides["q1"].speaker.as_deref(), Some("Mayor Jin Kim"));
    assert_eq!(item.state, ReviewState::New, "an edit leaves the state alone");

    let audit = editorial.item_page(id).expect("page").audit;
    assert_eq!(audit.len(), 2);
    assert_eq!((audit[0].actor.as_str(), audit[0].detail.as_str()), ("omid", "commentary, attribution"));
    assert_eq!(audit[1].detail, "headline, commentary, quotes, section, position");
    assert_eq!(audit[0].revision, item.revision);

    // A no-op edit writes nothing; an unknown quote is refused.
    let same = EditChanges { headline: Some(Some(" Council stalls ".into())), ..EditChanges::default() };
    assert_eq!(editorial.edit(id, item.revision, &same, "sara", at(30)).expect("no-op").revision, item.revision);
    let bad = EditChanges { quote_ids: Some(vec!["q9".into()]), ..EditChanges::default() };
    let err = editorial.edit(id, item.revision, &bad, "sara", at(40)).expect_err("unknown quote");
    assert!(matches!(err, EditorialError::Invalid { .. }) && err.to_string().contains("q9"), "{err}");
    assert_eq!(editorial.item_page(id).expect("page").audit.len(), 2);
}

#[test]
fn recent_audit_lists_changes_across_items_newest_first() {
    let (editorial, ids) = fixture();
    for (n, id) in ids.iter().enumerate() {
        let secs = 100 * i64::try_from(n).expect("small");
        editorial.act(id, revision(&editorial, id), Action::Shortlist, "sara", at(secs)).expect("act");
    }
    let recent = editorial.store().recent_audit(3).expect("recent");
    let items: Vec<&ItemId> = recent.iter().map(|a| &a.item_id).collect();
    assert_eq!(items, vec![&ids[3], &ids[2], &ids[1]]);
}

#[test]
fn act_many_applies_what_it_can_and_reports_the_rest() {
    let (editorial, ids) = fixture();
    editorial.act(&ids[1], revision(&editorial, &ids[1]), Action::Reject, "omid", at(1)).expect("reject");
    let targets: Vec<(ItemId, u64)> = vec![
        (ids[0].clone(), revision(&editorial, &ids[0])),
        (ids[1].clone(), revision(&editorial, &ids[1])),
        (ids[2].clone(), 0),
        (ItemId::derive("nowhere", "x"), 1),
    ];
    let results = editorial.act_many(&targets, Action::Approve, "sara", at(2));
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().map(|i| i.state).ok(), Some(ReviewState::Approved));
    assert!(matches!(results[1], Err(EditorialError::Transition { .. })));
    assert!(matches!(results[2], Err(EditorialError::Stale { last_change: None, .. })));
    assert!(matches!(results[3], Err(EditorialError::NotFound { .. })));
}

#[test]
fn the_queue_filters_counts_pages_and_searches() {
    let (editorial, ids) = fixture();
    editorial.act(&ids[0], revision(&editorial, &ids[0]), Action::Approve, "sara", at(1)).expect("approve");
    editorial.act(&ids[2], revision(&editorial, &ids[2]), Action::Reject, "sara", at(1)).expect("reject");
    let all = |filter: &QueueFilter| editorial.queue(filter, 1, 50).expect("queue");

    let page = all(&QueueFilter::default());
    let order: Vec<&ItemId> = page.rows.iter().map(|r| &r.id).collect();
    assert_eq!(order, vec![&ids[3], &ids[2], &ids[1], &ids[0]], "newest first");
    assert_eq!(page.total, 4);
    assert_eq!(
        page.counts,
        vec![
            (ReviewState::New, 2),
            (ReviewState::Shortlisted, 0),
            (ReviewState::Approved, 1),
            (ReviewState::Rejected, 1),
            (ReviewState::Published, 0)
        ]
    );
    assert_eq!(page.rows[3].quote_count, 2);
    assert_eq!(page.rows[0].section.as_deref(), Some("Persian"), "the source's section applies");

    let ids_of = |filter: QueueFilter| all(&filter).rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids_of(QueueFilter { state: Some(ReviewState::New), ..QueueFilter::default() }),
        vec![ids[3].clone(), ids[1].clone()]
    );
    assert_eq!(
        ids_of(QueueFilter { source: Some("wire".into()), ..QueueFilter::default() }),
        vec![ids[1].clone(), ids[0].clone()]
    );
    assert_eq!(ids_of(QueueFilter { section: Some("Persian".into()), ..QueueFilter::default() }).len(), 2);
    assert_eq!(ids_of(QueueFilter { language: Some("fa".into()), ..QueueFilter::default() }).len(), 2);
    assert_eq!(ids_of(QueueFilter { language: Some("en".into()), ..QueueFilter::default() }).len(), 2);
    assert_eq!(
        ids_of(QueueFilter { from: Some(at(20)), to: Some(at(40)), ..QueueFilter::default() }),
        vec![ids[2].clone(), ids[1].clone()],
        "from inclusive, to exclusive"
    );
    // Search: case-insensitive, over title and summary text (not markup), every term.
    assert_eq!(
        ids_of(QueueFilter { text: Some("POSTPONED council".into()), ..QueueFilter::default() }),
        vec![ids[0].clone()]
    );
    assert!(ids_of(QueueFilter { text: Some("postponed vienna".into()), ..QueueFilter::default() }).is_empty());
    assert!(ids_of(QueueFilter { text: Some("<b>".into()), ..QueueFilter::default() }).is_empty());
    assert_eq!(ids_of(QueueFilter { text: Some("Ledger".into()), ..QueueFilter::default() }), vec![ids[0].clone()]);
    // Right-to-left text, including a word spelled with Arabic yeh and without the ZWNJ.
    assert_eq!(ids_of(QueueFilter { text: Some("بودجه".into()), ..QueueFilter::default() }), vec![ids[3].clone()]);
    assert_eq!(
        ids_of(QueueFilter { text: Some("مذاكرهكنندگان".into()), ..QueueFilter::default() }),
        vec![ids[2].clone()]
    );
    // Counts follow the other filters.
    let persian = all(&QueueFilter { source: Some("persian".into()), ..QueueFilter::default() });
    assert_eq!(persian.counts[0], (ReviewState::New, 1));
    assert_eq!(persian.counts[3], (ReviewState::Rejected, 1));

    // Paging.
    let second = editorial.queue(&QueueFilter::default(), 2, 3).expect("page 2");
    assert_eq!((second.rows.len(), second.total, second.page, second.pages), (1, 4, 2, 2));
    assert_eq!(second.rows[0].id, ids[0]);
    assert!(editorial.queue(&QueueFilter::default(), 9, 3).expect("past the end").rows.is_empty());
}

#[test]
fn the_queue_sees_writes_and_refreshed_items() {
    let (editorial, ids) = fixture();
    let item = editorial
        .edit(
            &ids[1],
            revision(&editorial, &ids[1]),
            &EditChanges { headline: Some(Some("Zebra crossing".into())), ..EditChanges::default() },
            "sara",
            at(1),
        )
        .expect("edit");
    let hits =
        editorial.queue(&QueueFilter { text: Some("zebra".into()), ..QueueFilter::default() }, 1, 10).expect("queue");
    assert_eq!(hits.rows.first().map(|r| r.revision), Some(item.revision));

    // An item stored behind the use-case's back appears after refresh.
    let late = entry("wire", "e", "Late arrival", "", 50, "en");
    editorial.store().upsert_items(std::slice::from_ref(&late)).expect("insert");
    assert_eq!(editorial.queue(&QueueFilter::default(), 1, 10).expect("queue").total, 4);
    editorial.refresh(&[late.id()]).expect("refresh");
    let page = editorial.queue(&QueueFilter::default(), 1, 10).expect("queue");
    assert_eq!((page.total, &page.rows[0].id), (5, &late.id()));
}

#[test]
fn the_draft_and_reorder_follow_the_publishers_order() {
    let (editorial, ids) = fixture();
    for id in &ids {
        editorial.act(id, revision(&editorial, id), Action::Approve, "sara", at(1)).expect("approve");
    }
    let sections = vec!["In English".to_owned(), "Persian".to_owned(), "Empty".to_owned()];
    let draft = editorial.draft(&sections).expect("draft");
    let names: Vec<&str> = draft.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["In English", "Persian", "Empty"]);
    assert_eq!(draft[0].items.iter().map(|i| &i.id).collect::<Vec<_>>(), vec![&ids[0], &ids[1]], "oldest first");

    let order = vec![(ids[1].clone(), revision(&editorial, &ids[1])), (ids[0].clone(), revision(&editorial, &ids[0]))];
    editorial.reorder("In English", &order, "sara", at(2)).expect("reorder");
    let draft = editorial.draft(&sections).expect("draft");
    assert_eq!(draft[0].items.iter().map(|i| &i.id).collect::<Vec<_>>(), vec![&ids[1], &ids[0]]);

    // Moving a Persian item into "Empty"; a stale entry makes the whole reorder fail.
    let stale = vec![(ids[2].clone(), revision(&editorial, &ids[2])), (ids[3].clone(), 0)];
    assert!(matches!(editorial.reorder("Empty", &stale, "sara", at(3)), Err(EditorialError::Stale { .. })));
    assert_eq!(editorial.store().item(&ids[2]).expect("read").expect("stored").editor.section, None);
    let moved = vec![(ids[2].clone(), revision(&editorial, &ids[2]))];
    editorial.reorder("Empty", &moved, "sara", at(4)).expect("move");
    let draft = editorial.draft(&sections).expect("draft");
    assert_eq!(draft[2].items.iter().map(|i| &i.id).collect::<Vec<_>>(), vec![&ids[2]]);
    let audit = editorial.item_page(&ids[2]).expect("page").audit;
    assert_eq!((audit[0].action.as_str(), audit[0].detail.as_str()), ("reorder", "position 1 in Empty"));
}

#[test]
fn users_verify_with_argon2_and_names_are_unique() {
    let (editorial, _) = fixture();
    editorial.add_user("sara", "correct horse battery", at(0)).expect("add");
    let stored = editorial.store().user("sara").expect("read").expect("stored");
    assert!(stored.password_hash.starts_with("$argon2id$"), "only the hash is stored");
    assert!(!stored.password_hash.contains("correct horse"));
    assert!(editorial.verify_user("sara", "correct horse battery").expect("verify"));
    assert!(!editorial.verify_user("sara", "wrong horse battery").expect("verify"));
    assert!(!editorial.verify_user("nobody", "correct horse battery").expect("verify"));
    assert!(matches!(editorial.add_user("sara", "another password", at(1)), Err(EditorialError::UserExists { .. })));
    assert!(matches!(editorial.add_user("omid", "short", at(1)), Err(EditorialError::Invalid { .. })));
    assert_eq!(editorial.store().users().expect("users").len(), 1);
}

// ---- the binary ----

fn gleaner(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env("USER", "os-user")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gleaner");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or("").as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config whose store holds one item; returns the config path and the item id.
fn cli_fixture(dir: &Path) -> (std::path::PathBuf, ItemId) {
    let path = write_config(dir, "");
    let config = gleaner::app::load_config(&path).expect("config");
    let store = gleaner::app::open_store(&config).expect("store");
    let new = entry("wire", "a", "Budget vote delayed", "<p>Delay.</p>", 10, "en");
    store.upsert_items(std::slice::from_ref(&new)).expect("insert");
    store.flush().expect("flush");
    (path, new.id())
}

fn stored(config: &Path, id: &ItemId) -> (gleaner::model::Item, Vec<gleaner::model::AuditEntry>) {
    let config = gleaner::app::load_config(config).expect("config");
    let store = gleaner::app::open_store(&config).expect("store");
    (store.item(id).expect("read").expect("stored"), store.audit_for(id).expect("audit"))
}

#[test]
fn review_commands_act_edit_and_exit_2_on_refusals() {
    let dir = tempfile::tempdir().expect("dir");
    let (config, id) = cli_fixture(dir.path());
    let id_text = id.to_string();

    let out = gleaner(&config, &["review", "shortlist", &id_text, "--as", "Sara K"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("shortlisted"), "{}", text(&out.stdout));
    let out = gleaner(&config, &["review", "approve", &id_text], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (item, audit) = stored(&config, &id);
    assert_eq!(item.state, ReviewState::Approved);
    assert_eq!(audit[0].actor, "os-user", "the OS user when no --as");
    assert_eq!(audit[1].actor, "Sara K");

    // Illegal transition: exit 2 with the rule.
    let out = gleaner(&config, &["review", "approve", &id_text], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot approve an item that is approved"), "{}", text(&out.stderr));

    let out = gleaner(
        &config,
        &["review", "edit", &id_text, "--headline", "Council stalls", "--commentary", "Again.", "--as", "omid"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (item, audit) = stored(&config, &id);
    assert_eq!(item.editor.headline.as_deref(), Some("Council stalls"));
    assert_eq!((audit[0].actor.as_str(), audit[0].detail.as_str()), ("omid", "headline, commentary"));

    // A stale --revision: exit 2, naming who changed what.
    let old = (item.revision - 1).to_string();
    let out = gleaner(&config, &["review", "edit", &id_text, "--section", "World", "--revision", &old], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("changed by omid") && err.contains("edit") && err.contains(&format!("revision {old}")),
        "{err}"
    );
    assert!(err.contains(&format!("--revision {}", item.revision)), "{err}");

    let out = gleaner(&config, &["review", "reject", &id_text, "--as", "sara"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gleaner(&config, &["review", "reset", &id_text, "--as", "sara"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(stored(&config, &id).0.state, ReviewState::New);

    let out = gleaner(&config, &["review", "approve", "not-an-id"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().expect("dir");
    let (config, _) = cli_fixture(dir.path());
    let out = gleaner(&config, &["user", "add", "sara"], Some("correct horse battery\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gleaner(&config, &["user", "add", "sara"], Some("another password\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists"), "{}", text(&out.stderr));
    let out = gleaner(&config, &["user", "add", "omid"], Some(""));
    assert_eq!(out.status.code(), Some(2));

    let loaded = gleaner::app::load_config(&config).expect("config");
    let editorial = Editorial::without_queue(gleaner::app::open_store(&loaded).expect("store"));
    assert!(editorial.verify_user("sara", "correct horse battery").expect("verify"));
    assert!(!editorial.verify_user("sara", "correct horse battery\n").expect("verify"));
}
