//! Full-text search (issue 16.1) through the real use-cases: items ingested
//! from our feed fixtures into a sled store in a temp dir, the tantivy index
//! beside it, edits through `Editorial`, the queue's search box through the
//! review router, `gleaner search` / `reindex` through the binary, and the
//! index after a kill -9 mid-ingest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use gleaner::app::App;
use gleaner::editorial::EditChanges;
use gleaner::editorial::rules::Action;
use gleaner::search::SearchResults;
use gleaner::store::ItemStore as _;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use tower::ServiceExt as _;

use crate::ingest::write_config;
use crate::support::gleaner;
use crate::support::killed_fetch::{ITEMS_PER_FEED, KilledFetch};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search").join(name)
}

/// A config over the three fixture feeds (read from their own content, no
/// article pages), in `dir`.
fn config_in(dir: &Path) -> PathBuf {
    for name in ["en.xml", "fr.xml", "fa.xml"] {
        std::fs::copy(fixture(name), dir.join(name)).expect("copy fixture");
    }
    let sources = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"en.xml\"\nsection = \"World\"\n\n\
                   [[source]]\nid = \"quotidien\"\nname = \"Le Quotidien\"\nurl = \"fr.xml\"\n\n\
                   [[source]]\nid = \"tehran\"\nname = \"Tehran Daily\"\nurl = \"fa.xml\"\nsection = \"Iran\"\n\n";
    write_config(dir, sources)
}

/// The app over a fresh store, every fixture polled once through ingest.
fn ingested(dir: &Path) -> App {
    crate::support::polled_app(&config_in(dir))
}

fn titles(results: &SearchResults) -> Vec<&str> {
    results.results.iter().map(|r| r.title.as_str()).collect()
}

fn find(app: &App, query: &str) -> Vec<String> {
    let results = app.editorial.search(query, 50).expect("search");
    titles(&results).into_iter().map(str::to_owned).collect()
}

#[test]
fn search_covers_text_quotes_speakers_and_outlets_with_filters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = ingested(dir.path());
    let budget = "Council delays the budget vote";
    let rates = "Central bank holds interest rates";

    assert_eq!(find(&app, "harbour"), [budget], "a word of the article text");
    assert_eq!(find(&app, "\"read the numbers\""), [budget], "a phrase of a quote");
    assert!(find(&app, "\"the numbers read\"").is_empty(), "a phrase is words in order");
    assert_eq!(find(&app, "speaker:\"Ann Mayor\""), [budget]);
    assert_eq!(find(&app, "speaker:banker"), [rates]);
    assert_eq!(find(&app, "outlet:ledger budget").len(), 2, "both Ledger items say budget");
    assert_eq!(find(&app, "budget -speaker:banker"), [budget], "negation of a filter");
    assert_eq!(find(&app, "budget -harbour"), [rates], "negation of a word");
    assert_eq!(find(&app, "budget since:2026-11-10"), [rates]);
    assert_eq!(find(&app, "budget until:2026-11-03"), [budget], "until includes its day");
    assert_eq!(find(&app, "lang:fr ministres"), ["Réunion des ministres à l'Élysée"]);
    assert_eq!(find(&app, "source:quotidien").len(), 1);
    assert_eq!(find(&app, "section:iran").len(), 1, "the source's section, case-insensitive");
    assert!(find(&app, "section:world").contains(&budget.to_owned()));

    // Ranked: the title match first; the snippet marks the words found.
    let results = app.editorial.search("budget", 10).expect("search");
    assert_eq!(results.total, 2);
    assert_eq!(titles(&results)[0], budget, "a title match outranks a passing mention");
    let snippet = &results.results[0].snippet;
    assert!(!snippet.highlights.is_empty());
    let (start, end) = snippet.highlights[0];
    assert_eq!(snippet.text[start..end].to_lowercase(), "budget");

    let warned = app.editorial.search("budget since:someday", 10).expect("search");
    assert_eq!(warned.total, 2, "a bad filter is ignored");
    assert_eq!(warned.warnings.len(), 1, "{:?}", warned.warnings);
}

#[test]
fn edits_and_state_changes_are_searchable_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = ingested(dir.path());
    let id = app.editorial.search("speaker:banker", 1).expect("search").results[0].id.clone();
    assert!(find(&app, "dovish").is_empty());
    let item = app.editorial.item(&id).expect("read").expect("stored");
    let changes =
        EditChanges { commentary: Some(Some("A dovish pause, says our desk.".to_owned())), ..EditChanges::default() };
    let item = app.editorial.edit(&id, item.revision, &changes, "ann", Utc::now()).expect("edit");
    assert_eq!(find(&app, "dovish"), ["Central bank holds interest rates"], "editors' commentary");

    assert!(find(&app, "state:approved").is_empty());
    app.editorial.act(&id, item.revision, Action::Approve, "ann", Utc::now()).expect("approve");
    assert_eq!(find(&app, "state:approved dovish").len(), 1);
    assert!(find(&app, "state:new dovish").is_empty(), "the old state is gone from the index");
}

#[test]
fn persian_and_accented_spellings_find_each_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = ingested(dir.path());
    let majles = "مجلس بودجه را تصويب كرد";
    // The feed writes Arabic yeh and kaf without ZWNJ; editors type Persian letters.
    assert_eq!(find(&app, "تصویب"), [majles]);
    assert_eq!(find(&app, "می‌گوید"), [majles], "ZWNJ in the query, none in the text");
    assert_eq!(find(&app, "پرسشها"), [majles], "ZWNJ in the text, none in the query");
    assert_eq!(find(&app, "\"که دولت باید\""), [majles], "a phrase across both spellings");
    let elysee = "Réunion des ministres à l'Élysée";
    assert_eq!(find(&app, "elysee"), [elysee]);
    assert_eq!(find(&app, "ÉLYSÉE energie"), [elysee]);
    assert_eq!(find(&app, "muller"), [elysee], "German umlaut folded");
    assert_eq!(find(&app, "Jürgen"), [elysee]);
}

#[test]
fn reindex_rebuilds_and_a_lost_index_is_rebuilt_at_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    let fetched = gleaner(&config, &["fetch"]);
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    let count = |query: &str| {
        let output = gleaner(&config, &["search", query, "--json"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).lines().count()
    };
    assert_eq!(count("budget"), 2);
    let folder = dir.path().join("store.sled.search");
    assert!(folder.join("index").is_dir(), "the index sits beside the store");
    assert!(!folder.join("dirty").exists(), "a clean exit leaves no marker");

    std::fs::remove_dir_all(folder.join("index")).expect("remove the index");
    assert_eq!(count("budget"), 2, "rebuilt from the store at open");

    let output = gleaner(&config, &["reindex"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "indexed 4 items");
    let text = gleaner(&config, &["search", "speaker:\"Ann Mayor\""]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Council delays the budget vote"), "{text}");
    assert!(text.contains("[numbers]") || text.contains("[Ann]") || text.contains("[Mayor]"), "{text}");

    let empty = gleaner(&config, &["search", "  "]);
    assert_eq!(empty.status.code(), Some(2), "an empty query is bad usage");
}

#[test]
fn a_store_written_behind_the_index_s_back_is_reconciled_at_the_next_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    assert!(gleaner(&config, &["fetch"]).status.success());
    {
        // What a process killed between its store write and its index update
        // leaves: a stored item the index lacks, and the marker.
        let store = gleaner::store::SledStore::open(&dir.path().join("store.sled")).expect("store");
        let entry = crate::support::items::entry("ledger", "late", "Late harbour story", "<p>Ferries.</p>", 0, "en");
        store.upsert_items(&[entry]).expect("upsert");
        gleaner::store::OpsStore::flush(&store).expect("flush");
        std::fs::write(dir.path().join("store.sled.search/dirty"), b"").expect("marker");
    }
    let output = gleaner(&config, &["search", "harbour", "--json"]);
    let lines = String::from_utf8_lossy(&output.stdout).lines().count();
    assert_eq!(lines, 2, "the new item is found: {}", String::from_utf8_lossy(&output.stderr));
}

/// The service's start: the comparison with the store runs after `open`
/// returns (a large archive would hold the start for seconds), and still
/// finds what was written behind the index's back. A one-shot open after a
/// clean stop does not compare at all.
#[test]
fn the_service_reconciles_in_the_background_and_a_clean_one_shot_open_not_at_all() {
    use gleaner::search::{Check, Search, SyncReport};

    let dir = tempfile::tempdir().expect("temp dir");
    let (folder, store) = fetched_store(dir.path());
    let entry = crate::support::items::entry("ledger", "late", "Late zeppelin story", "<p>Airships.</p>", 0, "en");
    store.upsert_items(&[entry]).expect("upsert");
    let zeppelin = |search: &Search| search.search("zeppelin", &HashMap::default(), 10).expect("search").total;

    let (search, report) = Search::open(&folder, Arc::clone(&store), Check::IfDirty).expect("open");
    assert_eq!(report, SyncReport::default(), "a clean stop: nothing compared");
    assert_eq!(zeppelin(&search), 0);
    drop(search);

    let (search, report) = Search::open(&folder, Arc::clone(&store), Check::InBackground).expect("open");
    assert_eq!(report, SyncReport::default(), "nothing done before open returns");
    let started = Instant::now();
    while zeppelin(&search) == 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(zeppelin(&search), 1, "the background comparison indexed the item");
}

/// The service's updates wait for a window and commit together; a search
/// commits what waits first, the marker stays while anything may wait, and
/// the last handle's drop commits the rest.
#[test]
fn deferred_updates_wait_for_their_window_but_never_hide_from_a_search() {
    use gleaner::search::{Check, Search};

    let dir = tempfile::tempdir().expect("temp dir");
    let (folder, store) = fetched_store(dir.path());
    let add = |guid: &str, title: &str| {
        let entry = crate::support::items::entry("ledger", guid, title, "<p>Quay.</p>", 0, "en");
        store.upsert_items(&[entry]).expect("upsert").new
    };
    let total = |search: &Search, word: &str| search.search(word, &HashMap::default(), 10).expect("search").total;

    let (search, _) = Search::open(&folder, Arc::clone(&store), Check::IfDirty).expect("open");
    search.defer_updates(Duration::from_millis(300));
    let before = search.len();
    search.update(&add("a", "Harbour story"));
    assert_eq!(search.len(), before, "waits for its window");
    assert!(folder.join("dirty").exists(), "the marker covers what waits");
    let started = Instant::now();
    while search.len() == before && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(search.len(), before + 1, "committed once the window passed");

    search.update(&add("b", "Lighthouse story"));
    assert_eq!(total(&search, "lighthouse"), 1, "a search commits what waits first");

    search.update(&add("c", "Lantern story"));
    drop(search);
    // The commit thread may hold the last handle for a moment: the drop is then its.
    let started = Instant::now();
    while folder.join("dirty").exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!folder.join("dirty").exists(), "a clean drop commits and removes the marker");
    // Its index writer goes with that drop too: retry until it has.
    let reopened = loop {
        match Search::open(&folder, Arc::clone(&store), Check::IfDirty) {
            Ok(reopened) => break reopened,
            Err(error) if started.elapsed() > Duration::from_secs(10) => panic!("reopen: {error}"),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let (search, report) = reopened;
    assert_eq!(report.indexed, 0, "nothing to reconcile");
    assert_eq!(total(&search, "lantern"), 1, "the drop committed the waiting update");
}

#[test]
fn killed_mid_ingest_the_index_matches_the_store_at_the_next_start() {
    const SOURCES: usize = 16;
    let killed = KilledFetch::run(SOURCES, "Harbour story");
    let config = &killed.config;

    let counts = || {
        let items = gleaner(config, &["items", "--json"]);
        assert!(items.status.success(), "the store reopens: {}", String::from_utf8_lossy(&items.stderr));
        let found = gleaner(config, &["search", "harbour", "--json", "--limit", "1000"]);
        assert!(found.status.success(), "the index reopens: {}", String::from_utf8_lossy(&found.stderr));
        (String::from_utf8_lossy(&items.stdout).lines().count(), String::from_utf8_lossy(&found.stdout).lines().count())
    };
    let (stored, found) = counts();
    assert!(stored < SOURCES * ITEMS_PER_FEED, "the kill came before the poll finished");
    assert_eq!(found, stored, "every stored item is searchable after the kill");

    killed.speed_up();
    assert!(gleaner(config, &["fetch"]).status.success());
    assert_eq!(
        counts(),
        (SOURCES * ITEMS_PER_FEED, SOURCES * ITEMS_PER_FEED),
        "a rerun completes store and index alike"
    );
}

/// The review UI over the app's editorial (with its index), logged in as "ann".
fn ui(app: &App) -> (Router, String, String) {
    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let (session, csrf) = crate::ui::ann_session(&state, &app.store);
    (review::routes(state), format!("gleaner_session={session}"), csrf)
}

async fn get(router: &Router, cookie: &str, path: &str) -> (StatusCode, String) {
    let request = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn query_path(q: &str, state: &str) -> String {
    let query =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("state", state).append_pair("q", q).finish();
    format!("/queue?{query}")
}

#[tokio::test]
async fn the_queue_search_box_uses_the_index_with_snippets_and_saved_views() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || ingested(&path)).await.expect("ingest");
    let (router, cookie, csrf) = ui(&app);

    let (status, body) = get(&router, &cookie, &query_path("speaker:\"Ann Mayor\"", "")).await;
    assert_eq!(status, StatusCode::OK);
    let html = scraper::Html::parse_document(&body);
    let rows: Vec<String> =
        html.select(&scraper::Selector::parse(".rows .title").expect("selector")).map(|e| e.text().collect()).collect();
    assert_eq!(rows, ["Council delays the budget vote"], "a speaker, which the old search never saw");
    let marks: Vec<String> = html
        .select(&scraper::Selector::parse(".snippet mark").expect("selector"))
        .map(|e| e.text().collect())
        .collect();
    assert!(!marks.is_empty(), "the match is highlighted: {body}");

    // A quote's words, and Persian across spellings, from the same box.
    let (_, body) = get(&router, &cookie, &query_path("\"too high for a cut\"", "all")).await;
    assert!(body.contains("Central bank holds interest rates"));
    let (_, body) = get(&router, &cookie, &query_path("تصویب", "all")).await;
    assert!(body.contains("تصويب"), "{body}");
    // Hostile markup in a query is shown inert.
    let (_, body) = get(&router, &cookie, &query_path("<script>alert(1)</script>", "all")).await;
    assert!(!body.contains("<script>alert(1)"));

    // Save the search as a view; the queue lists it and it reopens the search.
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("name", "Mayor's words")
        .append_pair("q", "speaker:\"Ann Mayor\"")
        .append_pair("back", "/queue")
        .finish();
    let request = Request::post("/queue/views")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().expect("location").to_owned();
    let (_, body) = get(&router, &cookie, "/queue").await;
    let html = scraper::Html::parse_document(&body);
    let link = html
        .select(&scraper::Selector::parse(".view-list a").expect("selector"))
        .find(|a| a.text().collect::<String>() == "Mayor's words")
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .expect("the view is listed");
    assert_eq!(link, location);
    let (_, body) = get(&router, &cookie, &link).await;
    assert!(body.contains("Council delays the budget vote"));
    assert!(!body.contains("Central bank holds interest rates"));
    assert_eq!(
        app.search.as_ref().expect("the service keeps a search index").views().expect("views").len(),
        1,
        "kept beside the index"
    );
}

/// A store `gleaner fetch` filled from our fixtures in `dir`, opened here
/// after the command's clean stop, and the search folder beside it.
fn fetched_store(dir: &Path) -> (PathBuf, Arc<dyn gleaner::store::Store>) {
    let config = config_in(dir);
    assert!(gleaner(&config, &["fetch"]).status.success());
    let store = gleaner::store::SledStore::open(&dir.join("store.sled")).expect("store");
    (dir.join("store.sled.search"), Arc::new(store))
}

/// A poll's items are read into the index a bounded amount of text at a
/// time (issue 11.14): items whose content passes that bound across one
/// update are all indexed, whichever part each fell in.
#[test]
fn an_update_of_big_items_indexes_every_one_of_them() {
    use gleaner::search::{Check, Search};

    let dir = tempfile::tempdir().expect("temp dir");
    let (folder, store) = fetched_store(dir.path());
    let body = format!("<p>{}</p>", "Tide tables and harbour dues. ".repeat(70_000));
    let words = ["Anchor", "Bollard", "Capstan", "Davit"];
    let ids: Vec<_> = words
        .iter()
        .flat_map(|word| {
            let entry = crate::support::items::entry("ledger", word, &format!("{word} story"), &body, 0, "en");
            store.upsert_items(&[entry]).expect("upsert").new
        })
        .collect();
    assert_eq!(ids.len(), words.len());
    let (search, _) = Search::open(&folder, Arc::clone(&store), Check::IfDirty).expect("open");
    search.update(&ids);
    for word in words {
        let found = search.search(&word.to_lowercase(), &HashMap::default(), 10).expect("search").total;
        assert_eq!(found, 1, "{word}");
    }
}
