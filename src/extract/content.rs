//! Main content: finds the article body in a parsed page and turns it into
//! [`Block`]s, dropping boilerplate (navigation, headers and footers, asides,
//! related links, comments, share bars, cookie banners, bylines, newsletter
//! sign-ups). Captions are kept as [`BlockKind::Caption`] so quotation finding
//! can see them, but they are not part of the article text.
//!
//! The method is readability-style, over scraper's DOM, in one pass plus a walk
//! of the chosen subtree (no re-serialization, no second parse):
//! 1. [`Arena::build`] walks the document once, skipping what can never be
//!    content (scripts, `nav`, hidden or boilerplate-classed elements), and
//!    gathers per-element text statistics bottom-up (text and link length,
//!    commas, paragraph/image/list counts);
//! 2. every paragraph-like run of text scores its ancestors (more for long,
//!    comma-rich text), scaled by each candidate's link density and its
//!    class/id hints; the best candidate wins, climbs to a better parent, and
//!    absorbs good siblings;
//! 3. inside the winner, link-heavy or list-like boxes are cleaned out;
//! 4. the surviving subtree is walked into blocks with link and `<q>` spans.
//!
//! If that leaves almost nothing (an over-eager class filter on a wrapper), the
//! page is read again with the filters relaxed, as Readability.js does. Tuned
//! on the article-extraction benchmark (`gleaner eval articles`). Pure; must
//! not panic on any input.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{Html, Node};

use super::{Block, BlockKind};

/// Text shorter than this (in characters) does not score as a paragraph.
const MIN_PARAGRAPH: u32 = 25;
/// Below this many characters of text the relaxed second pass is tried.
const RETRY_BELOW: usize = 250;
/// How many ancestors a paragraph's score reaches.
const SCORE_LEVELS: usize = 5;

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
#[derive(Debug, Clone, Copy)]
struct Flags {
    strip_unlikely: bool,
    weigh_classes: bool,
    clean_conditionally: bool,
}

/// The main content of `doc`.
pub(crate) fn main_content(doc: &Html) -> Content<'_> {
    let strict = Flags { strip_unlikely: true, weigh_classes: true, clean_conditionally: true };
    let first = extract_with(doc, strict);
    if text_len(&first) >= RETRY_BELOW {
        return first;
    }
    let mut best = first;
    for flags in [
        Flags { strip_unlikely: false, ..strict },
        Flags { strip_unlikely: false, weigh_classes: false, ..strict },
        Flags { strip_unlikely: false, weigh_classes: false, clean_conditionally: false },
    ] {
        let next = extract_with(doc, flags);
        if text_len(&next) > text_len(&best) {
            best = next;
        }
        if text_len(&best) >= RETRY_BELOW {
            break;
        }
    }
    best
}

/// Everything readable in an HTML fragment (a feed entry's own content or
/// summary): one walk, no boilerplate scoring or cleaning, since a feed entry
/// has no navigation, sidebars or comments. Scripts, styles and hidden
/// elements are still skipped.
pub(crate) fn fragment_content(doc: &Html) -> Content<'_> {
    let flags = Flags { strip_unlikely: false, weigh_classes: false, clean_conditionally: false };
    let arena = Arena::build(doc, flags);
    // A parsed fragment has no `<body>`: its root `<html>` holds the nodes.
    let Some(root) = arena.body.or_else(|| (!arena.els.is_empty()).then_some(0)) else {
        return Content::default();
    };
    let mut writer = BlockWriter::new(&arena);
    writer.walk(root);
    writer.finish()
}

fn text_len(content: &Content<'_>) -> usize {
    content.blocks.iter().filter(|b| b.kind != BlockKind::Caption).map(|b| b.text.len()).sum()
}

fn extract_with(doc: &Html, flags: Flags) -> Content<'_> {
    let mut arena = Arena::build(doc, flags);
    let Some(body) = arena.body else { return Content::default() };
    arena.score_paragraphs(flags);
    let top = arena.top_candidate(body);
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

/// Text statistics of an element's kept descendants.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    /// Characters of text, whitespace runs counted as one.
    text: u32,
    /// Of which inside links.
    link: u32,
    /// Of which inside headings.
    heading: u32,
    /// Of which inside list items.
    list: u32,
    commas: u32,
    paragraphs: u32,
    images: u32,
    inputs: u32,
    embeds: u32,
    /// List items.
    items: u32,
    /// Embedded social posts.
    posts: u32,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.text += other.text;
        self.link += other.link;
        self.heading += other.heading;
        self.list += other.list;
        self.commas += other.commas;
        self.paragraphs += other.paragraphs;
        self.images += other.images;
        self.inputs += other.inputs;
        self.embeds += other.embeds;
        self.items += other.items;
        self.posts += other.posts;
    }

    fn sub(&mut self, other: &Stats) {
        self.text = self.text.saturating_sub(other.text);
        self.link = self.link.saturating_sub(other.link);
        self.heading = self.heading.saturating_sub(other.heading);
        self.list = self.list.saturating_sub(other.list);
        self.commas = self.commas.saturating_sub(other.commas);
        self.paragraphs = self.paragraphs.saturating_sub(other.paragraphs);
        self.images = self.images.saturating_sub(other.images);
        self.inputs = self.inputs.saturating_sub(other.inputs);
        self.embeds = self.embeds.saturating_sub(other.embeds);
        self.items = self.items.saturating_sub(other.items);
        self.posts = self.posts.saturating_sub(other.posts);
    }

    fn link_density(&self) -> f32 {
        if self.text == 0 { 0.0 } else { ratio(self.link, self.text) }
    }
}

#[allow(clippy::cast_precision_loss)] // text lengths of one page
fn ratio(part: u32, whole: u32) -> f32 {
    part as f32 / whole.max(1) as f32
}

/// How an element takes part in the layout of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Never content: its subtree is not read at all.
    Skip,
    /// Starts and ends a block of text.
    Block,
    /// Runs inside the surrounding block.
    Inline,
}

/// What the class, id and tag say about an element.
// Independent facts read from one name; an enum would forbid the combinations
// real pages have (an embed inside a caption box).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default)]
struct Hints {
    /// ±25 per positive/negative hint, as Readability weighs them.
    weight: i32,
    /// Boilerplate by its name (comments, share bar, cookie banner ...).
    unlikely: bool,
    caption: bool,
    pull_quote: bool,
    embed: bool,
}

#[derive(Debug)]
struct El<'a> {
    node: NodeRef<'a, Node>,
    element: &'a Element,
    parent: Option<usize>,
    name: &'a str,
    role: Role,
    hints: Hints,
    /// Excluded from content (skipped, removed by cleaning).
    removed: bool,
    stats: Stats,
    /// Text directly in this block (not inside a child block).
    own_text: u32,
    own_commas: u32,
    score: f32,
    scored: bool,
}

struct Arena<'a> {
    els: Vec<El<'a>>,
    index: HashMap<NodeId, usize>,
    body: Option<usize>,
}

impl<'a> Arena<'a> {
    /// One walk over the whole document.
    fn build(doc: &'a Html, flags: Flags) -> Self {
        let mut arena = Arena { els: Vec::with_capacity(1024), index: HashMap::with_capacity(1024), body: None };
        let mut class_buf = String::new();
        // Open elements, innermost last: arena index and its nearest block ancestor.
        let mut open: Vec<(usize, usize)> = Vec::with_capacity(64);
        let (mut in_link, mut in_heading, mut in_list) = (0u32, 0u32, 0u32);
        let root = doc.tree.root();
        let Some(mut current) = root.first_child() else { return arena };
        loop {
            let mut descend = false;
            match current.value() {
                Node::Element(element) => {
                    let name = element.name();
                    let parent = open.last().map(|&(i, _)| i);
                    let parent_removed = parent.is_some_and(|p| arena.els[p].removed);
                    let hints = hints(element, name, &mut class_buf);
                    let role = role_of(element, name, hints, flags, parent.is_none());
                    let at = arena.els.len();
                    arena.els.push(El {
                        node: current,
                        element,
                        parent,
                        name,
                        role,
                        hints,
                        removed: role == Role::Skip || parent_removed,
                        stats: Stats::default(),
                        own_text: 0,
                        own_commas: 0,
                        score: 0.0,
                        scored: false,
                    });
                    arena.index.insert(current.id(), at);
                    if name == "body" && arena.body.is_none() {
                        arena.body = Some(at);
                    }
                    if role == Role::Skip {
                        arena.close(at);
                    } else {
                        let block = if role == Role::Block { at } else { open.last().map_or(at, |&(_, b)| b) };
                        open.push((at, block));
                        in_link += u32::from(name == "a");
                        in_heading += u32::from(is_heading(name));
                        in_list += u32::from(name == "li");
                        descend = true;
                    }
                }
                Node::Text(text) => {
                    if let Some(&(at, block)) = open.last() {
                        let (len, commas) = measure(text);
                        let el = &mut arena.els[at];
                        el.stats.text += len;
                        el.stats.commas += commas;
                        if in_link > 0 {
                            el.stats.link += len;
                        }
                        if in_heading > 0 {
                            el.stats.heading += len;
                        }
                        if in_list > 0 {
                            el.stats.list += len;
                        }
                        arena.els[block].own_text += len;
                        arena.els[block].own_commas += commas;
                    }
                }
                _ => {}
            }
            if descend && let Some(child) = current.first_child() {
                current = child;
                continue;
            }
            if descend {
                // An element without children closes at once.
                if let Some((at, _)) = open.pop() {
                    arena.closed(at, &mut in_link, &mut in_heading, &mut in_list);
                }
            }
            // Climb until a next sibling exists, closing elements on the way.
            loop {
                if let Some(next) = current.next_sibling() {
                    current = next;
                    break;
                }
                match current.parent() {
                    Some(parent) if parent.id() != root.id() => {
                        current = parent;
                        if let Some((at, _)) = open.pop() {
                            arena.closed(at, &mut in_link, &mut in_heading, &mut in_list);
                        }
                    }
                    _ => return arena,
                }
            }
        }
    }

    fn closed(&mut self, at: usize, in_link: &mut u32, in_heading: &mut u32, in_list: &mut u32) {
        let name = self.els[at].name;
        *in_link -= u32::from(name == "a" && *in_link > 0);
        *in_heading -= u32::from(is_heading(name) && *in_heading > 0);
        *in_list -= u32::from(name == "li" && *in_list > 0);
        self.close(at);
    }

    /// Hands a finished element's statistics to its parent.
    fn close(&mut self, at: usize) {
        let el = &mut self.els[at];
        match el.name {
            "p" => el.stats.paragraphs += 1,
            "img" | "picture" => el.stats.images += 1,
            "input" | "select" | "textarea" | "button" => el.stats.inputs += 1,
            "iframe" | "object" | "embed" | "video" | "audio" => el.stats.embeds += 1,
            "li" => el.stats.items += 1,
            _ => {}
        }
        if el.hints.embed {
            el.stats.posts += 1;
        }
        let (stats, parent) = (el.stats, el.parent);
        // Skipped subtrees and captions do not count towards their container;
        // counts of images and inputs do (they describe the box's layout).
        let counted = if el.removed || el.hints.caption {
            Stats {
                images: stats.images,
                inputs: stats.inputs,
                embeds: stats.embeds,
                posts: stats.posts,
                ..Stats::default()
            }
        } else {
            stats
        };
        if let Some(parent) = parent {
            self.els[parent].stats.add(&counted);
        }
    }

    /// Readability's paragraph scoring: each paragraph-like run of text adds
    /// `1 + commas + 1 + min(len / 100, 3)` to up to five ancestors, less
    /// for each level up.
    fn score_paragraphs(&mut self, flags: Flags) {
        for at in 0..self.els.len() {
            let el = &self.els[at];
            if el.removed || el.role != Role::Block || el.hints.caption {
                continue;
            }
            let leaf = matches!(el.name, "p" | "pre" | "td" | "h2" | "h3" | "h4" | "h5" | "h6");
            let (len, commas) = if leaf { (el.stats.text, el.stats.commas) } else { (el.own_text, el.own_commas) };
            // Elements under a skipped one were never read, so `removed` here is the whole story.
            if len < MIN_PARAGRAPH {
                continue;
            }
            #[allow(clippy::cast_precision_loss)] // small counts
            let score = 2.0 + commas as f32 + (len / 100).min(3) as f32;
            // A leaf paragraph scores its parent first; a container with its
            // own loose text scores itself first (that text is its paragraph).
            let mut target = if leaf { el.parent } else { Some(at) };
            for level in 0..SCORE_LEVELS {
                let Some(t) = target else { break };
                if !self.els[t].scored {
                    self.init_candidate(t, flags);
                }
                #[allow(clippy::cast_precision_loss)] // level < 5
                let divider = match level {
                    0 => 1.0,
                    1 => 2.0,
                    _ => level as f32 * 3.0,
                };
                self.els[t].score += score / divider;
                target = self.els[t].parent;
            }
        }
        for el in &mut self.els {
            if el.scored {
                el.score *= 1.0 - el.stats.link_density();
            }
        }
    }

    fn init_candidate(&mut self, at: usize, flags: Flags) {
        let el = &mut self.els[at];
        el.scored = true;
        let base = match el.name {
            "div" | "article" | "main" => 5.0,
            "pre" | "td" | "blockquote" | "section" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        #[allow(clippy::cast_precision_loss)] // ±50
        let weight = if flags.weigh_classes { el.hints.weight as f32 } else { 0.0 };
        el.score = base + weight;
    }

    /// The best-scoring candidate, moved up when its parent is a better
    /// container (several good candidates share it, or it scores higher).
    fn top_candidate(&self, body: usize) -> usize {
        let mut ranked: Vec<usize> =
            (0..self.els.len()).filter(|&i| self.els[i].scored && !self.els[i].removed).collect();
        ranked.sort_by(|&a, &b| self.els[b].score.total_cmp(&self.els[a].score));
        let Some(&first) = ranked.first() else { return body };
        let mut top = first;
        let top_score = self.els[top].score;
        if top == body || self.els[top].name == "html" {
            return body;
        }
        // Several near-best candidates under one ancestor: the article is
        // split into sections and the ancestor holds them all.
        let alternatives: Vec<usize> =
            ranked.iter().skip(1).take(4).copied().filter(|&i| self.els[i].score >= top_score * 0.75).collect();
        if alternatives.len() >= 3 {
            let lineages: Vec<HashSet<usize>> = alternatives.iter().map(|&alt| self.ancestors(alt).collect()).collect();
            let mut parent = self.els[top].parent;
            while let Some(p) = parent {
                if p == body {
                    break;
                }
                let inside = lineages.iter().filter(|lineage| lineage.contains(&p)).count();
                if inside >= 3 {
                    top = p;
                    break;
                }
                parent = self.els[p].parent;
            }
        }
        // A parent scoring at least as well is the fuller container.
        let mut last = self.els[top].score;
        let threshold = last / 3.0;
        let mut parent = self.els[top].parent;
        while let Some(p) = parent {
            if p == body {
                break;
            }
            if !self.els[p].scored {
                parent = self.els[p].parent;
                continue;
            }
            let score = self.els[p].score;
            if score < threshold {
                break;
            }
            if score > last {
                top = p;
                break;
            }
            last = score;
            parent = self.els[p].parent;
        }
        // A lone child's wrapper holds the same text plus, maybe, siblings' context.
        while let Some(p) = self.els[top].parent {
            if p == body || self.element_children(p).count() != 1 {
                break;
            }
            top = p;
        }
        top
    }

    fn ancestors(&self, of: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.els[of].parent, |&i| self.els[i].parent)
    }

    fn element_children(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        self.els[at].node.children().filter_map(|c| self.index.get(&c.id()).copied())
    }

    /// The top candidate and the siblings that look like more of the article.
    fn merge_siblings(&self, top: usize, body: usize) -> Vec<usize> {
        let Some(parent) = self.els[top].parent.filter(|_| top != body) else { return vec![top] };
        let top_el = &self.els[top];
        let threshold = (top_el.score * 0.2).max(10.0);
        let top_class = top_el.element.attr("class").filter(|c| !c.is_empty());
        let mut roots = Vec::new();
        for sibling in self.element_children(parent) {
            let el = &self.els[sibling];
            if sibling == top {
                roots.push(sibling);
                continue;
            }
            if el.removed {
                continue;
            }
            let bonus =
                if top_class.is_some() && el.element.attr("class") == top_class { top_el.score * 0.2 } else { 0.0 };
            if el.scored && el.score + bonus >= threshold {
                roots.push(sibling);
                continue;
            }
            if el.name == "p" {
                let len = el.stats.text;
                let density = el.stats.link_density();
                if (len > 80 && density < 0.25)
                    || (len > 0 && len <= 80 && density == 0.0 && self.ends_sentence(sibling))
                {
                    roots.push(sibling);
                }
            }
        }
        roots
    }

    fn ends_sentence(&self, at: usize) -> bool {
        let mut text = String::new();
        for piece in self.els[at].node.descendants().filter_map(|n| n.value().as_text()) {
            text.push_str(piece);
        }
        let text = text.trim_end();
        text.ends_with('.') || text.contains(". ")
    }

    /// Readability's conditional cleaning, innermost boxes first so that a
    /// box's figures no longer count what was removed inside it. Linear: what
    /// was removed below an element is carried up once, not subtracted along
    /// every ancestor chain.
    fn clean(&mut self, root: usize, flags: Flags) {
        let mut inside: Vec<usize> = Vec::new();
        let mut stack = vec![root];
        while let Some(at) = stack.pop() {
            inside.push(at);
            stack.extend(self.element_children(at).filter(|&c| !self.els[c].removed));
        }
        // Arena order is document order, so reversed it visits children before parents.
        inside.sort_unstable();
        let mut removed_below: HashMap<usize, Stats> = HashMap::new();
        for &at in inside.iter().rev() {
            let gone = removed_below.remove(&at).unwrap_or_default();
            let mut stats = self.els[at].stats;
            stats.sub(&gone);
            let remove = at != root && self.should_clean(at, &stats, flags);
            if remove {
                self.els[at].removed = true;
            }
            if at != root
                && let Some(parent) = self.els[at].parent
            {
                let carried = if remove { self.els[at].stats } else { gone };
                removed_below.entry(parent).or_default().add(&carried);
            }
        }
    }

    fn should_clean(&self, at: usize, stats: &Stats, flags: Flags) -> bool {
        let el = &self.els[at];
        if el.hints.caption || el.hints.embed || el.hints.pull_quote {
            return false;
        }
        let name = el.name;
        if matches!(name, "h1") {
            return true;
        }
        if is_heading(name) {
            return (flags.weigh_classes && el.hints.weight < 0) || stats.link_density() > 0.33;
        }
        if !matches!(name, "div" | "section" | "ul" | "ol" | "table" | "form" | "fieldset" | "header" | "dl") {
            return false;
        }
        if stats.posts > 0 {
            return false;
        }
        let weight = if flags.weigh_classes { el.hints.weight } else { 0 };
        #[allow(clippy::cast_possible_truncation)] // scores are small
        let score = if el.scored { el.score as i32 } else { 0 };
        if weight + score < 0 {
            return true;
        }
        let s = stats;
        if s.commas >= 10 {
            return false;
        }
        let is_list = matches!(name, "ul" | "ol") || (s.text > 0 && ratio(s.list, s.text) > 0.9);
        let paragraphs = s.paragraphs;
        let images = s.images;
        let density = s.link_density();
        let heading_density = ratio(s.heading, s.text);
        let list_items = s.items.saturating_sub(100);
        (images > 1 && ratio(paragraphs, images) < 0.5)
            || (!is_list && list_items > paragraphs)
            || (s.inputs > paragraphs / 3)
            || (!is_list && heading_density < 0.9 && s.text < 25 && (images == 0 || images > 2))
            || (!is_list && weight < 25 && density > 0.2)
            || (weight >= 25 && density > 0.5)
    }
}

/// Characters (whitespace runs counted once) and commas of a text node.
fn measure(text: &str) -> (u32, u32) {
    let (mut len, mut commas, mut space) = (0u32, 0u32, false);
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                len += 1;
                space = true;
            }
            continue;
        }
        space = false;
        len += 1;
        // Latin, Arabic and CJK commas.
        if matches!(c, ',' | '،' | '，' | '、' | '﹐' | '︐' | '︑') {
            commas += 1;
        }
    }
    (len, commas)
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// Tags whose subtree is never article text.
fn never_content(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "video"
            | "audio"
            | "map"
            | "select"
            | "textarea"
            | "input"
            | "button"
            | "nav"
            | "footer"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "dialog"
            | "header"
            | "label"
            | "menu"
    )
}

/// ARIA roles of boilerplate landmarks.
fn boilerplate_role(role: &str) -> bool {
    matches!(
        role.trim().to_ascii_lowercase().as_str(),
        "navigation"
            | "menu"
            | "menubar"
            | "complementary"
            | "dialog"
            | "alertdialog"
            | "alert"
            | "banner"
            | "contentinfo"
            | "search"
    )
}

fn role_of(element: &Element, name: &str, hints: Hints, flags: Flags, is_root: bool) -> Role {
    if is_root || matches!(name, "html" | "body") {
        return Role::Block;
    }
    let keep = hints.pull_quote || hints.embed || hints.caption;
    if never_content(name) || (name == "aside" && !keep) {
        return Role::Skip;
    }
    if hidden(element) || element.attr("role").is_some_and(boilerplate_role) {
        return Role::Skip;
    }
    if flags.strip_unlikely && hints.unlikely && !keep && !matches!(name, "article" | "main" | "a") {
        return Role::Skip;
    }
    if is_block(name) { Role::Block } else { Role::Inline }
}

fn hidden(element: &Element) -> bool {
    if element.attr("hidden").is_some()
        || element.attr("aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let compact: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        compact.contains("display:none") || compact.contains("visibility:hidden")
    })
}

/// Words in class or id that mark boilerplate. Matched as substrings of the
/// lower-cased `class id` text.
const UNLIKELY: &[&str] = &[
    "comment",
    "disqus",
    "footer",
    "sidebar",
    "related",
    "recommend",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "cookie",
    "consent",
    "gdpr",
    "share",
    "sharing",
    "social",
    "promo",
    "sponsor",
    "advert",
    "banner",
    "breadcrumb",
    "menu",
    "masthead",
    "outbrain",
    "taboola",
    "popup",
    "modal",
    "pagination",
    "pager",
    "skyscraper",
    "shoutbox",
    "byline",
    "dateline",
    "timestamp",
    "toolbar",
    "trending",
    "most-popular",
    "mostpopular",
    "more-stories",
    "read-more",
    "readmore",
    "widget",
    "navbar",
    "navigation",
    "header",
    "author-bio",
    "author-info",
    "community",
    "remark",
    "replies",
    "supplemental",
    "agegate",
    "paywall",
    "rss",
    "tags",
    "print-only",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
];

/// Words that keep an element despite an unlikely word ("article-header" is not a page header).
const MAYBE: &[&str] = &["article", "body", "content", "main", "story", "column", "entry"];

const POSITIVE: &[&str] =
    &["article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog", "story"];

const NEGATIVE: &[&str] = &[
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
    "byline",
    "author",
    "newsletter",
    "cookie",
    "social",
    "caption",
    "credit",
];

/// Whole words (between separators) of class or id that mark boilerplate.
const UNLIKELY_WORDS: &[&str] =
    &["ad", "ads", "nav", "hide", "hidden", "meta", "date", "author", "credit", "tag", "topics"];

const EMBED_CLASSES: &[&str] = &[
    "twitter-tweet",
    "twitter-video",
    "instagram-media",
    "tiktok-embed",
    "fb-post",
    "fb-xfbml",
    "reddit-card",
    "reddit-embed",
    "bluesky-embed",
    "mastodon-embed",
    "text-post-media",
];

fn hints(element: &Element, name: &str, buf: &mut String) -> Hints {
    let class = element.attr("class").unwrap_or_default();
    let id = element.attr("id").unwrap_or_default();
    if class.is_empty() && id.is_empty() {
        return Hints { caption: matches!(name, "figcaption" | "caption"), ..Hints::default() };
    }
    buf.clear();
    buf.push_str(class);
    buf.push(' ');
    buf.push_str(id);
    buf.make_ascii_lowercase();
    let text = buf.as_str();
    let mut hints = Hints::default();
    for part in [class, id] {
        if part.is_empty() {
            continue;
        }
        let lower = part.to_ascii_lowercase();
        if POSITIVE.iter().any(|w| lower.contains(w)) {
            hints.weight += 25;
        }
        if NEGATIVE.iter().any(|w| lower.contains(w)) {
            hints.weight -= 25;
        }
    }
    let words = || text.split(|c: char| !c.is_ascii_alphanumeric());
    let unlikely_word = words().any(|w| UNLIKELY_WORDS.contains(&w));
    let unlikely = UNLIKELY.iter().any(|w| text.contains(w)) || unlikely_word;
    hints.unlikely = unlikely && !MAYBE.iter().any(|w| text.contains(w));
    // Words that mark boilerplate even inside an "article-…" name.
    if [
        "comment",
        "share",
        "social",
        "related",
        "newsletter",
        "cookie",
        "consent",
        "byline",
        "subscribe",
        "outbrain",
        "taboola",
    ]
    .iter()
    .any(|w| text.contains(w))
        || unlikely_word
    {
        hints.unlikely = true;
    }
    hints.embed = EMBED_CLASSES.iter().any(|w| text.contains(w));
    hints.pull_quote = text.contains("pullquote") || text.contains("pull-quote") || text.contains("pull_quote");
    hints.caption = matches!(name, "figcaption" | "caption")
        || words().any(|w| w == "caption" || w.ends_with("caption") || w == "credit" || w.ends_with("credits"))
        || text.contains("caption-text")
        || text.contains("wp-caption");
    if hints.caption && matches!(name, "figure" | "body" | "article" | "main") {
        hints.caption = false;
    }
    hints
}

/// Walks the chosen subtrees into blocks.
struct BlockWriter<'a, 'b> {
    arena: &'b Arena<'a>,
    blocks: Vec<Block>,
    anchors: Vec<Anchor<'a>>,
    text: String,
    pending_space: bool,
    links: Vec<OpenSpan<'a>>,
    quotes: Vec<Option<usize>>,
    link_spans: Vec<Range<usize>>,
    q_spans: Vec<Range<usize>>,
    kinds: Vec<BlockKind>,
    /// Per open block element: whether it started a block of its own.
    split: Vec<bool>,
    embed_hrefs: Vec<&'a str>,
}

struct OpenSpan<'a> {
    start: Option<usize>,
    href: &'a str,
    rel: Option<&'a str>,
}

impl<'a, 'b> BlockWriter<'a, 'b> {
    fn new(arena: &'b Arena<'a>) -> Self {
        BlockWriter {
            arena,
            blocks: Vec::new(),
            anchors: Vec::new(),
            text: String::new(),
            pending_space: false,
            links: Vec::new(),
            quotes: Vec::new(),
            link_spans: Vec::new(),
            q_spans: Vec::new(),
            kinds: vec![BlockKind::Paragraph],
            split: Vec::new(),
            embed_hrefs: Vec::new(),
        }
    }

    fn walk(&mut self, root: usize) {
        self.open(root);
        let root_node = self.arena.els[root].node;
        let Some(mut current) = root_node.first_child() else {
            self.close(root);
            return;
        };
        // Elements opened below `root`, innermost last.
        let mut open: Vec<usize> = Vec::new();
        loop {
            let mut descended = false;
            match current.value() {
                Node::Element(_) => {
                    if let Some(&at) = self.arena.index.get(&current.id())
                        && !self.arena.els[at].removed
                    {
                        self.open(at);
                        if let Some(child) = current.first_child() {
                            open.push(at);
                            current = child;
                            descended = true;
                        } else {
                            self.close(at);
                        }
                    }
                }
                Node::Text(text) => self.push_text(text),
                _ => {}
            }
            if descended {
                continue;
            }
            loop {
                if let Some(next) = current.next_sibling() {
                    current = next;
                    break;
                }
                match current.parent() {
                    Some(parent) if parent.id() != root_node.id() => {
                        current = parent;
                        if let Some(at) = open.pop() {
                            self.close(at);
                        }
                    }
                    _ => {
                        self.close(root);
                        return;
                    }
                }
            }
        }
    }

    fn open(&mut self, at: usize) {
        let el = &self.arena.els[at];
        match el.name {
            "a" => self.links.push(OpenSpan {
                start: None,
                href: el.element.attr("href").unwrap_or_default(),
                rel: el.element.attr("rel"),
            }),
            "q" => self.quotes.push(None),
            "br" => self.pending_space = true,
            _ => {}
        }
        if el.hints.embed
            && let Some(href) = el.element.attr("href")
        {
            self.embed_hrefs.push(href);
        }
        if el.name == "a" && self.kinds.last() == Some(&BlockKind::Embed) {
            if let Some(href) = el.element.attr("href") {
                self.embed_hrefs.push(href);
            }
        }
        if el.role == Role::Block {
            let parent = self.kinds.last().copied().unwrap_or(BlockKind::Paragraph);
            // An embedded post is one block: its inner paragraphs only break words.
            let inner = parent == BlockKind::Embed;
            self.split.push(!inner);
            if inner {
                self.pending_space = true;
            } else {
                self.flush();
                self.kinds.push(block_kind(el, parent));
            }
        }
    }

    fn close(&mut self, at: usize) {
        let el = &self.arena.els[at];
        match el.name {
            "a" => {
                if let Some(span) = self.links.pop()
                    && let Some(start) = span.start
                    && start < self.text.len()
                {
                    self.anchors.push(Anchor {
                        block: self.blocks.len(),
                        span: start..self.text.len(),
                        href: span.href,
                        rel: span.rel,
                    });
                    self.link_spans.push(start..self.text.len());
                }
            }
            "q" => {
                if let Some(Some(start)) = self.quotes.pop()
                    && start < self.text.len()
                {
                    self.q_spans.push(start..self.text.len());
                }
            }
            _ => {}
        }
        if el.role == Role::Block {
            if self.split.pop().unwrap_or(true) {
                self.flush();
                self.kinds.pop();
                if self.kinds.is_empty() {
                    self.kinds.push(BlockKind::Paragraph);
                }
            } else {
                self.pending_space = true;
            }
        }
    }

    fn push_text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.pending_space = true;
                continue;
            }
            if self.pending_space && !self.text.is_empty() {
                self.text.push(' ');
            }
            self.pending_space = false;
            let at = self.text.len();
            for link in &mut self.links {
                link.start.get_or_insert(at);
            }
            for quote in &mut self.quotes {
                quote.get_or_insert(at);
            }
            self.text.push(c);
        }
    }

    /// Ends the block in progress; spans still open continue in the next one.
    fn flush(&mut self) {
        self.pending_space = false;
        let end = self.text.len();
        for link in &mut self.links {
            if let Some(start) = link.start.take()
                && start < end
            {
                self.anchors.push(Anchor {
                    block: self.blocks.len(),
                    span: start..end,
                    href: link.href,
                    rel: link.rel,
                });
                self.link_spans.push(start..end);
            }
        }
        for quote in &mut self.quotes {
            if let Some(start) = quote.take()
                && start < end
            {
                self.q_spans.push(start..end);
            }
        }
        if self.text.is_empty() {
            self.link_spans.clear();
            self.q_spans.clear();
            return;
        }
        let kind = self.kinds.last().copied().unwrap_or(BlockKind::Paragraph);
        if kind != BlockKind::Caption && is_label(&self.text) {
            self.text.clear();
            self.link_spans.clear();
            self.q_spans.clear();
            self.anchors.retain(|a| a.block < self.blocks.len());
            return;
        }
        let account = if kind == BlockKind::Embed { embed_account(&self.text, &self.embed_hrefs) } else { None };
        self.embed_hrefs.clear();
        self.link_spans.sort_by_key(|r| (r.start, r.end));
        self.q_spans.sort_by_key(|r| (r.start, r.end));
        self.blocks.push(Block {
            kind,
            text: std::mem::take(&mut self.text),
            link_spans: std::mem::take(&mut self.link_spans),
            q_spans: std::mem::take(&mut self.q_spans),
            account,
        });
    }

    fn finish(mut self) -> Content<'a> {
        self.flush();
        Content { blocks: self.blocks, anchors: self.anchors }
    }
}

/// The kind of block an element starts, given its enclosing kind: inside a
/// quotation, embed or caption, everything keeps that kind.
fn block_kind(el: &El<'_>, parent: BlockKind) -> BlockKind {
    if matches!(parent, BlockKind::Embed | BlockKind::Caption | BlockKind::PullQuote) {
        return parent;
    }
    if el.hints.embed {
        return BlockKind::Embed;
    }
    if el.hints.caption {
        return BlockKind::Caption;
    }
    if el.hints.pull_quote {
        return BlockKind::PullQuote;
    }
    if parent == BlockKind::Blockquote {
        return parent;
    }
    match el.name {
        "blockquote" => BlockKind::Blockquote,
        "h2" | "h3" | "h4" | "h5" | "h6" => BlockKind::Heading,
        "li" | "dt" | "dd" => BlockKind::ListItem,
        _ => BlockKind::Paragraph,
    }
}

/// Lines that label page furniture rather than say anything.
fn is_label(text: &str) -> bool {
    const LABELS: &[&str] = &[
        "advertisement",
        "skip advertisement",
        "story continues below advertisement",
        "continue reading the main story",
        "continue reading below",
        "article continues below",
        "read more",
        "related",
        "sponsored",
    ];
    text.len() < 48 && LABELS.iter().any(|l| text.trim_end_matches(['.', ':']).eq_ignore_ascii_case(l))
}

/// The posting account of an embedded post: the `(@handle)` a tweet or
/// Instagram embed ends with, else the handle in its status link.
fn embed_account(text: &str, hrefs: &[&str]) -> Option<String> {
    if let Some(at) = text.rfind("(@") {
        let handle: String =
            text[at + 1..].chars().take_while(|&c| c == '@' || c.is_alphanumeric() || c == '_' || c == '.').collect();
        if handle.len() > 1 {
            return Some(handle);
        }
    }
    for href in hrefs.iter().rev() {
        let Ok(url) = url::Url::parse(href) else { continue };
        let host = url.host_str().unwrap_or_default().trim_start_matches("www.").trim_start_matches("mobile.");
        if matches!(host, "twitter.com" | "x.com" | "instagram.com" | "tiktok.com" | "threads.net")
            && let Some(first) = url.path_segments().and_then(|mut s| s.next())
            && !first.is_empty()
            && !matches!(first, "p" | "reel" | "i" | "hashtag" | "search" | "intent" | "share")
        {
            let first = first.trim_start_matches('@');
            return Some(format!("@{first}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn measure_collapses_whitespace_and_counts_commas() {
        assert_eq!(measure("a,  b ، c"), (8, 2));
    }
}
