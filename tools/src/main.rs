//! `rts-shards`: shards the rts test suite into (variant, test module) pairs.
//!
//! Subcommands: `list` (test exports of a module), `matrix` (generate/check `nix/shards.json`),
//! `run` (run shards in parallel under wasmtime), `plan` (simulate worker counts from recorded
//! timings), `report` (JUnit/JSON/SVG from the Nix shards' `result.json` files) and `bench`
//! (every performance figure of the project, measured on this machine against its target).
//!
//! Exit status: 0 success, 1 test failure (or stale matrix with `--check`), 2 usage or input
//! error.

mod atomic;
mod bench;
mod matrix;
mod plan;
mod report;
mod run;
mod timings;
mod variants;
mod wasm;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "rts-shards",
    version,
    about = "Shard the rts test suite: one shard per (variant, test module)",
    long_about = "Shard the rts test suite: one shard per (variant, test module).\n\n\
        A shard runs `wasmtime run [variant flags] --allow-precompiled --invoke test_<module> \
        <variant>.cwasm <seed>`. Nix builds one check per shard from nix/shards.json; this tool \
        generates that matrix, runs shards locally, plans worker counts, reports results and \
        measures the performance figures (bench).\n\n\
        Default paths (nix/variants.json, nix/shards.json, tools/timings.json) are relative to the \
        repository root: the nearest ancestor of the current directory that has nix/variants.json.\n\n\
        Exit status: 0 success, 1 test failure (or stale matrix), 2 usage or input error."
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
    Plan(plan::Args),
    Report(report::Args),
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(a) => wasm::list_command(a),
        Command::Matrix(a) => matrix::command(a),
        Command::Run(a) => run::command(a),
        Command::Plan(a) => plan::command(a),
        Command::Report(a) => report::command(a),
        Command::Bench(a) => bench::command(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rts-shards: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
