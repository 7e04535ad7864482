//! Publishing benchmarks (run: `cargo bench --bench publish`; figures on stdout).
//!
//! 1. Publishing one issue of 500 items with three chosen quotes each, end to
//!    end through `Publisher::publish_next` on a sled store in a temp dir
//!    (read items and quotes, compose, render every format, store the draft,
//!    five atomic writes with fsync, the final transaction). Target: < 50 ms.
//! 2. Serving `digest.xml` over loopback with keep-alive connections, 200s
//!    and then 304s (`If-None-Match`). Target: ≥ 20,000 requests/s, the 304
//!    path at least as fast. The load comes from a small HTTP/1.1 client in
//!    this file (tokio, one keep-alive connection per task, no pipelining),
//!    so the bench needs nothing installed; with `wrk` on the PATH its
//!    figures are printed too.
//!
//! Only 127.0.0.1 is contacted; every request loop is bounded in time.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use gleaner::config::PublishSettings;
use gleaner::model::{EditorFields, Link, NewItem, Quote, QuoteKind, ReviewState};
use gleaner::publish::Publisher;
use gleaner::publish::render::Renderer;
use gleaner::publish::write::DirOutput;
use gleaner::store::{Extraction, OpsStore, SledStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ITEMS: usize = 500;
const QUOTES: usize = 3;
const RUNS: usize = 5;
const CONNECTIONS: usize = 32;
const LOAD_SECONDS: u64 = 4;

fn settings(dir: &Path) -> PublishSettings {
    let mut settings = PublishSettings::defaults(dir);
    settings.output_dir = dir.join("feeds");
    settings.base_url = url::Url::parse("https://example.org/digest/").ok();
    settings.sections = vec!["Main".to_owned(), "In English".to_owned()];
    settings.language = Some("en".to_owned());
    settings
}

/// `ITEMS` approved items with `QUOTES` chosen quotes each, from `batch`.
fn fill(store: &dyn Store, batch: usize) {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).single().expect("valid");
    let new: Vec<NewItem> = (0..ITEMS)
        .map(|i| NewItem {
            source_id: "wire".to_owned(),
            guid: Some(format!("b{batch}-{i}")),
            url: Some(format!("https://news.example.net/{batch}/story-{i}")),
            title: format!("Council debates the budget, part {i}"),
            authors: Vec::new(),
            published: now,
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: Some("en".to_owned()),
            fetched_at: now,
        })
        .collect();
    store.upsert_items(&new).expect("upsert");
    for (i, item) in new.iter().enumerate() {
        let id = item.id();
        let quotes: Vec<Quote> = (0..QUOTES)
            .map(|q| Quote {
                id: format!("q{q}"),
                text: format!("We will not raise taxes this year, and that is final, number {q} of item {i}"),
                speaker: (q != 1).then(|| "Mayor Jane Doe".to_owned()),
                speaker_mention: None,
                cue: Some("said".to_owned()),
                outlet: Some("Riverton Ledger".to_owned()),
                via: (q == 2).then(|| "Channel 4".to_owned()),
                kind: QuoteKind::Inline,
                start: 0,
                end: 10,
                context: String::new(),
                confidence: 0.9,
            })
            .collect();
        let extraction = Extraction {
            content_hash: item.content_hash(),
            text: "Text.".to_owned(),
            byline: None,
            outlet: Some("Riverton Ledger".to_owned()),
            language: None,
            quotes,
            links: Vec::<Link>::new(),
            extracted_at: now,
            note: None,
        };
        store.put_extraction(&id, &extraction).expect("extraction");
        let stored = store.item(&id).expect("read").expect("stored");
        let editor = EditorFields {
            headline: Some(format!("The council debates the budget again ({i})")),
            commentary: Some(format!(
                "<p>After weeks of debate the council <a href=\"/budget/{i}\">voted</a> on the budget; the mayor \
                 held firm on taxes &amp; spending. Item {i}.</p>"
            )),
            quote_ids: (0..QUOTES).map(|q| format!("q{q}")).collect(),
            section: (i % 3 == 0).then(|| "In English".to_owned()),
            position: u32::try_from(i).ok(),
            ..EditorFields::default()
        };
        store.update_editorial(&id, stored.revision, ReviewState::Approved, &editor).expect("approve");
    }
}

/// The served `digest.xml`: 20 weekly issues (the default `feed_items`) of 12
/// items each, each item with its commentary and three quotes, rendered by
/// the real renderer (a typical weekly digest, not the 500-item stress issue).
fn served_feed() -> Vec<u8> {
    use gleaner::model::{Issue, IssueSection, IssueState, ItemId, Period};
    let settings = settings(Path::new("/tmp"));
    let item_html = "<article class=\"digest-item\"><h3><span class=\"marker\">++</span> The council debates the \
                     budget again</h3><div class=\"commentary\"><p>After weeks of debate the council voted on the \
                     budget; the mayor held firm on taxes and spending.</p></div><blockquote class=\"quote\"><p>Mayor \
                     Jane Doe, in Riverton Ledger: “We will not raise taxes this year, and that is final.”</p>\
                     </blockquote><p class=\"source\"><a href=\"https://news.example.net/story\">Riverton Ledger</a>\
                     </p></article>";
    let issues: Vec<Issue> = (1..=20)
        .map(|n| {
            let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("valid") + chrono::TimeDelta::weeks(n);
            Issue {
                number: u32::try_from(n).expect("small"),
                title: settings.issue_title(u32::try_from(n).expect("small")),
                period: Period { start: at, end: at },
                sections: vec![IssueSection {
                    name: "Main".to_owned(),
                    items: (0..12).map(|i| ItemId::derive("wire", &format!("{n}-{i}"))).collect(),
                }],
                html: item_html.repeat(12),
                summary: "The council debates the budget again · ".repeat(12),
                created_at: at,
                published_at: Some(at),
                published_by: None,
                corrections: Vec::new(),
                state: IssueState::Published,
            }
        })
        .rev()
        .collect();
    let refs: Vec<&Issue> = issues.iter().collect();
    gleaner::publish::render::rss(&refs, &settings).into_bytes()
}

fn bench_publish() {
    println!("publish: one issue of {ITEMS} items × {QUOTES} quotes (sled store in a temp dir)");
    let mut dry = Vec::new();
    let mut full = Vec::new();
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(&dir.path().join("store.sled")).expect("store");
        fill(&store, run);
        // The fill's own writes must not be billed to the publish's first flush.
        store.flush().expect("flush");
        let settings = settings(dir.path());
        let output = DirOutput::new(&settings.output_dir);
        let publisher = Publisher::new(settings, Renderer::builtin(), &[]);
        // Dry run: read items and quotes, compose, render all five files; no writes.
        let started = Instant::now();
        publisher.publish_next(&store, &output, Utc::now(), true).expect("dry run");
        dry.push(started.elapsed());
        let started = Instant::now();
        let outcome = publisher.publish_next(&store, &output, Utc::now(), false).expect("publish");
        full.push(started.elapsed());
        assert!(matches!(outcome, gleaner::publish::PublishOutcome::Issue(ref r) if r.items == ITEMS));
    }
    let report = |label: &str, times: &mut Vec<Duration>| {
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "  {label}: median {:.1} ms (min {:.1}, max {:.1}) over {RUNS} runs",
            ms(median),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
        median
    };
    report("compose + render, no writes (--dry-run)", &mut dry);
    let median = report("end to end (draft, 5 fsync'd files, transaction)", &mut full);
    println!("  target < 50 ms end to end: {}", if median < Duration::from_millis(50) { "met" } else { "MISSED" });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One keep-alive connection sending GETs until `deadline`; returns responses read.
async fn client(addr: std::net::SocketAddr, request: Arc<Vec<u8>>, expect: u16, deadline: Instant) -> u64 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buf = vec![0u8; 256 * 1024];
    let mut count = 0;
    while Instant::now() < deadline {
        stream.write_all(&request).await.expect("send");
        let mut filled = 0;
        // Read the head, then as much body as Content-Length says.
        let (head_end, body_len) = loop {
            let n = stream.read(&mut buf[filled..]).await.expect("read");
            assert!(n > 0, "server closed the connection");
            filled += n;
            if let Some(at) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..at]).expect("ASCII head");
                let status: u16 = head[9..12].parse().expect("status");
                assert_eq!(status, expect, "{head}");
                let len = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .map_or(0, |v| v.parse::<usize>().expect("length"));
                break (at + 4, len);
            }
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
        };
        let mut remaining = (head_end + body_len).saturating_sub(filled);
        while remaining > 0 {
            let chunk = remaining.min(buf.len());
            let n = stream.read(&mut buf[..chunk]).await.expect("read body");
            assert!(n > 0, "truncated body");
            remaining -= n;
        }
        count += 1;
    }
    count
}

async fn load(addr: std::net::SocketAddr, extra_header: &str, expect: u16) -> f64 {
    let request =
        Arc::new(format!("GET /feeds/digest.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_header}\r\n").into_bytes());
    // Warm-up: the cache fills, connections settle.
    let warm = Instant::now() + Duration::from_millis(300);
    client(addr, Arc::clone(&request), expect, warm).await;
    let total = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(LOAD_SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (request, total) = (Arc::clone(&request), Arc::clone(&total));
        tasks.push(tokio::spawn(async move {
            total.fetch_add(client(addr, request, expect, deadline).await, Ordering::Relaxed);
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    #[allow(clippy::cast_precision_loss, reason = "request counts are far below 2^52")]
    let rate = total.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    rate
}

fn bench_serve(feed: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("digest.xml"), feed).expect("write feed");
    // Server and load share this machine's cores, as they would under wrk.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = gleaner::web::router(gleaner::web::WebState::new(dir.path()));
    runtime.spawn(gleaner::web::serve(listener, router, std::future::pending()));

    let etag = runtime.block_on(async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /feeds/digest.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("read");
        let text = String::from_utf8_lossy(&response);
        text.lines().find_map(|l| l.strip_prefix("etag: ").map(str::to_owned)).expect("an ETag")
    });
    println!(
        "serve: GET /feeds/digest.xml ({} KiB) over loopback, {CONNECTIONS} keep-alive connections, {LOAD_SECONDS} s each",
        feed.len() / 1024
    );
    let full = runtime.block_on(load(addr, "", 200));
    let gzip = runtime.block_on(load(addr, "Accept-Encoding: gzip\r\n", 200));
    let not_modified = runtime.block_on(load(addr, &format!("If-None-Match: {etag}\r\n"), 304));
    let verdict = |rate: f64| if rate >= 20_000.0 { "met" } else { "MISSED" };
    println!("  200 identity: {full:>8.0} req/s (target ≥ 20,000: {})", verdict(full));
    println!("  200 gzip:     {gzip:>8.0} req/s");
    println!(
        "  304:          {not_modified:>8.0} req/s (target ≥ 20,000 and ≥ the 200 path: {})",
        if not_modified >= 20_000.0 && not_modified >= full { "met" } else { "MISSED" }
    );

    if std::process::Command::new("wrk").arg("--version").output().is_ok() {
        let url = format!("http://{addr}/feeds/digest.xml");
        for (label, header) in [("200", None), ("304", Some(format!("If-None-Match: {etag}")))] {
            let mut command = std::process::Command::new("wrk");
            command.args(["-t2", "-c32", "-d4s"]);
            if let Some(header) = &header {
                command.args(["-H", header]);
            }
            let output = command.arg(&url).output().expect("wrk runs");
            let text = String::from_utf8_lossy(&output.stdout);
            let rate = text.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or("Requests/sec: ?");
            println!("  wrk {label}: {rate}");
        }
    } else {
        println!("  (wrk not installed: only the built-in client's figures)");
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with no arguments too; keep that cheap.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    if std::env::var_os("GLEANER_BENCH_SERVE_ONLY").is_none() {
        bench_publish();
    }
    bench_serve(&served_feed());
}
