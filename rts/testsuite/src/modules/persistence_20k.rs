//! Persistence of one large heap: 20,000 objects with at most 40,000 references, drawn from the
//! fixed seed 4711 whatever the export's argument (so the shard's run time is predictable),
//! saved to stable memory, loaded into a fresh heap and checked exactly against the model; the
//! loaded heap saves to the same bytes.

use super::persistence_small::{build, params, persist_and_check};
use crate::harness::{Ctx, Rng};
use crate::model;
use alloc::format;

/// The sub-tests, in order.
pub const SUBTESTS: &[&str] = &["graph_20k"];

/// The seed of the graph, whatever the module's seed.
pub const SEED: u64 = 4711;

/// Objects in the graph.
pub const OBJECTS: usize = 20_000;

/// Runs the module.
pub fn run(ctx: &Ctx) {
    ctx.sub("graph_20k", graph_20k);
}

fn graph_20k(ctx: &Ctx) {
    let mut rng = Rng::derive(SEED, &[20_000]);
    let mut p = params(&mut rng, OBJECTS);
    p.max_edges = 2 * OBJECTS;
    p.roots = 16;
    let m = model::random_model(&mut rng, &p);
    let what = format!("20k graph ({p:?})");
    let (heap, roots) = build(ctx, &m, &what);
    let reachable = m.reachable().len();
    crate::check!(
        ctx,
        reachable > OBJECTS / 2,
        "{what}: only {reachable} objects reachable"
    );
    persist_and_check(ctx, &m, rts::gc::Collector::words(&heap), &roots, &what);
}
