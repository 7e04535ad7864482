//! `gleaner search QUERY` (full text, through the running service when
//! there is one) and `gleaner reindex` (rebuild the index from the store).

use anyhow::Context;

use super::backend::Backend;
use super::output::{json_line, short_time, truncate};
use super::{CmdResult, Failure};
use crate::app::App;
use crate::editorial::EditorialError;
use crate::search::{SearchResults, Snippet};

/// Hits printed unless `--limit` says otherwise.
pub(super) const DEFAULT_LIMIT: usize = 20;

impl Backend {
    /// Full-text search, here or in the running service.
    pub(super) fn search(&self, query: &str, limit: usize) -> Result<SearchResults, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.search(query, limit),
            Self::Remote { remote, .. } => {
                remote.get(&format!("/api/v1/search?q={}&limit={limit}", super::remote::encode(query)))
            }
        }
    }
}

/// `gleaner search`: one line per hit and its snippet, or JSON lines.
pub(super) fn search(backend: &Backend, query: &str, limit: usize, json: bool) -> CmdResult {
    if query.trim().is_empty() {
        eprintln!("error: the query is empty; say what to search for (see `gleaner search --help`)");
        return Err(Failure::Usage);
    }
    let results = backend.search(query, limit).context("searching")?;
    for warning in &results.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        for result in &results.results {
            json_line(result)?;
        }
        return Ok(());
    }
    for result in &results.results {
        outln!(
            "{}  {}  {:<11}  {}  {}",
            result.id,
            short_time(result.published),
            result.state,
            result.outlet.as_deref().unwrap_or(&result.source),
            truncate(&result.title, 70)
        );
        let snippet = marked(&result.snippet);
        if !snippet.trim().is_empty() {
            outln!("    {}", snippet.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    outln!("{} of {} matching items", results.results.len(), results.total);
    Ok(())
}

/// The snippet with each match in [brackets] (plain text: a terminal, a pipe or a file).
fn marked(snippet: &Snippet) -> String {
    let mut out = String::with_capacity(snippet.text.len() + 8);
    let mut at = 0;
    for &(start, end) in &snippet.highlights {
        let (Some(before), Some(word)) = (snippet.text.get(at..start), snippet.text.get(start..end)) else { continue };
        out.push_str(before);
        out.push('[');
        out.push_str(word);
        out.push(']');
        at = end;
    }
    out.push_str(snippet.text.get(at..).unwrap_or_default());
    out
}

/// `gleaner reindex`: the index rebuilt from every stored item.
pub(super) fn reindex(app: &App) -> CmdResult {
    let report = app.reindex().context("rebuilding the search index")?;
    outln!("indexed {} items", report.indexed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_bracketed_and_bad_ranges_skipped() {
        let snippet = Snippet { text: "we need more time".to_owned(), highlights: vec![(8, 12), (40, 50)] };
        assert_eq!(marked(&snippet), "we need [more] time");
    }
}
