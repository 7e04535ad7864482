//! Editors' merges and splits of speakers (issue 16.2): what the folded
//! name alone cannot tell.
//!
//! A name's raw id is [`speaker_id`] of it. A *merge* sends a raw id to
//! another speaker ("Mayor Ann" is Ann Mayor); a *split* gives one exact
//! spelling an id of its own (two people whose names fold alike), or undoes
//! the merge that brought an alias in. The map is stored as editors leave
//! it, with its history, and never recomputed by an ingest: every reader
//! resolves names through it.
//!
//! Pure: the store keeps the map.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::search::fold::{is_word_char, push_folded};

/// Longest chain of merges followed (a cycle cannot be stored, but a hand-edited
/// record could hold one: resolution stops rather than loops).
const MAX_HOPS: usize = 32;

/// One editor's change, as the speaker pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerEdit {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `merge` or `split`.
    pub action: String,
    pub detail: String,
}

/// Why a merge or split was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeakerEditError {
    #[error("{id:?} is not a speaker id")]
    BadId { id: String },
    #[error("cannot merge {id:?} into itself")]
    SameSpeaker { id: String },
    #[error("{alias:?} is the only name of {id:?}: there is nothing to split off")]
    NothingToSplit { id: String, alias: String },
}

/// The id of a speaker's name: its folded words joined by `-`; `None` for
/// a name with no word in it.
pub fn speaker_id(name: &str) -> Option<String> {
    let mut id = String::new();
    let mut word = String::new();
    for c in name.chars().chain(std::iter::once(' ')) {
        if is_word_char(c) {
            push_folded(c, &mut word);
        } else if !word.is_empty() {
            if !id.is_empty() {
                id.push('-');
            }
            id.push_str(&word);
            word.clear();
        }
    }
    (!id.is_empty()).then_some(id)
}

/// Editors' merges and splits, with who made them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerMap {
    /// Raw id → the speaker it was merged into.
    #[serde(default)]
    pub merges: BTreeMap<String, String>,
    /// Exact spelling (spaces collapsed) → the id split off for it.
    #[serde(default)]
    pub splits: BTreeMap<String, String>,
    /// Oldest first.
    #[serde(default)]
    pub history: Vec<SpeakerEdit>,
}

fn spelling(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl SpeakerMap {
    /// The speaker an id stands for now (itself when never merged).
    pub fn resolve_id(&self, id: &str) -> String {
        let mut current = id;
        for _ in 0..MAX_HOPS {
            match self.merges.get(current) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        current.to_owned()
    }

    /// The speaker a name as written stands for; `None` for a name with no word.
    pub fn resolve(&self, name: &str) -> Option<String> {
        let split = self.splits.get(&spelling(name)).cloned();
        split.or_else(|| speaker_id(name)).map(|id| self.resolve_id(&id))
    }

    /// Every id that resolves to the same speaker as `id` (itself included),
    /// sorted: what a `speaker:` filter for it must match.
    pub fn group(&self, id: &str) -> Vec<String> {
        let target = self.resolve_id(id);
        let mut out: BTreeSet<String> = self
            .merges
            .keys()
            .chain(self.merges.values())
            .filter(|other| self.resolve_id(other) == target)
            .cloned()
            .collect();
        out.insert(target);
        out.into_iter().collect()
    }

    /// For search: each merged id → the names (folded words) of its whole group.
    pub fn search_groups(&self) -> HashMap<String, Vec<String>> {
        let mut out = HashMap::new();
        for id in self.merges.keys().chain(self.merges.values()) {
            let names = self.group(id).iter().map(|g| g.replace('-', " ")).collect();
            out.insert(id.clone(), names);
        }
        out
    }

    /// Merges speaker `from` into speaker `into` (both as resolved ids).
    pub fn merge(&mut self, from: &str, into: &str, actor: &str, at: DateTime<Utc>) -> Result<(), SpeakerEditError> {
        for id in [from, into] {
            if speaker_id(&id.replace('-', " ")).as_deref() != Some(id) && !self.splits.values().any(|s| s == id) {
                return Err(SpeakerEditError::BadId { id: id.to_owned() });
            }
        }
        let (from_now, into_now) = (self.resolve_id(from), self.resolve_id(into));
        if from_now == into_now {
            return Err(SpeakerEditError::SameSpeaker { id: from.to_owned() });
        }
        self.merges.insert(from_now.clone(), into_now.clone());
        self.history.push(SpeakerEdit {
            at,
            actor: actor.to_owned(),
            action: "merge".to_owned(),
            detail: format!("{from_now} → {into_now}"),
        });
        Ok(())
    }

    /// Splits the spelling `alias` off speaker `id` (whose names, as
    /// written, are `names`). An alias that came in by a merge leaves with
    /// its whole former speaker; one that folds to `id` itself gets an id of
    /// its own (`id-2`, `id-3`, ...). Returns the alias's new id.
    pub fn split(
        &mut self,
        id: &str,
        alias: &str,
        names: &[String],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<String, SpeakerEditError> {
        let alias = spelling(alias);
        let raw = speaker_id(&alias).ok_or_else(|| SpeakerEditError::BadId { id: alias.clone() })?;
        let nothing = || SpeakerEditError::NothingToSplit { id: id.to_owned(), alias: alias.clone() };
        if self.resolve(&alias).as_deref() != Some(id) {
            return Err(nothing());
        }
        let others = names.iter().filter(|n| spelling(n) != alias).count();
        let new_id = if let Some(own) = self.splits.get(&alias).filter(|own| *own != id).cloned() {
            // A split spelling merged back: undo that merge.
            self.merges.remove(&own);
            own
        } else if raw != id {
            // Merged in under its raw id (directly or through a chain):
            // the link that ends at `id` goes.
            let mut hop = raw.clone();
            for _ in 0..MAX_HOPS {
                match self.merges.get(&hop) {
                    Some(next) if next == id => break,
                    Some(next) => hop = next.clone(),
                    None => break,
                }
            }
            self.merges.remove(&hop);
            raw
        } else {
            if others == 0 {
                return Err(nothing());
            }
            let taken: BTreeSet<&String> =
                self.merges.keys().chain(self.merges.values()).chain(self.splits.values()).collect();
            // At most `taken.len()` candidates are taken, so this many tries find a free one.
            let fresh = (2..taken.len() + 3)
                .map(|n| format!("{id}-{n}"))
                .find(|c| !taken.contains(c))
                .expect("one of taken.len() + 1 candidates is free");
            self.splits.insert(alias.clone(), fresh.clone());
            fresh
        };
        self.history.push(SpeakerEdit {
            at,
            actor: actor.to_owned(),
            action: "split".to_owned(),
            detail: format!("{alias:?} off {id} → {new_id}"),
        });
        Ok(new_id)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().expect("valid")
    }

    #[test]
    fn a_merge_resolves_the_alias_and_a_split_undoes_it() {
        let mut map = SpeakerMap::default();
        map.merge("mayor-ann", "ann-mayor", "ed", now()).expect("merge");
        assert_eq!(map.resolve("Mayor Ann").as_deref(), Some("ann-mayor"));
        assert_eq!(map.group("mayor-ann"), ["ann-mayor", "mayor-ann"]);
        assert_eq!(map.search_groups()["ann-mayor"], ["ann mayor", "mayor ann"]);
        let names = ["Ann Mayor".to_owned(), "Mayor Ann".to_owned()];
        let new_id = map.split("ann-mayor", "Mayor Ann", &names, "ed", now()).expect("split");
        assert_eq!(new_id, "mayor-ann");
        assert_eq!(map.resolve("Mayor Ann").as_deref(), Some("mayor-ann"));
        assert_eq!(map.history.len(), 2);
    }

    #[test]
    fn a_spelling_that_folds_alike_splits_to_a_fresh_id() {
        let mut map = SpeakerMap::default();
        let names = ["Ann Mayor".to_owned(), "ANN MAYOR".to_owned()];
        let new_id = map.split("ann-mayor", "ANN  MAYOR", &names, "ed", now()).expect("split");
        assert_eq!(new_id, "ann-mayor-2");
        assert_eq!(map.resolve("ANN MAYOR").as_deref(), Some("ann-mayor-2"));
        assert_eq!(map.resolve("Ann Mayor").as_deref(), Some("ann-mayor"));
        // And merged back, then split again, it reuses its id.
        map.merge("ann-mayor-2", "ann-mayor", "ed", now()).expect("merge back");
        assert_eq!(map.resolve("ANN MAYOR").as_deref(), Some("ann-mayor"));
        assert_eq!(map.split("ann-mayor", "ANN MAYOR", &names, "ed", now()).as_deref(), Ok("ann-mayor-2"));
    }

    #[test]
    fn refused_edits_change_nothing() {
        let mut map = SpeakerMap::default();
        assert!(matches!(map.merge("ann-mayor", "ann-mayor", "ed", now()), Err(SpeakerEditError::SameSpeaker { .. })));
        assert!(matches!(map.merge("Ann Mayor", "bob", "ed", now()), Err(SpeakerEditError::BadId { .. })));
        let only = ["Ann Mayor".to_owned()];
        assert!(map.split("ann-mayor", "Ann Mayor", &only, "ed", now()).is_err());
        assert!(map.split("ann-mayor", "Bob Banker", &only, "ed", now()).is_err());
        assert_eq!(map, SpeakerMap::default());
    }

    #[test]
    fn a_merge_cycle_is_impossible_and_chains_resolve() {
        let mut map = SpeakerMap::default();
        map.merge("a", "b", "ed", now()).expect("a→b");
        map.merge("b", "c", "ed", now()).expect("b→c");
        assert_eq!(map.resolve_id("a"), "c");
        assert!(map.merge("c", "a", "ed", now()).is_err(), "c and a are one speaker already");
    }
}
