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

/// The bodies of the file's `use` items (`crate::a::{b, c::D}`), re-exports excluded, or with
/// `reexports` only its `pub use` items. An alias is kept after `@` (`a::B as C` is `a::B@C`).
fn use_items(code: &str, reexports: bool) -> Vec<String> {
    let mut items = Vec::new();
    for statement in code.split(';') {
        // A `use` item starts a line; what comes before it in the statement (a closing brace,
        // an attribute) belongs to other items.
        let lines: Vec<&str> = statement.lines().map(str::trim_start).collect();
        let prefixes: &[&str] =
            if reexports { &["pub use ", "pub(crate) use "] } else { &["use "] };
        let starts = |l: &&str| prefixes.iter().find(|p| l.starts_with(*p));
        let Some(start) = lines.iter().position(|l| starts(l).is_some()) else { continue };
        let prefix = starts(&lines[start]).unwrap();
        let body = lines[start..].join(" ").replace(" as ", "@");
        items.push(body[prefix.len()..].split_whitespace().collect::<String>());
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

/// The file that import `path` (from the module `module`) resolves to, if it is in this crate:
/// the deepest module the path names.
fn resolve(root: &Path, module: &[String], path: &str) -> Option<PathBuf> {
    let path = path.split('@').next().unwrap_or(path);
    let mut segments = path.split("::").map(str::to_owned).peekable();
    let mut current: Vec<String> = match segments.peek()?.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        // `use conv::X` in a module file names its child module `conv`.
        child if file_of(root, &[module, &[child.to_owned()]].concat()).is_some() => {
            module.to_vec()
        }
        _ => return None,
    };
    if matches!(segments.peek().map(String::as_str), Some("crate" | "self" | "super")) {
        segments.next();
    }
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

/// The name an import brings in: its alias, or the last segment of its path.
fn imported_name(path: &str) -> &str {
    match path.split_once('@') {
        Some((_, alias)) => alias,
        None => path.rsplit("::").next().unwrap_or(path),
    }
}

/// For every file of a crate, its module path and code.
fn sources(root: &Path) -> Vec<(PathBuf, Vec<String>, String)> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            (file.clone(), module_of(root, &file), code(&text))
        })
        .collect()
}

/// For every file of its own crate that it imports. An item a module file only re-exports
/// (`pub use conv::Conv2d` in `nn/mod.rs`) is an import of the file that defines it.
fn imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for root in crate_roots() {
        let root = root.canonicalize().unwrap();
        let sources = sources(&root);
        let mut reexported: BTreeMap<(PathBuf, String), PathBuf> = BTreeMap::new();
        for (file, module, code) in &sources {
            for path in use_items(code, true).iter().flat_map(|item| expand(item)) {
                if let Some(target) = resolve(&root, module, &path) {
                    reexported.insert((file.clone(), imported_name(&path).to_owned()), target);
                }
            }
        }
        for (file, module, code) in &sources {
            let defining = |path: String| {
                let mut target = resolve(&root, module, &path)?;
                let name = imported_name(&path).to_owned();
                for _ in 0..4 {
                    match reexported.get(&(target.clone(), name.clone())) {
                        Some(next) if *next != target => target = next.clone(),
                        _ => break,
                    }
                }
                Some(target)
            };
            let targets: BTreeSet<PathBuf> = use_items(code, false)
                .iter()
                .flat_map(|item| expand(item))
                .filter_map(defining)
                .filter(|target| target != file)
                .collect();
            graph.insert(file.clone(), targets);
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
    let code = "use crate::a::{b, c::{D, e}};\n#[derive(X)]\npub use f::G as H;\nuse super::h;";
    let items = use_items(code, false);
    assert_eq!(items, ["crate::a::{b,c::{D,e}}", "super::h"]);
    assert_eq!(expand(&items[0]), ["crate::a::b", "crate::a::c::D", "crate::a::c::e"]);
    assert_eq!(use_items(code, true), ["f::G@H"]);
    assert_eq!(imported_name("f::G@H"), "H");
}

#[test]
fn an_import_through_a_reexport_is_an_import_of_the_defining_file() {
    let graph = imports();
    let file = |p: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(p);
    let file = |p: &str| file(p).canonicalize().unwrap();
    // `use crate::data::{Design, Encoder}`: both re-exported by data/mod.rs.
    let choice = &graph[&file("linear/choice.rs")];
    assert!(choice.contains(&file("data/design.rs")), "{choice:?}");
    assert!(choice.contains(&file("data/encoder.rs")), "{choice:?}");
    assert!(!choice.contains(&file("data/mod.rs")), "{choice:?}");
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
