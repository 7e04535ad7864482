//! Editors' field changes: validation and cleaning, before anything is stored.
//!
//! [`EditChanges::apply`] turns a request ("set the headline, clear the
//! section") into the new [`EditorFields`] plus the names of the fields that
//! really changed, so the audit trail records only those and an edit that
//! changes nothing writes nothing.

use std::collections::BTreeMap;

use crate::model::{EditorFields, QuoteOverride};

/// Longest headline, in characters (a digest headline is one line).
pub const MAX_HEADLINE_CHARS: usize = 300;
/// Longest commentary, in characters (a few paragraphs; guards the store and
/// the page against a pasted article).
pub const MAX_COMMENTARY_CHARS: usize = 20_000;
/// Longest section name, speaker or outlet, in characters.
pub const MAX_SECTION_CHARS: usize = 120;

/// Why an edit is refused. Each names the field so a form can mark it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// A text field is longer than its limit.
    #[error("{field} is too long: {chars} characters, at most {max}")]
    TooLong { field: &'static str, chars: usize, max: usize },
    /// A trimmed quote is not a verbatim part of the quote's words.
    #[error("the trimmed quote {id:?} must be words of the quote as written, not {text:?}")]
    NotInQuote { id: String, text: String },
    /// A quote added from the article is not a verbatim part of its text.
    #[error("the added quote must be words of the article's text as written, not {text:?}")]
    NotInText { text: String },
    /// A chosen quote (or an override) names a quote the item does not have.
    #[error("item has no quote {id:?} (see the quote ids `gleaner show ID` prints)")]
    UnknownQuote { id: String },
}

/// What an editor asks to change; `None` leaves a field as it is, and
/// `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditChanges {
    pub headline: Option<Option<String>>,
    pub commentary: Option<Option<String>>,
    /// The chosen quotes, in the editor's order (replaces the whole list).
    pub quote_ids: Option<Vec<String>>,
    /// Speaker/outlet corrections by quote id (replaces the whole map; empty
    /// overrides are dropped).
    pub quote_overrides: Option<BTreeMap<String, QuoteOverride>>,
    pub section: Option<Option<String>>,
    pub position: Option<Option<u32>>,
}

impl EditChanges {
    /// True when the request names no field at all.
    pub fn is_empty(&self) -> bool {
        self.headline.is_none()
            && self.commentary.is_none()
            && self.quote_ids.is_none()
            && self.quote_overrides.is_none()
            && self.section.is_none()
            && self.position.is_none()
    }

    /// The editor fields after this change, cleaned and validated, with the
    /// names of the fields whose value differs from `current` (in a fixed
    /// order; empty when the edit changes nothing).
    ///
    /// `known_quotes` are the ids of the item's stored quotes. A chosen id
    /// must be one of them, or already chosen: a quote that vanished from a
    /// re-extracted page stays selectable so an unrelated edit does not fail
    /// (the store keeps such ids on purpose; see `ItemStore::put_extraction`).
    pub fn apply(
        &self,
        current: &EditorFields,
        known_quotes: &[&str],
    ) -> Result<(EditorFields, Vec<&'static str>), EditError> {
        let mut next = current.clone();
        let quote_known = |id: &str| known_quotes.contains(&id) || current.quote_ids.iter().any(|q| q == id);
        if let Some(headline) = &self.headline {
            next.headline = clean_optional(headline.as_deref(), "headline", MAX_HEADLINE_CHARS, Lines::One)?;
        }
        if let Some(commentary) = &self.commentary {
            next.commentary = clean_optional(commentary.as_deref(), "commentary", MAX_COMMENTARY_CHARS, Lines::Many)?;
        }
        if let Some(ids) = &self.quote_ids {
            let mut chosen: Vec<String> = Vec::with_capacity(ids.len());
            for id in ids.iter().map(|id| id.trim()).filter(|id| !id.is_empty()) {
                if !quote_known(id) {
                    return Err(EditError::UnknownQuote { id: id.to_owned() });
                }
                if !chosen.iter().any(|c| c == id) {
                    chosen.push(id.to_owned());
                }
            }
            next.quote_ids = chosen;
        }
        if let Some(overrides) = &self.quote_overrides {
            let mut cleaned = BTreeMap::new();
            for (id, value) in overrides {
                let id = id.trim();
                if !quote_known(id) {
                    return Err(EditError::UnknownQuote { id: id.to_owned() });
                }
                let value = QuoteOverride {
                    speaker: clean_optional(value.speaker.as_deref(), "speaker", MAX_SECTION_CHARS, Lines::One)?,
                    outlet: clean_optional(value.outlet.as_deref(), "outlet", MAX_SECTION_CHARS, Lines::One)?,
                    // Trimmed words are checked against the quote by `check_trims`; only blank ones go.
                    text: value.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned),
                };
                if !value.is_empty() {
                    cleaned.insert(id.to_owned(), value);
                }
            }
            next.quote_overrides = cleaned;
        }
        if let Some(section) = &self.section {
            next.section = clean_optional(section.as_deref(), "section", MAX_SECTION_CHARS, Lines::One)?;
        }
        if let Some(position) = self.position {
            next.position = position;
        }
        Ok((next.clone(), changed_fields(current, &next)))
    }
}

/// Names of the fields that differ, for the audit trail.
pub fn changed_fields(before: &EditorFields, after: &EditorFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if before.headline != after.headline {
        changed.push("headline");
    }
    if before.commentary != after.commentary {
        changed.push("commentary");
    }
    if before.quote_ids != after.quote_ids {
        changed.push("quotes");
    }
    if before.quote_overrides != after.quote_overrides {
        changed.push("attribution");
    }
    if before.section != after.section {
        changed.push("section");
    }
    if before.position != after.position {
        changed.push("position");
    }
    if before.cited != after.cited {
        changed.push("articles");
    }
    changed
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

fn clean_optional(
    text: Option<&str>,
    field: &'static str,
    max: usize,
    lines: Lines,
) -> Result<Option<String>, EditError> {
    let Some(text) = text else { return Ok(None) };
    let cleaned = clean_text(text, lines == Lines::Many);
    let chars = cleaned.chars().count();
    if chars > max {
        return Err(EditError::TooLong { field, chars, max });
    }
    Ok((!cleaned.is_empty()).then_some(cleaned))
}

/// Editor text as it is stored: trimmed, CRLF folded to LF, control
/// characters dropped (they break feeds: XML 1.0 forbids most of them), and
/// for one-line fields every line break turned into a space. Bidirectional
/// marks (U+200E/F, U+202A–E, U+2066–9) are kept: Persian editors need them.
pub fn clean_text(text: &str, multiline: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = text
        .chars()
        .filter_map(|c| match c {
            '\n' if multiline => Some('\n'),
            '\n' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    if multiline {
        // No runs of blank lines: a paragraph break is one blank line.
        let mut out = String::with_capacity(kept.len());
        let mut blank_run = 0;
        for line in kept.trim().lines() {
            let line = line.trim_end();
            if line.trim().is_empty() {
                blank_run += 1;
                if blank_run == 1 {
                    out.push('\n');
                }
                continue;
            }
            blank_run = 0;
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
        out
    } else {
        kept.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_changes_only_the_named_fields() {
        let current = EditorFields {
            headline: Some("Old".into()),
            commentary: Some("Kept".into()),
            quote_ids: vec!["q1".into()],
            section: Some("World".into()),
            position: Some(2),
            ..EditorFields::default()
        };
        let request = EditChanges { headline: Some(Some("  New   headline ".into())), ..EditChanges::default() };
        let (next, changed) = request.apply(&current, &["q1"]).expect("valid");
        assert_eq!(next.headline.as_deref(), Some("New headline"));
        assert_eq!(next.commentary, current.commentary);
        assert_eq!(next.quote_ids, current.quote_ids);
        assert_eq!(next.section, current.section);
        assert_eq!(changed, vec!["headline"]);
    }

    #[test]
    fn blank_text_clears_and_same_text_is_no_change() {
        let current = EditorFields { headline: Some("Same".into()), ..EditorFields::default() };
        let same = EditChanges { headline: Some(Some(" Same ".into())), ..EditChanges::default() };
        assert!(same.apply(&current, &[]).expect("valid").1.is_empty());
        let clear = EditChanges { headline: Some(Some("   ".into())), ..EditChanges::default() };
        assert_eq!(clear.apply(&current, &[]).expect("valid").0.headline, None);
    }

    #[test]
    fn unknown_quotes_are_refused_but_a_vanished_chosen_one_is_kept() {
        let current = EditorFields { quote_ids: vec!["gone".into()], ..EditorFields::default() };
        let bad = EditChanges { quote_ids: Some(vec!["q9".into()]), ..EditChanges::default() };
        assert_eq!(bad.apply(&current, &["q1"]), Err(EditError::UnknownQuote { id: "q9".into() }));
        let keep =
            EditChanges { quote_ids: Some(vec!["q1".into(), "gone".into(), "q1".into()]), ..EditChanges::default() };
        assert_eq!(keep.apply(&current, &["q1"]).expect("valid").0.quote_ids, vec!["q1", "gone"]);
    }

    #[test]
    fn overrides_are_cleaned_and_empty_ones_dropped() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "q1".to_owned(),
            QuoteOverride { speaker: Some(" Ali  Vaez ".into()), outlet: Some(String::new()), text: None },
        );
        overrides.insert("q2".to_owned(), QuoteOverride { speaker: Some("  ".into()), outlet: None, text: None });
        let request = EditChanges { quote_overrides: Some(overrides), ..EditChanges::default() };
        let (next, changed) = request.apply(&EditorFields::default(), &["q1", "q2"]).expect("valid");
        assert_eq!(next.quote_overrides.len(), 1);
        assert_eq!(
            next.quote_overrides["q1"],
            QuoteOverride { speaker: Some("Ali Vaez".into()), outlet: None, text: None }
        );
        assert_eq!(changed, vec!["attribution"]);
    }

    #[test]
    fn limits_name_the_field() {
        let long = "x".repeat(MAX_HEADLINE_CHARS + 1);
        let changes = EditChanges { headline: Some(Some(long)), ..EditChanges::default() };
        let err = changes.apply(&EditorFields::default(), &[]).expect_err("too long");
        assert!(err.to_string().starts_with("headline is too long"), "{err}");
    }

    #[test]
    fn commentary_keeps_paragraphs_and_rtl_marks_but_drops_controls() {
        let text = "  اول\u{200f} پاراگراف\r\n\r\n\r\n\r\nsecond\u{7} line\n";
        assert_eq!(clean_text(text, true), "اول\u{200f} پاراگراف\n\nsecond line");
        assert_eq!(clean_text("a\nb\tc", false), "a b c");
    }
}
