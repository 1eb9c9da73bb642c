//! The byte stream of the persistence format: a bounds-checked writer and reader, and the
//! framing (header and checksum).
//!
//! Framing, all integers little endian or LEB128:
//!
//! | field      | encoding       | meaning                                          |
//! |------------|----------------|--------------------------------------------------|
//! | magic      | 4 bytes `RTSP` | identifies the stream                            |
//! | version    | u16 LE         | [`VERSION`]; any other is rejected               |
//! | body_len   | LEB128         | bytes of the body                                |
//! | body       | `body_len`     | the payload (see [`super::graph`])               |
//! | crc        | u32 LE         | CRC-32 of every byte before it (header and body) |
//!
//! [`unframe`] accepts a slice only if it is exactly one frame: right magic and version, the
//! declared length equal to what is there, and the checksum matching. So every truncation is
//! rejected (the length no longer matches) and every single-bit flip is too (CRC-32 detects all
//! single-bit errors; a flip in the framing changes magic, version or length).
//! [`Reader`] never indexes out of bounds: every read checks what is left and fails with
//! [`FormatError::Truncated`].

use crate::crc32;
use crate::leb128::{self, Leb128Error};
use alloc::vec::Vec;

/// The four bytes a stream starts with.
pub const MAGIC: [u8; 4] = *b"RTSP";

/// The format version written and accepted.
pub const VERSION: u16 = 1;

/// Most bytes the header (magic, version, body length) can take.
pub const MAX_HEADER_LEN: usize = 4 + 2 + leb128::MAX_LEN_64;

/// Bytes of the trailing checksum.
pub const CRC_LEN: usize = 4;

/// Why a stream was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatError {
    /// The stream does not start with [`MAGIC`].
    BadMagic,
    /// An unsupported version.
    BadVersion(u16),
    /// The stream ends before something it declares.
    Truncated,
    /// Bytes after the declared end.
    TrailingBytes,
    /// The checksum does not match.
    BadChecksum {
        /// The checksum in the stream.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
    /// A LEB128 number too large for 64 bits (or for the field it encodes).
    Overflow,
}

impl From<Leb128Error> for FormatError {
    fn from(e: Leb128Error) -> Self {
        match e {
            Leb128Error::Truncated => FormatError::Truncated,
            Leb128Error::Overflow => FormatError::Overflow,
        }
    }
}

/// Appends primitive fields to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer { bytes: Vec::new() }
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    /// A little-endian `u16`.
    pub fn u16_le(&mut self, v: u16) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// A little-endian `u32`.
    pub fn u32_le(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// An unsigned LEB128 number.
    pub fn leb(&mut self, v: u64) {
        leb128::write_u64(&mut self.bytes, v);
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads primitive fields from a byte slice, never past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `input` from its start.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { input, pos: 0 }
    }

    /// Bytes consumed.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if n > self.remaining() {
            return Err(FormatError::Truncated);
        }
        let out = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.bytes(1)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16_le(&mut self) -> Result<u16, FormatError> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian `u32`.
    pub fn u32_le(&mut self) -> Result<u32, FormatError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An unsigned LEB128 number.
    pub fn leb(&mut self) -> Result<u64, FormatError> {
        let (v, n) = leb128::read_u64(&self.input[self.pos..])?;
        self.pos += n;
        Ok(v)
    }

    /// An unsigned LEB128 number that must fit a `usize`.
    pub fn leb_usize(&mut self) -> Result<usize, FormatError> {
        usize::try_from(self.leb()?).map_err(|_| FormatError::Overflow)
    }

    /// Fails unless everything was consumed.
    pub fn finish(&self) -> Result<(), FormatError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(FormatError::TrailingBytes)
        }
    }
}

/// Wraps `body` in a frame: header, body, checksum.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.bytes(&MAGIC);
    w.u16_le(VERSION);
    w.leb(body.len() as u64);
    w.bytes(body);
    let crc = crc32::checksum(&w.bytes);
    w.u32_le(crc);
    w.into_bytes()
}

/// Parses a frame's header; returns the header length and the body length.
pub fn read_header(input: &[u8]) -> Result<(usize, usize), FormatError> {
    let mut r = Reader::new(input);
    let magic = r.bytes(4).map_err(|_| {
        // A short prefix of the magic is still "not a stream" if it disagrees.
        if MAGIC.starts_with(input) {
            FormatError::Truncated
        } else {
            FormatError::BadMagic
        }
    })?;
    if magic != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = r.u16_le()?;
    if version != VERSION {
        return Err(FormatError::BadVersion(version));
    }
    let body_len = r.leb_usize()?;
    Ok((r.position(), body_len))
}

/// Total bytes of the frame whose header is `header_len` bytes and body `body_len` bytes.
pub fn frame_len(header_len: usize, body_len: usize) -> Result<usize, FormatError> {
    header_len
        .checked_add(body_len)
        .and_then(|n| n.checked_add(CRC_LEN))
        .ok_or(FormatError::Overflow)
}

/// Checks that `input` is exactly one frame and returns its body.
pub fn unframe(input: &[u8]) -> Result<&[u8], FormatError> {
    let (header_len, body_len) = read_header(input)?;
    let total = frame_len(header_len, body_len)?;
    if input.len() < total {
        return Err(FormatError::Truncated);
    }
    if input.len() > total {
        return Err(FormatError::TrailingBytes);
    }
    let (covered, tail) = input.split_at(total - CRC_LEN);
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let computed = crc32::checksum(covered);
    if stored != computed {
        return Err(FormatError::BadChecksum { stored, computed });
    }
    Ok(&covered[header_len..])
}
