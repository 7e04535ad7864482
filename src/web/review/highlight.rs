//! The article's text on the item page with one quote marked, and its cue
//! (the verb of saying) marked near it, so an editor checks a quote and its
//! attribution against the words around it. Pure: text in, segments out;
//! the template escapes every segment.

use serde::Serialize;

use crate::model::Quote;

/// A run of text, marked `quote` or `cue`, or plain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Segment {
    pub(crate) text: String,
    pub(crate) mark: Option<&'static str>,
}

/// How far from the quote a cue is looked for, in bytes ("…," she said on
/// Tuesday / Ali Vaez, director of …, said: "…").
const CUE_WINDOW: usize = 300;

/// `text` split into paragraphs at blank lines, each a list of segments;
/// `quote` (with its shown words `words`, maybe trimmed) marked where it
/// occurs and its cue marked nearby. Without a quote, or when the words are
/// not in the text, every paragraph is one plain segment.
pub(crate) fn paragraphs(text: &str, quote: Option<(&Quote, &str)>) -> Vec<Vec<Segment>> {
    let mut marks: Vec<(usize, usize, &'static str)> = Vec::new();
    if let Some((quote, words)) = quote
        && let Some(at) = locate(text, quote, words)
    {
        let end = at + words.len();
        marks.push((at, end, "quote"));
        if let Some(cue) = quote.cue.as_deref().map(str::trim).filter(|c| !c.is_empty())
            && let Some(cue_at) = nearest(text, cue, at, end)
        {
            marks.push((cue_at, cue_at + cue.len(), "cue"));
        }
    }
    marks.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split("\n\n") {
        let end = start + piece.len();
        let lead = piece.len() - piece.trim_start().len();
        let (from, to) = (start + lead, start + piece.trim_end().len());
        if from < to {
            out.push(segments(text, from, to, &marks));
        }
        start = end + 2;
    }
    out
}

/// Where the shown words are: inside the extractor's span when it holds
/// them (the same words may occur twice), else their first occurrence.
fn locate(text: &str, quote: &Quote, words: &str) -> Option<usize> {
    if words.is_empty() {
        return None;
    }
    let byte = |chars: usize| text.char_indices().nth(chars).map_or(text.len(), |(b, _)| b);
    if quote.end > quote.start {
        let (from, to) = (byte(quote.start), byte(quote.end));
        if let Some(inside) = text.get(from..to).and_then(|span| span.find(words)) {
            return Some(from + inside);
        }
    }
    text.find(words)
}

/// The occurrence of `cue` closest to the quote at `start..end`, within the window.
fn nearest(text: &str, cue: &str, start: usize, end: usize) -> Option<usize> {
    text.match_indices(cue)
        .map(|(at, _)| at)
        .filter(|&at| at + cue.len() <= start || at >= end)
        .map(|at| (if at >= end { at - end } else { start - (at + cue.len()) }, at))
        .filter(|(distance, _)| *distance <= CUE_WINDOW)
        .min()
        .map(|(_, at)| at)
}

fn segments(text: &str, from: usize, to: usize, marks: &[(usize, usize, &'static str)]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = from;
    for &(start, end, mark) in marks {
        let (start, end) = (start.max(at), end.min(to));
        if start >= end {
            continue;
        }
        if start > at {
            out.push(Segment { text: text[at..start].to_owned(), mark: None });
        }
        out.push(Segment { text: text[start..end].to_owned(), mark: Some(mark) });
        at = end;
    }
    if at < to {
        out.push(Segment { text: text[at..to].to_owned(), mark: None });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QuoteKind;

    fn quote(text: &str, cue: Option<&str>) -> Quote {
        Quote {
            id: "q".to_owned(),
            text: text.to_owned(),
            speaker: None,
            speaker_mention: None,
            cue: cue.map(str::to_owned),
            outlet: None,
            via: None,
            kind: QuoteKind::Inline,
            start: 0,
            end: 0,
            context: String::new(),
            confidence: 1.0,
        }
    }

    fn marked(paragraphs: &[Vec<Segment>]) -> Vec<(String, &'static str)> {
        paragraphs.iter().flatten().filter_map(|s| s.mark.map(|m| (s.text.clone(), m))).collect()
    }

    #[test]
    fn the_quote_and_its_cue_are_marked_in_their_paragraph() {
        let text = "The council met.\n\n“We need more time,” the mayor said on Tuesday.";
        let q = quote("We need more time,", Some("said"));
        let paragraphs = paragraphs(text, Some((&q, "We need more time")));
        assert_eq!(paragraphs.len(), 2);
        assert_eq!(marked(&paragraphs), [("We need more time".to_owned(), "quote"), ("said".to_owned(), "cue")]);
        let joined: String = paragraphs[1].iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, "“We need more time,” the mayor said on Tuesday.");
    }

    #[test]
    fn a_quote_not_in_the_text_marks_nothing_and_no_quote_gives_plain_paragraphs() {
        let text = "One.\n\nTwo.";
        let q = quote("Three", Some("said"));
        assert!(marked(&paragraphs(text, Some((&q, "Three")))).is_empty());
        assert_eq!(paragraphs(text, None).len(), 2);
        assert_eq!(paragraphs("  \n\n", None).len(), 0);
    }

    #[test]
    fn persian_text_is_split_on_character_boundaries() {
        let text = "او گفت: «تقویم را تغییر می‌دهند» و رفت.";
        let q = quote("تقویم را تغییر می‌دهند", Some("گفت"));
        let paragraphs = paragraphs(text, Some((&q, "تقویم را تغییر می‌دهند")));
        assert_eq!(marked(&paragraphs).len(), 2);
    }
}
