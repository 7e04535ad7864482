//! Extraction: an article page's main text, metadata, quotations and links.
//!
//! Pure: HTML and its URL in, an [`Article`] out; no I/O, no clock. Never fails
//! as a whole. Stages:
//! - `content`: finds the main content and turns it into [`Block`]s (paragraphs
//!   kept, boilerplate dropped), plus the page metadata and outbound links;
//! - `content::sniff`: says whether a document is a page at all (not a PDF,
//!   image, archive, feed or JSON), before anything is parsed as HTML;
//! - `quotes`: finds direct quotations in the blocks and attributes them.

mod content;
mod links;
mod meta;
pub mod quotes;

pub use content::sniff::{NotPage, sniff};
pub use meta::guess_language;

use std::collections::HashSet;

use url::Url;

use crate::model::{Article, ExtractRules};

/// The note an article without main text carries.
pub const NO_TEXT_NOTE: &str = "no article text found";

/// How much main text quote finding reads: far beyond any article (a long
/// feature runs to 100,000 characters), and what bounds its memory, which
/// grows with the words it tokenizes.
pub const QUOTE_TEXT_BUDGET: usize = 1_000_000;

/// Quote finding over the page's blocks, reading at most
/// [`QUOTE_TEXT_BUDGET`] of their text; its notes join `notes`.
fn quotes_within_budget(
    mut blocks: Vec<Block>,
    facts: &PageFacts,
    notes: &mut Vec<String>,
) -> Vec<crate::model::Quote> {
    notes.extend(keep_quote_reading_budget(&mut blocks));
    let found = quotes::find_quotes_report(&blocks, facts);
    notes.extend(found.note.map(str::to_owned));
    found.quotes
}

/// Keeps the blocks whose text fits [`QUOTE_TEXT_BUDGET`] for quote finding;
/// a note when some were left unread. The article's text keeps them all.
fn keep_quote_reading_budget(blocks: &mut Vec<Block>) -> Option<String> {
    let mut read = 0usize;
    let within = blocks.iter().take_while(|b| {
        read += b.text.len();
        read <= QUOTE_TEXT_BUDGET
    });
    let keep = within.count();
    if keep == blocks.len() {
        return None;
    }
    blocks.truncate(keep);
    Some(format!("quotes were looked for in the first {QUOTE_TEXT_BUDGET} bytes of the text only"))
}

/// Extracts the article of one page: `html` as served, `url` where it was
/// fetched (the base for relative links, unless the page has `<base href>`),
/// `fallback_outlet` the source's name for pages that do not name their outlet.
/// One parse; never fails: a page without an article gives an empty text and
/// a note.
pub fn extract(html: &str, url: Option<&Url>, fallback_outlet: Option<&str>) -> Article {
    extract_pages(&[PageText { html, url }], fallback_outlet, &ExtractRules::default())
}

/// One fetched page of an article: its HTML and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct PageText<'a> {
    pub html: &'a str,
    pub url: Option<&'a Url>,
}

/// Extracts the article spread over `pages` (one, or the pages a source's
/// `follow_next` rule went through, in order) under a source's `rules`: its
/// `strip` selectors are removed first, then its `content` selectors choose
/// the body; a page they match nothing on is read by the automatic extractor,
/// with a note saying so. Title, byline and the other facts come from the
/// first page. Never fails (no pages: an empty article with a note).
pub fn extract_pages(pages: &[PageText<'_>], fallback_outlet: Option<&str>, rules: &ExtractRules) -> Article {
    let Some(first) = pages.first() else {
        return Article { notes: vec![NO_TEXT_NOTE.to_owned()], ..Article::default() };
    };
    // Bounded first: html5ever is quadratic on deep nesting and attribute floods.
    let bounded: Vec<_> = pages.iter().map(|p| crate::sanitize::bound_markup(p.html)).collect();
    let parse = |html: &str| {
        let mut doc = scraper::Html::parse_document(html);
        content::strip(&mut doc, &rules.strip);
        doc
    };
    let docs: Vec<_> = bounded
        .iter()
        .zip(pages)
        .map(|(b, page)| {
            let doc = parse(&b.html);
            let unscripted = content::noscript_document(&doc, page.html).map(|mut d| {
                content::strip(&mut d, &rules.strip);
                d
            });
            (doc, unscripted)
        })
        .collect();
    let meta = meta::read_meta(&docs[0].0, first.url);
    let mut notes = Vec::new();
    let mut fell_back = false;
    let mut per_page = docs.iter().map(|(doc, unscripted)| {
        let doc = unscripted.as_ref().unwrap_or(doc);
        let chosen = if rules.content.is_empty() { None } else { content::selected_content(doc, &rules.content) };
        chosen.unwrap_or_else(|| {
            fell_back |= !rules.content.is_empty();
            content::main_content(doc)
        })
    });
    let mut content = per_page.next().unwrap_or_default();
    let (mut text, settle_notes) = settle_text(&mut content, meta.title.as_deref());
    let outlet = meta.outlet.clone().or_else(|| fallback_outlet.map(str::to_owned));
    let page = first.url.cloned().or_else(|| meta.canonical_url.as_deref().and_then(|c| Url::parse(c).ok()));
    let mut links = links::outbound_links(&content, meta.base.as_ref(), page.as_ref());
    for (later, next) in per_page.zip(&pages[1..]) {
        let mut later = later;
        let (more, _) = settle_text(&mut later, None);
        if more.is_empty() {
            continue;
        }
        let known: HashSet<String> = links.iter().map(|l| l.url.clone()).collect();
        links.extend(
            links::outbound_links(&later, next.url, page.as_ref()).into_iter().filter(|l| !known.contains(&l.url)),
        );
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&more);
        content.blocks.append(&mut later.blocks);
    }
    if text.is_empty() {
        notes.extend(settle_notes);
    }
    if fell_back {
        notes.push(RULES_MISSED_NOTE.to_owned());
    }
    notes.extend(bounded.iter().filter_map(crate::sanitize::Bounded::note));
    let language = meta.language.clone().or_else(|| noted_language_guess(meta.title.as_deref(), &text, &mut notes));
    let facts = PageFacts { title: meta.title.clone(), outlet: outlet.clone(), language: language.clone() };
    // The documents are done with: free them before quote finding, which
    // holds tokens for every word it reads (a 9 MiB page peaked at 905 MiB
    // when both lived at once).
    let blocks = std::mem::take(&mut content.blocks);
    drop(content);
    drop(docs);
    drop(bounded);
    let quotes = quotes_within_budget(blocks, &facts, &mut notes);
    Article {
        url: first.url.map(|u| crate::model::canonical_url(u).to_string()),
        title: meta.title,
        byline: meta.byline,
        published: meta.published,
        canonical_url: meta.canonical_url,
        outlet,
        language,
        text,
        quotes,
        links,
        notes,
    }
}

/// The note on an article whose source's `content` rules matched nothing on
/// (one of) its pages.
pub const RULES_MISSED_NOTE: &str =
    "the source's content rules matched nothing; the automatic extractor chose the text";

/// The next page of a multi-page article: the `href` of the first element
/// `selector` matches (or of the first link inside it), resolved against the
/// page's `<base href>` or `url`. `None` when there is none, or it is not
/// http(s), or it is the page itself.
pub fn next_page(html: &str, url: Option<&Url>, selector: &scraper::Selector) -> Option<Url> {
    let bounded = crate::sanitize::bound_markup(html);
    let doc = scraper::Html::parse_document(&bounded.html);
    let base = meta::read_meta(&doc, url).base.or_else(|| url.cloned());
    let link = scraper::Selector::parse("a[href]").expect("a constant, valid selector");
    let href = doc
        .select(selector)
        .find_map(|e| e.value().attr("href").or_else(|| e.select(&link).next().and_then(|a| a.value().attr("href"))))?;
    let next = match &base {
        Some(base) => base.join(href.trim()).ok()?,
        None => Url::parse(href.trim()).ok()?,
    };
    let same = url.is_some_and(|u| crate::model::canonical_url(u) == crate::model::canonical_url(&next));
    (matches!(next.scheme(), "http" | "https" | "file") && !same).then_some(next)
}

/// Extracts the article carried by a feed entry itself: `html` is the entry's
/// (sanitized) content or summary, a fragment rather than a page.
///
/// What [`extract`] spends most of its time on does not apply to a fragment:
/// there is no `<head>` to read metadata from and no navigation, sidebar or
/// comment section to score away, so this reads every visible block of the
/// fragment in one walk and then finds quotes and links exactly as `extract`
/// does. `url` is the item's link (the base for relative links and the page
/// for internal/external); `facts` are what the feed says about the item (its
/// title, the source's name as outlet, the feed's language). Without a
/// language one is guessed from the text, with a note, as `extract` does.
/// Never fails: a fragment without words gives an empty text and a note.
pub fn extract_fragment(html: &str, url: Option<&Url>, facts: PageFacts) -> Article {
    let bounded = crate::sanitize::bound_markup(html);
    let doc = scraper::Html::parse_fragment(&bounded.html);
    let mut content = content::fragment_content(&doc);
    let (text, mut notes) = settle_text(&mut content, facts.title.as_deref());
    notes.extend(bounded.note());
    let mut facts = facts;
    if facts.language.is_none() {
        facts.language = noted_language_guess(facts.title.as_deref(), &text, &mut notes);
    }
    let links = links::outbound_links(&content, url, url);
    let quotes = quotes_within_budget(std::mem::take(&mut content.blocks), &facts, &mut notes);
    let PageFacts { title, outlet, language } = facts;
    Article {
        url: url.map(|u| crate::model::canonical_url(u).to_string()),
        title,
        byline: None,
        published: None,
        canonical_url: None,
        outlet,
        language,
        text,
        quotes,
        links,
        notes,
    }
}

/// The article text of `content` (captions left out, paragraphs separated by a
/// blank line) and the notes it warrants. Drops a heading that repeats the
/// title, and empties a content of punctuation and markup debris without a
/// single word: that is no article.
fn settle_text(content: &mut content::Content<'_>, title: Option<&str>) -> (String, Vec<String>) {
    drop_title_heading(content, title);
    if !content.blocks.iter().any(|b| b.kind != BlockKind::Caption && b.text.chars().any(char::is_alphanumeric)) {
        content.blocks.clear();
        content.anchors.clear();
    }
    let text = content
        .blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Caption)
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let notes = if text.is_empty() { vec![NO_TEXT_NOTE.to_owned()] } else { Vec::new() };
    (text, notes)
}

/// A language guessed from title and text (one sentence is too little to go on),
/// noted as a guess.
fn noted_language_guess(title: Option<&str>, text: &str, notes: &mut Vec<String>) -> Option<String> {
    let sample = format!("{} {text}", title.unwrap_or_default());
    let guessed = meta::guess_language(&sample)?;
    notes.push("language guessed".to_owned());
    Some(guessed.to_owned())
}

/// A heading that repeats the title is the page header, not article text.
fn drop_title_heading(content: &mut content::Content<'_>, title: Option<&str>) {
    let Some(title) = title else { return };
    let same = |text: &str| text.trim().eq_ignore_ascii_case(title.trim());
    if let Some(at) = content.blocks.iter().position(|b| b.kind == BlockKind::Heading && same(&b.text)) {
        content.blocks.remove(at);
        content.anchors.retain(|a| a.block != at);
        for anchor in &mut content.anchors {
            if anchor.block > at {
                anchor.block -= 1;
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const PARA: &str = "The council voted on Tuesday to expand the program, which has served thousands of residents.";

    fn selectors(list: &[&str]) -> Vec<scraper::Selector> {
        list.iter().map(|s| scraper::Selector::parse(s).expect("valid selector")).collect()
    }

    #[test]
    fn content_rules_keep_every_match_once_in_page_order_after_strip() {
        let html = format!(
            r#"<body><div class="a"><p>First {PARA}</p><div class="a"><p>Nested {PARA}</p></div></div>
            <p>Outside {PARA}</p><div class="b"><p>Second {PARA}</p><p class="ad">Buy now {PARA}</p></div></body>"#
        );
        let rules = ExtractRules { content: selectors(&[".b", ".a"]), strip: selectors(&[".ad"]), follow_next: None };
        let article = extract_pages(&[PageText { html: &html, url: None }], None, &rules);
        let parts: Vec<&str> = article.text.split("\n\n").map(|p| &p[..p.find(' ').unwrap_or(0)]).collect();
        assert_eq!(parts, ["First", "Nested", "Second"], "{}", article.text);
        assert!(!article.notes.iter().any(|n| n == RULES_MISSED_NOTE));
    }

    #[test]
    fn next_page_resolves_the_link_in_or_under_the_match_and_never_the_page_itself() {
        let url = Url::parse("https://e.org/story/1").expect("valid url");
        let next = |html: &str, sel: &str| {
            next_page(html, Some(&url), &scraper::Selector::parse(sel).expect("valid selector")).map(String::from)
        };
        assert_eq!(next(r#"<a class="n" href="2">Next</a>"#, "a.n").as_deref(), Some("https://e.org/story/2"));
        assert_eq!(next(r#"<li class="n"><a href="/s?p=2">2</a></li>"#, ".n").as_deref(), Some("https://e.org/s?p=2"));
        assert_eq!(next(r#"<a class="n" href="/story/1">1</a>"#, "a.n"), None);
        assert_eq!(next(r#"<a class="n" href="javascript:go()">Next</a>"#, "a.n"), None);
        assert_eq!(next("<p>no link</p>", "a.n"), None);
    }
}
