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
    let text = read_limited(&path).map_err(|e| ConfigError::unreadable(path.clone(), &e))?;
    let main = ConfigText { path, text };

    let Some(reference) = config::sources_ref(&main) else { return config::build(&main, None) };
    match read_limited(&reference.path) {
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

/// The most a config file may hold: real ones are a few KiB, a source list of
/// 10,000 feeds about 2 MiB.
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;

/// Reads a config file as UTF-8, refusing one larger than
/// [`MAX_CONFIG_BYTES`] without reading further: `sources = "/dev/zero"` once
/// ran the process out of memory.
fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB; not a config file", MAX_CONFIG_BYTES / (1024 * 1024)),
        ));
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
