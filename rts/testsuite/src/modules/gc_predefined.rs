//! Collectors on hand-made regression heaps, each guarding a known way collectors break. Every
//! heap runs through the same rounds (collect, check, mutate) as the random heaps.
//!
//! Scripted heaps ([`HeapScript`]s, as the shrinker prints them: `cargo run -p rts-testsuite
//! --example shrink`) carry their rounds with them: each replays its own rounds, under every
//! collector of the build with the script's tuning (the collector named in it is where it was
//! found). A shrunk heap is pasted below as printed and its name added to [`TESTS`].

// The source form's helpers (`script`, `round`, `new`, `root`, `field`, `load`, `store`,
// `shuffle`, `obj`), whichever the pasted scripts use.
#[allow(unused_imports)]
use crate::fixtures::script::{
    field, load, new, obj, replay_under, root, round, script, shuffle, store, HeapScript,
};
use crate::fixtures::{run_rounds, Rounds, PLANS};
use crate::harness::{Ctx, SubTest};
use crate::model::{self, MObj, MVal, Model};
use alloc::format;
#[cfg(test)]
use alloc::string::String;
use alloc::vec::Vec;
use rts::object::Kind;

/// Collection rounds per heap and collector, each followed by random mutation: 4 rounds collect
/// the heap as built (the shape the heap guards), then a heap that mutation has changed, and
/// then twice more, so that the generational collector collects objects it promoted and stores
/// made after that, and the incremental collector starts cycles on a heap it has already
/// compacted.
pub const ROUNDS: usize = 4;

/// The size of the scalable heaps (objects, fields or roots; see each heap; not scaled: the
/// sizes are what the heaps guard). With 2,000 every scalable heap of objects takes 3,000 words
/// or more, so it spans at least 6 partitions of the largest size the incremental plan draws
/// (512 words) and many of the smallest; the large arrays have 4,000 fields, 8 such partitions;
/// `deep_chain`'s comb takes the mark stack through 6 doublings; `shared_by_roots` has 1,000
/// roots to update.
const N: usize = 2_000;

/// `heaps! { a, b; c }` declares [`TESTS`], the table of sub-tests `"a"`, `"b"` and `"c"`, running
/// [`predefined`] with the builders `a` and `b` and [`scripted`] with the script `c`, and
/// `SCRIPTS`, the scripts by name.
macro_rules! heaps {
    ($($h:ident),* ; $($sc:ident),* $(,)?) => {
        /// The sub-tests, one per heap, in order (the only place their names are written): each
        /// runs `predefined` on the builder of the same name, or `scripted` on the script.
        pub const TESTS: &[SubTest] = &[
            $((stringify!($h), |ctx| predefined(ctx, $h)),)*
            $((stringify!($sc), |ctx| scripted(ctx, $sc)),)*
        ];

        /// The scripted heaps by name.
        #[cfg(test)]
        const SCRIPTS: &[(&str, fn() -> HeapScript)] = &[$((stringify!($sc), $sc)),*];
    };
}

heaps! {
    empty,
    all_garbage,
    root_points_backwards,
    self_loops,
    cycle,
    deep_chain,
    array_larger_than_partition,
    large_garbage,
    every_kind,
    shared_by_roots;
    shrunk_gc_chunk_0_seed_1_copying_heap_0,
    shrunk_gc_chunk_0_seed_1_generational_heap_1,
}

/// Runs the heap `make` builds through the rounds under every collector of the build; its index
/// in [`TESTS`] (for the random streams and reports) is found from the running sub-test's name.
fn predefined(ctx: &Ctx, make: fn() -> Model) {
    let name = ctx.sub_name();
    let Some(no) = TESTS.iter().position(|&(n, _)| n == name) else {
        ctx.fail(format_args!("predefined heap {name:?} is not in the table"))
    };
    for (pi, plan) in PLANS.iter().enumerate() {
        let mut rng = ctx.rng(&[no as u64, pi as u64]);
        let m = make();
        let mut gc = (plan.make)(&mut rng, m.objects.len());
        let what = format!("predefined heap {no} '{name}', collector {}", plan.name);
        let roots = model::build_heap(&m, gc.as_mut())
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
        run_rounds(
            ctx,
            &what,
            m,
            roots,
            gc.as_mut(),
            &mut rng,
            Rounds::exactly(ctx.scaled(ROUNDS)),
        );
    }
}

/// Replays the script `make` builds under every collector of the build.
fn scripted(ctx: &Ctx, make: fn() -> HeapScript) {
    let name = ctx.sub_name();
    let s = make();
    for plan in PLANS {
        let what = format!("scripted heap '{name}', collector {}", plan.name);
        replay_under(ctx, &what, &s, plan);
    }
}

/// Nothing but the (empty) continuation table.
fn empty() -> Model {
    model_of(Vec::new(), Vec::new())
}

/// Every object unreachable: all must go (stop-the-world), none may be touched.
fn all_garbage() -> Model {
    model_of(
        (0..2 * N)
            .map(|i| array(&[r((i + 1) % (2 * N) + 1)]))
            .collect(),
        alloc::vec![s(7)],
    )
}

/// A root to the last object, which points back to the first: backward pointers in slides.
fn root_points_backwards() -> Model {
    let n = N / 2;
    let mut objs: Vec<MObj> = (0..n).map(|i| array(&[r(i + 2), s(i)])).collect();
    objs[n - 1] = array(&[r(1)]);
    model_of(objs, alloc::vec![r(n)])
}

/// Objects pointing to themselves (threaded chains through the object's own fields).
fn self_loops() -> Model {
    model_of(
        (0..N / 2)
            .map(|i| array(&[r(i + 1), r(i + 1), s(3)]))
            .collect(),
        alloc::vec![r(1), r(N / 4), r(N / 2)],
    )
}

/// A ring: every object reachable only through a cycle.
fn cycle() -> Model {
    model_of(
        (0..N).map(|i| boxed(r((i + 1) % N + 1))).collect(),
        alloc::vec![r(37)],
    )
}

/// A comb 2N deep (leaf before next): marking it keeps every leaf on the stack, so the first
/// 64-entry mark stack overflows and doubles 6 times (to 4,096 entries).
fn deep_chain() -> Model {
    let n = 2 * N;
    let mut objs = Vec::new();
    for i in 0..n {
        let next = if i + 1 < n { r(2 * i + 3) } else { s(0) };
        objs.push(array(&[r(2 * i + 2), next]));
        objs.push(MObj {
            kind: Kind::Blob,
            fields: Vec::new(),
            bytes: 16,
        });
    }
    model_of(objs, alloc::vec![r(1)])
}

/// An array larger than any test partition, pointing to small objects around it.
fn array_larger_than_partition() -> Model {
    let mut objs: Vec<MObj> = (0..30).map(|i| boxed(s(i))).collect();
    let big: Vec<MVal> = (0..2 * N)
        .map(|i| if i % 7 == 0 { r(1 + i % 30) } else { s(i) })
        .collect();
    objs.push(MObj {
        kind: Kind::Array,
        fields: big,
        bytes: 0,
    });
    model_of(objs, alloc::vec![r(31)])
}

/// A large object that dies: its partitions (or space) must be reclaimed cleanly.
fn large_garbage() -> Model {
    let big: Vec<MVal> = (0..2 * N).map(s).collect();
    let mut objs = alloc::vec![MObj {
        kind: Kind::Array,
        fields: big,
        bytes: 0
    }];
    objs.extend((0..20).map(|i| boxed(r(2 + (i + 1) % 20))));
    model_of(objs, alloc::vec![r(2)])
}

/// Every kind, with records, closures, variants, concats and blobs sharing one target.
fn every_kind() -> Model {
    let objs = alloc::vec![
        MObj {
            kind: Kind::Blob,
            fields: Vec::new(),
            bytes: 33
        },
        MObj {
            kind: Kind::Record,
            fields: alloc::vec![r(1), s(5), r(3)],
            bytes: 0
        },
        MObj {
            kind: Kind::Closure,
            fields: alloc::vec![r(1), r(2), r(4)],
            bytes: 0
        },
        MObj {
            kind: Kind::Variant,
            fields: alloc::vec![r(5)],
            bytes: 0
        },
        MObj {
            kind: Kind::Concat,
            fields: alloc::vec![r(1), r(6)],
            bytes: 0
        },
        MObj {
            kind: Kind::MutBox,
            fields: alloc::vec![r(2)],
            bytes: 0
        },
        MObj {
            kind: Kind::Array,
            fields: Vec::new(),
            bytes: 0
        },
    ];
    model_of(objs, alloc::vec![r(2), r(3), r(7)])
}

/// Many roots to one object and to scalars: each root updated, the object copied once.
fn shared_by_roots() -> Model {
    model_of(
        alloc::vec![array(&[s(1)]), array(&[r(1)])],
        (0..N / 2)
            .map(|i| if i % 3 == 0 { s(i) } else { r(1 + i % 2) })
            .collect(),
    )
}

fn r(id: usize) -> MVal {
    MVal::Ref(id)
}

fn s(n: usize) -> MVal {
    MVal::Scalar(n)
}

fn array(fields: &[MVal]) -> MObj {
    MObj {
        kind: Kind::Array,
        fields: fields.to_vec(),
        bytes: 0,
    }
}

fn boxed(v: MVal) -> MObj {
    MObj {
        kind: Kind::MutBox,
        fields: alloc::vec![v],
        bytes: 0,
    }
}

/// A model with an empty continuation table as object 0 (ids in `objs` start at 1) and root 0
/// to it before `roots`.
fn model_of(objs: Vec<MObj>, roots: Vec<MVal>) -> Model {
    let mut objects = alloc::vec![array(&[])];
    objects.extend(objs);
    let mut all_roots = alloc::vec![MVal::Ref(model::CONT_TABLE)];
    all_roots.extend(roots);
    Model {
        objects,
        roots: all_roots,
    }
}

// Shrunk heaps, pasted as the shrinker printed them. These two came from heaps failing under
// planted collector bugs (`fixtures::faults`): the last root not traced, and a mutable box's store
// bypassing the write barrier; with working collectors they guard a lone moved root object and an
// old-to-young store into a box.

/// Shrunk from module gc_chunk_0 seed 1 sub-test "copying heap 0";
/// fails the check at testsuite/src/model/check.rs:110:21.
/// Before: 6495 objects, 9111 edges, 3 roots, 1 rounds, 0 mutations between increments, 0 stores.
/// After: 2 objects, 0 edges, 2 roots, 1 rounds, 0 mutations between increments, 0 stores.
fn shrunk_gc_chunk_0_seed_1_copying_heap_0() -> HeapScript {
    script(
        "copying",
        0x8d1e664694c5866b,
        // Objects by id; 0 is the continuation table.
        &[
            array(&[]),                 // 0
            obj(Kind::Closure, &[], 0), // 1
        ],
        // Roots; 0 is the continuation table.
        &[r(0), r(1)],
        // Rounds: full?, mutation after increments (by increment), after the collection.
        &[
            round(false, &[], &[]), // 0
        ],
    )
}

/// Shrunk from module gc_chunk_0 seed 1 sub-test "generational heap 1";
/// fails the check at testsuite/src/model/check.rs:240:13.
/// Before: 5426 objects, 4971 edges, 1 roots, 1 rounds, 0 mutations between increments, 23 stores.
/// After: 5 objects, 3 edges, 1 roots, 1 rounds, 0 mutations between increments, 1 stores.
fn shrunk_gc_chunk_0_seed_1_generational_heap_1() -> HeapScript {
    script(
        "generational",
        0x7cd21d6e0ca39e7f,
        // Objects by id; 0 is the continuation table.
        &[
            array(&[r(2)]),                      // 0
            obj(Kind::Concat, &[s(0), r(3)], 0), // 1
            obj(Kind::Variant, &[r(1)], 0),      // 2
            boxed(s(0)),                         // 3
        ],
        // Roots; 0 is the continuation table.
        &[r(0)],
        // Rounds: full?, mutation after increments (by increment), after the collection.
        &[
            round(
                false,
                &[],
                &[new(&[obj(Kind::Blob, &[], 8)]), field(3, 0, r(4))],
            ), // 0
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::script_text::parse_fns;

    /// The scripted heaps as pasted (and formatted) read back, with the source form's parser,
    /// to the scripts they compile to; every one is in the table.
    #[test]
    fn pasted_scripts_parse_to_what_they_compile_to() {
        let src = include_str!("gc_predefined.rs");
        let mut text = String::new();
        for block in src.split("\nfn ").skip(1) {
            let head = block.lines().next().unwrap_or_default();
            if head.ends_with("-> HeapScript {") && !head.starts_with("scripted") {
                let end = block.find("\n}\n").map_or(block.len(), |e| e + 3);
                text.push_str("fn ");
                text.push_str(&block[..end]);
            }
        }
        let parsed = parse_fns(&text).expect("pasted scripts parse");
        assert_eq!(parsed.len(), SCRIPTS.len());
        for ((name, script), (want, make)) in parsed.iter().zip(SCRIPTS) {
            assert_eq!(name, want);
            assert_eq!(*script, make(), "{name}");
        }
    }
}
