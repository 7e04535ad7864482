//! Quote provenance (issue 16.3): the same words by the same speaker across
//! articles are one record, with every occurrence, the first outlet and
//! time, and the later repeats.
//!
//! Two forms are the same quote when their normalized words (case, quote
//! marks, punctuation and whitespace folded away, as search folds them) are
//! equal, or one is a contiguous run of the other (an outlet trimmed or
//! extended the quote) and the shorter has at least [`SHINGLE`] words: below
//! that, "we will win" would join every longer quote that contains it. A
//! record keeps the longest form. The same words by two speakers stay two
//! records.
//!
//! Finding candidates never scans all records: a record is indexed under the
//! hashes of its longest form's word shingles ([`SHINGLE`] words, per
//! speaker), and a quote contained in it, or containing it, shares at least
//! one shingle with it. The store keeps that index beside the records and
//! hands [`apply`] only the records sharing a key with the item's quotes.
//!
//! Pure: the caller reads the candidates and writes the [`Change`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::aliases::speaker_id;
use crate::model::{Item, ItemId, Quote};
use crate::search::fold::{is_word_char, push_folded};

/// Words per shingle, and the fewest words a trimmed form may keep and
/// still join a longer one.
pub const SHINGLE: usize = 4;

/// Words of a form that count (a longer quote is cut here, so one quote
/// cannot write thousands of index keys).
const MAX_WORDS: usize = 400;

/// One quote as one article ran it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub item: ItemId,
    /// The quote's id within the item.
    pub quote: String,
    pub outlet: Option<String>,
    pub published: DateTime<Utc>,
    /// As this article worded it.
    pub text: String,
}

/// A quote of an item, as [`apply`] takes it: who said it (a speaker id,
/// `""` for unknown) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteSighting {
    pub speaker: String,
    pub occurrence: Occurrence,
}

/// One quote across the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteRecord {
    /// Stable: made from the speaker and the first occurrence it was created for.
    pub id: String,
    /// The speaker's id (`speakers::speaker_id`), `""` when unknown.
    pub speaker: String,
    /// The longest form seen.
    pub text: String,
    /// Oldest first.
    pub occurrences: Vec<Occurrence>,
}

impl QuoteRecord {
    /// Where it first appeared.
    pub fn first(&self) -> Option<&Occurrence> {
        self.occurrences.first()
    }

    /// The outlets that ran it after the first one did, each once, in order
    /// of their first repeat (the first outlet repeating itself not counted).
    pub fn repeated_by(&self) -> Vec<&str> {
        let first = self.first().and_then(|o| o.outlet.as_deref());
        let mut seen = BTreeSet::new();
        self.occurrences
            .iter()
            .skip(1)
            .filter_map(|o| o.outlet.as_deref())
            .filter(|outlet| Some(*outlet) != first && seen.insert(*outlet))
            .collect()
    }

    /// The keys this record is found under (see the module docs).
    pub fn keys(&self) -> Vec<String> {
        keys_of(&self.speaker, &words(&self.text))
    }
}

/// What [`apply`] decided: records to write (new or changed) and records to drop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub put: Vec<QuoteRecord>,
    pub removed: Vec<String>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.removed.is_empty()
    }
}

/// An item's quotes as provenance records them: the words as the article
/// ran them, the speaker as the editor corrected it (else as extracted,
/// `""` when unknown), the outlet likewise (else the item's).
pub fn sightings_of(item: &Item, quotes: Vec<Quote>) -> Vec<QuoteSighting> {
    item.editor
        .with_added(quotes)
        .into_iter()
        .map(|quote| {
            let fix = item.editor.quote_overrides.get(&quote.id);
            let speaker = fix.and_then(|f| f.speaker.clone()).or(quote.speaker);
            let outlet = fix.and_then(|f| f.outlet.clone()).or(quote.outlet).or_else(|| item.outlet.clone());
            QuoteSighting {
                speaker: speaker.as_deref().and_then(speaker_id).unwrap_or_default(),
                occurrence: Occurrence {
                    item: item.id.clone(),
                    quote: quote.id,
                    outlet,
                    published: item.published,
                    text: quote.text,
                },
            }
        })
        .collect()
}

/// A form's words as provenance compares them.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_word_char(c) {
            push_folded(c, &mut word);
        } else if !word.is_empty() {
            if out.len() == MAX_WORDS {
                break;
            }
            out.push(std::mem::take(&mut word));
        }
    }
    out
}

fn hashed(speaker: &str, tag: &str, words: &[String]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(speaker.as_bytes());
    hasher.update(b"\0");
    hasher.update(tag.as_bytes());
    for word in words {
        hasher.update(b"\0");
        hasher.update(word.as_bytes());
    }
    hasher.finalize().to_hex()[..32].to_owned()
}

/// The index keys of a form: its shingles, or the whole form when it is
/// shorter than one (such a form only ever matches its equal).
pub fn keys_of(speaker: &str, words: &[String]) -> Vec<String> {
    if words.len() < SHINGLE {
        return if words.is_empty() { Vec::new() } else { vec![hashed(speaker, "=", words)] };
    }
    let keys: BTreeSet<String> = words.windows(SHINGLE).map(|w| hashed(speaker, "s", w)).collect();
    keys.into_iter().collect()
}

/// Whether `short` is a contiguous run of `long` that may stand for it.
fn within(long: &[String], short: &[String]) -> bool {
    if short.is_empty() || short.len() > long.len() {
        return false;
    }
    if short.len() < SHINGLE {
        return short == long;
    }
    long.windows(short.len()).any(|w| w == short)
}

/// Whether two forms are the same quote.
pub fn same_quote(a: &[String], b: &[String]) -> bool {
    within(a, b) || within(b, a)
}

fn order(a: &Occurrence, b: &Occurrence) -> std::cmp::Ordering {
    a.published.cmp(&b.published).then_with(|| a.item.cmp(&b.item)).then_with(|| a.quote.cmp(&b.quote))
}

/// Sorts the occurrences and keeps the longest form (the earliest of equal length).
fn settle(record: &mut QuoteRecord) {
    record.occurrences.sort_by(order);
    record.occurrences.dedup_by(|a, b| a.item == b.item && a.quote == b.quote);
    let longest = record.occurrences.iter().map(|o| (words(&o.text).len(), o)).max_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| order(b.1, a.1)) // longer wins; then the earlier
    });
    if let Some((_, o)) = longest {
        record.text.clone_from(&o.text);
    }
}

/// A fresh id: the record that first held this occurrence may still exist
/// under the plain hash (its other occurrences kept it), so a taken id is
/// salted until free. The store only ever sees ids from here.
fn new_id(speaker: &str, occurrence: &Occurrence, taken: &BTreeMap<String, QuoteRecord>) -> String {
    let mut salt = 0u32;
    loop {
        let mut hasher = blake3::Hasher::new();
        for part in [speaker, occurrence.item.as_str(), occurrence.quote.as_str(), occurrence.text.as_str()] {
            hasher.update(part.as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(&salt.to_be_bytes());
        let id = hasher.finalize().to_hex()[..24].to_owned();
        if !taken.contains_key(&id) {
            return id;
        }
        salt += 1;
    }
}

/// Records `item`'s quotes (`sightings`, all of that item's) among the
/// `known` records: those already holding an occurrence in `item` and those
/// sharing a key with a sighting (more do no harm). What the item had
/// before is replaced, so a refetch with the same quotes changes nothing.
///
/// A sighting joins every record of its speaker that holds the same quote;
/// when it joins several, they are merged into the oldest (the words were
/// one quote all along: a long form bridging two trimmed ones).
pub fn apply(item: &ItemId, sightings: &[QuoteSighting], known: &[QuoteRecord]) -> Change {
    let mut records: BTreeMap<String, QuoteRecord> = known.iter().map(|r| (r.id.clone(), r.clone())).collect();
    for record in records.values_mut() {
        record.occurrences.retain(|o| &o.item != item);
        settle(record);
    }
    records.retain(|_, r| !r.occurrences.is_empty());
    for sighting in sightings {
        let form = words(&sighting.occurrence.text);
        if form.is_empty() {
            continue;
        }
        let mut matching: Vec<&QuoteRecord> =
            records.values().filter(|r| r.speaker == sighting.speaker && same_quote(&words(&r.text), &form)).collect();
        matching.sort_by(|a, b| match (a.first(), b.first()) {
            (Some(x), Some(y)) => order(x, y).then_with(|| a.id.cmp(&b.id)),
            _ => a.id.cmp(&b.id),
        });
        let ids: Vec<String> = matching.iter().map(|r| r.id.clone()).collect();
        let mut target = match ids.first() {
            Some(id) => records.remove(id).expect("the id was just read from the map"),
            None => QuoteRecord {
                id: new_id(&sighting.speaker, &sighting.occurrence, &records),
                speaker: sighting.speaker.clone(),
                text: String::new(),
                occurrences: Vec::new(),
            },
        };
        for id in ids.iter().skip(1) {
            if let Some(other) = records.remove(id) {
                target.occurrences.extend(other.occurrences);
            }
        }
        target.occurrences.push(sighting.occurrence.clone());
        settle(&mut target);
        records.insert(target.id.clone(), target);
    }
    let before: BTreeMap<&str, &QuoteRecord> = known.iter().map(|r| (r.id.as_str(), r)).collect();
    Change {
        put: records.values().filter(|r| before.get(r.id.as_str()) != Some(r)).cloned().collect(),
        removed: before.keys().filter(|id| !records.contains_key(**id)).map(|id| (*id).to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).single().expect("valid")
    }

    fn seen(speaker: &str, item: &str, outlet: &str, day: u32, text: &str) -> QuoteSighting {
        QuoteSighting {
            speaker: speaker.to_owned(),
            occurrence: Occurrence {
                item: ItemId::derive("s", item),
                quote: format!("q-{item}"),
                outlet: Some(outlet.to_owned()),
                published: at(day),
                text: text.to_owned(),
            },
        }
    }

    /// Applies each sighting as its own item's ingest, the way the store does.
    fn ingest(records: &mut Vec<QuoteRecord>, sighting: &QuoteSighting) -> Change {
        let change = apply(&sighting.occurrence.item, std::slice::from_ref(sighting), records);
        records.retain(|r| !change.removed.contains(&r.id) && !change.put.iter().any(|p| p.id == r.id));
        records.extend(change.put.iter().cloned());
        change
    }

    #[test]
    fn normalizing_folds_case_marks_punctuation_and_spaces() {
        assert_eq!(words("“We  will NOT back down,” — ok"), words("\"we will not back down\" ok"));
        assert_eq!(words("don’t"), words("don't"));
    }

    #[test]
    fn trimmed_and_extended_forms_are_one_record_with_the_longest_kept() {
        let mut records = Vec::new();
        ingest(&mut records, &seen("ann", "a", "Ledger", 2, "We will not back down on the budget"));
        ingest(&mut records, &seen("ann", "b", "Wire", 1, "“we will not back down”"));
        ingest(&mut records, &seen("ann", "c", "Post", 3, "We will not back down on the budget, whatever it costs"));
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.occurrences.len(), 3);
        assert_eq!(record.first().and_then(|o| o.outlet.as_deref()), Some("Wire"));
        assert_eq!(record.text, "We will not back down on the budget, whatever it costs");
        assert_eq!(record.repeated_by(), ["Ledger", "Post"]);
    }

    #[test]
    fn same_words_by_another_speaker_stay_apart() {
        let mut records = Vec::new();
        ingest(&mut records, &seen("ann", "a", "Ledger", 1, "We will not back down"));
        ingest(&mut records, &seen("bob", "b", "Ledger", 2, "We will not back down"));
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn short_forms_join_only_their_equal() {
        let mut records = Vec::new();
        ingest(&mut records, &seen("ann", "a", "Ledger", 1, "we will win the vote today"));
        ingest(&mut records, &seen("ann", "b", "Wire", 2, "we will win"));
        assert_eq!(records.len(), 2);
        ingest(&mut records, &seen("ann", "c", "Post", 3, "We will win!"));
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn a_refetch_changes_nothing_and_an_edit_moves_the_occurrence() {
        let mut records = Vec::new();
        let first = seen("ann", "a", "Ledger", 1, "We will not back down now");
        ingest(&mut records, &first);
        ingest(&mut records, &seen("ann", "b", "Wire", 2, "We will not back down now"));
        assert!(ingest(&mut records, &first).is_empty());
        // The page was edited: its quote is now other words.
        let edited = seen("ann", "a", "Ledger", 1, "Nothing of the kind was ever agreed");
        let change = ingest(&mut records, &edited);
        assert_eq!(change.put.len(), 2, "{change:?}");
        assert_eq!(records.len(), 2);
        assert!(records.iter().all(|r| r.occurrences.len() == 1));
    }

    #[test]
    fn a_bridging_form_merges_two_records_into_the_oldest() {
        let mut records = Vec::new();
        ingest(&mut records, &seen("ann", "a", "Ledger", 1, "alpha beta gamma delta"));
        ingest(&mut records, &seen("ann", "b", "Wire", 2, "epsilon zeta eta theta"));
        let change =
            ingest(&mut records, &seen("ann", "c", "Post", 3, "alpha beta gamma delta epsilon zeta eta theta"));
        assert_eq!(change.removed.len(), 1);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].first().map(|o| o.item.clone()), Some(ItemId::derive("s", "a")));
    }

    #[test]
    fn contained_forms_share_a_key() {
        let long = words("one two three four five six seven");
        let short = words("three four five six");
        let long_keys: BTreeSet<String> = keys_of("x", &long).into_iter().collect();
        assert!(keys_of("x", &short).iter().all(|k| long_keys.contains(k)));
        assert!(keys_of("y", &short).iter().all(|k| !long_keys.contains(k)));
    }
}
