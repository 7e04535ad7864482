//! `gleaner publish [--dry-run]`: the next issue from the approved items.

use super::CmdResult;
use super::backend::Backend;
use super::output::print_issue_report;

pub(super) fn publish(backend: &Backend, dry_run: bool) -> CmdResult {
    let (report, warning) = backend.publish(dry_run)?;
    let Some(report) = report else {
        outln!("nothing approved: no issue published");
        return Ok(());
    };
    print_issue_report(&report.into(), &backend.config().settings.publish.output_dir)?;
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
