//! The end-of-run summary of `rts-shards run`: counts, the slowest shards and, for each
//! failure, the end of its output and the reproduce lines nix/run-shard.sh printed.

use crate::result::{Record, Status};
use crate::runner;
use std::path::PathBuf;

/// A shard that ran to its end, with what the summary needs beyond its record.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Its result and times (a local run always has times: see `runner::Ran`).
    pub record: Record,
    /// The shard's directory: `log` (the test's output), `result.json`, `runner.log`.
    pub dir: PathBuf,
    /// The script's failure block: `SHARD FAILED (why): ...` and the reproduce lines.
    pub block: Vec<String>,
    /// Set when the shard could not be run at all.
    pub error: Option<String>,
}

impl Finished {
    pub fn failed(&self) -> bool {
        self.record.result.status != Status::Pass
    }

    /// Whether it failed for the machine's sake (no complete result), not the test's.
    pub fn infra(&self) -> bool {
        self.error.is_some()
    }

    /// The wall time (0 for a record without times, which a local run does not make).
    pub fn wall_seconds(&self) -> f64 {
        self.record.wall_seconds().unwrap_or(0.0)
    }

    /// Why the shard failed, in a few words: the script's own reason when it gave one.
    pub fn why(&self) -> String {
        if let Some(e) = &self.error {
            return format!("infrastructure failure: {e}");
        }
        let from_block = self.block.first().and_then(|l| {
            let rest = l.strip_prefix("SHARD FAILED (")?;
            rest.split_once("):").map(|(why, _)| why.to_string())
        });
        let r = &self.record.result;
        from_block.unwrap_or_else(|| match (r.status, r.exit_code) {
            (Status::Timeout, _) => format!("timed out after {:.2}s", self.wall_seconds()),
            (_, Some(c)) => format!("exit code {c}"),
            _ => "failed".to_string(),
        })
    }

    /// The log of the test (the last `lines`), without wasmtime's `--invoke` warning and the
    /// host stack backtrace, which say nothing about the test.
    pub fn tail(&self, lines: usize) -> Vec<String> {
        let text = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
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

    /// The reproduce lines of the script's block, without their indentation.
    pub fn reproduce(&self) -> Vec<String> {
        self.block
            .iter()
            .skip(1)
            .map(|l| l.trim().to_string())
            .collect()
    }
}

/// Peak memory for people.
pub fn fmt_kib(k: Option<u64>) -> String {
    match k {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "? MiB".to_string(),
    }
}

/// What a run did, beyond its finished shards.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Shards never started (after --fail-fast, or Ctrl-C).
    pub not_run: usize,
    /// Shards stopped by Ctrl-C (or SIGTERM, SIGHUP).
    pub interrupted: Vec<String>,
    /// The seed given with --seed, if any.
    pub seed: Option<crate::seed::Seed>,
    pub wall: f64,
    pub jobs: usize,
}

/// The end-of-run summary text.
pub fn summary(finished: &[Finished], c: &Counts) -> String {
    let passed = finished.iter().filter(|f| !f.failed()).count();
    let failed = finished.len() - passed;
    let timeouts = finished
        .iter()
        .filter(|f| f.record.result.status == Status::Timeout)
        .count();
    let mut s = format!(
        "\nran {} shards in {:.2}s with {} jobs: {passed} passed, {failed} failed ({timeouts} timed out)",
        finished.len(),
        c.wall,
        c.jobs
    );
    if !c.interrupted.is_empty() {
        s.push_str(&format!(
            ", {} interrupted ({})",
            c.interrupted.len(),
            c.interrupted.join(" ")
        ));
    }
    if c.not_run > 0 {
        let why = if c.interrupted.is_empty() {
            "--fail-fast"
        } else {
            crate::process::interrupted_by()
        };
        s.push_str(&format!(", {} not run ({why})", c.not_run));
    }
    s.push('\n');
    s.push_str(&slowest(finished));
    s.push_str(&failures(finished, c.seed));
    s.push_str(&format!("{passed} passed, {failed} failed\n"));
    s
}

fn slowest(finished: &[Finished]) -> String {
    let mut slow: Vec<&Finished> = finished.iter().collect();
    slow.sort_by(|a, b| {
        b.wall_seconds()
            .total_cmp(&a.wall_seconds())
            .then_with(|| a.record.result.name.cmp(&b.record.result.name))
    });
    let mut s = String::new();
    if !slow.is_empty() {
        s.push_str("slowest shards:\n");
        for f in slow.iter().take(5) {
            s.push_str(&format!(
                "  {:>9.2}s  {:>10}  {}\n",
                f.wall_seconds(),
                fmt_kib(f.record.times.and_then(|t| t.peak_memory_kib)),
                f.record.result.name
            ));
        }
    }
    s
}

fn failures(finished: &[Finished], seed: Option<crate::seed::Seed>) -> String {
    let mut failures: Vec<&Finished> = finished.iter().filter(|f| f.failed()).collect();
    failures.sort_by(|a, b| a.record.result.name.cmp(&b.record.result.name));
    let mut s = String::new();
    if failures.is_empty() {
        return s;
    }
    s.push_str("failures:\n");
    for f in failures {
        let r = &f.record.result;
        s.push_str(&format!(
            "  {} ({}): variant {}, module {}, seed {}\n",
            r.name,
            f.why(),
            r.variant,
            r.module,
            r.seed
        ));
        s.push_str(&format!("    log:       {}\n", f.dir.join("log").display()));
        for line in f.tail(10) {
            s.push_str(&format!("      | {line}\n"));
        }
        if let Some(e) = &f.error {
            s.push_str(&format!("      | {e}\n"));
        }
        for line in f.reproduce() {
            s.push_str(&format!("    {line}\n"));
        }
        if let Some(seed) = seed.filter(|_| !f.block.is_empty()) {
            s.push_str(&format!(
                "    (the Nix check runs the matrix's seed; `this seed` runs {seed})\n"
            ));
        }
    }
    s
}

/// The runner's log of a shard, for JUnit: the failure block and the end of the test's log.
pub fn junit_details(f: &Finished) -> String {
    let mut t = f.reproduce().join("\n");
    t.push_str(&format!("\nlog ({}):\n", f.dir.join("log").display()));
    t.push_str(&f.tail(200).join("\n"));
    if let Some(e) = &f.error {
        t.push_str(&format!("\n{e}"));
    }
    t
}

/// Reads the failure block of a shard's `runner.log`.
pub fn block_of(dir: &std::path::Path) -> Vec<String> {
    runner::failure_block(&dir.join("runner.log"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::rec;

    #[test]
    fn lists_failures_with_the_scripts_reproduce_lines() {
        let d = tempfile::tempdir().unwrap();
        let mk = |name: &str, status: Status, wall: f64| {
            let dir = d.path().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("log"), "line 1\nwasm trap: boom\n").unwrap();
            let block = if status == Status::Pass {
                vec![]
            } else {
                vec![
                    format!(
                        "SHARD FAILED (memory cap of 1 bytes reached): variant=ni module=x seed=1"
                    ),
                    format!("  reproduce: nix build -L .#checks.{name}"),
                    "  or:        /w/wasmtime run x".to_string(),
                ]
            };
            Finished {
                record: rec(name, status, 0.0, wall),
                dir,
                block,
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
        let c = Counts {
            seed: None,
            wall: 10.0,
            jobs: 2,
            ..Counts::default()
        };
        let s = summary(&f, &c);
        assert!(s.contains("4 passed, 2 failed (1 timed out)"), "{s}");
        assert!(s.ends_with("4 passed, 2 failed\n"), "{s}");
        let slow = s.split("slowest shards:\n").nth(1).unwrap();
        let lines: Vec<&str> = slow.lines().take(5).collect();
        assert!(
            lines[0].ends_with("ni-c") && lines[4].ends_with("ni-f"),
            "{s}"
        );
        assert!(
            s.contains("ni-b (memory cap of 1 bytes reached): variant ni, module b, seed 1"),
            "{s}"
        );
        assert!(
            s.contains("    reproduce: nix build -L .#checks.ni-c\n"),
            "{s}"
        );
        assert!(s.contains("    or:        /w/wasmtime run x\n"), "{s}");
        assert!(s.contains("      | wasm trap: boom\n"), "{s}");
        let c = Counts {
            interrupted: vec!["ni-z".into()],
            not_run: 3,
            ..c
        };
        let s = summary(&f, &c);
        assert!(
            s.contains(", 1 interrupted (ni-z), 3 not run (Ctrl-C)"),
            "{s}"
        );
    }
}
