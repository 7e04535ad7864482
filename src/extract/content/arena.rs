//! The one walk over a parsed page: an arena of elements in document order,
//! each with its role in the layout of text, its class/id hints and the text
//! statistics of its kept descendants (gathered bottom-up). Scoring, cleaning
//! and block writing all read this arena; nothing here decides what content is.

use std::collections::{HashMap, HashSet};

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{Html, Node};

use super::{Flags, MIN_PARAGRAPH};

/// Characters of prose a header, footer, aside or unlikely-named box must
/// hold to be read as part of the body (a site footer's "about us" blurb has
/// a few hundred; an article wrapped in `<header>` has thousands).
const SOFT_PROSE: u32 = 1_000;
/// ... and the share of its text in links it may have at most.
const SOFT_LINKS: f32 = 0.3;
use super::hints::{Hints, Place, Role, boilerplate_role, hidden, hints, is_block, landmark, role_of};

/// Text statistics of an element's kept descendants.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Stats {
    /// Characters of text, whitespace runs counted as one.
    pub(super) text: u32,
    /// Of which inside links.
    pub(super) link: u32,
    /// Of which inside headings.
    pub(super) heading: u32,
    /// Of which inside list items.
    pub(super) list: u32,
    pub(super) commas: u32,
    pub(super) paragraphs: u32,
    pub(super) images: u32,
    pub(super) inputs: u32,
    pub(super) embeds: u32,
    /// List items.
    pub(super) items: u32,
    /// Embedded social posts.
    pub(super) posts: u32,
    /// Characters of prose: the unlinked text of blocks long enough to be
    /// paragraphs and mostly not links (menus and link lists have none).
    pub(super) prose: u32,
}

impl Stats {
    pub(super) fn add(&mut self, other: &Stats) {
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
        self.prose += other.prose;
    }

    pub(super) fn sub(&mut self, other: &Stats) {
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
        self.prose = self.prose.saturating_sub(other.prose);
    }

    pub(super) fn link_density(&self) -> f32 {
        if self.text == 0 { 0.0 } else { ratio(self.link, self.text) }
    }
}

#[allow(clippy::cast_precision_loss)] // text lengths of one page
pub(super) fn ratio(part: u32, whole: u32) -> f32 {
    part as f32 / whole.max(1) as f32
}

// Independent facts about one element, set at different times (walk, scoring,
// cleaning); an enum would forbid combinations real pages have.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug)]
pub(super) struct El<'a> {
    pub(super) node: NodeRef<'a, Node>,
    pub(super) element: &'a Element,
    pub(super) parent: Option<usize>,
    pub(super) name: &'a str,
    pub(super) role: Role,
    pub(super) hints: Hints,
    /// Excluded from content (skipped, removed by cleaning).
    pub(super) removed: bool,
    pub(super) stats: Stats,
    /// Text directly in this block (not inside a child block).
    pub(super) own_text: u32,
    pub(super) own_commas: u32,
    /// Of `own_text`, inside links.
    pub(super) own_link: u32,
    pub(super) score: f32,
    pub(super) scored: bool,
    /// `<main>`, `<article>` and the like: see [`landmark`].
    pub(super) landmark: bool,
    /// A `<header>`, `<footer>` or `<aside>`: boilerplate unless it turns
    /// out to hold the body (site builders that wrap the article text in
    /// `<header class="rich-text">`).
    pub(super) soft: bool,
}

pub(super) struct Arena<'a> {
    pub(super) els: Vec<El<'a>>,
    pub(super) index: HashMap<NodeId, usize>,
    pub(super) body: Option<usize>,
}

impl<'a> Arena<'a> {
    /// One walk over the whole document.
    pub(super) fn build(doc: &'a Html, flags: Flags) -> Self {
        let mut arena = Arena { els: Vec::with_capacity(1024), index: HashMap::with_capacity(1024), body: None };
        let mut class_buf = String::new();
        // Open elements, innermost last: arena index, its nearest block
        // ancestor, and whether a `<section>` encloses it.
        let mut open: Vec<(usize, usize, bool)> = Vec::with_capacity(64);
        let (mut in_link, mut in_heading, mut in_list) = (0u32, 0u32, 0u32);
        let root = doc.tree.root();
        let holds_main = main_holders(doc);
        let Some(mut current) = root.first_child() else { return arena };
        loop {
            let mut descend = false;
            match current.value() {
                Node::Element(element) => {
                    let name = element.name();
                    let parent = open.last().map(|&(i, _, _)| i);
                    let in_section = open.last().is_some_and(|&(_, _, s)| s);
                    let parent_removed = parent.is_some_and(|p| arena.els[p].removed);
                    let hints = hints(element, name, &mut class_buf, flags.thread);
                    let place = Place {
                        root: parent.is_none(),
                        holds_main: holds_main.contains(&current.id()),
                        markup: name == "noscript" && current.children().any(|c| c.value().is_element()),
                        in_section,
                    };
                    let (role, soft) = classify(element, name, hints, flags, place, parent_removed);
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
                        own_link: 0,
                        score: 0.0,
                        scored: false,
                        landmark: landmark(element, name),
                        soft,
                    });
                    arena.index.insert(current.id(), at);
                    if name == "body" && arena.body.is_none() {
                        arena.body = Some(at);
                    }
                    if role == Role::Skip {
                        arena.close(at);
                    } else {
                        let block = if role == Role::Block { at } else { open.last().map_or(at, |&(_, b, _)| b) };
                        open.push((at, block, in_section || name == "section"));
                        in_link += u32::from(name == "a");
                        in_heading += u32::from(is_heading(name));
                        in_list += u32::from(name == "li");
                        descend = true;
                    }
                }
                Node::Text(text) => {
                    if let Some(&(at, block, _)) = open.last() {
                        arena.count_text(text, at, block, (in_link > 0, in_heading > 0, in_list > 0));
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
                if let Some((at, _, _)) = open.pop() {
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
                        if let Some((at, _, _)) = open.pop() {
                            arena.closed(at, &mut in_link, &mut in_heading, &mut in_list);
                        }
                    }
                    _ => return arena,
                }
            }
        }
    }

    /// Counts a text node into its element and its nearest block; `inside`
    /// says whether it is inside a link, a heading, a list item.
    fn count_text(&mut self, text: &str, at: usize, block: usize, inside: (bool, bool, bool)) {
        let (len, commas) = measure(text);
        let (link, heading, list) = inside;
        let el = &mut self.els[at];
        el.stats.text += len;
        el.stats.commas += commas;
        el.stats.link += if link { len } else { 0 };
        el.stats.heading += if heading { len } else { 0 };
        el.stats.list += if list { len } else { 0 };
        let block = &mut self.els[block];
        block.own_text += len;
        block.own_commas += commas;
        block.own_link += if link { len } else { 0 };
    }

    pub(super) fn closed(&mut self, at: usize, in_link: &mut u32, in_heading: &mut u32, in_list: &mut u32) {
        let name = self.els[at].name;
        *in_link -= u32::from(name == "a" && *in_link > 0);
        *in_heading -= u32::from(is_heading(name) && *in_heading > 0);
        *in_list -= u32::from(name == "li" && *in_list > 0);
        self.close(at);
    }

    /// Hands a finished element's statistics to its parent.
    pub(super) fn close(&mut self, at: usize) {
        let el = &self.els[at];
        if el.soft && !el.removed && !(el.stats.prose >= SOFT_PROSE && el.stats.link_density() < SOFT_LINKS) {
            // Arena order is document order: the subtree is everything after it.
            for el in &mut self.els[at..] {
                el.removed = true;
            }
        }
        let el = &mut self.els[at];
        match el.name {
            "p" => el.stats.paragraphs += 1,
            "img" | "picture" => el.stats.images += 1,
            // Form fields, as Readability counts them: buttons are carousel
            // arrows and "show more" toggles on any modern page, body or not.
            "input" | "select" | "textarea" => el.stats.inputs += 1,
            "iframe" | "object" | "embed" | "video" | "audio" => el.stats.embeds += 1,
            "li" => el.stats.items += 1,
            _ => {}
        }
        if el.hints.embed {
            el.stats.posts += 1;
        }
        if el.role == Role::Block && el.own_text >= MIN_PARAGRAPH && el.own_link * 2 < el.own_text {
            el.stats.prose += el.own_text - el.own_link;
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
}

/// An element's role, and whether it is soft boilerplate: page headers,
/// footers, asides and boxes with unlikely (but not [`super::hints::HARD`])
/// names are read, and dropped when they close without a body's worth of
/// prose in them.
fn classify(
    element: &Element,
    name: &str,
    hints: Hints,
    flags: Flags,
    place: Place,
    parent_removed: bool,
) -> (Role, bool) {
    let role = role_of(element, name, hints, flags, place);
    let by_name = || {
        hints.unlikely
            && !hints.hard
            && role_of(element, name, hints, Flags { strip_unlikely: false, ..flags }, place) != Role::Skip
    };
    let readable = role == Role::Skip
        && !parent_removed
        && !hidden(element)
        && !element.attr("role").is_some_and(boilerplate_role);
    // A section's own header (`<section><header>`, `PageSection_header`)
    // introduces that section: part of the body, unlike the page header.
    let section_header = place.in_section && ((name == "header" && !hints.unlikely) || (hints.header && by_name()));
    if readable && section_header {
        return (if is_block(name) { Role::Block } else { Role::Inline }, false);
    }
    let soft = readable && (matches!(name, "header" | "footer" | "aside") || by_name());
    (if soft { Role::Block } else { role }, soft)
}

/// The elements that enclose a `<main>` (or `[role=main]`) with text in it.
fn main_holders(doc: &Html) -> HashSet<NodeId> {
    let mut out = HashSet::new();
    for node in doc.tree.nodes() {
        let Node::Element(element) = node.value() else { continue };
        let main =
            element.name() == "main" || element.attr("role").is_some_and(|r| r.trim().eq_ignore_ascii_case("main"));
        if !main {
            continue;
        }
        for ancestor in node.ancestors() {
            if !out.insert(ancestor.id()) {
                break;
            }
        }
    }
    out
}

/// Characters (whitespace runs counted once) and commas of a text node.
pub(super) fn measure(text: &str) -> (u32, u32) {
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

pub(super) fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}
