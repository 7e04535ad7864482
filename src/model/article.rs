//! What extraction finds in one article page: main text, metadata, quotations
//! and outbound links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a quotation appeared on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteKind {
    /// Between quotation marks in running text.
    Inline,
    /// A `<blockquote>` (or a paragraph that is wholly a quotation).
    Block,
    /// An HTML `<q>` element.
    Q,
    /// An embedded post (`blockquote.twitter-tweet` and the like), by its account.
    Embed,
    /// A short fragment governed by a cue with a speaker ("called the plan “reckless”").
    Partial,
}

/// One direct quotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Stable id derived from the normalized quote text, so an editor's choice
    /// survives a re-fetch of the page.
    pub id: String,
    /// The quoted words, without the marks.
    pub text: String,
    /// Who said it (merged to the article's fullest form of the name); `None` when unknown.
    pub speaker: Option<String>,
    /// The words that named the speaker where the quote is attributed, as
    /// written ("the senator", "Mr. Carper"); `None` for a pronoun or when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_mention: Option<String>,
    /// The cue verb as written ("said", "pointed out", "گفت").
    pub cue: Option<String>,
    /// The outlet that published the article.
    pub outlet: Option<String>,
    /// An outlet the words were relayed through ("told the BBC").
    pub via: Option<String>,
    pub kind: QuoteKind,
    /// Character (not byte) offsets of the quoted words in the article's main text.
    pub start: usize,
    pub end: usize,
    /// The sentence around the quote.
    pub context: String,
    /// 0..=1: how sure the attribution is.
    pub confidence: f32,
}

/// One outbound link of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Canonical URL.
    pub url: String,
    /// Anchor text.
    pub text: String,
    /// The sentence the link sits in.
    pub context: String,
    /// Registrable host, lower-case.
    pub domain: String,
    /// True when the link leaves the article's site.
    pub external: bool,
}

/// Everything extracted from one page. Extraction never fails as a whole: a
/// page without an article gives an empty `text` and a note saying so.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub url: Option<String>,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// `<link rel=canonical>` / `og:url`, canonicalized.
    pub canonical_url: Option<String>,
    pub outlet: Option<String>,
    pub language: Option<String>,
    /// Main text, paragraphs separated by a blank line.
    pub text: String,
    pub quotes: Vec<Quote>,
    pub links: Vec<Link>,
    /// What extraction could not do ("no article found", "language guessed").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What extraction found for one item, as the store keeps it beside the item.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// The item's `content_hash` this extraction answers (see `Item::extracted_for`).
    pub content_hash: String,
    /// Main text, paragraphs separated by a blank line.
    pub text: String,
    pub byline: Option<String>,
    pub outlet: Option<String>,
    /// The page's language; fills the item's only when the feed gave none.
    pub language: Option<String>,
    /// In page order; stored with the links as one record per item.
    pub quotes: Vec<Quote>,
    pub links: Vec<Link>,
    pub extracted_at: DateTime<Utc>,
    /// What extraction could not do; `None` when it went through cleanly.
    pub note: Option<String>,
}
