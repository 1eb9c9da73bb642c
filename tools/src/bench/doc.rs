//! The JSON document of `bench --json` and the header above the table: where the figures were
//! measured, when, with what.

use super::metrics::{Metric, PerShard, Spread};
use serde::Serialize;
use std::collections::BTreeMap;

/// One simulated worker count of step 7.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRow {
    pub workers: usize,
    pub makespan_seconds: Option<f64>,
    pub lower_bound_seconds: Option<f64>,
    pub ratio: Option<f64>,
    /// The makespan of Nix's own order (derivation names ascending, see `plan`).
    pub nix_order_makespan_seconds: Option<f64>,
}

/// One timed `nix flake check` after an edit (step 8).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditRun {
    /// `collector`, `test module` or `none`.
    pub change: String,
    /// The file that got a line, if any.
    pub file: Option<String>,
    pub wall_seconds: f64,
    /// From the command's start to the first shard's own start (`None`: no shard ran).
    pub first_shard_start_seconds: Option<f64>,
    pub shards_run: usize,
    /// The shards' own times summed (W of this run).
    pub shard_work_seconds: f64,
    /// Every build's interval as Nix saw it, summed (shards, variants, standard library, checks).
    pub build_work_seconds: f64,
}

/// Evaluation time of a shard matrix (step 9).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalCost {
    /// `flake checks` (the real `checks.<system>`) or `lib.shard x<k>` (k seeds per shard).
    pub matrix: String,
    pub shards: usize,
    pub seconds: Option<Spread>,
    pub per_shard_ms: Option<Spread>,
}

/// The rerun set of one changed file (step 6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RerunSet {
    pub file: String,
    pub changed: usize,
    pub total: usize,
    /// Changed shards per variant.
    pub per_variant: BTreeMap<String, usize>,
}

/// Where the figures were measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_kib: Option<u64>,
    /// /proc/loadavg's 1, 5 and 15 minute averages when the bench started and when it last
    /// wrote its document: how busy the machine was besides the bench.
    pub load_average_start: Option<String>,
    pub load_average_end: Option<String>,
    pub cpu_model: Option<String>,
    pub system: String,
}

/// The JSON document of `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub date: String,
    pub command: String,
    pub machine: Machine,
    pub wasmtime_version: String,
    pub nix_version: Option<String>,
    /// `host` (the stand-in) or `real`; `null` without Nix.
    pub nixpkgs: Option<String>,
    pub jobs: usize,
    pub repeat: u32,
    pub filter: Vec<String>,
    pub steps: Vec<u8>,
    pub metrics: Vec<Metric>,
    pub rerun_sets: Vec<RerunSet>,
    pub plan: Vec<PlanRow>,
    pub edits: Vec<EditRun>,
    pub eval_cost: Vec<EvalCost>,
    /// Steps finished so far (the document is written after each).
    pub steps_done: Vec<u8>,
    /// Per-shard wall seconds of the sequential run (step 1).
    pub shard_seconds: BTreeMap<String, f64>,
    /// How `shard_seconds` were measured (latencies, 1 at a time), when they were.
    pub shard_seconds_measured: Option<PerShard>,
    pub warnings: Vec<String>,
    pub targets_met: usize,
    pub targets_missed: usize,
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time (proleptic Gregorian calendar).
pub fn utc_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The first `model name` of /proc/cpuinfo text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `MemTotal` of /proc/meminfo text, in KiB.
pub fn mem_total_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// The three load averages of /proc/loadavg text.
pub fn load_average(loadavg: &str) -> Option<String> {
    let v: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    (v.len() == 3 && v.iter().all(|x| x.parse::<f64>().is_ok())).then(|| v.join(" "))
}

/// A warning when the 1-minute load average (first of `load`) exceeds the number of cores:
/// other work competed with the bench, and its times are longer than on a quiet machine.
pub fn busy_warning(load: &str, cores: usize) -> Option<String> {
    let one: f64 = load.split_whitespace().next()?.parse().ok()?;
    (one > cores as f64).then(|| {
        format!(
            "the machine was busy: load average {one} over {cores} cores when the bench \
             started; other work competed with it and its times are longer than on a quiet \
             machine"
        )
    })
}

/// The header printed above the table.
pub fn header(r: &BenchReport) -> String {
    let mem = r
        .machine
        .memory_kib
        .map(|k| format!("{:.1} GiB memory", k as f64 / (1024.0 * 1024.0)))
        .unwrap_or_else(|| "memory unknown".to_string());
    let nix = match (&r.nix_version, &r.nixpkgs) {
        (Some(v), Some(p)) => format!("{v} (nixpkgs: {p})"),
        (Some(v), None) => v.clone(),
        _ => "not used (--skip-nix)".to_string(),
    };
    let filter = if r.filter.is_empty() {
        String::new()
    } else {
        format!("filter:   {}\n", r.filter.join(" "))
    };
    let load = r
        .machine
        .load_average_start
        .as_deref()
        .map(|l| format!("load:     {l} (1, 5, 15 min) at the start\n"))
        .unwrap_or_default();
    format!(
        "rts-shards bench\n\
         date:     {}\n\
         command:  {}\n\
         machine:  {} cores, {mem}, {} ({})\n{load}\
         wasmtime: {}\n\
         nix:      {nix}\n\
         jobs:     {} (N), repeat {} (K), steps {}\n{filter}\n",
        r.date,
        r.command,
        r.machine.cores,
        r.machine
            .cpu_model
            .as_deref()
            .unwrap_or("CPU model unknown"),
        r.machine.system,
        r.wasmtime_version,
        r.jobs,
        r.repeat,
        r.steps
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(","),
    )
}

#[cfg(test)]
mod tests {
    use super::super::metrics::*;
    use super::*;
    use crate::atomic;

    #[test]
    fn json_document() {
        let metrics = vec![
            Metric::new(
                5,
                "overhead.compile_ratio",
                "(b)/(a)",
                Some(8.0),
                TIMES,
                Some(Target::at_least(5.0)),
            ),
            Metric::new(
                1,
                "sequential.wall_seconds",
                "wall",
                Some(2.0),
                SECONDS,
                None,
            ),
        ];
        let (met, missed) = tally(&metrics);
        let r = BenchReport {
            date: utc_date(0),
            command: "rts-shards bench".into(),
            machine: Machine {
                cores: 2,
                memory_kib: Some(1024),
                cpu_model: Some("cpu".into()),
                system: "x86_64-linux".into(),
                load_average_start: None,
                load_average_end: None,
            },
            wasmtime_version: "wasmtime 1".into(),
            nix_version: None,
            nixpkgs: None,
            jobs: 2,
            repeat: 20,
            filter: vec![],
            steps: vec![1, 5],
            metrics,
            rerun_sets: vec![RerunSet {
                file: "README.md".into(),
                changed: 0,
                total: 72,
                per_variant: BTreeMap::new(),
            }],
            plan: vec![],
            edits: vec![],
            eval_cost: vec![],
            steps_done: vec![1, 5],
            shard_seconds: BTreeMap::new(),
            shard_seconds_measured: None,
            warnings: vec![],
            targets_met: met,
            targets_missed: missed,
        };
        let v: serde_json::Value =
            serde_json::from_str(&atomic::to_pretty_json(&r).unwrap()).unwrap();
        assert_eq!(v["date"], "1970-01-01 00:00:00 UTC");
        assert_eq!(v["metrics"][0]["target"]["cmp"], ">=");
        assert_eq!(v["metrics"][0]["target"]["value"], 5.0);
        assert_eq!(v["metrics"][0]["verdict"], "ok");
        assert_eq!(v["metrics"][0]["unit"], "x");
        assert_eq!(v["metrics"][1]["target"], serde_json::Value::Null);
        assert_eq!(v["metrics"][1]["verdict"], serde_json::Value::Null);
        assert_eq!(v["targets_met"], 1);
        assert_eq!(v["rerun_sets"][0]["total"], 72);
        assert_eq!(v["nix_version"], serde_json::Value::Null);
        let h = header(&r);
        assert!(
            h.contains("machine:  2 cores, 0.0 GiB memory, cpu (x86_64-linux)"),
            "{h}"
        );
        assert!(h.contains("nix:      not used (--skip-nix)"), "{h}");
        assert!(h.contains("steps 1,5"), "{h}");
    }

    #[test]
    fn dates_and_proc_files() {
        assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_date(1_000_000_000), "2001-09-09 01:46:40 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_date(4_102_444_799), "2099-12-31 23:59:59 UTC");
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n"),
            Some("AMD EPYC 7B13".to_string())
        );
        assert_eq!(cpu_model("processor: 0\n"), None);
        assert_eq!(
            mem_total_kib("MemTotal:       24570000 kB\nMemFree: 1 kB\n"),
            Some(24_570_000)
        );
        assert_eq!(mem_total_kib(""), None);
        assert_eq!(
            load_average("0.21 0.90 1.51 1/230 4242\n"),
            Some("0.21 0.90 1.51".to_string())
        );
        assert_eq!(load_average("x y z"), None);
        assert!(
            busy_warning("12.5 10 8", 2)
                .unwrap()
                .contains("load average 12.5 over 2 cores")
        );
        assert_eq!(busy_warning("1.9 3 3", 2), None);
        assert_eq!(busy_warning("", 2), None);
        assert_eq!(load_average(""), None);
    }
}
