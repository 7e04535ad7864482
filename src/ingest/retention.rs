//! Retention: how many of one source's items the store keeps.
//!
//! A feed that invents new guids on every poll (a broken CMS, a hostile
//! feed) would otherwise grow the store without limit. Past
//! `[fetch] max_items_per_source`, a source's oldest items that no editor
//! touched (still new, no editor field, no audit entry) are removed with
//! everything they own. Never removed: anything an editor touched (shortlisted,
//! approved, rejected, published, edited, even reset), an item another source
//! also carries, and the items of the source's latest body (removed, they
//! would come back as new on the next poll).
//!
//! Miniflux bounds growth by age instead (unread entries archived after 180
//! days, read ones after 60, starred never, by a daily job). An age alone
//! does not bound a feed that floods within the window, so Gleaner caps the
//! count; like Miniflux, what a person marked is never removed.
//!
//! Reading a source's items walks the store's new items, so retention runs
//! only once a source has delivered a tenth of its cap in new items since it
//! last ran ([`crate::model::FetchState::new_since_retention`]): a source
//! that adds 20 items a day is looked at every few weeks, a flood every few
//! polls.

use std::collections::HashSet;

use super::{Ingest, SourceReport};
use crate::model::{FetchState, ItemId, ReviewState, Source};
use crate::store::ItemQuery;

impl Ingest {
    /// Counts this poll's new items and, when enough came in, removes what
    /// is over the source's cap. Failures are warnings: retention is
    /// housekeeping and never fails a poll.
    pub(super) fn retain(&self, source: &Source, state: &mut FetchState, report: &mut SourceReport) {
        let cap = self.fetch.max_items_per_source;
        state.new_since_retention = state.new_since_retention.saturating_add(report.new_items as u64);
        if state.new_since_retention < (cap as u64 / 10).max(1) {
            return;
        }
        state.new_since_retention = 0;
        let query =
            ItemQuery { state: Some(ReviewState::New), source: Some(source.id.clone()), ..ItemQuery::default() };
        let items = match self.store.items(&query) {
            Ok(items) => items,
            Err(error) => {
                report.warnings.push(format!("retention could not list the source's items: {error}"));
                return;
            }
        };
        let latest: HashSet<&ItemId> = report.delivered.iter().collect();
        // Newest first (the listing's order): the first `cap` stay.
        let over: Vec<ItemId> = items
            .iter()
            .filter(|item| item.sources == [source.id.as_str()] && item.untouched_by_editors())
            .skip(cap)
            .filter(|item| !latest.contains(&item.id))
            .map(|item| item.id.clone())
            .collect();
        if over.is_empty() {
            return;
        }
        match self.store.remove_untouched(&source.id, &over) {
            Ok(removed) if removed.is_empty() => {}
            Ok(removed) => {
                tracing::info!(source = %source.id, removed = removed.len(), cap, "retention removed old unreviewed items");
                report.warnings.push(format!(
                    "removed the {} oldest unreviewed items over max_items_per_source = {cap}",
                    removed.len()
                ));
                // The review queue drops what is no longer stored.
                report.changed.extend(removed);
            }
            Err(error) => report.warnings.push(format!("retention could not remove old items: {error}")),
        }
    }
}
