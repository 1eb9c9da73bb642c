//! The figures of `bench`: targets and verdicts, units, the efficiency and ratio arithmetic,
//! repeated measurements (min/median/max), and the table they are printed in.
//!
//! A figure measured several times carries its spread and reports the median. A figure per
//! shard says whether it is a latency (one shard's time, alone) or a throughput (wall time of
//! many divided by their number) and at what concurrency it was measured.

use serde::{Deserialize, Serialize};

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Cmp {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "==")]
    Equal,
}

/// A target: the figure must be `cmp` `value` (in the figure's unit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub cmp: Cmp,
    pub value: f64,
}

impl Target {
    pub fn at_most(value: f64) -> Target {
        Target {
            cmp: Cmp::AtMost,
            value,
        }
    }
    pub fn at_least(value: f64) -> Target {
        Target {
            cmp: Cmp::AtLeast,
            value,
        }
    }
    pub fn equal(value: f64) -> Target {
        Target {
            cmp: Cmp::Equal,
            value,
        }
    }

    /// Whether `v` meets the target (a relative slack of 1e-9 absorbs rounding).
    pub fn met_by(&self, v: f64) -> bool {
        let eps = 1e-9 * self.value.abs().max(1.0);
        match self.cmp {
            Cmp::AtMost => v <= self.value + eps,
            Cmp::AtLeast => v >= self.value - eps,
            Cmp::Equal => (v - self.value).abs() <= eps,
        }
    }
}

/// Units of the figures; `%` values are percentages (0-100).
pub const SECONDS: &str = "s";

pub const MILLIS: &str = "ms";

pub const PERCENT: &str = "%";

pub const TIMES: &str = "x";

pub const SHARDS: &str = "shards";

/// The spread of a figure measured several times: `value` is the median.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub runs: usize,
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    /// Min, median (mean of the middle two for an even count) and max; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() || v.len() != values.len() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            runs: n,
            min: v[0],
            median,
            max: v[n - 1],
        })
    }

    /// The same spread in another unit (`factor` times every figure).
    pub fn scaled(self, factor: f64) -> Spread {
        Spread {
            runs: self.runs,
            min: self.min * factor,
            median: self.median * factor,
            max: self.max * factor,
        }
    }
}

/// What a per-shard figure is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One shard's own time, `concurrency` shards at a time.
    Latency,
    /// The wall time of many shards over their number, `concurrency` at a time.
    Throughput,
}

/// How a per-shard figure was measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerShard {
    pub kind: Kind,
    pub concurrency: usize,
}

impl PerShard {
    /// `latency, 1 at a time` or `throughput, 2 at a time`.
    pub fn describe(&self) -> String {
        let k = match self.kind {
            Kind::Latency => "latency",
            Kind::Throughput => "throughput",
        };
        format!("{k}, {} at a time", self.concurrency)
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// The step (1-7) it belongs to.
    pub step: u8,
    /// A stable identifier, e.g. `nix_cold.efficiency_w`.
    pub key: String,
    /// What the figure is, for people.
    pub label: String,
    /// `None`: not measured (a step it depends on was skipped).
    pub value: Option<f64>,
    pub unit: &'static str,
    pub target: Option<Target>,
    /// `"ok"` or `"MISS"` when there is a target and a value.
    pub verdict: Option<&'static str>,
    /// When measured several times: the spread (`value` is its median).
    pub spread: Option<Spread>,
    /// For a figure per shard: latency or throughput, and the concurrency.
    pub per_shard: Option<PerShard>,
}

impl Metric {
    pub fn new(
        step: u8,
        key: &str,
        label: &str,
        value: Option<f64>,
        unit: &'static str,
        target: Option<Target>,
    ) -> Metric {
        let verdict = match (value, target) {
            (Some(v), Some(t)) => Some(if t.met_by(v) { "ok" } else { "MISS" }),
            _ => None,
        };
        Metric {
            step,
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit,
            target,
            verdict,
            spread: None,
            per_shard: None,
        }
    }

    /// A figure measured several times: its value is the median of `runs`.
    pub fn repeated(
        step: u8,
        key: &str,
        label: &str,
        runs: Option<Spread>,
        unit: &'static str,
        target: Option<Target>,
    ) -> Metric {
        let mut m = Metric::new(step, key, label, runs.map(|s| s.median), unit, target);
        m.spread = runs;
        if let Some(s) = runs {
            m.label = format!("{label} (median of {})", s.runs);
        }
        m
    }

    /// Marks a figure per shard as latency or throughput at a concurrency (named in its label).
    pub fn per_shard(mut self, kind: Kind, concurrency: usize) -> Metric {
        let p = PerShard { kind, concurrency };
        self.label = format!("{} [{}]", self.label, p.describe());
        self.per_shard = Some(p);
        self
    }

    pub fn missed(&self) -> bool {
        self.verdict == Some("MISS")
    }
}

/// Formats a value in its unit.
pub fn fmt_value(v: f64, unit: &str) -> String {
    match unit {
        SECONDS => format!("{v:.2} s"),
        MILLIS => format!("{v:.1} ms"),
        PERCENT => format!("{v:.1}%"),
        TIMES => format!("{v:.2}x"),
        SHARDS => format!("{v:.0}"),
        _ => format!("{v:.3} {unit}"),
    }
}

pub fn fmt_target(t: &Target, unit: &str) -> String {
    let op = match t.cmp {
        Cmp::AtMost => "<=",
        Cmp::AtLeast => ">=",
        Cmp::Equal => "=",
    };
    // At most two decimals, without trailing zeros: 5, 1.1, 53.98 (a target computed from
    // measured figures has any number of them).
    let short = format!("{:.2}", t.value)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string();
    let v = match unit {
        PERCENT => format!("{:.0}%", t.value),
        TIMES => format!("{short}x"),
        MILLIS => format!("{short} ms"),
        SECONDS => format!("{short} s"),
        SHARDS => format!("{:.0}", t.value),
        _ => short,
    };
    format!("{op} {v}")
}

const LABEL_WIDTH: usize = 60;

/// The table's column header.
pub fn table_header() -> String {
    format!(
        "{:<4} {:<LABEL_WIDTH$} {:>12}  {:<10} {}\n",
        "step", "figure", "value", "target", "verdict"
    )
}

/// One table line: step, label, value, target, verdict.
pub fn table_line(m: &Metric) -> String {
    let value = m
        .value
        .map(|v| fmt_value(v, m.unit))
        .unwrap_or_else(|| "n/a".to_string());
    let target = m
        .target
        .map(|t| fmt_target(&t, m.unit))
        .unwrap_or_else(|| "-".to_string());
    let line = format!(
        "{:<4} {:<LABEL_WIDTH$} {:>12}  {:<10} {}",
        m.step,
        m.label,
        value,
        target,
        m.verdict.unwrap_or("")
    );
    let spread = m
        .spread
        .map(|s| format!("\n     {}", fmt_spread(&s, m.unit)))
        .unwrap_or_default();
    format!("{}{spread}\n", line.trim_end())
}

/// `min 1.00 s, median 1.20 s, max 1.50 s over 5 runs`.
pub fn fmt_spread(s: &Spread, unit: &str) -> String {
    format!(
        "min {}, median {}, max {} over {} runs",
        fmt_value(s.min, unit),
        fmt_value(s.median, unit),
        fmt_value(s.max, unit),
        s.runs
    )
}

/// Efficiency of `work` seconds of shard time done in `wall` seconds by `n` workers, in percent.
pub fn efficiency(work: f64, wall: f64, n: usize) -> Option<f64> {
    (wall > 0.0 && n > 0 && work.is_finite()).then(|| 100.0 * work / (wall * n as f64))
}

/// `a / b`, when defined.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

/// `(met, missed)` over the metrics that have a target and a value.
pub fn tally(metrics: &[Metric]) -> (usize, usize) {
    let met = metrics.iter().filter(|m| m.verdict == Some("ok")).count();
    let missed = metrics.iter().filter(|m| m.missed()).count();
    (met, missed)
}

/// The closing line of the table.
pub fn tally_line(metrics: &[Metric]) -> String {
    let (met, missed) = tally(metrics);
    let missed_keys: Vec<&str> = metrics
        .iter()
        .filter(|m| m.missed())
        .map(|m| m.key.as_str())
        .collect();
    if missed == 0 {
        format!("targets: {met} ok, 0 missed\n")
    } else {
        format!(
            "targets: {met} ok, {missed} missed ({})\n",
            missed_keys.join(", ")
        )
    }
}

/// The table so far: printed line by line, collected for the JSON document.
pub struct Table {
    pub metrics: Vec<Metric>,
}

impl Table {
    pub fn push(&mut self, m: Metric) {
        print!("{}", table_line(&m));
        use std::io::Write;
        let _ = std::io::stdout().flush();
        self.metrics.push(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_verdicts() {
        assert_eq!(
            fmt_target(&Target::at_most(53.977500000000006), SECONDS),
            "<= 53.98 s"
        );
        assert_eq!(fmt_target(&Target::at_most(1.1), TIMES), "<= 1.1x");
        assert_eq!(fmt_target(&Target::at_most(15.0), SECONDS), "<= 15 s");
        assert_eq!(fmt_target(&Target::at_most(50.0), MILLIS), "<= 50 ms");
        assert!(Target::at_most(5.0).met_by(5.0));
        assert!(!Target::at_most(5.0).met_by(5.01));
        assert!(Target::at_least(5.0).met_by(7.0));
        assert!(!Target::at_least(5.0).met_by(4.99));
        assert!(Target::equal(0.0).met_by(0.0));
        assert!(!Target::equal(0.0).met_by(1.0));
        // Rounding slack.
        assert!(Target::at_most(1.1).met_by(1.1000000000001));
        let ok = Metric::new(4, "k", "l", Some(3.0), PERCENT, Some(Target::at_most(5.0)));
        assert_eq!(ok.verdict, Some("ok"));
        let miss = Metric::new(4, "k", "l", Some(6.0), PERCENT, Some(Target::at_most(5.0)));
        assert_eq!(miss.verdict, Some("MISS"));
        assert!(miss.missed());
        assert_eq!(
            Metric::new(4, "k", "l", None, PERCENT, Some(Target::at_most(5.0))).verdict,
            None
        );
        assert_eq!(
            Metric::new(4, "k", "l", Some(1.0), SECONDS, None).verdict,
            None
        );
        assert_eq!(tally(&[ok.clone(), miss.clone(), ok]), (2, 1));
        assert_eq!(
            tally_line(std::slice::from_ref(&miss)),
            "targets: 0 ok, 1 missed (k)\n"
        );
    }

    #[test]
    fn spreads_and_per_shard_kinds() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 5.0, 4.0]).unwrap();
        assert_eq!((s.runs, s.min, s.median, s.max), (5, 1.0, 3.0, 5.0));
        let s = Spread::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
        assert_eq!(s.scaled(1000.0).max, 4000.0);
        let m = Metric::repeated(
            4,
            "k",
            "no-op",
            Some(s),
            SECONDS,
            Some(Target::at_most(1.0)),
        );
        assert_eq!(m.value, Some(2.5));
        assert_eq!(m.verdict, Some("MISS"));
        assert_eq!(m.label, "no-op (median of 4)");
        let line = table_line(&m);
        assert!(
            line.ends_with("\n     min 1.00 s, median 2.50 s, max 4.00 s over 4 runs\n"),
            "{line:?}"
        );
        let m = Metric::repeated(4, "k", "no-op", None, SECONDS, None);
        assert_eq!((m.value, m.spread), (None, None));
        let m =
            Metric::new(5, "k", "probe", Some(3.0), MILLIS, None).per_shard(Kind::Throughput, 2);
        assert_eq!(m.label, "probe [throughput, 2 at a time]");
        assert_eq!(m.per_shard.unwrap().concurrency, 2);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["per_shard"]["kind"], "throughput");
    }

    #[test]
    fn arithmetic() {
        // 60 s of work in 40 s on 2 workers: 75%.
        assert_eq!(efficiency(60.0, 40.0, 2), Some(75.0));
        assert_eq!(efficiency(60.0, 0.0, 2), None);
        assert_eq!(efficiency(60.0, 10.0, 0), None);
        assert_eq!(ratio(1.0, 4.0), Some(0.25));
        assert_eq!(ratio(1.0, 0.0), None);
    }

    #[test]
    fn table_lines() {
        let m = Metric::new(
            4,
            "nix_warm.fraction_of_cold",
            "no-op wall / cold wall",
            Some(3.25),
            PERCENT,
            Some(Target::at_most(5.0)),
        );
        let line = table_line(&m);
        assert!(line.starts_with("4    no-op wall / cold wall "), "{line}");
        assert!(line.ends_with("        3.2%  <= 5%      ok\n"), "{line:?}");
        let m = Metric::new(1, "k", "wall", Some(12.345), SECONDS, None);
        assert!(
            table_line(&m).ends_with("12.35 s  -\n"),
            "{:?}",
            table_line(&m)
        );
        let m = Metric::new(7, "k", "ratio", None, TIMES, Some(Target::at_most(1.1)));
        assert!(
            table_line(&m).ends_with("n/a  <= 1.1x\n"),
            "{:?}",
            table_line(&m)
        );
        let m = Metric::new(6, "k", "rerun", Some(0.0), SHARDS, Some(Target::equal(0.0)));
        assert!(
            table_line(&m).ends_with(" 0  = 0        ok\n"),
            "{:?}",
            table_line(&m)
        );
        assert_eq!(fmt_value(7.25, MILLIS), "7.2 ms");
        assert_eq!(fmt_value(5.5, TIMES), "5.50x");
        assert!(table_header().starts_with("step figure"));
    }
}
