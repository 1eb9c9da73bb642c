//! Garbage collection: one [`Collector`] API, policies (how memory is organised) and plans (the
//! collection algorithms), in the style of MMTk.
//!
//! - [`policy`]: the space (a bump-allocated region with the object operations every plan
//!   shares: allocation, initialising stores, heap walking), the mark bitmap, the growing mark
//!   stack, the remembered set and the partition table.
//! - [`common`]: algorithms shared by plans: region marking and Jonkers' sliding compaction.
//! - [`sanity`]: heap checks behind [`Collector::verify`].
//! - Plans, one folder each, each with a [`Constraints`] value:
//!   [`copying`] (Cheney semispace), [`markcompact`] (mark bitmap + mark stack, Jonkers threaded
//!   sliding compaction), [`generational`] (young generation compacted with a remembered set,
//!   periodic full collections) and [`incremental`] (partitioned heap, SATB incremental marking,
//!   evacuation of sparse partitions, incremental pointer update).
//!
//! The mutator talks to a collector only through [`Collector`]: it allocates, initialises fresh
//! objects with [`Collector::init_word`], stores into older objects with [`Collector::write`]
//! (the write barrier), reads through [`Collector::resolve`] (forwarding during an incremental
//! cycle), and calls [`Collector::collect_increment`] at safepoints with its roots. Roots are
//! value words (pointers or scalars) that a collector may rewrite.
//!
//! An incremental plan also reports, through [`Collector::incremental_report`], the work of its
//! last increment and the partitions its last cycle freed, so tests hold it to its bounds.
//!
//! Invariants shared by all plans: after a finished collection every root and every field of a
//! live object points to the header of a live object, no forwarding header is reachable, the
//! mark bitmap is clear, and freed memory is poisoned with [`POISON`] in debug builds. Debug
//! builds verify this with [`Collector::verify`] after every collection.

pub mod common;
pub mod copying;
pub mod generational;
pub mod incremental;
pub mod markcompact;
pub mod policy;
pub mod sanity;

use crate::memory::{Addr, OutOfMemory};
use crate::object::Kind;
use crate::types::Word;
use alloc::string::String;
use alloc::vec::Vec;

/// Written over freed memory in debug builds: low bit 1 (a pointer) to an address beyond any heap.
pub const POISON: Word = (Word::MAX / 0x11) | 1;

/// Fills freed words with [`POISON`] in debug builds.
pub fn poison(words: &mut [Word]) {
    if cfg!(debug_assertions) {
        words.fill(POISON);
    }
}

/// What one increment achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The collection is not finished; call again.
    Continue,
    /// The collection finished.
    Done,
}

/// What an incremental collector reports about its tuning, its last increment and its last
/// finished cycle (see [`Collector::incremental_report`]), so tests can hold it to its bounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncrementalReport {
    /// Words per partition.
    pub partition_words: usize,
    /// Work budget of an increment, in words.
    pub budget: usize,
    /// A partition is evacuated when its live words are below this percentage of its size.
    pub evacuate_below_percent: usize,
    /// Heap work of the last increment, in words: one per object visited (its header), per
    /// field scanned or updated, per word copied and per partition skipped.
    pub work: usize,
    /// Root words the last increment handled besides (marked at the snapshot, or resolved
    /// after evacuation); proportional to the roots, not to the heap.
    pub root_words: usize,
    /// Cycles finished so far.
    pub cycles: usize,
    /// Partition ranges `(first, count)` freed at the end of the last finished cycle: the
    /// evacuated partitions and the dead large objects, in address order.
    pub freed: Vec<(usize, usize)>,
}

/// Static facts about a plan, for the mutator and the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constraints {
    /// The plan's name.
    pub name: &'static str,
    /// Objects may move, so addresses change across collections.
    pub moves_objects: bool,
    /// A collection spans several increments with the mutator running in between.
    pub incremental: bool,
    /// Stores into existing objects must go through [`Collector::write`].
    pub needs_write_barrier: bool,
    /// Whether a finished full collection frees every unreachable object.
    pub frees_all_garbage: bool,
}

/// The collector API every plan implements.
pub trait Collector {
    /// The plan's constraints.
    fn constraints(&self) -> Constraints;

    /// The heap words; addresses index this slice.
    fn words(&self) -> &[Word];

    /// Allocates an object of `kind` with count `aux`: header written, payload scalar 0.
    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory>;

    /// Initialising store into an object allocated since the last safepoint (no barrier).
    fn init_word(&mut self, obj: Addr, offset: usize, value: Word);

    /// Initialising stores of a byte payload (a blob's or a bigint's, see [`crate::object`])
    /// into an object allocated since the last safepoint.
    fn init_payload(&mut self, obj: Addr, bytes: &[u8]) {
        for (k, w) in crate::object::pack_bytes(bytes).enumerate() {
            self.init_word(obj, 1 + k, w);
        }
    }

    /// Mutator store of a value into word `offset` of object `obj`, with the write barrier.
    fn write(&mut self, obj: Addr, offset: usize, value: Word);

    /// The current location of a value: follows forwarding during an incremental cycle.
    fn resolve(&self, value: Word) -> Word {
        value
    }

    /// Does a bounded amount of collection work. Stop-the-world plans finish in one increment.
    ///
    /// Fails when the collector itself needs memory beyond the heap's limit (a copying
    /// to-space, an incremental evacuation target); the heap stays valid (see each plan).
    fn collect_increment(&mut self, roots: &mut [Word]) -> Result<Progress, OutOfMemory>;

    /// Runs a whole collection (finishing one in progress).
    fn collect(&mut self, roots: &mut [Word]) -> Result<(), OutOfMemory> {
        while self.collect_increment(roots)? == Progress::Continue {}
        Ok(())
    }

    /// Words the heap occupies and is charged against its limit for: objects live or dead,
    /// forwarding stubs and (partitioned heaps) the unused rest of partitions in use.
    fn used_words(&self) -> usize;

    /// The most words the heap may occupy (its memories' limits together).
    fn limit_words(&self) -> usize;

    /// Words per partition of a partitioned heap; `None` for a dense one.
    fn partition_words(&self) -> Option<usize> {
        None
    }

    /// Asks that the next collection be a full one (generational plans); others ignore it.
    fn request_full(&mut self) {}

    /// Whether the last finished collection was complete (freed every unreachable object).
    fn last_collection_complete(&self) -> bool {
        self.constraints().frees_all_garbage
    }

    /// The report of an incremental collector; `None` for stop-the-world plans.
    fn incremental_report(&self) -> Option<IncrementalReport> {
        None
    }

    /// Whether the heap has grown past the threshold computed from its live data.
    fn should_collect(&self) -> bool;

    /// Calls `f` with the address of every object in the heap, live or dead (forwarding stubs
    /// of an incremental cycle excluded), in address order.
    fn for_each_object(&self, f: &mut dyn FnMut(Addr));

    /// Checks the heap's invariants (see the module doc); between collections and, for an
    /// incremental plan, between increments.
    fn verify(&self, roots: &[Word]) -> Result<(), String>;
}

/// Panics with the collector's name if `verify` fails; called after collections in debug builds.
pub fn debug_verify<C: Collector + ?Sized>(c: &C, roots: &[Word]) {
    if cfg!(debug_assertions) {
        if let Err(e) = c.verify(roots) {
            panic!(
                "{} heap invalid after collection: {e}",
                c.constraints().name
            );
        }
    }
}
