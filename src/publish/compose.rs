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
use super::script::{Frame, direction};
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
    /// The same as markup in the quote's language (its comma and words),
    /// speaker and outlet in `<bdi>` (see `script`).
    pub attribution_html: String,
    /// The quote's language (the item's), for `lang`; `None` when unknown.
    pub lang: Option<String>,
    /// `rtl` for right-to-left scripts, else `auto`.
    pub dir: &'static str,
    /// The quotation marks of that language (“ ” or « »).
    pub open: &'static str,
    pub close: &'static str,
    /// When the words were last found verbatim on their page (issue 16.4):
    /// only a `verified` check of exactly the words shown counts.
    pub checked: Option<DateTime<Utc>>,
    /// The quote's stable id (speaker feeds' entry ids are built on it).
    #[serde(skip)]
    pub id: String,
    /// The article the words are from (the entry's own or a cited one),
    /// canonical and absolute, for speaker feeds' links.
    #[serde(skip)]
    pub article: Option<String>,
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
    /// The item's language, for `lang`; `None` when unknown.
    pub lang: Option<String>,
    /// `rtl` for right-to-left scripts, else `auto`.
    pub dir: &'static str,
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
            published_by: None,
            corrections: Vec::new(),
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
/// [`lay_out`] (empty sections are left out). The period runs from the
/// oldest to the newest item in the issue: what the issue covers, which is
/// what readers want to know (not when it was sent; that is its date).
pub fn compose(
    settings: &PublishSettings,
    number: u32,
    candidates: &[Candidate<'_>],
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

    Composition {
        number,
        title: settings.issue_title(number),
        period: period_of(candidates.iter().map(|c| c.item), now),
        sections,
        created_at: now,
    }
}

/// Oldest to newest item date; `now` for both ends when there are no items.
pub fn period_of<'a>(items: impl Iterator<Item = &'a Item>, now: DateTime<Utc>) -> Period {
    let dates: Vec<DateTime<Utc>> = items.map(|i| i.published).collect();
    let start = dates.iter().min().copied().unwrap_or(now);
    let end = dates.iter().max().copied().unwrap_or(now);
    Period { start, end }
}

/// One item as the digest shows it (also used when a correction re-renders
/// an issue, so both go through the same rules).
pub fn entry(candidate: &Candidate<'_>, sanitizer: &Sanitizer) -> Entry {
    let item = candidate.item;
    let outlet = item.outlet.clone().or_else(|| candidate.source_name.map(str::to_owned));
    // A note's title is only what the queue shows; the digest prints the editor's headline or none.
    let fallback = if item.is_note() { "" } else { item.title.as_str() };
    let headline = item.editor.headline.as_deref().map(str::trim).filter(|h| !h.is_empty()).unwrap_or(fallback);
    let lang = language_of(item);
    // Where a chosen quote id is looked up: the entry's own article first,
    // then the cited ones; each quote is credited to its own article's
    // outlet and marked in its own article's language.
    let own =
        std::iter::once(Pool { quotes: candidate.quotes, outlet: outlet.clone(), lang, article: item.url.as_deref() });
    let cited = candidate.cited.iter().map(|c| Pool {
        quotes: c.quotes,
        outlet: c.item.outlet.clone().or_else(|| c.source_name.map(str::to_owned)),
        lang: language_of(c.item),
        article: c.item.url.as_deref(),
    });
    let pools: Vec<Pool<'_>> = own.chain(cited).collect();
    // The editor's order of choice, not page order: editors pick the strongest first.
    let quotes = item
        .editor
        .quote_ids
        .iter()
        .filter_map(|id| {
            pools.iter().find_map(|pool| {
                Some((pool.quotes.iter().find(|q| &q.id == id)?, pool.outlet.as_deref(), pool.lang, pool.article))
            })
        })
        // An editor's correction of speaker or outlet wins over extraction's guess.
        .map(|(q, outlet, lang, article)| {
            let shown = match item.editor.quote_overrides.get(&q.id) {
                Some(correction) => correction.apply(q),
                None => q.clone(),
            };
            let mut view = quote_view(&shown, outlet, lang);
            view.checked = checked_at(item, &q.id, &shown.text);
            view.article = article.map(str::to_owned);
            view
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
        lang: lang.map(str::to_owned),
        dir: direction(lang),
    }
}

/// One article's quotes an entry may choose from, with what each is credited with.
struct Pool<'a> {
    quotes: &'a [Quote],
    outlet: Option<String>,
    lang: Option<&'a str>,
    /// The article's canonical URL.
    article: Option<&'a str>,
}

/// The item's language tag for `lang`, when it has a usable one.
fn language_of(item: &Item) -> Option<&str> {
    item.language.as_deref().map(str::trim).filter(|l| !l.is_empty())
}

/// Editors may write HTML (links, emphasis) or plain text; either way a
/// blank line starts a new paragraph (editors type paragraphs the same way
/// whether or not a line holds a link) and only sanitized markup comes out.
/// A paragraph that already opens with a block element keeps it; each one is
/// cleaned on its own, so a tag left open cannot swallow the paragraphs after it.
fn commentary_html(text: &str, sanitizer: &Sanitizer) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    for paragraph in paragraphs(text) {
        if !paragraph.contains('<') {
            html.push_str("<p>");
            html.push_str(&escape_text(paragraph));
            html.push_str("</p>");
        } else if starts_with_block(paragraph) {
            html.push_str(&sanitizer.clean(paragraph));
        } else {
            let cleaned = sanitizer.clean(paragraph);
            if !cleaned.is_empty() {
                html.push_str("<p>");
                html.push_str(&cleaned);
                html.push_str("</p>");
            }
        }
    }
    html
}

/// The text split at blank lines (lines holding only whitespace count as
/// blank), each paragraph trimmed; empty ones dropped.
fn paragraphs(text: &str) -> Vec<&str> {
    let text = text.trim();
    let mut out = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    let mut previous_blank = false;
    for (at, c) in text.char_indices().chain(std::iter::once((text.len(), '\n'))) {
        if c != '\n' {
            continue;
        }
        let blank = text[line_start..at].trim().is_empty();
        if blank && !previous_blank {
            out.push(text[start..line_start].trim());
        }
        if !blank && previous_blank {
            start = line_start;
        }
        previous_blank = blank;
        line_start = (at + 1).min(text.len());
    }
    if !previous_blank {
        out.push(text[start..].trim());
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Whether `html` opens with an element that is a paragraph-level block
/// itself (wrapping it in `<p>` would be invalid and reshuffled by parsers).
fn starts_with_block(html: &str) -> bool {
    const BLOCKS: [&str; 14] =
        ["p", "div", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "figure"];
    let Some(rest) = html.trim_start().strip_prefix('<') else { return false };
    let name: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    BLOCKS.contains(&name.as_str())
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

fn quote_view(quote: &Quote, item_outlet: Option<&str>, lang: Option<&str>) -> QuoteView {
    let outlet = quote.outlet.as_deref().or(item_outlet);
    let frame = Frame::for_language(lang);
    QuoteView {
        attribution_html: frame.attribution_html(quote.speaker.as_deref(), outlet, quote.via.as_deref()),
        lang: lang.map(str::to_owned),
        dir: direction(lang),
        open: frame.open,
        close: frame.close,
        text: quote_text_for_digest(&quote.text),
        speaker: quote.speaker.clone(),
        outlet: outlet.map(str::to_owned),
        via: quote.via.clone(),
        attribution: attribution(quote.speaker.as_deref(), outlet, quote.via.as_deref()),
        checked: None,
        id: quote.id.clone(),
        article: None,
    }
}

/// The time `item`'s check of quote `id` verified exactly `text`, if it did.
fn checked_at(item: &Item, id: &str, text: &str) -> Option<DateTime<Utc>> {
    let check = item.editor.quote_checks.get(id)?;
    (check.state == crate::model::CheckState::Verified && check.published == text).then_some(check.at)
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
    fn blank_lines_start_paragraphs_even_with_html() {
        let sanitizer = Sanitizer::new(None);
        assert_eq!(
            commentary_html("See <a href=\"https://example.org/\">this</a>.\n\nSecond  \n \n\nThird\nline", &sanitizer),
            "<p>See <a href=\"https://example.org/\" rel=\"noopener noreferrer nofollow\">this</a>.</p><p>Second</p><p>Third\nline</p>"
        );
        assert_eq!(commentary_html("<p>One</p>\n\n<em>Two</em>", &sanitizer), "<p>One</p><p><em>Two</em></p>");
        // A tag left open ends with its paragraph.
        assert_eq!(commentary_html("<b>bold\n\nplain", &sanitizer), "<p><b>bold</b></p><p>plain</p>");
    }

    #[test]
    fn period_runs_from_the_oldest_to_the_newest_item() {
        let at = |s| DateTime::from_timestamp(s, 0).expect("valid");
        let item = |published| {
            let new = crate::model::NewItem {
                source_id: "s".to_owned(),
                guid: None,
                url: None,
                title: "t".to_owned(),
                authors: Vec::new(),
                published,
                published_is_fetch_time: false,
                updated: None,
                summary: String::new(),
                content: String::new(),
                language: None,
                fetched_at: published,
            };
            Item::first_sighting(new.id(), new.content_hash(), &new)
        };
        let items = [item(at(2_000)), item(at(1_000)), item(at(3_000))];
        assert_eq!(period_of(items.iter(), at(9_000)), Period { start: at(1_000), end: at(3_000) });
        assert_eq!(period_of([].iter(), at(9_000)), Period { start: at(9_000), end: at(9_000) });
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
            published_by: None,
            corrections: Vec::new(),
            state: crate::model::IssueState::Published,
        };
        assert_eq!(next_number(&[issue(1), issue(2)], 1), Some(3));
        assert_eq!(next_number(&[issue(1)], 266), Some(266));
        assert_eq!(next_number(&[issue(u32::MAX)], 1), None);
    }
}
