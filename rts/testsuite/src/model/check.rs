//! The heap checker: compares a heap with its model (see the module doc of [`super`]).
//!
//! For an incremental collector (one with a [`Collector::incremental_report`]) also its oracles:
//! [`check_increment`] (every increment's work within the budget plus one partition),
//! [`check_cycle`] (against a [`Snapshot`] of the heap at the cycle's start: every evacuated
//! partition freed, every large object dead at the start freed, every sparse partition
//! evacuated) and [`check_quiet_reclaimed`] (after cycles without mutation, the unreclaimed
//! words within a stated bound per partition).

use super::heap::{MVal, Model, ObjId};
use super::layout::{aux, blob_word, field_count, field_hash, field_offset, read_id, ID_HASH};
use crate::harness::Ctx;
use crate::harness::{check, check_eq};
use alloc::vec::Vec;
use rts::gc::Collector;
use rts::memory::Addr;
use rts::object::{addr_of, header_aux, header_kind, is_ptr, scalar, size_of_header};
use rts::types::{Word, WORD_SIZE};

/// Heap addresses of the reachable model objects (by id; `None` if unreachable).
#[derive(Clone, Debug, Default)]
pub struct Reached {
    /// Address of each reached object.
    pub addr: Vec<Option<Addr>>,
    /// Reached ids in visiting order.
    pub ids: Vec<ObjId>,
}

/// Checks the object graph in `words` from `roots` against `model`; `resolve` maps a value to
/// its current location (forwarding). Returns where each reachable object is.
pub fn check_graph(
    ctx: &Ctx,
    model: &Model,
    words: &[Word],
    roots: &[Word],
    resolve: &dyn Fn(Word) -> Word,
    what: &str,
) -> Reached {
    check_eq!(
        ctx,
        roots.len(),
        model.roots.len(),
        "{what}: number of roots"
    );
    let mut r = Reached {
        addr: alloc::vec![None; model.objects.len()],
        ids: Vec::new(),
    };
    let visit = |r: &mut Reached,
                 expect: MVal,
                 actual: Word,
                 from: &dyn Fn() -> alloc::string::String| match expect {
        MVal::Scalar(s) => {
            if actual != scalar(s) {
                ctx.fail(format_args!(
                    "{what}: {}: expected scalar {s} ({:#x}), actual {actual:#x}",
                    from(),
                    scalar(s)
                ))
            }
        }
        MVal::Ref(id) => {
            if !is_ptr(actual) {
                ctx.fail(format_args!(
                    "{what}: {}: expected pointer to object {id}, actual scalar {actual:#x}",
                    from()
                ))
            }
            let a = addr_of(resolve(actual));
            match r.addr[id] {
                Some(b) if b == a => {}
                Some(b) => ctx.fail(format_args!(
                    "{what}: {}: object {id} appears twice: at {b} and at {a} (pointer {actual:#x})",
                    from()
                )),
                None => {
                    check_object(ctx, model, words, id, a, what, &from);
                    r.addr[id] = Some(a);
                    r.ids.push(id);
                }
            }
        }
    };
    for (i, (&m, &w)) in model.roots.iter().zip(roots).enumerate() {
        visit(&mut r, m, w, &|| alloc::format!("root {i}"));
    }
    let mut next = 0;
    while next < r.ids.len() {
        let id = r.ids[next];
        let a = r.addr[id].unwrap_or_default();
        let o = &model.objects[id];
        let ax = header_aux(words[a]);
        for (i, &f) in o.fields.iter().enumerate() {
            let w = words[a + field_offset(o.kind, ax, i)];
            visit(&mut r, f, w, &|| {
                alloc::format!("object {id} at {a}, field {i}")
            });
        }
        next += 1;
    }
    r
}

/// Checks that the object at `a` is model object `id`: kind, identity, shape and raw contents.
fn check_object(
    ctx: &Ctx,
    model: &Model,
    words: &[Word],
    id: ObjId,
    a: Addr,
    what: &str,
    from: &dyn Fn() -> alloc::string::String,
) {
    let o = &model.objects[id];
    let h = match words.get(a) {
        Some(&h) => h,
        None => ctx.fail(format_args!(
            "{what}: {}: object {id} at {a} beyond the heap ({} words)",
            from(),
            words.len()
        )),
    };
    let kind = header_kind(h);
    if kind != Some(o.kind) {
        ctx.fail(format_args!(
            "{what}: {}: object {id} at {a}: expected kind {:?}, actual header {h:#x}",
            from(),
            o.kind
        ));
    }
    let size = size_of_header(h).unwrap_or(0);
    if a + size > words.len() {
        ctx.fail(format_args!(
            "{what}: object {id} at {a} of {size} words beyond the heap"
        ));
    }
    let ax = header_aux(h);
    check_eq!(
        ctx,
        ax,
        aux(id, o),
        "{what}: {}: header aux of object {id} at {a}",
        from()
    );
    check_eq!(
        ctx,
        read_id(words, a, o.kind),
        id,
        "{what}: {}: identity of the object at {a}",
        from()
    );
    check_eq!(
        ctx,
        field_count(o.kind, ax),
        o.fields.len(),
        "{what}: field count of object {id} at {a}"
    );
    match o.kind {
        rts::object::Kind::Record => {
            check_eq!(
                ctx,
                words[a + 1],
                ID_HASH,
                "{what}: identity hash of record {id} at {a}"
            );
            for i in 0..o.fields.len() {
                check_eq!(
                    ctx,
                    words[a + 2 + i],
                    field_hash(i),
                    "{what}: hash of field {i} of record {id} at {a}"
                );
            }
        }
        rts::object::Kind::Blob | rts::object::Kind::BigInt => {
            let rest = o.bytes - WORD_SIZE;
            for w in 0..rest.div_ceil(WORD_SIZE) {
                check_eq!(
                    ctx,
                    words[a + 2 + w],
                    blob_word(id, w, rest),
                    "{what}: word {w} of blob {id} at {a}"
                );
            }
        }
        _ => {}
    }
}

/// The whole check of a collector's heap: [`check_graph`], then a walk over every object in the
/// heap (each reachable object once, at its reached address; with `exact`, nothing else), then
/// the reclamation oracle (with `exact`, the heap occupies exactly the reachable objects' words),
/// then the collector's own [`Collector::verify`] (headers, forwarding, bitmaps).
pub fn check(
    ctx: &Ctx,
    model: &Model,
    gc: &dyn Collector,
    roots: &[Word],
    exact: bool,
    what: &str,
) -> Reached {
    let words = gc.words();
    let reached = check_graph(ctx, model, words, roots, &|v| gc.resolve(v), what);
    let mut live_seen = 0usize;
    gc.for_each_object(&mut |a| {
        let h = words[a];
        let kind = match header_kind(h) {
            Some(k) => k,
            None => ctx.fail(format_args!("{what}: heap walk: bad header {h:#x} at {a}")),
        };
        let id = read_id(words, a, kind);
        match reached.addr.get(id).copied().flatten() {
            Some(b) if b == a => live_seen += 1,
            Some(b) => ctx.fail(format_args!(
                "{what}: heap walk: object {id} appears twice: at {b} (reachable) and at {a}"
            )),
            None => {
                if exact {
                    ctx.fail(format_args!(
                        "{what}: heap walk: unreachable object {id} ({kind:?}) survived at {a}"
                    ))
                }
            }
        }
    });
    check_eq!(
        ctx,
        live_seen,
        reached.ids.len(),
        "{what}: reachable objects found by the heap walk"
    );
    if exact {
        let live_words: usize = reached
            .ids
            .iter()
            .filter_map(|&id| reached.addr[id])
            .map(|a| size_of_header(words[a]).unwrap_or(0))
            .sum();
        check_eq!(
            ctx,
            gc.used_words(),
            live_words,
            "{what}: heap words after a complete collection (the reachable objects' words)"
        );
    }
    if let Err(e) = gc.verify(roots) {
        ctx.fail(format_args!(
            "{what}: {} verify: {e}",
            gc.constraints().name
        ));
    }
    reached
}

/// Checks that the last increment of an incremental collector did at most its budget plus one
/// partition of heap work (the largest atomic step: copying one object of at most a partition,
/// see `rts::gc::incremental`), and handled each of its `roots` at most twice (marked at the
/// snapshot, resolved after evacuation); nothing for other collectors.
pub fn check_increment(ctx: &Ctx, gc: &dyn Collector, roots: usize, what: &str) {
    if let Some(r) = gc.incremental_report() {
        check!(
            ctx,
            r.root_words <= 2 * roots,
            "{what}: increment handled {} root words for {roots} roots",
            r.root_words
        );
        let bound = r.budget + r.partition_words;
        check!(
            ctx,
            r.work <= bound,
            "{what}: increment did {} words of work, over the budget {} plus one partition {}",
            r.work,
            r.budget,
            r.partition_words
        );
    }
}

/// One object of a [`Snapshot`].
#[derive(Clone, Copy, Debug)]
struct SnapObject {
    addr: Addr,
    size: usize,
    id: ObjId,
    live: bool,
}

/// The heap at the start of an incremental cycle: every object (address order) with its size,
/// model id and whether it was reachable; and the cycles finished before.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    objects: Vec<SnapObject>,
    cycles: usize,
}

/// Every object in `gc`'s heap (walk order) with its size and model id.
fn objects_of(gc: &dyn Collector) -> Vec<(Addr, usize, ObjId)> {
    let words = gc.words();
    let mut v = Vec::new();
    gc.for_each_object(&mut |a| {
        if let Some(kind) = header_kind(words[a]) {
            v.push((
                a,
                size_of_header(words[a]).unwrap_or(0),
                read_id(words, a, kind),
            ));
        }
    });
    v
}

/// The snapshot of an incremental collector's heap before a cycle starts (`reached` from the
/// last check); `None` for other collectors.
pub fn snapshot(gc: &dyn Collector, reached: &Reached) -> Option<Snapshot> {
    let r = gc.incremental_report()?;
    let objects = objects_of(gc)
        .into_iter()
        .map(|(addr, size, id)| SnapObject {
            addr,
            size,
            id,
            live: reached.addr.get(id).copied().flatten() == Some(addr),
        })
        .collect();
    Some(Snapshot {
        objects,
        cycles: r.cycles,
    })
}

/// The reclamation oracle after every finished cycle of an incremental collector, against the
/// heap at the cycle's start (`snap`):
/// - every partition the collector reports freed holds no object;
/// - every large object (over a partition) unreachable at the start is gone (unmarked, since
///   marking reaches only what was reachable at the start or allocated since);
/// - every partition that at the start held only small objects with live words below the
///   evacuation threshold (`max(1, partition * percent / 100)`), and received no object during
///   the cycle (all its objects are still the ones it had, at their addresses), is empty, with
///   one exception: the allocation partition, which is never evacuated. (Marking counts in
///   such a partition exactly the words live at the start: SATB marks what was reachable then,
///   and the objects allocated since are in partitions that received objects.)
pub fn check_cycle(ctx: &Ctx, gc: &dyn Collector, snap: &Snapshot, what: &str) {
    let Some(r) = gc.incremental_report() else {
        return;
    };
    check_eq!(
        ctx,
        r.cycles,
        snap.cycles + 1,
        "{what}: cycles finished since the snapshot"
    );
    let p = r.partition_words;
    let after = objects_of(gc);
    let parts = (after.iter().map(|o| o.0))
        .chain(snap.objects.iter().map(|o| o.addr))
        .map(|a| a / p + 1)
        .max()
        .unwrap_or(0);
    let mut freed = alloc::vec![false; parts];
    for &(first, n) in &r.freed {
        for f in freed.iter_mut().skip(first).take(n) {
            *f = true;
        }
    }
    // Per partition at the start: live small words, objects, whether any is large.
    let mut live_words = alloc::vec![0usize; parts];
    let mut held = alloc::vec![false; parts];
    let mut large = alloc::vec![false; parts];
    for o in &snap.objects {
        let i = o.addr / p;
        held[i] = true;
        large[i] |= o.size > p;
        if o.live {
            live_words[i] += o.size;
        }
    }
    let at_start = |a: Addr, id: ObjId| {
        snap.objects
            .binary_search_by_key(&a, |o| o.addr)
            .is_ok_and(|k| snap.objects[k].id == id)
    };
    let mut still_there = alloc::vec![false; parts];
    let mut received = alloc::vec![false; parts];
    for &(a, _, id) in &after {
        let i = a / p;
        if freed[i] {
            ctx.fail(format_args!(
                "{what}: object {id} at {a} in partition {i}, which the cycle freed"
            ));
        }
        still_there[i] = true;
        received[i] |= !at_start(a, id);
    }
    let mut present = alloc::vec![false; after.iter().map(|o| o.2 + 1).max().unwrap_or(0)];
    for &(_, _, id) in &after {
        present[id] = true;
    }
    for o in &snap.objects {
        if o.size > p && !o.live && present.get(o.id).copied().unwrap_or(false) {
            ctx.fail(format_args!(
                "{what}: large object {} of {} words at {}, unreachable at the cycle's start, \
                 not freed",
                o.id, o.size, o.addr
            ));
        }
    }
    let threshold = (p * r.evacuate_below_percent / 100).max(1);
    let kept: Vec<usize> = (0..parts)
        .filter(|&i| {
            held[i] && !large[i] && live_words[i] < threshold && still_there[i] && !received[i]
        })
        .collect();
    check!(
        ctx,
        kept.len() <= 1,
        "{what}: sparse partitions {kept:?} (live words below {threshold} of {p} at the \
         cycle's start, nothing allocated into them) not evacuated"
    );
}

/// The reclamation oracle of an incremental collector after cycles without mutation (`reached`
/// from the last check): the free space is at least the limit minus the live words minus
/// `bound` words per partition in use, minus two partitions, where `bound` is the largest of
/// - `p - max(1, p * percent / 100)`: a partition that was kept, not evacuated, is at least at
///   the threshold live (everything reachable is live without mutation);
/// - `s - 1`, `s` the largest object of at most `p` words: an evacuation target is left for the
///   next one only when an object does not fit;
/// - `p / 2`: a large object of `n >= 2` partitions leaves less than one partition unused;
///
/// and the two partitions are the allocation partition at the cycle's start (never evacuated,
/// perhaps all garbage) and the one at its end (perhaps nearly empty). `None` for other
/// collectors, else the bound.
pub fn check_quiet_reclaimed(
    ctx: &Ctx,
    gc: &dyn Collector,
    reached: &Reached,
    what: &str,
) -> Option<usize> {
    let r = gc.incremental_report()?;
    let p = r.partition_words;
    let words = gc.words();
    let live: usize = (reached.ids.iter())
        .filter_map(|&id| reached.addr[id])
        .map(|a| size_of_header(words[a]).unwrap_or(0))
        .sum();
    let largest_small = (objects_of(gc).iter())
        .map(|&(_, size, _)| size)
        .filter(|&size| size <= p)
        .max()
        .unwrap_or(0);
    let threshold = (p * r.evacuate_below_percent / 100).max(1);
    let bound = (p - threshold.min(p))
        .max(largest_small.saturating_sub(1))
        .max(p / 2);
    let (used, limit) = (gc.used_words(), gc.limit_words());
    let parts = used / p;
    let allowed = bound * parts + 2 * p;
    check!(
        ctx,
        limit - used >= (limit - live).saturating_sub(allowed),
        "{what}: {} of {limit} words free with {live} live in {parts} partitions of {p}: more \
         than {bound} words per partition (and two partitions) unreclaimed",
        limit - used
    );
    Some(bound)
}
