//! Build variants (`nix/variants.json`) and where their built test-suite modules live.
//!
//! `nix/variants.json` maps a variant name to its description, Rust target, cargo features and
//! the extra `wasmtime` flags needed to run it. A built variant is a directory holding
//! `rts_testsuite.wasm` and (precompiled) `rts_testsuite.cwasm`; on the command line a set of
//! built variants is given either as `--built DIR` (with `DIR/<variant>/rts_testsuite.wasm`)
//! or as `--wasm VARIANT=PATH` pairs (the `.cwasm` next to PATH is used when present, and only
//! with the record of the SHA-256 of the `.wasm` it was compiled from beside it).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// File name of the test-suite module inside a built variant directory.
pub const WASM_FILE: &str = "rts_testsuite.wasm";

/// One entry of `nix/variants.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Human-readable description.
    pub description: String,
    /// Rust target triple, e.g. `wasm32-unknown-unknown`.
    pub target: String,
    /// Cargo features of the runtime.
    #[serde(default)]
    pub features: Vec<String>,
    /// Extra flags for `wasmtime compile` / `wasmtime run`, e.g. `["-W", "memory64=y"]`.
    #[serde(default)]
    pub wasmtime_flags: Vec<String>,
    /// The seed the matrix gives this variant's shards (Motoko's tests: 0, its own fixed data).
    #[serde(default = "default_seed")]
    pub seed: crate::seed::Seed,
}

fn default_seed() -> crate::seed::Seed {
    crate::matrix::DEFAULT_SEED
}

/// All variants, by name (sorted).
pub type Variants = BTreeMap<String, Variant>;

/// Loads and checks `nix/variants.json`.
pub fn load(path: &Path) -> Result<Variants> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read variants file {}", path.display()))?;
    parse(&text).with_context(|| format!("in variants file {}", path.display()))
}

/// Parses the text of a variants file.
pub fn parse(text: &str) -> Result<Variants> {
    let variants: Variants = serde_json::from_str(text).context("malformed JSON")?;
    if variants.is_empty() {
        bail!("no variants defined");
    }
    for name in variants.keys() {
        crate::names::check_variant(name)?;
    }
    Ok(variants)
}

/// Checks that each name in `wanted` is a variant; an empty list selects all variants.
pub fn select(variants: &Variants, wanted: &[String]) -> Result<Vec<String>> {
    if wanted.is_empty() {
        return Ok(variants.keys().cloned().collect());
    }
    let mut out = Vec::new();
    for w in wanted {
        check_known(variants, w)?;
        if !out.contains(w) {
            out.push(w.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Errors with the list of known variants if `name` is not one of them.
pub fn check_known(variants: &Variants, name: &str) -> Result<()> {
    if !variants.contains_key(name) {
        bail!(
            "unknown variant {name:?} (known: {})",
            variants.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// Parses a `VARIANT=PATH` command-line pair.
pub fn parse_wasm_pair(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((v, p)) if !v.is_empty() && !p.is_empty() => Ok((v.to_string(), PathBuf::from(p))),
        _ => Err(format!("expected VARIANT=PATH, got {s:?}")),
    }
}

/// A built variant: its test-suite module and, if present, the precompiled module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub variant: String,
    pub wasm: PathBuf,
    pub cwasm: Option<PathBuf>,
}

impl Built {
    /// The module `wasmtime run` executes: the `.cwasm` when present, else the `.wasm`.
    pub fn runnable(&self) -> &Path {
        self.cwasm.as_deref().unwrap_or(&self.wasm)
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The file beside a `.cwasm` that records the SHA-256 of the `.wasm` it was compiled from:
/// `<name>.cwasm.wasm-sha256`, 64 hex digits (anything after them, such as the `  -` of
/// `sha256sum <x.wasm`, is ignored). nix/build-variant.sh writes it when it precompiles.
pub fn source_hash_file(cwasm: &Path) -> PathBuf {
    let mut name = cwasm.as_os_str().to_owned();
    name.push(".wasm-sha256");
    PathBuf::from(name)
}

/// The SHA-256 of a file, in lowercase hex.
pub fn sha256_hex(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Describes a variant whose module is at `wasm`; the `.cwasm` beside it is used if present.
pub fn built_from_wasm(variant: &str, wasm: &Path) -> Result<Built> {
    if !wasm.is_file() {
        bail!(
            "variant {variant}: wasm module {} does not exist",
            wasm.display()
        );
    }
    let cwasm = wasm.with_extension("cwasm");
    if cwasm.is_file() {
        check_compiled_from(variant, wasm, &cwasm)?;
    }
    Ok(Built {
        variant: variant.to_string(),
        wasm: absolute(wasm),
        cwasm: cwasm.is_file().then(|| absolute(&cwasm)),
    })
}

/// The Nix store path (`<store>/<hash>-<name>`) holding `file`, if it is in the store.
pub fn store_path_of(file: &Path) -> Option<PathBuf> {
    let store = std::env::var_os("NIX_STORE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/nix/store"));
    let real = std::fs::canonicalize(file).ok()?;
    let top = real.strip_prefix(&store).ok()?.components().next()?;
    Some(store.join(top))
}

/// Errors (an infrastructure failure) unless the `.cwasm` was compiled from this `.wasm`: its
/// [`source_hash_file`] holds the `.wasm`'s SHA-256. Both in one Nix store path need no record:
/// one build made them, and the store never changes them.
fn check_compiled_from(variant: &str, wasm: &Path, cwasm: &Path) -> Result<()> {
    if store_path_of(wasm).is_some_and(|p| Some(p) == store_path_of(cwasm)) {
        return Ok(());
    }
    let record = source_hash_file(cwasm);
    let rebuild = format!(
        "rebuild it (nix/build-variant.sh, or wasmtime compile [the variant's wasmtime_flags] -o \
         {c} {w} && sha256sum <{w} >{r}) or delete it",
        c = cwasm.display(),
        w = wasm.display(),
        r = record.display()
    );
    let recorded = match std::fs::read_to_string(&record) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(crate::exit::infra(format!(
                "variant {variant}: {} has no record of the .wasm it was compiled from ({} is \
                 missing): {rebuild}",
                cwasm.display(),
                record.display()
            )));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", record.display())),
    };
    let recorded = recorded.split_whitespace().next().unwrap_or("");
    let actual = sha256_hex(wasm)?;
    if recorded != actual {
        return Err(crate::exit::infra(format!(
            "variant {variant}: {} was compiled from another module than {} (sha256 {recorded:?} \
             in {}, the .wasm has {actual}): {rebuild}",
            cwasm.display(),
            wasm.display(),
            record.display()
        )));
    }
    Ok(())
}

/// Resolves the built modules of the `selected` variants from `--built DIR` or `--wasm` pairs.
///
/// Every selected variant must be given; a pair naming an unknown variant is an error, and a
/// pair naming a known but unselected variant is ignored.
pub fn resolve_built(
    variants: &Variants,
    selected: &[String],
    built_dir: Option<&Path>,
    wasm_file: &str,
    pairs: &[(String, PathBuf)],
) -> Result<Vec<Built>> {
    let mut given: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (v, p) in pairs {
        check_known(variants, v)?;
        if given.insert(v.clone(), p.clone()).is_some() {
            bail!("variant {v} given twice with --wasm");
        }
    }
    if let Some(dir) = built_dir {
        if !dir.is_dir() {
            bail!("--built {}: not a directory", dir.display());
        }
    }
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for v in selected {
        if let Some(p) = given.get(v) {
            out.push(built_from_wasm(v, p)?);
        } else if let Some(dir) = built_dir {
            let wasm = dir.join(v).join(wasm_file);
            if !wasm.is_file() {
                bail!(
                    "variant {v}: {} does not exist (expected layout: DIR/<variant>/{wasm_file})",
                    wasm.display()
                );
            }
            out.push(built_from_wasm(v, &wasm)?);
        } else {
            missing.push(v.clone());
        }
    }
    if !missing.is_empty() {
        bail!(
            "no built module given for variant(s) {} (use --built DIR or --wasm VARIANT=PATH)",
            missing.join(", ")
        );
    }
    Ok(out)
}

/// Builds one variant from source with nix/build-variant.sh into `out`.
pub fn build_variant(
    script: &Path,
    rts_src: &Path,
    name: &str,
    variant: &Variant,
    out: &Path,
    wasmtime: &Path,
) -> Result<Built> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    eprintln!("building variant {name} into {}", out.display());
    let mut path = wasmtime
        .parent()
        .map(|p| vec![p.to_path_buf()])
        .unwrap_or_default();
    if let Some(p) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&p));
    }
    let status = Command::new("bash")
        .arg(script)
        .arg(out)
        .env("RTS_SRC", rts_src)
        .env("VARIANT", name)
        .env("TARGET", &variant.target)
        .env("FEATURES", variant.features.join(" "))
        .env("WASMTIME_FLAGS", variant.wasmtime_flags.join(" "))
        .env("PATH", std::env::join_paths(path).context("bad PATH")?)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!("building variant {name} failed ({status})");
    }
    built_from_wasm(name, &out.join(WASM_FILE))
}

/// Finds the repository root: the nearest ancestor of the current directory holding
/// `nix/variants.json`, else the current directory. Default paths are relative to it.
pub fn repo_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|d| d.join("nix").join("variants.json").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "ni": {"description": "a", "target": "wasm32-unknown-unknown", "features": [], "wasmtime_flags": []},
      "64": {"description": "b", "target": "wasm64-unknown-unknown", "features": ["incremental"],
             "wasmtime_flags": ["-W", "memory64=y"]}
    }"#;

    #[test]
    fn parses_sample() {
        let v = parse(SAMPLE).unwrap();
        assert_eq!(v.keys().collect::<Vec<_>>(), ["64", "ni"]);
        assert_eq!(v["64"].wasmtime_flags, ["-W", "memory64=y"]);
    }

    /// The committed `nix/variants.json`, or the file named by `RTS_SHARDS_VARIANTS_FILE` (for
    /// builds that see only `tools/`).
    pub fn committed_variants_file() -> PathBuf {
        std::env::var_os("RTS_SHARDS_VARIANTS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../nix/variants.json"))
    }

    #[test]
    fn parses_the_committed_file() {
        let p = committed_variants_file();
        assert!(
            p.is_file(),
            "{} is missing (set RTS_SHARDS_VARIANTS_FILE where the repository is not around)",
            p.display()
        );
        let v = load(&p).unwrap();
        for name in ["ni", "inc", "64"] {
            assert!(v.contains_key(name), "{name} missing from {}", p.display());
        }
        assert!(v["64"].wasmtime_flags.contains(&"memory64=y".to_string()));
    }

    #[test]
    fn a_cwasm_runs_only_with_the_hash_of_its_wasm() {
        let d = tempfile::tempdir().unwrap();
        let wasm = d.path().join(WASM_FILE);
        let cwasm = wasm.with_extension("cwasm");
        let record = source_hash_file(&cwasm);
        assert!(record.ends_with("rts_testsuite.cwasm.wasm-sha256"));
        std::fs::write(&wasm, b"abc").unwrap();
        std::fs::write(&cwasm, b"compiled").unwrap();
        // No record: refused, as an infrastructure failure.
        let e = built_from_wasm("ni", &wasm).unwrap_err();
        assert_eq!(crate::exit::code_of(&e), crate::exit::INFRA);
        assert!(format!("{e:#}").contains("has no record"), "{e:#}");
        // The record of another module (even a newer .cwasm).
        std::fs::write(&record, format!("{}  -\n", "0".repeat(64))).unwrap();
        let e = format!("{:#}", built_from_wasm("ni", &wasm).unwrap_err());
        assert!(e.contains("compiled from another module"), "{e}");
        // sha256("abc"), as `sha256sum <rts_testsuite.wasm` writes it.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(&wasm).unwrap(), abc);
        std::fs::write(&record, format!("{abc}  -\n")).unwrap();
        assert!(built_from_wasm("ni", &wasm).unwrap().cwasm.is_some());
        // The .wasm changes: refused again.
        std::fs::write(&wasm, b"abd").unwrap();
        assert!(built_from_wasm("ni", &wasm).is_err());
    }

    #[test]
    fn malformed_and_empty() {
        assert!(format!("{:#}", parse("{").unwrap_err()).contains("malformed JSON"));
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"a b": {"description":"","target":"t"}}"#).is_err());
        assert!(parse(r#"{"a-": {"description":"","target":"t"}}"#).is_err());
        assert!(parse(r#"{"mo-64": {"description":"","target":"t"}}"#).is_ok());
        assert!(parse(r#"{"a": {"description":""}}"#).is_err());
    }

    #[test]
    fn select_checks_names() {
        let v = parse(SAMPLE).unwrap();
        assert_eq!(select(&v, &[]).unwrap(), ["64", "ni"]);
        assert_eq!(select(&v, &["ni".into(), "ni".into()]).unwrap(), ["ni"]);
        let err = select(&v, &["x".into()]).unwrap_err().to_string();
        assert!(
            err.contains("unknown variant \"x\"") && err.contains("64, ni"),
            "{err}"
        );
    }

    #[test]
    fn wasm_pairs() {
        assert_eq!(
            parse_wasm_pair("ni=/a/b.wasm").unwrap(),
            ("ni".to_string(), PathBuf::from("/a/b.wasm"))
        );
        assert!(parse_wasm_pair("ni").is_err());
        assert!(parse_wasm_pair("=x").is_err());
    }

    #[test]
    fn resolves_built_dir_and_pairs() {
        let v = parse(SAMPLE).unwrap();
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("ni")).unwrap();
        std::fs::write(d.path().join("ni").join(WASM_FILE), b"").unwrap();
        std::fs::write(d.path().join("ni").join("rts_testsuite.cwasm"), b"").unwrap();
        let hash = sha256_hex(&d.path().join("ni").join(WASM_FILE)).unwrap();
        std::fs::write(
            source_hash_file(&d.path().join("ni").join("rts_testsuite.cwasm")),
            hash,
        )
        .unwrap();
        let other = d.path().join("x.wasm");
        std::fs::write(&other, b"").unwrap();
        let all = select(&v, &[]).unwrap();
        // Missing 64 in the dir.
        assert!(resolve_built(&v, &all, Some(d.path()), WASM_FILE, &[]).is_err());
        let b = resolve_built(
            &v,
            &all,
            Some(d.path()),
            WASM_FILE,
            &[("64".into(), other.clone())],
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].variant, "64");
        assert!(b[0].cwasm.is_none());
        assert_eq!(b[0].runnable(), b[0].wasm.as_path());
        assert!(b[1].cwasm.is_some());
        assert!(b[1].runnable().ends_with("rts_testsuite.cwasm"));
        let err =
            resolve_built(&v, &all, None, WASM_FILE, &[("ni".into(), other.clone())]).unwrap_err();
        assert!(err.to_string().contains("64"), "{err}");
        assert!(resolve_built(&v, &all, None, WASM_FILE, &[("zz".into(), other)]).is_err());
    }
}
