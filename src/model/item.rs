//! Items (one article each), their review state and per-source fetch state.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stable item id: the first 16 bytes of a BLAKE3 hash, as 32 hex digits.
///
/// Derived from the source id and the feed's guid when it has one, else from
/// the canonical URL, so re-fetching the same entry always lands on the same id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// The id of an entry identified by `key` (a guid or a canonical URL) within `source_id`.
    pub fn derive(source_id: &str, key: &str) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(source_id.as_bytes());
        hasher.update(&[0]);
        hasher.update(key.as_bytes());
        let hash = hasher.finalize();
        let mut hex = String::with_capacity(32);
        for byte in &hash.as_bytes()[..16] {
            use std::fmt::Write;
            write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
        }
        Self(hex)
    }

    /// Accepts exactly 32 lower-case hex digits (what `derive` makes).
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an item stands in the editors' workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    #[default]
    New,
    Shortlisted,
    Approved,
    Rejected,
    Published,
}

impl ReviewState {
    pub const ALL: [Self; 5] = [Self::New, Self::Shortlisted, Self::Approved, Self::Rejected, Self::Published];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Shortlisted => "shortlisted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What editors write; never touched by a re-fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorFields {
    pub headline: Option<String>,
    pub commentary: Option<String>,
    pub quote_ids: Vec<String>,
    pub section: Option<String>,
    pub position: Option<u32>,
    /// The editor's corrections to extracted attributions, by quote id: the
    /// extractor's guess stays stored as found, and whoever shows a chosen
    /// quote applies the override on top (see [`QuoteOverride::apply`]).
    /// `serde(default)`: items stored before overrides existed have none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub quote_overrides: std::collections::BTreeMap<String, QuoteOverride>,
    /// Other items this entry cites (another outlet's telling, a related
    /// article), in the editor's order: the digest links each, and
    /// `quote_ids` may name their quotes. `serde(default)`: older items cite none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cited: Vec<ItemId>,
    /// Quotes the editor added from a selection of the article's text (the
    /// extractor missed them); chosen, ordered and overridden like any other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_quotes: Vec<AddedQuote>,
    /// The last check of each chosen quote against its page, by quote id
    /// (`gleaner verify`, and before each publish). Not an editor's
    /// choice, but kept here because it travels with the choice it checks
    /// and every store keeps these fields whole. `serde(default)`: older
    /// items have none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub quote_checks: std::collections::BTreeMap<String, super::QuoteCheck>,
    /// Editors' tags, cleaned (`editorial::rules::clean_tag`), in the order
    /// added. `serde(default)`: older items have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl EditorFields {
    /// The item's stored `quotes` followed by those its editors added, so
    /// every view, rule and issue sees one list (an added quote carries
    /// `ed-` before its id, so it never collides with an extracted one).
    pub fn with_added(&self, mut quotes: Vec<super::Quote>) -> Vec<super::Quote> {
        for added in &self.added_quotes {
            if !quotes.iter().any(|q| q.id == added.id) {
                quotes.push(added.to_quote());
            }
        }
        quotes
    }
}

/// A quote an editor added from the article's text: verbatim words of the
/// main text, with who said them and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedQuote {
    /// `ed-` and the extractor's id of the same words, so adding the same
    /// words twice adds one quote.
    pub id: String,
    pub text: String,
    pub speaker: Option<String>,
    pub outlet: Option<String>,
}

impl AddedQuote {
    /// As a [`super::Quote`], so everything that shows quotes treats it
    /// like an extracted one (full confidence: an editor picked it).
    pub fn to_quote(&self) -> super::Quote {
        super::Quote {
            id: self.id.clone(),
            text: self.text.clone(),
            speaker: self.speaker.clone(),
            speaker_mention: None,
            cue: None,
            outlet: self.outlet.clone(),
            via: None,
            kind: super::QuoteKind::Inline,
            start: 0,
            end: 0,
            context: String::new(),
            confidence: 1.0,
        }
    }
}

/// The built-in source of articles an editor added by URL (`gleaner add`).
pub const MANUAL_SOURCE: &str = "manual";
/// The built-in source of commentary-only entries (`gleaner note add`).
pub const NOTE_SOURCE: &str = "note";

/// An editor's speaker and outlet for one quote of one item. `None` keeps
/// what extraction found; to say "no speaker", an editor clears the quote
/// from the selection instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// The quote trimmed to part of its words; always a verbatim substring
    /// of the quote's text (the editorial rules refuse anything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl QuoteOverride {
    /// True when it changes nothing (such entries are not stored).
    pub fn is_empty(&self) -> bool {
        self.speaker.is_none() && self.outlet.is_none() && self.text.is_none()
    }

    /// `quote` as the editor wants it shown.
    pub fn apply(&self, quote: &super::Quote) -> super::Quote {
        let mut shown = quote.clone();
        if let Some(speaker) = &self.speaker {
            shown.speaker = Some(speaker.clone());
        }
        if let Some(outlet) = &self.outlet {
            shown.outlet = Some(outlet.clone());
        }
        if let Some(text) = &self.text {
            shown.text.clone_from(text);
        }
        shown
    }
}

/// An item as the parser and normalizer hand it to the store: everything a
/// feed or page says about one entry, nothing editors own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    pub source_id: String,
    pub guid: Option<String>,
    /// Canonical URL (see `model::canonical_url`).
    pub url: Option<String>,
    pub title: String,
    pub authors: Vec<String>,
    pub published: DateTime<Utc>,
    /// True when the feed gave no usable date and `published` is the fetch time.
    pub published_is_fetch_time: bool,
    pub updated: Option<DateTime<Utc>>,
    /// Sanitized HTML.
    pub summary: String,
    /// Sanitized HTML of the full content when the feed carries it.
    pub content: String,
    pub language: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl NewItem {
    /// The key that identifies this entry within its source: guid, else canonical URL, else title.
    pub fn identity_key(&self) -> &str {
        self.guid.as_deref().or(self.url.as_deref()).unwrap_or(&self.title)
    }

    pub fn id(&self) -> ItemId {
        ItemId::derive(&self.source_id, self.identity_key())
    }

    /// Hash over what a feed can change; a new hash means the item was updated.
    pub fn content_hash(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        for part in
            [self.title.as_str(), self.summary.as_str(), self.content.as_str(), self.url.as_deref().unwrap_or("")]
        {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        for author in &self.authors {
            hasher.update(author.as_bytes());
            hasher.update(&[0]);
        }
        hasher.finalize().to_hex()[..32].to_owned()
    }
}

/// A stored item: the latest feed data plus the editors' state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    /// Every source that carried this canonical URL, first sighting first.
    pub sources: Vec<String>,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub title: String,
    pub authors: Vec<String>,
    pub published: DateTime<Utc>,
    pub published_is_fetch_time: bool,
    pub updated: Option<DateTime<Utc>>,
    pub summary: String,
    pub content: String,
    /// Main text from the article page (extraction); empty until extracted.
    #[serde(default)]
    pub text: String,
    pub language: Option<String>,
    /// Byline of the article page (extraction); `None` until extracted or when the page names none.
    #[serde(default)]
    pub byline: Option<String>,
    /// The outlet that published the article (extraction: `og:site_name`, JSON-LD
    /// publisher, else the source's name).
    #[serde(default)]
    pub outlet: Option<String>,
    /// When the stored text, quotes and links were extracted; `None` until the first success.
    #[serde(default)]
    pub extracted_at: Option<DateTime<Utc>>,
    /// What the last extraction attempt could not do ("article fetch failed: 404",
    /// "no article text found"); `None` when it went through cleanly.
    #[serde(default)]
    pub extraction_note: Option<String>,
    /// The `content_hash` the last extraction attempt answered (success or
    /// failure). Ingest extracts every item whose hash differs, so an item whose
    /// extraction was interrupted is picked up by the next poll that parses it.
    #[serde(default)]
    pub extracted_for: Option<String>,
    /// How many quotes and links are stored for this item (in its one
    /// `extracts.v3/` record): shown without reading that record, and an item
    /// with neither has no record, so a first extraction needs no lookup.
    #[serde(default)]
    pub quote_count: u32,
    #[serde(default)]
    pub link_count: u32,
    pub content_hash: String,
    /// First time any source delivered this item.
    pub first_seen: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub state: ReviewState,
    pub editor: EditorFields,
    /// Bumped on every change; editors' writes must name the revision they read.
    pub revision: u64,
    /// The story this item is one telling of: the id of the story's first
    /// item (its own id when no other outlet ran it). Set by near-duplicate
    /// detection (`editorial::stories`), never by a refetch; `None` until
    /// then (and for items stored before stories existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<ItemId>,
}

/// The merge rules: how a stored item absorbs what a feed or an extraction
/// says about it. They live on the record rather than in a store so that
/// every store keeps them alike; a store only decides where bytes go.
impl Item {
    /// Whether nothing an editor did shows on this item: still new, no
    /// editor field set. Only such items may be removed by retention (the
    /// store also checks the audit trail, which the record does not carry).
    pub fn untouched_by_editors(&self) -> bool {
        self.state == ReviewState::New && self.editor == EditorFields::default()
    }

    /// The source that first delivered this item.
    pub fn source(&self) -> &str {
        self.sources.first().map_or("", String::as_str)
    }

    /// A commentary-only entry (`gleaner note add`): no article behind it.
    pub fn is_note(&self) -> bool {
        self.source() == NOTE_SOURCE && self.url.is_none()
    }

    /// The story this item belongs to: its assigned one, else its own.
    pub fn story_id(&self) -> &ItemId {
        self.story.as_ref().unwrap_or(&self.id)
    }

    /// A stored item made from its first sighting: in review as `new`, at
    /// revision 1, with nothing extracted yet.
    pub fn first_sighting(id: ItemId, content_hash: String, new: &NewItem) -> Self {
        Self {
            id,
            sources: vec![new.source_id.clone()],
            guid: new.guid.clone(),
            url: new.url.clone(),
            title: new.title.clone(),
            authors: new.authors.clone(),
            published: new.published,
            published_is_fetch_time: new.published_is_fetch_time,
            updated: new.updated,
            summary: new.summary.clone(),
            content: new.content.clone(),
            text: String::new(),
            language: new.language.clone(),
            byline: None,
            outlet: None,
            extracted_at: None,
            extraction_note: None,
            extracted_for: None,
            quote_count: 0,
            link_count: 0,
            content_hash,
            first_seen: new.fetched_at,
            fetched_at: new.fetched_at,
            state: ReviewState::New,
            editor: EditorFields::default(),
            revision: 1,
            story: None,
        }
    }

    /// Remembers that `source_id` carries this article too; whether that is news.
    pub fn also_from(&mut self, source_id: &str) -> bool {
        if self.sources.iter().any(|s| s == source_id) {
            return false;
        }
        self.sources.push(source_id.to_owned());
        true
    }

    /// Whether a sighting with content hash `hash` from `source_id` should
    /// replace the feed fields. Only the item's first source may: letting
    /// every source overwrite them would flip the item (and bump its revision)
    /// on each poll when two sources carry slightly different copies.
    pub fn follows_feed_change(&self, hash: &str, source_id: &str) -> bool {
        self.content_hash != hash && self.source() == source_id
    }

    /// Copies what the feed says. Review state, editor fields and extracted
    /// text stay: a refetch never clobbers an editor's work.
    pub fn take_feed_fields(&mut self, new: &NewItem, hash: &str) {
        self.title.clone_from(&new.title);
        self.url.clone_from(&new.url);
        self.authors.clone_from(&new.authors);
        self.published = new.published;
        self.published_is_fetch_time = new.published_is_fetch_time;
        self.updated = new.updated;
        self.summary.clone_from(&new.summary);
        self.content.clone_from(&new.content);
        self.language.clone_from(&new.language);
        self.fetched_at = new.fetched_at;
        hash.clone_into(&mut self.content_hash);
    }

    /// Takes an extraction's fields (a feed's language wins over the page's)
    /// and bumps the revision when anything an editor sees changed, which
    /// includes `quotes_or_links_changed` (the store compares those records).
    /// A re-extraction that found the same page must not make an open edit
    /// form stale.
    pub fn take_extraction(&mut self, extraction: &super::Extraction, quotes_or_links_changed: bool) {
        let language = self.language.clone().or_else(|| extraction.language.clone());
        let changed = quotes_or_links_changed
            || self.text != extraction.text
            || self.byline != extraction.byline
            || self.outlet != extraction.outlet
            || self.extraction_note != extraction.note
            || self.language != language;
        self.text.clone_from(&extraction.text);
        self.byline.clone_from(&extraction.byline);
        self.outlet.clone_from(&extraction.outlet);
        self.language = language;
        self.extraction_note.clone_from(&extraction.note);
        self.extracted_at = Some(extraction.extracted_at);
        self.extracted_for = Some(extraction.content_hash.clone());
        self.quote_count = saturating_count(extraction.quotes.len());
        self.link_count = saturating_count(extraction.links.len());
        if changed {
            self.revision += 1;
        }
    }
}

/// A stored quote or link count. Pages are capped far below 4 billion quotes by
/// the fetcher's body limit; saturating keeps the count an upper bound anyway.
fn saturating_count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Per-source polling state (RFC 9110 validators, backoff bookkeeping).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// BLAKE3 of the last body that parsed; an identical 200 stores nothing.
    pub body_hash: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// When the scheduler should poll next (schedule, backoff or Retry-After).
    pub next_due: Option<DateTime<Utc>>,
    /// The server's own Retry-After (429/503); even a manual fetch waits for it.
    #[serde(default)]
    pub retry_after: Option<DateTime<Utc>>,
    /// Set when the server answered 301/308: the operator should update the URL.
    pub permanent_redirect: Option<String>,
    /// This source's article pages whose fetch failed for a reason that may
    /// pass (timeout, 5xx, ...), and when to try each again. Kept here, not on
    /// the items, because the source's state is read on every poll anyway,
    /// even one answered 304, and a poll that delivers nothing new still
    /// retries what is due.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub article_retries: Vec<ArticleRetry>,
    /// New items this source delivered since retention last looked at it:
    /// retention reads the source's items, so it runs only once enough new
    /// ones came in to matter (see `ingest`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub new_since_retention: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One article page to fetch again (see [`FetchState::article_retries`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRetry {
    pub item: ItemId,
    /// Failed fetches so far.
    pub attempts: u32,
    pub due: DateTime<Utc>,
}
