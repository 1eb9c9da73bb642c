//! Mutator steps between collections (and between increments of an incremental one), as data,
//! done the way a program does them.
//!
//! A batch of mutation is a list of [`Step`]s. Across a safepoint the mutator holds only its
//! roots; within a batch it holds *registers*: objects it loaded by following pointers from a
//! root through heap fields ([`Step::Load`], every load through the read barrier,
//! [`Collector::resolve`]) and objects it allocated ([`Step::New`]). It stores a register or a
//! scalar into a field of a held object through the write barrier ([`Step::Store`],
//! [`Collector::write`]), sets roots ([`Step::Root`]; root 0 only to a new continuation table,
//! an array), and permutes the roots after the continuation table's ([`Step::Shuffle`]). A caller
//! may pin the first roots after the table (a program's stable variables): the mutator leaves
//! them alone (no walk starts there, none is set or permuted); what they reach it meets only
//! through other roots.
//!
//! [`draw_batch`] draws a random batch from the model: walks from random roots (loads), a
//! store's target drawn by kind first (so boxes, arrays, records, closures, variants and text
//! nodes all receive stores) at the deep end of a walk, moves (`t = a.f; a.f = v; b.g = t`: the
//! last field of a walk overwritten and the object it held stored elsewhere, what a snapshot
//! barrier must see), garbage temporaries allocated before every new long-lived structure (so
//! that live objects sit above garbage and sliding compaction moves them), now and then a grown
//! continuation table that replaces the old one (so that the table is not always the lowest
//! object). [`apply_steps`] applies a batch to the model and the
//! heap alike; [`mutate`] is both. The random tests and the replay of a recorded or shrunk
//! schedule go through the same [`apply_steps`].
//!
//! The model is the oracle: every load is checked against it (the loaded word is the model's
//! scalar, or a pointer that resolves to the model object, by kind and identity, at the address
//! the checker found it or it was allocated at), and every store is mirrored in it. Objects
//! unreachable at the start of a batch are never loaded, so they stay unreachable.
//!
//! Replay after shrinking: a step that no longer fits is skipped deterministically, never a
//! panic. A load stops at a root or field that does not exist or holds a scalar; a store into an
//! object not held (its load was cut) or a field that does not exist is skipped, and a stored
//! reference to an object not held becomes scalar 0; a shuffle that is not a permutation of the
//! roots after the first is skipped; root 0 is set only to an array. [`Step::Field`] (a store at
//! the address the checker found, without a load: the older scripts' form) and [`Step::Root`]
//! replace a reference to an object without an address by scalar 0.

use super::build::{random_scalar, random_shape};
use super::check::Reached;
use super::heap::{MObj, MVal, Model, ObjId};
use super::layout::{aux, field_offset, read_id, write_identity};
use crate::harness::Rng;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rts::gc::Collector;
use rts::memory::{Addr, OutOfMemory};
use rts::object::{
    addr_of, header_aux, header_kind, is_ptr, ptr, scalar, size_of_header, Kind, KINDS,
};
use rts::types::Word;

/// One mutator step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Root `root` := `value` (root 0, the continuation table's, only to an array).
    Root {
        /// Which root.
        root: usize,
        /// Its new value.
        value: MVal,
    },
    /// Field `field` of object `obj` := `value`, through the write barrier, at the address the
    /// checker found (no load needed: the form of scripts older than [`Step::Store`]).
    Field {
        /// The object (reachable when the batch starts, or new in it).
        obj: ObjId,
        /// Which of its fields.
        field: usize,
        /// The new value.
        value: MVal,
    },
    /// New objects, ids `model.objects.len()..` in order, initialised without barrier; held.
    New {
        /// The objects.
        objects: Vec<MObj>,
    },
    /// Loads root `root`, then field `path[0]` of the object loaded, field `path[1]` of that
    /// one and so on, each through the read barrier and checked against the model; every
    /// object loaded is held.
    Load {
        /// The root.
        root: usize,
        /// Model field indices.
        path: Vec<usize>,
    },
    /// Field `field` of the held object `obj` := `value` (a scalar or a held object), through
    /// the write barrier at the object's loaded address.
    Store {
        /// The object.
        obj: ObjId,
        /// Which of its fields.
        field: usize,
        /// The new value.
        value: MVal,
    },
    /// Roots after the continuation table's permuted: new root `1 + i` := old root `order[i]`.
    Shuffle {
        /// A permutation of `1..roots`.
        order: Vec<usize>,
    },
}

/// Why a mutator batch stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MutateError {
    /// An allocation failed.
    OutOfMemory(OutOfMemory),
    /// A load through the read barrier disagreed with the model.
    Load(String),
}

impl fmt::Display for MutateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutateError::OutOfMemory(e) => write!(f, "{e}"),
            MutateError::Load(e) => write!(f, "load: {e}"),
        }
    }
}

impl From<OutOfMemory> for MutateError {
    fn from(e: OutOfMemory) -> Self {
        MutateError::OutOfMemory(e)
    }
}

/// Pointer loads in a walk from a root to a store target or a new root value (fewer when it
/// meets an object without pointers); walks that fill registers take a random number up to it.
const MAX_WALK: usize = 32;
/// Walks tried to find a store target of the drawn kind.
const WALKS_PER_STORE: usize = 4;
/// Most garbage temporaries allocated before a new structure.
const MAX_GARBAGE: usize = 3;
/// Per mille of mutator operations that replace the continuation table by a new one.
const NEW_TABLE_PER_MILLE: u64 = 15;
/// Most slots of a continuation table grown by the mutator.
const MAX_TABLE_SLOTS: usize = 8;

/// Applies `ops` random steps; `reached` must be the checker's result for the current heap.
pub fn mutate(
    rng: &mut Rng,
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    ops: usize,
) -> Result<(), MutateError> {
    let steps = draw_batch(rng, model, 0, reached, ops);
    apply_steps(model, gc, roots, reached, &steps)
}

/// A random permutation of the `roots` roots after the continuation table's, the first `pinned`
/// of them left in place, as a step (`None` with fewer than two to permute).
pub fn draw_shuffle(rng: &mut Rng, roots: usize, pinned: usize) -> Option<Step> {
    let set = settable(roots, pinned);
    if set.len() < 2 {
        return None;
    }
    let mut order: Vec<usize> = (1..roots).collect();
    let part = &mut order[set.start - 1..];
    for i in (1..part.len()).rev() {
        part.swap(i, rng.index(i + 1));
    }
    Some(Step::Shuffle { order })
}

/// Of `roots` roots, the ones after the continuation table's and the first `pinned` of them.
fn settable(roots: usize, pinned: usize) -> core::ops::Range<usize> {
    (1 + pinned).min(roots)..roots
}

/// The draw's view of the model as the batch so far leaves it (without touching the model).
struct Draw<'m> {
    model: &'m Model,
    /// The first id new in the batch.
    base: usize,
    /// The objects new in the batch.
    new: Vec<MObj>,
    /// The fields of existing objects that the batch stored into.
    changed: BTreeMap<ObjId, Vec<MVal>>,
    roots: Vec<MVal>,
    /// The roots the batch may walk from and set (besides the table's).
    settable: core::ops::Range<usize>,
    /// Objects held in registers (an object may be held more than once).
    regs: Vec<ObjId>,
    steps: Vec<Step>,
}

impl Draw<'_> {
    fn obj_fields(&self, id: ObjId) -> &[MVal] {
        if id >= self.base {
            &self.new[id - self.base].fields
        } else if let Some(f) = self.changed.get(&id) {
            f
        } else {
            &self.model.objects[id].fields
        }
    }

    fn kind(&self, id: ObjId) -> Kind {
        if id >= self.base {
            self.new[id - self.base].kind
        } else {
            self.model.objects[id].kind
        }
    }

    /// Loads a random root and follows up to `steps` random pointer fields (one load step),
    /// holding every object reached; returns where they start in the registers (in walk order,
    /// none at a scalar root).
    fn walk(&mut self, rng: &mut Rng, steps: usize) -> usize {
        let start = self.regs.len();
        // The table's root or a settable one.
        let root = match rng.index(1 + self.settable.len()) {
            0 => 0,
            r => self.settable.start + r - 1,
        };
        let MVal::Ref(mut id) = self.roots[root] else {
            return start;
        };
        let mut path = Vec::new();
        self.regs.push(id);
        for _ in 0..steps {
            let fields = self.obj_fields(id);
            let refs = fields.iter().filter(|f| matches!(f, MVal::Ref(_))).count();
            if refs == 0 {
                break;
            }
            let k = rng.index(refs);
            let Some((j, t)) = (fields.iter().enumerate())
                .filter_map(|(j, f)| match *f {
                    MVal::Ref(t) => Some((j, t)),
                    MVal::Scalar(_) => None,
                })
                .nth(k)
            else {
                break;
            };
            path.push(j);
            id = t;
            self.regs.push(id);
        }
        self.steps.push(Step::Load { root, path });
        start
    }

    /// A register or (sometimes, or with no register) a scalar.
    fn pick(&self, rng: &mut Rng) -> MVal {
        if self.regs.is_empty() || rng.chance(20) {
            MVal::Scalar(random_scalar(rng))
        } else {
            MVal::Ref(self.regs[rng.index(self.regs.len())])
        }
    }

    /// Field `i` of the held object `id` := `v`.
    fn store(&mut self, id: ObjId, i: usize, v: MVal) {
        let fields = if id >= self.base {
            &mut self.new[id - self.base].fields
        } else {
            let model = self.model;
            self.changed
                .entry(id)
                .or_insert_with(|| model.objects[id].fields.clone())
        };
        fields[i] = v;
        self.steps.push(Step::Store {
            obj: id,
            field: i,
            value: v,
        });
    }

    /// Stores `v` into a random field of an object deep in a walk, of a kind drawn first: the
    /// last object of that kind in the second half of one of [`WALKS_PER_STORE`] walks, else
    /// the end of the first walk that ends at an object with fields (no store if none does).
    /// Deep objects rather than any held one, because held objects are mostly near the roots,
    /// and stores there would cut off most of the heap.
    fn store_somewhere(&mut self, rng: &mut Rng, v: MVal) {
        let kind = KINDS[rng.index(KINDS.len())];
        let mut target = None;
        for _ in 0..WALKS_PER_STORE {
            let start = self.walk(rng, MAX_WALK);
            let seen = &self.regs[start..];
            let deep = &seen[seen.len() / 2..];
            let of_kind = deep
                .iter()
                .rev()
                .find(|&&id| self.kind(id) == kind && !self.obj_fields(id).is_empty());
            if let Some(&id) = of_kind {
                target = Some(id);
                break;
            }
            if let Some(&end) = seen.last() {
                if target.is_none() && !self.obj_fields(end).is_empty() {
                    target = Some(end);
                }
            }
        }
        if let Some(id) = target {
            let i = rng.index(self.obj_fields(id).len());
            self.store(id, i, v);
        }
    }

    /// New objects (one step): their fields registers, scalars and, with `links`, earlier
    /// objects of the step; `None` for a shape drawn. Returns the first id.
    fn allocate(&mut self, rng: &mut Rng, shapes: &[Option<MObj>], links: bool) -> ObjId {
        let first = self.base + self.new.len();
        let mut objects = Vec::with_capacity(shapes.len());
        for (k, shape) in shapes.iter().enumerate() {
            let o = match shape {
                Some(o) => o.clone(),
                None => {
                    let (kind, nf, bytes) = random_shape(rng, 4);
                    let mut fields = Vec::with_capacity(nf);
                    for _ in 0..nf {
                        fields.push(if links && k > 0 && rng.chance(30) {
                            MVal::Ref(first + rng.index(k))
                        } else {
                            self.pick(rng)
                        });
                    }
                    MObj {
                        kind,
                        fields,
                        bytes,
                    }
                }
            };
            objects.push(o);
        }
        self.new.extend(objects.iter().cloned());
        self.steps.push(Step::New { objects });
        first
    }

    /// Garbage temporaries (pointing to registers, never held, so never attached).
    fn garbage(&mut self, rng: &mut Rng) {
        let n = rng.index(MAX_GARBAGE + 1);
        if n > 0 {
            self.allocate(rng, &alloc::vec![None; n], false);
        }
    }

    /// Replaces the continuation table: loads it and its entries, allocates garbage, then a
    /// copy (sometimes one slot longer) that root 0 is set to.
    fn new_table(&mut self, rng: &mut Rng) {
        let MVal::Ref(t) = self.roots[0] else {
            return;
        };
        let entries: Vec<MVal> = self.obj_fields(t).to_vec();
        self.steps.push(Step::Load {
            root: 0,
            path: Vec::new(),
        });
        self.regs.push(t);
        for (j, v) in entries.iter().enumerate() {
            if let MVal::Ref(e) = *v {
                self.steps.push(Step::Load {
                    root: 0,
                    path: alloc::vec![j],
                });
                self.regs.extend([t, e]);
            }
        }
        self.garbage(rng);
        let mut fields = entries;
        if fields.len() < MAX_TABLE_SLOTS && rng.chance(50) {
            fields.push(MVal::Scalar(0));
        }
        let table = MObj {
            kind: Kind::Array,
            fields,
            bytes: 0,
        };
        let id = self.allocate(rng, &[Some(table)], false);
        self.regs.push(id);
        self.roots[0] = MVal::Ref(id);
        self.steps.push(Step::Root {
            root: 0,
            value: MVal::Ref(id),
        });
    }
}

/// Draws `ops` random mutator operations (each a few steps) for the model as it is; roots 1 to
/// `pinned` are left alone, never walked from, set or shuffled (`reached`, the checker's result
/// for the current heap, is not needed: every object is reached by a walk from a root).
pub fn draw_batch(
    rng: &mut Rng,
    model: &Model,
    pinned: usize,
    _reached: &Reached,
    ops: usize,
) -> Vec<Step> {
    let mut d = Draw {
        model,
        base: model.objects.len(),
        new: Vec::new(),
        changed: BTreeMap::new(),
        roots: model.roots.clone(),
        settable: settable(model.roots.len(), pinned),
        regs: Vec::new(),
        steps: Vec::new(),
    };
    if d.roots.is_empty() {
        return Vec::new();
    }
    for _ in 0..ops {
        if d.regs.is_empty() || rng.chance(60) {
            let steps = rng.index(MAX_WALK + 1);
            d.walk(rng, steps);
        }
        if rng.below(1000) < NEW_TABLE_PER_MILLE {
            d.new_table(rng);
            continue;
        }
        match rng.below(10) {
            // Replace a root (never the continuation table's) with a scalar or the end of a
            // walk (a deep object, as a program descends into its data; the roots' own objects
            // would cut off most of the heap).
            0..=1 if !d.settable.is_empty() => {
                let i = d.settable.start + rng.index(d.settable.len());
                let end = if rng.chance(20) {
                    None
                } else {
                    let start = d.walk(rng, MAX_WALK);
                    d.regs[start..].last().copied()
                };
                let value = end.map_or_else(|| MVal::Scalar(random_scalar(rng)), MVal::Ref);
                d.roots[i] = value;
                d.steps.push(Step::Root { root: i, value });
            }
            // Garbage temporaries first, then a new structure, held, whose last object is
            // attached to a root or a field.
            2..=4 => {
                d.garbage(rng);
                let count = 1 + rng.index(4);
                let first = d.allocate(rng, &alloc::vec![None; count], true);
                d.regs.extend(first..first + count);
                let top = MVal::Ref(first + count - 1);
                if rng.chance(30) && !d.settable.is_empty() {
                    let i = d.settable.start + rng.index(d.settable.len());
                    d.roots[i] = top;
                    d.steps.push(Step::Root {
                        root: i,
                        value: top,
                    });
                } else {
                    d.store_somewhere(rng, top);
                }
            }
            // Move an object: a walk's last field overwritten, the object it held (still in a
            // register) stored elsewhere, as `t = a.f; a.f = v; b.g = t` (the pattern a
            // snapshot barrier exists for).
            5 => {
                let start = d.walk(rng, MAX_WALK);
                let path_end = match d.steps.last() {
                    Some(Step::Load { path, .. }) => path.last().copied(),
                    _ => None,
                };
                let n = d.regs.len() - start;
                if let (Some(j), true) = (path_end, n >= 2) {
                    let (a, x) = (d.regs[d.regs.len() - 2], d.regs[d.regs.len() - 1]);
                    let v = d.pick(rng);
                    d.store(a, j, v);
                    d.store_somewhere(rng, MVal::Ref(x));
                }
            }
            // Rewire a field of a deep object (the continuation table's slots included).
            _ => {
                let v = d.pick(rng);
                d.store_somewhere(rng, v);
            }
        }
    }
    d.steps
}

/// Where the objects with an address are: reachable at the batch start (where the checker found
/// them) or new in the batch.
struct Addrs<'a> {
    reached: &'a [Option<Addr>],
    /// The first id new in the batch.
    base: usize,
    /// The addresses of the new objects, from `base` on.
    new: Vec<Addr>,
}

impl Addrs<'_> {
    fn get(&self, id: ObjId) -> Option<Addr> {
        if id >= self.base {
            self.new.get(id - self.base).copied()
        } else {
            self.reached.get(id).copied().flatten()
        }
    }
}

/// The applying mutator's state within one batch.
struct Apply<'a> {
    model: &'a mut Model,
    gc: &'a mut dyn Collector,
    roots: &'a mut [Word],
    /// The address of every object that has one: reachable at the batch start (where the
    /// checker found it) or new.
    addrs: Addrs<'a>,
    /// The address of every held object, as loaded (or allocated).
    regs: BTreeMap<ObjId, Addr>,
    /// Whether loads go through the read barrier (always, but for a planted fault).
    read_barrier: bool,
}

impl Apply<'_> {
    /// Checks the word `w` loaded from `from` against the model's value `expect`; returns the
    /// object loaded (now held), `None` for a scalar.
    fn load_value(
        &mut self,
        expect: MVal,
        w: Word,
        from: &dyn Fn() -> String,
    ) -> Result<Option<ObjId>, MutateError> {
        let id = match expect {
            MVal::Scalar(s) if w == scalar(s) => return Ok(None),
            MVal::Scalar(s) => {
                return Err(MutateError::Load(format!(
                    "{}: scalar {s} expected, {w:#x} loaded",
                    from()
                )))
            }
            MVal::Ref(id) => id,
        };
        let r = if self.read_barrier {
            self.gc.resolve(w)
        } else {
            w
        };
        if !is_ptr(r) {
            return Err(MutateError::Load(format!(
                "{}: object {id} expected, scalar {r:#x} loaded",
                from()
            )));
        }
        let a = addr_of(r);
        let words = self.gc.words();
        let kind = self.model.objects[id].kind;
        let h = words.get(a).copied();
        let size = h.and_then(size_of_header).unwrap_or(0);
        if h.and_then(header_kind) != Some(kind)
            || a + size > words.len()
            || read_id(words, a, kind) != id
        {
            return Err(MutateError::Load(format!(
                "{}: object {id} ({kind:?}) expected at {a} (pointer {w:#x}), found header {h:#x?}",
                from()
            )));
        }
        if let Some(want) = self.addrs.get(id).filter(|&b| b != a) {
            return Err(MutateError::Load(format!(
                "{}: object {id} loaded at {a} (pointer {w:#x}), the checker found it at {want}",
                from()
            )));
        }
        self.regs.insert(id, a);
        Ok(Some(id))
    }

    fn load(&mut self, root: usize, path: &[usize]) -> Result<(), MutateError> {
        let (Some(&w), Some(&expect)) = (self.roots.get(root), self.model.roots.get(root)) else {
            return Ok(());
        };
        let mut cur = self.load_value(expect, w, &|| format!("root {root}"))?;
        for &j in path {
            let Some(id) = cur else {
                break;
            };
            let o = &self.model.objects[id];
            let Some(&expect) = o.fields.get(j) else {
                break;
            };
            let a = self.regs[&id];
            let words = self.gc.words();
            let w = words[a + field_offset(o.kind, header_aux(words[a]), j)];
            cur = self.load_value(expect, w, &|| {
                format!("object {id} at {a}, field {j} (root {root}, path {path:?})")
            })?;
        }
        Ok(())
    }

    /// Field `i` of object `id` at `a` := `v` (a scalar or an object at `target`), in the model
    /// and through the write barrier.
    fn write(&mut self, id: ObjId, a: Addr, i: usize, v: MVal, target: Addr) {
        let kind = self.model.objects[id].kind;
        let off = field_offset(kind, header_aux(self.gc.words()[a]), i);
        self.model.objects[id].fields[i] = v;
        let w = match v {
            MVal::Scalar(s) => scalar(s),
            MVal::Ref(_) => ptr(target),
        };
        self.gc.write(a, off, w);
    }
}

/// Applies `steps` to the model and the heap; `reached` must be the checker's result for the
/// current heap. Steps that no longer fit are skipped (see the module doc).
pub fn apply_steps(
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    steps: &[Step],
) -> Result<(), MutateError> {
    apply_steps_with(model, gc, roots, reached, steps, true)
}

/// [`apply_steps`], its loads through the read barrier only if `read_barrier` (false only for a
/// planted fault: a mutator whose loads skip the barrier).
pub fn apply_steps_with(
    model: &mut Model,
    gc: &mut dyn Collector,
    roots: &mut [Word],
    reached: &Reached,
    steps: &[Step],
    read_barrier: bool,
) -> Result<(), MutateError> {
    let addrs = Addrs {
        reached: &reached.addr,
        base: model.objects.len(),
        new: Vec::new(),
    };
    let regs = BTreeMap::new();
    let mut m = Apply {
        model,
        gc,
        roots,
        addrs,
        regs,
        read_barrier,
    };
    // A value that may be stored: a scalar, or a reference to an object with an address.
    let fit = |v: MVal, addrs: &Addrs| match v {
        MVal::Ref(id) if addrs.get(id).is_none() => MVal::Scalar(0),
        v => v,
    };
    let word = |v: MVal, addrs: &Addrs| match v {
        MVal::Ref(id) => ptr(addrs.get(id).unwrap_or_default()),
        MVal::Scalar(s) => scalar(s),
    };
    for step in steps {
        match step {
            Step::Root { root, value } => {
                let v = fit(*value, &m.addrs);
                let table = matches!(v, MVal::Ref(id) if m.model.objects[id].kind == Kind::Array);
                if *root < m.roots.len() && (*root > 0 || table) {
                    m.model.roots[*root] = v;
                    m.roots[*root] = word(v, &m.addrs);
                }
            }
            Step::Field { obj, field, value } => {
                if let Some(a) = m.addrs.get(*obj) {
                    if *field < m.model.objects[*obj].fields.len() {
                        let v = fit(*value, &m.addrs);
                        let target = match v {
                            MVal::Ref(t) => m.addrs.get(t).unwrap_or_default(),
                            MVal::Scalar(_) => 0,
                        };
                        m.write(*obj, a, *field, v, target);
                    }
                }
            }
            Step::Store { obj, field, value } => {
                if let Some(&a) = m.regs.get(obj) {
                    if *field < m.model.objects[*obj].fields.len() {
                        // A reference to an object not held becomes scalar 0.
                        let (v, target) = match *value {
                            MVal::Ref(t) => match m.regs.get(&t) {
                                Some(&b) => (MVal::Ref(t), b),
                                None => (MVal::Scalar(0), 0),
                            },
                            v => (v, 0),
                        };
                        m.write(*obj, a, *field, v, target);
                    }
                }
            }
            Step::Load { root, path } => m.load(*root, path)?,
            Step::Shuffle { order } => {
                let n = m.roots.len();
                let mut seen = alloc::vec![false; n];
                let valid = n >= 1
                    && order.len() == n - 1
                    && order
                        .iter()
                        .all(|&r| (1..n).contains(&r) && !core::mem::replace(&mut seen[r], true));
                if valid {
                    let (old_m, old_w): (Vec<MVal>, Vec<Word>) = order
                        .iter()
                        .map(|&r| (m.model.roots[r], m.roots[r]))
                        .unzip();
                    m.model.roots[1..].copy_from_slice(&old_m);
                    m.roots[1..].copy_from_slice(&old_w);
                }
            }
            Step::New { objects } => {
                let first = m.model.objects.len();
                let end = first + objects.len();
                for o in objects {
                    let mut o = o.clone();
                    for f in &mut o.fields {
                        // References among the new objects stay; others must have an address.
                        if !matches!(*f, MVal::Ref(id) if (first..end).contains(&id)) {
                            *f = fit(*f, &m.addrs);
                        }
                    }
                    m.model.objects.push(o);
                }
                for id in first..end {
                    let o = &m.model.objects[id];
                    let a = m.gc.alloc(o.kind, aux(id, o))?;
                    m.addrs.new.push(a);
                    m.regs.insert(id, a);
                }
                for id in first..end {
                    let o = &m.model.objects[id];
                    let a = m.regs[&id];
                    write_identity(id, o, a, &mut |at, w| m.gc.init_word(a, at - a, w));
                    let ax = aux(id, o);
                    for (i, &f) in o.fields.iter().enumerate() {
                        m.gc.init_word(a, field_offset(o.kind, ax, i), word(f, &m.addrs));
                    }
                }
            }
        }
    }
    Ok(())
}
