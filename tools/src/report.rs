//! `rts-shards report`: JUnit, JSON summary and an SVG Gantt chart from the `result.json`
//! files of shard runs (Nix shard outputs, or `rts-shards run --log-dir`).

use crate::result::{self, ShardResult, Status};
use crate::{cli, gantt, junit, stats};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// `rts-shards report`: summarize the Nix shard results.
#[derive(Debug, clap::Args)]
#[command(
    about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart",
    long_about = "Summarize shard result.json files: JUnit, JSON summary, SVG Gantt chart.\n\n\
        DIR is searched recursively for files named result.json, following symlinks (so a \
        directory of Nix result links works). A summary is printed; --junit writes one test suite \
        per variant; --json writes {total, passed, failed, timeout, started_at_unix, \
        finished_at_unix, makespan_seconds (last finish - first start), total_wall_seconds, lanes, \
        efficiency, wasmtime_versions, shards: [records], unreadable: [{path, reason}]}; --svg \
        draws each shard as a bar on a lane (lanes assigned greedily by start time, since Nix \
        does not say which builder ran a shard) against a time axis.\n\n\
        Every output's directory is checked before anything is written. A result.json that \
        cannot be read (malformed, or with impossible numbers such as a negative or huge \
        wall_seconds) is named with the reason and left out; the report of the others is \
        still written.\n\n\
        Exit status: 0 all shards passed, 1 some failed or timed out, 2 input error or some \
        result.json unreadable (the outputs of the readable ones are still written). A failed \
        output write is printed and leaves the status as it is."
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

/// One record per shard: the one that finished last when a shard has several.
fn latest_per_shard(records: Vec<(ShardResult, PathBuf)>) -> Vec<ShardResult> {
    let mut by_name: BTreeMap<String, (ShardResult, PathBuf)> = BTreeMap::new();
    for (r, f) in records {
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
    by_name.into_values().map(|(r, _)| r).collect()
}

/// The summary printed on stdout.
fn text(s: &stats::Summary) -> String {
    let mut out = format!(
        "{} shards: {} passed, {} failed, {} timed out; makespan {:.2}s, total shard time {:.2}s, \
         {} lanes, efficiency {:.0}%\n",
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
    cli::check_outputs([&args.junit, &args.json, &args.svg].into_iter().flatten())?;
    let files = result::find_files(&args.dir)?;
    if files.is_empty() {
        bail!("no result.json files under {}", args.dir.display());
    }
    let (good, unreadable) = result::load_all(&files);
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
    let results = latest_per_shard(good);
    let mut s = stats::summarize(&results);
    s.unreadable = unreadable;
    let nix = |r: &ShardResult| Some(format!("reproduce: {}", result::nix_command(&r.name)));
    let mut outputs: Vec<(&std::path::Path, Result<Vec<u8>>)> = Vec::new();
    if let Some(p) = &args.junit {
        let xml = junit::junit_xml("rts-shards report", &results, &[], &nix);
        outputs.push((p, xml.map(String::into_bytes)));
    }
    if let Some(p) = &args.json {
        outputs.push((p, crate::atomic::to_pretty_json(&s).map(String::into_bytes)));
    }
    if let Some(p) = &args.svg {
        outputs.push((p, Ok(gantt::gantt_svg(&results).into_bytes())));
    }
    cli::write_outputs(outputs);
    print!("{}", text(&s));
    Ok(if !s.unreadable.is_empty() {
        ExitCode::from(2)
    } else if s.failed + s.timeout > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
