//! Shared test helpers: loopback servers, temp stores, the binary.
//!
//! - [`http`]: a scripted HTTP/1.1 server on 127.0.0.1 (`TestServer`, `Reply`).
//! - [`items`]: feed entries and quotes for the editorial tests.
//! - [`store`]: a sled store with injectable write faults.
//! - [`pg`]: a throwaway PostgreSQL cluster, a database per test.
//! - [`gleaner`]: the binary, run with a config.

pub mod http;
pub mod items;
pub mod killed_fetch;
pub mod pg;
pub mod smtp;
pub mod store;

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

/// Runs the `gleaner` binary with `--config config` and `args`, its log level
/// left at the default whatever the test's environment says.
pub fn gleaner(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run gleaner")
}

/// Starts `gleaner serve` with `config` (whose `[server] bind` is
/// 127.0.0.1:`port`), quiet, and waits until it accepts connections.
pub fn start_serve(config: &Path, port: u16) -> (Child, std::net::SocketAddr) {
    let child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let up = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(up.elapsed() < Duration::from_secs(30), "serve never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, addr)
}

/// Sends SIGTERM to `child` and waits for it to exit, as systemd and Docker
/// do; returns its status and how long it took. Kills it and fails the test
/// if it is still running 20 s later.
pub fn terminate(child: &mut Child) -> (ExitStatus, Duration) {
    let sent = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, sent.elapsed());
        }
        if sent.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running 20 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The app built from the config at `config`, each of its sources polled
/// once through ingest and the queue refreshed after each poll, as `serve`
/// does.
pub fn polled_app(config: &Path) -> gleaner::app::App {
    let loaded = gleaner::app::load_config(config).expect("config");
    let app = gleaner::app::App::build(config, loaded, gleaner::app::Queue::Loaded).expect("app");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for source in app.config.sources.clone() {
        let report =
            runtime.block_on(app.ingest.poll_source(&source, chrono::Utc::now(), gleaner::ingest::Urgency::Now));
        assert!(!report.failed(), "{report:?}");
        app.editorial.refresh(&report.changed).expect("queue refresh");
    }
    app
}
