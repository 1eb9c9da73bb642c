//! Integration tests of `rts-shards plan` and `rts-shards report`.

mod common;
use common::*;
use std::path::Path;

fn write_timings(path: &Path, shards: &[(&str, f64)]) {
    let mut map = serde_json::Map::new();
    for (n, s) in shards {
        map.insert(
            n.to_string(),
            serde_json::json!({"wall_seconds": s, "peak_memory_kib": 1024}),
        );
    }
    let v = serde_json::json!({"machine": "test", "command": "hand-written", "shards": map});
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn plan_prints_hand_computed_makespans() {
    let f = Fixture::new();
    std::fs::create_dir(f.path().join("tools")).unwrap();
    write_timings(
        &f.path().join("tools/timings.json"),
        &[
            ("ni-a", 7.0),
            ("ni-b", 5.0),
            ("ni-c", 4.0),
            ("ni-d", 3.0),
            ("ni-e", 3.0),
            ("ni-f", 2.0),
        ],
    );
    // Default file (tools/timings.json at the root).
    let o = f.run(&["plan", "--workers", "1,2,3,8"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("6 shards, total 24.00s, longest 7.00s"),
        "{out}"
    );
    // N=1: 24; N=2: 12 (bound 12); N=3: 9 (bound 8, 24/27); N=8: 7 (24/56).
    for row in [
        "      1      24.00s       24.00s      100.0%  ni-a (7.00s)",
        "      2      12.00s       12.00s      100.0%  ni-a (7.00s)",
        "      3       9.00s        8.00s       88.9%  ni-a (7.00s)",
        "      8       7.00s        7.00s       42.9%  ni-a (7.00s)",
    ] {
        assert!(out.contains(row), "missing {row:?} in\n{out}");
    }
}

#[test]
fn plan_suggests_splits() {
    let f = Fixture::new();
    let t = f.path().join("t.json");
    write_timings(
        &t,
        &[
            ("64-gc", 10.0),
            ("inc-gc", 8.0),
            ("ni-a", 2.0),
            ("ni-b", 2.0),
            ("ni-c", 2.0),
            ("ni-d", 2.0),
            ("ni-e", 2.0),
        ],
    );
    let o = f.run(&[
        "plan",
        "--timings",
        t.to_str().unwrap(),
        "--workers",
        "2,4",
        "--target-efficiency",
        "0.9",
    ]);
    assert_code(&o, 0);
    let out = stdout(&o);
    // Total 28. N=2: threshold 28/1.8 = 15.56, nothing to split.
    assert!(out.contains("N=2: no shard exceeds 15.56s"), "{out}");
    // N=4: threshold 28/3.6 = 7.78: 64-gc -> 2 chunks, inc-gc -> 2 chunks: module gc, 2.
    assert!(
        out.contains("N=4: shards over 7.78s must be split"),
        "{out}"
    );
    assert!(
        out.contains("gc: into 2 chunks (64-gc 10.00s, inc-gc 8.00s)"),
        "{out}"
    );
    // After: 5,5,4,4,2x5 on 4 workers: 5|5|4|4 -> 2s to w2,w3 (6,6), then w0,w1 (7,7),
    // then w2 (8): makespan 8, efficiency 28/32 = 87.5%.
    assert!(
        out.contains("after splitting: makespan 8.00s, efficiency 87.5%"),
        "{out}"
    );
}

#[test]
fn plan_input_errors() {
    let f = Fixture::new();
    let o = f.run(&["plan", "--timings", "missing.json"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("missing.json"));
    std::fs::write(f.path().join("bad.json"), "[").unwrap();
    let o = f.run(&["plan", "--timings", "bad.json"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("malformed"));
    write_timings(&f.path().join("t.json"), &[("ni-a", 1.0)]);
    assert_code(
        &f.run(&["plan", "--timings", "t.json", "--workers", "0"]),
        2,
    );
    assert_code(
        &f.run(&["plan", "--timings", "t.json", "--workers", "x"]),
        2,
    );
    assert_code(
        &f.run(&["plan", "--timings", "t.json", "--target-efficiency", "2"]),
        2,
    );
    // Deeper timings without a depth to plan, or with two.
    let o = f.run(&["plan", "--timings", "t.json", "--deeper", "t.json"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--scale"), "{}", stderr(&o));
    let both = [
        "plan",
        "--timings",
        "t.json",
        "--deeper",
        "t.json",
        "--scale",
        "2",
        "--sequential-seconds",
        "9",
    ];
    assert_code(&f.run(&both), 2);
}

/// A record as `run --json` writes it: result.json's fields and "times".
fn record(name: &str, status: &str, start: f64, end: f64) -> serde_json::Value {
    let (v, m) = name.split_once('-').unwrap();
    serde_json::json!({
        "name": name, "variant": v, "module": m, "export": format!("test_{m}"), "seed": 1,
        "status": status,
        "exit_code": if status == "timeout" { serde_json::Value::Null } else if status == "pass" { 0.into() } else { 134.into() },
        "wasmtime_version": "wasmtime 48.0.8",
        "times": {"wall_seconds": end - start, "peak_memory_kib": 2048,
                  "started_at_unix": start, "finished_at_unix": end}
    })
}

/// Lays out records like shard runs: store/<hash>-<name>/result.json (without times), linked
/// from results/, with the run's timing line in runner.log beside it when `logs` is set and
/// the record has times.
fn shard_results(dir: &Path, recs: &[serde_json::Value], logs: bool) -> std::path::PathBuf {
    let store = dir.join("store");
    let links = dir.join("results");
    std::fs::create_dir_all(&links).unwrap();
    for (i, r) in recs.iter().enumerate() {
        let name = r["name"].as_str().unwrap();
        let out = store.join(format!("{i:04}-shard-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        let mut result = r.clone();
        let times = result.as_object_mut().unwrap().remove("times");
        std::fs::write(out.join("result.json"), result.to_string()).unwrap();
        if let (true, Some(serde_json::Value::Object(t))) = (logs, times) {
            let mut line =
                serde_json::json!({"name": name, "export": r["export"], "seed": r["seed"]});
            line.as_object_mut().unwrap().extend(t);
            std::fs::write(
                out.join("runner.log"),
                format!("test output\nrts-shard-timing {line}\nPASS {name}\n"),
            )
            .unwrap();
        }
        std::os::unix::fs::symlink(&out, links.join(format!("result-{name}"))).unwrap();
    }
    links
}

fn nix_like_results(dir: &Path, recs: &[serde_json::Value]) -> std::path::PathBuf {
    shard_results(dir, recs, true)
}

#[test]
fn report_writes_junit_json_and_svg() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let links = nix_like_results(
        f.path(),
        &[
            record("ni-a", "pass", t0, t0 + 4.0),
            record("ni-b", "fail", t0, t0 + 2.0),
            record("64-c", "timeout", t0 + 2.0, t0 + 6.0),
            record("inc-d", "pass", t0 + 4.0, t0 + 5.0),
        ],
    );
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--junit",
        "r.xml",
        "--json",
        "r.json",
        "--svg",
        "r.svg",
    ]);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("4 shards: 2 passed, 1 failed, 1 timed out; makespan 6.00s"),
        "{out}"
    );
    assert!(out.contains("nix build -L .#checks.ni-b"), "{out}");
    assert!(out.trim_end().ends_with("2 passed, 2 failed"), "{out}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(s["total"], 4);
    assert_eq!(s["passed"], 2);
    assert_eq!(s["failed"], 1);
    assert_eq!(s["timeout"], 1);
    assert_eq!(s["timed"], 4);
    assert_eq!(s["makespan_seconds"], 6.0);
    assert_eq!(s["total_wall_seconds"], 11.0);
    assert_eq!(s["lanes"], 2);
    assert_eq!(s["shards"].as_array().unwrap().len(), 4);
    assert_eq!(s["shards"][0]["name"], "64-c");
    assert_eq!(s["shards"][0]["times"]["wall_seconds"], 4.0);
    let xml = xml_text(&f.path().join("r.xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let failure = root
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("ni-b"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        failure.text(),
        Some("reproduce: nix build -L .#checks.ni-b")
    );
    let svg = xml_text(&f.path().join("r.svg"));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.children().filter(|n| n.has_tag_name("g")).count(), 4);
    let texts: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        texts.contains(&"lane 2") && !texts.contains(&"lane 3"),
        "{texts:?}"
    );
    assert!(texts.contains(&"ni-a"), "labels on wide bars: {texts:?}");
}

#[test]
fn report_all_passing_exits_zero() {
    let f = Fixture::new();
    let links = nix_like_results(f.path(), &[record("ni-a", "pass", 1.0, 2.0)]);
    let o = f.run(&["report", links.to_str().unwrap()]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("1 passed, 0 failed"));
}

#[test]
fn report_input_errors_leave_no_output() {
    let f = Fixture::new();
    let empty = f.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = f.run(&["report", empty.to_str().unwrap(), "--json", "r.json"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no result.json"));
    let o = f.run(&["report", "nonexistent"]);
    assert_code(&o, 2);
    // An output whose directory is missing: nothing at all is written.
    let links = nix_like_results(f.path(), &[record("ni-a", "pass", 1.0, 2.0)]);
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--junit",
        "a.xml",
        "--svg",
        "missing/x.svg",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("missing/x.svg"), "{}", stderr(&o));
    assert!(!f.path().join("a.xml").exists());
}

#[test]
fn report_names_a_bad_result_and_still_reports_the_others() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let mut huge = record("ni-c", "pass", t0, t0 + 1.0);
    huge["times"]["wall_seconds"] = serde_json::json!(1e20);
    let mut negative = record("ni-d", "pass", t0, t0 + 1.0);
    negative["times"]["wall_seconds"] = serde_json::json!(-3.0);
    let links = nix_like_results(
        f.path(),
        &[
            record("ni-a", "pass", t0, t0 + 2.0),
            record("ni-b", "fail", t0, t0 + 1.0),
            huge,
            negative,
        ],
    );
    std::fs::create_dir(links.join("broken")).unwrap();
    std::fs::write(links.join("broken/result.json"), "{\"name\":").unwrap();
    std::fs::create_dir(links.join("old")).unwrap();
    std::fs::write(links.join("old/result.json"), "{\"name\": \"ni-x\"}").unwrap();
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--json",
        "r.json",
        "--svg",
        "r.svg",
        "--junit",
        "r.xml",
    ]);
    // 2: some result.json could not be read; the report of the others is complete.
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("broken/result.json") && err.contains("malformed"),
        "{err}"
    );
    assert!(err.contains("old/result.json"), "{err}");
    let out = stdout(&o);
    assert!(out.contains("4 shards: 3 passed, 1 failed"), "{out}");
    assert!(out.contains("(over the 2 of 4 shards with times)"), "{out}");
    // Impossible times in a log: the shard counts, without times, and the reason is given.
    assert!(
        out.contains("no times for ni-c: ")
            && out.contains("invalid wall_seconds 100000000000000000000"),
        "{out}"
    );
    assert!(out.contains("invalid wall_seconds -3"), "{out}");
    assert_eq!(out.matches("  UNREADABLE ").count(), 2, "{out}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(
        (s["total"].clone(), s["timed"].clone()),
        (4.into(), 2.into())
    );
    assert_eq!(s["unreadable"].as_array().unwrap().len(), 2);
    xml_text(&f.path().join("r.svg"));
    xml_text(&f.path().join("r.xml"));
}

#[test]
fn report_without_logs_gives_verdicts_only() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let links = shard_results(
        f.path(),
        &[
            record("ni-a", "pass", t0, t0 + 2.0),
            record("ni-b", "pass", t0, t0 + 1.0),
        ],
        false,
    );
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--json",
        "r.json",
        "--junit",
        "r.xml",
        "--svg",
        "r.svg",
    ]);
    // The verdicts decide the status; the chart that cannot be drawn is an error message.
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("2 shards: 2 passed, 0 failed, 0 timed out; no shard has times"),
        "{out}"
    );
    assert!(
        out.contains("no times for ni-a: no runner.log beside it and not in the Nix store"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("none of the 2 shards has times"),
        "{}",
        stderr(&o)
    );
    assert!(!f.path().join("r.svg").exists());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(s["timed"], 0);
    assert!(s["makespan_seconds"].is_null() && s["shards"][0]["times"].is_null());
    let xml = xml_text(&f.path().join("r.xml"));
    assert!(!xml.contains("time=\"0"), "{xml}");
    // --no-times reads nothing and says so; it cannot draw a chart.
    let o = f.run(&["report", links.to_str().unwrap(), "--no-times"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("no times read (--no-times)"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("no times for"), "{}", stdout(&o));
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--no-times",
        "--svg",
        "x.svg",
    ]);
    assert_code(&o, 2);
    // A file in a Nix store (here a stand-in store directory) is looked up with nix-store.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
        .args(["report", links.to_str().unwrap()])
        .env("NIX_STORE_DIR", f.path().join("store"))
        .env("PATH", f.path().join("no-such-dir"))
        .current_dir(f.path())
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("no times for ni-a: cannot run nix-store --read-log"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn report_records_timings_for_plan() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let links = nix_like_results(
        f.path(),
        &[
            record("ni-a", "pass", t0, t0 + 2.5),
            record("ni-b", "fail", t0, t0 + 1.0),
        ],
    );
    write_timings(&f.path().join("t.json"), &[("ni-z", 7.0)]);
    let o = f.run(&[
        "report",
        links.to_str().unwrap(),
        "--record-timings",
        "t.json",
    ]);
    assert_code(&o, 1);
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("t.json")).unwrap()).unwrap();
    assert_eq!(t["shards"]["ni-a"]["wall_seconds"], 2.5);
    assert_eq!(t["shards"]["ni-z"]["wall_seconds"], 7.0);
    assert!(t["shards"].get("ni-b").is_none(), "{t}");
    let o = f.run(&["plan", "--timings", "t.json", "--workers", "1"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("9.50"), "{}", stdout(&o));
}

#[test]
fn plan_rejects_impossible_timings_without_panicking() {
    let f = Fixture::new();
    for bad in ["1e20", "-1", "NaN"] {
        std::fs::write(
            f.path().join("t.json"),
            format!(
                r#"{{"machine":"m","command":"c","shards":{{"ni-a":{{"wall_seconds":{bad},"peak_memory_kib":null}}}}}}"#
            ),
        )
        .unwrap();
        let o = f.run(&["plan", "--timings", "t.json"]);
        assert_code(&o, 2);
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        assert!(stderr(&o).contains("t.json"), "{bad}: {}", stderr(&o));
    }
}

#[test]
fn report_reads_what_run_writes() {
    let Some(w) = wasmtime_or_skip("report_reads_what_run_writes") else {
        return;
    };
    let f = Fixture::new();
    let o = f.run(&[
        "run",
        "--built",
        "built",
        "--wasmtime",
        w.to_str().unwrap(),
        "--filter",
        "pass",
        "--filter",
        "trap",
        "--json",
        "run.json",
        "--log-dir",
        "logs",
    ]);
    assert_code(&o, 1);
    let recs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("run.json")).unwrap()).unwrap();
    assert!(
        recs.iter().all(|r| r["times"]["wall_seconds"].is_number()),
        "{recs:?}"
    );
    // The run's own directories: result.json without times, the timing line in runner.log.
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path().join("logs/ni-pass/result.json")).unwrap(),
    )
    .unwrap();
    assert!(
        result.get("times").is_none() && result.get("wall_seconds").is_none(),
        "{result}"
    );
    let o = f.run(&["report", "logs", "--svg", "r.svg", "--json", "r.json"]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains("6 shards: 3 passed, 3 failed"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("no times for"), "{}", stdout(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(s["timed"], 6);
    // The times are the run's own: the report finds what run --json wrote.
    let by_name = |v: &serde_json::Value, n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()["times"]
            .clone()
    };
    assert_eq!(
        by_name(&s["shards"], "ni-pass"),
        by_name(&serde_json::Value::Array(recs), "ni-pass")
    );
    assert!(f.path().join("r.svg").is_file());
}

#[test]
fn report_rejects_an_empty_or_hostile_result_json() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let links = shard_results(f.path(), &[record("ni-a", "pass", t0, t0 + 1.0)], false);
    // What a full disk left before nix/run-shard.sh checked its writes, and a name that is a
    // path.
    std::fs::create_dir(links.join("empty")).unwrap();
    std::fs::write(links.join("empty/result.json"), "").unwrap();
    let mut hostile = record("ni-b", "pass", t0, t0 + 1.0);
    hostile.as_object_mut().unwrap().remove("times");
    hostile["name"] = "ni-../../b".into();
    std::fs::create_dir(links.join("hostile")).unwrap();
    std::fs::write(links.join("hostile/result.json"), hostile.to_string()).unwrap();
    let o = f.run(&["report", links.to_str().unwrap(), "--no-times"]);
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("empty/result.json") && err.contains("malformed"),
        "{err}"
    );
    assert!(
        err.contains("hostile/result.json") && err.contains("invalid shard name"),
        "{err}"
    );
    assert!(stdout(&o).contains("1 shards: 1 passed"), "{}", stdout(&o));
}

#[test]
fn report_names_an_unreadable_directory_and_reports_the_rest() {
    let f = Fixture::new();
    let t0 = 1_700_000_000.0;
    let links = shard_results(f.path(), &[record("ni-a", "pass", t0, t0 + 1.0)], false);
    let locked = links.join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perm = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o000);
    std::fs::set_permissions(&locked, perm).unwrap();
    // Root reads any directory: as root, the report runs without the capabilities that let it
    // (util-linux's setpriv drops them).
    // SAFETY: geteuid has no preconditions.
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--bounding-set", "-dac_override,-dac_read_search", "--"]);
        c.arg(env!("CARGO_BIN_EXE_rts-shards"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
    };
    let o = cmd
        .args([
            "report",
            links.to_str().unwrap(),
            "--no-times",
            "--json",
            "r.json",
        ])
        .current_dir(f.path())
        .output();
    let mut perm = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&locked, perm).unwrap();
    let Ok(o) = o else {
        eprintln!("SKIPPED report_names_an_unreadable_directory: root, and no setpriv to drop it");
        return;
    };
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("cannot read directory") && err.contains("locked"),
        "{err}"
    );
    assert!(stdout(&o).contains("1 shards: 1 passed"), "{}", stdout(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(s["unreadable"].as_array().unwrap().len(), 1);
}
