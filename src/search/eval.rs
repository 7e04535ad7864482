//! A parsed query evaluated against one item in memory, without the index
//! (issue 16.5): what rules at ingest and watchlists need for each new
//! item, where a trip through tantivy per item would cost a commit.
//!
//! Pure: the caller builds the item's [`SearchDoc`] (and passes each
//! source's configured section); no I/O, no clock. Words and phrases go
//! through the index's own analyzer (`tokenizer::words`: case, Arabic-script
//! variants, ZWNJ, then tantivy's ASCII folding of Latin accents), so a rule
//! matches exactly the items a search with the same query finds:
//! `elysee` matches `Élysée` in both, and `ß`, `ø`, `æ` fold as the index
//! folds them. Calling the analyzer rather than a second folding of our own
//! is what keeps the two from drifting apart.
//!
//! [`Prepared`] splits a document's texts into words once, for the many
//! rules (and watchlists) that test the same new item.

use std::collections::HashMap;

use chrono::{Duration, NaiveTime};

use super::doc::{NO_SECTION, SearchDoc};
use super::query::{SearchQuery, Term};
use super::tokenizer::words;

/// A document with its texts split into folded words, ready for any number
/// of queries.
#[derive(Debug, Clone)]
pub struct Prepared<'d> {
    doc: &'d SearchDoc,
    /// Each text field's words (title and headline, body, every quote,
    /// speaker and outlet, commentary), each field apart: a phrase does not
    /// run from one into the next.
    texts: Vec<Vec<String>>,
    speakers: Vec<Vec<String>>,
    outlets: Vec<Vec<String>>,
}

impl<'d> Prepared<'d> {
    pub fn new(doc: &'d SearchDoc) -> Self {
        let texts = doc
            .title
            .iter()
            .chain(std::iter::once(&doc.body))
            .chain(&doc.quotes)
            .chain(&doc.speakers)
            .chain(&doc.outlets)
            .chain(std::iter::once(&doc.commentary))
            .map(|t| words(t))
            .collect();
        let names = |list: &[String]| list.iter().map(|n| words(n)).collect();
        Self { doc, texts, speakers: names(&doc.speakers), outlets: names(&doc.outlets) }
    }

    /// The document this was made from.
    pub fn doc(&self) -> &SearchDoc {
        self.doc
    }
}

/// Whether `needle`'s words stand in this order, adjacent, in `hay`.
fn has_run(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether every clause of `query` holds for `doc` (a negated one must not);
/// `sections` maps a source id to its configured section, for items whose
/// editor chose none. An empty query matches nothing: a rule must ask for
/// something.
pub fn matches<S: std::hash::BuildHasher>(
    query: &SearchQuery,
    doc: &SearchDoc,
    sections: &HashMap<String, String, S>,
) -> bool {
    matches_prepared(query, &Prepared::new(doc), sections)
}

/// [`matches`] on a document already split into words.
pub fn matches_prepared<S: std::hash::BuildHasher>(
    query: &SearchQuery,
    prepared: &Prepared<'_>,
    sections: &HashMap<String, String, S>,
) -> bool {
    if query.clauses.is_empty() {
        return false;
    }
    let doc = prepared.doc;
    let in_any = |needle: &[String]| prepared.texts.iter().any(|hay| has_run(hay, needle));
    let in_names = |names: &[Vec<String>], needle: &[String]| names.iter().any(|n| has_run(n, needle));
    query.clauses.iter().all(|clause| {
        let holds = match &clause.term {
            // A clause without a word asks for nothing (as in the index).
            Term::Word(text) | Term::Phrase(text) => {
                let needle = words(text);
                needle.is_empty() || in_any(&needle)
            }
            Term::Speaker(name) => in_names(&prepared.speakers, &words(name)),
            Term::Outlet(name) => in_names(&prepared.outlets, &words(name)),
            Term::Source(id) => doc.sources.iter().any(|s| s == id),
            Term::Language(language) => doc.language.as_deref() == Some(language.as_str()),
            Term::State(state) => doc.state == state.as_str(),
            Term::Section(name) => {
                let wanted = name.trim().to_lowercase();
                if doc.section == NO_SECTION {
                    doc.sources.first().and_then(|s| sections.get(s)).is_some_and(|s| s.trim().to_lowercase() == wanted)
                } else {
                    doc.section == wanted
                }
            }
            Term::Tag(tag) => doc.tags.iter().any(|t| t == tag),
            Term::Since(day) => doc.published >= day.and_time(NaiveTime::MIN).and_utc(),
            Term::Until(day) => doc.published < day.and_time(NaiveTime::MIN).and_utc() + Duration::days(1),
        };
        holds != clause.negated
    })
}

/// Whether a quote by `speaker` is one `query` asks for: every quote when
/// the query names no speaker, else those whose speaker a positive
/// `speaker:` clause names (the Followed tab lists a `speaker:` watch's
/// quotes by that speaker, not every quote of the item it matched).
pub fn wants_quote_by(query: &SearchQuery, speaker: Option<&str>) -> bool {
    let mut named = query.clauses.iter().filter(|c| !c.negated).filter_map(|c| match &c.term {
        Term::Speaker(name) => Some(words(name)),
        _ => None,
    });
    let Some(first) = named.next() else { return true };
    let Some(speaker) = speaker else { return false };
    let said = words(speaker);
    std::iter::once(first).chain(named).any(|wanted| has_run(&said, &wanted))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::model::ItemId;
    use crate::search::parse;

    #[test]
    fn a_speaker_clause_picks_that_speakers_quotes_and_no_clause_picks_all() {
        let named = parse(r#"harbour speaker:"Ana Ferreira""#);
        assert!(wants_quote_by(&named, Some("ANA FERREIRA")));
        assert!(!wants_quote_by(&named, Some("Bob Banker")));
        assert!(!wants_quote_by(&named, None), "an unattributed quote is not Ana's");
        let plain = parse("harbour -speaker:bob");
        assert!(wants_quote_by(&plain, Some("Bob Banker")), "only positive clauses pick quotes");
        assert!(wants_quote_by(&plain, None));
    }

    fn doc() -> SearchDoc {
        SearchDoc {
            id: ItemId::parse(&"a".repeat(32)).expect("hex"),
            stamp: 0,
            title: vec!["Harbour fees rise".to_owned()],
            body: "The authority met on Wednesday. Free elections were not discussed.".to_owned(),
            quotes: vec!["We will not raise the fees".to_owned()],
            speakers: vec!["Ana Ferreira".to_owned()],
            outlets: vec!["Harbour Courier".to_owned()],
            commentary: String::new(),
            sources: vec!["courier".to_owned()],
            language: Some("en".to_owned()),
            state: "new",
            section: NO_SECTION.to_owned(),
            tags: vec!["ports".to_owned()],
            published: Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).single().expect("valid"),
        }
    }

    fn holds(query: &str) -> bool {
        let sections = HashMap::from([("courier".to_owned(), "Local".to_owned())]);
        matches(&parse(query), &doc(), &sections)
    }

    #[test]
    fn words_phrases_and_filters_match_as_the_index_does() {
        assert!(holds("harbour"));
        assert!(holds("\"free elections\""));
        assert!(!holds("\"elections free\""));
        assert!(holds("speaker:ferreira outlet:\"harbour courier\""));
        assert!(!holds("speaker:\"ferreira ana\""));
        assert!(holds("source:courier lang:en state:new section:local tag:ports"));
        assert!(!holds("tag:oil"));
        assert!(holds("since:2026-11-03 until:2026-11-03"));
        assert!(!holds("since:2026-11-04"));
        assert!(holds("fees -state:rejected"));
        assert!(!holds("fees -speaker:ana"));
    }

    #[test]
    fn accents_and_persian_spellings_fold_as_in_the_index() {
        let mut doc = doc();
        doc.body = "Le président à l'Élysée a parlé avec Herr Müller. او می‌گوید که كتاب".to_owned();
        let sections = HashMap::<String, String>::new();
        let holds = |query: &str| matches(&parse(query), &doc, &sections);
        assert!(holds("elysee"), "an unaccented query finds the accented word");
        assert!(holds("élysée muller \"a parle\""));
        assert!(holds("ELYSÉE"));
        assert!(holds("ميگويد کتاب"), "Arabic yeh and kaf, no ZWNJ");
        doc.body = "Elysee".to_owned();
        assert!(matches(&parse("élysée"), &doc, &sections), "and the other way round");
    }

    #[test]
    fn an_empty_query_matches_nothing() {
        assert!(!holds(""));
        assert!(!holds("   "));
    }

    proptest! {
        #[test]
        fn never_panics(query in "\\PC{0,120}") {
            let _ = holds(&query);
        }
    }
}
