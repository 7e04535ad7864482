//! Writes the chosen subtrees as [`Block`]s with their link and `<q>` spans
//! and the outbound link anchors.

use std::ops::Range;

use scraper::Node;

use super::arena::{Arena, El};
use super::hints::Role;
use super::{Anchor, Content};
use crate::extract::{Block, BlockKind};

/// Walks the chosen subtrees into blocks.
pub(super) struct BlockWriter<'a, 'b> {
    pub(super) arena: &'b Arena<'a>,
    pub(super) blocks: Vec<Block>,
    pub(super) anchors: Vec<Anchor<'a>>,
    pub(super) text: String,
    pub(super) pending_space: bool,
    pub(super) links: Vec<OpenSpan<'a>>,
    pub(super) quotes: Vec<Option<usize>>,
    pub(super) link_spans: Vec<Range<usize>>,
    pub(super) q_spans: Vec<Range<usize>>,
    pub(super) kinds: Vec<BlockKind>,
    /// Per open block element: whether it started a block of its own.
    pub(super) split: Vec<bool>,
    pub(super) embed_hrefs: Vec<&'a str>,
}

pub(super) struct OpenSpan<'a> {
    pub(super) start: Option<usize>,
    pub(super) href: &'a str,
    pub(super) rel: Option<&'a str>,
}

impl<'a, 'b> BlockWriter<'a, 'b> {
    pub(super) fn new(arena: &'b Arena<'a>) -> Self {
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

    pub(super) fn walk(&mut self, root: usize) {
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

    pub(super) fn open(&mut self, at: usize) {
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

    pub(super) fn close(&mut self, at: usize) {
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

    pub(super) fn push_text(&mut self, text: &str) {
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
    pub(super) fn flush(&mut self) {
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

    pub(super) fn finish(mut self) -> Content<'a> {
        self.flush();
        Content { blocks: self.blocks, anchors: self.anchors }
    }
}

/// The kind of block an element starts, given its enclosing kind: inside a
/// quotation, embed or caption, everything keeps that kind.
pub(super) fn block_kind(el: &El<'_>, parent: BlockKind) -> BlockKind {
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
pub(super) fn is_label(text: &str) -> bool {
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
pub(super) fn embed_account(text: &str, hrefs: &[&str]) -> Option<String> {
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
