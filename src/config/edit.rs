//! Edits to the operators' config files that keep everything else as
//! written (comments, order, spacing): only the bytes of one value change.

use toml::de::{DeTable, DeValue};

/// `text` with `enabled` of the `[[source]]` table whose `id` is `id` set
/// to `enabled`: its value replaced where the key is written, else a line
/// `enabled = …` added after the `id` line. `None` when no such table is in
/// `text`.
pub fn set_source_enabled(text: &str, id: &str, enabled: bool) -> Option<String> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let DeValue::Array(items) = doc.get_ref().get("source")?.get_ref() else { return None };
    let value = if enabled { "true" } else { "false" };
    for item in items {
        let DeValue::Table(table) = item.get_ref() else { continue };
        let Some(id_value) = table.get("id") else { continue };
        if id_value.get_ref().as_str() != Some(id) {
            continue;
        }
        if let Some(current) = table.get("enabled") {
            let span = current.span();
            return Some(format!("{}{value}{}", &text[..span.start], &text[span.end..]));
        }
        let after_id = id_value.span().end;
        let line_end = text[after_id..].find('\n').map_or(text.len(), |n| after_id + n);
        return Some(format!("{}\nenabled = {value}{}", &text[..line_end], &text[line_end..]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# my feeds\n[[source]]\nid = \"a\"  # the first\nurl = \"http://a.example/\"\n\n\
                        [[source]]\nid = \"b\"\nenabled = true   # keep\nurl = \"http://b.example/\"\n";

    #[test]
    fn an_existing_key_changes_in_place_and_nothing_else_does() {
        let edited = set_source_enabled(LIST, "b", false).expect("found");
        assert_eq!(edited, LIST.replace("enabled = true   # keep", "enabled = false   # keep"));
    }

    #[test]
    fn a_missing_key_is_added_after_the_id_line() {
        let edited = set_source_enabled(LIST, "a", false).expect("found");
        assert_eq!(edited, LIST.replace("id = \"a\"  # the first\n", "id = \"a\"  # the first\nenabled = false\n"));
        let again = set_source_enabled(&edited, "a", true).expect("found");
        assert!(again.contains("id = \"a\"  # the first\nenabled = true\n"), "{again}");
    }

    #[test]
    fn an_unknown_id_or_no_sources_is_none() {
        assert_eq!(set_source_enabled(LIST, "zz", false), None);
        assert_eq!(set_source_enabled("store = \"x\"\n", "a", false), None);
        assert_eq!(
            set_source_enabled("[[source]]\nid = \"a\"", "a", false).as_deref(),
            Some("[[source]]\nid = \"a\"\nenabled = false")
        );
    }
}
