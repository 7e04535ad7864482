//! Main content: finds the article body in a parsed page and turns it into
//! [`Block`]s, dropping boilerplate (navigation, headers and footers, asides,
//! related links, comments, share bars, cookie banners, bylines, newsletter
//! sign-ups). Captions are kept as [`BlockKind::Caption`] so quotation finding
//! can see them, but they are not part of the article text.
//!
//! The method is readability-style, over scraper's DOM, in one pass plus a walk
//! of the chosen subtree (no re-serialization; a second parse only for a page
//! that keeps its body in `<noscript>`, see [`noscript_document`]):
//! 1. [`Arena::build`] (`arena.rs`) walks the document once, skipping what can
//!    never be content (scripts, `nav`, hidden or hard-boilerplate-named
//!    elements; `hints.rs` says which), and gathers per-element text
//!    statistics bottom-up (text, link and prose length, commas,
//!    paragraph/image/list counts). Page headers, footers, asides and boxes
//!    with softer unlikely names (a `sidebar-container` may hold the body
//!    beside its sidebar) are read and dropped on closing unless they hold a
//!    body's worth of prose; a `<section>`'s own header is part of that
//!    section, not page furniture; whatever encloses `<main>` is never
//!    boilerplate (a lost `</aside>`); React's `<div hidden id="S:0">`
//!    streaming islands are content;
//! 2. every paragraph-like run of text scores its ancestors (more for long,
//!    comma-rich text), scaled by each candidate's link density and its
//!    class/id hints; the best candidate wins, climbs to a better parent, to
//!    its enclosing `<main>`/`<article>`/`articleBody` landmark, and to
//!    ancestors holding clearly more prose (a thread's answers, an article's
//!    sibling sections), then absorbs good siblings (`score.rs`);
//! 3. inside the winner, link-heavy or list-like boxes are cleaned out (`clean.rs`);
//! 4. the surviving subtree is walked into blocks with link and `<q>` spans
//!    (`blocks.rs`).
//!
//! If that leaves almost nothing (an over-eager class filter on a wrapper), the
//! page is read again with the filters relaxed, as Readability.js does; if
//! even that finds no body, a grid of repeated cards holding far more text is
//! the content (a listing page, `cards.rs`). Tuned
//! on the article-extraction benchmark (`gleaner eval articles`) and the tuning
//! half of WCXB (`gleaner eval wcxb DIR --split tune`). `sniff.rs` says whether
//! a document is a page at all. Pure; must not panic on any input.

mod arena;
mod blocks;
mod cards;
mod clean;
mod hints;
mod score;
pub(super) mod sniff;

use std::collections::HashSet;
use std::ops::Range;

use ego_tree::NodeId;
use scraper::{Html, Selector};

use self::arena::Arena;
use self::blocks::BlockWriter;
use super::{Block, BlockKind};

/// Text shorter than this (in characters) does not score as a paragraph.
pub(super) const MIN_PARAGRAPH: u32 = 25;
/// Below this many characters of text the relaxed second pass is tried
/// (Readability.js's `charThreshold`).
const RETRY_BELOW: usize = 500;
/// A first pass with this much text is replaced only by twice as much.
const RETRY_KEEPS: usize = 250;
/// How many ancestors a paragraph's score reaches.
pub(super) const SCORE_LEVELS: usize = 5;

/// An outbound link anchor found in the main content.
#[derive(Debug, Clone)]
pub(crate) struct Anchor<'a> {
    /// Index into [`Content::blocks`].
    pub block: usize,
    /// Byte range of the anchor text in that block's text.
    pub span: Range<usize>,
    pub href: &'a str,
    /// The anchor's `rel` attribute (`tag`, `author` mark links to leave out).
    pub rel: Option<&'a str>,
}

/// The main content of a page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Content<'a> {
    pub blocks: Vec<Block>,
    pub anchors: Vec<Anchor<'a>>,
}

/// Which filters a pass applies; the relaxed pass turns them off.
// Independent switches, combined freely by the passes; an enum of every
// combination would say less.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy)]
struct Flags {
    pub(super) strip_unlikely: bool,
    pub(super) weigh_classes: bool,
    pub(super) clean_conditionally: bool,
    /// Skip comment threads even with `strip_unlikely` off.
    pub(super) skip_comments: bool,
    /// The page is a discussion thread (see [`discussion`]): boxes named
    /// for comments or replies hold its posts, not boilerplate.
    pub(super) thread: bool,
}

/// The main content of `doc`.
pub(crate) fn main_content(doc: &Html) -> Content<'_> {
    let strict = Flags {
        strip_unlikely: true,
        weigh_classes: true,
        clean_conditionally: true,
        skip_comments: true,
        thread: discussion(doc),
    };
    let first = extract_with(doc, strict);
    if text_len(&first) >= RETRY_BELOW {
        return first;
    }
    // A short body of real text (an open thread's few lines) must not give
    // way to its own comments when the filters are relaxed.
    let relaxed = Flags { skip_comments: text_len(&first) >= RETRY_KEEPS, ..strict };
    let mut best = first;
    for flags in [
        Flags { strip_unlikely: false, ..relaxed },
        Flags { strip_unlikely: false, weigh_classes: false, ..relaxed },
        Flags { strip_unlikely: false, weigh_classes: false, clean_conditionally: false, ..relaxed },
    ] {
        let next = extract_with(doc, flags);
        // Short but real text (a brief notice) is kept unless relaxing the
        // filters finds far more: what the filters held back from a short
        // page is as likely a comment as more of the body.
        let needed = if text_len(&best) >= RETRY_KEEPS { 2 * text_len(&best) } else { text_len(&best) };
        if text_len(&next) > needed {
            best = next;
        }
        if text_len(&best) >= RETRY_BELOW {
            break;
        }
    }
    // Nothing on the page reads as a body, even with the filters relaxed
    // (one card, a cookie notice): a listing page's content is its cards,
    // when they hold far more text than that.
    if let Some(grid) = listing(doc, strict)
        && text_len(&grid) >= RETRY_BELOW
        && text_len(&grid) > 2 * text_len(&best)
    {
        return grid;
    }
    best
}

/// schema.org types of a page whose replies are its content: a forum
/// thread, a question with its answers.
const DISCUSSION_TYPES: &[&str] = &["DiscussionForumPosting", "QAPage"];

/// Whether the page says it is a discussion thread, in microdata
/// (`itemtype`) or JSON-LD (`"@type"`). On such a page the replies are what
/// a reader came for, where a news article's comment thread is furniture;
/// the markup, unlike a class name, says which of the two a page is.
fn discussion(doc: &Html) -> bool {
    let mut in_json_ld = false;
    doc.tree.nodes().any(|node| match node.value() {
        scraper::Node::Element(e) => {
            in_json_ld = e.name() == "script" && e.attr("type").is_some_and(|t| t.trim() == "application/ld+json");
            e.attr("itemtype").is_some_and(|t| DISCUSSION_TYPES.iter().any(|d| t.contains(d)))
        }
        scraper::Node::Text(t) if in_json_ld => DISCUSSION_TYPES.iter().any(|d| t.contains(d)),
        _ => false,
    })
}

/// Raw `<noscript>` content this long (in bytes), holding markup, is a body
/// kept for crawlers rather than a "please enable JavaScript" line.
const NOSCRIPT_BODY: usize = 1_000;

/// The page read again with scripting off, when it keeps its body in a
/// `<noscript>` (Discourse forums serve every post there and render them with
/// a script). Parsed as a browser with scripting on parses it, a `<noscript>`
/// holds one raw text node; with scripting off (HTML § 13.2.6.4.4, "in head
/// noscript" and the `noscript` start tag in body) its content is markup, and
/// [`main_content`] then reads a `<noscript>` with element children as content.
/// `None` for the usual page, which pays one scan of its nodes and no reparse.
pub(crate) fn noscript_document(doc: &Html, html: &str) -> Option<Html> {
    use html5ever::tendril::TendrilSink;
    let holds_body = doc.tree.nodes().any(|node| {
        node.value().as_element().is_some_and(|e| e.name() == "noscript")
            && node.children().any(|c| {
                c.value()
                    .as_text()
                    .is_some_and(|t| t.len() >= NOSCRIPT_BODY && (t.contains("<p") || t.contains("<div")))
            })
    });
    if !holds_body {
        return None;
    }
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts { scripting_enabled: false, ..Default::default() },
        ..Default::default()
    };
    Some(html5ever::driver::parse_document(scraper::HtmlTreeSink::new(Html::new_document()), opts).one(html))
}

/// Reading what is there, as chosen (a feed entry, an operator's selectors):
/// no boilerplate scoring or cleaning.
const VERBATIM: Flags = Flags {
    strip_unlikely: false,
    weigh_classes: false,
    clean_conditionally: false,
    skip_comments: false,
    thread: false,
};

/// Everything readable in an HTML fragment (a feed entry's own content or
/// summary): one walk, no boilerplate scoring or cleaning, since a feed entry
/// has no navigation, sidebars or comments. Scripts, styles and hidden
/// elements are still skipped.
pub(crate) fn fragment_content(doc: &Html) -> Content<'_> {
    let arena = Arena::build(doc, VERBATIM);
    // A parsed fragment has no `<body>`: its root `<html>` holds the nodes.
    let Some(root) = arena.body.or_else(|| (!arena.els.is_empty()).then_some(0)) else {
        return Content::default();
    };
    let mut writer = BlockWriter::new(&arena);
    writer.walk(root);
    writer.finish()
}

/// The blocks of the elements a source's `content` rules select, in document
/// order (a match inside another match is read once), with no boilerplate
/// scoring: the operator chose them. `None` when nothing matches or the
/// matches hold no text, so the caller can fall back to [`main_content`].
pub(crate) fn selected_content<'a>(doc: &'a Html, selectors: &[Selector]) -> Option<Content<'a>> {
    let chosen: HashSet<NodeId> = selectors.iter().flat_map(|s| doc.select(s)).map(|e| e.id()).collect();
    if chosen.is_empty() {
        return None;
    }
    let arena = Arena::build(doc, VERBATIM);
    let mut roots: Vec<usize> = chosen
        .iter()
        .filter(|id| !doc.tree.get(**id).is_some_and(|n| n.ancestors().any(|a| chosen.contains(&a.id()))))
        .filter_map(|id| arena.index.get(id).copied())
        .collect();
    roots.sort_unstable();
    let mut writer = BlockWriter::new(&arena);
    for root in roots {
        writer.walk(root);
    }
    let content = writer.finish();
    (text_len(&content) > 0).then_some(content)
}

/// Removes every element a source's `strip` rules match, before anything
/// else reads the page.
pub(crate) fn strip(doc: &mut Html, selectors: &[Selector]) {
    let doomed: Vec<NodeId> = selectors.iter().flat_map(|s| doc.select(s)).map(|e| e.id()).collect();
    for id in doomed {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

fn text_len(content: &Content<'_>) -> usize {
    content.blocks.iter().filter(|b| b.kind != BlockKind::Caption).map(|b| b.text.len()).sum()
}

/// The page's best grid of cards (see [`cards`]), read whole: no cleaning,
/// since a card is the link-heavy box cleaning removes.
fn listing(doc: &Html, flags: Flags) -> Option<Content<'_>> {
    let arena = Arena::build(doc, flags);
    let grid = arena.best_grid()?;
    let mut writer = BlockWriter::new(&arena);
    writer.walk(grid.at);
    Some(writer.finish())
}

fn extract_with(doc: &Html, flags: Flags) -> Content<'_> {
    let mut arena = Arena::build(doc, flags);
    let Some(body) = arena.body else { return Content::default() };
    arena.score_paragraphs(flags);
    let top = arena.top_candidate(body);
    let top = arena.landmark_root(top, body);
    let top = arena.prose_root(top, body);
    let roots = arena.merge_siblings(top, body);
    if flags.clean_conditionally {
        for &root in &roots {
            arena.clean(root, flags);
        }
    }
    let mut writer = BlockWriter::new(&arena);
    for &root in &roots {
        writer.walk(root);
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::arena::measure;
    use super::*;

    fn blocks(html: &str) -> Vec<(BlockKind, String)> {
        let doc = Html::parse_document(html);
        main_content(&doc).blocks.into_iter().map(|b| (b.kind, b.text)).collect()
    }

    const PARA: &str = "The council voted on Tuesday to expand the program, which has served thousands of residents, according to officials, and will now reach more neighborhoods.";

    #[test]
    fn keeps_paragraphs_and_drops_navigation_and_comments() {
        let html = format!(
            r#"<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
            <div class="article-body"><p>{PARA}</p><p>{PARA} Again.</p></div>
            <div id="comments"><p>{PARA} Comment.</p></div>
            <footer><p>Copyright, all rights reserved, 2024, everywhere.</p></footer></body></html>"#
        );
        let got = blocks(&html);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|(k, _)| *k == BlockKind::Paragraph));
        assert!(!got.iter().any(|(_, t)| t.contains("Comment.") || t.contains("Home")));
    }

    #[test]
    fn a_short_body_keeps_its_place_against_a_long_comment_thread() {
        // An open thread: two sentences of post (short enough for the
        // relaxed passes to run), then far more comment text.
        let comments = format!(r#"<div class="comment-list">{}</div>"#, format!("<p>{PARA} Reply.</p>").repeat(8));
        let html =
            format!(r#"<html><body><div class="post"><p>{PARA}</p><p>{PARA} Again.</p></div>{comments}</body></html>"#);
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.ends_with("Again.")), "{got:?}");
        assert!(!got.iter().any(|(_, t)| t.contains("Reply.")), "comments stay out: {got:?}");
    }

    #[test]
    fn captions_are_kept_as_caption_blocks() {
        let html = format!(
            r#"<article><p>{PARA}</p><figure><img src="a.jpg"><figcaption>The mayor, at the podium.</figcaption></figure><p>{PARA}</p></article>"#
        );
        let got = blocks(&html);
        assert!(got.contains(&(BlockKind::Caption, "The mayor, at the podium.".into())), "{got:?}");
    }

    #[test]
    fn records_link_and_q_spans_and_embed_accounts() {
        let html = format!(
            r#"<article><p>{PARA} See <a href="https://example.org/report">the  report</a> and <q>we will go</q>.</p>
            <blockquote class="twitter-tweet"><p>Big news today</p>&mdash; Jane Doe (@janedoe) <a href="https://twitter.com/janedoe/status/1">May 1</a></blockquote>
            <blockquote><p>{PARA}</p></blockquote></article>"#
        );
        let doc = Html::parse_document(&html);
        let content = main_content(&doc);
        let first = &content.blocks[0];
        let link = &first.link_spans[0];
        assert_eq!(&first.text[link.clone()], "the report");
        assert_eq!(&first.text[first.q_spans[0].clone()], "we will go");
        assert_eq!(content.anchors[0].href, "https://example.org/report");
        let embed = content.blocks.iter().find(|b| b.kind == BlockKind::Embed).expect("embed block");
        assert_eq!(embed.account.as_deref(), Some("@janedoe"));
        assert!(content.blocks.iter().any(|b| b.kind == BlockKind::Blockquote));
    }

    #[test]
    fn empty_and_garbage_pages_give_no_blocks() {
        assert!(blocks("").is_empty());
        assert!(blocks("<<<>>>").is_empty() || blocks("<<<>>>").len() == 1);
        assert!(blocks("<html><body><nav>Menu</nav></body></html>").is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // Deeper trees only cost html5ever time (its scope checks are quadratic).
        let html = "<div>".repeat(5_000) + PARA + &"</div>".repeat(5_000);
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.contains("council")));
    }

    /// A short box of prose elsewhere on the page: enough text that the
    /// strict pass stands and no relaxed pass hides a filter's mistake.
    const NOTE: &str = "<div class=\"note\"><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p><p>Opening hours change this week, as the library moves its reading room, and the desk opens later.</p></div>";

    #[test]
    fn a_layout_wrapper_named_for_its_sidebar_keeps_the_body_it_holds() {
        let html = format!(
            r#"<html><body>{NOTE}<div class="sidebar-container"><div class="post-body"><p>{PARA}</p><p>{PARA} Again.</p>
            <p>{PARA} Third.</p><p>{PARA} Fourth.</p><p>{PARA} Fifth.</p><p>{PARA} Sixth.</p><p>{PARA} Seventh.</p></div>
            <div class="sidebar"><ul><li><a href="/a">Popular: the first story</a></li><li><a href="/b">Popular: the second story</a></li></ul></div>
            </div></body></html>"#
        );
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.ends_with("Seventh.")), "{got:?}");
        assert!(!got.iter().any(|(_, t)| t.contains("Popular")), "the sidebar itself stays out: {got:?}");
    }

    #[test]
    fn overflow_hidden_utility_classes_do_not_hide_the_body() {
        let html = format!(
            r#"<html><body>{NOTE}<div class="flex w-full overflow-hidden"><div class="overflow-x-hidden"><p>{PARA}</p><p>{PARA} Again.</p>
            <p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></div>
            <div class="promo-box"><p>{PARA} Promo.</p></div></body></html>"#
        );
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.ends_with("Again.")), "{got:?}");
        let hidden = format!(
            r#"<html><body><div class="hidden"><p>{PARA} Hidden.</p></div><div><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></body></html>"#
        );
        assert!(!blocks(&hidden).iter().any(|(_, t)| t.ends_with("Hidden.")), "a box named hidden still is");
    }

    #[test]
    fn a_box_hidden_only_in_print_is_read() {
        let html = format!(
            r#"<html><body>{NOTE}<div class="thread hidden-print"><p>{PARA}</p><p>{PARA} Again.</p>
            <p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div></body></html>"#
        );
        assert!(blocks(&html).iter().any(|(_, t)| t.ends_with("Again.")), "{:?}", blocks(&html));
        let hidden = html.replace("hidden-print", "hidden");
        assert!(!blocks(&hidden).iter().any(|(_, t)| t.ends_with("Again.")), "a box named hidden still is");
    }

    #[test]
    fn a_sections_own_header_is_body_but_the_page_header_is_not() {
        let section = |n: usize| {
            format!(
                r#"<section class="features"><div class="section_header"><h2>Feature {n}</h2><p>Intro {n}: plans, tracks and ships the work, in one place, for every team.</p></div>
                <div class="section_body"><p>{PARA}</p></div></section>"#
            )
        };
        let html = format!(
            r#"<html><body><header class="site-header"><p>Acme, the company that makes everything, since the year 1900.</p></header>
            <main>{}{}{}</main></body></html>"#,
            section(1),
            section(2),
            section(3)
        );
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.starts_with("Intro 2:")), "{got:?}");
        assert!(!got.iter().any(|(_, t)| t.contains("since the year")), "the page header stays out: {got:?}");
    }

    #[test]
    fn carousel_buttons_do_not_clean_away_a_box_of_prose() {
        // No commas: ten of them would keep the box whatever else it holds.
        let line = "Each plan comes with support from the team that built it and a month to try it";
        let card = format!(r#"<div class="card"><button>Flip</button><p>{line}.</p><p>{line} again. Card.</p></div>"#);
        let html = format!(
            r#"<html><body><main><div class="intro"><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></div>
            <div class="cards"><button>Previous</button>{card}{card}{card}<button>Next</button></div></main></body></html>"#
        );
        let got = blocks(&html);
        assert!(got.iter().any(|(_, t)| t.ends_with("Card.")), "{got:?}");
        let form = format!(
            r#"<html><body><main><div class="intro"><p>{PARA}</p><p>{PARA}</p></div>
            <div class="search"><input name="q"><input name="r"><p>Search the archive by words, dates, or names.</p></div></main></body></html>"#
        );
        assert!(!blocks(&form).iter().any(|(_, t)| t.starts_with("Search the")), "form fields still mark a form");
    }

    #[test]
    fn a_page_marked_as_a_thread_or_question_is_a_discussion() {
        let microdata =
            r#"<html><body><div itemscope itemtype="https://schema.org/QAPage"><p>Q</p></div></body></html>"#;
        assert!(discussion(&Html::parse_document(microdata)));
        let article = r#"<html><head><script type="application/ld+json">{"@type":"NewsArticle"}</script></head>
            <body><p>DiscussionForumPosting is only a word in this text.</p></body></html>"#;
        assert!(!discussion(&Html::parse_document(article)), "only markup says so, not the text");
    }

    #[test]
    fn measure_collapses_whitespace_and_counts_commas() {
        assert_eq!(measure("a,  b ، c"), (8, 2));
    }
}
