//! Browser tests of the review UI in a real headless Chromium (Debian's
//! `chromium` and `chromium-driver`), driven over `WebDriver` by fantoccini:
//! log in, filter the queue, approve with the keyboard, choose quotes, write
//! commentary, reorder in the composer, preview, and a phone-width layout;
//! add an article by URL, and cite a second article with one of its quotes.
//!
//! The test starts its own chromedriver on a free loopback port (killed on
//! drop) and the UI on 127.0.0.1:0. Without `/usr/bin/chromedriver` it skips
//! with a message, except under CI (`CI` set), where it must run: `.ci/run`
//! installs the packages. Locally: `apt-get install -y chromium chromium-driver`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use gleaner::editorial::Editorial;
use gleaner::model::{ItemId, ReviewState};
use gleaner::store::Store;
use gleaner::web::review::{self, UiOptions};

use crate::ingest::TestConfig;
use crate::support::http::{Reply, TestServer};
use crate::ui::{fixture, ui_state};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port; killed when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub(crate) fn start() -> Self {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("addr").port()
}

/// False (with a message) when the browser is not installed and this is not CI.
pub(crate) fn browser_available() -> bool {
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "browser tests must run in CI, but {CHROMEDRIVER} or {CHROMIUM} is missing: .ci/run installs them"
    );
    eprintln!(
        "SKIPPED browser tests: {CHROMEDRIVER} or {CHROMIUM} is missing; \
         install with `apt-get update && apt-get install -y chromium chromium-driver`"
    );
    false
}

pub(crate) async fn browser(driver: &Driver, profile: &Path) -> Client {
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("a JSON object") };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

/// Presses `key` as a user would (`WebDriver` key actions to the focused page).
async fn press(client: &Client, key: char) {
    let keys =
        KeyActions::new("keyboard".to_owned()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("key press");
}

/// The trimmed texts of the elements matching `css`. While a click's
/// navigation is under way the elements may go stale; that reads as "not
/// there yet" (an empty list), which the waiting loops retry.
pub(crate) async fn texts(client: &Client, css: &str) -> Vec<String> {
    let Ok(elements) = client.find_all(Locator::Css(css)).await else { return Vec::new() };
    let mut out = Vec::new();
    for element in elements {
        match element.text().await {
            Ok(text) => out.push(text.trim().to_owned()),
            Err(_) => return Vec::new(),
        }
    }
    out
}

/// Waits until the page at a path starting with `prefix` has finished loading.
/// Waits until the element matching `css` contains `needle`: after a click the
/// old page is still current for a moment, so checking the URL alone races.
pub(crate) async fn wait_for_text(client: &Client, css: &str, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if texts(client, css).await.concat().contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} never showed {needle:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the current URL's query contains `needle` and the page has loaded.
async fn wait_for_query(client: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = client.current_url().await.expect("url");
        let ready = client.execute("return document.readyState", vec![]).await.expect("js");
        if url.query().unwrap_or("").contains(needle) && ready == "complete" {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}, waiting for ?{needle}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_for_path(client: &Client, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = client.current_url().await.expect("url");
        let ready = client.execute("return document.readyState", vec![]).await.expect("js");
        if url.path().starts_with(prefix) && ready == "complete" {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}, waiting for {prefix}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn state_of(store: &Arc<dyn Store>, id: &ItemId) -> ReviewState {
    store.item(id).expect("read").expect("stored").state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_reviews_and_composes_an_issue_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("time");
    Editorial::new(Arc::clone(&fx.store))
        .expect("editorial")
        .add_user("ann", "correct horse battery", at)
        .expect("user");
    let router = review::routes(ui_state(&fx.store, UiOptions::default()));
    let served = ServedUi::start(router).await;
    let base = served.base.clone();
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    let run = async {
        // Log in: the queue sends us to the login page and back.
        client.goto(&format!("{base}/queue")).await.expect("goto");
        wait_for_path(&client, "/login").await;
        client.find(Locator::Css("input[name=name]")).await.expect("name").send_keys("ann").await.expect("type");
        let password = client.find(Locator::Css("input[name=password]")).await.expect("password");
        password.send_keys("correct horse battery").await.expect("type");
        client.find(Locator::Css("form.login button")).await.expect("button").click().await.expect("click");
        wait_for_path(&client, "/queue").await;
        assert_eq!(texts(&client, ".rows .title").await.len(), 4);

        // Filter the queue by full text.
        let search = client.find(Locator::Css("input[name=q]")).await.expect("search");
        search.send_keys("postponed").await.expect("type");
        client.find(Locator::Css(".filters button[type=submit]")).await.expect("filter").click().await.expect("click");
        wait_for_query(&client, "q=postponed").await;
        assert_eq!(texts(&client, ".rows .title").await, ["Budget vote delayed"]);

        // Approve with the keyboard: j moves to the first (newest) row, a approves it.
        client.goto(&format!("{base}/queue?state=new")).await.expect("goto");
        wait_for_path(&client, "/queue").await;
        assert_eq!(texts(&client, ".rows .title").await[0], "Rates held steady");
        press(&client, '?').await;
        assert!(client.find(Locator::Css("#help")).await.expect("help").is_displayed().await.expect("shown"));
        press(&client, '?').await;
        press(&client, 'j').await;
        assert_eq!(texts(&client, ".row.cursor .title").await, ["Rates held steady"]);
        press(&client, 'a').await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while state_of(&fx.store, &fx.rates) != ReviewState::Approved {
            assert!(Instant::now() < deadline, "the keyboard approve did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        wait_for_text(&client, ".flash li", "Approved").await;
        assert!(!texts(&client, ".rows .title").await.contains(&"Rates held steady".to_owned()), "left the new list");

        // Choose a quote, correct its speaker, write commentary, approve.
        client.goto(&format!("{base}/items/{}", fx.budget)).await.expect("goto");
        wait_for_path(&client, "/items/").await;
        client.find(Locator::Css("input[name=quote][value=q1]")).await.expect("quote").click().await.expect("tick");
        let speaker = client.find(Locator::Css("input[name='speaker.q1']")).await.expect("speaker");
        speaker.clear().await.expect("clear");
        speaker.send_keys("Ann B. Mayor").await.expect("type");
        let commentary = client.find(Locator::Css("textarea[name=commentary]")).await.expect("commentary");
        commentary.send_keys("The delay is the story.").await.expect("type");
        client.find(Locator::Css("button[value=approve]")).await.expect("approve").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Saved").await;
        let item = fx.store.item(&fx.budget).expect("read").expect("stored");
        assert_eq!(item.state, ReviewState::Approved);
        assert_eq!(item.editor.quote_ids, ["q1"]);
        assert_eq!(item.editor.commentary.as_deref(), Some("The delay is the story."));
        assert_eq!(item.editor.quote_overrides["q1"].speaker.as_deref(), Some("Ann B. Mayor"));

        // Reorder in the composer: budget (older) is first; move it down.
        client.goto(&format!("{base}/composer")).await.expect("goto");
        wait_for_path(&client, "/composer").await;
        assert_eq!(texts(&client, ".draft-item .headline").await, ["Budget vote delayed", "Rates held steady"]);
        let down = format!("button[value='down:{}']", fx.budget);
        client.find(Locator::Css(&down)).await.expect("down").click().await.expect("click");
        // The reorder is a POST that redirects back to /composer: wait for the new order, not the path.
        let deadline = Instant::now() + Duration::from_secs(10);
        while texts(&client, ".draft-item .headline").await != ["Rates held steady", "Budget vote delayed"] {
            assert!(Instant::now() < deadline, "the composer never showed the new order");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // The preview, as subscribers will see it.
        let href = client.find(Locator::Css("a.preview-link")).await.expect("link").attr("href").await.expect("href");
        client.goto(&format!("{base}{}", href.expect("a preview href"))).await.expect("goto");
        wait_for_path(&client, "/composer/preview").await;
        let page = client.find(Locator::Css("main")).await.expect("main").text().await.expect("text");
        let (rates, budget) = (page.find("Rates held steady"), page.find("Budget vote delayed"));
        assert!(rates.is_some() && rates < budget, "composer order: {page}");
        assert!(page.contains("The delay is the story.") && page.contains("We need more time"), "{page}");
        assert!(page.contains("Ann B. Mayor"), "the corrected speaker: {page}");

        // Phone width: nothing wider than the screen.
        client.set_window_size(375, 800).await.expect("resize");
        for path in ["/queue".to_owned(), format!("/items/{}", fx.budget), "/composer".to_owned()] {
            client.goto(&format!("{base}{path}")).await.expect("goto");
            wait_for_path(&client, &path).await;
            let overflow = client
                .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
                .await
                .expect("js");
            assert_eq!(overflow.as_i64(), Some(0), "{path} scrolls sideways at 375px");
        }
    };
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await;
    let _ = client.close().await;
    drop(driver);
    served.stop().await;
    outcome.expect("the browser test finished within two minutes");
}

/// The review UI served on a free loopback port for one browser test.
pub(crate) struct ServedUi {
    pub(crate) base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ServedUi {
    pub(crate) async fn start(router: axum::Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(gleaner::web::serve(listener, router, async move {
            let _ = stopped.await;
        }));
        Self { base, stop, server }
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

/// Logs `ann` in through the login page: asking for `page` sends there and
/// back.
pub(crate) async fn log_in_at(client: &Client, base: &str, page: &str) {
    client.goto(&format!("{base}{page}")).await.expect("goto");
    wait_for_path(client, "/login").await;
    client.find(Locator::Css("input[name=name]")).await.expect("name").send_keys("ann").await.expect("type");
    let password = client.find(Locator::Css("input[name=password]")).await.expect("password");
    password.send_keys("correct horse battery").await.expect("type");
    client.find(Locator::Css("form.login button")).await.expect("button").click().await.expect("click");
    wait_for_path(client, page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_adds_an_article_by_url_and_cites_a_second_one_with_its_quote() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("time");
    Editorial::new(Arc::clone(&fx.store))
        .expect("editorial")
        .add_user("ann", "correct horse battery", at)
        .expect("user");
    // The article "came by email": a page on a loopback server, which the
    // test's fetch settings allow (the shipped default refuses loopback).
    let page = std::fs::read_to_string("tests/fixtures/follow/council-vote.html").expect("fixture");
    let article = TestServer::start(move |_| Reply::ok(page.clone()).header("Content-Type", "text/html"));
    let settings = TestConfig::new("").config.settings;
    let fetcher = gleaner::fetch::Fetcher::new(&settings.fetch).expect("fetcher");
    let ingest = gleaner::ingest::Ingest::new(fetcher, Arc::clone(&fx.store), &settings);
    let router = review::routes(ui_state(&fx.store, UiOptions::default()).with_ingest(ingest));
    let served = ServedUi::start(router).await;
    let base = served.base.clone();
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    let run = async {
        log_in_at(&client, &base, "/queue").await;

        // Add by URL: the queue's box fetches the page and opens the new item.
        let url = article.url("/news/council-bridge");
        client
            .find(Locator::Css("form.add-url input[name=url]"))
            .await
            .expect("box")
            .send_keys(url.as_str())
            .await
            .expect("type");
        client.find(Locator::Css("form.add-url button")).await.expect("add").click().await.expect("click");
        wait_for_text(&client, "h1", "Council approves the river bridge").await;
        let added = fx.store.item_by_url(url.as_str()).expect("read").expect("stored by its URL");
        assert_eq!((added.source(), added.state), ("manual", ReviewState::New));
        client.goto(&format!("{base}/queue")).await.expect("goto");
        wait_for_path(&client, "/queue").await;
        assert!(texts(&client, ".rows .title").await.contains(&"Council approves the river bridge".to_owned()));

        // Cite the budget article from the rates entry, and choose one of its quotes.
        client.goto(&format!("{base}/items/{}", fx.rates)).await.expect("goto");
        wait_for_path(&client, "/items/").await;
        let other = client.find(Locator::Css("input[name=other_id]")).await.expect("id box");
        other.send_keys(fx.budget.as_str()).await.expect("type");
        client.find(Locator::Css("button.attach-id")).await.expect("attach").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Attached").await;
        assert_eq!(texts(&client, ".cited-list a").await, ["Budget vote delayed"]);
        client
            .find(Locator::Css(".cited-quote input[name=quote][value=q2]"))
            .await
            .expect("quote")
            .click()
            .await
            .expect("tick");
        let commentary = client.find(Locator::Css("textarea[name=commentary]")).await.expect("commentary");
        commentary.send_keys("Two outlets, one delay.").await.expect("type");
        client.find(Locator::Css("button[value=approve]")).await.expect("approve").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Saved").await;
        let rates = fx.store.item(&fx.rates).expect("read").expect("stored");
        assert_eq!(rates.editor.cited, std::slice::from_ref(&fx.budget));
        assert_eq!(rates.editor.quote_ids, ["q2"]);
        assert_eq!(rates.state, ReviewState::Approved);

        // The preview shows the entry with both articles and the cited article's quote.
        client.goto(&format!("{base}/composer/preview")).await.expect("goto");
        wait_for_path(&client, "/composer/preview").await;
        let page = client.find(Locator::Css("main")).await.expect("main").text().await.expect("text");
        assert!(page.contains("Bob Critic") && page.contains("This is a delay tactic"), "{page}");
        assert!(page.contains("Two outlets, one delay."), "{page}");
    };
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await;
    let _ = client.close().await;
    drop(driver);
    served.stop().await;
    outcome.expect("the browser test finished within two minutes");
}
