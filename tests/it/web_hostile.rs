//! Issue 11, from a hostile client's side, over real HTTP on 127.0.0.1: open
//! redirects after login (11.5), parallel password guessing (11.6), login
//! floods (11.7), slowloris and stalled requests (11.8, 11.9), and the
//! security headers of `/feeds/` and the review pages (11.15).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gleaner::editorial::Editorial;
use gleaner::model::{ItemId, NewItem};
use gleaner::web::review::{self, UiOptions};
use gleaner::web::{self, ServerOptions, WebState};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use url::Url;

use crate::support::items::{at, entry};
use crate::support::{start_serve, terminate};
use crate::ui::{Fixture, fixture, ui_state};

const PASSWORD: &str = "correct horse battery";
/// The login form's double-submit token: any value works when cookie and field agree.
const LOGIN_TOKEN: &str = "hostile-test-token";

/// The whole site (`/feeds/`, `/healthz`, the review UI) on 127.0.0.1:0, with
/// user "ann" and a live session for her.
struct Site {
    base: Url,
    addr: SocketAddr,
    fx: Fixture,
    session: String,
    csrf: String,
    client: reqwest::Client,
    _feeds: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Site {
    async fn start(ui: UiOptions, server: ServerOptions) -> Self {
        Self::start_with(fixture(), ui, server).await
    }

    async fn start_with(fx: Fixture, ui: UiOptions, server: ServerOptions) -> Self {
        Editorial::new(Arc::clone(&fx.store)).expect("editorial").add_user("ann", PASSWORD, at(0)).expect("user");
        let state = ui_state(&fx.store, ui);
        let (session, csrf) = state.sessions().create("ann");
        let feeds = published_dir();
        let router = web::router(WebState::new(feeds.path())).merge(review::routes(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(web::serve_with(listener, router, server, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let base = Url::parse(&format!("http://{addr}/")).expect("base");
        Self {
            base,
            addr,
            fx,
            session: format!("gleaner_session={session}"),
            csrf,
            client,
            _feeds: feeds,
            stop: Some(stop),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn get(&self, path: &str, with_session: bool) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if with_session {
            request = request.header(header::COOKIE, &self.session);
        }
        request.send().await.expect("GET answered")
    }

    /// POST `/login` as the login form does.
    async fn login(&self, name: &str, password: &str, next: &str) -> reqwest::Result<reqwest::Response> {
        self.client
            .post(self.url("/login"))
            .header(header::COOKIE, format!("gleaner_login={LOGIN_TOKEN}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("csrf", LOGIN_TOKEN), ("name", name), ("password", password), ("next", next)]))
            .send()
            .await
    }

    /// POST a form with the session and its CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let request = self.client.post(self.url(path)).header(header::COOKIE, &self.session);
        let request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form(&all));
        request.send().await.expect("POST answered")
    }

    fn revision(&self, id: &ItemId) -> String {
        self.fx.store.item(id).expect("read").expect("stored").revision.to_string()
    }

    /// True when `location` resolves, as a browser would resolve it, to this site.
    fn on_site(&self, location: &str) -> bool {
        self.base.join(location).is_ok_and(|url| url.origin() == self.base.origin())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

fn published_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("issues")).expect("mkdir");
    for (name, body) in [
        ("digest.xml", "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel/></rss>"),
        ("index.html", "<!DOCTYPE html><title>Archive</title>"),
        ("issues/1.html", "<!DOCTYPE html><title>Issue 1</title>"),
    ] {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    dir
}

/// The `Location` header as sent, bytes and all (a tab is not a visible
/// character, so `to_str` would refuse exactly the value under test).
fn location(headers: &HeaderMap) -> String {
    headers.get(header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default()
}

fn text_header(headers: &HeaderMap, name: &header::HeaderName) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// Redirect targets that leave the site once a browser has cleaned them up.
const OFF_SITE: [&str; 6] = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "//evil.example",
    "https://evil.example/",
];

// ---- 11.5: open redirect after login ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_next_with_a_tab_or_other_trick_stays_on_the_site() {
    let site = Site::start(UiOptions::default(), ServerOptions::default()).await;
    for next in OFF_SITE {
        let response = site.login("ann", PASSWORD, next).await.expect("login answered");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        let to = location(response.headers());
        assert!(site.on_site(&to), "next={next:?} redirected to {to:?}");
        assert_eq!(to, "/queue", "{next:?}");
    }
    // The form carries `next` through: the page must not echo the bypass either.
    let page = site.get("/login?next=%2F%09%2Fevil.example", false).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = scraper::Html::parse_document(&page.text().await.expect("body"));
    let selector = scraper::Selector::parse("input[name=next]").expect("selector");
    let next = html.select(&selector).next().and_then(|input| input.value().attr("value")).map(str::to_owned);
    assert_eq!(next.as_deref(), Some("/queue"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_with_a_tab_stays_on_the_site() {
    let site = Site::start(UiOptions::default(), ServerOptions::default()).await;
    for back in OFF_SITE {
        let id = site.fx.budget.clone();
        let revision = site.revision(&id);
        let path = format!("/items/{id}/act");
        let shortlisted = site.post(&path, &[("revision", &revision), ("do", "shortlist"), ("back", back)]).await;
        assert_eq!(shortlisted.status(), StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(location(shortlisted.headers()), "/queue", "{back:?}");
        let revision = site.revision(&id);
        let target = format!("{id}:{revision}");
        let bulk = site.post("/queue/bulk", &[("sel", &target), ("do", "reset"), ("back", back)]).await;
        assert_eq!(bulk.status(), StatusCode::SEE_OTHER, "{back:?}");
        assert_eq!(location(bulk.headers()), "/queue", "{back:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_next_redirect_home_instead_of_failing() {
    let site = Site::start(UiOptions::default(), ServerOptions::default()).await;
    for next in ["/\u{1}", "/queue\u{7f}", "/\u{0}x", "\u{1b}/queue"] {
        let response = site.login("ann", PASSWORD, next).await.expect("answered, not a dropped connection");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        let to = location(response.headers());
        assert!(site.on_site(&to) && to.starts_with('/') && !to.bytes().any(|b| b.is_ascii_control()), "{to:?}");
    }
    let page = site.get("/login?next=%2F%01%7F", false).await;
    assert_eq!(page.status(), StatusCode::OK);
}

// ---- 11.6: the login budget holds under parallel attempts ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_burst_of_logins_checks_no_more_passwords_than_the_budget() {
    let options = UiOptions { login_attempts: 3, password_wait: Duration::from_secs(60), ..UiOptions::default() };
    let site = Arc::new(Site::start(options, ServerOptions::default()).await);
    let burst: Vec<_> = (0..12)
        .map(|_| {
            let site = Arc::clone(&site);
            tokio::spawn(async move { site.login("ann", "wrong guess", "/queue").await.expect("answered").status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in burst {
        statuses.push(attempt.await.expect("task"));
    }
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 3, "{checked} passwords checked in a burst with a budget of 3: {statuses:?}");
    assert_eq!(checked + refused, statuses.len(), "{statuses:?}");
    let right = site.login("ann", PASSWORD, "/queue").await.expect("answered");
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "the right password waits out the budget too");
}

// ---- 11.7: password checks are bounded ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_past_the_bound_get_429_not_memory() {
    let options =
        UiOptions { login_attempts: 100, password_checks: 1, password_wait: Duration::ZERO, ..UiOptions::default() };
    let site = Arc::new(Site::start(options, ServerOptions::default()).await);
    // Unknown users cost a (dummy) check too, so they count against the bound.
    let flood: Vec<_> = (0..12)
        .map(|n| {
            let site = Arc::clone(&site);
            tokio::spawn(async move {
                let response = site.login(&format!("nobody{n}"), "guess", "/queue").await.expect("answered");
                (response.status(), text_header(response.headers(), &header::RETRY_AFTER))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for login in flood {
        answers.push(login.await.expect("task"));
    }
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS).collect();
    assert!(!busy.is_empty(), "twelve parallel checks with one slot: some must be turned away: {answers:?}");
    assert!(busy.iter().all(|(_, retry)| retry == "1"), "{busy:?}");
    // Refused logins did not use up anyone's budget, and the slot is free again.
    let ok = site.login("ann", PASSWORD, "/queue").await.expect("answered");
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

// ---- 11.8: slowloris ----

/// Opens a connection that sends half a request head and then nothing.
async fn half_request(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.expect("write");
    stream
}

/// True when the server closes `stream` within `limit` (whatever it sends first).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_half_requests_are_closed_at_the_header_timeout_and_others_still_get_answers() {
    let server = ServerOptions {
        max_connections: 8,
        header_read_timeout: Duration::from_millis(400),
        ..ServerOptions::default()
    };
    let site = Site::start(UiOptions::default(), server).await;
    let mut idle = Vec::new();
    for _ in 0..24 {
        idle.push(half_request(site.addr).await);
    }
    let started = Instant::now();
    let health = tokio::time::timeout(Duration::from_secs(5), site.get("/healthz", false)).await;
    assert_eq!(health.expect("answered while 24 idle connections sit on a cap of 8").status(), StatusCode::OK);
    for (n, stream) in idle.iter_mut().enumerate() {
        assert!(closed_within(stream, Duration::from_secs(5)).await, "idle connection {n} still open");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // A kept-alive connection that goes quiet after a request is closed the same way.
    let mut stream = TcpStream::connect(site.addr).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("write");
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await, "idle keep-alive connection still open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_a_free_slot() {
    let server = ServerOptions {
        max_connections: 2,
        header_read_timeout: Duration::from_millis(800),
        ..ServerOptions::default()
    };
    let site = Site::start(UiOptions::default(), server).await;
    let _idle = [half_request(site.addr).await, half_request(site.addr).await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let health = tokio::time::timeout(Duration::from_secs(5), site.get("/healthz", false)).await;
    assert_eq!(health.expect("answered once a slot frees").status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(400), "served past the cap after {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_never_arrives_times_out() {
    let server = ServerOptions { request_timeout: Duration::from_millis(500), ..ServerOptions::default() };
    let site = Site::start(UiOptions::default(), server).await;
    let mut stream = TcpStream::connect(site.addr).await.expect("connect");
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: gleaner_login={LOGIN_TOKEN}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nname="
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "connection still open 5 s into a 0.5 s request budget");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

// ---- 11.9: a stalled request does not hold `serve` past SIGTERM ----

#[test]
fn serve_stops_within_ten_seconds_of_sigterm_while_a_request_is_stalled() {
    use crate::ingest::{rss, source, write_config};
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("feed.xml"), rss(&[("a", "Alpha", "http://example.org/a")])).expect("feed");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let config =
        write_config(dir.path(), &format!("[server]\nbind = \"127.0.0.1:{port}\"\n\n{}", source("local", "feed.xml")));
    let (mut child, addr) = start_serve(&config, port);
    let mut stalled = std::net::TcpStream::connect(addr).expect("connect");
    // A request whose body never finishes: in flight until the server gives up on it.
    let head = "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100000\r\n\r\nname=";
    std::io::Write::write_all(&mut stalled, head.as_bytes()).expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let (status, took) = terminate(&mut child);
    drop(stalled);
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "stopped {took:?} after SIGTERM");
}

// ---- 11.15: security headers ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_files_carry_nosniff_a_csp_and_a_referrer_policy() {
    let site = Site::start(UiOptions::default(), ServerOptions::default()).await;
    for path in ["/feeds/", "/feeds/index.html", "/feeds/issues/1.html", "/feeds/digest.xml", "/feeds/nope"] {
        let response = site.get(path, false).await;
        let headers = response.headers();
        assert_eq!(text_header(headers, &header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        assert!(!text_header(headers, &header::REFERRER_POLICY).is_empty(), "{path}");
        let csp = text_header(headers, &header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'none'"), "{path}: {csp:?}");
        assert!(!csp.contains("script-src") || csp.contains("script-src 'none'"), "{path}: no script runs: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let archive = site.get("/feeds/", false).await;
    let csp = text_header(archive.headers(), &header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("style-src"), "the archive keeps its inline styles: {csp}");
}

fn attrs(html: &scraper::Html, css: &str, name: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(css).expect("selector");
    html.select(&selector).filter_map(|e| e.value().attr(name)).map(str::to_owned).collect()
}

fn with_remote_image(fx: Fixture) -> (Fixture, ItemId) {
    let summary = r#"<p>Pictured below.</p><img src="https://tracker.example/pixel.png" alt="pixel">"#;
    let item: NewItem = entry("wire", "pictured", "A picture story", summary, 50, "en");
    fx.store.upsert_items(std::slice::from_ref(&item)).expect("upsert");
    let id = item.id();
    (fx, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_images_in_feed_content_are_blocked_until_the_editor_asks() {
    let (fx, id) = with_remote_image(fixture());
    let site = Site::start_with(fx, UiOptions::default(), ServerOptions::default()).await;
    let img_src =
        |csp: &str| csp.split(';').map(str::trim).find(|d| d.starts_with("img-src")).unwrap_or_default().to_owned();
    for path in [format!("/items/{id}"), "/queue".to_owned(), "/composer".to_owned()] {
        let page = site.get(&path, true).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let csp = text_header(page.headers(), &header::CONTENT_SECURITY_POLICY);
        assert_eq!(img_src(&csp), "img-src 'self' data:", "{path}: {csp}");
    }
    let page = site.get(&format!("/items/{id}"), true).await;
    let html = scraper::Html::parse_document(&page.text().await.expect("body"));
    assert_eq!(attrs(&html, ".summary img", "src"), ["https://tracker.example/pixel.png"], "kept, blocked by CSP");
    assert_eq!(attrs(&html, ".images-toggle a", "href"), [format!("/items/{id}?images=1")], "a 'show images' link");

    let shown = site.get(&format!("/items/{id}?images=1"), true).await;
    assert_eq!(shown.status(), StatusCode::OK);
    let csp = text_header(shown.headers(), &header::CONTENT_SECURITY_POLICY);
    assert_eq!(img_src(&csp), "img-src 'self' https: data:", "{csp}");
    assert!(csp.contains("script-src 'self'"), "only images are relaxed: {csp}");
    let html = scraper::Html::parse_document(&shown.text().await.expect("body"));
    assert_eq!(attrs(&html, ".images-toggle a", "href"), [format!("/items/{id}")], "a way back to hiding them");

    // The composer's preview makes the same choice.
    for action in ["shortlist", "approve"] {
        let revision = site.revision(&id);
        let acted = site.post(&format!("/items/{id}/act"), &[("revision", &revision), ("do", action)]).await;
        assert_eq!(acted.status(), StatusCode::SEE_OTHER, "{action}");
    }
    for (path, images) in
        [("/composer/preview", "img-src 'self' data:"), ("/composer/preview?images=1", "img-src 'self' https: data:")]
    {
        let preview = site.get(path, true).await;
        assert_eq!(preview.status(), StatusCode::OK, "{path}");
        assert_eq!(img_src(&text_header(preview.headers(), &header::CONTENT_SECURITY_POLICY)), images, "{path}");
    }
}
