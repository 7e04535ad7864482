//! Composing the next issue: which approved items go in, in which section and
//! order, with which quotes and how each quote is attributed.
//!
//! Pure: the caller hands in the items with their quotes, the settings and
//! `now`; the result is a [`Composition`] (what `render` turns into HTML).
//! Editors' commentary is sanitized here, once, so every output format
//! carries the same cleaned markup. Must not read the store, files or clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::layout::lay_out;
use crate::config::PublishSettings;
use crate::model::{Issue, IssueSection, Item, ItemId, Period, Quote};
use crate::sanitize::{Sanitizer, escape_text};

/// One approved item offered to the composer, with what it needs from elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub item: &'a Item,
    /// All stored quotes of the item; the editor's `quote_ids` pick among them.
    pub quotes: &'a [Quote],
    /// The section of the item's source (config), used when the editor chose none.
    pub source_section: Option<&'a str>,
    /// The source's display name: the outlet when extraction found none.
    pub source_name: Option<&'a str>,
    /// The items the entry cites (`editor.cited`, in that order), with their
    /// quotes: the entry links each and may quote any of them.
    pub cited: &'a [Cited<'a>],
}

/// An item cited by an entry, with what its links and quotes need.
#[derive(Debug, Clone, Copy)]
pub struct Cited<'a> {
    pub item: &'a Item,
    pub quotes: &'a [Quote],
    /// The cited item's source's name: its outlet when extraction found none.
    pub source_name: Option<&'a str>,
}

/// Another article an entry cites, as the digest links it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleView {
    /// Canonical URL, absolute.
    pub url: String,
    pub outlet: Option<String>,
    pub title: String,
}

/// One quote as the digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteView {
    pub text: String,
    pub speaker: Option<String>,
    pub outlet: Option<String>,
    pub via: Option<String>,
    /// What goes before the colon: "Speaker, in Outlet (via BBC)", "In Outlet",
    /// "Speaker"; empty when nothing is known.
    pub attribution: String,
}

/// One item as the digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(skip)]
    pub id: ItemId,
    /// Plain text: the editor's headline, else the item's title.
    pub headline: String,
    /// Sanitized HTML (relative links made absolute); empty when none.
    pub commentary_html: String,
    pub quotes: Vec<QuoteView>,
    /// The article (canonical URL), absolute.
    pub url: Option<String>,
    /// Who published the article, for the link text.
    pub outlet: Option<String>,
    /// The other articles the entry cites, in the editor's order (empty for
    /// most entries); a commentary-only entry has no `url` and none of these.
    pub also: Vec<ArticleView>,
}

/// A section with at least one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionView {
    /// Empty for the implicit main section when `publish.sections` is empty.
    pub name: String,
    pub entries: Vec<Entry>,
}

/// The next issue, composed but not rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    pub number: u32,
    pub title: String,
    pub period: Period,
    pub sections: Vec<SectionView>,
    pub created_at: DateTime<Utc>,
}

impl Composition {
    /// Plain-text synopsis: the headlines in issue order (RSS `description`
    /// must be text here, and the headlines say what the issue holds).
    pub fn summary(&self) -> String {
        let headlines: Vec<&str> = self
            .sections
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.headline.as_str()))
            .filter(|h| !h.is_empty())
            .collect();
        headlines.join(" · ")
    }

    /// The draft record to store, carrying the rendered body `html`.
    pub fn into_draft(self, html: String) -> Issue {
        let summary = self.summary();
        Issue {
            number: self.number,
            title: self.title,
            period: self.period,
            sections: self
                .sections
                .into_iter()
                .map(|s| IssueSection { name: s.name, items: s.entries.into_iter().map(|e| e.id).collect() })
                .collect(),
            html,
            summary,
            created_at: self.created_at,
            published_at: None,
            state: crate::model::IssueState::Draft,
        }
    }
}

/// The number of the next issue: one more than the highest so far, and
/// never below `first_number` (an operator moving an old digest to Gleaner
/// sets it to continue the old numbering). `None` when the numbers are used
/// up: a number is never reused, so no issue can follow `u32::MAX`.
pub fn next_number(existing: &[Issue], first_number: u32) -> Option<u32> {
    let mut next = first_number;
    for issue in existing {
        next = next.max(issue.number.checked_add(1)?);
    }
    Some(next)
}

/// Composes issue `number` from `candidates` in the layout of
/// [`lay_out`] (empty sections are left out). `previous_end` is where
/// the last issue's period ended; the first issue starts at its oldest item.
pub fn compose(
    settings: &PublishSettings,
    number: u32,
    candidates: &[Candidate<'_>],
    previous_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Composition {
    let sanitizer = Sanitizer::new(settings.base_url.as_ref());
    // An approved item that another approved entry cites is part of that
    // entry, not an entry of its own (it would otherwise appear twice).
    // Only a citing entry that is itself nobody's citation folds others in,
    // so two entries citing each other both stay.
    let cited: std::collections::HashSet<&ItemId> =
        candidates.iter().flat_map(|c| c.item.editor.cited.iter()).collect();
    let folded: std::collections::HashSet<&ItemId> =
        candidates.iter().filter(|c| !cited.contains(&c.item.id)).flat_map(|c| c.item.editor.cited.iter()).collect();
    let standalone: Vec<&Candidate<'_>> = candidates.iter().filter(|c| !folded.contains(&c.item.id)).collect();
    let placed = lay_out(&settings.sections, standalone, |c| c.item, |c| c.source_section.map(str::to_owned));
    let mut sections: Vec<SectionView> = placed
        .into_iter()
        .map(|s| SectionView { name: s.name, entries: s.items.into_iter().map(|c| entry(c, &sanitizer)).collect() })
        .collect();
    sections.retain(|s| !s.entries.is_empty());

    let oldest = candidates.iter().map(|c| c.item.published).min().unwrap_or(now);
    let start = previous_end.unwrap_or(oldest).min(now);
    Composition {
        number,
        title: settings.issue_title(number),
        period: Period { start, end: now },
        sections,
        created_at: now,
    }
}

fn entry(candidate: &Candidate<'_>, sanitizer: &Sanitizer) -> Entry {
    let item = candidate.item;
    let outlet = item.outlet.clone().or_else(|| candidate.source_name.map(str::to_owned));
    // A note's title is only what the queue shows; the digest prints the editor's headline or none.
    let fallback = if item.is_note() { "" } else { item.title.as_str() };
    let headline = item.editor.headline.as_deref().map(str::trim).filter(|h| !h.is_empty()).unwrap_or(fallback);
    // Where a chosen quote id is looked up: the entry's own article first,
    // then the cited ones; each quote is credited to its own article's outlet.
    let own = std::iter::once((candidate.quotes, outlet.clone()));
    let cited =
        candidate.cited.iter().map(|c| (c.quotes, c.item.outlet.clone().or_else(|| c.source_name.map(str::to_owned))));
    let pools: Vec<(&[Quote], Option<String>)> = own.chain(cited).collect();
    // The editor's order of choice, not page order: editors pick the strongest first.
    let quotes = item
        .editor
        .quote_ids
        .iter()
        .filter_map(|id| {
            pools.iter().find_map(|(quotes, outlet)| Some((quotes.iter().find(|q| &q.id == id)?, outlet.as_deref())))
        })
        // An editor's correction of speaker or outlet wins over extraction's guess.
        .map(|(q, outlet)| match item.editor.quote_overrides.get(&q.id) {
            Some(correction) => quote_view(&correction.apply(q), outlet),
            None => quote_view(q, outlet),
        })
        .collect();
    let also = candidate
        .cited
        .iter()
        .filter_map(|c| {
            Some(ArticleView {
                url: c.item.url.clone()?,
                outlet: c.item.outlet.clone().or_else(|| c.source_name.map(str::to_owned)),
                title: c.item.title.clone(),
            })
        })
        .collect();
    Entry {
        id: item.id.clone(),
        headline: headline.trim().to_owned(),
        commentary_html: commentary_html(item.editor.commentary.as_deref().unwrap_or(""), sanitizer),
        quotes,
        url: item.url.clone(),
        outlet,
        also,
    }
}

/// Editors may write HTML (links, emphasis) or plain text with blank lines
/// between paragraphs; either way only sanitized markup comes out.
fn commentary_html(text: &str, sanitizer: &Sanitizer) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    if text.contains('<') {
        return sanitizer.clean(text);
    }
    // Plain text: the sanitizer escapes `&` and friends; paragraphs become <p>.
    let mut html = String::with_capacity(text.len() + 16);
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        html.push_str(&escape_text(paragraph));
        html.push_str("</p>");
    }
    html
}

/// "Speaker, in Outlet (via Relay)", "In Outlet", "Speaker" or "".
pub fn attribution(speaker: Option<&str>, outlet: Option<&str>, via: Option<&str>) -> String {
    let (speaker, outlet, via) = (non_blank(speaker), non_blank(outlet), non_blank(via));
    let mut out = String::new();
    match (speaker, outlet) {
        (Some(speaker), Some(outlet)) => {
            out.push_str(speaker);
            out.push_str(", in ");
            out.push_str(outlet);
        }
        (None, Some(outlet)) => {
            out.push_str("In ");
            out.push_str(outlet);
        }
        (Some(speaker), None) => out.push_str(speaker),
        (None, None) => {}
    }
    if let Some(via) = via.filter(|v| Some(*v) != outlet) {
        if out.is_empty() {
            out = format!("Via {via}");
        } else {
            out = format!("{out} (via {via})");
        }
    }
    out
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|s| !s.is_empty())
}

fn quote_view(quote: &Quote, item_outlet: Option<&str>) -> QuoteView {
    let outlet = quote.outlet.as_deref().or(item_outlet);
    QuoteView {
        text: quote_text_for_digest(&quote.text),
        speaker: quote.speaker.clone(),
        outlet: outlet.map(str::to_owned),
        via: quote.via.clone(),
        attribution: attribution(quote.speaker.as_deref(), outlet, quote.via.as_deref()),
    }
}

/// The quoted words as the digest prints them. A comma or semicolon closing a
/// quote belongs to the article's frame (“…them,” she said), not to the words;
/// in the digest's own frame (Speaker, in Outlet: “…”) it would dangle.
fn quote_text_for_digest(text: &str) -> String {
    text.trim().trim_end_matches([',', ';', '،']).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_comma_closing_a_quote_is_dropped_in_the_digest() {
        assert_eq!(quote_text_for_digest("They are changing the calendar,"), "They are changing the calendar");
        assert_eq!(quote_text_for_digest(" It works. "), "It works.");
        assert_eq!(quote_text_for_digest("Wait…"), "Wait…");
    }

    #[test]
    fn attribution_shapes() {
        assert_eq!(attribution(Some("Ali Vaez"), Some("Bloomberg"), None), "Ali Vaez, in Bloomberg");
        assert_eq!(attribution(None, Some("Bloomberg"), None), "In Bloomberg");
        assert_eq!(attribution(Some("Ali Vaez"), Some("Bloomberg"), Some("BBC")), "Ali Vaez, in Bloomberg (via BBC)");
        assert_eq!(attribution(Some("Ali Vaez"), None, None), "Ali Vaez");
        assert_eq!(attribution(None, None, Some("BBC")), "Via BBC");
        assert_eq!(attribution(Some(" "), None, None), "");
        // A relay that is the outlet itself says nothing new.
        assert_eq!(attribution(Some("A"), Some("BBC"), Some("BBC")), "A, in BBC");
    }

    #[test]
    fn plain_commentary_becomes_escaped_paragraphs() {
        let sanitizer = Sanitizer::new(None);
        assert_eq!(commentary_html("AT&T said\n\nmore", &sanitizer), "<p>AT&amp;T said</p><p>more</p>");
        assert_eq!(commentary_html("  ", &sanitizer), "");
        let hostile = commentary_html("<p onclick=\"x()\">hi<script>alert(1)</script></p>", &sanitizer);
        assert!(!hostile.contains("script") && !hostile.contains("onclick"), "{hostile}");
    }

    #[test]
    fn numbering_starts_at_first_number_then_counts_up() {
        assert_eq!(next_number(&[], 266), Some(266));
        let issue = |number| Issue {
            number,
            title: String::new(),
            period: Period { start: DateTime::UNIX_EPOCH, end: DateTime::UNIX_EPOCH },
            sections: Vec::new(),
            html: String::new(),
            summary: String::new(),
            created_at: DateTime::UNIX_EPOCH,
            published_at: None,
            state: crate::model::IssueState::Published,
        };
        assert_eq!(next_number(&[issue(1), issue(2)], 1), Some(3));
        assert_eq!(next_number(&[issue(1)], 266), Some(266));
        assert_eq!(next_number(&[issue(u32::MAX)], 1), None);
    }
}
