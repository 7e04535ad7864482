//! `gleaner eval feeds|articles|wcxb|quotes DIR`: the evaluators over public
//! corpora (given by path) and our own gold set.

use super::output::print_report;
use super::{CmdResult, EvalCommand};

pub(super) fn eval(what: EvalCommand) -> CmdResult {
    match what {
        EvalCommand::Feeds { dir, json } => print_report(&crate::eval::feeds::feed_corpus(&dir), json),
        EvalCommand::Articles { dir, json } => {
            let report = crate::eval::articles::article_benchmark(&dir);
            failed_run(report.error.as_deref(), "article benchmark", &report.dir)?;
            print_report(&report, json)
        }
        EvalCommand::Wcxb { dir, split, predictions, json } => {
            let report = crate::eval::wcxb::wcxb_benchmark(&dir, split, predictions.as_deref());
            // A failed predictions write comes after the scores: show them, then fail.
            if report.overall.pages > 0 {
                print_report(&report, json)?;
            }
            failed_run(report.error.as_deref(), "wcxb", &report.dir)
        }
        EvalCommand::Quotes { dir, json } => print_report(&crate::eval::quotes::quote_gold(&dir), json),
        EvalCommand::Stories { file, json } => print_report(&crate::eval::stories::story_pairs(&file), json),
    }
}

/// An evaluation that could not run (a missing folder, unreadable ground
/// truth) is an error with a non-zero exit, not a report of zero pages that
/// a script would take for a score.
fn failed_run(error: Option<&str>, what: &str, dir: &str) -> CmdResult {
    match error {
        Some(error) => Err(anyhow::anyhow!("{what} {dir}: {error}").into()),
        None => Ok(()),
    }
}
