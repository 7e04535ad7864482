//! Editors' tags on items (issue 16.5): added and removed like any edit
//! (seen revision, audit entry `tag`, search index and queue kept current).
//! What a tag may be is `rules::tags`.

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, audit, checked_actor, rules};
use crate::model::{Item, ItemId};

impl Editorial {
    /// Adds `add` and removes `remove` from item `id` seen at
    /// `expected_revision`; a change that changes nothing writes nothing.
    pub fn tag(
        &self,
        id: &ItemId,
        expected_revision: u64,
        add: &[String],
        remove: &[String],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.current(id, expected_revision)?;
        let tags = rules::change_tags(&item.editor.tags, add, remove)
            .map_err(|e| EditorialError::Invalid { message: format!("item {id}: {e}") })?;
        if tags == item.editor.tags {
            return Ok(item);
        }
        let added: Vec<String> =
            tags.iter().filter(|t| !item.editor.tags.contains(t)).map(|t| format!("+{t}")).collect();
        let removed: Vec<String> =
            item.editor.tags.iter().filter(|t| !tags.contains(t)).map(|t| format!("-{t}")).collect();
        let mut editor = item.editor.clone();
        editor.tags = tags;
        let entry = audit(now, actor, id, "tag", added.into_iter().chain(removed).collect::<Vec<_>>().join(", "));
        self.write_one(id, expected_revision, item.state, &editor, &entry)
    }
}
