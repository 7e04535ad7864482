//! Who a block quote or pull quote credits: a trailing "— Name", the
//! `<cite>` line after it, or its figure's `<figcaption>`.
//!
//! Must not: read running text; paragraphs are the finder's. Main entry:
//! [`credited`].

use super::layout::Para;
use super::text::{self, Token};
use super::{BlockKind, marks, names};
use crate::extract::Block;

/// "— Jane Doe" at the end of a block quote or pull quote: the text before
/// the dash and the name after it.
pub(super) fn trailing_attribution(text: &str) -> (String, Option<String>) {
    if let Some(at) = text.rfind(['—', '–', '―']) {
        let name = text[at..].trim_start_matches(['—', '–', '―']).trim();
        let words = name.split_whitespace().count();
        if (1..=6).contains(&words) && !name.ends_with(['.', '!', '?']) {
            return (text[..at].trim().to_string(), Some(name.trim_end_matches(',').to_string()));
        }
    }
    (text.trim().to_string(), None)
}

/// The person a credit line names: the last block of a block quote or pull
/// quote (its `<cite>` or byline) that reads as a name, optionally after a
/// dash and before a comma ("— Jane Doe, water authority"), and ends no
/// sentence. Returns that name when block `p` is such a line following a
/// quotation block of its kind.
pub(super) fn credit_of(paras: &[Para], p: usize) -> Option<String> {
    let para = paras.get(p)?;
    let kind = para.block.kind;
    let prev = paras.get(p.checked_sub(1)?)?;
    if !matches!(kind, BlockKind::Blockquote | BlockKind::PullQuote) || prev.block.kind != kind {
        return None;
    }
    credit_line(&para.block.text)
}

/// The name a credit line gives: two to ten words, no sentence end, opening
/// (after any dash) on a name of two words or more closed by a comma, a
/// parenthesis or the line's end.
fn credit_line(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches(['—', '–', '―', '-']).trim();
    let words = text.split_whitespace().count();
    if !(2..=10).contains(&words) || text.ends_with(['.', '!', '?', ':', '"', '”', '»']) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let tokens = text::tokenize(&chars);
    let start = tokens.iter().position(Token::is_word)?;
    let end = names::run_right(&tokens, start, tokens.len());
    let closes = tokens.get(end).is_none_or(|t| t.is_punct(',') || t.is_punct('('));
    if end < start + 2 || !closes {
        return None;
    }
    names::read_name(&tokens, start, end).filter(|n| n.words.len() >= 2).map(|n| n.text())
}

/// The name on the credit line after quotation block `p`: its `<cite>` (a
/// block of its kind) or the `<figcaption>` of its figure (a caption block,
/// which the article text leaves out, right after it in `blocks`).
pub(super) fn credited(paras: &[Para], blocks: &[Block], p: usize) -> Option<String> {
    credit_of(paras, p + 1).or_else(|| {
        let at = blocks.iter().position(|b| std::ptr::eq(b, paras[p].block))?;
        let next = blocks.get(at + 1).filter(|b| b.kind == BlockKind::Caption)?;
        credit_line(&next.text)
    })
}

/// Strips one pair of quotation marks around a whole block.
pub(super) fn strip_marks(text: &str) -> &str {
    let t = text.trim();
    let chars: Vec<char> = t.chars().collect();
    let spans = marks::scan(&chars);
    if let [only] = spans.as_slice()
        && only.open == 0
        && only.close == Some(chars.len() - 1)
    {
        let start = t.char_indices().nth(only.start).map_or(0, |(i, _)| i);
        let end = t.char_indices().nth(only.end).map_or(t.len(), |(i, _)| i);
        return t.get(start..end).unwrap_or(t);
    }
    t
}
