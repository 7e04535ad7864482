//! Saved views: named queries an editor reopens (`views.json` in the search
//! folder, outside the index a rebuild wipes, written atomically).
//!
//! A view is shared by the team, like the queue it filters: "Rajavi this
//! month", "unreviewed Persian". Must not interpret the query (that is
//! `query.rs`, when the view is opened).

use std::path::Path;

const FILE: &str = "views.json";
/// Views are a short menu, not a database.
pub const MAX_VIEWS: usize = 100;
pub const MAX_VIEW_NAME_CHARS: usize = 80;

/// A named query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedView {
    pub name: String,
    pub query: String,
}

/// Why a view could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The name or query is unusable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// `views.json` could not be read or written, or is not ours.
    #[error("saved views at {path}: {reason}")]
    File { path: String, reason: String },
}

fn file_error(folder: &Path, reason: &dyn std::fmt::Display) -> ViewError {
    ViewError::File { path: folder.join(FILE).display().to_string(), reason: reason.to_string() }
}

/// The views, by name (none when the file does not exist yet).
pub fn load(folder: &Path) -> Result<Vec<SavedView>, ViewError> {
    match std::fs::read(folder.join(FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| file_error(folder, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(file_error(folder, &e)),
    }
}

fn store(folder: &Path, views: &[SavedView]) -> Result<(), ViewError> {
    let bytes = serde_json::to_vec_pretty(views).map_err(|e| file_error(folder, &e))?;
    crate::publish::write::write_atomic(&folder.join(FILE), &bytes).map_err(|e| file_error(folder, &e))
}

/// Saves `query` as `name`, replacing a view of that name.
pub fn save(folder: &Path, name: &str, query: &str) -> Result<SavedView, ViewError> {
    let name = name.trim();
    let query = query.trim();
    if name.is_empty() || name.chars().count() > MAX_VIEW_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ViewError::Invalid(format!(
            "a view's name is 1 to {MAX_VIEW_NAME_CHARS} characters, without control characters"
        )));
    }
    if query.is_empty() || query.chars().count() > super::query::MAX_QUERY_CHARS {
        return Err(ViewError::Invalid(format!("a view's query is 1 to {} characters", super::query::MAX_QUERY_CHARS)));
    }
    let mut views = load(folder)?;
    let view = SavedView { name: name.to_owned(), query: query.to_owned() };
    if let Some(existing) = views.iter_mut().find(|v| v.name == name) {
        *existing = view.clone();
    } else if views.len() >= MAX_VIEWS {
        return Err(ViewError::Invalid(format!("at most {MAX_VIEWS} views; delete one first")));
    } else {
        views.push(view.clone());
    }
    views.sort_by_key(|v| v.name.to_lowercase());
    store(folder, &views)?;
    Ok(view)
}

/// Removes the view `name`; `false` when there was none.
pub fn delete(folder: &Path, name: &str) -> Result<bool, ViewError> {
    let mut views = load(folder)?;
    let before = views.len();
    views.retain(|v| v.name != name.trim());
    if views.len() == before {
        return Ok(false);
    }
    store(folder, &views)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_saved_replaced_listed_by_name_and_deleted() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(load(dir.path()).expect("none yet").is_empty());
        save(dir.path(), "Rajavi", "speaker:\"Maryam Rajavi\"").expect("save");
        save(dir.path(), "asylum", "asylum lang:fa").expect("save");
        save(dir.path(), "Rajavi", "speaker:Rajavi since:2026-11-01").expect("replace");
        let views = load(dir.path()).expect("load");
        let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["asylum", "Rajavi"], "by name, case-insensitive");
        assert_eq!(views[1].query, "speaker:Rajavi since:2026-11-01");
        assert!(delete(dir.path(), "asylum").expect("delete"));
        assert!(!delete(dir.path(), "asylum").expect("gone already"));
        assert_eq!(load(dir.path()).expect("load").len(), 1);
    }

    #[test]
    fn bad_names_and_queries_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(save(dir.path(), "  ", "x"), Err(ViewError::Invalid(_))));
        assert!(matches!(save(dir.path(), "a\u{7}", "x"), Err(ViewError::Invalid(_))));
        assert!(matches!(save(dir.path(), "a", " "), Err(ViewError::Invalid(_))));
        assert!(load(dir.path()).expect("nothing written").is_empty());
    }
}
