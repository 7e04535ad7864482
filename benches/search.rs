//! Full-text search benchmark (run: `cargo bench --bench search`; figures on stdout).
//!
//! 100,000 items with article text (about 1 KB each, a share of Persian) and
//! two quotes each, written to a sled store in a temp dir; then the index is
//! built from the store (`Search::open` on an empty folder rebuilds it), its
//! size on disk measured, and queries run repeatedly: the target is a
//! phrase with two filters in ≤ 50 ms at the 95th percentile (issue 16).
//! Indexing throughput is printed beside the store's own write throughput
//! for the same items, the cost that ingest would add per item.
//! `GLEANER_BENCH_ITEMS=N` runs it over N items instead (a quick check).

// Counts shown as rates: f64 is exact far beyond these sizes.
#![allow(clippy::cast_precision_loss)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use gleaner::model::{Extraction, NewItem, Quote, QuoteKind};
use gleaner::search::{Check, Search};
use gleaner::store::{SledStore, Store};

const ITEMS: usize = 100_000;
const RUNS: usize = 100;
const BATCH: usize = 2_000;

const WORDS: [&str; 24] = [
    "council",
    "budget",
    "talks",
    "sanctions",
    "election",
    "minister",
    "protest",
    "court",
    "energy",
    "trade",
    "health",
    "climate",
    "border",
    "report",
    "vote",
    "inquiry",
    "harbour",
    "bridge",
    "school",
    "tax",
    "rail",
    "water",
    "housing",
    "police",
];
const PERSIAN: [&str; 6] = ["بودجه", "مذاکره", "انتخابات", "دادگاه", "تحریم", "مجلس"];
const SPEAKERS: [&str; 8] = [
    "Ann Mayor",
    "Bob Banker",
    "Maryam Rajavi",
    "Carl Judge",
    "Dana Minister",
    "Eve Critic",
    "Farid Envoy",
    "Gita Rao",
];

fn word(n: usize) -> &'static str {
    WORDS[n % WORDS.len()]
}

fn item(i: usize) -> (NewItem, Extraction) {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid");
    let persian = i % 5 == 0;
    let (title, text) = if persian {
        let w = PERSIAN[i % PERSIAN.len()];
        (
            format!("{w} و {} شماره {i}", PERSIAN[(i / 7) % PERSIAN.len()]),
            format!("گزارش درباره {w} می‌گوید. ").repeat(25),
        )
    } else {
        let text: Vec<String> = (0..12)
            .map(|s| {
                format!(
                    "The {} and the {} were discussed by the {} committee on day {}.",
                    word(i + s),
                    word(i / 3 + s * 5),
                    word(i / 11 + s * 7),
                    (i + s) % 28
                )
            })
            .collect();
        (format!("The {} story number {i}: what the {} means", word(i), word(i / 24)), text.join(" "))
    };
    let quote = |n: usize| {
        let text = format!("We will not accept this {} deal on the {}", word(i + n), word(i / 5 + n));
        Quote {
            id: format!("q{i}-{n}"),
            speaker: Some(SPEAKERS[(i + n * 3) % SPEAKERS.len()].to_owned()),
            speaker_mention: None,
            cue: Some("said".to_owned()),
            outlet: None,
            via: None,
            kind: QuoteKind::Inline,
            start: 0,
            end: text.chars().count(),
            context: text.clone(),
            text,
            confidence: 0.9,
        }
    };
    let new = NewItem {
        source_id: format!("source-{}", i % 12),
        guid: Some(format!("g{i}")),
        url: Some(format!("https://news.example.net/{i}")),
        title,
        authors: Vec::new(),
        published: base + TimeDelta::minutes(i64::try_from(i).expect("small")),
        published_is_fetch_time: false,
        updated: None,
        summary: String::new(),
        content: String::new(),
        language: Some(if persian { "fa" } else { "en" }.to_owned()),
        fetched_at: base,
    };
    let extraction = Extraction {
        content_hash: new.content_hash(),
        text,
        byline: None,
        outlet: Some(format!("Outlet {}", i % 12)),
        language: None,
        quotes: vec![quote(0), quote(1)],
        links: Vec::new(),
        extracted_at: base,
        note: None,
    };
    (new, extraction)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// CPU seconds (user + system, every thread) this process has used so far:
/// on a loaded machine wall times mislead, CPU time much less.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at its `)`.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    // utime and stime are the 12th and 13th fields after the name, in clock ticks (100 a second on Linux).
    let ticks: u64 = fields.iter().skip(11).take(2).filter_map(|f| f.parse::<u64>().ok()).sum();
    ticks as f64 / 100.0
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let at = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[at].as_secs_f64() * 1000.0
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let items = std::env::var("GLEANER_BENCH_ITEMS").ok().and_then(|n| n.parse().ok()).unwrap_or(ITEMS);
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("bench.sled")).expect("store"));
    let (start, cpu) = (Instant::now(), cpu_secs());
    for chunk in (0..items).collect::<Vec<_>>().chunks(BATCH) {
        let (items, extractions): (Vec<NewItem>, Vec<Extraction>) = chunk.iter().map(|i| item(*i)).unzip();
        store.upsert_items(&items).expect("insert");
        let pairs: Vec<_> = items.iter().map(NewItem::id).zip(extractions).collect();
        for written in store.put_extractions(&pairs) {
            written.expect("extraction");
        }
    }
    store.flush().expect("flush");
    let stored = start.elapsed().as_secs_f64();
    let stored_cpu = cpu_secs() - cpu;
    println!(
        "store: {items} items with text and quotes written in {stored:.1} s wall, {stored_cpu:.1} s CPU ({:.0} items/s wall)",
        items as f64 / stored
    );

    let folder = dir.path().join("bench.sled.search");
    let (start, cpu) = (Instant::now(), cpu_secs());
    let (search, report) = Search::open(&folder, Arc::clone(&store), Check::IfDirty).expect("index builds");
    let indexed = start.elapsed().as_secs_f64();
    let indexed_cpu = cpu_secs() - cpu;
    println!(
        "index: {} items indexed in {indexed:.1} s wall, {indexed_cpu:.1} s CPU ({:.0} items/s wall; the store wrote {:.0} items/s)",
        report.indexed,
        report.indexed as f64 / indexed,
        items as f64 / stored
    );
    let size = dir_size(&folder.join("index"));
    println!("index size: {:.1} MiB, {:.0} bytes per item", size as f64 / 1_048_576.0, size as f64 / items as f64);

    let start = Instant::now();
    let reconciled = search.reconcile().expect("reconcile");
    println!(
        "reconcile (start of serve, nothing to do): {:.0} ms, {reconciled:?}",
        start.elapsed().as_secs_f64() * 1000.0
    );

    let sections = std::collections::HashMap::new();
    let cases = [
        // Bob Banker says "this budget deal" in every 24th item (Maryam Rajavi never
        // does: that query had no hit to rank or highlight).
        ("phrase + two filters", "\"budget deal\" speaker:\"Bob Banker\" lang:en"),
        ("phrase + two filters (dates)", "\"harbour and the\" source:source-3 since:2026-01-20"),
        ("one common word", "council"),
        ("two words, ranked", "council sanctions"),
        ("Persian, other spelling", "ميگويد"),
        ("filters only", "state:new lang:fa"),
        ("no match", "zeppelin"),
    ];
    println!("{:<32} {:>9} {:>9} {:>8}", "query (20 hits with snippets)", "p50", "p95", "total");
    for (name, query) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut total = 0;
        for _ in 0..RUNS {
            let start = Instant::now();
            total = search.search(query, &sections, 20).expect("search").total;
            times.push(start.elapsed());
        }
        let p50 = percentile(&mut times, 0.5);
        let p95 = percentile(&mut times, 0.95);
        println!("{name:<32} {p50:>7.2}ms {p95:>7.2}ms {total:>8}");
    }
}
