//! Where a model object's identity and fields live in its heap copy.
//!
//! | kind    | aux            | identity                      | model field `i`        |
//! |---------|----------------|-------------------------------|------------------------|
//! | Array   | `1 + n`        | element 0 = scalar id         | element `1 + i`        |
//! | Record  | `1 + n`        | field 0 (hash [`ID_HASH`])    | field `1 + i`          |
//! | Blob    | bytes          | raw word 1 = id; rest pattern | none                   |
//! | MutBox  | id (stamp)     | header aux                    | the value (`n = 1`)    |
//! | Closure | `n`            | function index word = id      | captured `i`           |
//! | Variant | 0              | tag hash word = id            | the payload (`n = 1`)  |
//! | Concat  | id (bytes)     | header aux                    | left, right (`n = 2`)  |
//! | BigInt  | limbs, id odd  | raw word 1 = id; rest pattern | none                   |
//!
//! A bigint's `bytes` is a multiple of 4 (its limbs), and its sign is the parity of its id, so a
//! collector or a stream that loses the sign bit is caught.

use super::heap::{MObj, ObjId};
use rts::memory::Addr;
use rts::object::{bigint_aux, header_aux, scalar, scalar_value, Kind};
use rts::types::{Word, WORD_SIZE};

/// The record hash of the identity field.
pub const ID_HASH: Word = 0x1D;

/// The record hash of model field `i`.
pub fn field_hash(i: usize) -> Word {
    (i as Word).wrapping_mul(0x9E37_79B1) | 0x100
}

/// Blob byte `i` of object `id`'s payload after the identity word.
pub fn blob_byte(id: ObjId, i: usize) -> u8 {
    (id.wrapping_mul(31).wrapping_add(i * 7) & 0xff) as u8
}

/// The header `aux` of `obj` with identity `id`.
pub fn aux(id: ObjId, obj: &MObj) -> usize {
    match obj.kind {
        Kind::Array | Kind::Record => 1 + obj.fields.len(),
        Kind::Blob => obj.bytes,
        Kind::BigInt => bigint_aux(obj.bytes / 4, id % 2 == 1),
        Kind::MutBox | Kind::Concat => id,
        Kind::Closure => obj.fields.len(),
        Kind::Variant => 0,
    }
}

/// How many fields a kind takes: `Some(n)` if fixed.
pub fn fixed_fields(kind: Kind) -> Option<usize> {
    match kind {
        Kind::Blob | Kind::BigInt => Some(0),
        Kind::MutBox | Kind::Variant => Some(1),
        Kind::Concat => Some(2),
        Kind::Array | Kind::Record | Kind::Closure => None,
    }
}

/// Offset of model field `i` from the object start, for an object with header `aux`.
pub fn field_offset(kind: Kind, aux: usize, i: usize) -> usize {
    let (start, _) = kind.fields(aux);
    match kind {
        Kind::Array | Kind::Record => start + 1 + i,
        _ => start + i,
    }
}

/// Number of model fields of a heap object with header `aux`.
pub fn field_count(kind: Kind, aux: usize) -> usize {
    let (s, e) = kind.fields(aux);
    match kind {
        Kind::Array | Kind::Record => (e - s).saturating_sub(1),
        _ => e - s,
    }
}

/// The identity stored in the object at `a` whose header has `kind`.
pub fn read_id(words: &[Word], a: Addr, kind: Kind) -> usize {
    let aux = header_aux(words[a]);
    match kind {
        Kind::Array => scalar_value(words[a + 1]),
        Kind::Record => scalar_value(words[a + 1 + aux]),
        Kind::Blob | Kind::BigInt | Kind::Closure | Kind::Variant => words[a + 1],
        Kind::MutBox | Kind::Concat => aux,
    }
}

/// Writes identity and raw payload of `obj` into a freshly allocated object at `a`, through `init`.
pub fn write_identity(id: ObjId, obj: &MObj, a: Addr, init: &mut dyn FnMut(Addr, Word)) {
    let aux = aux(id, obj);
    match obj.kind {
        Kind::Array => init(a + 1, scalar(id)),
        Kind::Record => {
            init(a + 1, ID_HASH);
            for i in 0..obj.fields.len() {
                init(a + 2 + i, field_hash(i));
            }
            init(a + 1 + aux, scalar(id));
        }
        Kind::Blob | Kind::BigInt => {
            init(a + 1, id);
            let rest = obj.bytes - WORD_SIZE;
            for w in 0..rest.div_ceil(WORD_SIZE) {
                init(a + 2 + w, blob_word(id, w, rest));
            }
        }
        Kind::Closure | Kind::Variant => init(a + 1, id),
        Kind::MutBox | Kind::Concat => {}
    }
}

/// Raw word `w` of a blob's pattern of `rest` bytes after the identity (little endian).
pub fn blob_word(id: ObjId, w: usize, rest: usize) -> Word {
    let mut v: Word = 0;
    for b in 0..WORD_SIZE {
        let i = w * WORD_SIZE + b;
        if i < rest {
            v |= Word::from(blob_byte(id, i)) << (8 * b);
        }
    }
    v
}
