//! `gleaner publish [--dry-run]`: the next issue from the approved items.

use anyhow::Context;
use chrono::Utc;

use super::output::print_issue_report;
use super::{CmdResult, runtime};
use crate::app::App;
use crate::publish::PublishOutcome;

pub(super) fn publish(app: &App, dry_run: bool) -> CmdResult {
    let outcome = app.publish_next(Utc::now(), dry_run).context("publishing")?;
    let PublishOutcome::Issue(report) = outcome else {
        outln!("nothing approved: no issue published");
        return Ok(());
    };
    print_issue_report(&report, &app.config.settings.publish.output_dir)?;
    if !dry_run
        && let Err(e) =
            runtime()?.block_on(crate::daemon::announce(&app.publisher, &app.config.settings.fetch.user_agent))
    {
        eprintln!("warning: {e}");
    }
    Ok(())
}
