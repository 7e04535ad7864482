//! Conditional cleaning inside the chosen content: boxes that are mostly
//! links, inputs, images or lists are page furniture, not body.

use std::collections::HashMap;

use super::Flags;
use super::arena::{Arena, Stats, is_heading, ratio};

impl Arena<'_> {
    /// Readability's conditional cleaning, innermost boxes first so that a
    /// box's figures no longer count what was removed inside it. Linear: what
    /// was removed below an element is carried up once, not subtracted along
    /// every ancestor chain.
    pub(super) fn clean(&mut self, root: usize, flags: Flags) {
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

    pub(super) fn should_clean(&self, at: usize, stats: &Stats, flags: Flags) -> bool {
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
