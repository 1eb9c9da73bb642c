//! UTF-8 validation and decoding (RFC 3629), written out by hand so that every rejection rule is
//! visible:
//! - a lead byte `0x80..=0xC1` or `0xF5..=0xFF` is invalid (continuation bytes, overlong
//!   two-byte forms, and leads of values above U+10FFFF);
//! - after `0xE0` the next byte must be `0xA0..=0xBF` (no overlong three-byte forms), after
//!   `0xED` it must be `0x80..=0x9F` (no surrogates U+D800..U+DFFF), after `0xF0` it must be
//!   `0x90..=0xBF` (no overlong four-byte forms), after `0xF4` it must be `0x80..=0x8F` (nothing
//!   above U+10FFFF); every other continuation byte is `0x80..=0xBF`;
//! - a sequence cut short by the end of input is [`Utf8ErrorKind::Truncated`].
//!
//! An error reports how many bytes before it form valid UTF-8 (`valid_up_to`), which matches
//! `core::str::from_utf8`.

/// Why validation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8ErrorKind {
    /// A byte that cannot start or continue the sequence at that point.
    Invalid,
    /// The input ended inside a sequence.
    Truncated,
}

/// A validation failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error {
    /// Length of the longest valid prefix.
    pub valid_up_to: usize,
    /// What went wrong after it.
    pub kind: Utf8ErrorKind,
}

/// Length of the sequence starting with `lead` and the allowed range of its second byte, or
/// `None` if `lead` cannot start a sequence.
const fn lead_info(lead: u8) -> Option<(usize, u8, u8)> {
    match lead {
        0x00..=0x7F => Some((1, 0, 0)),
        0xC2..=0xDF => Some((2, 0x80, 0xBF)),
        0xE0 => Some((3, 0xA0, 0xBF)),
        0xED => Some((3, 0x80, 0x9F)),
        0xE1..=0xEC | 0xEE..=0xEF => Some((3, 0x80, 0xBF)),
        0xF0 => Some((4, 0x90, 0xBF)),
        0xF1..=0xF3 => Some((4, 0x80, 0xBF)),
        0xF4 => Some((4, 0x80, 0x8F)),
        _ => None,
    }
}

/// Decodes the code point at the start of `bytes`: returns it and its length in bytes.
/// `Err` carries the kind of error at position 0 (`valid_up_to` is 0).
pub fn decode(bytes: &[u8]) -> Result<(char, usize), Utf8Error> {
    let err = |kind| Utf8Error {
        valid_up_to: 0,
        kind,
    };
    let lead = match bytes.first() {
        Some(&b) => b,
        None => return Err(err(Utf8ErrorKind::Truncated)),
    };
    let (len, lo, hi) = lead_info(lead).ok_or(err(Utf8ErrorKind::Invalid))?;
    if len == 1 {
        return Ok((lead as char, 1));
    }
    let mut cp = u32::from(lead) & (0x7F >> len);
    for i in 1..len {
        let b = match bytes.get(i) {
            Some(&b) => b,
            None => return Err(err(Utf8ErrorKind::Truncated)),
        };
        let (min, max) = if i == 1 { (lo, hi) } else { (0x80, 0xBF) };
        if b < min || b > max {
            return Err(err(Utf8ErrorKind::Invalid));
        }
        cp = (cp << 6) | u32::from(b & 0x3F);
    }
    match char::from_u32(cp) {
        Some(c) => Ok((c, len)),
        // Unreachable given the ranges above; rejecting is still the safe answer.
        None => Err(err(Utf8ErrorKind::Invalid)),
    }
}

/// Checks that `bytes` is well-formed UTF-8.
pub fn validate(bytes: &[u8]) -> Result<(), Utf8Error> {
    let mut pos = 0;
    while pos < bytes.len() {
        // ASCII fast path.
        if bytes[pos] < 0x80 {
            pos += 1;
            continue;
        }
        match decode(&bytes[pos..]) {
            Ok((_, n)) => pos += n,
            Err(e) => {
                return Err(Utf8Error {
                    valid_up_to: pos,
                    kind: e.kind,
                })
            }
        }
    }
    Ok(())
}

/// Validates `bytes` and views them as a `str`.
pub fn to_str(bytes: &[u8]) -> Result<&str, Utf8Error> {
    validate(bytes)?;
    // SAFETY: `validate` accepted `bytes`, and it accepts only well-formed UTF-8 (the checks
    // above are those of RFC 3629, and the test suite compares them with `core::str::from_utf8`).
    Ok(unsafe { core::str::from_utf8_unchecked(bytes) })
}

/// Appends the UTF-8 encoding of `c`.
pub fn encode(c: char, out: &mut alloc::vec::Vec<u8>) {
    let cp = c as u32;
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}
