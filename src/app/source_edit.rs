//! Enabling or disabling a source from the CLI or the API: the config file
//! that holds its `[[source]]` table is edited in place (see
//! `config::edit`), checked with the same rules as `gleaner check`, and
//! written atomically. A running `serve` applies it through its live reload,
//! as it does an operator's own edit: the files stay the one truth.

use std::path::{Path, PathBuf};

use crate::config::{self, Config, ConfigText};

/// Why a source could not be enabled or disabled.
#[derive(Debug, thiserror::Error)]
pub enum SourceEditError {
    /// No `[[source]]` table with this id in the config files.
    #[error("no source {0:?} in the config files (see `gleaner sources`)")]
    Unknown(String),
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The edited files do not validate (they did not before, either: fix them first).
    #[error("the config does not validate, nothing written:\n{0}")]
    Invalid(String),
}

/// Sets `enabled` of source `id` in the file that lists it; returns that file.
pub fn set_source_enabled(config: &Config, id: &str, enabled: bool) -> Result<PathBuf, SourceEditError> {
    let settings_path = &config.settings.path;
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| SourceEditError::Io { path: path.to_owned(), source })
    };
    let main = ConfigText { path: settings_path.clone(), text: read(settings_path)? };
    let list = match &config.settings.sources_path {
        Some(path) => Some(ConfigText { path: path.clone(), text: read(path)? }),
        None => None,
    };
    let (main, list, target) =
        if let Some(edited) = list.as_ref().and_then(|l| config::edit::set_source_enabled(&l.text, id, enabled)) {
            let list = list.map(|l| ConfigText { text: edited, ..l });
            let target = list.as_ref().map(|l| l.path.clone()).expect("edited the list, so there is one");
            (main, list, target)
        } else if let Some(edited) = config::edit::set_source_enabled(&main.text, id, enabled) {
            (ConfigText { text: edited, ..main }, list, settings_path.clone())
        } else {
            return Err(SourceEditError::Unknown(id.to_owned()));
        };
    config::build(&main, list.as_ref()).map_err(|errors| SourceEditError::Invalid(errors.to_string()))?;
    let text = if target == main.path { &main.text } else { &list.as_ref().expect("target is the list").text };
    super::write_atomic(&target, text.as_bytes())
        .map_err(|e| SourceEditError::Io { path: target.clone(), source: std::io::Error::other(e.to_string()) })?;
    Ok(target)
}
