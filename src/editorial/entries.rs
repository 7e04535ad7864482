//! Digest entries beyond one article (issue 14.2): an entry cites other
//! items (attach / detach) and may choose their quotes, and an entry may be
//! commentary only (a note, with no article behind it).
//!
//! The cited items stay items of their own: attaching changes only the
//! citing item's editor fields (`cited`), in one audited write; the
//! publisher folds cited items into the citing entry and marks them
//! published with it. Must not know about HTTP or terminals.

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, audit, checked_actor, rules};
use crate::model::{EditorFields, Item, ItemId, NOTE_SOURCE, NewItem, Quote, ReviewState};

/// Longest list of cited items: a digest entry links a handful of articles,
/// and a cap keeps a pasted list from making one entry the whole issue.
pub const MAX_CITED: usize = 20;

/// An item an entry cites, with its quotes (what the item page shows).
#[derive(Debug, Clone)]
pub struct CitedItem {
    pub item: Item,
    pub quotes: Vec<Quote>,
}

impl Editorial {
    /// Adds `others` to the items entry `id` cites (after those it cites
    /// already; one already cited is skipped). Refused for a published
    /// entry, an unknown item, the entry itself, or past [`MAX_CITED`].
    pub fn attach(
        &self,
        id: &ItemId,
        expected_revision: u64,
        others: &[ItemId],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.editable(id, expected_revision)?;
        let mut editor = item.editor.clone();
        let mut added = Vec::new();
        for other in others {
            if other == id {
                return Err(invalid(format!("item {id} cannot cite itself")));
            }
            if self.store.item(other)?.is_none() {
                return Err(EditorialError::NotFound { id: other.clone() });
            }
            if !editor.cited.contains(other) {
                editor.cited.push(other.clone());
                added.push(other.to_string());
            }
        }
        if editor.cited.len() > MAX_CITED {
            return Err(invalid(format!("item {id} would cite {} items; at most {MAX_CITED}", editor.cited.len())));
        }
        if added.is_empty() {
            return Ok(item);
        }
        let audit = audit(now, actor, id, "attach", format!("cites {}", added.join(", ")));
        self.write_one(id, expected_revision, item.state, &editor, &audit)
    }

    /// Removes `others` from the items entry `id` cites, with the chosen
    /// quotes (and their corrections) that came from them only.
    pub fn detach(
        &self,
        id: &ItemId,
        expected_revision: u64,
        others: &[ItemId],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.editable(id, expected_revision)?;
        let mut editor = item.editor.clone();
        let removed: Vec<ItemId> = editor.cited.iter().filter(|c| others.contains(c)).cloned().collect();
        if removed.is_empty() {
            return Ok(item);
        }
        editor.cited.retain(|c| !removed.contains(c));
        // A quote stays chosen if the entry or an item it still cites has it.
        let mut keep: Vec<Quote> = self.store.quotes(id)?;
        for other in &editor.cited {
            keep.extend(self.store.quotes(other)?);
        }
        let mut gone: Vec<String> = Vec::new();
        for other in &removed {
            gone.extend(self.store.quotes(other)?.into_iter().map(|q| q.id));
        }
        let dropped = |q: &String| gone.contains(q) && !keep.iter().any(|k| &k.id == q);
        editor.quote_ids.retain(|q| !dropped(q));
        editor.quote_overrides.retain(|q, _| !dropped(q));
        let detail =
            format!("no longer cites {}", removed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "));
        let audit = audit(now, actor, id, "detach", detail);
        self.write_one(id, expected_revision, item.state, &editor, &audit)
    }

    /// A commentary-only entry, approved for the next issue in `section`:
    /// stored as an item of the built-in `note` source, with no URL. Returns
    /// the new item (its id is the entry's id).
    pub fn add_note(
        &self,
        section: &str,
        headline: Option<&str>,
        commentary: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let changes = rules::EditChanges {
            headline: Some(headline.map(str::to_owned)),
            commentary: Some(Some(commentary.to_owned())),
            section: Some(Some(section.to_owned())),
            ..rules::EditChanges::default()
        };
        let (editor, _) = changes.apply(&EditorFields::default(), &[]).map_err(|e| invalid(format!("note: {e}")))?;
        if editor.commentary.is_none() {
            return Err(invalid("note: the commentary is empty; a note is its commentary".to_owned()));
        }
        // A fresh identity per note: two notes with the same words are two entries.
        let mut nonce = [0_u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| invalid(format!("note: no randomness for its id: {e}")))?;
        let guid = format!("note:{}:{}", now.timestamp_micros(), u64::from_le_bytes(nonce));
        let new = NewItem {
            source_id: NOTE_SOURCE.to_owned(),
            guid: Some(guid),
            url: None,
            title: note_title(editor.headline.as_deref(), editor.commentary.as_deref().unwrap_or_default()),
            authors: vec![actor.to_owned()],
            published: now,
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: None,
            fetched_at: now,
        };
        let id = new.id();
        self.store.upsert_items(std::slice::from_ref(&new))?;
        let stored = self.store.item(&id)?.ok_or_else(|| EditorialError::NotFound { id: id.clone() })?;
        let audit = audit(now, actor, &id, "note", format!("new note in {section}"));
        self.write_one(&id, stored.revision, ReviewState::Approved, &editor, &audit)
    }

    /// The items entry `item` cites, with their quotes; a cited id no longer
    /// stored is left out (the editor sees it gone from the list).
    pub fn cited(&self, item: &Item) -> Result<Vec<CitedItem>, EditorialError> {
        let mut cited = Vec::with_capacity(item.editor.cited.len());
        for id in &item.editor.cited {
            if let Some(other) = self.store.item(id)? {
                cited.push(CitedItem { quotes: self.store.quotes(id)?, item: other });
            }
        }
        Ok(cited)
    }

    /// The other items of `item`'s story, newest first (what may be attached).
    pub fn story_members(&self, item: &Item) -> Result<Vec<super::StoryMember>, EditorialError> {
        let index = self.read_index()?;
        let story = item.story_id();
        Ok(index.iter().filter(|row| &row.story == story && row.id != item.id).map(super::story_member).collect())
    }

    /// The item as stored at `expected_revision`, unless it is published.
    fn editable(&self, id: &ItemId, expected_revision: u64) -> Result<Item, EditorialError> {
        let item = self.current(id, expected_revision)?;
        if item.state == ReviewState::Published {
            return Err(invalid(format!("item {id} is published: its issue is out, so an edit would reach no one")));
        }
        Ok(item)
    }
}

/// What the queue shows for a note: its headline, else its first words.
fn note_title(headline: Option<&str>, commentary: &str) -> String {
    if let Some(headline) = headline {
        return headline.to_owned();
    }
    let text = crate::sanitize::html_to_text(commentary);
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = words.chars().take(80).collect();
    if words.chars().count() > 80 {
        title.push('…');
    }
    format!("Note: {title}")
}

fn invalid(message: String) -> EditorialError {
    EditorialError::Invalid { message }
}
