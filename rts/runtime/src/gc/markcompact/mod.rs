//! The mark-compact plan: marking with a bitmap and a growing mark stack, then Jonkers' threaded
//! sliding compaction (the object order is kept; survivors slide down to the start of the space).
//!
//! [`mark_region`] and [`compact_region`] work on a region `[lo, hi)` of a dense space and are
//! shared with the generational plan, which compacts only its young generation.
//!
//! Invariants: after a collection `[0, hp)` holds exactly the reachable objects in their old
//! relative order, the bitmap is clear, and `[hp, old hp)` is poisoned (debug builds).
#![allow(clippy::needless_range_loop)] // scanned words are heap addresses, not just indices

pub mod jonkers;

pub use jonkers::compact_region;

use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::mark_stack::MarkStack;
use crate::gc::policy::space::Space;
use crate::gc::sanity::check_dense;
use crate::gc::{debug_verify, Collector, Constraints, Progress};
use crate::memory::{Addr, HeapSizing, OutOfMemory};
use crate::object::{addr_of, fields_of_header, init_object, is_ptr, object_size, Kind};
use crate::types::Word;
use alloc::string::String;

/// The mark-compact plan's constraints.
pub const CONSTRAINTS: Constraints = Constraints {
    name: "mark-compact",
    moves_objects: true,
    incremental: false,
    needs_write_barrier: false,
    frees_all_garbage: true,
};

/// Marks `v`'s object if it lies in `[lo, hi)` and is unmarked, pushing it for scanning.
fn mark_value(v: Word, lo: Addr, hi: Addr, bitmap: &mut MarkBitmap, stack: &mut MarkStack) {
    if is_ptr(v) {
        let a = addr_of(v);
        if a >= lo && a < hi && bitmap.set(a) {
            stack.push(a);
        }
    }
}

/// Marks every object in `[lo, hi)` reachable from `roots` and from the values in the heap slots
/// `extra_slots`, following pointers only within the region (objects outside count as live and
/// are not traced). The bitmap must cover `hi` and be clear in the region.
pub fn mark_region(
    words: &[Word],
    lo: Addr,
    hi: Addr,
    bitmap: &mut MarkBitmap,
    stack: &mut MarkStack,
    roots: &[Word],
    extra_slots: &[Addr],
) {
    for &r in roots {
        mark_value(r, lo, hi, bitmap, stack);
    }
    for &s in extra_slots {
        mark_value(words[s], lo, hi, bitmap, stack);
    }
    while let Some(a) = stack.pop() {
        let (s, e) = fields_of_header(words[a]);
        for f in a + s..a + e {
            mark_value(words[f], lo, hi, bitmap, stack);
        }
    }
}

/// A mark-compact collector over one growing space.
#[derive(Debug, Default)]
pub struct MarkCompact {
    space: Space,
    bitmap: MarkBitmap,
    stack: MarkStack,
    sizing: HeapSizing,
    threshold: usize,
}

impl MarkCompact {
    /// An empty heap with the given sizing policy.
    pub fn new(sizing: HeapSizing) -> Self {
        MarkCompact {
            sizing,
            threshold: sizing.next_threshold(0),
            ..Default::default()
        }
    }

    /// The mark stack (tests look at its growth).
    pub fn mark_stack(&self) -> &MarkStack {
        &self.stack
    }
}

impl Collector for MarkCompact {
    fn constraints(&self) -> Constraints {
        CONSTRAINTS
    }

    fn words(&self) -> &[Word] {
        self.space.words()
    }

    fn alloc(&mut self, kind: Kind, aux: usize) -> Result<Addr, OutOfMemory> {
        let a = self.space.alloc(kind.size(aux))?;
        init_object(self.space.words_mut(), a, kind, aux);
        Ok(a)
    }

    fn init_word(&mut self, obj: Addr, offset: usize, value: Word) {
        self.space.words_mut()[obj + offset] = value;
    }

    fn write(&mut self, obj: Addr, offset: usize, value: Word) {
        self.space.words_mut()[obj + offset] = value;
    }

    fn collect_increment(&mut self, roots: &mut [Word]) -> Progress {
        let hp = self.space.hp();
        self.bitmap.ensure(hp + 1);
        mark_region(
            self.space.words(),
            0,
            hp,
            &mut self.bitmap,
            &mut self.stack,
            roots,
            &[],
        );
        let new_hp = compact_region(self.space.words_mut(), 0, hp, &mut self.bitmap, roots, &[]);
        self.space.truncate(new_hp);
        self.threshold = self.sizing.next_threshold(new_hp);
        debug_verify(self, roots);
        Progress::Done
    }

    fn should_collect(&self) -> bool {
        self.space.hp() >= self.threshold
    }

    fn for_each_object(&self, f: &mut dyn FnMut(Addr)) {
        let mut a = 0;
        while a < self.space.hp() {
            f(a);
            a += object_size(self.space.words(), a);
        }
    }

    fn verify(&self, roots: &[Word]) -> Result<(), String> {
        if !self.bitmap.is_clear() {
            return Err(String::from("mark bitmap not clear after collection"));
        }
        check_dense(
            self.space.words(),
            self.space.hp(),
            roots,
            &mut MarkBitmap::new(),
        )
    }
}
