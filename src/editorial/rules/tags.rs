//! What a tag may be (issue 16.5): editors add and remove free tags on
//! items, and queue and search filter by them (`tag:NAME`), so one spelling
//! per tag: lower-cased, trimmed, inner spaces as `-`, letters, digits,
//! `-` and `_` only, at most [`MAX_TAG_CHARS`] characters; an item carries at
//! most [`MAX_TAGS`].
//!
//! Pure: no I/O.

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// Most tags on one item.
pub const MAX_TAGS: usize = 20;

/// Why a tag or a tag change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag must not be empty")]
    Empty,
    #[error("tag {tag:?} is longer than {MAX_TAG_CHARS} characters")]
    TooLong { tag: String },
    #[error("tag {tag:?} may hold only letters, digits, '-' and '_'")]
    BadChar { tag: String },
    #[error("an item carries at most {MAX_TAGS} tags")]
    TooMany,
}

/// `raw` as a tag is stored and matched ("Climate Policy" → "climate-policy").
pub fn clean_tag(raw: &str) -> Result<String, TagError> {
    let tag: String = raw.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
    if tag.is_empty() {
        return Err(TagError::Empty);
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(TagError::TooLong { tag });
    }
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err(TagError::BadChar { tag });
    }
    Ok(tag)
}

/// `current` with `add` added (in order, each once) and `remove` removed;
/// every name cleaned first, so "Climate" removes "climate".
pub fn change_tags(current: &[String], add: &[String], remove: &[String]) -> Result<Vec<String>, TagError> {
    let remove: Vec<String> = remove.iter().map(|t| clean_tag(t)).collect::<Result<_, _>>()?;
    let mut tags: Vec<String> = current.iter().filter(|t| !remove.contains(t)).cloned().collect();
    for raw in add {
        let tag = clean_tag(raw)?;
        if !tags.contains(&tag) && !remove.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tags_are_folded_to_one_spelling() {
        assert_eq!(clean_tag("  Climate   Policy "), Ok("climate-policy".to_owned()));
        assert_eq!(clean_tag("Élections_2026"), Ok("élections_2026".to_owned()));
        assert_eq!(clean_tag(" "), Err(TagError::Empty));
        assert!(matches!(clean_tag("a,b"), Err(TagError::BadChar { .. })));
        assert!(matches!(clean_tag(&"x".repeat(41)), Err(TagError::TooLong { .. })));
    }

    #[test]
    fn adding_and_removing_keeps_order_and_no_duplicates() {
        let current = vec!["iran".to_owned(), "oil".to_owned()];
        let tags = change_tags(&current, &["Sanctions".into(), "iran".into()], &["OIL".into()]).expect("ok");
        assert_eq!(tags, ["iran", "sanctions"]);
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert_eq!(change_tags(&[], &many, &[]), Err(TagError::TooMany));
    }

    proptest! {
        #[test]
        fn a_clean_tag_cleans_to_itself(raw in "\\PC{0,60}") {
            if let Ok(tag) = clean_tag(&raw) {
                prop_assert_eq!(clean_tag(&tag), Ok(tag.clone()));
            }
        }
    }
}
