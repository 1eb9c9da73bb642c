//! Shard result records: the `result.json` every shard run writes (nix/run-shard.sh, in Nix and
//! under `rts-shards run`), and `run --json`. Reading checks every number, so a bad record is
//! an error naming the file, never a panic further on.
//!
//! A record is `{"name","variant","module","seed","status":"pass"|"fail"|"timeout",
//! "exit_code","wall_seconds","peak_memory_kib","wasmtime_version","started_at_unix",
//! "finished_at_unix"}`.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The longest shard time a record may hold: one year, in seconds. Longer (or negative, or not
/// a number) is rejected as corrupt.
pub const MAX_WALL_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

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

/// One shard's result record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardResult {
    pub name: String,
    pub variant: String,
    pub module: String,
    pub seed: u64,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub wall_seconds: f64,
    pub peak_memory_kib: Option<u64>,
    pub wasmtime_version: String,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
}

/// Checks that a wall time is a number of seconds a shard can take.
pub fn check_wall_seconds(v: f64) -> Result<()> {
    if !(v.is_finite() && (0.0..=MAX_WALL_SECONDS).contains(&v)) {
        bail!("invalid wall_seconds {v} (must be between 0 and {MAX_WALL_SECONDS})");
    }
    Ok(())
}

impl ShardResult {
    /// Checks the numbers of a record.
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

/// Loads and checks one result record.
pub fn load(path: &Path) -> Result<ShardResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let r: ShardResult = serde_json::from_str(&text)
        .with_context(|| format!("malformed result file {}", path.display()))?;
    r.check()
        .with_context(|| format!("result file {}", path.display()))?;
    Ok(r)
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
/// links) but visiting each real directory once. Sorted.
pub fn find_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let real =
            std::fs::canonicalize(&d).with_context(|| format!("cannot read {}", d.display()))?;
        if !seen.insert(real) {
            continue;
        }
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for e in entries {
            let p = e
                .with_context(|| format!("cannot read {}", d.display()))?
                .path();
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
    // The same file reached through two links counts once.
    let mut real_seen = BTreeSet::new();
    out.retain(|p| real_seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A record with the given status and times, for tests.
    pub fn rec(name: &str, status: Status, start: f64, end: f64) -> ShardResult {
        let (v, m) = name.rsplit_once('-').unwrap();
        ShardResult {
            name: name.into(),
            variant: v.into(),
            module: m.into(),
            seed: 1,
            status,
            exit_code: match status {
                Status::Pass => Some(0),
                Status::Fail => Some(134),
                Status::Timeout => None,
            },
            wall_seconds: end - start,
            peak_memory_kib: Some(1024),
            wasmtime_version: "wasmtime 48.0.8".into(),
            started_at_unix: start,
            finished_at_unix: end,
        }
    }

    #[test]
    fn round_trip_uses_contract_names() {
        let r = rec("ni-a", Status::Timeout, 10.0, 12.5);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "timeout");
        assert!(v["exit_code"].is_null());
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 11);
        let back: ShardResult = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
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
            serde_json::to_string(&rec("ni-a", Status::Pass, 0.0, 1.0)).unwrap(),
        )
        .unwrap();
        std::os::unix::fs::symlink(store.join("x-ni-a"), links.join("result-1")).unwrap();
        std::os::unix::fs::symlink(store.join("x-ni-a"), links.join("nested/result-2")).unwrap();
        std::os::unix::fs::symlink(&links, links.join("nested/loop")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", links.join("dangling")).unwrap();
        let files = find_files(&links).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(load(&files[0]).unwrap().name, "ni-a");
        assert!(find_files(&d.path().join("none")).is_err());
    }

    #[test]
    fn bad_records_are_errors_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("result.json");
        std::fs::write(&p, "{\"name\": \"x\"}").unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("malformed"));
        let mut r = rec("ni-a", Status::Pass, 5.0, 1.0);
        r.wall_seconds = 1.0;
        std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
        assert!(load(&p).is_err());
        // Huge, negative: rejected with the reason. (NaN cannot be written as JSON; `check`
        // rejects it too.)
        for wall in [1e20, -1.0] {
            let mut r = rec("ni-a", Status::Pass, 0.0, 1.0);
            r.wall_seconds = wall;
            std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
            let e = format!("{:#}", load(&p).unwrap_err());
            assert!(
                e.contains("invalid wall_seconds") && e.contains("result.json"),
                "{e}"
            );
        }
        let mut r = rec("ni-a", Status::Pass, 0.0, 1.0);
        r.wall_seconds = f64::NAN;
        assert!(r.check().is_err());
        let (good, bad) = load_all(std::slice::from_ref(&p));
        assert!(good.is_empty());
        assert_eq!(bad[0].path, p);
    }
}
