//! Editors' watchlists (issue 16.5) in every store: one record per editor,
//! replaced only by compare and swap.

use gleaner::model::{WatchList, WatchTarget};
use gleaner::store::prelude::*;

use super::at;

/// `ann` follows Bob Banker and a query; `cy` follows one query. For the
/// backup round trips too. Returns ann's list as stored.
pub(crate) fn seed_watchlists(store: &dyn Store) -> WatchList {
    let mut ann = WatchList::new("ann");
    ann.follow(WatchTarget::Speaker { id: "bob-banker".into() }, Some("newsroom-hook".into()), at(40))
        .expect("speaker");
    ann.follow(WatchTarget::Query { query: "asylum lang:fa".into() }, None, at(41)).expect("query");
    ann.seen_at = Some(at(42));
    assert!(store.swap_watchlist(None, &ann).expect("ann's first list"));
    let mut cy = WatchList::new("cy");
    cy.follow(WatchTarget::Query { query: "\"free elections\"".into() }, None, at(43)).expect("cy");
    assert!(store.swap_watchlist(None, &cy).expect("cy's first list"));
    ann
}

pub(crate) fn watchlists_are_per_editor_and_swapped_only_from_what_was_read(store: &dyn Store) {
    assert_eq!(store.watchlist("ann").expect("none yet"), None);
    assert!(store.watchlists().expect("none").is_empty());
    let ann = seed_watchlists(store);
    assert_eq!(store.watchlist("ann").expect("ann"), Some(ann.clone()));
    let editors: Vec<String> = store.watchlists().expect("all").into_iter().map(|l| l.editor).collect();
    assert_eq!(editors, ["ann", "cy"], "by editor");

    // A second "first list" loses to the one stored, and a stale swap is refused.
    assert!(!store.swap_watchlist(None, &WatchList::new("ann")).expect("not first"));
    let mut seen = ann.clone();
    seen.seen_at = Some(at(50));
    assert!(store.swap_watchlist(Some(&ann), &seen).expect("swap"));
    let mut stale = ann.clone();
    stale.watches.clear();
    assert!(!store.swap_watchlist(Some(&ann), &stale).expect("stale"), "written over a list read before the swap");
    assert_eq!(store.watchlist("ann").expect("ann"), Some(seen));
    assert!(!store.is_empty().expect("is_empty"), "a store with watchlists is not empty");
}
