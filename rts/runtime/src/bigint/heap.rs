//! Integers on the collected heap: an [`Int`] is stored as a [`Kind::BigInt`] object whose
//! header `aux` holds the limb count and the sign ([`object::bigint_aux`]) and whose byte
//! payload is the magnitude's little-endian 32-bit limbs.
//!
//! Arithmetic reads its operands from the heap, computes with [`Int`] and allocates the result,
//! as a runtime calling a bignum library on heap-allocated numbers does; operands are never
//! changed, so a bigint may be shared. Invariants: the stored magnitude has no high zero limb and
//! zero is never negative (so equal values have equal objects); reads go through
//! [`Collector::resolve`], so the operations are correct between the increments of an
//! incremental collection.

use super::{Int, Nat};
use crate::gc::Collector;
use crate::memory::OutOfMemory;
use crate::object::{self, bigint_aux, bigint_parts, header_aux, header_kind, Kind};
use crate::types::Word;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// A new heap bigint holding `n`.
pub fn alloc(gc: &mut dyn Collector, n: &Int) -> Result<Word, OutOfMemory> {
    let limbs = n.magnitude().limbs();
    let a = gc.alloc(Kind::BigInt, bigint_aux(limbs.len(), n.is_negative()))?;
    let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    gc.init_payload(a, &bytes);
    Ok(object::ptr(a))
}

/// The value of the heap bigint `v`.
pub fn read(gc: &dyn Collector, v: Word) -> Int {
    let v = gc.resolve(v);
    debug_assert!(object::is_ptr(v), "bigint value {v:#x} is not a pointer");
    let a = object::addr_of(v);
    let words = gc.words();
    debug_assert_eq!(header_kind(words[a]), Some(Kind::BigInt), "bigint at {a}");
    let (n, negative) = bigint_parts(header_aux(words[a]));
    let limbs: Vec<u32> = (0..n)
        .map(|i| {
            let b = |j| object::payload_byte(words, a, 4 * i + j);
            u32::from_le_bytes([b(0), b(1), b(2), b(3)])
        })
        .collect();
    Int::from_parts(negative, Nat::from_limbs(&limbs))
}

/// `op` of the heap bigints `a` and `b`, as a new heap bigint.
fn binary(
    gc: &mut dyn Collector,
    a: Word,
    b: Word,
    op: impl FnOnce(&Int, &Int) -> Int,
) -> Result<Word, OutOfMemory> {
    let r = op(&read(gc, a), &read(gc, b));
    alloc(gc, &r)
}

/// `a + b`.
pub fn add(gc: &mut dyn Collector, a: Word, b: Word) -> Result<Word, OutOfMemory> {
    binary(gc, a, b, Int::add)
}

/// `a - b`.
pub fn sub(gc: &mut dyn Collector, a: Word, b: Word) -> Result<Word, OutOfMemory> {
    binary(gc, a, b, Int::sub)
}

/// `a * b`.
pub fn mul(gc: &mut dyn Collector, a: Word, b: Word) -> Result<Word, OutOfMemory> {
    binary(gc, a, b, Int::mul)
}

/// Truncating quotient and remainder of `a / b` as new heap bigints; `None` when `b` is zero.
pub fn div_rem(
    gc: &mut dyn Collector,
    a: Word,
    b: Word,
) -> Result<Option<(Word, Word)>, OutOfMemory> {
    let Some((q, r)) = read(gc, a).div_rem(&read(gc, b)) else {
        return Ok(None);
    };
    let q = alloc(gc, &q)?;
    let r = alloc(gc, &r)?;
    Ok(Some((q, r)))
}

/// Compares the heap bigints `a` and `b` by value.
pub fn compare(gc: &dyn Collector, a: Word, b: Word) -> Ordering {
    read(gc, a).cmp(&read(gc, b))
}

/// Appends the SLEB128 encoding of the heap bigint `v` to `out`; returns its length.
pub fn write_sleb128(gc: &dyn Collector, v: Word, out: &mut Vec<u8>) -> usize {
    read(gc, v).write_sleb128(out)
}
