//! Shard result records and `rts-shards report`: JUnit, JSON summary and an SVG Gantt chart
//! from the `result.json` files the Nix shard checks write.
//!
//! A result record is `{"name","variant","module","seed","status":"pass"|"fail"|"timeout",
//! "exit_code","wall_seconds","peak_memory_kib","wasmtime_version","started_at_unix",
//! "finished_at_unix"}`. Nix does not say which builder ran a shard, so the chart assigns each
//! shard to the first free lane greedily by start time: the number of lanes is the peak
//! number of shards running at once.

use crate::atomic;
use anyhow::{Context, Result, bail};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

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

/// One shard's result record (`result.json` of a Nix shard, an element of `run --json`).
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

/// Builds a JUnit XML report: one test suite per variant, one test case per shard (named by
/// the shard name, class name = variant). `not_run` (variant, module) pairs are reported as
/// skipped. `details` gives the text of a failure (reproduce command, stderr).
pub fn junit_xml(
    report_name: &str,
    results: &[ShardResult],
    not_run: &[(&str, &str)],
    details: &dyn Fn(&ShardResult) -> Option<String>,
) -> Result<String> {
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    let mut sorted: Vec<&ShardResult> = results.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for r in sorted {
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail | Status::Timeout => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let msg = match (r.status, r.exit_code) {
                    (Status::Timeout, _) => format!("timed out after {:.2}s", r.wall_seconds),
                    (_, Some(c)) => format!("exit code {c}"),
                    _ => "killed by a signal".to_string(),
                };
                s.set_message(format!("{} (seed {}): {msg}", r.name, r.seed));
                s.set_type(if r.status == Status::Timeout {
                    "timeout"
                } else {
                    "failure"
                });
                if let Some(d) = details(r) {
                    s.set_description(d);
                }
                s
            }
        };
        let mut case = TestCase::new(r.name.as_str(), status);
        case.set_classname(r.variant.as_str());
        case.set_time(Duration::from_secs_f64(r.wall_seconds.max(0.0)));
        suites
            .entry(r.variant.as_str())
            .or_insert_with(|| TestSuite::new(r.variant.as_str()))
            .add_test_case(case);
    }
    for (variant, module) in not_run {
        let mut case = TestCase::new(
            crate::matrix::shard_name(variant, module),
            TestCaseStatus::skipped(),
        );
        case.set_classname(*variant);
        suites
            .entry(variant)
            .or_insert_with(|| TestSuite::new(*variant))
            .add_test_case(case);
    }
    let mut report = Report::new(report_name);
    report.add_test_suites(suites.into_values());
    report.to_string().context("cannot serialize JUnit XML")
}

/// Finds `result.json` files under `dir` recursively, following symlinks (Nix `result-*`
/// links) but visiting each real directory once. Sorted.
pub fn find_result_files(dir: &Path) -> Result<Vec<PathBuf>> {
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

/// Loads one result record.
pub fn load_result(path: &Path) -> Result<ShardResult> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let r: ShardResult = serde_json::from_str(&text)
        .with_context(|| format!("malformed result file {}", path.display()))?;
    if !(r.wall_seconds.is_finite()
        && r.started_at_unix.is_finite()
        && r.finished_at_unix.is_finite())
        || r.finished_at_unix < r.started_at_unix
    {
        bail!("result file {}: invalid times", path.display());
    }
    Ok(r)
}

/// Assigns each (start, finish) interval to the lowest-numbered lane that is free at its start,
/// taking intervals by start time. Returns the lane of each interval (in input order) and the
/// number of lanes.
pub fn assign_lanes(intervals: &[(f64, f64)]) -> (Vec<usize>, usize) {
    const EPS: f64 = 1e-6;
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by(|&a, &b| {
        intervals[a]
            .0
            .total_cmp(&intervals[b].0)
            .then(intervals[a].1.total_cmp(&intervals[b].1))
            .then(a.cmp(&b))
    });
    let mut lane_end: Vec<f64> = Vec::new();
    let mut lanes = vec![0; intervals.len()];
    for i in order {
        let (s, f) = intervals[i];
        let lane = match lane_end.iter().position(|&e| e <= s + EPS) {
            Some(l) => l,
            None => {
                lane_end.push(f64::NEG_INFINITY);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = f;
        lanes[i] = lane;
    }
    (lanes, lane_end.len())
}

/// The JSON summary of a set of results.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub timeout: usize,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
    /// Last finish minus first start.
    pub makespan_seconds: f64,
    /// Sum of the shards' wall times.
    pub total_wall_seconds: f64,
    /// Peak number of shards running at once (lanes of the chart).
    pub lanes: usize,
    /// total_wall_seconds / (lanes * makespan_seconds).
    pub efficiency: f64,
    pub wasmtime_versions: Vec<String>,
    pub shards: Vec<ShardResult>,
}

/// Summarizes results (sorted by name in the output).
pub fn summarize(results: &[ShardResult]) -> Summary {
    let mut shards = results.to_vec();
    shards.sort_by(|a, b| a.name.cmp(&b.name));
    let count = |s: Status| shards.iter().filter(|r| r.status == s).count();
    let start = shards
        .iter()
        .map(|r| r.started_at_unix)
        .fold(f64::INFINITY, f64::min);
    let end = shards
        .iter()
        .map(|r| r.finished_at_unix)
        .fold(f64::NEG_INFINITY, f64::max);
    let (start, end) = if shards.is_empty() {
        (0.0, 0.0)
    } else {
        (start, end)
    };
    let makespan = end - start;
    let total_wall: f64 = shards.iter().map(|r| r.wall_seconds).sum();
    let intervals: Vec<(f64, f64)> = shards
        .iter()
        .map(|r| (r.started_at_unix, r.finished_at_unix))
        .collect();
    let (_, lanes) = assign_lanes(&intervals);
    let versions: BTreeSet<String> = shards.iter().map(|r| r.wasmtime_version.clone()).collect();
    Summary {
        total: shards.len(),
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        timeout: count(Status::Timeout),
        started_at_unix: start,
        finished_at_unix: end,
        makespan_seconds: makespan,
        total_wall_seconds: total_wall,
        lanes,
        efficiency: if makespan > 0.0 && lanes > 0 {
            total_wall / (lanes as f64 * makespan)
        } else {
            0.0
        },
        wasmtime_versions: versions.into_iter().collect(),
        shards,
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
pub fn tick_step(span: f64, target: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn fmt_tick(t: f64, step: f64) -> String {
    if step >= 60.0 && (t % 60.0).abs() < 1e-9 {
        format!("{}m", (t / 60.0).round() as i64)
    } else if step >= 1.0 {
        format!("{}s", t.round() as i64)
    } else {
        let digits = (-step.log10().floor()) as usize;
        format!("{t:.digits$}s")
    }
}

/// Renders a Gantt chart of the results: one bar per shard on greedily assigned lanes, a time
/// axis in seconds since the first start, and labels on bars wide enough to hold them.
pub fn gantt_svg(results: &[ShardResult]) -> String {
    let s = summarize(results);
    let shards = &s.shards;
    let intervals: Vec<(f64, f64)> = shards
        .iter()
        .map(|r| (r.started_at_unix, r.finished_at_unix))
        .collect();
    let (lane_of, lanes) = assign_lanes(&intervals);
    let (left, right, top, row, bar_h, chart_w) = (70.0, 20.0, 56.0, 22.0, 18.0, 1000.0);
    let width = left + chart_w + right;
    let height = top + row * lanes.max(1) as f64 + 44.0;
    let span = if s.makespan_seconds > 0.0 {
        s.makespan_seconds
    } else {
        1.0
    };
    let x = |t: f64| left + (t - s.started_at_unix) / span * chart_w;
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    ));
    out.push_str(&format!(
        "<rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"{left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">rts shards: {} passed, {} failed, {} timed out</text>\n",
        s.passed, s.failed, s.timeout
    ));
    out.push_str(&format!(
        "<text x=\"{left}\" y=\"38\" fill=\"#444\">makespan {:.1}s, total shard time {:.1}s, {} lanes (peak concurrency), efficiency {:.0}%</text>\n",
        s.makespan_seconds,
        s.total_wall_seconds,
        lanes,
        s.efficiency * 100.0
    ));
    // Legend.
    for (i, (label, color)) in [
        ("pass", "#4caf50"),
        ("fail", "#e53935"),
        ("timeout", "#fb8c00"),
    ]
    .iter()
    .enumerate()
    {
        let lx = left + chart_w - 210.0 + 70.0 * i as f64;
        out.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"10\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"20\">{label}</text>\n",
            lx + 16.0
        ));
    }
    // Lane backgrounds and labels.
    for l in 0..lanes {
        let y = top + row * l as f64;
        if l % 2 == 1 {
            out.push_str(&format!(
                "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{chart_w}\" height=\"{row}\" fill=\"#f4f4f4\"/>\n"
            ));
        }
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">lane {}</text>\n",
            left - 6.0,
            y + row / 2.0 + 4.0,
            l + 1
        ));
    }
    // Time axis.
    let axis_y = top + row * lanes.max(1) as f64 + 4.0;
    out.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\" stroke=\"#000\"/>\n",
        left + chart_w
    ));
    let step = tick_step(span, 10.0);
    let mut t = 0.0;
    while t <= span + step * 1e-6 {
        let tx = left + t / span * chart_w;
        out.push_str(&format!(
            "<line x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            axis_y + 4.0,
            axis_y + 17.0,
            fmt_tick(t, step)
        ));
        t += step;
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">seconds since the first shard started</text>\n",
        left + chart_w / 2.0,
        axis_y + 34.0
    ));
    // Bars.
    for (r, lane) in shards.iter().zip(&lane_of) {
        let x0 = x(r.started_at_unix);
        let w = (x(r.finished_at_unix) - x0).max(1.0);
        let y = top + row * *lane as f64 + (row - bar_h) / 2.0;
        let fill = match r.status {
            Status::Pass => "#4caf50",
            Status::Fail => "#e53935",
            Status::Timeout => "#fb8c00",
        };
        let name = xml_escape(&r.name);
        let mem = r
            .peak_memory_kib
            .map(|k| format!(", {:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_default();
        out.push_str(&format!(
            "<g><title>{name}: {:?}, {:.2}s{mem}, seed {}</title>\
             <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"0.5\"/>",
            r.status,
            r.wall_seconds,
            r.seed
        ));
        if (r.name.chars().count() as f64) * 6.3 + 6.0 <= w {
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#fff\">{name}</text>",
                x0 + 3.0,
                y + bar_h / 2.0 + 4.0
            ));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// `rts-shards report`: summarize the Nix shard results.
#[derive(Debug, clap::Args)]
#[command(
    about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart",
    long_about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart.\n\n\
        DIR is searched recursively for files named result.json, following symlinks (so a \
        directory of Nix result links works). A summary is printed; --junit writes one test suite \
        per variant; --json writes {total, passed, failed, timeout, started_at_unix, \
        finished_at_unix, makespan_seconds (last finish - first start), total_wall_seconds, lanes, \
        efficiency, wasmtime_versions, shards: [records]}; --svg draws each shard as a bar on a \
        lane (lanes assigned greedily by start time, since Nix does not say which builder ran \
        a shard) against a time axis.\n\n\
        Exit status: 0 all shards passed, 1 some failed or timed out, 2 input error."
)]
pub struct Args {
    /// Directory holding result.json files (or links to Nix outputs holding them)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write a JUnit XML report here
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the JSON summary here
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the SVG Gantt chart here
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// Runs `rts-shards report`.
pub fn command(args: Args) -> Result<ExitCode> {
    let files = find_result_files(&args.dir)?;
    if files.is_empty() {
        bail!("no result.json files under {}", args.dir.display());
    }
    let mut by_name: BTreeMap<String, (ShardResult, PathBuf)> = BTreeMap::new();
    for f in files {
        let r = load_result(&f)?;
        match by_name.get(&r.name) {
            Some((old, old_path)) => {
                eprintln!(
                    "warning: shard {} has results in {} and {}; keeping the later one",
                    r.name,
                    old_path.display(),
                    f.display()
                );
                if r.finished_at_unix > old.finished_at_unix {
                    by_name.insert(r.name.clone(), (r, f));
                }
            }
            None => {
                by_name.insert(r.name.clone(), (r, f));
            }
        }
    }
    let results: Vec<ShardResult> = by_name.into_values().map(|(r, _)| r).collect();
    let s = summarize(&results);
    if let Some(p) = &args.junit {
        let nix =
            |r: &ShardResult| Some(format!("reproduce: {}", crate::run::nix_command(&r.name)));
        atomic::write_atomic(
            p,
            junit_xml("rts-shards report", &results, &[], &nix)?.as_bytes(),
        )?;
    }
    if let Some(p) = &args.json {
        atomic::write_json_atomic(p, &s)?;
    }
    if let Some(p) = &args.svg {
        atomic::write_atomic(p, gantt_svg(&results).as_bytes())?;
    }
    println!(
        "{} shards: {} passed, {} failed, {} timed out; makespan {:.2}s, total shard time {:.2}s, \
         {} lanes, efficiency {:.0}%",
        s.total,
        s.passed,
        s.failed,
        s.timeout,
        s.makespan_seconds,
        s.total_wall_seconds,
        s.lanes,
        s.efficiency * 100.0
    );
    for r in s.shards.iter().filter(|r| r.status != Status::Pass) {
        println!(
            "  {} {}: variant {}, module {}, seed {}; reproduce: {}",
            r.status.label(),
            r.name,
            r.variant,
            r.module,
            r.seed,
            crate::run::nix_command(&r.name)
        );
    }
    let failed = s.failed + s.timeout;
    println!("{} passed, {} failed", s.passed, failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn rec(name: &str, status: Status, start: f64, end: f64) -> ShardResult {
        let (v, m) = name.split_once('-').unwrap();
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
    fn result_json_round_trip_uses_contract_names() {
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
    fn lanes_are_assigned_greedily() {
        // a [0,4) b [1,2) c [2,5) d [4,6) e [5,6)
        let iv = [(0.0, 4.0), (1.0, 2.0), (2.0, 5.0), (4.0, 6.0), (5.0, 6.0)];
        let (lanes, n) = assign_lanes(&iv);
        assert_eq!(lanes, [0, 1, 1, 0, 1]);
        assert_eq!(n, 2);
        let (lanes, n) = assign_lanes(&[(0.0, 1.0), (0.0, 1.0), (0.0, 1.0)]);
        assert_eq!((lanes, n), (vec![0, 1, 2], 3));
        assert_eq!(assign_lanes(&[]).1, 0);
    }

    #[test]
    fn summary_numbers() {
        let rs = [
            rec("ni-a", Status::Pass, 100.0, 104.0),
            rec("ni-b", Status::Fail, 100.0, 102.0),
            rec("64-c", Status::Timeout, 102.0, 106.0),
        ];
        let s = summarize(&rs);
        assert_eq!((s.total, s.passed, s.failed, s.timeout), (3, 1, 1, 1));
        assert_eq!(s.makespan_seconds, 6.0);
        assert_eq!(s.total_wall_seconds, 10.0);
        assert_eq!(s.lanes, 2);
        assert!((s.efficiency - 10.0 / 12.0).abs() < 1e-9);
        assert_eq!(s.shards[0].name, "64-c");
        assert_eq!(s.wasmtime_versions, ["wasmtime 48.0.8"]);
    }

    #[test]
    fn junit_has_suites_per_variant_and_failures() {
        let rs = [
            rec("ni-a", Status::Pass, 0.0, 1.0),
            rec("ni-b", Status::Fail, 0.0, 2.0),
            rec("64-c", Status::Timeout, 0.0, 3.0),
        ];
        let xml = junit_xml("r", &rs, &[("inc", "d")], &|r| {
            Some(format!("repro {}", r.name))
        })
        .unwrap();
        assert!(xml.contains("<testsuite name=\"64\""), "{xml}");
        assert!(xml.contains("<testsuite name=\"ni\" tests=\"2\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("type=\"timeout\""), "{xml}");
        assert!(xml.contains("repro ni-b"), "{xml}");
        assert!(xml.contains("<skipped"), "{xml}");
        assert!(xml.contains("ni-b (seed 1): exit code 134"), "{xml}");
    }

    #[test]
    fn ticks() {
        assert_eq!(tick_step(10.0, 10.0), 1.0);
        assert_eq!(tick_step(95.0, 10.0), 10.0);
        assert_eq!(tick_step(0.3, 10.0), 0.05);
        assert_eq!(tick_step(1300.0, 10.0), 200.0);
        assert_eq!(fmt_tick(120.0, 60.0 * 2.0), "2m");
        assert_eq!(fmt_tick(0.15, 0.05), "0.15s");
        assert_eq!(fmt_tick(3.0, 1.0), "3s");
    }

    #[test]
    fn svg_draws_bars_lanes_and_escapes() {
        let rs = [
            rec("ni-a", Status::Pass, 0.0, 10.0),
            rec("ni-b<x>", Status::Fail, 0.0, 5.0),
            rec("ni-c", Status::Pass, 5.0, 6.0),
        ];
        let svg = gantt_svg(&rs);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<g><title>").count(), 3);
        assert!(svg.contains("ni-b&lt;x&gt;"));
        assert!(!svg.contains("ni-b<x>"));
        assert!(svg.contains(">lane 2<") && !svg.contains(">lane 3<"));
        assert!(svg.contains(">10s<"));
        assert!(svg.contains("#e53935"));
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
        let files = find_result_files(&links).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(load_result(&files[0]).unwrap().name, "ni-a");
        assert!(find_result_files(&d.path().join("none")).is_err());
    }

    #[test]
    fn malformed_result_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("result.json");
        std::fs::write(&p, "{\"name\": \"x\"}").unwrap();
        assert!(format!("{:#}", load_result(&p).unwrap_err()).contains("malformed"));
        let mut r = rec("ni-a", Status::Pass, 5.0, 1.0);
        r.wall_seconds = 1.0;
        std::fs::write(&p, serde_json::to_string(&r).unwrap()).unwrap();
        assert!(load_result(&p).is_err());
    }
}
