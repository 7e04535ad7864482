//! `ARCHITECTURE.md`'s layer table, checked against the code: every file of
//! `src/` is placed by the table, imports only what its row allows, takes part
//! in no import cycle, and the pure layers do no I/O and read no clock.
//!
//! Imports are read from the text: `crate::…` and `super::…` paths (with
//! `{…}` groups expanded), resolved to the file that defines the named module.
//! A parent module declaring or re-exporting its children (`mod x; pub use
//! x::Y;`) is structure, not an import, so it makes no edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One row of the table.
struct Layer {
    name: String,
    paths: Vec<String>,
    may_import: Vec<String>,
}

/// Layers whose files must do no I/O and read no clock.
const PURE: [&str; 2] = ["model", "core"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The table under `## Layers` in ARCHITECTURE.md.
fn layers() -> Vec<Layer> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md at the root");
    let section = text.split("## Layers").nth(1).expect("a `## Layers` section");
    let ticked = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let rows: Vec<Layer> = section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // header and separator
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a layer row has three cells: {line}");
            let may_import =
                cells[2].split(',').map(str::trim).filter(|n| !n.is_empty() && *n != "—").map(str::to_owned).collect();
            Layer { name: cells[0].to_owned(), paths: ticked(cells[1]), may_import }
        })
        .collect();
    assert!(rows.len() >= 5, "the layer table has its rows");
    let names: BTreeSet<&str> = rows.iter().map(|l| l.name.as_str()).collect();
    for row in &rows {
        for allowed in &row.may_import {
            assert!(names.contains(allowed.as_str()), "layer {} may import unknown layer {allowed}", row.name);
        }
    }
    rows
}

/// The layer placing `file` (a path relative to the root): the longest matching path wins,
/// so `src/editorial/rules/` is core inside the use-case folder `src/editorial/`.
fn place<'a>(layers: &'a [Layer], file: &str) -> Option<&'a Layer> {
    layers
        .iter()
        .flat_map(|layer| layer.paths.iter().map(move |p| (p, layer)))
        .filter(|(path, _)| if path.ends_with('/') { file.starts_with(path.as_str()) } else { file == path.as_str() })
        .max_by_key(|(path, _)| path.len())
        .map(|(_, layer)| layer)
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

/// Every `.rs` file under `src/`, as paths relative to the root (`src/x/y.rs`).
fn source_files() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut relative: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root()).expect("under the root").to_string_lossy().replace('\\', "/"))
        .collect();
    relative.sort();
    relative
}

/// Code before the first `#[cfg(test)]`: tests may use anything.
fn production_part(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

/// Drops `//` comments (doc comments name modules in prose and links).
fn without_comments(text: &str) -> String {
    text.lines().map(|line| line.find("//").map_or(line, |at| &line[..at])).collect::<Vec<_>>().join("\n")
}

/// Expands a use tree starting at `text` (just after `crate::` or `super::`)
/// into its paths: `a::{b::c, d}` → `a::b::c`, `a::d`.
fn expand(text: &str) -> Vec<Vec<String>> {
    fn tree(chars: &[char], at: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        loop {
            if chars.get(*at) == Some(&'{') {
                *at += 1;
                loop {
                    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
                        *at += 1;
                    }
                    if chars.get(*at).is_none_or(|c| *c == '}') {
                        *at += 1;
                        return;
                    }
                    tree(chars, at, &path, out);
                    while chars.get(*at).is_some_and(|c| *c != ',' && *c != '}') {
                        *at += 1;
                    }
                    if chars.get(*at) == Some(&',') {
                        *at += 1;
                    }
                }
            }
            let word: String = chars[*at..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
            if word.is_empty() {
                out.push(path);
                return;
            }
            *at += word.chars().count();
            if word != "self" {
                path.push(word);
            }
            if chars[*at..].starts_with(&[':', ':']) {
                *at += 2;
            } else {
                out.push(path);
                return;
            }
        }
    }
    let chars: Vec<char> = text.chars().take(4000).collect();
    let mut out = Vec::new();
    tree(&chars, &mut 0, &[], &mut out);
    out
}

/// The file defining module `segments` (from `src/`), descending as long as a
/// segment names a child module file: `["publish", "Publisher"]` → `src/publish/mod.rs`.
fn resolve(files: &BTreeSet<String>, segments: &[String]) -> Option<String> {
    let mut found: Option<String> = None;
    let mut dir = "src".to_owned();
    for segment in segments {
        let flat = format!("{dir}/{segment}.rs");
        let nested = format!("{dir}/{segment}/mod.rs");
        if files.contains(&flat) {
            found = Some(flat);
        } else if files.contains(&nested) {
            found = Some(nested);
        } else {
            break;
        }
        dir = format!("{dir}/{segment}");
    }
    found
}

/// The module path of a file: `src/config/sources.rs` → `["config", "sources"]`.
fn module_path(file: &str) -> Vec<String> {
    let inner = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

/// The files that `file` imports from.
fn imports(files: &BTreeSet<String>, file: &str, text: &str) -> BTreeSet<String> {
    let text = without_comments(production_part(text));
    let mut targets = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].ends_with("::") {
            continue;
        }
        for path in expand(&text[at + "crate::".len()..]) {
            targets.extend(resolve(files, &path));
        }
    }
    let own = module_path(file);
    for (at, _) in text.match_indices("super::") {
        let before = &text[..at];
        if before.ends_with("::") {
            continue; // counted with the first `super::` of the chain
        }
        let mut rest = &text[at..];
        let mut module = own.clone();
        while let Some(after) = rest.strip_prefix("super::") {
            module.pop();
            rest = after;
        }
        for path in expand(rest) {
            let mut full = module.clone();
            full.extend(path);
            // `super::Name` imports the parent module itself.
            targets.extend(resolve(files, &full).or_else(|| resolve(files, &module)).or_else(|| {
                module
                    .is_empty()
                    .then(|| if files.contains("src/lib.rs") { "src/lib.rs".to_owned() } else { String::new() })
            }));
        }
    }
    targets.remove(file);
    targets.remove("");
    // A file's module root (lib.rs) declares everything; importing it is not a layer question.
    targets.remove("src/lib.rs");
    targets
}

struct Graph {
    layers: Vec<Layer>,
    files: Vec<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
    texts: BTreeMap<String, String>,
}

fn graph() -> Graph {
    let layers = layers();
    let files = source_files();
    let set: BTreeSet<String> = files.iter().cloned().collect();
    let mut edges = BTreeMap::new();
    let mut texts = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(root().join(file)).expect("readable source");
        edges.insert(file.clone(), imports(&set, file, &text));
        texts.insert(file.clone(), text);
    }
    Graph { layers, files, edges, texts }
}

#[test]
fn every_source_file_has_a_layer() {
    let graph = graph();
    let homeless: Vec<&String> = graph.files.iter().filter(|f| place(&graph.layers, f).is_none()).collect();
    assert!(homeless.is_empty(), "files that no row of ARCHITECTURE.md's layer table places: {homeless:?}");
}

#[test]
fn files_import_only_what_their_layer_allows() {
    let graph = graph();
    let mut violations = Vec::new();
    for (file, targets) in &graph.edges {
        let Some(own) = place(&graph.layers, file) else { continue };
        for target in targets {
            let Some(theirs) = place(&graph.layers, target) else { continue };
            if theirs.name != own.name && !own.may_import.contains(&theirs.name) {
                violations.push(format!("{file} ({}) imports {target} ({})", own.name, theirs.name));
            }
        }
    }
    assert!(violations.is_empty(), "imports ARCHITECTURE.md does not allow:\n{}", violations.join("\n"));
}

/// Tarjan's strongly connected components over the import graph; any
/// component of two or more files is a cycle.
struct State<'a> {
    edges: &'a BTreeMap<String, BTreeSet<String>>,
    index: BTreeMap<&'a str, usize>,
    low: BTreeMap<&'a str, usize>,
    stack: Vec<&'a str>,
    on_stack: BTreeSet<&'a str>,
    cycles: Vec<Vec<&'a str>>,
}
fn visit<'a>(state: &mut State<'a>, file: &'a str) {
    let next = state.index.len();
    state.index.insert(file, next);
    state.low.insert(file, next);
    state.stack.push(file);
    state.on_stack.insert(file);
    for target in state.edges.get(file).into_iter().flatten() {
        let target = target.as_str();
        if !state.index.contains_key(target) {
            visit(state, target);
            let low = state.low[file].min(state.low[target]);
            state.low.insert(file, low);
        } else if state.on_stack.contains(target) {
            let low = state.low[file].min(state.index[target]);
            state.low.insert(file, low);
        }
    }
    if state.low[file] == state.index[file] {
        let mut component = Vec::new();
        while let Some(top) = state.stack.pop() {
            state.on_stack.remove(top);
            component.push(top);
            if top == file {
                break;
            }
        }
        if component.len() > 1 {
            state.cycles.push(component);
        }
    }
}

#[test]
fn no_import_cycle_between_files() {
    let graph = graph();
    let mut state = State {
        edges: &graph.edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        cycles: Vec::new(),
    };
    for file in &graph.files {
        if !state.index.contains_key(file.as_str()) {
            visit(&mut state, file);
        }
    }
    assert!(state.cycles.is_empty(), "files importing each other: {:?}", state.cycles);
}

#[test]
fn pure_layers_do_no_io_and_read_no_clock() {
    let graph = graph();
    let forbidden =
        ["sled::", "reqwest::", "tokio::", "std::fs", "File::open", "Utc::now", "SystemTime::now", "Instant::now"];
    let mut violations = Vec::new();
    for (file, text) in &graph.texts {
        if !place(&graph.layers, file).is_some_and(|l| PURE.contains(&l.name.as_str())) {
            continue;
        }
        for word in forbidden {
            if production_part(text).contains(word) {
                violations.push(format!("{file} contains {word}"));
            }
        }
    }
    assert!(violations.is_empty(), "I/O or clock in a pure layer:\n{}", violations.join("\n"));
}

#[test]
fn only_the_sled_adapter_names_sled() {
    let graph = graph();
    let offenders: Vec<&String> = graph
        .texts
        .iter()
        .filter(|(file, _)| !file.contains("store/sled/"))
        // `self::sled::SledStore` names our module, not the crate.
        .filter(|(_, text)| text.match_indices("sled::").any(|(at, _)| !text[..at].ends_with("::")))
        .map(|(file, _)| file)
        .collect();
    assert!(offenders.is_empty(), "sled used outside store/sled/: {offenders:?}");
}

/// The checker itself: a `{…}` group resolves to each file it names, and a
/// sibling cycle through `super::` is seen (the `config` cycle this test was written for).
#[test]
fn import_reader_expands_groups_and_follows_super() {
    let files: BTreeSet<String> =
        ["src/publish/mod.rs", "src/publish/compose.rs", "src/publish/render.rs", "src/model/mod.rs"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    let found = imports(
        &files,
        "src/publish/render.rs",
        "use crate::{model::Item, publish::{compose::Candidate, Publisher}};\nuse super::compose::X;",
    );
    let expected: BTreeSet<String> =
        ["src/model/mod.rs", "src/publish/compose.rs", "src/publish/mod.rs"].into_iter().map(str::to_owned).collect();
    assert_eq!(found, expected);
}
