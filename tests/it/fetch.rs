//! Integration tests: fetch. Every server is a `TestServer` on 127.0.0.1
//! started by the test itself; timeouts are short so each test stays < 2 s.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use gleaner::config::FetchSettings;
use gleaner::fetch::{FetchError, FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use url::Url;

use crate::support::http::{Reply, TestServer, gzip};

const LIMIT: u64 = 64 * 1024;

fn settings() -> FetchSettings {
    FetchSettings {
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_millis(800),
        max_body_bytes: LIMIT,
        ..FetchSettings::default()
    }
}

fn fetcher_with(settings: &FetchSettings) -> Fetcher {
    Fetcher::new(settings).expect("client builds")
}

async fn fetch_as(
    fetcher: &Fetcher,
    url: &Url,
    validators: &Validators,
    purpose: Purpose,
) -> Result<FetchOutcome, FetchError> {
    fetcher.fetch(&FetchRequest { url, validators, purpose, overrides: None }).await
}

/// A plain source fetch with default settings and no validators.
async fn fetch(url: &Url) -> Result<FetchOutcome, FetchError> {
    fetch_as(&fetcher_with(&settings()), url, &Validators::default(), Purpose::Source).await
}

fn body(outcome: Result<FetchOutcome, FetchError>) -> FetchedBody {
    match outcome {
        Ok(FetchOutcome::Fetched(body)) => body,
        other => panic!("expected a body, got {other:?}"),
    }
}

// ---- conditional GET ----

#[tokio::test]
async fn ok_returns_body_hash_and_validators_then_304_with_if_none_match() {
    let server = TestServer::start(|req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::new(304)
        } else {
            Reply::ok("<rss/>")
                .header("Content-Type", "application/rss+xml")
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Tue, 03 Nov 2026 12:00:00 GMT")
        }
    });
    let fetcher = fetcher_with(&settings());
    let url = server.url("/feed");
    let first = body(fetch_as(&fetcher, &url, &Validators::default(), Purpose::Source).await);
    assert_eq!(first.status, 200);
    assert_eq!(first.bytes, b"<rss/>");
    assert_eq!(first.body_hash, blake3::hash(b"<rss/>").to_hex().to_string());
    assert_eq!(first.content_type.as_deref(), Some("application/rss+xml"));
    assert_eq!(first.final_url, url);
    assert_eq!(first.permanent_redirect, None);
    let expected =
        Validators { etag: Some("\"v1\"".to_owned()), last_modified: Some("Tue, 03 Nov 2026 12:00:00 GMT".to_owned()) };
    assert_eq!(first.validators, expected);

    let second = fetch_as(&fetcher, &url, &first.validators, Purpose::Source).await.expect("304 is not an error");
    assert_eq!(second, FetchOutcome::NotModified);
    let requests = server.requests();
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(requests[1].header("if-modified-since"), Some("Tue, 03 Nov 2026 12:00:00 GMT"));
    assert!(requests[0].header("user-agent").is_some_and(|ua| ua.starts_with("Gleaner/")));
}

#[tokio::test]
async fn if_modified_since_alone_gets_304() {
    let server = TestServer::start(|req| match req.header("if-modified-since") {
        Some("Tue, 03 Nov 2026 12:00:00 GMT") => Reply::new(304),
        _ => Reply::ok("x"),
    });
    let validators = Validators { etag: None, last_modified: Some("Tue, 03 Nov 2026 12:00:00 GMT".to_owned()) };
    let outcome = fetch_as(&fetcher_with(&settings()), &server.url("/"), &validators, Purpose::Source).await;
    assert_eq!(outcome.expect("304"), FetchOutcome::NotModified);
}

#[tokio::test]
async fn invalid_stored_validator_is_dropped_not_fatal() {
    let server = TestServer::start(|_| Reply::ok("x"));
    let validators = Validators { etag: Some("bad\nvalue".to_owned()), last_modified: None };
    let outcome = fetch_as(&fetcher_with(&settings()), &server.url("/"), &validators, Purpose::Source).await;
    assert_eq!(body(outcome).bytes, b"x");
    assert_eq!(server.requests()[0].header("if-none-match"), None);
}

// ---- statuses and Retry-After ----

#[tokio::test]
async fn retry_after_seconds_on_429() {
    let server = TestServer::start(|_| Reply::new(429).header("Retry-After", "120"));
    let before = Utc::now();
    let error = fetch(&server.url("/")).await.expect_err("429 is an error");
    assert_eq!(error.status(), Some(429));
    let at = error.retry_after().expect("Retry-After parsed");
    assert!(at >= before + TimeDelta::seconds(120) && at <= Utc::now() + TimeDelta::seconds(120), "{at}");
    assert!(error.to_string().contains(&server.url("/").to_string()), "{error}");
}

#[tokio::test]
async fn retry_after_http_date_on_503() {
    let server = TestServer::start(|_| Reply::new(503).header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"));
    let error = fetch(&server.url("/")).await.expect_err("503 is an error");
    assert!(matches!(error, FetchError::Status { status: 503, .. }), "{error:?}");
    assert_eq!(error.retry_after(), Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single());
    assert_eq!(error.short_message(), "HTTP 503, retry after 2100-01-01 00:00:00 UTC");
}

#[tokio::test]
async fn retry_after_http_date_on_429_and_seconds_on_503() {
    let server = TestServer::start(|req| match req.path() {
        "/429" => Reply::new(429).header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"),
        _ => Reply::new(503).header("Retry-After", "30"),
    });
    let error = fetch(&server.url("/429")).await.expect_err("429");
    assert_eq!(error.retry_after(), Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single());
    let error = fetch(&server.url("/503")).await.expect_err("503");
    assert!(error.retry_after().is_some_and(|at| at > Utc::now() + TimeDelta::seconds(25)));
}

#[tokio::test]
async fn other_error_statuses_carry_no_retry_after() {
    let server = TestServer::start(|req| match req.path() {
        "/gone" => Reply::new(404).header("Retry-After", "60"),
        "/no-date" => Reply::new(503),
        _ => Reply::new(500),
    });
    for (path, status) in [("/gone", 404), ("/no-date", 503), ("/boom", 500)] {
        let error = fetch(&server.url(path)).await.expect_err("error status");
        assert_eq!((error.status(), error.retry_after()), (Some(status), None), "{path}");
    }
}

// ---- redirects ----

#[tokio::test]
async fn redirect_loop_is_detected() {
    let server = TestServer::start(|req| match req.path() {
        "/a" => Reply::redirect(302, "/b"),
        _ => Reply::redirect(302, "/a"),
    });
    let error = fetch(&server.url("/a")).await.expect_err("loop");
    assert!(matches!(error, FetchError::RedirectLoop { .. }), "{error:?}");
    assert_eq!(server.hits(), 2);
}

/// `/r/N` redirects to `/r/N+1` until `/r/{hops}`, which answers 200.
fn chain_server(hops: usize) -> TestServer {
    TestServer::start(move |req| {
        let n: usize = req.path().trim_start_matches("/r/").parse().expect("numbered path");
        if n < hops { Reply::redirect(302, &format!("/r/{}", n + 1)) } else { Reply::ok(format!("end {n}")) }
    })
}

#[tokio::test]
async fn five_redirects_are_followed() {
    let server = chain_server(5);
    let fetched = body(fetch(&server.url("/r/0")).await);
    assert_eq!(fetched.final_url, server.url("/r/5"));
    assert_eq!(fetched.bytes, b"end 5");
}

#[tokio::test]
async fn six_redirects_are_too_many() {
    let server = chain_server(6);
    let error = fetch(&server.url("/r/0")).await.expect_err("too many");
    assert!(matches!(error, FetchError::TooManyRedirects { limit: 5, .. }), "{error:?}");
    assert_eq!(error.url(), Some(&server.url("/r/0")));
    assert_eq!(server.hits(), 6, "the sixth redirect is not followed");
}

#[tokio::test]
async fn permanent_redirect_is_recorded_temporary_is_not() {
    let server = TestServer::start(|req| match req.path() {
        "/moved" => Reply::redirect(301, "/new"),
        "/moved-308" => Reply::redirect(308, "/new"),
        "/temp" => Reply::redirect(302, "/new"),
        "/moved-then-temp" => Reply::redirect(301, "/temp"),
        "/temp-then-moved" => Reply::redirect(307, "/moved"),
        _ => Reply::ok("new"),
    });
    let permanent = |path: &str| Some(server.url(path));
    for (start, expected) in [
        ("/moved", permanent("/new")),
        ("/moved-308", permanent("/new")),
        ("/temp", None),
        ("/moved-then-temp", permanent("/temp")),
        ("/temp-then-moved", None),
    ] {
        let fetched = body(fetch(&server.url(start)).await);
        assert_eq!(fetched.final_url, server.url("/new"), "{start}");
        assert_eq!(fetched.permanent_redirect, expected, "{start}");
    }
}

#[tokio::test]
async fn redirect_into_file_scheme_is_refused() {
    let server = TestServer::start(|_| Reply::redirect(302, "file:///etc/passwd"));
    let error = fetch(&server.url("/")).await.expect_err("file redirect");
    assert!(matches!(error, FetchError::UnsupportedScheme { .. }), "{error:?}");
}

#[tokio::test]
async fn redirect_without_location_is_an_error() {
    let server = TestServer::start(|_| Reply::new(301));
    let error = fetch(&server.url("/")).await.expect_err("no location");
    assert!(matches!(error, FetchError::BadRedirect { status: 301, .. }), "{error:?}");
}

// ---- body size, truncation, compression ----

#[tokio::test]
async fn oversized_content_length_fails_before_reading() {
    // The body is tiny: only the announced length can trigger TooLarge, so
    // this proves the early check (reading would give a truncation error).
    let server = TestServer::start(|_| Reply::ok("tiny").header("Content-Length", &(LIMIT + 1).to_string()));
    let error = fetch(&server.url("/")).await.expect_err("too large");
    assert!(matches!(error, FetchError::TooLarge { limit: LIMIT, .. }), "{error:?}");
}

#[tokio::test]
async fn oversized_chunked_body_is_cut_while_streaming() {
    let big = vec![b'a'; usize::try_from(LIMIT).expect("fits") + 1];
    let server = TestServer::start(move |_| Reply::ok(big.clone()).chunked(8 * 1024));
    let error = fetch(&server.url("/")).await.expect_err("too large");
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let exact = vec![b'a'; usize::try_from(LIMIT).expect("fits")];
    let server = TestServer::start(move |_| Reply::ok(exact.clone()).until_close());
    assert_eq!(body(fetch(&server.url("/")).await).bytes.len() as u64, LIMIT);
}

#[tokio::test]
async fn gzip_body_is_decoded() {
    let server = TestServer::start(|_| Reply::ok(gzip(b"<rss>plain</rss>")).header("Content-Encoding", "gzip"));
    let fetched = body(fetch(&server.url("/")).await);
    assert_eq!(fetched.bytes, b"<rss>plain</rss>");
    let accept = server.requests()[0].header("accept-encoding").map(str::to_owned);
    assert!(accept.as_deref().is_some_and(|a| a.contains("gzip") && a.contains("br")), "{accept:?}");
}

#[tokio::test]
async fn gzip_bomb_is_capped_after_decompression() {
    // 4 MiB of zeros is a few KiB compressed, well under the cap on the wire.
    let bomb = gzip(&vec![0u8; 4 * 1024 * 1024]);
    assert!((bomb.len() as u64) < LIMIT);
    let server = TestServer::start(move |_| Reply::ok(bomb.clone()).header("Content-Encoding", "gzip"));
    let error = fetch(&server.url("/")).await.expect_err("bomb");
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn truncated_body_is_an_error() {
    let server = TestServer::start(|_| Reply::ok(vec![b'x'; 1000]).truncated(500));
    let error = fetch(&server.url("/")).await.expect_err("truncated");
    assert!(matches!(error, FetchError::Body { .. }), "{error:?}");
}

#[tokio::test]
async fn truncated_chunked_body_is_an_error() {
    let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n";
    let server = TestServer::start(move |_| Reply::raw(raw));
    let error = fetch(&server.url("/")).await.expect_err("truncated");
    assert!(matches!(error, FetchError::Body { .. }), "{error:?}");
}

// ---- timeouts and connection failures ----

#[tokio::test]
async fn slow_server_times_out() {
    let server = TestServer::start(|_| Reply::ok("late").delay(Duration::from_secs(3)));
    let started = Instant::now();
    let error = fetch(&server.url("/")).await.expect_err("timeout");
    assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn server_stalling_mid_body_times_out() {
    let server = TestServer::start(|_| Reply::ok("late").body_delay(Duration::from_secs(3)));
    let started = Instant::now();
    let error = fetch(&server.url("/")).await.expect_err("timeout");
    assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let url = {
        let server = TestServer::start(|_| Reply::ok(""));
        server.url("/")
    }; // dropped: nothing listens on that port any more
    let error = fetch(&url).await.expect_err("refused");
    assert!(matches!(error, FetchError::Connect { .. }), "{error:?}");
    assert!(error.short_message().starts_with("cannot connect: "), "{}", error.short_message());
}

// ---- concurrency ----

#[tokio::test]
async fn per_host_limit_holds_across_clones() {
    let server = TestServer::start(|_| Reply::ok("x").delay(Duration::from_millis(150)));
    let settings = FetchSettings { per_host_concurrency: 2, timeout: Duration::from_secs(2), ..settings() };
    let fetcher = fetcher_with(&settings);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let fetcher = fetcher.clone();
            let url = server.url(&format!("/{i}"));
            tokio::spawn(async move { fetch_as(&fetcher, &url, &Validators::default(), Purpose::Source).await })
        })
        .collect();
    for task in tasks {
        body(task.await.expect("task"));
    }
    assert_eq!(server.hits(), 6);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn per_host_limit_is_shared_by_feed_polls_and_item_links() {
    let server = TestServer::start(|_| Reply::ok("x").delay(Duration::from_millis(150)));
    let settings = FetchSettings {
        per_host_concurrency: 1,
        allow_private_networks: true,
        timeout: Duration::from_secs(2),
        ..settings()
    };
    let fetcher = fetcher_with(&settings);
    let feed = server.url("/feed");
    let article = server.url("/article");
    let validators = Validators::default();
    let (a, b) = tokio::join!(
        fetch_as(&fetcher, &feed, &validators, Purpose::Source),
        fetch_as(&fetcher, &article, &validators, Purpose::ItemLink { from_file_source: false }),
    );
    body(a);
    body(b);
    assert_eq!(server.max_in_flight(), 1);
}

#[tokio::test]
async fn global_limit_caps_all_hosts() {
    let server = TestServer::start(|_| Reply::ok("x").delay(Duration::from_millis(100)));
    let settings =
        FetchSettings { max_concurrency: 1, per_host_concurrency: 4, timeout: Duration::from_secs(2), ..settings() };
    let fetcher = fetcher_with(&settings);
    let urls: Vec<Url> = (0..3).map(|i| server.url(&format!("/{i}"))).collect();
    let validators = Validators::default();
    let (a, b, c) = tokio::join!(
        fetch_as(&fetcher, &urls[0], &validators, Purpose::Source),
        fetch_as(&fetcher, &urls[1], &validators, Purpose::Source),
        fetch_as(&fetcher, &urls[2], &validators, Purpose::Source),
    );
    for outcome in [a, b, c] {
        body(outcome);
    }
    assert_eq!(server.max_in_flight(), 1);
}

// ---- private-network guard ----

const ITEM_LINK: Purpose = Purpose::ItemLink { from_file_source: false };

#[tokio::test]
async fn item_link_to_loopback_is_refused_by_default() {
    let server = TestServer::start(|_| Reply::ok("secret"));
    let error = fetch_as(&fetcher_with(&settings()), &server.url("/"), &Validators::default(), ITEM_LINK)
        .await
        .expect_err("guarded");
    assert!(matches!(error, FetchError::PrivateAddress { .. }), "{error:?}");
    assert_eq!(server.hits(), 0, "not even one request may reach the address");
}

#[tokio::test]
async fn item_link_to_a_name_resolving_to_loopback_is_refused() {
    let server = TestServer::start(|_| Reply::ok("secret"));
    let url = Url::parse(&format!("http://localhost:{}/", server.addr().port())).expect("url");
    let error =
        fetch_as(&fetcher_with(&settings()), &url, &Validators::default(), ITEM_LINK).await.expect_err("guarded");
    assert!(matches!(error, FetchError::PrivateAddress { .. }), "{error:?}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn item_link_to_loopback_is_allowed_when_private_networks_are() {
    let server = TestServer::start(|_| Reply::ok("page"));
    let settings = FetchSettings { allow_private_networks: true, ..settings() };
    let outcome = fetch_as(&fetcher_with(&settings), &server.url("/"), &Validators::default(), ITEM_LINK).await;
    assert_eq!(body(outcome).bytes, b"page");
}

#[tokio::test]
async fn source_on_loopback_is_allowed_even_when_guarded() {
    let server = TestServer::start(|_| Reply::ok("feed"));
    assert!(!settings().allow_private_networks);
    assert_eq!(body(fetch(&server.url("/")).await).bytes, b"feed");
}

#[tokio::test]
async fn item_link_to_ipv4_mapped_loopback_is_refused() {
    let url = Url::parse("http://[::ffff:127.0.0.1]:9/").expect("url");
    let error =
        fetch_as(&fetcher_with(&settings()), &url, &Validators::default(), ITEM_LINK).await.expect_err("guarded");
    assert!(matches!(error, FetchError::PrivateAddress { .. }), "{error:?}");
}

/// Issue 11.15: documentation ranges, 6to4 and Teredo, local-use NAT64 and
/// the host's own addresses were treated as public. Each is refused before
/// any connection is tried.
#[tokio::test]
async fn item_links_to_documentation_6to4_teredo_nat64_and_own_addresses_are_refused() {
    let mut urls: Vec<String> = [
        "http://192.0.2.1:9/",
        "http://198.51.100.7:9/",
        "http://203.0.113.9:9/",
        "http://[2001:db8::1]:9/",
        "http://[2002:7f00:1::1]:9/",
        "http://[2002:a9fe:a9fe::1]:9/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]:9/",
        "http://[64:ff9b:1::a00:1]:9/",
    ]
    .map(str::to_owned)
    .to_vec();
    // The address this host would use to reach the internet, when it has one.
    let own = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| socket.connect("8.8.8.8:53").and_then(|()| socket.local_addr()))
        .map(|addr| addr.ip());
    if let Ok(ip) = own
        && !ip.is_unspecified()
    {
        assert!(gleaner::fetch::is_own_address(ip), "{ip}");
        urls.push(format!("http://{ip}:9/"));
    }
    let fetcher = fetcher_with(&settings());
    for url in urls {
        let url = Url::parse(&url).expect("url");
        let started = Instant::now();
        let error = fetch_as(&fetcher, &url, &Validators::default(), ITEM_LINK).await.expect_err("guarded");
        assert!(matches!(error, FetchError::PrivateAddress { .. }), "{url}: {error:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{url}: refused at once, not after a connect attempt");
    }
    for public in ["2002:808:808::1", "93.184.216.34"] {
        assert!(!gleaner::fetch::is_blocked_address(public.parse().expect("ip")), "{public}");
    }
}

// ---- file:// ----

fn temp_file(contents: &[u8]) -> (tempfile::TempDir, Url) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, contents).expect("write temp file");
    let url = Url::from_file_path(&path).expect("absolute path");
    (dir, url)
}

#[tokio::test]
async fn file_source_is_read() {
    let (_dir, url) = temp_file(b"<rss/>");
    let fetched = body(fetch(&url).await);
    assert_eq!((fetched.status, fetched.bytes.as_slice(), &fetched.final_url), (200, &b"<rss/>"[..], &url));
}

#[tokio::test]
async fn item_link_file_is_refused_unless_from_a_file_source() {
    let (_dir, url) = temp_file(b"<html/>");
    let fetcher = fetcher_with(&FetchSettings { allow_private_networks: true, ..settings() });
    let refused = fetch_as(&fetcher, &url, &Validators::default(), ITEM_LINK).await.expect_err("refused");
    assert!(matches!(refused, FetchError::LocalFileRefused { .. }), "{refused:?}");
    let local = Purpose::ItemLink { from_file_source: true };
    assert_eq!(body(fetch_as(&fetcher, &url, &Validators::default(), local).await).bytes, b"<html/>");
}

#[tokio::test]
async fn oversized_file_is_refused() {
    let (_dir, url) = temp_file(&vec![b'x'; usize::try_from(LIMIT).expect("fits") + 1]);
    let error = fetch(&url).await.expect_err("too large");
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn missing_file_is_a_file_error_naming_the_url() {
    let (dir, url) = temp_file(b"");
    drop(dir);
    let error = fetch(&url).await.expect_err("missing");
    assert!(matches!(error, FetchError::File { .. }), "{error:?}");
    assert!(error.to_string().starts_with(url.as_str()), "{error}");
}

#[tokio::test]
async fn other_schemes_are_unsupported() {
    let url = Url::parse("ftp://127.0.0.1/feed").expect("url");
    let error = fetch(&url).await.expect_err("ftp");
    assert!(matches!(error, FetchError::UnsupportedScheme { .. }), "{error:?}");
}
