//! The mark bitmap: one bit per heap word, set at the start of each marked object.
//!
//! Invariant between collections: all bits clear ([`MarkBitmap::is_clear`]). Bits are stored in
//! `u64`s regardless of the word size; [`MarkBitmap::next_set`] finds marked objects in address
//! order without reading the heap.

use crate::memory::Addr;
use alloc::vec::Vec;

/// One bit per heap word.
#[derive(Debug, Clone, Default)]
pub struct MarkBitmap {
    bits: Vec<u64>,
}

impl MarkBitmap {
    /// An empty bitmap.
    pub fn new() -> Self {
        MarkBitmap { bits: Vec::new() }
    }

    /// Makes the bitmap cover addresses `0..words` (new bits clear).
    pub fn ensure(&mut self, words: usize) {
        let n = words.div_ceil(64);
        if n > self.bits.len() {
            self.bits.resize(n, 0);
        }
    }

    /// Addresses covered.
    pub fn capacity(&self) -> usize {
        self.bits.len() * 64
    }

    /// Sets the bit of `a`; returns whether it was clear.
    pub fn set(&mut self, a: Addr) -> bool {
        let (w, m) = (a / 64, 1u64 << (a % 64));
        let was_clear = self.bits[w] & m == 0;
        self.bits[w] |= m;
        was_clear
    }

    /// Whether the bit of `a` is set (addresses beyond the bitmap read clear).
    pub fn get(&self, a: Addr) -> bool {
        self.bits
            .get(a / 64)
            .is_some_and(|w| w & (1 << (a % 64)) != 0)
    }

    /// Clears the bit of `a`.
    pub fn clear(&mut self, a: Addr) {
        if let Some(w) = self.bits.get_mut(a / 64) {
            *w &= !(1 << (a % 64));
        }
    }

    /// Clears every bit in `lo..hi`.
    pub fn clear_range(&mut self, lo: Addr, hi: Addr) {
        let mut a = lo;
        while a < hi && a / 64 < self.bits.len() {
            if a % 64 == 0 && a + 64 <= hi {
                self.bits[a / 64] = 0;
                a += 64;
            } else {
                self.clear(a);
                a += 1;
            }
        }
    }

    /// Clears every bit.
    pub fn clear_all(&mut self) {
        self.bits.fill(0);
    }

    /// Whether every bit is clear.
    pub fn is_clear(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// The first set bit in `from..to`, if any.
    pub fn next_set(&self, from: Addr, to: Addr) -> Option<Addr> {
        let mut a = from;
        while a < to {
            let w = a / 64;
            let word = *self.bits.get(w)? >> (a % 64);
            if word != 0 {
                let found = a + word.trailing_zeros() as usize;
                return if found < to { Some(found) } else { None };
            }
            a = (w + 1) * 64;
        }
        None
    }
}
