//! Listing pages: a grid of repeated cards (a blog's front page, a shop's
//! category, a search result list) is the page's content when nothing else
//! on it reads as a body. Readability-style scoring cannot see such a page:
//! each card is a linked title and a line or two, too short and too linked to
//! score, so the best candidate is one card, a cookie notice or a footer blurb.

use std::collections::HashMap;

use super::arena::Arena;

/// Sibling cards of one shape needed to call their parent a grid.
const MIN_CARDS: u32 = 4;
/// Characters a card holds on average: a menu item ("About us") has fewer,
/// a linked title with its price, date or teaser more.
const CARD_TEXT: u32 = 25;

/// A grid of cards: the element holding them and the text they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Grid {
    pub(super) at: usize,
    pub(super) text: u32,
}

impl Arena<'_> {
    /// The grid whose cards hold the most text. A card is a kept child with
    /// a link in it; cards are of one shape when they share tag and class
    /// attribute, as a template renders them. One pass over the arena.
    pub(super) fn best_grid(&self) -> Option<Grid> {
        let mut shapes: HashMap<(&str, &str), (u32, u32)> = HashMap::new();
        let mut best: Option<Grid> = None;
        for (at, el) in self.els.iter().enumerate() {
            if el.removed || el.stats.text < MIN_CARDS * CARD_TEXT {
                continue;
            }
            shapes.clear();
            for child in self.element_children(at) {
                let card = &self.els[child];
                if card.removed || card.stats.link == 0 || card.stats.text == 0 {
                    continue;
                }
                let shape = (card.name, card.element.attr("class").unwrap_or_default());
                let entry = shapes.entry(shape).or_default();
                entry.0 += 1;
                entry.1 += card.stats.text;
            }
            for &(count, text) in shapes.values() {
                if count >= MIN_CARDS && text >= count * CARD_TEXT && best.is_none_or(|b| text > b.text) {
                    best = Some(Grid { at, text });
                }
            }
        }
        best
    }
}
