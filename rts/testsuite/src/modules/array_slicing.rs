//! Arrays marked and updated in slices by the incremental collector (`rts::gc::incremental`):
//! an increment scans or updates one field per unit of its budget, and keeps the position in an
//! object its budget ends in (the slice cursor `(object, next field)`), so the slice size is the
//! increment's budget. The incremental collector is compiled into every variant, so this module
//! runs it directly in all of them (as `gc_components` does), whichever collector the
//! variant's random-heap modules use.
//!
//! - `slice_boundaries`: arrays of every length around the slice size (0, 1, B-2 .. B+1, 2B-1
//!   .. 2B+1 pointer fields for a budget of B, and one larger than a partition), each pointing
//!   to boxes in partitions being evacuated; marking stops at exactly the predicted field after
//!   every increment (targets marked before the cursor, none after it), updating advances by
//!   exactly its work while inside the array (no field updated twice or skipped: stubs ahead,
//!   none behind); model-checked after the cycle, with the reclamation oracle.
//! - `writes_around_cursor`: the mutator stores into a partly marked array before and after
//!   the cursor (a fresh object each side, and a pointer moved from the unscanned part into
//!   the scanned part, then overwritten at its source), and into a partly updated array (stale
//!   pointers to stubs, before and after the cursor); every new target survives.
//! - `sliced_large_array`: one 80,000-field array through a whole cycle under the increment
//!   bound, with loads and stores between slices (moved here from `gc_components`).

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use crate::model::build::alloc_objects;
use crate::model::{self, MObj, MVal, Model, Snapshot};
use alloc::format;
use alloc::vec::Vec;
use rts::gc::incremental::{Incremental, IncrementalParams, Phase};
use rts::gc::Collector;
use rts::memory::Addr;
use rts::object::{self, Kind};
use rts::types::Word;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![slice_boundaries, writes_around_cursor, sliced_large_array];

/// The slice size (the increment budget) and the partition words of the first two sub-tests:
/// small, so that arrays of a few slices span several increments and boxes fill several
/// partitions.
const B: usize = 32;
const PARTITION: usize = 128;

/// Pointer (model) fields of the arrays of `slice_boundaries`; the heap array has one more
/// field, its identity (element 0), so its fields, `n + 1`, and its scan, `n + 2` units with the
/// header, sit on both sides of every multiple of `B` too. The last is larger than a partition
/// (a large object of its own partitions).
const LENGTHS: &[usize] = &[
    0,
    1,
    B - 2,
    B - 1,
    B,
    B + 1,
    2 * B - 1,
    2 * B,
    2 * B + 1,
    5 * PARTITION + 3,
];

/// An incremental increment's work against its bound (the budget plus one partition, see
/// `rts::gc::incremental`); returns the work.
fn bounded_increment(
    ctx: &Ctx,
    gc: &mut Incremental,
    roots: &mut [Word],
    (budget, partition): (usize, usize),
    what: &str,
) -> usize {
    gc.collect_increment(roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: {e}")));
    let r = gc
        .incremental_report()
        .unwrap_or_else(|| ctx.fail(format_args!("{what}: no report")));
    check!(
        ctx,
        r.work <= budget + partition && r.budget == budget,
        "{what}: {} words of work in an increment of budget {}",
        r.work,
        r.budget
    );
    r.work
}

/// The model id of the box of array field `j` (see [`array_model`]).
fn box_id(j: usize) -> usize {
    3 + 2 * j
}

/// A model: 0 the continuation table, 1 an array of `n` fields, then (garbage variant, box)
/// pairs and a last garbage variant, the box of field `j` being [`box_id`]`(j)` (so the boxes'
/// partitions are 40% live: a box is 2 words, a variant 3, and they are evacuated below 50%);
/// then unreachable filler variants of more than a partition, so the allocation partition
/// (never evacuated) is past the boxes.
fn array_model(n: usize, partition: usize) -> Model {
    let mut m = boxes_model(n);
    for i in 0..=partition / Kind::Variant.size(0) {
        m.objects.push(variant(n + 1 + i));
    }
    m
}

/// A garbage variant with identity `i`.
fn variant(i: usize) -> MObj {
    MObj {
        kind: Kind::Variant,
        fields: alloc::vec![MVal::Scalar(i)],
        bytes: 0,
    }
}

/// [`array_model`] without the filler: the array, its boxes and the garbage between them.
fn boxes_model(n: usize) -> Model {
    let mut objects = alloc::vec![
        MObj {
            kind: Kind::Array,
            fields: Vec::new(),
            bytes: 0,
        },
        MObj {
            kind: Kind::Array,
            fields: (0..n).map(|j| MVal::Ref(box_id(j))).collect(),
            bytes: 0,
        },
    ];
    for i in 0..=n {
        objects.push(variant(i));
        if i < n {
            objects.push(MObj {
                kind: Kind::MutBox,
                fields: alloc::vec![MVal::Scalar(i)],
                bytes: 0,
            });
        }
    }
    Model {
        objects,
        roots: alloc::vec![MVal::Ref(model::CONT_TABLE), MVal::Ref(1)],
    }
}

/// An array model's heap in a fresh incremental collector (budget `budget`, no pacing, so every
/// increment has exactly that budget), checked, with the snapshot of the cycle to come.
fn build(
    ctx: &Ctx,
    m: &Model,
    (budget, partition): (usize, usize),
    what: &str,
) -> (Incremental, Vec<Word>, Snapshot) {
    let mut gc = Incremental::new(IncrementalParams {
        partition_words: partition,
        increment_words: budget,
        pace: 0,
        evacuate_below_percent: 50,
        ..IncrementalParams::default()
    });
    let roots = model::build_heap(m, &mut gc)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
    let built = model::check(ctx, m, &gc, &roots, false, &format!("{what}, built"));
    let snap = model::snapshot(&gc, &built)
        .unwrap_or_else(|| ctx.fail(format_args!("{what}: no snapshot")));
    (gc, roots, snap)
}

/// Heap offset of model field `j` of an array (element 0 is the identity).
fn field(j: usize) -> usize {
    Kind::Array.fields(0).0 + 1 + j
}

/// What the increments of one cycle saw of the array.
#[derive(Default)]
struct Seen {
    /// Increments that ended inside the array while marking.
    marking: usize,
    /// Increments that ended inside the array while updating.
    updating: usize,
    /// The update cursor in the array after the last increment, if it ended inside it.
    update_at: Option<usize>,
    /// Heap fields of the array updated so far (by the cursor's advances).
    updated: usize,
}

/// Checks one increment of the cycle over the array of `m` (object 1, `n + 1` heap fields):
/// increment `t` (from 1) did `work`.
///
/// Marking (the array is popped first: the roots are pushed in order, the array last): after
/// increment `t` exactly `min(n + 1, t * B - 1)` heap fields are scanned (the header costs one
/// unit); the cursor is there, each original box before it is marked and none after it.
///
/// Updating: while the increment both starts and ends inside the array, the cursor advanced by
/// exactly the increment's work (one field per unit: a field updated twice or skipped changes
/// that); the first increment inside advanced at most its work less the header, the last
/// finished at most its work; no field before the cursor points to a forwarding stub, and a
/// field after it points to one exactly when its target's partition is being evacuated.
fn check_increment(
    ctx: &Ctx,
    gc: &Incremental,
    m: &Model,
    roots: &[Word],
    (t, work, budget): (usize, usize, usize),
    seen: &mut Seen,
    what: &str,
) {
    let words = gc.words();
    let arr = object::addr_of(roots[1]);
    let heap_fields = m.objects[1].fields.len() + 1;
    let start = Kind::Array.fields(0).0;
    let on_array = match gc.slice() {
        Some((a, next)) if a == arr => Some(next - start),
        _ => None,
    };
    match gc.phase() {
        Phase::Mark => {
            let scanned = heap_fields.min(t * budget - 1);
            let want = (scanned < heap_fields).then_some(scanned);
            check_eq!(
                ctx,
                on_array,
                want,
                "{what}: heap fields scanned in the array after increment {t}"
            );
            seen.marking += usize::from(want.is_some());
            for (j, &v) in m.objects[1].fields.iter().enumerate() {
                if v != MVal::Ref(box_id(j)) {
                    continue; // changed by the mutator
                }
                let target = object::addr_of(words[arr + field(j)]);
                check_eq!(
                    ctx,
                    gc.is_marked(target),
                    1 + j < scanned,
                    "{what}: box of field {j} marked, with {scanned} heap fields scanned"
                );
            }
        }
        Phase::Evacuate => {}
        // Idle: the cycle ended in this increment, perhaps with the end of the array's update.
        Phase::Update | Phase::Idle => {
            match (seen.update_at, on_array) {
                (Some(before), Some(now)) => check_eq!(
                    ctx,
                    now - before,
                    work,
                    "{what}: update cursor advance in increment {t}, inside the array"
                ),
                (None, Some(now)) => check!(
                    ctx,
                    now < work,
                    "{what}: update cursor at {now} in the increment {t} that entered the \
                         array with {work} units of work"
                ),
                (Some(before), None) => check!(
                    ctx,
                    heap_fields - before <= work,
                    "{what}: {} fields left at {before} finished in increment {t} of {work} \
                         units",
                    heap_fields - before
                ),
                (None, None) => {}
            }
            if let Some(now) = on_array {
                seen.updating += 1;
                seen.updated = now;
                for h in 0..heap_fields {
                    let w = words[arr + start + h];
                    if !object::is_ptr(w) {
                        continue;
                    }
                    let a = object::addr_of(w);
                    let stub = object::is_forwarded(words[a]);
                    let evacuating = gc.partitions().get(gc.partitions().index_of(a)).evacuate;
                    check_eq!(
                        ctx,
                        stub,
                        h >= now && evacuating,
                        "{what}: heap field {h} points to a stub, update cursor at {now}"
                    );
                }
            } else if seen.update_at.is_some() {
                seen.updated = heap_fields;
            }
            seen.update_at = on_array;
        }
    }
}

/// The mutator between increments: model, collector, roots, number of the increment just done.
type Mutator<'m> = dyn FnMut(&mut Model, &mut Incremental, &[Word], usize) + 'm;

/// Runs the cycle on an array model's heap to the end, checking every increment; `mutate` is
/// called after each increment (with its number) and may store into the heap.
fn run_cycle(
    ctx: &Ctx,
    m: &mut Model,
    (gc, roots, snap): (&mut Incremental, &mut Vec<Word>, &Snapshot),
    budget: usize,
    what: &str,
    mutate: &mut Mutator<'_>,
) -> Seen {
    let mut seen = Seen::default();
    let mut t = 0;
    loop {
        t += 1;
        let work = bounded_increment(
            ctx,
            gc,
            roots,
            (budget, PARTITION),
            &format!("{what}, increment {t}"),
        );
        check_increment(ctx, gc, m, roots, (t, work, budget), &mut seen, what);
        if gc.phase() == Phase::Idle {
            break;
        }
        mutate(m, gc, roots, t);
    }
    let label = format!("{what}, after the cycle ({t} increments)");
    model::check(ctx, m, gc, roots, false, &label);
    model::check_cycle(ctx, gc, snap, &label);
    seen
}

fn slice_boundaries(ctx: &Ctx) {
    for &n in LENGTHS {
        let what = format!("array of {n} fields, slice size {B}");
        let mut m = array_model(n, PARTITION);
        let (mut gc, mut roots, snap) = build(ctx, &m, (B, PARTITION), &what);
        // The partitions of the boxes before the cycle.
        let arr = object::addr_of(roots[1]);
        let box_parts: Vec<usize> = (0..n)
            .map(|j| {
                let a = object::addr_of(gc.words()[arr + field(j)]);
                gc.partitions().index_of(a)
            })
            .collect();
        let seen = run_cycle(
            ctx,
            &mut m,
            (&mut gc, &mut roots, &snap),
            B,
            &what,
            &mut |_, _, _, _| {},
        );
        // Increments that end inside the array while marking: those with t * B - 1 < n + 1.
        let want = (1..).take_while(|t| t * B - 1 < n + 1).count();
        check_eq!(
            ctx,
            seen.marking,
            want,
            "{what}: increments that ended inside the array while marking"
        );
        let freed = gc.incremental_report().map(|r| r.freed).unwrap_or_default();
        let evacuated = box_parts
            .iter()
            .filter(|&&p| {
                freed
                    .iter()
                    .any(|&(first, k)| (first..first + k).contains(&p))
            })
            .count();
        check!(
            ctx,
            n == 0 || evacuated > 0,
            "{what}: no box in a partition evacuated (freed: {freed:?})"
        );
        if n + 1 > 2 * B {
            check!(
                ctx,
                seen.updating >= (n + 1) / B - 1 && seen.updated == n + 1,
                "{what}: updated in {} increments, {} fields tracked",
                seen.updating,
                seen.updated
            );
        }
    }
}

/// Adds a fresh box to the model and the heap (allocated during the cycle, so black); returns
/// its id and address.
fn fresh_box(ctx: &Ctx, m: &mut Model, gc: &mut Incremental, what: &str) -> (usize, Addr) {
    let id = m.objects.len();
    m.objects.push(MObj {
        kind: Kind::MutBox,
        fields: alloc::vec![MVal::Scalar(id)],
        bytes: 0,
    });
    let mut addrs = alloc::vec![0; m.objects.len()];
    alloc_objects(m, &[id], &mut addrs, gc)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: {e}")));
    check!(
        ctx,
        gc.is_marked(addrs[id]),
        "{what}: an object allocated during the cycle is not black"
    );
    (id, addrs[id])
}

/// Stores `v` (model value `mv`) into model field `j` of the array, through the barrier.
fn store(m: &mut Model, gc: &mut Incremental, arr: Addr, j: usize, v: Word, mv: MVal) {
    gc.write(arr, field(j), v);
    m.objects[1].fields[j] = mv;
}

/// Stores into arrays of several slices while they are partly marked and partly updated.
///
/// Marking, with `s` heap fields scanned (cursor at `s`): a fresh box into a field before the
/// cursor and another after it; the pointer of a field after the cursor (its box not yet
/// marked) copied into a field before it, then overwritten at its source, so the box is
/// reachable only from the scanned part and must be shaded by the barrier at once (SATB).
/// Updating, with the cursor at `u`: a stale pointer (to a forwarding stub) stored before the
/// cursor, where the update will not come again (the barrier must store the copy), and after
/// it. Each case is checked where it happens and by the model after the cycle.
fn writes_around_cursor(ctx: &Ctx) {
    for n in [2 * B + 1, 5 * PARTITION + 3] {
        let what = format!("writes into an array of {n} fields, slice size {B}");
        let mut m = array_model(n, PARTITION);
        let (mut gc, mut roots, snap) = build(ctx, &m, (B, PARTITION), &what);
        let (mut marked_writes, mut updated_writes) = (false, false);
        let w = what.clone();
        let mut mutate = |m: &mut Model, gc: &mut Incremental, roots: &[Word], t: usize| {
            let arr = object::addr_of(roots[1]);
            let heap_fields = n + 1;
            let start = Kind::Array.fields(0).0;
            let Some((a, next)) = gc.slice() else {
                return;
            };
            let at = next - start;
            if a != arr || at < 4 || heap_fields - at < 8 {
                return;
            }
            let what = format!("{w}, after increment {t} (cursor at heap field {at})");
            // Model field j is heap field j + 1: before the cursor when j + 1 < at.
            let (behind, ahead) = (at - 2, at + 1);
            if gc.phase() == Phase::Mark && !marked_writes {
                marked_writes = true;
                let (id, fresh) = fresh_box(ctx, m, gc, &what);
                store(m, gc, arr, behind, object::ptr(fresh), MVal::Ref(id));
                let (id, fresh) = fresh_box(ctx, m, gc, &what);
                store(m, gc, arr, ahead + 1, object::ptr(fresh), MVal::Ref(id));
                let moved = gc.words()[arr + field(ahead)];
                let moved_at = object::addr_of(moved);
                check!(
                    ctx,
                    !gc.is_marked(moved_at),
                    "{what}: box of field {ahead}, after the cursor, marked early"
                );
                let mv = m.objects[1].fields[ahead];
                store(m, gc, arr, behind - 1, moved, mv);
                store(m, gc, arr, ahead, object::scalar(7), MVal::Scalar(7));
                check!(
                    ctx,
                    gc.is_marked(moved_at),
                    "{what}: a box moved behind the cursor and overwritten at its source is \
                     not shaded"
                );
                model::check(ctx, m, gc, roots, false, &format!("{what}, mid-mark"));
            } else if gc.phase() == Phase::Update && !updated_writes {
                let stale_field = (ahead..n).find(|&j| {
                    let v = gc.words()[arr + field(j)];
                    object::is_ptr(v) && object::is_forwarded(gc.words()[object::addr_of(v)])
                });
                let Some(j) = stale_field else {
                    return;
                };
                updated_writes = true;
                let stale = gc.words()[arr + field(j)];
                let mv = m.objects[1].fields[j];
                for (k, side) in [(behind, "before"), (j + 1, "after")] {
                    if k >= n {
                        continue;
                    }
                    store(m, gc, arr, k, stale, mv);
                    let v = gc.words()[arr + field(k)];
                    check!(
                        ctx,
                        !object::is_forwarded(gc.words()[object::addr_of(v)]),
                        "{what}: a stale pointer stored {side} the update cursor left a stub in \
                         field {k}"
                    );
                }
                model::check(ctx, m, gc, roots, false, &format!("{what}, mid-update"));
            }
        };
        run_cycle(
            ctx,
            &mut m,
            (&mut gc, &mut roots, &snap),
            B,
            &what,
            &mut mutate,
        );
        check!(
            ctx,
            marked_writes && updated_writes,
            "{what}: the array was not caught mid-slice (marking: {marked_writes}, updating: \
             {updated_writes})"
        );
    }
}

/// Fields of the large array of `sliced_large_array`: 80 times its budget, so that marking and
/// updating it take about 80 increments each (a collector scanning whole objects would do all
/// of it in one increment, 80 times over the bound).
const SLICED_FIELDS: usize = 80_000;
/// Work budget and partition words of `sliced_large_array`.
const SLICED_BUDGET: usize = 1_000;
const SLICED_PARTITION: usize = 1_024;

/// The incremental collector on an array of [`SLICED_FIELDS`] fields, each pointing to a box
/// that sits between two garbage variants (so the boxes' partitions are 40% live and
/// evacuated). Every increment stays within the bound. While the array is partly scanned, the
/// mutator overwrites a pointer in the unscanned part (its box must be shaded at once: the
/// SATB barrier) and stores a fresh object into the scanned part. While it is partly updated,
/// the mutator loads a not yet updated field through the read barrier (a forwarding stub
/// resolved to the copy) and stores into the part not yet updated (the stored value resolved,
/// and kept by the rest of the update). The model checks the heap at those points and at the
/// end, and the cycle is checked against a snapshot of its start.
fn sliced_large_array(ctx: &Ctx) {
    let what = "sliced array";
    let n = SLICED_FIELDS;
    let mut m = boxes_model(n);
    let (mut gc, mut roots, snap) = build(ctx, &m, (SLICED_BUDGET, SLICED_PARTITION), what);
    let arr = object::addr_of(roots[1]);
    // Marking: run until the array is partly scanned, far from both ends.
    let mut sliced_marking = 0;
    let mut inc = 0;
    while gc.phase() != Phase::Evacuate {
        bounded_increment(
            ctx,
            &mut gc,
            &mut roots,
            (SLICED_BUDGET, SLICED_PARTITION),
            &format!("{what}, increment {inc}"),
        );
        inc += 1;
        let Some((a, next)) = gc.slice() else {
            continue;
        };
        if a != arr || gc.phase() != Phase::Mark {
            continue;
        }
        sliced_marking += 1;
        if sliced_marking != n / SLICED_BUDGET / 2 {
            continue;
        }
        // `next` is an offset; model field j is at offset 2 + j.
        let unscanned = next - 2 + 10;
        let MVal::Ref(boxed) = m.objects[1].fields[unscanned] else {
            ctx.fail(format_args!("{what}: field {unscanned} is no pointer"))
        };
        let boxed_at = object::addr_of(gc.words()[arr + field(unscanned)]);
        check!(
            ctx,
            !gc.is_marked(boxed_at),
            "{what}: box {boxed} behind the scan position {next} marked early"
        );
        store(
            &mut m,
            &mut gc,
            arr,
            unscanned,
            object::scalar(7),
            MVal::Scalar(7),
        );
        check!(
            ctx,
            gc.is_marked(boxed_at),
            "{what}: pointer overwritten in the unscanned part not shaded by the SATB barrier"
        );
        let scanned = next - 2 - 10;
        let (id, fresh) = fresh_box(ctx, &mut m, &mut gc, what);
        store(
            &mut m,
            &mut gc,
            arr,
            scanned,
            object::ptr(fresh),
            MVal::Ref(id),
        );
        model::check(ctx, &m, &gc, &roots, false, &format!("{what}, mid-mark"));
    }
    check!(
        ctx,
        sliced_marking >= n / SLICED_BUDGET - 1,
        "{what}: the array was marked in {sliced_marking} increments"
    );
    // Evacuation, then updating: run until the array is partly updated, far from both ends.
    let mut sliced_updating = 0;
    loop {
        bounded_increment(
            ctx,
            &mut gc,
            &mut roots,
            (SLICED_BUDGET, SLICED_PARTITION),
            &format!("{what}, increment {inc}"),
        );
        inc += 1;
        if gc.phase() == Phase::Idle {
            break;
        }
        let Some((a, next)) = gc.slice() else {
            continue;
        };
        if a != arr || gc.phase() != Phase::Update {
            continue;
        }
        sliced_updating += 1;
        if sliced_updating != n / SLICED_BUDGET / 2 {
            continue;
        }
        let ahead = next - 2 + 10;
        let raw = gc.words()[arr + field(ahead)];
        check!(
            ctx,
            object::is_forwarded(gc.words()[object::addr_of(raw)]),
            "{what}: field {ahead} ahead of the update cursor {next} does not point to a stub"
        );
        let loaded = gc.resolve(raw);
        let MVal::Ref(boxed) = m.objects[1].fields[ahead] else {
            ctx.fail(format_args!("{what}: field {ahead} is no pointer"))
        };
        check_eq!(
            ctx,
            gc.words()[object::addr_of(loaded)],
            object::header(Kind::MutBox, boxed),
            "{what}: box loaded through the read barrier from field {ahead}"
        );
        // Store the loaded box, and a stale pointer to another, into fields not yet updated.
        let other = ahead + 5;
        let stale = gc.words()[arr + field(other + 1)];
        let mv = m.objects[1].fields[other + 1];
        store(&mut m, &mut gc, arr, other, stale, mv);
        store(&mut m, &mut gc, arr, ahead + 1, loaded, MVal::Ref(boxed));
        for f in [other, ahead + 1] {
            let w = gc.words()[arr + field(f)];
            check!(
                ctx,
                !object::is_forwarded(gc.words()[object::addr_of(w)]),
                "{what}: a store into field {f} left a pointer to a stub"
            );
        }
        let behind = next - 2 - 10;
        let w = gc.words()[arr + field(behind)];
        check!(
            ctx,
            !object::is_ptr(w) || !object::is_forwarded(gc.words()[object::addr_of(w)]),
            "{what}: field {behind} behind the update cursor {next} still points to a stub"
        );
        model::check(ctx, &m, &gc, &roots, false, &format!("{what}, mid-update"));
    }
    check!(
        ctx,
        sliced_updating >= n / SLICED_BUDGET - 1,
        "{what}: the array was updated in {sliced_updating} increments"
    );
    let label = format!("{what}, after the cycle ({inc} increments)");
    model::check(ctx, &m, &gc, &roots, false, &label);
    model::check_cycle(ctx, &gc, &snap, &label);
    let freed: usize = gc
        .incremental_report()
        .map_or(0, |r| r.freed.iter().map(|&(_, k)| k).sum());
    check!(
        ctx,
        freed * SLICED_PARTITION >= n * Kind::Variant.size(0),
        "{what}: {freed} partitions freed, fewer than the garbage variants fill"
    );
}
