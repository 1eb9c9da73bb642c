//! A bump-allocated space over a [`VecMemory`] that grows with its content.
//!
//! Invariant: `hp <= memory.len()`; `[0, hp)` holds objects back to back; words handed out by
//! [`Space::alloc`] are zeroed (freed words may be poisoned, so allocation zeroes explicitly).

use crate::gc::poison;
use crate::memory::{Addr, Memory, OutOfMemory, VecMemory};
use crate::types::Word;

/// A bump-allocated region.
#[derive(Debug, Clone)]
pub struct Space {
    mem: VecMemory,
    hp: Addr,
}

impl Default for Space {
    fn default() -> Self {
        Self::new()
    }
}

impl Space {
    /// An empty space.
    pub fn new() -> Self {
        Space {
            mem: VecMemory::unlimited(),
            hp: 0,
        }
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
        if words > self.mem.len() {
            let wanted = words.max(self.mem.len().saturating_mul(2));
            self.mem.grow_to(wanted.min(self.mem.limit()).max(words))?;
        }
        Ok(())
    }

    /// Allocates `n` zeroed words.
    pub fn alloc(&mut self, n: usize) -> Result<Addr, OutOfMemory> {
        let end = self.hp.checked_add(n).ok_or(OutOfMemory {
            requested_words: usize::MAX,
            limit_words: self.mem.limit(),
        })?;
        self.reserve(end)?;
        let start = self.hp;
        self.hp = end;
        self.mem.words_mut()[start..end].fill(0);
        Ok(start)
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
