//! Principal ids and their textual form.
//!
//! A principal is at most [`MAX_LEN`] bytes. Its text is: the CRC-32 of the bytes (big endian)
//! followed by the bytes, encoded in base32 (RFC 4648 alphabet, lowercase, no padding), split
//! into groups of five characters joined by `-`. Parsing accepts only this canonical form:
//! lowercase letters and digits `2..=7`, dashes exactly after every fifth character and nowhere
//! else, zero unused trailing bits, a length that a whole number of bytes produces, at least the
//! four checksum bytes, at most `MAX_LEN` bytes, and a matching checksum. So for every accepted
//! text `to_text(parse(t)) == t`.

use crate::crc32;
use alloc::string::String;
use alloc::vec::Vec;

/// Most bytes a principal may have.
pub const MAX_LEN: usize = 29;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Why a text is not a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalError {
    /// A character outside the lowercase base32 alphabet and `-`.
    BadChar,
    /// Dashes not exactly after every fifth character.
    BadGrouping,
    /// Non-zero unused bits, or a length no byte string encodes to.
    BadPadding,
    /// Fewer than the four checksum bytes.
    TooShort,
    /// More than `MAX_LEN` bytes.
    TooLong,
    /// The checksum does not match the bytes.
    BadChecksum,
}

/// Encodes bytes in unpadded lowercase base32.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes unpadded lowercase base32, rejecting non-canonical input.
pub fn base32_decode(text: &[u8]) -> Result<Vec<u8>, PrincipalError> {
    // Lengths mod 8 that whole bytes produce: 0, 2, 4, 5, 7.
    if matches!(text.len() % 8, 1 | 3 | 6) {
        return Err(PrincipalError::BadPadding);
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(PrincipalError::BadChar),
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if acc != 0 {
        return Err(PrincipalError::BadPadding);
    }
    Ok(out)
}

/// The textual form of the principal `bytes`.
pub fn to_text(bytes: &[u8]) -> String {
    let mut raw = Vec::with_capacity(bytes.len() + 4);
    raw.extend_from_slice(&crc32::checksum(bytes).to_be_bytes());
    raw.extend_from_slice(bytes);
    let b32 = base32_encode(&raw);
    let mut out = String::with_capacity(b32.len() + b32.len() / 5);
    for (i, c) in b32.chars().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Parses the textual form of a principal into its bytes.
pub fn parse(text: &str) -> Result<Vec<u8>, PrincipalError> {
    let mut b32 = Vec::with_capacity(text.len());
    for (i, &c) in text.as_bytes().iter().enumerate() {
        let dash_here = i % 6 == 5;
        if (c == b'-') != dash_here {
            return Err(PrincipalError::BadGrouping);
        }
        if c != b'-' {
            b32.push(c);
        }
    }
    // A trailing dash would start an empty group.
    if text.ends_with('-') {
        return Err(PrincipalError::BadGrouping);
    }
    // 4 + MAX_LEN bytes take 53 characters; don't decode longer input.
    if b32.len() > (4 + MAX_LEN) * 8 / 5 + 1 {
        return Err(PrincipalError::TooLong);
    }
    let raw = base32_decode(&b32)?;
    if raw.len() < 4 {
        return Err(PrincipalError::TooShort);
    }
    let (sum, bytes) = raw.split_at(4);
    if bytes.len() > MAX_LEN {
        return Err(PrincipalError::TooLong);
    }
    if sum != crc32::checksum(bytes).to_be_bytes() {
        return Err(PrincipalError::BadChecksum);
    }
    Ok(bytes.to_vec())
}
