//! Adding a quote the extractor missed, from a selection of the article's
//! text: the words must be the article's own (see `rules::added_quote_text`),
//! the editor names speaker and outlet, and the quote is chosen at once (an
//! editor adds a quote to use it).

use chrono::{DateTime, Utc};

use super::{Editorial, EditorialError, audit, checked_actor, rules};
use crate::model::{AddedQuote, Item, ItemId};

impl Editorial {
    /// Adds `selection` as a quote of item `id` seen at `expected_revision`
    /// and chooses it (last in the order). Adding the same words again
    /// changes nothing but speaker and outlet.
    #[allow(clippy::too_many_arguments)] // one editor action, each argument a form field or the audit's
    pub fn add_quote(
        &self,
        id: &ItemId,
        expected_revision: u64,
        selection: &str,
        speaker: Option<&str>,
        outlet: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Item, EditorialError> {
        let actor = checked_actor(actor)?;
        let item = self.current(id, expected_revision)?;
        let invalid = |e: rules::EditError| EditorialError::Invalid { message: format!("item {id}: {e}") };
        let text = rules::added_quote_text(selection, &item.text).map_err(invalid)?;
        let name = |value: Option<&str>| {
            let cleaned = rules::clean_text(value.unwrap_or_default(), false).trim().to_owned();
            let chars = cleaned.chars().count();
            if chars > rules::MAX_SECTION_CHARS {
                return Err(invalid(rules::EditError::TooLong {
                    field: "speaker or outlet",
                    chars,
                    max: rules::MAX_SECTION_CHARS,
                }));
            }
            Ok(Some(cleaned).filter(|c| !c.is_empty()))
        };
        let added = AddedQuote {
            id: format!("ed-{}", crate::extract::quotes::quote_id(&text)),
            text,
            speaker: name(speaker)?,
            outlet: name(outlet)?,
        };
        let mut editor = item.editor.clone();
        editor.added_quotes.retain(|q| q.id != added.id);
        if !editor.quote_ids.contains(&added.id) {
            editor.quote_ids.push(added.id.clone());
        }
        let detail = format!("quote {:?}", added.text.chars().take(60).collect::<String>());
        editor.added_quotes.push(added);
        if editor == item.editor {
            return Ok(item);
        }
        let entry = audit(now, actor, id, "add quote", detail);
        self.write_one(id, expected_revision, item.state, &editor, &entry)
    }
}
