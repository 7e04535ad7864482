//! Verification at publish (issue 16.4): each chosen quote's page fetched
//! again and the published words looked for in its fresh main text.
//!
//! [`Verifier`] fetches through ingest's fetcher (the same politeness,
//! conditional GET with the stored validators, private-network guard and
//! extraction), decides each quote's [`CheckState`] with the pure
//! [`matching::find_quote`], and records the checks on the entry through
//! `Editorial` (audit trail, queue and search index kept current). A 304
//! means the page is what was extracted, so the stored text is checked.
//! A fetch that fails for a reason that may pass (a timeout, a 503) is
//! retried with doubling waits before the quote is `unreachable`.
//!
//! Must not publish or refuse to: callers (the composer, `gleaner
//! publish`, the API) ask for confirmation with [`unverified`].

pub mod matching;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::editorial::{ChosenQuote, Editorial, EditorialError};
use crate::ingest::{Ingest, PageNow, RecheckError};
use crate::model::{CheckState, Item, ItemId, QuoteCheck, ReviewState, Source};
use crate::store::ItemQuery;

pub use self::matching::{Found, find_quote};

/// Attempts at a page that fails transiently before its quotes are `unreachable`.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; each later one waits twice as long.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);

/// Why a verification could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No item by this id.
    #[error("no item with id {id}")]
    NoItem { id: ItemId },
    /// No issue by this number.
    #[error("there is no issue {number}")]
    NoIssue { number: u32 },
    #[error(transparent)]
    Editorial(#[from] EditorialError),
}

/// One chosen quote and its new check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedQuote {
    pub quote_id: String,
    pub speaker: Option<String>,
    /// The item whose page was fetched.
    pub page_item: ItemId,
    #[serde(flatten)]
    pub check: QuoteCheck,
}

/// An entry's chosen quotes, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChecks {
    pub id: ItemId,
    pub title: String,
    pub quotes: Vec<CheckedQuote>,
}

/// The quotes of `entries` that are not `verified` (what needs an editor's confirmation).
pub fn unverified(entries: &[EntryChecks]) -> Vec<(&EntryChecks, &CheckedQuote)> {
    entries
        .iter()
        .flat_map(|e| e.quotes.iter().map(move |q| (e, q)))
        .filter(|(_, q)| q.check.state != CheckState::Verified)
        .collect()
}

/// One line per quote of `entries` that is not `verified`, for a refusal
/// to publish ("Title: changed (now: “...”)").
pub fn describe_unverified(entries: &[EntryChecks]) -> Vec<String> {
    unverified(entries)
        .into_iter()
        .map(|(entry, quote)| {
            let check = &quote.check;
            let mut line = format!("{} ({}): “{}” is {}", entry.title, entry.id, check.published, check.state);
            if let Some(current) = &check.current {
                let _ = write!(line, "; the page now says “{current}”");
            } else if let Some(detail) = &check.detail {
                let _ = write!(line, ": {detail}");
            }
            line
        })
        .collect()
}

/// Why a publish waits for an editor: what is not verified and how to
/// confirm (the API's 409 message, and the CLI's error).
pub fn refusal(entries: &[EntryChecks]) -> Option<String> {
    let lines = describe_unverified(entries);
    if lines.is_empty() {
        return None;
    }
    let n = lines.len();
    let mut message = format!(
        "{n} chosen quote{} not verified against {} page:\n",
        if n == 1 { " is" } else { "s are" },
        if n == 1 { "its" } else { "their" }
    );
    for line in lines {
        message.push_str("  ");
        message.push_str(&line);
        message.push('\n');
    }
    message.push_str("look at them, then publish anyway with --accept-unverified (API: \"accept_unverified\": true)");
    Some(message)
}

/// Checks chosen quotes against their pages. Cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    ingest: Ingest,
    editorial: Editorial,
    /// The sources in force: a page is fetched under its source's settings.
    sources: tokio::sync::watch::Receiver<Vec<Source>>,
    attempts: u32,
    backoff: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("attempts", &self.attempts).finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(ingest: Ingest, editorial: Editorial, sources: tokio::sync::watch::Receiver<Vec<Source>>) -> Self {
        Self { ingest, editorial, sources, attempts: DEFAULT_ATTEMPTS, backoff: DEFAULT_BACKOFF }
    }

    /// Other retry settings (tests use short waits).
    #[must_use]
    pub fn with_retries(mut self, attempts: u32, backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    /// Checks one entry's chosen quotes and records the checks as `actor`.
    pub async fn verify_item(&self, id: &ItemId, actor: &str, now: DateTime<Utc>) -> Result<EntryChecks, VerifyError> {
        let item = self.editorial.item(id)?.ok_or_else(|| VerifyError::NoItem { id: id.clone() })?;
        self.verify_entry(&item, actor, now).await
    }

    /// Checks the chosen quotes of every entry of published issue `number`.
    pub async fn verify_issue(
        &self,
        number: u32,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<EntryChecks>, VerifyError> {
        let issue = self.editorial.store().issue(number).map_err(EditorialError::from)?;
        let issue = issue.ok_or(VerifyError::NoIssue { number })?;
        let ids: Vec<ItemId> = issue.item_ids().cloned().collect();
        let mut entries = Vec::new();
        for id in ids {
            if let Some(item) = self.editorial.item(&id)? {
                entries.push(item);
            }
        }
        self.verify_entries(entries, actor, now).await
    }

    /// Checks the chosen quotes of the next issue: every approved entry.
    pub async fn verify_draft(&self, actor: &str, now: DateTime<Utc>) -> Result<Vec<EntryChecks>, VerifyError> {
        let query = ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() };
        let approved = self.editorial.store().items(&query).map_err(EditorialError::from)?;
        self.verify_entries(approved, actor, now).await
    }

    /// Entries with chosen quotes, checked at once (the fetcher's per-host
    /// limits keep this polite); in the given order.
    async fn verify_entries(
        &self,
        entries: Vec<Item>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<EntryChecks>, VerifyError> {
        let mut tasks = tokio::task::JoinSet::new();
        for (n, item) in entries.into_iter().filter(|i| !i.editor.quote_ids.is_empty()).enumerate() {
            let (verifier, actor) = (self.clone(), actor.to_owned());
            tasks.spawn(async move { (n, verifier.verify_entry(&item, &actor, now).await) });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((n, result)) => done.push((n, result?)),
                Err(error) => tracing::error!(%error, "a verification task panicked"),
            }
        }
        done.sort_by_key(|(n, _)| *n);
        Ok(done.into_iter().map(|(_, checks)| checks).collect())
    }

    async fn verify_entry(&self, item: &Item, actor: &str, now: DateTime<Utc>) -> Result<EntryChecks, VerifyError> {
        let chosen = self.editorial.chosen_quotes(item)?;
        // One fetch per page, however many of its quotes were chosen.
        let mut pages: BTreeMap<ItemId, Vec<ChosenQuote>> = BTreeMap::new();
        for quote in chosen.iter().cloned() {
            pages.entry(quote.from.clone()).or_default().push(quote);
        }
        let mut checks = BTreeMap::new();
        let mut quotes = Vec::with_capacity(chosen.len());
        for (page_id, page_quotes) in pages {
            let page_item = if page_id == item.id { Some(item.clone()) } else { self.editorial.item(&page_id)? };
            let Some(page_item) = page_item else { continue };
            let page = self.page_now(&page_item, now).await;
            for quote in page_quotes {
                let check = judge(&quote.text, &page_item, &page, now);
                checks.insert(quote.quote_id.clone(), check.clone());
                quotes.push(CheckedQuote {
                    quote_id: quote.quote_id,
                    speaker: quote.speaker,
                    page_item: page_id.clone(),
                    check,
                });
            }
        }
        // In the editor's order.
        quotes.sort_by_key(|q| chosen.iter().position(|c| c.quote_id == q.quote_id));
        if !checks.is_empty() {
            self.editorial.record_checks(&item.id, &checks, actor, now)?;
        }
        tracing::info!(item = %item.id, checks = %crate::editorial::check_summary(&checks), "quotes checked");
        Ok(EntryChecks { id: item.id.clone(), title: item.title.clone(), quotes })
    }

    /// The page as it is now, retrying transient failures with doubling waits.
    async fn page_now(&self, item: &Item, now: DateTime<Utc>) -> Result<PageNow, RecheckError> {
        let source = self.sources.borrow().iter().find(|s| s.id == item.source()).cloned();
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            match self.ingest.page_now(item, source.as_ref(), now).await {
                Err(error) if error.transient && attempt < self.attempts => {
                    tracing::debug!(item = %item.id, attempt, %error, "page recheck failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// A quote's check from what its page says now.
fn judge(published: &str, page_item: &Item, page: &Result<PageNow, RecheckError>, now: DateTime<Utc>) -> QuoteCheck {
    let check =
        |state, current, detail| QuoteCheck { state, at: now, published: published.to_owned(), current, detail };
    let text = match page {
        Ok(PageNow::Text(text)) => text.as_str(),
        // 304 or the same body: what was extracted is what the page says.
        Ok(PageNow::Unchanged) => page_item.text.as_str(),
        Ok(PageNow::Gone { status }) => {
            return check(CheckState::Gone, None, Some(format!("the page answers HTTP {status}")));
        }
        Ok(PageNow::NoPage) => {
            return check(CheckState::Unreachable, None, Some("the item has no web page to check".to_owned()));
        }
        Err(error) => return check(CheckState::Unreachable, None, Some(error.message.clone())),
    };
    match find_quote(published, text) {
        Found::Verbatim => check(CheckState::Verified, None, None),
        Found::Near { current, edits } => {
            let words = if edits == 1 { "1 word differs".to_owned() } else { format!("{edits} words differ") };
            check(CheckState::Changed, Some(current), Some(words))
        }
        Found::Absent => check(CheckState::Gone, None, Some("the words are no longer on the page".to_owned())),
    }
}
