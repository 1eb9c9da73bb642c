//! `rts-shards run`: run shards locally in parallel under wasmtime.
//!
//! Each shard is one child process `wasmtime run [variant flags] [-W max-memory-size=N]
//! --allow-precompiled --invoke test_<module> <module.cwasm> <seed>`, run by a pool of worker
//! threads that take shards longest-expected first (from `tools/timings.json`). The child is
//! reaped with `wait4` to get its peak resident memory, and killed on `--timeout`.

use crate::matrix::{self, DEFAULT_SEED, Shard};
use crate::report::{self, ShardResult, Status};
use crate::timings::{self, Timing, Timings};
use crate::variants::{self, Built, Variants};
use crate::{atomic, wasm};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where `wasmtime` is looked for when it is not on PATH.
pub const FALLBACK_WASMTIME: &str = "/opt/rts-shards/wasmtime/bin/wasmtime";

/// `rts-shards run`: run shards in parallel.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run shards in parallel under wasmtime and summarize the results",
    long_about = "Run shards in parallel under wasmtime and summarize the results.\n\n\
        The modules come from --built DIR or --wasm VARIANT=PATH (the .cwasm beside each .wasm is \
        run with --allow-precompiled when present, else the .wasm itself); without either, each \
        selected variant is built from source with nix/build-variant.sh into --build-dir. The \
        shards are every test_* export of each selected variant (narrowed with --filter), run by \
        --jobs worker threads, longest expected first according to --timings.\n\n\
        Every shard is run even after failures unless --fail-fast (then no new shard starts after \
        the first failure; running ones finish). A shard that exceeds --timeout is killed and \
        counted as a timeout. --max-memory caps each linear memory via wasmtime's \
        `-W max-memory-size`; the peak resident memory of each child is measured with wait4.\n\n\
        The summary (stdout) lists passed and failed counts, the 5 slowest shards and, for each \
        failure, the exact wasmtime command and `nix build` command that reproduce it. Progress \
        goes to stderr: a progress bar on a terminal, one line per shard otherwise.\n\n\
        Exit status: 0 all passed, 1 some shard failed or timed out, 2 usage or input error."
)]
pub struct Args {
    /// Variants file [default: nix/variants.json in the repository root]
    #[arg(long, value_name = "FILE")]
    pub variants: Option<PathBuf>,
    /// Directory of built variants: DIR/<variant>/rts_testsuite.{wasm,cwasm}
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
    /// Number of shards run at once [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Start no new shard after the first failure
    #[arg(long)]
    pub fail_fast: bool,
    /// Kill a shard after this many seconds (fractions allowed) and count it as a timeout
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<f64>,
    /// Cap each wasm linear memory, in bytes or with a K/M/G/T suffix (powers of 1024), e.g. 512M
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Seed passed to every test function
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Write a JUnit XML report here
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON array of result records here
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Timings used to order shards, longest first [default: tools/timings.json in the
    /// repository root, if present]
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Merge the measured wall time and peak memory of every shard run into this timings file
    #[arg(long, value_name = "FILE")]
    pub record_timings: Option<PathBuf>,
    /// The wasmtime binary [default: wasmtime on PATH, else /opt/rts-shards/wasmtime/bin/wasmtime]
    #[arg(long, value_name = "PATH")]
    pub wasmtime: Option<PathBuf>,
    /// Keep every shard's stdout/stderr here [default: a temporary directory that keeps only
    /// the logs of failed shards]
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
}

/// Parses a non-negative number of seconds.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("expected a positive number of seconds, got {s:?}")),
    }
}

/// Parses a byte size: `1048576`, `512K`, `512M`, `1.5G`, `2GiB`, `1T` (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let err = || format!("expected a size like 536870912, 512M or 2G, got {s:?}");
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (num, mult) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 1u64 << 10),
        Some('M') => (&body[..body.len() - 1], 1 << 20),
        Some('G') => (&body[..body.len() - 1], 1 << 30),
        Some('T') => (&body[..body.len() - 1], 1 << 40),
        Some(c) if c.is_ascii_digit() => (body, 1),
        _ => return Err(err()),
    };
    if num.is_empty() || num.starts_with('-') || num.starts_with('+') {
        return Err(err());
    }
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult).filter(|v| *v > 0).ok_or_else(err);
    }
    match num.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f * (mult as f64) < u64::MAX as f64 => {
            let v = (f * mult as f64).round() as u64;
            if v == 0 { Err(err()) } else { Ok(v) }
        }
        _ => Err(err()),
    }
}

/// Resolves the wasmtime binary: the given path, else `wasmtime` on PATH, else the fallback.
pub fn resolve_wasmtime(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.components().count() == 1 && !p.exists() {
            if let Some(found) = find_on_path(p.as_os_str()) {
                return Ok(found);
            }
        }
        if !p.is_file() {
            bail!("wasmtime binary {} does not exist", p.display());
        }
        return Ok(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
    }
    if let Some(found) = find_on_path("wasmtime".as_ref()) {
        return Ok(found);
    }
    let fallback = PathBuf::from(FALLBACK_WASMTIME);
    if fallback.is_file() {
        return Ok(fallback);
    }
    bail!(
        "wasmtime not found on PATH nor at {FALLBACK_WASMTIME} (run tools/setup.sh, or pass --wasmtime PATH)"
    )
}

fn find_on_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

/// `wasmtime --version`, trimmed (e.g. `wasmtime 48.0.8 (...)`).
pub fn wasmtime_version(wasmtime: &Path) -> Result<String> {
    let out = Command::new(wasmtime)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} --version", wasmtime.display()))?;
    if !out.status.success() {
        bail!("{} --version failed: {}", wasmtime.display(), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The arguments after `wasmtime` that run one shard.
pub fn shard_args(
    variant_flags: &[String],
    built: &Built,
    shard: &Shard,
    max_memory: Option<u64>,
) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec!["run".into()];
    a.extend(variant_flags.iter().map(OsString::from));
    if let Some(bytes) = max_memory {
        a.push("-W".into());
        a.push(format!("max-memory-size={bytes}").into());
    }
    if built.cwasm.is_some() {
        a.push("--allow-precompiled".into());
    }
    a.push("--invoke".into());
    a.push(shard.export.clone().into());
    a.push(built.runnable().as_os_str().to_owned());
    a.push(shard.seed.to_string().into());
    a
}

/// Quotes a word for a POSIX shell when needed.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A command line as a copy-pasteable shell string.
pub fn command_line(program: &Path, args: &[OsString]) -> String {
    std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|w| shell_quote(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `nix build` command that runs one shard's check (the flake mirrors `checks.<system>`
/// under `legacyPackages.<system>.checks`, so no system is needed).
pub fn nix_command(name: &str) -> String {
    format!("nix build -L .#checks.{name}")
}

/// Orders shards longest expected first; shards without a recorded time go first (they may be
/// long), by name. Ties are broken by name so the order is deterministic.
pub fn order_shards(shards: &mut [Shard], timings: Option<&Timings>) {
    let key = |s: &Shard| timings.and_then(|t| t.expected(&s.name));
    shards.sort_by(|a, b| match (key(a), key(b)) {
        (None, None) => a.name.cmp(&b.name),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.name.cmp(&b.name)),
    });
}

/// Keeps the shards matching any of the globs (on the name or the module).
pub fn filter_shards(shards: Vec<Shard>, globs: &[String]) -> Result<Vec<Shard>> {
    if globs.is_empty() {
        return Ok(shards);
    }
    let pats = globs
        .iter()
        .map(|g| glob::Pattern::new(g).with_context(|| format!("invalid --filter glob {g:?}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(shards
        .into_iter()
        .filter(|s| {
            pats.iter()
                .any(|p| p.matches(&s.name) || p.matches(&s.module))
        })
        .collect())
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// What happened to one child process.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub exit_code: Option<i32>,
    /// Signal that ended the child, if any.
    pub signal: Option<i32>,
    pub wall_seconds: f64,
    pub peak_memory_kib: Option<u64>,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
}

/// Runs one child to completion (or kills it at `timeout`), with stdout/stderr to files.
pub fn execute(
    program: &Path,
    args: &[OsString],
    stdout: &Path,
    stderr: &Path,
    timeout: Option<Duration>,
) -> Result<Outcome> {
    let out = std::fs::File::create(stdout)
        .with_context(|| format!("cannot create {}", stdout.display()))?;
    let err = std::fs::File::create(stderr)
        .with_context(|| format!("cannot create {}", stderr.display()))?;
    let started_at_unix = unix_now();
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let pid = child.id() as libc::pid_t;
    // The child is reaped below with wait4 (for its rusage), never through `child`.
    drop(child);
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    let mut sleep = Duration::from_millis(1);
    loop {
        // SAFETY: pid is our own unreaped child; status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e).context("wait4 failed");
        }
        if let Some(limit) = timeout {
            if start.elapsed() >= limit {
                timed_out = true;
                // SAFETY: the child has not been reaped, so pid still names it.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
                loop {
                    // SAFETY: as above; blocking wait for the killed child.
                    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
                    if r == pid {
                        break;
                    }
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(e).context("wait4 failed");
                    }
                }
                break;
            }
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(25));
    }
    let wall_seconds = start.elapsed().as_secs_f64();
    let finished_at_unix = unix_now();
    let (exit_code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    let status = if timed_out {
        Status::Timeout
    } else if exit_code == Some(0) {
        Status::Pass
    } else {
        Status::Fail
    };
    let maxrss = usage.ru_maxrss;
    Ok(Outcome {
        status,
        exit_code: if timed_out { None } else { exit_code },
        signal: if timed_out { None } else { signal },
        wall_seconds,
        // Linux reports ru_maxrss in KiB.
        peak_memory_kib: (maxrss > 0).then_some(maxrss as u64),
        started_at_unix,
        finished_at_unix,
    })
}

/// One shard ready to run.
#[derive(Debug, Clone)]
struct Job {
    shard: Shard,
    args: Vec<OsString>,
}

/// A finished shard, with what the summary needs beyond the result record.
#[derive(Debug, Clone)]
pub struct Finished {
    pub result: ShardResult,
    pub signal: Option<i32>,
    pub reproduce: String,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
    /// Set when the child could not be run at all.
    pub error: Option<String>,
}

enum Event {
    Started(String),
    Finished(Box<Finished>),
}

fn log_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.stdout")),
        dir.join(format!("{name}.stderr")),
    )
}

/// Builds one variant from source with nix/build-variant.sh into `out`.
pub fn build_variant(
    script: &Path,
    rts_src: &Path,
    name: &str,
    variant: &variants::Variant,
    out: &Path,
    wasmtime: &Path,
) -> Result<Built> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    eprintln!("building variant {name} into {}", out.display());
    let mut path = wasmtime
        .parent()
        .map(|p| vec![p.to_path_buf()])
        .unwrap_or_default();
    if let Some(p) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&p));
    }
    let status = Command::new("bash")
        .arg(script)
        .arg(out)
        .env("RTS_SRC", rts_src)
        .env("VARIANT", name)
        .env("TARGET", &variant.target)
        .env("FEATURES", variant.features.join(" "))
        .env("WASMTIME_FLAGS", variant.wasmtime_flags.join(" "))
        .env("PATH", std::env::join_paths(path).context("bad PATH")?)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!("building variant {name} failed ({status})");
    }
    variants::built_from_wasm(name, &out.join(variants::WASM_FILE))
}

fn fmt_kib(k: Option<u64>) -> String {
    match k {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "? MiB".to_string(),
    }
}

fn describe_failure(f: &Finished) -> String {
    if let Some(e) = &f.error {
        return format!("could not run: {e}");
    }
    match f.result.status {
        Status::Timeout => format!("timed out after {:.2}s", f.result.wall_seconds),
        _ => match (f.result.exit_code, f.signal) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            _ => "failed".to_string(),
        },
    }
}

/// The last `lines` lines of a child's stderr, without wasmtime's `--invoke` warning and
/// without the host stack backtrace (printed when RUST_BACKTRACE is set), which says nothing
/// about the test.
fn tail(path: &Path, lines: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = match text.find("\nStack backtrace:") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    let all: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.starts_with("warning: using `--invoke` with a function that takes arguments")
        })
        .collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The end-of-run summary text.
pub fn summary(finished: &[Finished], not_run: usize, seed: u64, wall: f64, jobs: usize) -> String {
    let passed = finished
        .iter()
        .filter(|f| f.result.status == Status::Pass)
        .count();
    let failed = finished.len() - passed;
    let timeouts = finished
        .iter()
        .filter(|f| f.result.status == Status::Timeout)
        .count();
    let mut s = String::new();
    s.push_str(&format!(
        "\nran {} shards in {wall:.2}s with {jobs} jobs: {passed} passed, {failed} failed ({timeouts} timed out)",
        finished.len()
    ));
    if not_run > 0 {
        s.push_str(&format!(", {not_run} not run (--fail-fast)"));
    }
    s.push('\n');
    let mut slow: Vec<&Finished> = finished.iter().collect();
    slow.sort_by(|a, b| {
        b.result
            .wall_seconds
            .total_cmp(&a.result.wall_seconds)
            .then_with(|| a.result.name.cmp(&b.result.name))
    });
    if !slow.is_empty() {
        s.push_str("slowest shards:\n");
        for f in slow.iter().take(5) {
            s.push_str(&format!(
                "  {:>9.2}s  {:>10}  {}\n",
                f.result.wall_seconds,
                fmt_kib(f.result.peak_memory_kib),
                f.result.name
            ));
        }
    }
    let mut failures: Vec<&Finished> = finished
        .iter()
        .filter(|f| f.result.status != Status::Pass)
        .collect();
    failures.sort_by(|a, b| a.result.name.cmp(&b.result.name));
    if !failures.is_empty() {
        s.push_str("failures:\n");
        for f in failures {
            let r = &f.result;
            s.push_str(&format!(
                "  {} ({}): variant {}, module {}, seed {}\n",
                r.name,
                describe_failure(f),
                r.variant,
                r.module,
                r.seed
            ));
            s.push_str(&format!("    reproduce: {}\n", f.reproduce));
            let note = if seed == DEFAULT_SEED {
                String::new()
            } else {
                format!("   (Nix runs seed {DEFAULT_SEED})")
            };
            s.push_str(&format!("    nix:       {}{note}\n", nix_command(&r.name)));
            s.push_str(&format!("    stderr:    {}\n", f.stderr_log.display()));
            for line in tail(&f.stderr_log, 10) {
                s.push_str(&format!("      | {line}\n"));
            }
            if let Some(e) = &f.error {
                s.push_str(&format!("      | {e}\n"));
            }
        }
    }
    s.push_str(&format!("{passed} passed, {failed} failed\n"));
    s
}

/// What a run measured, for callers other than the `run` command (`bench`).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// One record per shard that ran, sorted by name.
    pub results: Vec<ShardResult>,
    /// Wall time from the first shard's start to the last one's end, in seconds.
    pub wall_seconds: f64,
    /// Every shard ran and passed.
    pub all_passed: bool,
}

/// Runs `rts-shards run`.
pub fn command(args: Args) -> Result<ExitCode> {
    let outcome = execute_run(args, false)?;
    Ok(if outcome.all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs the shards `args` select and writes the requested outputs; the summary goes to stdout,
/// or to stderr with `summary_to_stderr` (when the caller owns stdout).
pub fn execute_run(args: Args, summary_to_stderr: bool) -> Result<RunOutcome> {
    let root = variants::repo_root();
    let variants_path = args
        .variants
        .clone()
        .unwrap_or_else(|| root.join("nix").join("variants.json"));
    let vs: Variants = variants::load(&variants_path)?;
    let selected = variants::select(&vs, &args.variant)?;
    let wasmtime = resolve_wasmtime(args.wasmtime.as_deref())?;
    let version = wasmtime_version(&wasmtime)?;
    let jobs = match args.jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let timings_path = args
        .timings
        .clone()
        .unwrap_or_else(|| root.join("tools").join("timings.json"));
    let known_timings = match timings::load_if_exists(&timings_path) {
        Ok(t) => t,
        Err(e) if args.timings.is_none() => {
            eprintln!("warning: ignoring timings: {e:#}");
            None
        }
        Err(e) => return Err(e),
    };
    let recorded = match &args.record_timings {
        Some(p) => Some(timings::load_if_exists(p)?),
        None => None,
    };
    for p in [&args.junit, &args.json, &args.record_timings]
        .into_iter()
        .flatten()
    {
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

    // The modules: given, or built from source.
    let built: Vec<Built> = if args.built.is_some() || !args.wasm.is_empty() {
        variants::resolve_built(&vs, &selected, args.built.as_deref(), &args.wasm)?
    } else {
        let script = root.join("nix").join("build-variant.sh");
        if !script.is_file() {
            bail!(
                "no --built DIR or --wasm VARIANT=PATH given, and the build script {} does not exist",
                script.display()
            );
        }
        let build_dir = args
            .build_dir
            .clone()
            .unwrap_or_else(|| root.join("target").join("rts-shards"));
        let rts_src = root.join("rts");
        let mut out = Vec::new();
        for v in &selected {
            out.push(build_variant(
                &script,
                &rts_src,
                v,
                &vs[v],
                &build_dir.join(v),
                &wasmtime,
            )?);
        }
        out
    };

    let mut shards = Vec::new();
    let mut built_by_variant = BTreeMap::new();
    for b in &built {
        let exports = wasm::test_exports(&b.wasm)?;
        wasm::warn_bad_signatures(&b.wasm, &exports);
        shards.extend(
            exports
                .iter()
                .map(|e| matrix::shard(&b.variant, e, args.seed)),
        );
        built_by_variant.insert(b.variant.clone(), b.clone());
    }
    let mut shards = filter_shards(shards, &args.filter)?;
    if shards.is_empty() {
        bail!("no shards to run (check --variant and --filter)");
    }
    order_shards(&mut shards, known_timings.as_ref());

    let (log_dir, keep_all_logs) = match &args.log_dir {
        Some(d) => (d.clone(), true),
        None => (
            std::env::temp_dir().join(format!(
                "rts-shards-{}-{}",
                std::process::id(),
                unix_now() as u64
            )),
            false,
        ),
    };
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("cannot create log directory {}", log_dir.display()))?;
    let log_dir = std::fs::canonicalize(&log_dir).unwrap_or(log_dir);

    let queue: VecDeque<Job> = shards
        .iter()
        .map(|s| {
            let b = &built_by_variant[&s.variant];
            Job {
                shard: s.clone(),
                args: shard_args(&vs[&s.variant].wasmtime_flags, b, s, args.max_memory),
            }
        })
        .collect();
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Event>();
    let timeout = args.timeout.map(Duration::from_secs_f64);
    let run_start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..jobs.min(total) {
        let queue = Arc::clone(&queue);
        let stop = Arc::clone(&stop);
        let tx = tx.clone();
        let wasmtime = wasmtime.clone();
        let version = version.clone();
        let log_dir = log_dir.clone();
        let fail_fast = args.fail_fast;
        workers.push(std::thread::spawn(move || {
            loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let job = match queue.lock().map(|mut q| q.pop_front()) {
                    Ok(Some(j)) => j,
                    _ => break,
                };
                let _ = tx.send(Event::Started(job.shard.name.clone()));
                let (out_log, err_log) = log_paths(&log_dir, &job.shard.name);
                let reproduce = command_line(&wasmtime, &job.args);
                let (outcome, error) =
                    match execute(&wasmtime, &job.args, &out_log, &err_log, timeout) {
                        Ok(o) => (o, None),
                        Err(e) => {
                            let now = unix_now();
                            (
                                Outcome {
                                    status: Status::Fail,
                                    exit_code: None,
                                    signal: None,
                                    wall_seconds: 0.0,
                                    peak_memory_kib: None,
                                    started_at_unix: now,
                                    finished_at_unix: now,
                                },
                                Some(format!("{e:#}")),
                            )
                        }
                    };
                if fail_fast && outcome.status != Status::Pass {
                    stop.store(true, Ordering::SeqCst);
                }
                let s = job.shard;
                let result = ShardResult {
                    name: s.name,
                    variant: s.variant,
                    module: s.module,
                    seed: s.seed,
                    status: outcome.status,
                    exit_code: outcome.exit_code,
                    wall_seconds: outcome.wall_seconds,
                    peak_memory_kib: outcome.peak_memory_kib,
                    wasmtime_version: version.clone(),
                    started_at_unix: outcome.started_at_unix,
                    finished_at_unix: outcome.finished_at_unix,
                };
                let _ = tx.send(Event::Finished(Box::new(Finished {
                    result,
                    signal: outcome.signal,
                    reproduce,
                    stdout_log: out_log,
                    stderr_log: err_log,
                    error,
                })));
            }
        }));
    }
    drop(tx);

    let progress = Progress::new(total);
    let mut finished: Vec<Finished> = Vec::new();
    let mut running: Vec<String> = Vec::new();
    for event in rx {
        match event {
            Event::Started(name) => {
                running.push(name);
                progress.running(&running);
            }
            Event::Finished(f) => {
                running.retain(|n| n != &f.result.name);
                let failed = f.result.status != Status::Pass;
                let line = format!(
                    "{:<7} {}  {:.2}s  {}{}",
                    f.result.status.label(),
                    f.result.name,
                    f.result.wall_seconds,
                    fmt_kib(f.result.peak_memory_kib),
                    if failed {
                        format!("  ({})", describe_failure(&f))
                    } else {
                        String::new()
                    }
                );
                finished.push(*f);
                progress.finished(finished.len(), &line, failed, &running);
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    progress.done();
    let wall = run_start.elapsed().as_secs_f64();
    let not_run = total - finished.len();

    let text = summary(&finished, not_run, args.seed, wall, jobs);
    if summary_to_stderr {
        eprint!("{text}");
    } else {
        print!("{text}");
    }

    // Outputs.
    let mut results: Vec<ShardResult> = finished.iter().map(|f| f.result.clone()).collect();
    results.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(p) = &args.json {
        atomic::write_json_atomic(p, &results)?;
    }
    if let Some(p) = &args.junit {
        let not_run_shards: Vec<&Shard> = shards
            .iter()
            .filter(|s| !finished.iter().any(|f| f.result.name == s.name))
            .collect();
        let details = |r: &ShardResult| {
            finished.iter().find(|f| f.result.name == r.name).map(|f| {
                let mut t = format!(
                    "reproduce: {}\nnix: {}\nstderr ({}):\n{}",
                    f.reproduce,
                    nix_command(&r.name),
                    f.stderr_log.display(),
                    tail(&f.stderr_log, 200).join("\n")
                );
                if let Some(e) = &f.error {
                    t.push_str(&format!("\n{e}"));
                }
                t
            })
        };
        let xml = report::junit_xml(
            "rts-shards run",
            &results,
            &not_run_shards
                .iter()
                .map(|s| (s.variant.as_str(), s.module.as_str()))
                .collect::<Vec<_>>(),
            &details,
        )?;
        atomic::write_atomic(p, xml.as_bytes())?;
    }
    if let (Some(p), Some(existing)) = (&args.record_timings, recorded) {
        let cmd = std::iter::once("rts-shards".to_string())
            .chain(std::env::args().skip(1))
            .map(|w| shell_quote(&w))
            .collect::<Vec<_>>()
            .join(" ");
        let t = timings::merge(
            existing,
            timings::machine_description(),
            cmd,
            results.iter().map(|r| {
                (
                    r.name.clone(),
                    Timing {
                        wall_seconds: (r.wall_seconds * 1000.0).round() / 1000.0,
                        peak_memory_kib: r.peak_memory_kib,
                    },
                )
            }),
        );
        timings::save(p, &t)?;
        eprintln!("recorded {} timings in {}", results.len(), p.display());
    }

    // Logs: keep failures' logs (all, with --log-dir).
    if !keep_all_logs {
        for f in finished.iter().filter(|f| f.result.status == Status::Pass) {
            let _ = std::fs::remove_file(&f.stdout_log);
            let _ = std::fs::remove_file(&f.stderr_log);
        }
        let _ = std::fs::remove_dir(&log_dir); // only succeeds when empty
    }

    let all_passed = not_run == 0 && finished.iter().all(|f| f.result.status == Status::Pass);
    Ok(RunOutcome {
        results,
        wall_seconds: wall,
        all_passed,
    })
}

/// Progress output on stderr: an indicatif bar on a terminal, else one line per shard.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} ETA {eta} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress { bar, total }
    }

    fn running(&self, running: &[String]) {
        if let Some(b) = &self.bar {
            b.set_message(format!("running: {}", running.join(" ")));
        }
    }

    fn finished(&self, n: usize, line: &str, failed: bool, running: &[String]) {
        match &self.bar {
            Some(b) => {
                if failed {
                    b.println(line);
                }
                b.set_position(n as u64);
                self.running(running);
            }
            None => {
                let w = self.total.to_string().len();
                eprintln!("[{n:>w$}/{}] {line}", self.total);
            }
        }
    }

    fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(name: &str) -> Shard {
        let (v, m) = name.split_once('-').unwrap();
        Shard {
            name: name.into(),
            variant: v.into(),
            module: m.into(),
            export: format!("test_{m}"),
            seed: 1,
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        for bad in ["", "M", "-1", "0", "12X", "abc", "1.2.3G", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("2.5"), Ok(2.5));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("x").is_err());
        assert!(parse_seconds("inf").is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/a/b.cwasm"), "/a/b.cwasm");
        assert_eq!(shell_quote("memory64=y"), "memory64=y");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn args_for_a_shard() {
        let b = Built {
            variant: "64".into(),
            wasm: "/b/64/rts_testsuite.wasm".into(),
            cwasm: Some("/b/64/rts_testsuite.cwasm".into()),
        };
        let s = shard("64-crc32");
        let a = shard_args(&["-W".into(), "memory64=y".into()], &b, &s, Some(1 << 20));
        assert_eq!(
            command_line(Path::new("/w/wasmtime"), &a),
            "/w/wasmtime run -W memory64=y -W max-memory-size=1048576 --allow-precompiled \
             --invoke test_crc32 /b/64/rts_testsuite.cwasm 1"
        );
        let b = Built { cwasm: None, ..b };
        let a = shard_args(&[], &b, &s, None);
        assert_eq!(
            command_line(Path::new("wasmtime"), &a),
            "wasmtime run --invoke test_crc32 /b/64/rts_testsuite.wasm 1"
        );
    }

    #[test]
    fn ordering_longest_first_unknown_first() {
        let mut t = Timings::default();
        for (n, s) in [("ni-a", 1.0), ("ni-b", 5.0), ("ni-c", 3.0), ("ni-d", 5.0)] {
            t.shards.insert(
                n.into(),
                Timing {
                    wall_seconds: s,
                    peak_memory_kib: None,
                },
            );
        }
        let mut v: Vec<Shard> = ["ni-a", "ni-b", "ni-c", "ni-d", "ni-z", "ni-y"]
            .iter()
            .map(|n| shard(n))
            .collect();
        order_shards(&mut v, Some(&t));
        let names: Vec<&str> = v.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["ni-y", "ni-z", "ni-b", "ni-d", "ni-c", "ni-a"]);
        order_shards(&mut v, None);
        assert_eq!(v[0].name, "ni-a");
    }

    #[test]
    fn filtering() {
        let v: Vec<Shard> = ["ni-a", "64-a", "64-gc_big", "inc-b"]
            .iter()
            .map(|n| shard(n))
            .collect();
        let names = |g: &[&str]| -> Vec<String> {
            let g: Vec<String> = g.iter().map(|s| s.to_string()).collect();
            filter_shards(v.clone(), &g)
                .unwrap()
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(names(&["64-*"]), ["64-a", "64-gc_big"]);
        assert_eq!(names(&["a"]), ["ni-a", "64-a"]);
        assert_eq!(names(&["*gc*", "inc-b"]), ["64-gc_big", "inc-b"]);
        assert_eq!(names(&[]).len(), 4);
        assert!(filter_shards(v, &["[".to_string()]).is_err());
    }

    #[test]
    fn execute_measures_and_times_out() {
        let d = tempfile::tempdir().unwrap();
        let (o, e) = (d.path().join("o"), d.path().join("e"));
        let sh = Path::new("/bin/sh");
        let r = execute(sh, &["-c".into(), "echo hi; exit 3".into()], &o, &e, None).unwrap();
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.exit_code, Some(3));
        assert_eq!(std::fs::read_to_string(&o).unwrap(), "hi\n");
        assert!(r.peak_memory_kib.unwrap() > 0);
        assert!(r.finished_at_unix >= r.started_at_unix);
        let r = execute(sh, &["-c".into(), "true".into()], &o, &e, None).unwrap();
        assert_eq!(r.status, Status::Pass);
        let r = execute(
            sh,
            &["-c".into(), "exec sleep 10".into()],
            &o,
            &e,
            Some(Duration::from_millis(200)),
        )
        .unwrap();
        assert_eq!(r.status, Status::Timeout);
        assert_eq!(r.exit_code, None);
        assert!(r.wall_seconds < 5.0, "{}", r.wall_seconds);
        let r = execute(sh, &["-c".into(), "kill -9 $$".into()], &o, &e, None).unwrap();
        assert_eq!((r.status, r.signal), (Status::Fail, Some(9)));
        assert!(execute(Path::new("/nonexistent/x"), &[], &o, &e, None).is_err());
    }

    #[test]
    fn summary_lists_failures_with_reproduce() {
        let mk = |name: &str, status: Status, wall: f64| {
            let s = shard(name);
            Finished {
                result: ShardResult {
                    name: s.name,
                    variant: s.variant,
                    module: s.module,
                    seed: 1,
                    status,
                    exit_code: if status == Status::Fail {
                        Some(134)
                    } else {
                        None
                    },
                    wall_seconds: wall,
                    peak_memory_kib: Some(2048),
                    wasmtime_version: "wasmtime 48".into(),
                    started_at_unix: 0.0,
                    finished_at_unix: wall,
                },
                signal: None,
                reproduce: format!("wasmtime run --invoke test_x /abs/{name}.cwasm 1"),
                stdout_log: "/nonexistent/o".into(),
                stderr_log: "/nonexistent/e".into(),
                error: None,
            }
        };
        let f = vec![
            mk("ni-a", Status::Pass, 1.0),
            mk("ni-b", Status::Fail, 2.0),
            mk("ni-c", Status::Timeout, 9.0),
            mk("ni-d", Status::Pass, 0.5),
            mk("ni-e", Status::Pass, 0.1),
            mk("ni-f", Status::Pass, 0.2),
        ];
        let s = summary(&f, 0, 1, 10.0, 2);
        assert!(s.contains("4 passed, 2 failed (1 timed out)"), "{s}");
        assert!(s.ends_with("4 passed, 2 failed\n"), "{s}");
        let slow = s.split("slowest shards:\n").nth(1).unwrap();
        let lines: Vec<&str> = slow.lines().take(5).collect();
        assert!(
            lines[0].ends_with("ni-c") && lines[4].ends_with("ni-f"),
            "{s}"
        );
        assert!(
            s.contains("ni-b (exit code 134): variant ni, module b, seed 1"),
            "{s}"
        );
        assert!(s.contains("reproduce: wasmtime run --invoke test_x /abs/ni-b.cwasm 1"));
        assert!(s.contains("nix build -L .#checks.ni-c"));
        assert!(s.contains("ni-c (timed out after 9.00s)"));
    }
}
