//! Ingest benchmarks (run: `cargo bench --bench ingest`; figures on stdout).
//!
//! 1. Parse + normalize + store of a generated 20,000-item corpus, in-process
//!    (target: at least 20,000 items/s), on one worker thread per core
//!    sharing one store, the way a poll runs its sources; then on one worker,
//!    with the time per stage.
//! 2. One poll of 2,000 feeds of 20 items each from a loopback server, cold and
//!    then with every feed answering 304 (targets: under 5 s, under 1 s, peak
//!    RSS under 100 MiB). The server and the poller run as child processes of
//!    this binary so the poller's peak RSS is its own.
//!
//! 3. Part 1 again with the search index kept current (issue 16: indexing
//!    may cost at most 25 % of the items/s), updated once after the run as
//!    `Ingest::poll_many` does.
//!
//! `cargo bench --bench ingest -- store` (or `-- poll`, `-- index`) runs one
//! part, e.g. under a profiler. Only 127.0.0.1 is contacted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use gleaner::ingest::Urgency;
use gleaner::parse::{ParseInput, normalize, parse_feed};
use gleaner::store::{ItemStore, OpsStore, SledStore};

const ROLE: &str = "GLEANER_BENCH_ROLE";
const FEEDS: usize = 2_000;
const ITEMS_PER_FEED: usize = 20;
/// Distinct loopback ports stand for distinct hosts (the per-host limit keys on host:port).
const HOSTS: usize = 100;

fn feed_xml(feed: usize) -> String {
    use std::fmt::Write as _;
    let mut xml = String::with_capacity(ITEMS_PER_FEED * 600);
    let _ = write!(
        xml,
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title><link>https://news{feed}.example/</link><description>Generated feed</description><language>en</language>"#
    );
    for item in 0..ITEMS_PER_FEED {
        let _ = write!(
            xml,
            r#"<item><title>Council debates budget, part {item} of feed {feed}</title><link>https://news{feed}.example/2026/11/story-{item}?utm_source=rss</link><guid>urn:feed{feed}:item{item}</guid><pubDate>Tue, 24 Nov 2026 {h:02}:{m:02}:00 GMT</pubDate><description>&lt;p&gt;The city council met on Tuesday. &quot;We will not raise taxes,&quot; said the mayor, in a statement that &lt;a href="/related/{item}"&gt;followed&lt;/a&gt; weeks of debate about item {item}.&lt;/p&gt;</description></item>"#,
            h = item % 24,
            m = (feed + item) % 60
        );
    }
    xml.push_str("</channel></rss>");
    xml
}

fn write_config(dir: &Path, sources: &str) -> std::path::PathBuf {
    let path = dir.join("gleaner.toml");
    let text =
        format!("store = \"store.sled\"\n[fetch]\nallow_private_networks = true\nmax_concurrency = 32\n{sources}");
    std::fs::write(&path, text).expect("write config");
    path
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Time spent in each stage by one worker.
#[derive(Default, Clone, Copy)]
struct Stages {
    parsing: Duration,
    normalizing: Duration,
    storing: Duration,
}

/// Parses, normalizes and stores `feeds` one after another, as one poll task
/// does for its source; returns the items stored and the time per stage.
fn ingest_serially(
    store: &SledStore,
    source: &gleaner::model::Source,
    feeds: &[Vec<u8>],
    now: chrono::DateTime<Utc>,
) -> (usize, Stages, Vec<gleaner::model::ItemId>) {
    let mut stored = 0;
    let mut stages = Stages::default();
    let mut written = Vec::new();
    for bytes in feeds {
        let t0 = Instant::now();
        let feed = parse_feed(bytes, &ParseInput { url: Some(&source.url), content_type: None, fetched_at: now })
            .expect("generated feed parses");
        let t1 = Instant::now();
        let normalized = normalize(&feed, source, now);
        let t2 = Instant::now();
        let report = store.upsert_items(&normalized.items).expect("store");
        stored += report.new.len();
        written.extend(report.new);
        let t3 = Instant::now();
        stages.parsing += t1 - t0;
        stages.normalizing += t2 - t1;
        stages.storing += t3 - t2;
    }
    (stored, stages, written)
}

/// Parse + normalize + store of the generated corpus into a fresh store,
/// with `workers` threads sharing one store handle, each taking every
/// `workers`-th feed: the shape of a poll, where each source's task parses
/// on its own core and the store's writer lock orders the writes.
fn run_corpus(
    dir: &Path,
    source: &gleaner::model::Source,
    feeds: &[Vec<u8>],
    workers: usize,
    now: chrono::DateTime<Utc>,
    index: bool,
) -> (f64, Stages) {
    let path = dir.join(format!("parse-store-{workers}-{index}.sled"));
    let store = Arc::new(SledStore::open(&path).expect("open store"));
    let search = index.then(|| {
        let folder = gleaner::search::folder_for(&path);
        let store: Arc<dyn gleaner::store::Store> = Arc::clone(&store) as _;
        gleaner::search::Search::open(&folder, store, gleaner::search::Check::IfDirty).expect("index opens").0
    });
    let shares: Vec<Vec<Vec<u8>>> =
        (0..workers).map(|w| feeds.iter().skip(w).step_by(workers).cloned().collect()).collect();
    let start = Instant::now();
    let results: Vec<(usize, Stages, Vec<gleaner::model::ItemId>)> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            shares.iter().map(|share| scope.spawn(|| ingest_serially(&store, source, share, now))).collect();
        handles.into_iter().map(|h| h.join().expect("worker")).collect()
    });
    let t = Instant::now();
    if let Some(search) = &search {
        let written: Vec<gleaner::model::ItemId> = results.iter().flat_map(|(_, _, ids)| ids.iter().cloned()).collect();
        search.update(&written);
        assert_eq!(search.len(), written.len() as u64, "every new item indexed");
    }
    store.flush().expect("flush");
    let flushing = t.elapsed();
    let elapsed = start.elapsed();
    let stored: usize = results.iter().map(|(n, _, _)| n).sum();
    assert_eq!(stored, FEEDS / 2 * ITEMS_PER_FEED, "every generated item is new");
    let mut stages = Stages { storing: flushing, ..Stages::default() };
    for (_, s, _) in &results {
        stages.parsing += s.parsing;
        stages.normalizing += s.normalizing;
        stages.storing += s.storing;
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = stored as f64 / elapsed.as_secs_f64();
    (rate, stages)
}

fn bench_parse_normalize_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = write_config(dir.path(), "[[source]]\nid = \"generated\"\nurl = \"https://news.example/feed\"\n");
    let config = gleaner::app::load_config(&config_path).expect("bench config is valid");
    let source = &config.sources[0];
    let feeds: Vec<Vec<u8>> = (0..FEEDS / 2).map(|f| feed_xml(f).into_bytes()).collect();
    let items = FEEDS / 2 * ITEMS_PER_FEED;
    let now = Utc::now();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let (rate, _) = run_corpus(dir.path(), source, &feeds, cores, now, false);
    println!("parse+normalize+store: {items} items, {cores} workers: {rate:.0} items/s (target >= 20000)");
    // One worker: the per-stage split, so a regression can be placed without a profiler.
    let (rate, stages) = run_corpus(dir.path(), source, &feeds, 1, now, false);
    println!(
        "  one worker: {rate:.0} items/s; parse {:.3} s, normalize {:.3} s, store {:.3} s (flush included)",
        stages.parsing.as_secs_f64(),
        stages.normalizing.as_secs_f64(),
        stages.storing.as_secs_f64()
    );
    bench_feed_extraction(&feeds[..FEEDS / 20], source, now);
}

/// Part 1 with and without the search index kept current, alternated
/// (`rounds` of each) so a loaded machine weighs on both alike.
fn bench_indexing(rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = write_config(dir.path(), "[[source]]\nid = \"generated\"\nurl = \"https://news.example/feed\"\n");
    let config = gleaner::app::load_config(&config_path).expect("bench config is valid");
    let source = &config.sources[0];
    let feeds: Vec<Vec<u8>> = (0..FEEDS / 2).map(|f| feed_xml(f).into_bytes()).collect();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let now = Utc::now();
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let round_dir = dir.path().join(format!("round-{round}"));
        std::fs::create_dir_all(&round_dir).expect("round folder");
        without.push(run_corpus(&round_dir, source, &feeds, cores, now, false).0);
        with.push(run_corpus(&round_dir, source, &feeds, cores, now, true).0);
        std::fs::remove_dir_all(&round_dir).ok();
    }
    let best = |rates: &[f64]| rates.iter().copied().fold(0.0_f64, f64::max);
    let (plain, indexed) = (best(&without), best(&with));
    println!(
        "parse+normalize+store, {cores} workers, best of {rounds}: {plain:.0} items/s; with the search index kept current: {indexed:.0} items/s ({:.1} % fewer; target <= 25 %)",
        (1.0 - indexed / plain) * 100.0
    );
    println!("  every round, without: {without:.0?}; with: {with:.0?}");
}

/// What a poll adds per item on top of the above: extraction from the feed's
/// own content (not part of the items/s figure; shown to place the cold poll's cost).
fn bench_feed_extraction(feeds: &[Vec<u8>], source: &gleaner::model::Source, now: chrono::DateTime<Utc>) {
    let items: Vec<_> = feeds
        .iter()
        .flat_map(|bytes| {
            let feed = parse_feed(bytes, &ParseInput { url: Some(&source.url), content_type: None, fetched_at: now })
                .expect("generated feed parses");
            normalize(&feed, source, now).items
        })
        .collect();
    let start = Instant::now();
    let mut quotes = 0;
    for item in &items {
        let base = item.url.as_deref().and_then(|u| url::Url::parse(u).ok());
        let facts = gleaner::extract::PageFacts {
            title: Some(item.title.clone()),
            outlet: Some(source.name.clone()),
            language: item.language.clone(),
        };
        quotes += gleaner::extract::extract_fragment(&item.summary, base.as_ref(), facts).quotes.len();
    }
    let elapsed = start.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let per_item = elapsed.as_secs_f64() * 1e6 / items.len() as f64;
    println!(
        "  feed-content extraction (poll only): {per_item:.1} µs/item over {} items, {quotes} quotes",
        items.len()
    );
}

/// Minimal HTTP/1.1 keep-alive server: `/feed/N` answers feed N with a strong
/// `ETag`, and 304 when `If-None-Match` matches.
fn serve(listeners: Vec<TcpListener>) {
    let bodies: Arc<Vec<(String, String)>> =
        Arc::new((0..FEEDS).map(|f| (feed_xml(f), format!("\"v1-{f}\""))).collect());
    let mut threads = Vec::new();
    for listener in listeners {
        let bodies = Arc::clone(&bodies);
        threads.push(std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let bodies = Arc::clone(&bodies);
                std::thread::spawn(move || answer_connection(stream, &bodies));
            }
        }));
    }
    for thread in threads {
        let _ = thread.join();
    }
}

fn answer_connection(stream: TcpStream, bodies: &[(String, String)]) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut if_none_match = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("if-none-match") {
                    if_none_match = Some(value.trim().to_owned());
                }
            }
        }
        let index: Option<usize> =
            request_line.split_whitespace().nth(1).and_then(|p| p.strip_prefix("/feed/")).and_then(|n| n.parse().ok());
        let response = match index.and_then(|i| bodies.get(i)) {
            Some((_, etag)) if if_none_match.as_deref() == Some(etag.as_str()) => {
                format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n")
            }
            Some((body, etag)) => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
        };
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn poll(config_path: &Path) {
    let config = gleaner::app::load_config(config_path).expect("bench config is valid");
    let ingest = gleaner::app::ingest(&config).expect("start ingest");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for round in ["cold", "all 304"] {
        let start = Instant::now();
        let report = runtime.block_on(ingest.poll_many(&config.sources, Utc::now(), Urgency::Now, |_| {}));
        ingest.store().flush().expect("flush");
        let elapsed = start.elapsed();
        let failed: Vec<_> = report.sources.iter().filter(|r| r.failed()).collect();
        assert!(failed.is_empty(), "failed sources: {:?}", &failed[..failed.len().min(3)]);
        println!(
            "poll of {FEEDS} feeds ({round}): {:.3} s, {} new items (target {})",
            elapsed.as_secs_f64(),
            report.new_items(),
            if round == "cold" { "< 5 s" } else { "< 1 s" }
        );
    }
    // Kilobytes of one process: far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let peak_mib = peak_rss_kib() as f64 / 1024.0;
    println!("poller peak RSS: {peak_mib:.1} MiB (target < 100 MiB)");
}

fn bench_poll() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Reserve the ports here, hand them to the server child by number.
    let listeners: Vec<TcpListener> = (0..HOSTS).map(|_| TcpListener::bind("127.0.0.1:0").expect("bind")).collect();
    let ports: Vec<u16> = listeners.iter().map(|l| l.local_addr().expect("addr").port()).collect();
    drop(listeners);
    let exe = std::env::current_exe().expect("own path");
    let mut server = Command::new(&exe)
        .env(ROLE, "server")
        .env("GLEANER_BENCH_PORTS", ports.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let mut ready = [0u8; 6];
    server.stdout.as_mut().expect("server stdout").read_exact(&mut ready).expect("server ready");

    let mut sources = String::new();
    for feed in 0..FEEDS {
        use std::fmt::Write as _;
        let port = ports[feed % HOSTS];
        let _ = write!(sources, "[[source]]\nid = \"feed-{feed}\"\nurl = \"http://127.0.0.1:{port}/feed/{feed}\"\n");
    }
    let config_path = write_config(dir.path(), &sources);
    let status =
        Command::new(&exe).env(ROLE, "poll").env("GLEANER_BENCH_CONFIG", &config_path).status().expect("poller");
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.success(), "poller failed");
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("server") => {
            let ports = std::env::var("GLEANER_BENCH_PORTS").expect("ports");
            let listeners: Vec<TcpListener> = ports
                .split(',')
                .map(|p| TcpListener::bind(format!("127.0.0.1:{p}")).expect("bind reserved port"))
                .collect();
            println!("ready");
            let _ = std::io::stdout().flush();
            serve(listeners);
        }
        Ok("poll") => poll(Path::new(&std::env::var("GLEANER_BENCH_CONFIG").expect("config path"))),
        _ => {
            if std::env::args().any(|a| a == "--list") {
                return;
            }
            let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
            let wanted = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
            println!("machine: {} cores", std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
            if wanted("store") {
                bench_parse_normalize_store();
            }
            if wanted("poll") {
                bench_poll();
            }
            if wanted("index") {
                bench_indexing(3);
            }
        }
    }
}
