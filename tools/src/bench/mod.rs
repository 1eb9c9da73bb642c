//! `rts-shards bench`: the one place the project's performance claims come from.
//!
//! One run measures, on the current machine, each figure next to its target:
//!
//! 1. sequential: every shard one after another (`run` with 1 job) on the Nix-built variants;
//!    the sum of the shard times is the total work W;
//! 2. local parallel: the same with N jobs; efficiency W / (wall x N);
//! 3. Nix cold: the outputs of the shards, the variants and the standard libraries deleted from
//!    the store, `nix flake check --max-jobs N`; efficiency W_cold / (wall x N), W_cold being
//!    every build's time in a build slot (the standard libraries and variants included), and
//!    W_nix / (wall x N), W_nix being the shards' own times;
//! 4. Nix warm no-op: the same command again (repeated), as a fraction of the cold wall;
//! 5. per-shard overhead: the empty `probe_empty` export run as a shard (nix/run-shard.sh) on
//!    the precompiled module and on the `.wasm` (compiled per run), and through fresh shard
//!    derivations;
//! 6. rerun sets: how many shard derivations change when one file changes, in a temporary copy
//!    of the repository;
//! 7. critical path: the longest shard's share of W and LPT makespans against lower bounds,
//!    beside the makespan of the order Nix starts builds in;
//! 8. edit to verdict: `nix flake check` after a line added to a collector, to a test module,
//!    and with no change, the first two split at the first shard's start;
//! 9. evaluation cost: seconds per shard to evaluate the checks, and matrices 10x and 100x
//!    larger.
//!
//! This module parses the command line and runs the steps in order over one `Ctx`, writing the
//! JSON document again (atomically) after each step, so that a late failure keeps what was
//! measured; each step (or pair of steps) has its own file, over the shared `metrics`, `doc`
//! and `nix` layers. `table` turns a document into the README's performance table.

mod critical;
mod ctx;
mod doc;
mod edit;
mod eval_cost;
mod local;
mod metrics;
mod nix;
mod nix_cold;
mod overhead;
mod rerun;
pub mod table;

use crate::variants;
use crate::{atomic, cli, process, wasmtime};
use anyhow::Result;
pub use ctx::Args;
use ctx::Ctx;
use doc::{BenchReport, Machine};
use metrics::Table;
use nix::Nix;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// Checks the command line and gathers what every step needs.
fn setup(args: Args) -> Result<Ctx> {
    let root = variants::repo_root();
    let vs = variants::load(&root.join("nix").join("variants.json"))?;
    variants::check_known(&vs, &args.probe_variant)?;
    let jobs = cli::jobs(args.jobs)?;
    cli::check_outputs(args.json.iter(), &[])?;
    let mut steps: Vec<u8> = args.steps.clone();
    if args.skip_nix {
        steps.retain(|s| ![3, 4, 6, 8, 9].contains(s));
    }
    steps.sort();
    steps.dedup();
    if steps.is_empty() {
        anyhow::bail!(
            "no step left to run: steps {:?} all need Nix, and --skip-nix drops them",
            args.steps
        );
    }
    let wasmtime = wasmtime::resolve(args.wasmtime.as_deref())?;
    let wasmtime_version = wasmtime::version(&wasmtime)?;
    let (nix, nix_version) = if args.skip_nix {
        (None, None)
    } else {
        let version = nix::nix_version()?;
        let nix = Nix::new(
            root.clone(),
            nix::nix_system()?,
            std::env::var("RTS_SHARDS_NIXPKGS").as_deref() == Ok("real"),
        )?;
        (Some(nix), Some(version))
    };
    let report = new_report(
        &args,
        jobs,
        &steps,
        wasmtime_version,
        nix.as_ref(),
        nix_version,
    );
    let runs = args.runs as usize;
    Ok(Ctx {
        args,
        root,
        vs,
        jobs,
        runs,
        steps,
        wasmtime,
        nix,
        table: Table {
            metrics: Vec::new(),
        },
        report,
        built: Vec::new(),
        variant_build_seconds: None,
        work: None,
        seq_times: Vec::new(),
        cold_wall: None,
    })
}

/// The document, before any figure.
fn new_report(
    args: &Args,
    jobs: usize,
    steps: &[u8],
    wasmtime_version: String,
    nix: Option<&Nix>,
    nix_version: Option<String>,
) -> BenchReport {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    BenchReport {
        date: doc::utc_date(now),
        command: cli::this_command(),
        machine: Machine {
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_kib: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|t| doc::mem_total_kib(&t)),
            cpu_model: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|t| doc::cpu_model(&t)),
            load_average_start: load_now(),
            load_average_end: None,
            system: nix
                .map(|n| n.system.clone())
                .unwrap_or_else(crate::runner::system),
        },
        wasmtime_version,
        nix_version,
        nixpkgs: nix.map(|n| if n.real { "real" } else { "host stand-in" }.to_string()),
        jobs,
        repeat: args.repeat,
        filter: args.filter.clone(),
        steps: steps.to_vec(),
        metrics: Vec::new(),
        rerun_sets: Vec::new(),
        plan: Vec::new(),
        edits: Vec::new(),
        eval_cost: Vec::new(),
        steps_done: Vec::new(),
        shard_seconds: BTreeMap::new(),
        shard_seconds_measured: None,
        warnings: Vec::new(),
        targets_met: 0,
        targets_missed: 0,
    }
}

fn load_now() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| doc::load_average(&t))
}

/// Writes the document as it stands (atomically), after `step` when one just finished.
fn save(c: &mut Ctx, step: Option<u8>) -> Result<()> {
    if let Some(s) = step.filter(|s| c.step(*s)) {
        c.report.steps_done.push(s);
    }
    let (met, missed) = metrics::tally(&c.table.metrics);
    c.report.targets_met = met;
    c.report.targets_missed = missed;
    c.report.metrics = c.table.metrics.clone();
    c.report.machine.load_average_end = load_now();
    if let Some(p) = &c.args.json {
        atomic::write_json_atomic(p, &c.report)?;
    }
    Ok(())
}

/// Runs `rts-shards bench`.
pub fn command(args: Args) -> Result<ExitCode> {
    if let Some(t) = &args.table {
        let text = table::render_file(t)?;
        if let Some(readme) = &args.update_readme {
            table::update_readme(readme, &text)?;
            eprintln!("wrote the table into {}", readme.display());
            return Ok(ExitCode::SUCCESS);
        }
        return Ok(match &args.check_readme {
            Some(readme) if !table::check_readme(readme, &text)? => ExitCode::from(1),
            Some(_) => ExitCode::SUCCESS,
            None => {
                print!("{text}");
                ExitCode::SUCCESS
            }
        });
    }
    process::install_interrupt_handler();
    let mut c = setup(args)?;
    print!("{}", doc::header(&c.report));
    if let Some(w) = c
        .report
        .machine
        .load_average_start
        .as_deref()
        .and_then(|l| doc::busy_warning(l, c.report.machine.cores))
    {
        c.warn(w);
    }
    print!("{}", metrics::table_header());
    save(&mut c, None)?;
    local::variants(&mut c)?;
    local::sequential(&mut c)?;
    save(&mut c, Some(1))?;
    local::parallel(&mut c)?;
    save(&mut c, Some(2))?;
    nix_cold::cold(&mut c)?;
    save(&mut c, Some(3))?;
    nix_cold::warm(&mut c)?;
    save(&mut c, Some(4))?;
    overhead::run(&mut c)?;
    save(&mut c, Some(5))?;
    rerun::run(&mut c)?;
    save(&mut c, Some(6))?;
    critical::run(&mut c);
    save(&mut c, Some(7))?;
    edit::run(&mut c)?;
    save(&mut c, Some(8))?;
    eval_cost::run(&mut c)?;
    save(&mut c, Some(9))?;
    print!("\n{}", metrics::tally_line(&c.table.metrics));
    for w in &c.report.warnings {
        println!("warning: {w}");
    }
    if let Some(p) = &c.args.json {
        eprintln!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
