//! Extraction: an article page's main text, metadata, quotations and links.
//!
//! Pure: HTML and its URL in, an [`Article`] out; no I/O, no clock. Never fails
//! as a whole. Stages:
//! - `content`: finds the main content and turns it into [`Block`]s (paragraphs
//!   kept, boilerplate dropped), plus the page metadata and outbound links;
//! - `quotes`: finds direct quotations in the blocks and attributes them.

use crate::model::Article;

/// What kind of block of the main text this is; quotation finding treats them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    Heading,
    ListItem,
    /// A `<blockquote>` in the body.
    Blockquote,
    /// A pull quote (`aside.pullquote`, `.pull-quote`, ...): often repeats a body quote.
    PullQuote,
    /// An embedded social post; `account` is its author handle or name when known.
    Embed,
    /// Figure captions: quotes in them are not speech.
    Caption,
}

/// One block of the main text, with the spans quotation finding needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// Plain text, whitespace collapsed.
    pub text: String,
    /// Byte ranges in `text` covered by link anchors (quotes inside link text are titles, not speech).
    pub link_spans: Vec<std::ops::Range<usize>>,
    /// Byte ranges in `text` covered by `<q>` elements.
    pub q_spans: Vec<std::ops::Range<usize>>,
    /// For `Embed`: the account that posted it.
    pub account: Option<String>,
}

/// Page-level facts quotation finding uses.
#[derive(Debug, Clone, Default)]
pub struct PageFacts {
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub language: Option<String>,
}
