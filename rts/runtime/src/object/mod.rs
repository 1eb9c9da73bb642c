//! The object model: tagged values, object headers and per-kind layouts, word-size generic.
//!
//! Values. A heap word holding a value is a *scalar* when its low bit is 0 (`n << 1`) and a
//! *pointer* when its low bit is 1 (`addr << 1 | 1`, `addr` a word offset into the heap's
//! [`Memory`](crate::memory::Memory)). A zeroed word is therefore the scalar 0, never a pointer.
//!
//! Objects. Every object starts with a header word `aux << 5 | tag << 1` (low bit 0, so a header
//! is never mistaken for a pointer or for a threaded link of the compacting collector, which
//! has low bit 1). `tag` is the [`Kind`]; `aux` is a per-kind count. Layouts, in words:
//!
//! | kind      | aux           | layout                                       | scanned words   |
//! |-----------|---------------|----------------------------------------------|-----------------|
//! | Array     | length `n`    | header, `n` values                           | `1 .. 1+n`      |
//! | Record    | fields `n`    | header, `n` field hashes (raw), `n` values   | `1+n .. 1+2n`   |
//! | Blob      | bytes `b`     | header, `ceil(b / WORD_SIZE)` raw words      | none            |
//! | MutBox    | stamp (kept)  | header, value                                | `1 .. 2`        |
//! | Closure   | captured `n`  | header, function index (raw), `n` values     | `2 .. 2+n`      |
//! | Variant   | unused        | header, tag hash (raw), value                | `2 .. 3`        |
//! | Concat    | text bytes    | header, left value, right value              | `1 .. 3`        |
//! | BigInt    | `l << 1 \| neg` | header, `ceil(4l / WORD_SIZE)` raw words      | none            |
//!
//! Blobs and bigints have a *byte payload* ([`Kind::payload_bytes`]): byte `j` is byte
//! `j % WORD_SIZE` (little endian) of raw word `1 + j / WORD_SIZE`; padding bytes are zero. A
//! bigint's payload is its `l` little-endian 32-bit limbs, so it reads the same on every word size.
//!
//! Invariants: every object is at least [`MIN_OBJECT_WORDS`] = 2 words (shorter ones are padded),
//! so a moving collector can always replace an object by a *forwarding* header
//! (`size << 5 | TAG_FORWARDED << 1`, still giving the size, so the space stays walkable)
//! followed by the new address (raw) in word 1. Raw words are never interpreted as values.

use crate::memory::Addr;
use crate::types::{words_for_bytes, Word, WORD_BITS, WORD_SIZE};

/// Bits of the header below the tag: always 0 in a header.
const TAG_SHIFT: u32 = 1;
/// Width of the tag field.
const TAG_BITS: u32 = 4;
/// Position of the per-kind `aux` count.
const AUX_SHIFT: u32 = TAG_SHIFT + TAG_BITS;
const TAG_MASK: Word = ((1 << TAG_BITS) - 1) << TAG_SHIFT;

/// The largest `aux` a header can hold.
pub const MAX_AUX: usize = Word::MAX >> AUX_SHIFT;
/// The tag of a forwarding header (an object moved elsewhere).
pub const TAG_FORWARDED: Word = (1 << TAG_BITS) - 1;
/// Every object occupies at least this many words.
pub const MIN_OBJECT_WORDS: usize = 2;

const _: () = assert!(MIN_OBJECT_WORDS >= 2, "forwarding needs a second word");
const _: () = assert!(
    TAG_FORWARDED > Kind::BigInt as Word,
    "forwarding tag is not a kind"
);
const _: () = assert!(
    header(Kind::BigInt, MAX_AUX) & 1 == 0,
    "headers have low bit 0"
);
const _: () = assert!(is_ptr(ptr(MAX_ADDR)) && addr_of(ptr(MAX_ADDR)) == MAX_ADDR);
const _: () =
    assert!(!is_ptr(scalar(MAX_SCALAR)) && scalar_value(scalar(MAX_SCALAR)) == MAX_SCALAR);
const _: () = assert!(AUX_SHIFT < WORD_BITS);

/// The largest heap address a pointer can hold.
pub const MAX_ADDR: Addr = Word::MAX >> 1;
/// The largest scalar.
pub const MAX_SCALAR: usize = Word::MAX >> 1;

/// The object kinds; the discriminant is the header tag (0 is no kind, so zeroed memory is no object).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Kind {
    /// Mutable array of values.
    Array = 1,
    /// Record: field hashes and field values.
    Record = 2,
    /// Raw bytes.
    Blob = 3,
    /// A single mutable value.
    MutBox = 4,
    /// Function index and captured values.
    Closure = 5,
    /// Variant tag hash and payload value.
    Variant = 6,
    /// Text concatenation node: two text values.
    Concat = 7,
    /// Arbitrary-precision integer: sign and 32-bit limbs.
    BigInt = 8,
}

/// Every kind, in tag order.
pub const KINDS: [Kind; 8] = [
    Kind::Array,
    Kind::Record,
    Kind::Blob,
    Kind::MutBox,
    Kind::Closure,
    Kind::Variant,
    Kind::Concat,
    Kind::BigInt,
];

impl Kind {
    /// The kind with header tag `tag`, if any.
    pub const fn from_tag(tag: Word) -> Option<Kind> {
        match tag {
            1 => Some(Kind::Array),
            2 => Some(Kind::Record),
            3 => Some(Kind::Blob),
            4 => Some(Kind::MutBox),
            5 => Some(Kind::Closure),
            6 => Some(Kind::Variant),
            7 => Some(Kind::Concat),
            8 => Some(Kind::BigInt),
            _ => None,
        }
    }

    /// Words occupied by an object of this kind with count `aux` (saturating for absurd counts).
    pub const fn size(self, aux: usize) -> usize {
        let natural = match self {
            Kind::Array => aux.saturating_add(1),
            Kind::Record => aux.saturating_mul(2).saturating_add(1),
            Kind::Blob => 1 + words_for_bytes(aux),
            Kind::BigInt => 1 + words_for_bytes((aux >> 1).saturating_mul(4)),
            Kind::MutBox => 2,
            Kind::Closure => aux.saturating_add(2),
            Kind::Variant | Kind::Concat => 3,
        };
        if natural < MIN_OBJECT_WORDS {
            MIN_OBJECT_WORDS
        } else {
            natural
        }
    }

    /// Bytes of the byte payload of a blob or bigint with count `aux` (saturating); `None` for
    /// the kinds without one.
    pub const fn payload_bytes(self, aux: usize) -> Option<usize> {
        match self {
            Kind::Blob => Some(aux),
            Kind::BigInt => Some((aux >> 1).saturating_mul(4)),
            _ => None,
        }
    }

    /// The scanned (value) words, as offsets `start..end` from the object's address.
    pub const fn fields(self, aux: usize) -> (usize, usize) {
        match self {
            Kind::Array => (1, 1 + aux),
            Kind::Record => (1 + aux, 1 + 2 * aux),
            Kind::Blob | Kind::BigInt => (1, 1),
            Kind::MutBox => (1, 2),
            Kind::Closure => (2, 2 + aux),
            Kind::Variant => (2, 3),
            Kind::Concat => (1, 3),
        }
    }
}

/// The header `aux` of a bigint of `limbs` 32-bit limbs, negative or not.
pub const fn bigint_aux(limbs: usize, negative: bool) -> usize {
    (limbs << 1) | negative as usize
}

/// The limb count and sign in a bigint's header `aux`.
pub const fn bigint_parts(aux: usize) -> (usize, bool) {
    (aux >> 1, aux & 1 == 1)
}

/// Byte `j` of the byte payload of the object at `addr` (see the module doc).
pub fn payload_byte(words: &[Word], addr: Addr, j: usize) -> u8 {
    words[addr + 1 + j / WORD_SIZE].to_le_bytes()[j % WORD_SIZE]
}

/// `bytes` packed into payload words (the last one padded with zeros).
pub fn pack_bytes(bytes: &[u8]) -> impl Iterator<Item = Word> + '_ {
    bytes.chunks(WORD_SIZE).map(|chunk| {
        let mut b = [0u8; WORD_SIZE];
        b[..chunk.len()].copy_from_slice(chunk);
        Word::from_le_bytes(b)
    })
}

/// The header of an object of `kind` with count `aux` (`aux <= MAX_AUX`).
pub const fn header(kind: Kind, aux: usize) -> Word {
    (aux << AUX_SHIFT) | ((kind as Word) << TAG_SHIFT)
}

/// The forwarding header left behind by an object of `size` words that moved.
pub const fn forwarding_header(size: usize) -> Word {
    (size << AUX_SHIFT) | (TAG_FORWARDED << TAG_SHIFT)
}

/// The kind in a header, or `None` for anything that is not a live object header.
pub const fn header_kind(h: Word) -> Option<Kind> {
    if h & 1 != 0 {
        return None;
    }
    Kind::from_tag((h & TAG_MASK) >> TAG_SHIFT)
}

/// The `aux` count of a header.
pub const fn header_aux(h: Word) -> usize {
    h >> AUX_SHIFT
}

/// Whether `h` is a forwarding header.
pub const fn is_forwarded(h: Word) -> bool {
    h & 1 == 0 && (h & TAG_MASK) >> TAG_SHIFT == TAG_FORWARDED
}

/// Size in words of the object (or forwarding stub) with header `h`; `None` if `h` is neither.
pub const fn size_of_header(h: Word) -> Option<usize> {
    if is_forwarded(h) {
        return Some(header_aux(h));
    }
    match header_kind(h) {
        Some(k) => Some(k.size(header_aux(h))),
        None => None,
    }
}

/// The scanned words of the object with (valid) header `h`, as offsets.
pub const fn fields_of_header(h: Word) -> (usize, usize) {
    match header_kind(h) {
        Some(k) => k.fields(header_aux(h)),
        None => (1, 1),
    }
}

/// A pointer to the object at `addr`.
pub const fn ptr(addr: Addr) -> Word {
    (addr << 1) | 1
}

/// Whether a value is a pointer.
pub const fn is_ptr(v: Word) -> bool {
    v & 1 == 1
}

/// The address a pointer points to.
pub const fn addr_of(v: Word) -> Addr {
    v >> 1
}

/// The scalar `n` (`n <= MAX_SCALAR`).
pub const fn scalar(n: usize) -> Word {
    n << 1
}

/// The number a scalar holds.
pub const fn scalar_value(v: Word) -> usize {
    v >> 1
}

/// Reads the size of the object at `addr` in `words`; panics on a corrupt header.
pub fn object_size(words: &[Word], addr: Addr) -> usize {
    match size_of_header(words[addr]) {
        Some(s) => s,
        None => panic!("no object header at {addr}: {:#x}", words[addr]),
    }
}

/// Writes a fresh object's header at `addr` and zeroes (scalar 0) its payload.
pub fn init_object(words: &mut [Word], addr: Addr, kind: Kind, aux: usize) {
    let size = kind.size(aux);
    words[addr] = header(kind, aux);
    words[addr + 1..addr + size].fill(0);
}
