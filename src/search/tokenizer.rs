//! The index's analyzer: words split on anything that is not a letter, digit
//! or joiner, each folded by [`super::fold`] (Persian and Arabic spellings,
//! case), then Latin accents folded by tantivy's ASCII folding filter
//! (French and German: "élysée" finds "Elysee", "Müller" finds "Muller").
//!
//! Why our own tokenizer rather than tantivy's simple one plus a filter: the
//! simple tokenizer splits a word at a zero-width non-joiner, and a filter
//! cannot join the halves again; folding while splitting keeps each token's
//! offsets in the original text, which the snippets highlight.

use tantivy::tokenizer::{AsciiFoldingFilter, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer};

use super::fold::{is_word_char, push_folded};

/// The analyzer's name in the index's tokenizer manager.
pub const ANALYZER: &str = "gleaner_folded";

/// Longer "words" are base64, URLs run together or hostile input: not worth indexing.
const MAX_TOKEN_BYTES: usize = 80;

/// The analyzer every text field uses, and every query term goes through.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(FoldingTokenizer::default())
        .filter(AsciiFoldingFilter)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .build()
}

/// The folded words of `text`, as the index stores them.
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[derive(Clone, Default)]
pub struct FoldingTokenizer {
    token: Token,
}

pub struct FoldingStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for FoldingTokenizer {
    type TokenStream<'a> = FoldingStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FoldingStream<'a> {
        self.token.reset();
        FoldingStream { text, at: 0, token: &mut self.token }
    }
}

impl TokenStream for FoldingStream<'_> {
    fn advance(&mut self) -> bool {
        // A loop, not recursion: a run of stray joiners (silent characters
        // only, no word) is skipped without growing the stack.
        loop {
            self.token.text.clear();
            let rest = &self.text[self.at..];
            let mut chars = rest.char_indices().skip_while(|(_, c)| !is_word_char(*c)).peekable();
            let Some(&(start, _)) = chars.peek() else {
                self.at = self.text.len();
                return false;
            };
            let mut end = rest.len();
            for (offset, c) in chars {
                if !is_word_char(c) {
                    end = offset;
                    break;
                }
                push_folded(c, &mut self.token.text);
            }
            self.token.offset_from = self.at + start;
            self.token.offset_to = self.at + end;
            self.at += end;
            if !self.token.text.is_empty() {
                self.token.position = self.token.position.wrapping_add(1);
                return true;
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_variants_and_zwnj_fold_to_one_word() {
        assert_eq!(words("می‌گوید"), words("ميگويد"));
        assert_eq!(words("می‌گوید"), vec!["میگوید".to_owned()]);
        assert_eq!(words("كتاب"), words("کتاب"));
    }

    #[test]
    fn french_and_german_accents_fold() {
        assert_eq!(words("Élysée Müller"), vec!["elysee".to_owned(), "muller".to_owned()]);
        assert_eq!(words("Cafe\u{301}"), vec!["cafe".to_owned()]);
        assert_eq!(words("élysée"), words("Elysee"), "either side may carry the accents");
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Hi, می‌گوید!";
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut spans = Vec::new();
        while stream.advance() {
            let token = stream.token();
            spans.push((&text[token.offset_from..token.offset_to], token.position));
        }
        assert_eq!(spans, vec![("Hi", 0), ("می‌گوید", 1)]);
    }

    #[test]
    fn stray_joiners_make_no_tokens_and_no_deep_stack() {
        assert!(words(&"\u{200C} ".repeat(100_000)).is_empty());
        assert_eq!(words("\u{200C}\u{200C} a"), vec!["a".to_owned()]);
    }
}
