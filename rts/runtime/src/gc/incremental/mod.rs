//! The incremental plan: a partitioned heap collected in bounded increments.
//!
//! A cycle has three phases, each done a budget of words at a time between mutator steps:
//! 1. **Mark.** The roots are marked at the start (the snapshot). Increments scan grey objects
//!    from the mark stack, counting live words per partition. The *snapshot-at-the-beginning*
//!    write barrier shades the value a store overwrites, and objects allocated during the cycle
//!    are allocated black, so everything reachable at the snapshot or allocated since is marked.
//!    An object is scanned in slices: when the budget runs out inside it, the scan position
//!    `(object, next field)` is kept and the next increment resumes there. Stores into the
//!    unscanned part are shaded by the barrier like any other, so slicing loses nothing.
//! 2. **Evacuate.** Partitions that are sparse (live words below a percentage of the partition)
//!    and were not allocated into during the cycle are chosen; their marked objects are copied
//!    into other partitions, leaving forwarding headers. Large unmarked objects are chosen too.
//! 3. **Update.** The marked objects of all other partitions have their fields redirected from
//!    forwarding stubs to the copies, in slices too (an update cursor `(object, next field)`;
//!    the mutator stores resolved values, so the updated part stays updated). Then the chosen
//!    partitions are freed (poisoned in debug builds) and the mark bitmap cleared.
//!
//! The mutator reads through [`Collector::resolve`], its stores store resolved values, and roots
//! are resolved after each evacuation/update increment, so it never sees a stub. Garbage in
//! partitions that were not evacuated stays (unmarked, never scanned) until its partition
//! becomes sparse. Objects larger than a partition get consecutive partitions of their own.
//! The partitions' words are one shared [`Space`]: the plan chooses where an object goes, the
//! space initialises it and walks each partition.
//!
//! Bounded heaps. The heap may hold at most its memory's limit of partition words. Allocation
//! (by the mutator or by evacuation) that needs partitions beyond the limit fails with
//! [`OutOfMemory`] before changing anything. A failed evacuation leaves the cycle in Evacuate
//! with the heap valid (copies made so far are forwarded); the next increment retries. A heap
//! should be sized with [`heap_limit_bytes`], leaving room to evacuate into.
//!
//! Bounded increments. Each increment of a cycle has the same budget: the parameter
//! `increment_words`, or more in a heap so large that marking would otherwise take more than
//! `pace` increments (the budget is at least the words in use at the cycle's start over `pace`).
//! An increment's heap work ([`IncrementalReport::work`]) counts one per
//! object visited (its header), per field scanned or updated, per word copied and per partition
//! skipped. Marking and updating check the budget before every field, so they never exceed it.
//! The one atomic step is copying an object during evacuation: at most a partition (larger
//! objects are never copied), and started beyond the remaining budget only as an increment's
//! first work. So every increment's work is at most `max(budget, partition_words)`, that is the
//! budget plus at most one partition. Not counted: root words (marked at the snapshot, resolved
//! after each evacuation or update increment; reported as [`IncrementalReport::root_words`]),
//! the bitmap searches between marked objects, and the per-cycle bookkeeping over the partition
//! table and the bitmap when a cycle is chosen or finished.
//!
//! Invariants: between cycles the bitmap is clear, no partition is marked for evacuation and no
//! reachable object is forwarded; during Evacuate and Update every reachable object is marked.
#![allow(clippy::needless_range_loop)] // scanned words are heap addresses, not just indices

use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::mark_stack::MarkStack;
use crate::gc::policy::partitions::{PartitionTable, State};
use crate::gc::policy::space::Space;
use crate::gc::sanity::check_header;
use crate::gc::{debug_verify, poison, Collector, Constraints, IncrementalReport, Progress};
use crate::memory::{Addr, HeapSizing, Memory, OutOfMemory, VecMemory};
use crate::object::{
    addr_of, fields_of_header, forwarding_header, is_forwarded, is_ptr, object_size, ptr, Kind,
};
use crate::types::{Word, WORD_SIZE};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The incremental plan's constraints.
pub const CONSTRAINTS: Constraints = Constraints {
    name: "incremental",
    moves_objects: true,
    incremental: true,
    needs_write_barrier: true,
    frees_all_garbage: false,
};

/// Words per partition by default.
pub const PARTITION_SIZE: usize = 32 * 1024;

/// The size in bytes of a bounded heap for a program whose heap (objects back to back, as a
/// dense collector would hold them) takes `heap_words` words: `max(3 * partition_words,
/// 2 * heap_words)` words. Twice the content leaves room to evacuate into while sparse
/// partitions still hold their garbage; three partitions are the least for one allocation
/// partition, one being evacuated and one target.
pub fn heap_limit_bytes(partition_words: usize, heap_words: usize) -> usize {
    partition_words
        .saturating_mul(3)
        .max(heap_words.saturating_mul(2))
        .saturating_mul(WORD_SIZE)
}

/// Increments per phase by default (see [`IncrementalParams::pace`]).
pub const DEFAULT_PACE: usize = 64;

/// Tuning of the incremental plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncrementalParams {
    /// Words per partition.
    pub partition_words: usize,
    /// Words of work per increment (see the module doc; at least one unit is always done).
    pub increment_words: usize,
    /// Pacing: marking and updating take about this many increments each at most, because an
    /// increment's budget is at least the words in use at the cycle's start divided by `pace`
    /// (a collector must finish its cycles however large the heap; 0: no such minimum).
    pub pace: usize,
    /// A partition is evacuated when its live words are below this percentage of its size.
    pub evacuate_below_percent: usize,
    /// When to start a cycle, from the live words of the last one.
    pub sizing: HeapSizing,
}

impl Default for IncrementalParams {
    fn default() -> Self {
        IncrementalParams {
            partition_words: PARTITION_SIZE,
            increment_words: 64 * 1024,
            pace: DEFAULT_PACE,
            evacuate_below_percent: 50,
            sizing: HeapSizing::default(),
        }
    }
}

/// Where a cycle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No cycle running.
    Idle,
    /// Incremental marking.
    Mark,
    /// Copying out of the chosen partitions.
    Evacuate,
    /// Redirecting fields to the copies.
    Update,
}

/// The incremental collector.
#[derive(Debug)]
pub struct Incremental<M: Memory = VecMemory> {
    /// The partitions' words: `[0, table.heap_words())`.
    space: Space<M>,
    table: PartitionTable,
    alloc_part: Option<usize>,
    bitmap: MarkBitmap,
    stack: MarkStack,
    phase: Phase,
    /// Next address to visit in the Evacuate or Update phase.
    cursor: Addr,
    /// The object being scanned (Mark) or updated (Update) in slices, and its next field offset.
    slice: Option<(Addr, usize)>,
    /// Work budget of each increment of the current (or last) cycle.
    budget: usize,
    /// Heap work of the current (or last) increment, see the module doc.
    work: usize,
    /// Root words handled by the current (or last) increment.
    root_words: usize,
    /// Cycles finished.
    cycles: usize,
    /// Partition ranges freed by the last finished cycle.
    freed: Vec<(usize, usize)>,
    params: IncrementalParams,
    threshold: usize,
    allocated: usize,
}

impl Incremental {
    /// An empty heap without a limit.
    pub fn new(params: IncrementalParams) -> Self {
        Self::with_memory(params, VecMemory::unlimited())
    }

    /// An empty heap of at most `limit_bytes` bytes.
    pub fn bounded(params: IncrementalParams, limit_bytes: usize) -> Self {
        Self::with_memory(params, VecMemory::bounded(limit_bytes))
    }
}

impl<M: Memory> Incremental<M> {
    /// An empty heap over an empty memory.
    pub fn with_memory(params: IncrementalParams, memory: M) -> Self {
        Incremental {
            space: Space::over(memory),
            table: PartitionTable::new(params.partition_words),
            alloc_part: None,
            bitmap: MarkBitmap::new(),
            stack: MarkStack::new(),
            phase: Phase::Idle,
            cursor: 0,
            slice: None,
            budget: params.increment_words.max(1),
            work: 0,
            root_words: 0,
            cycles: 0,
            freed: Vec::new(),
            threshold: params.sizing.next_threshold(0),
            allocated: 0,
            params,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the object at `a` is marked (grey or black) in the current cycle.
    pub fn is_marked(&self, a: Addr) -> bool {
        self.bitmap.get(a)
    }

    /// The object being scanned (Mark) or updated (Update) in slices, and its next field offset.
    pub fn slice(&self) -> Option<(Addr, usize)> {
        self.slice
    }

    /// The partition table.
    pub fn partitions(&self) -> &PartitionTable {
        &self.table
    }

    /// Makes room for `n` new partitions where the table would put them; fails, changing
    /// nothing, when they would end beyond the limit.
    fn reserve_partitions(&mut self, n: usize) -> Result<(), OutOfMemory> {
        let first = self.table.find(n);
        let end = (first + n).saturating_mul(self.table.size());
        let limit = self.space.limit();
        if end > limit {
            let start = self.table.start(first);
            return Err(OutOfMemory::words(end - start, limit.saturating_sub(start)));
        }
        self.space.reserve(end)
    }

    /// Allocates `size` words (black during a cycle) without initialising them.
    fn alloc_words(&mut self, size: usize) -> Result<Addr, OutOfMemory> {
        let p = self.table.size();
        let in_cycle = self.phase != Phase::Idle;
        let a = if size > p {
            self.reserve_partitions(size.div_ceil(p))?;
            let i = self.table.take(size.div_ceil(p), in_cycle);
            let a = self.table.start(i);
            self.table.get_mut(i).top = a + size;
            a
        } else {
            let fits = self
                .alloc_part
                .is_some_and(|i| self.table.get(i).top + size <= self.table.end(i));
            if !fits {
                self.reserve_partitions(1)?;
                self.alloc_part = Some(self.table.take(1, in_cycle));
            }
            let i = self.alloc_part.unwrap_or_default();
            let part = self.table.get_mut(i);
            part.fresh |= in_cycle;
            let a = part.top;
            part.top += size;
            a
        };
        self.space.extend_to(self.table.heap_words())?;
        self.bitmap.ensure(self.table.heap_words());
        if in_cycle {
            self.bitmap.set(a);
            let i = self.table.index_of(a);
            self.table.get_mut(i).marked_words += size;
        }
        self.allocated += size;
        Ok(a)
    }

    /// Shades the object `v` points to (marking phase).
    fn mark_value(&mut self, v: Word) {
        if is_ptr(v) {
            let a = addr_of(v);
            if self.bitmap.set(a) {
                self.stack.push(a);
                let size = object_size(self.space.words(), a);
                let i = self.table.index_of(a);
                self.table.get_mut(i).marked_words += size;
            }
        }
    }

    fn start_cycle(&mut self, roots: &[Word]) {
        self.phase = Phase::Mark;
        let paced = self.used_words().checked_div(self.params.pace).unwrap_or(0);
        self.budget = self.params.increment_words.max(paced).max(1);
        self.bitmap.ensure(self.table.heap_words());
        for &r in roots {
            self.mark_value(r);
        }
        self.root_words += roots.len();
    }

    /// Charges `words` of work against `budget`.
    fn charge(&mut self, budget: &mut usize, words: usize) {
        self.work += words;
        *budget = budget.saturating_sub(words);
    }

    /// Scans grey objects, one field per unit of budget, keeping the position in an object the
    /// budget ends in; true when marking is complete.
    fn mark_step(&mut self, budget: &mut usize) -> bool {
        while *budget > 0 {
            let (a, mut f) = match self.slice.take() {
                Some(at) => at,
                None => {
                    let Some(a) = self.stack.pop() else {
                        return true;
                    };
                    self.charge(budget, 1);
                    (a, fields_of_header(self.space.words()[a]).0)
                }
            };
            let e = fields_of_header(self.space.words()[a]).1;
            while f < e && *budget > 0 {
                let v = self.space.words()[a + f];
                self.mark_value(v);
                self.charge(budget, 1);
                f += 1;
            }
            if f < e {
                self.slice = Some((a, f));
            }
        }
        self.slice.is_none() && self.stack.is_empty()
    }

    /// Chooses the partitions to evacuate (and unmarked large objects to free).
    fn choose_evacuation(&mut self) {
        let limit = self.table.size() * self.params.evacuate_below_percent / 100;
        for i in 0..self.table.len() {
            let alloc_part = self.alloc_part == Some(i);
            let part = self.table.get_mut(i);
            part.evacuate = match part.state {
                State::Normal => !part.fresh && !alloc_part && part.marked_words < limit.max(1),
                State::LargeHead(_) => !part.fresh && part.marked_words == 0,
                State::Free | State::LargeTail => false,
            };
        }
        self.cursor = 0;
    }

    /// Copies marked objects out of chosen partitions; true when done. Fails, before copying
    /// the object at the cursor, when no target partition fits below the limit.
    fn evacuate_step(&mut self, budget: &mut usize) -> Result<bool, OutOfMemory> {
        while *budget > 0 {
            let i = self.table.index_of(self.cursor);
            if i >= self.table.len() {
                return Ok(true);
            }
            let part = *self.table.get(i);
            if !part.evacuate || part.state != State::Normal {
                self.cursor = self.table.end(i);
                self.charge(budget, 1);
                continue;
            }
            let Some(a) = self.bitmap.next_set(self.cursor, part.top) else {
                self.cursor = self.table.end(i);
                self.charge(budget, 1);
                continue;
            };
            let size = object_size(self.space.words(), a);
            if size > *budget && self.work > 0 {
                // Copied whole: started only as an increment's first work (see the module doc).
                return Ok(false);
            }
            let n = self.alloc_words(size)?;
            self.space.words_mut().copy_within(a..a + size, n);
            self.space.words_mut()[a] = forwarding_header(size);
            self.space.words_mut()[a + 1] = n;
            self.cursor = a + size;
            self.charge(budget, size);
        }
        Ok(false)
    }

    /// Redirects fields of marked objects outside chosen partitions, one field per unit of
    /// budget, keeping the position in an object the budget ends in; true when done.
    fn update_step(&mut self, budget: &mut usize) -> bool {
        while *budget > 0 {
            if let Some((a, mut f)) = self.slice.take() {
                let e = fields_of_header(self.space.words()[a]).1;
                while f < e && *budget > 0 {
                    let v = self.space.words()[a + f];
                    let r = self.resolve(v);
                    self.space.words_mut()[a + f] = r;
                    self.charge(budget, 1);
                    f += 1;
                }
                if f < e {
                    self.slice = Some((a, f));
                } else {
                    self.cursor = a + object_size(self.space.words(), a);
                }
                continue;
            }
            let i = self.table.index_of(self.cursor);
            if i >= self.table.len() {
                return true;
            }
            let part = *self.table.get(i);
            let walk = !part.evacuate && matches!(part.state, State::Normal | State::LargeHead(_));
            let next = if walk {
                self.bitmap.next_set(self.cursor, part.top)
            } else {
                None
            };
            let Some(a) = next else {
                self.cursor = match part.state {
                    State::LargeHead(n) => self.table.end(i + n - 1),
                    _ => self.table.end(i),
                };
                self.charge(budget, 1);
                continue;
            };
            self.charge(budget, 1);
            self.slice = Some((a, fields_of_header(self.space.words()[a]).0));
        }
        false
    }

    /// Frees the evacuated partitions and ends the cycle.
    fn finish_cycle(&mut self) {
        let mut live = 0;
        self.freed.clear();
        for i in 0..self.table.len() {
            let part = *self.table.get(i);
            if part.evacuate {
                let n = match part.state {
                    State::LargeHead(n) => n,
                    _ => 1,
                };
                self.freed.push((i, n));
                let end = self.table.end(i + n - 1);
                let start = self.table.start(i);
                poison(&mut self.space.words_mut()[start..end]);
                self.table.free(i);
            } else {
                live += part.marked_words;
            }
        }
        self.bitmap.clear_all();
        self.table.end_cycle();
        self.phase = Phase::Idle;
        self.cycles += 1;
        self.allocated = 0;
        self.threshold = self.params.sizing.next_threshold(live);
    }

    /// Every object start in address order (with forwarding stubs when `stubs`).
    fn walk(&self, stubs: bool, f: &mut dyn FnMut(Addr)) {
        let words = self.space.words();
        for i in 0..self.table.len() {
            let part = self.table.get(i);
            match part.state {
                State::Normal => {
                    self.space
                        .for_each_object_in(self.table.start(i), part.top, &mut |a| {
                            if stubs || !is_forwarded(words[a]) {
                                f(a);
                            }
                        })
                }
                State::LargeHead(_) => f(self.table.start(i)),
                State::Free | State::LargeTail => {}
            }
        }
    }
}

impl<M: Memory> Collector for Incremental<M> {
    fn constraints(&self) -> Constraints {
        CONSTRAINTS
    }

    fn words(&self) -> &[Word] {
        self.space.words()
    }

    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        let a = self.alloc_words(kind.size(aux))?;
        self.space.init_object(a, kind, aux);
        Ok(a)
    }

    fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        self.space.init_word(obj, offset, value);
    }

    fn write(&mut self, obj: Addr, offset: usize, value: Word) {
        let obj = addr_of(self.resolve(ptr(obj)));
        if self.phase == Phase::Mark {
            let old = self.space.words()[obj + offset];
            self.mark_value(old);
        }
        let value = self.resolve(value);
        self.space.words_mut()[obj + offset] = value;
    }

    fn resolve(&self, value: Word) -> Word {
        if is_ptr(value) {
            let words = self.space.words();
            let a = addr_of(value);
            if is_forwarded(words[a]) {
                return ptr(words[a + 1]);
            }
        }
        value
    }

    fn collect_increment(&mut self, roots: &mut [Word]) -> Result<Progress, OutOfMemory> {
        self.work = 0;
        self.root_words = 0;
        if self.phase == Phase::Idle {
            self.start_cycle(roots);
        }
        let mut budget = self.budget;
        if self.phase == Phase::Mark && self.mark_step(&mut budget) {
            self.choose_evacuation();
            self.phase = Phase::Evacuate;
        }
        let evacuated = if self.phase == Phase::Evacuate && budget > 0 {
            self.evacuate_step(&mut budget)
        } else {
            Ok(false)
        };
        if self.phase == Phase::Evacuate || self.phase == Phase::Update {
            for r in roots.iter_mut() {
                *r = self.resolve(*r);
            }
            self.root_words += roots.len();
        }
        if evacuated? {
            self.cursor = 0;
            self.phase = Phase::Update;
        }
        if self.phase == Phase::Update && budget > 0 && self.update_step(&mut budget) {
            self.finish_cycle();
            debug_verify(self, roots);
            return Ok(Progress::Done);
        }
        Ok(Progress::Continue)
    }

    fn used_words(&self) -> usize {
        self.table.in_use() * self.table.size()
    }

    fn limit_words(&self) -> usize {
        self.space.limit()
    }

    fn partition_words(&self) -> Option<usize> {
        Some(self.table.size())
    }

    fn should_collect(&self) -> bool {
        self.allocated >= self.threshold
    }

    fn incremental_report(&self) -> Option<IncrementalReport> {
        Some(IncrementalReport {
            partition_words: self.table.size(),
            budget: self.budget,
            evacuate_below_percent: self.params.evacuate_below_percent,
            work: self.work,
            root_words: self.root_words,
            cycles: self.cycles,
            freed: self.freed.clone(),
        })
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        self.walk(false, f);
    }

    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        let words = self.space.words();
        let mut starts = MarkBitmap::new();
        starts.ensure(self.table.heap_words() + 1);
        let mut err = None;
        self.walk(true, &mut |a| {
            let i = self.table.index_of(a);
            let part = self.table.get(i);
            if is_forwarded(words[a]) {
                if !part.evacuate && err.is_none() {
                    err = Some(format!(
                        "forwarding stub at {a} outside an evacuated partition"
                    ));
                }
            } else if let Err(e) = check_header(words, a, part.top) {
                err.get_or_insert(e);
            }
            starts.set(a);
        });
        if let Some(e) = err {
            return Err(e);
        }
        if self.phase == Phase::Idle {
            if !self.bitmap.is_clear() {
                return Err(String::from("mark bitmap not clear between cycles"));
            }
            if (0..self.table.len()).any(|i| self.table.get(i).evacuate) {
                return Err(String::from(
                    "partition marked for evacuation between cycles",
                ));
            }
        }
        // Everything reachable (through forwarding) is a live object; marked after marking.
        let mut seen = MarkBitmap::new();
        seen.ensure(self.table.heap_words() + 1);
        let mut stack = alloc::vec::Vec::new();
        let mut visit = |v: Word,
                         from: &dyn Fn() -> String,
                         stack: &mut alloc::vec::Vec<Addr>|
         -> Result<(), String> {
            if !is_ptr(v) {
                return Ok(());
            }
            let a = addr_of(self.resolve(v));
            if !starts.get(a) || is_forwarded(words[a]) {
                return Err(format!("{} = {v:#x} points to no object", from()));
            }
            if self.table.get(self.table.index_of(a)).evacuate && self.phase == Phase::Update {
                return Err(format!(
                    "{} points into an evacuated partition at {a}",
                    from()
                ));
            }
            if matches!(self.phase, Phase::Evacuate | Phase::Update) && !self.bitmap.get(a) {
                return Err(format!(
                    "{} = {v:#x}: reachable object at {a} unmarked after marking",
                    from()
                ));
            }
            if seen.set(a) {
                stack.push(a);
            }
            Ok(())
        };
        for (i, &r) in roots.iter().enumerate() {
            visit(r, &|| format!("root {i}"), &mut stack)?;
        }
        while let Some(a) = stack.pop() {
            let (s, e) = fields_of_header(words[a]);
            for f in a + s..a + e {
                visit(
                    words[f],
                    &|| format!("field {} of object at {a}", f - a),
                    &mut stack,
                )?;
            }
        }
        Ok(())
    }
}
