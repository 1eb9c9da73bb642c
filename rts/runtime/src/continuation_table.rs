//! The continuation table: callbacks waiting for replies, indexed by small integers that are
//! handed out to the outside world and come back with the reply.
//!
//! A vector of slots, each either occupied or free; free slots form a LIFO list threaded through
//! them (`free_head`, then each free slot's `next`). Invariants:
//! - every index `< slots.len()` is in exactly one of: occupied, or the free list;
//! - `live` is the number of occupied slots;
//! - the table starts with `initial_capacity` free slots and, when the free list is empty,
//!   doubles (at least by one slot), so insertion is amortized O(1) and never fails below the
//!   index limit;
//! - removing a free or out-of-range index returns `None` and changes nothing.

use alloc::vec::Vec;

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone)]
enum Slot<T> {
    Used(T),
    Free { next: u32 },
}

/// A table of values with reusable `u32` indices.
#[derive(Debug, Clone)]
pub struct ContinuationTable<T> {
    slots: Vec<Slot<T>>,
    free_head: u32,
    live: usize,
}

impl<T> ContinuationTable<T> {
    /// A table with room for `initial_capacity` entries before it grows.
    pub fn with_capacity(initial_capacity: usize) -> Self {
        let mut t = ContinuationTable {
            slots: Vec::new(),
            free_head: NIL,
            live: 0,
        };
        t.grow_to(initial_capacity);
        t
    }

    /// Adds free slots up to `capacity`, threading them onto the free list in ascending order.
    fn grow_to(&mut self, capacity: usize) {
        let capacity = capacity.min(NIL as usize);
        let old = self.slots.len();
        if capacity <= old {
            return;
        }
        self.slots.reserve_exact(capacity - old);
        for i in old..capacity {
            let next = if i + 1 < capacity {
                (i + 1) as u32
            } else {
                self.free_head
            };
            self.slots.push(Slot::Free { next });
        }
        self.free_head = old as u32;
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no entry is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of slots (live or free).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Stores `value`; returns its index, or `None` when all `u32::MAX` indices are taken.
    pub fn insert(&mut self, value: T) -> Option<u32> {
        if self.free_head == NIL {
            let cap = self.slots.len();
            self.grow_to(cap.saturating_mul(2).max(cap + 1));
            if self.free_head == NIL {
                return None;
            }
        }
        let idx = self.free_head;
        let slot = &mut self.slots[idx as usize];
        let next = match slot {
            Slot::Free { next } => *next,
            Slot::Used(_) => unreachable!("free list points at a used slot"),
        };
        *slot = Slot::Used(value);
        self.free_head = next;
        self.live += 1;
        Some(idx)
    }

    /// The value at `idx`, if live.
    pub fn get(&self, idx: u32) -> Option<&T> {
        match self.slots.get(idx as usize) {
            Some(Slot::Used(v)) => Some(v),
            _ => None,
        }
    }

    /// Removes and returns the value at `idx`; its index is the next one handed out.
    pub fn remove(&mut self, idx: u32) -> Option<T> {
        let slot = self.slots.get_mut(idx as usize)?;
        if let Slot::Free { .. } = slot {
            return None;
        }
        let old = core::mem::replace(
            slot,
            Slot::Free {
                next: self.free_head,
            },
        );
        self.free_head = idx;
        self.live -= 1;
        match old {
            Slot::Used(v) => Some(v),
            Slot::Free { .. } => None,
        }
    }

    /// The live entries in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Used(v) => Some((i as u32, v)),
            Slot::Free { .. } => None,
        })
    }

    /// Length of the free list, walked (for consistency checks).
    pub fn free_list_len(&self) -> usize {
        let mut n = 0;
        let mut cur = self.free_head;
        while cur != NIL && n <= self.slots.len() {
            match self.slots.get(cur as usize) {
                Some(Slot::Free { next }) => cur = *next,
                _ => return usize::MAX, // broken list
            }
            n += 1;
        }
        n
    }
}
