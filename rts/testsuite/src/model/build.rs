//! Random models and building a model's heap with a collector.
//!
//! [`random_model`] draws `objects` objects of random kinds whose references total at most
//! `max_edges`; a reference goes to a uniformly random object, a near neighbour (long chains and
//! backward pointers) or the object itself. Root 0 is the continuation table.

use super::heap::{MObj, MVal, Model, ObjId, CONT_TABLE};
use super::layout::{aux, field_offset, fixed_fields, write_identity};
use crate::harness::Rng;
use alloc::vec::Vec;
use rts::gc::Collector;
use rts::memory::{Addr, OutOfMemory};
use rts::object::{ptr, scalar, Kind, KINDS};
use rts::types::{Word, WORD_SIZE};

/// Shape of a random heap.
#[derive(Clone, Copy, Debug)]
pub struct HeapParams {
    /// Objects, the continuation table included (at least 1).
    pub objects: usize,
    /// Most references in all fields together.
    pub max_edges: usize,
    /// Roots besides the continuation table.
    pub roots: usize,
    /// Most fields of an array, record or closure.
    pub max_fields: usize,
    /// Slots of the continuation table.
    pub cont_slots: usize,
    /// Percent of references that go to a near neighbour.
    pub near_percent: u64,
}

impl HeapParams {
    /// A random shape with `objects` objects and fewer than `roots_below` extra roots (at most
    /// three references per object, up to eight fields, up to five continuation slots).
    pub fn random(rng: &mut Rng, objects: usize, roots_below: usize) -> Self {
        HeapParams {
            objects,
            max_edges: objects * (1 + rng.index(3)),
            roots: rng.index(roots_below),
            max_fields: 1 + rng.index(8),
            cont_slots: rng.index(6),
            near_percent: rng.below(60),
        }
    }
}

/// A random scalar that any target can hold.
pub fn random_scalar(rng: &mut Rng) -> usize {
    rng.below(1 << 30) as usize
}

/// Draws a kind and a field count for a new object.
pub fn random_shape(rng: &mut Rng, max_fields: usize) -> (Kind, usize, usize) {
    let kind = KINDS[rng.index(KINDS.len())];
    let n = fixed_fields(kind).unwrap_or_else(|| rng.index(max_fields + 1));
    let bytes = match kind {
        Kind::Blob => WORD_SIZE + rng.index(40),
        // Whole limbs.
        Kind::BigInt => WORD_SIZE + 4 * rng.index(10),
        _ => 0,
    };
    (kind, n, bytes)
}

/// A random model.
pub fn random_model(rng: &mut Rng, p: &HeapParams) -> Model {
    let n = p.objects.max(1);
    let mut edges = p.max_edges;
    let mut objects = Vec::with_capacity(n);
    for id in 0..n {
        let (kind, nf, bytes) = if id == CONT_TABLE {
            (Kind::Array, p.cont_slots, 0)
        } else {
            random_shape(rng, p.max_fields)
        };
        let mut fields = Vec::with_capacity(nf);
        for _ in 0..nf {
            if edges > 0 && rng.chance(75) {
                edges -= 1;
                let t = if rng.chance(p.near_percent) {
                    let d = 1 + rng.index(3);
                    if rng.chance(70) {
                        (id + d) % n
                    } else {
                        (id + n - d % n) % n
                    }
                } else if rng.chance(3) {
                    id
                } else {
                    rng.index(n)
                };
                fields.push(MVal::Ref(t));
            } else {
                fields.push(MVal::Scalar(random_scalar(rng)));
            }
        }
        objects.push(MObj {
            kind,
            fields,
            bytes,
        });
    }
    let mut roots = alloc::vec![MVal::Ref(CONT_TABLE)];
    for _ in 0..p.roots {
        roots.push(if rng.chance(85) {
            MVal::Ref(rng.index(n))
        } else {
            MVal::Scalar(random_scalar(rng))
        });
    }
    Model { objects, roots }
}

/// The heap word for a model value, given the heap address of every object.
pub fn value_word(v: MVal, addrs: &[Addr]) -> Word {
    match v {
        MVal::Scalar(s) => scalar(s),
        MVal::Ref(id) => ptr(addrs[id]),
    }
}

/// Allocates model objects `ids` (fresh, so initialised without barrier), with `addrs` holding
/// the address of every object they may refer to (entries of `ids` are filled in).
pub fn alloc_objects(
    model: &Model,
    ids: &[ObjId],
    addrs: &mut [Addr],
    gc: &mut dyn Collector,
) -> Result<(), OutOfMemory> {
    for &id in ids {
        let o = &model.objects[id];
        addrs[id] = gc.alloc(o.kind, aux(id, o))?;
    }
    for &id in ids {
        let o = &model.objects[id];
        let a = addrs[id];
        write_identity(id, o, a, &mut |at, w| gc.init_word(a, at - a, w));
        let ax = aux(id, o);
        for (i, &f) in o.fields.iter().enumerate() {
            gc.init_word(a, field_offset(o.kind, ax, i), value_word(f, addrs));
        }
    }
    Ok(())
}

/// Builds every object of `model` (reachable or not) in `gc`, in id order; returns the roots.
pub fn build_heap(model: &Model, gc: &mut dyn Collector) -> Result<Vec<Word>, OutOfMemory> {
    let mut addrs = alloc::vec![0; model.objects.len()];
    let ids: Vec<ObjId> = (0..model.objects.len()).collect();
    alloc_objects(model, &ids, &mut addrs, gc)?;
    Ok(model.roots.iter().map(|&r| value_word(r, &addrs)).collect())
}

/// A random model and its heap in `gc`.
pub fn build_random_heap(
    rng: &mut Rng,
    p: &HeapParams,
    gc: &mut dyn Collector,
) -> Result<(Model, Vec<Word>), OutOfMemory> {
    let model = random_model(rng, p);
    let roots = build_heap(&model, gc)?;
    Ok((model, roots))
}
