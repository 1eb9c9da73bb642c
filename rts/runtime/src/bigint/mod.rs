//! Arbitrary-precision naturals ([`Nat`]) and integers ([`Int`]) with their LEB128 / SLEB128
//! encodings of any length.
//!
//! A `Nat` is a little-endian vector of 32-bit limbs with no high zero limbs (zero is the empty
//! vector), so equal values have equal representations and derived equality is value equality.
//! An `Int` is a sign and a `Nat` magnitude; zero is never negative. Algorithms: schoolbook
//! addition, subtraction and multiplication; division is Knuth's algorithm D (TAOCP 4.3.1, as in
//! Hacker's Delight `divmnu`), with truncating semantics for `Int` (the quotient rounds toward
//! zero and the remainder has the dividend's sign, as Rust's `/` and `%`).
//!
//! [`heap`] keeps bigints on the collected heap and computes on them with these types.
//!
//! Encodings: LEB128 emits 7-bit groups, least significant first, the shortest form; SLEB128 is
//! the infinite two's complement form cut after the first group whose bit 6 equals the sign. The
//! decoders accept padded forms and reject input that ends while a continuation bit is set.

pub mod heap;

use crate::leb128::Leb128Error;
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// An arbitrary-precision natural number.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Nat {
    limbs: Vec<u32>,
}

impl core::fmt::Debug for Nat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{self}")
    }
}

impl core::fmt::Display for Nat {
    /// Decimal digits.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        // Peel off base-10^9 digits, most significant last.
        let mut chunks = Vec::new();
        let mut n = self.clone();
        let billion = Nat::from_u64(1_000_000_000);
        while !n.is_zero() {
            let (q, r) = n.div_rem(&billion).unwrap_or_default();
            chunks.push(r.to_u64().unwrap_or(0));
            n = q;
        }
        let mut it = chunks.iter().rev();
        if let Some(first) = it.next() {
            write!(f, "{first}")?;
        }
        for c in it {
            write!(f, "{c:09}")?;
        }
        Ok(())
    }
}

fn normalize(mut limbs: Vec<u32>) -> Vec<u32> {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

fn cmp_limbs(a: &[u32], b: &[u32]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

impl Nat {
    /// Zero.
    pub fn zero() -> Nat {
        Nat { limbs: Vec::new() }
    }

    /// From little-endian limbs (high zero limbs allowed).
    pub fn from_limbs(limbs: &[u32]) -> Nat {
        Nat {
            limbs: normalize(limbs.to_vec()),
        }
    }

    /// The limbs, little endian, without high zeros.
    pub fn limbs(&self) -> &[u32] {
        &self.limbs
    }

    /// From a `u64`.
    pub fn from_u64(v: u64) -> Nat {
        Nat::from_u128(u128::from(v))
    }

    /// From a `u128`.
    pub fn from_u128(mut v: u128) -> Nat {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Nat { limbs }
    }

    /// The value as a `u64`, if it fits.
    pub fn to_u64(&self) -> Option<u64> {
        self.to_u128().and_then(|v| u64::try_from(v).ok())
    }

    /// The value as a `u128`, if it fits.
    pub fn to_u128(&self) -> Option<u128> {
        if self.limbs.len() > 4 {
            return None;
        }
        Some(
            self.limbs
                .iter()
                .rev()
                .fold(0u128, |acc, &l| (acc << 32) | u128::from(l)),
        )
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Number of significant bits (0 for zero).
    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => 32 * (self.limbs.len() as u64 - 1) + u64::from(32 - top.leading_zeros()),
        }
    }

    /// Two to the power `bits`.
    pub fn pow2(bits: u64) -> Nat {
        let mut limbs = vec![0u32; (bits / 32) as usize + 1];
        let top = limbs.len() - 1;
        limbs[top] = 1 << (bits % 32);
        Nat { limbs }
    }

    /// `self + other`.
    pub fn add(&self, other: &Nat) -> Nat {
        let (a, b) = if self.limbs.len() >= other.limbs.len() {
            (&self.limbs, &other.limbs)
        } else {
            (&other.limbs, &self.limbs)
        };
        let mut out = Vec::with_capacity(a.len() + 1);
        let mut carry = 0u64;
        for (i, &x) in a.iter().enumerate() {
            let s = u64::from(x) + u64::from(b.get(i).copied().unwrap_or(0)) + carry;
            out.push(s as u32);
            carry = s >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Nat { limbs: out }
    }

    /// `self - other`, or `None` if `other > self`.
    pub fn checked_sub(&self, other: &Nat) -> Option<Nat> {
        if cmp_limbs(&self.limbs, &other.limbs) == Ordering::Less {
            return None;
        }
        let mut out = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for (i, &x) in self.limbs.iter().enumerate() {
            let d = i64::from(x) - i64::from(other.limbs.get(i).copied().unwrap_or(0)) - borrow;
            out.push(d as u32);
            borrow = i64::from(d < 0);
        }
        debug_assert_eq!(borrow, 0);
        Some(Nat {
            limbs: normalize(out),
        })
    }

    /// `self * other`.
    pub fn mul(&self, other: &Nat) -> Nat {
        if self.is_zero() || other.is_zero() {
            return Nat::zero();
        }
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                let t = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + other.limbs.len()] = carry as u32;
        }
        Nat {
            limbs: normalize(out),
        }
    }

    /// Quotient and remainder, or `None` when dividing by zero.
    pub fn div_rem(&self, divisor: &Nat) -> Option<(Nat, Nat)> {
        let v = &divisor.limbs;
        if v.is_empty() {
            return None;
        }
        if cmp_limbs(&self.limbs, v) == Ordering::Less {
            return Some((Nat::zero(), self.clone()));
        }
        if v.len() == 1 {
            let d = u64::from(v[0]);
            let mut q = vec![0u32; self.limbs.len()];
            let mut r = 0u64;
            for i in (0..self.limbs.len()).rev() {
                let cur = (r << 32) | u64::from(self.limbs[i]);
                q[i] = (cur / d) as u32;
                r = cur % d;
            }
            return Some((
                Nat {
                    limbs: normalize(q),
                },
                Nat::from_u64(r),
            ));
        }
        Some(knuth_d(&self.limbs, v))
    }

    /// Compares with another natural.
    pub fn cmp_nat(&self, other: &Nat) -> Ordering {
        cmp_limbs(&self.limbs, &other.limbs)
    }

    /// Bits `7 * group .. 7 * group + 7` as one byte (zero past the top).
    fn group7(&self, group: u64) -> u8 {
        let bit = 7 * group;
        let (idx, shift) = ((bit / 32) as usize, (bit % 32) as u32);
        let lo = self.limbs.get(idx).copied().unwrap_or(0) >> shift;
        let hi = if shift > 25 {
            self.limbs.get(idx + 1).copied().unwrap_or(0) << (32 - shift)
        } else {
            0
        };
        ((lo | hi) & 0x7f) as u8
    }

    /// Appends the LEB128 encoding; returns the number of bytes written.
    pub fn write_leb128(&self, out: &mut Vec<u8>) -> usize {
        let n = self.bit_len().div_ceil(7).max(1);
        for g in 0..n {
            let cont = if g + 1 < n { 0x80 } else { 0 };
            out.push(self.group7(g) | cont);
        }
        n as usize
    }

    /// Decodes a LEB128 number of any length at the start of `input`; returns it and its length.
    pub fn read_leb128(input: &[u8]) -> Result<(Nat, usize), Leb128Error> {
        let (groups, len) = read_groups(input)?;
        Ok((groups, len))
    }
}

/// Collects the 7-bit groups of a LEB128 number into a natural; returns it and the byte count.
fn read_groups(input: &[u8]) -> Result<(Nat, usize), Leb128Error> {
    let end = match input.iter().position(|&b| b & 0x80 == 0) {
        Some(i) => i + 1,
        None => return Err(Leb128Error::Truncated),
    };
    let mut limbs = vec![0u32; (7 * end).div_ceil(32) + 1];
    for (g, &b) in input[..end].iter().enumerate() {
        let bit = 7 * g;
        let (idx, shift) = (bit / 32, (bit % 32) as u32);
        let val = u32::from(b & 0x7f);
        limbs[idx] |= val << shift;
        if shift > 25 {
            limbs[idx + 1] |= val >> (32 - shift);
        }
    }
    Ok((
        Nat {
            limbs: normalize(limbs),
        },
        end,
    ))
}

/// Shifts `x` left by `s < 32` bits into `len` limbs (bits shifted past them must be zero).
fn shl_limbs(x: &[u32], s: u32, len: usize) -> Vec<u32> {
    let mut out = vec![0u32; len];
    for (i, &l) in x.iter().enumerate() {
        out[i] |= l << s;
        if s != 0 && i + 1 < len {
            out[i + 1] |= l >> (32 - s);
        }
    }
    out
}

/// Knuth's algorithm D for `u / v` with `v.len() >= 2` and `u >= v`.
fn knuth_d(u: &[u32], v: &[u32]) -> (Nat, Nat) {
    const B: u64 = 1 << 32;
    let n = v.len();
    let m = u.len() - n;
    // Normalize so the divisor's top limb has its high bit set.
    let s = v[n - 1].leading_zeros();
    let vn = shl_limbs(v, s, n);
    let mut un = shl_limbs(u, s, u.len() + 1);
    let mut q = vec![0u32; m + 1];
    for j in (0..=m).rev() {
        let num = (u64::from(un[j + n]) << 32) | u64::from(un[j + n - 1]);
        let mut qhat = num / u64::from(vn[n - 1]);
        let mut rhat = num % u64::from(vn[n - 1]);
        while qhat >= B || qhat * u64::from(vn[n - 2]) > (rhat << 32) + u64::from(un[j + n - 2]) {
            qhat -= 1;
            rhat += u64::from(vn[n - 1]);
            if rhat >= B {
                break;
            }
        }
        // Multiply and subtract.
        let mut k: i64 = 0;
        for i in 0..n {
            let p = qhat * u64::from(vn[i]);
            let t = i64::from(un[i + j]) - k - (p & 0xFFFF_FFFF) as i64;
            un[i + j] = t as u32;
            k = (p >> 32) as i64 - (t >> 32);
        }
        let t = i64::from(un[j + n]) - k;
        un[j + n] = t as u32;
        q[j] = qhat as u32;
        if t < 0 {
            // Subtracted too much: add one divisor back.
            q[j] = q[j].wrapping_sub(1);
            let mut carry = 0u64;
            for i in 0..n {
                let t = u64::from(un[i + j]) + u64::from(vn[i]) + carry;
                un[i + j] = t as u32;
                carry = t >> 32;
            }
            un[j + n] = un[j + n].wrapping_add(carry as u32);
        }
    }
    // Unnormalize the remainder.
    let mut r = vec![0u32; n];
    for i in 0..n {
        r[i] = if s == 0 {
            un[i]
        } else {
            (un[i] >> s) | (un[i + 1] << (32 - s))
        };
    }
    (
        Nat {
            limbs: normalize(q),
        },
        Nat {
            limbs: normalize(r),
        },
    )
}

impl PartialOrd for Nat {
    fn partial_cmp(&self, other: &Nat) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Nat {
    fn cmp(&self, other: &Nat) -> Ordering {
        self.cmp_nat(other)
    }
}

/// An arbitrary-precision integer.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Int {
    negative: bool,
    magnitude: Nat,
}

impl core::fmt::Debug for Int {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{self}")
    }
}

impl core::fmt::Display for Int {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{}", self.magnitude)
    }
}

impl Int {
    /// From a sign and magnitude; a zero magnitude is never negative.
    pub fn from_parts(negative: bool, magnitude: Nat) -> Int {
        Int {
            negative: negative && !magnitude.is_zero(),
            magnitude,
        }
    }

    /// Zero.
    pub fn zero() -> Int {
        Int::from_parts(false, Nat::zero())
    }

    /// From an `i64`.
    pub fn from_i64(v: i64) -> Int {
        Int::from_i128(i128::from(v))
    }

    /// From an `i128`.
    pub fn from_i128(v: i128) -> Int {
        Int::from_parts(v < 0, Nat::from_u128(v.unsigned_abs()))
    }

    /// The value as an `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        let m = self.magnitude.to_u128()?;
        if self.negative {
            0i128.checked_sub_unsigned(m)
        } else {
            i128::try_from(m).ok()
        }
    }

    /// Whether the value is negative.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The absolute value.
    pub fn magnitude(&self) -> &Nat {
        &self.magnitude
    }

    /// `-self`.
    pub fn neg(&self) -> Int {
        Int::from_parts(!self.negative, self.magnitude.clone())
    }

    /// `self + other`.
    pub fn add(&self, other: &Int) -> Int {
        if self.negative == other.negative {
            return Int::from_parts(self.negative, self.magnitude.add(&other.magnitude));
        }
        match self.magnitude.checked_sub(&other.magnitude) {
            Some(d) => Int::from_parts(self.negative, d),
            None => Int::from_parts(
                other.negative,
                other
                    .magnitude
                    .checked_sub(&self.magnitude)
                    .unwrap_or_default(),
            ),
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Int) -> Int {
        self.add(&other.neg())
    }

    /// `self * other`.
    pub fn mul(&self, other: &Int) -> Int {
        Int::from_parts(
            self.negative != other.negative,
            self.magnitude.mul(&other.magnitude),
        )
    }

    /// Truncating quotient and remainder, or `None` when dividing by zero.
    pub fn div_rem(&self, other: &Int) -> Option<(Int, Int)> {
        let (q, r) = self.magnitude.div_rem(&other.magnitude)?;
        Some((
            Int::from_parts(self.negative != other.negative, q),
            Int::from_parts(self.negative, r),
        ))
    }

    /// Appends the SLEB128 encoding; returns the number of bytes written.
    pub fn write_sleb128(&self, out: &mut Vec<u8>) -> usize {
        // Negative values: the groups of -v = m are the inverted groups of m - 1.
        let (t, invert) = if self.negative {
            (
                self.magnitude
                    .checked_sub(&Nat::from_u64(1))
                    .unwrap_or_default(),
                0x7f,
            )
        } else {
            (self.magnitude.clone(), 0)
        };
        let n = (t.bit_len() + 1).div_ceil(7);
        for g in 0..n {
            let cont = if g + 1 < n { 0x80 } else { 0 };
            out.push((t.group7(g) ^ invert) | cont);
        }
        n as usize
    }

    /// Decodes an SLEB128 number of any length at the start of `input`; returns it and its length.
    pub fn read_sleb128(input: &[u8]) -> Result<(Int, usize), Leb128Error> {
        let (acc, len) = read_groups(input)?;
        if input[len - 1] & 0x40 == 0 {
            return Ok((Int::from_parts(false, acc), len));
        }
        // Negative: the value is acc - 2^(7 len).
        let magnitude = Nat::pow2(7 * len as u64)
            .checked_sub(&acc)
            .unwrap_or_default();
        Ok((Int::from_parts(true, magnitude), len))
    }
}

impl PartialOrd for Int {
    fn partial_cmp(&self, other: &Int) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Int {
    fn cmp(&self, other: &Int) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.magnitude.cmp(&other.magnitude),
            (true, true) => other.magnitude.cmp(&self.magnitude),
        }
    }
}
