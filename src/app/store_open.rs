//! Which store the config names, and how to reach it: sled at a path, or
//! PostgreSQL at a URL with the password from the environment or a file
//! (never from the config itself), and `gleaner migrate` for both.

use std::sync::Arc;

use crate::config::{Config, Settings};
use crate::store::{PgOptions, PgStore, SledStore, Store, StoreError};

/// The environment variable that carries the PostgreSQL password.
pub const PASSWORD_ENV: &str = "GLEANER_STORE_PASSWORD";

/// Opens the store named in the settings (creating a sled folder on first
/// use; a PostgreSQL database must have been migrated).
pub fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    let settings = &config.settings;
    if settings.store_url.is_some() {
        return Ok(Arc::new(PgStore::connect(&pg_options(settings)?)?));
    }
    let store = match settings.store_cache_mib {
        Some(mib) => SledStore::open_with_cache(&settings.store_path, mib.saturating_mul(1024 * 1024))?,
        None => SledStore::open(&settings.store_path)?,
    };
    Ok(Arc::new(store))
}

/// `gleaner migrate`: brings the store's schema up to this build's and says
/// what it did. sled migrates on every open, so for sled this is an open.
pub fn migrate_store(config: &Config) -> Result<String, StoreError> {
    let settings = &config.settings;
    let Some(url) = &settings.store_url else {
        drop(SledStore::open(&settings.store_path)?);
        return Ok(format!(
            "sled store at {} is at schema version {}",
            settings.store_path.display(),
            crate::store::SCHEMA_VERSION
        ));
    };
    let report = PgStore::migrate(&pg_options(settings)?)?;
    Ok(match report.from {
        Some(from) if from == report.to => format!("PostgreSQL store {url} is at schema version {from}: nothing to do"),
        Some(from) => format!("PostgreSQL store {url} migrated from schema version {from} to {}", report.to),
        None => format!("PostgreSQL store {url} created at schema version {}", report.to),
    })
}

/// The URL and password: `GLEANER_STORE_PASSWORD` if set, else the first
/// line of `store_password_file`, else none (trust or peer authentication).
fn pg_options(settings: &Settings) -> Result<PgOptions, StoreError> {
    let url = settings.store_url.as_deref().unwrap_or_default();
    let password = match (std::env::var(PASSWORD_ENV), &settings.store_password_file) {
        (Ok(password), _) => Some(password),
        (Err(_), Some(file)) => {
            let text = std::fs::read_to_string(file).map_err(|e| StoreError::Open {
                path: url.to_owned(),
                reason: format!("cannot read store_password_file {}: {e}", file.display()),
            })?;
            Some(text.lines().next().unwrap_or_default().to_owned())
        }
        (Err(_), None) => None,
    };
    Ok(PgOptions::new(url, password))
}
