//! A parsed query evaluated against one item in memory, without the index
//! (issue 16.5): what rules at ingest and watchlists need for each new
//! item, where a trip through tantivy per item would cost a commit.
//!
//! Pure: the caller builds the item's [`SearchDoc`] (and passes each
//! source's configured section); no I/O, no clock. Words and phrases are
//! folded as the index's tokenizer folds them (`fold.rs`: case,
//! Arabic-script variants, ZWNJ); unlike the index, Latin accents are not
//! folded here, so `elysee` does not match `Élysée` in a rule.

use std::collections::HashMap;

use chrono::{Duration, NaiveTime};

use super::doc::{NO_SECTION, SearchDoc};
use super::fold::{is_word_char, push_folded};
use super::query::{SearchQuery, Term};

/// `text`'s words, folded.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_word_char(c) {
            push_folded(c, &mut word);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
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
    if query.clauses.is_empty() {
        return false;
    }
    let texts: Vec<Vec<String>> = doc
        .title
        .iter()
        .chain(std::iter::once(&doc.body))
        .chain(&doc.quotes)
        .chain(&doc.speakers)
        .chain(&doc.outlets)
        .chain(std::iter::once(&doc.commentary))
        .map(|t| words(t))
        .collect();
    let in_any = |needle: &[String]| texts.iter().any(|hay| has_run(hay, needle));
    let in_names = |names: &[String], needle: &[String]| names.iter().any(|n| has_run(&words(n), needle));
    query.clauses.iter().all(|clause| {
        let holds = match &clause.term {
            // A clause without a word asks for nothing (as in the index).
            Term::Word(text) | Term::Phrase(text) => {
                let needle = words(text);
                needle.is_empty() || in_any(&needle)
            }
            Term::Speaker(name) => in_names(&doc.speakers, &words(name)),
            Term::Outlet(name) => in_names(&doc.outlets, &words(name)),
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::model::ItemId;
    use crate::search::parse;

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
