//! The PostgreSQL implementation of the store traits: the shared store for
//! deployments with several processes (issue 17). The only module that
//! imports `tokio_postgres` and `deadpool_postgres`.
//!
//! **Same rules as sled.** Every decision about what a write means (how a
//! refetch merges, which fields an editor owns) is the model's
//! (`Item::first_sighting`, `take_feed_fields`, `take_extraction`); this
//! module reads rows, lets the model decide, and writes the result in one
//! transaction, so the invariants the sled store keeps hold here by the same
//! code and are checked by the same test suite (`tests/it/store.rs`).
//!
//! **Records stay JSON.** Each record is the codec's JSON (the sled value,
//! byte for byte) in a `json` column beside the few columns that queries
//! filter and order by (state, published time, sources, revision). `json`
//! rather than `jsonb`: it keeps the text exactly as written (so an export
//! is the sled export, and an extraction compares by bytes as sled's does)
//! and it accepts the `\u0000` escapes that hostile feeds carry, which
//! `jsonb` refuses. Text keys are `COLLATE "C"`, so listings come back in
//! sled's byte order.
//!
//! **Concurrency across processes.** An upsert takes transaction-scoped
//! advisory locks on each entry's id, canonical URL and guid (sorted, so two
//! writers cannot deadlock on them) before it reads, so two workers that
//! fetch copies of one article cannot both insert it; item rows it rewrites
//! are read `FOR UPDATE`. Editors' writes are optimistic, as asked:
//! `UPDATE … WHERE id = $1 AND revision = $n`, and zero rows means someone
//! else wrote first. A transaction that PostgreSQL aborts as a deadlock or a
//! serialization failure is retried whole.
//!
//! **Sync traits over an async driver.** The store traits are synchronous and
//! are called from plain threads (CLI commands), from `spawn_blocking`, and
//! directly from tasks on the service's runtime (as sled is). So the store
//! owns a small runtime of its own that runs the connections' I/O, and each
//! call blocks its caller on the query future with a plain executor
//! (`futures_executor::block_on`) inside that runtime's context. Unlike
//! `Handle::block_on` this never panics inside another runtime, and it cannot
//! deadlock it: the connections are driven by the store's own thread, not by
//! the blocked caller's runtime. Blocking a service task for one round trip is
//! what sled already does for a disk read.
//!
//! Must not decide review rules or parse feeds; it stores what it is given.

mod dump;
mod items;
mod lease;
mod notify;
mod people;
mod records;
mod schema;
mod watch;

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use self::schema::{CURRENT_VERSION as PG_SCHEMA_VERSION, MigrateReport};
use super::StoreError;

/// How many connections one process opens at most. A fetch poll writes from
/// a handful of concurrent tasks and the web tier from a few handlers; more
/// connections than that only cost the server memory.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// How often a transaction that PostgreSQL aborted as a deadlock or a
/// serialization failure is tried in all.
const ATTEMPTS: usize = 5;

/// Where the database is and how to log in.
#[derive(Clone)]
pub struct PgOptions {
    /// `postgres://USER@HOST[:PORT]/DB` (libpq URL syntax), without a password.
    pub url: String,
    /// From `GLEANER_STORE_PASSWORD` or `store_password_file`, never from the config.
    pub password: Option<String>,
    pub max_connections: usize,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl PgOptions {
    pub fn new(url: &str, password: Option<String>) -> Self {
        Self { url: url.to_owned(), password, max_connections: DEFAULT_MAX_CONNECTIONS }
    }
}

/// A PostgreSQL-backed store. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    handle: tokio::runtime::Handle,
    /// Held only to be shut down on drop; `None` after.
    runtime: Option<tokio::runtime::Runtime>,
    /// The URL, for error messages (it carries no password).
    shown: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A plain drop of a runtime panics when the last handle goes away
        // inside another runtime's task; this one has nothing left to wait for.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.inner.shown).finish_non_exhaustive()
    }
}

/// What a transaction body can fail with: a store error to report as it is,
/// or a database error that may deserve a retry.
#[derive(Debug)]
pub(super) enum Failure {
    Store(StoreError),
    Db(tokio_postgres::Error),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(error)
    }
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Self::Db(e) => {
                matches!(e.code(), Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
            }
            Self::Store(_) => false,
        }
    }

    fn into_store(self) -> StoreError {
        match self {
            Self::Store(e) => e,
            Self::Db(e) => db_error(&e),
        }
    }
}

/// A database error as the store reports it: the server's message when there
/// is one (`tokio_postgres`'s own text is only "db error").
pub(super) fn db_error(error: &tokio_postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(db) => StoreError::Io(format!("postgres: {}: {}", db.code().code(), db.message())),
        None => match std::error::Error::source(error) {
            // "invalid configuration" alone does not say which (e.g. "password missing").
            Some(cause) => StoreError::Io(format!("postgres: {error}: {cause}")),
            None => StoreError::Io(format!("postgres: {error}")),
        },
    }
}

pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;

impl PgStore {
    /// Connects and checks the schema: fails with [`StoreError::TooNew`] when
    /// a newer Gleaner migrated the database, and with [`StoreError::Open`]
    /// when it is unreachable or older than this build (run `gleaner migrate`).
    pub fn connect(options: &PgOptions) -> Result<Self, StoreError> {
        let store = Self::connect_unchecked(options)?;
        let found = store.schema_version()?;
        schema::check(&store.inner.shown, found)?;
        Ok(store)
    }

    /// Brings the database's schema up to this build's (`gleaner migrate`);
    /// safe to run from several processes at once (they take turns).
    pub fn migrate(options: &PgOptions) -> Result<MigrateReport, StoreError> {
        let store = Self::connect_unchecked(options)?;
        let shown = store.inner.shown.clone();
        store.transaction(async |tx| schema::migrate(tx, &shown).await)
    }

    /// The schema version recorded in the database (`None`: never migrated).
    pub fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        self.transaction(async |tx| schema::version(tx).await)
    }

    fn connect_unchecked(options: &PgOptions) -> Result<Self, StoreError> {
        let shown = options.url.clone();
        let open = |reason: String| StoreError::Open { path: shown.clone(), reason };
        let mut config: tokio_postgres::Config =
            options.url.parse().map_err(|e| open(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_password().is_some() {
            return Err(open(
                "the URL carries a password; set GLEANER_STORE_PASSWORD or store_password_file instead".to_owned(),
            ));
        }
        if let Some(password) = &options.password {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gleaner-postgres")
            .enable_all()
            .build()
            .map_err(|e| open(format!("cannot start the connection thread: {e}")))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| open(e.to_string()))?;
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
                shown: shown.clone(),
            }),
        };
        // One connection now, so a wrong host or password fails here and not at the first query.
        store.block(async { store.inner.pool.get().await.map(drop) }).map_err(|e| open(pool_reason(&e)))?;
        Ok(store)
    }

    /// Runs `future` to completion on the caller's thread, inside the store's
    /// runtime context (see the module docs).
    fn block<F: std::future::Future>(&self, future: F) -> F::Output {
        let _context = self.inner.handle.enter();
        futures_executor::block_on(future)
    }

    /// Runs `work` in one transaction on a pooled connection and commits it;
    /// retried whole when PostgreSQL aborts it as a deadlock or serialization
    /// failure. `work` must therefore only read and write through `tx`.
    pub(super) fn transaction<T>(
        &self,
        mut work: impl AsyncFnMut(&Tx<'_>) -> Result<T, Failure>,
    ) -> Result<T, StoreError> {
        self.block(async {
            let mut client = self.inner.pool.get().await.map_err(|e| StoreError::Io(pool_reason(&e)))?;
            let mut attempt = 1;
            loop {
                let outcome = async {
                    let tx = client.transaction().await?;
                    let value = work(&tx).await?;
                    tx.commit().await?;
                    Ok::<T, Failure>(value)
                }
                .await;
                match outcome {
                    Err(failure) if failure.retryable() && attempt < ATTEMPTS => {
                        tracing::debug!(attempt, "postgres transaction aborted by the server; retrying");
                        attempt += 1;
                    }
                    other => return other.map_err(Failure::into_store),
                }
            }
        })
    }
}

fn pool_reason(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(e) => match db_error(e) {
            StoreError::Io(text) => text,
            other => other.to_string(),
        },
        other => format!("postgres: {other}"),
    }
}

/// Runs one statement (prepared once per connection) and returns its rows.
pub(super) async fn query(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>, Failure> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query(&statement, params).await?)
}

/// Runs one statement and returns how many rows it changed.
pub(super) async fn execute(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, Failure> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

/// A revision or count as PostgreSQL's `bigint` (none comes near `i64::MAX`).
pub(super) fn big(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
