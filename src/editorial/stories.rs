//! Stories across outlets: which stored items are one story, told by
//! several outlets (issue 14.1). The comparison itself is the pure
//! [`crate::story::Signature`]; this module decides what to compare with
//! what and writes the result as each item's `story`.
//!
//! An item is compared with the items published within [`WINDOW`] of it
//! (a wire story is rewritten within days, not months), and joins the story
//! of the most similar one above the threshold; otherwise it starts its own
//! story (its own id). Items are taken oldest first, so a story's id is the
//! id of its first telling. Signatures are cached by item and content, so a
//! poll that delivers a few items does not re-shingle the days around them.
//!
//! Must not fetch, parse or render; it reads items and writes stories only.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::{Editorial, EditorialError};
use crate::model::{Item, ItemId};
use crate::store::ItemQuery;
use crate::story::Signature;

/// How far apart in publication time two tellings of one story may be.
pub const WINDOW: Duration = Duration::days(3);

/// Most main-text characters shingled per item: a story shows in its first
/// paragraphs, and a cap keeps one huge page from costing seconds.
const MAX_TEXT_CHARS: usize = 6_000;

/// Signatures by item, with the content they were made from.
#[derive(Debug, Default)]
pub(super) struct SignatureCache {
    entries: HashMap<ItemId, (String, DateTime<Utc>, Signature)>,
}

impl SignatureCache {
    fn signature(&mut self, item: &Item) -> Signature {
        let key = format!("{}/{}", item.content_hash, item.extracted_at.map_or(0, |t| t.timestamp_micros()));
        if let Some((cached, _, signature)) = self.entries.get(&item.id) {
            if *cached == key {
                return signature.clone();
            }
        }
        let signature = signature_of(item);
        self.entries.insert(item.id.clone(), (key, item.published, signature.clone()));
        signature
    }

    /// Forgets items published long before `newest`: they can join no new story.
    fn evict_before(&mut self, oldest: DateTime<Utc>) {
        self.entries.retain(|_, (_, published, _)| *published >= oldest);
    }
}

/// What the signature reads: the title and the main text, else the summary.
fn signature_of(item: &Item) -> Signature {
    let text =
        if item.text.trim().is_empty() { crate::sanitize::html_to_text(&item.summary) } else { item.text.clone() };
    let text: String = text.chars().take(MAX_TEXT_CHARS).collect();
    Signature::of(&item.title, &text)
}

impl Editorial {
    /// Assigns a story to each of `ids` (unknown ids are skipped) and stores
    /// the stories that changed; returns the ids whose story changed.
    pub fn assign_stories(&self, ids: &[ItemId]) -> Result<Vec<ItemId>, EditorialError> {
        let mut targets = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = self.store.item(id)? {
                targets.push(item);
            }
        }
        self.assign(targets)
    }

    /// Assigns a story to every stored item that has none (items stored
    /// before stories existed); `gleaner stories` and `serve`'s start.
    pub fn assign_missing_stories(&self) -> Result<Vec<ItemId>, EditorialError> {
        let items = self.store.items(&ItemQuery::default())?;
        self.assign(items.into_iter().filter(|item| item.story.is_none()).collect())
    }

    /// Re-assigns every stored item's story from scratch (`gleaner stories --all`).
    pub fn reassign_all_stories(&self) -> Result<Vec<ItemId>, EditorialError> {
        // Each keeps its old story only for the comparison: in `fresh` mode
        // the neighbours are only the items placed in this run.
        let items = self.store.items(&ItemQuery::default())?;
        self.assign_with(items, true)
    }

    fn assign(&self, targets: Vec<Item>) -> Result<Vec<ItemId>, EditorialError> {
        self.assign_with(targets, false)
    }

    /// `fresh`: the targets are every item, placed from scratch (their
    /// neighbours are the targets placed before them, not stored stories).
    fn assign_with(&self, mut targets: Vec<Item>, fresh: bool) -> Result<Vec<ItemId>, EditorialError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        targets.sort_by(|a, b| a.published.cmp(&b.published).then_with(|| a.id.cmp(&b.id)));
        let first = targets[0].published - WINDOW;
        let last = targets[targets.len() - 1].published + WINDOW;
        // Items already in a story, oldest first; each target joins them once placed.
        let mut neighbours: Vec<Item> = if fresh {
            Vec::new()
        } else {
            let ids: std::collections::HashSet<&ItemId> = targets.iter().map(|t| &t.id).collect();
            self.store
                .items(&ItemQuery { since: Some(first), ..ItemQuery::default() })?
                .into_iter()
                .filter(|n| n.published <= last && n.story.is_some() && !ids.contains(&n.id))
                .collect()
        };
        neighbours.sort_by_key(|n| n.published);
        let mut cache = self.signatures.lock().unwrap_or_else(PoisonError::into_inner);
        let mut wanted: Vec<(ItemId, ItemId)> = Vec::new();
        for (n, target) in targets.into_iter().enumerate() {
            if n % 1_000 == 999 {
                cache.evict_before(target.published - WINDOW * 2);
            }
            let signature = cache.signature(&target);
            let from = neighbours.partition_point(|x| x.published < target.published - WINDOW);
            let to = neighbours.partition_point(|x| x.published <= target.published + WINDOW);
            let mut best: Option<(f32, &ItemId)> = None;
            if signature.is_matchable() {
                for other in &neighbours[from..to] {
                    let similarity = signature.similarity(&cache.signature(other));
                    if similarity >= crate::story::SAME_STORY && best.is_none_or(|(b, _)| similarity > b) {
                        best = Some((similarity, other.story_id()));
                    }
                }
            }
            let story = best.map_or_else(|| target.id.clone(), |(_, story)| story.clone());
            if target.story.as_ref() != Some(&story) {
                wanted.push((target.id.clone(), story.clone()));
            }
            let mut placed = target;
            placed.story = Some(story);
            let at = neighbours.partition_point(|x| x.published <= placed.published);
            neighbours.insert(at, placed);
        }
        if let Some(newest) = neighbours.last().map(|n| n.published) {
            cache.evict_before(newest - WINDOW * 2);
        }
        drop(cache);
        if !wanted.is_empty() {
            self.store.put_stories(&wanted)?;
            self.store.flush()?;
        }
        Ok(wanted.into_iter().map(|(id, _)| id).collect())
    }
}

/// The cache shared by an [`Editorial`]'s clones.
pub(super) fn new_cache() -> Mutex<SignatureCache> {
    Mutex::new(SignatureCache::default())
}
