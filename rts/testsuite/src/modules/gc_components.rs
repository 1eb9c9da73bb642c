//! GC components on their own: object headers and values, the mark bitmap against a `Vec<bool>`
//! model, the growing mark stack, the remembered set, the partition table, and the write
//! barriers of the generational (old-to-young slots remembered) and incremental (SATB: the
//! overwritten target is shaded) collectors; every collector over a bounded heap. (Arrays marked
//! and updated in slices by the incremental collector are the `array_slicing` module's.)

use crate::fixtures::bounded::fill_collect_refill;
use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use alloc::vec::Vec;
use rts::gc::copying::Copying;
use rts::gc::generational::Generational;
use rts::gc::incremental::{Incremental, IncrementalParams, Phase};
use rts::gc::markcompact::MarkCompact;
use rts::gc::policy::bitmap::MarkBitmap;
use rts::gc::policy::mark_stack::{MarkStack, INITIAL_CAPACITY};
use rts::gc::policy::partitions::{PartitionTable, State};
use rts::gc::policy::remset::RememberedSet;
use rts::gc::{Collector, Progress};
use rts::memory::{HeapSizing, VecMemory};
use rts::object::{self, Kind, KINDS};
use rts::types::WORD_SIZE;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    object_model,
    bitmap,
    mark_stack,
    remembered_set,
    partition_table,
    generational_barrier,
    satb_barrier,
    bounded_heaps
];

/// Words of a bounded dense heap: a few hundred small objects, enough to grow the memory by
/// several steps and to fill it exactly (page growth is capped at the limit).
const BOUNDED_WORDS: usize = 2048;
/// Partition words of the bounded incremental heap, and its partitions: a dozen partitions
/// give whole dead partitions in the middle and live ones at both ends.
const BOUNDED_PARTITION: usize = 64;
const BOUNDED_PARTITIONS: usize = 12;
/// Unreclaimed words allowed per partition after two cycles without mutation (the reclamation
/// oracle): a partition kept in the second cycle is at least half live (evacuation below 50%),
/// evacuation targets are filled without gaps (the filler objects are 4 words, the partition a
/// multiple of 4; the 2-word continuation table costs at most 2 words per target), and the one
/// allocation partition, which may be nearly empty, is paid for by one extra partition.
const UNRECLAIMED_PER_PARTITION: usize = BOUNDED_PARTITION / 2;

/// Random headers in `object_model`: 2,000 give each of the 7 kinds about 280 times, with
/// auxiliary values over the whole 20 bits.
const HEADERS: usize = 2_000;

fn object_model(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for _ in 0..ctx.scaled(HEADERS) {
        let kind = KINDS[rng.index(KINDS.len())];
        let aux = rng.index(1 << 20);
        let h = object::header(kind, aux);
        check_eq!(
            ctx,
            object::header_kind(h),
            Some(kind),
            "kind of header {h:#x}"
        );
        check_eq!(ctx, object::header_aux(h), aux, "aux of header {h:#x}");
        check!(
            ctx,
            !object::is_ptr(h) && !object::is_forwarded(h),
            "header {h:#x} looks like a pointer or stub"
        );
        let size = kind.size(aux);
        check!(
            ctx,
            size >= object::MIN_OBJECT_WORDS,
            "{kind:?} of {aux} has {size} words"
        );
        let (s, e) = kind.fields(aux);
        check!(
            ctx,
            1 <= s && s <= e && e <= size,
            "{kind:?} of {aux}: fields {s}..{e} outside {size} words"
        );
        let f = object::forwarding_header(size);
        check!(
            ctx,
            object::is_forwarded(f) && object::header_kind(f).is_none(),
            "forwarding header {f:#x}"
        );
        check_eq!(
            ctx,
            object::size_of_header(f),
            Some(size),
            "size of a forwarding stub"
        );
        let a = (rng.u64() as usize) & object::MAX_ADDR;
        check!(
            ctx,
            object::is_ptr(object::ptr(a)) && object::addr_of(object::ptr(a)) == a,
            "pointer to {a}"
        );
        check!(
            ctx,
            !object::is_ptr(object::scalar(a)) && object::scalar_value(object::scalar(a)) == a,
            "scalar {a}"
        );
    }
    check_eq!(
        ctx,
        object::header_kind(0),
        None,
        "zeroed memory is no object"
    );
    check_eq!(
        ctx,
        object::header_kind(rts::gc::POISON),
        None,
        "poison is no object"
    );
}

/// Random steps of `bitmap` on 3,000 bits: 60,000 steps touch each bit about 20 times (each of
/// the 3 operations on it several times), and the `next_set` searches span every word boundary.
const BITMAP_STEPS: usize = 60_000;

fn bitmap(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    let n = 3_000;
    let mut bm = MarkBitmap::new();
    bm.ensure(n);
    let mut model = alloc::vec![false; n];
    for step in 0..ctx.scaled(BITMAP_STEPS) {
        let a = rng.index(n);
        match rng.below(4) {
            0 | 1 => check_eq!(
                ctx,
                bm.set(a),
                !core::mem::replace(&mut model[a], true),
                "step {step}: set({a})"
            ),
            2 => {
                bm.clear(a);
                model[a] = false;
            }
            _ => {
                let to = a + rng.index(n - a + 1);
                let want = (a..to).find(|&i| model[i]);
                check_eq!(
                    ctx,
                    bm.next_set(a, to),
                    want,
                    "step {step}: next_set({a}, {to})"
                );
            }
        }
        check_eq!(ctx, bm.get(a), model[a], "step {step}: get({a})");
    }
    let (lo, hi) = (rng.index(n), n);
    bm.clear_range(lo, hi);
    model[lo..hi].fill(false);
    for (i, &m) in model.iter().enumerate() {
        check_eq!(ctx, bm.get(i), m, "bit {i} after clear_range({lo}, {hi})");
    }
    bm.clear_all();
    check!(ctx, bm.is_clear(), "bitmap not clear after clear_all");
}

/// Depth of the comb in `mark_stack` (not scaled: the depth is the point). Marking a comb keeps
/// every leaf on the stack until the spine ends, so a comb 1,000 deep needs a stack of 1,000
/// entries: the first stack (64 entries) overflows and doubles 4 times, to 1,024.
pub const COMB: usize = 1_000;

fn mark_stack(ctx: &Ctx) {
    let mut st = MarkStack::new();
    check_eq!(ctx, st.capacity(), INITIAL_CAPACITY, "initial capacity");
    for i in 0..1_000 {
        st.push(i);
    }
    check_eq!(
        ctx,
        st.capacity(),
        1024,
        "capacity after 1000 pushes (doubling from 64)"
    );
    check_eq!(ctx, st.growths(), 4, "growths from 64 to 1024");
    for i in (0..1_000).rev() {
        check_eq!(ctx, st.pop(), Some(i), "LIFO pop");
    }
    check!(
        ctx,
        st.is_empty() && st.pop().is_none(),
        "stack not empty after popping all"
    );
    // A deep comb (leaf before next) makes the mark-compact collector's stack grow.
    let mut gc = MarkCompact::new(HeapSizing::default());
    let mut next = object::scalar(0);
    for _ in 0..COMB {
        let leaf = gc
            .alloc(Kind::Blob, 8)
            .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
        let node = gc
            .alloc(Kind::Array, 2)
            .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
        gc.init_word(node, 1, object::ptr(leaf));
        gc.init_word(node, 2, next);
        next = object::ptr(node);
    }
    let mut roots = [next];
    gc.collect(&mut roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("collecting: {e}")));
    check!(
        ctx,
        gc.mark_stack().growths() > 0,
        "a {COMB}-deep comb did not grow the mark stack"
    );
    check_eq!(
        ctx,
        gc.words().len(),
        COMB * (Kind::Blob.size(8) + Kind::Array.size(2)),
        "words after collecting a fully live comb"
    );
}

/// Random inserts of `remembered_set` into 500 slots: 5,000 insert each slot about 10 times, so
/// (all but about one in 20,000 slots) both a first insert and repeated ones of every slot.
const REMEMBERED_INSERTS: usize = 5_000;

fn remembered_set(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    let mut rs = RememberedSet::new();
    let mut model: Vec<usize> = Vec::new();
    for _ in 0..ctx.scaled(REMEMBERED_INSERTS) {
        let s = rng.index(500);
        check_eq!(ctx, rs.insert(s), !model.contains(&s), "insert({s})");
        if !model.contains(&s) {
            model.push(s);
        }
    }
    check_eq!(
        ctx,
        rs.slots().to_vec(),
        model,
        "slots in insertion order, each once"
    );
    rs.clear();
    check!(
        ctx,
        rs.is_empty() && (0..500).all(|s| !rs.contains(s)),
        "remembered set not empty after clear"
    );
}

fn partition_table(ctx: &Ctx) {
    let mut t = PartitionTable::new(100);
    check_eq!(ctx, t.take(1, false), 0, "first partition");
    check_eq!(ctx, t.take(3, false), 1, "a large object after it");
    check_eq!(
        ctx,
        t.get(1).state,
        State::LargeHead(3),
        "head of the large object"
    );
    check_eq!(
        ctx,
        t.get(3).state,
        State::LargeTail,
        "tail of the large object"
    );
    check_eq!(ctx, t.take(1, true), 4, "next free partition");
    check!(
        ctx,
        t.get(4).fresh,
        "partition taken during a cycle is fresh"
    );
    t.free(1);
    check!(
        ctx,
        (1..4).all(|i| t.get(i).state == State::Free),
        "freeing a large head frees its tails"
    );
    check_eq!(ctx, t.take(1, false), 1, "lowest free partition reused");
    check_eq!(
        ctx,
        t.take(2, false),
        2,
        "a free run reused for a large object"
    );
    check_eq!(ctx, t.take(2, false), 5, "no free run: appended");
    check_eq!(ctx, t.len(), 7, "table length");
    check_eq!(
        ctx,
        (t.start(5), t.end(5), t.index_of(599)),
        (500, 600, 5),
        "partition bounds"
    );
    check_eq!(ctx, t.heap_words(), 700, "heap words");
}

fn generational_barrier(ctx: &Ctx) {
    let mut gc = Generational::new(HeapSizing::default());
    let old = gc
        .alloc(Kind::Array, 2)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    let mut roots = [object::ptr(old)];
    gc.collect(&mut roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("collecting: {e}")));
    let old = object::addr_of(roots[0]);
    check_eq!(
        ctx,
        gc.young_start(),
        gc.words().len(),
        "survivors promoted"
    );
    let young = gc
        .alloc(Kind::MutBox, 0)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    gc.write(young, 1, object::ptr(old));
    check!(
        ctx,
        gc.remembered().is_empty(),
        "young-to-old store remembered"
    );
    gc.write(old, 1, object::scalar(5));
    check!(ctx, gc.remembered().is_empty(), "scalar store remembered");
    gc.write(old, 2, object::ptr(young));
    gc.write(old, 2, object::ptr(young));
    check_eq!(
        ctx,
        gc.remembered().slots().to_vec(),
        alloc::vec![old + 2],
        "old-to-young slot remembered once"
    );
    gc.collect(&mut roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("collecting: {e}")));
    check!(
        ctx,
        gc.remembered().is_empty(),
        "remembered set not cleared by a collection"
    );
    let words = gc.words();
    let young = object::addr_of(words[old + 2]);
    check_eq!(
        ctx,
        object::header_kind(words[young]),
        Some(Kind::MutBox),
        "young object kept by its remembered slot"
    );
}

fn satb_barrier(ctx: &Ctx) {
    let params = IncrementalParams {
        partition_words: 64,
        increment_words: 1,
        ..IncrementalParams::default()
    };
    let mut gc = Incremental::new(params);
    // root -> chain a0 -> a1 -> ... -> a9; then the mutator moves a9 away from the chain.
    let mut prev = object::scalar(0);
    let mut addrs = Vec::new();
    for _ in 0..10 {
        let a = gc
            .alloc(Kind::MutBox, 0)
            .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
        gc.init_word(a, 1, prev);
        prev = object::ptr(a);
        addrs.push(a);
    }
    let holder = gc
        .alloc(Kind::MutBox, 0)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    let mut roots = [prev, object::ptr(holder)];
    check_eq!(
        ctx,
        gc.collect_increment(&mut roots),
        Ok(Progress::Continue),
        "first increment of a tiny budget"
    );
    check_eq!(ctx, gc.phase(), Phase::Mark, "phase after one increment");
    // Cut the chain near its end: SATB must shade the overwritten target.
    let cut = addrs[1];
    let target = addrs[0];
    check!(ctx, !gc.is_marked(target), "chain end marked too early");
    gc.write(cut, 1, object::scalar(0));
    check!(
        ctx,
        gc.is_marked(target),
        "overwritten target not shaded by the SATB barrier"
    );
    let fresh = gc
        .alloc(Kind::MutBox, 0)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    check!(
        ctx,
        gc.is_marked(fresh),
        "object allocated during marking is not black"
    );
    gc.collect(&mut roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("collecting: {e}")));
    check_eq!(ctx, gc.phase(), Phase::Idle, "phase after a finished cycle");
    check!(
        ctx,
        gc.verify(&roots).is_ok(),
        "heap invalid after the cycle: {:?}",
        gc.verify(&roots)
    );
}

/// Each collector over a bounded heap: filled to the limit, `OutOfMemory` with consistent sizes,
/// garbage collected (model-checked), room again; and copying's to-space refused.
fn bounded_heaps(ctx: &Ctx) {
    let bytes = BOUNDED_WORDS * WORD_SIZE;
    let sizing = HeapSizing::default();
    let mut copying = Copying::bounded(sizing, bytes);
    fill_collect_refill(
        ctx,
        &mut copying,
        BOUNDED_WORDS / 2,
        64,
        None,
        "bounded copying",
    );
    let mut mc = MarkCompact::bounded(sizing, bytes);
    fill_collect_refill(
        ctx,
        &mut mc,
        BOUNDED_WORDS,
        64,
        None,
        "bounded mark-compact",
    );
    let mut gen = Generational::bounded(sizing, bytes);
    fill_collect_refill(
        ctx,
        &mut gen,
        BOUNDED_WORDS,
        64,
        None,
        "bounded generational",
    );
    let params = IncrementalParams {
        partition_words: BOUNDED_PARTITION,
        increment_words: BOUNDED_PARTITION,
        evacuate_below_percent: 50,
        ..IncrementalParams::default()
    };
    let limit = BOUNDED_PARTITION * BOUNDED_PARTITIONS;
    let mut inc = Incremental::bounded(params, limit * WORD_SIZE);
    fill_collect_refill(
        ctx,
        &mut inc,
        limit,
        BOUNDED_PARTITION,
        Some(UNRECLAIMED_PER_PARTITION),
        "bounded incremental",
    );
    check_eq!(
        ctx,
        inc.partitions().len(),
        BOUNDED_PARTITIONS,
        "partitions of the bounded incremental heap"
    );
    // To-space smaller than from-space: the collection is refused and changes nothing.
    let mut gc = Copying::with_memories(
        sizing,
        VecMemory::with_limit(BOUNDED_WORDS),
        VecMemory::with_limit(BOUNDED_WORDS / 4),
    );
    let mut roots = Vec::new();
    while gc.used_words() < BOUNDED_WORDS / 2 {
        let a = gc
            .alloc(Kind::MutBox, 0)
            .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
        roots.push(object::ptr(a));
    }
    let before: Vec<_> = gc.words().to_vec();
    let used = gc.used_words();
    match gc.collect(&mut roots) {
        Err(e) => check!(
            ctx,
            e.requested == used * WORD_SIZE && e.available == BOUNDED_WORDS / 4 * WORD_SIZE,
            "to-space refused with {e:?} for {used} words"
        ),
        Ok(()) => ctx.fail(format_args!(
            "{} words collected into a to-space of {}",
            used,
            BOUNDED_WORDS / 4
        )),
    }
    check!(
        ctx,
        gc.words() == before.as_slice() && gc.verify(&roots).is_ok(),
        "a refused collection changed the heap: {:?}",
        gc.verify(&roots)
    );
}
