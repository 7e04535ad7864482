//! Putting an issue's publish or correction into the audit trail of each of
//! its items, with the editor's name: an item's history then says which
//! issue carried it, who sent it out and who corrected it.

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, audit, checked_actor};
use crate::model::ItemId;

/// Attempts per item when an editor changes it at the same moment.
const ATTEMPTS: usize = 3;

impl Editorial {
    /// Appends `action` ("publish", "correct") with `detail` to the audit
    /// trail of every item in `ids`, as `actor`. The item's fields and state
    /// are written back unchanged (an audit entry always comes with its
    /// write); an item that kept changing or is gone is skipped, since the
    /// issue itself is already out and records who sent it.
    pub fn record_issue_event(
        &self,
        ids: &[ItemId],
        action: &str,
        detail: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, EditorialError> {
        let actor = checked_actor(actor)?;
        let mut recorded = 0;
        for id in ids {
            for _ in 0..ATTEMPTS {
                let Some(item) = self.store.item(id)? else { break };
                let entry = audit(now, actor, id, action, detail.to_owned());
                match self.write_one(id, item.revision, item.state, &item.editor, &entry) {
                    Ok(_) => {
                        recorded += 1;
                        break;
                    }
                    Err(EditorialError::Stale { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(recorded)
    }
}
