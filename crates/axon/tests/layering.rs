//! The layering of the source tree, checked on the source text so that it cannot rot: the engine
//! (`tensor/`, `ops/`) never imports the layers built on it (`autograd/`, `nn/`, `optim/`,
//! `linear/`, `data/`, `cv`, `metrics`, `io/`), and no two files of either crate import each
//! other. ARCHITECTURE.md explains the layers; this test keeps the code to it.
//!
//! An import is a `use` item (not a `pub use` re-export) of the file's own code, test modules
//! excluded. Its path is resolved to the file of the deepest module it names: `use
//! crate::tensor::Tensor` is an import of `tensor/mod.rs`, `use super::conv::ConvGeometry` from
//! `ops/pool.rs` one of `ops/conv.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source folders of the two crates.
fn crate_roots() -> Vec<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![here.join("src"), here.join("../axon-cli/src")]
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file relative to its crate root: `tensor/conv.rs` → `[tensor, conv]`,
/// `tensor/mod.rs` → `[tensor]`, `lib.rs` → `[]`.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The file of module `path`, if the crate has one.
fn file_of(root: &Path, path: &[String]) -> Option<PathBuf> {
    if path.is_empty() {
        return [root.join("lib.rs"), root.join("main.rs")].into_iter().find(|p| p.exists());
    }
    let base = path.iter().fold(root.to_path_buf(), |p, s| p.join(s));
    let flat = base.with_extension("rs");
    let nested = base.join("mod.rs");
    [flat, nested].into_iter().find(|p| p.exists())
}

/// The source without comments and without the `#[cfg(test)]` module at the end.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The bodies of the file's `use` items (`crate::a::{b, c::D}`), re-exports excluded.
fn use_items(code: &str) -> Vec<String> {
    let mut items = Vec::new();
    for statement in code.split(';') {
        // A `use` item starts a line; what comes before it in the statement (a closing brace,
        // an attribute) belongs to other items.
        let lines: Vec<&str> = statement.lines().map(str::trim_start).collect();
        let Some(start) = lines.iter().position(|l| l.starts_with("use ")) else { continue };
        let body = lines[start..].join(" ");
        items.push(body["use ".len()..].split_whitespace().collect::<String>());
    }
    items
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else { return vec![tree.to_owned()] };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// The file that import `path` (from the module `module`) resolves to, if it is in this crate.
fn resolve(root: &Path, module: &[String], path: &str) -> Option<PathBuf> {
    let mut segments = path.split("::").map(str::to_owned);
    let mut current: Vec<String> = match segments.next()?.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    for s in segments {
        if s == "super" {
            current.pop();
            continue;
        }
        let mut next = current.clone();
        next.push(s);
        if file_of(root, &next).is_none() {
            break;
        }
        current = next;
    }
    file_of(root, &current)
}

/// For every file, the files of its own crate that it imports.
fn imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for root in crate_roots() {
        let root = root.canonicalize().unwrap();
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for file in files {
            let module = module_of(&root, &file);
            let text = std::fs::read_to_string(&file).unwrap();
            let targets: BTreeSet<PathBuf> = use_items(&code(&text))
                .iter()
                .flat_map(|item| expand(item))
                .filter_map(|path| resolve(&root, &module, &path))
                .filter(|target| *target != file)
                .collect();
            graph.insert(file, targets);
        }
    }
    graph
}

fn short(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.split("/crates/").last().unwrap_or(&s).to_owned()
}

#[test]
fn the_resolver_reads_nested_use_trees() {
    let items =
        use_items("use crate::a::{b, c::{D, e}};\n#[derive(X)]\npub use f::G;\nuse super::h;");
    assert_eq!(items, ["crate::a::{b,c::{D,e}}", "super::h"]);
    assert_eq!(expand(&items[0]), ["crate::a::b", "crate::a::c::D", "crate::a::c::e"]);
}

#[test]
fn no_two_files_import_each_other() {
    let graph = imports();
    assert!(graph.len() > 50, "the source tree was not found ({} files)", graph.len());
    let mut cycles = Vec::new();
    for (file, targets) in &graph {
        for target in targets {
            if file < target && graph.get(target).is_some_and(|t| t.contains(file)) {
                cycles.push(format!("{} <-> {}", short(file), short(target)));
            }
        }
    }
    assert!(cycles.is_empty(), "files that import each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_engine_imports_no_layer_above_it() {
    let engine = ["/axon/src/tensor/", "/axon/src/ops/"];
    let above = [
        "/axon/src/autograd/",
        "/axon/src/nn/",
        "/axon/src/optim/",
        "/axon/src/linear/",
        "/axon/src/data/",
        "/axon/src/io/",
        "/axon/src/cv.rs",
        "/axon/src/metrics.rs",
    ];
    let mut wrong = Vec::new();
    for (file, targets) in imports() {
        let f = file.to_string_lossy().into_owned();
        if !engine.iter().any(|e| f.contains(e)) {
            continue;
        }
        for target in targets {
            let t = target.to_string_lossy().into_owned();
            if above.iter().any(|a| t.contains(a)) {
                wrong.push(format!("{} imports {}", short(&file), short(&target)));
            }
        }
    }
    assert!(wrong.is_empty(), "the engine imports a layer above it:\n{}", wrong.join("\n"));
}
