//! Shared test helpers: loopback servers, temp stores, the binary.
//!
//! - [`http`]: a scripted HTTP/1.1 server on 127.0.0.1 (`TestServer`, `Reply`).
//! - [`items`]: feed entries and quotes for the editorial tests.
//! - [`store`]: a sled store with injectable write faults.
//! - [`gleaner`]: the binary, run with a config.

pub mod http;
pub mod items;
pub mod store;

use std::path::Path;
use std::process::{Command, Output};

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
