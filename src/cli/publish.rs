//! `gleaner publish [--dry-run]`: the next issue from the approved items;
//! `gleaner publish --correct N [--note TEXT]`: a correction of issue N.

use super::CmdResult;
use super::backend::Backend;
use super::output::print_issue_report;
use crate::web::api::wire::IssueReport;

pub(super) fn publish(backend: &Backend, dry_run: bool, accept_unverified: bool) -> CmdResult {
    if !dry_run {
        let actor = super::items::cli_actor(None)?;
        backend.verify_before_publish(accept_unverified, &actor)?;
    }
    print_published(backend.publish(dry_run, accept_unverified)?, &backend.config().settings.publish.output_dir)
}

/// What `publish` prints: the issue, or that nothing was approved, and the ping's failure.
pub(super) fn print_published(
    (report, warning): (Option<IssueReport>, Option<String>),
    output_dir: &std::path::Path,
) -> CmdResult {
    let Some(report) = report else {
        outln!("nothing approved: no issue published");
        return Ok(());
    };
    print_issue_report(&report.into(), output_dir)?;
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

pub(super) fn correct(backend: &Backend, number: u32, note: Option<&str>, as_name: Option<&str>) -> CmdResult {
    let actor = super::items::cli_actor(as_name)?;
    let report = backend.correct(number, note.unwrap_or_default(), &actor)?;
    outln!("corrected issue {} “{}” (correction {})", report.number, report.title, report.corrections);
    for file in &report.files {
        outln!("  {}", backend.config().settings.publish.output_dir.join(file).display());
    }
    if let Some(warning) = report.warning {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
