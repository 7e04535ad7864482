//! Tokens of one paragraph: words, punctuation and quotation marks with their
//! character offsets, plus sentence ends. Script-agnostic: Persian words keep
//! their zero-width non-joiner (می‌گوید is one word).
//!
//! Must not: know about cues or speakers. Main type: [`Token`].

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Punct,
    /// A quotation mark (or a lone apostrophe-like character).
    Mark,
}

/// One token of a paragraph.
#[derive(Debug, Clone)]
pub struct Token {
    /// Character range in the paragraph.
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
    /// As written.
    pub text: String,
    /// Lower case.
    pub lower: String,
    /// The quote span this token lies in (marks included), if any.
    pub quote: Option<usize>,
}

impl Token {
    pub fn is_word(&self) -> bool {
        self.kind == TokenKind::Word
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.starts_with(c)
    }

    /// Starts with an upper-case letter.
    pub fn is_capitalized(&self) -> bool {
        self.kind == TokenKind::Word && self.text.chars().next().is_some_and(char::is_uppercase)
    }

    /// Written in the Arabic script (Persian): no capitals to find names by.
    pub fn is_arabic_script(&self) -> bool {
        self.text.chars().next().is_some_and(is_arabic)
    }
}

pub fn is_arabic(c: char) -> bool {
    ('\u{600}'..='\u{6ff}').contains(&c)
        || ('\u{fb50}'..='\u{fdff}').contains(&c)
        || ('\u{fe70}'..='\u{feff}').contains(&c)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\u{200c}' || ('\u{64b}'..='\u{65f}').contains(&c) || c == '\u{670}'
}

fn is_mark(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '„' | '‚' | '«' | '»' | '‹' | '›' | '「' | '」' | '『' | '』')
}

/// French inversion suffixes split off as a pronoun ("a-t-il" → "a" "il").
const INVERSIONS: &[(&str, &str)] = &[
    ("-t-il", "il"),
    ("-t-elle", "elle"),
    ("-t-on", "on"),
    ("-il", "il"),
    ("-elle", "elle"),
    ("-ils", "ils"),
    ("-elles", "elles"),
];

/// Tokens of `chars`.
pub fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let start = i;
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let joins = matches!(d, '-' | '\'' | '’' | '.' | '\u{2011}')
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
                    && (d != '.' || chars[i - 1].is_uppercase());
                if is_word_char(d) || joins {
                    i += 1;
                } else {
                    break;
                }
            }
            push_word(&mut tokens, chars, start, i);
            continue;
        }
        let kind = if is_mark(c) { TokenKind::Mark } else { TokenKind::Punct };
        tokens.push(Token { start: i, end: i + 1, kind, text: c.to_string(), lower: c.to_string(), quote: None });
        i += 1;
    }
    tokens
}

fn push_word(tokens: &mut Vec<Token>, chars: &[char], start: usize, end: usize) {
    let text: String = chars[start..end].iter().collect();
    let lower = text.to_lowercase();
    for (suffix, pronoun) in INVERSIONS {
        if let Some(verb) = lower.strip_suffix(suffix)
            && !verb.is_empty()
        {
            let split = start + verb.chars().count();
            let verb_text: String = chars[start..split].iter().collect();
            tokens.push(Token {
                start,
                end: split,
                kind: TokenKind::Word,
                text: verb_text,
                lower: verb.to_string(),
                quote: None,
            });
            let pronoun_start = end - pronoun.chars().count();
            tokens.push(Token {
                start: pronoun_start,
                end,
                kind: TokenKind::Word,
                text: (*pronoun).to_string(),
                lower: (*pronoun).to_string(),
                quote: None,
            });
            return;
        }
    }
    tokens.push(Token { start, end, kind: TokenKind::Word, text, lower, quote: None });
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "prof", "gen", "sen", "rep", "jr", "sr", "m", "mme", "gov", "lt", "col", "sgt",
    "no", "vs", "etc", "del", "rev", "atty", "capt", "maj", "adm", "cmdr", "brig", "supt", "pres", "amb", "hon", "cpl",
    "insp", "msgr", "det", "pvt", "spc", "sens", "reps", "gens", "fr",
];

/// Whether token `i` ends a sentence.
pub fn ends_sentence(tokens: &[Token], i: usize) -> bool {
    let Some(token) = tokens.get(i) else { return false };
    if token.kind != TokenKind::Punct {
        return false;
    }
    match token.text.chars().next() {
        Some('!' | '?' | '؟' | '…') => true,
        Some('.') => {
            // "Rep. Jim McDermott (D-Wash.) said", "Gov. and chairman": a full
            // stop before a closing parenthesis, a comma or a lower-case word
            // ends an abbreviation, not a sentence.
            let next = tokens.get(i + 1);
            if next.is_some_and(|n| {
                n.is_punct(')')
                    || n.is_punct(',')
                    || (n.is_word() && n.text.chars().next().is_some_and(char::is_lowercase))
                    // "a D.C.-based strategist": a hyphen touching the stop
                    // joins the abbreviation to its next word.
                    || (n.start == token.end && n.is_punct('-'))
            }) {
                return false;
            }
            let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
            !prev.is_some_and(|p| {
                p.is_word()
                    && p.end == token.start
                    && (ABBREVIATIONS.contains(&p.lower.as_str())
                        || (p.text.chars().count() == 1 && p.is_capitalized()))
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        tokenize(&chars).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn french_inversion_splits_off_the_pronoun() {
        assert_eq!(words("a-t-il déclaré"), ["a", "il", "déclaré"]);
        assert_eq!(words("ajoute-t-elle."), ["ajoute", "elle", "."]);
    }

    #[test]
    fn persian_words_keep_their_joiner() {
        assert_eq!(words("او می‌گوید: «نه»"), ["او", "می‌گوید", ":", "«", "نه", "»"]);
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let chars: Vec<char> = "Mr. Smith said. Then".chars().collect();
        let tokens = tokenize(&chars);
        let ends: Vec<bool> = (0..tokens.len()).map(|i| ends_sentence(&tokens, i)).collect();
        assert_eq!(ends, [false, false, false, false, true, false]);
    }

    #[test]
    fn an_abbreviation_joined_by_a_hyphen_does_not_end_a_sentence() {
        let chars: Vec<char> = "a U.K.-based charity".chars().collect();
        let tokens = tokenize(&chars);
        assert!((0..tokens.len()).all(|i| !ends_sentence(&tokens, i)), "{tokens:?}");
    }
}
