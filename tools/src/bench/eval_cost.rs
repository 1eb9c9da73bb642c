//! Step 9 of `bench`: the cost of evaluation as the suite grows. Evaluation is single-threaded
//! and happens before any build, so its time per shard bounds how large the matrix can get.
//!
//! Timed, each --runs times with the evaluation cache off, every derivation path forced
//! (`nix eval --json`): the flake's `checks.<system>` (`--apply` mapping each to its drvPath;
//! the shards and the project's own checks), and `lib.shard` over the committed matrix with 1,
//! 10 and 100 seeds per shard (`--impure --expr`; seed k of a shard is its matrix seed + k, so
//! k = 0 is the check itself). Figures: seconds per derivation, a throughput at concurrency 1.

use super::ctx::Ctx;
use super::doc::EvalCost;
use super::metrics::{Kind, MILLIS, Metric, SECONDS, Spread};
use super::nix::{Nix, progress, shard_lib_expr, string_map, timed};
use anyhow::Result;

/// Seeds per shard of the synthetic matrices.
pub const SCALES: [u32; 3] = [1, 10, 100];

/// The expression mapping `<shard>-<k>` to the drvPath of seed k of every matrix shard, for
/// k in 0..per_shard.
pub fn scaled_matrix_expr(real_nixpkgs: bool, per_shard: u32) -> String {
    format!(
        "let shard = {}; m = builtins.fromJSON (builtins.readFile ./nix/shards.json); in \
         builtins.listToAttrs (builtins.concatMap (s: map (k: {{ name = \"${{s.name}}-${{toString k}}\"; \
         value = (shard {{ inherit (s) variant module export; seed = s.seed + k; }}).drvPath; }}) \
         (builtins.genList (k: k) {per_shard})) m.shards)",
        shard_lib_expr(real_nixpkgs)
    )
}

/// Times `args` (a `nix eval --json` command line) `runs` times; the spread of the wall times
/// and the number of attributes evaluated.
fn time_eval(nix: &Nix, c: &Ctx, args: &[&str], flake: bool) -> Result<(Spread, usize)> {
    let mut walls = Vec::new();
    let mut count = 0;
    for _ in 0..c.runs {
        let (wall, out) = timed(&mut nix.cmd(&c.root, args, flake), "nix eval")?;
        count = string_map(&out)?.len();
        walls.push(wall);
    }
    let spread = Spread::of(&walls).ok_or_else(|| anyhow::anyhow!("no evaluation timed"))?;
    Ok((spread, count))
}

/// The figures of one matrix.
fn cost_metrics(cost: &EvalCost, key: &str) -> Vec<Metric> {
    vec![
        Metric::repeated(
            9,
            &format!("eval.{key}.seconds"),
            &format!("evaluate {} ({} derivations)", cost.matrix, cost.shards),
            cost.seconds,
            SECONDS,
            None,
        ),
        Metric::repeated(
            9,
            &format!("eval.{key}.per_shard_ms"),
            &format!("  per derivation, {}", cost.matrix),
            cost.per_shard_ms,
            MILLIS,
            None,
        )
        .per_shard(Kind::Throughput, 1),
    ]
}

fn cost(matrix: String, seconds: Spread, count: usize) -> EvalCost {
    EvalCost {
        matrix,
        shards: count,
        seconds: Some(seconds),
        per_shard_ms: (count > 0).then(|| seconds.scaled(1000.0 / count as f64)),
    }
}

/// Step 9.
pub(super) fn run(c: &mut Ctx) -> Result<()> {
    c.with_nix(9, run_with)
}

fn run_with(c: &mut Ctx, nix: &Nix) -> Result<()> {
    let no_cache = ["--option", "eval-cache", "false"];
    let installable = format!(".#checks.{}", nix.system);
    progress(&format!("evaluating {installable}, {} times", c.runs));
    let mut args = vec![
        "eval",
        "--json",
        &installable,
        "--apply",
        "builtins.mapAttrs (_: d: d.drvPath)",
    ];
    args.extend(no_cache);
    let (s, n) = time_eval(nix, c, &args, true)?;
    let checks = cost(format!("the flake's checks.{}", nix.system), s, n);
    for m in cost_metrics(&checks, "checks") {
        c.table.push(m);
    }
    c.report.eval_cost.push(checks);
    for k in SCALES {
        let expr = scaled_matrix_expr(nix.real, k);
        progress(&format!(
            "evaluating lib.shard with {k} seed(s) per shard, {} times",
            c.runs
        ));
        let mut args = vec!["eval", "--json", "--impure", "--expr", &expr];
        args.extend(no_cache);
        let (s, n) = time_eval(nix, c, &args, false)?;
        let e = cost(format!("lib.shard, {k} seed(s) per shard"), s, n);
        for m in cost_metrics(&e, &format!("x{k}")) {
            c.table.push(m);
        }
        c.report.eval_cost.push(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_expression_and_per_shard_cost() {
        let e = scaled_matrix_expr(false, 10);
        assert!(
            e.starts_with("let shard = (import ./nix/standin.nix).lib.shard;"),
            "{e}"
        );
        assert!(e.contains("(builtins.genList (k: k) 10)"), "{e}");
        assert!(e.contains("seed = s.seed + k;"), "{e}");
        assert!(e.contains("name = \"${s.name}-${toString k}\";"), "{e}");
        assert!(scaled_matrix_expr(true, 1).contains("builtins.getFlake"));
        let s = Spread::of(&[1.0, 2.0, 3.0]).unwrap();
        let e = cost("m".into(), s, 500);
        let p = e.per_shard_ms.unwrap();
        assert_eq!((p.min, p.median, p.max), (2.0, 4.0, 6.0));
        let m = cost_metrics(&e, "x1");
        assert_eq!(m[0].value, Some(2.0));
        assert_eq!(m[1].value, Some(4.0));
        assert!(
            m[1].label.ends_with("[throughput, 1 at a time]"),
            "{}",
            m[1].label
        );
        assert_eq!(cost("m".into(), s, 0).per_shard_ms, None);
    }
}
