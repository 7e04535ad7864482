//! A throwaway PostgreSQL cluster for the tests: one per test binary run,
//! one database per test.
//!
//! The first test that asks starts it: `initdb` into a fresh temp dir, then
//! `postgres` on a free loopback port with its socket in that dir, as
//! `nobody` when the tests run as root (PostgreSQL refuses to run as root).
//! Host connections need a password (SCRAM), so every test also proves the
//! store logs in with the one it is given.
//!
//! Teardown cannot rely on destructors (statics are never dropped), so the
//! server runs under a small shell that waits on a pipe from this process:
//! when the test binary exits, however it exits, the pipe closes, and the
//! shell stops the server (fast shutdown) and deletes the temp dir. The
//! shell has a session of its own (`setsid`), so a signal to the test's
//! process group (Ctrl-C, a CI timeout) cannot kill it before it cleans up.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use gleaner::store::{PgOptions, PgStore};

/// The cluster's superuser and its password (only ever on loopback).
pub const USER: &str = "gleaner";
pub const PASSWORD: &str = "test-password";

/// A running cluster.
pub struct Cluster {
    pub port: u16,
    pub dir: PathBuf,
    /// The supervising shell; its stdin is the pipe whose closing stops the server.
    _supervisor: Mutex<Child>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The newest installed PostgreSQL's `bin` directory.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).expect(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `apt-get install postgresql` \
         (.ci/run does)",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("address").port()
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn start() -> Cluster {
    let bin = bin_dir();
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("gleaner-pg-{}-{stamp}", std::process::id()));
    std::fs::create_dir(&dir).expect("create the cluster's temp dir");
    let port = free_port();
    let script = format!(
        r#"set -e
cd "$DIR"
printf '%s\n' "$PASSWORD" > pw
"$BIN/initdb" -D data -U {USER} --pwfile=pw --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync > initdb.log 2>&1
"$BIN/postgres" -D data -k "$DIR" -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=300 > server.log 2>&1 &
server=$!
echo up
cat > /dev/null || true
kill -INT $server 2>/dev/null || true
wait $server 2>/dev/null || true
cd /
rm -rf "$DIR"
"#
    );
    let mut command = if running_as_root() {
        let owned = Command::new("chown").args(["nobody:nogroup"]).arg(&dir).status().expect("chown runs");
        assert!(owned.success(), "cannot give the cluster's temp dir to nobody");
        let mut c = Command::new("setsid");
        c.args(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("setsid");
        c.args(["sh", "-c", &script]);
        c
    };
    let mut supervisor = command
        .current_dir(&dir)
        .env("DIR", &dir)
        .env("BIN", &bin)
        .env("PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the cluster's supervisor");
    // "up" once initdb has finished and the server was started.
    let mut line = [0u8; 3];
    let read = supervisor.stdout.take().expect("piped").read_exact(&mut line);
    if read.is_err() || &line != b"up\n" {
        let log = std::fs::read_to_string(dir.join("initdb.log")).unwrap_or_default();
        panic!("initdb failed:\n{log}");
    }
    let cluster = Cluster { port, dir, _supervisor: Mutex::new(supervisor) };
    cluster.wait_until_ready();
    cluster
}

impl Cluster {
    /// Waits until the server takes logins (it listens before it does).
    fn wait_until_ready(&self) {
        let began = Instant::now();
        loop {
            match self.admin(|_| async { Ok(()) }) {
                Ok(()) => return,
                Err(error) if began.elapsed() > Duration::from_secs(60) => {
                    let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                    panic!("PostgreSQL never took a login: {error}\n{log}");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The URL of `database` (no password: the store gets it apart).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs `work` on a superuser connection to the `postgres` database.
    pub fn admin<F, Fut>(&self, work: F) -> Result<(), tokio_postgres::Error>
    where
        F: FnOnce(tokio_postgres::Client) -> Fut,
        Fut: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
    {
        self.on("postgres", work)
    }

    /// Runs `work` on a connection to `database` as the superuser.
    pub fn on<F, Fut>(&self, database: &str, work: F) -> Result<(), tokio_postgres::Error>
    where
        F: FnOnce(tokio_postgres::Client) -> Fut,
        Fut: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let mut config: tokio_postgres::Config = self.url(database).parse().expect("a valid URL");
        config.password(PASSWORD);
        runtime.block_on(async {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            let driver = tokio::spawn(connection);
            let result = work(client).await;
            driver.abort();
            result
        })
    }

    /// A new, empty database; returns the options to reach it.
    pub fn database(&self) -> PgOptions {
        let name = format!("t{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
        let create = format!("CREATE DATABASE {name}");
        self.admin(|client| async move { client.batch_execute(&create).await }).expect("create a test database");
        PgOptions::new(&self.url(&name), Some(PASSWORD.to_owned()))
    }
}

/// The cluster of this test run, started by the first caller.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(start)
}

/// A migrated store in a database of its own.
pub fn store() -> PgStore {
    let options = cluster().database();
    PgStore::migrate(&options).expect("migrate a new database");
    PgStore::connect(&options).expect("connect to a migrated database")
}
