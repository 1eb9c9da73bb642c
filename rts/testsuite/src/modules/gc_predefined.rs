//! Collectors on hand-made regression heaps, each guarding a known way collectors break. Every
//! heap runs through the same rounds (collect, check, mutate) as the random heaps.

use super::gc_random::{plans, run_rounds, Rounds};
use crate::harness::Ctx;
use crate::model::{self, MObj, MVal, Model};
use alloc::format;
use alloc::vec::Vec;
use rts::object::Kind;

/// The sub-tests: one per heap, named after it.
pub const SUBTESTS: &[&str] = &{
    let mut names = [""; HEAPS.len()];
    let mut i = 0;
    while i < HEAPS.len() {
        names[i] = HEAPS[i].0;
        i += 1;
    }
    names
};

/// Collection rounds per heap and collector.
#[cfg(not(feature = "incremental"))]
pub const ROUNDS: usize = 280;
/// Collection rounds per heap and collector (the incremental collector checks every increment).
#[cfg(feature = "incremental")]
pub const ROUNDS: usize = 10;

/// The size of the scalable heaps (objects, fields or roots; see each heap).
const N: usize = 40_000;

/// Runs the module.
pub fn run(ctx: &Ctx) {
    for (no, &(name, make)) in HEAPS.iter().enumerate() {
        ctx.sub(name, |ctx| {
            for (pi, plan) in plans().iter().enumerate() {
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
                    Rounds::exactly(ROUNDS),
                );
            }
        });
    }
}

/// Builds a predefined model.
type Builder = fn() -> Model;

/// The heaps: name and builder.
const HEAPS: &[(&str, Builder)] = &[
    // Nothing but the (empty) continuation table.
    ("empty", || model_of(Vec::new(), Vec::new())),
    // Every object unreachable: all must go (stop-the-world), none may be touched.
    ("all_garbage", || {
        model_of(
            (0..2 * N)
                .map(|i| array(&[r((i + 1) % (2 * N) + 1)]))
                .collect(),
            alloc::vec![s(7)],
        )
    }),
    // A root to the last object, which points back to the first: backward pointers in slides.
    ("root_points_backwards", || {
        let n = N / 2;
        let mut objs: Vec<MObj> = (0..n).map(|i| array(&[r(i + 2), s(i)])).collect();
        objs[n - 1] = array(&[r(1)]);
        model_of(objs, alloc::vec![r(n)])
    }),
    // Objects pointing to themselves (threaded chains through the object's own fields).
    ("self_loops", || {
        model_of(
            (0..N / 2)
                .map(|i| array(&[r(i + 1), r(i + 1), s(3)]))
                .collect(),
            alloc::vec![r(1), r(N / 4), r(N / 2)],
        )
    }),
    // A ring: every object reachable only through a cycle.
    ("cycle", || {
        model_of(
            (0..N).map(|i| boxed(r((i + 1) % N + 1))).collect(),
            alloc::vec![r(37)],
        )
    }),
    // A comb 2N deep (leaf before next): overflows the first 64-entry mark stack many times.
    ("deep_chain", || {
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
    }),
    // An array larger than any test partition, pointing to small objects around it.
    ("array_larger_than_partition", || {
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
    }),
    // A large object that dies: its partitions (or space) must be reclaimed cleanly.
    ("large_garbage", || {
        let big: Vec<MVal> = (0..2 * N).map(s).collect();
        let mut objs = alloc::vec![MObj {
            kind: Kind::Array,
            fields: big,
            bytes: 0
        }];
        objs.extend((0..20).map(|i| boxed(r(2 + (i + 1) % 20))));
        model_of(objs, alloc::vec![r(2)])
    }),
    // Every kind, with records, closures, variants, concats and blobs sharing one target.
    ("every_kind", || {
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
    }),
    // Many roots to one object and to scalars: each root updated, the object copied once.
    ("shared_by_roots", || {
        model_of(
            alloc::vec![array(&[s(1)]), array(&[r(1)])],
            (0..N / 2)
                .map(|i| if i % 3 == 0 { s(i) } else { r(1 + i % 2) })
                .collect(),
        )
    }),
];

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
