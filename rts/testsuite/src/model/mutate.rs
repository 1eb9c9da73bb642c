//! Random mutator steps between collections (and between increments of an incremental one).
//!
//! Every step keeps the model and the heap in sync: a dropped root becomes a scalar in both; a
//! new object refers only to reachable or new objects and is attached to a root, a field or the
//! continuation table; a rewired field is stored through [`Collector::write`], so collectors with
//! a write barrier see it. Unreachable model objects therefore stay unreachable.

use super::build::{alloc_objects, random_scalar, random_shape, value_word};
use super::check::Reached;
use super::heap::{MObj, MVal, Model, ObjId, CONT_TABLE};
use super::layout::field_offset;
use crate::harness::Rng;
use alloc::vec::Vec;
use rts::gc::Collector;
use rts::memory::{Addr, OutOfMemory};
use rts::object::header_aux;
use rts::types::Word;

/// Applies `ops` random steps; `reached` must be the checker's result for the current heap.
pub fn mutate(
    rng: &mut Rng,
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    ops: usize,
) -> Result<(), OutOfMemory> {
    let mut addrs: Vec<Addr> = reached
        .addr
        .iter()
        .map(|a| a.unwrap_or(usize::MAX))
        .collect();
    let mut live: Vec<ObjId> = reached.ids.clone();
    for _ in 0..ops {
        let pick = |rng: &mut Rng, live: &[ObjId]| -> MVal {
            if live.is_empty() || rng.chance(20) {
                MVal::Scalar(random_scalar(rng))
            } else {
                MVal::Ref(live[rng.index(live.len())])
            }
        };
        match rng.below(10) {
            // Drop or replace a root (never the continuation table's).
            0..=1 if roots.len() > 1 => {
                let i = 1 + rng.index(roots.len() - 1);
                let v = pick(rng, &live);
                model.roots[i] = v;
                roots[i] = value_word(v, &addrs);
            }
            // A few new objects, attached to a root, a field or the continuation table.
            2..=4 => {
                let count = 1 + rng.index(4);
                let first = model.objects.len();
                for k in 0..count {
                    let (kind, nf, bytes) = random_shape(rng, 4);
                    let mut fields = Vec::with_capacity(nf);
                    for _ in 0..nf {
                        // Links among the new objects too, so new structures have depth.
                        fields.push(if k > 0 && rng.chance(30) {
                            MVal::Ref(first + rng.index(k))
                        } else {
                            pick(rng, &live)
                        });
                    }
                    model.objects.push(MObj {
                        kind,
                        fields,
                        bytes,
                    });
                }
                let ids: Vec<ObjId> = (first..first + count).collect();
                addrs.resize(model.objects.len(), usize::MAX);
                alloc_objects(model, &ids, &mut addrs, gc)?;
                let top = MVal::Ref(first + count - 1);
                if rng.chance(30) && roots.len() > 1 {
                    let i = 1 + rng.index(roots.len() - 1);
                    model.roots[i] = top;
                    roots[i] = value_word(top, &addrs);
                } else if !store_random_field(rng, model, gc, &addrs, &live, top) {
                    continue;
                }
                // Everything new is now reachable through `top`'s chain or not at all; only
                // `top` is certainly reachable.
                live.push(first + count - 1);
                for id in first..first + count - 1 {
                    if model.objects[first + count - 1]
                        .fields
                        .contains(&MVal::Ref(id))
                    {
                        live.push(id);
                    }
                }
            }
            // Rewire a field of a reachable object, or set a continuation slot.
            _ => {
                let v = pick(rng, &live);
                if rng.chance(20) {
                    let slots = model.objects.get(CONT_TABLE).map_or(0, |o| o.fields.len());
                    if slots > 0 && addrs[CONT_TABLE] != usize::MAX {
                        write_field(model, gc, &addrs, CONT_TABLE, rng.index(slots), v);
                    }
                } else {
                    store_random_field(rng, model, gc, &addrs, &live, v);
                }
            }
        }
        // Objects that may have become unreachable stay in `live`: their addresses stay valid
        // (no collection runs during a batch) and referring to them re-attaches them.
    }
    Ok(())
}

/// Stores `v` into a random field of a random reachable object; false if none has fields.
fn store_random_field(
    rng: &mut Rng,
    model: &mut Model,
    gc: &mut dyn Collector,
    addrs: &[Addr],
    live: &[ObjId],
    v: MVal,
) -> bool {
    for _ in 0..8 {
        if live.is_empty() {
            return false;
        }
        let id = live[rng.index(live.len())];
        let n = model.objects[id].fields.len();
        if n > 0 {
            write_field(model, gc, addrs, id, rng.index(n), v);
            return true;
        }
    }
    false
}

/// Field `i` of object `id` := `v`, in the model and (through the barrier) in the heap.
fn write_field(
    model: &mut Model,
    gc: &mut dyn Collector,
    addrs: &[Addr],
    id: ObjId,
    i: usize,
    v: MVal,
) {
    let a = addrs[id];
    let kind = model.objects[id].kind;
    let off = field_offset(kind, header_aux(gc.words()[a]), i);
    model.objects[id].fields[i] = v;
    gc.write(a, off, value_word(v, addrs));
}
