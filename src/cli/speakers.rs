//! `gleaner speakers`: the most quoted people (issue 16.2), here or through
//! the running service.

use anyhow::Context;
use chrono::{Duration, Utc};

use super::CmdResult;
use super::backend::Backend;
use super::output::{json_line, short_time, table, truncate};
use crate::editorial::EditorialError;
use crate::speakers::SpeakerSummary;

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
    let mut table = table(["speaker", "quotes", "articles", "outlets", "last quoted"]);
    for s in &speakers {
        let outlets: Vec<String> = s.outlets.iter().map(|(o, n)| format!("{o} ({n})")).collect();
        table.add_row([
            s.name.clone(),
            s.quotes.to_string(),
            s.items.to_string(),
            truncate(&outlets.join(", "), 60),
            short_time(s.latest),
        ]);
    }
    outln!("{table}");
    Ok(())
}
