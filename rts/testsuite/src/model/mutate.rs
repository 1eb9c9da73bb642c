//! Mutator steps between collections (and between increments of an incremental one), as data.
//!
//! A batch of mutation is a list of [`Step`]s: a root set, a field stored through the write
//! barrier, or new objects allocated (ids from the model's current length on). [`draw_batch`]
//! draws a random batch from the model and the checker's reachable set; [`apply_steps`] applies a
//! batch to the model and the heap alike; [`mutate`] is both. The random tests and the replay of
//! a recorded or shrunk schedule go through the same [`apply_steps`].
//!
//! Every applied step keeps the model and the heap in sync: a dropped root becomes a scalar in
//! both; a new object refers only to reachable or new objects; a field is stored through
//! [`Collector::write`], so collectors with a write barrier see it. Unreachable model objects
//! therefore stay unreachable. A replayed step that no longer fits the heap (its object is not
//! reachable, its field or root does not exist) is skipped, and a reference to an object without
//! an address is replaced by scalar 0; a drawn batch never needs either.

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

/// One mutator step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Root `root` (never 0, the continuation table's) := `value`.
    Root {
        /// Which root.
        root: usize,
        /// Its new value.
        value: MVal,
    },
    /// Field `field` of object `obj` := `value`, through the write barrier.
    Field {
        /// The object (reachable when the batch starts, or new in it).
        obj: ObjId,
        /// Which of its fields.
        field: usize,
        /// The new value.
        value: MVal,
    },
    /// New objects, ids `model.objects.len()..` in order, initialised without barrier.
    New {
        /// The objects.
        objects: Vec<MObj>,
    },
}

/// Applies `ops` random steps; `reached` must be the checker's result for the current heap.
pub fn mutate(
    rng: &mut Rng,
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    ops: usize,
) -> Result<(), OutOfMemory> {
    let steps = draw_batch(rng, model, roots.len(), reached, ops);
    apply_steps(model, gc, roots, reached, &steps)
}

/// Draws `ops` random mutator operations (each one or two steps) for the model as it is, with
/// `roots` roots; `reached` is the checker's result for the current heap.
pub fn draw_batch(
    rng: &mut Rng,
    model: &Model,
    roots: usize,
    reached: &Reached,
    ops: usize,
) -> Vec<Step> {
    let base = model.objects.len();
    // Field counts of the objects new in this batch (ids `base..`).
    let mut new_fields: Vec<usize> = Vec::new();
    let mut live: Vec<ObjId> = reached.ids.clone();
    let mut steps = Vec::new();
    let pick = |rng: &mut Rng, live: &[ObjId]| -> MVal {
        if live.is_empty() || rng.chance(20) {
            MVal::Scalar(random_scalar(rng))
        } else {
            MVal::Ref(live[rng.index(live.len())])
        }
    };
    for _ in 0..ops {
        let fields_of = |id: ObjId, new_fields: &[usize]| {
            if id < base {
                model.objects[id].fields.len()
            } else {
                new_fields[id - base]
            }
        };
        match rng.below(10) {
            // Drop or replace a root (never the continuation table's).
            0..=1 if roots > 1 => {
                let root = 1 + rng.index(roots - 1);
                let value = pick(rng, &live);
                steps.push(Step::Root { root, value });
            }
            // A few new objects, attached to a root, a field or the continuation table.
            2..=4 => {
                let count = 1 + rng.index(4);
                let first = base + new_fields.len();
                let mut objects = Vec::with_capacity(count);
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
                    objects.push(MObj {
                        kind,
                        fields,
                        bytes,
                    });
                }
                new_fields.extend(objects.iter().map(|o| o.fields.len()));
                let top_id = first + count - 1;
                let top_refs: Vec<ObjId> = (first..top_id)
                    .filter(|&id| objects[count - 1].fields.contains(&MVal::Ref(id)))
                    .collect();
                steps.push(Step::New { objects });
                let top = MVal::Ref(top_id);
                if rng.chance(30) && roots > 1 {
                    let root = 1 + rng.index(roots - 1);
                    steps.push(Step::Root { root, value: top });
                } else if let Some((obj, field)) =
                    random_field(rng, &live, |id| fields_of(id, &new_fields))
                {
                    steps.push(Step::Field {
                        obj,
                        field,
                        value: top,
                    });
                } else {
                    continue;
                }
                // Everything new is now reachable through `top`'s chain or not at all; only
                // `top` is certainly reachable.
                live.push(top_id);
                live.extend(top_refs);
            }
            // Rewire a field of a reachable object, or set a continuation slot.
            _ => {
                let value = pick(rng, &live);
                if rng.chance(20) {
                    let slots = model.objects.get(CONT_TABLE).map_or(0, |o| o.fields.len());
                    if slots > 0 && reached.addr.get(CONT_TABLE).is_some_and(|a| a.is_some()) {
                        let field = rng.index(slots);
                        steps.push(Step::Field {
                            obj: CONT_TABLE,
                            field,
                            value,
                        });
                    }
                } else if let Some((obj, field)) =
                    random_field(rng, &live, |id| fields_of(id, &new_fields))
                {
                    steps.push(Step::Field { obj, field, value });
                }
            }
        }
        // Objects that may have become unreachable stay in `live`: their addresses stay valid
        // (no collection runs during a batch) and referring to them re-attaches them.
    }
    steps
}

/// A random field of a random object of `live` (eight tries); `None` if none had fields.
fn random_field(
    rng: &mut Rng,
    live: &[ObjId],
    fields_of: impl Fn(ObjId) -> usize,
) -> Option<(ObjId, usize)> {
    for _ in 0..8 {
        if live.is_empty() {
            return None;
        }
        let id = live[rng.index(live.len())];
        let n = fields_of(id);
        if n > 0 {
            return Some((id, rng.index(n)));
        }
    }
    None
}

/// Applies `steps` to the model and the heap; `reached` must be the checker's result for the
/// current heap. Steps that no longer fit are skipped (see the module doc).
pub fn apply_steps(
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    steps: &[Step],
) -> Result<(), OutOfMemory> {
    let mut addrs: Vec<Addr> = reached
        .addr
        .iter()
        .map(|a| a.unwrap_or(usize::MAX))
        .collect();
    addrs.resize(model.objects.len(), usize::MAX);
    // A value that may be stored: a scalar, or a reference to an object with an address.
    let fit = |v: MVal, addrs: &[Addr]| match v {
        MVal::Ref(id) if addrs.get(id).is_none_or(|&a| a == usize::MAX) => MVal::Scalar(0),
        v => v,
    };
    for step in steps {
        match step {
            Step::Root { root, value } => {
                if (1..roots.len()).contains(root) {
                    let v = fit(*value, &addrs);
                    model.roots[*root] = v;
                    roots[*root] = value_word(v, &addrs);
                }
            }
            Step::Field { obj, field, value } => {
                let has = addrs.get(*obj).is_some_and(|&a| a != usize::MAX);
                if has && *field < model.objects[*obj].fields.len() {
                    let v = fit(*value, &addrs);
                    write_field(model, gc, &addrs, *obj, *field, v);
                }
            }
            Step::New { objects } => {
                let first = model.objects.len();
                let end = first + objects.len();
                for o in objects {
                    let mut o = o.clone();
                    for f in &mut o.fields {
                        // References among the new objects stay; others must have an address.
                        if !matches!(*f, MVal::Ref(id) if (first..end).contains(&id)) {
                            *f = fit(*f, &addrs);
                        }
                    }
                    model.objects.push(o);
                }
                addrs.resize(end, usize::MAX);
                let ids: Vec<ObjId> = (first..end).collect();
                alloc_objects(model, &ids, &mut addrs, gc)?;
            }
        }
    }
    Ok(())
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
