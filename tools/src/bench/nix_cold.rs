//! Steps 3 and 4 of `bench`: Nix cold (the outputs of the shards, the variants and the
//! standard libraries deleted, `nix flake check` timed with every build's interval) and the
//! warm no-op flake check after it, repeated.
//!
//! Cold work counts everything the check had to build again, each build for the time Nix had
//! it in a build slot: W_cold / (wall x N) is the share of the N slots' time spent building.

use super::ctx::Ctx;
use super::local::matrix_shards;
use super::metrics::{Metric, PERCENT, SECONDS, Spread, Target, efficiency, ratio};
use super::nix::{BuildSpan, Nix, extra_note, progress, timed};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Whether a build is a shard (`shard-<variant>-<module>`), a variant (`rts-<variant>` for a
/// name of `variants`), a standard library (`rust-sysroot-...`) or something else (a project
/// check, vendored crates).
pub fn build_kind<S: AsRef<str>>(name: &str, variants: &[S]) -> &'static str {
    if name.starts_with("shard-") {
        "shards"
    } else if name.starts_with("rust-sysroot-") {
        "standard libraries"
    } else if name
        .strip_prefix("rts-")
        .is_some_and(|v| variants.iter().any(|x| x.as_ref() == v))
    {
        "variants"
    } else {
        "other builds"
    }
}

/// Seconds in build slots per kind of build.
pub fn work_by_kind<S: AsRef<str>>(
    spans: &[BuildSpan],
    variants: &[S],
) -> BTreeMap<&'static str, f64> {
    let mut m = BTreeMap::new();
    for s in spans {
        *m.entry(build_kind(s.name(), variants)).or_insert(0.0) += s.seconds();
    }
    m
}

/// The outputs of the variants and of the standard libraries they were built with (the
/// `rust-sysroot-*` inputs of their derivations).
fn variant_and_std_outputs(c: &Ctx, nix: &Nix) -> Result<Vec<String>> {
    let attr = format!("packages.{}", nix.system);
    let drvs = nix.eval_map(&c.root, &attr, "drvPath")?;
    let variant_drvs: Vec<&String> =
        c.vs.keys()
            .filter_map(|v| drvs.get(&format!("rts-{v}")))
            .collect();
    let mut q = Command::new("nix-store");
    q.args(["--query", "--references"]).args(&variant_drvs);
    let (_, refs) = timed(&mut q, "nix-store --query --references")?;
    let mut drv_list: Vec<String> = refs
        .lines()
        .filter(|p| p.ends_with(".drv") && p.contains("-rust-sysroot-"))
        .map(str::to_string)
        .collect();
    drv_list.extend(variant_drvs.into_iter().cloned());
    drv_list.sort();
    drv_list.dedup();
    let mut q = Command::new("nix-store");
    q.args(["--query", "--outputs"]).args(&drv_list);
    let (_, outs) = timed(&mut q, "nix-store --query --outputs")?;
    Ok(outs.lines().map(str::to_string).collect())
}

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

/// Deletes the outputs (shard name, or the path itself, as value) no GC root keeps alive
/// (someone's result link); those are left alone and reported. Returns the deleted paths.
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
            "{} output(s) kept alive by GC roots, not deleted (what they feed is not cold): {}",
            kept.len(),
            kept.join("; ")
        ));
    }
    progress(&format!("deleting {} outputs", paths.len()));
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
    c.with_nix(3, cold_with)
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
    let shard_paths = shard_outputs(c, nix)?;
    let mut by_path = shard_paths.clone();
    for p in variant_and_std_outputs(c, nix)? {
        by_path.insert(p.clone(), p);
    }
    let deleted = delete_unrooted(c, nix, &by_path)?;
    let paths: Vec<String> = deleted
        .into_iter()
        .filter(|p| shard_paths.contains_key(p))
        .collect();
    progress(&format!(
        "nix flake check --max-jobs {jobs} (cold: standard libraries, variants, shards)"
    ));
    let (wall, spans) = nix.flake_check_builds(&c.root, jobs)?;
    c.cold_wall = Some(wall);
    let mut w_nix = 0.0;
    for p in &paths {
        w_nix += nix.shard_timing(p)?.wall_seconds;
    }
    // W of the shards that ran cold (all of them unless some were kept).
    let rebuilt: Vec<&String> = paths.iter().map(|p| &shard_paths[p]).collect();
    let work_cold = c.step(1).then(|| {
        c.seq_times
            .iter()
            .filter(|(n, _)| rebuilt.contains(&n))
            .map(|(_, s)| s)
            .sum::<f64>()
    });
    let rebuilt_note = if paths.len() == shard_paths.len() {
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
        by_kind: work_by_kind(&spans, &c.vs.keys().collect::<Vec<_>>()),
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
    /// Seconds in build slots per kind of build, as Nix reported the builds.
    by_kind: BTreeMap<&'static str, f64>,
}

/// The figures of step 3.
fn cold_metrics(c: &Ctx, cold: &Cold) -> Vec<Metric> {
    let (jobs, wall) = (c.jobs, cold.wall);
    let variants_label = if c.args.cold_variants {
        "variant builds, cold (step 1's nix build)"
    } else {
        "variant builds (step 1's nix build; --cold-variants)"
    };
    let w_cold: f64 = cold.by_kind.values().sum();
    let mut v = vec![
        Metric::new(
            3,
            "nix_cold.work_all_seconds",
            "W_cold: every build's time in a slot (std, variants, shards, other)",
            Some(w_cold),
            SECONDS,
            None,
        ),
        Metric::new(
            3,
            "nix_cold.efficiency_all",
            &format!("Nix cold efficiency W_cold/(wall x {jobs})"),
            efficiency(w_cold, wall, jobs),
            PERCENT,
            Some(Target::at_least(90.0)),
        ),
    ];
    for (kind, secs) in &cold.by_kind {
        v.push(Metric::new(
            3,
            &format!("nix_cold.work_{}_seconds", kind.replace(' ', "_")),
            &format!("  of which {kind}"),
            Some(*secs),
            SECONDS,
            None,
        ));
    }
    v.extend([
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
            &format!("W_nix (sum of the shards' own times) [latencies, {jobs} at a time]"),
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
    ]);
    v
}

/// Step 4: the same flake check again; its wall as a fraction of the cold wall.
pub(super) fn warm(c: &mut Ctx) -> Result<()> {
    let Some(nix) = c.nix.as_ref().filter(|_| c.step(4)) else {
        return Ok(());
    };
    progress(&format!(
        "nix flake check again, {} times (warm no-op)",
        c.runs
    ));
    let mut walls = Vec::new();
    for _ in 0..c.runs {
        walls.push(nix.flake_check(c.jobs)?);
    }
    let spread = Spread::of(&walls);
    c.table.push(Metric::repeated(
        4,
        "nix_warm.wall_seconds",
        "Nix warm no-op wall",
        spread,
        SECONDS,
        None,
    ));
    let fraction = |w: f64| {
        c.cold_wall
            .and_then(|cold| ratio(w, cold))
            .map(|r| r * 100.0)
    };
    let fractions: Option<Vec<f64>> = walls.iter().map(|w| fraction(*w)).collect();
    c.table.push(Metric::repeated(
        4,
        "nix_warm.fraction_of_cold",
        "no-op wall / cold wall",
        fractions.and_then(|f| Spread::of(&f)),
        PERCENT,
        Some(Target::at_most(5.0)),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cold_work_by_kind_of_build() {
        let span = |drv: &str, start: f64, stop: f64| BuildSpan {
            drv: drv.to_string(),
            start,
            stop,
        };
        let spans = [
            span(
                "/nix/store/a-rust-sysroot-1.90.0-wasm32-unknown-unknown.drv",
                0.0,
                30.0,
            ),
            span("/nix/store/b-rts-inc.drv", 30.0, 50.0),
            span("/nix/store/c-rts-ni.drv", 30.0, 52.0),
            span("/nix/store/d-shard-inc-crc32.drv", 50.0, 51.5),
            span("/nix/store/e-shard-ni-crc32.drv", 52.0, 53.0),
            span("/nix/store/f-cwasm-portable.drv", 52.0, 53.0),
        ];
        let variants = ["inc", "ni", "64"];
        let w = work_by_kind(&spans, &variants);
        assert_eq!(w["standard libraries"], 30.0);
        assert_eq!(w["variants"], 42.0);
        assert_eq!(w["shards"], 2.5);
        assert_eq!(w["other builds"], 1.0);
        assert_eq!(build_kind("rts-shards", &variants), "other builds");
        assert_eq!(build_kind("rts-vendor", &variants), "other builds");
        assert_eq!(build_kind("rts-64", &variants), "variants");
    }
}
