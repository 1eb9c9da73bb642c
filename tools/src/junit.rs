//! JUnit XML of shard records: one test suite per variant, one test case per shard, with its
//! time when the record has one.

use crate::result::{Record, ShardResult, Status};
use anyhow::{Context, Result};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// Builds a JUnit XML report: one test suite per variant, one test case per shard (named by
/// the shard name, class name = variant). `not_run` (variant, module) pairs are reported as
/// skipped. `details` gives the text of a failure (reproduce command, stderr).
pub fn junit_xml(
    report_name: &str,
    records: &[Record],
    not_run: &[(&str, &str)],
    details: &dyn Fn(&ShardResult) -> Option<String>,
) -> Result<String> {
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| a.result.name.cmp(&b.result.name));
    for rec in sorted {
        let r = &rec.result;
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Fail | Status::Timeout => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let msg = match (r.status, r.exit_code, rec.wall_seconds()) {
                    (Status::Timeout, _, Some(w)) => format!("timed out after {w:.2}s"),
                    (Status::Timeout, _, None) => "timed out".to_string(),
                    (_, Some(c), _) => format!("exit code {c}"),
                    _ => "killed by a signal".to_string(),
                };
                s.set_message(format!("{} (seed {}): {msg}", r.name, r.seed));
                s.set_type(if r.status == Status::Timeout {
                    "timeout"
                } else {
                    "failure"
                });
                if let Some(d) = details(r) {
                    s.set_description(d);
                }
                s
            }
        };
        let mut case = TestCase::new(r.name.as_str(), status);
        case.set_classname(r.variant.as_str());
        if let Some(w) = rec.wall_seconds() {
            case.set_time(Duration::try_from_secs_f64(w).unwrap_or_default());
        }
        suites
            .entry(r.variant.as_str())
            .or_insert_with(|| TestSuite::new(r.variant.as_str()))
            .add_test_case(case);
    }
    for (variant, module) in not_run {
        let mut case = TestCase::new(
            crate::matrix::shard_name(variant, module),
            TestCaseStatus::skipped(),
        );
        case.set_classname(*variant);
        suites
            .entry(variant)
            .or_insert_with(|| TestSuite::new(*variant))
            .add_test_case(case);
    }
    let mut report = Report::new(report_name);
    report.add_test_suites(suites.into_values());
    report.to_string().context("cannot serialize JUnit XML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::tests::rec;

    #[test]
    fn junit_has_suites_per_variant_and_failures() {
        let mut rs = vec![
            rec("ni-a", Status::Pass, 0.0, 1.0),
            rec("ni-b", Status::Fail, 0.0, 2.0),
            rec("64-c", Status::Timeout, 0.0, 3.0),
            rec("inc-e", Status::Pass, 0.0, 3.0),
        ];
        rs[3].times = None;
        let xml = junit_xml("r", &rs, &[("inc", "d")], &|r| {
            Some(format!("repro {}", r.name))
        })
        .unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("name"), Some("r"));
        assert_eq!(root.attribute("tests"), Some("5"));
        assert_eq!(root.attribute("failures"), Some("2"));
        let suites: Vec<roxmltree::Node> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
        assert_eq!(names, ["64", "inc", "ni"]);
        let ni = suites[2];
        assert_eq!(ni.attribute("tests"), Some("2"));
        assert_eq!(ni.attribute("failures"), Some("1"));
        fn case<'a, 'i>(suite: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
            suite
                .children()
                .find(|c| c.has_tag_name("testcase") && c.attribute("name") == Some(name))
                .unwrap()
        }
        let failure = case(ni, "ni-b")
            .children()
            .find(|c| c.has_tag_name("failure"))
            .unwrap();
        assert_eq!(
            failure.attribute("message"),
            Some("ni-b (seed 1): exit code 134")
        );
        assert_eq!(failure.attribute("type"), Some("failure"));
        assert_eq!(failure.text(), Some("repro ni-b"));
        assert_eq!(case(ni, "ni-a").attribute("classname"), Some("ni"));
        assert_eq!(case(ni, "ni-a").attribute("time"), Some("1.000"));
        let timeout = case(suites[0], "64-c")
            .children()
            .find(|c| c.has_tag_name("failure"))
            .unwrap();
        assert_eq!(timeout.attribute("type"), Some("timeout"));
        assert!(
            case(suites[1], "inc-d")
                .children()
                .any(|c| c.has_tag_name("skipped"))
        );
        // A record without times has a case without a time.
        assert_eq!(case(suites[1], "inc-e").attribute("time"), None);
    }
}
