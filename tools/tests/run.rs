//! Integration tests of `rts-shards run` under the real wasmtime.

mod common;
use common::*;
use std::path::Path;

/// Runs `rts-shards run --built built --wasmtime W` plus `args` in the fixture.
fn run(f: &Fixture, w: &Path, args: &[&str]) -> std::process::Output {
    let mut a = vec!["run", "--built", "built", "--wasmtime", w.to_str().unwrap()];
    if !args.contains(&"--default-logs") {
        a.extend_from_slice(&["--log-dir", "logs"]);
    }
    a.extend(args.iter().filter(|a| **a != "--default-logs"));
    f.run(&a)
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn run_reports_pass_and_trap_with_exact_reproduce_commands() {
    let Some(w) = wasmtime_or_skip("run_reports_pass_and_trap") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let o = run(
        &f,
        &w,
        &[
            "--filter", "pass", "--filter", "trap", "--json", "out.json", "--junit", "out.xml",
        ],
    );
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("3 passed, 3 failed (0 timed out)"), "{out}");
    assert!(out.trim_end().ends_with("3 passed, 3 failed"), "{out}");
    assert!(out.contains("slowest shards:"), "{out}");
    assert!(
        out.contains("wasm trap: wasm `unreachable` instruction executed"),
        "{out}"
    );
    // Records.
    let recs = records(&f.path().join("out.json"));
    assert_eq!(recs.len(), 6);
    let names: Vec<&str> = recs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "64-pass", "64-trap", "inc-pass", "inc-trap", "ni-pass", "ni-trap"
        ]
    );
    for r in &recs {
        let pass = r["name"].as_str().unwrap().ends_with("pass");
        assert_eq!(r["status"], if pass { "pass" } else { "fail" }, "{r}");
        let code = r["exit_code"].as_i64().unwrap();
        assert_eq!(code == 0, pass, "{r}");
        assert!(r["peak_memory_kib"].as_u64().unwrap() > 1000, "{r}");
        assert!(
            r["wasmtime_version"]
                .as_str()
                .unwrap()
                .starts_with("wasmtime ")
        );
        assert!(r["finished_at_unix"].as_f64() >= r["started_at_unix"].as_f64());
        assert_eq!(r["seed"], 1);
    }
    // Every failure's reproduce command is absolute and really reproduces it.
    let cwasm = f.built().join("64/rts_testsuite.cwasm");
    let expected = format!(
        "reproduce: {} run -W memory64=y --allow-precompiled --invoke test_trap {} 1",
        std::fs::canonicalize(&w).unwrap().display(),
        std::fs::canonicalize(&cwasm).unwrap().display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert!(
        out.contains("nix:       nix build -L .#checks.64-trap"),
        "{out}"
    );
    assert!(out.contains("64-trap (exit code"), "{out}");
    assert!(out.contains("variant 64, module trap, seed 1"), "{out}");
    for line in out.lines().filter(|l| l.contains("reproduce: ")) {
        let cmd = line.split_once("reproduce: ").unwrap().1;
        let st = std::process::Command::new("sh")
            .args(["-c", cmd])
            .output()
            .unwrap();
        assert!(!st.status.success(), "{cmd} should fail");
        let fixed = cmd.replace("test_trap", "test_pass");
        let st = std::process::Command::new("sh")
            .args(["-c", &fixed])
            .output()
            .unwrap();
        assert!(st.status.success(), "{fixed} should pass");
    }
    // JUnit.
    let xml = std::fs::read_to_string(f.path().join("out.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"ni\" tests=\"2\""), "{xml}");
    assert!(xml.contains("failures=\"3\""), "{xml}");
    assert!(xml.contains("reproduce: "), "{xml}");
    // Progress lines (stderr is not a terminal here): one per shard.
    let err = stderr(&o);
    assert_eq!(
        err.lines().filter(|l| l.starts_with('[')).count(),
        6,
        "{err}"
    );
}

#[test]
fn run_all_passing_exits_zero_and_runs_plain_wasm() {
    let Some(w) = wasmtime_or_skip("run_all_passing") else {
        return;
    };
    let f = Fixture::new(); // no .cwasm: the .wasm runs without --allow-precompiled
    let o = run(
        &f,
        &w,
        &["--filter", "pass", "--filter", "sleepy", "-j", "3"],
    );
    assert_code(&o, 0);
    assert!(stdout(&o).contains("6 passed, 0 failed"), "{}", stdout(&o));
}

#[test]
fn run_timeout_kills_the_shard() {
    let Some(w) = wasmtime_or_skip("run_timeout") else {
        return;
    };
    let f = Fixture::new();
    let start = std::time::Instant::now();
    let o = run(
        &f,
        &w,
        &[
            "--filter",
            "ni-loop",
            "--timeout",
            "0.5",
            "--json",
            "o.json",
        ],
    );
    assert_code(&o, 1);
    assert!(start.elapsed().as_secs() < 20);
    let recs = records(&f.path().join("o.json"));
    assert_eq!(recs[0]["status"], "timeout");
    assert!(recs[0]["exit_code"].is_null());
    let wall = recs[0]["wall_seconds"].as_f64().unwrap();
    assert!((0.5..10.0).contains(&wall), "{wall}");
    assert!(
        stdout(&o).contains("ni-loop (timed out after"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("(1 timed out)"));
}

#[test]
fn run_memory_cap_makes_growth_fail() {
    let Some(w) = wasmtime_or_skip("run_memory_cap") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    // test_grow grows memory by 64 MiB: fails under a 32 MiB cap, passes under 128 MiB.
    let o = run(&f, &w, &["--filter", "*-grow", "--max-memory", "32M"]);
    assert_code(&o, 1);
    assert!(stdout(&o).contains("0 passed, 3 failed"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("-W max-memory-size=33554432"),
        "{}",
        stdout(&o)
    );
    let o = run(&f, &w, &["--filter", "*-grow", "--max-memory", "128MiB"]);
    assert_code(&o, 0);
    let o = run(&f, &w, &["--filter", "*-grow"]);
    assert_code(&o, 0);
}

#[test]
fn run_passes_the_seed_and_selects_variants() {
    let Some(w) = wasmtime_or_skip("run_seed") else {
        return;
    };
    let f = Fixture::new();
    let o = run(&f, &w, &["--filter", "seed", "--variant", "ni"]);
    assert_code(&o, 1);
    assert!(stdout(&o).contains("0 passed, 1 failed"), "{}", stdout(&o));
    let o = run(
        &f,
        &w,
        &[
            "--filter",
            "seed",
            "--seed",
            "42",
            "--variant",
            "ni",
            "--variant",
            "64",
            "--json",
            "s.json",
        ],
    );
    assert_code(&o, 0);
    let recs = records(&f.path().join("s.json"));
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["seed"] == 42));
}

#[test]
fn run_fail_fast_stops_starting_shards() {
    let Some(w) = wasmtime_or_skip("run_fail_fast") else {
        return;
    };
    let f = Fixture::new();
    // Order by timings: trap first, then the others; one job.
    std::fs::write(
        f.path().join("t.json"),
        r#"{"machine":"m","command":"c","shards":{
            "ni-trap":{"wall_seconds":9,"peak_memory_kib":null},
            "ni-pass":{"wall_seconds":1,"peak_memory_kib":null},
            "ni-seed":{"wall_seconds":1,"peak_memory_kib":null},
            "ni-grow":{"wall_seconds":1,"peak_memory_kib":null},
            "ni-sleepy":{"wall_seconds":1,"peak_memory_kib":null},
            "ni-loop":{"wall_seconds":1,"peak_memory_kib":null}}}"#,
    )
    .unwrap();
    let o = run(
        &f,
        &w,
        &[
            "--variant",
            "ni",
            "-j",
            "1",
            "--fail-fast",
            "--timings",
            "t.json",
            "--json",
            "o.json",
        ],
    );
    assert_code(&o, 1);
    let recs = records(&f.path().join("o.json"));
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["name"], "ni-trap");
    assert!(
        stdout(&o).contains("5 not run (--fail-fast)"),
        "{}",
        stdout(&o)
    );
    // Without --fail-fast every shard runs.
    let o = run(
        &f,
        &w,
        &[
            "--variant",
            "ni",
            "--filter",
            "trap",
            "--filter",
            "pass",
            "-j",
            "1",
        ],
    );
    assert_code(&o, 1);
    assert!(stdout(&o).contains("1 passed, 1 failed"));
}

#[test]
fn run_orders_longest_first_and_records_timings() {
    let Some(w) = wasmtime_or_skip("run_orders_longest_first") else {
        return;
    };
    let f = Fixture::new();
    std::fs::create_dir(f.path().join("tools")).unwrap();
    // The default timings file (tools/timings.json at the root) says pass is longest.
    std::fs::write(
        f.path().join("tools/timings.json"),
        r#"{"machine":"m","command":"c","shards":{
            "ni-pass":{"wall_seconds":50,"peak_memory_kib":null},
            "ni-sleepy":{"wall_seconds":0.5,"peak_memory_kib":null}}}"#,
    )
    .unwrap();
    let o = run(
        &f,
        &w,
        &[
            "--variant",
            "ni",
            "--filter",
            "pass",
            "--filter",
            "sleepy",
            "--filter",
            "seed",
            "-j",
            "1",
            "--record-timings",
            "rec.json",
        ],
    );
    assert_code(&o, 1); // ni-seed fails with seed 1
    let err = stderr(&o);
    let order: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with('['))
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    // Unknown (ni-seed) first, then by recorded time.
    assert_eq!(order, ["ni-seed", "ni-pass", "ni-sleepy"], "{err}");
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("rec.json")).unwrap()).unwrap();
    let shards = rec["shards"].as_object().unwrap();
    assert_eq!(shards.len(), 3);
    assert!(shards["ni-sleepy"]["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(
        rec["command"]
            .as_str()
            .unwrap()
            .starts_with("rts-shards run")
    );
    // Recording again merges into the same file and keeps other shards.
    let o = run(
        &f,
        &w,
        &[
            "--variant",
            "ni",
            "--filter",
            "pass",
            "--record-timings",
            "rec.json",
        ],
    );
    assert_code(&o, 0);
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("rec.json")).unwrap()).unwrap();
    assert_eq!(rec["shards"].as_object().unwrap().len(), 3);
}

#[test]
fn run_builds_from_source_with_the_build_script() {
    let Some(w) = wasmtime_or_skip("run_builds_from_source") else {
        return;
    };
    let f = Fixture::new();
    // A stand-in for nix/build-variant.sh: copies the fixture module and records its env.
    let script = format!(
        r#"#!/usr/bin/env bash
set -eu
out=$1
printf '%s|%s|%s|%s|%s\n' "$VARIANT" "$TARGET" "$FEATURES" "$WASMTIME_FLAGS" "$RTS_SRC" >> {env}
command -v wasmtime >/dev/null
cp {built}/$VARIANT/rts_testsuite.wasm "$out/"
wasmtime compile $WASMTIME_FLAGS -o "$out/rts_testsuite.cwasm" "$out/rts_testsuite.wasm"
"#,
        env = f.path().join("env.txt").display(),
        built = f.built().display()
    );
    std::fs::write(f.path().join("nix/build-variant.sh"), script).unwrap();
    let o = f.run(&[
        "run",
        "--wasmtime",
        w.to_str().unwrap(),
        "--variant",
        "64",
        "--variant",
        "inc",
        "--filter",
        "pass",
    ]);
    assert_code(&o, 0);
    let env = std::fs::read_to_string(f.path().join("env.txt")).unwrap();
    let root = std::fs::canonicalize(f.path()).unwrap();
    assert_eq!(
        env,
        format!(
            "64|wasm64-unknown-unknown|incremental|-W memory64=y|{r}/rts\n\
             inc|wasm32-unknown-unknown|incremental||{r}/rts\n",
            r = root.display()
        )
    );
    assert!(
        root.join("target/rts-shards/64/rts_testsuite.cwasm")
            .is_file()
    );
    // A failing build is an input error.
    std::fs::write(f.path().join("nix/build-variant.sh"), "exit 3\n").unwrap();
    let o = f.run(&["run", "--wasmtime", w.to_str().unwrap(), "--variant", "ni"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("building variant ni failed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_input_errors_exit_2() {
    let f = Fixture::new();
    let w = wasmtime().unwrap_or_else(|| "/bin/true".into());
    for (args, msg) in [
        (vec!["--variant", "zz"], "unknown variant \"zz\""),
        (vec!["--filter", "nothing-matches"], "no shards to run"),
        (vec!["--max-memory", "lots"], "expected a size"),
        (vec!["--timeout", "0"], "positive number of seconds"),
        (vec!["--jobs", "0"], "--jobs must be at least 1"),
        (vec!["--json", "nodir/o.json"], "does not exist"),
    ] {
        let o = run(&f, &w, &args);
        assert_code(&o, 2);
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
    }
    let o = f.run(&[
        "run",
        "--built",
        "built",
        "--wasmtime",
        "/nonexistent/wasmtime",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("/nonexistent/wasmtime"));
    // No build script and no modules given.
    let o = f.run(&["run", "--wasmtime", w.to_str().unwrap()]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("build-variant.sh"), "{}", stderr(&o));
}
