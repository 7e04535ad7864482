//! The digest by email, end to end through the binary and a real SMTP
//! server (`OpenSMTPD` on loopback, `support::smtp`): subscribers added and
//! imported, an issue published offline and mailed by `serve`, SIGKILL in
//! the middle of the send and a restart ending with every confirmed
//! subscriber holding exactly one copy, an address refused at RCPT marked
//! bounced, the messages read back with a MIME parser (headers, both
//! parts), the RFC 8058 one-click unsubscribe followed over HTTP, and the
//! double opt-in from the `/feeds/` form through the confirmation link.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};

use crate::ingest::rss;
use crate::support::http::{Reply, TestServer};
use crate::support::smtp::{Smtpd, free_port};
use crate::support::{gleaner, start_serve, terminate};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct Site {
    _feed: TestServer,
    dir: tempfile::TempDir,
    config: PathBuf,
    port: u16,
}

/// A config with one source of three items, `[mail]` pointing at the test
/// SMTP server, and `serve` on a free port; the items fetched and approved.
fn site(rate_per_minute: u32) -> Site {
    let body = rss(&[
        ("a", "Alpha story", "http://example.org/a"),
        ("b", "Beta story", "http://example.org/b"),
        ("c", "Gamma story", "http://example.org/c"),
    ]);
    let feed = TestServer::start(move |_| Reply::ok(body.clone()).header("Content-Type", "application/rss+xml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let smtp = Smtpd::get().port;
    let config = dir.path().join("gleaner.toml");
    let text = format!(
        "store = \"store.sled\"\n\n[fetch]\nallow_private_networks = true\ntimeout_secs = 5\n\n\
         [publish]\ntitle = \"Test Digest\"\noutput_dir = \"feeds\"\n\n\
         [server]\nbind = \"127.0.0.1:{port}\"\n\n\
         [mail]\nsmtp = \"smtp://127.0.0.1:{smtp}\"\nfrom = \"Test Digest <digest@example.org>\"\n\
         rate_per_minute = {rate_per_minute}\n\n\
         [[source]]\nid = \"feed\"\nurl = \"{}\"\nschedule = \"0 0 1 1 *\"\n",
        feed.url("/feed")
    );
    std::fs::write(&config, text).expect("write config");
    let fetched = gleaner(&config, &["fetch"]);
    assert!(fetched.status.success(), "{}", stderr(&fetched));
    let items = gleaner(&config, &["items", "--json"]);
    let ids: Vec<String> = stdout(&items)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    let mut args = vec!["review", "approve"];
    args.extend(ids.iter().map(String::as_str));
    let approved = gleaner(&config, &args);
    assert!(approved.status.success(), "{}", stderr(&approved));
    Site { _feed: feed, dir, config, port }
}

/// Recipient user → how many messages they got.
fn per_recipient(messages: &[(String, Vec<u8>)]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for (user, _) in messages {
        *counts.entry(user.clone()).or_insert(0) += 1;
    }
    counts
}

fn subscriber_status(config: &Path) -> HashMap<String, String> {
    let output = gleaner(config, &["subscribers", "list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            (v["email"].as_str().expect("email").to_owned(), v["status"].as_str().expect("status").to_owned())
        })
        .collect()
}

fn kill9(child: &mut Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

fn http() -> (tokio::runtime::Runtime, reqwest::Client) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    (runtime, client)
}

#[test]
fn an_issue_reaches_every_confirmed_subscriber_exactly_once_across_a_sigkill() {
    const N: usize = 50;
    let smtpd = Smtpd::get();
    let domain = smtpd.domain("kill");
    // 1,200 a minute: 50 ms a message, so the kill lands mid-send.
    let site = site(1200);
    let csv: String =
        std::iter::once("email\n".to_owned()).chain((0..N).map(|i| format!("reader{i:03}@{domain}\n"))).collect();
    let csv_path = site.dir.path().join("list.csv");
    std::fs::write(&csv_path, csv + "not-an-address\n").expect("write csv");
    let imported = gleaner(&site.config, &["subscribers", "import", csv_path.to_str().unwrap(), "--confirmed"]);
    assert_eq!(imported.status.code(), Some(1), "a bad row makes the import partial: {}", stderr(&imported));
    assert!(stdout(&imported).contains(&format!("imported {N} confirmed")), "{}", stdout(&imported));
    assert!(stderr(&imported).contains("line 52: not an email address"), "{}", stderr(&imported));
    let bounce = format!("bounce-me@{domain}");
    assert!(gleaner(&site.config, &["subscribers", "add", &bounce, "--confirmed"]).status.success());
    // Pending (never confirmed) and unsubscribed-before-sending addresses get no issue.
    assert!(gleaner(&site.config, &["subscribers", "add", &format!("pending@{domain}")]).status.success());

    let published = gleaner(&site.config, &["publish"]);
    assert!(published.status.success(), "{}", stderr(&published));
    assert!(smtpd.messages(&domain).is_empty(), "publish only queues; serve sends");

    let (mut serve, _) = start_serve(&site.config, site.port);
    let partial = smtpd.wait_for(&domain, N / 3, Duration::from_secs(60));
    kill9(&mut serve);
    let at_kill = partial.len();
    assert!(at_kill < N, "the kill came mid-send ({at_kill} delivered)");

    let (mut serve, _) = start_serve(&site.config, site.port);
    // N issues plus one confirmation message for `pending@`.
    let all = smtpd.wait_for(&domain, N + 1, Duration::from_secs(90));
    // Anything sent twice would arrive in the next moments: give it time.
    std::thread::sleep(Duration::from_secs(3));
    let all_after = smtpd.messages(&domain);
    terminate(&mut serve);
    let counts = per_recipient(&all_after);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "nobody gets two copies: {twice:?} (killed after {})", partial.len());
    assert_eq!(all.len(), all_after.len(), "nothing more arrived late");
    for i in 0..N {
        assert_eq!(counts.get(&format!("reader{i:03}")), Some(&1), "reader{i:03}: exactly one copy ({counts:?})");
    }
    assert_eq!(counts.get("pending"), Some(&1), "the confirmation message only");
    assert_eq!(counts.get("bounce-me"), None);
    assert_eq!(all_after.len(), N + 1, "{counts:?}");
    let status = subscriber_status(&site.config);
    assert_eq!(status.get(&bounce).map(String::as_str), Some("bounced"), "a 550 at RCPT marks the address");
    assert_eq!(status.get(&format!("pending@{domain}")).map(String::as_str), Some("pending"));
    println!("SIGKILL after {at_kill} of {N} delivered; after restart {} messages, none twice", all_after.len());
}

#[test]
fn the_mailed_issue_has_both_parts_list_headers_and_a_one_click_unsubscribe() {
    let smtpd = Smtpd::get();
    let domain = smtpd.domain("parts");
    let site = site(6000);
    let reader = format!("reader@{domain}");
    let other = format!("other@{domain}");
    assert!(gleaner(&site.config, &["subscribers", "add", &reader, "--confirmed"]).status.success());
    assert!(gleaner(&site.config, &["subscribers", "add", &other, "--confirmed"]).status.success());
    assert!(gleaner(&site.config, &["publish"]).status.success());
    let (mut serve, addr) = start_serve(&site.config, site.port);
    let messages = smtpd.wait_for(&domain, 2, Duration::from_secs(60));
    assert_eq!(messages.len(), 2);
    let raw = &messages.iter().find(|(user, _)| user == "reader").expect("reader's copy").1;
    let message = MessageParser::default().parse(raw.as_slice()).expect("a MIME message");

    assert!(message.subject().is_some_and(|s| s.contains("Test Digest")), "{:?}", message.subject());
    assert_eq!(message.from().and_then(|f| f.first()).and_then(|a| a.address()), Some("digest@example.org"));
    assert!(message.message_id().is_some_and(|id| id.starts_with("issue-1.")), "{:?}", message.message_id());
    let header = |name: &str| message.header_raw(name).map(str::trim).map(str::to_owned);
    assert_eq!(header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let list_unsubscribe = header("List-Unsubscribe").expect("List-Unsubscribe");
    let url = list_unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
    assert!(url.starts_with(&format!("http://{addr}/mail/unsubscribe?token=")), "{url}");
    assert!(header("List-Id").is_some_and(|id| id.contains("<digest.example.org>")));

    let text = message.body_text(0).expect("a text part");
    let html = message.body_html(0).expect("an HTML part");
    assert_eq!(message.text_body.len(), 1);
    assert_eq!(message.html_body.len(), 1);
    assert!(message.parts.iter().any(|p| {
        p.content_type().is_some_and(|c| c.c_type == "multipart" && c.c_subtype.as_deref() == Some("alternative"))
    }));
    for title in ["Alpha story", "Beta story", "Gamma story"] {
        assert!(text.contains(title), "text part: {text}");
        assert!(html.contains(title), "html part");
    }
    assert!(text.contains(&url), "the text part carries the unsubscribe link");
    assert!(html.contains("style=\""), "CSS is inlined for mail clients");
    assert!(!html.contains("<style"), "no <style> block left to strip");
    // The other subscriber's token is different: unsubscribing one leaves the other.
    let other_raw = &messages.iter().find(|(user, _)| user == "other").expect("other's copy").1;
    let other_message = MessageParser::default().parse(other_raw.as_slice()).expect("MIME");
    assert_ne!(other_message.header_raw("List-Unsubscribe").map(str::trim), Some(list_unsubscribe.as_str()));

    let (runtime, client) = http();
    let page = runtime.block_on(async { client.get(&url).send().await?.text().await }).expect("GET");
    assert!(page.contains("<form method=\"post\""), "a GET only shows the button: {page}");
    assert_eq!(subscriber_status_live(&runtime, &client, &url), "confirmed", "a GET changes nothing");
    let one_click = runtime
        .block_on(async {
            client
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("List-Unsubscribe=One-Click")
                .send()
                .await
        })
        .expect("POST");
    assert_eq!(one_click.status(), 200);
    terminate(&mut serve);
    let status = subscriber_status(&site.config);
    assert_eq!(status.get(&reader).map(String::as_str), Some("unsubscribed"));
    assert_eq!(status.get(&other).map(String::as_str), Some("confirmed"));
}

/// The store is held by `serve`, so the status is read back through the
/// page: the unsubscribe page still offers the button while subscribed.
fn subscriber_status_live(runtime: &tokio::runtime::Runtime, client: &reqwest::Client, url: &str) -> &'static str {
    let page = runtime.block_on(async { client.get(url).send().await?.text().await }).expect("GET");
    if page.contains("Unsubscribe me") { "confirmed" } else { "other" }
}

#[test]
fn signing_up_on_the_archive_page_needs_the_confirmation_link() {
    let smtpd = Smtpd::get();
    let domain = smtpd.domain("signup");
    let site = site(6000);
    assert!(gleaner(&site.config, &["publish"]).status.success());
    let (mut serve, addr) = start_serve(&site.config, site.port);
    let (runtime, client) = http();
    let index = runtime
        .block_on(async { client.get(format!("http://{addr}/feeds/")).send().await?.text().await })
        .expect("GET /feeds/");
    assert!(index.contains("action=\"/feeds/subscribe\""), "the archive page has the form: {index}");
    let email = format!("new.reader@{domain}");
    let signed_up = runtime
        .block_on(async {
            client
                .post(format!("http://{addr}/feeds/subscribe"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("email={}", email.replace('@', "%40")))
                .send()
                .await
        })
        .expect("POST");
    assert_eq!(signed_up.status(), 200);
    let bad = runtime
        .block_on(async {
            client
                .post(format!("http://{addr}/feeds/subscribe"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("email=nonsense")
                .send()
                .await
        })
        .expect("POST");
    assert_eq!(bad.status(), 422);

    let messages = smtpd.wait_for(&domain, 1, Duration::from_secs(30));
    assert_eq!(messages.len(), 1, "one confirmation message");
    let message = MessageParser::default().parse(messages[0].1.as_slice()).expect("MIME");
    let text = message.body_text(0).expect("text");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&format!("http://{addr}/mail/confirm?token=")))
        .expect("a confirmation link")
        .to_owned();
    let wrong = runtime
        .block_on(async { client.get(format!("http://{addr}/mail/confirm?token=0000")).send().await })
        .expect("GET");
    assert_eq!(wrong.status(), 404);
    let confirmed = runtime.block_on(async { client.get(&link).send().await }).expect("GET");
    assert_eq!(confirmed.status(), 200);
    let page = runtime.block_on(confirmed.text()).expect("body");
    assert!(page.contains(&email), "{page}");
    terminate(&mut serve);
    let status = subscriber_status(&site.config);
    assert_eq!(status.get(&email).map(String::as_str), Some("confirmed"));
}

#[test]
fn mail_test_sends_through_the_configured_server_and_needs_a_mail_section() {
    let smtpd = Smtpd::get();
    let domain = smtpd.domain("test");
    let site = site(60);
    let to = format!("operator@{domain}");
    let output = gleaner(&site.config, &["mail", "test", &to]);
    assert!(output.status.success(), "{}", stderr(&output));
    let messages = smtpd.wait_for(&domain, 1, Duration::from_secs(30));
    let message = MessageParser::default().parse(messages[0].1.as_slice()).expect("MIME");
    assert_eq!(message.subject(), Some("Gleaner mail test"));
    let refused = gleaner(&site.config, &["mail", "test", &format!("bounce@{domain}")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("550"), "{}", stderr(&refused));

    let plain = site.dir.path().join("plain.toml");
    std::fs::write(&plain, "store = \"store2.sled\"\n").expect("write");
    let output = gleaner(&plain, &["mail", "test", &to]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no [mail] section"), "{}", stderr(&output));
    let _ = Instant::now();
}

#[test]
fn bad_mail_and_webhook_settings_are_reported_with_their_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("gleaner.toml");
    let text = "store = \"s.sled\"\n\
                [mail]\n\
                smtp = \"http://mail.example.org\"\n\
                from = \"not an address\"\n\
                rate_per_minut = 5\n\
                username = \"u\"\n\
                [[webhook]]\n\
                url = \"https://hooks.example.org/in\"\n\
                secret = \"short\"\n\
                events = [\"issue.published\", \"quote.followed\", \"item.nope\"]\n\
                [[webhook]]\n\
                url = \"ftp://x\"\n\
                secret = \"long-enough-secret-value\"\n\
                secret_file = \"s.txt\"\n\
                events = [\"item.new\"]\n";
    std::fs::write(&config, text).expect("write");
    let output = gleaner(&config, &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    for (line, needle) in [
        (3, "mail.smtp"),
        (4, "mail.from"),
        (5, "rate_per_minut"),
        (9, "at least 16 characters"),
        (10, "`quote.followed` is not subscribed to"),
        (10, "item.nope"),
        (12, "webhook.url"),
        (14, "not both"),
    ] {
        assert!(
            errors.lines().any(|l| l.contains(&format!("gleaner.toml:{line}:")) && l.contains(needle)),
            "line {line}: {needle}\n{errors}"
        );
    }
    assert!(errors.contains("`username` and `password_file` together"), "{errors}");
}

/// Regression (the 0.59 s a message): `OpenSMTPD` takes 100 messages per
/// session, then answers `452 Too many messages sent`; that was counted as
/// a failed send with a minute's backoff per hundred. A session that caps
/// out is now reopened at once, so 150 readers get their copy in seconds.
#[test]
fn a_server_capping_messages_per_session_costs_a_reconnect_not_a_backoff() {
    const N: usize = 150;
    let smtpd = Smtpd::get();
    let domain = smtpd.domain("cap");
    let site = site(100_000);
    let csv: String =
        std::iter::once("email\n".to_owned()).chain((0..N).map(|i| format!("reader{i:03}@{domain}\n"))).collect();
    let csv_path = site.dir.path().join("list.csv");
    std::fs::write(&csv_path, csv).expect("write csv");
    assert!(
        gleaner(&site.config, &["subscribers", "import", csv_path.to_str().unwrap(), "--confirmed"]).status.success()
    );
    assert!(gleaner(&site.config, &["publish"]).status.success());
    let (mut serve, _) = start_serve(&site.config, site.port);
    // Under the backoff, the 101st waited 60 s.
    let all = smtpd.wait_for(&domain, N, Duration::from_secs(40));
    terminate(&mut serve);
    assert_eq!(all.len(), N, "every reader in one pass, past the server's 100 a session");
    assert!(per_recipient(&all).values().all(|n| *n == 1));
}
