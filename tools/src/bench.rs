//! `rts-shards bench`: the one place the project's performance claims come from.
//!
//! One run measures, on the current machine, each figure next to its target:
//!
//! 1. sequential: every shard one after another (`run` with 1 job) on the Nix-built variants;
//!    the sum of the shard times is the total work W;
//! 2. local parallel: the same with N jobs; efficiency W / (wall x N);
//! 3. Nix cold: the shard outputs deleted from the store, `nix flake check --max-jobs N`;
//!    efficiency W / (wall x N) and W_nix / (wall x N), W_nix being the shards' own times;
//! 4. Nix warm no-op: the same command again, as a fraction of the cold wall;
//! 5. per-shard overhead: `wasmtime run` of the empty `probe_empty` export on the precompiled
//!    module and on the `.wasm` (compiled per run), and through fresh shard derivations;
//! 6. rerun sets: how many shard derivations change when one file changes, in a temporary copy
//!    of the repository;
//! 7. critical path: the longest shard's share of W and LPT makespans against lower bounds.
//!
//! The pure parts (targets and verdicts, efficiency and ratio arithmetic, rerun-set diffs, the
//! table and the JSON document) are separate from the parts that run commands.

use crate::matrix::{self, DEFAULT_SEED, Shard};
use crate::report::{self, ShardResult, Status};
use crate::run::{self, shell_quote};
use crate::variants::{self, Built, Variants};
use crate::{atomic, plan};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Files whose change should rerun no shard, and files whose change reruns the shards of the
/// variants that use them: (path, expected number of changed shards if there is a target).
pub const RERUN_PROBES: [(&str, Option<f64>); 4] = [
    ("README.md", Some(0.0)),
    ("tools/src/main.rs", Some(0.0)),
    ("rts/testsuite/src/modules/leb128.rs", None),
    ("rts/runtime/src/gc/incremental/mod.rs", None),
];

/// Worker counts simulated by the critical-path step, with the target ratio of makespan to
/// lower bound where there is one.
pub const PLAN_WORKERS: [(usize, Option<f64>); 3] = [(8, Some(1.10)), (32, Some(1.10)), (72, None)];

/// The memory cap of the Nix shards (`maxMemory` in nix/shard.nix), used by the local runs too.
const SHARD_MAX_MEMORY: u64 = 4 << 30;

/// The variant whose module the overhead probes run by default.
const DEFAULT_PROBE_VARIANT: &str = "inc";

/// `rts-shards bench`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Measure the suite's performance figures on this machine, each next to its target",
    long_about = "Measure the suite's performance figures on this machine, each next to its target.\n\n\
        Steps (all by default; --steps selects some, --skip-nix drops those that need Nix):\n  \
        1 sequential: build the variants with `nix build .#packages.<system>.rts-<v>` (timed; \
        usually cached), then run every shard with 1 job (the `run` machinery). The sum of the \
        shard times is the total work W.\n  \
        2 local parallel: the same with --jobs N; wall and efficiency W/(wall x N).\n  \
        3 Nix cold: one warm-up `nix flake check` so that every check (the project checks too) \
        is built, then the shard outputs alone are deleted (`nix store delete`) and \
        `nix flake check --max-jobs N` is timed: wall, W/(wall x N), and W_nix/(wall x N) where \
        W_nix sums the shards' own result.json wall_seconds. The variant builds are reported \
        apart: step 1's build time, or with --cold-variants their rebuild after deleting them.\n  \
        4 Nix warm no-op: the same flake check again; its wall as a fraction of the cold wall \
        (target <= 5%).\n  \
        5 per-shard overhead: (a) `wasmtime run -C cache=n --allow-precompiled --invoke \
        probe_empty <cwasm> 0` --repeat K times, mean; (b) the same on the .wasm, compiled on \
        every run, and the ratio b/a (target >= 5x); (c) K fresh shard derivations of \
        probe_empty (seeds from the clock, never cached) built by one \
        `nix build --impure --expr '[ ... ]' --max-jobs N`: wall/K (target <= 50 ms). One \
        untimed run precedes (a) and (b).\n  \
        6 rerun sets: in a temporary copy of the tracked files (git init + add), append a \
        comment to README.md, tools/src/main.rs, a test module and a file only the incremental \
        collector uses, one at a time, and count the shard checks whose drvPath changes \
        (targets: README 0, tools 0; the others rerun the affected variants).\n  \
        7 critical path: the longest shard's share of W (target <= 5%) and LPT makespans for \
        8, 32 and 72 builders (plan's simulation of step 1's times) against the lower bound \
        max(longest, W/N) (target ratio <= 1.10 for 8 and 32).\n\n\
        Nix runs with --override-input nixpkgs path:<root>/nix/hostpkgs (the host stand-in) \
        unless RTS_SHARDS_NIXPKGS=real; `--expr` builds use nix/standin.nix, or the flake's \
        lib with RTS_SHARDS_NIXPKGS=real. Step 3 deletes the shards' store outputs (and with \
        --cold-variants the variants'); it fails if something else keeps them alive (a result \
        link, say). Nix's output is captured; the end of it is shown when a command fails.\n\n\
        The table goes to stdout line by line as figures come in, progress to stderr. \
        --filter narrows the shards of steps 1-3 and 7 (and which shard outputs step 3 \
        deletes), for a quick run on a subset.\n\n\
        Exit status: 0 when everything was measured, even if targets are missed (it is a \
        measurement, not a test); 2 when something could not be measured (a command failed, a \
        usage error). Shards that fail are reported as a warning and their times still count."
)]
pub struct Args {
    /// Parallel jobs for steps 2, 3 and 5c [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Repetitions K of each overhead probe (step 5)
    #[arg(long, value_name = "K", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Only shards whose name or module matches this glob (repeatable), as in `run --filter`
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Run only these steps, comma separated (figures that need a skipped step are n/a)
    #[arg(long, value_name = "N,...", value_delimiter = ',',
          default_value = "1,2,3,4,5,6,7",
          value_parser = clap::value_parser!(u8).range(1..=7))]
    pub steps: Vec<u8>,
    /// No Nix: only steps 1, 2, 5a/b and 7, on variants from --built/--wasm or built with
    /// nix/build-variant.sh
    #[arg(long)]
    pub skip_nix: bool,
    /// Delete the variant outputs first and time their rebuild (instead of a cached build)
    #[arg(long, conflicts_with = "skip_nix")]
    pub cold_variants: bool,
    /// The variant whose module the overhead probes (step 5) run
    #[arg(long, value_name = "VARIANT", default_value = DEFAULT_PROBE_VARIANT)]
    pub probe_variant: String,
    /// Write the figures as JSON here (atomically)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// With --skip-nix: directory of built variants DIR/<variant>/rts_testsuite.{wasm,cwasm}
    #[arg(long, value_name = "DIR", requires = "skip_nix")]
    pub built: Option<PathBuf>,
    /// With --skip-nix: a variant's module (repeatable), e.g. --wasm ni=x/rts_testsuite.wasm
    #[arg(long, value_name = "VARIANT=PATH", value_parser = variants::parse_wasm_pair,
          requires = "skip_nix")]
    pub wasm: Vec<(String, PathBuf)>,
    /// The wasmtime binary [default: wasmtime on PATH, else /opt/rts-shards/wasmtime/bin/wasmtime]
    #[arg(long, value_name = "PATH")]
    pub wasmtime: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// Pure parts: targets, metrics, arithmetic, rerun sets, rendering.

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Cmp {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "==")]
    Equal,
}

/// A target: the figure must be `cmp` `value` (in the figure's unit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    pub cmp: Cmp,
    pub value: f64,
}

impl Target {
    pub fn at_most(value: f64) -> Target {
        Target {
            cmp: Cmp::AtMost,
            value,
        }
    }
    pub fn at_least(value: f64) -> Target {
        Target {
            cmp: Cmp::AtLeast,
            value,
        }
    }
    pub fn equal(value: f64) -> Target {
        Target {
            cmp: Cmp::Equal,
            value,
        }
    }

    /// Whether `v` meets the target (a relative slack of 1e-9 absorbs rounding).
    pub fn met_by(&self, v: f64) -> bool {
        let eps = 1e-9 * self.value.abs().max(1.0);
        match self.cmp {
            Cmp::AtMost => v <= self.value + eps,
            Cmp::AtLeast => v >= self.value - eps,
            Cmp::Equal => (v - self.value).abs() <= eps,
        }
    }
}

/// Units of the figures; `%` values are percentages (0-100).
pub const SECONDS: &str = "s";
pub const MILLIS: &str = "ms";
pub const PERCENT: &str = "%";
pub const TIMES: &str = "x";
pub const SHARDS: &str = "shards";

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// The step (1-7) it belongs to.
    pub step: u8,
    /// A stable identifier, e.g. `nix_cold.efficiency_w`.
    pub key: String,
    /// What the figure is, for people.
    pub label: String,
    /// `None`: not measured (a step it depends on was skipped).
    pub value: Option<f64>,
    pub unit: &'static str,
    pub target: Option<Target>,
    /// `"ok"` or `"MISS"` when there is a target and a value.
    pub verdict: Option<&'static str>,
}

impl Metric {
    pub fn new(
        step: u8,
        key: &str,
        label: &str,
        value: Option<f64>,
        unit: &'static str,
        target: Option<Target>,
    ) -> Metric {
        let verdict = match (value, target) {
            (Some(v), Some(t)) => Some(if t.met_by(v) { "ok" } else { "MISS" }),
            _ => None,
        };
        Metric {
            step,
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit,
            target,
            verdict,
        }
    }

    pub fn missed(&self) -> bool {
        self.verdict == Some("MISS")
    }
}

/// Formats a value in its unit.
pub fn fmt_value(v: f64, unit: &str) -> String {
    match unit {
        SECONDS => format!("{v:.2} s"),
        MILLIS => format!("{v:.1} ms"),
        PERCENT => format!("{v:.1}%"),
        TIMES => format!("{v:.2}x"),
        SHARDS => format!("{v:.0}"),
        _ => format!("{v:.3} {unit}"),
    }
}

fn fmt_target(t: &Target, unit: &str) -> String {
    let op = match t.cmp {
        Cmp::AtMost => "<=",
        Cmp::AtLeast => ">=",
        Cmp::Equal => "=",
    };
    let v = match unit {
        PERCENT => format!("{:.0}%", t.value),
        TIMES => format!("{}x", t.value),
        MILLIS => format!("{} ms", t.value),
        SECONDS => format!("{} s", t.value),
        SHARDS => format!("{:.0}", t.value),
        _ => format!("{}", t.value),
    };
    format!("{op} {v}")
}

const LABEL_WIDTH: usize = 60;

/// The table's column header.
pub fn table_header() -> String {
    format!(
        "{:<4} {:<LABEL_WIDTH$} {:>12}  {:<10} {}\n",
        "step", "figure", "value", "target", "verdict"
    )
}

/// One table line: step, label, value, target, verdict.
pub fn table_line(m: &Metric) -> String {
    let value = m
        .value
        .map(|v| fmt_value(v, m.unit))
        .unwrap_or_else(|| "n/a".to_string());
    let target = m
        .target
        .map(|t| fmt_target(&t, m.unit))
        .unwrap_or_else(|| "-".to_string());
    let line = format!(
        "{:<4} {:<LABEL_WIDTH$} {:>12}  {:<10} {}",
        m.step,
        m.label,
        value,
        target,
        m.verdict.unwrap_or("")
    );
    format!("{}\n", line.trim_end())
}

/// Efficiency of `work` seconds of shard time done in `wall` seconds by `n` workers, in percent.
pub fn efficiency(work: f64, wall: f64, n: usize) -> Option<f64> {
    (wall > 0.0 && n > 0 && work.is_finite()).then(|| 100.0 * work / (wall * n as f64))
}

/// `a / b`, when defined.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

/// The arithmetic mean, in milliseconds, of durations in seconds.
pub fn mean_ms(seconds: &[f64]) -> Option<f64> {
    (!seconds.is_empty()).then(|| 1000.0 * seconds.iter().sum::<f64>() / seconds.len() as f64)
}

/// The shards (among `names`) whose drvPath differs between two name -> drvPath maps; a name
/// missing from either map counts as changed.
pub fn rerun_set(
    base: &BTreeMap<String, String>,
    modified: &BTreeMap<String, String>,
    names: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| match (base.get(*n), modified.get(*n)) {
            (Some(a), Some(b)) => a != b,
            _ => true,
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Counts shard names (`<variant>-<module>`) per variant.
pub fn per_variant(names: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for n in names {
        let v = n.split_once('-').map(|(v, _)| v).unwrap_or(n);
        *m.entry(v.to_string()).or_insert(0) += 1;
    }
    m
}

/// A one-line comment in the syntax of `path`'s language, appended to change the file.
pub fn comment_line(path: &str) -> &'static str {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "md" | "html" => "<!-- rts-shards bench: rerun-set probe -->\n",
        "rs" | "c" | "h" | "js" => "// rts-shards bench: rerun-set probe\n",
        _ => "# rts-shards bench: rerun-set probe\n",
    }
}

/// `contents` with a comment line appended (after a newline if it does not end with one).
pub fn append_comment(contents: &[u8], path: &str) -> Vec<u8> {
    let mut v = contents.to_vec();
    if !v.is_empty() && !v.ends_with(b"\n") {
        v.push(b'\n');
    }
    v.extend_from_slice(comment_line(path).as_bytes());
    v
}

/// The critical-path figures (step 7) from per-shard times.
pub fn critical_path_metrics(times: &[(String, f64)]) -> (Vec<Metric>, Vec<PlanRow>) {
    let jobs: Vec<plan::Job> = times
        .iter()
        .map(|(n, s)| plan::Job {
            name: n.clone(),
            seconds: *s,
        })
        .collect();
    let total: f64 = times.iter().map(|(_, s)| s).sum();
    let longest = times
        .iter()
        .map(|(_, s)| *s)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let longest_name = times
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let share = longest.and_then(|l| ratio(l, total)).map(|r| r * 100.0);
    let mut metrics = vec![Metric::new(
        7,
        "critical.longest_share",
        &format!("longest shard's share of W ({longest_name})"),
        share,
        PERCENT,
        Some(Target::at_most(5.0)),
    )];
    let mut rows = Vec::new();
    for (n, target) in PLAN_WORKERS {
        let (makespan, bound) = if jobs.is_empty() {
            (None, None)
        } else {
            let s = plan::lpt(&jobs, n);
            (Some(s.makespan), Some(s.lower_bound))
        };
        let r = match (makespan, bound) {
            (Some(m), Some(b)) => ratio(m, b),
            _ => None,
        };
        metrics.push(Metric::new(
            7,
            &format!("critical.makespan_{n}"),
            &format!("LPT makespan, {n} builders"),
            makespan,
            SECONDS,
            None,
        ));
        metrics.push(Metric::new(
            7,
            &format!("critical.lower_bound_{n}"),
            &format!("lower bound max(longest, W/{n})"),
            bound,
            SECONDS,
            None,
        ));
        metrics.push(Metric::new(
            7,
            &format!("critical.ratio_{n}"),
            &format!("makespan / lower bound, {n} builders"),
            r,
            TIMES,
            target.map(Target::at_most),
        ));
        rows.push(PlanRow {
            workers: n,
            makespan_seconds: makespan,
            lower_bound_seconds: bound,
            ratio: r,
        });
    }
    (metrics, rows)
}

/// One simulated worker count of step 7.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRow {
    pub workers: usize,
    pub makespan_seconds: Option<f64>,
    pub lower_bound_seconds: Option<f64>,
    pub ratio: Option<f64>,
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
    /// Per-shard wall seconds of the sequential run (step 1).
    pub shard_seconds: BTreeMap<String, f64>,
    pub warnings: Vec<String>,
    pub targets_met: usize,
    pub targets_missed: usize,
}

/// `(met, missed)` over the metrics that have a target and a value.
pub fn tally(metrics: &[Metric]) -> (usize, usize) {
    let met = metrics.iter().filter(|m| m.verdict == Some("ok")).count();
    let missed = metrics.iter().filter(|m| m.missed()).count();
    (met, missed)
}

/// The closing line of the table.
pub fn tally_line(metrics: &[Metric]) -> String {
    let (met, missed) = tally(metrics);
    let missed_keys: Vec<&str> = metrics
        .iter()
        .filter(|m| m.missed())
        .map(|m| m.key.as_str())
        .collect();
    if missed == 0 {
        format!("targets: {met} ok, 0 missed\n")
    } else {
        format!(
            "targets: {met} ok, {missed} missed ({})\n",
            missed_keys.join(", ")
        )
    }
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
    format!(
        "rts-shards bench\n\
         date:     {}\n\
         command:  {}\n\
         machine:  {} cores, {mem}, {} ({})\n\
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

/// Out paths of `nix build --json` output (not necessarily in the order of the installables).
pub fn build_json_out_paths(text: &str) -> Result<Vec<String>> {
    let v: serde_json::Value =
        serde_json::from_str(text).context("malformed `nix build --json` output")?;
    let arr = v
        .as_array()
        .context("`nix build --json` output is not an array")?;
    arr.iter()
        .map(|e| {
            e.get("outputs")
                .and_then(|o| o.get("out"))
                .and_then(|o| o.as_str())
                .map(str::to_string)
                .context("`nix build --json` entry without outputs.out")
        })
        .collect()
}

/// The store path among `paths` whose name (after the hash) is `name`.
pub fn store_path_named<'a>(paths: &'a [String], name: &str) -> Option<&'a String> {
    paths.iter().find(|p| {
        Path::new(p)
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.split_once('-'))
            .is_some_and(|(_, n)| n == name)
    })
}

/// A `nix eval --json` name -> string map.
pub fn string_map(text: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(text).context("malformed `nix eval --json` output (expected name -> path)")
}

/// The Nix expression building `seeds.len()` probe shards (step 5c).
pub fn probe_expr(real_nixpkgs: bool, variant: &str, seeds: &[u64]) -> String {
    let shard = if real_nixpkgs {
        "(builtins.getFlake (toString ./.)).lib.${builtins.currentSystem}.shard"
    } else {
        "(import ./nix/standin.nix).lib.shard"
    };
    let items: Vec<String> = seeds
        .iter()
        .map(|s| {
            format!(
                "(shard {{ variant = \"{variant}\"; module = \"bench\"; export = \"probe_empty\"; seed = {s}; }})"
            )
        })
        .collect();
    format!("let shard = {shard}; in [ {} ]", items.join(" "))
}

// ---------------------------------------------------------------------------------------------
// Running commands.

/// A directory removed (recursively) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "rts-shards-bench-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs a command to completion with stdout and stderr captured; returns its wall time and
/// stdout. A failure is an error quoting the end of its stderr.
fn timed(cmd: &mut Command, what: &str) -> Result<(f64, String)> {
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    let wall = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}",
            out.status,
            last_lines(&String::from_utf8_lossy(&out.stderr), 30)
        );
    }
    Ok((wall, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn progress(msg: &str) {
    eprintln!("bench: {msg}");
}

/// How to call Nix: the repository, the system and the flags that pick nixpkgs.
struct Nix {
    root: PathBuf,
    system: String,
    real: bool,
}

impl Nix {
    /// The flake flags for a checkout at `dir`: the stand-in unless RTS_SHARDS_NIXPKGS=real.
    fn flake_flags(&self, dir: &Path) -> Vec<String> {
        if self.real {
            Vec::new()
        } else {
            vec![
                "--override-input".into(),
                "nixpkgs".into(),
                format!("path:{}", dir.join("nix").join("hostpkgs").display()),
            ]
        }
    }

    /// `nix <args>` in `dir`, plus the flake flags when `flake` is set.
    fn cmd(&self, dir: &Path, args: &[&str], flake: bool) -> Command {
        let mut c = Command::new("nix");
        c.current_dir(dir).args(args);
        if flake {
            c.args(self.flake_flags(dir));
        }
        c
    }

    /// `nix eval --json .#<attr> --apply 'x: builtins.mapAttrs (n: d: d.<field>) x'` in `dir`.
    fn eval_map(&self, dir: &Path, attr: &str, field: &str) -> Result<BTreeMap<String, String>> {
        let installable = format!(".#{attr}");
        let apply = format!("x: builtins.mapAttrs (n: d: d.{field}) x");
        let (_, out) = timed(
            &mut self.cmd(
                dir,
                &["eval", "--json", &installable, "--apply", &apply],
                true,
            ),
            &format!("nix eval {installable} ({field})"),
        )?;
        string_map(&out)
    }

    /// `nix flake check --max-jobs N` in the repository; its wall time.
    fn flake_check(&self, jobs: usize) -> Result<f64> {
        let n = jobs.to_string();
        Ok(timed(
            &mut self.cmd(&self.root, &["flake", "check", "--max-jobs", &n], true),
            "nix flake check",
        )?
        .0)
    }

    /// The GC roots that keep `path` alive (`nix-store --query --roots`), e.g. a result link.
    fn roots(&self, path: &str) -> Result<Vec<String>> {
        if !Path::new(path).exists() {
            return Ok(Vec::new());
        }
        let (_, out) = timed(
            Command::new("nix-store").args(["--query", "--roots", path]),
            "nix-store --query --roots",
        )?;
        Ok(gc_roots(&out))
    }

    /// `nix store delete` of the paths that exist, together with the store paths that refer to
    /// them (e.g. the Hydra aggregate `all-shards`, which Nix would otherwise keep them alive
    /// for); returns those extra referrers. A path reachable from a GC root is an error.
    fn delete(&self, paths: &[String]) -> Result<Vec<String>> {
        let existing: Vec<&str> = paths
            .iter()
            .filter(|p| Path::new(p).exists())
            .map(String::as_str)
            .collect();
        if existing.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Command::new("nix-store");
        q.args(["--query", "--referrers-closure"]).args(&existing);
        let (_, out) = timed(&mut q, "nix-store --query --referrers-closure")?;
        let closure: Vec<String> = out.lines().map(str::to_string).collect();
        let extra = extra_referrers(&existing, &closure);
        let mut args = vec!["store", "delete"];
        args.extend(existing.iter().copied());
        args.extend(extra.iter().map(String::as_str));
        timed(
            &mut self.cmd(&self.root, &args, false),
            "nix store delete (is a result link or another process keeping the paths alive? \
             see nix-store --query --roots PATH)",
        )?;
        Ok(extra)
    }
}

/// The roots in `nix-store --query --roots` output (`<root> -> <path>` lines); running
/// processes (`/proc/...`) count, as they keep a path alive too.
pub fn gc_roots(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split(" -> ").next())
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// The paths of a referrers closure that are not among the paths asked for, sorted.
pub fn extra_referrers(asked: &[&str], closure: &[String]) -> Vec<String> {
    let mut v: Vec<String> = closure
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && !asked.contains(p))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn nix_version() -> Result<String> {
    let (_, out) = timed(
        Command::new("nix").arg("--version"),
        "nix --version (is Nix installed? use --skip-nix otherwise)",
    )?;
    Ok(out.trim().to_string())
}

fn nix_system() -> Result<String> {
    let (_, out) = timed(
        Command::new("nix").args([
            "eval",
            "--impure",
            "--raw",
            "--expr",
            "builtins.currentSystem",
        ]),
        "nix eval builtins.currentSystem",
    )?;
    Ok(out.trim().to_string())
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The table so far: printed line by line, collected for the JSON document.
struct Table {
    metrics: Vec<Metric>,
}

impl Table {
    fn push(&mut self, m: Metric) {
        print!("{}", table_line(&m));
        use std::io::Write;
        let _ = std::io::stdout().flush();
        self.metrics.push(m);
    }
}

/// The shard selection of `--filter` over the committed matrix.
fn matrix_shards(root: &Path, filter: &[String]) -> Result<Vec<Shard>> {
    let path = root.join("nix").join("shards.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let m: matrix::Matrix =
        serde_json::from_str(&text).with_context(|| format!("malformed {}", path.display()))?;
    run::filter_shards(m.shards, filter)
}

/// Runs the selected shards with `jobs` workers through the `run` machinery.
fn local_run(
    built: &[Built],
    wasmtime: &Path,
    filter: &[String],
    jobs: usize,
) -> Result<run::RunOutcome> {
    let a = run::Args {
        variants: None,
        built: None,
        wasm: built
            .iter()
            .map(|b| (b.variant.clone(), b.wasm.clone()))
            .collect(),
        build_dir: None,
        variant: built.iter().map(|b| b.variant.clone()).collect(),
        filter: filter.to_vec(),
        jobs: Some(jobs),
        fail_fast: false,
        timeout: None,
        max_memory: Some(SHARD_MAX_MEMORY),
        seed: DEFAULT_SEED,
        junit: None,
        json: None,
        timings: None,
        record_timings: None,
        wasmtime: Some(wasmtime.to_path_buf()),
        log_dir: None,
    };
    run::execute_run(a, true)
}

fn warn_failures(what: &str, results: &[ShardResult], warnings: &mut Vec<String>) {
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| r.name.as_str())
        .collect();
    if !failed.is_empty() {
        let w = format!(
            "{what}: {} shard(s) failed, their times still count: {}",
            failed.len(),
            failed.join(" ")
        );
        eprintln!("warning: {w}");
        warnings.push(w);
    }
}

/// The built variants and, when they were built now, how long that took and how.
type VariantBuilds = (Vec<Built>, Option<(f64, String)>);

/// Reports the referrers `Nix::delete` deleted beside the paths it was asked to.
fn note_extra(extra: &[String], warnings: &mut Vec<String>) {
    if !extra.is_empty() {
        let w = format!(
            "also deleted {} unrooted store path(s) referring to them: {}",
            extra.len(),
            extra.join(" ")
        );
        eprintln!("warning: {w}");
        warnings.push(w);
    }
}

/// The variants, built by Nix (step 1's build), or from --built/--wasm or build-variant.sh.
fn variant_builds(
    args: &Args,
    root: &Path,
    vs: &Variants,
    nix: Option<&Nix>,
    wasmtime: &Path,
) -> Result<VariantBuilds> {
    let names: Vec<String> = vs.keys().cloned().collect();
    if let Some(nix) = nix {
        let attrs: Vec<String> = names
            .iter()
            .map(|v| format!(".#packages.{}.rts-{v}", nix.system))
            .collect();
        let mut label = "variant builds: nix build (cached if unchanged)";
        if args.cold_variants {
            let outs = nix.eval_map(root, &format!("packages.{}", nix.system), "outPath")?;
            let paths: Vec<String> = names
                .iter()
                .filter_map(|v| outs.get(&format!("rts-{v}")).cloned())
                .collect();
            progress(&format!("deleting {} variant outputs", paths.len()));
            note_extra(&nix.delete(&paths)?, &mut Vec::new());
            label = "variant builds: nix build after deleting them";
        }
        progress(&format!("nix build of the {} variants", names.len()));
        let links = TempDir::new("variants")?;
        let link = links.path().join("rts");
        let link_s = link.to_string_lossy().into_owned();
        let mut a: Vec<&str> = vec!["build", "--json", "--out-link", &link_s];
        a.extend(attrs.iter().map(String::as_str));
        let (wall, out) = timed(&mut nix.cmd(root, &a, true), "nix build of the variants")?;
        let paths = build_json_out_paths(&out)?;
        // The out links are removed with `links`; the paths stay valid for this run unless a
        // garbage collection runs meanwhile (step 3 deletes only shard outputs).
        let built = names
            .iter()
            .map(|v| {
                let p = store_path_named(&paths, &format!("rts-{v}"))
                    .with_context(|| format!("nix build returned no output for rts-{v}"))?;
                variants::built_from_wasm(v, &Path::new(p).join(variants::WASM_FILE))
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((built, Some((wall, label.to_string()))));
    }
    if args.built.is_some() || !args.wasm.is_empty() {
        let built = variants::resolve_built(vs, &names, args.built.as_deref(), &args.wasm)?;
        return Ok((built, None));
    }
    let script = root.join("nix").join("build-variant.sh");
    let dir = root.join("target").join("rts-shards");
    let start = Instant::now();
    let mut built = Vec::new();
    for v in &names {
        built.push(run::build_variant(
            &script,
            &root.join("rts"),
            v,
            &vs[v],
            &dir.join(v),
            wasmtime,
        )?);
    }
    Ok((
        built,
        Some((
            start.elapsed().as_secs_f64(),
            "variant builds: nix/build-variant.sh".to_string(),
        )),
    ))
}

/// Step 5a/b: mean wall of K runs of `probe_empty`.
fn probe_runs(
    wasmtime: &Path,
    flags: &[String],
    module: &Path,
    precompiled: bool,
    k: u32,
) -> Result<Vec<f64>> {
    let mut a: Vec<String> = vec!["run".into(), "-C".into(), "cache=n".into()];
    a.extend(flags.iter().cloned());
    if precompiled {
        a.push("--allow-precompiled".into());
    }
    a.extend([
        "--invoke".into(),
        "probe_empty".into(),
        module.to_string_lossy().into_owned(),
        "0".into(),
    ]);
    let what = format!("{} {}", wasmtime.display(), a.join(" "));
    let mut times = Vec::new();
    // One untimed run first (page cache).
    for i in 0..=k {
        let (wall, _) = timed(Command::new(wasmtime).args(&a), &what)?;
        if i > 0 {
            times.push(wall);
        }
    }
    Ok(times)
}

/// Copies the tracked files of `root` into `dest` and makes it a git repository with them added.
fn tracked_copy(root: &Path, dest: &Path) -> Result<()> {
    let (_, out) = timed(
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["ls-files", "-z"]),
        "git ls-files",
    )?;
    for rel in out.split('\0').filter(|s| !s.is_empty()) {
        let from = root.join(rel);
        let to = dest.join(rel);
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let meta = match std::fs::symlink_metadata(&from) {
            Ok(m) => m,
            Err(_) => continue, // deleted in the working tree
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from)?;
            std::os::unix::fs::symlink(&target, &to)
                .with_context(|| format!("cannot link {}", to.display()))?;
        } else {
            std::fs::copy(&from, &to).with_context(|| format!("cannot copy {rel}"))?;
        }
    }
    let git = |args: &[&str]| -> Result<()> {
        timed(
            Command::new("git").arg("-C").arg(dest).args(args),
            &format!("git {}", args.join(" ")),
        )
        .map(|_| ())
    };
    git(&["init", "-q"])?;
    git(&["add", "-A"])?;
    Ok(())
}

/// Step 6: the rerun set of each probe file.
fn rerun_sets(nix: &Nix, root: &Path) -> Result<Vec<(RerunSet, Option<f64>)>> {
    let copy = TempDir::new("rerun")?;
    let dir = copy.path();
    progress(&format!("copying the tracked files to {}", dir.display()));
    tracked_copy(root, dir)?;
    let names: Vec<String> = matrix_shards(dir, &[])?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let attr = format!("checks.{}", nix.system);
    let base = nix.eval_map(dir, &attr, "drvPath")?;
    let mut out = Vec::new();
    for (file, target) in RERUN_PROBES {
        progress(&format!("rerun set of a change to {file}"));
        let p = dir.join(file);
        let original = std::fs::read(&p).with_context(|| format!("cannot read {file}"))?;
        std::fs::write(&p, append_comment(&original, file))?;
        let git_add = || {
            timed(
                Command::new("git").arg("-C").arg(dir).args(["add", file]),
                "git add",
            )
        };
        git_add()?;
        let modified = nix.eval_map(dir, &attr, "drvPath");
        std::fs::write(&p, &original)?;
        git_add()?;
        let changed = rerun_set(&base, &modified?, &names);
        out.push((
            RerunSet {
                file: file.to_string(),
                changed: changed.len(),
                total: names.len(),
                per_variant: per_variant(&changed),
            },
            target,
        ));
    }
    Ok(out)
}

/// Runs `rts-shards bench`.
pub fn command(args: Args) -> Result<ExitCode> {
    let root = variants::repo_root();
    let vs = variants::load(&root.join("nix").join("variants.json"))?;
    variants::check_known(&vs, &args.probe_variant)?;
    let jobs = match args.jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    if let Some(p) = &args.json {
        if let Some(dir) = p.parent() {
            if !dir.as_os_str().is_empty() && !dir.is_dir() {
                bail!(
                    "cannot write {}: directory {} does not exist",
                    p.display(),
                    dir.display()
                );
            }
        }
    }
    let mut steps: Vec<u8> = args.steps.clone();
    if args.skip_nix {
        steps.retain(|s| ![3, 4, 6].contains(s));
    }
    steps.sort();
    steps.dedup();
    let step = |n: u8| steps.contains(&n);
    let wasmtime = run::resolve_wasmtime(args.wasmtime.as_deref())?;
    let wasmtime_version = run::wasmtime_version(&wasmtime)?;
    let (nix, nix_version) = if args.skip_nix {
        (None, None)
    } else {
        let version = nix_version()?;
        let nix = Nix {
            root: root.clone(),
            system: nix_system()?,
            real: std::env::var("RTS_SHARDS_NIXPKGS").as_deref() == Ok("real"),
        };
        (Some(nix), Some(version))
    };
    let command = std::iter::once("rts-shards".to_string())
        .chain(std::env::args().skip(1))
        .map(|w| shell_quote(&w))
        .collect::<Vec<_>>()
        .join(" ");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut report = BenchReport {
        date: utc_date(now),
        command,
        machine: Machine {
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_kib: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|t| mem_total_kib(&t)),
            cpu_model: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|t| cpu_model(&t)),
            system: nix
                .as_ref()
                .map(|n| n.system.clone())
                .unwrap_or_else(|| format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)),
        },
        wasmtime_version,
        nix_version,
        nixpkgs: nix
            .as_ref()
            .map(|n| if n.real { "real" } else { "host stand-in" }.to_string()),
        jobs,
        repeat: args.repeat,
        filter: args.filter.clone(),
        steps: steps.clone(),
        metrics: Vec::new(),
        rerun_sets: Vec::new(),
        plan: Vec::new(),
        shard_seconds: BTreeMap::new(),
        warnings: Vec::new(),
        targets_met: 0,
        targets_missed: 0,
    };
    print!("{}", header(&report));
    print!("{}", table_header());
    let mut t = Table {
        metrics: Vec::new(),
    };
    let n_label = format!("N={jobs}");

    // Step 1 (and what 2 and 5 need): the variants, then the sequential run.
    let mut built: Vec<Built> = Vec::new();
    let mut variant_build_seconds = None;
    if step(1) || step(2) || step(5) {
        let (b, time) = variant_builds(&args, &root, &vs, nix.as_ref(), &wasmtime)?;
        built = b;
        if let Some((secs, label)) = time {
            variant_build_seconds = Some(secs);
            t.push(Metric::new(
                1,
                "variants.build_seconds",
                &label,
                Some(secs),
                SECONDS,
                None,
            ));
        }
    }
    let mut work: Option<f64> = None;
    let mut seq_times: Vec<(String, f64)> = Vec::new();
    if step(1) {
        progress("sequential run (1 job)");
        let o = local_run(&built, &wasmtime, &args.filter, 1)?;
        warn_failures("sequential run", &o.results, &mut report.warnings);
        let w: f64 = o.results.iter().map(|r| r.wall_seconds).sum();
        work = Some(w);
        seq_times = o
            .results
            .iter()
            .map(|r| (r.name.clone(), r.wall_seconds))
            .collect();
        report.shard_seconds = seq_times.iter().cloned().collect();
        t.push(Metric::new(
            1,
            "sequential.work_seconds",
            &format!("total work W (sum of {} shard times)", o.results.len()),
            Some(w),
            SECONDS,
            None,
        ));
        t.push(Metric::new(
            1,
            "sequential.wall_seconds",
            "sequential wall, 1 job",
            Some(o.wall_seconds),
            SECONDS,
            None,
        ));
    }

    // Step 2: local parallel.
    if step(2) {
        progress(&format!("local parallel run ({jobs} jobs)"));
        let o = local_run(&built, &wasmtime, &args.filter, jobs)?;
        warn_failures("parallel run", &o.results, &mut report.warnings);
        t.push(Metric::new(
            2,
            "parallel.wall_seconds",
            &format!("local parallel wall, {jobs} jobs"),
            Some(o.wall_seconds),
            SECONDS,
            None,
        ));
        t.push(Metric::new(
            2,
            "parallel.efficiency",
            &format!("local efficiency W/(wall x {jobs})"),
            work.and_then(|w| efficiency(w, o.wall_seconds, jobs)),
            PERCENT,
            None,
        ));
    }

    // Steps 3 and 4: Nix cold and warm no-op.
    let mut cold_wall = None;
    if let (Some(nix), true) = (nix.as_ref(), step(3)) {
        progress(&format!(
            "warm-up nix flake check --max-jobs {jobs} (builds every check not yet built)"
        ));
        let warm_up = nix.flake_check(jobs)?;
        t.push(Metric::new(
            3,
            "nix_cold.warm_up_seconds",
            "warm-up flake check (not counted)",
            Some(warm_up),
            SECONDS,
            None,
        ));
        let shards = matrix_shards(&root, &args.filter)?;
        if shards.is_empty() {
            bail!("no shard of nix/shards.json matches --filter");
        }
        if step(1) && shards.len() != seq_times.len() {
            let w = format!(
                "nix/shards.json has {} shards where the built variants export {} (stale \
                 matrix?); W and W_nix cover different shards",
                shards.len(),
                seq_times.len()
            );
            eprintln!("warning: {w}");
            report.warnings.push(w);
        }
        let outs = nix.eval_map(&root, &format!("checks.{}", nix.system), "outPath")?;
        let mut by_path: BTreeMap<String, String> = BTreeMap::new();
        for s in &shards {
            match outs.get(&s.name) {
                Some(p) => by_path.insert(p.clone(), s.name.clone()),
                None => bail!(
                    "nix/shards.json names {} but the flake has no such check",
                    s.name
                ),
            };
        }
        // Outputs a GC root keeps alive (someone's result link) cannot be deleted; they are
        // left alone, reported, and left out of W and W_nix.
        let mut paths = Vec::new();
        let mut kept = Vec::new();
        for (p, name) in &by_path {
            match nix.roots(p)? {
                r if r.is_empty() => paths.push(p.clone()),
                r => kept.push(format!("{name} (root {})", r.join(", "))),
            }
        }
        if !kept.is_empty() {
            let w = format!(
                "{} shard output(s) kept alive by GC roots, not deleted and left out of the cold \
                 figures: {}",
                kept.len(),
                kept.join("; ")
            );
            eprintln!("warning: {w}");
            report.warnings.push(w);
        }
        progress(&format!("deleting {} shard outputs", paths.len()));
        note_extra(&nix.delete(&paths)?, &mut report.warnings);
        if let Some(p) = paths.iter().find(|p| Path::new(p).exists()) {
            bail!("{p} still exists after nix store delete");
        }
        progress(&format!("nix flake check --max-jobs {jobs} (cold shards)"));
        let wall = nix.flake_check(jobs)?;
        cold_wall = Some(wall);
        let mut w_nix = 0.0;
        for p in &paths {
            w_nix += report::load_result(&Path::new(p).join("result.json"))?.wall_seconds;
        }
        // W of the shards that ran cold (all of them unless some were kept).
        let rebuilt: Vec<&String> = paths.iter().map(|p| &by_path[p]).collect();
        let work_cold = step(1).then(|| {
            seq_times
                .iter()
                .filter(|(n, _)| rebuilt.contains(&n))
                .map(|(_, s)| s)
                .sum::<f64>()
        });
        let rebuilt_note = if kept.is_empty() {
            String::new()
        } else {
            format!(" ({} rebuilt)", paths.len())
        };
        t.push(Metric::new(
            3,
            "nix_cold.wall_seconds",
            &format!("Nix cold wall, {} shards, --max-jobs {jobs}", paths.len()),
            Some(wall),
            SECONDS,
            None,
        ));
        t.push(Metric::new(
            3,
            "nix_cold.efficiency_w",
            &format!("Nix cold efficiency W/(wall x {jobs}){rebuilt_note}"),
            work_cold.and_then(|w| efficiency(w, wall, jobs)),
            PERCENT,
            None,
        ));
        t.push(Metric::new(
            3,
            "nix_cold.work_nix_seconds",
            "W_nix (sum of the shards' result.json times)",
            Some(w_nix),
            SECONDS,
            None,
        ));
        t.push(Metric::new(
            3,
            "nix_cold.efficiency_w_nix",
            &format!("Nix cold efficiency W_nix/(wall x {jobs})"),
            efficiency(w_nix, wall, jobs),
            PERCENT,
            None,
        ));
        t.push(Metric::new(
            3,
            "nix_cold.variant_build_seconds",
            if args.cold_variants {
                "variant builds, cold (step 1's nix build)"
            } else {
                "variant builds (step 1's nix build; --cold-variants)"
            },
            variant_build_seconds,
            SECONDS,
            None,
        ));
    }
    if let (Some(nix), true) = (nix.as_ref(), step(4)) {
        progress("nix flake check again (warm no-op)");
        let wall = nix.flake_check(jobs)?;
        t.push(Metric::new(
            4,
            "nix_warm.wall_seconds",
            "Nix warm no-op wall",
            Some(wall),
            SECONDS,
            None,
        ));
        t.push(Metric::new(
            4,
            "nix_warm.fraction_of_cold",
            "no-op wall / cold wall",
            cold_wall.and_then(|c| ratio(wall, c)).map(|r| r * 100.0),
            PERCENT,
            Some(Target::at_most(5.0)),
        ));
    }

    // Step 5: per-shard overhead.
    if step(5) {
        let b = built
            .iter()
            .find(|b| b.variant == args.probe_variant)
            .context("probe variant not built")?;
        let flags = &vs[&args.probe_variant].wasmtime_flags;
        let k = args.repeat;
        let mut a_ms = None;
        if let Some(cwasm) = &b.cwasm {
            progress(&format!("{k} runs of probe_empty on the .cwasm"));
            a_ms = mean_ms(&probe_runs(&wasmtime, flags, cwasm, true, k)?);
        } else {
            let w = format!(
                "variant {}: no .cwasm beside {}; 5a not measured",
                b.variant,
                b.wasm.display()
            );
            eprintln!("warning: {w}");
            report.warnings.push(w);
        }
        t.push(Metric::new(
            5,
            "overhead.precompiled_ms",
            &format!("(a) probe_empty on the .cwasm ({}), mean of {k}", b.variant),
            a_ms,
            MILLIS,
            None,
        ));
        progress(&format!(
            "{k} runs of probe_empty on the .wasm (compiled per run)"
        ));
        let b_ms = mean_ms(&probe_runs(&wasmtime, flags, &b.wasm, false, k)?);
        t.push(Metric::new(
            5,
            "overhead.compiled_ms",
            &format!("(b) probe_empty on the .wasm, -C cache=n, mean of {k}"),
            b_ms,
            MILLIS,
            None,
        ));
        t.push(Metric::new(
            5,
            "overhead.compile_ratio",
            "(b) / (a)",
            match (b_ms, a_ms) {
                (Some(x), Some(y)) => ratio(x, y),
                _ => None,
            },
            TIMES,
            Some(Target::at_least(5.0)),
        ));
        if let Some(nix) = nix.as_ref() {
            let base = (unix_nanos() / 1000) as u64;
            let n = jobs.to_string();
            let build = |seeds: &[u64]| {
                let expr = probe_expr(nix.real, &args.probe_variant, seeds);
                let a = [
                    "build",
                    "--impure",
                    "--no-link",
                    "--json",
                    "--max-jobs",
                    &n,
                    "--expr",
                    &expr,
                ];
                timed(
                    &mut nix.cmd(&root, &a, false),
                    "nix build of the probe shards",
                )
            };
            // One untimed probe first, so that what the probes depend on (the variant as the
            // stand-in or flake evaluates it) is built and only the shards themselves are timed.
            progress("one untimed probe shard (builds its dependencies if needed)");
            let (_, out) = build(&[base])?;
            let mut garbage = build_json_out_paths(&out).unwrap_or_default();
            progress(&format!(
                "{k} fresh probe_empty shard derivations, one nix build"
            ));
            let seeds: Vec<u64> = (1..=u64::from(k)).map(|i| base + i).collect();
            let (wall, out) = build(&seeds)?;
            t.push(Metric::new(
                5,
                "overhead.nix_shard_ms",
                &format!("(c) fresh probe shard derivations, wall/{k} ({n_label})"),
                Some(1000.0 * wall / f64::from(k)),
                MILLIS,
                Some(Target::at_most(50.0)),
            ));
            // The probes are garbage now; leaving them would only clutter the store.
            garbage.extend(build_json_out_paths(&out).unwrap_or_default());
            let _ = nix.delete(&garbage);
        }
    }

    // Step 6: rerun sets.
    if let (Some(nix), true) = (nix.as_ref(), step(6)) {
        for (set, target) in rerun_sets(nix, &root)? {
            let variants = if set.per_variant.is_empty() {
                "none".to_string()
            } else {
                set.per_variant
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            t.push(Metric::new(
                6,
                &format!("rerun.{}", set.file),
                &format!("rerun set: {} [{variants}]", set.file),
                Some(set.changed as f64),
                SHARDS,
                target.map(Target::equal),
            ));
            report.rerun_sets.push(set);
        }
    }

    // Step 7: critical path, from the sequential times.
    if step(7) {
        let (metrics, rows) = critical_path_metrics(&seq_times);
        for m in metrics {
            t.push(m);
        }
        report.plan = rows;
    }

    print!("\n{}", tally_line(&t.metrics));
    for w in &report.warnings {
        println!("warning: {w}");
    }
    let (met, missed) = tally(&t.metrics);
    report.targets_met = met;
    report.targets_missed = missed;
    report.metrics = t.metrics;
    if let Some(p) = &args.json {
        atomic::write_json_atomic(p, &report)?;
        eprintln!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn targets_and_verdicts() {
        assert!(Target::at_most(5.0).met_by(5.0));
        assert!(!Target::at_most(5.0).met_by(5.01));
        assert!(Target::at_least(5.0).met_by(7.0));
        assert!(!Target::at_least(5.0).met_by(4.99));
        assert!(Target::equal(0.0).met_by(0.0));
        assert!(!Target::equal(0.0).met_by(1.0));
        // Rounding slack.
        assert!(Target::at_most(1.1).met_by(1.1000000000001));
        let ok = Metric::new(4, "k", "l", Some(3.0), PERCENT, Some(Target::at_most(5.0)));
        assert_eq!(ok.verdict, Some("ok"));
        let miss = Metric::new(4, "k", "l", Some(6.0), PERCENT, Some(Target::at_most(5.0)));
        assert_eq!(miss.verdict, Some("MISS"));
        assert!(miss.missed());
        assert_eq!(
            Metric::new(4, "k", "l", None, PERCENT, Some(Target::at_most(5.0))).verdict,
            None
        );
        assert_eq!(
            Metric::new(4, "k", "l", Some(1.0), SECONDS, None).verdict,
            None
        );
        assert_eq!(tally(&[ok.clone(), miss.clone(), ok]), (2, 1));
        assert_eq!(
            tally_line(std::slice::from_ref(&miss)),
            "targets: 0 ok, 1 missed (k)\n"
        );
    }

    #[test]
    fn arithmetic() {
        // 60 s of work in 40 s on 2 workers: 75%.
        assert_eq!(efficiency(60.0, 40.0, 2), Some(75.0));
        assert_eq!(efficiency(60.0, 0.0, 2), None);
        assert_eq!(efficiency(60.0, 10.0, 0), None);
        assert_eq!(ratio(1.0, 4.0), Some(0.25));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(
            mean_ms(&[0.010, 0.020, 0.030]).map(|m| m.round()),
            Some(20.0)
        );
        assert_eq!(mean_ms(&[]), None);
    }

    #[test]
    fn rerun_set_diffs_two_maps() {
        let base = map(&[
            ("ni-a", "/d/1"),
            ("ni-b", "/d/2"),
            ("inc-a", "/d/3"),
            ("tools-test", "/d/4"),
        ]);
        let same = base.clone();
        let all = names(&["ni-a", "ni-b", "inc-a"]);
        assert!(rerun_set(&base, &same, &all).is_empty());
        let mut m = base.clone();
        m.insert("inc-a".into(), "/d/9".into());
        m.insert("tools-test".into(), "/d/8".into()); // not a shard: not counted
        assert_eq!(rerun_set(&base, &m, &all), ["inc-a"]);
        m.remove("ni-b");
        assert_eq!(rerun_set(&base, &m, &all), ["inc-a", "ni-b"]);
        let changed = rerun_set(&base, &m, &all);
        let pv = per_variant(&changed);
        assert_eq!(pv.get("inc"), Some(&1));
        assert_eq!(pv.get("ni"), Some(&1));
        assert_eq!(per_variant(&names(&["64-x", "64-y"])).get("64"), Some(&2));
    }

    #[test]
    fn comments_per_language() {
        assert_eq!(
            append_comment(b"# t\n", "README.md"),
            b"# t\n<!-- rts-shards bench: rerun-set probe -->\n"
        );
        assert_eq!(
            append_comment(b"fn f() {}", "a/b.rs"),
            b"fn f() {}\n// rts-shards bench: rerun-set probe\n"
        );
        assert!(comment_line("x.nix").starts_with('#'));
        assert!(comment_line("x.sh").starts_with('#'));
    }

    #[test]
    fn critical_path_hand_computed() {
        // 100 shards of 1 s and one of 4 s: W = 104, longest share 3.85%.
        let mut times: Vec<(String, f64)> =
            (0..100).map(|i| (format!("ni-m{i:03}"), 1.0)).collect();
        times.push(("64-gc".into(), 4.0));
        let (m, rows) = critical_path_metrics(&times);
        let share = &m[0];
        assert!((share.value.unwrap() - 400.0 / 104.0).abs() < 1e-9);
        assert_eq!(share.verdict, Some("ok"));
        assert!(share.label.contains("64-gc"));
        // 8 builders: 4 | 1 x 100 spread: LPT gives 13 on every worker: bound max(4, 13) = 13.
        assert_eq!(rows[0].workers, 8);
        assert_eq!(rows[0].makespan_seconds, Some(13.0));
        assert_eq!(rows[0].lower_bound_seconds, Some(13.0));
        assert_eq!(rows[0].ratio, Some(1.0));
        // 72 builders: the 4 s shard bounds it; 29 workers take 2 shards: makespan 4.
        assert_eq!(rows[2].lower_bound_seconds, Some(4.0));
        assert_eq!(rows[2].makespan_seconds, Some(4.0));
        let r32 = m.iter().find(|m| m.key == "critical.ratio_32").unwrap();
        assert_eq!(r32.target, Some(Target::at_most(1.1)));
        assert!(
            m.iter()
                .find(|m| m.key == "critical.ratio_72")
                .unwrap()
                .target
                .is_none()
        );
        // One long shard: share 50%, a miss.
        let (m, _) = critical_path_metrics(&[("a".into(), 1.0), ("b".into(), 1.0)]);
        assert_eq!(m[0].value, Some(50.0));
        assert_eq!(m[0].verdict, Some("MISS"));
        // Nothing measured: n/a everywhere, no verdicts.
        let (m, rows) = critical_path_metrics(&[]);
        assert!(m.iter().all(|m| m.value.is_none() && m.verdict.is_none()));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn table_lines() {
        let m = Metric::new(
            4,
            "nix_warm.fraction_of_cold",
            "no-op wall / cold wall",
            Some(3.25),
            PERCENT,
            Some(Target::at_most(5.0)),
        );
        let line = table_line(&m);
        assert!(line.starts_with("4    no-op wall / cold wall "), "{line}");
        assert!(line.ends_with("        3.2%  <= 5%      ok\n"), "{line:?}");
        let m = Metric::new(1, "k", "wall", Some(12.345), SECONDS, None);
        assert!(
            table_line(&m).ends_with("12.35 s  -\n"),
            "{:?}",
            table_line(&m)
        );
        let m = Metric::new(7, "k", "ratio", None, TIMES, Some(Target::at_most(1.1)));
        assert!(
            table_line(&m).ends_with("n/a  <= 1.1x\n"),
            "{:?}",
            table_line(&m)
        );
        let m = Metric::new(6, "k", "rerun", Some(0.0), SHARDS, Some(Target::equal(0.0)));
        assert!(
            table_line(&m).ends_with(" 0  = 0        ok\n"),
            "{:?}",
            table_line(&m)
        );
        assert_eq!(fmt_value(7.25, MILLIS), "7.2 ms");
        assert_eq!(fmt_value(5.5, TIMES), "5.50x");
        assert!(table_header().starts_with("step figure"));
    }

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
            shard_seconds: BTreeMap::new(),
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
    }

    #[test]
    fn nix_outputs_and_probe_expression() {
        let out = r#"[{"drvPath":"/nix/store/a.drv","outputs":{"out":"/nix/store/a-rts-ni"}},
                      {"drvPath":"/nix/store/b.drv","outputs":{"out":"/nix/store/b-rts-inc"}}]"#;
        assert_eq!(
            build_json_out_paths(out).unwrap(),
            ["/nix/store/a-rts-ni", "/nix/store/b-rts-inc"]
        );
        let paths = build_json_out_paths(out).unwrap();
        assert_eq!(
            store_path_named(&paths, "rts-inc").map(String::as_str),
            Some("/nix/store/b-rts-inc")
        );
        assert_eq!(store_path_named(&paths, "rts-64"), None);
        assert!(build_json_out_paths("{}").is_err());
        assert!(build_json_out_paths(r#"[{"outputs":{}}]"#).is_err());
        assert_eq!(
            string_map(r#"{"ni-a":"/d/1"}"#).unwrap(),
            map(&[("ni-a", "/d/1")])
        );
        assert!(string_map("[1]").is_err());
        let closure = names(&["/s/a", "/s/all-shards", "/s/b", ""]);
        assert_eq!(
            extra_referrers(&["/s/a", "/s/b"], &closure),
            ["/s/all-shards"]
        );
        assert!(extra_referrers(&["/s/a"], &names(&["/s/a"])).is_empty());
        assert_eq!(
            gc_roots("/tmp/ci/result -> /nix/store/x-shard\n/proc/12/maps -> /nix/store/x\n"),
            ["/tmp/ci/result", "/proc/12/maps"]
        );
        assert!(gc_roots("").is_empty());
        let e = probe_expr(false, "inc", &[5, 6]);
        assert_eq!(
            e,
            "let shard = (import ./nix/standin.nix).lib.shard; in [ \
             (shard { variant = \"inc\"; module = \"bench\"; export = \"probe_empty\"; seed = 5; }) \
             (shard { variant = \"inc\"; module = \"bench\"; export = \"probe_empty\"; seed = 6; }) ]"
        );
        assert!(probe_expr(true, "64", &[1]).contains("builtins.getFlake"));
    }
}
