//! Speakers counted from quote sightings: one record per person, keyed by a
//! stable id made from the folded name, with the spellings seen, quotes and
//! items counted, per outlet, and the latest time quoted.
//!
//! Aliases: extraction already resolves the surname-only and titled mentions
//! of one article to the full name (`extract::quotes::names`), so a speaker
//! field holds that full name; what is left to merge here is spelling (case,
//! Persian letter variants, ZWNJ, punctuation), folded into the id.
//!
//! Pure: the caller gathers the sightings.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::aliases::SpeakerMap;
use crate::model::ItemId;

/// One quote by one speaker in one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// As the item shows it (the editor's correction, else as extracted).
    pub speaker: String,
    pub outlet: Option<String>,
    pub item: ItemId,
    pub published: DateTime<Utc>,
}

/// One person and how often they were quoted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpeakerSummary {
    /// Stable across spellings: `ann-mayor`.
    pub id: String,
    /// The spelling seen most often.
    pub name: String,
    /// Other spellings seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub quotes: usize,
    /// Items (articles) that quote them.
    pub items: usize,
    /// Quotes per outlet, most first.
    pub outlets: Vec<(String, usize)>,
    /// Quotes per ISO week of publication (`2026-W47`), oldest first.
    #[serde(default)]
    pub weeks: Vec<(String, usize)>,
    pub latest: DateTime<Utc>,
}

#[derive(Default)]
struct Counts {
    spellings: BTreeMap<String, usize>,
    quotes: usize,
    items: HashSet<ItemId>,
    outlets: HashMap<String, usize>,
    weeks: BTreeMap<String, usize>,
    latest: Option<DateTime<Utc>>,
}

/// Every speaker of `sightings`, most quoted first (then most recent, then
/// by id), each name resolved through the editors' `map`.
pub fn tally(sightings: &[Sighting], map: &SpeakerMap) -> Vec<SpeakerSummary> {
    let mut by_id: HashMap<String, Counts> = HashMap::new();
    for sighting in sightings {
        let name = sighting.speaker.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(id) = map.resolve(&name) else { continue };
        let counts = by_id.entry(id).or_default();
        *counts.spellings.entry(name).or_default() += 1;
        counts.quotes += 1;
        counts.items.insert(sighting.item.clone());
        if let Some(outlet) = sighting.outlet.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            *counts.outlets.entry(outlet.to_owned()).or_default() += 1;
        }
        let week = chrono::Datelike::iso_week(&sighting.published);
        *counts.weeks.entry(format!("{}-W{:02}", week.year(), week.week())).or_default() += 1;
        counts.latest = counts.latest.max(Some(sighting.published));
    }
    let mut out: Vec<SpeakerSummary> = by_id
        .into_iter()
        .filter_map(|(id, counts)| {
            // The most used spelling; ties go to the longer, then the first in order.
            let name = counts
                .spellings
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(a.0.chars().count().cmp(&b.0.chars().count())).then(b.0.cmp(a.0)))
                .map(|(name, _)| name.clone())?;
            let aliases = counts.spellings.keys().filter(|s| **s != name).cloned().collect();
            let mut outlets: Vec<(String, usize)> = counts.outlets.into_iter().collect();
            outlets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Some(SpeakerSummary {
                id,
                name,
                aliases,
                quotes: counts.quotes,
                items: counts.items.len(),
                outlets,
                weeks: counts.weeks.into_iter().collect(),
                latest: counts.latest?,
            })
        })
        .collect();
    out.sort_by(|a, b| b.quotes.cmp(&a.quotes).then(b.latest.cmp(&a.latest)).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::speakers::speaker_id;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).single().expect("valid")
    }

    fn seen(speaker: &str, outlet: &str, item: &str, day: u32) -> Sighting {
        Sighting {
            speaker: speaker.to_owned(),
            outlet: Some(outlet.to_owned()),
            item: ItemId::derive("s", item),
            published: at(day),
        }
    }

    #[test]
    fn ids_fold_spelling_case_and_punctuation() {
        assert_eq!(speaker_id("Ann  Mayor").as_deref(), Some("ann-mayor"));
        assert_eq!(speaker_id("ANN MAYOR,"), speaker_id("Ann Mayor"));
        assert_eq!(speaker_id("علي خامنه‌اي"), speaker_id("علی خامنه‌ای"));
        assert_eq!(speaker_id(" — "), None);
    }

    #[test]
    fn spellings_merge_and_counts_add_up() {
        let speakers = tally(
            &[
                seen("Ann Mayor", "Ledger", "a", 1),
                seen("Ann Mayor", "Ledger", "a", 1),
                seen("ANN MAYOR", "Wire", "b", 3),
                seen("Bob Banker", "Wire", "c", 2),
            ],
            &SpeakerMap::default(),
        );
        assert_eq!(speakers.len(), 2);
        let ann = &speakers[0];
        assert_eq!((ann.id.as_str(), ann.name.as_str(), ann.quotes, ann.items), ("ann-mayor", "Ann Mayor", 3, 2));
        assert_eq!(ann.aliases, ["ANN MAYOR"]);
        assert_eq!(ann.outlets, [("Ledger".to_owned(), 2), ("Wire".to_owned(), 1)]);
        assert_eq!(ann.latest, at(3));
        assert_eq!(ann.weeks, [("2026-W44".to_owned(), 2), ("2026-W45".to_owned(), 1)]);
        assert_eq!(speakers[1].id, "bob-banker");
    }
}
