//! Text on the collected heap: a text value is a pointer to a [`Kind::Blob`] of UTF-8 bytes or
//! to a [`Kind::Concat`] node (`aux` = its length in bytes, fields = left and right text).
//!
//! Concatenation is O(1) except that results of at most [`FLATTEN_BYTES`] bytes are copied into
//! one blob, as the [`Text`](super::Text) ropes do; an empty operand returns the other one.
//! Reading walks the leaves left to right with an explicit stack (a heap rope may be deeper than
//! the native stack allows), so no operation recurses.
//!
//! Invariants: every blob reached as text holds well-formed UTF-8 (checked on entry by
//! [`from_utf8`]); a concat node's `aux` is the sum of its children's lengths and neither child is
//! empty. Every pointer loaded from a root or a field goes through [`Collector::resolve`] (the
//! read barrier), so the operations are correct between the increments of an incremental
//! collection, and fields are stored resolved into fresh nodes with
//! [`Collector::init_word`].

use super::utf8::{self, Utf8Error};
use super::FLATTEN_BYTES;
use crate::gc::Collector;
use crate::memory::{Addr, OutOfMemory};
use crate::object::{self, header_aux, header_kind, Kind};
use crate::types::Word;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// Why [`from_utf8`] made no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// The bytes are not well-formed UTF-8.
    Utf8(Utf8Error),
    /// The heap had no room.
    OutOfMemory(OutOfMemory),
}

impl From<OutOfMemory> for TextError {
    fn from(e: OutOfMemory) -> Self {
        TextError::OutOfMemory(e)
    }
}

/// A blob holding `bytes`, which the caller has checked are UTF-8.
fn alloc_blob(gc: &mut dyn Collector, bytes: &[u8]) -> Result<Word, OutOfMemory> {
    let a = gc.alloc(Kind::Blob, bytes.len())?;
    gc.init_payload(a, bytes);
    Ok(object::ptr(a))
}

/// A text holding a copy of `s`.
pub fn from_str(gc: &mut dyn Collector, s: &str) -> Result<Word, OutOfMemory> {
    alloc_blob(gc, s.as_bytes())
}

/// A text from `bytes`, which must be well-formed UTF-8.
pub fn from_utf8(gc: &mut dyn Collector, bytes: &[u8]) -> Result<Word, TextError> {
    utf8::validate(bytes).map_err(TextError::Utf8)?;
    Ok(alloc_blob(gc, bytes)?)
}

/// The address and header of the text node `v` points to, after the read barrier.
fn node(gc: &dyn Collector, v: Word) -> (Addr, Kind, usize) {
    let v = gc.resolve(v);
    debug_assert!(object::is_ptr(v), "text value {v:#x} is not a pointer");
    let a = object::addr_of(v);
    let h = gc.words()[a];
    let kind = header_kind(h);
    debug_assert!(
        matches!(kind, Some(Kind::Blob | Kind::Concat)),
        "text value {v:#x} points at {h:#x}"
    );
    (a, kind.unwrap_or(Kind::Blob), header_aux(h))
}

/// Length of the text `v` in bytes.
pub fn len_bytes(gc: &dyn Collector, v: Word) -> usize {
    node(gc, v).2
}

/// `a` followed by `b`.
pub fn concat(gc: &mut dyn Collector, a: Word, b: Word) -> Result<Word, OutOfMemory> {
    let (la, lb) = (len_bytes(gc, a), len_bytes(gc, b));
    if lb == 0 {
        return Ok(gc.resolve(a));
    }
    if la == 0 {
        return Ok(gc.resolve(b));
    }
    let total = la + lb;
    if total <= FLATTEN_BYTES {
        let mut v = to_bytes(gc, a);
        v.extend(bytes(gc, b));
        return alloc_blob(gc, &v);
    }
    let n = gc.alloc(Kind::Concat, total)?;
    // Resolved after the allocation: it cannot move objects, but the values are stored as they
    // are now.
    let (a, b) = (gc.resolve(a), gc.resolve(b));
    gc.init_word(n, 1, a);
    gc.init_word(n, 2, b);
    Ok(object::ptr(n))
}

/// The bytes of the text `v`, in order.
pub fn bytes(gc: &dyn Collector, v: Word) -> Bytes<'_> {
    Bytes {
        gc,
        pending: alloc::vec![v],
        leaf: 0,
        at: 0,
        len: 0,
    }
}

/// A copy of the bytes of the text `v`.
pub fn to_bytes(gc: &dyn Collector, v: Word) -> Vec<u8> {
    let mut out = Vec::with_capacity(len_bytes(gc, v));
    out.extend(bytes(gc, v));
    out
}

/// Length of the text `v` in code points (the bytes that do not continue a code point).
pub fn len_chars(gc: &dyn Collector, v: Word) -> usize {
    bytes(gc, v).filter(|&b| b & 0xc0 != 0x80).count()
}

/// Compares two texts by bytes (for UTF-8, the same as by code points).
pub fn compare(gc: &dyn Collector, a: Word, b: Word) -> Ordering {
    bytes(gc, a).cmp(bytes(gc, b))
}

/// The bytes of a heap text: leaves left to right, the right children still to visit on a
/// stack.
pub struct Bytes<'a> {
    gc: &'a dyn Collector,
    /// Text values still to visit, the next one last.
    pending: Vec<Word>,
    /// The blob being read, the next byte and its length.
    leaf: Addr,
    at: usize,
    len: usize,
}

impl Iterator for Bytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        while self.at == self.len {
            let v = self.pending.pop()?;
            let (a, kind, aux) = node(self.gc, v);
            if kind == Kind::Concat {
                let words = self.gc.words();
                self.pending.push(words[a + 2]);
                self.pending.push(words[a + 1]);
            } else {
                (self.leaf, self.at, self.len) = (a, 0, aux);
            }
        }
        let b = object::payload_byte(self.gc.words(), self.leaf, self.at);
        self.at += 1;
        Some(b)
    }
}
