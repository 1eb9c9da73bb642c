//! Integration tests of `rts-shards plan`'s simulation of the order Nix starts builds in
//! (derivation names ascending) beside LPT.

mod common;
use common::*;

#[test]
fn plan_simulates_nix_order_beside_lpt() {
    let f = Fixture::new();
    let t = f.path().join("t.json");
    // The longest shard comes last by name, so Nix starts it last.
    let mut shards = serde_json::Map::new();
    for (n, s) in [
        ("ni-a", 2.0),
        ("ni-b", 2.0),
        ("ni-c", 2.0),
        ("ni-z_long", 6.0),
    ] {
        shards.insert(
            n.to_string(),
            serde_json::json!({"wall_seconds": s, "peak_memory_kib": null}),
        );
    }
    let doc = serde_json::json!({"machine": "test", "command": "hand-written", "shards": shards});
    std::fs::write(&t, serde_json::to_string(&doc).unwrap()).unwrap();
    let o = f.run(&[
        "plan",
        "--timings",
        t.to_str().unwrap(),
        "--workers",
        "1,2,4",
    ]);
    assert_code(&o, 0);
    let out = stdout(&o);
    // LPT on 2: 6 | 2+2+2 = 6 s. Nix on 2: a|b, c after a (4), z_long after b (2 + 6 = 8 s).
    assert!(
        out.contains("      2       6.00s        6.00s      100.0%  ni-z_long (6.00s)"),
        "{out}"
    );
    assert!(out.contains("Nix's own order"), "{out}");
    for row in [
        // 12 s of work on 1 worker in any order.
        "      1      12.00s      100.0%       1.00x",
        // 12 / (2 x 8) = 75%; 8 / 6 = 1.33x.
        "      2       8.00s       75.0%       1.33x",
        // 4 workers: everything starts at once: 6 s both ways.
        "      4       6.00s       50.0%       1.00x",
    ] {
        assert!(out.contains(row), "missing {row:?} in\n{out}");
    }
}
