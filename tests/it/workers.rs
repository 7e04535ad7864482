//! Issue 17, part 2: several processes on one PostgreSQL store. Real
//! `gleaner worker` processes poll feeds from a scripted loopback server;
//! one is killed with SIGKILL mid-poll and the others finish its work once
//! its leases expire. Two publishers race for one scheduled due time and one
//! publishes. sled refuses the roles that need a shared store.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gleaner::daemon::{Scheduled, publish_due};
use gleaner::publish::PublishOutcome;
use gleaner::store::prelude::*;
use gleaner::store::{ItemQuery, PgStore, SharedWork};

use crate::ingest::rss;
use crate::publish::use_case::{approve, publisher, stored_items};
use crate::support::http::{Reply, TestServer};
use crate::support::pg;

/// Feeds and items per feed of the crash test (small: CI time).
const FEEDS: usize = 36;
const PER_FEED: usize = 5;
/// The workers' lease in the crash test: short, so the takeover is quick.
const LEASE_SECS: u64 = 3;

fn worker(config: &Path) -> Child {
    worker_with(config, 3, Stdio::null())
}

/// A worker polling `batch` sources at once, its log (at `info`) to `log`.
fn worker_with(config: &Path, batch: usize, log: impl Into<Stdio>) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(config)
        .args(["worker", "--lease", &LEASE_SECS.to_string(), "--batch", &batch.to_string()])
        .env("GLEANER_STORE_PASSWORD", pg::PASSWORD)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("gleaner worker starts")
}

/// A config of its own per worker (its own folder, its own User-Agent, so
/// the server can tell the workers apart), all on one database. The crash
/// test is not about politeness: its one test host allows every poll at once.
fn worker_config(dir: &Path, n: usize, url: &str, sources: &str) -> PathBuf {
    worker_config_with(dir, n, url, "per_host_concurrency = 16", sources)
}

fn worker_config_with(dir: &Path, n: usize, url: &str, fetch: &str, sources: &str) -> PathBuf {
    let folder = dir.join(format!("w{n}"));
    std::fs::create_dir_all(&folder).expect("worker folder");
    let path = folder.join("gleaner.toml");
    let text = format!(
        "store = \"{url}\"\n\n[fetch]\nallow_private_networks = true\ntimeout_secs = 10\n\
         user_agent = \"worker-{n}\"\n{fetch}\n\n{sources}"
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// `count` daily sources `s00`, `s01`, … on `server`.
fn daily_sources(server: &TestServer, count: usize) -> String {
    (0..count).fold(String::new(), |mut text, n| {
        let url = server.url(&format!("/f{n}"));
        let _ = write!(text, "[[source]]\nid = \"s{n:02}\"\nurl = \"{url}\"\nschedule = \"@daily\"\n\n");
        text
    })
}

/// Waits until all `sources` are synced, polled and finished, then stops
/// the workers.
fn finish_all(options: &gleaner::store::PgOptions, sources: i64, workers: &mut [Child]) {
    let began = Instant::now();
    while leasable(options) < sources || unfinished(options) > 0 {
        assert!(began.elapsed() < Duration::from_secs(90), "the workers never finished");
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in workers {
        let (status, _) = crate::support::terminate(child);
        assert!(status.success(), "a clean stop on SIGTERM: {status:?}");
    }
}

/// Per-host politeness holds across processes: two workers polling twelve
/// slow feeds of one host never have more requests in flight there, between
/// them, than the per-host limit (each alone would keep to it, together
/// they would double it).
#[test]
fn two_workers_together_keep_to_the_per_host_limit() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let server = TestServer::start(|_| {
        Reply::ok(rss(&[])).header("Content-Type", "application/rss+xml").delay(Duration::from_millis(300))
    });
    let sources = daily_sources(&server, 12);
    let dir = tempfile::tempdir().expect("temp dir");
    let fetch = "per_host_concurrency = 2\nmax_concurrency = 8";
    let mut workers: Vec<Child> = (0..2)
        .map(|n| worker_with(&worker_config_with(dir.path(), n, &options.url, fetch, &sources), 6, Stdio::null()))
        .collect();

    finish_all(&options, 12, &mut workers);

    let requests = server.requests();
    assert_eq!(requests.len(), 12, "each feed polled once");
    for agent in ["worker-0", "worker-1"] {
        assert!(
            requests.iter().any(|r| r.header("user-agent") == Some(agent)),
            "{agent} polled too: the limit was shared, not one worker doing everything"
        );
    }
    assert!(server.max_in_flight() <= 2, "{} requests at once to one host, limit 2", server.max_in_flight());
    assert_eq!(server.max_in_flight(), 2, "the limit is used, not undershot");
}

/// A `Retry-After` one worker is given holds the host for the other: worker
/// 0's first request is answered, slowly, with 429 and an hour's
/// Retry-After while worker 1 waits for the host's one slot; worker 1 then
/// sends nothing to that host and puts its sources off by the hour.
#[test]
fn a_retry_after_seen_by_one_worker_holds_the_host_off_for_the_other() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let first = std::sync::atomic::AtomicBool::new(true);
    let server = TestServer::start(move |_| {
        if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Reply::new(429).header("Retry-After", "3600").delay(Duration::from_secs(3));
        }
        Reply::ok(rss(&[])).header("Content-Type", "application/rss+xml")
    });
    let sources = daily_sources(&server, 6);
    let dir = tempfile::tempdir().expect("temp dir");
    let fetch = "per_host_concurrency = 1";
    let configs: Vec<PathBuf> =
        (0..2).map(|n| worker_config_with(dir.path(), n, &options.url, fetch, &sources)).collect();
    // Worker 0 alone, one source at a time, until its request is in flight.
    let mut workers = vec![worker_with(&configs[0], 1, Stdio::null())];
    let began = Instant::now();
    while server.hits() == 0 {
        assert!(began.elapsed() < Duration::from_secs(30), "worker 0 never polled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let log_path = dir.path().join("worker-1.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    workers.push(worker_with(&configs[1], 6, log));
    finish_all(&options, 6, &mut workers);

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "nothing after the 429 reached the host: {requests:?}");
    assert_eq!(requests[0].header("user-agent"), Some("worker-0"));
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(log.contains("polled"), "worker 1 took sources and was held off: {log}");
    assert!(log.contains("asked for a pause"), "held by the host's pause, not failing otherwise: {log}");
    // Every source, whichever worker had it, is put off by the hour.
    let store = PgStore::connect(&options).expect("connect");
    let soon = chrono::Utc::now() + chrono::Duration::minutes(50);
    assert!(store.lease_due_sources(soon, chrono::Duration::minutes(1), 10).expect("lease").is_empty());
}

#[test]
fn a_worker_killed_mid_poll_loses_its_sources_to_the_others_after_its_lease_and_nothing_is_stored_twice() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let store = PgStore::connect(&options).expect("connect");
    // Who asked for which feed, and when (the handler runs as a request arrives).
    let seen: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::default();
    let log = Arc::clone(&seen);
    let server = TestServer::start(move |request| {
        let agent = request.header("user-agent").unwrap_or_default().to_owned();
        log.lock().expect("log").push((request.path().to_owned(), agent, Instant::now()));
        let feed = request.path().trim_start_matches("/f");
        let items: Vec<(String, String, String)> = (0..PER_FEED)
            .map(|i| {
                (format!("f{feed}-{i}"), format!("Feed {feed} item {i}"), format!("http://example.org/{feed}/{i}"))
            })
            .collect();
        let borrowed: Vec<(&str, &str, &str)> =
            items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str())).collect();
        // Slow enough that a kill lands while polls are in flight.
        Reply::ok(rss(&borrowed)).header("Content-Type", "application/rss+xml").delay(Duration::from_millis(400))
    });
    let sources = daily_sources(&server, FEEDS);
    let dir = tempfile::tempdir().expect("temp dir");
    let configs: Vec<PathBuf> = (0..3).map(|n| worker_config(dir.path(), n, &options.url, &sources)).collect();
    let mut workers: Vec<Child> = configs.iter().map(PathBuf::as_path).map(worker).collect();

    // Kill worker 0 once it has a poll in flight.
    let began = Instant::now();
    while !seen.lock().expect("log").iter().any(|(_, agent, _)| agent == "worker-0") {
        assert!(began.elapsed() < Duration::from_secs(60), "worker 0 never polled");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    workers[0].kill().expect("SIGKILL");
    let killed_at = Instant::now();
    let _ = workers[0].wait();

    let total = FEEDS * PER_FEED;
    let began = Instant::now();
    while store.item_count().expect("count") < total || unfinished(&options) > 0 {
        assert!(began.elapsed() < Duration::from_secs(90), "the other workers never finished");
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in &mut workers[1..] {
        child.kill().expect("stop");
        let _ = child.wait();
    }

    assert_eq!(store.item_count().expect("count"), total, "every item stored once, none twice");
    let items = store.items(&ItemQuery::default()).expect("items");
    let mut urls: Vec<&str> = items.iter().filter_map(|item| item.url.as_deref()).collect();
    urls.sort_unstable();
    urls.dedup();
    assert_eq!(urls.len(), total);

    // The killed worker's last feeds: asked by worker 0 just before the kill
    // (so never finished by it) and then by another worker, not before its
    // lease ran out.
    let seen = seen.lock().expect("log").clone();
    let mut by_feed: HashMap<&str, Vec<(&str, Instant)>> = HashMap::new();
    for (path, agent, when) in &seen {
        by_feed.entry(path.as_str()).or_default().push((agent.as_str(), *when));
    }
    let lease = Duration::from_secs(LEASE_SECS);
    let mut taken_over = 0;
    for requests in by_feed.values() {
        let Some(&(_, asked)) = requests.iter().find(|(agent, _)| *agent == "worker-0") else { continue };
        if killed_at.duration_since(asked) > Duration::from_millis(390) {
            continue; // answered before the kill: worker 0 finished it
        }
        let again = requests.iter().find(|(agent, when)| *agent != "worker-0" && *when > asked);
        let (_, when) = again.expect("a feed of the killed worker is polled by another");
        // The lease was taken just before the request (a loaded machine: a second of slack).
        assert!(when.duration_since(asked) + Duration::from_secs(1) >= lease, "taken before the lease expired");
        taken_over += 1;
    }
    assert!(taken_over >= 1, "the kill landed mid-poll: some source was taken over ({seen:?})");
}

/// Sources still leased or never finished.
fn unfinished(options: &gleaner::store::PgOptions) -> i64 {
    count(options, "SELECT count(*) FROM source_leases WHERE lease_token IS NOT NULL OR next_due IS NULL")
}

/// Sources a worker synced into the database.
fn leasable(options: &gleaner::store::PgOptions) -> i64 {
    count(options, "SELECT count(*) FROM source_leases")
}

fn count(options: &gleaner::store::PgOptions, sql: &'static str) -> i64 {
    let count = std::sync::atomic::AtomicI64::new(0);
    let database = options.url.rsplit('/').next().unwrap_or_default().to_owned();
    let found = &count;
    pg::cluster()
        .on(&database, |client| async move {
            let row = client.query_one(sql, &[]).await?;
            found.store(row.get(0), std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .expect("count leases");
    count.into_inner()
}

#[test]
fn two_processes_racing_for_one_scheduled_publish_publish_once() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let stores: Vec<PgStore> = (0..2).map(|_| PgStore::connect(&options).expect("connect")).collect();
    let ids = stored_items(&stores[0], "race", 3);
    approve(&stores[0], &ids);
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().expect("temp dir")).collect();
    let due = chrono::Utc::now();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let outcomes: Vec<Scheduled> = std::thread::scope(|scope| {
        let runs: Vec<_> = stores
            .iter()
            .zip(&dirs)
            .map(|(store, dir)| {
                let barrier = Arc::clone(&barrier);
                scope.spawn(move || {
                    let publisher = publisher(dir.path());
                    barrier.wait();
                    publish_due(&publisher, store, due).expect("publish")
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().expect("no panic")).collect()
    });
    let ran = outcomes.iter().filter(|o| matches!(o, Scheduled::Ran(PublishOutcome::Issue(_)))).count();
    let elsewhere = outcomes.iter().filter(|o| matches!(o, Scheduled::Elsewhere)).count();
    assert_eq!((ran, elsewhere), (1, 1), "{outcomes:?}");
    assert_eq!(stores[1].issues().expect("issues").len(), 1);
    // The same due time again (a restart that recomputes it) stands down too.
    let again = publish_due(&publisher(dirs[0].path()), &stores[0], due).expect("publish");
    assert!(matches!(again, Scheduled::Elsewhere), "{again:?}");
    assert!(
        stores[0].claim_publish(due + chrono::Duration::hours(1), "next").expect("claim"),
        "the next due time is free"
    );
    assert!(SharedWork::claim_publish(&stores[1], due, "late").is_ok_and(|won| !won));
}

#[test]
fn worker_and_web_roles_refuse_a_sled_store_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = crate::ingest::write_config(dir.path(), "");
    for args in [&["worker"][..], &["serve", "--role", "web"][..]] {
        let out = crate::support::gleaner(&config, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("needs a PostgreSQL store"), "{args:?}: {err}");
    }
}

/// The deployment of `compose.yaml` in small: one `serve --role web` and two
/// workers on one database. The web process takes in what the workers
/// store, and an editor approves and publishes through it.
#[test]
fn a_web_process_shows_what_the_workers_poll_and_publishes_it() {
    use crate::api::{free_port, request};
    let options = pg::cluster().database();
    let server = TestServer::start(|request| {
        let feed = request.path().trim_start_matches("/f").to_owned();
        let items: Vec<(String, String, String)> = (0..3)
            .map(|i| (format!("g{feed}-{i}"), format!("Story {feed}.{i}"), format!("http://example.org/{feed}/{i}")))
            .collect();
        let borrowed: Vec<(&str, &str, &str)> =
            items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str())).collect();
        Reply::ok(rss(&borrowed)).header("Content-Type", "application/rss+xml")
    });
    let sources = (0..2).fold(String::new(), |mut text, n| {
        let _ = write!(text, "[[source]]\nid = \"s{n}\"\nurl = \"{}\"\n\n", server.url(&format!("/f{n}")));
        text
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("gleaner.toml");
    std::fs::write(
        &config,
        format!(
            "store = \"{}\"\n\n[fetch]\nallow_private_networks = true\n\n[server]\nbind = \"127.0.0.1:{port}\"\n\n\
             [publish]\noutput_dir = \"out\"\n\n{sources}",
            options.url
        ),
    )
    .expect("config");
    let gleaner = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gleaner"));
        command.arg("--config").arg(&config).args(args);
        command.env("GLEANER_STORE_PASSWORD", pg::PASSWORD).env("RUST_LOG", "warn");
        command
    };
    let run = |args: &[&str]| gleaner(args).output().expect("gleaner runs");
    assert!(run(&["migrate"]).status.success());
    let created = run(&["token", "create", "desk", "--scope", "edit"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let spawn =
        |args: &[&str]| gleaner(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("gleaner starts");
    let mut children = vec![spawn(&["serve", "--role", "web"]), spawn(&["worker"]), spawn(&["worker"])];
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    // Within a catch-up or two, the web process's queue holds the workers' six items.
    let began = Instant::now();
    let queue = loop {
        let (status, body) = match std::net::TcpStream::connect(addr) {
            Ok(_) => request(addr, "GET", "/api/v1/items?state=new", Some(&token), None),
            Err(_) => (0, serde_json::Value::Null),
        };
        if status == 200 && body["total"] == 6 {
            break body;
        }
        assert!(began.elapsed() < Duration::from_secs(60), "the web process never showed the items: {status} {body}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(server.hits(), 2, "each feed polled once between the two workers");
    let id = queue["items"][0]["id"].as_str().expect("an id").to_owned();
    let (_, shown) = request(addr, "GET", &format!("/api/v1/items/{id}"), Some(&token), None);
    let revision = shown["revision"].as_u64().expect("revision");
    let approve = format!("/api/v1/items/{id}/approve");
    let (status, body) = request(addr, "POST", &approve, Some(&token), Some(&format!("{{\"revision\":{revision}}}")));
    assert_eq!(status, 200, "{body}");
    let (status, body) = request(addr, "POST", "/api/v1/issues/publish", Some(&token), Some("{}"));
    assert_eq!(status, 200, "{body}");
    let (status, health) = request(addr, "GET", "/healthz", None, None);
    assert_eq!(status, 200, "{health}");
    for child in &mut children {
        let (status, _) = crate::support::terminate(child);
        assert!(status.success(), "a clean stop on SIGTERM");
    }
    let store = PgStore::connect(&options).expect("connect");
    assert_eq!(store.issues().expect("issues").len(), 1);
    assert_eq!(store.item_count().expect("items"), 6);
}

/// Article fetches run inside their source's lease: a worker killed while
/// its articles are in flight stored none of them, and the source's next
/// poll, by another worker once the lease has run out, fetches and extracts
/// them (the dead worker never saved the feed's validators, so the feed
/// comes back whole and delivers every item again). Each item is stored
/// once and extracted once.
#[test]
fn articles_a_killed_worker_was_fetching_are_fetched_by_another_after_its_lease() {
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let seen: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::default();
    let log = Arc::clone(&seen);
    let server = Arc::new(std::sync::OnceLock::<String>::new());
    let base = Arc::clone(&server);
    let pages = TestServer::start(move |request| {
        let agent = request.header("user-agent").unwrap_or_default().to_owned();
        log.lock().expect("log").push((request.path().to_owned(), agent, Instant::now()));
        if request.path() == "/feed" {
            let base = base.get().expect("base set before any poll");
            let items: Vec<(String, String, String)> =
                (0..3).map(|i| (format!("a{i}"), format!("Article {i}"), format!("{base}/a{i}"))).collect();
            let borrowed: Vec<(&str, &str, &str)> =
                items.iter().map(|(g, t, l)| (g.as_str(), t.as_str(), l.as_str())).collect();
            return Reply::ok(rss(&borrowed)).header("Content-Type", "application/rss+xml");
        }
        let body = format!(
            "<html><head><title>{0}</title></head><body><article><h1>{0}</h1><p>{1}</p><p>{1}</p></article></body></html>",
            request.path(),
            "The council met on Tuesday and agreed the budget after a long debate about the harbour. ".repeat(4)
        );
        // Slow, so the kill lands while the articles are in flight.
        Reply::ok(body).header("Content-Type", "text/html").delay(Duration::from_millis(1500))
    });
    let _ = server.set(format!("http://{}", pages.addr()));
    let sources = format!("[[source]]\nid = \"s00\"\nurl = \"{}\"\nfollow = true\n\n", pages.url("/feed"));
    let dir = tempfile::tempdir().expect("temp dir");
    let fetch = "per_host_concurrency = 8";
    let configs: Vec<PathBuf> =
        (0..2).map(|n| worker_config_with(dir.path(), n, &options.url, fetch, &sources)).collect();
    let mut first = worker_with(&configs[0], 1, Stdio::null());
    let began = Instant::now();
    while !seen.lock().expect("log").iter().any(|(path, _, _)| path.starts_with("/a")) {
        assert!(began.elapsed() < Duration::from_secs(30), "worker 0 never fetched an article");
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let store = PgStore::connect(&options).expect("connect");
    let extracted = |store: &PgStore| {
        store.items(&ItemQuery::default()).expect("items").iter().filter(|item| item.extracted_at.is_some()).count()
    };
    assert_eq!(extracted(&store), 0, "killed before any article was stored");

    let mut workers = vec![worker_with(&configs[1], 1, Stdio::null())];
    let began = Instant::now();
    while extracted(&store) < 3 {
        assert!(began.elapsed() < Duration::from_secs(60), "worker 1 never extracted the articles");
        std::thread::sleep(Duration::from_millis(100));
    }
    finish_all(&options, 1, &mut workers);

    let items = store.items(&ItemQuery::default()).expect("items");
    assert_eq!(items.len(), 3, "each item stored once");
    assert!(items.iter().all(|item| item.extracted_for.as_deref() == Some(item.content_hash.as_str())));
    let seen = seen.lock().expect("log").clone();
    let asked = |agent: &str, prefix: &str| {
        seen.iter().filter(|(path, a, _)| a == agent && path.starts_with(prefix)).map(|(_, _, when)| *when).min()
    };
    let leased = asked("worker-0", "/feed").expect("worker 0 polled the feed");
    let retaken = asked("worker-1", "/a").expect("worker 1 fetched the articles");
    // Not before worker 0's lease ran out (a second of slack for a loaded machine).
    assert!(retaken.duration_since(leased) + Duration::from_secs(1) >= Duration::from_secs(LEASE_SECS));
    let by_second = seen.iter().filter(|(path, agent, _)| agent == "worker-1" && path.starts_with("/a")).count();
    assert_eq!(by_second, 3, "every article fetched again by worker 1: {seen:?}");
}

/// A worker has no web server of its own, so `--metrics ADDR` serves its
/// `/metrics`: the counters of its own polls (each process its own), the
/// gauges from the shared store.
#[test]
fn a_worker_serves_its_own_metrics_when_asked() {
    use std::io::{Read as _, Write as _};
    let options = pg::cluster().database();
    PgStore::migrate(&options).expect("migrate");
    let server = TestServer::start(|_| {
        Reply::ok(rss(&[("m1", "One", "http://example.org/m1")])).header("Content-Type", "application/rss+xml")
    });
    let sources = daily_sources(&server, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = worker_config(dir.path(), 0, &options.url, &sources);
    let port = crate::api::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(&config)
        .args(["worker", "--metrics", &format!("127.0.0.1:{port}")])
        .env("GLEANER_STORE_PASSWORD", pg::PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gleaner worker starts");
    let scrape = || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n").ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        Some(text)
    };
    let began = Instant::now();
    let text = loop {
        if let Some(text) = scrape().filter(|t| t.contains("gleaner_fetches_total{result=\"ok\"} 1")) {
            break text;
        }
        assert!(began.elapsed() < Duration::from_secs(60), "no poll counted: {:?}", scrape());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("gleaner_items_ingested_total 1"), "{text}");
    let (status, _) = crate::support::terminate(&mut child);
    assert!(status.success(), "a clean stop on SIGTERM");
}
