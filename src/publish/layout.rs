//! The issue layout: which section each approved item falls in and in what
//! order. One rule for the composer's draft (`editorial`) and the published
//! issue (`compose`), so editors see exactly what will go out.
//!
//! Sections: the configured ones first (in the configured order), then
//! sections that only editors named, in order of first use. An item's section
//! is its editor's, else its source's, else the first configured one; a blank
//! name counts as none at every step. Within a section: the editor's
//! `position` (unpositioned last), then publication time, then id.
//!
//! Pure (layer core): no store, no clock.

use std::collections::HashMap;

use crate::model::Item;

/// One section of a layout; configured sections are present even when empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed<T> {
    pub name: String,
    pub items: Vec<T>,
}

/// Lays out `items` (any record that leads to an [`Item`]) in `configured`
/// sections; `source_section` gives the configured section of an item's source.
pub fn lay_out<T>(
    configured: &[String],
    mut items: Vec<T>,
    item_of: impl Fn(&T) -> &Item,
    source_section: impl Fn(&T) -> Option<String>,
) -> Vec<Placed<T>> {
    items.sort_by(|a, b| {
        let key = |t: &T| {
            let item = item_of(t);
            (item.editor.position.unwrap_or(u32::MAX), item.published, item.id.clone())
        };
        key(a).cmp(&key(b))
    });
    let main = configured.first().map_or("", String::as_str);
    let mut sections: Vec<Placed<T>> =
        configured.iter().map(|name| Placed { name: name.clone(), items: Vec::new() }).collect();
    let mut at: HashMap<String, usize> = sections.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
    for record in items {
        let name = section_name(item_of(&record).editor.section.as_deref(), source_section(&record).as_deref(), main);
        let slot = *at.entry(name.clone()).or_insert_with(|| {
            sections.push(Placed { name, items: Vec::new() });
            sections.len() - 1
        });
        sections[slot].items.push(record);
    }
    sections
}

/// An item's section: the editor's, else the source's, else `main`; blank names count as none.
pub fn section_name(editor: Option<&str>, source: Option<&str>, main: &str) -> String {
    non_blank(editor).or_else(|| non_blank(source)).unwrap_or(main).to_owned()
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_editor_section_falls_back_to_the_source_section() {
        assert_eq!(section_name(Some("  "), Some("World"), "Top"), "World");
        assert_eq!(section_name(None, Some(" "), "Top"), "Top");
        assert_eq!(section_name(Some("Local"), Some("World"), "Top"), "Local");
    }
}
