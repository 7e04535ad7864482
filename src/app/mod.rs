//! Composition root: turns a validated config into ready objects (store,
//! fetcher, ingest). The only place that decides which implementations are used.

mod load_config;
mod shared;

use std::sync::Arc;

pub use load_config::load_config;
pub use shared::{ConfigStatus, HEARTBEAT_EVERY, Heartbeat};

use crate::config::Config;
use crate::fetch::{FetchError, Fetcher};
use crate::ingest::Ingest;
use crate::store::{SledStore, Store, StoreError};

/// Why the application could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// Opens the store named in the settings (creating its folder on first use).
pub fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    let settings = &config.settings;
    let store = match settings.store_cache_mib {
        Some(mib) => SledStore::open_with_cache(&settings.store_path, mib.saturating_mul(1024 * 1024))?,
        None => SledStore::open(&settings.store_path)?,
    };
    Ok(Arc::new(store))
}

/// Store + fetcher + ingest, wired from one config.
pub fn ingest(config: &Config) -> Result<Ingest, AppError> {
    let store = open_store(config)?;
    let fetcher = Fetcher::new(&config.settings.fetch)?;
    Ok(Ingest::new(fetcher, store, &config.settings))
}
