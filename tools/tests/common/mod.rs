//! Shared fixtures for the integration tests: small wasm modules generated with `wat`, laid
//! out like built variants, and helpers to run the `rts-shards` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test-suite module. `test_pass` returns, `test_trap` traps, `test_seed` traps unless the
/// seed is 42, `test_loop` never returns, `test_grow` grows memory by 1024 pages (64 MiB) and
/// traps if that fails, `test_sleepy` spins for a while (about 0.3 s); `scaled_seed`, the
/// deeper twin of `test_seed`, traps unless the scale is 3 too; `probe_empty` (not a test) does
/// nothing, as in the real test suite.
pub fn suite_wat(memory64: bool) -> String {
    let (mem, grow_arg, grow_fail) = if memory64 {
        ("(memory i64 1)", "i64.const 1024", "i64.const -1 i64.eq")
    } else {
        ("(memory 1)", "i32.const 1024", "i32.const -1 i32.eq")
    };
    format!(
        r#"(module
  {mem}
  (func (export "test_pass") (param i64))
  (func (export "test_trap") (param i64) unreachable)
  (func (export "test_seed") (param i64)
    local.get 0 i64.const 42 i64.ne if unreachable end)
  (func (export "scaled_seed") (param i64 i32)
    local.get 0 i64.const 42 i64.ne if unreachable end
    local.get 1 i32.const 3 i32.ne if unreachable end)
  (func (export "test_loop") (param i64) (loop $l br $l))
  (func (export "test_grow") (param i64)
    {grow_arg} memory.grow {grow_fail} if unreachable end)
  (func (export "test_sleepy") (param i64) (local $i i64)
    (local.set $i (i64.const 300000000))
    (loop $l
      (local.set $i (i64.sub (local.get $i) (i64.const 1)))
      (br_if $l (i64.ne (local.get $i) (i64.const 0)))))
  (func (export "helper") (param i64))
  (func (export "probe_empty") (param i64))
)"#
    )
}

pub const VARIANTS_JSON: &str = r#"{
  "ni": {"description": "non-incremental", "target": "wasm32-unknown-unknown", "features": [], "wasmtime_flags": []},
  "inc": {"description": "incremental", "target": "wasm32-unknown-unknown", "features": ["incremental"], "wasmtime_flags": []},
  "64": {"description": "wasm64", "target": "wasm64-unknown-unknown", "features": ["incremental"], "wasmtime_flags": ["-W", "memory64=y"]}
}
"#;

pub const VARIANT_NAMES: [&str; 3] = ["64", "inc", "ni"];

/// A file of the repository at `rel` (from tools/), or the file named by the environment
/// variable `var` where only `tools/` is around (the Nix check). Missing is a failure.
fn repo_file(var: &str, rel: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(rel));
    assert!(
        p.is_file(),
        "{} is missing (set {var} where the repository is not around)",
        p.display()
    );
    p
}

/// The shard runner, nix/run-shard.sh (or `RTS_SHARDS_RUN_SHARD`).
pub fn run_shard_script() -> PathBuf {
    repo_file("RTS_SHARDS_RUN_SHARD", "../nix/run-shard.sh")
}

/// nix/hydra-aggregate.sh, the builder of the Hydra aggregate jobs (or
/// `RTS_SHARDS_HYDRA_AGGREGATE`).
pub fn hydra_aggregate_script() -> PathBuf {
    repo_file("RTS_SHARDS_HYDRA_AGGREGATE", "../nix/hydra-aggregate.sh")
}

/// tools/apt-install.sh (or `RTS_SHARDS_APT_INSTALL`).
pub fn apt_install_script() -> PathBuf {
    repo_file("RTS_SHARDS_APT_INSTALL", "apt-install.sh")
}

/// The committed nix/variants.json (or `RTS_SHARDS_VARIANTS_FILE`).
pub fn committed_variants_file() -> PathBuf {
    repo_file("RTS_SHARDS_VARIANTS_FILE", "../nix/variants.json")
}

/// The committed nix/suites.json (or `RTS_SHARDS_SUITES_FILE`).
pub fn committed_suites_file() -> PathBuf {
    repo_file("RTS_SHARDS_SUITES_FILE", "../nix/suites.json")
}

/// A temporary "repository": nix/suites.json, nix/variants.json, nix/run-shard.sh and
/// built/<variant>/rts_testsuite.wasm.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("nix")).unwrap();
        std::fs::write(dir.path().join("nix/variants.json"), VARIANTS_JSON).unwrap();
        std::fs::copy(committed_suites_file(), dir.path().join("nix/suites.json")).unwrap();
        std::fs::copy(run_shard_script(), dir.path().join("nix/run-shard.sh")).unwrap();
        let f = Fixture { dir };
        for v in VARIANT_NAMES {
            f.add_variant(v, v == "64");
        }
        f
    }

    /// Writes built/<variant>/rts_testsuite.wasm.
    pub fn add_variant(&self, variant: &str, memory64: bool) {
        let d = self.built().join(variant);
        std::fs::create_dir_all(&d).unwrap();
        let wasm = wat::parse_str(suite_wat(memory64)).unwrap();
        std::fs::write(d.join("rts_testsuite.wasm"), wasm).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn built(&self) -> PathBuf {
        self.path().join("built")
    }

    pub fn wasm(&self, variant: &str) -> PathBuf {
        self.built().join(variant).join("rts_testsuite.wasm")
    }

    /// Runs `wasmtime compile` for every variant so the .cwasm files exist.
    pub fn precompile(&self, wasmtime: &Path) {
        for v in VARIANT_NAMES {
            let mut cmd = Command::new(wasmtime);
            cmd.arg("compile");
            if v == "64" {
                cmd.args(["-W", "memory64=y"]);
            }
            let wasm = self.wasm(v);
            let out = cmd
                .arg("-o")
                .arg(wasm.with_extension("cwasm"))
                .arg(&wasm)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            self.record_compiled_from(v);
        }
    }

    /// Writes the record beside `variant`'s .cwasm that ties it to its .wasm (the SHA-256 of
    /// the .wasm in `rts_testsuite.cwasm.wasm-sha256`), as nix/build-variant.sh does.
    pub fn record_compiled_from(&self, variant: &str) {
        use sha2::{Digest, Sha256};
        let wasm = self.wasm(variant);
        let hash: String = Sha256::digest(std::fs::read(&wasm).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            wasm.with_extension("cwasm.wasm-sha256"),
            format!("{hash}  -\n"),
        )
        .unwrap();
    }

    /// Runs the binary with the fixture as the current directory.
    pub fn run(&self, args: &[&str]) -> Output {
        bin(args, self.path())
    }
}

/// Runs `rts-shards` with `args` in `cwd`.
pub fn bin(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rts-shards"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Parses an XML file with a real parser; the text is returned for the caller to parse again
/// (roxmltree documents borrow it).
pub fn xml_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing both streams on mismatch.
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// The real wasmtime, if installed: `wasmtime` on PATH, else /opt/rts-shards/wasmtime/bin.
pub fn wasmtime() -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("wasmtime");
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let p = PathBuf::from("/opt/rts-shards/wasmtime/bin/wasmtime");
    p.is_file().then_some(p)
}

/// The real wasmtime, or `None` after printing why the test is skipped.
pub fn wasmtime_or_skip(test: &str) -> Option<PathBuf> {
    let w = wasmtime();
    if w.is_none() {
        // CI sets this: there, a missing wasmtime is a broken set-up, not a reason to skip.
        assert!(
            std::env::var_os("RTS_SHARDS_REQUIRE_WASMTIME").is_none(),
            "{test}: wasmtime is not installed but RTS_SHARDS_REQUIRE_WASMTIME is set"
        );
        eprintln!("SKIPPED {test}: wasmtime is not installed (run tools/setup.sh)");
    }
    w
}

/// A real full disk: a 64 KiB tmpfs mounted at a directory and filled up, unmounted when
/// dropped. Mounting needs root (as CI runs); elsewhere `new` prints why and gives `None`.
pub struct FullDisk {
    pub dir: PathBuf,
}

impl FullDisk {
    pub fn new(dir: &Path, test: &str) -> Option<FullDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let mount = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir)
            .output();
        match mount {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                eprintln!(
                    "SKIPPED {test}: cannot mount a tmpfs: {}",
                    stderr(&o).trim()
                );
                return None;
            }
            Err(e) => {
                eprintln!("SKIPPED {test}: cannot run mount: {e}");
                return None;
            }
        }
        let disk = FullDisk {
            dir: dir.to_path_buf(),
        };
        // Fill it: the write stops at ENOSPC.
        let err = std::fs::write(dir.join("fill"), vec![0u8; 128 << 10]).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
        Some(disk)
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// `#!` and the `sh` on PATH, for the tests' stand-in scripts: a Nix build has no /bin/sh.
pub fn sh_shebang() -> String {
    let sh = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("sh"))
        .find(|sh| sh.is_file())
        .expect("an sh on PATH");
    format!("#!{}", sh.display())
}
