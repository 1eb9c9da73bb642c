//! Step 7 of `bench`: the critical path. The longest shard's share of the total work W, and
//! LPT makespans (plan's simulation of step 1's times) against the lower bound max(longest, W/N),
//! beside the makespan of Nix's own order (derivation names ascending; see `plan`).

use super::ctx::Ctx;
use super::doc::PlanRow;
use super::metrics::{Metric, PERCENT, SECONDS, TIMES, Target, ratio};
use crate::plan;

/// Worker counts simulated by the critical-path step, with the target ratio of makespan to
/// lower bound where there is one.
pub const PLAN_WORKERS: [(usize, Option<f64>); 4] =
    [(2, None), (8, Some(1.10)), (32, Some(1.10)), (72, None)];

/// The critical-path figures (step 7) from per-shard times.
pub fn critical_path_metrics(times: &[(String, f64)]) -> (Vec<Metric>, Vec<PlanRow>) {
    let jobs: Vec<plan::Job> = times
        .iter()
        .map(|(n, s)| plan::Job {
            name: n.clone(),
            seconds: *s,
        })
        .collect();
    let total: f64 = times.iter().map(|(_, s)| s).sum();
    let longest = times
        .iter()
        .map(|(_, s)| *s)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let longest_name = times
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let share = longest.and_then(|l| ratio(l, total)).map(|r| r * 100.0);
    let mut metrics = vec![Metric::new(
        7,
        "critical.longest_share",
        &format!("longest shard's share of W ({longest_name})"),
        share,
        PERCENT,
        Some(Target::at_most(5.0)),
    )];
    let mut rows = Vec::new();
    for (n, target) in PLAN_WORKERS {
        let (makespan, bound, nix_makespan) = if jobs.is_empty() {
            (None, None, None)
        } else {
            let s = plan::lpt(&jobs, n);
            let nix = plan::nix_schedule(&jobs, n);
            (Some(s.makespan), Some(s.lower_bound), Some(nix.makespan))
        };
        let r = match (makespan, bound) {
            (Some(m), Some(b)) => ratio(m, b),
            _ => None,
        };
        metrics.push(Metric::new(
            7,
            &format!("critical.makespan_{n}"),
            &format!("LPT makespan, {n} builders"),
            makespan,
            SECONDS,
            None,
        ));
        metrics.push(Metric::new(
            7,
            &format!("critical.nix_order_makespan_{n}"),
            &format!("Nix-order makespan (by derivation name), {n} builders"),
            nix_makespan,
            SECONDS,
            None,
        ));
        metrics.push(Metric::new(
            7,
            &format!("critical.lower_bound_{n}"),
            &format!("lower bound max(longest, W/{n})"),
            bound,
            SECONDS,
            None,
        ));
        metrics.push(Metric::new(
            7,
            &format!("critical.ratio_{n}"),
            &format!("makespan / lower bound, {n} builders"),
            r,
            TIMES,
            target.map(Target::at_most),
        ));
        rows.push(PlanRow {
            workers: n,
            makespan_seconds: makespan,
            lower_bound_seconds: bound,
            ratio: r,
            nix_order_makespan_seconds: nix_makespan,
        });
    }
    (metrics, rows)
}

/// Step 7: the critical path, from step 1's times.
pub(super) fn run(c: &mut Ctx) {
    if !c.step(7) {
        return;
    }
    let (metrics, rows) = critical_path_metrics(&c.seq_times);
    for m in metrics {
        c.table.push(m);
    }
    c.report.plan = rows;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_path_hand_computed() {
        // 100 shards of 1 s and one of 4 s: W = 104, longest share 3.85%.
        let mut times: Vec<(String, f64)> =
            (0..100).map(|i| (format!("ni-m{i:03}"), 1.0)).collect();
        times.push(("64-gc".into(), 4.0));
        let (m, rows) = critical_path_metrics(&times);
        let share = &m[0];
        assert!((share.value.unwrap() - 400.0 / 104.0).abs() < 1e-9);
        assert_eq!(share.verdict, Some("ok"));
        assert!(share.label.contains("64-gc"));
        // 8 builders: 4 | 1 x 100 spread: LPT gives 13 on every worker: bound max(4, 13) = 13.
        assert_eq!(rows[1].workers, 8);
        assert_eq!(rows[1].makespan_seconds, Some(13.0));
        assert_eq!(rows[1].lower_bound_seconds, Some(13.0));
        assert_eq!(rows[1].ratio, Some(1.0));
        // Nix's order takes "64-gc" first by name too: the same 13 s.
        assert_eq!(rows[1].nix_order_makespan_seconds, Some(13.0));
        // 72 builders: the 4 s shard bounds it; 29 workers take 2 shards: makespan 4.
        assert_eq!(rows[3].lower_bound_seconds, Some(4.0));
        assert_eq!(rows[3].makespan_seconds, Some(4.0));
        // 2 builders: 104 s of work, 52 s each.
        assert_eq!(rows[0].makespan_seconds, Some(52.0));
        // A long shard last by name: Nix's order finishes it last.
        let late = [
            ("ni-a".to_string(), 1.0),
            ("ni-b".to_string(), 1.0),
            ("ni-z".to_string(), 2.0),
        ];
        let (_, rows) = critical_path_metrics(&late);
        assert_eq!(rows[0].nix_order_makespan_seconds, Some(3.0));
        assert_eq!(rows[0].makespan_seconds, Some(2.0));
        let r32 = m.iter().find(|m| m.key == "critical.ratio_32").unwrap();
        assert_eq!(r32.target, Some(Target::at_most(1.1)));
        assert!(
            m.iter()
                .find(|m| m.key == "critical.ratio_72")
                .unwrap()
                .target
                .is_none()
        );
        // One long shard: share 50%, a miss.
        let (m, _) = critical_path_metrics(&[("a".into(), 1.0), ("b".into(), 1.0)]);
        assert_eq!(m[0].value, Some(50.0));
        assert_eq!(m[0].verdict, Some("MISS"));
        // Nothing measured: n/a everywhere, no verdicts.
        let (m, rows) = critical_path_metrics(&[]);
        assert!(m.iter().all(|m| m.value.is_none() && m.verdict.is_none()));
        assert_eq!(rows.len(), 4);
    }
}
