//! The partition table of the incremental plan: the heap is cut into partitions of a fixed
//! number of words (a parameter, so tests can use small partitions and many of them).
//!
//! A partition is free, a normal bump-allocated partition (objects back to back in
//! `[start, top)`), or part of a large object that needs several partitions (a head partition
//! holding the object's start, followed by `parts - 1` tail partitions). Free partitions are
//! reused lowest first; the table grows at the end when none fits, so the heap grows with its
//! content. Per-cycle fields: `marked_words` (live words found by marking), `evacuate`
//! (chosen for evacuation) and `fresh` (allocated into during the cycle; never evacuated).

use crate::memory::Addr;
use alloc::vec::Vec;

/// What a partition holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Nothing; reusable.
    Free,
    /// Bump-allocated objects in `[start, top)`.
    Normal,
    /// The first of `parts` partitions holding one large object.
    LargeHead(usize),
    /// A later partition of a large object.
    LargeTail,
}

/// One partition's bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// What it holds.
    pub state: State,
    /// First unallocated address (normal) or end of the object (large head).
    pub top: Addr,
    /// Words of marked objects starting here, this cycle.
    pub marked_words: usize,
    /// Chosen for evacuation this cycle.
    pub evacuate: bool,
    /// Allocated into during this cycle.
    pub fresh: bool,
}

/// The partitions of a heap.
#[derive(Clone, Debug)]
pub struct PartitionTable {
    size: usize,
    parts: Vec<Partition>,
}

impl PartitionTable {
    /// An empty table of partitions of `size` words (`size >= 2`).
    pub fn new(size: usize) -> Self {
        assert!(
            size >= crate::object::MIN_OBJECT_WORDS,
            "partition of {size} words"
        );
        PartitionTable {
            size,
            parts: Vec::new(),
        }
    }

    /// Words per partition.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether there are no partitions.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Words the heap must have to hold every partition.
    pub fn heap_words(&self) -> usize {
        self.parts.len() * self.size
    }

    /// First address of partition `i`.
    pub fn start(&self, i: usize) -> Addr {
        i * self.size
    }

    /// End address of partition `i`.
    pub fn end(&self, i: usize) -> Addr {
        (i + 1) * self.size
    }

    /// The partition containing `a`.
    pub fn index_of(&self, a: Addr) -> usize {
        a / self.size
    }

    /// Partition `i`.
    pub fn get(&self, i: usize) -> &Partition {
        &self.parts[i]
    }

    /// Partition `i`, mutably.
    pub fn get_mut(&mut self, i: usize) -> &mut Partition {
        &mut self.parts[i]
    }

    fn blank(&self, i: usize) -> Partition {
        Partition {
            state: State::Free,
            top: self.start(i),
            marked_words: 0,
            evacuate: false,
            fresh: false,
        }
    }

    /// Partitions in use (not free).
    pub fn in_use(&self) -> usize {
        self.parts.iter().filter(|p| p.state != State::Free).count()
    }

    /// Where [`Self::take`] would put `n >= 1` partitions: the first of them.
    pub fn find(&self, n: usize) -> usize {
        let mut run = 0;
        for i in 0..self.parts.len() {
            if self.parts[i].state == State::Free {
                run += 1;
                if run == n {
                    return i + 1 - n;
                }
            } else {
                run = 0;
            }
        }
        self.parts.len() - run
    }

    /// Takes `n >= 1` consecutive free partitions (lowest run first, else at the end, growing
    /// the table), marks them used (normal for `n == 1`, else large) and returns the first.
    pub fn take(&mut self, n: usize, fresh: bool) -> usize {
        let first = self.find(n);
        while self.parts.len() < first + n {
            let p = self.blank(self.parts.len());
            self.parts.push(p);
        }
        for i in first..first + n {
            let mut p = self.blank(i);
            p.state = if n == 1 {
                State::Normal
            } else if i == first {
                State::LargeHead(n)
            } else {
                State::LargeTail
            };
            p.fresh = fresh;
            self.parts[i] = p;
        }
        first
    }

    /// Frees partition `i` (with its tails, if it is a large head).
    pub fn free(&mut self, i: usize) {
        let n = match self.parts[i].state {
            State::LargeHead(n) => n,
            _ => 1,
        };
        for j in i..i + n {
            self.parts[j] = self.blank(j);
        }
    }

    /// Clears the per-cycle fields of every partition.
    pub fn end_cycle(&mut self) {
        for p in &mut self.parts {
            p.marked_words = 0;
            p.evacuate = false;
            p.fresh = false;
        }
    }
}
