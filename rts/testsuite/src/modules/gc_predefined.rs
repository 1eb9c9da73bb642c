//! Collectors on hand-made regression heaps, each guarding a known way collectors break. Every
//! heap runs through the same rounds (collect, check, mutate) as the random heaps.

use crate::fixtures::{run_rounds, Rounds, PLANS};
use crate::harness::{Ctx, SubTest};
use crate::model::{self, MObj, MVal, Model};
use alloc::format;
use alloc::vec::Vec;
use rts::object::Kind;

/// Collection rounds per heap and collector.
#[cfg(not(feature = "incremental"))]
pub const ROUNDS: usize = 280;
/// Collection rounds per heap and collector (the incremental collector checks every increment).
#[cfg(feature = "incremental")]
pub const ROUNDS: usize = 10;

/// The size of the scalable heaps (objects, fields or roots; see each heap).
const N: usize = 40_000;

/// `heaps![a, b]` is the table of sub-tests `"a"` and `"b"`, running [`predefined`] with the
/// builders `a` and `b`.
macro_rules! heaps {
    ($($h:ident),* $(,)?) => {
        &[$((stringify!($h), |ctx| predefined(ctx, $h))),*]
    };
}

/// The sub-tests, one per heap, in order (the only place their names are written): each runs
/// `predefined` on the builder of the same name.
pub const TESTS: &[SubTest] = heaps![
    empty,
    all_garbage,
    root_points_backwards,
    self_loops,
    cycle,
    deep_chain,
    array_larger_than_partition,
    large_garbage,
    every_kind,
    shared_by_roots
];

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
            Rounds::exactly(ROUNDS),
        );
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

/// A comb 2N deep (leaf before next): overflows the first 64-entry mark stack many times.
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
