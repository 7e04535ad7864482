//! Where "Save & approve" (and the other decisions on the item page) goes
//! next: the following item of the list the item was in (same review state,
//! queue order, newest first), so an editor works down the queue without
//! going back to it after each item, as in a mail client.

use crate::editorial::{Editorial, EditorialError, MAX_PER_PAGE, QueueFilter};
use crate::model::{ItemId, ReviewState};

/// The item after `id` among the items in `state` (or the one before it
/// when `id` is the last), with its title; `None` when it is alone.
pub(crate) fn after(
    editorial: &Editorial,
    id: &ItemId,
    state: ReviewState,
) -> Result<Option<(ItemId, String)>, EditorialError> {
    let filter = QueueFilter { state: Some(state), ..QueueFilter::default() };
    let mut page = 1;
    let mut previous: Option<(ItemId, String)> = None;
    loop {
        let rows = editorial.queue(&filter, page, MAX_PER_PAGE)?;
        let mut found = false;
        for row in &rows.rows {
            if found {
                return Ok(Some((row.id.clone(), row.title.clone())));
            }
            if &row.id == id {
                found = true;
            } else {
                previous = Some((row.id.clone(), row.title.clone()));
            }
        }
        if found && page >= rows.pages {
            return Ok(previous);
        }
        if found {
            // The next one is the first row of the next page.
            let next = editorial.queue(&filter, page + 1, MAX_PER_PAGE)?;
            return Ok(next.rows.first().map(|r| (r.id.clone(), r.title.clone())).or(previous));
        }
        if page >= rows.pages {
            return Ok(None);
        }
        page += 1;
    }
}
