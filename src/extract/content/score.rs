//! Readability-style candidate scoring: paragraphs score their ancestors, the
//! best candidate climbs to a fuller container and absorbs sibling blocks that
//! look like more of the body.

use std::collections::HashSet;

use super::arena::Arena;
use super::hints::Role;
use super::{Flags, MIN_PARAGRAPH, SCORE_LEVELS};

/// A landmark with more of its text in links than this is a link list.
const LANDMARK_LINKS: f32 = 0.4;
/// The least prose (characters) worth climbing for.
const MORE_PROSE: u32 = 100;

impl Arena<'_> {
    /// Readability's paragraph scoring: each paragraph-like run of text adds
    /// `1 + commas + 1 + min(len / 100, 3)` to up to five ancestors, less
    /// for each level up.
    pub(super) fn score_paragraphs(&mut self, flags: Flags) {
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

    pub(super) fn init_candidate(&mut self, at: usize, flags: Flags) {
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
    pub(super) fn top_candidate(&self, body: usize) -> usize {
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

    /// The nearest landmark (`<main>`, `<article>`, `articleBody`, see
    /// [`super::hints::landmark`]) enclosing the top candidate, when it is
    /// prose rather than a link list: the page's author marked the whole body
    /// there, where the best-scoring box is often one section of it.
    pub(super) fn landmark_root(&self, top: usize, body: usize) -> usize {
        let mut at = Some(top);
        while let Some(i) = at {
            if i == body {
                break;
            }
            let el = &self.els[i];
            if el.landmark {
                return if !el.removed && el.stats.link_density() < LANDMARK_LINKS { i } else { top };
            }
            at = el.parent;
        }
        top
    }

    /// Climbs from the chosen box to the nearest ancestor holding clearly
    /// more prose (see [`super::arena::Stats::prose`]) without turning into a
    /// link list, and again from there: a thread's answers beside its
    /// question, an article's sections in sibling boxes, a product's
    /// description beside its specifications. Boilerplate boxes carry no
    /// prose (menus, link lists) or were skipped by name (comments, sidebars),
    /// so they do not pull the root up.
    pub(super) fn prose_root(&self, top: usize, body: usize) -> usize {
        let mut top = top;
        'climb: loop {
            let mine = self.els[top].stats.prose;
            for p in self.ancestors(top) {
                if p == body {
                    break 'climb;
                }
                let el = &self.els[p];
                if el.removed {
                    break 'climb;
                }
                let theirs = el.stats.prose;
                if theirs >= mine + (mine / 2).max(MORE_PROSE) {
                    if el.stats.link_density() >= LANDMARK_LINKS {
                        break 'climb;
                    }
                    top = p;
                    continue 'climb;
                }
            }
            break;
        }
        top
    }

    pub(super) fn ancestors(&self, of: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.els[of].parent, |&i| self.els[i].parent)
    }

    pub(super) fn element_children(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        self.els[at].node.children().filter_map(|c| self.index.get(&c.id()).copied())
    }

    /// The top candidate and the siblings that look like more of the article.
    pub(super) fn merge_siblings(&self, top: usize, body: usize) -> Vec<usize> {
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

    pub(super) fn ends_sentence(&self, at: usize) -> bool {
        let mut text = String::new();
        for piece in self.els[at].node.descendants().filter_map(|n| n.value().as_text()) {
            text.push_str(piece);
        }
        let text = text.trim_end();
        text.ends_with('.') || text.contains(". ")
    }
}
