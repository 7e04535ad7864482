//! The publisher's file I/O: atomic writes into the output folder and reading
//! operators' template overrides.
//!
//! A write goes to a temporary file in the same folder, is fsynced, then
//! renamed over the target, and the folder is fsynced: a reader (or a crash)
//! sees the old file or the new one, never half of either. A publish writes
//! its files as one batch ([`Output::write_files`]): every temporary file is
//! written and fsynced first, in parallel (concurrent fsyncs share the file
//! system's journal commits, several times faster than one after another),
//! then the renames happen one by one in the caller's order, then each folder
//! is fsynced once. [`Output`] is the seam the use-case writes through, so
//! tests can interrupt a publish after any file. Must not decide what is
//! written or in which order.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A file the publisher could not write or read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    fn new(path: &Path, source: std::io::Error) -> Self {
        Self { path: path.to_path_buf(), source }
    }
}

/// One file of a batch: a `/`-separated path under the output folder, and its bytes.
pub type OutputFile<'a> = (&'a str, &'a [u8]);

/// Where published files go.
pub trait Output: Send + Sync {
    /// Replaces each file atomically, in order, creating folders as needed.
    /// On failure, the files before the failing one are replaced and the
    /// rest are untouched (each file is always either old or new).
    fn write_files(&self, files: &[OutputFile<'_>]) -> Result<(), WriteError>;
}

/// The output folder on disk (`publish.output_dir`).
#[derive(Debug, Clone)]
pub struct DirOutput {
    dir: PathBuf,
}

impl DirOutput {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl DirOutput {
    /// Refuses a target reached through a symbolic link inside the output
    /// folder (`issues` linked to `/etc` would have the publisher write
    /// there). The folder itself may be a link: the operator chose it.
    fn check_no_links(&self, relative: &str) -> Result<(), WriteError> {
        let mut path = self.dir.clone();
        let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
        for part in &parts {
            path.push(part);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(WriteError::new(
                        &path,
                        std::io::Error::other("a symbolic link inside the output folder; not followed"),
                    ));
                }
                // A missing part is made as a plain folder or file.
                _ => {}
            }
        }
        Ok(())
    }

    /// Removes temporary files that an interrupted publish (a crash, kill -9)
    /// left in the output folder, its `issues/` and `speakers/`: ours are named
    /// `.{name}.{pid}.{random}.tmp`. Only those of other processes older than
    /// [`STALE_TEMP_AGE`] go, so a publisher running beside us keeps its own.
    /// Returns how many were removed.
    pub fn remove_stale_temp_files(&self) -> usize {
        let own = format!(".{}.", std::process::id());
        let mut removed = 0;
        for dir in [self.dir.clone(), self.dir.join("issues"), self.dir.join("speakers")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Our own names end in lower-case `.tmp`; any other case is not ours.
                let ours = name.starts_with('.') && std::path::Path::new(&name).extension().is_some_and(|e| e == "tmp");
                if !ours || name.contains(&own) {
                    continue;
                }
                let stale = entry
                    .metadata()
                    .ok()
                    .filter(std::fs::Metadata::is_file)
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= STALE_TEMP_AGE);
                if stale && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }
}

/// How old another process's temporary file must be to count as left over:
/// staging a publish takes well under a second.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(600);

impl Output for DirOutput {
    fn write_files(&self, files: &[OutputFile<'_>]) -> Result<(), WriteError> {
        let removed = self.remove_stale_temp_files();
        if removed > 0 {
            tracing::info!(dir = %self.dir.display(), removed, "removed temporary files an interrupted publish left");
        }
        for (relative, _) in files {
            self.check_no_links(relative)?;
        }
        let targets: Vec<PathBuf> = files.iter().map(|(relative, _)| self.dir.join(relative)).collect();
        // 1. Every temporary file written and fsynced, in parallel.
        let staged: Vec<Result<PathBuf, WriteError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = targets
                .iter()
                .zip(files)
                .map(|(target, (_, bytes))| scope.spawn(move || stage(target, bytes)))
                .collect();
            handles
                .into_iter()
                .zip(&targets)
                .map(|(handle, target)| {
                    handle.join().unwrap_or_else(|_| {
                        Err(WriteError::new(target, std::io::Error::other("writer thread panicked")))
                    })
                })
                .collect()
        });
        if let Some(failed) = staged.iter().position(Result::is_err) {
            for temp in staged.iter().flatten() {
                let _ = std::fs::remove_file(temp);
            }
            return Err(staged.into_iter().nth(failed).and_then(Result::err).expect("position found an error"));
        }
        // 2. Renamed in order: the caller's order is what readers may see mid-way.
        let temps: Vec<PathBuf> = staged.into_iter().flatten().collect();
        for (index, (temp, target)) in temps.iter().zip(&targets).enumerate() {
            if let Err(e) = std::fs::rename(temp, target) {
                for left in &temps[index..] {
                    let _ = std::fs::remove_file(left);
                }
                return Err(WriteError::new(target, e));
            }
        }
        // 3. Each folder once, so the renames themselves are durable.
        let mut dirs: Vec<&Path> = targets.iter().filter_map(|t| t.parent()).collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            sync_dir(dir);
        }
        Ok(())
    }
}

/// Writes `bytes` to a fresh temporary file beside `target` and fsyncs it;
/// returns the temporary file's path.
fn stage(target: &Path, bytes: &[u8]) -> Result<PathBuf, WriteError> {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| WriteError::new(dir, e))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Unique per process and call: two publishers racing must not share a temp
    // file, and the dot keeps it out of the server's allow-list of names.
    let temp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), fastrand::u64(..)));
    let result = (|| {
        // `create_new`: never through a link or into a file someone placed under that name.
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(WriteError::new(target, e))
        }
    }
}

/// Directory fsync is how POSIX makes a rename durable; some file systems
/// refuse to open a directory for it, which only costs durability, not atomicity.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

/// One file on its own: temporary file in the target's folder (a rename
/// across file systems is not atomic), fsync, rename, fsync the folder.
/// A file it replaces keeps its permissions (a config file an operator made
/// private stays private).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let temp = stage(path, bytes)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temp, meta.permissions());
    }
    if let Err(e) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(WriteError::new(path, e));
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// One template override file.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// The file name (`issue.html.j2`), which names the template it replaces.
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

/// Every `*.j2` file in `dir`, sorted by name; a missing folder has none.
pub fn read_template_overrides(dir: &Path) -> Result<Vec<TemplateFile>, WriteError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(WriteError::new(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| WriteError::new(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // Template names are ours and lower-case; `.J2` is not a template.
        if path.extension().is_none_or(|e| e != "j2") || name.starts_with('.') {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| WriteError::new(&path, e))?;
        files.push(TemplateFile { name, path, text });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = DirOutput::new(dir.path());
        output.write_files(&[("issues/1.html", b"one"), ("index.html", b"i")]).expect("write");
        output.write_files(&[("issues/1.html", b"two")]).expect("rewrite");
        write_atomic(&dir.path().join("issues/1.html"), b"three").expect("single");
        assert_eq!(std::fs::read(dir.path().join("issues/1.html")).expect("read"), b"three");
        assert_eq!(std::fs::read(dir.path().join("index.html")).expect("read"), b"i");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("issues"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["1.html"]);
    }

    #[test]
    fn a_failed_batch_renames_nothing_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("blocker"), "a file where a folder is needed").expect("write");
        let output = DirOutput::new(dir.path());
        let error = output.write_files(&[("index.html", b"new"), ("blocker/x.html", b"x")]);
        assert!(error.is_err_and(|e| e.path.ends_with("blocker")), "the folder that could not be made");
        assert!(!dir.path().join("index.html").exists(), "all files staged before any rename");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1, "temp files removed");
    }

    #[test]
    fn overrides_are_the_j2_files_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("README.md"), "docs").expect("write");
        std::fs::write(dir.path().join("index.html.j2"), "x").expect("write");
        let files = read_template_overrides(dir.path()).expect("read");
        assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["index.html.j2"]);
        assert!(read_template_overrides(&dir.path().join("missing")).expect("missing is empty").is_empty());
    }
}
