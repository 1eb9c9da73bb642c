//! The continuation table: growth past the initial capacity, LIFO reuse of freed indices,
//! removal of free and out-of-range indices, and a long random run against a map model with the
//! free-list invariant (every slot is live or on the free list) checked along the way.

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rts::continuation_table::ContinuationTable;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![growth, reuse, bad_indices, model];

fn consistent<T>(ctx: &Ctx, t: &ContinuationTable<T>, what: &str) {
    check_eq!(
        ctx,
        t.len() + t.free_list_len(),
        t.capacity(),
        "{what}: live + free = slots"
    );
    check_eq!(
        ctx,
        t.iter().count(),
        t.len(),
        "{what}: live entries counted"
    );
}

fn growth(ctx: &Ctx) {
    let mut t = ContinuationTable::with_capacity(4);
    check_eq!(ctx, t.capacity(), 4, "initial capacity");
    for i in 0..1_000u32 {
        check_eq!(
            ctx,
            t.insert(i * 3),
            Some(i),
            "insert {i} into a table without frees"
        );
    }
    check!(
        ctx,
        t.capacity() >= 1_000 && t.capacity() < 2_048,
        "capacity {} after 1000",
        t.capacity()
    );
    for i in 0..1_000u32 {
        check_eq!(ctx, t.get(i), Some(&(i * 3)), "value {i} survives growth");
    }
    consistent(ctx, &t, "after growth");
    let mut z = ContinuationTable::with_capacity(0);
    check_eq!(ctx, z.insert('a'), Some(0), "a zero-capacity table grows");
    check_eq!(ctx, z.insert('b'), Some(1), "and grows again");
    consistent(ctx, &z, "zero-capacity table");
}

fn reuse(ctx: &Ctx) {
    let mut t = ContinuationTable::with_capacity(8);
    let ids: Vec<u32> = (0..8).map(|i| t.insert(i).unwrap_or(u32::MAX)).collect();
    check_eq!(ctx, t.remove(ids[2]), Some(2), "remove 2");
    check_eq!(ctx, t.remove(ids[5]), Some(5), "remove 5");
    check_eq!(ctx, t.len(), 6, "live after removals");
    check_eq!(
        ctx,
        t.insert(100),
        Some(ids[5]),
        "most recently freed index first"
    );
    check_eq!(ctx, t.insert(101), Some(ids[2]), "then the one before");
    check_eq!(ctx, t.capacity(), 8, "reuse does not grow");
    check_eq!(ctx, t.insert(102), Some(8), "then a fresh slot");
    consistent(ctx, &t, "after reuse");
}

fn bad_indices(ctx: &Ctx) {
    let mut t = ContinuationTable::with_capacity(2);
    let a = t.insert("x").unwrap_or(u32::MAX);
    check_eq!(ctx, t.remove(a), Some("x"), "first removal");
    check_eq!(ctx, t.remove(a), None, "double removal");
    check_eq!(ctx, t.remove(1), None, "never-used slot");
    check_eq!(ctx, t.remove(99), None, "out of range");
    check_eq!(ctx, t.remove(u32::MAX), None, "u32::MAX");
    check_eq!(ctx, t.get(a), None, "get of a freed slot");
    check_eq!(ctx, t.len(), 0, "nothing live");
    consistent(ctx, &t, "after bad removals");
}

/// Random steps of `model` (growth and shrinkage phases of 5,000 steps each): 50,000 steps are 5
/// growth phases, each adding some 1,500 live entries net, and 5 shrinkage phases, each freeing
/// some 1,200, so the table grows from 16 slots to a few thousand through several doublings,
/// and every phase reuses freed slots (LIFO, checked on every insert) and removes absent ones.
pub const MODEL_STEPS: usize = 50_000;

fn model(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    let mut t = ContinuationTable::with_capacity(16);
    let mut m: BTreeMap<u32, u64> = BTreeMap::new();
    // The live indices in a vector too, to pick a random one in constant time.
    let mut keys: Vec<u32> = Vec::new();
    let mut freed: Vec<u32> = Vec::new();
    for step in 0..ctx.scaled(MODEL_STEPS) {
        // Phases of growth and shrinkage.
        let insert_bias = if (step / 5_000) % 2 == 0 { 65 } else { 35 };
        if m.is_empty() || rng.chance(insert_bias) {
            let v = rng.u64();
            let idx = t
                .insert(v)
                .unwrap_or_else(|| ctx.fail(format_args!("step {step}: insert failed")));
            check!(
                ctx,
                !m.contains_key(&idx),
                "step {step}: index {idx} handed out twice"
            );
            if let Some(want) = freed.pop() {
                check_eq!(ctx, idx, want, "step {step}: LIFO reuse");
            }
            m.insert(idx, v);
            keys.push(idx);
        } else {
            let (idx, k) = if rng.chance(90) {
                let k = rng.index(keys.len());
                (keys[k], Some(k))
            } else {
                (rng.below(u64::from(u32::MAX)) as u32, None)
            };
            let want = m.remove(&idx);
            check_eq!(ctx, t.remove(idx), want, "step {step}: remove {idx}");
            if want.is_some() {
                freed.push(idx);
                // A random index is almost never live; then it is searched for.
                if let Some(k) = k.or_else(|| keys.iter().position(|&x| x == idx)) {
                    keys.swap_remove(k);
                }
            }
        }
        check_eq!(ctx, t.len(), m.len(), "step {step}: live count");
        if step % 5_000 == 0 {
            consistent(ctx, &t, "model");
            for (&k, v) in &m {
                check_eq!(ctx, t.get(k), Some(v), "step {step}: entry {k}");
            }
        }
    }
}
