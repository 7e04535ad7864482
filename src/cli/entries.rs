//! `gleaner add URL`, `note add` and `stories`:
//! entries beyond one fed article (issue 14), through the same editorial
//! and ingest use-cases as the review UI.

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;

use super::items::{cli_actor, editorial_failure};
use super::output::json_document;
use super::{CmdResult, Failure, runtime};
use crate::app::App;
use crate::editorial::EditChanges;
use crate::ingest::AddError;

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

pub(super) fn note(app: &App, what: NoteCommand) -> CmdResult {
    let NoteCommand::Add { section, commentary, headline, actor } = what;
    let actor = cli_actor(actor.as_deref())?;
    let item = app
        .editorial
        .add_note(&section, headline.as_deref(), &commentary, &actor, Utc::now())
        .map_err(editorial_failure)?;
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

pub(super) fn add(app: &App, url: &str, section: Option<&str>, actor: Option<&str>, json: bool) -> CmdResult {
    let actor = cli_actor(actor)?;
    let added = match runtime()?.block_on(app.ingest.add_url(url, Utc::now())) {
        Ok(added) => added,
        Err(error @ AddError::BadUrl { .. }) => {
            eprintln!("error: {error}");
            return Err(Failure::Usage);
        }
        Err(error) => return Err(anyhow::Error::new(error).context("cannot add the article").into()),
    };
    let mut item = added.item;
    app.editorial.assign_stories(std::slice::from_ref(&item.id)).context("assigning its story")?;
    if let Some(section) = section {
        let changes = EditChanges { section: Some(Some(section.to_owned())), ..EditChanges::default() };
        item = app.editorial.edit(&item.id, item.revision, &changes, &actor, Utc::now()).map_err(editorial_failure)?;
    }
    if json {
        return json_document(&AddOutput {
            id: &item.id,
            url: item.url.as_deref(),
            title: &item.title,
            state: item.state,
            new: added.new,
        });
    }
    let known = if added.new { "" } else { " (already stored)" };
    outln!("{}{known}\n  {}\n  {}", item.id, item.title, item.url.as_deref().unwrap_or("-"));
    Ok(())
}

pub(super) fn stories(app: &App, all: bool) -> CmdResult {
    let changed = if all { app.editorial.reassign_all_stories() } else { app.editorial.assign_missing_stories() };
    let changed = changed.map_err(editorial_failure)?;
    outln!("{} items changed story", changed.len());
    Ok(())
}
