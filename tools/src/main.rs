//! `rts-shards`: shards the rts test suite into (variant, test module) pairs.
//!
//! Subcommands: `list` (test exports of a module), `matrix` (generate/check `nix/shards.json`),
//! `run` (run shards in parallel, each as its Nix check runs it), `sweep` (shards over many
//! seeds, locally or through Nix), `plan` (simulate worker
//! counts from recorded timings), `report` (JUnit/JSON/SVG from shard `result.json` files)
//! `bench` (every performance figure of the project, measured on this machine against its
//! target) and `readme` (check or write a README block generated from data). This file only
//! parses the command line and dispatches.
//!
//! Exit status (see `exit`): 0 success, 1 test failure (or stale matrix with `--check`), 2 usage
//! or input error, 3 infrastructure failure, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.

mod atomic;
mod bench;
mod cli;
mod exit;
mod gantt;
mod junit;
mod matrix;
mod names;
mod plan;
mod pool;
mod process;
mod progress;
mod readme;
mod report;
mod result;
mod run;
mod runner;
mod seed;
mod stats;
mod suites;
mod summary;
mod sweep;
mod tempdir;
mod timings;
mod variants;
mod wasm;
mod wasmtime;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "rts-shards",
    version,
    about = "Shard the rts test suite: one shard per (variant, test module)",
    long_about = "Shard the rts test suite: one shard per (variant, test module).\n\n\
        A shard is one run of nix/run-shard.sh: `wasmtime run [variant flags] [caps] \
        --allow-precompiled --invoke test_<module> <variant>.cwasm <seed>`. Nix builds one \
        check per shard from nix/shards.json; this tool generates that matrix, runs shards \
        locally the same way, sweeps seeds, plans worker counts, reports results and measures the \
        performance figures (bench).\n\n\
        Default paths (nix/variants.json, nix/shards.json, tools/timings.json) are relative to the \
        repository root: the nearest ancestor of the current directory that has nix/variants.json.\n\n\
        Exit status: 0 success; 1 a test failed (or stale matrix); 2 usage or input error (bad \
        flag, file or name); 3 infrastructure failure (full disk, crashed Nix, missing or \
        mismatched .cwasm, a shard that left no complete result; also when tests failed too); \
        130, 143, 129 interrupted by SIGINT, SIGTERM, SIGHUP (running shards are stopped)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    List(wasm::ListArgs),
    Matrix(matrix::Args),
    Run(run::Args),
    Sweep(sweep::Args),
    Plan(plan::Args),
    Report(report::Args),
    Bench(bench::Args),
    Readme(readme::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(a) => wasm::list_command(a),
        Command::Matrix(a) => matrix::command(a),
        Command::Run(a) => run::command(a),
        Command::Sweep(a) => sweep::command(a),
        Command::Plan(a) => plan::command(a),
        Command::Report(a) => report::command(a),
        Command::Bench(a) => bench::command(a),
        Command::Readme(a) => readme::command(a),
    };
    if let Some(code) = process::interrupted_status() {
        return ExitCode::from(code);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rts-shards: error: {e:#}");
            ExitCode::from(exit::code_of(&e))
        }
    }
}
