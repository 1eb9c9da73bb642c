//! The crate's layering, checked against its own sources (natively, by reading `src/`).
//!
//! Every file belongs to the layer of its top-level module ([`LAYERS`], lowest first). A path
//! `crate::<top>::...` may name only a lower layer or the file's own top-level module; inside a
//! folder, `super::<x>` and `crate::<top>::<x>` must name a sibling *file* (never an item of the
//! folder's `mod.rs`, which re-exports its children), and siblings must not import each other in
//! a circle; test modules (`modules/`) import no other module at all. So no import circle can
//! form between files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

/// The layers, lowest first; each lists top-level modules.
const LAYERS: &[&[&str]] = &[
    &["harness"],
    &["model"],
    &["fixtures"],
    &["modules"],
    &["manifest"],
    &["exports", "probes", "wasm_env", "layering"],
    &["shrink"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("read src") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of `text`: line comments dropped, string and char literals emptied.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut in_str = false;
        while i < chars.len() {
            let c = chars[i];
            if in_str {
                match c {
                    '\\' => i += 1,
                    '"' => {
                        in_str = false;
                        out.push('"');
                    }
                    _ => {}
                }
            } else if c == '"' {
                in_str = true;
                out.push('"');
            } else if c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            } else if c == '\'' && chars.get(i + 1) == Some(&'\\') {
                // An escaped char literal such as '\\' or '\''.
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
            } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
                i += 2;
            } else {
                out.push(c);
            }
            i += 1;
        }
        out.push('\n');
    }
    out
}

/// Whether `code` defines item `name` itself (`*` counts), so that `super::name` in one of its
/// inline modules (such as `mod tests`) names the file's own item.
fn defines(code: &str, name: &str) -> bool {
    name == "*"
        || [
            "fn", "struct", "enum", "type", "const", "static", "trait", "mod",
        ]
        .iter()
        .any(|k| {
            code.match_indices(&format!("{k} {name}")).any(|(i, m)| {
                let after = code[i + m.len()..].chars().next();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        || code.contains(&format!("macro_rules! {name}"))
}

/// The first two segments of every path after `prefix` (`crate::` or `super::`), one path per
/// item of a brace group.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[i + prefix.len()..].trim_start();
        let mut heads = Vec::new();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        heads.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            heads.push(item);
        } else {
            heads.push(rest.to_string());
        }
        for h in heads {
            let h = h.trim();
            let first = if h.starts_with('*') {
                String::from("*")
            } else {
                ident(h)
            };
            if first.is_empty() {
                continue;
            }
            let after = h[first.len()..].trim_start();
            let second = after
                .strip_prefix("::")
                .map(|s| ident(s.trim_start_matches('{').trim_start()))
                .unwrap_or_default();
            out.push(vec![first, second]);
        }
    }
    out
}

/// Checks the sources; returns the violations.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut problems = Vec::new();
    // Per folder: sibling file -> siblings it imports.
    let mut siblings: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(src).expect("below src");
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        if parts == ["lib"] {
            continue;
        }
        let top = parts[0].clone();
        let name = rel.display().to_string();
        let Some(layer) = layer_of(&top) else {
            problems.push(format!("{name}: top-level module {top} is in no layer"));
            continue;
        };
        let in_folder = parts.len() == 2 && parts[1] != "mod";
        let exists = |x: &str| src.join(&top).join(format!("{x}.rs")).exists();
        let text = code(&fs::read_to_string(f).expect("read source"));
        let mut sibling_uses = Vec::new();
        for p in paths_after(&text, "crate::") {
            let target = &p[0];
            match layer_of(target) {
                None => problems.push(format!("{name}: crate::{target} is in no layer")),
                Some(_) if *target == top => {
                    if top == "modules" {
                        problems.push(format!("{name}: a test module imports crate::modules"));
                    } else if in_folder {
                        sibling_uses.push(p[1].clone());
                    }
                }
                Some(l) if l >= layer => problems.push(format!(
                    "{name}: {top} (layer {layer}) imports crate::{target} (layer {l})"
                )),
                Some(_) => {}
            }
        }
        for p in paths_after(&text, "super::") {
            if defines(&text, &p[0]) {
                continue;
            } else if top == "modules" {
                problems.push(format!("{name}: a test module imports super::{}", p[0]));
            } else {
                sibling_uses.push(p[0].clone());
            }
        }
        for x in sibling_uses {
            if !exists(&x) {
                problems.push(format!(
                    "{name}: imports {top}::{x}, which is not a sibling file (items of \
                     {top}/mod.rs are for importers outside {top}/)"
                ));
            } else if in_folder && x != parts[1] {
                siblings
                    .entry(top.clone())
                    .or_default()
                    .entry(parts[1].clone())
                    .or_default()
                    .insert(x);
            }
        }
    }
    // Sibling imports form no circle: peel off files that import no remaining sibling.
    for (folder, mut graph) in siblings {
        loop {
            let leaf = graph
                .iter()
                .find(|(_, uses)| uses.iter().all(|u| !graph.contains_key(u)))
                .map(|(k, _)| k.clone());
            match leaf {
                Some(k) => {
                    graph.remove(&k);
                }
                None => break,
            }
        }
        if !graph.is_empty() {
            let circle: Vec<&String> = graph.keys().collect();
            problems.push(format!(
                "{folder}/: files {circle:?} import each other in a circle"
            ));
        }
    }
    problems
}

#[test]
fn layers_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(problems.is_empty(), "layering:\n{}", problems.join("\n"));
}

#[test]
fn layering_check_detects_mistakes() {
    let dir = std::env::temp_dir().join(format!("rts-layering-{}", std::process::id()));
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    };
    write("lib.rs", "pub mod harness;");
    write("harness.rs", "use crate::model::Model;\n");
    write("model/mod.rs", "pub use check::check;\npub struct Model;\n");
    write("model/check.rs", "use super::Model;\nuse super::heap::X;\n");
    write("model/heap.rs", "use super::check::check;\n");
    write("modules/a.rs", "use super::b::f;\nuse crate::modules::c;\n");
    write(
        "fixtures/mod.rs",
        "// crate::modules in a comment is fine\n",
    );
    let p = violations(&dir);
    fs::remove_dir_all(&dir).expect("clean up");
    let has = |s: &str| p.iter().any(|x| x.contains(s));
    assert!(
        has("harness (layer 0) imports crate::model (layer 1)"),
        "{p:?}"
    );
    assert!(
        has("imports model::Model, which is not a sibling file"),
        "{p:?}"
    );
    assert!(has("import each other in a circle"), "{p:?}");
    assert!(has("a test module imports super::b"), "{p:?}");
    assert!(has("a test module imports crate::modules"), "{p:?}");
    assert_eq!(p.len(), 5, "{p:?}");
}
