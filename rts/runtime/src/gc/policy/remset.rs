//! The remembered set: heap slots (word addresses) in the old generation that the write barrier
//! saw receive a pointer into the young generation.
//!
//! Invariant: each slot is recorded at most once (a bitmap over slot addresses deduplicates),
//! because the compactor threads every remembered slot exactly once. A slot may since have been
//! overwritten; consumers re-check its value.

use crate::gc::policy::bitmap::MarkBitmap;
use crate::memory::Addr;
use alloc::vec::Vec;

/// Deduplicated old-to-young slots.
#[derive(Debug, Clone, Default)]
pub struct RememberedSet {
    slots: Vec<Addr>,
    seen: MarkBitmap,
}

impl RememberedSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `slot`; returns whether it was new.
    pub fn insert(&mut self, slot: Addr) -> bool {
        self.seen.ensure(slot + 1);
        if self.seen.set(slot) {
            self.slots.push(slot);
            true
        } else {
            false
        }
    }

    /// Whether `slot` is recorded.
    pub fn contains(&self, slot: Addr) -> bool {
        self.seen.get(slot)
    }

    /// The recorded slots, in insertion order.
    pub fn slots(&self) -> &[Addr] {
        &self.slots
    }

    /// Slots recorded.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no slot is recorded.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Forgets every slot.
    pub fn clear(&mut self) {
        for &s in &self.slots {
            self.seen.clear(s);
        }
        self.slots.clear();
    }
}
