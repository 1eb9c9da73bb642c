//! `rts-shards run`: run shards locally in parallel, each exactly as its Nix check runs it
//! (nix/run-shard.sh, through `runner`), and write the summary and the requested outputs.
//!
//! `Args` is the command line; `RunConfig` the plain configuration a run needs, which `bench`
//! builds too; `execute` runs one configuration.

use crate::matrix::{self, DEFAULT_SEED, Shard};
use crate::pool::{Event, Pool};
use crate::progress::Progress;
use crate::result::{Record, ShardResult, Status, Times};
use crate::runner::{Caps, Runner, ShardSpec};
use crate::seed::Seed;
use crate::summary::{self, Counts, Finished};
use crate::tempdir::TempDir;
use crate::timings::{self, Timings};
use crate::variants::{self, Built, Variants};
use crate::{cli, junit, process, suites, wasm, wasmtime};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// `rts-shards run`: run shards in parallel.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run shards in parallel, each as its Nix check runs it, and summarize the results",
    long_about = "Run shards in parallel, each as its Nix check runs it, and summarize the results.\n\n\
        Each shard runs nix/run-shard.sh (or the script named by RTS_SHARDS_RUN_SHARD), the \
        builder of the Nix shard checks, with the variables Nix sets: the same wasmtime command \
        line (the variant's wasmtime_flags, -C cache=n, -W max-memory-size, \
        -W trap-on-grow-failure=y, -W max-table-elements), the same caps and defaults (4 GiB \
        memory, 900 s), the same result.json. --print-commands shows those command lines without running them.\n\n\
        The modules come from --built DIR or --wasm VARIANT=PATH (the .cwasm beside each .wasm \
        when present, else the .wasm itself; a .cwasm without the SHA-256 of its .wasm beside it, \
        in <name>.cwasm.wasm-sha256, is an infrastructure failure); without \
        either, each selected variant is built from source with nix/build-variant.sh into \
        --build-dir. The shards are every test_* export of each selected variant (narrowed with \
        --filter), run by --jobs workers, longest expected first according to --timings.\n\n\
        Every shard is run even after failures unless --fail-fast (then no new shard starts \
        after the first failure). Ctrl-C, SIGTERM or SIGHUP stops the running shards (their \
        process groups), prints the summary of what ran, removes temporary folders and exits \
        130, 143 or 129; no output file is written then.\n\n\
        The summary (stdout) lists passed and failed counts, the 5 slowest shards and, for each \
        failure, the end of its output and the reproduce lines nix/run-shard.sh printed. \
        Progress goes to stderr: a progress bar on a terminal, one line per shard otherwise. \
        Every output's directory is checked before the run; --record-timings records passing \
        shards only.\n\n\
        Exit status: 0 all passed, 1 some shard failed or timed out, 2 usage or input error, \
        3 infrastructure failure (some shard left no complete result: full disk, a broken \
        runner; 3 even when others failed), 130/143/129 interrupted. A failed output write is \
        printed and leaves the status as it is."
)]
pub struct Args {
    #[command(flatten)]
    pub shards: ShardArgs,
    /// Start no new shard after the first failure
    #[arg(long)]
    pub fail_fast: bool,
    /// Seed passed to every test function [default: each variant's matrix seed, 1 unless its
    /// variants file says otherwise]
    #[arg(long, value_name = "N", value_parser = Seed::parse)]
    pub seed: Option<Seed>,
    /// Write a JUnit XML report here
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON array of records (result.json's fields and "times") here
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Timings used to order shards, longest first [default: the suite's, tools/timings.json
    /// for `rts`, if present]
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Merge the measured wall time and peak memory of every passing shard into this file
    #[arg(long, value_name = "FILE")]
    pub record_timings: Option<PathBuf>,
    /// Keep every shard's directory (log, result.json, runner.log) here [default: a temporary
    /// directory that keeps only failed shards']
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Print each selected shard's command line (nix/run-shard.sh's dry run) and run nothing
    #[arg(long)]
    pub print_commands: bool,
}

/// Which shards, from which modules, with which caps and how many at once: the flags `run`
/// and `sweep` share.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// The suite (nix/suites.json): `rts`, or `motoko` for Motoko's RTS tests, whose modules
    /// Nix builds (pass them with --built or --wasm)
    #[arg(long, value_name = "NAME", default_value = crate::suites::DEFAULT_SUITE)]
    pub suite: String,
    /// Variants file [default: the suite's, nix/variants.json for `rts`]
    #[arg(long, value_name = "FILE")]
    pub variants: Option<PathBuf>,
    /// Directory of built variants: DIR/<variant>/<the suite's module file>, e.g.
    /// rts_testsuite.wasm (with its .cwasm beside it, if any)
    #[arg(long, value_name = "DIR")]
    pub built: Option<PathBuf>,
    /// A variant's module, e.g. --wasm ni=result-ni/rts_testsuite.wasm (repeatable)
    #[arg(long, value_name = "VARIANT=PATH", value_parser = variants::parse_wasm_pair)]
    pub wasm: Vec<(String, PathBuf)>,
    /// Where to build variants from source when neither --built nor --wasm is given
    /// [default: target/rts-shards in the repository root]
    #[arg(long, value_name = "DIR")]
    pub build_dir: Option<PathBuf>,
    /// Run only this variant (repeatable) [default: all]
    #[arg(long = "variant", value_name = "VARIANT")]
    pub variant: Vec<String>,
    /// Run only shards whose name (<variant>-<module>) or module matches this glob, e.g.
    /// '64-*' or '*gc*' (repeatable: any may match)
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Run each test this many times deeper: scale times its random work, as the nightly jobs
    /// do (the test crate's scaled_<module> exports; the rts suite only)
    #[arg(long, value_name = "N", default_value_t = crate::matrix::DEFAULT_SCALE,
          value_parser = clap::value_parser!(u32).range(1..=999_999_999))]
    pub scale: u32,
    /// Number of shards run at once [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Kill a shard after this many seconds (fractions allowed, at most one week) and count it
    /// as a timeout [default: nix/run-shard.sh's, 900]
    #[arg(long, value_name = "SECS", value_parser = cli::parse_seconds)]
    pub timeout: Option<f64>,
    /// Cap each wasm linear memory, in bytes or with a K/M/G/T suffix (powers of 1024), e.g.
    /// 512M [default: nix/run-shard.sh's, 4G]
    #[arg(long, value_name = "SIZE", value_parser = cli::parse_size)]
    pub max_memory: Option<u64>,
    /// The wasmtime binary [default: wasmtime on PATH, else /opt/rts-shards/wasmtime/bin/wasmtime]
    #[arg(long, value_name = "PATH")]
    pub wasmtime: Option<PathBuf>,
}

/// What a run needs, resolved: no clap types, no defaults left to apply.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub root: PathBuf,
    pub variants: Variants,
    /// The modules of the selected variants.
    pub built: Vec<Built>,
    pub filter: Vec<String>,
    pub jobs: usize,
    pub fail_fast: bool,
    pub caps: Caps,
    /// The seed given with --seed; `None`: each variant's matrix seed.
    pub seed: Option<Seed>,
    /// The depth of every shard (--scale).
    pub scale: u32,
    /// Used to order shards, longest first.
    pub timings: Option<Timings>,
    pub wasmtime: PathBuf,
    /// Keep every shard's directory here; `None`: a temporary directory.
    pub log_dir: Option<PathBuf>,
    /// The summary goes to stderr (when the caller owns stdout).
    pub summary_to_stderr: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The shards that ran to their end, sorted by name.
    pub finished: Vec<Finished>,
    /// From the first shard's start to the last one's end, in seconds.
    pub wall_seconds: f64,
    /// Selected shards that never ran to their end (fail-fast, Ctrl-C).
    pub not_run: Vec<Shard>,
    pub interrupted: bool,
}

impl RunOutcome {
    /// The records of the finished shards, each with its times.
    pub fn results(&self) -> Vec<Record> {
        self.finished.iter().map(|f| f.record.clone()).collect()
    }

    /// Every selected shard ran and passed.
    pub fn all_passed(&self) -> bool {
        self.not_run.is_empty() && self.finished.iter().all(|f| !f.failed())
    }
}

/// Runs `rts-shards run`.
pub fn command(args: Args) -> Result<ExitCode> {
    process::install_interrupt_handler();
    // The inputs no output may overwrite (--record-timings may be the --timings file: it
    // merges into it).
    let suite = suites::get(&variants::repo_root(), &args.shards.suite)?;
    let variants_file = args.shards.variants.clone().unwrap_or(suite.variants);
    let inputs: Vec<&Path> = [Some(variants_file.as_path()), args.timings.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    cli::check_outputs([&args.junit, &args.json].into_iter().flatten(), &inputs)?;
    cli::check_outputs(
        [&args.junit, &args.json, &args.record_timings]
            .into_iter()
            .flatten(),
        &[&variants_file],
    )?;
    // Checked now; merged at the end under a lock (`timings::record`), read afresh.
    let recorded = match &args.record_timings {
        Some(p) => timings::load_if_exists(p)?,
        None => None,
    };
    if let (Some(p), Some(t)) = (&args.record_timings, &recorded) {
        t.check_depth(args.shards.scale)
            .with_context(|| format!("--record-timings {}", p.display()))?;
    }
    let config = config(
        &args.shards,
        args.seed,
        args.fail_fast,
        args.timings.as_deref(),
        args.log_dir.clone(),
    )?;
    if args.print_commands {
        return print_commands(&config);
    }
    let outcome = execute(&config)?;
    if outcome.interrupted {
        eprintln!(
            "interrupted ({}): no output file written",
            process::interrupted_by()
        );
        return Ok(ExitCode::from(process::interrupted_status().unwrap_or(130)));
    }
    write_outputs(&args, &outcome);
    Ok(crate::exit::verdict(
        !outcome.all_passed(),
        outcome.finished.iter().any(Finished::infra),
    ))
}

/// Resolves the shared flags and the others `RunConfig` needs into a configuration (building
/// variants when asked to).
pub fn config(
    args: &ShardArgs,
    seed: Option<Seed>,
    fail_fast: bool,
    timings_file: Option<&Path>,
    log_dir: Option<PathBuf>,
) -> Result<RunConfig> {
    let root = variants::repo_root();
    let suite = suites::get(&root, &args.suite)?;
    let variants_path = args
        .variants
        .clone()
        .unwrap_or_else(|| suite.variants.clone());
    let vs = variants::load(&variants_path)?;
    let selected = variants::select(&vs, &args.variant)?;
    let wasmtime = wasmtime::resolve(args.wasmtime.as_deref())?;
    let jobs = cli::jobs(args.jobs)?;
    let timings = match timings_file {
        Some(p) => timings::load(p).map(Some)?,
        None => timings::load_if_exists(&suite.timings).unwrap_or_else(|e| {
            eprintln!("warning: ignoring timings: {e:#}");
            None
        }),
    };
    let built = if args.built.is_some() || !args.wasm.is_empty() {
        variants::resolve_built(
            &vs,
            &selected,
            args.built.as_deref(),
            &suite.wasm,
            &args.wasm,
        )?
    } else {
        let Some(script) = &suite.build else {
            bail!(
                "the {} suite's modules are built by Nix (e.g. nix build .#<variant>); pass them \
                 with --built DIR or --wasm VARIANT=PATH",
                args.suite
            );
        };
        let build_dir = args
            .build_dir
            .clone()
            .unwrap_or_else(|| root.join("target").join("rts-shards"));
        build_from_source(script, &root, &vs, &selected, &build_dir, &wasmtime)?
    };
    Ok(RunConfig {
        root,
        variants: vs,
        built,
        filter: args.filter.clone(),
        jobs,
        fail_fast,
        caps: Caps {
            max_memory: args.max_memory,
            timeout_seconds: args.timeout,
        },
        seed,
        scale: args.scale,
        timings,
        wasmtime,
        log_dir,
        summary_to_stderr: false,
    })
}

/// Builds each selected variant with `script` (nix/build-variant.sh) into `build_dir/<variant>`.
pub fn build_from_source(
    script: &Path,
    root: &Path,
    vs: &Variants,
    selected: &[String],
    build_dir: &Path,
    wasmtime: &Path,
) -> Result<Vec<Built>> {
    if !script.is_file() {
        bail!(
            "no --built DIR or --wasm VARIANT=PATH given, and the build script {} does not exist",
            script.display()
        );
    }
    selected
        .iter()
        .map(|v| {
            variants::build_variant(
                script,
                &root.join("rts"),
                v,
                &vs[v],
                &build_dir.join(v),
                wasmtime,
            )
        })
        .collect()
}

/// The shards of the configured modules, filtered and ordered longest expected first.
pub fn select_shards(c: &RunConfig) -> Result<Vec<Shard>> {
    let mut shards = Vec::new();
    // Shards whose test has no deeper twin, and the module they are in.
    let mut flat: Vec<(String, PathBuf)> = Vec::new();
    for b in &c.built {
        let exports = wasm::test_exports(&b.wasm)?;
        wasm::warn_bad_signatures(&b.wasm, &exports);
        let seed = c
            .seed
            .unwrap_or_else(|| c.variants.get(&b.variant).map_or(DEFAULT_SEED, |v| v.seed));
        for e in exports.iter().filter(|e| !e.scalable) {
            flat.push((matrix::shard_name(&b.variant, e.module()), b.wasm.clone()));
        }
        shards.extend(exports.iter().map(|e| matrix::Shard {
            scale: c.scale,
            ..matrix::shard(&b.variant, e, seed)
        }));
    }
    let mut shards = matrix::filter_shards(shards, &c.filter)?;
    if shards.is_empty() {
        bail!("no shards to run (check --variant and --filter)");
    }
    if c.scale != matrix::DEFAULT_SCALE {
        let flat: Vec<&(String, PathBuf)> = flat
            .iter()
            .filter(|(name, _)| shards.iter().any(|s| &s.name == name))
            .collect();
        if let Some((_, wasm)) = flat.first() {
            let names: Vec<&str> = flat.iter().map(|(n, _)| n.as_str()).collect();
            bail!(
                "--scale {}: {} has no {}<module>(seed: u64, scale: u32) export for {} (only \
                 test crates with a depth knob, like rts/testsuite, run deeper)",
                c.scale,
                wasm.display(),
                wasm::SCALED_PREFIX,
                names.join(", ")
            );
        }
    }
    matrix::order_shards(&mut shards, c.timings.as_ref());
    Ok(shards)
}

/// The runner spec of a shard.
pub fn spec<'a>(
    c: &'a RunConfig,
    built: &'a BTreeMap<&str, &Built>,
    s: &'a Shard,
) -> ShardSpec<'a> {
    ShardSpec {
        shard: s,
        module: built[s.variant.as_str()].runnable(),
        flags: &c.variants[&s.variant].wasmtime_flags,
        caps: c.caps,
    }
}

/// `--print-commands`: each shard's command line, from the script's dry run.
fn print_commands(c: &RunConfig) -> Result<ExitCode> {
    let runner = Runner::new(&c.root, &c.wasmtime)?;
    let built: BTreeMap<&str, &Built> = c.built.iter().map(|b| (b.variant.as_str(), b)).collect();
    let mut shards = select_shards(c)?;
    shards.sort_by(|a, b| a.name.cmp(&b.name));
    for s in &shards {
        println!("{}: {}", s.name, runner.command_line(&spec(c, &built, s))?);
    }
    Ok(ExitCode::SUCCESS)
}

/// How one job ended.
pub enum JobEnd {
    Done(Box<Finished>),
    Interrupted(String),
}

/// Runs one shard in `dir` and turns what happened into a record.
pub fn run_one(runner: &Runner, spec: &ShardSpec, dir: PathBuf, version: &str) -> JobEnd {
    let s = spec.shard;
    let (result, times, error) = match runner.run(spec, &dir) {
        Ok(ran) if ran.outcome.end == process::End::Interrupted => {
            return JobEnd::Interrupted(s.name.clone());
        }
        Ok(ran) => match ran.result {
            Some(r) => (r, ran.times, None),
            None => (
                failed_result(s, version, ran.outcome.end),
                ran.times,
                ran.error,
            ),
        },
        Err(e) => {
            let now = process::unix_now();
            let times = Times {
                wall_seconds: 0.0,
                peak_memory_kib: None,
                started_at_unix: now,
                finished_at_unix: now,
            };
            let end = process::End::Exited(-1);
            (
                failed_result(s, version, end),
                times,
                Some(format!("{e:#}")),
            )
        }
    };
    let block = summary::block_of(&dir);
    JobEnd::Done(Box::new(Finished {
        record: Record {
            result,
            times: Some(times),
        },
        dir,
        block,
        error,
    }))
}

/// The result of a shard that left no result.json of its own.
fn failed_result(s: &Shard, version: &str, end: process::End) -> ShardResult {
    ShardResult {
        name: s.name.clone(),
        variant: s.variant.clone(),
        module: s.module.clone(),
        export: s.export.clone(),
        seed: s.seed,
        scale: s.scale,
        status: if end == process::End::Deadline {
            Status::Timeout
        } else {
            Status::Fail
        },
        exit_code: match end {
            process::End::Exited(c) if c >= 0 => Some(c),
            _ => None,
        },
        wasmtime_version: version.to_string(),
    }
}

/// The progress line of a finished shard.
pub fn progress_line(f: &Finished) -> String {
    let r = &f.record.result;
    format!(
        "{:<7} {}{}  {:.2}s  {}{}",
        r.status.label(),
        r.name,
        if r.seed == DEFAULT_SEED {
            String::new()
        } else {
            format!(" seed={}", r.seed)
        },
        f.wall_seconds(),
        summary::fmt_kib(f.record.times.and_then(|t| t.peak_memory_kib)),
        if f.failed() {
            format!("  ({})", f.why())
        } else {
            String::new()
        }
    )
}

/// The directory of the shards' directories: `--log-dir`, else a temporary one (returned too,
/// so that dropping it removes it).
pub fn log_dir(c: &RunConfig) -> Result<(Option<TempDir>, PathBuf)> {
    match &c.log_dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create log directory {}", d.display()))?;
            Ok((None, std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())))
        }
        None => {
            let t = TempDir::new("run")?;
            let p = t.path().to_path_buf();
            Ok((Some(t), p))
        }
    }
}

/// Prints the summary where the configuration says.
fn print_summary(c: &RunConfig, text: &str) {
    if c.summary_to_stderr {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

/// Runs the shards of a configuration and prints the summary. Ctrl-C ends it early with
/// `interrupted` set.
pub fn execute(c: &RunConfig) -> Result<RunOutcome> {
    let runner = Runner::new(&c.root, &c.wasmtime)?;
    let version = wasmtime::version(&c.wasmtime)?;
    let shards = select_shards(c)?;
    let (mut temp, log_dir) = log_dir(c)?;
    let built: BTreeMap<&str, &Built> = c.built.iter().map(|b| (b.variant.as_str(), b)).collect();
    let progress = Progress::new(shards.len());
    let (mut finished, mut interrupted, mut running) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    let pool = Pool {
        workers: c.jobs.min(shards.len()),
        fail_fast: c.fail_fast,
    };
    pool.run(
        shards.iter().collect(),
        |s: &&Shard| s.name.clone(),
        |s: &Shard| {
            run_one(
                &runner,
                &spec(c, &built, s),
                log_dir.join(&s.name),
                &version,
            )
        },
        |e: &JobEnd| matches!(e, JobEnd::Done(f) if f.failed()),
        |event| match event {
            Event::Started(name) => {
                running.push(name);
                progress.running(&running);
            }
            Event::Finished(JobEnd::Interrupted(name)) => {
                running.retain(|n| n != &name);
                interrupted.push(name);
            }
            Event::Finished(JobEnd::Done(f)) => {
                running.retain(|n| n != &f.record.result.name);
                let line = progress_line(&f);
                let failed = f.failed();
                finished.push(*f);
                progress.finished(finished.len(), &line, failed, &running);
            }
        },
    );
    progress.done();
    finished.sort_by(|a: &Finished, b: &Finished| a.record.result.name.cmp(&b.record.result.name));
    let not_run: Vec<Shard> = shards
        .iter()
        .filter(|s| !finished.iter().any(|f| f.record.result.name == s.name))
        .cloned()
        .collect();
    let counts = Counts {
        not_run: not_run.len() - interrupted.len(),
        interrupted,
        seed: c.seed,
        wall: start.elapsed().as_secs_f64(),
        jobs: c.jobs,
    };
    print_summary(c, &summary::summary(&finished, &counts));
    let interrupted = process::interrupted();
    if let Some(t) = temp.as_mut() {
        keep_failures(t, &finished, interrupted);
    }
    Ok(RunOutcome {
        finished,
        wall_seconds: counts.wall,
        not_run,
        interrupted,
    })
}

/// In the temporary directory, keeps the failed shards' directories (the summary names them)
/// and removes the rest; after Ctrl-C removes it all.
pub fn keep_failures(temp: &mut TempDir, finished: &[Finished], interrupted: bool) {
    if interrupted || finished.iter().all(|f| !f.failed()) {
        return; // dropped with `temp`
    }
    for f in finished.iter().filter(|f| !f.failed()) {
        if inside(temp.path(), &f.dir) {
            let _ = std::fs::remove_dir_all(&f.dir);
        }
    }
    temp.keep();
}

/// Whether `dir` lies under `root` by plain names only (no `..`): the one kind of directory
/// `keep_failures` removes, whatever a shard name held.
fn inside(root: &Path, dir: &Path) -> bool {
    dir.strip_prefix(root).is_ok_and(|rest| {
        rest.components().next().is_some()
            && rest
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
    })
}

/// Writes `--json`, `--junit` and `--record-timings`: each one even when another fails.
fn write_outputs(args: &Args, outcome: &RunOutcome) {
    let results = outcome.results();
    let mut outputs: Vec<(&Path, Result<Vec<u8>>)> = Vec::new();
    if let Some(p) = &args.json {
        outputs.push((
            p,
            crate::atomic::to_pretty_json(&results).map(String::into_bytes),
        ));
    }
    if let Some(p) = &args.junit {
        let not_run: Vec<(&str, &str)> = outcome
            .not_run
            .iter()
            .map(|s| (s.variant.as_str(), s.module.as_str()))
            .collect();
        let details = |r: &ShardResult| {
            outcome
                .finished
                .iter()
                .find(|f| f.record.result.name == r.name)
                .map(summary::junit_details)
        };
        let xml = junit::junit_xml("rts-shards run", &results, &not_run, &details);
        outputs.push((p, xml.map(String::into_bytes)));
    }
    cli::write_outputs(outputs);
    if let Some(p) = &args.record_timings {
        match timings::record(p, &results) {
            Ok(n) => eprintln!(
                "recorded {n} timings (passing shards only) in {}",
                p.display()
            ),
            Err(e) => eprintln!("rts-shards: error: cannot write {}: {e:#}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::rec;

    #[test]
    fn keep_failures_removes_passing_directories_inside_the_temporary_one_only() {
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        let mut temp = TempDir::new("keep-test").unwrap();
        let finished = |name: &str, status, dir: PathBuf| Finished {
            record: rec(name, status, 0.0, 1.0),
            dir,
            block: vec![],
            error: None,
        };
        let pass = temp.path().join("ni-a");
        std::fs::create_dir(&pass).unwrap();
        let fail = temp.path().join("ni-b");
        std::fs::create_dir(&fail).unwrap();
        // A directory reached through `..` from the temporary one (through ni-b, which stays,
        // so the path resolves) is not removed.
        let tmp = temp.path().parent().unwrap();
        let climbing = temp
            .path()
            .join("ni-b/../..")
            .join(victim.strip_prefix(tmp).unwrap());
        assert_eq!(
            std::fs::canonicalize(&climbing).unwrap(),
            std::fs::canonicalize(&victim).unwrap()
        );
        let all = [
            finished("ni-a", Status::Pass, pass.clone()),
            finished("ni-b", Status::Fail, fail.clone()),
            finished("ni-c", Status::Pass, climbing),
            finished("ni-d", Status::Pass, victim.clone()),
        ];
        keep_failures(&mut temp, &all, false);
        assert!(!pass.exists());
        assert!(fail.is_dir());
        assert!(victim.is_dir());
        let kept = temp.path().to_path_buf();
        drop(temp);
        assert!(kept.is_dir());
        std::fs::remove_dir_all(kept).unwrap();
    }
}
