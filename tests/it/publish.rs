//! Integration tests: composing and rendering a digest issue in every format
//! (snapshots, then parsed back and checked against each spec), and the
//! publish use-case against a real sled store: numbering, nothing approved,
//! interruption at every write, the `WebSub` ping, `check` on broken templates.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use gleaner::config::PublishSettings;
use gleaner::model::{EditorFields, Issue, Item, ItemId, Quote, QuoteKind, ReviewState};
use gleaner::publish::compose::{self, Candidate};
use gleaner::publish::render::{self, Renderer};

/// 2026-11-24 09:00 UTC: every date in the fixed issue.
pub(crate) fn fixed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).single().expect("valid time")
}

pub fn settings(output_dir: &Path) -> PublishSettings {
    let mut settings = PublishSettings::defaults(Path::new("/srv/gleaner/config"));
    "Iran Interlink Weekly Digest".clone_into(&mut settings.title);
    settings.first_number = 266;
    settings.output_dir = output_dir.to_path_buf();
    settings.base_url = url::Url::parse("https://example.org/digest/").ok();
    settings.sections = vec!["Main".to_owned(), "Empty".to_owned(), "In English".to_owned()];
    "The week's news, annotated.".clone_into(&mut settings.description);
    settings.language = Some("en".to_owned());
    settings.websub_hub = url::Url::parse("https://hub.example.org/").ok();
    settings
}

pub(crate) fn item(slug: &str, title: &str, hours_before: i64, editor: EditorFields) -> Item {
    let published = fixed_time() - chrono::TimeDelta::hours(hours_before);
    Item {
        id: ItemId::derive("wire", slug),
        sources: vec!["wire".to_owned()],
        guid: Some(slug.to_owned()),
        url: Some(format!("https://news.example.net/{slug}")),
        title: title.to_owned(),
        authors: Vec::new(),
        published,
        published_is_fetch_time: false,
        updated: None,
        summary: String::new(),
        content: String::new(),
        text: String::new(),
        language: Some("en".to_owned()),
        byline: None,
        outlet: Some("News Example".to_owned()),
        extracted_at: None,
        extraction_note: None,
        extracted_for: None,
        quote_count: 0,
        link_count: 0,
        content_hash: "h".to_owned(),
        first_seen: published,
        fetched_at: published,
        state: ReviewState::Approved,
        editor,
        revision: 1,
        story: None,
    }
}

pub fn quote(id: &str, text: &str, speaker: Option<&str>, outlet: Option<&str>, via: Option<&str>) -> Quote {
    Quote {
        id: id.to_owned(),
        text: text.to_owned(),
        speaker: speaker.map(str::to_owned),
        speaker_mention: None,
        cue: Some("said".to_owned()),
        outlet: outlet.map(str::to_owned),
        via: via.map(str::to_owned),
        kind: QuoteKind::Inline,
        start: 0,
        end: text.chars().count(),
        context: text.to_owned(),
        confidence: 0.9,
    }
}

pub(crate) fn editor(
    headline: &str,
    commentary: &str,
    quote_ids: &[&str],
    section: Option<&str>,
    position: u32,
) -> EditorFields {
    EditorFields {
        headline: Some(headline.to_owned()),
        commentary: Some(commentary.to_owned()),
        quote_ids: quote_ids.iter().map(|q| (*q).to_owned()).collect(),
        section: section.map(str::to_owned),
        position: Some(position),
        ..EditorFields::default()
    }
}

/// Three items, two sections (the configured "Empty" one stays empty),
/// attribution with and without speaker and with a via-outlet, hostile
/// markup in commentary and quotes, a relative link to absolutize.
fn fixture() -> (Vec<Item>, Vec<Vec<Quote>>) {
    let items = vec![
        item(
            "rajavi-audio",
            "Audio of Rajavi surfaces",
            30,
            editor(
                "An audio from Massoud Rajavi endorses the assassination",
                "<p>Most MEK supporters doubt the <a href=\"/mek/audio\">audio</a> is genuine.\
                 <script>alert('x')</script><img src=x onerror=\"alert(1)\"></p>",
                &["q-rajavi", "q-anon"],
                None,
                1,
            ),
        ),
        item(
            "pompeo-cable",
            "Pompeo ordered officials not to engage",
            20,
            editor(
                "Pompeo ordered officials to cut ties with the MEK",
                "According to Nick Wadhams in Bloomberg.\n\nThe cable is quoted below.",
                &["q-cable"],
                Some("In English"),
                2,
            ),
        ),
        item(
            "coffin",
            "Regime change is now in its coffin",
            10,
            editor(
                "Regime change is in its coffin",
                "Massoud Khodabandeh in Responsible Statecraft & The Iranian.",
                &["q-coffin", "q-hostile"],
                Some("In English"),
                1,
            ),
        ),
    ];
    let quotes = vec![
        vec![
            quote(
                "q-rajavi",
                "Now you have bombed the convoy, hit them in Iran",
                Some("Massoud Rajavi"),
                Some("Mojahedin"),
                None,
            ),
            quote("q-anon", "We have a thousand questions after this", None, Some("Iran Interlink"), None),
            quote("q-unchosen", "Not chosen by the editor", Some("Nobody"), None, None),
        ],
        vec![quote(
            "q-cable",
            "Direct U.S. government engagement with these groups could prove counterproductive",
            Some("A State Department cable"),
            Some("Bloomberg"),
            Some("Reuters"),
        )],
        vec![
            quote("q-coffin", "Regime change is now in its coffin", Some("Massoud Khodabandeh"), None, None),
            quote(
                "q-hostile",
                "<script>alert(\"quote\")</script> & more",
                Some("Troll"),
                Some("<b>Evil</b> Outlet"),
                None,
            ),
        ],
    ];
    (items, quotes)
}

/// The fixed issue 266 with its settings and renderer.
pub(crate) fn fixed_issue() -> (Issue, PublishSettings, Renderer) {
    let settings = settings(Path::new("/srv/gleaner/feeds"));
    let renderer = Renderer::builtin();
    let (items, quotes) = fixture();
    let candidates: Vec<Candidate<'_>> = items
        .iter()
        .zip(&quotes)
        .map(|(item, quotes)| Candidate { item, quotes, source_section: None, source_name: Some("Wire"), cited: &[] })
        .collect();
    let composition = compose::compose(&settings, 266, &candidates, fixed_time());
    let body = renderer.body(&composition, &settings).expect("body renders");
    (composition.into_draft(body), settings, renderer)
}

#[test]
fn snapshot_issue_body_html() {
    let (issue, _, _) = fixed_issue();
    insta::assert_snapshot!("issue_body_html", issue.html);
}

#[test]
fn snapshot_issue_page_html() {
    let (issue, settings, renderer) = fixed_issue();
    insta::assert_snapshot!("issue_page_html", renderer.issue_page(&issue, &settings).expect("renders"));
}

#[test]
fn snapshot_index_html() {
    let (issue, settings, renderer) = fixed_issue();
    insta::assert_snapshot!("index_html", renderer.index(&[&issue], &settings).expect("renders"));
}

#[test]
fn snapshot_rss() {
    let (issue, settings, _) = fixed_issue();
    insta::assert_snapshot!("rss", render::rss(&[&issue], &settings));
}

#[test]
fn snapshot_atom() {
    let (issue, settings, renderer) = fixed_issue();
    insta::assert_snapshot!("atom", renderer.atom(&[&issue], &settings).expect("renders"));
}

#[test]
fn snapshot_json_feed() {
    let (issue, settings, _) = fixed_issue();
    insta::assert_snapshot!("json_feed", render::json_feed(&[&issue], &settings));
}

#[test]
fn sections_follow_the_configured_order_and_empty_ones_are_omitted() {
    let (issue, _, _) = fixed_issue();
    let names: Vec<&str> = issue.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Main", "In English"]);
    // Within a section, the editors' positions decide.
    let english = &issue.sections[1].items;
    assert_eq!(english, &[ItemId::derive("wire", "coffin"), ItemId::derive("wire", "pompeo-cable")]);
    let main = issue.html.find("<h2 dir=\"auto\">Main</h2>").expect("main heading");
    let in_english = issue.html.find("<h2 dir=\"auto\">In English</h2>").expect("second heading");
    assert!(main < in_english);
    assert!(!issue.html.contains("Empty"));
    assert_eq!(issue.title, "Iran Interlink Weekly Digest – 266");
}

#[test]
fn a_section_only_an_editor_named_comes_after_the_configured_ones() {
    let settings = settings(Path::new("/tmp"));
    let extra = item("x", "Extra", 1, editor("Extra", "", &[], Some("Letters"), 1));
    let main = item("y", "Main item", 2, editor("Main item", "", &[], None, 1));
    let candidates = [
        Candidate { item: &extra, quotes: &[], source_section: None, source_name: None, cited: &[] },
        Candidate { item: &main, quotes: &[], source_section: None, source_name: None, cited: &[] },
    ];
    let composition = compose::compose(&settings, 1, &candidates, fixed_time());
    let names: Vec<&str> = composition.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Main", "Letters"]);
}

#[test]
fn quotes_are_attributed_with_and_without_speaker_and_with_via() {
    let (issue, _, _) = fixed_issue();
    let html = &issue.html;
    // Speaker and outlet isolated in <bdi>, so a name in another script cannot reorder the line.
    assert!(html.contains("<bdi>Massoud Rajavi</bdi>, in <bdi>Mojahedin</bdi>: “Now you have bombed"), "{html}");
    assert!(html.contains("In <bdi>Iran Interlink</bdi>: “We have a thousand questions"), "{html}");
    assert!(
        html.contains(
            "<bdi>A State Department cable</bdi>, in <bdi>Bloomberg</bdi> (via <bdi>Reuters</bdi>): “Direct U.S."
        ),
        "{html}"
    );
    // No outlet on the quote: the item's outlet stands in.
    assert!(html.contains("<bdi>Massoud Khodabandeh</bdi>, in <bdi>News Example</bdi>: “Regime change"), "{html}");
    assert!(!html.contains("Not chosen by the editor"), "only the editor's quotes");
    // The editor's order of quotes, then the link to the source.
    assert!(html.find("q-rajavi").is_none(), "ids are not shown");
    assert!(html.contains("<a href=\"https://news.example.net/rajavi-audio\""), "{html}");
}

#[test]
fn an_editors_correction_of_speaker_and_outlet_is_shown() {
    let settings = settings(Path::new("/tmp"));
    let mut fields = editor("Headline", "", &["q1"], None, 1);
    fields.quote_overrides.insert(
        "q1".to_owned(),
        gleaner::model::QuoteOverride {
            speaker: Some("Ali Vaez".to_owned()),
            outlet: Some("Crisis Group".to_owned()),
            text: None,
        },
    );
    let corrected = item("x", "Title", 1, fields);
    let quotes = [quote("q1", "Words", Some("Wrong Guess"), Some("Wrong Outlet"), None)];
    let candidates =
        [Candidate { item: &corrected, quotes: &quotes, source_section: None, source_name: None, cited: &[] }];
    let composition = compose::compose(&settings, 1, &candidates, fixed_time());
    let shown = &composition.sections[0].entries[0].quotes[0];
    assert_eq!(shown.attribution, "Ali Vaez, in Crisis Group");
}

#[test]
fn hostile_html_in_commentary_and_quotes_is_neutralized() {
    let (issue, settings, renderer) = fixed_issue();
    let page = renderer.issue_page(&issue, &settings).expect("renders");
    for html in [&issue.html, &page] {
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("<b>Evil</b>"), "{html}");
    }
    assert!(issue.html.contains("&lt;script&gt;alert("), "quote text shown as text: {}", issue.html);
    // The commentary's relative link is made absolute against its base URL.
    assert!(issue.html.contains("href=\"https://example.org/mek/audio\""), "{}", issue.html);
    // Plain-text commentary is escaped and split into paragraphs.
    assert!(issue.html.contains("<p>Massoud Khodabandeh in Responsible Statecraft &amp; The Iranian.</p>"));
    assert!(issue.html.contains("<p>According to Nick Wadhams in Bloomberg.</p><p>The cable is quoted below.</p>"));
}

pub(crate) fn parse_feed(bytes: &str) -> feed_rs::model::Feed {
    feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .build()
        .parse(bytes.as_bytes())
        .unwrap_or_else(|e| panic!("feed parses back: {e}\n{bytes}"))
}

#[test]
fn rss_parses_back_with_what_rss_2_requires() {
    let (issue, settings, _) = fixed_issue();
    let xml = render::rss(&[&issue], &settings);
    let feed = parse_feed(&xml);
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(feed.title.as_ref().map(|t| t.content.as_str()), Some("Iran Interlink Weekly Digest"));
    assert_eq!(feed.language.as_deref(), Some("en"));
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.id, "https://example.org/digest/issues/266.html");
    assert_eq!(entry.published, Some(fixed_time()));
    assert_eq!(entry.links[0].href, "https://example.org/digest/issues/266.html");
    assert!(
        entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .is_some_and(|b| b.contains("<h2 dir=\"auto\">Main</h2>"))
    );
    let summary = entry.summary.as_ref().map(|s| s.content.as_str()).unwrap_or_default();
    assert!(!summary.contains('<'), "plain-text description: {summary}");
    // What feed-rs does not expose, checked in the XML itself.
    for needle in [
        "<guid isPermaLink=\"false\">",
        "<atom:link href=\"https://example.org/digest/digest.xml\" rel=\"self\" type=\"application/rss+xml\"/>",
        "<atom:link href=\"https://hub.example.org/\" rel=\"hub\"/>",
        "<lastBuildDate>Tue, 24 Nov 2026 09:00:00 +0000</lastBuildDate>",
        "<pubDate>Tue, 24 Nov 2026 09:00:00 +0000</pubDate>",
        "<content:encoded>",
        "<description>The week&apos;s news, annotated.</description>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
}

#[test]
fn atom_parses_back_with_what_rfc_4287_requires() {
    let (issue, settings, renderer) = fixed_issue();
    let xml = renderer.atom(&[&issue], &settings).expect("renders");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{xml}");
    let feed = parse_feed(&xml);
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    // §4.1.1: a feed has exactly one id, title and updated; an author (here at feed level).
    assert_eq!(feed.id, "https://example.org/digest/digest.atom");
    assert_eq!(feed.updated, Some(fixed_time()));
    assert_eq!(feed.authors.len(), 1);
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self") && l.href.ends_with("digest.atom")));
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("hub")));
    let entry = &feed.entries[0];
    assert_eq!(entry.id, "https://example.org/digest/issues/266.html");
    assert_eq!(entry.title.as_ref().map(|t| t.content.as_str()), Some("Iran Interlink Weekly Digest – 266"));
    assert_eq!(entry.updated, Some(fixed_time()));
    let content = entry.content.as_ref().and_then(|c| c.body.as_deref()).unwrap_or_default();
    assert_eq!(content, issue.html, "content type=html round-trips to the body");
}

#[test]
fn json_feed_parses_back_with_what_json_feed_1_1_requires() {
    let (issue, settings, _) = fixed_issue();
    let text = render::json_feed(&[&issue], &settings);
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["title"], "Iran Interlink Weekly Digest");
    assert_eq!(json["feed_url"], "https://example.org/digest/digest.json");
    assert_eq!(json["language"], "en");
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    let item = &json["items"][0];
    assert_eq!(item["id"], "https://example.org/digest/issues/266.html");
    assert_eq!(item["content_html"], issue.html.as_str());
    let published = item["date_published"].as_str().expect("date");
    assert_eq!(DateTime::parse_from_rfc3339(published).expect("RFC 3339"), fixed_time());
    // feed-rs reads JSON Feed too: a second, independent parse.
    assert_eq!(parse_feed(&text).entries.len(), 1);
}

#[test]
fn rendering_the_same_issue_twice_gives_identical_bytes() {
    let (issue, settings, renderer) = fixed_issue();
    assert_eq!(render::rss(&[&issue], &settings), render::rss(&[&issue], &settings));
    assert_eq!(renderer.atom(&[&issue], &settings).ok(), renderer.atom(&[&issue], &settings).ok());
    let (again, _, _) = fixed_issue();
    assert_eq!(issue, again);
}

// ---------------------------------------------------------------- use-case

pub(crate) mod use_case {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use gleaner::model::{IssueState, Link, NewItem, Source};
    use gleaner::publish::write::{DirOutput, Output, WriteError};
    use gleaner::publish::{IssueReport, PublishError, PublishOutcome, Publisher};
    use gleaner::store::{EditorialStore, Extraction, IssueStore, ItemQuery, ItemStore, SledStore, Store};

    use crate::support::store::{Fault, FaultyStore};

    use super::*;

    /// A store with `n` items from source `wire`, each with two quotes.
    pub(crate) fn stored_items(store: &dyn Store, prefix: &str, n: usize) -> Vec<ItemId> {
        let new: Vec<NewItem> = (0..n)
            .map(|i| NewItem {
                source_id: "wire".to_owned(),
                guid: Some(format!("{prefix}-{i}")),
                url: Some(format!("https://news.example.net/{prefix}/{i}")),
                title: format!("Story {prefix} {i}"),
                authors: Vec::new(),
                published: fixed_time() - chrono::TimeDelta::hours(i64::try_from(i).unwrap_or(0)),
                published_is_fetch_time: false,
                updated: None,
                summary: String::new(),
                content: String::new(),
                language: Some("en".to_owned()),
                fetched_at: fixed_time(),
            })
            .collect();
        store.upsert_items(&new).expect("upsert");
        let ids: Vec<ItemId> = new.iter().map(NewItem::id).collect();
        for (i, id) in ids.iter().enumerate() {
            let extraction = Extraction {
                content_hash: new[i].content_hash(),
                text: "Text.".to_owned(),
                byline: None,
                outlet: Some("News Example".to_owned()),
                language: None,
                quotes: vec![
                    quote(&format!("q{i}a"), "First words", Some("Speaker A"), Some("News Example"), None),
                    quote(&format!("q{i}b"), "Second words", None, Some("News Example"), None),
                ],
                links: Vec::<Link>::new(),
                extracted_at: fixed_time(),
                note: None,
            };
            store.put_extraction(id, &extraction).expect("extraction");
        }
        ids
    }

    pub(crate) fn approve(store: &dyn Store, ids: &[ItemId]) {
        for (i, id) in ids.iter().enumerate() {
            let item = store.item(id).expect("read").expect("stored");
            let editor = EditorFields {
                headline: Some(format!("Headline {i}")),
                commentary: Some(format!("Commentary {i}")),
                quote_ids: vec![format!("q{i}a"), format!("q{i}b")],
                section: if i % 2 == 0 { None } else { Some("In English".to_owned()) },
                position: Some(u32::try_from(i).unwrap_or(0)),
                ..EditorFields::default()
            };
            store.update_editorial(id, item.revision, ReviewState::Approved, &editor).expect("approve");
        }
    }

    pub(crate) fn publisher(dir: &Path) -> Publisher {
        let sources: Vec<Source> = Vec::new();
        Publisher::new(settings(dir), Renderer::builtin(), &sources)
    }

    pub(crate) fn issue_report(outcome: PublishOutcome) -> IssueReport {
        match outcome {
            PublishOutcome::Issue(report) => report,
            PublishOutcome::NothingApproved => panic!("expected an issue"),
        }
    }

    fn read(dir: &Path, file: &str) -> String {
        std::fs::read_to_string(dir.join(file)).unwrap_or_default()
    }

    #[test]
    fn numbering_starts_at_first_number_then_counts_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::temporary().expect("store");
        let publisher = publisher(dir.path());
        let output = DirOutput::new(dir.path());
        let first = stored_items(&store, "a", 3);
        approve(&store, &first);
        let report = issue_report(publisher.publish_next(&store, &output, fixed_time(), false).expect("publish"));
        assert_eq!((report.number, report.items, report.resumed), (266, 3, false));
        assert_eq!(report.sections, [("Main".to_owned(), 2), ("In English".to_owned(), 1)]);

        let second = stored_items(&store, "b", 2);
        approve(&store, &second);
        let later = fixed_time() + chrono::TimeDelta::days(7);
        let report = issue_report(publisher.publish_next(&store, &output, later, false).expect("publish"));
        assert_eq!(report.number, 267);

        let issues = store.issues().expect("issues");
        assert_eq!(
            issues.iter().map(|i| (i.number, i.state)).collect::<Vec<_>>(),
            [(266, IssueState::Published), (267, IssueState::Published)]
        );
        // Each issue's period runs from its oldest to its newest item (the
        // "b" items were published 0 and 1 hours before the fixed time).
        let hour = chrono::TimeDelta::hours(1);
        assert_eq!((issues[1].period.start, issues[1].period.end), (fixed_time() - hour, fixed_time()));
        assert_eq!((issues[0].period.start, issues[0].period.end), (fixed_time() - hour * 2, fixed_time()));
        let moved = store.items(&ItemQuery { state: Some(ReviewState::Published), ..ItemQuery::default() });
        assert_eq!(moved.expect("list").len(), 5);
        // Newest first in the feeds; the archive lists both.
        let rss = read(dir.path(), "digest.xml");
        assert!(rss.find("– 267").expect("267") < rss.find("– 266").expect("266"));
        let index = read(dir.path(), "index.html");
        assert!(index.contains("issues/266.html") && index.contains("issues/267.html"));
    }

    #[test]
    fn nothing_approved_publishes_nothing_and_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::temporary().expect("store");
        stored_items(&store, "a", 2);
        let outcome = publisher(dir.path()).publish_next(&store, &DirOutput::new(dir.path()), fixed_time(), false);
        assert_eq!(outcome.expect("no error"), PublishOutcome::NothingApproved);
        assert!(store.issues().expect("issues").is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0, "no file written");
    }

    #[test]
    fn publishing_twice_never_duplicates_an_issue() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::temporary().expect("store");
        approve(&store, &stored_items(&store, "a", 2));
        let publisher = publisher(dir.path());
        let output = DirOutput::new(dir.path());
        issue_report(publisher.publish_next(&store, &output, fixed_time(), false).expect("publish"));
        let again = publisher.publish_next(&store, &output, fixed_time(), false).expect("second run");
        assert_eq!(again, PublishOutcome::NothingApproved);
        assert_eq!(store.issues().expect("issues").len(), 1);
    }

    #[test]
    fn dry_run_writes_and_stores_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::temporary().expect("store");
        approve(&store, &stored_items(&store, "a", 2));
        let report = issue_report(
            publisher(dir.path()).publish_next(&store, &DirOutput::new(dir.path()), fixed_time(), true).expect("dry"),
        );
        assert!(report.dry_run);
        assert_eq!(report.files, ["issues/266.html", "digest.xml", "digest.atom", "digest.json", "index.html"]);
        assert!(store.issues().expect("issues").is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    /// Fails every write after the first `k`, as a crash after `k` writes would.
    struct FailAfter {
        inner: DirOutput,
        k: usize,
        done: AtomicUsize,
    }

    impl Output for FailAfter {
        fn write_files(&self, files: &[(&str, &[u8])]) -> Result<(), WriteError> {
            let done = self.done.load(Ordering::SeqCst);
            let allowed = self.k.saturating_sub(done).min(files.len());
            self.inner.write_files(&files[..allowed])?;
            self.done.fetch_add(allowed, Ordering::SeqCst);
            match files.get(allowed) {
                Some((relative, _)) => {
                    Err(WriteError { path: PathBuf::from(relative), source: std::io::Error::other("injected crash") })
                }
                None => Ok(()),
            }
        }
    }

    /// The files of the output folder, by name.
    fn snapshot_dir(dir: &Path) -> Vec<(String, String)> {
        let mut files = Vec::new();
        for name in ["digest.xml", "digest.atom", "digest.json", "index.html", "issues/266.html", "issues/267.html"] {
            files.push((name.to_owned(), read(dir, name)));
        }
        files
    }

    #[test]
    fn interrupting_at_any_write_then_rerunning_gives_exactly_one_complete_issue() {
        // Steps: 0 = the draft is not stored; 1..=5 = the draft is stored and
        // step - 1 files are written; 6 = every file written, the final
        // transaction fails.
        for step in 0..=6 {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Arc::new(FaultyStore::new(match step {
                0 => &[Fault::PutIssue],
                6 => &[Fault::FinishIssue],
                _ => &[],
            }));
            let publisher = publisher(dir.path());
            let output = DirOutput::new(dir.path());
            // A previous issue, so there is a "previous consistent set" to keep.
            store.arm(false);
            approve(store.as_ref(), &stored_items(store.as_ref(), "old", 1));
            issue_report(publisher.publish_next(store.as_ref(), &output, fixed_time(), false).expect("first"));
            let before = snapshot_dir(dir.path());
            approve(store.as_ref(), &stored_items(store.as_ref(), "new", 3));

            store.arm(true);
            let k = if step == 0 || step == 6 { 5 } else { step - 1 };
            let failing = FailAfter { inner: output.clone(), k, done: AtomicUsize::new(0) };
            let later = fixed_time() + chrono::TimeDelta::days(7);
            let error = publisher.publish_next(store.as_ref(), &failing, later, false);
            assert!(error.is_err(), "step {step}: the injected failure surfaces");
            // The index is written last: until then readers see the previous set.
            if step < 6 {
                assert_eq!(read(dir.path(), "index.html"), before[3].1, "step {step}: index unchanged");
                assert!(!read(dir.path(), "index.html").contains("issues/267.html"));
            }

            store.arm(false);
            let rerun = publisher.publish_next(store.as_ref(), &output, later + chrono::TimeDelta::hours(1), false);
            let report = issue_report(rerun.unwrap_or_else(|e| panic!("step {step}: rerun: {e}")));
            assert_eq!(report.number, 267, "step {step}: completes 267, never 268");
            assert_eq!(report.resumed, step > 0, "step {step}");
            assert_eq!(report.items, 3);

            let issues = store.issues().expect("issues");
            let numbers: Vec<(u32, IssueState)> = issues.iter().map(|i| (i.number, i.state)).collect();
            assert_eq!(numbers, [(266, IssueState::Published), (267, IssueState::Published)], "step {step}");
            let approved = store.items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() });
            assert!(approved.expect("list").is_empty(), "step {step}: every item published");
            let rss = read(dir.path(), "digest.xml");
            assert_eq!(rss.matches("<item>").count(), 2, "step {step}");
            assert_eq!(read(dir.path(), "index.html").matches("issues/267.html").count(), 1);
            // A resumed draft keeps its date: the bytes readers may already have are unchanged.
            let date = if step == 0 { "Tue, 1 Dec 2026 10:00:00 +0000" } else { "Tue, 1 Dec 2026 09:00:00 +0000" };
            assert!(rss.contains(&format!("<pubDate>{date}</pubDate>")), "step {step}:\n{rss}");
            assert_eq!(
                publisher.publish_next(store.as_ref(), &output, later, false).expect("third run"),
                PublishOutcome::NothingApproved
            );
        }
    }

    #[test]
    fn an_edit_during_publishing_is_not_clobbered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::temporary().expect("store");
        let ids = stored_items(&store, "a", 1);
        approve(&store, &ids);
        // Interrupt after the files, then let an editor change the item.
        let publisher = publisher(dir.path());
        let failing = FailAfter { inner: DirOutput::new(dir.path()), k: 4, done: AtomicUsize::new(0) };
        assert!(matches!(publisher.publish_next(&store, &failing, fixed_time(), false), Err(PublishError::Write(_))));
        let item = store.item(&ids[0]).expect("read").expect("stored");
        let mut editor = item.editor.clone();
        editor.commentary = Some("Edited after the cut-off".to_owned());
        store.update_editorial(&ids[0], item.revision, ReviewState::Approved, &editor).expect("edit");
        issue_report(publisher.publish_next(&store, &DirOutput::new(dir.path()), fixed_time(), false).expect("rerun"));
        let item = store.item(&ids[0]).expect("read").expect("stored");
        assert_eq!(item.state, ReviewState::Published);
        assert_eq!(item.editor.commentary.as_deref(), Some("Edited after the cut-off"), "the edit survives");
    }
}

// ---------------------------------------------------------------- check

#[test]
fn check_reports_a_broken_override_template_at_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).expect("mkdir");
    std::fs::write(templates.join("issue.html.j2"), "<html>\n<body>\n{% if %}\n").expect("write");
    std::fs::write(templates.join("README.md"), "ignored").expect("write");
    let config = crate::ingest::write_config(dir.path(), "");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .arg("check")
        .output()
        .expect("run gleaner");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = format!("{}:3: syntax error", templates.join("issue.html.j2").display());
    assert!(stderr.contains(&expected), "want {expected:?} in:\n{stderr}");
}

#[test]
fn websub_hub_is_pinged_with_every_feed_url() {
    use crate::support::http::{Reply, TestServer};
    let server = TestServer::start(|req| if req.method == "POST" { Reply::new(204) } else { Reply::new(405) });
    let hub = server.url("/hub");
    let topics =
        vec!["https://example.org/digest/digest.xml".to_owned(), "https://example.org/digest/digest.atom".to_owned()];
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(gleaner::publish::websub::ping(&hub, &topics, "Gleaner-test")).expect("hub accepts");
    let request = &server.requests()[0];
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    let body = String::from_utf8_lossy(&request.body);
    assert_eq!(
        body,
        "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Fdigest%2Fdigest.xml&hub.url=https%3A%2F%2Fexample.org%2Fdigest%2Fdigest.atom"
    );

    let refusing = TestServer::start(|_| Reply::new(500));
    let error = runtime.block_on(gleaner::publish::websub::ping(&refusing.url("/hub"), &topics, "t"));
    assert!(error.is_err_and(|e| e.to_string().contains("500")));
}
