//! LEB128 (unsigned) and SLEB128 (signed) variable-length integers, as used by the
//! serialization format and the bigint encodings.
//!
//! Encoding emits 7 bits per byte, least significant group first, with the high bit of each byte
//! set when more bytes follow. The encoders emit the shortest form. The decoders accept any form
//! that fits in the target type, including padded ones (`0x80 0x00` is 0), and reject:
//! - input that ends while a continuation bit is set ([`Leb128Error::Truncated`]),
//! - values that do not fit 64 bits ([`Leb128Error::Overflow`]): more than 10 bytes, or a tenth
//!   byte carrying bits beyond bit 63 (for SLEB128: bits that are not the sign extension).

use alloc::vec::Vec;

/// Most bytes a 64-bit value can take.
pub const MAX_LEN_64: usize = 10;

/// Why a LEB128 decode failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leb128Error {
    /// The input ended inside a number.
    Truncated,
    /// The number does not fit 64 bits.
    Overflow,
}

impl core::fmt::Display for Leb128Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Leb128Error::Truncated => f.write_str("LEB128 number truncated"),
            Leb128Error::Overflow => f.write_str("LEB128 number overflows 64 bits"),
        }
    }
}

/// Appends the unsigned LEB128 encoding of `value`; returns the number of bytes written.
pub fn write_u64(out: &mut Vec<u8>, mut value: u64) -> usize {
    let start = out.len();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out.len() - start;
        }
        out.push(byte | 0x80);
    }
}

/// Appends the signed LEB128 encoding of `value`; returns the number of bytes written.
pub fn write_i64(out: &mut Vec<u8>, mut value: i64) -> usize {
    let start = out.len();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7; // arithmetic shift keeps the sign
        let sign_bit_clear = byte & 0x40 == 0;
        if (value == 0 && sign_bit_clear) || (value == -1 && !sign_bit_clear) {
            out.push(byte);
            return out.len() - start;
        }
        out.push(byte | 0x80);
    }
}

/// Length in bytes of the shortest unsigned encoding of `value`.
pub const fn len_u64(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    if bits == 0 {
        1
    } else {
        bits.div_ceil(7)
    }
}

/// Length in bytes of the shortest signed encoding of `value`.
pub const fn len_i64(value: i64) -> usize {
    // Significant bits plus one sign bit.
    let bits = if value < 0 {
        65 - value.leading_ones() as usize
    } else {
        65 - value.leading_zeros() as usize
    };
    bits.div_ceil(7)
}

/// Decodes an unsigned LEB128 number at the start of `input`; returns it and its length.
pub fn read_u64(input: &[u8]) -> Result<(u64, usize), Leb128Error> {
    let mut result: u64 = 0;
    for (i, &byte) in input.iter().enumerate() {
        let payload = u64::from(byte & 0x7f);
        let shift = 7 * i as u32;
        if i == MAX_LEN_64 - 1 {
            // Bit 63 is the only one left: payload 0 or 1, and no continuation.
            if byte > 1 {
                return Err(Leb128Error::Overflow);
            }
        }
        result |= payload << shift;
        if byte & 0x80 == 0 {
            return Ok((result, i + 1));
        }
    }
    Err(Leb128Error::Truncated)
}

/// Decodes a signed LEB128 number at the start of `input`; returns it and its length.
pub fn read_i64(input: &[u8]) -> Result<(i64, usize), Leb128Error> {
    let mut result: i64 = 0;
    for (i, &byte) in input.iter().enumerate() {
        let shift = 7 * i as u32;
        if i == MAX_LEN_64 - 1 {
            // Bit 63 is the only bit left; the six bits above it must repeat it, and nothing may
            // follow: the last byte is 0x00 (positive) or 0x7f (negative).
            if byte != 0x00 && byte != 0x7f {
                return Err(Leb128Error::Overflow);
            }
            return Ok((result | (i64::from(byte & 1) << 63), i + 1));
        }
        result |= i64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let shift = shift + 7;
            if byte & 0x40 != 0 {
                result |= -1i64 << shift; // sign-extend; shift < 64 here
            }
            return Ok((result, i + 1));
        }
    }
    Err(Leb128Error::Truncated)
}

/// Reads consecutive numbers from a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { input, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    /// Reads one unsigned number.
    pub fn u64(&mut self) -> Result<u64, Leb128Error> {
        let (v, n) = read_u64(self.remaining())?;
        self.pos += n;
        Ok(v)
    }

    /// Reads one signed number.
    pub fn i64(&mut self) -> Result<i64, Leb128Error> {
        let (v, n) = read_i64(self.remaining())?;
        self.pos += n;
        Ok(v)
    }
}
