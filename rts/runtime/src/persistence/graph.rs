//! The body of a persistence stream: the object graph reachable from the roots.
//!
//! Objects are numbered in breadth-first discovery order from the roots, so each reachable
//! object is written once and sharing and cycles survive: a pointer is written as the index of
//! its target. Body layout (all numbers LEB128 unless noted):
//!
//! ```text
//! object_count, root_count, root_count values,
//! object_count objects: kind tag (1 byte), aux, payload
//! ```
//!
//! A *value* is `index << 1 | 1` for a pointer to object `index` and the scalar's own (even)
//! word for a scalar. Payloads by kind (see [`crate::object`]): Array `n` values; Record `n` raw
//! field hashes then `n` values; Blob and BigInt their byte payload (`b` bytes; `4l` for `l`
//! limbs), byte by byte, so a stream reads the same on every word size (padding bytes are not
//! kept and read back as zero); MutBox one value; Closure the raw function index then `n`
//! values; Variant the raw tag hash then one value; Concat two values. Raw words are LEB128
//! numbers too.
//!
//! Decoding parses and validates the whole body before it allocates anything: kinds, counts,
//! that every index names an object, that scalars and raw words fit this target's word. Only
//! then does it allocate the objects in a collector's heap and fill them in, so a rejected body
//! leaves the heap as it was, and an accepted one yields exactly the objects it describes. (If the
//! heap's limit refuses an allocation, the objects allocated before it are unreachable garbage.)

use super::error::PersistError;
use super::stream::{FormatError, Reader, Writer};
use crate::gc::Collector;
use crate::memory::Addr;
use crate::object::{self, Kind, MAX_AUX};
use crate::types::Word;
use alloc::vec;
use alloc::vec::Vec;

const UNSEEN: u32 = u32::MAX;

/// Checks the object at `addr` and returns its kind, aux and size.
fn object_at(words: &[Word], addr: Addr) -> Result<(Kind, usize, usize), PersistError> {
    let h = *words.get(addr).ok_or(PersistError::CorruptHeap(addr))?;
    let kind = object::header_kind(h).ok_or(PersistError::CorruptHeap(addr))?;
    let aux = object::header_aux(h);
    let size = kind.size(aux);
    match addr.checked_add(size) {
        Some(end) if end <= words.len() => Ok((kind, aux, size)),
        _ => Err(PersistError::CorruptHeap(addr)),
    }
}

/// Serializes the graph reachable from `roots` (values) in `words` into a body.
pub fn encode(words: &[Word], roots: &[Word]) -> Result<Vec<u8>, PersistError> {
    // Discovery: index of each object by address, and addresses by index.
    let mut index = vec![UNSEEN; words.len()];
    let mut order: Vec<Addr> = Vec::new();
    let mut discover = |v: Word, order: &mut Vec<Addr>| -> Result<(), PersistError> {
        if object::is_ptr(v) {
            let a = object::addr_of(v);
            object_at(words, a)?;
            if index[a] == UNSEEN {
                if order.len() >= UNSEEN as usize {
                    return Err(PersistError::TooLarge);
                }
                index[a] = order.len() as u32;
                order.push(a);
            }
        }
        Ok(())
    };
    for &r in roots {
        discover(r, &mut order)?;
    }
    let mut i = 0;
    while i < order.len() {
        let a = order[i];
        let (kind, aux, _) = object_at(words, a)?;
        let (lo, hi) = kind.fields(aux);
        for f in lo..hi {
            discover(words[a + f], &mut order)?;
        }
        i += 1;
    }

    let value = |v: Word| -> u64 {
        if object::is_ptr(v) {
            (u64::from(index[object::addr_of(v)]) << 1) | 1
        } else {
            v as u64
        }
    };
    let mut w = Writer::new();
    w.leb(order.len() as u64);
    w.leb(roots.len() as u64);
    for &r in roots {
        w.leb(value(r));
    }
    for &a in &order {
        let (kind, aux, _) = object_at(words, a)?;
        w.u8(kind as u8);
        w.leb(aux as u64);
        let (lo, hi) = kind.fields(aux);
        if let Some(bytes) = kind.payload_bytes(aux) {
            for j in 0..bytes {
                w.u8(object::payload_byte(words, a, j));
            }
        }
        // Raw words before the values: record hashes, closure index, variant tag.
        for f in 1..lo {
            w.leb(words[a + f] as u64);
        }
        for f in lo..hi {
            w.leb(value(words[a + f]));
        }
    }
    Ok(w.into_bytes())
}

/// One parsed object: kind, aux, and where its raw words and values start in `vals`.
struct Parsed {
    kind: Kind,
    aux: usize,
    /// Blob, bigint: offset of its bytes in the body; others: first entry in `vals`.
    start: usize,
}

fn raw_word(v: u64) -> Result<Word, PersistError> {
    Word::try_from(v).map_err(|_| PersistError::TooLarge)
}

/// Deserializes a body into the collector `heap`; returns the roots (values) in their original
/// order.
pub fn decode(body: &[u8], heap: &mut dyn Collector) -> Result<Vec<Word>, PersistError> {
    let mut r = Reader::new(body);
    // Every object takes at least two bytes (tag and aux), every root at least one; counts are
    // compared as u64 so that absurd ones are `Truncated` on every target.
    let count = r.leb()?;
    if count > (r.remaining() / 2) as u64 {
        return Err(FormatError::Truncated.into());
    }
    let count = count as usize;
    let nroots = r.leb()?;
    if nroots > r.remaining() as u64 {
        return Err(FormatError::Truncated.into());
    }
    let nroots = nroots as usize;
    let mut roots = Vec::with_capacity(nroots);
    for _ in 0..nroots {
        roots.push(r.leb()?);
    }
    let mut objs: Vec<Parsed> = Vec::with_capacity(count);
    let mut vals: Vec<u64> = Vec::new();
    // The words the objects need: a body whose objects overflow the address space is TooLarge.
    let mut total_words: usize = 0;
    for _ in 0..count {
        let tag = r.u8()?;
        let kind = Kind::from_tag(Word::from(tag)).ok_or(PersistError::BadKind(tag))?;
        let aux = r.leb()?;
        if aux > MAX_AUX as u64 {
            return Err(PersistError::TooLarge);
        }
        let aux = aux as usize;
        let start = if let Some(bytes) = kind.payload_bytes(aux) {
            let at = r.position();
            r.bytes(bytes)?;
            at
        } else {
            let (_, hi) = kind.fields(aux);
            let at = vals.len();
            // Raw words (1..lo) and values (lo..hi); each takes at least one byte.
            let n = hi - 1;
            if n > r.remaining() {
                return Err(FormatError::Truncated.into());
            }
            for _ in 0..n {
                vals.push(r.leb()?);
            }
            at
        };
        total_words = total_words
            .checked_add(kind.size(aux))
            .ok_or(PersistError::TooLarge)?;
        objs.push(Parsed { kind, aux, start });
    }
    r.finish()?;

    // Check every value before touching the heap.
    let check_value = |v: u64| -> Result<(), PersistError> {
        if v & 1 == 1 {
            if v >> 1 >= count as u64 {
                return Err(PersistError::BadPointer(v >> 1));
            }
        } else {
            raw_word(v)?;
        }
        Ok(())
    };
    for &v in &roots {
        check_value(v)?;
    }
    for o in &objs {
        if o.kind.payload_bytes(o.aux).is_some() {
            continue;
        }
        let (lo, hi) = o.kind.fields(o.aux);
        for k in 1..lo {
            raw_word(vals[o.start + k - 1])?;
        }
        for k in lo..hi {
            check_value(vals[o.start + k - 1])?;
        }
    }

    // Allocate every object, then fill them in (pointers may name later objects).
    let mut addrs = Vec::with_capacity(count);
    for o in &objs {
        addrs.push(
            heap.alloc(o.kind, o.aux)
                .map_err(PersistError::OutOfMemory)?,
        );
    }
    let value = |v: u64| -> Word {
        if v & 1 == 1 {
            object::ptr(addrs[(v >> 1) as usize])
        } else {
            v as Word
        }
    };
    for (o, &a) in objs.iter().zip(&addrs) {
        if let Some(bytes) = o.kind.payload_bytes(o.aux) {
            heap.init_payload(a, &body[o.start..o.start + bytes]);
            continue;
        }
        let (lo, hi) = o.kind.fields(o.aux);
        for k in 1..lo {
            heap.init_word(a, k, vals[o.start + k - 1] as Word);
        }
        for k in lo..hi {
            heap.init_word(a, k, value(vals[o.start + k - 1]));
        }
    }
    Ok(roots.into_iter().map(value).collect())
}
