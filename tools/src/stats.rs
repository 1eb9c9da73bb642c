//! Figures over a set of shard results: counts, makespan, lanes (peak concurrency) and
//! efficiency. Nix does not say which builder ran a shard, so lanes are assigned greedily by
//! start time: their number is the peak number of shards running at once.

use crate::result::{ShardResult, Status, Unreadable};
use serde::Serialize;
use std::collections::BTreeSet;

/// Assigns each (start, finish) interval to the lowest-numbered lane that is free at its start,
/// taking intervals by start time. Returns the lane of each interval (in input order) and the
/// number of lanes.
pub fn assign_lanes(intervals: &[(f64, f64)]) -> (Vec<usize>, usize) {
    const EPS: f64 = 1e-6;
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by(|&a, &b| {
        intervals[a]
            .0
            .total_cmp(&intervals[b].0)
            .then(intervals[a].1.total_cmp(&intervals[b].1))
            .then(a.cmp(&b))
    });
    let mut lane_end: Vec<f64> = Vec::new();
    let mut lanes = vec![0; intervals.len()];
    for i in order {
        let (s, f) = intervals[i];
        let lane = match lane_end.iter().position(|&e| e <= s + EPS) {
            Some(l) => l,
            None => {
                lane_end.push(f64::NEG_INFINITY);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = f;
        lanes[i] = lane;
    }
    (lanes, lane_end.len())
}

/// The JSON summary of a set of results.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub timeout: usize,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
    /// Last finish minus first start.
    pub makespan_seconds: f64,
    /// Sum of the shards' wall times.
    pub total_wall_seconds: f64,
    /// Peak number of shards running at once (lanes of the chart).
    pub lanes: usize,
    /// total_wall_seconds / (lanes * makespan_seconds).
    pub efficiency: f64,
    pub wasmtime_versions: Vec<String>,
    pub shards: Vec<ShardResult>,
    /// Result files that could not be used, each with its reason (`report` fills it in).
    pub unreadable: Vec<Unreadable>,
}

/// Summarizes results (sorted by name in the output).
pub fn summarize(results: &[ShardResult]) -> Summary {
    let mut shards = results.to_vec();
    shards.sort_by(|a, b| a.name.cmp(&b.name));
    let count = |s: Status| shards.iter().filter(|r| r.status == s).count();
    let start = shards
        .iter()
        .map(|r| r.started_at_unix)
        .fold(f64::INFINITY, f64::min);
    let end = shards
        .iter()
        .map(|r| r.finished_at_unix)
        .fold(f64::NEG_INFINITY, f64::max);
    let (start, end) = if shards.is_empty() {
        (0.0, 0.0)
    } else {
        (start, end)
    };
    let makespan = end - start;
    let total_wall: f64 = shards.iter().map(|r| r.wall_seconds).sum();
    let intervals: Vec<(f64, f64)> = shards
        .iter()
        .map(|r| (r.started_at_unix, r.finished_at_unix))
        .collect();
    let (_, lanes) = assign_lanes(&intervals);
    let versions: BTreeSet<String> = shards.iter().map(|r| r.wasmtime_version.clone()).collect();
    Summary {
        total: shards.len(),
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        timeout: count(Status::Timeout),
        started_at_unix: start,
        finished_at_unix: end,
        makespan_seconds: makespan,
        total_wall_seconds: total_wall,
        lanes,
        efficiency: if makespan > 0.0 && lanes > 0 {
            total_wall / (lanes as f64 * makespan)
        } else {
            0.0
        },
        wasmtime_versions: versions.into_iter().collect(),
        shards,
        unreadable: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::rec;

    #[test]
    fn lanes_are_assigned_greedily() {
        // a [0,4) b [1,2) c [2,5) d [4,6) e [5,6)
        let iv = [(0.0, 4.0), (1.0, 2.0), (2.0, 5.0), (4.0, 6.0), (5.0, 6.0)];
        let (lanes, n) = assign_lanes(&iv);
        assert_eq!(lanes, [0, 1, 1, 0, 1]);
        assert_eq!(n, 2);
        let (lanes, n) = assign_lanes(&[(0.0, 1.0), (0.0, 1.0), (0.0, 1.0)]);
        assert_eq!((lanes, n), (vec![0, 1, 2], 3));
        assert_eq!(assign_lanes(&[]).1, 0);
    }

    #[test]
    fn summary_numbers() {
        let rs = [
            rec("ni-a", Status::Pass, 100.0, 104.0),
            rec("ni-b", Status::Fail, 100.0, 102.0),
            rec("64-c", Status::Timeout, 102.0, 106.0),
        ];
        let s = summarize(&rs);
        assert_eq!((s.total, s.passed, s.failed, s.timeout), (3, 1, 1, 1));
        assert_eq!(s.makespan_seconds, 6.0);
        assert_eq!(s.total_wall_seconds, 10.0);
        assert_eq!(s.lanes, 2);
        assert!((s.efficiency - 10.0 / 12.0).abs() < 1e-9);
        assert_eq!(s.shards[0].name, "64-c");
        assert_eq!(s.wasmtime_versions, ["wasmtime 48.0.8"]);
    }
}
