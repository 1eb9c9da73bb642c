//! Reading test exports out of a compiled `rts-testsuite` wasm module.
//!
//! The test crate exports one `#[no_mangle] extern "C" fn test_<module>(seed: u64)` per test
//! module; in wasm that is a function export named `test_<module>` of type `(i64) -> ()`.
//! This module parses the binary with `wasmparser` and returns those exports.

use anyhow::{Context, Result, bail};
use std::path::Path;
use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef, ValType};

/// Prefix of every test export.
pub const TEST_PREFIX: &str = "test_";
/// Prefix of the deeper twin of a test export: `scaled_<module>(seed: u64, scale: u32)` runs
/// `test_<module>` with `scale` times its random work (nix/run-shard.sh invokes it when a shard's
/// scale is above 1).
pub const SCALED_PREFIX: &str = "scaled_";

/// One `test_*` function export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestExport {
    /// Full export name, e.g. `test_crc32`.
    pub export: String,
    /// Whether the function has the expected `(i64) -> ()` signature.
    pub signature_ok: bool,
    /// The function's signature as text, e.g. `(i64) -> ()`, for messages.
    pub signature: String,
    /// Whether the module also exports `scaled_<module>` of type `(i64, i32) -> ()`, so the test
    /// can run deeper (`--scale`).
    pub scalable: bool,
}

impl TestExport {
    /// The module name: the export name without the `test_` prefix.
    pub fn module(&self) -> &str {
        &self.export[TEST_PREFIX.len()..]
    }
}

fn fmt_sig(params: &[ValType], results: &[ValType]) -> String {
    let list = |v: &[ValType]| {
        v.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(params), list(results))
}

/// Reads `path` and returns its `test_*` function exports sorted by name.
///
/// Errors clearly if the file is missing, is not a wasm module (no `\0asm` magic), is a
/// component rather than a core module, is malformed, or has a test export whose module name
/// breaks the rule of `names`.
pub fn test_exports(path: &Path) -> Result<Vec<TestExport>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    test_exports_from_bytes(&bytes).with_context(|| format!("in {}", path.display()))
}

/// Like [`test_exports`], from bytes in memory.
pub fn test_exports_from_bytes(bytes: &[u8]) -> Result<Vec<TestExport>> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        bail!("not a WebAssembly module (missing the \\0asm magic header)");
    }
    // Function index space: imported functions first, then defined ones; each maps to a type.
    let mut types: Vec<Option<(Vec<ValType>, Vec<ValType>)>> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    let mut scaled: Vec<(String, u32)> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.context("malformed WebAssembly module")?;
        match payload {
            Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
                bail!("this is a WebAssembly component, not a core module");
            }
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.context("malformed type section")?;
                    for sub in group.into_types() {
                        types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                Some((f.params().to_vec(), f.results().to_vec()))
                            }
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.context("malformed import section")?;
                    match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => func_types.push(t),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_types.push(t.context("malformed function section")?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.context("malformed export section")?;
                    if !matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                        continue;
                    }
                    if export.name.starts_with(TEST_PREFIX) && export.name.len() > TEST_PREFIX.len()
                    {
                        // The module name becomes a path and a Nix name: checked here.
                        crate::names::check_module(&export.name[TEST_PREFIX.len()..])
                            .with_context(|| format!("test export {:?}", export.name))?;
                        exports.push((export.name.to_string(), export.index));
                    } else if let Some(module) = export.name.strip_prefix(SCALED_PREFIX) {
                        scaled.push((module.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    let sig_of = |index: u32| {
        func_types
            .get(index as usize)
            .and_then(|t| types.get(*t as usize))
            .and_then(|t| t.as_ref())
    };
    let mut out: Vec<TestExport> = exports
        .into_iter()
        .map(|(export, index)| {
            let sig = sig_of(index);
            let module = &export[TEST_PREFIX.len()..];
            let scalable = scaled.iter().any(|(m, i)| {
                m == module
                    && sig_of(*i).is_some_and(|(p, r)| {
                        p.as_slice() == [ValType::I64, ValType::I32] && r.is_empty()
                    })
            });
            let (signature_ok, signature) = match sig {
                Some((p, r)) => (
                    p.as_slice() == [ValType::I64] && r.is_empty(),
                    fmt_sig(p, r),
                ),
                None => (false, "(unknown)".to_string()),
            };
            TestExport {
                export,
                signature_ok,
                signature,
                scalable,
            }
        })
        .collect();
    out.sort_by(|a, b| a.export.cmp(&b.export));
    out.dedup_by(|a, b| a.export == b.export);
    Ok(out)
}

/// Prints a warning to stderr for each export whose signature is not `(i64) -> ()`.
pub fn warn_bad_signatures(path: &Path, exports: &[TestExport]) {
    for e in exports.iter().filter(|e| !e.signature_ok) {
        eprintln!(
            "warning: {}: export {} has signature {}, expected (i64) -> () (seed: u64)",
            path.display(),
            e.export,
            e.signature
        );
    }
}

/// `rts-shards list`: print the test exports of a module.
#[derive(Debug, clap::Args)]
#[command(
    about = "Print the test_* function exports of a wasm module, one per line, sorted",
    long_about = "Print the test_* function exports of a wasm module, one per line, sorted.\n\n\
        Exports whose signature is not (i64) -> () are still listed, with a warning on stderr. \
        Exit status 2 if the file is missing, not a wasm module, or malformed."
)]
pub struct ListArgs {
    /// The wasm module (e.g. rts_testsuite.wasm)
    #[arg(value_name = "WASM")]
    pub wasm: std::path::PathBuf,
}

/// Runs `rts-shards list`.
pub fn list_command(args: ListArgs) -> Result<std::process::ExitCode> {
    let exports = test_exports(&args.wasm)?;
    warn_bad_signatures(&args.wasm, &exports);
    let mut out = String::new();
    for e in &exports {
        out.push_str(&e.export);
        out.push('\n');
    }
    print!("{out}");
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[TestExport]) -> Vec<&str> {
        v.iter().map(|e| e.export.as_str()).collect()
    }

    #[test]
    fn finds_sorted_test_exports_only() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "f" (func $imp (param i32)))
                (func (export "test_b") (param i64))
                (func (export "test_a") (param i64))
                (func (export "helper") (param i64))
                (func (export "test_") (param i64))
                (memory (export "test_mem") 1)
                (func (export "test_bad") (param i32) (result i32) local.get 0))"#,
        )
        .unwrap();
        let ex = test_exports_from_bytes(&wasm).unwrap();
        assert_eq!(names(&ex), ["test_a", "test_b", "test_bad"]);
        assert!(ex[0].signature_ok && ex[1].signature_ok);
        assert!(!ex[2].signature_ok);
        assert_eq!(ex[2].signature, "(i32) -> (i32)");
        assert_eq!(ex[0].module(), "a");
    }

    #[test]
    fn scaled_twin_with_its_signature_makes_a_test_scalable() {
        let wasm = wat::parse_str(
            r#"(module
                (func (export "test_a") (param i64))
                (func (export "scaled_a") (param i64 i32))
                (func (export "test_b") (param i64))
                (func (export "scaled_b") (param i64))
                (func (export "test_c") (param i64)))"#,
        )
        .unwrap();
        let ex = test_exports_from_bytes(&wasm).unwrap();
        assert_eq!(names(&ex), ["test_a", "test_b", "test_c"]);
        let scalable: Vec<bool> = ex.iter().map(|e| e.scalable).collect();
        assert_eq!(scalable, [true, false, false]);
    }

    #[test]
    fn reexported_import_counts_in_function_index_space() {
        let wasm = wat::parse_str(
            r#"(module
                (import "env" "t" (func $t (param i64)))
                (export "test_imported" (func $t)))"#,
        )
        .unwrap();
        let ex = test_exports_from_bytes(&wasm).unwrap();
        assert_eq!(names(&ex), ["test_imported"]);
        assert!(ex[0].signature_ok);
    }

    #[test]
    fn memory64_module_parses() {
        let wasm =
            wat::parse_str(r#"(module (memory i64 1) (func (export "test_x") (param i64)))"#)
                .unwrap();
        assert_eq!(names(&test_exports_from_bytes(&wasm).unwrap()), ["test_x"]);
    }

    #[test]
    fn rejects_non_wasm() {
        let err = test_exports_from_bytes(b"#!/bin/sh\necho hi\n").unwrap_err();
        assert!(
            err.to_string().contains("not a WebAssembly module"),
            "{err}"
        );
        assert!(test_exports_from_bytes(b"").is_err());
    }

    #[test]
    fn rejects_truncated_module() {
        let mut wasm = wat::parse_str(r#"(module (func (export "test_x") (param i64)))"#).unwrap();
        wasm.truncate(wasm.len() - 3);
        let err = test_exports_from_bytes(&wasm).unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");
    }

    #[test]
    fn a_test_export_that_is_not_a_word_is_an_error() {
        for name in ["test_v/../../x", "test_a-b", "test_a b", "test_\u{e9}"] {
            let wasm = wat::parse_str(format!(
                r#"(module (func (export "test_ok") (param i64)) (func (export "{name}") (param i64)))"#
            ))
            .unwrap();
            let e = format!("{:#}", test_exports_from_bytes(&wasm).unwrap_err());
            assert!(e.contains("invalid module name"), "{e}");
        }
        // Other exports are not names of this tool: anything goes.
        let wasm = wat::parse_str(
            r#"(module (func (export "test_ok") (param i64)) (func (export "x/../y") (param i64)))"#,
        )
        .unwrap();
        assert_eq!(names(&test_exports_from_bytes(&wasm).unwrap()), ["test_ok"]);
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = test_exports(Path::new("/nonexistent/x.wasm")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/x.wasm"));
    }
}
