//! The search syntax, parsed: words, "exact phrases", `field:value` filters
//! and `-negation`, as editors type them in the queue's search box and on
//! the command line.
//!
//! ```text
//! rajavi "free elections" speaker:"Maryam Rajavi" outlet:Reuters -state:rejected since:2026-01-01
//! ```
//!
//! Filters: `speaker:`, `outlet:` (words of the name, in order), `source:`
//! (a source id), `lang:` (a primary language tag: `fa` also matches
//! `fa-IR`), `state:` (a review state), `section:`, and `since:` / `until:`
//! (`YYYY-MM-DD`, both days included). A value with spaces goes in quotes.
//! Curly and guillemet quotes delimit phrases too, since editors paste them.
//! Anything unusable (an unknown state, a bad date) is left out with a
//! warning rather than failing the whole search: a pure parse that always
//! returns a query.
//!
//! Must not know the index: turning a [`SearchQuery`] into an index query is
//! the adapter's job (`index.rs`).

use chrono::NaiveDate;

use crate::model::ReviewState;

/// Most characters of a query read; the rest is ignored with a warning (a
/// pasted article must not become a thousand-clause index query).
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most clauses kept, for the same reason.
pub const MAX_CLAUSES: usize = 32;

/// A parsed query: every clause must hold (a negated one must not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub clauses: Vec<Clause>,
    /// What was ignored and why, for the editor.
    pub warnings: Vec<String>,
}

/// One clause of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// `-clause`: items matching it are left out.
    pub negated: bool,
    pub term: Term,
}

/// What one clause asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A bare word, in any text field.
    Word(String),
    /// Words in this order, in one text field.
    Phrase(String),
    /// A quote's speaker whose name has these words in this order.
    Speaker(String),
    /// The article's or a quote's outlet, likewise.
    Outlet(String),
    /// A source id, exactly.
    Source(String),
    /// A primary language subtag, lower-cased (`fa`).
    Language(String),
    State(ReviewState),
    /// The effective section (the editor's, else the source's), case-insensitive.
    Section(String),
    /// An editor's tag, in its cleaned form (`editorial::rules::clean_tag`).
    Tag(String),
    /// Published on or after this day (UTC).
    Since(NaiveDate),
    /// Published on or before this day (UTC).
    Until(NaiveDate),
}

impl Term {
    /// Whether the clause matches text (and so scores), rather than filters.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Word(_) | Self::Phrase(_) | Self::Speaker(_) | Self::Outlet(_))
    }
}

impl SearchQuery {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether any positive clause matches text: such results are ranked by
    /// relevance; filter-only results come newest first.
    pub fn is_ranked(&self) -> bool {
        self.clauses.iter().any(|c| !c.negated && c.term.is_text())
    }
}

fn is_quote_mark(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}')
}

/// Parses `input`; never fails (see the module docs).
pub fn parse(input: &str) -> SearchQuery {
    let mut query = SearchQuery::default();
    let chars: Vec<char> = input.chars().take(MAX_QUERY_CHARS).collect();
    if input.chars().nth(MAX_QUERY_CHARS).is_some() {
        query.warnings.push(format!("only the first {MAX_QUERY_CHARS} characters of the query were used"));
    }
    let mut at = 0;
    while at < chars.len() {
        if chars[at].is_whitespace() {
            at += 1;
            continue;
        }
        let negated = chars[at] == '-' && chars.get(at + 1).is_some_and(|c| !c.is_whitespace());
        if negated {
            at += 1;
        }
        let term = if is_quote_mark(chars[at]) {
            let (text, next) = quoted(&chars, at + 1);
            at = next;
            non_blank(&text).map(Term::Phrase)
        } else {
            let start = at;
            while at < chars.len() && !chars[at].is_whitespace() && chars[at] != ':' {
                at += 1;
            }
            let name: String = chars[start..at].iter().collect();
            if at < chars.len() && chars[at] == ':' && field(&name).is_some() {
                at += 1;
                let value = if at < chars.len() && is_quote_mark(chars[at]) {
                    let (text, next) = quoted(&chars, at + 1);
                    at = next;
                    text
                } else {
                    let from = at;
                    while at < chars.len() && !chars[at].is_whitespace() {
                        at += 1;
                    }
                    chars[from..at].iter().collect()
                };
                filter(&name, value.trim(), &mut query.warnings)
            } else {
                // Not a known filter: the colon and what follows are words.
                while at < chars.len() && !chars[at].is_whitespace() {
                    at += 1;
                }
                non_blank(&chars[start..at].iter().collect::<String>()).map(Term::Word)
            }
        };
        if let Some(term) = term {
            if query.clauses.len() == MAX_CLAUSES {
                query.warnings.push(format!("only the first {MAX_CLAUSES} terms of the query were used"));
                break;
            }
            query.clauses.push(Clause { negated, term });
        }
    }
    query
}

/// The text up to the next quote mark (or the end), and the index after it.
fn quoted(chars: &[char], from: usize) -> (String, usize) {
    let end = chars[from.min(chars.len())..].iter().position(|c| is_quote_mark(*c)).map_or(chars.len(), |n| from + n);
    (chars[from.min(end)..end].iter().collect(), (end + 1).min(chars.len()))
}

fn non_blank(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The known filter names (`lang` and `language` alike).
fn field(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "speaker" => "speaker",
        "outlet" => "outlet",
        "source" => "source",
        "lang" | "language" => "lang",
        "state" => "state",
        "section" => "section",
        "tag" => "tag",
        "since" => "since",
        "until" => "until",
        _ => return None,
    })
}

fn filter(name: &str, value: &str, warnings: &mut Vec<String>) -> Option<Term> {
    let field = field(name)?;
    if value.is_empty() {
        warnings.push(format!("{field}: needs a value; ignored"));
        return None;
    }
    let term = match field {
        "speaker" => Term::Speaker(value.to_owned()),
        "outlet" => Term::Outlet(value.to_owned()),
        "source" => Term::Source(value.to_owned()),
        "lang" => Term::Language(value.split(['-', '_']).next().unwrap_or(value).to_ascii_lowercase()),
        "section" => Term::Section(value.to_owned()),
        // As tags are stored: lower-cased, inner spaces as '-'.
        "tag" => Term::Tag(value.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase()),
        "state" => {
            let Some(state) = ReviewState::parse(&value.to_ascii_lowercase()) else {
                let known: Vec<&str> = ReviewState::ALL.iter().map(|s| s.as_str()).collect();
                warnings.push(format!("state:{value} is not a review state ({}); ignored", known.join(", ")));
                return None;
            };
            Term::State(state)
        }
        _ => match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(day) if field == "since" => Term::Since(day),
            Ok(day) => Term::Until(day),
            Err(_) => {
                warnings.push(format!("{field}:{value} is not a date (YYYY-MM-DD); ignored"));
                return None;
            }
        },
    };
    Some(term)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(input: &str) -> Vec<(bool, Term)> {
        parse(input).clauses.into_iter().map(|c| (c.negated, c.term)).collect()
    }

    #[test]
    fn words_phrases_filters_and_negation() {
        assert_eq!(
            terms(r#"budget "free elections" speaker:"Maryam Rajavi" outlet:Reuters -state:rejected -tax"#),
            vec![
                (false, Term::Word("budget".into())),
                (false, Term::Phrase("free elections".into())),
                (false, Term::Speaker("Maryam Rajavi".into())),
                (false, Term::Outlet("Reuters".into())),
                (true, Term::State(ReviewState::Rejected)),
                (true, Term::Word("tax".into())),
            ]
        );
    }

    #[test]
    fn dates_languages_sources_and_sections() {
        assert_eq!(
            terms("since:2026-01-02 until:2026-02-03 lang:fa-IR source:wire section:\"In English\""),
            vec![
                (false, Term::Since(NaiveDate::from_ymd_opt(2026, 1, 2).expect("date"))),
                (false, Term::Until(NaiveDate::from_ymd_opt(2026, 2, 3).expect("date"))),
                (false, Term::Language("fa".into())),
                (false, Term::Source("wire".into())),
                (false, Term::Section("In English".into())),
            ]
        );
    }

    #[test]
    fn bad_values_are_ignored_with_a_warning() {
        let query = parse("since:yesterday state:lost speaker: rates");
        assert_eq!(query.clauses, vec![Clause { negated: false, term: Term::Word("rates".into()) }]);
        assert_eq!(query.warnings.len(), 3, "{:?}", query.warnings);
    }

    #[test]
    fn unknown_prefixes_curly_quotes_and_lone_dashes_are_text() {
        assert_eq!(
            terms("http://x.org “exact words” - a"),
            vec![
                (false, Term::Word("http://x.org".into())),
                (false, Term::Phrase("exact words".into())),
                (false, Term::Word("-".into())),
                (false, Term::Word("a".into())),
            ]
        );
        assert_eq!(terms("\"unclosed phrase"), vec![(false, Term::Phrase("unclosed phrase".into()))]);
    }

    #[test]
    fn ranking_needs_a_positive_text_clause() {
        assert!(parse("rates state:new").is_ranked());
        assert!(!parse("-rates state:new").is_ranked());
        assert!(parse("").is_empty());
    }

    #[test]
    fn huge_input_is_bounded() {
        let query = parse(&"word ".repeat(10_000));
        assert_eq!(query.clauses.len(), MAX_CLAUSES);
        assert!(!query.warnings.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_input_parses_without_panicking(input in "\\PC{0,80}") {
            let query = parse(&input);
            proptest::prop_assert!(query.clauses.len() <= MAX_CLAUSES);
        }
    }
}
