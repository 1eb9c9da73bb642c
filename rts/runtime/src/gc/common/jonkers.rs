//! Jonkers' threaded sliding compaction of a marked region `[lo, hi)`.
//!
//! Threading a slot `s` that points to object `p` moves `p`'s header word into `s` and stores a
//! link `s << 1 | 1` in `p`'s header word; the links of all slots pointing to `p` form a chain
//! ending in the original header (low bit 0, see [`crate::object`]). Unthreading `p` with its
//! new address writes the new pointer into every slot of the chain and restores the header.
//! Root slots are named by `words.len() + i` so they can be chained like heap slots.
//!
//! 1. Thread every root and every extra slot (old-to-young slots) pointing into the region.
//! 2. Pass 1, marked objects in address order: unthread the object (its chain now holds every
//!    slot that precedes it: roots, extra slots and fields of earlier objects) with its new
//!    address `free`, then thread all its fields pointing into the region; `free += size`.
//! 3. Pass 2, same order: unthread again (the chain now holds the fields of the object itself and
//!    of later objects, threaded in pass 1), then slide the object down to `free`.
//!
//! Invariant: every slot is threaded exactly once, so each is rewritten exactly once; fields
//! pointing outside the region are untouched. The region's mark bits are cleared.
//!
//! Used by the mark-compact plan (whole space) and the generational plan (young generation, or
//! whole space), after [`super::mark::mark_region`] over the same region.

use crate::gc::policy::bitmap::MarkBitmap;
use crate::memory::Addr;
use crate::object::{addr_of, fields_of_header, is_ptr, object_size, ptr};
use crate::types::Word;

fn read_slot(words: &[Word], roots: &[Word], s: Addr) -> Word {
    if s < words.len() {
        words[s]
    } else {
        roots[s - words.len()]
    }
}

fn write_slot(words: &mut [Word], roots: &mut [Word], s: Addr, v: Word) {
    if s < words.len() {
        words[s] = v;
    } else {
        roots[s - words.len()] = v;
    }
}

/// Threads slot `s` if it points into `[lo, hi)`.
fn thread(words: &mut [Word], roots: &mut [Word], s: Addr, lo: Addr, hi: Addr) {
    let v = read_slot(words, roots, s);
    if is_ptr(v) {
        let p = addr_of(v);
        if p >= lo && p < hi {
            write_slot(words, roots, s, words[p]);
            words[p] = (s << 1) | 1;
        }
    }
}

/// Points every slot chained at `p` to `new` and restores `p`'s header.
fn unthread(words: &mut [Word], roots: &mut [Word], p: Addr, new: Addr) {
    let mut w = words[p];
    while w & 1 == 1 {
        let s = w >> 1;
        let next = read_slot(words, roots, s);
        write_slot(words, roots, s, ptr(new));
        w = next;
    }
    words[p] = w;
}

/// Compacts the marked objects of `[lo, hi)` down to `lo`, updating `roots`, the heap slots in
/// `extra_slots` and all fields of marked objects; returns the new end of the region.
pub fn compact_region(
    words: &mut [Word],
    lo: Addr,
    hi: Addr,
    bitmap: &mut MarkBitmap,
    roots: &mut [Word],
    extra_slots: &[Addr],
) -> Addr {
    debug_assert!(
        lo <= hi && hi <= words.len(),
        "region [{lo}, {hi}) outside the heap"
    );
    let root_base = words.len();
    for i in 0..roots.len() {
        thread(words, roots, root_base + i, lo, hi);
    }
    for &s in extra_slots {
        thread(words, roots, s, lo, hi);
    }
    // Pass 1: forward references resolved, all fields threaded.
    let mut free = lo;
    let mut p = lo;
    while let Some(a) = bitmap.next_set(p, hi) {
        unthread(words, roots, a, free);
        let size = object_size(words, a);
        let (s, e) = fields_of_header(words[a]);
        for f in a + s..a + e {
            thread(words, roots, f, lo, hi);
        }
        free += size;
        p = a + size;
    }
    // Pass 2: backward and self references resolved, objects slid down.
    let mut free = lo;
    let mut p = lo;
    while let Some(a) = bitmap.next_set(p, hi) {
        unthread(words, roots, a, free);
        let size = object_size(words, a);
        words.copy_within(a..a + size, free);
        bitmap.clear(a);
        free += size;
        p = a + size;
    }
    free
}
