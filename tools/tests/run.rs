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
        let t = &r["times"];
        assert!(t["peak_memory_kib"].as_u64().unwrap() > 1000, "{r}");
        assert!(
            r["wasmtime_version"]
                .as_str()
                .unwrap()
                .starts_with("wasmtime ")
        );
        assert!(t["finished_at_unix"].as_f64() >= t["started_at_unix"].as_f64());
        assert_eq!(r["seed"], 1);
        assert_eq!(
            r["export"],
            format!("test_{}", r["module"].as_str().unwrap())
        );
    }
    // Every failure names the exact command nix/run-shard.sh ran, which really reproduces it.
    let cwasm = f.built().join("64/rts_testsuite.cwasm");
    let expected = format!(
        "    or:        {} run -C cache=n -W memory64=y -W max-memory-size=4294967296 \
         -W trap-on-grow-failure=y -W max-table-elements=1048576 --allow-precompiled \
         --invoke test_trap {} 1\n",
        std::fs::canonicalize(&w).unwrap().display(),
        std::fs::canonicalize(&cwasm).unwrap().display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert!(
        out.contains("    reproduce: nix build -L .#checks.64-trap\n"),
        "{out}"
    );
    assert!(
        out.contains("    this seed: nix build -L --impure --expr '(builtins.getFlake"),
        "{out}"
    );
    assert!(out.contains("64-trap (exit code"), "{out}");
    assert!(out.contains("variant 64, module trap, seed 1"), "{out}");
    let commands: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("or:"))
        .map(str::trim)
        .collect();
    assert_eq!(commands.len(), 3, "{out}");
    for cmd in commands {
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
    // JUnit, parsed.
    let xml = xml_text(&f.path().join("out.xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("6"));
    assert_eq!(root.attribute("failures"), Some("3"));
    let ni = root
        .children()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("ni"))
        .unwrap();
    assert_eq!(ni.attribute("tests"), Some("2"));
    let failure = ni
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let details = failure.text().unwrap();
    assert!(
        details.contains("reproduce: nix build -L .#checks.ni-trap"),
        "{details}"
    );
    assert!(details.contains("--invoke test_trap"), "{details}");
    assert!(details.contains("wasm `unreachable`"), "{details}");
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
    // As in Nix: the exit status of `timeout`.
    assert_eq!(recs[0]["exit_code"], 124);
    let wall = recs[0]["times"]["wall_seconds"].as_f64().unwrap();
    assert!((0.5..10.0).contains(&wall), "{wall}");
    assert!(
        stdout(&o).contains("ni-loop (timed out after"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("(1 timed out)"));
    // The test's peak is unknown when it was killed, not the peak of the script around it.
    assert!(recs[0]["times"]["peak_memory_kib"].is_null(), "{}", recs[0]);
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
        stdout(&o).contains("-W max-memory-size=33554432 -W trap-on-grow-failure=y"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("(memory cap of 33554432 bytes reached)"),
        "{}",
        stdout(&o)
    );
    let o = run(&f, &w, &["--filter", "*-grow", "--max-memory", "128MiB"]);
    assert_code(&o, 0);
    let o = run(&f, &w, &["--filter", "*-grow"]);
    assert_code(&o, 0);
}

#[test]
fn run_table_growth_is_capped_too() {
    let Some(w) = wasmtime_or_skip("run_table_growth_is_capped_too") else {
        return;
    };
    let f = Fixture::new();
    // test_table grows a table by 2 Mi elements (16 MiB of host memory, outside the linear
    // memory cap): refused, the test traps; test_small grows it by 1000 and passes.
    let wasm = wat::parse_str(
        r#"(module
            (table 1 funcref)
            (func (export "test_table") (param i64)
              (ref.null func) (i32.const 2097152) table.grow 0 (i32.const -1) i32.eq
              if unreachable end)
            (func (export "test_small") (param i64)
              (ref.null func) (i32.const 1000) table.grow 0 (i32.const -1) i32.eq
              if unreachable end))"#,
    )
    .unwrap();
    std::fs::write(f.wasm("ni"), wasm).unwrap();
    let o = run(&f, &w, &["--variant", "ni", "--max-memory", "64M"]);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    assert!(
        out.contains("ni-table (table cap of 1048576 elements reached)"),
        "{out}"
    );
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
fn run_scale_invokes_the_scaled_twin_and_records_the_depth() {
    let Some(w) = wasmtime_or_skip("run_scale") else {
        return;
    };
    let f = Fixture::new();
    let deep = |scale: &str, json: &str| {
        let args = [
            "--filter", "ni-seed", "--seed", "42", "--scale", scale, "--json", json,
        ];
        run(&f, &w, &args)
    };
    let o = deep("3", "s3.json");
    assert_code(&o, 0);
    let recs = records(&f.path().join("s3.json"));
    assert_eq!((recs.len(), &recs[0]["scale"]), (1, &serde_json::json!(3)));
    assert_eq!(recs[0]["export"], "test_seed");
    // The twin sees the scale: at 2 it traps.
    assert_code(&deep("2", "s2.json"), 1);
    // Depth 1 is test_seed itself.
    let o = deep("1", "s1.json");
    assert_code(&o, 0);
    assert_eq!(records(&f.path().join("s1.json"))[0]["scale"], 1);
    // A test without a twin cannot run deeper: an input error naming it, before any run.
    let o = run(&f, &w, &["--filter", "ni-pass", "--scale", "2"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("no scaled_<module>") && stderr(&o).contains("ni-pass"),
        "{}",
        stderr(&o)
    );
    assert_code(&run(&f, &w, &["--filter", "ni-seed", "--scale", "0"]), 2);
    // Timings keep their depth, and depths do not mix in one file (refused before running).
    let rec = |scale: &str| {
        let args = [
            "--filter",
            "ni-seed",
            "--seed",
            "42",
            "--scale",
            scale,
            "--record-timings",
            "t.json",
        ];
        run(&f, &w, &args)
    };
    assert_code(&rec("3"), 0);
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("t.json")).unwrap()).unwrap();
    assert_eq!(t["scale"], 3);
    let o = rec("1");
    assert_code(&o, 2);
    assert!(stderr(&o).contains("holds depth 3"), "{}", stderr(&o));
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
    // Passing shards only: ni-seed failed.
    let shards = rec["shards"].as_object().unwrap();
    assert_eq!(
        shards.keys().collect::<Vec<_>>(),
        ["ni-pass", "ni-sleepy"],
        "{rec}"
    );
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
    assert_eq!(rec["shards"].as_object().unwrap().len(), 2);
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
sha256sum <"$out/rts_testsuite.wasm" >"$out/rts_testsuite.cwasm.wasm-sha256"
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
        (vec!["--timeout", "1e20"], "one week"),
        (vec!["--timeout", "NaN"], "positive number of seconds"),
        (vec!["--timeout=-5"], "positive number of seconds"),
        (vec!["--timeout", "inf"], "positive number of seconds"),
        (vec!["--jobs", "0"], "--jobs must be at least 1"),
        (vec!["--json", "nodir/o.json"], "does not exist"),
        (
            vec!["--junit", "a.xml", "--json", "nodir/o.json"],
            "does not exist",
        ),
        (vec!["--record-timings", "nodir/t.json"], "does not exist"),
    ] {
        let o = run(&f, &w, &args);
        assert_code(&o, 2);
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // Nothing was written before the bad output was found.
    assert!(!f.path().join("a.xml").exists());
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

/// The environment nix/shard.nix gives nix/run-shard.sh for one shard of the matrix.
fn nix_shard_env(
    cmd: &mut std::process::Command,
    name: &str,
    variant: &str,
    flags: &[String],
    cwasm: &Path,
) {
    let module = name.split_once('-').unwrap().1;
    cmd.env("shard", name)
        .env("variant", variant)
        .env("module", module)
        .env("export", format!("test_{module}"))
        .env("seed", "1")
        .env("cwasm", cwasm)
        .env("wasmtimeFlags", flags.join(" "))
        .env("system", "x86_64-linux");
}

#[test]
fn run_executes_the_same_command_as_the_nix_shard_for_every_variant() {
    // The variants of the repository, with their real wasmtime flags.
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed_variants_file()).unwrap()).unwrap();
    let variants = committed.as_object().unwrap();
    assert!(variants.len() >= 3, "{committed}");
    let f = Fixture::new();
    std::fs::remove_dir_all(f.built()).unwrap();
    std::fs::copy(
        committed_variants_file(),
        f.path().join("nix/variants.json"),
    )
    .unwrap();
    for (v, spec) in variants {
        let flags: Vec<String> = serde_json::from_value(spec["wasmtime_flags"].clone()).unwrap();
        f.add_variant(v, flags.iter().any(|f| f == "memory64=y"));
        // Nix runs the precompiled module; its bytes do not matter to a dry run.
        std::fs::write(f.wasm(v).with_extension("cwasm"), b"").unwrap();
        f.record_compiled_from(v);
    }
    // Never run: --print-commands is the script's dry run. Any existing file will do.
    let wasmtime = env!("CARGO_BIN_EXE_rts-shards");
    let o = f.run(&[
        "run",
        "--built",
        "built",
        "--wasmtime",
        wasmtime,
        "--print-commands",
    ]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // Every test export of every variant.
    assert_eq!(lines.len(), 6 * variants.len(), "{out}");
    let script = f.path().join("nix/run-shard.sh");
    for line in lines {
        let (name, cli_command) = line.split_once(": ").unwrap();
        let variant = name.split_once('-').unwrap().0;
        let flags: Vec<String> =
            serde_json::from_value(variants[variant]["wasmtime_flags"].clone()).unwrap();
        let cwasm = std::fs::canonicalize(f.wasm(variant).with_extension("cwasm")).unwrap();
        // As nix/shard.nix calls it: with its caps given explicitly, and with them left to
        // the script's defaults.
        for caps in [Some(("4294967296", "900")), None] {
            let mut cmd = std::process::Command::new("bash");
            cmd.arg(&script)
                .env("RTS_SHARD_PRINT_COMMAND", "1")
                .env(
                    "RTS_SHARD_WASMTIME",
                    std::fs::canonicalize(wasmtime).unwrap(),
                )
                .env_remove("maxMemory")
                .env_remove("timeoutSeconds");
            nix_shard_env(&mut cmd, name, variant, &flags, &cwasm);
            if let Some((m, t)) = caps {
                cmd.env("maxMemory", m).env("timeoutSeconds", t);
            }
            let nix = cmd.output().unwrap();
            assert!(nix.status.success(), "{}", stderr(&nix));
            assert_eq!(stdout(&nix).trim_end(), cli_command, "{name}");
        }
        assert!(
            cli_command.contains(" -C cache=n ")
                && cli_command.contains(" -W trap-on-grow-failure=y "),
            "{cli_command}"
        );
        let joined = flags.join(" ");
        assert!(
            cli_command.contains(&format!("run -C cache=n {joined}")),
            "{cli_command}"
        );
    }
}

#[test]
fn run_refuses_a_cwasm_compiled_from_another_module() {
    let Some(w) = wasmtime_or_skip("run_refuses_a_cwasm_compiled_from_another_module") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let o = run(&f, &w, &["--variant", "ni", "--filter", "pass"]);
    assert_code(&o, 0);
    // A new .wasm whose test_pass traps; the .cwasm of the old one is newer still.
    let wasm =
        wat::parse_str(r#"(module (func (export "test_pass") (param i64) unreachable))"#).unwrap();
    std::fs::write(f.wasm("ni"), wasm).unwrap();
    let cwasm = f.wasm("ni").with_extension("cwasm");
    std::fs::File::options()
        .write(true)
        .open(&cwasm)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    let o = run(&f, &w, &["--variant", "ni", "--filter", "pass"]);
    assert_code(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("was compiled from another module") && err.contains("rebuild it"),
        "{err}"
    );
    assert!(!stdout(&o).contains("PASS"), "{}", stdout(&o));
    // Without its record, a .cwasm is refused too; compiled again and recorded, it runs (and
    // the test now fails).
    std::fs::remove_file(cwasm.with_extension("cwasm.wasm-sha256")).unwrap();
    let o = run(&f, &w, &["--variant", "ni", "--filter", "pass"]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("has no record"), "{}", stderr(&o));
    f.precompile(&w);
    let o = run(&f, &w, &["--variant", "ni", "--filter", "pass"]);
    assert_code(&o, 1);
}

/// The pids of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, r)| r.starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out
}

/// Sends `signal` to a run of two looping shards: it stops them (their process groups), prints
/// the summary, removes its temporary folders and exits `code`.
fn stop_a_run_with(signal: i32, name: &str, code: i32) {
    let Some(w) = wasmtime_or_skip(name) else {
        return;
    };
    let f = Fixture::new();
    let tmp = f.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
        .args(["run", "--built", "built", "--wasmtime", w.to_str().unwrap()])
        .args(["--filter", "*-loop", "--filter", "ni-pass", "-j", "2"])
        .current_dir(f.path())
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let built = f.built().to_string_lossy().into_owned();
    // Wait until two looping shards run.
    let start = std::time::Instant::now();
    while processes_mentioning(&built).len().lt(&2) {
        assert!(start.elapsed().as_secs() < 30, "the shards never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: kill has no memory effects; the pid is our child's.
    unsafe { libc::kill(child.id() as i32, signal) };
    let o = child.wait_with_output().unwrap();
    assert_code(&o, code);
    let out = stdout(&o);
    assert!(out.contains("interrupted"), "{out}");
    assert!(out.contains("2 interrupted"), "{out}");
    assert!(out.contains(&format!("not run ({name})")), "{out}");
    assert!(
        stderr(&o).contains("no output file written"),
        "{}",
        stderr(&o)
    );
    // No shard process is left, nor any temporary folder.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(processes_mentioning(&built), Vec::<String>::new());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

#[test]
fn run_ctrl_c_stops_the_shards_prints_the_summary_and_cleans_up() {
    stop_a_run_with(libc::SIGINT, "Ctrl-C", 130);
}

#[test]
fn run_sigterm_stops_the_shards_like_ctrl_c() {
    stop_a_run_with(libc::SIGTERM, "SIGTERM", 143);
}

#[test]
fn run_sighup_stops_the_shards_like_ctrl_c() {
    stop_a_run_with(libc::SIGHUP, "SIGHUP", 129);
}

#[test]
fn run_keeps_its_exit_status_and_records_timings_when_an_output_write_fails() {
    let Some(w) = wasmtime_or_skip("run_output_write_fails") else {
        return;
    };
    let f = Fixture::new();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
        .args(["run", "--built", "built", "--wasmtime", w.to_str().unwrap()])
        .args([
            "--variant",
            "ni",
            "--filter",
            "pass",
            "--filter",
            "loop",
            "-j",
            "2",
        ])
        .args(["--timeout", "2", "--junit", "j.xml", "--json", "r.json"])
        .args(["--record-timings", "t.json", "--log-dir", "logs"])
        .current_dir(f.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the shards run (the outputs were checked), j.xml becomes a non-empty directory: its
    // write will fail.
    let start = std::time::Instant::now();
    while !f.path().join("logs/ni-loop/runner.log").exists() {
        assert!(start.elapsed().as_secs() < 30, "ni-loop never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::create_dir(f.path().join("j.xml")).unwrap();
    std::fs::write(f.path().join("j.xml/x"), b"").unwrap();
    let o = child.wait_with_output().unwrap();
    // ni-loop timed out: 1, not 2, although j.xml could not be written.
    assert_code(&o, 1);
    assert!(stderr(&o).contains("cannot write j.xml"), "{}", stderr(&o));
    assert_eq!(records(&f.path().join("r.json")).len(), 2);
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("t.json")).unwrap()).unwrap();
    assert_eq!(
        t["shards"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["ni-pass"]
    );
}

/// Runs nix/run-shard.sh as the Nix builder does, into `out`; returns its output (the build log).
fn nix_build_like(f: &Fixture, w: &Path, name: &str, out: &Path) -> std::process::Output {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(f.path().join("nix/run-shard.sh"))
        .env("RTS_SHARD_WASMTIME", w)
        .env("out", out)
        .env_remove("maxMemory")
        .env_remove("timeoutSeconds")
        .env_remove("RTS_SHARD_PRINT_COMMAND");
    let cwasm = f.wasm("ni").with_extension("cwasm");
    nix_shard_env(&mut cmd, name, "ni", &[], &cwasm);
    cmd.output().unwrap()
}

#[test]
fn shard_outputs_are_a_function_of_their_inputs() {
    let Some(w) = wasmtime_or_skip("shard_outputs_are_a_function_of_their_inputs") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    // test_sleepy takes a while, so two runs surely differ in every time they measure.
    let (a, b) = (f.path().join("out-a"), f.path().join("out-b"));
    let log_a = nix_build_like(&f, &w, "ni-sleepy", &a);
    let log_b = nix_build_like(&f, &w, "ni-sleepy", &b);
    assert_code(&log_a, 0);
    assert_code(&log_b, 0);
    // What Nix would store: the same bytes, file for file (what `nix build --rebuild` checks).
    let files = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(files(&a), ["log", "result.json"]);
    assert_eq!(files(&a), files(&b));
    for file in ["log", "result.json"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("result.json")).unwrap()).unwrap();
    let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "exit_code",
            "export",
            "module",
            "name",
            "scale",
            "seed",
            "status",
            "variant",
            "wasmtime_version"
        ]
    );
    assert_eq!(result["export"], "test_sleepy");
    // The times are in the build log, one line each run, and they differ.
    let timing = |o: &std::process::Output| -> serde_json::Value {
        let out = stdout(o);
        let lines: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("rts-shard-timing "))
            .collect();
        assert_eq!(lines.len(), 1, "{out}");
        serde_json::from_str(lines[0]).unwrap()
    };
    let (ta, tb) = (timing(&log_a), timing(&log_b));
    assert_eq!(
        (ta["name"].clone(), ta["seed"].clone()),
        ("ni-sleepy".into(), 1.into())
    );
    assert!(ta["wall_seconds"].as_f64().unwrap() > 0.05, "{ta}");
    assert!(
        tb["started_at_unix"].as_f64().unwrap() >= ta["finished_at_unix"].as_f64().unwrap(),
        "{ta} {tb}"
    );
}

/// The names of the entries of a directory, sorted.
fn entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_test_export_naming_a_path_is_refused_and_touches_nothing_outside_the_log_dir() {
    let Some(w) = wasmtime_or_skip("a_test_export_naming_a_path_is_refused") else {
        return;
    };
    let f = Fixture::new();
    // A passing shard whose name climbs out of the log directory, and a failing one (so that
    // the passing shards' directories would be removed).
    let wasm = wat::parse_str(
        r#"(module
            (func (export "test_v/../../../victim") (param i64))
            (func (export "test_trap") (param i64) unreachable))"#,
    )
    .unwrap();
    std::fs::write(f.wasm("ni"), wasm).unwrap();
    let victim = f.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep"), b"mine").unwrap();
    let tmp = f.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::create_dir(f.path().join("a")).unwrap();
    let w = w.to_str().unwrap();
    let base = [
        "run",
        "--built",
        "built",
        "--wasmtime",
        w,
        "--variant",
        "ni",
    ];
    // The default log directory (a temporary one in TMPDIR), then --log-dir a/logs: both
    // resolve the name to <fixture>/victim.
    for log_dir in [None, Some("a/logs")] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"));
        cmd.args(base).current_dir(f.path()).env("TMPDIR", &tmp);
        if let Some(d) = log_dir {
            cmd.args(["--log-dir", d]);
        }
        let o = cmd.output().unwrap();
        assert_code(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains("invalid module name \"v/../../../victim\"")
                && err.contains("test_v/../../../victim"),
            "{err}"
        );
        assert_eq!(entries(&victim), ["keep"]);
        assert_eq!(std::fs::read(victim.join("keep")).unwrap(), b"mine");
        assert_eq!(entries(&tmp), Vec::<String>::new());
        assert_eq!(entries(&f.path().join("a")), Vec::<String>::new());
    }
    // `list` and `matrix` refuse the module too, and write nothing.
    let o = f.run(&["list", "built/ni/rts_testsuite.wasm"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("invalid module name"), "{}", stderr(&o));
    let o = f.run(&["matrix", "--built", "built", "--out", "m.json"]);
    assert_code(&o, 2);
    assert!(!f.path().join("m.json").exists());
    assert_eq!(
        entries(f.path()),
        ["a", "built", "nix", "tmp", "victim"],
        "something was written beside the fixture"
    );
}

#[test]
fn a_full_disk_is_an_infrastructure_failure_never_a_pass() {
    let Some(w) = wasmtime_or_skip("a_full_disk_is_an_infrastructure_failure") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let Some(disk) = FullDisk::new(&f.path().join("disk"), "a_full_disk") else {
        return;
    };
    // As Nix runs the shard: exit 3, no result.json, no PASS.
    let out = disk.dir.join("out");
    let o = nix_build_like(&f, &w, "ni-pass", &out);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("run-shard.sh: infrastructure failure: cannot write"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("PASS"), "{}", stdout(&o));
    assert!(!out.join("result.json").exists());
    assert!(!out.join("result.json.tmp").exists());
    // The test's output would go to a full $TMPDIR: the log would be cut, so no pass either.
    let out = f.path().join("out-tmp-full");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(f.path().join("nix/run-shard.sh"))
        .env("RTS_SHARD_WASMTIME", &w)
        .env("out", &out)
        .env("TMPDIR", &disk.dir)
        .env_remove("maxMemory")
        .env_remove("timeoutSeconds")
        .env_remove("RTS_SHARD_PRINT_COMMAND");
    nix_shard_env(
        &mut cmd,
        "ni-pass",
        "ni",
        &[],
        &f.wasm("ni").with_extension("cwasm"),
    );
    let o = cmd.output().unwrap();
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("cannot write the test's output"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("result.json").exists());
    // As `rts-shards run` runs it, with its log directory on the full disk: exit 3, and the
    // summary says why.
    let w = w.to_str().unwrap();
    let o = f.run(&[
        "run",
        "--built",
        "built",
        "--wasmtime",
        w,
        "--variant",
        "ni",
        "--filter",
        "pass",
        "--log-dir",
        "disk/logs",
    ]);
    assert_code(&o, 3);
    let out = stdout(&o);
    assert!(out.contains("infrastructure failure"), "{out}");
    assert!(!disk.dir.join("logs/ni-pass/result.json").exists());
}

#[test]
fn result_json_escapes_what_it_quotes() {
    let Some(w) = wasmtime_or_skip("result_json_escapes_what_it_quotes") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    // A wasmtime whose version line has quotes, a backslash and a tab: result.json stays JSON.
    let fake = f.path().join("wasmtime");
    std::fs::write(
        &fake,
        format!(
            "{}\n[ \"$1\" = --version ] && {{ printf 'wasmtime \"4\\\\8\"\\t1\\n'; exit 0; }}\nexec {} \"$@\"\n",
            sh_shebang(),
            w.display()
        ),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&fake, perm).unwrap();
    let out = f.path().join("out");
    let o = nix_build_like(&f, &fake, "ni-pass", &out);
    assert_code(&o, 0);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap();
    assert_eq!(r["wasmtime_version"], "wasmtime \"4\\8\"\t1");
    assert_eq!(r["status"], "pass");
}

#[test]
fn the_hydra_aggregate_rejects_an_empty_cut_or_failed_result() {
    let Some(w) = wasmtime_or_skip("the_hydra_aggregate_rejects") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let script = hydra_aggregate_script();
    let aggregate = |constituents: &[&Path]| {
        let names: Vec<String> = constituents
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let out = f.path().join("aggregate");
        let _ = std::fs::remove_dir_all(&out);
        let o = std::process::Command::new("bash")
            .arg(&script)
            .env("constituents", names.join(" "))
            .env("out", &out)
            .output()
            .unwrap();
        (o, out)
    };
    let (pass, trap) = (f.path().join("pass"), f.path().join("trap"));
    assert_code(&nix_build_like(&f, &w, "ni-pass", &pass), 0);
    assert_code(&nix_build_like(&f, &w, "ni-trap", &trap), 1);
    let (o, out) = aggregate(&[&pass]);
    assert_code(&o, 0);
    assert_eq!(
        std::fs::read_to_string(out.join("nix-support/hydra-aggregate-constituents")).unwrap(),
        format!("{}\n", pass.display())
    );
    let text = std::fs::read_to_string(pass.join("result.json")).unwrap();
    let (empty, cut) = (f.path().join("empty"), f.path().join("cut"));
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("result.json"), "").unwrap();
    std::fs::create_dir(&cut).unwrap();
    std::fs::write(cut.join("result.json"), &text[..text.len() / 2]).unwrap();
    for bad in [&trap, &empty, &cut, &f.path().join("missing")] {
        let (o, out) = aggregate(&[&pass, bad]);
        assert_code(&o, 1);
        assert!(
            stderr(&o).contains("is missing, empty, malformed or not a pass"),
            "{}",
            stderr(&o)
        );
        assert!(!out.exists());
    }
}

#[test]
fn seeds_above_i64_max_are_refused_where_they_are_read() {
    let f = Fixture::new();
    let me = env!("CARGO_BIN_EXE_rts-shards");
    let too_big = "9223372036854775808";
    let o = run(&f, Path::new(me), &["--seed", too_big]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("above 9223372036854775807"),
        "{}",
        stderr(&o)
    );
    let o = f.run(&["sweep", "ni-pass", "--seeds", &format!("1,{too_big}")]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("above 9223372036854775807"),
        "{}",
        stderr(&o)
    );
    // In the variants file.
    let mut v: serde_json::Value = serde_json::from_str(VARIANTS_JSON).unwrap();
    v["ni"]["seed"] = serde_json::Value::from(u64::MAX);
    std::fs::write(f.path().join("nix/variants.json"), v.to_string()).unwrap();
    let o = run(&f, Path::new(me), &[]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("above 9223372036854775807"),
        "{}",
        stderr(&o)
    );
    // The script refuses it too (Nix, or a hand-made environment).
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(f.path().join("nix/run-shard.sh"))
        .env("RTS_SHARD_PRINT_COMMAND", "1");
    nix_shard_env(&mut cmd, "ni-pass", "ni", &[], Path::new("/m.cwasm"));
    cmd.env("seed", too_big);
    let o = cmd.output().unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("from 0 to 9223372036854775807"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn concurrent_runs_recording_into_one_timings_file_lose_nothing() {
    let Some(w) = wasmtime_or_skip("concurrent_runs_recording_timings") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    // Two runs at once, each recording its shards (which take a while) into t.json.
    let spawn = |variant: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
            .args(["run", "--built", "built", "--wasmtime", w.to_str().unwrap()])
            .args([
                "--variant",
                variant,
                "--filter",
                "sleepy",
                "--filter",
                "pass",
            ])
            .args(["--record-timings", "t.json", "--log-dir", variant])
            .current_dir(f.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("ni"), spawn("inc"));
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert_code(&o, 0);
        assert!(stderr(&o).contains("recorded 2 timings"), "{}", stderr(&o));
    }
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("t.json")).unwrap()).unwrap();
    assert_eq!(
        t["shards"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["inc-pass", "inc-sleepy", "ni-pass", "ni-sleepy"]
    );
    // No lock or temporary file is left beside it.
    let mut names: Vec<String> = std::fs::read_dir(f.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["built", "inc", "ni", "nix", "t.json"]);
}

#[test]
fn outputs_that_clash_or_cannot_be_named_are_refused_before_the_run() {
    let f = Fixture::new();
    let me = Path::new(env!("CARGO_BIN_EXE_rts-shards"));
    let long = "x".repeat(256);
    let cases: [(&[&str], &str); 4] = [
        (
            &["--json", "o.json", "--junit", "./o.json"],
            "are the same file",
        ),
        (
            &["--json", "o.json", "--record-timings", "o.json"],
            "are the same file",
        ),
        (
            &["--junit", "nix/variants.json"],
            "an input of this command",
        ),
        (&["--json", &long], "the file system takes at most"),
    ];
    for (args, why) in cases {
        let o = run(&f, me, args);
        assert_code(&o, 2);
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
        assert!(!f.path().join("logs").exists(), "{args:?} ran shards");
        assert!(!f.path().join("o.json").exists());
    }
    assert_eq!(
        std::fs::read_to_string(f.path().join("nix/variants.json")).unwrap(),
        VARIANTS_JSON
    );
    // --record-timings may be the --timings file: it merges into it.
    std::fs::write(
        f.path().join("t.json"),
        r#"{"machine": "m", "command": "c", "shards": {}}"#,
    )
    .unwrap();
    let o = run(
        &f,
        me,
        &[
            "--timings",
            "t.json",
            "--record-timings",
            "t.json",
            "--print-commands",
        ],
    );
    assert_code(&o, 0);
}

#[test]
fn the_variant_flags_are_words_never_globs() {
    let f = Fixture::new();
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(f.path().join("nix/run-shard.sh"))
        .current_dir(f.path())
        .env("RTS_SHARD_PRINT_COMMAND", "1")
        .env("RTS_SHARD_WASMTIME", "/w");
    nix_shard_env(
        &mut cmd,
        "ni-pass",
        "ni",
        &["-W".into(), "memory64=y".into(), "*".into()],
        Path::new("/m.cwasm"),
    );
    let o = cmd.output().unwrap();
    assert_code(&o, 0);
    assert!(
        stdout(&o).starts_with("/w run -C cache=n -W memory64=y '*' -W max-memory-size="),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_wasmtime_that_cannot_be_run_is_an_infrastructure_failure() {
    let f = Fixture::new();
    let out = f.path().join("out");
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(f.path().join("nix/run-shard.sh"))
        .env("RTS_SHARD_WASMTIME", "/nonexistent/wasmtime")
        .env("out", &out)
        .env_remove("RTS_SHARD_PRINT_COMMAND");
    nix_shard_env(&mut cmd, "ni-pass", "ni", &[], Path::new("/m.cwasm"));
    let o = cmd.output().unwrap();
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("infrastructure failure: cannot run /nonexistent/wasmtime"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("result.json").exists());
}
