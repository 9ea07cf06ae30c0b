//! The binary's layering, checked on its sources: which top-level module may import which
//! (ARCHITECTURE.md, "Invariants"). A `use crate::…` that breaks a rule fails here, naming
//! the file, before the structure drifts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The code of a file without its comments (doc comments mention modules freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named after `crate::` in `code`, including the first names in a
/// `use crate::{a, b::c}` group.
fn crate_imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Only the group's top level: `{a, b::{c, d}}` names a and b.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        out.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

struct Tree {
    src: PathBuf,
    /// Each file, relative to `src/`, with its code.
    files: Vec<(String, String)>,
}

impl Tree {
    fn load() -> Tree {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = sources(&src)
            .into_iter()
            .map(|p| {
                let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).expect("a readable source file");
                (rel, code(&text))
            })
            .collect();
        Tree { src, files }
    }

    /// `station/web/mod.rs` → `station`, `ui.rs` → `ui`.
    fn top(rel: &str) -> String {
        let first = rel.split('/').next().unwrap();
        first.strip_suffix(".rs").unwrap_or(first).to_string()
    }

    /// Top-level module → the top-level modules it imports (itself left out).
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (rel, code) in &self.files {
            let from = Tree::top(rel);
            if from == "lib" || from == "main" {
                continue;
            }
            let to = g.entry(from.clone()).or_default();
            to.extend(crate_imports(code).into_iter().filter(|m| *m != from));
        }
        g
    }
}

#[test]
fn the_import_scanner_reads_groups_and_paths() {
    let found =
        crate_imports("use crate::a::B;\nuse crate::{c, d::{E, f}, self};\nlet x = crate::g::h();");
    let want: BTreeSet<String> = ["a", "c", "d", "g"].map(String::from).into();
    assert_eq!(found, want);
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let tree = Tree::load();
    let g = tree.graph();
    // Depth-first search for a back edge; the cycle found is printed whole.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!(
                "import cycle between top-level modules of {}: {}",
                tree.src.display(),
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn the_station_never_imports_the_hub_nor_the_hub_the_station() {
    let tree = Tree::load();
    let mut wrong = Vec::new();
    for (rel, code) in &tree.files {
        let imports = crate_imports(code);
        let other = match Tree::top(rel).as_str() {
            "station" => "hub",
            "hub" => "station",
            _ => continue,
        };
        if imports.contains(other) {
            wrong.push(format!("{rel} imports crate::{other}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn only_the_web_layers_and_the_kits_know_http() {
    // Pages and handlers (`station/web/`, the hub's pages) and the kits they share (`server`,
    // `site`, `console`) may use axum; services, the CLI and the leaves may not, so they can be
    // called and tested without a request.
    let web = |rel: &str| {
        rel.starts_with("station/web/")
            || rel.starts_with("hub/")
            || ["server", "site", "console"].contains(&Tree::top(rel).as_str())
    };
    let tree = Tree::load();
    let wrong: Vec<&str> = tree
        .files
        .iter()
        .filter(|(rel, code)| !web(rel) && code.contains("axum::"))
        .map(|(rel, _)| rel.as_str())
        .collect();
    assert!(
        wrong.is_empty(),
        "files outside the web layers use axum: {wrong:#?}"
    );
}

#[test]
fn only_the_store_knows_the_database_drivers() {
    // Every other crate reaches SQLite and PostgreSQL through `vappoint-store`'s methods, so
    // no SQL is written outside it and both hub backends answer every caller alike.
    let appliance = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let drivers = ["rusqlite", "postgres", "r2d2"];
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&appliance).expect("appliance/ is readable") {
        let dir = entry.expect("a directory entry").path();
        let manifest = dir.join("Cargo.toml");
        if dir.ends_with("store") || !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).expect("a readable Cargo.toml");
        for d in drivers {
            if text.lines().any(|l| l.trim_start().starts_with(d)) {
                wrong.push(format!("{} depends on {d}", manifest.display()));
            }
        }
        for file in sources(&dir) {
            let code = code(&std::fs::read_to_string(&file).expect("a readable source"));
            for d in drivers {
                if code.contains(&format!("{d}::")) {
                    wrong.push(format!("{} uses {d}", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "only vappoint-store may: {wrong:#?}");
}
