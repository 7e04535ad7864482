//! A real SMTP server for the mail tests: Debian's `OpenSMTPD`, started once
//! per test process on a free 127.0.0.1 port with its own `smtpd.conf`,
//! delivering every recipient to a Maildir under a temp dir
//! (`{root}/{domain}/{user}/new/`). Recipients whose local part starts with
//! `bounce` are refused at RCPT with a 550, as a real server refuses an
//! unknown mailbox.
//!
//! Why one instance: `OpenSMTPD` allows one daemon per machine (a fixed
//! control socket), so tests share it and keep apart by recipient domain
//! ([`Smtpd::domain`]). It runs as root (privilege separation needs it; the
//! tests run as root in CI) and is started under `setpriv --pdeathsig KILL`,
//! so it dies with the test process however that ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Smtpd {
    pub port: u16,
    root: PathBuf,
    _dir: tempfile::TempDir,
    _child: Child,
}

static SMTPD: OnceLock<Smtpd> = OnceLock::new();
static DOMAINS: AtomicUsize = AtomicUsize::new(0);

/// A free loopback port (released again for the caller to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl Smtpd {
    /// The shared server, started on first use.
    pub fn get() -> &'static Smtpd {
        SMTPD.get_or_init(Smtpd::start)
    }

    fn start() -> Smtpd {
        let smtpd = Path::new("/usr/sbin/smtpd");
        assert!(smtpd.exists(), "the mail tests need Debian's opensmtpd (apt-get install opensmtpd; .ci/run does)");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("maildirs");
        std::fs::create_dir_all(&root).expect("mkdir");
        // Deliveries run as the unprivileged `nobody`.
        let chmod = Command::new("chmod").args(["-R", "0777"]).arg(dir.path()).status().expect("chmod");
        assert!(chmod.success());
        let port = free_port();
        let conf = dir.path().join("smtpd.conf");
        let text = format!(
            "table vusers {{ \"@\" = \"nobody\" }}\n\
             listen on 127.0.0.1 port {port}\n\
             action \"deliver\" maildir \"{}/%{{rcpt.domain}}/%{{rcpt.user}}\" virtual <vusers>\n\
             match from any for rcpt-to regex \"^bounce\" reject\n\
             match from any for any action \"deliver\"\n",
            root.display()
        );
        std::fs::write(&conf, text).expect("write smtpd.conf");
        // smtpd refuses a config readable by others only if it holds secrets; ours holds none.
        // The death signal follows the spawning *thread*, not the process:
        // spawned from a test's thread, smtpd would die when that test ends.
        // So a thread that lives as long as the process spawns it.
        let (sender, receiver) = std::sync::mpsc::channel();
        let conf_path = conf.clone();
        std::thread::spawn(move || {
            let child = Command::new("setpriv")
                .args(["--pdeathsig", "KILL", "/usr/sbin/smtpd", "-d", "-f"])
                .arg(&conf_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let _ = sender.send(child);
            loop {
                std::thread::park();
            }
        });
        let child = receiver.recv().expect("spawner thread").expect("start smtpd");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "smtpd never listened (another `OpenSMTPD` running? stop it: service opensmtpd stop)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtpd { port, root, _dir: dir, _child: child }
    }

    /// A recipient domain no other test uses.
    pub fn domain(&self, name: &str) -> String {
        let _ = self.port; // a domain belongs to this server's maildirs
        format!("{name}-{}.test", DOMAINS.fetch_add(1, Ordering::Relaxed))
    }

    /// Every delivered message for `domain`, as (mailbox user, raw bytes).
    pub fn messages(&self, domain: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let Ok(users) = std::fs::read_dir(self.root.join(domain)) else { return out };
        for user in users.flatten() {
            let name = user.file_name().to_string_lossy().into_owned();
            for sub in ["new", "cur"] {
                let Ok(files) = std::fs::read_dir(user.path().join(sub)) else { continue };
                for file in files.flatten() {
                    if let Ok(bytes) = std::fs::read(file.path()) {
                        out.push((name.clone(), bytes));
                    }
                }
            }
        }
        out
    }

    /// Waits until `domain` holds at least `count` messages; returns them.
    pub fn wait_for(&self, domain: &str, count: usize, timeout: Duration) -> Vec<(String, Vec<u8>)> {
        let started = Instant::now();
        loop {
            let messages = self.messages(domain);
            if messages.len() >= count || started.elapsed() > timeout {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
