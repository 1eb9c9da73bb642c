//! Shard records. A shard run (nix/run-shard.sh, in Nix and under `rts-shards run`) leaves two
//! things, kept apart so that a Nix output is a function of the derivation's inputs:
//!
//! - `result.json`, in the output: `{"name","variant","module","export","seed",
//!   "status":"pass"|"fail"|"timeout","exit_code","wasmtime_version"}` ([`ShardResult`]). The
//!   same inputs give the same bytes, so `nix build --rebuild` and `--check` succeed.
//! - one line `rts-shard-timing {"name","export","seed","wall_seconds","peak_memory_kib",
//!   "started_at_unix","finished_at_unix"}` in the build log ([`TimingLine`]): what differs
//!   from run to run. Nix keeps build logs outside the store (`nix-store --read-log`), Hydra keeps
//!   them per build step, `rts-shards run` keeps them as the shard's `runner.log`.
//!
//! A [`Record`] is a result with its times when they are known: what `run --json`, the JUnit
//! file, the report and the Gantt chart use. Reading checks every number, so a bad record is an
//! error naming the file, never a panic further on.

use crate::seed::Seed;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The longest shard time a record may hold: one year, in seconds. Longer (or negative, or not
/// a number) is rejected as corrupt.
pub const MAX_WALL_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// How the timing line of nix/run-shard.sh starts (the JSON object follows).
pub const TIMING_PREFIX: &str = "rts-shard-timing ";

/// How a shard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Timeout,
}

impl Status {
    /// Upper-case label for progress lines.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Timeout => "TIMEOUT",
        }
    }
}

/// One shard's `result.json`: only what follows from its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardResult {
    pub name: String,
    pub variant: String,
    pub module: String,
    pub export: String,
    pub seed: Seed,
    /// The depth it ran at (absent from records written before there was one: 1).
    #[serde(default = "crate::matrix::default_scale")]
    pub scale: u32,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub wasmtime_version: String,
}

/// What one run of a shard measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Times {
    pub wall_seconds: f64,
    pub peak_memory_kib: Option<u64>,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
}

/// The `rts-shard-timing` line of a build log: which shard, and its times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingLine {
    pub name: String,
    pub export: String,
    pub seed: Seed,
    #[serde(flatten)]
    pub times: Times,
}

/// A shard's result and, when known, its times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub result: ShardResult,
    /// `null` when no build log of the run was found (the report says so).
    pub times: Option<Times>,
}

impl Record {
    /// The wall time, when known.
    pub fn wall_seconds(&self) -> Option<f64> {
        self.times.map(|t| t.wall_seconds)
    }
}

/// Checks that a wall time is a number of seconds a shard can take.
pub fn check_wall_seconds(v: f64) -> Result<()> {
    if !(v.is_finite() && (0.0..=MAX_WALL_SECONDS).contains(&v)) {
        bail!("invalid wall_seconds {v} (must be between 0 and {MAX_WALL_SECONDS})");
    }
    Ok(())
}

impl Times {
    /// Checks the numbers.
    pub fn check(&self) -> Result<()> {
        check_wall_seconds(self.wall_seconds)?;
        if !(self.started_at_unix.is_finite() && self.finished_at_unix.is_finite())
            || self.finished_at_unix < self.started_at_unix
            || self.started_at_unix < 0.0
        {
            bail!(
                "invalid times: started_at_unix {}, finished_at_unix {}",
                self.started_at_unix,
                self.finished_at_unix
            );
        }
        Ok(())
    }
}

impl TimingLine {
    /// Whether this line was printed by the run of `r` (same shard, export and seed).
    pub fn is_of(&self, r: &ShardResult) -> bool {
        self.name == r.name && self.export == r.export && self.seed == r.seed
    }
}

/// The timing lines of a build log, in order. A line with the prefix that does not parse, or
/// has impossible numbers, is an error quoting it.
pub fn timing_lines(log: &str) -> Result<Vec<TimingLine>> {
    let mut out = Vec::new();
    for line in log.lines() {
        // Nix's `-L` prefixes lines with `<name>> `; the line itself starts with the prefix.
        let Some(i) = line.find(TIMING_PREFIX) else {
            continue;
        };
        let json = &line[i + TIMING_PREFIX.len()..];
        let t: TimingLine = serde_json::from_str(json)
            .with_context(|| format!("malformed timing line {line:?}"))?;
        t.times
            .check()
            .with_context(|| format!("timing line {line:?}"))?;
        out.push(t);
    }
    Ok(out)
}

/// The times of `r`'s run in a build log: its last timing line.
pub fn times_in_log(log: &str, r: &ShardResult) -> Result<Option<Times>> {
    Ok(timing_lines(log)?
        .into_iter()
        .rev()
        .find(|t| t.is_of(r))
        .map(|t| t.times))
}

/// Loads one result record.
pub fn load(path: &Path) -> Result<ShardResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let r: ShardResult = serde_json::from_str(&text)
        .with_context(|| format!("malformed result file {}", path.display()))?;
    r.check()
        .with_context(|| format!("invalid result file {}", path.display()))?;
    Ok(r)
}

impl ShardResult {
    /// Checks the names (see `names`) and that the status agrees with the exit code.
    pub fn check(&self) -> Result<()> {
        crate::names::check_shard(&self.name, &self.variant, &self.module, &self.export)?;
        let consistent = match self.status {
            Status::Pass => self.exit_code == Some(0),
            Status::Fail => self.exit_code != Some(0),
            Status::Timeout => true,
        };
        if !consistent {
            bail!(
                "status {:?} does not go with exit code {:?}",
                self.status,
                self.exit_code
            );
        }
        Ok(())
    }
}

/// The command that reruns a shard's Nix check (the flake mirrors `checks.<system>` under
/// `legacyPackages.<system>.checks`, so no system is needed); nix/run-shard.sh prints the same.
pub fn nix_command(name: &str) -> String {
    format!("nix build -L .#checks.{name}")
}

/// A result file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    pub path: PathBuf,
    pub reason: String,
}

/// Loads every file; the bad ones are returned apart, each with its reason.
pub fn load_all(files: &[PathBuf]) -> (Vec<(ShardResult, PathBuf)>, Vec<Unreadable>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for f in files {
        match load(f) {
            Ok(r) => good.push((r, f.clone())),
            Err(e) => bad.push(Unreadable {
                path: f.clone(),
                reason: format!("{e:#}"),
            }),
        }
    }
    (good, bad)
}

/// Finds `result.json` files under `dir` recursively, following symlinks (Nix `result-*`
/// links) but visiting each real directory once. Sorted. A subdirectory that cannot be read is
/// returned apart with the reason, and the search goes on; only `dir` itself must be readable.
pub fn find_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<Unreadable>)> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let listed = std::fs::canonicalize(&d).and_then(|real| {
            let entries = std::fs::read_dir(&d)?.collect::<std::io::Result<Vec<_>>>()?;
            Ok((real, entries))
        });
        let (real, entries) = match listed {
            Ok(x) => x,
            Err(e) => {
                unreadable.push(Unreadable {
                    path: d.clone(),
                    reason: format!("cannot read directory {}: {e}", d.display()),
                });
                continue;
            }
        };
        if !seen.insert(real) {
            continue;
        }
        for e in entries {
            let p = e.path();
            // metadata() follows symlinks; dangling links are skipped.
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() && p.file_name().is_some_and(|n| n == "result.json") {
                out.push(p);
            }
        }
    }
    out.sort();
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    // The same file reached through two links counts once.
    let mut real_seen = BTreeSet::new();
    out.retain(|p| real_seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok((out, unreadable))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A result with the given status, for tests.
    pub fn res(name: &str, status: Status) -> ShardResult {
        let (v, m) = crate::matrix::split_shard_name(name).unwrap();
        ShardResult {
            name: name.into(),
            variant: v.into(),
            module: m.into(),
            export: format!("test_{m}"),
            seed: 1.into(),
            scale: 1,
            status,
            exit_code: match status {
                Status::Pass => Some(0),
                Status::Fail => Some(134),
                Status::Timeout => None,
            },
            wasmtime_version: "wasmtime 48.0.8".into(),
        }
    }

    /// A record with the given status and times, for tests.
    pub fn rec(name: &str, status: Status, start: f64, end: f64) -> Record {
        Record {
            result: res(name, status),
            times: Some(Times {
                wall_seconds: end - start,
                peak_memory_kib: Some(1024),
                started_at_unix: start,
                finished_at_unix: end,
            }),
        }
    }

    #[test]
    fn round_trip_uses_contract_names() {
        let r = rec("ni-a", Status::Timeout, 10.0, 12.5);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "timeout");
        assert!(v["exit_code"].is_null());
        assert_eq!(v["times"]["wall_seconds"], 2.5);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 10);
        let back: Record = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, r);
        // A record written before results had a depth reads as depth 1.
        let mut old = v;
        old.as_object_mut().unwrap().remove("scale");
        let back: Record = serde_json::from_value(old).unwrap();
        assert_eq!(back.result.scale, 1);
        // result.json holds no times at all.
        let v = serde_json::to_value(&r.result).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "exit_code",
                "export",
                "module",
                "name",
                "scale",
                "seed",
                "status",
                "variant",
                "wasmtime_version"
            ]
        );
    }

    #[test]
    fn timing_lines_are_found_in_logs_with_nix_prefixes() {
        let r = res("ni-a", Status::Pass);
        let log = "shard-ni-a> rts-shard-timing {\"name\": \"ni-a\", \"export\": \"test_a\", \"seed\": 1, \"wall_seconds\": 0.5, \"peak_memory_kib\": null, \"started_at_unix\": 10.25, \"finished_at_unix\": 10.75}\n\
                   shard-ni-a> PASS ni-a seed=1 0.500s\n\
                   rts-shard-timing {\"name\": \"ni-a\", \"export\": \"test_a\", \"seed\": 2, \"wall_seconds\": 9, \"peak_memory_kib\": 7, \"started_at_unix\": 1, \"finished_at_unix\": 10}\n";
        let t = times_in_log(log, &r).unwrap().unwrap();
        assert_eq!((t.wall_seconds, t.peak_memory_kib), (0.5, None));
        assert_eq!(timing_lines(log).unwrap().len(), 2);
        let other = res("ni-b", Status::Pass);
        assert_eq!(times_in_log(log, &other).unwrap(), None);
        let e = format!(
            "{:#}",
            timing_lines("rts-shard-timing {\"name\": 1}").unwrap_err()
        );
        assert!(e.contains("malformed timing line"), "{e}");
        let bad = "rts-shard-timing {\"name\": \"ni-a\", \"export\": \"test_a\", \"seed\": 1, \"wall_seconds\": -1, \"peak_memory_kib\": null, \"started_at_unix\": 1, \"finished_at_unix\": 2}";
        let e = format!("{:#}", timing_lines(bad).unwrap_err());
        assert!(e.contains("invalid wall_seconds"), "{e}");
    }

    #[test]
    fn finds_results_through_symlinks_once() {
        let d = tempfile::tempdir().unwrap();
        let store = d.path().join("store");
        let links = d.path().join("links");
        std::fs::create_dir_all(store.join("x-ni-a")).unwrap();
        std::fs::create_dir_all(links.join("nested")).unwrap();
        std::fs::write(
            store.join("x-ni-a/result.json"),
            serde_json::to_string(&res("ni-a", Status::Pass)).unwrap(),
        )
        .unwrap();
        std::os::unix::fs::symlink(store.join("x-ni-a"), links.join("result-1")).unwrap();
        std::os::unix::fs::symlink(store.join("x-ni-a"), links.join("nested/result-2")).unwrap();
        std::os::unix::fs::symlink(&links, links.join("nested/loop")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", links.join("dangling")).unwrap();
        let (files, unreadable) = find_files(&links).unwrap();
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(load(&files[0]).unwrap().name, "ni-a");
        assert!(find_files(&d.path().join("none")).is_err());
    }

    #[test]
    fn empty_and_hostile_result_files_are_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("result.json");
        std::fs::write(&p, "").unwrap();
        let e = format!("{:#}", load(&p).unwrap_err());
        assert!(e.contains("malformed result file"), "{e}");
        let cases = [
            ("name", "ni-../../x"),
            ("module", "../x"),
            ("export", "test_a/.."),
            ("variant", "n/i"),
        ];
        for (field, value) in cases {
            let mut v = serde_json::to_value(res("ni-a", Status::Pass)).unwrap();
            v[field] = value.into();
            std::fs::write(&p, v.to_string()).unwrap();
            let e = format!("{:#}", load(&p).unwrap_err());
            assert!(e.contains("invalid result file"), "{field}: {e}");
        }
        // A pass must have exit code 0, a failure another.
        let mut r = res("ni-a", Status::Pass);
        r.exit_code = Some(1);
        std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("does not go with"));
        r.status = Status::Fail;
        std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(load(&p).unwrap(), r);
    }

    #[test]
    fn bad_records_are_errors_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("result.json");
        std::fs::write(&p, "{\"name\": \"x\"}").unwrap();
        let e = format!("{:#}", load(&p).unwrap_err());
        assert!(e.contains("malformed") && e.contains("result.json"), "{e}");
        let (good, bad) = load_all(std::slice::from_ref(&p));
        assert!(good.is_empty());
        assert_eq!(bad[0].path, p);
        // Huge, negative, backwards: rejected with the reason. (NaN cannot be written as JSON;
        // `check` rejects it too.)
        for (wall, start, end) in [(1e20, 0.0, 1.0), (-1.0, 0.0, 1.0), (1.0, 5.0, 1.0)] {
            let mut t = rec("ni-a", Status::Pass, start, end).times.unwrap();
            t.wall_seconds = wall;
            assert!(t.check().is_err(), "{wall} {start} {end}");
        }
        let mut t = rec("ni-a", Status::Pass, 0.0, 1.0).times.unwrap();
        t.wall_seconds = f64::NAN;
        assert!(t.check().is_err());
    }
}
