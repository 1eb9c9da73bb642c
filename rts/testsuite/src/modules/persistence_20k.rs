//! Persistence of one large heap: 20,000 objects with at most 40,000 references, drawn from the
//! fixed seed 4711 whatever the export's argument (so the shard's run time is predictable),
//! saved to stable memory, loaded into a fresh heap and checked exactly against the model; the
//! loaded heap saves to the same bytes.
//!
//! Then the graph lives through [`UPGRADE_CYCLES`] upgrades: each cycle puts the graph into a
//! heap of this build's collector (cycling through them), runs collections, checks and mutation
//! on it ([`ROUNDS_PER_CYCLE`] rounds, as the random-heap tests do), and upgrades: the collector's
//! heap (objects moved, garbage left behind) is saved to stable memory, loaded into a fresh heap,
//! checked exactly against the model, and saved again to the same bytes.

use crate::fixtures::{build, params, persist_and_check, run_rounds, Rounds, PLANS};
use crate::harness::{check, tests, Ctx, Rng, SubTest};
use crate::model;
use alloc::format;
use alloc::vec::Vec;
use rts::types::Word;

/// The seed of the graph, whatever the module's seed.
pub const SEED: u64 = 4711;

/// Objects in the graph.
pub const OBJECTS: usize = 20_000;

/// Upgrade cycles after the first save and load.
#[cfg(not(feature = "incremental"))]
pub const UPGRADE_CYCLES: usize = 130;
/// Upgrade cycles after the first save and load.
#[cfg(feature = "incremental")]
pub const UPGRADE_CYCLES: usize = 16;

/// Collection rounds (each followed by mutation) between two upgrades.
pub const ROUNDS_PER_CYCLE: usize = 2;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![graph_20k];

fn graph_20k(ctx: &Ctx) {
    let mut rng = Rng::derive(SEED, &[20_000]);
    let mut p = params(&mut rng, OBJECTS);
    p.max_edges = 2 * OBJECTS;
    p.roots = 16;
    let mut m = model::random_model(&mut rng, &p);
    let what = format!("20k graph ({p:?})");
    let (heap, roots) = build(ctx, &m, &what);
    let reachable = m.reachable().len();
    check!(
        ctx,
        reachable > OBJECTS / 2,
        "{what}: only {reachable} objects reachable"
    );
    persist_and_check(ctx, &m, rts::gc::Collector::words(&heap), &roots, &what);
    drop(heap);
    for cycle in 0..UPGRADE_CYCLES {
        let plan = &PLANS[cycle % PLANS.len()];
        let mut crng = Rng::derive(SEED, &[20_000, 1 + cycle as u64]);
        let mut gc = (plan.make)(&mut crng, m.objects.len());
        let what = format!("20k graph, upgrade cycle {cycle}, collector {}", plan.name);
        // The upgraded program runs on the loaded graph (checked equal to the model above).
        let roots = model::build_heap(&m, gc.as_mut())
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
        let (m2, roots) = run_rounds(
            ctx,
            &what,
            m,
            roots,
            gc.as_mut(),
            &mut crng,
            Rounds::exactly(ROUNDS_PER_CYCLE),
        );
        m = m2;
        // And is upgraded again, from the collector's heap.
        let resolved: Vec<Word> = roots.iter().map(|&r| gc.resolve(r)).collect();
        persist_and_check(ctx, &m, gc.words(), &resolved, &what);
    }
}
