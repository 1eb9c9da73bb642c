//! Step 8 of `bench`: edit to verdict. In a temporary copy of the tracked files, with the store
//! warm (one untimed flake check there first), `nix flake check --max-jobs N` is timed
//! (a) after a line is appended to a collector's source, (b) after a line is appended to a test
//! module, (c) with no change, repeated.
//!
//! (a) and (b) are split at the first shard's own start (its timing, `Nix::shard_timing`,
//! against the Unix time the check began): what comes before is evaluation and the builds the
//! shards wait for (variants, and the standard library if its inputs changed); the rest is the
//! shards and the checks beside them. Each appended line holds the Unix time in nanoseconds, so
//! no earlier run's outputs can be reused and the run is as cold as the edit makes it.

use super::ctx::Ctx;
use super::doc::EditRun;
use super::metrics::{Metric, SECONDS, Spread, Target};
use super::nix::{BuildSpan, Nix, progress, timed, unix_nanos};
use super::rerun::{RERUN_PROBES, tracked_copy};
use crate::tempdir::TempDir;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// The edits timed: (what changed, the file that gets a line); the files of the rerun sets.
pub const EDITS: [(&str, &str); 2] = [
    ("collector", RERUN_PROBES[3].0),
    ("test module", RERUN_PROBES[2].0),
];

/// Seconds from the check's start to the first shard's start.
pub const FIRST_SHARD_TARGET_SECONDS: f64 = 15.0;

/// The verdict may take the shards' work spread over the N builders plus this.
pub const VERDICT_SLACK_SECONDS: f64 = 20.0;

/// The no-change check must take less than this.
pub const NO_CHANGE_TARGET_SECONDS: f64 = 1.0;

/// `contents` with a Rust comment line naming `token` appended.
pub fn with_line(contents: &[u8], token: u128) -> Vec<u8> {
    let mut v = contents.to_vec();
    if !v.is_empty() && !v.ends_with(b"\n") {
        v.push(b'\n');
    }
    v.extend_from_slice(format!("// rts-shards bench: edit to verdict {token}\n").as_bytes());
    v
}

/// The split of one timed check: (first shard start, rest) from the Unix time it began and the
/// shards' own start times; `None` when no shard ran.
pub fn split_at_first_shard(began_unix: f64, wall: f64, starts: &[f64]) -> Option<(f64, f64)> {
    let first = starts
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.min(s))))?;
    let to_first = (first - began_unix).max(0.0);
    Some((to_first, (wall - to_first).max(0.0)))
}

/// The output paths of the shard builds among `spans` (`nix-store --query --outputs`).
fn shard_outputs(spans: &[BuildSpan]) -> Result<Vec<String>> {
    let drvs: Vec<&str> = spans
        .iter()
        .filter(|s| s.name().starts_with("shard-"))
        .map(|s| s.drv.as_str())
        .collect();
    if drvs.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Command::new("nix-store");
    q.args(["--query", "--outputs"]).args(&drvs);
    let (_, out) = timed(&mut q, "nix-store --query --outputs")?;
    Ok(out.lines().map(str::to_string).collect())
}

/// One timed flake check in `dir`, after `change` (the file edited, if any).
fn timed_check(
    nix: &Nix,
    dir: &Path,
    jobs: usize,
    change: &str,
    file: Option<&str>,
) -> Result<EditRun> {
    let began = unix_nanos() as f64 / 1e9;
    let (wall, spans) = nix.flake_check_builds(dir, jobs)?;
    let mut starts = Vec::new();
    let mut shard_work = 0.0;
    for out in shard_outputs(&spans)? {
        let t = nix.shard_timing(&out)?;
        starts.push(t.started_at_unix);
        shard_work += t.wall_seconds;
    }
    Ok(EditRun {
        change: change.to_string(),
        file: file.map(str::to_string),
        wall_seconds: wall,
        first_shard_start_seconds: split_at_first_shard(began, wall, &starts).map(|s| s.0),
        shards_run: starts.len(),
        shard_work_seconds: shard_work,
        build_work_seconds: spans.iter().map(BuildSpan::seconds).sum(),
    })
}

/// The figures of one edit: verdict wall, time to the first shard, the rest.
pub fn edit_metrics(run: &EditRun, jobs: usize) -> Vec<Metric> {
    let key = run.change.replace(' ', "_");
    let what = match &run.file {
        Some(f) => format!("a line in {f}"),
        None => "no change".to_string(),
    };
    let verdict_target = run.shard_work_seconds / jobs as f64 + VERDICT_SLACK_SECONDS;
    vec![
        Metric::new(
            8,
            &format!("edit.{key}.wall_seconds"),
            &format!(
                "edit to verdict, {what}: {} shards, --max-jobs {jobs} (target W/{jobs} + {VERDICT_SLACK_SECONDS} s)",
                run.shards_run
            ),
            Some(run.wall_seconds),
            SECONDS,
            Some(Target::at_most(verdict_target)),
        ),
        Metric::new(
            8,
            &format!("edit.{key}.first_shard_seconds"),
            "  until the first shard's start",
            run.first_shard_start_seconds,
            SECONDS,
            Some(Target::at_most(FIRST_SHARD_TARGET_SECONDS)),
        ),
        Metric::new(
            8,
            &format!("edit.{key}.rest_seconds"),
            "  from the first shard's start to the verdict",
            run.first_shard_start_seconds
                .map(|f| (run.wall_seconds - f).max(0.0)),
            SECONDS,
            None,
        ),
        Metric::new(
            8,
            &format!("edit.{key}.shard_work_seconds"),
            "  W: the shards' own times",
            Some(run.shard_work_seconds),
            SECONDS,
            None,
        ),
        Metric::new(
            8,
            &format!("edit.{key}.build_work_seconds"),
            "  every build's time in a slot (variants, std, shards, checks)",
            Some(run.build_work_seconds),
            SECONDS,
            None,
        ),
    ]
}

/// Step 8.
pub(super) fn run(c: &mut Ctx) -> Result<()> {
    c.with_nix(8, run_with)
}

fn run_with(c: &mut Ctx, nix: &Nix) -> Result<()> {
    let copy = TempDir::new("bench-edit")?;
    let dir = copy.path();
    progress(&format!("copying the tracked files to {}", dir.display()));
    tracked_copy(&c.root, dir)?;
    let jobs = c.jobs;
    progress("warm-up nix flake check in the copy (untimed)");
    let warm = timed_check(nix, dir, jobs, "warm-up", None)?;
    c.table.push(Metric::new(
        8,
        "edit.warm_up_seconds",
        &format!(
            "warm-up flake check in the copy ({} shards ran)",
            warm.shards_run
        ),
        Some(warm.wall_seconds),
        SECONDS,
        None,
    ));
    for (change, file) in EDITS {
        progress(&format!("edit to verdict: a line appended to {file}"));
        let p = dir.join(file);
        let original = std::fs::read(&p).with_context(|| format!("cannot read {file}"))?;
        std::fs::write(&p, with_line(&original, unix_nanos()))?;
        let git_add = || {
            timed(
                Command::new("git").arg("-C").arg(dir).args(["add", file]),
                "git add",
            )
        };
        git_add()?;
        let run = timed_check(nix, dir, jobs, change, Some(file));
        std::fs::write(&p, &original)?;
        git_add()?;
        let run = run?;
        for m in edit_metrics(&run, jobs) {
            c.table.push(m);
        }
        c.report.edits.push(run);
    }
    // Back to the warm state (the edits are undone), then the no-change check, repeated.
    progress("the unedited copy again (builds nothing new)");
    timed_check(nix, dir, jobs, "warm-up", None)?;
    progress(&format!("no change: {} flake checks", c.runs));
    let mut walls = Vec::new();
    for _ in 0..c.runs {
        let run = timed_check(nix, dir, jobs, "none", None)?;
        walls.push(run.wall_seconds);
        c.report.edits.push(run);
    }
    c.table.push(Metric::repeated(
        8,
        "edit.none.wall_seconds",
        &format!("edit to verdict, no change, --max-jobs {jobs}"),
        Spread::of(&walls),
        SECONDS,
        Some(Target::at_most(NO_CHANGE_TARGET_SECONDS)),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_unique_lines() {
        assert_eq!(
            with_line(b"fn f() {}", 7),
            b"fn f() {}\n// rts-shards bench: edit to verdict 7\n"
        );
        assert_ne!(with_line(b"x\n", 1), with_line(b"x\n", 2));
        assert_eq!(EDITS[0].1, "rts/runtime/src/gc/incremental/mod.rs");
        assert!(EDITS[1].1.starts_with("rts/testsuite/src/modules/"));
    }

    #[test]
    fn split_and_figures() {
        // Began at 100; shards started at 112.5 and 110; verdict after 60 s.
        assert_eq!(
            split_at_first_shard(100.0, 60.0, &[112.5, 110.0]),
            Some((10.0, 50.0))
        );
        assert_eq!(split_at_first_shard(100.0, 60.0, &[]), None);
        let run = EditRun {
            change: "test module".into(),
            file: Some("rts/testsuite/src/modules/leb128.rs".into()),
            wall_seconds: 120.0,
            first_shard_start_seconds: Some(16.0),
            shards_run: 72,
            shard_work_seconds: 180.0,
            build_work_seconds: 300.0,
        };
        let m = edit_metrics(&run, 2);
        // Verdict target: 180 / 2 + 20 = 110 s: 120 s misses; the first shard (16 s) too.
        assert_eq!(m[0].target, Some(Target::at_most(110.0)));
        assert_eq!(m[0].verdict, Some("MISS"));
        assert_eq!(m[1].verdict, Some("MISS"));
        assert_eq!(m[2].value, Some(104.0));
        assert_eq!(m[0].key, "edit.test_module.wall_seconds");
        assert!(m[0].label.contains("72 shards"), "{}", m[0].label);
        let none = EditRun {
            change: "none".into(),
            file: None,
            first_shard_start_seconds: None,
            shards_run: 0,
            shard_work_seconds: 0.0,
            ..run
        };
        let m = edit_metrics(&none, 2);
        assert_eq!(m[1].value, None);
        assert_eq!(m[1].verdict, None);
    }
}
