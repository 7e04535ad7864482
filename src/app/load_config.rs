//! Reads `gleaner.toml` and the source list from disk and validates them.
//!
//! The only file reading for config; validation itself is `config::build`
//! (pure). A file that cannot be read is one more `ConfigError`, reported
//! together with whatever the readable files got wrong.

use std::path::Path;

use crate::config::{self, Config, ConfigError, ConfigErrors, ConfigText};

/// Loads and validates the settings file at `path` and the source list it names.
pub fn load_config(path: &Path) -> Result<Config, ConfigErrors> {
    // Absolute, so relative `file` source URLs resolve to real `file://` URLs
    // whatever the working directory was.
    let path = std::path::absolute(path).map_err(|e| ConfigError::unreadable(path.to_path_buf(), &e))?;
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::unreadable(path.clone(), &e))?;
    let main = ConfigText { path, text };

    let Some(reference) = config::sources_ref(&main) else { return config::build(&main, None) };
    match std::fs::read_to_string(&reference.path) {
        Ok(text) => config::build(&main, Some(&ConfigText { path: reference.path, text })),
        Err(e) => {
            // Point at the line that names the file; that is what to fix.
            let unreadable = ConfigError {
                file: main.path.clone(),
                line: reference.line,
                col: reference.col,
                message: format!("cannot read sources file {}: {e}", reference.path.display()),
            };
            let mut errors = config::build(&main, None).err().map(|e| e.0).unwrap_or_default();
            errors.push(unreadable);
            errors.sort_by_key(|e| (e.line, e.col));
            Err(ConfigErrors(errors))
        }
    }
}
