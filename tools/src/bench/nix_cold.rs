//! Steps 3 and 4 of `bench`: Nix cold (the shard outputs deleted, `nix flake check` timed) and
//! the warm no-op flake check after it.

use super::ctx::Ctx;
use super::local::matrix_shards;
use super::metrics::{Metric, PERCENT, SECONDS, Target, efficiency, ratio};
use super::nix::{Nix, extra_note, progress};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::Path;

/// The shards' outputs by path (shard name as value), for the shards `--filter` selects.
fn shard_outputs(c: &mut Ctx, nix: &Nix) -> Result<BTreeMap<String, String>> {
    let shards = matrix_shards(&c.root, &c.args.filter)?;
    if shards.is_empty() {
        bail!("no shard of nix/shards.json matches --filter");
    }
    if c.step(1) && shards.len() != c.seq_times.len() {
        c.warn(format!(
            "nix/shards.json has {} shards where the built variants export {} (stale \
             matrix?); W and W_nix cover different shards",
            shards.len(),
            c.seq_times.len()
        ));
    }
    let outs = nix.eval_map(&c.root, &format!("checks.{}", nix.system), "outPath")?;
    let mut by_path: BTreeMap<String, String> = BTreeMap::new();
    for s in &shards {
        match outs.get(&s.name) {
            Some(p) => by_path.insert(p.clone(), s.name.clone()),
            None => bail!(
                "nix/shards.json names {} but the flake has no such check",
                s.name
            ),
        };
    }
    Ok(by_path)
}

/// Deletes the shard outputs no GC root keeps alive (someone's result link); those are left
/// alone, reported, and left out of W and W_nix. Returns the deleted paths.
fn delete_unrooted(
    c: &mut Ctx,
    nix: &Nix,
    by_path: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    let mut kept = Vec::new();
    for (p, name) in by_path {
        match nix.roots(p)? {
            r if r.is_empty() => paths.push(p.clone()),
            r => kept.push(format!("{name} (root {})", r.join(", "))),
        }
    }
    if !kept.is_empty() {
        c.warn(format!(
            "{} shard output(s) kept alive by GC roots, not deleted and left out of the cold \
             figures: {}",
            kept.len(),
            kept.join("; ")
        ));
    }
    progress(&format!("deleting {} shard outputs", paths.len()));
    if let Some(w) = extra_note(&nix.delete(&paths)?) {
        c.warn(w);
    }
    if let Some(p) = paths.iter().find(|p| Path::new(p).exists()) {
        bail!("{p} still exists after nix store delete");
    }
    Ok(paths)
}

/// Step 3: warm-up, deletion of the shard outputs, the timed cold flake check.
pub(super) fn cold(c: &mut Ctx) -> Result<()> {
    let Some(nix) = c.nix.take().filter(|_| c.step(3)) else {
        return Ok(());
    };
    let r = cold_with(c, &nix);
    c.nix = Some(nix);
    r
}

fn cold_with(c: &mut Ctx, nix: &Nix) -> Result<()> {
    let jobs = c.jobs;
    progress(&format!(
        "warm-up nix flake check --max-jobs {jobs} (builds every check not yet built)"
    ));
    let warm_up = nix.flake_check(jobs)?;
    c.table.push(Metric::new(
        3,
        "nix_cold.warm_up_seconds",
        "warm-up flake check (not counted)",
        Some(warm_up),
        SECONDS,
        None,
    ));
    let by_path = shard_outputs(c, nix)?;
    let paths = delete_unrooted(c, nix, &by_path)?;
    progress(&format!("nix flake check --max-jobs {jobs} (cold shards)"));
    let wall = nix.flake_check(jobs)?;
    c.cold_wall = Some(wall);
    let mut w_nix = 0.0;
    for p in &paths {
        w_nix += crate::report::times_of(Path::new(p))?.wall_seconds;
    }
    // W of the shards that ran cold (all of them unless some were kept).
    let rebuilt: Vec<&String> = paths.iter().map(|p| &by_path[p]).collect();
    let work_cold = c.step(1).then(|| {
        c.seq_times
            .iter()
            .filter(|(n, _)| rebuilt.contains(&n))
            .map(|(_, s)| s)
            .sum::<f64>()
    });
    let rebuilt_note = if paths.len() == by_path.len() {
        String::new()
    } else {
        format!(" ({} rebuilt)", paths.len())
    };
    let cold = Cold {
        wall,
        shards: paths.len(),
        work: work_cold,
        work_nix: w_nix,
        rebuilt_note,
    };
    for m in cold_metrics(c, &cold) {
        c.table.push(m);
    }
    Ok(())
}

/// What the cold flake check measured.
struct Cold {
    wall: f64,
    /// Shards rebuilt.
    shards: usize,
    /// W of the rebuilt shards (from step 1), and W_nix (their own times, from their build logs).
    work: Option<f64>,
    work_nix: f64,
    rebuilt_note: String,
}

/// The figures of step 3.
fn cold_metrics(c: &Ctx, cold: &Cold) -> Vec<Metric> {
    let (jobs, wall) = (c.jobs, cold.wall);
    let variants_label = if c.args.cold_variants {
        "variant builds, cold (step 1's nix build)"
    } else {
        "variant builds (step 1's nix build; --cold-variants)"
    };
    vec![
        Metric::new(
            3,
            "nix_cold.wall_seconds",
            &format!("Nix cold wall, {} shards, --max-jobs {jobs}", cold.shards),
            Some(wall),
            SECONDS,
            None,
        ),
        Metric::new(
            3,
            "nix_cold.efficiency_w",
            &format!("Nix cold efficiency W/(wall x {jobs}){}", cold.rebuilt_note),
            cold.work.and_then(|w| efficiency(w, wall, jobs)),
            PERCENT,
            None,
        ),
        Metric::new(
            3,
            "nix_cold.work_nix_seconds",
            "W_nix (sum of the shards' own times, from their build logs)",
            Some(cold.work_nix),
            SECONDS,
            None,
        ),
        Metric::new(
            3,
            "nix_cold.efficiency_w_nix",
            &format!("Nix cold efficiency W_nix/(wall x {jobs})"),
            efficiency(cold.work_nix, wall, jobs),
            PERCENT,
            None,
        ),
        Metric::new(
            3,
            "nix_cold.variant_build_seconds",
            variants_label,
            c.variant_build_seconds,
            SECONDS,
            None,
        ),
    ]
}

/// Step 4: the same flake check again; its wall as a fraction of the cold wall.
pub(super) fn warm(c: &mut Ctx) -> Result<()> {
    let Some(nix) = c.nix.as_ref().filter(|_| c.step(4)) else {
        return Ok(());
    };
    progress("nix flake check again (warm no-op)");
    let wall = nix.flake_check(c.jobs)?;
    c.table.push(Metric::new(
        4,
        "nix_warm.wall_seconds",
        "Nix warm no-op wall",
        Some(wall),
        SECONDS,
        None,
    ));
    c.table.push(Metric::new(
        4,
        "nix_warm.fraction_of_cold",
        "no-op wall / cold wall",
        c.cold_wall.and_then(|w| ratio(wall, w)).map(|r| r * 100.0),
        PERCENT,
        Some(Target::at_most(5.0)),
    ));
    Ok(())
}
