//! Integration tests: per-source extraction rules (`content`, `strip`,
//! `follow_next`) and fetch settings (`user_agent`, `headers`,
//! `cookie_file`), over loopback servers the tests start.

use chrono::Utc;
use gleaner::config::FetchSettings;
use gleaner::fetch::{FetchError, FetchRequest, Fetcher, Purpose, Validators};
use gleaner::ingest::{Outcome, Urgency};
use gleaner::model::FetchOverrides;
use gleaner::store::ItemQuery;

use crate::ingest::{rss, source, write_config};
use crate::support::gleaner;
use crate::support::http::{Reply, Request, TestServer};

const UA: &str = "Mozilla/5.0 (Gleaner test reader)";

fn html(body: &str) -> Reply {
    Reply::ok(body.to_owned()).header("Content-Type", "text/html; charset=utf-8")
}

/// What a request carried of a source's settings.
fn carried(req: &Request) -> (Option<String>, Option<String>, Option<String>) {
    let get = |name| req.header(name).map(str::to_owned);
    (get("user-agent"), get("x-paywall-key"), get("cookie"))
}

fn overrides_toml(dir: &std::path::Path) -> String {
    std::fs::write(
        dir.join("cookies.txt"),
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tsecret\n",
    )
    .expect("write cookie file");
    format!("user_agent = \"{UA}\"\ncookie_file = \"cookies.txt\"\n[source.headers]\n\"X-Paywall-Key\" = \"k1\"\n\n")
}

#[tokio::test]
async fn source_fetch_settings_stay_on_the_first_host_across_redirects() {
    let elsewhere = TestServer::start(|_| Reply::ok(rss(&[])).header("Content-Type", "application/rss+xml"));
    let other_host = format!("http://localhost:{}/feed", elsewhere.addr().port());
    let origin = TestServer::start(move |req| match req.path() {
        "/old" => Reply::redirect(301, "/moved"),
        "/moved" => Reply::redirect(302, &other_host),
        _ => Reply::new(404),
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = source("paywalled", origin.url("/old").as_str()) + &overrides_toml(dir.path());
    let config = gleaner::app::load_config(&write_config(dir.path(), &sources)).expect("valid config");
    let ingest = gleaner::app::ingest(&config).expect("ingest starts");

    let report = ingest.poll_source(&config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");

    let first_host = origin.requests();
    assert_eq!(first_host.len(), 2, "both hops on the first host");
    for req in &first_host {
        let expected = (Some(UA.to_owned()), Some("k1".to_owned()), Some("sid=secret".to_owned()));
        assert_eq!(carried(req), expected, "same host, same settings: {}", req.path());
    }
    let second_host = elsewhere.requests();
    assert_eq!(second_host.len(), 1);
    let (agent, key, cookie) = carried(&second_host[0]);
    assert_eq!(agent.as_deref(), Some(gleaner::config::defaults::USER_AGENT), "the default agent after the redirect");
    assert_eq!((key, cookie), (None, None), "no header or cookie crosses to another host");
}

#[tokio::test]
async fn an_unreadable_cookie_file_fails_the_fetch_naming_the_file() {
    let server = TestServer::start(|_| Reply::ok("never read"));
    let fetcher = Fetcher::new(&FetchSettings::default()).expect("client builds");
    let overrides =
        FetchOverrides { cookie_file: Some("/nonexistent/cookies.txt".into()), ..FetchOverrides::default() };
    let url = server.url("/feed");
    let request = FetchRequest {
        url: &url,
        validators: &Validators::default(),
        purpose: Purpose::Source,
        overrides: Some(&overrides),
    };
    let error = match fetcher.fetch(&request).await {
        Err(error @ FetchError::CookieFile { .. }) => error,
        other => panic!("expected a cookie file error, got {other:?}"),
    };
    assert!(error.to_string().contains("/nonexistent/cookies.txt"), "{error}");
    assert_eq!(server.hits(), 0, "nothing is requested without the cookies");
}

/// Page `n` of a three-page article: the body in `.story`, a promo box the
/// rules strip, page furniture outside, and a "next" link until page 3.
fn article_page(n: usize) -> String {
    let next = if n < 3 { format!(r#"<a class="next" href="/a/{}">Next page</a>"#, n + 1) } else { String::new() };
    format!(
        r#"<html><head><title>The long read</title></head><body>
        <nav><a href="/">Home</a></nav>
        <div class="story"><p>Part {n} of the story, where the council weighed the bridge, the budget and the river, at length.</p>
        <div class="promo"><p>Subscribe now to read every part of every story, without limits, today.</p></div></div>
        <div class="related"><p>Related reading that the rules leave out, since it is not in the story box.</p></div>
        {next}</body></html>"#
    )
}

fn rules_toml() -> &'static str {
    "content = [\".story\"]\nstrip = [\".promo\"]\nfollow_next = \"a.next\"\n"
}

#[tokio::test]
async fn rules_choose_the_body_strip_boxes_and_follow_next_pages_with_the_source_settings() {
    let server = TestServer::start(|req| match req.path() {
        "/feed" => Reply::ok(rss(&[(
            "1",
            "The long read",
            &format!("http://{}/a/1", req.header("host").expect("Host header")),
        )])),
        path => match path.strip_prefix("/a/").and_then(|n| n.parse().ok()) {
            Some(n @ 1..=3) => html(&article_page(n)),
            _ => Reply::new(404),
        },
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = source("longreads", server.url("/feed").as_str())
        + "follow = true\n"
        + rules_toml()
        + &overrides_toml(dir.path());
    let config = gleaner::app::load_config(&write_config(dir.path(), &sources)).expect("valid config");
    let ingest = gleaner::app::ingest(&config).expect("ingest starts");

    let report = ingest.poll_source(&config.sources[0], Utc::now(), Urgency::Now).await;
    assert_eq!((report.articles_fetched, report.articles_failed), (1, 0), "{report:?}");
    let items = ingest.store().items(&ItemQuery::default()).expect("items");
    let text = &items[0].text;
    for n in 1..=3 {
        assert!(text.contains(&format!("Part {n} of the story")), "page {n} read: {text}");
    }
    assert!(!text.contains("Subscribe"), "stripped: {text}");
    assert!(!text.contains("Related reading"), "outside the content rule: {text}");
    let note = items[0].extraction_note.clone().unwrap_or_default();
    assert!(!note.contains("rules") && !note.contains("multi-page"), "the rules matched, every page read: {note}");
    for req in server.requests().iter().filter(|r| r.path().starts_with("/a/")) {
        assert_eq!(carried(req).0.as_deref(), Some(UA), "article page {} fetched as the source", req.path());
    }
}

#[test]
fn extract_with_a_source_stops_after_ten_pages_and_falls_back_when_rules_miss() {
    let server = TestServer::start(|req| {
        let n: usize = req.path().trim_start_matches("/p/").parse().unwrap_or(0);
        html(&format!(
            r#"<html><body><article><p>Page {n} of an endless archive, with enough words in it to be read as a paragraph.</p>
            <a class="older" href="/p/{}">Older</a></article></body></html>"#,
            n + 1
        ))
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let sources =
        source("archive", server.url("/p/0").as_str()) + "content = \".does-not-exist\"\nfollow_next = \"a.older\"\n";
    let config = write_config(dir.path(), &sources);
    let url = server.url("/p/0");
    let out = gleaner(&config, &["extract", url.as_str(), "--source", "archive", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON article");
    assert_eq!(server.hits(), gleaner::ingest::MAX_PAGES);
    let text = article["text"].as_str().expect("text");
    assert!(text.contains("Page 0 of") && text.contains("Page 9 of") && !text.contains("Page 10 of"), "{text}");
    let notes = article["notes"].to_string();
    assert!(notes.contains(gleaner::extract::RULES_MISSED_NOTE), "{notes}");
    assert!(notes.contains("stopped after 10 pages"), "{notes}");

    let unknown = gleaner(&config, &["extract", url.as_str(), "--source", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "an unknown source is bad usage");
}

#[test]
fn check_names_the_source_and_key_of_a_bad_rule() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = source("broken", "https://example.org/feed")
        + "strip = [\".ok\", \"div[\"]\nfollow_next = \"a..next\"\n[source.headers]\n\"Bad Header\" = \"x\"\n";
    let config = write_config(dir.path(), &sources);
    let out = gleaner(&config, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("source `broken`: bad CSS selector \"div[\" in `strip`"), "{stderr}");
    assert!(stderr.contains("source `broken`: bad CSS selector \"a..next\" in `follow_next`"), "{stderr}");
    assert!(stderr.contains("source `broken`: `headers` has a bad header name \"Bad Header\""), "{stderr}");
    assert!(stderr.contains("gleaner.toml:"), "errors carry file:line:col: {stderr}");
}
