//! One shard run, as Nix runs it: `rts-shards run` executes nix/run-shard.sh, the one
//! definition of a shard's command line (wasmtime flags of the variant, caps and their
//! defaults), with the environment nix/shard.nix gives it, and reads back the `result.json`
//! it writes and the times of its `rts-shard-timing` line (in `runner.log`, where the script's
//! output goes, as it goes to the build log under Nix).
//!
//! The script is `<repository root>/nix/run-shard.sh`, or the file named by the environment
//! variable `RTS_SHARDS_RUN_SHARD` (for builds that see only `tools/`).

use crate::matrix::Shard;
use crate::process::{self, End, Outcome, Spec};
use crate::result::{self, ShardResult, Status, Times};
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The environment variable naming the shard runner script.
pub const SCRIPT_ENV: &str = "RTS_SHARDS_RUN_SHARD";

/// How much longer than `--timeout` a runner may take before it is killed from here: the
/// script's own `timeout --kill-after=10`, plus time to write its result.
const DEADLINE_MARGIN: Duration = Duration::from_secs(30);

/// The caps of a run; `None` leaves the script's default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Caps {
    pub max_memory: Option<u64>,
    pub timeout_seconds: Option<f64>,
}

/// Everything one shard run depends on.
#[derive(Debug, Clone)]
pub struct ShardSpec<'a> {
    pub shard: &'a Shard,
    /// The module run: the `.cwasm`, or the `.wasm` when there is none.
    pub module: &'a Path,
    /// The variant's `wasmtime_flags`.
    pub flags: &'a [String],
    pub caps: Caps,
}

/// The Nix system of this machine, e.g. `x86_64-linux`.
pub fn system() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// The variables nix/shard.nix sets for the script (`None`: unset, so the default applies),
/// and `out` when given.
pub fn env(spec: &ShardSpec, out: Option<&Path>) -> Vec<(String, Option<OsString>)> {
    let s = spec.shard;
    let set = |k: &str, v: String| (k.to_string(), Some(OsString::from(v)));
    let mut e = vec![
        set("shard", s.name.clone()),
        set("variant", s.variant.clone()),
        set("module", s.module.clone()),
        set("export", s.export.clone()),
        set("seed", s.seed.to_string()),
        (
            "scale".to_string(),
            (s.scale != crate::matrix::DEFAULT_SCALE).then(|| s.scale.to_string().into()),
        ),
        (
            "cwasm".to_string(),
            Some(spec.module.as_os_str().to_owned()),
        ),
        set("wasmtimeFlags", spec.flags.join(" ")),
        (
            "maxMemory".to_string(),
            spec.caps.max_memory.map(|m| m.to_string().into()),
        ),
        (
            "timeoutSeconds".to_string(),
            spec.caps.timeout_seconds.map(|t| t.to_string().into()),
        ),
        set("system", system()),
        ("RTS_SHARD_PRINT_COMMAND".to_string(), None),
        ("reproduce".to_string(), None),
    ];
    e.push(("out".to_string(), out.map(|o| o.as_os_str().to_owned())));
    e
}

/// The script and the wasmtime binary it runs.
#[derive(Debug, Clone)]
pub struct Runner {
    pub script: PathBuf,
    wasmtime: PathBuf,
}

/// A finished shard run.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The record the script wrote (`None` when interrupted or when it wrote none).
    pub result: Option<ShardResult>,
    /// The times of the script's timing line; without one (no result, or a script that prints
    /// none), what this process measured of the script.
    pub times: Times,
    pub outcome: Outcome,
    /// What the script printed (the test's output on failure, then the reproduce lines).
    pub runner_log: PathBuf,
    /// Why there is no result, when there is none and the run was not interrupted.
    pub error: Option<String>,
}

impl Runner {
    /// Finds the script (see the module doc); it will run `wasmtime`.
    pub fn new(root: &Path, wasmtime: &Path) -> Result<Runner> {
        let script = match std::env::var_os(SCRIPT_ENV) {
            Some(p) => PathBuf::from(p),
            None => root.join("nix").join("run-shard.sh"),
        };
        if !script.is_file() {
            bail!(
                "the shard runner {} does not exist (run from the repository, or set {SCRIPT_ENV})",
                script.display()
            );
        }
        Ok(Runner {
            script,
            wasmtime: wasmtime.to_path_buf(),
        })
    }

    fn with_wasmtime(
        &self,
        mut env: Vec<(String, Option<OsString>)>,
    ) -> Vec<(String, Option<OsString>)> {
        env.push((
            "RTS_SHARD_WASMTIME".to_string(),
            Some(self.wasmtime.as_os_str().to_owned()),
        ));
        env
    }

    /// The exact command the script runs for `spec` (its dry run): one shell-quoted line.
    pub fn command_line(&self, spec: &ShardSpec) -> Result<String> {
        let mut cmd = Command::new("bash");
        cmd.arg(&self.script).stdin(Stdio::null());
        for (k, v) in self.with_wasmtime(env(spec, None)) {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env("RTS_SHARD_PRINT_COMMAND", "1");
        let out = cmd
            .output()
            .with_context(|| format!("cannot run bash {}", self.script.display()))?;
        if !out.status.success() {
            bail!(
                "{} (dry run of {}) failed: {}",
                self.script.display(),
                spec.shard.name,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// Runs one shard into `out` (which gets `log`, `result.json` and `runner.log`).
    pub fn run(&self, spec: &ShardSpec, out: &Path) -> Result<Ran> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let runner_log = out.join("runner.log");
        let deadline = spec
            .caps
            .timeout_seconds
            .map(|t| Duration::from_secs_f64(t) + DEADLINE_MARGIN);
        let outcome = process::execute(&Spec {
            program: "bash".into(),
            args: vec![self.script.as_os_str().to_owned()],
            env: self.with_wasmtime(env(spec, Some(out))),
            output: runner_log.clone(),
            deadline,
        })?;
        let result_file = out.join("result.json");
        // The script exits 0 (pass) or 1 (the test failed or timed out) with a complete
        // result.json; anything else (3: it could not write its outputs) leaves no usable result.
        let (result, error) = match outcome.end {
            End::Interrupted => (None, None),
            End::Deadline => (
                None,
                Some("the shard runner did not end in time".to_string()),
            ),
            End::Exited(code @ (0 | 1)) if result_file.exists() => {
                match result::load(&result_file) {
                    Ok(r) if (r.status == Status::Pass) == (code == 0) => (Some(r), None),
                    Ok(r) => (
                        None,
                        Some(format!(
                            "{} exited {code} but its result says {}",
                            self.script.display(),
                            r.status.label()
                        )),
                    ),
                    Err(e) => (None, Some(format!("{e:#}"))),
                }
            }
            _ => (
                None,
                Some(format!(
                    "{} left no complete result ({:?}): {}",
                    self.script.display(),
                    outcome.end,
                    last_lines(&runner_log, 5).join(" / ")
                )),
            ),
        };
        let logged = match &result {
            Some(r) => {
                let log = std::fs::read_to_string(&runner_log).unwrap_or_default();
                result::times_in_log(&log, r)
                    .with_context(|| format!("{}", runner_log.display()))?
            }
            None => None,
        };
        let mut times = logged.unwrap_or(Times {
            wall_seconds: outcome.wall_seconds,
            peak_memory_kib: None,
            started_at_unix: outcome.started_at_unix,
            finished_at_unix: outcome.finished_at_unix,
        });
        // Without GNU time the script has no peak: the one wait4 saw (the script's too). Not
        // for a test killed at its timeout: wait4 saw only the script then, not the test.
        if result.as_ref().is_some_and(|r| r.status != Status::Timeout) {
            times.peak_memory_kib = times.peak_memory_kib.or(outcome.peak_memory_kib);
        }
        Ok(Ran {
            result,
            times,
            outcome,
            runner_log,
            error,
        })
    }
}

/// The last `n` lines of a text file (empty if unreadable).
pub fn last_lines(path: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The block the script prints after a failure: `SHARD FAILED (...)` and the reproduce lines.
pub fn failure_block(runner_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(runner_log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    match lines.iter().rposition(|l| l.starts_with("SHARD FAILED")) {
        Some(i) => lines[i..].iter().map(|s| s.to_string()).collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_block_is_the_end_of_the_log() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("runner.log");
        std::fs::write(
            &p,
            "test output\nSHARD FAILED (exit code 1): variant=ni module=a seed=1\n  reproduce: x\n",
        )
        .unwrap();
        assert_eq!(
            failure_block(&p),
            [
                "SHARD FAILED (exit code 1): variant=ni module=a seed=1",
                "  reproduce: x"
            ]
        );
        std::fs::write(&p, "PASS\n").unwrap();
        assert!(failure_block(&p).is_empty());
        assert_eq!(last_lines(&p, 3), ["PASS"]);
    }

    #[test]
    fn env_is_what_shard_nix_sets() {
        let shard = Shard {
            name: "64-a".into(),
            variant: "64".into(),
            module: "a".into(),
            export: "test_a".into(),
            seed: 7.into(),
            scale: 1,
        };
        let flags = ["-W".to_string(), "memory64=y".to_string()];
        let spec = ShardSpec {
            shard: &shard,
            module: Path::new("/m.cwasm"),
            flags: &flags,
            caps: Caps {
                max_memory: Some(1024),
                timeout_seconds: None,
            },
        };
        let e = env(&spec, Some(Path::new("/o")));
        let get = |k: &str| e.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("wasmtimeFlags"), Some("-W memory64=y".into()));
        assert_eq!(get("maxMemory"), Some("1024".into()));
        assert_eq!(get("timeoutSeconds"), None);
        assert_eq!(get("seed"), Some("7".into()));
        assert_eq!(get("out"), Some("/o".into()));
        // Depth 1 leaves `scale` unset, as nix/shard.nix does; deeper sets it.
        assert_eq!(get("scale"), None);
        let deep = Shard {
            scale: 16,
            ..shard.clone()
        };
        let e = env(
            &ShardSpec {
                shard: &deep,
                ..spec
            },
            None,
        );
        let get = |k: &str| e.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("scale"), Some("16".into()));
    }
}
