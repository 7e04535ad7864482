//! Is a quote still in its page? The pure half of verification at publish
//! (issue 16.4): the published words against the page's fresh main text.
//!
//! Both sides become word sequences first: case folded, quotation marks,
//! punctuation and whitespace dropped, curly apostrophes made straight, and
//! Arabic-script spelling variants folded as search folds them (so a page
//! re-saved with Persian yeh for Arabic yeh still verifies). The quote is
//! then aligned against the text with a word-level edit distance whose start
//! and end in the text are free (semi-global alignment): distance 0 is a
//! verbatim match; a small distance relative to the quote's length is a near
//! match whose current words are cut from the text as it reads; anything
//! else means the words are gone.
//!
//! Pure: no I/O, no clock. Must not decide what a verdict means for a
//! publish; `verify::Verifier` does. The alignment is iterative with one
//! column of state, so no input can recurse deep or allocate beyond
//! `O(quote words)` besides the tokens.

use crate::search::fold::{is_word_char, push_folded};

/// A quote must be at least this many words for a near match to mean
/// anything: two words "nearly" match half the sentences of a page.
pub const MIN_NEAR_WORDS: usize = 4;

/// Most edits per hundred quote words for a near match (one word in three
/// changed, dropped or added); beyond it the alignment is chance, not an edit.
pub const MAX_EDITS_PER_HUNDRED: usize = 34;

/// Words of a quote aligned; a longer quote is checked by its first words
/// (bounding the alignment's cost at this times the page's words).
pub const MAX_QUOTE_WORDS: usize = 400;

/// Words of a page read; a page longer than this (a whole book) is cut.
pub const MAX_TEXT_WORDS: usize = 100_000;

/// What a page says about a quote.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The quote's words, in order, with nothing between them.
    Verbatim,
    /// Close words: `current` is the page's text from the first to the last
    /// aligned word, verbatim; `edits` word edits turn one into the other.
    Near { current: String, edits: usize },
    /// Nothing close enough.
    Absent,
}

/// One word of a text: folded, and where it stands (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    folded: String,
    start: usize,
    end: usize,
}

/// Apostrophes in all their typographic forms: part of a word ("don’t"),
/// compared as one.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{2032}')
}

/// The words of `text`, at most `cap`.
fn words(text: &str, cap: usize) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<Word> = None;
    for (at, c) in text.char_indices() {
        if is_word_char(c) || is_apostrophe(c) {
            let word = current.get_or_insert_with(|| Word { folded: String::new(), start: at, end: at });
            if is_apostrophe(c) {
                word.folded.push('\'');
            } else {
                // Lower-casing may yield a combining mark ("İ" → "i̇"),
                // which folding drops: dropped here too, so folding twice
                // changes nothing.
                let mut one = String::new();
                push_folded(c, &mut one);
                word.folded.extend(one.chars().filter(|c| !crate::search::fold::is_silent(*c)));
            }
            word.end = at + c.len_utf8();
        } else if let Some(word) = current.take() {
            push_word(&mut out, word);
            if out.len() >= cap {
                return out;
            }
        }
    }
    if let Some(word) = current {
        push_word(&mut out, word);
    }
    out.truncate(cap);
    out
}

/// Keeps a word without the apostrophes around it (those were single
/// quotation marks, 'like this'); a word of apostrophes only is no word.
fn push_word(out: &mut Vec<Word>, mut word: Word) {
    let trimmed = String::from(word.folded.trim_matches('\''));
    if trimmed.is_empty() {
        return;
    }
    word.folded = trimmed;
    out.push(word);
}

/// The normalised form of `text` as one string: its folded words joined by
/// single spaces (what "the same words" means here).
pub fn normalise(text: &str) -> String {
    words(text, MAX_TEXT_WORDS).into_iter().map(|w| w.folded).collect::<Vec<_>>().join(" ")
}

/// Where `quote` stands in `text` (see the module docs).
pub fn find_quote(quote: &str, text: &str) -> Found {
    let quote = words(quote, MAX_QUOTE_WORDS);
    if quote.is_empty() {
        // Nothing to look for: no words can be confirmed.
        return Found::Absent;
    }
    let page = words(text, MAX_TEXT_WORDS);
    let Some(best) = align(&quote, &page) else { return Found::Absent };
    if best.edits == 0 {
        return Found::Verbatim;
    }
    let allowed = max_edits(quote.len());
    if quote.len() < MIN_NEAR_WORDS || best.edits > allowed || best.start >= best.end {
        return Found::Absent;
    }
    let (from, to) = (page[best.start].start, page[best.end - 1].end);
    match text.get(from..to) {
        Some(current) => Found::Near { current: current.to_owned(), edits: best.edits },
        None => Found::Absent,
    }
}

/// The most word edits a near match of `words` words may take.
fn max_edits(words: usize) -> usize {
    words.saturating_mul(MAX_EDITS_PER_HUNDRED) / 100
}

/// The best alignment: fewest edits, then the span of page words
/// `start..end` closest in length to the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Alignment {
    edits: usize,
    start: usize,
    end: usize,
}

/// Semi-global word edit distance, one column at a time. Cell `i` of the
/// column for page word `j` holds the fewest edits that turn the quote's
/// first `i` words into page words `start..j`, with that `start`.
fn align(quote: &[Word], page: &[Word]) -> Option<Alignment> {
    let len = quote.len();
    // (edits, start) per quote prefix; before any page word, `i` deletions.
    let mut column: Vec<(usize, usize)> = (0..=len).map(|i| (i, 0)).collect();
    let mut next = column.clone();
    let mut best = Alignment { edits: len, start: 0, end: 0 };
    for (j, word) in page.iter().enumerate() {
        next[0] = (0, j + 1);
        for i in 1..=len {
            let substitute = usize::from(quote[i - 1].folded != word.folded);
            let diagonal = (column[i - 1].0 + substitute, column[i - 1].1);
            let extra_page_word = (column[i].0 + 1, column[i].1);
            let missing_quote_word = (next[i - 1].0 + 1, next[i - 1].1);
            next[i] = [diagonal, extra_page_word, missing_quote_word]
                .into_iter()
                // Fewest edits; then the latest start, the shortest span.
                .min_by(|one, other| one.0.cmp(&other.0).then(other.1.cmp(&one.1)))
                .expect("three candidates");
        }
        let (edits, start) = next[len];
        let end = j + 1;
        // Equal edits: the span closest to the quote's length, so a changed
        // last word reads as changed, not as dropped.
        let closer = (end - start).abs_diff(len) < (best.end - best.start).abs_diff(len);
        if edits < best.edits || (edits == best.edits && closer) {
            best = Alignment { edits, start, end };
        }
        std::mem::swap(&mut column, &mut next);
        if best.edits == 0 {
            break;
        }
    }
    (best.end > best.start || best.edits == 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PAGE: &str = "The minister spoke at length. “We will not negotiate under threat,” she said on Monday, \
                        adding that talks could resume in the spring.\n\nOthers disagreed.";

    #[test]
    fn the_same_words_verify_whatever_the_marks_case_and_spacing() {
        assert_eq!(find_quote("We will not negotiate under threat", PAGE), Found::Verbatim);
        assert_eq!(find_quote("we  will not\nnegotiate under threat,", PAGE), Found::Verbatim);
        assert_eq!(find_quote("\"We will not negotiate under threat.\"", PAGE), Found::Verbatim);
    }

    #[test]
    fn a_trimmed_quote_verifies() {
        assert_eq!(find_quote("not negotiate", PAGE), Found::Verbatim);
    }

    #[test]
    fn curly_and_straight_apostrophes_are_one() {
        let page = "He said: “We don’t know yet what we’ll do.”";
        assert_eq!(find_quote("We don't know yet what we'll do", page), Found::Verbatim);
    }

    #[test]
    fn arabic_and_persian_spellings_verify_alike() {
        let page = "او گفت: «ما هيچ مذاكره‌ای نمی‌کنیم» و رفت.";
        assert_eq!(find_quote("ما هیچ مذاکره‌ای نمی‌کنیم", page), Found::Verbatim);
    }

    #[test]
    fn one_changed_word_is_a_near_match_with_the_current_words() {
        let page = PAGE.replace("under threat", "under pressure");
        let found = find_quote("We will not negotiate under threat", &page);
        assert_eq!(found, Found::Near { current: "We will not negotiate under pressure".to_owned(), edits: 1 });
    }

    #[test]
    fn an_added_word_is_a_near_match() {
        let page = PAGE.replace("will not", "will certainly not");
        let found = find_quote("We will not negotiate under threat", &page);
        assert_eq!(found, Found::Near { current: "We will certainly not negotiate under threat".to_owned(), edits: 1 });
    }

    #[test]
    fn removed_words_are_absent() {
        let page = "The minister spoke at length. Others disagreed about the spring talks.";
        assert_eq!(find_quote("We will not negotiate under threat", page), Found::Absent);
    }

    #[test]
    fn short_quotes_are_verbatim_or_absent_never_near() {
        assert_eq!(find_quote("under threats", PAGE), Found::Absent);
    }

    #[test]
    fn a_quote_without_words_is_absent() {
        assert_eq!(find_quote("“ — ”", PAGE), Found::Absent);
        assert_eq!(find_quote("", ""), Found::Absent);
    }

    #[test]
    fn normalise_keeps_only_folded_words() {
        assert_eq!(normalise("  “Don’t,” he SAID —  'twice'. "), "don't he said twice");
    }

    proptest! {
        #[test]
        fn any_run_of_a_texts_words_verifies(text in "[a-zA-Z’,. ]{0,200}", from in 0_usize..40, len in 1_usize..12) {
            let page_words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric() && c != '’').filter(|w| !w.trim_matches('’').is_empty()).collect();
            prop_assume!(from < page_words.len());
            let quote = page_words[from..(from + len).min(page_words.len())].join(" ").to_uppercase();
            prop_assert_eq!(find_quote(&quote, &text), Found::Verbatim);
        }

        #[test]
        fn never_panics_and_a_near_match_is_part_of_the_page(quote in "\\PC{0,80}", text in "\\PC{0,400}") {
            if let Found::Near { current, edits } = find_quote(&quote, &text) {
                prop_assert!(text.contains(&current));
                prop_assert!(edits > 0);
            }
        }

        #[test]
        fn normalising_is_idempotent(text in "\\PC{0,200}") {
            let once = normalise(&text);
            prop_assert_eq!(normalise(&once), once.clone());
        }
    }
}
