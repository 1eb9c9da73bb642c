//! `rts-shards sweep`: runs chosen shards over many seeds and names every failing
//! (variant, module, seed) with the reproduce lines nix/run-shard.sh printed for it.
//!
//! Locally, every (shard, seed) is one job of the worker pool, run by nix/run-shard.sh as
//! `rts-shards run` runs a shard. With `--nix`, every (shard, seed) is the derivation
//! `lib.<system>.shard { variant; module; export; seed; }` of the flake (through
//! `nix/standin.nix` where the flags of tools/nix-flags.sh replace nixpkgs by the stand-in),
//! built in batches of `nix build --keep-going`: Nix's builders and cache do the work, so a
//! seed already tried and passed is not run again. A failed build's log (`nix-store
//! --read-log <drv>`) holds the script's failure block. Jobs go seed by seed, so the
//! first failure found is at the lowest seed tried; `--stop-on-failure` then starts nothing
//! more (locally no new job, with Nix no new batch).

use crate::matrix::{self, DEFAULT_SEED, Shard};
use crate::pool::{Event, Pool};
use crate::progress::Progress;
use crate::run::{self, JobEnd, ShardArgs};
use crate::runner::{self, Runner};
use crate::seed::Seed;
use crate::summary::Finished;
use crate::variants::{self, Built};
use crate::{cli, process, wasmtime};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// The most runs one sweep may ask for.
pub const MAX_RUNS: usize = 1_000_000;

/// `rts-shards sweep`: one or more shards over a range of seeds.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run shards over many seeds, locally or through Nix, and name the failing seeds",
    long_about = "Run shards over many seeds, locally or through Nix, and name the failing seeds.\n\n\
        The shards are the SHARD names given (e.g. ni-gc_chunk_3) and those --filter and \
        --variant select, as for `run`; with neither, every shard. Each runs once per seed of \
        --seeds (A..B, both included, or a comma-separated list, or both: 1..50,77). Jobs go \
        seed by seed.\n\n\
        Locally (the default) each run is nix/run-shard.sh, as for `run`, on the modules of \
        --built, --wasm or a build from source, --jobs at a time. With --nix each run is the \
        derivation lib.<system>.shard { variant; module; export; seed; } of the flake (through \
        nix/standin.nix when tools/nix-flags.sh picks the stand-in for nixpkgs), built by \
        `nix build --keep-going` in batches of --batch with that script's options; --jobs \
        becomes --max-jobs. Nix's remote builders take part, and a seed that passed before is \
        not run again.\n\n\
        Every failing run is printed with variant, module, seed, why, the end of its log and \
        the reproduce lines nix/run-shard.sh printed; then one summary line. \
        --stop-on-failure starts no new run after the first failure (with --nix: no new batch).\n\n\
        Exit status: 0 no seed failed, 1 some failed, 2 usage or input error, 3 infrastructure \
        failure (a run left no complete result, Nix failed), 130/143/129 interrupted."
)]
pub struct Args {
    /// A shard to sweep, by name (repeatable), e.g. ni-gc_chunk_3
    #[arg(value_name = "SHARD")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub shards: ShardArgs,
    /// The seeds: A..B (inclusive), a comma-separated list, or both, e.g. 1..200 or 3,17,1..5
    #[arg(long, value_name = "SEEDS", value_parser = parse_seeds)]
    pub seeds: Seeds,
    /// Start nothing new after the first failing run
    #[arg(long)]
    pub stop_on_failure: bool,
    /// Build the runs as Nix derivations (lib.<system>.shard) instead of running them here
    #[arg(long)]
    pub nix: bool,
    /// With --nix: runs per `nix build`
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub batch: usize,
    /// Keep every run's directory here, as <shard>/seed-<N> [default: a temporary directory
    /// that keeps only failed runs']
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
}

/// The seeds of a sweep, in the order given, each once; never empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeds(pub Vec<Seed>);

/// Parses `1..200`, `3,17,42` or a mix of both; ranges include both ends.
pub fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let mut seeds = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let num = |t: &str| {
        Seed::parse(t)
            .map(Seed::get)
            .map_err(|e| format!("{e} in {s:?}"))
    };
    for part in s.split(',') {
        let (a, b) = match part.split_once("..") {
            Some((a, b)) => (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?),
            None => {
                let n = num(part)?;
                (n, n)
            }
        };
        if a > b {
            return Err(format!(
                "empty seed range {part:?} (its start is above its end)"
            ));
        }
        if (b - a) as u128 + seeds.len() as u128 >= MAX_RUNS as u128 {
            return Err(format!("too many seeds in {s:?} (at most {MAX_RUNS})"));
        }
        for n in a..=b {
            if seen.insert(n) {
                seeds.push(Seed::new(n)?);
            }
        }
    }
    Ok(Seeds(seeds))
}

/// One run of a sweep that failed.
#[derive(Debug, Clone)]
struct Failure {
    shard: Shard,
    /// In a few words, e.g. `exit code 1`.
    why: String,
    /// The end of the test's output.
    tail: Vec<String>,
    /// The reproduce lines of the script's failure block.
    reproduce: Vec<String>,
    /// Where the run's files or log are.
    log: String,
}

/// What a sweep did.
#[derive(Debug, Default)]
struct Swept {
    passed: usize,
    failures: Vec<Failure>,
    /// Runs never started (after --stop-on-failure).
    not_run: usize,
    /// Failed runs that left no complete result (infrastructure failures).
    infra: usize,
    interrupted: bool,
}

/// Runs `rts-shards sweep`.
pub fn command(args: Args) -> Result<ExitCode> {
    process::install_interrupt_handler();
    for n in &args.names {
        if glob::Pattern::escape(n) != *n {
            bail!("{n:?} is not a shard name (use --filter for globs)");
        }
    }
    let start = Instant::now();
    let (swept, shards) = if args.nix {
        nix_sweep(&args)?
    } else {
        local_sweep(&args)?
    };
    if swept.interrupted {
        eprintln!("interrupted ({})", process::interrupted_by());
        return Ok(ExitCode::from(process::interrupted_status().unwrap_or(130)));
    }
    print!(
        "{}",
        report(
            &swept,
            shards,
            args.seeds.0.len(),
            start.elapsed().as_secs_f64()
        )
    );
    Ok(crate::exit::verdict(
        !swept.failures.is_empty(),
        swept.infra > 0,
    ))
}

/// The shards named or matched, from `all`: every one of `names` must be a shard.
fn choose(all: Vec<Shard>, names: &[String], filter: &[String]) -> Result<Vec<Shard>> {
    for n in names {
        if !all.iter().any(|s| &s.name == n) {
            let mut known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            known.sort();
            bail!("no shard named {n} (the shards: {})", known.join(" "));
        }
    }
    let globs: Vec<String> = names.iter().chain(filter).cloned().collect();
    let mut chosen = matrix::filter_shards(all, &globs)?;
    if chosen.is_empty() {
        bail!("no shards to sweep (check the names, --variant and --filter)");
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(chosen)
}

/// Every (shard, seed), seed by seed.
fn runs(shards: &[Shard], seeds: &[Seed]) -> Vec<Shard> {
    seeds
        .iter()
        .flat_map(|&seed| shards.iter().map(move |s| Shard { seed, ..s.clone() }))
        .collect()
}

/// The sweep summary: every failure, then the counts.
fn report(s: &Swept, shards: usize, seeds: usize, wall: f64) -> String {
    let mut out = String::new();
    let mut failures: Vec<&Failure> = s.failures.iter().collect();
    failures.sort_by(|a, b| (&a.shard.name, a.shard.seed).cmp(&(&b.shard.name, b.shard.seed)));
    for f in &failures {
        let sh = &f.shard;
        out.push_str(&format!(
            "FAIL {} seed={} ({}): variant {}, module {}, seed {}\n    log:       {}\n",
            sh.name, sh.seed, f.why, sh.variant, sh.module, sh.seed, f.log
        ));
        for line in &f.tail {
            out.push_str(&format!("      | {line}\n"));
        }
        for line in &f.reproduce {
            out.push_str(&format!("    {line}\n"));
        }
        if sh.seed != DEFAULT_SEED && !f.reproduce.is_empty() {
            out.push_str(&format!(
                "    (the Nix check runs seed {DEFAULT_SEED}; `this seed` runs {})\n",
                sh.seed
            ));
        }
    }
    let mut by_shard: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &failures {
        by_shard
            .entry(&f.shard.name)
            .or_default()
            .push(f.shard.seed.to_string());
    }
    let seeds_failed: Vec<String> = by_shard
        .iter()
        .map(|(n, seeds)| format!("{n}: {}", seeds.join(",")))
        .collect();
    out.push_str(&format!(
        "swept {shards} shard(s) x {seeds} seed(s) in {wall:.2}s: {} passed, {} failed{}{}\n",
        s.passed,
        s.failures.len(),
        if s.not_run > 0 {
            format!(", {} not run (--stop-on-failure)", s.not_run)
        } else {
            String::new()
        },
        if seeds_failed.is_empty() {
            String::new()
        } else {
            format!(" (failing seeds: {})", seeds_failed.join("; "))
        }
    ));
    out.push_str(&format!(
        "{} passed, {} failed\n",
        s.passed,
        s.failures.len()
    ));
    out
}

/// Runs every (shard, seed) here, as `run` runs a shard.
fn local_sweep(args: &Args) -> Result<(Swept, usize)> {
    let mut c = run::config(
        &args.shards,
        None,
        args.stop_on_failure,
        None,
        args.log_dir.clone(),
    )?;
    c.filter = Vec::new();
    let all = run::select_shards(&c)?;
    let shards = choose(all, &args.names, &args.shards.filter)?;
    let jobs = runs(&shards, &args.seeds.0);
    let runner = Runner::new(&c.root, &c.wasmtime)?;
    let version = wasmtime::version(&c.wasmtime)?;
    let (mut temp, log_dir) = run::log_dir(&c)?;
    let built: BTreeMap<&str, &Built> = c.built.iter().map(|b| (b.variant.as_str(), b)).collect();
    let label = |s: &Shard| format!("{} seed={}", s.name, s.seed);
    let progress = Progress::new(jobs.len());
    let pool = Pool {
        workers: c.jobs.min(jobs.len()),
        fail_fast: args.stop_on_failure,
    };
    let (mut finished, mut running, mut interrupted) = (Vec::<Finished>::new(), vec![], false);
    pool.run(
        jobs.iter().collect(),
        |s: &&Shard| label(s),
        |s: &Shard| {
            let dir = log_dir.join(&s.name).join(format!("seed-{}", s.seed));
            run::run_one(&runner, &run::spec(&c, &built, s), dir, &version)
        },
        |e: &JobEnd| matches!(e, JobEnd::Done(f) if f.failed()),
        |event| match event {
            Event::Started(name) => {
                running.push(name);
                progress.running(&running);
            }
            Event::Finished(JobEnd::Interrupted(name)) => {
                running.retain(|n| n != &name);
                interrupted = true;
            }
            Event::Finished(JobEnd::Done(f)) => {
                let r = &f.record.result;
                running.retain(|n| n != &format!("{} seed={}", r.name, r.seed));
                let line = run::progress_line(&f);
                let failed = f.failed();
                finished.push(*f);
                progress.finished(finished.len(), &line, failed, &running);
            }
        },
    );
    progress.done();
    let interrupted = interrupted || process::interrupted();
    let mut swept = Swept {
        not_run: jobs.len() - finished.len(),
        interrupted,
        ..Swept::default()
    };
    for f in &finished {
        if !f.failed() {
            swept.passed += 1;
            continue;
        }
        swept.infra += usize::from(f.infra());
        let r = &f.record.result;
        let mut tail = f.tail(10);
        if let Some(e) = &f.error {
            tail.push(e.clone());
        }
        swept.failures.push(Failure {
            shard: Shard {
                name: r.name.clone(),
                variant: r.variant.clone(),
                module: r.module.clone(),
                export: r.export.clone(),
                seed: r.seed,
                scale: r.scale,
            },
            why: f.why(),
            tail,
            reproduce: f.reproduce(),
            log: f.dir.join("log").display().to_string(),
        });
    }
    if let Some(t) = temp.as_mut() {
        run::keep_failures(t, &finished, interrupted);
    }
    Ok((swept, shards.len()))
}

/// How to call Nix for a sweep: the options of tools/nix-flags.sh and the expression of
/// `lib.shard` that goes with them.
struct NixCall {
    root: PathBuf,
    opts: Vec<String>,
    /// The stand-in for nixpkgs (nix/standin.nix) rather than the flake's locked nixpkgs.
    standin: bool,
}

impl NixCall {
    /// Reads the flags from tools/nix-flags.sh, the one definition of which nixpkgs is used:
    /// the stand-in is in use when its flake flags override the nixpkgs input.
    fn new(root: &Path) -> Result<NixCall> {
        let script = root.join("tools").join("nix-flags.sh");
        let flags = |extra: &[&str], mode: Option<&str>| -> Result<Vec<String>> {
            let mut cmd = Command::new("bash");
            cmd.arg(&script).args(extra).stdin(Stdio::null());
            if let Some(m) = mode {
                cmd.env("RTS_SHARDS_NIXPKGS", m);
            }
            let o = cmd
                .output()
                .with_context(|| format!("cannot run bash {}", script.display()))?;
            if !o.status.success() {
                bail!(
                    "{} failed: {}",
                    script.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                );
            }
            Ok(String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect())
        };
        let flake = flags(&[], None)?;
        let standin = flake.iter().any(|f| f == "--override-input");
        let opts = flags(&["--opts"], Some(if standin { "host" } else { "real" }))?;
        Ok(NixCall {
            root: root.to_path_buf(),
            opts,
            standin,
        })
    }

    /// `lib.shard` of the flake for this machine's system.
    fn shard_fn(&self) -> &'static str {
        if self.standin {
            "(import ./nix/standin.nix).lib.shard"
        } else {
            "(builtins.getFlake (toString ./.)).lib.${builtins.currentSystem}.shard"
        }
    }

    /// The list of the shard derivations of `runs`.
    fn expr(&self, runs: &[Shard], caps: &runner::Caps) -> String {
        let mut extra = String::new();
        if let Some(m) = caps.max_memory {
            extra.push_str(&format!(" maxMemory = {m};"));
        }
        if let Some(t) = caps.timeout_seconds {
            extra.push_str(&format!(
                " timeoutSeconds = {};",
                nix_string(&t.to_string())
            ));
        }
        let items: Vec<String> = runs
            .iter()
            .map(|s| {
                let depth = if s.scale == crate::matrix::DEFAULT_SCALE {
                    String::new()
                } else {
                    format!(" scale = {};", s.scale)
                };
                format!(
                    "(shard {{ variant = {}; module = {}; export = {}; seed = {};{depth}{extra} }})",
                    nix_string(&s.variant),
                    nix_string(&s.module),
                    nix_string(&s.export),
                    s.seed
                )
            })
            .collect();
        format!(
            "let shard = {}; in [ {} ]",
            self.shard_fn(),
            items.join(" ")
        )
    }

    /// `nix <args>` in the repository with the options.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("nix");
        c.current_dir(&self.root).args(args).args(&self.opts);
        c.stdin(Stdio::null());
        c
    }
}

/// A Nix string literal.
fn nix_string(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "\\${");
    format!("\"{escaped}\"")
}

/// The derivation and output path of each shard derivation of a batch.
#[derive(Debug, serde::Deserialize)]
struct Paths {
    drv: String,
    out: String,
}

/// Builds every (shard, seed) as a Nix derivation, batch by batch.
fn nix_sweep(args: &Args) -> Result<(Swept, usize)> {
    let s = &args.shards;
    if s.built.is_some() || !s.wasm.is_empty() || s.build_dir.is_some() || s.wasmtime.is_some() {
        bail!("--built, --wasm, --build-dir and --wasmtime are for local sweeps, not --nix");
    }
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let root = variants::repo_root();
    let vs = variants::load(
        &s.variants
            .clone()
            .unwrap_or_else(|| root.join("nix/variants.json")),
    )?;
    let selected = variants::select(&vs, &s.variant)?;
    let all: Vec<Shard> = matrix::load(&root.join("nix").join("shards.json"))?
        .shards
        .into_iter()
        .filter(|sh| selected.contains(&sh.variant))
        .map(|sh| Shard {
            scale: s.scale,
            ..sh
        })
        .collect();
    let shards = choose(all, &args.names, &s.filter)?;
    let caps = runner::Caps {
        max_memory: s.max_memory,
        timeout_seconds: s.timeout,
    };
    let max_jobs = s.jobs.map(|j| cli::jobs(Some(j))).transpose()?;
    let nix = NixCall::new(&root)?;
    let jobs = runs(&shards, &args.seeds.0);
    let mut swept = Swept::default();
    for (i, batch) in jobs.chunks(args.batch).enumerate() {
        if process::interrupted() {
            swept.interrupted = true;
            break;
        }
        if args.stop_on_failure && !swept.failures.is_empty() {
            swept.not_run = jobs.len() - i * args.batch;
            break;
        }
        eprintln!(
            "sweep: nix build of runs {}..{} of {}",
            i * args.batch + 1,
            i * args.batch + batch.len(),
            jobs.len()
        );
        nix_batch(&nix, batch, &caps, max_jobs, &mut swept)?;
    }
    Ok((swept, shards.len()))
}

/// One `nix build --keep-going` of a batch; a run passed when its output path is valid.
fn nix_batch(
    nix: &NixCall,
    batch: &[Shard],
    caps: &runner::Caps,
    max_jobs: Option<usize>,
    swept: &mut Swept,
) -> Result<()> {
    let expr = nix.expr(batch, caps);
    let paths_expr = format!("map (d: {{ drv = d.drvPath; out = d.outPath; }}) ({expr})");
    let o = nix
        .cmd(&["eval", "--json", "--impure", "--expr", &paths_expr])
        .output()
        .map_err(|e| crate::exit::infra(format!("cannot run nix eval: {e}")))?;
    if !o.status.success() {
        return Err(crate::exit::infra(format!(
            "nix eval of the shard derivations failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    let paths: Vec<Paths> =
        serde_json::from_slice(&o.stdout).context("malformed `nix eval --json` output")?;
    if paths.len() != batch.len() {
        bail!(
            "nix eval gave {} derivations for {} runs",
            paths.len(),
            batch.len()
        );
    }
    let n = max_jobs.map(|j| j.to_string());
    let mut build = vec!["build", "--impure", "--no-link", "--keep-going"];
    if let Some(n) = &n {
        build.extend(["--max-jobs", n]);
    }
    build.extend(["--expr", &expr]);
    // Nix says what it builds and what failed on stderr; the verdicts come from the store. In
    // a process group of its own, stopped (with what it runs) on SIGINT, SIGTERM or SIGHUP.
    let mut child = nix
        .cmd(&build)
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| crate::exit::infra(format!("cannot run nix build: {e}")))?;
    let status = match process::wait_or_stop(&mut child)? {
        Some(status) if !process::interrupted() => status,
        _ => {
            swept.interrupted = true;
            return Ok(());
        }
    };
    // A failed build can leave its output directory behind; only a valid path passed.
    let invalid = invalid_paths(paths.iter().map(|p| p.out.as_str()))?;
    let failed_before = swept.failures.len();
    for (shard, p) in batch.iter().zip(&paths) {
        if invalid.contains(&p.out) {
            swept.failures.push(nix_failure(shard, &p.drv));
        } else {
            swept.passed += 1;
        }
    }
    if !status.success() && swept.failures.len() == failed_before {
        return Err(crate::exit::infra(format!(
            "nix build failed ({status}) although every output is valid"
        )));
    }
    Ok(())
}

/// The store paths of `paths` that are not valid (`nix-store --check-validity --print-invalid`).
fn invalid_paths<'a>(
    paths: impl Iterator<Item = &'a str>,
) -> Result<std::collections::BTreeSet<String>> {
    let o = Command::new("nix-store")
        .args(["--check-validity", "--print-invalid"])
        .args(paths)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| crate::exit::infra(format!("cannot run nix-store --check-validity: {e}")))?;
    if !o.status.success() {
        return Err(crate::exit::infra(format!(
            "nix-store --check-validity failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// A failed run of a batch, from its build log.
fn nix_failure(shard: &Shard, drv: &str) -> Failure {
    let log = Command::new("nix-store")
        .args(["--read-log", drv])
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    failure_from_log(shard, log.as_deref(), format!("nix-store --read-log {drv}"))
}

/// A failed run from its build log (`None`: it has none, so it was never built).
fn failure_from_log(shard: &Shard, log: Option<&str>, whereabouts: String) -> Failure {
    let Some(log) = log else {
        return Failure {
            shard: shard.clone(),
            why: "not built (no build log: see nix's messages above)".to_string(),
            tail: Vec::new(),
            reproduce: Vec::new(),
            log: whereabouts,
        };
    };
    let lines: Vec<&str> = log.lines().collect();
    let at = lines.iter().rposition(|l| l.starts_with("SHARD FAILED"));
    let (before, block) = lines.split_at(at.unwrap_or(lines.len()));
    let why = block
        .first()
        .and_then(|l| l.strip_prefix("SHARD FAILED ("))
        .and_then(|l| l.split_once("):"))
        .map(|(w, _)| w.to_string())
        .unwrap_or_else(|| "build failed".to_string());
    let shown: Vec<&&str> = before
        .iter()
        .filter(|l| !l.starts_with(crate::result::TIMING_PREFIX))
        .collect();
    let tail: Vec<String> = shown[shown.len().saturating_sub(10)..]
        .iter()
        .map(|l| l.to_string())
        .collect();
    Failure {
        shard: shard.clone(),
        why,
        tail,
        reproduce: block.iter().skip(1).map(|l| l.trim().to_string()).collect(),
        log: whereabouts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_ranges_and_lists() {
        assert_eq!(parse_seeds("1..3").unwrap().0, [1, 2, 3]);
        assert_eq!(parse_seeds("7").unwrap().0, [7]);
        assert_eq!(parse_seeds("3,1..2,3, 9").unwrap().0, [3, 1, 2, 9]);
        assert_eq!(parse_seeds("0..=1").unwrap().0, [0, 1]);
        for bad in ["", "x", "3..1", "1..", "-1", "1..2000000", "1,,2"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    use crate::matrix::tests::shard;

    #[test]
    fn choosing_by_name_and_filter() {
        let all: Vec<Shard> = ["ni-a", "ni-b", "inc-a", "64-c"]
            .iter()
            .map(|n| shard(n))
            .collect();
        let names = |v: Vec<Shard>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(
            names(choose(all.clone(), &["ni-b".into()], &[]).unwrap()),
            ["ni-b"]
        );
        assert_eq!(
            names(choose(all.clone(), &["ni-b".into()], &["64-*".into()]).unwrap()),
            ["64-c", "ni-b"]
        );
        assert_eq!(names(choose(all.clone(), &[], &[]).unwrap()).len(), 4);
        let e = choose(all.clone(), &["ni-z".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no shard named ni-z") && e.contains("inc-a"),
            "{e}"
        );
        assert!(choose(all, &[], &["zz".into()]).is_err());
    }

    #[test]
    fn runs_go_seed_by_seed() {
        let r = runs(&[shard("ni-a"), shard("ni-b")], &[5.into(), 2.into()]);
        let got: Vec<(String, u64)> = r.into_iter().map(|s| (s.name, s.seed.get())).collect();
        assert_eq!(
            got,
            [
                ("ni-a".into(), 5),
                ("ni-b".into(), 5),
                ("ni-a".into(), 2),
                ("ni-b".into(), 2)
            ]
        );
    }

    #[test]
    fn the_nix_expression_lists_one_shard_per_run() {
        let call = NixCall {
            root: PathBuf::from("/r"),
            opts: vec![],
            standin: true,
        };
        let caps = runner::Caps {
            max_memory: Some(1024),
            timeout_seconds: Some(2.5),
        };
        let e = call.expr(&runs(&[shard("ni-a")], &[3.into(), 4.into()]), &caps);
        assert_eq!(
            e,
            "let shard = (import ./nix/standin.nix).lib.shard; in [ \
             (shard { variant = \"ni\"; module = \"a\"; export = \"test_a\"; seed = 3; maxMemory = 1024; timeoutSeconds = \"2.5\"; }) \
             (shard { variant = \"ni\"; module = \"a\"; export = \"test_a\"; seed = 4; maxMemory = 1024; timeoutSeconds = \"2.5\"; }) ]"
        );
        assert_eq!(nix_string("a\"${b}\\"), "\"a\\\"\\${b}\\\\\"");
        // A deeper run names its depth; depth 1 leaves it out, as the default checks do.
        let deep = Shard {
            scale: 16,
            ..shard("ni-a")
        };
        let e = call.expr(&runs(&[deep], &[5.into()]), &runner::Caps::default());
        assert!(
            e.contains("(shard { variant = \"ni\"; module = \"a\"; export = \"test_a\"; seed = 5; scale = 16; })"),
            "{e}"
        );
    }

    #[test]
    fn a_failed_builds_log_gives_why_and_reproduce_lines() {
        let log = "rts-shard-timing {}\nwarning: x\nwasm trap: unreachable\n\
                   SHARD FAILED (exit code 134): variant=ni module=a seed=3\n  \
                   reproduce: nix build -L .#checks.ni-a\n  this seed: nix build -L --impure --expr 'e'\n";
        let f = failure_from_log(&shard("ni-a"), Some(log), "here".into());
        assert_eq!(f.why, "exit code 134");
        assert_eq!(f.tail, ["warning: x", "wasm trap: unreachable"]);
        assert_eq!(
            f.reproduce,
            [
                "reproduce: nix build -L .#checks.ni-a",
                "this seed: nix build -L --impure --expr 'e'"
            ]
        );
        let f = failure_from_log(&shard("ni-a"), None, "here".into());
        assert!(
            f.why.starts_with("not built") && f.reproduce.is_empty(),
            "{f:?}"
        );
        // nix-store has no log of a derivation that does not exist.
        let d = tempfile::tempdir().unwrap();
        let f = nix_failure(
            &shard("ni-a"),
            &d.path().join("x.drv").display().to_string(),
        );
        assert!(f.why.starts_with("not built"), "{f:?}");
    }
}
