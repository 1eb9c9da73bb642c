//! Marking a region `[lo, hi)` of a dense space: depth-first from the roots and from extra heap
//! slots, with a mark bitmap (one bit per object start) and an explicit growing mark stack (no
//! recursion, so deep structures cannot overflow the native stack).
//!
//! Invariant: an object is pushed exactly when its bit goes from clear to set, so each marked
//! object is scanned once; pointers outside the region are neither marked nor traced.
#![allow(clippy::needless_range_loop)] // scanned words are heap addresses, not just indices

use crate::gc::policy::bitmap::MarkBitmap;
use crate::gc::policy::mark_stack::MarkStack;
use crate::memory::Addr;
use crate::object::{addr_of, fields_of_header, is_ptr};
use crate::types::Word;

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
    debug_assert!(
        lo <= hi && hi <= words.len(),
        "region [{lo}, {hi}) outside the heap"
    );
    debug_assert!(stack.is_empty(), "mark stack not empty before marking");
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
