//! The mark stack: grey objects waiting to be scanned.
//!
//! Starts with room for [`INITIAL_CAPACITY`] entries and doubles when full, so a deep chain is
//! marked without recursion and without a fixed bound. Counts its growths (tests check that deep
//! heaps overflow the first stack).

use crate::memory::Addr;
use alloc::vec::Vec;

/// Entries in a new mark stack.
pub const INITIAL_CAPACITY: usize = 64;

/// A LIFO stack of object addresses with explicit doubling growth.
#[derive(Debug, Clone)]
pub struct MarkStack {
    items: Vec<Addr>,
    capacity: usize,
    growths: usize,
}

impl Default for MarkStack {
    fn default() -> Self {
        Self::new()
    }
}

impl MarkStack {
    /// An empty stack of [`INITIAL_CAPACITY`] entries.
    pub fn new() -> Self {
        MarkStack {
            items: Vec::with_capacity(INITIAL_CAPACITY),
            capacity: INITIAL_CAPACITY,
            growths: 0,
        }
    }

    /// Pushes `a`, doubling the stack first if it is full.
    pub fn push(&mut self, a: Addr) {
        if self.items.len() == self.capacity {
            self.capacity *= 2;
            self.items.reserve_exact(self.capacity - self.items.len());
            self.growths += 1;
        }
        self.items.push(a);
    }

    /// Pops the most recently pushed entry.
    pub fn pop(&mut self) -> Option<Addr> {
        self.items.pop()
    }

    /// Entries on the stack.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the stack is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Current capacity in entries.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many times the stack has doubled.
    pub fn growths(&self) -> usize {
        self.growths
    }

    /// Empties the stack (keeping its capacity).
    pub fn clear(&mut self) {
        self.items.clear();
    }
}
