//! Persistence across upgrades (stabilization): the object graph reachable from the roots is
//! serialized into a self-checking byte stream in stable memory, and deserialized into a fresh
//! heap after the upgrade, keeping sharing and cycles.
//!
//! - [`stream`]: framing (magic, version, LEB128 body length, CRC-32) and bounds-checked
//!   reader/writer.
//! - [`graph`]: the body: objects in breadth-first order, pointers as object indices.
//! - [`error`]: [`PersistError`], shared by both and the entry points here.
//!
//! Invariants: [`serialize`] followed by [`deserialize`] yields a heap isomorphic to the
//! reachable part of the original (same kinds, counts, raw words, scalars and blob bytes, and
//! the same pointer structure). A corrupt or truncated stream is an `Err`, never a panic or an
//! out-of-bounds access, and then the heap is left exactly as it was.

pub mod error;
pub mod graph;
pub mod stream;

use crate::gc::Collector;
use crate::stable_mem::StableMemory;
use crate::types::Word;
use alloc::vec::Vec;
pub use error::PersistError;
pub use stream::FormatError;

/// Serializes the graph reachable from `roots` in `words` into a framed stream.
pub fn serialize(words: &[Word], roots: &[Word]) -> Result<Vec<u8>, PersistError> {
    Ok(stream::frame(&graph::encode(words, roots)?))
}

/// Deserializes a framed stream into the collector `heap`; returns the roots.
pub fn deserialize(
    stream_bytes: &[u8],
    heap: &mut dyn Collector,
) -> Result<Vec<Word>, PersistError> {
    graph::decode(stream::unframe(stream_bytes)?, heap)
}

/// Serializes into stable memory at offset 0, growing it as needed; returns the bytes written.
pub fn save(
    stable: &mut StableMemory,
    words: &[Word],
    roots: &[Word],
) -> Result<u64, PersistError> {
    let bytes = serialize(words, roots)?;
    stable.ensure_bytes(bytes.len() as u64)?;
    stable.write(0, &bytes)?;
    Ok(bytes.len() as u64)
}

/// Deserializes the stream at offset 0 of stable memory into the collector `heap`; returns the
/// roots.
pub fn load(stable: &StableMemory, heap: &mut dyn Collector) -> Result<Vec<Word>, PersistError> {
    let head_len = (stream::MAX_HEADER_LEN as u64).min(stable.size_bytes());
    let head = stable.read_vec(0, head_len)?;
    let (header_len, body_len) = stream::read_header(&head)?;
    let total = stream::frame_len(header_len, body_len)?;
    let bytes = stable
        .read_vec(0, total as u64)
        .map_err(|_| PersistError::Format(FormatError::Truncated))?;
    deserialize(&bytes, heap)
}
