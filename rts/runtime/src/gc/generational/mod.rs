//! The generational plan: a young generation compacted on its own, with a remembered set.
//!
//! One dense space: the old generation is `[0, young_start)`, the young generation
//! `[young_start, hp)` where all allocation happens. The write barrier records every old slot
//! that receives a pointer into the young generation in the [`RememberedSet`]. A *young*
//! collection marks the young generation from the roots and the remembered slots (old objects
//! count as live and are not traced), compacts it in place with Jonkers' algorithm (updating
//! the roots and remembered slots) and promotes the survivors (`young_start = hp`). A *full*
//! collection marks and compacts the whole space. A full collection runs when requested or when
//! the old generation outgrows the threshold computed from its size after the last full one.
//! Marking and compaction are the shared ones of [`crate::gc::common`].
//!
//! Allocation fails with [`OutOfMemory`] at the memory's limit; collections compact in place
//! and need no heap memory, so they cannot fail.
//!
//! Invariants: between collections every old-to-young pointer is in a remembered slot; after a
//! collection the young generation is empty, the remembered set and the bitmap are clear; after
//! a full collection exactly the reachable objects remain.
#![allow(clippy::needless_range_loop)] // scanned words are heap addresses, not just indices

use crate::gc::common::jonkers::compact_region;
use crate::gc::common::mark::mark_region;
use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::mark_stack::MarkStack;
use crate::gc::policy::remset::RememberedSet;
use crate::gc::policy::space::Space;
use crate::gc::sanity::check_dense;
use crate::gc::{debug_verify, Collector, Constraints, Progress};
use crate::memory::{Addr, HeapSizing, Memory, OutOfMemory, VecMemory};
use crate::object::{addr_of, fields_of_header, is_ptr, object_size, Kind};
use crate::types::Word;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The generational plan's constraints.
pub const CONSTRAINTS: Constraints = Constraints {
    name: "generational",
    moves_objects: true,
    incremental: false,
    needs_write_barrier: true,
    frees_all_garbage: true,
};

/// A generational collector.
#[derive(Debug)]
pub struct Generational<M: Memory = VecMemory> {
    space: Space<M>,
    young_start: Addr,
    remset: RememberedSet,
    bitmap: MarkBitmap,
    stack: MarkStack,
    sizing: HeapSizing,
    old_threshold: usize,
    full_requested: bool,
    last_full: bool,
}

impl Generational {
    /// An empty heap without a limit, with the given sizing policy (for the old generation).
    pub fn new(sizing: HeapSizing) -> Self {
        Self::with_memory(sizing, VecMemory::unlimited())
    }

    /// An empty heap of at most `limit_bytes` bytes.
    pub fn bounded(sizing: HeapSizing, limit_bytes: usize) -> Self {
        Self::with_memory(sizing, VecMemory::bounded(limit_bytes))
    }
}

impl<M: Memory> Generational<M> {
    /// An empty heap over an empty memory.
    pub fn with_memory(sizing: HeapSizing, memory: M) -> Self {
        Generational {
            space: Space::over(memory),
            young_start: 0,
            remset: RememberedSet::new(),
            bitmap: MarkBitmap::new(),
            stack: MarkStack::new(),
            sizing,
            old_threshold: sizing.next_threshold(0),
            full_requested: false,
            last_full: false,
        }
    }

    /// Start of the young generation.
    pub fn young_start(&self) -> Addr {
        self.young_start
    }

    /// The remembered set.
    pub fn remembered(&self) -> &RememberedSet {
        &self.remset
    }

    /// Collects the young generation only.
    pub fn collect_young(&mut self, roots: &mut [Word]) {
        let (lo, hi) = (self.young_start, self.space.hp());
        self.bitmap.ensure(hi + 1);
        let slots: Vec<Addr> = self.remset.slots().to_vec();
        mark_region(
            self.space.words(),
            lo,
            hi,
            &mut self.bitmap,
            &mut self.stack,
            roots,
            &slots,
        );
        let new_hp = compact_region(
            self.space.words_mut(),
            lo,
            hi,
            &mut self.bitmap,
            roots,
            &slots,
        );
        self.finish(new_hp, false, roots);
    }

    /// Collects the whole heap.
    pub fn collect_full(&mut self, roots: &mut [Word]) {
        let hi = self.space.hp();
        self.bitmap.ensure(hi + 1);
        mark_region(
            self.space.words(),
            0,
            hi,
            &mut self.bitmap,
            &mut self.stack,
            roots,
            &[],
        );
        let new_hp = compact_region(self.space.words_mut(), 0, hi, &mut self.bitmap, roots, &[]);
        self.old_threshold = self.sizing.next_threshold(new_hp);
        self.finish(new_hp, true, roots);
    }

    fn finish(&mut self, new_hp: Addr, full: bool, roots: &[Word]) {
        self.space.truncate(new_hp);
        self.young_start = new_hp;
        self.remset.clear();
        self.full_requested = false;
        self.last_full = full;
        debug_verify(self, roots);
    }
}

impl<M: Memory> Collector for Generational<M> {
    fn constraints(&self) -> Constraints {
        CONSTRAINTS
    }

    fn words(&self) -> &[Word] {
        self.space.words()
    }

    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        self.space.alloc_object(kind, aux)
    }

    fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        self.space.init_word(obj, offset, value);
    }

    fn write(&mut self, obj: Addr, offset: usize, value: Word) {
        let slot = obj + offset;
        self.space.words_mut()[slot] = value;
        if obj < self.young_start && is_ptr(value) && addr_of(value) >= self.young_start {
            self.remset.insert(slot);
        }
    }

    fn collect_increment(&mut self, roots: &mut [Word]) -> Result<Progress, OutOfMemory> {
        if self.full_requested || self.young_start >= self.old_threshold {
            self.collect_full(roots);
        } else {
            self.collect_young(roots);
        }
        Ok(Progress::Done)
    }

    fn used_words(&self) -> usize {
        self.space.hp()
    }

    fn limit_words(&self) -> usize {
        self.space.limit()
    }

    fn request_full(&mut self) {
        self.full_requested = true;
    }

    fn last_collection_complete(&self) -> bool {
        self.last_full
    }

    fn should_collect(&self) -> bool {
        self.space.hp() - self.young_start >= self.sizing.min_words
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        self.space.for_each_object(f);
    }

    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        if !self.bitmap.is_clear() {
            return Err(String::from("mark bitmap not clear after collection"));
        }
        // Barrier invariant: every old-to-young pointer is remembered.
        let words = self.space.words();
        let mut a = 0;
        while a < self.young_start {
            let (s, e) = fields_of_header(words[a]);
            for f in a + s..a + e {
                let v = words[f];
                if is_ptr(v) && addr_of(v) >= self.young_start && !self.remset.contains(f) {
                    return Err(format!(
                        "old slot {f} points to young {} but is not remembered",
                        addr_of(v)
                    ));
                }
            }
            a += object_size(words, a);
        }
        check_dense(words, self.space.hp(), roots, &mut MarkBitmap::new())
    }
}
