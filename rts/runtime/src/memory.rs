//! The heap's backing memory, allocation, and heap sizing.
//!
//! - [`Memory`] is the word array a heap lives in. Addresses are word offsets from its start
//!   ([`Addr`]), so a memory may move when it grows (a `Vec` does) without invalidating them.
//!   Tests supply their own memories; [`VecMemory`] is the standard one. Growth is by whole
//!   wasm pages, up to a limit, and never touches existing contents.
//! - [`BumpAllocator`] hands out word ranges from the start of a memory upwards. Invariant:
//!   `0 <= hp <= memory.len()`, every allocation is `[old hp, new hp)`, and memory at or above `hp`
//!   is zero until allocated.
//! - [`HeapSizing`] decides how large a heap may become before the next collection, from the
//!   amount of live data (never from a fixed constant), with overflow-free arithmetic.

use crate::types::{Word, WASM_PAGE_WORDS, WORD_SIZE};
use alloc::vec::Vec;

/// A word offset into a [`Memory`].
pub type Addr = usize;

/// An allocation, growth or collection request that the heap's limit cannot satisfy.
///
/// Invariant: `requested > available` (a request that fits is never refused for the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes the request asked for (saturating).
    pub requested: usize,
    /// Bytes left below the limit when it was refused.
    pub available: usize,
}

impl OutOfMemory {
    /// The error for a request of `requested_words` more words when `available_words` are left.
    pub fn words(requested_words: usize, available_words: usize) -> Self {
        let e = OutOfMemory {
            requested: requested_words.saturating_mul(WORD_SIZE),
            available: available_words.saturating_mul(WORD_SIZE),
        };
        debug_assert!(
            e.requested > e.available,
            "refused a request that fits: {e:?}"
        );
        e
    }
}

impl core::fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "out of memory: {} bytes requested, {} bytes available",
            self.requested, self.available
        )
    }
}

/// Backing store of a heap: a growable array of words.
pub trait Memory {
    /// The words currently addressable.
    fn words(&self) -> &[Word];

    /// The words currently addressable, mutably.
    fn words_mut(&mut self) -> &mut [Word];

    /// Makes at least `min_words` words addressable. Existing words keep their values; new ones
    /// read as zero. Fails, changing nothing, when the memory cannot grow that far.
    fn grow_to(&mut self, min_words: usize) -> Result<(), OutOfMemory>;

    /// Words currently addressable.
    fn len(&self) -> usize {
        self.words().len()
    }

    /// Whether no word is addressable.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most words this memory can ever hold.
    fn limit(&self) -> usize;
}

/// Rounds a word count up to whole wasm pages, saturating.
pub const fn round_up_to_pages(words: usize) -> usize {
    match words.checked_next_multiple_of(WASM_PAGE_WORDS) {
        Some(w) => w,
        None => usize::MAX - usize::MAX % WASM_PAGE_WORDS,
    }
}

/// A [`Memory`] backed by a `Vec`, growing by whole pages up to a limit.
#[derive(Debug, Clone)]
pub struct VecMemory {
    words: Vec<Word>,
    limit_words: usize,
}

impl VecMemory {
    /// An empty memory that may grow to `limit_words` words.
    pub fn with_limit(limit_words: usize) -> Self {
        VecMemory {
            words: Vec::new(),
            limit_words,
        }
    }

    /// An empty memory of at most `limit_bytes` bytes (rounded down to whole words).
    pub fn bounded(limit_bytes: usize) -> Self {
        Self::with_limit(limit_bytes / WORD_SIZE)
    }

    /// An empty memory limited only by the address space.
    pub fn unlimited() -> Self {
        Self::with_limit(usize::MAX / WORD_SIZE)
    }
}

impl Default for VecMemory {
    fn default() -> Self {
        Self::unlimited()
    }
}

impl Memory for VecMemory {
    fn words(&self) -> &[Word] {
        &self.words
    }

    fn words_mut(&mut self) -> &mut [Word] {
        &mut self.words
    }

    fn grow_to(&mut self, min_words: usize) -> Result<(), OutOfMemory> {
        if min_words <= self.words.len() {
            return Ok(());
        }
        let have = self.words.len();
        if min_words > self.limit_words {
            return Err(OutOfMemory::words(
                min_words - have,
                self.limit_words - have,
            ));
        }
        let target = round_up_to_pages(min_words).min(self.limit_words);
        // The host refusing memory below the limit leaves nothing available.
        self.words
            .try_reserve_exact(target - have)
            .map_err(|_| OutOfMemory::words(min_words - have, 0))?;
        self.words.resize(target, 0);
        Ok(())
    }

    fn limit(&self) -> usize {
        self.limit_words
    }
}

/// Allocates word ranges upwards from the start of a memory, growing it as needed.
#[derive(Debug)]
pub struct BumpAllocator<M: Memory> {
    memory: M,
    hp: Addr,
}

impl<M: Memory> BumpAllocator<M> {
    /// An allocator over `memory`, starting at address 0.
    pub fn new(memory: M) -> Self {
        BumpAllocator { memory, hp: 0 }
    }

    /// The heap pointer: the first address not yet allocated.
    pub fn hp(&self) -> Addr {
        self.hp
    }

    /// Allocates `n` zeroed words and returns the address of the first.
    ///
    /// Growth doubles the memory (at least), so `k` allocations cost `O(k)` amortized copies.
    pub fn alloc(&mut self, n: usize) -> Result<Addr, OutOfMemory> {
        let available = self.memory.limit().saturating_sub(self.hp);
        let end = match self.hp.checked_add(n) {
            Some(end) if end <= self.memory.limit() => end,
            _ => return Err(OutOfMemory::words(n, available)),
        };
        if end > self.memory.len() {
            let doubled = self.memory.len().saturating_mul(2);
            let wanted = end.max(doubled).min(self.memory.limit());
            self.memory.grow_to(wanted.max(end))?;
        }
        let start = self.hp;
        self.hp = end;
        debug_assert!(self.memory.words()[start..end].iter().all(|&w| w == 0));
        Ok(start)
    }

    /// Frees everything at or above `addr` (used by collectors that compact into a prefix),
    /// zeroing it so the allocation invariant holds.
    pub fn reset_to(&mut self, addr: Addr) {
        assert!(addr <= self.hp, "reset_to({addr}) above hp {}", self.hp);
        let hp = self.hp;
        self.memory.words_mut()[addr..hp].fill(0);
        self.hp = addr;
    }

    /// The memory.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The memory, mutably. Callers must keep words at or above `hp` zero.
    pub fn memory_mut(&mut self) -> &mut M {
        &mut self.memory
    }

    /// Gives the memory back.
    pub fn into_memory(self) -> M {
        self.memory
    }
}

/// How large a heap may grow before the next collection, computed from its live data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapSizing {
    /// The smallest threshold, so tiny heaps do not collect constantly.
    pub min_words: usize,
    /// Growth factor numerator: the threshold is `live * num / den` (plus the minimum slack).
    pub growth_num: usize,
    /// Growth factor denominator; must be non-zero and at most `growth_num`.
    pub growth_den: usize,
}

impl Default for HeapSizing {
    fn default() -> Self {
        HeapSizing {
            min_words: WASM_PAGE_WORDS,
            growth_num: 2,
            growth_den: 1,
        }
    }
}

impl HeapSizing {
    /// The heap size, in words, at which to collect next, after a collection left `live_words`.
    ///
    /// Never below `live_words` (the live data must fit) nor `min_words`, monotone in
    /// `live_words`, and saturating instead of overflowing.
    pub fn next_threshold(&self, live_words: usize) -> usize {
        debug_assert!(self.growth_den != 0 && self.growth_num >= self.growth_den);
        let scaled = match live_words.checked_mul(self.growth_num) {
            Some(p) => p / self.growth_den,
            // live * num / den = (live / den) * num + (live % den) * num / den
            None => (live_words / self.growth_den)
                .saturating_mul(self.growth_num)
                .saturating_add(
                    (live_words % self.growth_den).saturating_mul(self.growth_num)
                        / self.growth_den,
                ),
        };
        scaled.max(live_words).max(self.min_words)
    }

    /// Words a copying collector's to-space needs when `used_words` are in from-space: in the
    /// worst case everything survives.
    pub fn to_space_words(&self, used_words: usize) -> usize {
        used_words
    }
}
