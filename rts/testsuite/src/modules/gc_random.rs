//! Collectors on random heaps: `test_gc_chunk_<c>` runs heaps `0..HEAPS_PER_CHUNK` of chunk `c`,
//! heap `k` drawn from the seed and `(c, k)`. Each collector under test (copying, mark-compact
//! and generational without the `incremental` feature, incremental with it) gets the heap and
//! runs rounds (at least [`MIN_ROUNDS`], then more until its checks have done [`ROUND_WORK`], so
//! that every heap does about the same work whatever its size and reachable part), the mutator
//! dropping roots, adding objects and rewiring fields between rounds (and, for the incremental
//! collector, between increments). The model checker runs after building and after every
//! collection and every increment.
//!
//! Each heap runs through `fixtures::script::run_plan`, the path by which recorded and shrunk
//! heap scripts replay, so the shrinker (`crate::shrink`) cuts down exactly what a sub-test runs;
//! the collector's tuning is drawn from a seed taken from the heap's mutation stream.
//!
//! [`CHUNKS`] holds one sub-test table per chunk: sub-test `"<collector> heap <k>"` for every
//! heap `k` and every collector of the build (heap-major), the only place those names are written.

use crate::fixtures::script::{run_plan, Entry};
use crate::fixtures::{RandomSchedule, Rounds, PLANS};
use crate::harness::{check_eq, Ctx, Rng, SubTest};
use crate::model::{self, HeapParams};
use alloc::format;

/// Heaps per chunk.
pub const HEAPS_PER_CHUNK: u64 = 10;
/// Chunks (one export each).
pub const CHUNK_COUNT: usize = 10;
/// Fewest collection rounds per heap and collector.
pub const MIN_ROUNDS: usize = 4;
/// The work of the model checks of one heap and collector (see [`Rounds::work`]): after
/// [`MIN_ROUNDS`], rounds go on until the checks after every collection, increment and mutation
/// have done this much, so chunks do similar work whatever heaps they draw.
///
/// 60,000 units: a heap with some 4,000 of its objects live (about 9,000 units a round) runs 7
/// rounds or more, and one whose live part mutation has cut to a few dozen objects (most heaps,
/// after a few rounds of dropped roots) runs about 100 to 500 rounds, its live part rebuilt,
/// rewired and collected again many times over; a full collection is requested with 35% a
/// round, so even a 7-round heap sees one in 95 cases in 100. The largest heaps (20,000
/// objects, half live) do some 80,000 units in their [`MIN_ROUNDS`], not much over the budget,
/// so the chunks' work stays balanced.
#[cfg(not(feature = "incremental"))]
pub const ROUND_WORK: usize = 60_000;
/// The work of the model checks of one heap and collector (see the stop-the-world value).
///
/// The incremental collector's rounds check every increment, so a heap with thousands of live
/// objects can do 150,000 to 950,000 units in its [`MIN_ROUNDS`] alone; a budget of 250,000
/// keeps the chunks within about -5%/+25% of their mean work (a smaller one would leave a chunk
/// that draws such a heap twice as long as the others), and gives the other heaps 300 rounds
/// and more once their live part is small.
#[cfg(feature = "incremental")]
pub const ROUND_WORK: usize = 250_000;

/// The sub-test table of chunk `$c`: heaps 0 to 9, each under every collector of the build, in
/// the order of [`PLANS`].
#[cfg(not(feature = "incremental"))]
macro_rules! chunk {
    ($c:literal) => {
        chunk!(@ $c; 0 1 2 3 4 5 6 7 8 9)
    };
    (@ $c:literal; $($k:literal)*) => {
        &[$(
            (concat!("copying heap ", $k), heap::<$c, 0, $k>),
            (concat!("mark-compact heap ", $k), heap::<$c, 1, $k>),
            (concat!("generational heap ", $k), heap::<$c, 2, $k>),
        )*]
    };
}

/// The sub-test table of chunk `$c`: heaps 0 to 9 under the incremental collector.
#[cfg(feature = "incremental")]
macro_rules! chunk {
    ($c:literal) => {
        chunk!(@ $c; 0 1 2 3 4 5 6 7 8 9)
    };
    (@ $c:literal; $($k:literal)*) => {
        &[$((concat!("incremental heap ", $k), heap::<$c, 0, $k>),)*]
    };
}

/// The sub-tests of each chunk, in order.
pub const CHUNKS: [&[SubTest]; CHUNK_COUNT] = [
    chunk!(0),
    chunk!(1),
    chunk!(2),
    chunk!(3),
    chunk!(4),
    chunk!(5),
    chunk!(6),
    chunk!(7),
    chunk!(8),
    chunk!(9),
];

/// Draws the shape of heap `(c, k)`: usually a few thousand objects, sometimes 10,000 to 20,000,
/// sometimes small; edges bounded separately.
pub fn heap_params(rng: &mut Rng) -> HeapParams {
    let objects = if rng.chance(8) {
        10_000 + rng.index(10_001)
    } else if rng.chance(15) {
        1 + rng.index(800)
    } else {
        2_000 + rng.index(6_001)
    };
    HeapParams::random(rng, objects, 16)
}

/// Heap `K` of chunk `C` under collector `PLANS[P]`.
fn heap<const C: u64, const P: usize, const K: u64>(ctx: &Ctx) {
    let plan = &PLANS[P];
    debug_assert!(K < HEAPS_PER_CHUNK && (C as usize) < CHUNK_COUNT);
    check_eq!(
        ctx,
        ctx.sub_name(),
        format!("{} heap {K}", plan.name),
        "sub-test of heap {K} under collector {P}"
    );
    let mut rng = ctx.rng(&[C, K]);
    let params = heap_params(&mut rng);
    let mut mrng = ctx.rng(&[C, K, 1 + P as u64]);
    let tuning = mrng.u64();
    let what = format!("chunk {C} heap {K} ({params:?}), collector {}", plan.name);
    let m = model::random_model(&mut rng, &params);
    let rounds = Rounds {
        min: MIN_ROUNDS,
        work: ctx.scaled(ROUND_WORK),
    };
    let mut schedule = RandomSchedule {
        rng: &mut mrng,
        rounds,
        pinned: 0,
    };
    run_plan(ctx, &what, plan, tuning, m, Entry::Build, &mut schedule);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    /// Every chunk runs heap `k` under collector `p` as sub-test `"<name of PLANS[p]> heap <k>"`,
    /// heap-major, each heap once per collector.
    #[test]
    fn chunk_tables_name_their_heaps() {
        for (c, table) in CHUNKS.iter().enumerate() {
            assert_eq!(
                table.len(),
                HEAPS_PER_CHUNK as usize * PLANS.len(),
                "chunk {c}"
            );
            for (i, &(name, _)) in table.iter().enumerate() {
                let (k, p) = (i / PLANS.len(), i % PLANS.len());
                let want: String = format!("{} heap {k}", PLANS[p].name);
                assert_eq!(name, want, "chunk {c}, entry {i}");
            }
        }
    }
}
