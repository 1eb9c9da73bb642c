//! Collectors on random heaps: `test_gc_chunk_<c>` runs heaps `0..HEAPS_PER_CHUNK` of chunk `c`,
//! heap `k` drawn from the seed and `(c, k)`. Each collector under test (copying, mark-compact
//! and generational without the `incremental` feature, incremental with it) gets the heap and
//! runs rounds (at least [`MIN_ROUNDS`], then more until its checks have done [`ROUND_WORK`], so
//! that every heap does about the same work whatever its size and reachable part), the mutator
//! dropping roots, adding objects and rewiring fields between rounds (and, for the incremental
//! collector, between increments). The model checker runs after building and after every
//! collection and every increment.

use crate::harness::{Ctx, Rng};
use crate::model::{self, HeapParams, Model};
use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use rts::gc::{Collector, Progress};
use rts::types::Word;

/// Heaps per chunk.
pub const HEAPS_PER_CHUNK: u64 = 10;
/// Fewest collection rounds per heap and collector.
pub const MIN_ROUNDS: usize = 4;
/// Most collection rounds per heap and collector (heaps whose reachable part stays tiny).
pub const MAX_ROUNDS: usize = 5_000;
/// The work of the model checks of one heap and collector, counted per check as the reachable
/// objects (each one visited and compared) plus a [`MODEL_OBJECTS_PER_UNIT`]th of all model
/// objects (a check's bookkeeping grows with those, reachable or not):
/// after [`MIN_ROUNDS`], rounds go on until the checks after every collection, increment and
/// mutation have done this much, so chunks do similar work whatever heaps they draw.
#[cfg(not(feature = "incremental"))]
pub const ROUND_WORK: usize = 900_000;
/// The work of the model checks of one heap and collector (see the stop-the-world value).
#[cfg(feature = "incremental")]
pub const ROUND_WORK: usize = 1_100_000;

/// Model objects that count as one unit of [`ROUND_WORK`] per check (the per-object bookkeeping
/// of a check, reachable or not, against a full check of one reachable object).
#[cfg(not(feature = "incremental"))]
pub const MODEL_OBJECTS_PER_UNIT: usize = 64;
/// Model objects that count as one unit of [`ROUND_WORK`] per check (see the stop-the-world
/// value; the incremental checks of reachable objects cost relatively more).
#[cfg(feature = "incremental")]
pub const MODEL_OBJECTS_PER_UNIT: usize = 128;

/// How many rounds [`run_rounds`] runs.
#[derive(Clone, Copy, Debug)]
pub struct Rounds {
    /// At least this many.
    pub min: usize,
    /// Then more (up to [`MAX_ROUNDS`]) until the checks have done this much work (see
    /// [`ROUND_WORK`]).
    pub work: usize,
}

impl Rounds {
    /// Exactly `n` rounds.
    pub const fn exactly(n: usize) -> Self {
        Rounds { min: n, work: 0 }
    }
}

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
pub(crate) use heap_subs;

/// A collector under test: its name and a constructor taking the heap's random stream.
pub struct Plan {
    /// Name in failure messages.
    pub name: &'static str,
    /// Sub-test name of heap `k` of a chunk.
    pub subs: [&'static str; HEAPS_PER_CHUNK as usize],
    /// Builds an empty collector for a heap of about the given number of objects (parameters
    /// such as the partition size drawn from `rng`).
    pub make: fn(&mut Rng, usize) -> Box<dyn Collector>,
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
                make: |_, _| Box::new(Copying::new(HeapSizing::default()))
            },
            Plan {
                name: "mark-compact",
                subs: heap_subs!("mark-compact"),
                make: |_, _| Box::new(MarkCompact::new(HeapSizing::default()))
            },
            Plan {
                name: "generational",
                subs: heap_subs!("generational"),
                make: |rng, _| {
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
            make: |rng, objects| {
                // The work per increment grows with the heap, so that the number of increments
                // per collection (each one model-checked) stays in the same range for large heaps.
                let scale = 1 + objects / INCREMENT_SCALE_OBJECTS;
                let partition_words = 16 << rng.index(6);
                Box::new(Incremental::new(IncrementalParams {
                    partition_words,
                    increment_words: (32 << rng.index(6)) * scale,
                    evacuate_below_percent: 20 + rng.index(70),
                    ..IncrementalParams::default()
                }))
            },
        }]
    }
}

/// Objects per unit of the incremental collector's increment scale (see [`plans`]).
#[cfg(feature = "incremental")]
pub const INCREMENT_SCALE_OBJECTS: usize = 250;

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
            let mut gc = (plan.make)(&mut mrng, params.objects);
            let what = format!("chunk {c} heap {k} ({params:?}), collector {}", plan.name);
            // The sub-test name carries collector and heap into reports from the runtime too.
            ctx.sub(plan.subs[k as usize], |ctx| {
                let (m, roots) = model::build_random_heap(&mut rng, &params, gc.as_mut())
                    .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
                let rounds = Rounds {
                    min: MIN_ROUNDS,
                    work: ROUND_WORK,
                };
                run_rounds(ctx, &what, m, roots, gc.as_mut(), &mut mrng, rounds);
            });
        }
    }
}

/// Collects `rounds` times, checking after each collection (and increment) and mutating between;
/// returns the model and roots as the last mutation left them.
pub fn run_rounds(
    ctx: &Ctx,
    what: &str,
    mut m: Model,
    mut roots: Vec<Word>,
    gc: &mut dyn Collector,
    rng: &mut Rng,
    rounds: Rounds,
) -> (Model, Vec<Word>) {
    // The work of a check (see `ROUND_WORK`).
    let cost =
        |m: &Model, r: &model::Reached| r.ids.len() + m.objects.len() / MODEL_OBJECTS_PER_UNIT;
    let built = model::check(
        ctx,
        &m,
        gc,
        &roots,
        false,
        &format!("{what}, after building"),
    );
    let mut work = cost(&m, &built);
    let mut round = 0;
    while round < rounds.min || (work < rounds.work && round < MAX_ROUNDS) {
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
            work += cost(&m, &reached);
            if done {
                break reached;
            }
            // The mutator runs between increments, through the barriers.
            if rng.chance(60) {
                let ops = 1 + rng.index(6);
                model::mutate(rng, &mut m, gc, &mut roots, &reached, ops)
                    .unwrap_or_else(|e| ctx.fail(format_args!("{label}: mutating: {e}")));
                let after = model::check(
                    ctx,
                    &m,
                    gc,
                    &roots,
                    false,
                    &format!("{label}, after mutating"),
                );
                work += cost(&m, &after);
            }
            inc += 1;
        };
        let ops = 1 + rng.index(40);
        model::mutate(rng, &mut m, gc, &mut roots, &reached, ops)
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}, round {round}: mutating: {e}")));
        let after = model::check(
            ctx,
            &m,
            gc,
            &roots,
            false,
            &format!("{what}, round {round}, after mutating"),
        );
        work += cost(&m, &after);
        round += 1;
    }
    (m, roots)
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
