//! A bump-allocated space over a [`Memory`] (bounded or not) that grows with its content, and the object
//! operations every plan shares: allocating and initialising objects, initialising stores, and
//! walking objects in address order.
//!
//! The dense plans (copying, mark-compact, generational) allocate with [`Space::alloc_object`]
//! and walk `[0, hp)` with [`Space::for_each_object`]. The incremental plan places objects in
//! partitions itself, makes their words addressable with [`Space::extend_to`], initialises them
//! with [`Space::init_object`] and walks each partition with [`Space::for_each_object_in`].
//!
//! Invariant: `hp <= memory.len()`; words handed out by [`Space::alloc`] and [`Space::extend_to`]
//! are zeroed (freed words may be poisoned, so allocation zeroes explicitly).

use crate::gc::poison;
use crate::memory::{Addr, Memory, OutOfMemory, VecMemory};
use crate::object::{init_object, object_size, Kind};
use crate::types::Word;

/// A bump-allocated region.
#[derive(Debug, Clone)]
pub struct Space<M: Memory = VecMemory> {
    mem: M,
    hp: Addr,
}

impl Default for Space {
    fn default() -> Self {
        Self::new()
    }
}

impl Space {
    /// An empty space without a limit.
    pub fn new() -> Self {
        Self::over(VecMemory::unlimited())
    }
}

impl<M: Memory> Space<M> {
    /// An empty space over `mem` (which must be empty), limited by it.
    pub fn over(mem: M) -> Self {
        debug_assert!(mem.is_empty(), "space over a non-empty memory");
        Space { mem, hp: 0 }
    }

    /// The most words the space can ever hold.
    pub fn limit(&self) -> usize {
        self.mem.limit()
    }

    /// Words that can still be allocated before the limit.
    pub fn available(&self) -> usize {
        self.mem.limit().saturating_sub(self.hp)
    }

    /// The first unallocated address.
    pub fn hp(&self) -> Addr {
        self.hp
    }

    /// The allocated words.
    pub fn words(&self) -> &[Word] {
        &self.mem.words()[..self.hp]
    }

    /// The allocated words, mutably.
    pub fn words_mut(&mut self) -> &mut [Word] {
        let hp = self.hp;
        &mut self.mem.words_mut()[..hp]
    }

    /// Makes room for at least `words` words in total (growth at least doubles).
    pub fn reserve(&mut self, words: usize) -> Result<(), OutOfMemory> {
        if words > self.mem.limit() {
            return Err(OutOfMemory::words(words - self.hp, self.available()));
        }
        if words > self.mem.len() {
            let wanted = words.max(self.mem.len().saturating_mul(2));
            self.mem.grow_to(wanted.min(self.mem.limit()).max(words))?;
        }
        Ok(())
    }

    /// Allocates `n` zeroed words.
    pub fn alloc(&mut self, n: usize) -> Result<Addr, OutOfMemory> {
        let end = self
            .hp
            .checked_add(n)
            .ok_or_else(|| OutOfMemory::words(n, self.available()))?;
        let start = self.hp;
        self.extend_to(end)?;
        Ok(start)
    }

    /// Makes `[0, end)` allocated, zeroing the words added; a smaller `end` changes nothing.
    pub fn extend_to(&mut self, end: Addr) -> Result<(), OutOfMemory> {
        if end > self.hp {
            self.reserve(end)?;
            let start = self.hp;
            self.hp = end;
            self.mem.words_mut()[start..end].fill(0);
        }
        Ok(())
    }

    /// Allocates an object of `kind` with count `aux`: header written, payload scalar 0.
    pub fn alloc_object(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        let a = self.alloc(kind.size(aux))?;
        self.init_object(a, kind, aux);
        Ok(a)
    }

    /// Writes the header of an object of `kind` with count `aux` at `a` and zeroes its payload;
    /// `[a, a + size)` must be allocated.
    pub fn init_object(&mut self, a: Addr, kind: Kind, aux: usize) {
        debug_assert!(
            a + kind.size(aux) <= self.hp,
            "object at {a} beyond hp {}",
            self.hp
        );
        init_object(self.words_mut(), a, kind, aux);
    }

    /// Initialising store into word `offset` of the object at `obj` (no barrier).
    pub fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        debug_assert!(obj + offset < self.hp, "store beyond hp {}", self.hp);
        self.words_mut()[obj + offset] = value;
    }

    /// Calls `f` with every object start in `[0, hp)`, in address order.
    pub fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        self.for_each_object_in(0, self.hp, f);
    }

    /// Calls `f` with every object start in `[lo, hi)`, which must hold objects back to back
    /// from `lo` (live, dead or forwarding stubs), in address order.
    pub fn for_each_object_in(&self, lo: Addr, hi: Addr, f: &mut dyn FnMut(Addr)) {
        debug_assert!(hi <= self.hp, "walk to {hi} beyond hp {}", self.hp);
        let words = self.words();
        let mut a = lo;
        while a < hi {
            f(a);
            a += object_size(words, a);
        }
    }

    /// Frees `[new_hp, hp)` (poisoning it in debug builds).
    pub fn truncate(&mut self, new_hp: Addr) {
        assert!(
            new_hp <= self.hp,
            "truncate to {new_hp} above hp {}",
            self.hp
        );
        let hp = self.hp;
        poison(&mut self.mem.words_mut()[new_hp..hp]);
        self.hp = new_hp;
    }
}
