//! `gleaner serve`, `demo`, `export`, `import` and `healthcheck`: running the
//! service and looking after its store.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Utc;

use super::backend::publish_here;
use super::items::editorial_failure;
use super::output::truncate;
use super::publish::print_published;
use super::sources::fetch_here;
use super::{CmdResult, Failure, load, runtime};
use crate::app::{self, App, BackupError, Queue};
use crate::editorial::rules::Action;
use crate::editorial::{EditChanges, EditorialError};
use crate::model::ReviewState;

/// `serve`: the scheduler, the HTTP server and the publish schedule on one
/// runtime until SIGTERM or Ctrl-C (see `daemon`).
pub(super) fn serve(app: App) -> CmdResult {
    crate::daemon::serve(app).context("serve")?;
    Ok(())
}

/// `gleaner worker`: polls leased sources until stopped.
pub(super) fn worker(
    app: App,
    lease_for: std::time::Duration,
    batch: usize,
    metrics: Option<std::net::SocketAddr>,
) -> CmdResult {
    let options = crate::daemon::worker::WorkerOptions { lease_for, batch, metrics, ..Default::default() };
    crate::daemon::worker::work(app, options).context("worker")?;
    Ok(())
}

/// The demo editor's login, printed by `demo`; only ever created by `demo`.
pub(super) const DEMO_USER: &str = "editor";
pub(super) const DEMO_PASSWORD: &str = "gleaner-demo";
/// How many items with quotes the demo approves for its first issue.
pub(super) const DEMO_ISSUE_ITEMS: usize = 4;
/// Sample commentary for the items the demo leaves approved in the composer
/// (the next issue's draft), so a first look at the composer shows work in
/// progress rather than an empty page.
const DEMO_COMMENTARY: [&str; 3] = [
    "The vote count hides how close this came. The quotes below show where the fault lines run.",
    "A story to watch: these numbers will be argued over for months.\n\nSample commentary from the demo; \
     edit it here or on the item page.",
    "Worth reading in full: the second quote says more than the headline.",
];

/// The offline demo: poll the bundled sources, create the demo editor,
/// approve a few items with quotes, publish issue 1, leave a few more
/// approved with sample commentary in the composer, then serve.
///
/// The demo login is public and it approves and publishes on its own, so it
/// runs only where that harms nothing: every source a bundled file, and a
/// store with no users or issues but its own.
pub(super) fn demo(path: &Path) -> CmdResult {
    // The demo's own store, never a running service's: it serves afterwards.
    let app = super::build(path, Queue::Loaded)?;
    if let Err(why) = demo_refusal(&app) {
        eprintln!(
            "error: `gleaner demo` runs only on the bundled demo config: {why}.\n\
             Run it as `gleaner --config config/demo.toml demo`."
        );
        return Err(Failure::Usage);
    }
    outln!("== 1. Polling the bundled demo sources (files only; nothing leaves this machine)");
    match fetch_here(&app, false) {
        Ok(()) | Err(Failure::Partial) => {}
        Err(other) => return Err(other),
    }
    let editorial = &app.editorial;
    let now = Utc::now();
    match editorial.add_user(DEMO_USER, DEMO_PASSWORD, now) {
        Ok(()) | Err(EditorialError::UserExists { .. }) => {}
        Err(error) => return Err(anyhow!(error).context("creating the demo editor").into()),
    }
    if app.issue_count().context("reading issues")? == 0 {
        outln!("\n== 2. Approving {DEMO_ISSUE_ITEMS} items with quotes, as the demo editor would, for a first issue");
        let candidates = editorial.items(Some(ReviewState::New), None, None).context("listing items")?;
        for item in candidates.iter().filter(|i| i.quote_count > 0).take(DEMO_ISSUE_ITEMS) {
            // Choose up to two attributed quotes, as an editor would, so the digest shows them.
            let quotes = editorial.item_page(&item.id).map_err(editorial_failure)?.quotes;
            let chosen: Vec<String> =
                quotes.iter().filter(|q| q.speaker.is_some()).take(2).map(|q| q.id.clone()).collect();
            let changes = EditChanges { quote_ids: Some(chosen), ..EditChanges::default() };
            let edited = editorial.edit(&item.id, item.revision, &changes, "demo", now).map_err(editorial_failure)?;
            editorial.act(&item.id, edited.revision, Action::Approve, "demo", now).map_err(editorial_failure)?;
            outln!("  approved {}  {}", item.id, truncate(&item.title, 70));
        }
    }
    if app.issue_count().context("reading issues")? == 0 {
        outln!("\n== 3. Publishing");
        print_published(publish_here(&app, false)?, &app.config.settings.publish.output_dir)?;
    }
    let approved = editorial.items(Some(ReviewState::Approved), None, None).context("listing items")?;
    if approved.is_empty() {
        outln!(
            "\n== 4. Approving {} more with sample commentary: the next issue's draft, in the composer",
            DEMO_COMMENTARY.len()
        );
        let mut candidates = editorial.items(Some(ReviewState::New), None, None).context("listing items")?;
        // Items with quotes first, as an editor would pick them.
        candidates.sort_by_key(|item| item.quote_count == 0);
        for (item, commentary) in candidates.iter().zip(DEMO_COMMENTARY) {
            let quotes = editorial.item_page(&item.id).map_err(editorial_failure)?.quotes;
            let chosen: Vec<String> =
                quotes.iter().filter(|q| q.speaker.is_some()).take(2).map(|q| q.id.clone()).collect();
            let changes = EditChanges {
                commentary: Some(Some(commentary.to_owned())),
                quote_ids: Some(chosen),
                ..EditChanges::default()
            };
            let edited = editorial.edit(&item.id, item.revision, &changes, "demo", now).map_err(editorial_failure)?;
            editorial.act(&item.id, edited.revision, Action::Approve, "demo", now).map_err(editorial_failure)?;
            outln!("  approved {}  {}", item.id, truncate(&item.title, 70));
        }
    }
    let bind = app.config.settings.server.bind;
    outln!("\n== 5. Serving until Ctrl-C");
    outln!("  review UI: http://{bind}/   (log in as {DEMO_USER} / {DEMO_PASSWORD})");
    outln!("  digest:    http://{bind}/feeds/digest.xml   archive: http://{bind}/feeds/");
    serve(app)
}

/// Why the demo must not run on this config and store, if it must not.
fn demo_refusal(app: &App) -> Result<(), String> {
    let sources = &app.config.sources;
    if sources.is_empty() {
        return Err("the config lists no sources".to_owned());
    }
    if let Some(remote) = sources.iter().find(|s| s.url.scheme() != "file") {
        return Err(format!("source `{}` is not a bundled file ({})", remote.id, remote.url));
    }
    let users = app.editorial.user_names().map_err(|e| format!("cannot read the users: {e}"))?;
    if let Some(other) = users.iter().find(|name| name.as_str() != DEMO_USER) {
        return Err(format!("the store has a user the demo did not make (`{other}`)"));
    }
    let issues = app.issue_count().map_err(|e| format!("cannot read the issues: {e}"))?;
    if issues > 0 && users.is_empty() {
        return Err(format!("the store holds {issues} issue(s) the demo did not publish"));
    }
    Ok(())
}

pub(super) fn export_backup(app: &App) -> CmdResult {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let report = match app.export_backup(&mut out) {
        Err(BackupError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return Err(Failure::Closed),
        other => other.context("export failed")?,
    };
    eprintln!("exported {report}");
    Ok(())
}

pub(super) fn import_backup(path: &Path, file: &Path) -> CmdResult {
    let open = || {
        std::fs::File::open(file)
            .map(std::io::BufReader::new)
            .with_context(|| format!("cannot read {}", file.display()))
    };
    let shown = file.display();
    // A first pass reads everything, so a bad line is found before anything is written.
    app::check_backup(&mut open()?).map_err(|e| backup_failure(&shown.to_string(), e))?;
    let app = super::backend::offline(path, "import")?;
    let report = app.import_backup(&mut open()?).map_err(|e| backup_failure(&shown.to_string(), e))?;
    outln!("imported {report}");
    Ok(())
}

/// A backup the user must fix or a store they must empty is exit 2; I/O is exit 1.
pub(super) fn backup_failure(file: &str, error: BackupError) -> Failure {
    match error {
        BackupError::Store(_) | BackupError::Io(_) => {
            Failure::Other(anyhow!(error).context(format!("importing {file}")))
        }
        BackupError::NotEmpty => {
            eprintln!("error: {error}");
            Failure::Usage
        }
        other => {
            eprintln!("{file}: {other}");
            Failure::Usage
        }
    }
}

/// The URL `healthcheck` probes by default: `[server] bind`, with a wildcard
/// address replaced by loopback (a server bound to all addresses answers there).
pub(super) fn health_url(bind: std::net::SocketAddr) -> String {
    let ip = match bind.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", std::net::SocketAddr::new(ip, bind.port()))
}

pub(super) fn healthcheck(config_path: &Path, url: Option<&str>, timeout: u64) -> CmdResult {
    let url = match url {
        Some(url) => url.to_owned(),
        None => health_url(load(config_path)?.settings.server.bind),
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(timeout.max(1)))
        .build()
        .context("cannot build the HTTP client")?;
    let answer = runtime()?.block_on(async {
        let response = client.get(&url).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await.unwrap_or_default()))
    });
    let (status, body) = answer.with_context(|| format!("{url}: no answer"))?;
    out!("{body}");
    if status.is_success() { Ok(()) } else { Err(anyhow!("{url}: {status}").into()) }
}
