//! Integration tests of `rts-shards bench` without Nix (`--skip-nix`) under the real wasmtime.

mod common;
use common::*;

#[test]
fn bench_skip_nix_measures_local_steps_and_writes_json() {
    let Some(w) = wasmtime_or_skip("bench_skip_nix") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let o = f.run(&[
        "bench",
        "--skip-nix",
        "--built",
        "built",
        "--wasmtime",
        w.to_str().unwrap(),
        "--filter",
        "pass",
        "--filter",
        "trap",
        "--repeat",
        "2",
        "-j",
        "2",
        "--json",
        "bench.json",
    ]);
    // A failing shard is a warning: the bench measures, it does not test.
    assert_code(&o, 0);
    let out = stdout(&o);
    for want in [
        "rts-shards bench\n",
        "command:  rts-shards bench --skip-nix",
        "nix:      not used (--skip-nix)",
        "total work W (sum of 6 shard times)",
        "local efficiency W/(wall x 2)",
        "(a) probe_empty on the .cwasm (inc) (median of 2) [latency, 1 at a time]",
        "(b) / (a)",
        "longest shard's share of W",
        "makespan / lower bound, 8 builders",
        "warning: sequential run: 3 shard(s) failed",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // No Nix step ran.
    assert!(!out.contains("Nix cold"), "{out}");
    assert!(!out.contains("rerun set"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path().join("bench.json")).unwrap())
            .unwrap();
    assert_eq!(v["steps"], serde_json::json!([1, 2, 5, 7]));
    assert_eq!(v["nix_version"], serde_json::Value::Null);
    assert_eq!(v["shard_seconds"].as_object().unwrap().len(), 6);
    let metrics = v["metrics"].as_array().unwrap();
    let get = |k: &str| {
        metrics
            .iter()
            .find(|m| m["key"] == k)
            .unwrap_or_else(|| panic!("no metric {k}"))
            .clone()
    };
    assert!(get("sequential.work_seconds")["value"].as_f64().unwrap() > 0.0);
    assert!(get("overhead.precompiled_ms")["value"].as_f64().unwrap() > 0.0);
    assert_eq!(get("overhead.compile_ratio")["target"]["cmp"], ">=");
    assert_eq!(get("critical.ratio_8")["target"]["value"], 1.1);
    assert_eq!(
        v["targets_met"].as_u64().unwrap() + v["targets_missed"].as_u64().unwrap(),
        metrics.iter().filter(|m| !m["verdict"].is_null()).count() as u64
    );
}

#[test]
fn bench_usage_errors_exit_2() {
    let f = Fixture::new();
    // --built needs --skip-nix; steps are 1-7; an unknown probe variant.
    for args in [
        &["bench", "--built", "built"][..],
        &["bench", "--skip-nix", "--steps", "8"],
        &[
            "bench",
            "--skip-nix",
            "--built",
            "built",
            "--probe-variant",
            "x",
        ],
        &["bench", "--skip-nix", "--built", "built", "-j", "0"],
    ] {
        let o = f.run(args);
        assert_code(&o, 2);
    }
    let o = f.run(&["bench", "--help"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("Exit status: 0 when everything was measured"));
}
