//! Heap sanity checks shared by the plans (and used by [`Collector::verify`](super::Collector)).
//!
//! [`check_dense`] walks a heap whose objects lie back to back in `[0, hp)`: every header must be
//! a live object header (no forwarding stub, no poison) whose object fits below `hp`, and every
//! root and every scanned word holding a pointer must point to an object start below `hp`.
#![allow(clippy::needless_range_loop)] // scanned words are heap addresses, not just indices

use crate::gc::policy::bitmap::MarkBitmap;
use crate::memory::Addr;
use crate::object::{addr_of, fields_of_header, header_kind, is_ptr, size_of_header};
use crate::types::Word;
use alloc::format;
use alloc::string::String;

/// Checks the object header at `a`: a live kind whose object ends at or below `limit`.
pub fn check_header(words: &[Word], a: Addr, limit: Addr) -> Result<usize, String> {
    let h = *words
        .get(a)
        .ok_or_else(|| format!("object address {a} beyond the heap"))?;
    if header_kind(h).is_none() {
        return Err(format!("bad header {h:#x} at {a}"));
    }
    let size = size_of_header(h).unwrap_or(0);
    if a.checked_add(size).is_none_or(|end| end > limit) {
        return Err(format!("object at {a} of {size} words ends beyond {limit}"));
    }
    Ok(size)
}

/// Checks a dense heap `[0, hp)` and its roots; `starts` is scratch (left clear).
pub fn check_dense(
    words: &[Word],
    hp: Addr,
    roots: &[Word],
    starts: &mut MarkBitmap,
) -> Result<(), String> {
    starts.ensure(hp + 1);
    let mut a = 0;
    let result = (|| {
        while a < hp {
            let size = check_header(words, a, hp)?;
            starts.set(a);
            a += size;
        }
        for (i, &r) in roots.iter().enumerate() {
            if is_ptr(r) && !starts.get(addr_of(r)) {
                return Err(format!("root {i} = {r:#x} points to no object"));
            }
        }
        let mut o = 0;
        while o < hp {
            let h = words[o];
            let (s, e) = fields_of_header(h);
            for f in o + s..o + e {
                let v = words[f];
                if is_ptr(v) && !starts.get(addr_of(v)) {
                    return Err(format!(
                        "field {} of object at {o} = {v:#x} points to no object",
                        f - o
                    ));
                }
            }
            o += size_of_header(h).unwrap_or(1);
        }
        Ok(())
    })();
    starts.clear_range(0, hp + 1);
    result
}
