//! The suites (`nix/suites.json`): each is a variants file, a shard matrix, the file name of a
//! variant's built module, the recorded shard timings and, for a suite that can be built without
//! Nix, its build script. Paths are relative to the repository root. Nix reads the same file
//! (nix/outputs.nix), so both suites go through the same engine.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The suite a command works on unless told otherwise.
pub const DEFAULT_SUITE: &str = "rts";

/// One entry of `nix/suites.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Suite {
    pub description: String,
    /// Its variants file.
    pub variants: PathBuf,
    /// Its shard matrix.
    pub matrix: PathBuf,
    /// The module file inside a built variant's directory.
    pub wasm: String,
    /// Its recorded shard timings.
    pub timings: PathBuf,
    /// The script that builds one variant without Nix, if there is one.
    #[serde(default)]
    pub build: Option<PathBuf>,
}

/// Parses the text of a suites file.
pub fn parse(text: &str) -> Result<BTreeMap<String, Suite>> {
    let suites: BTreeMap<String, Suite> = serde_json::from_str(text).context("malformed JSON")?;
    if suites.is_empty() {
        bail!("no suites defined");
    }
    for (name, s) in &suites {
        if s.wasm.is_empty() || s.wasm.contains('/') {
            bail!(
                "suite {name}: \"wasm\" must be a file name, got {:?}",
                s.wasm
            );
        }
    }
    Ok(suites)
}

/// The suite `name` of `<root>/nix/suites.json` (or of the file `RTS_SHARDS_SUITES_FILE` names,
/// for builds that see only `tools/`), its paths made absolute under `root`.
pub fn get(root: &Path, name: &str) -> Result<Suite> {
    let path = std::env::var_os("RTS_SHARDS_SUITES_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("nix").join("suites.json"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the suites file {}", path.display()))?;
    let suites = parse(&text).with_context(|| format!("in {}", path.display()))?;
    let Some(s) = suites.get(name) else {
        bail!(
            "no suite {name:?} in {} (known: {})",
            path.display(),
            suites.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    };
    Ok(Suite {
        variants: root.join(&s.variants),
        matrix: root.join(&s.matrix),
        timings: root.join(&s.timings),
        build: s.build.as_ref().map(|b| root.join(b)),
        ..s.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_suites_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        if !root.join("nix").join("suites.json").is_file() {
            return; // the Nix check sees tools/ only
        }
        let rts = get(&root, "rts").unwrap();
        assert!(rts.variants.is_file() && rts.matrix.is_file() && rts.build.is_some());
        let mo = get(&root, "motoko").unwrap();
        assert!(mo.variants.is_file() && mo.build.is_none());
        let e = format!("{:#}", get(&root, "nope").unwrap_err());
        assert!(e.contains("known: motoko, rts"), "{e}");
    }

    #[test]
    fn bad_suites_files() {
        assert!(parse("{").is_err());
        assert!(parse("{}").is_err());
        let bad = r#"{"x": {"description": "", "variants": "v", "matrix": "m", "wasm": "a/b", "timings": "t"}}"#;
        assert!(format!("{:#}", parse(bad).unwrap_err()).contains("file name"));
    }
}
