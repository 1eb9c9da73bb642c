//! Figures over a set of shard records: counts, makespan, lanes (peak concurrency) and
//! efficiency. Nix does not say which builder ran a shard, so lanes are assigned greedily by
//! start time: their number is the peak number of shards running at once. The time figures
//! cover the records with times only (`timed` of `total`); with none they are `null`.

use crate::result::{Record, Status, Unreadable};
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

/// The JSON summary of a set of records.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub timeout: usize,
    /// Records with times; the figures below cover these.
    pub timed: usize,
    pub started_at_unix: Option<f64>,
    pub finished_at_unix: Option<f64>,
    /// Last finish minus first start.
    pub makespan_seconds: Option<f64>,
    /// Sum of the shards' wall times.
    pub total_wall_seconds: Option<f64>,
    /// Peak number of shards running at once (lanes of the chart).
    pub lanes: usize,
    /// total_wall_seconds / (lanes * makespan_seconds).
    pub efficiency: Option<f64>,
    pub wasmtime_versions: Vec<String>,
    pub shards: Vec<Record>,
    /// Result files that could not be used, each with its reason (`report` fills it in).
    pub unreadable: Vec<Unreadable>,
}

/// Summarizes records (sorted by name in the output).
pub fn summarize(records: &[Record]) -> Summary {
    let mut shards = records.to_vec();
    shards.sort_by(|a, b| a.result.name.cmp(&b.result.name));
    let count = |s: Status| shards.iter().filter(|r| r.result.status == s).count();
    let times: Vec<_> = shards.iter().filter_map(|r| r.times).collect();
    let intervals: Vec<(f64, f64)> = times
        .iter()
        .map(|t| (t.started_at_unix, t.finished_at_unix))
        .collect();
    let (_, lanes) = assign_lanes(&intervals);
    let (start, end, makespan, total_wall, efficiency) = if times.is_empty() {
        (None, None, None, None, None)
    } else {
        let start = intervals.iter().map(|i| i.0).fold(f64::INFINITY, f64::min);
        let end = intervals
            .iter()
            .map(|i| i.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let makespan = end - start;
        let total_wall: f64 = times.iter().map(|t| t.wall_seconds).sum();
        let efficiency = if makespan > 0.0 && lanes > 0 {
            total_wall / (lanes as f64 * makespan)
        } else {
            0.0
        };
        (
            Some(start),
            Some(end),
            Some(makespan),
            Some(total_wall),
            Some(efficiency),
        )
    };
    let versions: BTreeSet<String> = shards
        .iter()
        .map(|r| r.result.wasmtime_version.clone())
        .collect();
    Summary {
        total: shards.len(),
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        timeout: count(Status::Timeout),
        timed: times.len(),
        started_at_unix: start,
        finished_at_unix: end,
        makespan_seconds: makespan,
        total_wall_seconds: total_wall,
        lanes,
        efficiency,
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
        assert_eq!(s.timed, 3);
        assert_eq!(s.makespan_seconds, Some(6.0));
        assert_eq!(s.total_wall_seconds, Some(10.0));
        assert_eq!(s.lanes, 2);
        assert!((s.efficiency.unwrap() - 10.0 / 12.0).abs() < 1e-9);
        assert_eq!(s.shards[0].result.name, "64-c");
        assert_eq!(s.wasmtime_versions, ["wasmtime 48.0.8"]);
    }

    #[test]
    fn untimed_records_count_but_have_no_figures() {
        let mut rs = vec![
            rec("ni-a", Status::Pass, 100.0, 104.0),
            rec("ni-b", Status::Pass, 0.0, 0.0),
        ];
        rs[1].times = None;
        let s = summarize(&rs);
        assert_eq!((s.total, s.passed, s.timed), (2, 2, 1));
        assert_eq!(s.makespan_seconds, Some(4.0));
        assert_eq!(s.lanes, 1);
        rs[0].times = None;
        let s = summarize(&rs);
        assert_eq!((s.timed, s.lanes), (0, 0));
        assert_eq!(s.makespan_seconds, None);
        assert_eq!(s.efficiency, None);
        let v = serde_json::to_value(&s).unwrap();
        assert!(v["total_wall_seconds"].is_null() && v["shards"][0]["times"].is_null());
    }
}
