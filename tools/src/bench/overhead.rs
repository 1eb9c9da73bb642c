//! Step 5 of `bench`: per-shard overhead. (a) `probe_empty` on the precompiled module and
//! (b) on the `.wasm` (compiled on every run), each run as a shard runs (nix/run-shard.sh, its
//! own measured wall); (c) fresh probe shard derivations built by one `nix build`, repeated.
//! (a) and (b) are latencies (one shard alone, 1 at a time: min/median/max of K runs); (c) is
//! a throughput (wall over K, N at a time: min/median/max of --runs builds).

use super::ctx::Ctx;
use super::metrics::{Kind, MILLIS, Metric, Spread, TIMES, Target, ratio};
use super::nix::{Nix, build_json_out_paths, probe_expr, progress, timed, unix_nanos};
use crate::matrix::Shard;
use crate::runner::{Caps, Runner, ShardSpec};
use crate::tempdir::TempDir;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The wall times of K runs of `probe_empty` on `module` through the shard runner, after one
/// untimed run (page cache).
fn probe_runs(c: &Ctx, module: &Path, k: u32) -> Result<Vec<f64>> {
    let runner = Runner::new(&c.root, &c.wasmtime)?;
    let variant = &c.args.probe_variant;
    let shard = Shard {
        name: format!("{variant}-bench"),
        variant: variant.clone(),
        module: "bench".to_string(),
        export: "probe_empty".to_string(),
        seed: 0.into(),
        scale: crate::matrix::DEFAULT_SCALE,
    };
    let spec = ShardSpec {
        shard: &shard,
        module,
        flags: &c.vs[variant].wasmtime_flags,
        caps: Caps::default(),
    };
    let dir = TempDir::new("bench-probe")?;
    let mut times = Vec::new();
    for i in 0..=k {
        let ran = runner.run(&spec, &dir.path().join(i.to_string()))?;
        let r = match (ran.result, ran.error) {
            (Some(r), _) => r,
            (None, e) => bail!(
                "probe_empty on {} did not run: {}",
                module.display(),
                e.unwrap_or_else(|| "interrupted".to_string())
            ),
        };
        if r.exit_code != Some(0) {
            bail!(
                "probe_empty on {} failed: {}",
                module.display(),
                crate::runner::last_lines(&ran.runner_log, 10).join("\n")
            );
        }
        if i > 0 {
            times.push(ran.times.wall_seconds);
        }
    }
    Ok(times)
}

/// Step 5, (a) and (b) locally, (c) with Nix.
pub(super) fn run(c: &mut Ctx) -> Result<()> {
    if !c.step(5) {
        return Ok(());
    }
    let b = c
        .built
        .iter()
        .find(|b| b.variant == c.args.probe_variant)
        .context("probe variant not built")?
        .clone();
    let k = c.args.repeat;
    let ms = |v: Vec<f64>| Spread::of(&v).map(|s| s.scaled(1000.0));
    let mut a_ms = None;
    if let Some(cwasm) = &b.cwasm {
        progress(&format!("{k} runs of probe_empty on the .cwasm"));
        a_ms = ms(probe_runs(c, cwasm, k)?);
    } else {
        c.warn(format!(
            "variant {}: no .cwasm beside {}; 5a not measured",
            b.variant,
            b.wasm.display()
        ));
    }
    c.table.push(
        Metric::repeated(
            5,
            "overhead.precompiled_ms",
            &format!("(a) probe_empty on the .cwasm ({})", b.variant),
            a_ms,
            MILLIS,
            None,
        )
        .per_shard(Kind::Latency, 1),
    );
    progress(&format!(
        "{k} runs of probe_empty on the .wasm (compiled per run)"
    ));
    let b_ms = ms(probe_runs(c, &b.wasm, k)?);
    c.table.push(
        Metric::repeated(
            5,
            "overhead.compiled_ms",
            "(b) probe_empty on the .wasm, -C cache=n",
            b_ms,
            MILLIS,
            None,
        )
        .per_shard(Kind::Latency, 1),
    );
    c.table.push(Metric::new(
        5,
        "overhead.compile_ratio",
        "(b) / (a), medians",
        match (b_ms, a_ms) {
            (Some(x), Some(y)) => ratio(x.median, y.median),
            _ => None,
        },
        TIMES,
        Some(Target::at_least(5.0)),
    ));
    if let Some(nix) = c.nix.take() {
        let r = nix_probes(c, &nix);
        c.nix = Some(nix);
        r?;
    }
    Ok(())
}

/// (c): K fresh probe shard derivations (seeds from the clock, never cached), one `nix build`.
fn nix_probes(c: &mut Ctx, nix: &Nix) -> Result<()> {
    let k = c.args.repeat;
    let base = (unix_nanos() / 1000) as u64;
    let n = c.jobs.to_string();
    let build = |seeds: &[u64]| {
        let expr = probe_expr(nix.real, &c.args.probe_variant, seeds);
        let a = [
            "build",
            "--impure",
            "--no-link",
            "--json",
            "--max-jobs",
            &n,
            "--expr",
            &expr,
        ];
        timed(
            &mut nix.cmd(&c.root, &a, false),
            "nix build of the probe shards",
        )
    };
    // One untimed probe first, so that what the probes depend on (the variant as the
    // stand-in or flake evaluates it) is built and only the shards themselves are timed.
    progress("one untimed probe shard (builds its dependencies if needed)");
    let (_, out) = build(&[base])?;
    let mut garbage = build_json_out_paths(&out).unwrap_or_default();
    progress(&format!(
        "{} times {k} fresh probe_empty shard derivations, one nix build each",
        c.runs
    ));
    let mut per_shard = Vec::new();
    for r in 0..c.runs as u64 {
        let seeds: Vec<u64> = (1..=u64::from(k))
            .map(|i| base + r * u64::from(k) + i)
            .collect();
        let (wall, out) = build(&seeds)?;
        per_shard.push(1000.0 * wall / f64::from(k));
        // The probes are garbage now; leaving them would only clutter the store.
        garbage.extend(build_json_out_paths(&out).unwrap_or_default());
    }
    c.table.push(
        Metric::repeated(
            5,
            "overhead.nix_shard_ms",
            &format!("(c) fresh probe shard derivations, wall/{k}"),
            Spread::of(&per_shard),
            MILLIS,
            Some(Target::at_most(50.0)),
        )
        .per_shard(Kind::Throughput, c.jobs),
    );
    let _ = nix.delete(&garbage);
    Ok(())
}
