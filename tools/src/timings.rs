//! Recorded shard timings (`tools/timings.json`), used to schedule the longest shards first
//! and by `plan` to simulate worker counts. They are recorded from the times of shard runs
//! (`run --record-timings`, and `report --record-timings` from the build logs of Nix-built
//! shards), never from Nix outputs, which hold no times.
//!
//! Format: `{"machine": "...", "command": "...", "shards": {"<name>": {"wall_seconds": f,
//! "peak_memory_kib": n}}}` with shards in a sorted map, so the committed file is stable.

use anyhow::{Context, Result};
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Where the timings were measured, e.g. `x86_64-linux, 2 cpus`.
    pub machine: String,
    /// The command that recorded them.
    pub command: String,
    pub shards: BTreeMap<String, Timing>,
}

impl Timings {
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
            shards: BTreeMap::new(),
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
}
