//! `gleaner speakers`: the most quoted people (issue 16.2), editors'
//! merges and splits of them, and `gleaner quotes`: quote records with
//! every article that ran them (16.3). Here or through the running service.

use anyhow::Context;
use chrono::{Duration, Utc};
use reqwest::Method;

use super::CmdResult;
use super::backend::Backend;
use super::items::{cli_actor, editorial_failure};
use super::output::{json_line, short_time, table, truncate};
use super::remote::encode;
use crate::editorial::EditorialError;
use crate::speakers::{QuoteRecord, SpeakerSummary};
use crate::web::api::wire::{MergeBody, SpeakerEdited, SplitBody};

/// `gleaner speakers merge|split`.
#[derive(Debug, clap::Subcommand)]
pub enum SpeakersCommand {
    /// Merge speaker FROM into speaker INTO (ids or names): one person from now on.
    Merge {
        from: String,
        into: String,
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// Split the name ALIAS (as written) off speaker ID into a speaker of its own.
    Split {
        id: String,
        alias: String,
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
}

impl Backend {
    /// Speakers of items published in the last `days` (all when `None`), most quoted first.
    pub(super) fn speakers(&self, days: Option<u32>, limit: usize) -> Result<Vec<SpeakerSummary>, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.speakers(days.map(|d| Utc::now() - Duration::days(i64::from(d))), limit),
            Self::Remote { remote, .. } => {
                let days = days.map(|d| format!("&days={d}")).unwrap_or_default();
                remote.get(&format!("/api/v1/speakers?limit={limit}{days}"))
            }
        }
    }

    fn edit_speaker(&self, what: &SpeakersCommand, actor: &str) -> Result<String, EditorialError> {
        match (self, what) {
            (Self::Local(app), SpeakersCommand::Merge { from, into, .. }) => {
                app.editorial.merge_speakers(from, into, actor, Utc::now())
            }
            (Self::Local(app), SpeakersCommand::Split { id, alias, .. }) => {
                app.editorial.split_speaker(id, alias, actor, Utc::now())
            }
            (Self::Remote { remote, .. }, SpeakersCommand::Merge { from, into, .. }) => {
                let body = MergeBody { into: into.clone(), actor: Some(actor.to_owned()) };
                let path = format!("/api/v1/speakers/{}/merge", encode(from));
                remote.call::<SpeakerEdited>(Method::POST, &path, Some(&body)).map(|e| e.id)
            }
            (Self::Remote { remote, .. }, SpeakersCommand::Split { id, alias, .. }) => {
                let body = SplitBody { alias: alias.clone(), actor: Some(actor.to_owned()) };
                let path = format!("/api/v1/speakers/{}/split", encode(id));
                remote.call::<SpeakerEdited>(Method::POST, &path, Some(&body)).map(|e| e.id)
            }
        }
    }

    fn quote_records(&self, speaker: Option<&str>, limit: usize) -> Result<Vec<QuoteRecord>, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.quote_records(speaker, limit),
            Self::Remote { remote, .. } => {
                let speaker = speaker.map(|s| format!("&speaker={}", encode(s))).unwrap_or_default();
                remote.get(&format!("/api/v1/quotes?limit={limit}{speaker}"))
            }
        }
    }
}

/// One line per speaker (JSON lines with `--json`).
pub(super) fn speakers(backend: &Backend, days: Option<u32>, limit: usize, json: bool) -> CmdResult {
    let speakers = backend.speakers(days, limit).context("counting speakers")?;
    if json {
        for speaker in &speakers {
            json_line(speaker)?;
        }
        return Ok(());
    }
    let mut table = table(["speaker", "id", "quotes", "articles", "outlets", "last quoted"]);
    for s in &speakers {
        let outlets: Vec<String> = s.outlets.iter().map(|(o, n)| format!("{o} ({n})")).collect();
        table.add_row([
            s.name.clone(),
            s.id.clone(),
            s.quotes.to_string(),
            s.items.to_string(),
            truncate(&outlets.join(", "), 60),
            short_time(s.latest),
        ]);
    }
    outln!("{table}");
    Ok(())
}

/// `gleaner speakers merge|split`: prints the id that now holds the name.
pub(super) fn edit(backend: &Backend, what: &SpeakersCommand) -> CmdResult {
    let (SpeakersCommand::Merge { actor, .. } | SpeakersCommand::Split { actor, .. }) = what;
    let actor = cli_actor(actor.as_deref())?;
    let id = backend.edit_speaker(what, &actor).map_err(editorial_failure)?;
    outln!("{id}");
    Ok(())
}

/// `gleaner quotes`: one block per record (JSON lines with `--json`).
pub(super) fn quotes(backend: &Backend, speaker: Option<&str>, limit: usize, json: bool) -> CmdResult {
    let records = backend.quote_records(speaker, limit).map_err(editorial_failure)?;
    if json {
        for record in &records {
            json_line(record)?;
        }
        return Ok(());
    }
    let mut table = table(["speaker", "quote", "times", "first", "repeated by"]);
    for r in &records {
        let first = r.first().map_or_else(String::new, |o| {
            format!("{} {}", o.outlet.as_deref().unwrap_or("?"), short_time(o.published))
        });
        table.add_row([
            r.speaker.clone(),
            truncate(&r.text, 60),
            r.occurrences.len().to_string(),
            first,
            truncate(&r.repeated_by().join(", "), 40),
        ]);
    }
    outln!("{table}");
    Ok(())
}
