//! `gleaner preview [--source ID] [--json]` (issue 16.5): what the
//! `[[rule]]` tables would do to the stored items now, as a dry run. Writes
//! nothing; needs the store to itself (one read of every item).
//!
//! Text: one block per item a rule matches, one line per step, with the
//! reason when a step would be skipped. `--json`: one object per item
//! (`id`, `source`, `title`, `state`, `steps: [{rule, action, detail,
//! skipped?}]`), one per line.

use super::output::{json_line, truncate};
use super::{CmdResult, Failure};
use crate::app::App;

pub(super) fn preview(app: &App, source: Option<&str>, json: bool) -> CmdResult {
    if let Some(id) = source
        && !app.config.sources.iter().any(|s| s.id == id)
    {
        eprintln!("error: no source {id:?} in the config");
        return Err(Failure::Usage);
    }
    if app.config.settings.rules.is_empty() {
        eprintln!("no [[rule]] in {}: nothing to preview", app.config_path.display());
        return Ok(());
    }
    let previews = app.ingest.preview_rules(source).map_err(anyhow::Error::new)?;
    if json {
        for preview in &previews {
            json_line(preview)?;
        }
        return Ok(());
    }
    if previews.is_empty() {
        outln!("no stored item matches a rule");
    }
    for preview in &previews {
        outln!("{}  {}  [{}]  {}", preview.id, preview.source, preview.state, truncate(&preview.title, 70));
        for step in &preview.steps {
            let skipped = step.skipped.as_deref().map(|why| format!("  (skipped: {why})")).unwrap_or_default();
            outln!("  rule:{}  {} {}{skipped}", step.rule, step.action, step.detail);
        }
    }
    Ok(())
}
