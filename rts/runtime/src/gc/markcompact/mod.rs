//! The mark-compact plan: marking with a bitmap and a growing mark stack, then Jonkers' threaded
//! sliding compaction (the object order is kept; survivors slide down to the start of the space).
//!
//! Both phases are the shared ones of [`crate::gc::common`] (also used by the generational
//! plan), run over the whole space `[0, hp)`; allocation and heap walking are the space's own.
//!
//! Allocation fails with [`OutOfMemory`] at the memory's limit; a collection needs no heap
//! memory (the bitmap and the mark stack live outside the heap), so it cannot fail.
//!
//! Invariants: after a collection `[0, hp)` holds exactly the reachable objects in their old
//! relative order, the bitmap is clear, and `[hp, old hp)` is poisoned (debug builds).
use crate::gc::common::jonkers::compact_region;
use crate::gc::common::mark::mark_region;
use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::mark_stack::MarkStack;
use crate::gc::policy::space::Space;
use crate::gc::sanity::check_dense;
use crate::gc::{debug_verify, Collector, Constraints, Progress};
use crate::memory::{Addr, HeapSizing, Memory, OutOfMemory, VecMemory};
use crate::object::Kind;
use crate::types::Word;
use alloc::string::String;

/// The mark-compact plan's constraints.
pub const CONSTRAINTS: Constraints = Constraints {
    name: "mark-compact",
    moves_objects: true,
    incremental: false,
    needs_write_barrier: false,
    frees_all_garbage: true,
};

/// A mark-compact collector over one growing space.
#[derive(Debug)]
pub struct MarkCompact<M: Memory = VecMemory> {
    space: Space<M>,
    bitmap: MarkBitmap,
    stack: MarkStack,
    sizing: HeapSizing,
    threshold: usize,
}

impl MarkCompact {
    /// An empty heap without a limit, with the given sizing policy.
    pub fn new(sizing: HeapSizing) -> Self {
        Self::with_memory(sizing, VecMemory::unlimited())
    }

    /// An empty heap of at most `limit_bytes` bytes.
    pub fn bounded(sizing: HeapSizing, limit_bytes: usize) -> Self {
        Self::with_memory(sizing, VecMemory::bounded(limit_bytes))
    }
}

impl<M: Memory> MarkCompact<M> {
    /// An empty heap over an empty memory.
    pub fn with_memory(sizing: HeapSizing, memory: M) -> Self {
        MarkCompact {
            space: Space::over(memory),
            bitmap: MarkBitmap::new(),
            stack: MarkStack::new(),
            sizing,
            threshold: sizing.next_threshold(0),
        }
    }

    /// The mark stack (tests look at its growth).
    pub fn mark_stack(&self) -> &MarkStack {
        &self.stack
    }
}

impl<M: Memory> Collector for MarkCompact<M> {
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
        self.space.words_mut()[obj + offset] = value;
    }

    fn collect_increment(&mut self, roots: &mut [Word]) -> Result<Progress, OutOfMemory> {
        let hp = self.space.hp();
        self.bitmap.ensure(hp + 1);
        mark_region(
            self.space.words(),
            0,
            hp,
            &mut self.bitmap,
            &mut self.stack,
            roots,
            &[],
        );
        let new_hp = compact_region(self.space.words_mut(), 0, hp, &mut self.bitmap, roots, &[]);
        self.space.truncate(new_hp);
        self.threshold = self.sizing.next_threshold(new_hp);
        debug_verify(self, roots);
        Ok(Progress::Done)
    }

    fn used_words(&self) -> usize {
        self.space.hp()
    }

    fn limit_words(&self) -> usize {
        self.space.limit()
    }

    fn should_collect(&self) -> bool {
        self.space.hp() >= self.threshold
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        self.space.for_each_object(f);
    }

    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        if !self.bitmap.is_clear() {
            return Err(String::from("mark bitmap not clear after collection"));
        }
        check_dense(
            self.space.words(),
            self.space.hp(),
            roots,
            &mut MarkBitmap::new(),
        )
    }
}
