//! Stories across outlets: which stored items are one story, told by
//! several outlets (issue 14.1). The comparison itself is the pure
//! [`crate::story::Signature`]; this module decides what to compare with
//! what and writes the result as each item's `story`.
//!
//! An item is compared with the items published within [`WINDOW`] of it
//! (a wire story is rewritten within days, not months), and joins the story
//! of the most similar one above the threshold; otherwise it starts its own
//! story (its own id). Items are taken oldest first, so a story's id is the
//! id of its first telling.
//!
//! Nothing is compared pairwise: a [`StoryIndex`] holds the window's
//! prints (id, time, story, signature) with their LSH band keys, and a new
//! item looks up only the items that share one of its bands
//! ([`crate::story::Signature::bands`]), whose full signatures then decide.
//! Each item's signature is made once, when it is placed, and stored beside
//! it ([`crate::store::ItemStore::put_story_prints`]); the index is filled
//! from those prints once per process for the times it is asked about and
//! then kept, so a poll that delivers a few items costs a few lookups.
//! Items placed before prints were kept get theirs made from their text by
//! the store when first read (the backfill needs no migration step).
//!
//! Must not fetch, parse or render; it reads items and writes stories only.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::{Editorial, EditorialError};
use crate::model::{Item, ItemId};
use crate::store::{ItemQuery, ItemStore, StoryPrint};
use crate::story::{BANDS, SAME_STORY, Signature};

/// How far apart in publication time two tellings of one story may be.
pub const WINDOW: Duration = Duration::days(3);

/// The end of a chain in [`StoryIndex`].
const NONE: u32 = u32::MAX;

/// Prints handed to the store at once.
const PRINTS_PER_WRITE: usize = 256;

/// Most entries a lookup takes from one bucket, newest first. A bucket
/// holds one story's tellings, and a story told a hundred times (a wire
/// story everywhere, or a templated feed) would otherwise make every new
/// telling compare with all of them again: the pass would be quadratic in
/// the story's size. Its newest tellings are in the story too, and with
/// 64 bands the same few items turn up in most of them.
const PER_BUCKET: usize = 16;

/// The prints of the items in a span of time, by band key.
///
/// Memory: per item its print (about 350 bytes) and, per band, a chain link
/// and a share of a bucket map entry (about 16 bytes), so about 1.4 KiB; a
/// window of 10,000 items is 14 MiB. Each band's buckets map a key to the
/// newest entry with it, and each entry links to the previous one with the
/// same key in that band, so a bucket costs no allocation of its own.
#[derive(Debug, Default)]
pub(super) struct StoryIndex {
    entries: Vec<Indexed>,
    /// The live entry of each item.
    slots: HashMap<ItemId, u32>,
    /// Per band: key → the newest entry with that key.
    heads: Vec<HashMap<u32, u32>>,
    /// The span of publication times loaded from the store, if any.
    covered: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug)]
struct Indexed {
    print: StoryPrint,
    /// Removed (placed again, or evicted): still linked, never matched.
    live: bool,
    /// Per band: the previous entry with the same key, or [`NONE`].
    next: Box<[u32; BANDS]>,
}

impl StoryIndex {
    /// An index that loads nothing from the store: it holds what is placed.
    fn detached() -> Self {
        let far = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        Self { covered: Some(far), ..Self::default() }
    }

    /// Loads the prints published in `from..=to` that are not loaded yet.
    fn cover(&mut self, store: &dyn ItemStore, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), EditorialError> {
        let tick = Duration::microseconds(1);
        let spans = match self.covered {
            None => vec![(from, to)],
            Some((low, high)) => {
                let mut spans = Vec::new();
                if from < low {
                    spans.push((from, low - tick));
                }
                if to > high {
                    spans.push((high + tick, to));
                }
                spans
            }
        };
        for (start, end) in spans {
            for print in store.story_prints(start, end)? {
                // This process's own placements are newer than what it reads back.
                if !self.slots.contains_key(&print.id) {
                    self.insert(print);
                }
            }
        }
        self.covered = Some(self.covered.map_or((from, to), |(low, high)| (low.min(from), high.max(to))));
        Ok(())
    }

    fn insert(&mut self, print: StoryPrint) {
        self.remove(&print.id);
        if self.heads.is_empty() {
            self.heads = vec![HashMap::new(); BANDS];
        }
        let slot = u32::try_from(self.entries.len()).expect("fewer than 4 billion items in one window");
        let mut next = Box::new([NONE; BANDS]);
        for ((band, key), link) in print.signature.bands().enumerate().zip(next.iter_mut()) {
            *link = self.heads[band].insert(key, slot).unwrap_or(NONE);
        }
        self.slots.insert(print.id.clone(), slot);
        self.entries.push(Indexed { print, live: true, next });
    }

    /// Forgets an item (its entry stays linked until [`StoryIndex::compact`]).
    fn remove(&mut self, id: &ItemId) {
        if let Some(slot) = self.slots.remove(id) {
            self.entries[slot as usize].live = false;
        }
    }

    /// The story of the most similar item published within [`WINDOW`] of
    /// `published` that shares a band with `signature` and is one story
    /// with it (of equally similar ones, the earliest).
    fn best_match(&self, signature: &Signature, published: DateTime<Utc>) -> Option<&ItemId> {
        let mut candidates = Vec::new();
        for (band, key) in signature.bands().enumerate() {
            let mut slot = self.heads.get(band).and_then(|heads| heads.get(&key)).copied().unwrap_or(NONE);
            let mut taken = 0;
            while slot != NONE && taken < PER_BUCKET {
                let entry = &self.entries[slot as usize];
                if entry.live {
                    candidates.push(slot);
                    taken += 1;
                }
                slot = entry.next[band];
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(f32, &StoryPrint)> = None;
        for slot in candidates {
            let other = &self.entries[slot as usize].print;
            if (other.published - published).abs() > WINDOW {
                continue;
            }
            let similarity = signature.similarity(&other.signature);
            let better = best.is_none_or(|(b, current)| {
                similarity > b || (similarity >= b && (other.published, &other.id) < (current.published, &current.id))
            });
            if similarity >= SAME_STORY && better {
                best = Some((similarity, other));
            }
        }
        best.map(|(_, print)| &print.story)
    }

    /// Forgets the items published before `oldest`.
    fn evict_before(&mut self, oldest: DateTime<Utc>) {
        let Some((low, high)) = self.covered else { return };
        if oldest <= low {
            return;
        }
        for entry in &mut self.entries {
            if entry.live && entry.print.published < oldest {
                entry.live = false;
                self.slots.remove(&entry.print.id);
            }
        }
        self.covered = Some((oldest, high.max(oldest)));
    }

    /// Rebuilds the chains without removed entries, once they are a quarter of all.
    fn compact(&mut self) {
        if self.slots.len() * 4 >= self.entries.len() * 3 {
            return;
        }
        let entries = std::mem::take(&mut self.entries);
        self.slots.clear();
        self.heads.clear();
        for entry in entries.into_iter().filter(|entry| entry.live) {
            self.insert(entry.print);
        }
    }
}

/// An item to place: what the pass needs of it, without its text.
struct Target {
    id: ItemId,
    published: DateTime<Utc>,
    story: Option<ItemId>,
    signature: Signature,
}

impl Target {
    fn of(item: &Item) -> Self {
        Self {
            id: item.id.clone(),
            published: item.published,
            story: item.story.clone(),
            signature: Signature::of_item(item),
        }
    }
}

impl Editorial {
    /// Assigns a story to each of `ids` (unknown ids are skipped) and stores
    /// the stories that changed; returns the ids whose story changed.
    pub fn assign_stories(&self, ids: &[ItemId]) -> Result<Vec<ItemId>, EditorialError> {
        // Each item is read, signed and dropped: a poll's thousands of new
        // items are never all in memory at once.
        let mut targets = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(item) = self.store.item(id)? {
                targets.push(Target::of(&item));
            }
        }
        self.assign(targets)
    }

    /// Assigns a story to every stored item that has none (items stored
    /// before stories existed); `gleaner stories` and `serve`'s start.
    pub fn assign_missing_stories(&self) -> Result<Vec<ItemId>, EditorialError> {
        let items = self.store.items(&ItemQuery::default())?;
        self.assign(items.iter().filter(|item| item.story.is_none()).map(Target::of).collect())
    }

    /// Re-assigns every stored item's story from scratch (`gleaner stories --all`).
    pub fn reassign_all_stories(&self) -> Result<Vec<ItemId>, EditorialError> {
        // The neighbours are only the items placed in this run, so the run
        // uses an index of its own; the shared one is stale after it.
        let items = self.store.items(&ItemQuery::default())?;
        let mut fresh = StoryIndex::detached();
        let changed = self.place(items.iter().map(Target::of).collect(), &mut fresh);
        *self.signatures.lock().unwrap_or_else(PoisonError::into_inner) = StoryIndex::default();
        changed
    }

    fn assign(&self, targets: Vec<Target>) -> Result<Vec<ItemId>, EditorialError> {
        let mut index = self.signatures.lock().unwrap_or_else(PoisonError::into_inner);
        let result = self.place(targets, &mut index);
        if result.is_err() {
            // Placements made in memory were not stored: start again from the store.
            *index = StoryIndex::default();
        }
        result
    }

    /// Places `targets`, oldest first, among the items in `index` (loading
    /// the window around them first) and stores their prints.
    fn place(&self, mut targets: Vec<Target>, index: &mut StoryIndex) -> Result<Vec<ItemId>, EditorialError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        targets.sort_by(|a, b| a.published.cmp(&b.published).then_with(|| a.id.cmp(&b.id)));
        let first = targets[0].published - WINDOW;
        let newest = targets[targets.len() - 1].published;
        index.cover(self.store.as_ref(), first, newest + WINDOW)?;
        targets.dedup_by(|a, b| a.id == b.id);
        // The targets are placed again: their old prints must not match them.
        for target in &targets {
            index.remove(&target.id);
        }
        let mut changed = Vec::new();
        // Stored as they are placed, a chunk at a time: a copy of every print
        // of a cold poll would be megabytes held to the end.
        let mut pending = Vec::with_capacity(PRINTS_PER_WRITE.min(targets.len()));
        for target in targets {
            let Target { id, published, story: old, signature } = target;
            let story = index.best_match(&signature, published).cloned().unwrap_or_else(|| id.clone());
            if old.as_ref() != Some(&story) {
                changed.push(id.clone());
            }
            let print = StoryPrint { id, published, story, signature };
            pending.push(print.clone());
            index.insert(print);
            if pending.len() == PRINTS_PER_WRITE {
                self.store.put_story_prints(&pending)?;
                pending.clear();
            }
        }
        self.store.put_story_prints(&pending)?;
        self.store.flush()?;
        index.evict_before(newest - WINDOW * 2);
        index.compact();
        Ok(changed)
    }
}

/// The index shared by an [`Editorial`]'s clones.
pub(super) fn new_index() -> Mutex<StoryIndex> {
    Mutex::new(StoryIndex::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "The river bridge vote passed the council late on Monday night after a long debate \
        about its cost, its route across the old harbour and the years of traffic it would bring.";

    fn print(n: u32, hours: i64, story: u32, text: &str) -> StoryPrint {
        let id = |n: u32| ItemId::derive("s", &n.to_string());
        StoryPrint {
            id: id(n),
            published: DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours),
            story: id(story),
            signature: Signature::of("", text),
        }
    }

    #[test]
    fn a_new_telling_finds_the_story_in_its_window_only() {
        let mut index = StoryIndex::detached();
        index.insert(print(1, 0, 1, TEXT));
        index.insert(print(2, 1, 2, "Something else entirely happened in another town with other people today."));
        let rewrite = TEXT.replace("late on Monday night", "on Monday");
        let signature = Signature::of("", &rewrite);
        let at = |hours| DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours);
        assert_eq!(index.best_match(&signature, at(5)), Some(&print(1, 0, 1, "").story));
        assert_eq!(index.best_match(&signature, at(24 * 4)), None, "outside the window");
        index.remove(&print(1, 0, 1, "").id);
        assert_eq!(index.best_match(&signature, at(5)), None, "removed");
    }

    #[test]
    fn a_story_told_hundreds_of_times_is_found_through_its_newest_tellings() {
        let mut index = StoryIndex::detached();
        index.insert(print(0, 0, 0, "A different story about the harbour master and the ferry timetable change."));
        for n in 1..300 {
            index.insert(print(n, 1, 1, &format!("{TEXT} Update {n}.")));
        }
        let found = index.best_match(&Signature::of("", TEXT), DateTime::<Utc>::UNIX_EPOCH + Duration::hours(2));
        assert_eq!(found, Some(&print(1, 0, 1, "").story));
    }

    #[test]
    fn eviction_and_compaction_keep_the_rest_matchable() {
        let mut index = StoryIndex::detached();
        for n in 0..8 {
            index.insert(print(n, i64::from(n) * 24, n, TEXT));
        }
        index.covered = Some((DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::UNIX_EPOCH + Duration::days(30)));
        index.evict_before(DateTime::<Utc>::UNIX_EPOCH + Duration::hours(6 * 24));
        index.compact();
        assert_eq!(index.entries.len(), 2, "entries 6 and 7 are left");
        let signature = Signature::of("", TEXT);
        let found = index.best_match(&signature, DateTime::<Utc>::UNIX_EPOCH + Duration::hours(7 * 24));
        assert_eq!(found, Some(&print(6, 0, 6, "").story), "the earliest of equally similar ones");
    }
}
