//! The chosen quotes of an entry as the digest shows them, and the record of
//! their checks against their pages (issue 16.4). Fetching is the
//! verifier's (`crate::verify`); this file reads and writes the store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, audit, checked_actor};
use crate::model::{CheckState, Item, ItemId, QuoteCheck};

/// Attempts when an editor changes the item at the same moment.
const ATTEMPTS: usize = 3;

/// One chosen quote of an entry: its words as published and the item whose
/// page they come from (the entry's own, or an item it cites).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenQuote {
    pub quote_id: String,
    /// The words as the digest shows them (the editor's trim applied).
    pub text: String,
    pub speaker: Option<String>,
    /// The item whose page holds the words.
    pub from: ItemId,
}

impl Editorial {
    /// The entry's chosen quotes in the editor's order, each with the item
    /// it comes from; a chosen id no longer found is left out.
    pub fn chosen_quotes(&self, item: &Item) -> Result<Vec<ChosenQuote>, EditorialError> {
        if item.editor.quote_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pool: Vec<(ItemId, crate::model::Quote)> =
            item.editor.with_added(self.store.quotes(&item.id)?).into_iter().map(|q| (item.id.clone(), q)).collect();
        for cited in self.cited(item)? {
            pool.extend(cited.quotes.into_iter().map(|q| (cited.item.id.clone(), q)));
        }
        let mut chosen = Vec::with_capacity(item.editor.quote_ids.len());
        for id in &item.editor.quote_ids {
            let Some((from, quote)) = pool.iter().find(|(_, q)| &q.id == id) else { continue };
            let shown = item.editor.quote_overrides.get(id).map_or_else(|| quote.clone(), |o| o.apply(quote));
            chosen.push(ChosenQuote {
                quote_id: id.clone(),
                text: shown.text,
                speaker: shown.speaker,
                from: from.clone(),
            });
        }
        Ok(chosen)
    }

    /// Stores the checks of an entry's chosen quotes (replacing earlier
    /// checks of the same quotes), with a `verify` entry in its audit trail
    /// saying what was found. Re-read and retried when an editor wrote the
    /// item meanwhile: a check is a fact about the page, not an edit that
    /// could clobber theirs.
    pub fn record_checks(
        &self,
        id: &ItemId,
        checks: &BTreeMap<String, QuoteCheck>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let item = self.store.item(id)?.ok_or_else(|| EditorialError::NotFound { id: id.clone() })?;
            let mut editor = item.editor.clone();
            for (quote, check) in checks {
                editor.quote_checks.insert(quote.clone(), check.clone());
            }
            let entry = audit(now, actor, id, "verify", summary(checks));
            match self.write_one(id, item.revision, item.state, &editor, &entry) {
                Ok(item) => return Ok(item),
                Err(stale @ EditorialError::Stale { .. }) => last = Some(stale),
                Err(other) => return Err(other),
            }
        }
        Err(last.expect("the loop ran and every attempt was stale"))
    }
}

/// "2 verified, 1 changed": the counts per state, in the states' order.
pub fn summary(checks: &BTreeMap<String, QuoteCheck>) -> String {
    let states = [CheckState::Verified, CheckState::Changed, CheckState::Gone, CheckState::Unreachable];
    let parts: Vec<String> = states
        .iter()
        .filter_map(|state| {
            let n = checks.values().filter(|c| c.state == *state).count();
            (n > 0).then(|| format!("{n} {state}"))
        })
        .collect();
    if parts.is_empty() { "no quotes".to_owned() } else { parts.join(", ") }
}
