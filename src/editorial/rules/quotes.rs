//! The rules for quote words an editor supplies: a trimmed quote must stay
//! a verbatim part of the quote, and a quote added from a selection must be
//! verbatim words of the article's main text. A digest that prints words in
//! quotation marks vouches that someone said exactly them, so anything an
//! editor typed (rather than cut) is refused. Pure.

use std::collections::BTreeMap;

use super::EditError;
use crate::model::{Quote, QuoteOverride};

/// Longest quote an editor may add, in characters (a long paragraph).
pub const MAX_ADDED_QUOTE_CHARS: usize = 2_000;

/// Every trimmed text in `overrides` is a substring of its quote's words
/// (`quotes` are the item's quotes as stored, added ones included).
pub fn check_trims(overrides: &BTreeMap<String, QuoteOverride>, quotes: &[Quote]) -> Result<(), EditError> {
    for (id, value) in overrides {
        let Some(text) = &value.text else { continue };
        let Some(quote) = quotes.iter().find(|q| &q.id == id) else { continue };
        if !quote.text.contains(text.as_str()) {
            return Err(EditError::NotInQuote { id: id.clone(), text: text.clone() });
        }
    }
    Ok(())
}

/// The words of a selection as the quote keeps them, provided they occur in
/// `article_text`. Whitespace is compared collapsed: a selection across a
/// line or paragraph break comes back from the browser with other
/// whitespace than the stored text has, and that is not a change of words.
pub fn added_quote_text(selection: &str, article_text: &str) -> Result<String, EditError> {
    let words = collapse(selection);
    if words.is_empty() {
        return Err(EditError::NotInText { text: String::new() });
    }
    let chars = words.chars().count();
    if chars > MAX_ADDED_QUOTE_CHARS {
        return Err(EditError::TooLong { field: "quote", chars, max: MAX_ADDED_QUOTE_CHARS });
    }
    if !collapse(article_text).contains(&words) {
        return Err(EditError::NotInText { text: words });
    }
    // Quotation marks the editor swept up with the words belong to the page, not the quote.
    let bare = words.trim_matches(|c: char| QUOTE_MARKS.contains(&c)).trim();
    Ok(if bare.is_empty() { words } else { bare.to_owned() })
}

const QUOTE_MARKS: [char; 10] = ['"', '\'', '“', '”', '‘', '’', '«', '»', '„', '‹'];

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QuoteKind;

    fn quote(id: &str, text: &str) -> Quote {
        Quote {
            id: id.to_owned(),
            text: text.to_owned(),
            speaker: None,
            speaker_mention: None,
            cue: None,
            outlet: None,
            via: None,
            kind: QuoteKind::Inline,
            start: 0,
            end: 0,
            context: String::new(),
            confidence: 1.0,
        }
    }

    fn trim(id: &str, text: &str) -> BTreeMap<String, QuoteOverride> {
        BTreeMap::from([(id.to_owned(), QuoteOverride { text: Some(text.to_owned()), ..QuoteOverride::default() })])
    }

    #[test]
    fn a_trim_must_be_words_of_the_quote() {
        let quotes = [quote("q1", "We need more time, and we need it now")];
        assert!(check_trims(&trim("q1", "We need more time"), &quotes).is_ok());
        let refused = check_trims(&trim("q1", "We need time"), &quotes);
        assert!(matches!(refused, Err(EditError::NotInQuote { .. })), "{refused:?}");
    }

    #[test]
    fn an_added_quote_must_be_words_of_the_article() {
        let text = "The council met.\n\nIt postponed the vote, saying “we need more time”.";
        assert_eq!(added_quote_text("met.  It postponed", text).expect("across paragraphs"), "met. It postponed");
        assert_eq!(added_quote_text("“we need more time”", text).expect("marks dropped"), "we need more time");
        assert!(matches!(added_quote_text("we need less time", text), Err(EditError::NotInText { .. })));
        assert!(matches!(added_quote_text("  ", text), Err(EditError::NotInText { .. })));
    }
}
