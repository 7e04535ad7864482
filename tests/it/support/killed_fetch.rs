//! A `gleaner fetch` killed midway: slow feeds on loopback, the process
//! sent SIGKILL once half of them were asked for. The CLI and search tests
//! then check what the store and the index hold, and that a rerun completes.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ingest::{rss, source, write_config};
use crate::support::http::{Reply, TestServer};

/// Items each feed serves.
pub const ITEMS_PER_FEED: usize = 5;

/// The feeds and the config of a fetch that was killed midway.
pub struct KilledFetch {
    pub config: PathBuf,
    slow: Arc<AtomicBool>,
    _server: TestServer,
    _dir: tempfile::TempDir,
}

impl KilledFetch {
    /// Serves `sources` feeds of [`ITEMS_PER_FEED`] items titled
    /// "`{title}` N of sK", each answered after 150 ms, and kills a
    /// `gleaner fetch` of them once half were requested.
    pub fn run(sources: usize, title: &str) -> Self {
        let slow = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&slow);
        let title = title.to_owned();
        let server = TestServer::start(move |req| {
            let feed = req.path().trim_start_matches('/').to_owned();
            let items: Vec<(String, String, String)> = (0..ITEMS_PER_FEED)
                .map(|i| {
                    (format!("{feed}-{i}"), format!("{title} {i} of {feed}"), format!("http://example.org/{feed}/{i}"))
                })
                .collect();
            let borrowed: Vec<(&str, &str, &str)> =
                items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
            let reply = Reply::ok(rss(&borrowed));
            if flag.load(Ordering::SeqCst) { reply.delay(Duration::from_millis(150)) } else { reply }
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let list: String =
            (0..sources).map(|n| source(&format!("s{n}"), server.url(&format!("/s{n}")).as_str())).collect();
        let config = write_config(dir.path(), &list);
        // Two requests in flight per host at 150 ms each: the whole poll
        // takes over a second; kill it midway.
        let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
            .arg("--config")
            .arg(&config)
            .arg("fetch")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        while server.hits() < sources / 2 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        Self { config, slow, _server: server, _dir: dir }
    }

    /// The feeds answer at once from now on, for the rerun.
    pub fn speed_up(&self) {
        self.slow.store(false, Ordering::SeqCst);
    }
}
