//! The layers of ARCHITECTURE.md hold (issue 16): every `crate::` path in `src/` goes to a layer
//! below its module's, modules of one layer do not import each other (the foundation's
//! utilities excepted), every top-level module is in the table, and no library module reaches
//! the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layer of every top-level module, read from the table of ARCHITECTURE.md
/// (`layer N  name name ...`; the foundation's line names its group first).
fn layers() -> BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let mut layers = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("layer ")) {
        let mut words = line.split_whitespace().skip(1);
        let n: usize = words
            .next()
            .and_then(|w| w.parse().ok())
            .expect("a layer number");
        for name in words.filter(|w| *w != "foundation") {
            assert!(
                layers.insert(name.to_string(), n).is_none(),
                "{name} listed twice"
            );
        }
    }
    assert!(layers.len() > 10, "no layer table found in ARCHITECTURE.md");
    layers
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a file's code names through `crate::` (comments left out; grouped
/// imports `crate::{a, b::c}` included).
fn crate_paths(code: &str) -> Vec<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            found.extend(group[..end].split(',').map(ident).filter(|s| !s.is_empty()));
        } else {
            found.push(ident(rest));
        }
    }
    found
}

#[test]
fn imports_go_down_the_layers_of_architecture_md() {
    let layers = layers();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let foundation = 0;
    let mut violations = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" || module == "cli" {
            continue;
        }
        let Some(&layer) = layers.get(&module) else {
            violations.push(format!(
                "{}: module `{module}` is not in ARCHITECTURE.md's table",
                rel.display()
            ));
            continue;
        };
        let code = std::fs::read_to_string(&file).unwrap();
        for target in crate_paths(&code) {
            if target == module {
                continue;
            }
            if target.starts_with(|c: char| c.is_uppercase()) {
                violations.push(format!(
                    "{}: `crate::{target}` (a re-export of lib.rs: name its module)",
                    rel.display()
                ));
                continue;
            }
            if target == "cli" {
                violations.push(format!("{}: imports the command line", rel.display()));
                continue;
            }
            let Some(&to) = layers.get(&target) else {
                violations.push(format!(
                    "{}: `crate::{target}` is not in the table",
                    rel.display()
                ));
                continue;
            };
            let ok = to < layer || (to == foundation && layer == foundation);
            if !ok {
                violations.push(format!(
                    "{}: `{module}` (layer {layer}) imports `crate::{target}` (layer {to})",
                    rel.display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_check_sees_every_kind_of_path() {
    let code = "use crate::tile::TileConfig;\n// crate::report in a comment\nuse crate::{device, models::Model};\nlet x = crate::sweep::run();";
    assert_eq!(crate_paths(code), ["tile", "device", "models", "sweep"]);
}
