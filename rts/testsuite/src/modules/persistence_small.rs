//! Persistence of random heaps: random model graphs of up to 10,000 objects ([`GRAPHS_PER_SIZE`] per size) (sharing, cycles,
//! self-references, every kind) are built, saved to stable memory, the heap is dropped, and the
//! stream is loaded into a fresh heap, which the model checker then compares with the model
//! exactly (every reachable object once, nothing else). Saving the loaded heap again must give
//! the same bytes. Also: graphs saved from a collector's heap after collections and mutation,
//! and hand-built corner cases (no roots, scalar roots, shared roots, self-loops, a long chain).
//! And language values: texts (ropes sharing subtrees) and bigints built on one collector's
//! heap, saved, and loaded straight into each collector of this build, their values checked
//! against their oracles and their sharing kept (`language_values`).
//! The round trip itself is [`persist_and_check`], shared with the other persistence modules;
//! the random graphs go through `fixtures::script::run_graph`, so the shrinker can record and cut
//! down a failing one.

use crate::fixtures::script::run_graph;
use crate::fixtures::values::{check_int, check_text, room};
use crate::fixtures::{build, params, persist, persist_and_check, BumpHeap, ValueHeap, PLANS};
use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use crate::model::{self, MObj, MVal, Model};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use rts::bigint::{self, Int, Nat};
use rts::gc::Collector;
use rts::object::Kind;
use rts::persistence;
use rts::text;
use rts::types::Word;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![random_graphs, corner_cases, from_collector, language_values];

/// Random graphs of each size in `random_graphs`: each graph draws its own shape (1 to 3 edges
/// per object, 0 to 11 roots, 1 to 8 fields, 0 to 5 continuation slots, how local its edges
/// are), so 8 graphs per size see each size sparse and dense, with few and many roots; the tiny
/// sizes (4 to 10 objects) give the corner shapes (no roots, all garbage, one cycle), the large
/// ones long runs and deep sharing. The sizes are fixed cases and are not scaled.
pub const GRAPHS_PER_SIZE: usize = 8;

/// Collector heaps in `from_collector`: 8 heaps of 300 to 5,300 objects, each after 3 rounds of
/// collection and mutation, so the saver meets moved objects, garbage left behind and forwarded
/// roots in heaps of different shapes (every kind among the moved objects in each).
pub const COLLECTOR_HEAPS: u64 = 8;

fn random_graphs(ctx: &Ctx) {
    // Sizes from tiny to 10,000 objects; a fixed list so the run time does not depend on the seed.
    let sizes = [4usize, 5, 7, 10, 50, 200, 1_000, 3_000, 10_000];
    for k in 0..ctx.scaled(GRAPHS_PER_SIZE) * sizes.len() {
        let n = sizes[k % sizes.len()];
        let mut rng = ctx.rng(&[1, k as u64]);
        let p = params(&mut rng, n);
        let m = model::random_model(&mut rng, &p);
        let what = format!("graph {k} ({p:?})");
        run_graph(ctx, &what, &m);
    }
}

fn corner_cases(ctx: &Ctx) {
    let arr = |fields: Vec<MVal>| MObj {
        kind: Kind::Array,
        fields,
        bytes: 0,
    };
    // Only the continuation table; no other roots.
    let m = Model {
        objects: vec![arr(vec![])],
        roots: vec![MVal::Ref(0)],
    };
    let (h, r) = build(ctx, &m, "lone table");
    persist_and_check(ctx, &m, h.words(), &r, "lone table");
    // Scalar roots, shared roots, a self-loop and a 3-cycle.
    let m = Model {
        objects: vec![
            arr(vec![MVal::Ref(1)]),
            MObj {
                kind: Kind::MutBox,
                fields: vec![MVal::Ref(1)],
                bytes: 0,
            },
            MObj {
                kind: Kind::Concat,
                fields: vec![MVal::Ref(3), MVal::Scalar(9)],
                bytes: 0,
            },
            MObj {
                kind: Kind::Variant,
                fields: vec![MVal::Ref(4)],
                bytes: 0,
            },
            arr(vec![MVal::Ref(2), MVal::Scalar(0), MVal::Scalar(1 << 29)]),
        ],
        roots: vec![
            MVal::Ref(0),
            MVal::Scalar(5),
            MVal::Ref(2),
            MVal::Ref(2),
            MVal::Scalar(0),
        ],
    };
    let (h, r) = build(ctx, &m, "cycles");
    persist_and_check(ctx, &m, h.words(), &r, "cycles");
    // A 5,000-long chain: neither side may recurse per object.
    let n = 5_000;
    let mut objects = vec![arr(vec![MVal::Ref(1)])];
    for i in 1..n {
        let next = if i + 1 < n {
            MVal::Ref(i + 1)
        } else {
            MVal::Ref(1)
        };
        objects.push(MObj {
            kind: Kind::MutBox,
            fields: vec![next],
            bytes: 0,
        });
    }
    let m = Model {
        objects,
        roots: vec![MVal::Ref(0)],
    };
    let (h, r) = build(ctx, &m, "chain");
    persist_and_check(ctx, &m, h.words(), &r, "chain");
    // Garbage in the source heap is not saved.
    let mut rng = ctx.rng(&[2]);
    let mut p = params(&mut rng, 500);
    p.roots = 1;
    let m = model::random_model(&mut rng, &p);
    let (h, r) = build(ctx, &m, "garbage");
    persist_and_check(ctx, &m, h.words(), &r, "with garbage");
}

fn from_collector(ctx: &Ctx) {
    // A heap after collections and mutation: objects moved, garbage left, forwarding resolved.
    for k in 0..ctx.scaled_u64(COLLECTOR_HEAPS) {
        let mut rng = ctx.rng(&[3, k]);
        let n = 300 + rng.index(5_000);
        let p = params(&mut rng, n);
        let (mut gc, name): (Box<dyn Collector>, &str) = match PLANS.first() {
            Some(plan) => ((plan.make)(&mut rng, n), plan.name),
            None => (Box::new(BumpHeap::new()), "bump"),
        };
        let what = format!("collector heap {k} ({name}, {p:?})");
        let (mut m, mut roots) = model::build_random_heap(&mut rng, &p, gc.as_mut())
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
        for round in 0..3 {
            gc.collect(&mut roots)
                .unwrap_or_else(|e| ctx.fail(format_args!("collecting: {e}")));
            let reached = model::check(
                ctx,
                &m,
                gc.as_ref(),
                &roots,
                false,
                &format!("{what}, round {round}"),
            );
            let ops = 1 + rng.index(30);
            model::mutate(&mut rng, &mut m, gc.as_mut(), &mut roots, &reached, ops)
                .unwrap_or_else(|e| ctx.fail(format_args!("{what}: mutating: {e}")));
        }
        let resolved: Vec<Word> = roots.iter().map(|&r| gc.resolve(r)).collect();
        persist_and_check(ctx, &m, gc.words(), &resolved, &what);
    }
}

/// A language value and its oracle.
#[derive(Clone, Debug)]
enum Lang {
    Text(String),
    Int(Int),
}

/// Checks a held language value against its oracle.
fn check_lang(ctx: &Ctx, gc: &dyn Collector, v: Word, o: &Lang, what: &str) {
    match o {
        Lang::Text(s) => check_text(ctx, gc, v, s, what),
        Lang::Int(n) => check_int(ctx, gc, v, n, what),
    }
}

/// Operations building the language values of `language_values` (texts, concatenations of held
/// texts, bigints, a second root sharing a held value, drops), a safepoint after every 4th: a
/// graph of a hundred values sharing subtrees, built across collections.
const LANG_OPS: usize = 160;

/// A short text: ASCII and multi-byte code points, sometimes long enough that concatenations
/// stay ropes.
fn lang_text(rng: &mut crate::harness::Rng) -> String {
    const POOL: [char; 4] = ['a', '\u{e9}', '\u{20ac}', '\u{1f600}'];
    let n = if rng.chance(30) {
        10 + rng.index(20)
    } else {
        rng.index(6)
    };
    (0..n).map(|_| POOL[rng.index(POOL.len())]).collect()
}

fn language_values(ctx: &Ctx) {
    for (si, source) in PLANS.iter().enumerate() {
        for (di, dest) in PLANS.iter().enumerate() {
            let mut rng = ctx.rng(&[4, si as u64, di as u64]);
            let what = format!("language values from {} into {}", source.name, dest.name);
            let mut h = ValueHeap::new(source, &mut rng, LANG_OPS, check_lang);
            for _ in 0..ctx.scaled(LANG_OPS) {
                let a = h.pick(&mut rng).map(|(i, o)| (i, o.clone()));
                let b = h.pick(&mut rng).map(|(i, o)| (i, o.clone()));
                match (rng.index(10), a, b) {
                    (0..=2, Some((a, Lang::Text(sa))), Some((b, Lang::Text(sb))))
                        if sa.len() + sb.len() < 1_000 =>
                    {
                        let (va, vb) = (h.roots[a], h.roots[b]);
                        let v = room(ctx, &what, text::heap::concat(h.gc.as_mut(), va, vb));
                        h.hold(v, Lang::Text(sa + &sb));
                    }
                    (3 | 4, Some((a, o)), _) => {
                        let v = h.roots[a];
                        h.hold(v, o);
                    }
                    (5, Some((a, _)), _) => h.drop_value(a),
                    (6 | 7, _, _) => {
                        let limbs: Vec<u32> = (0..rng.index(6)).map(|_| rng.u64() as u32).collect();
                        let n = Int::from_parts(rng.chance(50), Nat::from_limbs(&limbs));
                        let v = room(ctx, &what, bigint::heap::alloc(h.gc.as_mut(), &n));
                        h.hold(v, Lang::Int(n));
                    }
                    _ => {
                        let s = lang_text(&mut rng);
                        let v = room(ctx, &what, text::heap::from_str(h.gc.as_mut(), &s));
                        h.hold(v, Lang::Text(s));
                    }
                }
                h.after_op(ctx, &what);
            }
            // Saved from the collector's heap mid-cycle or not, roots resolved as a runtime
            // resolves them before it saves.
            let roots: Vec<Word> = h.roots.iter().map(|&r| h.gc.resolve(r)).collect();
            let stream = persistence::serialize(h.gc.words(), &roots)
                .unwrap_or_else(|e| ctx.fail(format_args!("{what}: {e:?}")));
            let stable = persist::save(ctx, h.gc.words(), &roots, &what);
            let mut loaded = ValueHeap::new(dest, &mut rng, LANG_OPS, check_lang);
            loaded.roots = persistence::load(&stable, loaded.gc.as_mut())
                .unwrap_or_else(|e| ctx.fail(format_args!("{what}: load: {e:?}")));
            loaded.oracles = core::mem::take(&mut h.oracles);
            let label = format!("{what}, loaded");
            loaded.check_all(ctx, &label);
            // Sharing: two roots hold the same object after loading exactly when they did before.
            let n = roots.len();
            check_eq!(ctx, loaded.roots.len(), n, "{label}: roots");
            let mut shared = 0;
            for i in 0..n {
                for j in i + 1..n {
                    let before = roots[i] == roots[j];
                    shared += usize::from(before && roots[i] & 1 == 1);
                    check_eq!(
                        ctx,
                        loaded.roots[i] == loaded.roots[j],
                        before,
                        "{label}: roots {i} and {j} share a value"
                    );
                }
            }
            // Inside the values too: the loaded graph saves to the same stream.
            let again = persistence::serialize(loaded.gc.words(), &loaded.roots)
                .unwrap_or_else(|e| ctx.fail(format_args!("{label}: {e:?}")));
            check!(
                ctx,
                again == stream,
                "{label}: saving again gave a different stream"
            );
            check!(
                ctx,
                shared > 0,
                "{what}: no shared value; the test proves little"
            );
            // The loaded heap is the collector's own: it collects and moves it.
            loaded.finish(ctx, &label);
        }
    }
}
