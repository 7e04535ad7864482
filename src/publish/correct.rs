//! Correcting a published issue: it is composed again from its items as
//! they are now (same number, title, period, date and order), a note
//! "Corrected on DATE: TEXT" is added, and the issue page and every feed
//! are rewritten. The feed entry keeps its id and gets an `updated` date
//! (Atom `updated`, JSON Feed `date_modified`); no other issue's entry
//! changes, because other issues are listed from their stored bodies.
//!
//! Order of writes: the corrected record is stored (and flushed) before any
//! file, as a publish does, so the files never show a correction the store
//! does not know about (the next publish renders the feeds from the store).
//! A run interrupted between the two is completed by correcting again; that
//! adds a second note, which says no more than the truth.

use chrono::{DateTime, Utc};

use super::compose::{self, Candidate, Composition, SectionView};
use super::write::Output;
use super::{PublishError, Publisher, cited_items, cited_views, source_facts};
use crate::model::{Correction, Issue, IssueState, Item, Quote};
use crate::sanitize::Sanitizer;
use crate::store::Store;

/// Longest correction note, in characters: a sentence or two is what
/// readers read at the end of an issue.
pub const MAX_NOTE_CHARS: usize = 1_000;

/// What a correction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionReport {
    pub number: u32,
    pub title: String,
    /// How many corrections the issue carries now (this one included).
    pub corrections: usize,
    /// Files rewritten, relative to the output folder, in order.
    pub files: Vec<String>,
}

impl Publisher {
    /// Re-renders published issue `number` from its items as stored now,
    /// with a correction note, and rewrites its page and the feeds.
    pub fn correct(
        &self,
        store: &dyn Store,
        output: &dyn Output,
        number: u32,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<CorrectionReport, PublishError> {
        let chars = note.trim().chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(PublishError::NoteTooLong { chars, max: MAX_NOTE_CHARS });
        }
        let _running = self.run_lock();
        let mut issue = store.issue(number)?.ok_or(PublishError::NoSuchIssue { number })?;
        if issue.state != IssueState::Published {
            return Err(PublishError::NotPublished { number });
        }
        let sections = self.recompose(store, &issue)?;
        let composition = Composition {
            number,
            title: issue.title.clone(),
            period: issue.period,
            sections,
            created_at: issue.created_at,
        };
        // A correction dated before the issue (a wrong clock) would make the
        // feeds' `updated` precede `published`.
        let at = now.max(issue.created_at);
        issue.corrections.push(Correction { at, note: note.trim().to_owned(), by: by.to_owned() });
        issue.html = self.renderer.corrected_body(&composition, &issue.corrections, &self.settings)?;
        issue.summary = composition.summary();

        store.put_issue(&issue)?;
        store.flush()?;
        let issues = store.issues()?;
        let files = self.render_files(store, &issue, &issues)?;
        let batch: Vec<(&str, &[u8])> = files.iter().map(|(name, text)| (name.as_str(), text.as_bytes())).collect();
        output.write_files(&batch)?;
        for hook in &self.hooks {
            hook.issue_corrected(store, &issue)?;
        }
        tracing::info!(issue = number, by, corrections = issue.corrections.len(), "issue corrected");
        Ok(CorrectionReport {
            number,
            title: issue.title.clone(),
            corrections: issue.corrections.len(),
            files: files.into_iter().map(|(name, _)| name).collect(),
        })
    }

    /// `issue`'s sections composed again from its items as stored now, in
    /// the issue's own sections and order, not today's layout rules (a
    /// correction fixes words, it does not move entries around). An item
    /// deleted since (a purge) is left out rather than failing.
    pub(super) fn recompose(&self, store: &dyn Store, issue: &Issue) -> Result<Vec<SectionView>, PublishError> {
        let mut items: Vec<Item> = Vec::with_capacity(issue.item_count());
        for id in issue.item_ids() {
            if let Some(item) = store.item(id)? {
                items.push(item);
            }
        }
        let mut quotes: Vec<Vec<Quote>> = Vec::with_capacity(items.len());
        for item in &items {
            quotes.push(super::chosen_quotes(store, item)?);
        }
        let sources = source_facts(&self.sources.borrow());
        let cited_items = cited_items(store, &items)?;
        let cited = cited_views(&cited_items, &sources);
        let sanitizer = Sanitizer::new(self.settings.base_url.as_ref());
        Ok(issue
            .sections
            .iter()
            .map(|section| SectionView {
                name: section.name.clone(),
                entries: section
                    .items
                    .iter()
                    .filter_map(|id| items.iter().position(|i| &i.id == id))
                    .map(|at| {
                        let source = sources.get(items[at].source());
                        let candidate = Candidate {
                            item: &items[at],
                            quotes: &quotes[at],
                            source_section: source.and_then(|(_, section)| section.as_deref()),
                            source_name: source.map(|(name, _)| name.as_str()),
                            cited: &cited[at],
                        };
                        compose::entry(&candidate, &sanitizer)
                    })
                    .collect(),
            })
            .collect())
    }
}
