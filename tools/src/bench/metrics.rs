//! The figures of `bench`: targets and verdicts, units, the efficiency and ratio arithmetic,
//! and the table they are printed in.

use serde::Serialize;

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Cmp {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "==")]
    Equal,
}

/// A target: the figure must be `cmp` `value` (in the figure's unit).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
        }
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

fn fmt_target(t: &Target, unit: &str) -> String {
    let op = match t.cmp {
        Cmp::AtMost => "<=",
        Cmp::AtLeast => ">=",
        Cmp::Equal => "=",
    };
    let v = match unit {
        PERCENT => format!("{:.0}%", t.value),
        TIMES => format!("{}x", t.value),
        MILLIS => format!("{} ms", t.value),
        SECONDS => format!("{} s", t.value),
        SHARDS => format!("{:.0}", t.value),
        _ => format!("{}", t.value),
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
    format!("{}\n", line.trim_end())
}

/// Efficiency of `work` seconds of shard time done in `wall` seconds by `n` workers, in percent.
pub fn efficiency(work: f64, wall: f64, n: usize) -> Option<f64> {
    (wall > 0.0 && n > 0 && work.is_finite()).then(|| 100.0 * work / (wall * n as f64))
}

/// `a / b`, when defined.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

/// The arithmetic mean, in milliseconds, of durations in seconds.
pub fn mean_ms(seconds: &[f64]) -> Option<f64> {
    (!seconds.is_empty()).then(|| 1000.0 * seconds.iter().sum::<f64>() / seconds.len() as f64)
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
    fn arithmetic() {
        // 60 s of work in 40 s on 2 workers: 75%.
        assert_eq!(efficiency(60.0, 40.0, 2), Some(75.0));
        assert_eq!(efficiency(60.0, 0.0, 2), None);
        assert_eq!(efficiency(60.0, 10.0, 0), None);
        assert_eq!(ratio(1.0, 4.0), Some(0.25));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(
            mean_ms(&[0.010, 0.020, 0.030]).map(|m| m.round()),
            Some(20.0)
        );
        assert_eq!(mean_ms(&[]), None);
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
