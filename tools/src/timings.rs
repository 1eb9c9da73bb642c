//! Recorded shard timings (`tools/timings.json`), used to schedule the longest shards first
//! and by `plan` to simulate worker counts. They are recorded from the times of shard runs
//! (`run --record-timings`, and `report --record-timings` from the build logs of Nix-built
//! shards), never from Nix outputs, which hold no times.
//!
//! Format: `{"machine": "...", "command": "...", "scale": n, "shards": {"<name>":
//! {"wall_seconds": f, "peak_memory_kib": n}}}` with shards in a sorted map, so the committed
//! file is stable; `scale`, the depth the shards ran at, is left out at depth 1.

use crate::matrix::{DEFAULT_SCALE, default_scale, is_default_scale};
use crate::result::{Record, Status};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One shard's recorded cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub wall_seconds: f64,
    pub peak_memory_kib: Option<u64>,
}

impl Timing {
    /// The recorded timing of a run's times (wall time to the millisecond).
    pub fn of(t: &crate::result::Times) -> Timing {
        Timing {
            wall_seconds: (t.wall_seconds * 1000.0).round() / 1000.0,
            peak_memory_kib: t.peak_memory_kib,
        }
    }
}

/// The contents of the timings file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Where the timings were measured, e.g. `x86_64-linux, 2 cpus`.
    pub machine: String,
    /// The command that recorded them.
    pub command: String,
    /// The depth every shard ran at (`run --scale`).
    #[serde(default = "default_scale", skip_serializing_if = "is_default_scale")]
    pub scale: u32,
    pub shards: BTreeMap<String, Timing>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            machine: String::new(),
            command: String::new(),
            scale: DEFAULT_SCALE,
            shards: BTreeMap::new(),
        }
    }
}

impl Timings {
    /// Fails unless these timings are at depth `scale`: times of different depths do not mix.
    pub fn check_depth(&self, scale: u32) -> Result<()> {
        if self.scale != scale {
            bail!(
                "the timings file holds depth {} and these shards run at depth {scale}: record \
                 each depth in a file of its own",
                self.scale
            );
        }
        Ok(())
    }

    /// Expected wall time of a shard, if recorded.
    pub fn expected(&self, name: &str) -> Option<f64> {
        self.shards.get(name).map(|t| t.wall_seconds)
    }
}

/// Loads a timings file.
pub fn load(path: &Path) -> Result<Timings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read timings file {}", path.display()))?;
    let t: Timings = serde_json::from_str(&text)
        .with_context(|| format!("malformed timings file {}", path.display()))?;
    for (name, timing) in &t.shards {
        crate::names::check_shard_name(name)
            .with_context(|| format!("timings file {}", path.display()))?;
        crate::result::check_wall_seconds(timing.wall_seconds)
            .with_context(|| format!("timings file {}: shard {name}", path.display()))?;
    }
    Ok(t)
}

/// Loads a timings file if it exists (a missing file is `None`, a malformed one an error).
pub fn load_if_exists(path: &Path) -> Result<Option<Timings>> {
    if path.exists() {
        load(path).map(Some)
    } else {
        Ok(None)
    }
}

/// A short description of this machine, stable across runs on the same kind of machine.
pub fn machine_description() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{}-{}, {cpus} cpus",
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// Merges newly measured shards into `existing` (shards not measured now are kept).
pub fn merge(
    existing: Option<Timings>,
    machine: String,
    command: String,
    measured: impl IntoIterator<Item = (String, Timing)>,
) -> Timings {
    let mut t = existing.unwrap_or_default();
    t.machine = machine;
    t.command = command;
    t.shards.extend(measured);
    t
}

/// Merges the times of the passing `records` into `existing`, for `--record-timings`: this
/// machine, this command. Returns the timings and how many were recorded. Every record and the
/// existing file must be at one depth: times of different depths do not mix.
pub fn merge_records(existing: Option<Timings>, records: &[Record]) -> Result<(Timings, usize)> {
    let passed: Vec<&Record> = records
        .iter()
        .filter(|r| r.result.status == Status::Pass && r.times.is_some())
        .collect();
    let scale = passed.first().map_or(DEFAULT_SCALE, |r| r.result.scale);
    if let Some(r) = passed.iter().find(|r| r.result.scale != scale) {
        bail!(
            "the shards ran at different depths ({} at {scale}, {} at {}): record each depth in a file of its own",
            passed[0].result.name,
            r.result.name,
            r.result.scale
        );
    }
    if let Some(e) = existing.as_ref().filter(|_| !passed.is_empty()) {
        e.check_depth(scale)?;
    }
    let measured: Vec<(String, Timing)> = passed
        .iter()
        .filter_map(|r| Some((r.result.name.clone(), Timing::of(&r.times?))))
        .collect();
    let n = measured.len();
    let mut t = merge(
        existing,
        machine_description(),
        crate::cli::this_command(),
        measured,
    );
    if n > 0 {
        t.scale = scale;
    }
    Ok((t, n))
}

/// Merges the times of the passing `records` into the timings file at `path` (created if
/// missing) under an exclusive lock on its directory: the file is read, merged and replaced
/// atomically while the lock is held, so concurrent runs recording into one file lose nothing.
/// Returns how many were recorded.
pub fn record(path: &Path, records: &[Record]) -> Result<usize> {
    let _lock = DirLock::of(path)?;
    let existing = load_if_exists(path)?;
    let (t, n) = merge_records(existing, records)?;
    crate::atomic::write_json_atomic(path, &t)?;
    Ok(n)
}

/// An exclusive `flock` on a directory, released when dropped (the descriptor is closed). The
/// directory, not the file: the file is replaced by a rename, and a lock on it would stay on
/// the old one.
struct DirLock(#[allow(dead_code)] std::fs::File);

impl DirLock {
    fn of(path: &Path) -> Result<DirLock> {
        use std::os::fd::AsRawFd;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let f = std::fs::File::open(dir)
            .with_context(|| format!("cannot open {} to lock it", dir.display()))?;
        loop {
            // SAFETY: flock on a descriptor we own; no memory is passed.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(DirLock(f));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e).with_context(|| format!("cannot lock {}", dir.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic;

    #[test]
    fn round_trip_is_stable() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("timings.json");
        let mut t = Timings {
            machine: "m".into(),
            command: "c".into(),
            ..Timings::default()
        };
        t.shards.insert(
            "ni-b".into(),
            Timing {
                wall_seconds: 2.5,
                peak_memory_kib: Some(100),
            },
        );
        t.shards.insert(
            "ni-a".into(),
            Timing {
                wall_seconds: 1.0,
                peak_memory_kib: None,
            },
        );
        atomic::write_json_atomic(&p, &t).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.find("ni-a").unwrap() < text.find("ni-b").unwrap());
        assert!(text.ends_with("}\n"));
        assert_eq!(load(&p).unwrap(), t);
        assert_eq!(load(&p).unwrap().expected("ni-b"), Some(2.5));
        atomic::write_json_atomic(&p, &load(&p).unwrap()).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
    }

    #[test]
    fn missing_and_malformed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        assert!(load_if_exists(&p).unwrap().is_none());
        std::fs::write(&p, "{\"machine\": 1}").unwrap();
        assert!(format!("{:#}", load(&p).unwrap_err()).contains("malformed"));
        std::fs::write(
            &p,
            r#"{"machine":"","command":"","shards":{"a":{"wall_seconds":-1,"peak_memory_kib":null}}}"#,
        )
        .unwrap();
        assert!(load(&p).is_err());
        // A shard name that is a path.
        std::fs::write(
            &p,
            r#"{"machine":"","command":"","shards":{"ni-../x":{"wall_seconds":1,"peak_memory_kib":null}}}"#,
        )
        .unwrap();
        let e = format!("{:#}", load(&p).unwrap_err());
        assert!(e.contains("invalid shard name"), "{e}");
    }

    #[test]
    fn merge_keeps_unmeasured() {
        let mut old = Timings::default();
        old.shards.insert(
            "a".into(),
            Timing {
                wall_seconds: 1.0,
                peak_memory_kib: None,
            },
        );
        old.shards.insert(
            "b".into(),
            Timing {
                wall_seconds: 1.0,
                peak_memory_kib: None,
            },
        );
        let t = merge(
            Some(old),
            "m".into(),
            "c".into(),
            [(
                "b".to_string(),
                Timing {
                    wall_seconds: 3.0,
                    peak_memory_kib: Some(5),
                },
            )],
        );
        assert_eq!(t.shards.len(), 2);
        assert_eq!(t.expected("b"), Some(3.0));
        assert_eq!(t.machine, "m");
    }

    #[test]
    fn records_merge_at_one_depth_only() {
        use crate::result::tests::rec;
        let at = |name: &str, scale: u32| {
            let mut r = rec(name, Status::Pass, 0.0, 2.0);
            r.result.scale = scale;
            r
        };
        let (t, n) = merge_records(None, &[at("ni-a", 4), at("ni-b", 4)]).unwrap();
        assert_eq!((n, t.scale), (2, 4));
        let text = serde_json::to_string(&t).unwrap();
        assert!(text.contains("\"scale\":4"), "{text}");
        let (t1, _) = merge_records(None, &[at("ni-a", 1)]).unwrap();
        assert!(!serde_json::to_string(&t1).unwrap().contains("scale"));
        let e = merge_records(None, &[at("ni-a", 1), at("ni-b", 4)]).unwrap_err();
        assert!(e.to_string().contains("different depths"), "{e}");
        let e = merge_records(Some(t1), &[at("ni-a", 4)]).unwrap_err();
        assert!(e.to_string().contains("holds depth 1"), "{e}");
        // A failed shard's depth does not count.
        let mut failed = at("ni-c", 9);
        failed.result.status = Status::Fail;
        assert_eq!(
            merge_records(Some(t), &[at("ni-a", 4), failed]).unwrap().1,
            1
        );
    }
}
