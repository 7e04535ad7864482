//! The layering rule of STYLE.md, checked: a module imports only from its own
//! layer or below, and the pure core does no I/O and reads no clock.

use std::path::{Path, PathBuf};

/// Layer of a module path below `crate::` (lowest first).
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "model" => 0,
        "config" | "parse" | "extract" | "sanitize" | "schedule" | "schedule::policy" | "publish::compose"
        | "publish::render" | "review" | "opml" => 1,
        "fetch" | "store" | "publish::write" | "publish::websub" => 2,
        // `publish` itself (mod.rs) is the use-case; so is anything it re-exports.
        "ingest" | "app" | "publish" | "editorial" | "backup" => 3,
        "schedule::runner" | "eval" | "eval_extract" | "eval_quotes" | "web" | "reload" => 4,
        "cli" | "main" | "lib" => 5,
        _ => return None,
    })
}

/// Modules whose submodules sit in different layers, so they are keyed by two segments.
const SPLIT: [&str; 2] = ["schedule", "publish"];

/// The module a source file belongs to, e.g. `src/schedule/runner.rs` → `schedule::runner`.
fn module_of(path: &Path, src: &Path) -> String {
    let relative = path.strip_prefix(src).expect("file under src");
    let parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    if parts.first().is_some_and(|p| SPLIT.contains(&p.as_str())) && parts.len() > 1 {
        format!("{}::{}", parts[0], parts[1])
    } else {
        parts.first().cloned().unwrap_or_default()
    }
}

/// Modules referenced as `crate::x` (or `crate::schedule::y`, `crate::publish::y`) in a file.
/// `crate::publish::Publisher` resolves to `publish::Publisher`, which has no
/// layer of its own: it is looked up as `publish` (see [`layer_of_reference`]).
fn referenced_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (index, _) in text.match_indices("crate::") {
        let rest = &text[index + "crate::".len()..];
        let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if SPLIT.contains(&first.as_str()) {
            let after = &rest[first.len()..];
            if let Some(second) = after.strip_prefix("::") {
                let second: String = second.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !second.is_empty() {
                    found.push(format!("{first}::{second}"));
                    continue;
                }
            }
        }
        found.push(first);
    }
    found
}

/// A referenced path's layer: `publish::write` has its own, while an item
/// re-exported at the top (`publish::Publisher`) is the parent module's.
fn layer_of_reference(target: &str) -> Option<u8> {
    layer(target).or_else(|| target.split_once("::").and_then(|(parent, _)| layer(parent)))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code before the first `#[cfg(test)]`: tests may use anything.
fn production_part(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

#[test]
fn modules_import_only_from_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file, &src);
        let own =
            layer(&module).unwrap_or_else(|| panic!("{}: module {module:?} has no layer; add it", file.display()));
        let text = std::fs::read_to_string(file).expect("readable source");
        for target in referenced_modules(production_part(&text)) {
            let Some(theirs) = layer_of_reference(&target) else { continue };
            if theirs > own {
                violations
                    .push(format!("{} ({module}, layer {own}) uses crate::{target} (layer {theirs})", file.display()));
            }
        }
    }
    assert!(violations.is_empty(), "upward imports:\n{}", violations.join("\n"));
}

#[test]
fn pure_core_does_no_io_and_reads_no_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let forbidden =
        ["sled::", "reqwest::", "tokio::", "std::fs", "File::open", "Utc::now", "SystemTime::now", "Instant::now"];
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file, &src);
        if layer(&module).is_none_or(|l| l > 1) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("readable source");
        for word in forbidden {
            if production_part(&text).contains(word) {
                violations.push(format!("{} ({module}) contains {word}", file.display()));
            }
        }
    }
    assert!(violations.is_empty(), "I/O or clock in the pure core:\n{}", violations.join("\n"));
}

#[test]
fn only_the_sled_adapter_names_sled() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let offenders: Vec<_> = files
        .iter()
        .filter(|f| !f.ends_with("store/sled.rs"))
        .filter(|f| {
            // `self::sled::SledStore` names our module, not the crate.
            let text = std::fs::read_to_string(f).expect("readable");
            text.match_indices("sled::").any(|(at, _)| !text[..at].ends_with("::"))
        })
        .collect();
    assert!(offenders.is_empty(), "sled used outside store/sled.rs: {offenders:?}");
}
