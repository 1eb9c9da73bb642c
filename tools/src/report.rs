//! `rts-shards report`: JUnit, JSON summary and an SVG Gantt chart from the `result.json`
//! files of shard runs (Nix shard outputs, or `rts-shards run --log-dir`).
//!
//! A `result.json` holds no times (a Nix output is a function of its inputs); each shard's times
//! come from the `rts-shard-timing` line of its run's log: the `runner.log` beside the file (a
//! local run's directory), else the Nix build log of the store path holding it
//! (`nix-store --read-log`: the logs of the builds of this machine's store). A shard with neither is reported without times, and the
//! summary says how many. `--no-times` reads no log at all: for builds that cannot (the Hydra
//! report derivation), where the per-step times are Hydra's own build-step records.

use crate::result::{self, Record, ShardResult, Status, Times};
use crate::timings;
use crate::{cli, gantt, junit, stats};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// `rts-shards report`: summarize the Nix shard results.
#[derive(Debug, clap::Args)]
#[command(
    about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart",
    long_about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart.\n\n\
        DIR is searched recursively for files named result.json, following symlinks (so a \
        directory of Nix result links works). A result.json holds no times; each shard's times \
        are read from the rts-shard-timing line of its run's log: runner.log beside the file \
        (rts-shards run --log-dir), else the Nix build log of the store path holding it \
        (nix-store --read-log). Shards without such a log are reported without times.\n\n\
        A summary is printed; --junit writes one test suite per variant; --json writes {total, \
        passed, failed, timeout, timed, started_at_unix, finished_at_unix, makespan_seconds \
        (last finish - first start), total_wall_seconds, lanes, efficiency, wasmtime_versions, \
        shards: [records with \"times\"], unreadable: [{path, reason}]}, the time figures over \
        the timed shards (null when none is); --svg draws each timed shard as a bar on a lane \
        (lanes assigned greedily by start time, since Nix does not say which builder ran a \
        shard) against a time axis; --record-timings merges the times of the passing shards \
        into a timings file for `plan` and for ordering `run`.\n\n\
        Every output's directory is checked before anything is written. A result.json (or a \
        subdirectory) that cannot be read, is empty or malformed, or has a name that is not \
        <variant>-<module> is named with the reason and left out; the report of the others is \
        still written.\n\n\
        Exit status: 0 all shards passed, 1 some failed or timed out, 2 input error or some \
        result.json unreadable (the outputs of the readable ones are still written). A failed \
        output write (such as a Gantt chart with no timed shard) is printed and leaves the \
        status as it is."
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
    #[arg(long, value_name = "FILE", conflicts_with = "no_times")]
    pub svg: Option<PathBuf>,
    /// Merge the times of every passing shard into this timings file (as `run` does)
    #[arg(long, value_name = "FILE", conflicts_with = "no_times")]
    pub record_timings: Option<PathBuf>,
    /// Read no log: verdicts only (for builds that cannot read logs)
    #[arg(long)]
    pub no_times: bool,
}

/// Where a shard's times were looked for, and what was found.
enum Found {
    Times(Times),
    /// No log, or no timing line of this run in it; why.
    None(String),
}

/// The times of the run that wrote `r` at `file`; see the module doc.
fn find_times(file: &Path, r: &ShardResult) -> Found {
    let runner_log = file.with_file_name("runner.log");
    let (log, whose) = if runner_log.is_file() {
        match std::fs::read_to_string(&runner_log) {
            Ok(t) => (t, runner_log.display().to_string()),
            Err(e) => return Found::None(format!("cannot read {}: {e}", runner_log.display())),
        }
    } else if let Some(out) = crate::variants::store_path_of(file) {
        match nix_log(&out) {
            Ok(t) => (t, format!("the build log of {}", out.display())),
            Err(e) => return Found::None(format!("{e:#}")),
        }
    } else {
        return Found::None("no runner.log beside it and not in the Nix store".to_string());
    };
    match result::times_in_log(&log, r) {
        Ok(Some(t)) => Found::Times(t),
        Ok(None) => Found::None(format!("{whose} has no rts-shard-timing line of this run")),
        Err(e) => Found::None(format!("{whose}: {e:#}")),
    }
}

/// The build log of a store path, from this machine's store.
fn nix_log(out: &Path) -> Result<String> {
    let o = Command::new("nix-store")
        .arg("--read-log")
        .arg(out)
        .stdin(Stdio::null())
        .output()
        .context("cannot run nix-store --read-log")?;
    if !o.status.success() {
        bail!(
            "no build log of {} on this machine ({})",
            out.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The times of the shard run whose Nix output (or `run --log-dir` directory) is `dir`.
pub fn times_of(dir: &Path) -> Result<Times> {
    let file = dir.join("result.json");
    let r = result::load(&file)?;
    match find_times(&file, &r) {
        Found::Times(t) => Ok(t),
        Found::None(why) => bail!("no times for {} ({}): {why}", r.name, dir.display()),
    }
}

/// Shards without times, each with why.
type Untimed = Vec<(String, String)>;

/// Looks up the times of every result, a few at once (each Nix log is one `nix-store` call).
/// Returns the records and, for those without times, the shard name and why.
fn with_times(
    results: Vec<(ShardResult, PathBuf)>,
    read_logs: bool,
) -> (Vec<(Record, PathBuf)>, Untimed) {
    if !read_logs {
        let records = results
            .into_iter()
            .map(|(result, f)| {
                (
                    Record {
                        result,
                        times: None,
                    },
                    f,
                )
            })
            .collect();
        return (records, Vec::new());
    }
    const AT_ONCE: usize = 8;
    let chunk = results.len().div_ceil(AT_ONCE).max(1);
    let found: Vec<Found> = std::thread::scope(|scope| {
        let handles: Vec<_> = results
            .chunks(chunk)
            .map(|c| {
                scope.spawn(move || {
                    c.iter()
                        .map(|(r, f)| find_times(f, r))
                        .collect::<Vec<Found>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect::<Vec<Found>>()
    });
    let mut untimed = Vec::new();
    let records = results
        .into_iter()
        .zip(found)
        .map(|((result, f), found)| {
            let times = match found {
                Found::Times(t) => Some(t),
                Found::None(why) => {
                    untimed.push((result.name.clone(), why));
                    None
                }
            };
            (Record { result, times }, f)
        })
        .collect();
    (records, untimed)
}

/// One record per shard: when a shard has several, the one with the latest finish (records
/// with times win over those without).
fn latest_per_shard(records: Vec<(Record, PathBuf)>) -> Vec<Record> {
    let finish = |r: &Record| r.times.map(|t| t.finished_at_unix);
    let mut by_name: BTreeMap<String, (Record, PathBuf)> = BTreeMap::new();
    for (r, f) in records {
        match by_name.get(&r.result.name) {
            Some((old, old_path)) => {
                eprintln!(
                    "warning: shard {} has results in {} and {}; keeping the later one",
                    r.result.name,
                    old_path.display(),
                    f.display()
                );
                if finish(&r) > finish(old) {
                    by_name.insert(r.result.name.clone(), (r, f));
                }
            }
            None => {
                by_name.insert(r.result.name.clone(), (r, f));
            }
        }
    }
    by_name.into_values().map(|(r, _)| r).collect()
}

/// The summary printed on stdout.
fn text(s: &stats::Summary, untimed: &[(String, String)], no_times: bool) -> String {
    let mut out = format!(
        "{} shards: {} passed, {} failed, {} timed out",
        s.total, s.passed, s.failed, s.timeout,
    );
    match (s.makespan_seconds, s.total_wall_seconds, s.efficiency) {
        (Some(m), Some(w), Some(e)) => out.push_str(&format!(
            "; makespan {m:.2}s, total shard time {w:.2}s, {} lanes, efficiency {:.0}%{}\n",
            s.lanes,
            e * 100.0,
            if s.timed < s.total {
                format!(" (over the {} of {} shards with times)", s.timed, s.total)
            } else {
                String::new()
            }
        )),
        _ if no_times => out.push_str("; no times read (--no-times)\n"),
        _ => out.push_str("; no shard has times\n"),
    }
    for (name, why) in untimed {
        out.push_str(&format!("  no times for {name}: {why}\n"));
    }
    for r in s.shards.iter().filter(|r| r.result.status != Status::Pass) {
        let r = &r.result;
        out.push_str(&format!(
            "  {} {}: variant {}, module {}, seed {}; reproduce: {}\n",
            r.status.label(),
            r.name,
            r.variant,
            r.module,
            r.seed,
            result::nix_command(&r.name)
        ));
    }
    for u in &s.unreadable {
        out.push_str(&format!(
            "  UNREADABLE {}: {}\n",
            u.path.display(),
            u.reason
        ));
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        s.passed,
        s.failed + s.timeout
    ));
    out
}

/// Runs `rts-shards report`.
pub fn command(args: Args) -> Result<ExitCode> {
    let (files, unreadable_dirs) = result::find_files(&args.dir)?;
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    cli::check_outputs(
        [&args.junit, &args.json, &args.svg, &args.record_timings]
            .into_iter()
            .flatten(),
        &inputs,
    )?;
    if files.is_empty() {
        bail!("no result.json files under {}", args.dir.display());
    }
    let (good, mut unreadable) = result::load_all(&files);
    unreadable.extend(unreadable_dirs);
    for u in &unreadable {
        eprintln!("rts-shards: error: {}", u.reason);
    }
    if good.is_empty() {
        bail!(
            "none of the {} result.json files under {} could be read",
            files.len(),
            args.dir.display()
        );
    }
    let (records, mut untimed) = with_times(good, !args.no_times);
    let records = latest_per_shard(records);
    untimed.retain(|(name, _)| {
        records
            .iter()
            .any(|r| &r.result.name == name && r.times.is_none())
    });
    let mut s = stats::summarize(&records);
    s.unreadable = unreadable;
    let nix = |r: &ShardResult| Some(format!("reproduce: {}", result::nix_command(&r.name)));
    let mut outputs: Vec<(&Path, Result<Vec<u8>>)> = Vec::new();
    if let Some(p) = &args.junit {
        let xml = junit::junit_xml("rts-shards report", &records, &[], &nix);
        outputs.push((p, xml.map(String::into_bytes)));
    }
    if let Some(p) = &args.json {
        outputs.push((p, crate::atomic::to_pretty_json(&s).map(String::into_bytes)));
    }
    if let Some(p) = &args.svg {
        outputs.push((p, gantt::gantt_svg(&records).map(String::into_bytes)));
    }
    cli::write_outputs(outputs);
    if let Some(p) = &args.record_timings {
        match timings::record(p, &records) {
            Ok(n) => eprintln!(
                "recorded {n} timings (passing shards with times) in {}",
                p.display()
            ),
            Err(e) => eprintln!("rts-shards: error: cannot write {}: {e:#}", p.display()),
        }
    }
    print!("{}", text(&s, &untimed, args.no_times));
    Ok(if !s.unreadable.is_empty() {
        ExitCode::from(2)
    } else if s.failed + s.timeout > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::{rec, res};

    #[test]
    fn times_come_from_the_runner_log_beside_the_result() {
        let d = tempfile::tempdir().unwrap();
        let r = res("ni-a", Status::Pass);
        let f = d.path().join("result.json");
        std::fs::write(&f, serde_json::to_string(&r).unwrap()).unwrap();
        match find_times(&f, &r) {
            Found::None(why) => assert!(why.contains("not in the Nix store"), "{why}"),
            Found::Times(_) => panic!("times without a log"),
        }
        std::fs::write(d.path().join("runner.log"), "PASS ni-a\n").unwrap();
        match find_times(&f, &r) {
            Found::None(why) => assert!(why.contains("no rts-shard-timing line"), "{why}"),
            Found::Times(_) => panic!("times without a timing line"),
        }
        std::fs::write(
            d.path().join("runner.log"),
            "rts-shard-timing {\"name\": \"ni-a\", \"export\": \"test_a\", \"seed\": 1, \
             \"wall_seconds\": 2.5, \"peak_memory_kib\": 9, \"started_at_unix\": 7, \
             \"finished_at_unix\": 9.5}\n",
        )
        .unwrap();
        match find_times(&f, &r) {
            Found::Times(t) => assert_eq!((t.wall_seconds, t.peak_memory_kib), (2.5, Some(9))),
            Found::None(why) => panic!("{why}"),
        }
        let (recs, untimed) = with_times(vec![(r.clone(), f.clone())], false);
        assert!(recs[0].0.times.is_none() && untimed.is_empty());
    }

    #[test]
    fn the_timed_record_wins_and_then_the_later_one() {
        let (a, b) = (PathBuf::from("a"), PathBuf::from("b"));
        let mut untimed = rec("ni-a", Status::Fail, 0.0, 1.0);
        untimed.times = None;
        let timed = rec("ni-a", Status::Pass, 0.0, 1.0);
        let kept = latest_per_shard(vec![(untimed, a.clone()), (timed.clone(), b.clone())]);
        assert_eq!(kept, std::slice::from_ref(&timed));
        let later = rec("ni-a", Status::Fail, 5.0, 6.0);
        let kept = latest_per_shard(vec![(later.clone(), a), (timed, b)]);
        assert_eq!(kept, [later]);
    }
}
