//! Configuration: raw TOML (with spans) in, validated runtime values out.
//!
//! Pure: callers hand in file texts; reading files is `app::load_config`'s job.
//! Every problem is collected as `file:line:col: message`, never just the first.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::{Schedule, Source};

/// Defaults, in one place.
pub mod defaults {
    use std::time::Duration;
    pub const USER_AGENT: &str = concat!("Gleaner/", env!("CARGO_PKG_VERSION"), " (+https://example.org/gleaner)");
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    pub const MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
    pub const MAX_CONCURRENCY: usize = 16;
    pub const PER_HOST_CONCURRENCY: usize = 2;
    pub const MAX_REDIRECTS: usize = 5;
    pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
    pub const BACKOFF_CAP: Duration = Duration::from_secs(24 * 60 * 60);
    pub const SCHEDULE: &str = "*/30 * * * *";
    pub const SCHEDULE_JITTER: Duration = Duration::from_secs(60);
    pub const BIND: &str = "127.0.0.1:8080";
}

/// How the fetcher behaves; reaches it as a value, never through a global.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Should carry a contact URL, as polite crawlers do.
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Whole request, headers to last body byte.
    pub timeout: Duration,
    /// Cap on the (decompressed) body; over it is an error and nothing is stored.
    pub max_body_bytes: u64,
    /// Requests in flight at once, all hosts together.
    pub max_concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    pub max_redirects: usize,
    /// Let item links point at loopback, private and link-local addresses.
    pub allow_private_networks: bool,
    /// First retry delay after a failure; doubles per consecutive failure.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            user_agent: defaults::USER_AGENT.to_owned(),
            connect_timeout: defaults::CONNECT_TIMEOUT,
            timeout: defaults::TIMEOUT,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_concurrency: defaults::MAX_CONCURRENCY,
            per_host_concurrency: defaults::PER_HOST_CONCURRENCY,
            max_redirects: defaults::MAX_REDIRECTS,
            allow_private_networks: false,
            backoff_base: defaults::BACKOFF_BASE,
            backoff_cap: defaults::BACKOFF_CAP,
        }
    }
}

/// Publishing settings (used by the publisher; read and checked here).
#[derive(Debug, Clone)]
pub struct PublishSettings {
    pub title: String,
    pub first_number: u32,
    pub output_dir: PathBuf,
    pub base_url: Option<url::Url>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
}

/// Validated `gleaner.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file these settings came from.
    pub path: PathBuf,
    /// Absolute or relative to the working directory (already resolved against `path`).
    pub store_path: PathBuf,
    /// The operators' source list (resolved against `path`), if any.
    pub sources_path: Option<PathBuf>,
    pub fetch: FetchSettings,
    pub default_schedule: Schedule,
    /// Random delay added to each scheduled poll so sources on one schedule spread out.
    pub schedule_jitter: Duration,
    pub publish: PublishSettings,
    pub server: ServerSettings,
}

/// Settings plus every enabled and disabled source.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<Source>,
}
