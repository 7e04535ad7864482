//! `gleaner eval feeds|articles|wcxb|quotes DIR`: the evaluators over public
//! corpora (given by path) and our own gold set.

use super::output::print_report;
use super::{CmdResult, EvalCommand};

pub(super) fn eval(what: EvalCommand) -> CmdResult {
    match what {
        EvalCommand::Feeds { dir, json } => print_report(&crate::eval::feeds::feed_corpus(&dir), json),
        EvalCommand::Articles { dir, json } => print_report(&crate::eval::articles::article_benchmark(&dir), json),
        EvalCommand::Wcxb { dir, split, predictions, json } => {
            print_report(&crate::eval::wcxb::wcxb_benchmark(&dir, split, predictions.as_deref()), json)
        }
        EvalCommand::Quotes { dir, json } => print_report(&crate::eval::quotes::quote_gold(&dir), json),
        EvalCommand::Stories { file, json } => print_report(&crate::eval::stories::story_pairs(&file), json),
    }
}
