//! Steps 1 and 2 of `bench`: the variants (built by Nix, given, or built from source), then
//! every shard with 1 job (the total work W) and with N jobs, through `run`'s machinery.

use super::ctx::{Args, Ctx};
use super::metrics::{Kind, Metric, PERCENT, PerShard, SECONDS, efficiency};
use super::nix::{self, Nix, build_json_out_paths, progress, store_path_named, timed};
use crate::matrix::{self, DEFAULT_SEED, Shard};
use crate::result::{Record, Status};
use crate::run::{self, RunConfig, RunOutcome};
use crate::runner::Caps;
use crate::tempdir::TempDir;
use crate::variants::{self, Built, Variants};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Instant;

/// The built variants and, when they were built now, how long that took and how.
type VariantBuilds = (Vec<Built>, Option<(f64, String)>);

/// The variants, built by Nix (step 1's build), or from --built/--wasm or build-variant.sh.
fn variant_builds(
    args: &Args,
    root: &Path,
    vs: &Variants,
    nix: Option<&Nix>,
    wasmtime: &Path,
) -> Result<VariantBuilds> {
    let names: Vec<String> = vs.keys().cloned().collect();
    if let Some(nix) = nix {
        let attrs: Vec<String> = names
            .iter()
            .map(|v| format!(".#packages.{}.rts-{v}", nix.system))
            .collect();
        let mut label = "variant builds: nix build (cached if unchanged)";
        if args.cold_variants {
            let outs = nix.eval_map(root, &format!("packages.{}", nix.system), "outPath")?;
            let paths: Vec<String> = names
                .iter()
                .filter_map(|v| outs.get(&format!("rts-{v}")).cloned())
                .collect();
            progress(&format!("deleting {} variant outputs", paths.len()));
            if let Some(w) = nix::extra_note(&nix.delete(&paths)?) {
                eprintln!("warning: {w}");
            }
            label = "variant builds: nix build after deleting them";
        }
        progress(&format!("nix build of the {} variants", names.len()));
        let links = TempDir::new("bench-variants")?;
        let link = links.path().join("rts");
        let link_s = link.to_string_lossy().into_owned();
        let mut a: Vec<&str> = vec!["build", "--json", "--out-link", &link_s];
        a.extend(attrs.iter().map(String::as_str));
        let (wall, out) = timed(&mut nix.cmd(root, &a, true), "nix build of the variants")?;
        let paths = build_json_out_paths(&out)?;
        // The out links are removed with `links`; the paths stay valid for this run unless a
        // garbage collection runs meanwhile (step 3 deletes only shard outputs).
        let built = names
            .iter()
            .map(|v| {
                let p = store_path_named(&paths, &format!("rts-{v}"))
                    .with_context(|| format!("nix build returned no output for rts-{v}"))?;
                variants::built_from_wasm(v, &Path::new(p).join(variants::WASM_FILE))
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((built, Some((wall, label.to_string()))));
    }
    if args.built.is_some() || !args.wasm.is_empty() {
        let built = variants::resolve_built(
            vs,
            &names,
            args.built.as_deref(),
            variants::WASM_FILE,
            &args.wasm,
        )?;
        return Ok((built, None));
    }
    let dir = root.join("target").join("rts-shards");
    let start = Instant::now();
    let built = run::build_from_source(
        &root.join("nix").join("build-variant.sh"),
        root,
        vs,
        &names,
        &dir,
        wasmtime,
    )?;
    Ok((
        built,
        Some((
            start.elapsed().as_secs_f64(),
            "variant builds: nix/build-variant.sh".to_string(),
        )),
    ))
}

/// The variants, for the steps that run shards (1, 2 and 5).
pub(super) fn variants(c: &mut Ctx) -> Result<()> {
    if !(c.step(1) || c.step(2) || c.step(5)) {
        return Ok(());
    }
    let (built, time) = variant_builds(&c.args, &c.root, &c.vs, c.nix.as_ref(), &c.wasmtime)?;
    c.built = built;
    if let Some((secs, label)) = time {
        c.variant_build_seconds = Some(secs);
        c.table.push(Metric::new(
            1,
            "variants.build_seconds",
            &label,
            Some(secs),
            SECONDS,
            None,
        ));
    }
    Ok(())
}

/// The shard selection of `--filter` over the committed matrix.
pub(super) fn matrix_shards(root: &Path, filter: &[String]) -> Result<Vec<Shard>> {
    let path = root.join("nix").join("shards.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let m: matrix::Matrix =
        serde_json::from_str(&text).with_context(|| format!("malformed {}", path.display()))?;
    matrix::filter_shards(m.shards, filter)
}

/// Runs the selected shards with `jobs` workers, as `rts-shards run` does (the caps are the
/// shard runner's defaults, as in Nix).
fn local_run(c: &Ctx, jobs: usize) -> Result<RunOutcome> {
    // The shards' logs go with this directory: the bench reports failures as warnings only.
    let logs = TempDir::new("bench-run")?;
    let config = RunConfig {
        root: c.root.clone(),
        variants: c.vs.clone(),
        built: c.built.clone(),
        filter: c.args.filter.clone(),
        jobs,
        fail_fast: false,
        caps: Caps::default(),
        seed: Some(DEFAULT_SEED),
        scale: crate::matrix::DEFAULT_SCALE,
        timings: None,
        wasmtime: c.wasmtime.clone(),
        log_dir: Some(logs.path().to_path_buf()),
        summary_to_stderr: true,
    };
    let o = run::execute(&config)?;
    if o.interrupted {
        bail!("interrupted");
    }
    Ok(o)
}

fn warn_failures(c: &mut Ctx, what: &str, results: &[Record]) {
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.result.status != Status::Pass)
        .map(|r| r.result.name.as_str())
        .collect();
    if !failed.is_empty() {
        c.warn(format!(
            "{what}: {} shard(s) failed, their times still count: {}",
            failed.len(),
            failed.join(" ")
        ));
    }
}

/// Step 1: every shard, one after another.
pub(super) fn sequential(c: &mut Ctx) -> Result<()> {
    if !c.step(1) {
        return Ok(());
    }
    progress("sequential run (1 job)");
    let o = local_run(c, 1)?;
    let results = o.results();
    warn_failures(c, "sequential run", &results);
    // A local run measures every shard it runs (`runner::Ran::times`).
    let wall = |r: &Record| r.wall_seconds().unwrap_or(0.0);
    let w: f64 = results.iter().map(wall).sum();
    c.work = Some(w);
    c.seq_times = results
        .iter()
        .map(|r| (r.result.name.clone(), wall(r)))
        .collect();
    c.report.shard_seconds = c.seq_times.iter().cloned().collect();
    c.report.shard_seconds_measured = Some(PerShard {
        kind: Kind::Latency,
        concurrency: 1,
    });
    c.table.push(Metric::new(
        1,
        "sequential.work_seconds",
        &format!(
            "total work W (sum of {} shard times) [latencies, 1 at a time]",
            results.len()
        ),
        Some(w),
        SECONDS,
        None,
    ));
    c.table.push(Metric::new(
        1,
        "sequential.wall_seconds",
        "sequential wall, 1 job",
        Some(o.wall_seconds),
        SECONDS,
        None,
    ));
    Ok(())
}

/// Step 2: the same with N jobs.
pub(super) fn parallel(c: &mut Ctx) -> Result<()> {
    if !c.step(2) {
        return Ok(());
    }
    let jobs = c.jobs;
    progress(&format!("local parallel run ({jobs} jobs)"));
    let o = local_run(c, jobs)?;
    warn_failures(c, "parallel run", &o.results());
    c.table.push(Metric::new(
        2,
        "parallel.wall_seconds",
        &format!("local parallel wall, {jobs} jobs"),
        Some(o.wall_seconds),
        SECONDS,
        None,
    ));
    let eff = c.work.and_then(|w| efficiency(w, o.wall_seconds, jobs));
    c.table.push(Metric::new(
        2,
        "parallel.efficiency",
        &format!("local efficiency W/(wall x {jobs})"),
        eff,
        PERCENT,
        None,
    ));
    Ok(())
}
