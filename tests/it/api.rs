//! Issue 15: the JSON API, API tokens, the CLI through a running `serve`,
//! and user roles, over the real binary and a real `gleaner serve` on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use gleaner::editorial::Editorial;
use serde_json::Value;

use crate::ingest::{rss, write_config};
use crate::support::{gleaner, start_serve, terminate};

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

/// A store with two polled items (never polled again by `serve`: its
/// schedule is once a year) and a config that binds `port`.
fn polled_store(dir: &Path, port: u16) -> PathBuf {
    let feed = rss(&[("a", "Alpha story", "http://example.org/a"), ("b", "Beta story", "http://example.org/b")]);
    std::fs::write(dir.join("feed.xml"), feed).expect("write feed");
    let config = write_config(
        dir,
        &format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\n\n[publish]\noutput_dir = \"feeds\"\n\n\
             [[source]]\nid = \"local\"\nurl = \"file:feed.xml\"\nschedule = \"0 0 1 1 *\"\n"
        ),
    );
    let fetched = gleaner(&config, &["fetch"]);
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    config
}

/// Runs the binary with `stdin` piped in and `COLUMNS` fixed (tables fit the same width).
fn run(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env("COLUMNS", "200")
        .env("USER", "sara")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gleaner");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One HTTP/1.1 request; the status and the JSON body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let payload = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(payload).unwrap_or(Value::Null))
}

fn first_id(config: &Path) -> String {
    let listed = text(&gleaner(config, &["items", "--json"]).stdout);
    let first: Value = serde_json::from_str(listed.lines().next().expect("an item")).expect("json line");
    first["id"].as_str().expect("id").to_owned()
}

/// The issue's done-when: with `serve` running, `items --json`, `review
/// approve`, `publish` and `user add` (and `fetch`, `show`, `sources`, the
/// rest of `review` and `user`) succeed from another process with
/// the same output as offline. Two identical stores: one used offline, one
/// held by `serve` (so every command there must go through the service).
#[test]
fn store_commands_print_the_same_through_a_running_serve_as_offline() {
    let (offline_dir, online_dir) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let offline = polled_store(offline_dir.path(), free_port());
    let port = free_port();
    let online = polled_store(online_dir.path(), port);
    let id = first_id(&offline);
    assert_eq!(id, first_id(&online), "same feed, same ids");

    // Reads: the same store, before `serve` takes it and through `serve`.
    let reads: Vec<Vec<&str>> = vec![
        vec!["items", "--json"],
        vec!["items"],
        vec!["items", "--state", "new", "--limit", "1", "--json"],
        vec!["items", "--source", "nowhere"],
        vec!["show", &id, "--json"],
        vec!["show", &id],
        vec!["show", "0123456789abcdef0123456789abcdef"],
        vec!["sources", "--json"],
        vec!["sources"],
    ];
    let before: Vec<Output> = reads.iter().map(|args| run(&online, args, "")).collect();
    let (mut serve, _) = start_serve(&online, port);
    let service_file = online_dir.path().join("store.sled/gleaner-service.json");
    // Written just after the listener is bound, so a moment after it accepts.
    let waited = std::time::Instant::now();
    while !service_file.exists() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(10), "serve wrote its service file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&service_file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the service user reads the operator token");
    }

    for (args, offline_output) in reads.iter().zip(&before) {
        let through = run(&online, args, "");
        assert_eq!(text(&offline_output.stdout), text(&through.stdout), "stdout of {args:?}");
        assert_eq!(text(&offline_output.stderr), text(&through.stderr), "stderr of {args:?}");
        assert_eq!(offline_output.status.code(), through.status.code(), "exit code of {args:?}");
    }

    // Writes: the same steps on the offline twin and through `serve`.
    let steps: Vec<(Vec<&str>, &str)> = vec![
        (vec!["fetch"], ""),
        (vec!["fetch", "--source", "nowhere"], ""),
        (vec!["review", "shortlist", &id, "--as", "omid"], ""),
        (vec!["review", "approve", &id], ""),
        (vec!["review", "edit", &id, "--headline", "A better headline"], ""),
        (vec!["review", "edit", &id, "--headline", "Stale", "--revision", "1"], ""),
        (vec!["review", "approve", "0123456789abcdef0123456789abcdef"], ""),
        (vec!["publish", "--dry-run"], ""),
        (vec!["publish"], ""),
        (vec!["publish"], ""),
        // An illegal transition: refused in the same words, exit 2.
        (vec!["review", "reset", &id], ""),
        (vec!["user", "add", "alice"], "long enough password\n"),
        (vec!["user", "add", "bob", "--role", "admin"], "another long password\n"),
        (vec!["user", "add", "alice"], "long enough password\n"),
        (vec!["user", "add", "carol"], "short\n"),
        (vec!["user", "role", "alice", "editor"], ""),
        (vec!["user", "remove", "nobody"], ""),
    ];
    // A stale edit names when the change it lost to was made: a moment apart in the two stores.
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC").expect("regex");
    for (args, stdin) in &steps {
        let here = run(&offline, args, stdin);
        let there = run(&online, args, stdin);
        let normalize = |s: String, dir: &Path| s.replace(&dir.display().to_string(), "DIR");
        let (here_out, there_out) =
            (normalize(text(&here.stdout), offline_dir.path()), normalize(text(&there.stdout), online_dir.path()));
        assert_eq!(here_out, there_out, "stdout of {args:?}");
        let (here_err, there_err) = (text(&here.stderr), text(&there.stderr));
        assert_eq!(times.replace_all(&here_err, "TIME"), times.replace_all(&there_err, "TIME"), "stderr of {args:?}");
        assert_eq!(here.status.code(), there.status.code(), "exit code of {args:?}: {there_err}");
    }
    // The service's own store shows the work, audited under the CLI's user.
    let shown = text(&run(&online, &["show", &id, "--json"], "").stdout);
    let item: Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(item["state"], "published");
    assert_eq!(item["editor"]["headline"], "A better headline");

    // Commands that need the store to themselves say so plainly.
    let import = run(&online, &["export"], "");
    assert_eq!(import.status.code(), Some(2));
    assert!(text(&import.stderr).contains("needs the store offline"), "{}", text(&import.stderr));

    let (status, _) = terminate(&mut serve);
    assert!(status.success(), "{status:?}");
    assert!(!service_file.exists(), "a clean stop removes the service file");
    // And offline again, the store is the CLI's own.
    let after = run(&online, &["user", "list", "--json"], "");
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert!(text(&after.stdout).contains("\"name\":\"alice\",\"role\":\"editor\""), "{}", text(&after.stdout));
}

/// Tokens: 401 without or with a bad token, 403 for a read token on an
/// edit route, JSON errors with a stable `code`, 409 on a stale edit;
/// last use shown; a revoked token is refused at once.
#[test]
fn api_answers_by_token_scope_with_json_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let config = polled_store(dir.path(), port);
    let id = first_id(&config);
    let read = text(&gleaner(&config, &["token", "create", "dashboard"]).stdout).trim().to_owned();
    let edit = text(&gleaner(&config, &["token", "create", "bot", "--scope", "edit"]).stdout).trim().to_owned();
    assert!(read.starts_with("glt_") && edit.starts_with("glt_"), "{read} {edit}");
    let (mut serve, addr) = start_serve(&config, port);

    let (status, body) = request(addr, "GET", "/api/v1/items", None, None);
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");
    let (status, body) = request(addr, "GET", "/api/v1/items", Some("glt_not-a-real-token"), None);
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");

    let (status, body) = request(addr, "GET", "/api/v1/items?state=new&per_page=1", Some(&read), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(body["pages"], 2);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    let (status, body) = request(addr, "GET", "/api/v1/items?state=nonsense", Some(&read), None);
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");

    let approve = format!("/api/v1/items/{id}/approve");
    let (status, body) = request(addr, "POST", &approve, Some(&read), Some("{}"));
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = request(addr, "GET", "/api/v1/users", Some(&edit), None);
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "users need admin: {body}");

    let (_, shown) = request(addr, "GET", &format!("/api/v1/items/{id}"), Some(&read), None);
    let revision = shown["revision"].as_u64().expect("revision");
    let (status, body) = request(addr, "POST", &approve, Some(&edit), Some(&format!("{{\"revision\":{revision}}}")));
    assert_eq!((status, body["state"].as_str()), (200, Some("approved")), "{body}");
    let edit_body = format!("{{\"revision\":{revision},\"headline\":\"Late\"}}");
    let (status, body) = request(addr, "PATCH", &format!("/api/v1/items/{id}"), Some(&edit), Some(&edit_body));
    assert_eq!((status, body["code"].as_str()), (409, Some("stale_revision")), "{body}");
    assert_eq!(body["expected"], revision);
    assert_eq!(body["last_change"]["actor"], "api:bot", "the token is the actor");
    let (status, body) = request(addr, "POST", &approve, Some(&edit), Some("{\"actor\":\"someone else\"}"));
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "only the operator names actors: {body}");

    // Every route of the OpenAPI document is served and guarded; a route it
    // does not list is not.
    let (status, doc) = request(addr, "GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 15, "{}", paths.len());
    for (path, methods) in paths {
        let concrete =
            path.replace("{id}", &id).replace("{action}", "approve").replace("{number}", "1").replace("{name}", "x");
        for method in methods.as_object().expect("methods").keys() {
            let (status, body) = request(addr, &method.to_uppercase(), &concrete, None, Some("{}"));
            assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{method} {path}: {body}");
        }
    }
    let (status, body) = request(addr, "GET", "/api/v1/not-a-route", Some(&read), None);
    assert_eq!((status, body["code"].as_str()), (404, Some("no_route")), "{body}");
    let (status, body) = request(addr, "DELETE", "/api/v1/items", Some(&read), None);
    assert_eq!((status, body["code"].as_str()), (405, Some("method_not_allowed")), "{body}");

    // Last use shows (through the service), and revoking takes effect at once.
    let listed = text(&gleaner(&config, &["token", "list", "--json"]).stdout);
    let dashboard: Value =
        serde_json::from_str(listed.lines().find(|l| l.contains("dashboard")).expect("listed")).expect("json");
    assert!(dashboard["last_used"].is_string(), "{listed}");
    assert!(!listed.contains(&read), "the token itself is never listed");
    let revoked = gleaner(&config, &["token", "revoke", "dashboard"]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let (status, _) = request(addr, "GET", "/api/v1/items", Some(&read), None);
    assert_eq!(status, 401);

    let (status, _) = terminate(&mut serve);
    assert!(status.success());
}

/// Roles: the first user is an admin, the last admin can neither be demoted
/// nor removed, `passwd` changes what logs in; users stored before roles
/// existed keep every power (they read as admin).
#[test]
fn user_roles_keep_an_admin_and_passwd_changes_the_password() {
    let dir = tempfile::tempdir().expect("dir");
    let config = polled_store(dir.path(), free_port());
    assert!(run(&config, &["user", "add", "alice"], "first password\n").status.success());
    assert!(run(&config, &["user", "add", "bob"], "second password\n").status.success());
    let listed = text(&run(&config, &["user", "list", "--json"], "").stdout);
    assert!(listed.contains("\"name\":\"alice\",\"role\":\"admin\""), "{listed}");
    assert!(listed.contains("\"name\":\"bob\",\"role\":\"editor\""), "{listed}");

    for refused in [vec!["user", "role", "alice", "editor"], vec!["user", "remove", "alice"]] {
        let output = run(&config, &refused, "");
        assert_eq!(output.status.code(), Some(2), "{refused:?}");
        assert!(text(&output.stderr).contains("last admin"), "{}", text(&output.stderr));
    }
    assert!(run(&config, &["user", "role", "bob", "admin"], "").status.success());
    assert!(run(&config, &["user", "remove", "alice"], "").status.success());
    assert!(run(&config, &["user", "passwd", "bob"], "a brand new password\n").status.success());
    let listed = text(&run(&config, &["user", "list"], "").stdout);
    assert!(!listed.contains("alice") && listed.contains("bob") && listed.contains("admin"), "{listed}");

    let loaded = gleaner::app::load_config(&config).expect("config");
    let editorial = Editorial::without_queue(gleaner::app::open_store(&loaded).expect("store"));
    assert!(editorial.verify_user("bob", "a brand new password").expect("verify"));
    assert!(!editorial.verify_user("bob", "second password").expect("verify"));
    let _ = Arc::clone(editorial.store());
}

/// Polls `GET /api/v1/sources` until source `local`'s `enabled` is `want`.
fn wait_for_enabled(addr: SocketAddr, token: &str, want: bool) {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = request(addr, "GET", "/api/v1/sources", Some(token), None);
        assert_eq!(status, 200, "{body}");
        if body[0]["enabled"] == want {
            return;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "live reload never applied {want}: {body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Enabling and disabling a source edits its config file in place (comments
/// kept), from the CLI or the API, and the running service's live reload
/// applies it; only admin tokens may.
#[test]
fn sources_are_enabled_and_disabled_in_their_config_file_and_reloaded() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let config = polled_store(dir.path(), port);
    let admin = text(&gleaner(&config, &["token", "create", "ops", "--scope", "admin"]).stdout).trim().to_owned();
    let edit = text(&gleaner(&config, &["token", "create", "bot", "--scope", "edit"]).stdout).trim().to_owned();
    let (mut serve, addr) = start_serve(&config, port);

    let disabled = run(&config, &["sources", "disable", "local"], "");
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    assert!(text(&disabled.stdout).starts_with("source local disabled in"), "{}", text(&disabled.stdout));
    let written = std::fs::read_to_string(&config).expect("config");
    assert!(written.contains("id = \"local\"\nenabled = false\n"), "{written}");
    wait_for_enabled(addr, &admin, false);
    assert!(text(&run(&config, &["sources"], "").stdout).contains("local (disabled)"));

    let (status, body) = request(addr, "PUT", "/api/v1/sources/local/enabled", Some(&edit), Some("{\"enabled\":true}"));
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = request(addr, "PUT", "/api/v1/sources/nope/enabled", Some(&admin), Some("{\"enabled\":true}"));
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) =
        request(addr, "PUT", "/api/v1/sources/local/enabled", Some(&admin), Some("{\"enabled\":true}"));
    assert_eq!(status, 200, "{body}");
    wait_for_enabled(addr, &admin, true);
    assert!(std::fs::read_to_string(&config).expect("config").contains("enabled = true"));

    let unknown = run(&config, &["sources", "enable", "nope"], "");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no source \"nope\""), "{}", text(&unknown.stderr));
    let (status, _) = terminate(&mut serve);
    assert!(status.success());
}

/// A service killed with SIGKILL leaves its service file behind; the CLI
/// sees that its process is gone and opens the store itself.
#[test]
fn a_service_file_left_by_a_killed_serve_is_ignored() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let config = polled_store(dir.path(), port);
    let (mut serve, _) = start_serve(&config, port);
    let service_file = dir.path().join("store.sled/gleaner-service.json");
    let waited = std::time::Instant::now();
    while !service_file.exists() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(10), "serve wrote its service file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    serve.kill().expect("SIGKILL");
    serve.wait().expect("reaped");
    assert!(service_file.exists(), "nobody removed it");
    let listed = run(&config, &["items", "--json"], "");
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert_eq!(text(&listed.stdout).lines().count(), 2);
}

/// A store like [`polled_store`]'s with `[mail]` pointing at the test SMTP
/// server, fetch allowed on loopback (for `add`), and issue 1 published.
fn mailing_store(dir: &Path, port: u16) -> PathBuf {
    let smtp = crate::support::smtp::Smtpd::get().port;
    let feed = rss(&[("a", "Alpha story", "http://example.org/a"), ("b", "Beta story", "http://example.org/b")]);
    std::fs::write(dir.join("feed.xml"), feed).expect("write feed");
    let config = write_config(
        dir,
        &format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\n\n[publish]\noutput_dir = \"feeds\"\n\n\
             [mail]\nsmtp = \"smtp://127.0.0.1:{smtp}\"\nfrom = \"Digest <digest@example.org>\"\n\n\
             [[source]]\nid = \"local\"\nurl = \"file:feed.xml\"\nschedule = \"0 0 1 1 *\"\n"
        ),
    );
    assert!(gleaner(&config, &["fetch"]).status.success());
    let id = first_id(&config);
    assert!(gleaner(&config, &["review", "approve", &id]).status.success());
    let published = gleaner(&config, &["publish"]);
    assert!(published.status.success(), "{}", text(&published.stderr));
    config
}

/// Issue 15, the rest of the CLI through the service: `add`, `note add`,
/// `review attach|detach`, `stories`, `publish --correct`, `subscribers`
/// and `mail test` print the same (stdout, stderr, exit code, `--json`)
/// through a running `serve` as offline, refusals included.
#[test]
fn entries_corrections_and_the_mailing_list_go_through_a_running_serve() {
    let page = std::fs::read_to_string("tests/fixtures/follow/council-vote.html").expect("fixture");
    let pages = crate::support::http::TestServer::start(move |request| {
        if request.path() == "/council" {
            crate::support::http::Reply::ok(page.clone()).header("Content-Type", "text/html")
        } else {
            crate::support::http::Reply::new(404)
        }
    });
    let (offline_dir, online_dir) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let offline = mailing_store(offline_dir.path(), free_port());
    let port = free_port();
    let online = mailing_store(online_dir.path(), port);
    let id = first_id(&offline);
    let domain = crate::support::smtp::Smtpd::get().domain("through");
    let csv_dir = tempfile::tempdir().expect("dir");
    let csv = csv_dir.path().join("list.csv");
    std::fs::write(&csv, format!("email\nc@{domain}\nnot an address\nd@{domain}\n")).expect("csv");
    let csv = csv.display().to_string();

    let (mut serve, _) = start_serve(&online, port);
    let service_file = online_dir.path().join("store.sled/gleaner-service.json");
    let waited = std::time::Instant::now();
    while !service_file.exists() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(10), "serve wrote its service file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let article = pages.url("/council").to_string();
    let missing = pages.url("/missing").to_string();
    let (a, b, x) = (format!("a@{domain}"), format!("b@{domain}"), format!("x@{domain}"));
    // `NOTE` stands for the note each store makes (a fresh id per note).
    let steps: Vec<Vec<&str>> = vec![
        vec!["add", &article, "--section", "World", "--as", "ann", "--json"],
        vec!["add", &article],
        vec!["add", "not a url"],
        vec!["add", &missing],
        vec!["note", "add", "--section", "World", "--commentary", "From Paris.", "--as", "ann"],
        vec!["note", "add", "--section", "World", "--commentary", "  "],
        vec!["review", "attach", "NOTE", &id, "--as", "ann"],
        vec!["review", "attach", "NOTE", "0123456789abcdef0123456789abcdef"],
        vec!["review", "detach", "NOTE", &id],
        vec!["review", "attach", "NOTE", &id, "--revision", "1"],
        vec!["stories"],
        vec!["stories", "--all"],
        vec!["publish", "--correct", "1", "--note", "The headline was wrong.", "--as", "ann"],
        vec!["publish", "--correct", "7"],
        vec!["subscribers", "add", &a, "--confirmed"],
        vec!["subscribers", "add", &a],
        vec!["subscribers", "add", &b],
        vec!["subscribers", "add", "not an address"],
        vec!["subscribers", "import", &csv, "--confirmed"],
        vec!["subscribers", "list", "--json"],
        vec!["subscribers", "list"],
        vec!["subscribers", "remove", &b],
        vec!["subscribers", "remove", &b],
        vec!["mail", "test", &x],
        vec!["mail", "test", "nobody"],
    ];
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d| UTC)").expect("regex");
    let mut notes: [Option<String>; 2] = [None, None];
    let mut codes = Vec::new();
    for args in &steps {
        let mut outputs = Vec::new();
        for (n, (config, dir)) in [(&offline, offline_dir.path()), (&online, online_dir.path())].into_iter().enumerate()
        {
            let note = notes[n].clone().unwrap_or_default();
            let args: Vec<&str> = args.iter().map(|a| if *a == "NOTE" { note.as_str() } else { a }).collect();
            let output = run(config, &args, "");
            if args.starts_with(&["note", "add"]) && output.status.success() && notes[n].is_none() {
                notes[n] = Some(text(&output.stdout).trim().to_owned());
            }
            let normalize = |s: String| {
                let s = s.replace(&dir.display().to_string(), "DIR");
                let s = notes[n].as_ref().map_or(s.clone(), |id| s.replace(id.as_str(), "NOTE"));
                times.replace_all(&s, "TIME").into_owned()
            };
            outputs.push((normalize(text(&output.stdout)), normalize(text(&output.stderr)), output.status.code()));
        }
        assert_eq!(outputs[0], outputs[1], "{args:?}: offline, then through serve");
        codes.push(outputs[0].2.unwrap_or(-1));
    }
    // Each did what it says, not only the same thing twice.
    assert_eq!(codes, [0, 0, 2, 1, 0, 2, 0, 2, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 2, 0, 2], "{steps:?}");
    // The service did the work in its own store: the added article, the
    // note, the correction and the list are there once it stops.
    let (status, _) = terminate(&mut serve);
    assert!(status.success(), "{status:?}");
    let items = text(&run(&online, &["items", "--json"], "").stdout);
    assert!(items.contains("\"source\":\"manual\""), "{items}");
    assert!(items.contains("\"source\":\"note\""), "{items}");
    let issue = std::fs::read_to_string(online_dir.path().join("feeds/issues/1.html")).expect("issue page");
    assert!(issue.contains("The headline was wrong."), "the correction was written by serve");
    let list = text(&run(&online, &["subscribers", "list"], "").stdout);
    assert!(list.contains(&a) && list.contains(&format!("c@{domain}")) && !list.contains(&b), "{list}");
    // The test message went out through the SMTP server, once per store.
    let delivered = crate::support::smtp::Smtpd::get().wait_for(&domain, 2, std::time::Duration::from_secs(10));
    assert_eq!(delivered.iter().filter(|(user, _)| user == "x").count(), 2, "one test message each");
}

/// One HTTP/1.1 request with extra header lines; the status, the header block and the body.
fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (status, head.to_owned(), body.to_owned())
}

/// The value of cookie `name` set by a response's header block.
fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// Logs in to the review UI as a browser does; the session cookie's value.
fn log_in(addr: SocketAddr, name: &str, password: &str) -> String {
    let (_, head, _) = exchange(addr, "GET", "/login", "", "");
    let form = set_cookie(&head, "gleaner_login").expect("the login form's cookie");
    let body = format!("name={name}&password={}&csrf={form}", password.replace(' ', "+"));
    let headers = format!("Cookie: gleaner_login={form}\r\nContent-Type: application/x-www-form-urlencoded\r\n");
    let (status, head, _) = exchange(addr, "POST", "/login", &headers, &body);
    assert_eq!(status, 303, "{name} logs in: {head}");
    set_cookie(&head, "gleaner_session").expect("a session cookie")
}

fn queue_status(addr: SocketAddr, session: &str) -> u16 {
    exchange(addr, "GET", "/queue", &format!("Cookie: gleaner_session={session}\r\n"), "").0
}

/// Issue 15.3: removing a user, or lowering their role, through the CLI
/// (via the running service) or the API ends their browser sessions at
/// once and revokes the API tokens made for them; others' stay.
#[test]
fn removing_or_demoting_a_user_ends_their_sessions_and_revokes_their_tokens() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let config = polled_store(dir.path(), port);
    for (name, role) in [("alice", "admin"), ("bob", "editor"), ("carol", "admin")] {
        let added = run(&config, &["user", "add", name, "--role", role], &format!("{name}'s long password\n"));
        assert!(added.status.success(), "{}", text(&added.stderr));
    }
    let (mut serve, addr) = start_serve(&config, port);
    let token = |name: &str, scope: &str, user: Option<&str>| {
        let mut args = vec!["token", "create", name, "--scope", scope];
        args.extend(user.map(|u| ["--user", u]).into_iter().flatten());
        let created = run(&config, &args, "");
        assert!(created.status.success(), "{}", text(&created.stderr));
        text(&created.stdout).trim().to_owned()
    };
    let bobs = token("bobs", "edit", Some("bob"));
    let carols = token("carols", "admin", Some("carol"));
    let shared = token("shared", "read", None);
    assert_eq!(run(&config, &["token", "create", "x", "--user", "nobody"], "").status.code(), Some(2));
    // A token made with carol's token is carol's.
    let (status, minted) =
        request(addr, "POST", "/api/v1/tokens", Some(&carols), Some(r#"{"name":"carols-ci","scope":"read"}"#));
    assert_eq!((status, minted["owner"].as_str()), (201, Some("carol")), "{minted}");
    let minted = minted["token"].as_str().expect("token").to_owned();

    let (bob, carol) = (log_in(addr, "bob", "bob's long password"), log_in(addr, "carol", "carol's long password"));
    assert_eq!((queue_status(addr, &bob), queue_status(addr, &carol)), (200, 200));
    assert_eq!(request(addr, "GET", "/api/v1/items", Some(&bobs), None).0, 200);

    // Removed through the CLI, which goes through the running service.
    let removed = run(&config, &["user", "remove", "bob"], "");
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(queue_status(addr, &bob), 303, "bob's session ended: back to the login page");
    assert_eq!(request(addr, "GET", "/api/v1/items", Some(&bobs), None).0, 401, "bob's token revoked");
    assert_eq!(queue_status(addr, &carol), 200, "carol's session goes on");

    // Demoted through the API (with her own admin token).
    let (status, _) = request(addr, "PUT", "/api/v1/users/carol/role", Some(&carols), Some(r#"{"role":"editor"}"#));
    assert_eq!(status, 200);
    assert_eq!(queue_status(addr, &carol), 303, "carol's session ended");
    for (token, what) in [(&carols, "carol's token"), (&minted, "the token carol's token made")] {
        assert_eq!(request(addr, "GET", "/api/v1/items", Some(token), None).0, 401, "{what} revoked");
    }
    assert_eq!(request(addr, "GET", "/api/v1/items", Some(&shared), None).0, 200, "an unowned token stays");
    // Logging in again gives carol an editor's session.
    let again = log_in(addr, "carol", "carol's long password");
    assert_eq!(queue_status(addr, &again), 200);
    let listed = text(&run(&config, &["token", "list", "--json"], "").stdout);
    assert!(!listed.contains("bobs") && !listed.contains("carol") && listed.contains("shared"), "{listed}");

    let (status, _) = terminate(&mut serve);
    assert!(status.success(), "{status:?}");
}
