//! The outlet a quote was relayed through ("told the BBC", "in an interview
//! with CNN", "به خبرگزاری ایسنا گفت"): the quote keeps its article's outlet
//! and names this one as `via`.
//!
//! Must not: decide who spoke. Main entry: [`find_via`].

use super::lexicon::{OUTLET_WORDS, VIA_CUES, match_cue};
use super::names::run_right;
use super::text::Token;

/// The outlet a quote was relayed through, from `[lo, hi)`.
pub fn find_via(tokens: &[Token], lo: usize, hi: usize) -> Option<String> {
    for i in lo..hi {
        for pattern in VIA_CUES {
            let end = i + pattern.len();
            if end > hi || !tokens[i..end].iter().zip(pattern.iter()).all(|(t, p)| t.quote.is_none() && t.lower == *p) {
                continue;
            }
            if tokens[i].is_arabic_script() {
                // "به خبرگزاری ایسنا گفت": the outlet runs up to the cue.
                let from = if pattern[0] == "به" { i + 1 } else { end };
                let words: Vec<&str> = tokens[from..hi]
                    .iter()
                    .take_while(|t| t.is_word() && match_cue(&[t.lower.as_str()]).is_none())
                    .take(4)
                    .map(|t| t.text.as_str())
                    .collect();
                if !words.is_empty() {
                    return Some(words.join(" "));
                }
                continue;
            }
            let mut from = end;
            let mut article = None;
            if tokens.get(from).is_some_and(|t| t.lower == "the") {
                article = Some(tokens[from].text.clone());
                from += 1;
            }
            let run_end = run_right(tokens, from, hi);
            if run_end <= from {
                continue;
            }
            let words: Vec<&str> =
                tokens[from..run_end].iter().filter(|t| t.is_word()).map(|t| t.text.as_str()).collect();
            let outlet_like = article.is_some()
                || matches!(words.first().copied(), Some("Le" | "La" | "Les" | "Die" | "Der" | "El"))
                || words
                    .iter()
                    .any(|w| OUTLET_WORDS.contains(w) || (w.chars().count() >= 2 && w.chars().all(char::is_uppercase)));
            if !outlet_like {
                continue;
            }
            let mut text = words.join(" ");
            if let Some(article) = article {
                text = format!("{article} {text}");
            } else if pattern.last() == Some(&"au") {
                text = format!("Le {text}");
            }
            return Some(text);
        }
    }
    None
}
