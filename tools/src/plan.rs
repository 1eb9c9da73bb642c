//! `rts-shards plan`: simulate list scheduling of the recorded shard times on N workers, in the
//! order Nix starts builds and in LPT order.
//!
//! List scheduling: jobs taken in a fixed order, each given to the least-loaded worker (ties:
//! lowest worker index), which is what a builder pool does when every job is ready at once.
//!
//! Nix's order: Nix (2.8, and later versions alike) keeps its goals in sets ordered by
//! `Goal::key()`, which for a derivation is `"b$" + <name of the .drv path> + "$" + <path>`
//! (`DerivationGoal::key`: "derivations get built in order of their name"). `Worker::run` calls
//! the awake goals in that order; a goal that finds every build slot taken waits in
//! `wantingToBuild`, and when a build ends all of them are woken and again run in key order, so
//! the first by name takes the free slot. The order of the installables on the command line
//! plays no part (measured: six shards built with `nix build --max-jobs 2` with the
//! installables in two opposite orders started in the same order, by name). For a shard check
//! the name is `shard-<variant>-<module>`, so Nix runs the shards in ascending
//! `shard-<name>.drv` order.
//!
//! LPT (longest processing time first): shards sorted by decreasing time (ties by name). For
//! each N this reports both makespans, the lower bound max(longest shard, total / N), the
//! efficiency total / (N * makespan) of LPT and the critical (longest) shard. With a target
//! efficiency E it
//! suggests which modules to split: a shard of time t forces makespan >= t, so efficiency
//! >= E needs every t <= total / (N * E); a longer shard is split into ceil(t / that) chunks.

use crate::timings;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// `rts-shards plan`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Simulate scheduling of recorded shard times on N workers: Nix's order and LPT",
    long_about = "Simulate scheduling of recorded shard times on N workers: Nix's order and LPT.\n\n\
        List scheduling: shards taken in a fixed order, each assigned to the least-loaded \
        worker. Two orders: the one Nix uses (it starts waiting builds in ascending order of \
        their derivation names, here shard-<variant>-<module>, whatever the order of the \
        installables on the command line), and LPT (longest processing time first: decreasing \
        recorded wall time). For each worker count N, prints both makespans, the lower bound \
        max(longest shard, total/N) no schedule can beat, LPT's efficiency \
        total/(N * makespan), and the critical (longest) shard.\n\n\
        --target-efficiency E suggests splits. Splitting does not change the total, and a shard \
        of time t forces makespan >= t, so reaching efficiency E on N workers needs every shard \
        to take at most total/(N*E). Each longer shard should be split into ceil(t / (total/(N*E))) \
        chunks; modules are listed with the largest chunk count over their variants, followed by \
        the simulated makespan and efficiency if those shards were split into equal chunks \
        (LPT packing may still fall short of E; then a finer split or fewer workers helps)."
)]
pub struct Args {
    /// Recorded timings [default: tools/timings.json in the repository root]
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Worker counts to simulate, comma separated
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_value = "2,8,32,72",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub workers: Vec<u32>,
    /// Suggest modules to split so each worker count could reach this efficiency (0 < E <= 1)
    #[arg(long, value_name = "E", value_parser = parse_efficiency)]
    pub target_efficiency: Option<f64>,
    /// The same shards timed deeper, recorded by `rts-shards run --scale K --record-timings
    /// FILE` (the file holds K). With --scale or --sequential-seconds (one is needed), each
    /// shard's time at depth N is the line through its two recordings,
    /// t(N) = t(1) + (t(K) - t(1)) (N - 1) / (K - 1)
    #[arg(long, value_name = "FILE", requires = "depth")]
    pub deeper: Option<PathBuf>,
    /// Plan the suite at this depth (needs --deeper)
    #[arg(long, value_name = "N", requires = "deeper", group = "depth",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub scale: Option<u32>,
    /// Plan the suite at the smallest depth whose shards add up to at least this many seconds
    /// in one process, e.g. 7200 for a two-hour suite (needs --deeper)
    #[arg(long, value_name = "SECS", requires = "deeper", group = "depth",
          value_parser = crate::cli::parse_seconds)]
    pub sequential_seconds: Option<f64>,
}

/// Each shard's time as a line in the depth: through (1, t1) and (k, tk), never falling (work
/// that does not grow with the depth is the line's constant part).
#[derive(Debug, Clone, PartialEq)]
pub struct Depths {
    /// (name, seconds at depth 1, added seconds per unit of depth), sorted by name.
    pub lines: Vec<(String, f64, f64)>,
}

impl Depths {
    /// The fit of `base` (depth 1) and `deep` (depth `k`), which must time the same shards.
    pub fn fit(
        base: &BTreeMap<String, f64>,
        deep: &BTreeMap<String, f64>,
        k: u32,
    ) -> Result<Depths> {
        if base.keys().ne(deep.keys()) {
            let only = |a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>| {
                a.keys()
                    .filter(|n| !b.contains_key(*n))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            bail!(
                "the two timings do not time the same shards (only at depth 1: {:?}; only at depth {k}: {:?})",
                only(base, deep),
                only(deep, base)
            );
        }
        let lines = base
            .iter()
            .map(|(n, &t1)| {
                let per = ((deep[n] - t1) / f64::from(k - 1)).max(0.0);
                (n.clone(), t1, per)
            })
            .collect();
        Ok(Depths { lines })
    }

    /// The shards at depth `n`.
    pub fn at(&self, n: u32) -> Vec<Job> {
        self.lines
            .iter()
            .map(|(name, t1, per)| Job {
                name: name.clone(),
                seconds: t1 + per * f64::from(n - 1),
            })
            .collect()
    }

    /// The smallest depth whose total is at least `seconds`.
    pub fn depth_for(&self, seconds: f64) -> Result<u32> {
        let t1: f64 = self.lines.iter().map(|l| l.1).sum();
        let per: f64 = self.lines.iter().map(|l| l.2).sum();
        if t1 >= seconds {
            return Ok(1);
        }
        if per <= 0.0 {
            bail!("the deeper timings take no longer than depth 1: no depth reaches {seconds}s");
        }
        let n = 1.0 + ((seconds - t1) / per).ceil();
        if n > f64::from(u32::MAX) {
            bail!("reaching {seconds}s needs a depth beyond {}", u32::MAX);
        }
        Ok(n as u32)
    }
}

fn parse_efficiency(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("expected a number in (0, 1], got {s:?}")),
    }
}

/// One shard to schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub name: String,
    pub seconds: f64,
}

/// The simulated schedule for one worker count.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub workers: usize,
    pub makespan: f64,
    pub lower_bound: f64,
    pub efficiency: f64,
    pub total: f64,
    /// The longest shard (name, seconds).
    pub critical: (String, f64),
    /// Final load of each worker.
    pub loads: Vec<f64>,
}

fn sorted_desc(jobs: &[Job]) -> Vec<&Job> {
    let mut v: Vec<&Job> = jobs.iter().collect();
    v.sort_by(|a, b| b.seconds.total_cmp(&a.seconds).then(a.name.cmp(&b.name)));
    v
}

/// The key Nix orders a shard's build goal by (its derivation's store name; the store path
/// after it only breaks ties between equal names, which shard names never are).
pub fn nix_key(shard: &str) -> String {
    format!("shard-{shard}.drv")
}

/// The shards in the order Nix starts them when all are ready: ascending `nix_key`.
pub fn nix_order(jobs: &[Job]) -> Vec<&Job> {
    let mut v: Vec<&Job> = jobs.iter().collect();
    v.sort_by_cached_key(|j| nix_key(&j.name));
    v
}

/// List scheduling of `jobs` in Nix's order (see the module doc) on `workers` workers.
pub fn nix_schedule(jobs: &[Job], workers: usize) -> Schedule {
    list_schedule(jobs, nix_order(jobs), workers)
}

/// LPT list scheduling of `jobs` on `workers` workers.
pub fn lpt(jobs: &[Job], workers: usize) -> Schedule {
    list_schedule(jobs, sorted_desc(jobs), workers)
}

/// List scheduling of `order` (a permutation of `jobs`) on `workers` workers.
fn list_schedule(jobs: &[Job], order: Vec<&Job>, workers: usize) -> Schedule {
    assert!(workers > 0, "at least one worker");
    let mut loads = vec![0.0f64; workers];
    for j in &order {
        let mut best = 0;
        for (i, l) in loads.iter().enumerate() {
            if *l < loads[best] {
                best = i;
            }
        }
        loads[best] += j.seconds;
    }
    let total: f64 = jobs.iter().map(|j| j.seconds).sum();
    let makespan = loads.iter().copied().fold(0.0, f64::max);
    let critical = sorted_desc(jobs)
        .first()
        .map(|j| (j.name.clone(), j.seconds))
        .unwrap_or_default();
    Schedule {
        workers,
        makespan,
        lower_bound: critical.1.max(total / workers as f64),
        efficiency: if makespan > 0.0 {
            total / (workers as f64 * makespan)
        } else {
            1.0
        },
        total,
        critical,
        loads,
    }
}

/// Split suggestion for one worker count.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Shards longer than this need splitting: total / (N * target).
    pub threshold: f64,
    /// Chunks per shard that exceeds the threshold: (shard, seconds, chunks).
    pub shards: Vec<(String, f64, usize)>,
    /// Schedule after splitting those shards into equal chunks.
    pub after: Schedule,
}

/// Which shards to split so that `workers` could reach `target` efficiency (see module doc).
pub fn suggest_split(jobs: &[Job], workers: usize, target: f64) -> Split {
    let total: f64 = jobs.iter().map(|j| j.seconds).sum();
    let threshold = total / (workers as f64 * target);
    let mut shards = Vec::new();
    let mut split_jobs = Vec::new();
    for j in sorted_desc(jobs) {
        if j.seconds > threshold * (1.0 + 1e-9) && threshold > 0.0 {
            let k = (j.seconds / threshold).ceil() as usize;
            shards.push((j.name.clone(), j.seconds, k));
            for c in 0..k {
                split_jobs.push(Job {
                    name: format!("{}#{}", j.name, c + 1),
                    seconds: j.seconds / k as f64,
                });
            }
        } else {
            split_jobs.push(j.clone());
        }
    }
    Split {
        threshold,
        shards,
        after: lpt(&split_jobs, workers),
    }
}

/// The module of a shard name `<variant>-<module>`.
fn module_of(name: &str) -> &str {
    crate::matrix::split_shard_name(name).map_or(name, |(_, m)| m)
}

/// Renders the plan table (and split suggestions) as text.
pub fn render(jobs: &[Job], workers: &[u32], target: Option<f64>) -> String {
    let total: f64 = jobs.iter().map(|j| j.seconds).sum();
    let mut out = format!(
        "{} shards, total {:.2}s, longest {:.2}s\n\n",
        jobs.len(),
        total,
        sorted_desc(jobs).first().map(|j| j.seconds).unwrap_or(0.0)
    );
    out.push_str(&format!(
        "LPT (longest first):\n{:>7}  {:>10}  {:>11}  {:>10}  {}\n",
        "workers", "makespan", "lower bound", "efficiency", "critical shard"
    ));
    for &n in workers {
        let s = lpt(jobs, n as usize);
        out.push_str(&format!(
            "{:>7}  {:>9.2}s  {:>10.2}s  {:>9.1}%  {} ({:.2}s)\n",
            n,
            s.makespan,
            s.lower_bound,
            s.efficiency * 100.0,
            s.critical.0,
            s.critical.1
        ));
    }
    out.push_str(&format!(
        "\nNix's own order (what `nix flake check` and `nix build --max-jobs N` do: waiting \
         shards start by\nderivation name, shard-<variant>-<module>, whatever the order on the \
         command line):\n{:>7}  {:>10}  {:>10}  {:>10}\n",
        "workers", "makespan", "efficiency", "vs LPT"
    ));
    for &n in workers {
        let s = nix_schedule(jobs, n as usize);
        let l = lpt(jobs, n as usize);
        out.push_str(&format!(
            "{:>7}  {:>9.2}s  {:>9.1}%  {:>9.2}x\n",
            n,
            s.makespan,
            s.efficiency * 100.0,
            if l.makespan > 0.0 {
                s.makespan / l.makespan
            } else {
                1.0
            }
        ));
    }
    if let Some(target) = target {
        out.push_str(&format!(
            "\nsplits for {:.0}% efficiency (split shards longer than total/(N*{target})):\n",
            target * 100.0
        ));
        for &n in workers {
            let sp = suggest_split(jobs, n as usize, target);
            if sp.shards.is_empty() {
                let now = lpt(jobs, n as usize);
                out.push_str(&format!(
                    "  N={n}: no shard exceeds {:.2}s; nothing to split (LPT efficiency {:.1}%)\n",
                    sp.threshold,
                    now.efficiency * 100.0
                ));
                continue;
            }
            let mut modules: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
            for (name, secs, k) in &sp.shards {
                let e = modules.entry(module_of(name)).or_default();
                e.0 = e.0.max(*k);
                e.1.push(format!("{name} {secs:.2}s"));
            }
            out.push_str(&format!(
                "  N={n}: shards over {:.2}s must be split:\n",
                sp.threshold
            ));
            for (m, (k, shards)) in &modules {
                out.push_str(&format!(
                    "    {m}: into {k} chunks ({})\n",
                    shards.join(", ")
                ));
            }
            let verdict = if sp.after.efficiency + 1e-9 >= target {
                "reaches the target"
            } else {
                "still below the target: packing; split finer or use fewer workers"
            };
            out.push_str(&format!(
                "    after splitting: makespan {:.2}s, efficiency {:.1}% ({verdict})\n",
                sp.after.makespan,
                sp.after.efficiency * 100.0
            ));
        }
    }
    out
}

/// The depth for `--sequential-seconds`, said aloud.
fn depth_for_report(depths: &Depths, secs: f64) -> Result<u32> {
    let n = depths.depth_for(secs)?;
    let total: f64 = depths.at(n).iter().map(|j| j.seconds).sum();
    println!("{secs}s in one process: depth {n} (its shards add up to {total:.0}s)");
    Ok(n)
}

/// Runs `rts-shards plan`.
pub fn command(args: Args) -> Result<ExitCode> {
    let path = args.timings.unwrap_or_else(|| {
        crate::variants::repo_root()
            .join("tools")
            .join("timings.json")
    });
    let t = timings::load(&path)?;
    if t.shards.is_empty() {
        bail!("timings file {} has no shards", path.display());
    }
    let seconds = |t: &timings::Timings| -> BTreeMap<String, f64> {
        t.shards
            .iter()
            .map(|(n, s)| (n.clone(), s.wall_seconds))
            .collect()
    };
    let mut jobs: Vec<Job> = seconds(&t)
        .into_iter()
        .map(|(name, seconds)| Job { name, seconds })
        .collect();
    if !t.machine.is_empty() {
        println!("timings from {} ({})", path.display(), t.machine);
    }
    if let Some(deep_path) = &args.deeper {
        let deep = timings::load(deep_path)?;
        let k = deep.scale;
        if t.scale != crate::matrix::DEFAULT_SCALE || k < 2 {
            bail!(
                "--deeper: {} holds depth {} and {} depth {k}: the planner needs depth 1 and a deeper one",
                path.display(),
                t.scale,
                deep_path.display()
            );
        }
        let depths = Depths::fit(&seconds(&t), &seconds(&deep), k)
            .with_context(|| format!("{} and {}", path.display(), deep_path.display()))?;
        let n = match (args.scale, args.sequential_seconds) {
            (Some(n), _) => Some(n),
            (None, Some(secs)) => Some(depth_for_report(&depths, secs)?),
            (None, None) => None,
        };
        if let Some(n) = n {
            jobs = depths.at(n);
            println!(
                "depth {n}: each shard's time on the line through depth 1 and depth {k} ({})",
                deep_path.display()
            );
        }
    }
    print!("{}", render(&jobs, &args.workers, args.target_efficiency));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(v: &[(&str, f64)]) -> Vec<Job> {
        v.iter()
            .map(|(n, s)| Job {
                name: n.to_string(),
                seconds: *s,
            })
            .collect()
    }

    #[test]
    fn depths_fit_lines_and_find_the_depth_of_a_total() {
        let m = |v: &[(&str, f64)]| -> BTreeMap<String, f64> {
            v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
        };
        // a: 1 s fixed + 1 s per depth; b: does not grow (noise that falls is no growth).
        let d = Depths::fit(
            &m(&[("ni-a", 2.0), ("ni-b", 3.0)]),
            &m(&[("ni-a", 5.0), ("ni-b", 2.9)]),
            4,
        )
        .unwrap();
        let at = |n| d.at(n).iter().map(|j| j.seconds).collect::<Vec<_>>();
        assert_eq!(at(1), [2.0, 3.0]);
        assert_eq!(at(10), [11.0, 3.0]);
        assert_eq!(d.depth_for(5.0).unwrap(), 1);
        assert_eq!(d.depth_for(14.0).unwrap(), 10);
        assert_eq!(d.depth_for(14.5).unwrap(), 11);
        let flat = Depths::fit(&m(&[("ni-b", 3.0)]), &m(&[("ni-b", 3.0)]), 2).unwrap();
        assert!(flat.depth_for(10.0).is_err());
        let e = Depths::fit(&m(&[("ni-a", 1.0)]), &m(&[("ni-b", 1.0)]), 2).unwrap_err();
        assert!(e.to_string().contains("same shards"), "{e}");
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn lpt_hand_computed() {
        let j = jobs(&[
            ("ni-a", 7.0),
            ("ni-b", 5.0),
            ("ni-c", 4.0),
            ("ni-d", 3.0),
            ("ni-e", 3.0),
            ("ni-f", 2.0),
        ]);
        // N=2: 7|5, 4->w1 (9), 3->w0 (10), 3->w1 (12), 2->w0 (12).
        let s = lpt(&j, 2);
        assert_eq!(s.loads, [12.0, 12.0]);
        assert!(close(s.makespan, 12.0) && close(s.lower_bound, 12.0));
        assert!(close(s.efficiency, 1.0));
        assert_eq!(s.critical, ("ni-a".to_string(), 7.0));
        // N=3: 7|5|4, 3->w2 (7), 3->w1 (8), 2->w0 (9).
        let s = lpt(&j, 3);
        assert_eq!(s.loads, [9.0, 8.0, 7.0]);
        assert!(close(s.makespan, 9.0) && close(s.lower_bound, 8.0));
        assert!(close(s.efficiency, 24.0 / 27.0));
        // N=8: one shard per worker; the longest shard bounds everything.
        let s = lpt(&j, 8);
        assert!(close(s.makespan, 7.0) && close(s.lower_bound, 7.0));
        assert!(close(s.efficiency, 24.0 / 56.0));
    }

    #[test]
    fn lpt_is_not_optimal_on_the_classic_example() {
        // 3,3,2,2,2 on 2 workers: LPT gives 7 (3+2+2 | 3+2), the optimum is 6 (3+3 | 2+2+2).
        let j = jobs(&[("a", 3.0), ("b", 3.0), ("c", 2.0), ("d", 2.0), ("e", 2.0)]);
        let s = lpt(&j, 2);
        assert!(close(s.makespan, 7.0));
        assert!(close(s.lower_bound, 6.0));
        assert!(close(s.efficiency, 12.0 / 14.0));
    }

    #[test]
    fn split_suggestion_hand_computed() {
        let j = jobs(&[
            ("64-gc", 10.0),
            ("ni-a", 2.0),
            ("ni-b", 2.0),
            ("ni-c", 2.0),
            ("ni-d", 2.0),
            ("ni-e", 2.0),
        ]);
        // Total 20, N=4: makespan 10 (the gc shard), efficiency 50%.
        let s = lpt(&j, 4);
        assert!(close(s.makespan, 10.0) && close(s.efficiency, 0.5));
        // Target 0.9: threshold 20/3.6 = 5.56, gc -> ceil(10/5.56) = 2 chunks of 5.
        let sp = suggest_split(&j, 4, 0.9);
        assert!(close(sp.threshold, 20.0 / 3.6));
        assert_eq!(sp.shards, [("64-gc".to_string(), 10.0, 2)]);
        // 5,5,2,2 then 2->w2 (4), 2->w3 (4), 2->w2 (6): makespan 6, efficiency 20/24.
        assert!(close(sp.after.makespan, 6.0));
        assert!(close(sp.after.efficiency, 20.0 / 24.0));
        // Target 0.5 needs nothing.
        assert!(suggest_split(&j, 4, 0.5).shards.is_empty());
        let text = render(&j, &[4], Some(0.9));
        assert!(text.contains("gc: into 2 chunks (64-gc 10.00s)"), "{text}");
        assert!(text.contains("still below the target"), "{text}");
    }

    #[test]
    fn render_table() {
        let j = jobs(&[("ni-a", 3.0), ("ni-b", 1.0)]);
        let text = render(&j, &[1, 2], None);
        assert!(
            text.contains("2 shards, total 4.00s, longest 3.00s"),
            "{text}"
        );
        assert!(
            text.contains("      1       4.00s        4.00s      100.0%  ni-a (3.00s)"),
            "{text}"
        );
        assert!(
            text.contains("      2       3.00s        3.00s       66.7%  ni-a (3.00s)"),
            "{text}"
        );
        // Nix's order is the same here (ni-a is first by name too).
        assert!(
            text.contains("      2       3.00s       66.7%       1.00x"),
            "{text}"
        );
    }

    #[test]
    fn nix_order_is_by_derivation_name() {
        // Names chosen so that the name order puts the long shard last.
        let j = jobs(&[
            ("ni-z_long", 6.0),
            ("ni-a", 2.0),
            ("ni-b", 2.0),
            ("ni-c", 2.0),
        ]);
        let order: Vec<&str> = nix_order(&j).iter().map(|j| j.name.as_str()).collect();
        assert_eq!(order, ["ni-a", "ni-b", "ni-c", "ni-z_long"]);
        // Nix order on 2: a|b, c -> w0 (4), z_long -> w1 (2 + 6 = 8). LPT: 6 | 2+2+2 = 6.
        let nix = nix_schedule(&j, 2);
        assert_eq!(nix.loads, [4.0, 8.0]);
        assert!(close(nix.makespan, 8.0));
        assert!(close(lpt(&j, 2).makespan, 6.0));
        assert_eq!(nix.critical, ("ni-z_long".to_string(), 6.0));
        // `.drv` follows the name: chunk_1 before chunk_10 ('.' < '0'), 64 before inc before ni.
        let j = jobs(&[
            ("ni-gc_chunk_10", 1.0),
            ("inc-x", 1.0),
            ("ni-gc_chunk_1", 1.0),
            ("64-x", 1.0),
        ]);
        let order: Vec<&str> = nix_order(&j).iter().map(|j| j.name.as_str()).collect();
        assert_eq!(order, ["64-x", "inc-x", "ni-gc_chunk_1", "ni-gc_chunk_10"]);
        assert_eq!(nix_key("inc-x"), "shard-inc-x.drv");
    }

    #[test]
    fn efficiency_parser() {
        assert_eq!(parse_efficiency("0.9"), Ok(0.9));
        assert!(parse_efficiency("0").is_err() && parse_efficiency("1.5").is_err());
    }
}
