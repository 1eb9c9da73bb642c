//! [`PersistError`]: why serialization or deserialization failed. Its own file so that the
//! stream body ([`super::graph`]) and the entry points ([`super`]) both use it without importing
//! each other.

use super::stream::FormatError;
use crate::memory::OutOfMemory;
use crate::stable_mem::StableMemError;

/// Why serialization or deserialization failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersistError {
    /// The framing or a primitive field is malformed.
    Format(FormatError),
    /// An object tag that is no kind.
    BadKind(u8),
    /// A pointer to an object index that does not exist.
    BadPointer(u64),
    /// A count, scalar or raw word too large for this target.
    TooLarge,
    /// The heap being serialized has no valid object at this address.
    CorruptHeap(usize),
    /// The heap cannot hold the deserialized objects.
    OutOfMemory(OutOfMemory),
    /// Stable memory could not be read, written or grown.
    StableMem(StableMemError),
}

impl From<FormatError> for PersistError {
    fn from(e: FormatError) -> Self {
        PersistError::Format(e)
    }
}

impl From<StableMemError> for PersistError {
    fn from(e: StableMemError) -> Self {
        PersistError::StableMem(e)
    }
}
