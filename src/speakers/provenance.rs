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
//! A record is stored as its [`QuoteSummary`] (speaker, longest form, first
//! and last occurrence, count), its occurrences apart, one entry each: a
//! popular quote is repeated by hundreds of articles, and a record that held
//! them inline was read, re-folded and rewritten whole for each new one
//! (quadratic; a cold poll of 4,000 copies of one quote took 12 times as
//! long). [`apply`] works over summaries, so adding an occurrence costs the
//! same however many the record has; only taking out an occurrence the
//! summary names (first, last or longest) needs them all ([`Reread`]).
//! Readers get [`QuoteRecord`]: the summary's fields with every occurrence.
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

impl Occurrence {
    /// Where it sorts among its record's occurrences.
    pub fn spot(&self) -> Spot {
        Spot { published: self.published, item: self.item.clone(), quote: self.quote.clone() }
    }

    fn is(&self, spot: &Spot) -> bool {
        self.published == spot.published && self.item == spot.item && self.quote == spot.quote
    }
}

/// An occurrence's place in its record: oldest first, then by item and
/// quote id (the field order is the order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Spot {
    pub published: DateTime<Utc>,
    pub item: ItemId,
    pub quote: String,
}

/// A quote of an item, as [`apply`] takes it: who said it (a speaker id,
/// `""` for unknown) and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteSighting {
    pub speaker: String,
    pub occurrence: Occurrence,
}

/// One quote across the archive as stored: what its occurrences add up to,
/// without them (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteSummary {
    /// Stable: made from the speaker and the first occurrence it was created for.
    pub id: String,
    /// The speaker's id (`speakers::speaker_id`), `""` when unknown.
    pub speaker: String,
    /// The longest form seen (the earliest of equal length).
    pub text: String,
    /// Its words as [`words`] counts them.
    pub words: usize,
    /// The occurrence that ran it.
    pub longest: Spot,
    /// Where it first appeared.
    pub first: Occurrence,
    /// The newest occurrence.
    pub last: Spot,
    pub count: usize,
}

impl QuoteSummary {
    /// The keys this record is found under (see the module docs).
    pub fn keys(&self) -> Vec<String> {
        keys_of(&self.speaker, &words(&self.text))
    }

    /// A record of one occurrence.
    fn of(id: String, speaker: String, occurrence: Occurrence, words: usize) -> Self {
        let spot = occurrence.spot();
        Self {
            id,
            speaker,
            text: occurrence.text.clone(),
            words,
            longest: spot.clone(),
            last: spot,
            first: occurrence,
            count: 1,
        }
    }

    /// Counts in one more occurrence of `words` words.
    fn absorb(&mut self, occurrence: &Occurrence, words: usize) {
        let spot = occurrence.spot();
        if words > self.words || (words == self.words && spot < self.longest) {
            self.text.clone_from(&occurrence.text);
            self.words = words;
            self.longest = spot.clone();
        }
        if spot < self.first.spot() {
            self.first = occurrence.clone();
        }
        if spot > self.last {
            self.last = spot;
        }
        self.count += 1;
    }

    /// Counts in another record's occurrences (none shared with these).
    fn join(&mut self, other: Self) {
        if other.words > self.words || (other.words == self.words && other.longest < self.longest) {
            self.text = other.text;
            self.words = other.words;
            self.longest = other.longest;
        }
        if other.first.spot() < self.first.spot() {
            self.first = other.first;
        }
        if other.last > self.last {
            self.last = other.last;
        }
        self.count += other.count;
    }

    /// Whether taking `occurrence` out changes more than the count.
    fn names(&self, occurrence: &Occurrence) -> bool {
        occurrence.is(&self.first.spot()) || occurrence.is(&self.last) || occurrence.is(&self.longest)
    }
}

/// The summary of `occurrences` (any order; one per item and quote), `None`
/// when there are none.
pub fn summarize(id: &str, speaker: &str, occurrences: &[Occurrence]) -> Option<QuoteSummary> {
    let mut them = occurrences.iter();
    let first = them.next()?;
    let mut summary = QuoteSummary::of(id.to_owned(), speaker.to_owned(), first.clone(), words(&first.text).len());
    for occurrence in them {
        summary.absorb(occurrence, words(&occurrence.text).len());
    }
    Some(summary)
}

/// One quote across the archive as readers see it: the record with every
/// occurrence, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteRecord {
    pub id: String,
    /// The speaker's id (`speakers::speaker_id`), `""` when unknown.
    pub speaker: String,
    /// The longest form seen.
    pub text: String,
    /// Oldest first.
    pub occurrences: Vec<Occurrence>,
}

impl QuoteRecord {
    /// A summary with its occurrences (as stored, in any order).
    pub fn from_parts(summary: QuoteSummary, mut occurrences: Vec<Occurrence>) -> Self {
        occurrences.sort_by_cached_key(Occurrence::spot);
        Self { id: summary.id, speaker: summary.speaker, text: summary.text, occurrences }
    }

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
}

/// A record [`apply`] may change, as the store read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub summary: QuoteSummary,
    /// The item's own occurrences in it (the store's item index).
    pub held: Vec<Occurrence>,
    /// Every occurrence it has, only when [`apply`] asked for them ([`Reread`]).
    pub all: Option<Vec<Occurrence>>,
}

impl Known {
    pub fn new(summary: QuoteSummary, held: Vec<Occurrence>) -> Self {
        Self { summary, held, all: None }
    }
}

/// What [`apply`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Summaries new or changed.
    pub put: Vec<QuoteSummary>,
    /// Records gone: emptied, or merged into another.
    pub removed: Vec<String>,
    /// `(from, into)`: every occurrence a known record `from` still holds
    /// (those in [`Change::dropped`] aside) now belongs to `into`.
    pub merged: Vec<(String, String)>,
    /// The item's occurrences taken out, with the record that held them.
    pub dropped: Vec<(String, Occurrence)>,
    /// The item's occurrences put in, with the record that now holds them.
    pub added: Vec<(String, Occurrence)>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.removed.is_empty() && self.dropped.is_empty() && self.added.is_empty()
    }
}

/// [`apply`] takes out an occurrence that a record's summary names (its
/// first, last or longest): it needs every occurrence of these records
/// ([`Known::all`]) to say what the summary becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reread(pub Vec<String>);

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

/// A fresh id: the record that first held this occurrence may still exist
/// under the plain hash (its other occurrences kept it), so a taken id is
/// salted until free. The store only ever sees ids from here.
fn new_id(speaker: &str, occurrence: &Occurrence, taken: impl Fn(&str) -> bool) -> String {
    let mut salt = 0u32;
    loop {
        let mut hasher = blake3::Hasher::new();
        for part in [speaker, occurrence.item.as_str(), occurrence.quote.as_str(), occurrence.text.as_str()] {
            hasher.update(part.as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(&salt.to_be_bytes());
        let id = hasher.finalize().to_hex()[..24].to_owned();
        if !taken(&id) {
            return id;
        }
        salt += 1;
    }
}

/// Records `item`'s quotes (`sightings`, all of that item's) among the
/// `known` records: those already holding an occurrence in `item` (with
/// [`Known::held`]) and those sharing a key with a sighting (more do no
/// harm). What the item had before is replaced: an occurrence that did not
/// change stays in its record, so a refetch with the same quotes changes
/// nothing; the others are taken out and the new ones recorded.
///
/// A sighting joins every record of its speaker that holds the same quote;
/// when it joins several, they are merged into the oldest (the words were
/// one quote all along: a long form bridging two trimmed ones).
///
/// Adding never needs a record's other occurrences; taking out one its
/// summary names does, and then this returns [`Reread`]: call again with
/// [`Known::all`] filled for those records.
pub fn apply(item: &ItemId, sightings: &[QuoteSighting], known: &[Known]) -> Result<Change, Reread> {
    let mut records: BTreeMap<String, QuoteSummary> =
        known.iter().map(|k| (k.summary.id.clone(), k.summary.clone())).collect();
    let mut once = BTreeSet::new();
    let sightings: Vec<&QuoteSighting> =
        sightings.iter().filter(|s| once.insert((&s.occurrence.item, &s.occurrence.quote))).collect();

    // An unchanged occurrence stays where it is.
    let mut kept: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut fresh = Vec::new();
    for sighting in sightings {
        let home = known.iter().find(|k| {
            k.summary.speaker == sighting.speaker
                && k.held.contains(&sighting.occurrence)
                && !kept.contains(&(k.summary.id.as_str(), sighting.occurrence.quote.as_str()))
        });
        match home {
            Some(k) => {
                kept.insert((&k.summary.id, &sighting.occurrence.quote));
            }
            None => fresh.push(sighting),
        }
    }
    let mut change = Change::default();
    take_out(item, known, &kept, &mut records, &mut change)?;
    let merged_into = put_in(&fresh, known, &mut records, &mut change);

    let resolve = |id: &str| {
        let mut id = id.to_owned();
        while let Some(next) = merged_into.get(&id) {
            id.clone_from(next);
        }
        id
    };
    for (record, _) in &mut change.added {
        *record = resolve(record);
    }
    let before: BTreeMap<&str, &QuoteSummary> = known.iter().map(|k| (k.summary.id.as_str(), &k.summary)).collect();
    change.merged =
        merged_into.keys().filter(|id| before.contains_key(id.as_str())).map(|id| (id.clone(), resolve(id))).collect();
    change.put = records.values().filter(|r| before.get(r.id.as_str()) != Some(r)).cloned().collect();
    change.removed = before.keys().filter(|id| !records.contains_key(**id)).map(|id| (*id).to_owned()).collect();
    Ok(change)
}

/// Takes the item's occurrences that were not `kept` out of their records'
/// summaries (an emptied record leaves `records`).
fn take_out(
    item: &ItemId,
    known: &[Known],
    kept: &BTreeSet<(&str, &str)>,
    records: &mut BTreeMap<String, QuoteSummary>,
    change: &mut Change,
) -> Result<(), Reread> {
    let mut reread = Vec::new();
    for k in known {
        let id = k.summary.id.as_str();
        let out: Vec<&Occurrence> =
            k.held.iter().filter(|o| &o.item == item && !kept.contains(&(id, o.quote.as_str()))).collect();
        if out.is_empty() {
            continue;
        }
        change.dropped.extend(out.iter().map(|o| (id.to_owned(), (*o).clone())));
        let summary = records.get_mut(id).expect("every known record was put in the map");
        if !out.iter().any(|o| summary.names(o)) {
            summary.count = summary.count.saturating_sub(out.len());
            continue;
        }
        let Some(all) = &k.all else {
            reread.push(id.to_owned());
            continue;
        };
        let rest: Vec<Occurrence> =
            all.iter().filter(|o| !out.iter().any(|d| d.item == o.item && d.quote == o.quote)).cloned().collect();
        match summarize(id, &k.summary.speaker, &rest) {
            Some(fresh) => *summary = fresh,
            None => {
                records.remove(id);
            }
        }
    }
    if reread.is_empty() { Ok(()) } else { Err(Reread(reread)) }
}

/// Puts each `fresh` sighting in the records holding the same quote (each
/// record's form folded once, not per comparison), merging them into the
/// oldest, or in a new record. Returns which record went into which.
fn put_in(
    fresh: &[&QuoteSighting],
    known: &[Known],
    records: &mut BTreeMap<String, QuoteSummary>,
    change: &mut Change,
) -> BTreeMap<String, String> {
    let mut forms: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut merged_into: BTreeMap<String, String> = BTreeMap::new();
    let was_known: BTreeSet<&str> = known.iter().map(|k| k.summary.id.as_str()).collect();
    for sighting in fresh {
        let occurrence = &sighting.occurrence;
        let form = words(&occurrence.text);
        if form.is_empty() {
            continue;
        }
        let mut matching: Vec<(Spot, String)> = Vec::new();
        for record in records.values().filter(|r| r.speaker == sighting.speaker) {
            let theirs = forms.entry(record.id.clone()).or_insert_with(|| words(&record.text));
            if same_quote(theirs, &form) {
                matching.push((record.first.spot(), record.id.clone()));
            }
        }
        matching.sort();
        let Some((_, target)) = matching.first().cloned() else {
            let id = new_id(&sighting.speaker, occurrence, |id| {
                records.contains_key(id) || was_known.contains(id) || merged_into.contains_key(id)
            });
            let record = QuoteSummary::of(id.clone(), sighting.speaker.clone(), occurrence.clone(), form.len());
            records.insert(id.clone(), record);
            forms.insert(id.clone(), form);
            change.added.push((id, occurrence.clone()));
            continue;
        };
        for (_, other) in matching.iter().skip(1) {
            let other_record = records.remove(other).expect("a matching record is in the map");
            forms.remove(other);
            forms.remove(&target);
            records.get_mut(&target).expect("the target is in the map").join(other_record);
            merged_into.insert(other.clone(), target.clone());
        }
        let record = records.get_mut(&target).expect("the target is in the map");
        let longest = record.longest.clone();
        record.absorb(occurrence, form.len());
        if record.longest != longest {
            forms.insert(target.clone(), form);
        }
        change.added.push((target, occurrence.clone()));
    }
    merged_into
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

    /// A store as the real ones keep it: summaries, occurrences apart.
    #[derive(Default)]
    struct Sim {
        records: BTreeMap<String, QuoteSummary>,
        occurrences: BTreeMap<String, Vec<Occurrence>>,
        rereads: usize,
    }

    impl Sim {
        /// Records one item's sightings the way a store does: every record
        /// as a candidate, a second call when `apply` asks for occurrences.
        fn record(&mut self, item: &ItemId, sightings: &[QuoteSighting]) -> Change {
            let mut known: Vec<Known> = self
                .records
                .values()
                .map(|r| {
                    let held = self.occurrences[&r.id].iter().filter(|o| &o.item == item).cloned().collect();
                    Known::new(r.clone(), held)
                })
                .collect();
            let change = match apply(item, sightings, &known) {
                Ok(change) => change,
                Err(Reread(ids)) => {
                    self.rereads += 1;
                    for k in &mut known {
                        if ids.contains(&k.summary.id) {
                            k.all = Some(self.occurrences[&k.summary.id].clone());
                        }
                    }
                    apply(item, sightings, &known).expect("every record asked for was read")
                }
            };
            for (id, o) in &change.dropped {
                self.occurrences.entry(id.clone()).or_default().retain(|x| x != o);
            }
            for (from, into) in &change.merged {
                let moved = self.occurrences.remove(from).unwrap_or_default();
                self.occurrences.entry(into.clone()).or_default().extend(moved);
            }
            for (id, o) in &change.added {
                self.occurrences.entry(id.clone()).or_default().push(o.clone());
            }
            for id in &change.removed {
                self.records.remove(id);
                assert!(self.occurrences.remove(id).is_none_or(|o| o.is_empty()), "{id} removed with occurrences");
            }
            for record in &change.put {
                self.records.insert(record.id.clone(), record.clone());
            }
            for record in self.records.values() {
                let all = &self.occurrences[&record.id];
                assert_eq!(Some(record), summarize(&record.id, &record.speaker, all).as_ref(), "kept up to date");
            }
            change
        }

        fn ingest(&mut self, sighting: &QuoteSighting) -> Change {
            self.record(&sighting.occurrence.item.clone(), std::slice::from_ref(sighting))
        }

        fn all(&self) -> Vec<QuoteRecord> {
            self.records.values().map(|r| QuoteRecord::from_parts(r.clone(), self.occurrences[&r.id].clone())).collect()
        }
    }

    #[test]
    fn normalizing_folds_case_marks_punctuation_and_spaces() {
        assert_eq!(words("“We  will NOT back down,” — ok"), words("\"we will not back down\" ok"));
        assert_eq!(words("don’t"), words("don't"));
    }

    #[test]
    fn trimmed_and_extended_forms_are_one_record_with_the_longest_kept() {
        let mut sim = Sim::default();
        sim.ingest(&seen("ann", "a", "Ledger", 2, "We will not back down on the budget"));
        sim.ingest(&seen("ann", "b", "Wire", 1, "“we will not back down”"));
        sim.ingest(&seen("ann", "c", "Post", 3, "We will not back down on the budget, whatever it costs"));
        let records = sim.all();
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.occurrences.len(), 3);
        assert_eq!(record.first().and_then(|o| o.outlet.as_deref()), Some("Wire"));
        assert_eq!(record.text, "We will not back down on the budget, whatever it costs");
        assert_eq!(record.repeated_by(), ["Ledger", "Post"]);
    }

    #[test]
    fn same_words_by_another_speaker_stay_apart() {
        let mut sim = Sim::default();
        sim.ingest(&seen("ann", "a", "Ledger", 1, "We will not back down"));
        sim.ingest(&seen("bob", "b", "Ledger", 2, "We will not back down"));
        assert_eq!(sim.records.len(), 2);
    }

    #[test]
    fn short_forms_join_only_their_equal() {
        let mut sim = Sim::default();
        sim.ingest(&seen("ann", "a", "Ledger", 1, "we will win the vote today"));
        sim.ingest(&seen("ann", "b", "Wire", 2, "we will win"));
        assert_eq!(sim.records.len(), 2);
        sim.ingest(&seen("ann", "c", "Post", 3, "We will win!"));
        assert_eq!(sim.records.len(), 2);
    }

    #[test]
    fn a_refetch_changes_nothing_and_an_edit_moves_the_occurrence() {
        let mut sim = Sim::default();
        let first = seen("ann", "a", "Ledger", 1, "We will not back down now");
        sim.ingest(&first);
        sim.ingest(&seen("ann", "b", "Wire", 2, "We will not back down now"));
        assert!(sim.ingest(&first).is_empty());
        // The page was edited: its quote is now other words.
        let edited = seen("ann", "a", "Ledger", 1, "Nothing of the kind was ever agreed");
        let change = sim.ingest(&edited);
        assert_eq!(change.put.len(), 2, "{change:?}");
        assert_eq!(sim.records.len(), 2);
        assert!(sim.all().iter().all(|r| r.occurrences.len() == 1));
        assert!(sim.record(&ItemId::derive("s", "b"), &[]).removed.len() == 1, "an item gone takes its record");
    }

    #[test]
    fn a_bridging_form_merges_two_records_into_the_oldest() {
        let mut sim = Sim::default();
        sim.ingest(&seen("ann", "a", "Ledger", 1, "alpha beta gamma delta"));
        sim.ingest(&seen("ann", "b", "Wire", 2, "epsilon zeta eta theta"));
        let change = sim.ingest(&seen("ann", "c", "Post", 3, "alpha beta gamma delta epsilon zeta eta theta"));
        assert_eq!(change.removed.len(), 1);
        assert_eq!(change.merged.len(), 1);
        let records = sim.all();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].occurrences.len(), 3);
        assert_eq!(records[0].first().map(|o| o.item.clone()), Some(ItemId::derive("s", "a")));
    }

    #[test]
    fn adding_to_a_much_repeated_quote_reads_and_writes_only_its_summary() {
        let mut sim = Sim::default();
        for n in 0..300 {
            let change = sim.ingest(&seen(
                "ann",
                &format!("i{n}"),
                &format!("Outlet {}", n % 7),
                1,
                "we will not back down now",
            ));
            assert_eq!((change.put.len(), change.added.len(), change.dropped.len()), (1, 1, 0));
        }
        assert_eq!((sim.records.len(), sim.rereads), (1, 0), "no occurrence was read back");
        let record = sim.records.values().next().expect("one record");
        assert_eq!(record.count, 300);
        // Taking out an occurrence the summary does not name needs no reread;
        // taking out the first does, and the next one becomes first.
        sim.record(&ItemId::derive("s", "i150"), &[]);
        assert_eq!(sim.rereads, 0);
        let first = sim.records.values().next().expect("one record").first.item.clone();
        sim.record(&first, &[]);
        assert_eq!(sim.rereads, 1);
        assert_ne!(sim.records.values().next().expect("one record").first.item, first);
    }

    #[test]
    fn summaries_stay_what_their_occurrences_add_up_to() {
        // `Sim::record` checks every summary against `summarize` after each step.
        let texts =
            ["we will not back down now", "We will not back down now, not ever", "we will not", "not back down now"];
        let mut sim = Sim::default();
        for step in 0u32..60 {
            let n = step * 7 % 13;
            let text = texts[(step * 5 % 4) as usize];
            let speaker = if step % 9 == 0 { "bob" } else { "ann" };
            sim.ingest(&seen(speaker, &format!("i{n}"), &format!("O{}", step % 3), 1 + step % 5, text));
            if step % 11 == 0 {
                sim.record(&ItemId::derive("s", &format!("i{}", step % 13)), &[]);
            }
        }
        assert!(!sim.records.is_empty());
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
