//! Collectors on random heaps: `test_gc_chunk_<c>` runs heaps `0..HEAPS_PER_CHUNK` of chunk `c`,
//! heap `k` drawn from the seed and `(c, k)`. Each collector under test (copying, mark-compact
//! and generational without the `incremental` feature, incremental with it) gets the heap and
//! runs several rounds, the mutator dropping roots, adding objects and rewiring fields between
//! rounds (and, for the incremental collector, between increments). The model checker runs after
//! building and after every collection and every increment.

use crate::harness::{Ctx, Rng};
use crate::model::{self, HeapParams, Model};
use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use rts::gc::{Collector, Progress};
use rts::types::Word;

/// Heaps per chunk.
pub const HEAPS_PER_CHUNK: u64 = 10;
/// Collection rounds per heap and collector.
pub const ROUNDS: usize = 4;

/// The ten sub-test names `"<collector> heap <k>"`.
macro_rules! heap_subs {
    ($p:literal) => {
        [
            concat!($p, " heap 0"),
            concat!($p, " heap 1"),
            concat!($p, " heap 2"),
            concat!($p, " heap 3"),
            concat!($p, " heap 4"),
            concat!($p, " heap 5"),
            concat!($p, " heap 6"),
            concat!($p, " heap 7"),
            concat!($p, " heap 8"),
            concat!($p, " heap 9"),
        ]
    };
}

/// A collector under test: its name and a constructor taking the heap's random stream.
pub struct Plan {
    /// Name in failure messages.
    pub name: &'static str,
    /// Sub-test name of heap `k` of a chunk.
    pub subs: [&'static str; HEAPS_PER_CHUNK as usize],
    /// Builds an empty collector (parameters such as the partition size drawn from `rng`).
    pub make: fn(&mut Rng) -> Box<dyn Collector>,
}

/// The collectors this build tests (selected by the `incremental` feature).
pub fn plans() -> Vec<Plan> {
    #[cfg(not(feature = "incremental"))]
    {
        use rts::gc::{copying::Copying, generational::Generational, markcompact::MarkCompact};
        use rts::memory::HeapSizing;
        alloc::vec![
            Plan {
                name: "copying",
                subs: heap_subs!("copying"),
                make: |_| Box::new(Copying::new(HeapSizing::default()))
            },
            Plan {
                name: "mark-compact",
                subs: heap_subs!("mark-compact"),
                make: |_| Box::new(MarkCompact::new(HeapSizing::default()))
            },
            Plan {
                name: "generational",
                subs: heap_subs!("generational"),
                make: |rng| {
                    let min_words = 64 << rng.index(8);
                    Box::new(Generational::new(HeapSizing {
                        min_words,
                        ..HeapSizing::default()
                    }))
                },
            },
        ]
    }
    #[cfg(feature = "incremental")]
    {
        use rts::gc::incremental::{Incremental, IncrementalParams};
        alloc::vec![Plan {
            name: "incremental",
            subs: heap_subs!("incremental"),
            make: |rng| {
                let partition_words = 16 << rng.index(6);
                Box::new(Incremental::new(IncrementalParams {
                    partition_words,
                    increment_words: 32 << rng.index(6),
                    evacuate_below_percent: 20 + rng.index(70),
                    ..IncrementalParams::default()
                }))
            },
        }]
    }
}

/// Draws the shape of heap `(c, k)`: up to a few thousand objects, edges bounded separately.
pub fn heap_params(rng: &mut Rng) -> HeapParams {
    let max = if rng.chance(20) { 2_500 } else { 800 };
    let objects = 1 + rng.index(max);
    HeapParams {
        objects,
        max_edges: objects * (1 + rng.index(3)),
        roots: rng.index(16),
        max_fields: 1 + rng.index(8),
        cont_slots: rng.index(6),
        near_percent: rng.below(60),
    }
}

/// Runs chunk `c`: the one code path of the ten chunk exports.
pub fn run_chunk(ctx: &Ctx, c: u64) {
    for k in 0..HEAPS_PER_CHUNK {
        for (pi, plan) in plans().iter().enumerate() {
            let mut rng = ctx.rng(&[c, k]);
            let params = heap_params(&mut rng);
            let mut mrng = ctx.rng(&[c, k, 1 + pi as u64]);
            let mut gc = (plan.make)(&mut mrng);
            let what = format!("chunk {c} heap {k} ({params:?}), collector {}", plan.name);
            // The sub-test name carries collector and heap into reports from the runtime too.
            ctx.sub(plan.subs[k as usize], |ctx| {
                let (m, roots) = model::build_random_heap(&mut rng, &params, gc.as_mut())
                    .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
                run_rounds(ctx, &what, m, roots, gc.as_mut(), &mut mrng, ROUNDS);
            });
        }
    }
}

/// Collects `rounds` times, checking after each collection (and increment) and mutating between.
pub fn run_rounds(
    ctx: &Ctx,
    what: &str,
    mut m: Model,
    mut roots: Vec<Word>,
    gc: &mut dyn Collector,
    rng: &mut Rng,
    rounds: usize,
) {
    model::check(
        ctx,
        &m,
        gc,
        &roots,
        false,
        &format!("{what}, after building"),
    );
    for round in 0..rounds {
        if rng.chance(35) {
            gc.request_full();
        }
        let mut inc = 0;
        let reached = loop {
            let done = gc.collect_increment(&mut roots) == Progress::Done;
            let exact = done && gc.last_collection_complete();
            let label = format!(
                "{what}, round {round}, increment {inc}{}",
                if done { " (done)" } else { "" }
            );
            let reached = model::check(ctx, &m, gc, &roots, exact, &label);
            if done {
                break reached;
            }
            // The mutator runs between increments, through the barriers.
            if rng.chance(60) {
                let ops = 1 + rng.index(6);
                model::mutate(rng, &mut m, gc, &mut roots, &reached, ops)
                    .unwrap_or_else(|e| ctx.fail(format_args!("{label}: mutating: {e}")));
                model::check(
                    ctx,
                    &m,
                    gc,
                    &roots,
                    false,
                    &format!("{label}, after mutating"),
                );
            }
            inc += 1;
        };
        let ops = 1 + rng.index(40);
        model::mutate(rng, &mut m, gc, &mut roots, &reached, ops)
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}, round {round}: mutating: {e}")));
        model::check(
            ctx,
            &m,
            gc,
            &roots,
            false,
            &format!("{what}, round {round}, after mutating"),
        );
    }
}

macro_rules! chunks {
    ($($m:ident = $c:expr),*) => {$(
        #[doc = concat!("`test_", stringify!($m), "`: chunk ", stringify!($c), " of the random heaps.")]
        pub mod $m {
            /// Runs the module.
            pub fn run(ctx: &crate::harness::Ctx) {
                super::run_chunk(ctx, $c)
            }
        }
    )*};
}

chunks!(
    gc_chunk_0 = 0,
    gc_chunk_1 = 1,
    gc_chunk_2 = 2,
    gc_chunk_3 = 3,
    gc_chunk_4 = 4,
    gc_chunk_5 = 5,
    gc_chunk_6 = 6,
    gc_chunk_7 = 7,
    gc_chunk_8 = 8,
    gc_chunk_9 = 9
);
