//! Watches that ask to be told (`notify` on a watch): the poll's new items
//! checked against them once, and a `quote.followed` webhook queued per
//! matching item.
//!
//! The Followed tab finds its matches when an editor looks
//! (`editorial::watchlist`); a notification cannot wait for that. Only
//! watches with `notify` are checked here, so a poll costs nothing more
//! while nobody asked to be told, and (notifying watches × new items) when
//! someone did: each item is folded once for all of them.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::model::{Item, ItemId, Watch, WatchTarget, WebhookEvent};
use crate::notify::{Notification, Recipients, Webhooks, item_data};
use crate::search::SearchDoc;
use crate::search::eval::Prepared;
use crate::speakers::SpeakerMap;
use crate::store::{Store, StoreError};

/// Queues one notification per (watch, new item) match; returns how many
/// deliveries were newly queued. `sections` maps source ids to sections.
pub(super) fn notify_watches(
    store: &dyn Store,
    notifier: &Webhooks,
    ids: &[ItemId],
    sections: &std::collections::HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let watches: Vec<(String, Watch)> = store
        .watchlists()?
        .into_iter()
        .flat_map(|list| {
            let editor = list.editor;
            list.watches.into_iter().filter(|w| w.notify.is_some()).map(move |w| (editor.clone(), w))
        })
        .collect();
    if watches.is_empty() || ids.is_empty() {
        return Ok(0);
    }
    let map = store.speaker_map()?;
    let queries: Vec<_> = watches
        .iter()
        .map(|(_, watch)| match &watch.target {
            WatchTarget::Query { query } => Some(crate::search::parse(query)),
            WatchTarget::Speaker { .. } => None,
        })
        .collect();
    let mut queued = 0;
    for id in ids {
        let Some(item) = store.item(id)? else { continue };
        let quotes = item.editor.with_added(store.quotes(id)?);
        let doc = SearchDoc::new(&item, &quotes);
        let prepared = Prepared::new(&doc);
        for ((editor, watch), query) in watches.iter().zip(&queries) {
            let found = match (&watch.target, query) {
                (WatchTarget::Speaker { id: wanted }, _) => speaker_quoted(&item, &quotes, &map, wanted),
                (_, Some(query)) => {
                    !query.is_empty() && crate::search::eval::matches_prepared(query, &prepared, sections)
                }
                _ => false,
            };
            // A watch made after the item arrived is not told about it.
            if !found || item.first_seen < watch.created_at {
                continue;
            }
            let Some(target) = &watch.notify else { continue };
            let mut data = item_data(&item);
            data["watch"] = json!({ "id": watch.id, "editor": editor, "followed": watch.target.describe() });
            let notification = Notification {
                event: WebhookEvent::QuoteFollowed,
                key: format!("{id}@watch:{}", watch.id),
                data,
                to: Recipients::Named(vec![target.clone()]),
            };
            queued += notifier.notify(store, &notification, now)?;
        }
    }
    Ok(queued)
}

/// Whether a quote of `item` is credited (after editors' corrections and
/// merges) to the speaker `wanted`.
fn speaker_quoted(item: &Item, quotes: &[crate::model::Quote], map: &SpeakerMap, wanted: &str) -> bool {
    let wanted = map.resolve_id(wanted);
    quotes.iter().any(|quote| {
        let (speaker, _) = crate::editorial::credited(item, quote);
        speaker.as_deref().and_then(|s| map.resolve(s)).as_deref() == Some(wanted.as_str())
    })
}
