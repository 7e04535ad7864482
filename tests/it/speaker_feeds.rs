//! Per-speaker published feeds (issue 16.2): ingested fixture feeds quote
//! Ann Mayor and Bob Banker; only Ann is opted in (`[publish]
//! speaker_feeds`). Publishing writes exactly her three files with exactly
//! her quotes from published issues, keeps entry ids across a second
//! issue, serves them under `/feeds/speakers/` on loopback, and links them
//! from her speaker page.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gleaner::app::App;
use gleaner::model::{EditorFields, ReviewState};
use gleaner::publish::PublishOutcome;
use gleaner::publish::write::DirOutput;
use gleaner::store::ItemQuery;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use tower::ServiceExt as _;

use crate::ingest::write_config;
use crate::web::Server;

fn app_in(dir: &Path) -> App {
    for name in ["en.xml", "wire.xml"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search").join(name);
        std::fs::copy(from, dir.join(name)).expect("copy fixture");
    }
    let rest = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"en.xml\"\n\n\
                [[source]]\nid = \"wire\"\nname = \"City Wire\"\nurl = \"wire.xml\"\n\n\
                [publish]\ntitle = \"Test Digest\"\noutput_dir = \"feeds\"\nspeaker_feeds = [\"ann-mayor\"]\n";
    crate::support::polled_app(&write_config(dir, rest))
}

/// Approves the item with `guid`, choosing every quote it has.
fn approve(app: &App, guid: &str) {
    let items = app.store.items(&ItemQuery::default()).expect("items");
    let item = items.iter().find(|i| i.guid.as_deref() == Some(guid)).unwrap_or_else(|| panic!("no {guid}"));
    let quotes = app.store.quotes(&item.id).expect("quotes");
    assert!(!quotes.is_empty(), "{guid} has a quote");
    let editor = EditorFields { quote_ids: quotes.iter().map(|q| q.id.clone()).collect(), ..EditorFields::default() };
    app.store.update_editorial(&item.id, item.revision, ReviewState::Approved, &editor).expect("approve");
}

fn publish(app: &App, output: &Path, day: u32) -> PublishOutcome {
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, day, 9, 0, 0).single().expect("time");
    app.publisher.publish_next(app.store.as_ref(), &DirOutput::new(output), now, false).expect("publish")
}

fn speaker_files(output: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(output.join("speakers"))
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// (id, link, summary) of each entry, read back by feed-rs.
fn entries(output: &Path, file: &str) -> Vec<(String, String, String)> {
    let bytes = std::fs::read(output.join("speakers").join(file)).expect("feed written");
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{file} parses: {e}"));
    feed.entries
        .into_iter()
        .map(|e| {
            let link = e.links.first().map(|l| l.href.clone()).unwrap_or_default();
            (e.id, link, e.summary.map(|s| s.content).unwrap_or_default())
        })
        .collect()
}

#[test]
fn only_the_opted_in_speaker_gets_feeds_with_her_published_quotes_and_stable_ids() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app_in(dir.path());
    let output = dir.path().join("feeds");
    // Ann Mayor's and Bob Banker's quotes both go out in issue 1.
    approve(&app, "ledger-budget");
    approve(&app, "ledger-rates");
    let PublishOutcome::Issue(report) = publish(&app, &output, 20) else { panic!("issue 1") };
    assert_eq!(speaker_files(&output), ["ann-mayor.atom", "ann-mayor.json", "ann-mayor.xml"], "Bob is not opted in");
    let index = report.files.iter().position(|f| f == "index.html").expect("index written");
    assert_eq!(index, report.files.len() - 1, "the index still goes last: {:?}", report.files);
    assert!(report.files.contains(&"speakers/ann-mayor.xml".to_owned()));

    for file in ["ann-mayor.xml", "ann-mayor.atom", "ann-mayor.json"] {
        let first = entries(&output, file);
        assert_eq!(first.len(), 1, "{file}: {first:?}");
        let (id, link, summary) = &first[0];
        assert!(id.starts_with("urn:gleaner:issue:1#quote-"), "{file}: {id}");
        assert_eq!(link, "http://example.org/budget", "{file}: the article");
        assert!(summary.starts_with("Ann Mayor, in Daily Ledger: “We need more time"), "{file}: {summary}");
        assert!(!summary.contains("Inflation"), "{file}: Bob's words stay out");
    }
    let rss = rss::Channel::read_from(std::fs::read(output.join("speakers/ann-mayor.xml")).expect("read").as_slice())
        .expect("the RSS crate reads it");
    assert_eq!(rss.title, "Test Digest: Ann Mayor");
    let first_id = entries(&output, "ann-mayor.xml")[0].0.clone();

    // Issue 2: another of Ann's quotes, newest first; issue 1's entry keeps its id.
    approve(&app, "wire-bridge");
    let PublishOutcome::Issue(_) = publish(&app, &output, 27) else { panic!("issue 2") };
    assert_eq!(speaker_files(&output).len(), 3);
    for file in ["ann-mayor.xml", "ann-mayor.atom", "ann-mayor.json"] {
        let both = entries(&output, file);
        let links: Vec<&str> = both.iter().map(|(_, link, _)| link.as_str()).collect();
        assert_eq!(links, ["http://example.org/wire/bridge", "http://example.org/budget"], "{file}");
        assert!(both[0].0.starts_with("urn:gleaner:issue:2#quote-"), "{file}: {both:?}");
        assert_eq!(both[1].0, first_id, "{file}: a republish never changes an entry's id");
    }
    let digest = std::fs::read_to_string(output.join("digest.xml")).expect("digest");
    assert!(digest.contains("urn:gleaner:issue:2") && !digest.contains("#quote-"), "the digest lists issues only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speaker_feeds_are_served_on_loopback_and_linked_from_the_speaker_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || {
        let app = app_in(&path);
        approve(&app, "ledger-budget");
        approve(&app, "ledger-rates");
        publish(&app, &path.join("feeds"), 20);
        app
    })
    .await
    .expect("publish");
    let output = dir.path().join("feeds");

    let folder = output.clone();
    let responses = tokio::task::spawn_blocking(move || {
        let server = Server::start(&folder);
        ["/feeds/speakers/ann-mayor.xml", "/feeds/speakers/ann-mayor.json", "/feeds/speakers/bob-banker.xml"]
            .map(|path| server.get(path, &[]))
            .into_iter()
            .chain([
                server.get("/feeds/speakers/..%2Fdigest.xml", &[]),
                server.get("/feeds/speakers/ann-mayor.txt", &[]),
            ])
            .collect::<Vec<_>>()
    })
    .await
    .expect("server");
    let (status, headers, body) = &responses[0];
    assert_eq!(*status, reqwest::StatusCode::OK);
    assert_eq!(headers[reqwest::header::CONTENT_TYPE], "application/rss+xml; charset=utf-8");
    assert_eq!(body, &std::fs::read(output.join("speakers/ann-mayor.xml")).expect("file"));
    assert!(headers.contains_key(reqwest::header::ETAG));
    assert_eq!(responses[1].1[reqwest::header::CONTENT_TYPE], "application/feed+json; charset=utf-8");
    for (status, _, _) in &responses[2..] {
        assert_eq!(*status, reqwest::StatusCode::NOT_FOUND, "not opted in, or not a speaker feed name");
    }

    let preview = Preview::new(Arc::clone(&app.publisher), Arc::clone(&app.store));
    let state = UiState::new(app.editorial.clone(), Pages::builtin(), preview, UiOptions::default());
    let (session, _) = crate::ui::ann_session(&state, &app.store);
    let router = review::routes(state);
    let page = |path: &'static str| {
        let request = Request::get(path)
            .header(header::COOKIE, format!("gleaner_session={session}"))
            .body(Body::empty())
            .expect("request");
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.expect("response");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
            String::from_utf8_lossy(&body).into_owned()
        }
    };
    let ann = scraper::Html::parse_document(&page("/speakers/ann-mayor").await);
    let links: Vec<&str> = ann
        .select(&scraper::Selector::parse(".speaker-feed a").expect("selector"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(
        links,
        ["/feeds/speakers/ann-mayor.xml", "/feeds/speakers/ann-mayor.atom", "/feeds/speakers/ann-mayor.json"]
    );
    let bob = page("/speakers/bob-banker").await;
    assert!(!bob.contains("speaker-feed"), "no link for a speaker without a feed");
}
