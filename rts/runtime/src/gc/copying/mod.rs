//! The copying plan: Cheney's semispace collector.
//!
//! Objects are bump-allocated in from-space. A collection allocates to-space for the worst case
//! (everything survives, [`HeapSizing::to_space_words`]), evacuates the roots, then scans
//! to-space left to right evacuating every field (the scan pointer chases the allocation
//! pointer; the region between them is the grey set). Evacuating copies an object and leaves a
//! forwarding header plus the new address in its first two words, so shared objects are copied
//! once. Afterwards the spaces swap and the old from-space is poisoned (debug) and kept for reuse.
//!
//! The two semispaces are two memories of one plan; a bounded heap gives each half the limit
//! ([`Copying::bounded`]). Allocation fails with [`OutOfMemory`] when from-space is full; a
//! collection fails, before touching anything, when to-space cannot be reserved.
//!
//! Invariants: after a collection from-space holds exactly the reachable objects, back to back,
//! in breadth-first order from the roots; no forwarding header remains reachable.

use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::space::Space;
use crate::gc::sanity::check_dense;
use crate::gc::{debug_verify, Collector, Constraints, Progress};
use crate::memory::{Addr, HeapSizing, Memory, OutOfMemory, VecMemory};
use crate::object::{
    addr_of, fields_of_header, forwarding_header, is_forwarded, is_ptr, object_size, ptr, Kind,
};
use crate::types::Word;
use alloc::string::String;

/// The copying plan's constraints.
pub const CONSTRAINTS: Constraints = Constraints {
    name: "copying",
    moves_objects: true,
    incremental: false,
    needs_write_barrier: false,
    frees_all_garbage: true,
};

/// A semispace collector.
#[derive(Debug)]
pub struct Copying<M: Memory = VecMemory> {
    from: Space<M>,
    to: Space<M>,
    sizing: HeapSizing,
    threshold: usize,
}

impl Copying {
    /// An empty heap without a limit, with the given sizing policy.
    pub fn new(sizing: HeapSizing) -> Self {
        Self::with_memories(sizing, VecMemory::unlimited(), VecMemory::unlimited())
    }

    /// An empty heap of at most `limit_bytes` bytes, half of them per semispace.
    pub fn bounded(sizing: HeapSizing, limit_bytes: usize) -> Self {
        let half = limit_bytes / 2;
        Self::with_memories(sizing, VecMemory::bounded(half), VecMemory::bounded(half))
    }
}

impl<M: Memory> Copying<M> {
    /// An empty heap over two empty memories (from-space and to-space).
    pub fn with_memories(sizing: HeapSizing, from: M, to: M) -> Self {
        Copying {
            from: Space::over(from),
            to: Space::over(to),
            sizing,
            threshold: sizing.next_threshold(0),
        }
    }

    /// Copies the object `v` points to into to-space (once), returning its new pointer.
    fn evacuate(from: &mut Space<M>, to: &mut Space<M>, v: Word) -> Word {
        if !is_ptr(v) {
            return v;
        }
        let a = addr_of(v);
        let fw = from.words_mut();
        if is_forwarded(fw[a]) {
            return ptr(fw[a + 1]);
        }
        let size = object_size(fw, a);
        let n = to
            .alloc(size)
            .expect("to-space was reserved for the worst case");
        to.words_mut()[n..n + size].copy_from_slice(&from.words()[a..a + size]);
        let fw = from.words_mut();
        fw[a] = forwarding_header(size);
        fw[a + 1] = n;
        ptr(n)
    }
}

impl<M: Memory> Collector for Copying<M> {
    fn constraints(&self) -> Constraints {
        CONSTRAINTS
    }

    fn words(&self) -> &[Word] {
        self.from.words()
    }

    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        self.from.alloc_object(kind, aux)
    }

    fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        self.from.init_word(obj, offset, value);
    }

    fn write(&mut self, obj: Addr, offset: usize, value: Word) {
        self.from.words_mut()[obj + offset] = value;
    }

    fn collect_increment(&mut self, roots: &mut [Word]) -> Result<Progress, OutOfMemory> {
        let (from, to) = (&mut self.from, &mut self.to);
        to.truncate(0);
        // Nothing has moved yet, so a refused to-space leaves the heap as it was.
        to.reserve(self.sizing.to_space_words(from.hp()))?;
        for r in roots.iter_mut() {
            *r = Self::evacuate(from, to, *r);
        }
        let mut scan = 0;
        while scan < to.hp() {
            let h = to.words()[scan];
            let (s, e) = fields_of_header(h);
            for f in scan + s..scan + e {
                let v = to.words()[f];
                let nv = Self::evacuate(from, to, v);
                to.words_mut()[f] = nv;
            }
            scan += object_size(to.words(), scan);
        }
        core::mem::swap(from, to);
        to.truncate(0);
        self.threshold = self.sizing.next_threshold(self.from.hp());
        debug_verify(self, roots);
        Ok(Progress::Done)
    }

    fn used_words(&self) -> usize {
        self.from.hp()
    }

    fn limit_words(&self) -> usize {
        self.from.limit().saturating_add(self.to.limit())
    }

    fn should_collect(&self) -> bool {
        self.from.hp() >= self.threshold
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        self.from.for_each_object(f);
    }

    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        check_dense(
            self.from.words(),
            self.from.hp(),
            roots,
            &mut MarkBitmap::new(),
        )
    }
}
