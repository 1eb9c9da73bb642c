//! Persistence of random heaps: random model graphs of up to 10,000 objects ([`GRAPHS_PER_SIZE`] per size) (sharing, cycles,
//! self-references, every kind) are built, saved to stable memory, the heap is dropped, and the
//! stream is loaded into a fresh heap, which the model checker then compares with the model
//! exactly (every reachable object once, nothing else). Saving the loaded heap again must give
//! the same bytes. Also: graphs saved from a collector's heap after collections and mutation,
//! and hand-built corner cases (no roots, scalar roots, shared roots, self-loops, a long chain).
//!
//! [`BumpHeap`] is the heap that no collector owns: a bump allocator behind the `Collector`
//! interface (no collection), so the model's builder and checker work on it.

use crate::harness::{Ctx, Rng};
use crate::model::{self, HeapParams, Model};
use crate::{check, check_eq};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use rts::gc::{Collector, Constraints, Progress};
use rts::memory::{Addr, BumpAllocator, Memory, OutOfMemory, VecMemory};
use rts::object::{self, Kind};
use rts::persistence;
use rts::stable_mem::StableMemory;
use rts::types::Word;

/// The sub-tests, in order.
pub const SUBTESTS: &[&str] = &["random_graphs", "corner_cases", "from_collector"];

/// Runs the module.
pub fn run(ctx: &Ctx) {
    ctx.sub("random_graphs", random_graphs);
    ctx.sub("corner_cases", corner_cases);
    ctx.sub("from_collector", from_collector);
}

/// A bump-allocated heap behind the [`Collector`] interface; it never collects.
pub struct BumpHeap {
    /// The allocator and its memory.
    pub heap: BumpAllocator<VecMemory>,
}

impl Default for BumpHeap {
    fn default() -> Self {
        Self::new()
    }
}

impl BumpHeap {
    /// An empty heap.
    pub fn new() -> Self {
        BumpHeap {
            heap: BumpAllocator::new(VecMemory::unlimited()),
        }
    }

    /// The object start addresses, walking headers from 0 to the heap pointer.
    pub fn object_starts(&self) -> Result<Vec<Addr>, String> {
        let words = &self.heap.memory().words()[..self.heap.hp()];
        let mut starts = Vec::new();
        let mut a = 0;
        while a < words.len() {
            let size = object::size_of_header(words[a])
                .filter(|_| object::header_kind(words[a]).is_some())
                .ok_or_else(|| format!("no object header at {a}: {:#x}", words[a]))?;
            if a + size > words.len() {
                return Err(format!(
                    "object at {a} of {size} words runs past hp {}",
                    words.len()
                ));
            }
            starts.push(a);
            a += size;
        }
        Ok(starts)
    }
}

impl Collector for BumpHeap {
    fn constraints(&self) -> Constraints {
        Constraints {
            name: "bump (no collection)",
            moves_objects: false,
            incremental: false,
            needs_write_barrier: false,
            frees_all_garbage: false,
        }
    }

    fn words(&self) -> &[Word] {
        self.heap.memory().words()
    }

    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        let a = self.heap.alloc(kind.size(aux))?;
        object::init_object(self.heap.memory_mut().words_mut(), a, kind, aux);
        Ok(a)
    }

    fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        self.heap.memory_mut().words_mut()[obj + offset] = value;
    }

    fn write(&mut self, obj: Addr, offset: usize, value: Word) {
        self.init_word(obj, offset, value);
    }

    fn collect_increment(&mut self, _roots: &mut [Word]) -> Progress {
        Progress::Done
    }

    fn should_collect(&self) -> bool {
        false
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        for a in self.object_starts().unwrap_or_default() {
            f(a);
        }
    }

    /// Headers walk from 0 to hp, and every root and field is a scalar or points at a header.
    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        let starts = self.object_starts()?;
        let mut is_start = vec![false; self.heap.hp()];
        for &a in &starts {
            is_start[a] = true;
        }
        let words = self.words();
        let ok = |v: Word| {
            !object::is_ptr(v) || is_start.get(object::addr_of(v)).copied().unwrap_or(false)
        };
        for (i, &r) in roots.iter().enumerate() {
            if !ok(r) {
                return Err(format!("root {i} = {r:#x} points at no object"));
            }
        }
        for &a in &starts {
            let (lo, hi) = object::fields_of_header(words[a]);
            for f in lo..hi {
                if !ok(words[a + f]) {
                    return Err(format!(
                        "field {f} of object at {a} = {:#x} points at no object",
                        words[a + f]
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Saves `roots` of `words` to a fresh stable memory; returns it.
pub fn save(ctx: &Ctx, words: &[Word], roots: &[Word], what: &str) -> StableMemory {
    let mut stable = StableMemory::new(1 << 16);
    persistence::save(&mut stable, words, roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: save: {e:?}")));
    stable
}

/// Loads the stream in `stable` into a fresh heap; returns the heap and the roots.
pub fn load(ctx: &Ctx, stable: &StableMemory, what: &str) -> (BumpHeap, Vec<Word>) {
    let mut fresh = BumpHeap::new();
    let roots = persistence::load(stable, &mut fresh.heap)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: load: {e:?}")));
    (fresh, roots)
}

/// Saves, drops, loads and checks a heap built from `m`; returns the stream length.
pub fn persist_and_check(
    ctx: &Ctx,
    m: &Model,
    words: &[Word],
    roots: &[Word],
    what: &str,
) -> usize {
    let stable = save(ctx, words, roots, what);
    let first = persistence::serialize(words, roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: {e:?}")));
    let (fresh, new_roots) = load(ctx, &stable, what);
    drop(stable);
    model::check(
        ctx,
        m,
        &fresh,
        &new_roots,
        true,
        &format!("{what}, after loading"),
    );
    check_eq!(
        ctx,
        fresh.object_starts().map(|s| s.len()),
        Ok(m.reachable().len()),
        "{what}: objects in the new heap"
    );
    let again = persistence::serialize(fresh.words(), &new_roots)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: {e:?}")));
    check!(
        ctx,
        again == first,
        "{what}: saving the loaded heap gave a different stream ({} vs {} bytes)",
        again.len(),
        first.len()
    );
    first.len()
}

/// Builds `m` in a fresh [`BumpHeap`].
pub fn build(ctx: &Ctx, m: &Model, what: &str) -> (BumpHeap, Vec<Word>) {
    let mut heap = BumpHeap::new();
    let roots = model::build_heap(m, &mut heap)
        .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
    (heap, roots)
}

/// Random graph parameters with `objects` objects.
pub fn params(rng: &mut Rng, objects: usize) -> HeapParams {
    HeapParams {
        objects,
        max_edges: objects * (1 + rng.index(3)),
        roots: rng.index(12),
        max_fields: 1 + rng.index(8),
        cont_slots: rng.index(6),
        near_percent: rng.below(60),
    }
}

/// Random graphs of each size in `random_graphs`.
pub const GRAPHS_PER_SIZE: usize = 320;

/// Collector heaps in `from_collector`.
pub const COLLECTOR_HEAPS: u64 = 160;

fn random_graphs(ctx: &Ctx) {
    // Sizes from tiny to 10,000 objects; a fixed list so the run time does not depend on the seed.
    let sizes = [4usize, 5, 7, 10, 50, 200, 1_000, 3_000, 10_000];
    for k in 0..GRAPHS_PER_SIZE * sizes.len() {
        let n = sizes[k % sizes.len()];
        let mut rng = ctx.rng(&[1, k as u64]);
        let p = params(&mut rng, n);
        let m = model::random_model(&mut rng, &p);
        let what = format!("graph {k} ({p:?})");
        let (heap, roots) = build(ctx, &m, &what);
        persist_and_check(ctx, &m, heap.words(), &roots, &what);
    }
}

fn corner_cases(ctx: &Ctx) {
    use crate::model::{MObj, MVal};
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
    for k in 0..COLLECTOR_HEAPS {
        let mut rng = ctx.rng(&[3, k]);
        let n = 300 + rng.index(5_000);
        let p = params(&mut rng, n);
        let plans = crate::modules::gc_random::plans();
        let (mut gc, name): (alloc::boxed::Box<dyn Collector>, &str) = match plans.first() {
            Some(plan) => ((plan.make)(&mut rng, n), plan.name),
            None => (alloc::boxed::Box::new(BumpHeap::new()), "bump"),
        };
        let what = format!("collector heap {k} ({name}, {p:?})");
        let (mut m, mut roots) = model::build_random_heap(&mut rng, &p, gc.as_mut())
            .unwrap_or_else(|e| ctx.fail(format_args!("{what}: building: {e}")));
        for round in 0..3 {
            gc.collect(&mut roots);
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
