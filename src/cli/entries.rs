//! `gleaner add URL`, `note add` and `stories`:
//! entries beyond one fed article (issue 14), through the same editorial
//! and ingest use-cases as the review UI (through a running `serve` when it
//! holds the store).

use clap::Subcommand;

use super::backend::{AddFailure, Backend};
use super::items::{cli_actor, editorial_failure};
use super::output::json_document;
use super::{CmdResult, Failure};
use crate::web::api::wire::AddResult;

#[derive(Debug, Subcommand)]
pub(super) enum NoteCommand {
    /// A commentary-only entry, approved for the next issue; prints its id.
    Add {
        #[arg(long)]
        section: String,
        #[arg(long)]
        commentary: String,
        /// A headline (default: none; the entry is its commentary).
        #[arg(long)]
        headline: Option<String>,
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
}

pub(super) fn note(backend: &Backend, what: NoteCommand) -> CmdResult {
    let NoteCommand::Add { section, commentary, headline, actor } = what;
    let actor = cli_actor(actor.as_deref())?;
    let item = backend.add_note(&section, headline.as_deref(), &commentary, &actor).map_err(editorial_failure)?;
    outln!("{}", item.id);
    Ok(())
}

/// What `add --json` prints.
#[derive(serde::Serialize)]
struct AddOutput<'a> {
    id: &'a crate::model::ItemId,
    url: Option<&'a str>,
    title: &'a str,
    state: crate::model::ReviewState,
    /// False when the URL was stored already.
    new: bool,
}

pub(super) fn add(backend: &Backend, url: &str, section: Option<&str>, actor: Option<&str>, json: bool) -> CmdResult {
    let actor = cli_actor(actor)?;
    let AddResult { item, new } = match backend.add(url, section, &actor) {
        Ok(added) => added,
        Err(AddFailure::BadUrl(message)) => {
            eprintln!("error: {message}");
            return Err(Failure::Usage);
        }
        Err(AddFailure::Failed(error)) => return Err(error.into()),
        Err(AddFailure::Editorial(error)) => return Err(editorial_failure(error)),
    };
    if json {
        return json_document(&AddOutput {
            id: &item.id,
            url: item.url.as_deref(),
            title: &item.title,
            state: item.state,
            new,
        });
    }
    let known = if new { "" } else { " (already stored)" };
    outln!("{}{known}\n  {}\n  {}", item.id, item.title, item.url.as_deref().unwrap_or("-"));
    Ok(())
}

pub(super) fn stories(backend: &Backend, all: bool) -> CmdResult {
    let changed = backend.stories(all).map_err(editorial_failure)?;
    outln!("{} items changed story", changed.len());
    Ok(())
}
