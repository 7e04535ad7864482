//! Issue 14: stories across outlets, entries citing several articles,
//! commentary-only notes and add by URL, through the real store, the
//! editorial use-case, the publisher and the binary.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use gleaner::editorial::rules::Action;
use gleaner::editorial::{Editorial, QueueFilter};
use gleaner::eval::stories::{StorySet, story_pairs};
use gleaner::model::{ItemId, NewItem, ReviewState};
use gleaner::store::{Extraction, SledStore, Store};

use crate::ingest::{TestConfig, write_config_with};
use crate::support::gleaner;
use crate::support::http::{Reply, TestServer};
use crate::support::items::{at, entry, quote};

const PAIRS: &str = "tests/fixtures/stories/pairs.toml";

fn pairs() -> StorySet {
    toml::from_str(&std::fs::read_to_string(PAIRS).expect("read the test set")).expect("the test set parses")
}

fn extraction(text: &str, outlet: &str, quotes: Vec<gleaner::model::Quote>) -> Extraction {
    Extraction {
        content_hash: String::new(),
        text: text.to_owned(),
        byline: None,
        outlet: Some(outlet.to_owned()),
        language: None,
        quotes,
        links: Vec::new(),
        extracted_at: at(200),
        note: None,
    }
}

#[test]
fn near_duplicate_detection_meets_its_targets_on_our_test_set() {
    let report = story_pairs(Path::new(PAIRS));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.positives >= 15 && report.same_topic_negatives >= 15, "{report}");
    assert!(report.precision >= 0.98, "{report}");
    assert!(report.recall >= 0.9, "{report}");
}

#[test]
fn a_broken_test_set_is_reported_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("pairs.toml");
    std::fs::write(&file, "[[story]]\nid = \"a\"\ntopic = 3\n").expect("write");
    let report = story_pairs(&file);
    assert!(report.errors.iter().any(|e| e.contains("pairs.toml") && e.contains("line 3")), "{:?}", report.errors);
}

/// Stores every version of the test set's first `stories` stories as items
/// of the outlets' sources, extracted, an hour apart.
fn store_versions(store: &Arc<dyn Store>, stories: usize) -> Vec<(String, ItemId)> {
    let set = pairs();
    let mut stored = Vec::new();
    let mut n = 0;
    for story in set.story.iter().take(stories) {
        for version in &story.version {
            n += 1;
            let source = format!("outlet{n}");
            let new: NewItem = entry(&source, &format!("{}-{n}", story.id), &version.title, "", n * 3600, "en");
            store.upsert_items(std::slice::from_ref(&new)).expect("upsert");
            store.put_extraction(&new.id(), &extraction(&version.text, &version.outlet, Vec::new())).expect("extract");
            stored.push((story.id.clone(), new.id()));
        }
    }
    stored
}

#[test]
fn the_queue_shows_one_row_per_story_with_the_other_outlets() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    // The first four stories: two topics, each with two different events, each told by 2–3 outlets.
    let stored = store_versions(&store, 4);
    let editorial = Editorial::new(Arc::clone(&store)).expect("editorial");
    let ids: Vec<ItemId> = stored.iter().map(|(_, id)| id.clone()).collect();
    editorial.refresh(&ids).expect("refresh assigns stories");

    for (story, id) in &stored {
        let item = store.item(id).expect("read").expect("stored");
        let first = &stored.iter().find(|(s, _)| s == story).expect("its story").1;
        assert_eq!(item.story.as_ref(), Some(first), "{story}: a story is named by its first telling");
    }
    let page = editorial.queue(&QueueFilter::default(), 1, 50).expect("queue");
    assert_eq!(page.total, 4, "four events, {} items", stored.len());
    assert_eq!(page.rows.len(), 4);
    for row in &page.rows {
        let gold = &stored.iter().find(|(_, id)| *id == row.id).expect("a stored version").0;
        let tellings = stored.iter().filter(|(s, _)| s == gold).count();
        assert_eq!(row.also.len() + 1, tellings, "{gold}: one row, the other outlets as also: {row:?}");
    }
    let quake = page.rows.iter().find(|r| r.also.len() == 2).expect("the quake story ran in three outlets");
    let older = |id: &ItemId| store.item(id).expect("read").expect("stored").published < quake.published;
    assert!(quake.also.iter().all(|m| older(&m.id)), "the row is the story's newest telling");
    // Assigning again changes nothing.
    assert!(editorial.assign_stories(&ids).expect("again").is_empty());
    assert!(editorial.reassign_all_stories().expect("all again").is_empty());
}

/// The queue's tab badges as `(name, count)`, from the rendered page.
fn tab_counts(html: &str) -> Vec<(String, usize)> {
    let page = scraper::Html::parse_document(html);
    let tabs = scraper::Selector::parse("nav.states a").expect("selector");
    let count = scraper::Selector::parse(".count").expect("selector");
    page.select(&tabs)
        // The Followed tab counts an editor's watch matches, not states.
        .filter(|tab| tab.select(&count).next().is_some())
        .map(|tab| {
            let n: String = tab.select(&count).flat_map(|c| c.text()).collect();
            let name: String = tab.text().collect();
            (name.trim().trim_end_matches(n.trim()).trim().to_owned(), n.trim().parse().expect("a number"))
        })
        .collect()
}

#[tokio::test]
async fn a_story_of_a_new_and_a_shortlisted_item_counts_once_in_the_to_do_tab() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt as _;

    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let stored = store_versions(&store, 4);
    let editorial = Editorial::new(Arc::clone(&store)).expect("editorial");
    let ids: Vec<ItemId> = stored.iter().map(|(_, id)| id.clone()).collect();
    editorial.refresh(&ids).expect("refresh assigns stories");
    // Shortlist one telling of a story told three times: the story now has
    // new and shortlisted members, and the queue still shows it as one row.
    let told_thrice =
        &stored.iter().find(|(s, _)| stored.iter().filter(|(t, _)| t == s).count() == 3).expect("a 3-outlet story").0;
    let member = &stored.iter().find(|(s, _)| s == told_thrice).expect("a telling").1;
    let revision = store.item(member).expect("read").expect("stored").revision;
    editorial.act(member, revision, Action::Shortlist, "ann", Utc::now()).expect("shortlist");

    let state = crate::ui::ui_state(&store, gleaner::web::review::UiOptions::default());
    let (session, _) = crate::ui::ann_session(&state, &store);
    let router = gleaner::web::review::routes(state);
    let request = Request::get("/queue")
        .header(header::COOKIE, format!("gleaner_session={session}"))
        .body(Body::empty())
        .expect("request");
    let response = router.oneshot(request).await.expect("response");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let tabs = tab_counts(&String::from_utf8_lossy(&body));
    let shown = editorial
        .queue(&QueueFilter { states: gleaner::editorial::TO_DO.to_vec(), ..QueueFilter::default() }, 1, 50)
        .expect("queue");
    assert_eq!(shown.total, 4, "four stories, one row each");
    let count = |name: &str| tabs.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
    assert_eq!(count("to do"), Some(4), "the tab counts rows as the queue shows them: {tabs:?}");
    assert_eq!(count("all"), Some(4), "{tabs:?}");
    assert_eq!((count("new"), count("shortlisted")), (Some(4), Some(1)), "each state's own tab: {tabs:?}");
}

#[test]
fn a_story_is_found_through_stored_prints_one_item_and_one_process_at_a_time() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let stored = store_versions(&store, 4);
    let first_of = |story: &str| stored.iter().find(|(s, _)| s == story).expect("its story").1.clone();
    // A store from before prints were kept: first tellings placed, no print stored.
    let firsts: Vec<(ItemId, ItemId)> =
        stored.iter().filter(|(story, id)| first_of(story) == *id).map(|(_, id)| (id.clone(), id.clone())).collect();
    store.put_stories(&firsts).expect("old-style stories");
    for (story, id) in &stored {
        // Each item in a new Editorial (a new `gleaner fetch`): its index starts empty
        // and finds the story through the prints in the store.
        let editorial = Editorial::new(Arc::clone(&store)).expect("editorial");
        editorial.assign_stories(std::slice::from_ref(id)).expect("assign");
        let item = store.item(id).expect("read").expect("stored");
        assert_eq!(item.story.as_ref(), Some(&first_of(story)), "{story}");
    }
    let prints = store.story_prints(at(0), at(100 * 3600)).expect("prints");
    assert_eq!(prints.len(), stored.len());
    for print in &prints {
        let item = store.item(&print.id).expect("read").expect("stored");
        assert_eq!(Some(&print.story), item.story.as_ref());
        assert_eq!(print.published, item.published);
        assert_eq!(print.signature, gleaner::story::Signature::of_item(&item), "stored once, as made");
    }
    // Outside the window nothing is listed.
    assert!(store.story_prints(at(200 * 3600), at(300 * 3600)).expect("prints").is_empty());
}

#[tokio::test]
async fn add_by_url_fetches_as_a_followed_article_and_the_same_url_is_the_same_item() {
    let page = std::fs::read_to_string("tests/fixtures/follow/council-vote.html").expect("fixture");
    let server = TestServer::start(move |_| Reply::ok(page.clone()).header("Content-Type", "text/html"));
    let test = TestConfig::new("");
    let ingest = test.ingest();
    let url = server.url("/news/council-bridge#top");
    let added = ingest.add_url(url.as_str(), Utc::now()).await.expect("added");
    assert!(added.new);
    let item = &added.item;
    assert_eq!(item.source(), "manual");
    assert_eq!(item.state, ReviewState::New);
    assert_eq!(item.title, "Council approves the river bridge");
    assert_eq!(item.url.as_deref(), Some(server.url("/news/council-bridge").as_str()), "canonical, no fragment");
    assert!(item.text.contains("pedestrian bridge"), "{}", item.text);
    assert!(ingest.store().quotes(&item.id).expect("quotes").iter().any(|q| q.speaker.as_deref() == Some("Jane Doe")));

    let again = ingest.add_url(url.as_str(), Utc::now()).await.expect("added again");
    assert!(!again.new);
    assert_eq!(again.item.id, item.id);
    assert_eq!(server.hits(), 1, "a stored URL is not fetched again");

    let bad = ingest.add_url("ftp://example.org/x", Utc::now()).await.expect_err("not http");
    assert!(bad.to_string().contains("ftp://example.org/x"), "{bad}");
}

#[tokio::test]
async fn add_by_url_keeps_the_private_network_guard() {
    let server = TestServer::start(|_| Reply::ok("<html><body><p>secret</p></body></html>"));
    let test = TestConfig::guarded("");
    let error = test.ingest().add_url(server.url("/admin").as_str(), Utc::now()).await.expect_err("guarded");
    assert!(error.to_string().contains("refused to fetch a private"), "{error}");
    assert_eq!(server.hits(), 0);
}

#[test]
fn an_entry_cites_several_articles_and_quotes_each_with_its_own_outlet() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let a = entry("wire", "a", "Bank holds rates", "", 10, "en");
    let b = entry("ledger", "b", "Rates unchanged, says Lopez", "", 20, "en");
    store.upsert_items(&[a.clone(), b.clone()]).expect("upsert");
    let (a, b) = (a.id(), b.id());
    // Quotes without an outlet of their own: each is credited to its own article's outlet.
    let unsourced =
        |id: &str, text: &str, speaker: &str| gleaner::model::Quote { outlet: None, ..quote(id, text, speaker) };
    store
        .put_extraction(&a, &extraction("x", "Wire Service", vec![unsourced("qa", "We will wait", "Maria Lopez")]))
        .expect("x");
    store
        .put_extraction(&b, &extraction("y", "Daily Ledger", vec![unsourced("qb", "Too late for us", "A Baker")]))
        .expect("y");
    let editorial = Editorial::new(Arc::clone(&store)).expect("editorial");
    let revision = store.item(&a).expect("read").expect("stored").revision;

    // Attaching itself, or an unknown item, is refused.
    assert!(editorial.attach(&a, revision, std::slice::from_ref(&a), "ann", at(300)).is_err());
    let unknown = ItemId::derive("x", "y");
    assert!(editorial.attach(&a, revision, &[unknown], "ann", at(300)).is_err());

    let cited = editorial.attach(&a, revision, std::slice::from_ref(&b), "ann", at(300)).expect("attach");
    assert_eq!(cited.editor.cited, std::slice::from_ref(&b));
    let changes = gleaner::editorial::EditChanges {
        quote_ids: Some(vec!["qb".to_owned(), "qa".to_owned()]),
        ..Default::default()
    };
    let edited = editorial.edit(&a, cited.revision, &changes, "ann", at(301)).expect("quotes of the cited item");
    let approved =
        editorial.act(&a, edited.revision, gleaner::editorial::rules::Action::Approve, "ann", at(302)).expect("ok");
    assert_eq!(store.audit_for(&a).expect("audit").iter().filter(|e| e.action == "attach").count(), 1);

    let dir = tempfile::tempdir().expect("dir");
    let settings = crate::publish::settings(dir.path());
    let publisher = gleaner::publish::Publisher::new(settings, gleaner::publish::render::Renderer::builtin(), &[]);
    let html = publisher.preview(store.as_ref(), at(400)).expect("preview").expect("something approved");
    assert!(html.contains("https://example.org/a") && html.contains("https://example.org/b"), "both links: {html}");
    let baker =
        html.find("<bdi>A Baker</bdi>, in <bdi>Daily Ledger</bdi>").expect("the cited item's quote, with its outlet");
    let lopez = html.find("<bdi>Maria Lopez</bdi>, in <bdi>Wire Service</bdi>").expect("the entry's own quote");
    assert!(baker < lopez, "the editor's order");

    // Detaching takes the cited item's chosen quote with it.
    let detached = editorial.detach(&a, approved.revision, std::slice::from_ref(&b), "ann", at(500)).expect("detach");
    assert!(detached.editor.cited.is_empty());
    assert_eq!(detached.editor.quote_ids, ["qa"]);
    // Published with the entry: the cited article goes out too (attach again first).
    let cited = editorial.attach(&a, detached.revision, std::slice::from_ref(&b), "ann", at(501)).expect("attach");
    assert_eq!(cited.state, ReviewState::Approved);
    let output = gleaner::publish::write::DirOutput::new(dir.path().to_path_buf());
    publisher.publish_next(store.as_ref(), &output, at(600), false).expect("publish");
    assert_eq!(store.item(&b).expect("read").expect("stored").state, ReviewState::Published);
    let rss = std::fs::read_to_string(dir.path().join("digest.xml")).expect("rss");
    let feed = crate::publish::parse_feed(&rss);
    let body = feed.entries[0].content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
    assert!(body.contains("https://example.org/b"), "{body}");
    // Atom and JSON Feed stay valid with a multi-article entry too.
    for file in ["digest.atom", "digest.json"] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("feed");
        let feed = crate::publish::parse_feed(&text);
        let body = feed.entries[0].content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
        assert!(body.contains("https://example.org/b") && body.contains("Maria Lopez"), "{file}: {body}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("digest.json")).expect("json")).expect("valid");
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
}

#[test]
fn a_note_is_an_approved_commentary_only_entry() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let editorial = Editorial::new(Arc::clone(&store)).expect("editorial");
    assert!(editorial.add_note("World", None, "  ", "ann", at(10)).is_err(), "an empty note");
    let note = editorial.add_note("World", None, "A word from Paris.\n\nMore soon.", "ann", at(10)).expect("note");
    assert_eq!(note.state, ReviewState::Approved);
    assert!(note.is_note());
    let other = editorial.add_note("World", None, "A word from Paris.\n\nMore soon.", "ann", at(10)).expect("again");
    assert_ne!(other.id, note.id, "two notes are two entries");

    let dir = tempfile::tempdir().expect("dir");
    let publisher = gleaner::publish::Publisher::new(
        crate::publish::settings(dir.path()),
        gleaner::publish::render::Renderer::builtin(),
        &[],
    );
    let html = publisher.preview(store.as_ref(), at(400)).expect("preview").expect("approved");
    assert!(html.contains("<p>A word from Paris.</p><p>More soon.</p>"), "{html}");
    assert!(!html.contains("Note: A word"), "the queue's title is not a headline: {html}");
}

#[test]
fn the_cli_adds_by_url_attaches_notes_and_lists_stories() {
    let page = std::fs::read_to_string("tests/fixtures/follow/council-vote.html").expect("fixture");
    let server = TestServer::start(move |_| Reply::ok(page.clone()).header("Content-Type", "text/html"));
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config_with(dir.path(), "", true);
    let url = server.url("/council");
    let first = gleaner(&config, &["add", url.as_str(), "--section", "World", "--as", "ann"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let id = String::from_utf8_lossy(&first.stdout).lines().next().expect("id line").to_owned();
    let again = gleaner(&config, &["add", url.as_str(), "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["new"], false);

    let items = gleaner(&config, &["items", "--json"]);
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&items.stdout).lines().next().expect("a line")).expect("json");
    assert_eq!((line["source"].as_str(), line["state"].as_str()), (Some("manual"), Some("new")));
    assert_eq!(line["story"], id.as_str(), "a story of its own");

    let note = gleaner(&config, &["note", "add", "--section", "World", "--commentary", "From Paris.", "--as", "ann"]);
    assert!(note.status.success(), "{}", String::from_utf8_lossy(&note.stderr));
    let note_id = String::from_utf8_lossy(&note.stdout).trim().to_owned();
    assert!(ItemId::parse(&note_id).is_some(), "prints the new entry's id: {note_id}");

    let attach = gleaner(&config, &["review", "attach", &note_id, &id, "--as", "ann"]);
    assert!(attach.status.success(), "{}", String::from_utf8_lossy(&attach.stderr));
    let show = gleaner(&config, &["show", &id, "--json"]);
    let quotes: serde_json::Value = serde_json::from_slice(&show.stdout).expect("json");
    let quote_id = quotes["quotes"][0]["id"].as_str().expect("a quote").to_owned();
    let edit = gleaner(&config, &["review", "edit", &note_id, "--quotes", &quote_id, "--as", "ann"]);
    assert!(edit.status.success(), "a quote of the attached item: {}", String::from_utf8_lossy(&edit.stderr));
    let unknown = gleaner(&config, &["review", "edit", &id, "--quotes", "nope", "--as", "ann"]);
    assert_eq!(unknown.status.code(), Some(2));
    let detach = gleaner(&config, &["review", "detach", &note_id, &id, "--as", "ann"]);
    assert!(String::from_utf8_lossy(&detach.stdout).contains("cites nothing"));
    let stories = gleaner(&config, &["stories", "--all"]);
    assert!(stories.status.success(), "{}", String::from_utf8_lossy(&stories.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Issue 14.8: the demo publishes issue 1 with public links, and leaves a
/// few items approved with sample commentary for the composer.
#[test]
fn the_demo_links_to_example_org_and_leaves_a_draft_with_commentary() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new("config"), &dir.path().join("config"));
    let config = dir.path().join("config/demo.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(&config, text.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))).expect("write");
    let mut demo = std::process::Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .arg("demo")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("demo starts");
    let up = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(up.elapsed() < std::time::Duration::from_secs(60), "the demo never served");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    crate::support::terminate(&mut demo);

    let issue = std::fs::read_to_string(dir.path().join("feeds/issues/1.html")).expect("issue 1");
    assert!(issue.contains("href=\"https://example.org/demo/articles/"), "{issue}");
    assert!(!issue.contains("file:"), "no local paths in the digest: {issue}");
    let approved = gleaner(&config, &["items", "--json", "--state", "approved"]);
    let ids: Vec<String> = String::from_utf8_lossy(&approved.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].as_str().expect("id").to_owned())
        .collect();
    assert!((2..=3).contains(&ids.len()), "two or three left for the composer: {ids:?}");
    for id in &ids {
        let show: serde_json::Value =
            serde_json::from_slice(&gleaner(&config, &["show", id, "--json"]).stdout).expect("json");
        assert!(show["editor"]["commentary"].as_str().is_some_and(|c| !c.is_empty()), "{show}");
        assert!(show["url"].as_str().is_some_and(|u| u.starts_with("https://example.org/")), "{show}");
    }
}

#[test]
fn public_url_is_for_file_sources_only_and_maps_links_back_to_files() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("gleaner.toml");
    let write = |sources: &str| std::fs::write(&path, format!("store = \"s.sled\"\n{sources}")).expect("write");
    write("[[source]]\nid = \"web\"\nurl = \"https://e.org/feed\"\npublic_url = \"https://e.org/x\"\n");
    let errors = gleaner::app::load_config(&path).expect_err("not a file source").to_string();
    assert!(errors.contains("gleaner.toml:5") && errors.contains("only to a `file` source"), "{errors}");
    write("[[source]]\nid = \"manual\"\nurl = \"https://e.org/feed\"\n");
    let errors = gleaner::app::load_config(&path).expect_err("reserved").to_string();
    assert!(errors.contains("gleaner.toml:3") && errors.contains("reserved"), "{errors}");
    write("[[source]]\nid = \"local\"\nurl = \"demo/feed.xml\"\npublic_url = \"ftp://e.org/x\"\n");
    let errors = gleaner::app::load_config(&path).expect_err("not http").to_string();
    assert!(errors.contains("not an absolute http(s) URL"), "{errors}");

    write(
        "[[source]]\nid = \"local\"\nurl = \"demo/feeds/a.xml\"\npublic_url = \"https://example.org/demo/feeds/a.xml\"\n",
    );
    let config = gleaner::app::load_config(&path).expect("valid");
    let source = &config.sources[0];
    let link = url::Url::parse("https://example.org/demo/articles/b.html").expect("url");
    let local = source.local_page(&link).expect("a local stand-in");
    assert_eq!(local, url::Url::from_file_path(dir.path().join("demo/articles/b.html")).expect("file url"));
    assert_eq!(source.local_page(&url::Url::parse("https://other.example/b.html").expect("url")), None);
}
