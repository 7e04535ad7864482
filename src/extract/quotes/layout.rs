//! Paragraph layout: the page's blocks as paragraphs of tokens, with quote
//! spans assigned to tokens and French incises (« …, dit-il, … ») split out.

use std::ops::Range;

use super::super::{Block, BlockKind, PageFacts};
use super::text::{Token, tokenize};
use super::{lexicon, marks, names, normalize};

/// A quoted span of one paragraph, in character indices of that paragraph.
#[derive(Debug, Clone)]
pub(super) struct Span {
    /// First character of the span, opening mark included.
    pub(super) outer_start: usize,
    /// One past its last character, closing mark included.
    pub(super) outer_end: usize,
    /// The quoted words.
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) closed: bool,
    /// The opening mark, or `None` for a `<q>` span.
    pub(super) mark: Option<char>,
    /// The second half of a quote an incise cut in two (« A, raconte-t-elle. B »).
    pub(super) joins_prev: bool,
}

/// One text block with what quotation finding reads from it.
pub(super) struct Para<'a> {
    pub(super) block: &'a Block,
    pub(super) chars: Vec<char>,
    /// Offset of the block in the article text.
    pub(super) base: usize,
    pub(super) tokens: Vec<Token>,
    pub(super) spans: Vec<Span>,
    /// Token range `[qa, qb)` of each span, computed once (a paragraph of
    /// thousands of quotes must not rescan its tokens per quote).
    pub(super) ranges: Vec<(usize, usize)>,
    /// First and one-past-last non-space character.
    pub(super) bounds: (usize, usize),
    pub(super) links: Vec<Range<usize>>,
}

impl Para<'_> {
    pub(super) fn slice(&self, start: usize, end: usize) -> String {
        self.chars.get(start..end).map(|c| c.iter().collect()).unwrap_or_default()
    }

    /// Token range `[qa, qb)` of span `s`.
    pub(super) fn token_range(&self, s: usize) -> (usize, usize) {
        self.ranges.get(s).copied().unwrap_or((self.tokens.len(), self.tokens.len()))
    }

    /// Whether span `s` is the whole paragraph.
    pub(super) fn wholly(&self, s: &Span) -> bool {
        s.outer_start <= self.bounds.0 && s.outer_end >= self.bounds.1
    }
}

/// Byte ranges of `text` as character ranges; ranges off a character boundary are dropped.
pub(super) fn char_ranges(text: &str, ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    ranges
        .iter()
        .filter(|r| {
            r.start < r.end && text.is_char_boundary(r.start) && text.is_char_boundary(r.end) && r.end <= text.len()
        })
        .map(|r| text[..r.start].chars().count()..text[..r.end].chars().count())
        .collect()
}

/// Whether a paragraph of this kind is scanned for marks.
pub(super) fn is_running_text(kind: BlockKind) -> bool {
    matches!(kind, BlockKind::Paragraph | BlockKind::ListItem)
}

pub(super) fn layout<'a>(blocks: &'a [Block], facts: &PageFacts) -> Vec<Para<'a>> {
    let mut paras = Vec::new();
    let mut base = 0;
    let title = facts.title.as_deref().map(normalize);
    for block in blocks.iter().filter(|b| b.kind != BlockKind::Caption) {
        let chars: Vec<char> = block.text.chars().collect();
        let len = chars.len();
        let is_title = title.as_deref().is_some_and(|t| !t.is_empty() && normalize(&block.text) == t);
        let mut spans = Vec::new();
        if is_running_text(block.kind) && !is_title {
            let q_spans = char_ranges(&block.text, &block.q_spans);
            for q in &q_spans {
                let start = q.start.min(len);
                let end = q.end.min(len);
                if start < end {
                    spans.push(Span {
                        outer_start: start,
                        outer_end: end,
                        start,
                        end,
                        closed: true,
                        mark: None,
                        joins_prev: false,
                    });
                }
            }
            for m in marks::scan(&chars) {
                let outer_end = m.close.map_or(m.end, |c| c + 1);
                if q_spans.iter().any(|q| m.open < q.end && outer_end > q.start) {
                    continue;
                }
                spans.push(Span {
                    outer_start: m.open,
                    outer_end,
                    start: m.start,
                    end: m.end,
                    closed: m.close.is_some(),
                    mark: Some(m.mark),
                    joins_prev: false,
                });
            }
            spans.sort_by_key(|s| s.outer_start);
        }
        let mut tokens = tokenize(&chars);
        spans = split_incises(spans, &tokens);
        let ranges = assign_spans(&mut tokens, &spans);
        let first = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
        let last = chars.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
        let links = char_ranges(&block.text, &block.link_spans);
        paras.push(Para { block, chars, base, tokens, spans, ranges, bounds: (first, last), links });
        base += len + 2;
    }
    paras
}

/// Marks each token with the span it lies in and returns each span's token
/// range `[qa, qb)`, in one sweep: spans are sorted by start and (but for a
/// rare `<q>` beside marks) do not overlap, so the first span that can still
/// hold a token is near the sweep's pointer.
pub(super) fn assign_spans(tokens: &mut [Token], spans: &[Span]) -> Vec<(usize, usize)> {
    let n = tokens.len();
    let mut ranges: Vec<Option<(usize, usize)>> = vec![None; spans.len()];
    let mut s = 0;
    for (i, t) in tokens.iter_mut().enumerate() {
        while s < spans.len() && spans[s].outer_end < t.end {
            s += 1;
        }
        let inside = (s..spans.len())
            .take_while(|&k| spans[k].outer_start <= t.start)
            .take(4)
            .find(|&k| t.end <= spans[k].outer_end);
        t.quote = inside;
        if let Some(k) = inside {
            let r = ranges[k].get_or_insert((i, i));
            r.1 = i + 1;
        }
    }
    ranges.into_iter().map(|r| r.unwrap_or((n, n))).collect()
}

/// Pronouns of an inverted incise ("raconte-t-elle", "said he").
pub(super) const INCISE_PRONOUNS: &[&str] = &["il", "elle", "ils", "elles", "on", "he", "she"];

/// Where an incise inside quotation marks ends: `, <cue> <pronoun or name>`
/// followed by a comma or full stop with more quoted words after it
/// (« A, raconte-t-elle. B »). Returns the index of that closing punctuation.
pub(super) fn incise_at(tokens: &[Token], i: usize, last: usize) -> Option<usize> {
    if !tokens[i].is_punct(',') {
        return None;
    }
    let words: Vec<&str> =
        tokens[i + 1..last].iter().take(3).take_while(|t| t.is_word()).map(|t| t.lower.as_str()).collect();
    let (len, class) = lexicon::match_cue(&words)?;
    if class != lexicon::CueClass::Verb {
        return None;
    }
    let subject = i + 1 + len;
    let t = tokens.get(subject).filter(|_| subject < last)?;
    let after = if INCISE_PRONOUNS.contains(&t.lower.as_str()) {
        subject + 1
    } else if t.is_capitalized() {
        names::run_right(tokens, subject, last)
    } else {
        return None;
    };
    let close = tokens.get(after).filter(|_| after + 1 < last)?;
    (close.is_punct(',') || close.is_punct('.')).then_some(after)
}

/// Cuts quoted spans at an incise, so its cue and subject read as the frame
/// and the two halves join again as one quote.
pub(super) fn split_incises(spans: Vec<Span>, tokens: &[Token]) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        if span.mark.is_none() {
            out.push(span);
            continue;
        }
        let first = tokens.partition_point(|t| t.start < span.start);
        let last = tokens.partition_point(|t| t.end <= span.end);
        let cut = (first + 1..last.saturating_sub(1)).find_map(|i| incise_at(tokens, i, last).map(|k| (i, k)));
        match cut {
            Some((comma, close)) => {
                let a_end = tokens[comma - 1].end;
                let b_start = tokens[close + 1].start;
                out.push(Span { outer_end: tokens[comma].start, end: a_end, closed: true, ..span.clone() });
                out.push(Span { outer_start: tokens[close].end, start: b_start, joins_prev: true, ..span });
            }
            None => out.push(span),
        }
    }
    out
}
