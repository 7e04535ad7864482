//! Publishing the next digest issue: compose, store the draft, write every
//! file atomically, then mark the issue and its items published in one store
//! transaction. Entry point: [`Publisher::publish_next`].
//!
//! Crash safety comes from the order of the writes:
//! 1. the draft issue (number, title, period, sections, rendered body) is
//!    stored and flushed before any file is touched;
//! 2. `issues/{n}.html`, `digest.xml`, `digest.atom`, `digest.json`, each
//!    opted-in speaker's `speakers/{id}.*` and finally `index.html` are each
//!    replaced atomically (`write`);
//! 3. one transaction marks the items and the issue published.
//!
//! A run interrupted anywhere leaves either no draft (nothing happened) or a
//! draft whose files are partly written: the next run finds that draft and
//! completes it with the very same bytes (every date comes from the draft,
//! not the clock) instead of composing issue n+1. Items in a published issue
//! are `published`, so publishing twice never repeats one.
//!
//! Submodules: `compose`, `render`, `feed` and `speaker_feed` (pure), `write` and `websub`
//! (adapters). This module orchestrates and must not render or do file I/O
//! itself.

pub mod compose;
mod correct;
pub mod feed;
pub mod layout;
pub mod render;
pub mod script;
pub mod speaker_feed;
pub mod websub;
pub mod write;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use self::compose::{Candidate, Cited};
pub use self::correct::{CorrectionReport, MAX_NOTE_CHARS};
use self::render::{Renderer, TemplateError, Templates};
use self::write::{Output, WriteError};
use crate::config::PublishSettings;
use crate::model::{Issue, IssueState, Item, ItemId, Quote, ReviewState, Source};
use crate::store::{ItemQuery, Store, StoreError};

/// Why a publish did not complete. Whatever was done before the failure is
/// safe: a rerun completes the stored draft.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file in the output folder could not be written.
    #[error("cannot write {0}")]
    Write(#[from] WriteError),
    /// A template failed while rendering (`check` renders a sample issue, so
    /// this means the real data hit a case the sample did not).
    #[error("template {0}")]
    Template(#[from] TemplateError),
    /// Items kept changing under the final transaction (editors at work); rerun.
    #[error("issue {number}: items kept changing while it was being published; run publish again")]
    Busy { number: u32 },
    /// The last issue has the highest number there is: numbers are never
    /// reused (a reused number replaced an issue in the archive), so nothing
    /// more can be published.
    #[error("issue numbers are used up: issue {last} has the highest possible number")]
    NumbersExhausted { last: u32 },
    /// A correction names an issue the store does not hold.
    #[error("there is no issue {number}")]
    NoSuchIssue { number: u32 },
    /// A correction names an issue that never went out (an interrupted
    /// draft: `publish` completes it first).
    #[error("issue {number} is not published yet; run publish to complete it first")]
    NotPublished { number: u32 },
    /// A correction note longer than [`MAX_NOTE_CHARS`].
    #[error("the correction note is too long: {chars} characters, at most {max}")]
    NoteTooLong { chars: usize, max: usize },
    /// The editor confirmed publishing issue `expected`, but the next issue
    /// is `found` now (someone else published meanwhile).
    #[error("the next issue is {found}, not {expected}: someone published meanwhile; look again before publishing")]
    NotNext { expected: u32, found: u32 },
}

/// What one publish run did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    /// No approved items and no unfinished draft: nothing was written.
    NothingApproved,
    /// An issue was published (or would be, on a dry run).
    Issue(IssueReport),
}

/// The issue a run published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueReport {
    pub number: u32,
    pub title: String,
    /// Section names (empty for the unnamed main section) with their item counts.
    pub sections: Vec<(String, usize)>,
    pub items: usize,
    /// True when this run completed a draft an earlier run left unfinished.
    pub resumed: bool,
    /// Files written (or that would be), relative to the output folder, in order.
    pub files: Vec<String>,
    pub dry_run: bool,
}

/// Told about issues as they are published, to queue what goes out because
/// of them (the digest by email, webhooks). Called after the issue's files
/// are written and before it is marked published, on every run that
/// completes it (a resumed draft too), so an implementation must be
/// idempotent per issue number: what it queues waits until the store shows
/// the issue published. A crash on either side of the final transaction
/// then neither loses nor repeats anything.
pub trait PublishHook: Send + Sync {
    fn issue_published(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError>;

    /// A published issue was corrected and its files rewritten
    /// ([`Publisher::correct`]).
    fn issue_corrected(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        let _ = (store, issue);
        Ok(())
    }

    /// The issue's items were marked published (after the files and the
    /// hooks above). A failure is logged, not a failed publish: the issue is out.
    fn issue_finished(&self, store: &dyn Store, issue: &Issue) -> Result<(), StoreError> {
        let _ = (store, issue);
        Ok(())
    }
}

/// Templates loaded and checked, settings and source facts: everything a
/// publish needs besides the store and the output.
pub struct Publisher {
    /// Told about each issue before it is marked published ([`PublishHook`]).
    hooks: Vec<std::sync::Arc<dyn PublishHook>>,
    settings: PublishSettings,
    renderer: Renderer,
    /// The source list in force (names and sections), read at each publish
    /// so a reload applies to the next issue ([`Publisher::following`]).
    sources: tokio::sync::watch::Receiver<Vec<Source>>,
    /// Held for a whole publish or correction: the schedule, the composer's
    /// Publish button and a correction share this one publisher, and two
    /// runs at once would both compose the same next number.
    running: std::sync::Mutex<()>,
}

/// Source id → (name, configured section).
type SourceFacts = HashMap<String, (String, Option<String>)>;

fn source_facts(sources: &[Source]) -> SourceFacts {
    sources.iter().map(|s| (s.id.clone(), (s.name.clone(), s.section.clone()))).collect()
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").field("title", &self.settings.title).finish_non_exhaustive()
    }
}

/// Reads the operator's template overrides from `publish.templates_dir` and
/// compiles them with the defaults; every problem is returned as
/// `file:line: message` (this is what `check` reports).
pub fn load_templates(settings: &PublishSettings) -> Result<Renderer, Vec<TemplateError>> {
    let files = write::read_template_overrides(&settings.templates_dir).map_err(|e| {
        vec![TemplateError { file: e.path.clone(), line: 1, message: format!("cannot read: {}", e.source) }]
    })?;
    let mut templates = Templates::builtin();
    let mut errors = Vec::new();
    for file in files {
        if let Err(e) = templates.set_override(&file.name, file.text, file.path) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Renderer::new(templates)
}

/// Attempts at the final transaction when editors change items meanwhile.
const FINISH_ATTEMPTS: usize = 3;

impl Publisher {
    /// A publisher over a fixed source list (one-shot commands, tests).
    pub fn new(settings: PublishSettings, renderer: Renderer, sources: &[Source]) -> Self {
        Self {
            settings,
            renderer,
            sources: tokio::sync::watch::channel(sources.to_vec()).1,
            running: std::sync::Mutex::new(()),
            hooks: Vec::new(),
        }
    }

    /// Adds a hook told about every issue this publisher publishes.
    #[must_use]
    pub fn with_hook(mut self, hook: std::sync::Arc<dyn PublishHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Reads the source list from the service's shared list instead, so a
    /// reloaded source's name and section apply to the next issue.
    #[must_use]
    pub fn following(mut self, sources: tokio::sync::watch::Receiver<Vec<Source>>) -> Self {
        self.sources = sources;
        self
    }

    pub fn settings(&self) -> &PublishSettings {
        &self.settings
    }

    /// The public URLs of the feeds, as a `WebSub` hub is told about them.
    pub fn feed_urls(&self) -> Vec<String> {
        let Some(base) = &self.settings.base_url else { return Vec::new() };
        let speakers = self.settings.speaker_feeds.iter().flat_map(|id| speaker_feed::url_paths(id));
        [render::RSS_FILE, render::ATOM_FILE, render::JSON_FILE]
            .map(str::to_owned)
            .into_iter()
            .chain(speakers)
            .map(|f| format!("{base}{f}"))
            .collect()
    }

    /// Publishes the next issue, or completes the one an earlier run left as a
    /// draft. With `dry_run`, composes and renders but stores and writes nothing.
    pub fn publish_next(
        &self,
        store: &dyn Store,
        output: &dyn Output,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PublishOutcome, PublishError> {
        let _running = self.run_lock();
        self.publish_next_locked(store, output, now, dry_run)
    }

    /// Publishes the next issue only if it is `expected` (the number the
    /// editor saw and confirmed) and records who published it. The same
    /// steps as [`Publisher::publish_next`], under the same lock.
    pub fn publish_confirmed(
        &self,
        store: &dyn Store,
        output: &dyn Output,
        expected: u32,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<PublishOutcome, PublishError> {
        let _running = self.run_lock();
        if let Some(found) = self.next_number(store)?.filter(|n| *n != expected) {
            return Err(PublishError::NotNext { expected, found });
        }
        let outcome = self.publish_next_locked(store, output, now, false)?;
        if let PublishOutcome::Issue(report) = &outcome
            && let Some(mut issue) = store.issue(report.number)?
        {
            issue.published_by = Some(by.to_owned());
            store.put_issue(&issue)?;
            store.flush()?;
        }
        Ok(outcome)
    }

    /// The number the next publish will carry (an unfinished draft's, else a
    /// new one); `None` when numbers are used up.
    pub fn next_number(&self, store: &dyn Store) -> Result<Option<u32>, PublishError> {
        let issues = store.issues()?;
        if let Some(draft) = issues.iter().filter(|i| i.state == IssueState::Draft).map(|i| i.number).min() {
            return Ok(Some(draft));
        }
        Ok(compose::next_number(&issues, self.settings.first_number))
    }

    fn run_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic inside a run leaves nothing half-done in memory (the store
        // and files are the state), so a poisoned lock is still usable.
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn publish_next_locked(
        &self,
        store: &dyn Store,
        output: &dyn Output,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PublishOutcome, PublishError> {
        let mut issues = store.issues()?;
        issues.sort_by_key(|i| i.number);
        let draft = issues.iter().find(|i| i.state == IssueState::Draft).cloned();
        let (issue, composed_revisions, resumed) = if let Some(draft) = draft {
            (draft, None, true)
        } else {
            let approved = store.items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() })?;
            if approved.is_empty() {
                return Ok(PublishOutcome::NothingApproved);
            }
            let issue = self.compose(store, &approved, &issues, now)?;
            let mut revisions = approved.iter().map(|i| (i.id.clone(), i.revision)).collect::<Vec<_>>();
            // The articles an entry cites go out with it.
            for (item, _) in cited_items(store, &approved)?.into_iter().flatten() {
                if item.state != ReviewState::Published && !revisions.iter().any(|(id, _)| *id == item.id) {
                    revisions.push((item.id, item.revision));
                }
            }
            (issue, Some(revisions), false)
        };

        let files = self.render_files(store, &issue, &issues)?;
        let mut report = IssueReport {
            number: issue.number,
            title: issue.title.clone(),
            sections: issue.sections.iter().map(|s| (s.name.clone(), s.items.len())).collect(),
            items: issue.item_count(),
            resumed,
            files: files.iter().map(|(name, _)| name.clone()).collect(),
            dry_run,
        };
        if dry_run {
            return Ok(PublishOutcome::Issue(report));
        }

        if !resumed {
            store.put_issue(&issue)?;
            store.flush()?;
        }
        let batch: Vec<(&str, &[u8])> = files.iter().map(|(name, text)| (name.as_str(), text.as_bytes())).collect();
        output.write_files(&batch)?;
        for hook in &self.hooks {
            hook.issue_published(store, &issue)?;
        }
        finish(store, &issue, composed_revisions, now)?;
        for hook in &self.hooks {
            if let Err(error) = hook.issue_finished(store, &issue) {
                tracing::warn!(issue = issue.number, %error, "a publish hook failed after the issue went out");
            }
        }
        report.dry_run = false;
        tracing::info!(issue = issue.number, items = report.items, resumed, "published");
        Ok(PublishOutcome::Issue(report))
    }

    /// The page `issues/{n}.html` that publishing at `now` would write, with
    /// the real next number and period; `None` when nothing is approved. The
    /// composer shows it so editors see exactly what subscribers will.
    pub fn preview(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<Option<String>, PublishError> {
        let approved = store.items(&ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() })?;
        if approved.is_empty() {
            return Ok(None);
        }
        let issues = store.issues()?;
        let issue = self.compose(store, &approved, &issues, now)?;
        Ok(Some(self.renderer.issue_page(&issue, &self.settings)?))
    }

    /// Composes and renders the next issue's draft from the approved items.
    fn compose(
        &self,
        store: &dyn Store,
        approved: &[Item],
        issues: &[Issue],
        now: DateTime<Utc>,
    ) -> Result<Issue, PublishError> {
        let mut quotes: Vec<Vec<Quote>> = Vec::with_capacity(approved.len());
        for item in approved {
            quotes.push(chosen_quotes(store, item)?);
        }
        let sources = source_facts(&self.sources.borrow());
        let cited_items = cited_items(store, approved)?;
        let cited = cited_views(&cited_items, &sources);
        let candidates: Vec<Candidate<'_>> = approved
            .iter()
            .zip(&quotes)
            .zip(&cited)
            .map(|((item, quotes), cited)| {
                let source = sources.get(item.source());
                Candidate {
                    item,
                    quotes,
                    source_section: source.and_then(|(_, section)| section.as_deref()),
                    source_name: source.map(|(name, _)| name.as_str()),
                    cited,
                }
            })
            .collect();
        let last = issues.iter().map(|i| i.number).max().unwrap_or_default();
        let number =
            compose::next_number(issues, self.settings.first_number).ok_or(PublishError::NumbersExhausted { last })?;
        let composition = compose::compose(&self.settings, number, &candidates, now);
        let body = self.renderer.body(&composition, &self.settings)?;
        Ok(composition.into_draft(body))
    }

    /// Every output file for `issue` with the published `others`, in write
    /// order: the issue page first, then the digest's feeds and each
    /// speaker's, the index (what links to it) last.
    fn render_files(
        &self,
        store: &dyn Store,
        issue: &Issue,
        others: &[Issue],
    ) -> Result<Vec<(String, String)>, PublishError> {
        let mut all: Vec<&Issue> = others
            .iter()
            .filter(|i| i.state == IssueState::Published && i.number != issue.number)
            .chain(std::iter::once(issue))
            .collect();
        all.sort_by_key(|i| std::cmp::Reverse(i.number));
        let newest = &all[..all.len().min(self.settings.feed_items)];
        let mut files = vec![
            (render::issue_file(issue.number), self.renderer.issue_page(issue, &self.settings)?),
            (render::RSS_FILE.to_owned(), render::rss(newest, &self.settings)),
            (render::ATOM_FILE.to_owned(), self.renderer.atom(newest, &self.settings)?),
            (render::JSON_FILE.to_owned(), render::json_feed(newest, &self.settings)),
        ];
        files.extend(self.speaker_files(store, &all)?);
        files.push((render::INDEX_FILE.to_owned(), self.renderer.index(&all, &self.settings)?));
        Ok(files)
    }

    /// `speakers/{id}.xml`, `.atom` and `.json` for each id in
    /// `publish.speaker_feeds`, from `issues` (newest first). Each issue's
    /// entries are composed again from its items, as a correction does, so
    /// a quote is credited as the issue showed it; reading stops once every
    /// feed is full. Nothing is read when no speaker is opted in.
    fn speaker_files(&self, store: &dyn Store, issues: &[&Issue]) -> Result<Vec<(String, String)>, PublishError> {
        if self.settings.speaker_feeds.is_empty() {
            return Ok(Vec::new());
        }
        let map = store.speaker_map()?;
        let mut feeds = speaker_feed::SpeakerFeeds::new(&self.settings, &map);
        for issue in issues {
            if feeds.is_full() {
                break;
            }
            feeds.add_issue(issue, &self.recompose(store, issue)?);
        }
        let mut files = Vec::new();
        for feed in feeds.finish() {
            let [rss, atom, json] = speaker_feed::files(&feed.id);
            files.push((rss, feed::rss(&feed.meta, &feed.entries)));
            files.push((atom, self.renderer.atom_feed(&feed.meta, &feed.entries)?));
            files.push((json, feed::json(&feed.meta, &feed.entries)));
        }
        Ok(files)
    }
}

/// The quotes an item's entry may show: its stored ones and those its
/// editors added. Only items with chosen quotes need theirs read.
fn chosen_quotes(store: &dyn Store, item: &Item) -> Result<Vec<Quote>, StoreError> {
    if item.editor.quote_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(item.editor.with_added(store.quotes(&item.id)?))
}

/// The final transaction. Revisions are those read at compose time on the
/// first try; when an editor changed an item since (or on a resumed
/// draft), they are read again: the issue went out as composed, and the
/// check only guarantees the write does not clobber an edit.
fn finish(
    store: &dyn Store,
    issue: &Issue,
    composed: Option<Vec<(ItemId, u64)>>,
    now: DateTime<Utc>,
) -> Result<(), PublishError> {
    let mut published = issue.clone();
    published.state = IssueState::Published;
    published.published_at = Some(now);
    let mut revisions = composed;
    for _ in 0..FINISH_ATTEMPTS {
        let current = match revisions.take() {
            Some(revisions) => revisions,
            None => current_revisions(store, issue)?,
        };
        match store.finish_issue(&published, &current) {
            Ok(()) => {
                store.flush()?;
                return Ok(());
            }
            Err(StoreError::StaleRevision { id, expected, found }) => {
                tracing::info!(issue = issue.number, item = %id, expected, found, "item changed while publishing; retrying");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(PublishError::Busy { number: issue.number })
}

/// The revision each of the issue's items is at now; items no longer stored are left out.
fn current_revisions(store: &dyn Store, issue: &Issue) -> Result<Vec<(ItemId, u64)>, StoreError> {
    let mut revisions: Vec<(ItemId, u64)> = Vec::with_capacity(issue.item_count());
    for id in issue.item_ids() {
        if let Some(item) = store.item(id)? {
            for cited in &item.editor.cited {
                if let Some(other) = store.item(cited)? {
                    if other.state != ReviewState::Published && !revisions.iter().any(|(id, _)| id == cited) {
                        revisions.push((cited.clone(), other.revision));
                    }
                }
            }
            if !revisions.iter().any(|(known, _)| known == id) {
                revisions.push((id.clone(), item.revision));
            }
        }
    }
    Ok(revisions)
}

/// The composer's view of each entry's cited items (see [`cited_items`]).
fn cited_views<'a>(cited_items: &'a [CitedItems], sources: &'a SourceFacts) -> Vec<Vec<Cited<'a>>> {
    cited_items
        .iter()
        .map(|items| {
            items
                .iter()
                .map(|(item, quotes)| Cited {
                    item,
                    quotes,
                    source_name: sources.get(item.source()).map(|(name, _)| name.as_str()),
                })
                .collect()
        })
        .collect()
}

/// One entry's cited items, each with its quotes.
type CitedItems = Vec<(Item, Vec<Quote>)>;

/// Per approved item, the items it cites (in its order) with their quotes;
/// a cited id no longer stored is left out.
fn cited_items(store: &dyn Store, approved: &[Item]) -> Result<Vec<CitedItems>, StoreError> {
    let mut all = Vec::with_capacity(approved.len());
    for item in approved {
        let mut cited = Vec::with_capacity(item.editor.cited.len());
        for id in &item.editor.cited {
            if let Some(other) = store.item(id)? {
                // Only entries with chosen quotes need the cited quotes read.
                let quotes = if item.editor.quote_ids.is_empty() { Vec::new() } else { store.quotes(id)? };
                cited.push((other, quotes));
            }
        }
        all.push(cited);
    }
    Ok(all)
}
