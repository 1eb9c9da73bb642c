//! The heap checker: compares a heap with its model (see the module doc of [`super`]).

use super::heap::{MVal, Model, ObjId};
use super::layout::{aux, blob_word, field_count, field_hash, field_offset, read_id, ID_HASH};
use crate::harness::check_eq;
use crate::harness::Ctx;
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
        rts::object::Kind::Blob => {
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
