//! Policies: how collector memory is organised, independent of the collection algorithm.
//!
//! - [`space::Space`]: a growable bump-allocated region with the object operations of every
//!   plan (allocation, initialising stores, walking): the semispaces of the copying plan, the
//!   single space of the compacting and generational plans, the partitioned heap of the
//!   incremental plan.
//! - [`bitmap::MarkBitmap`]: one bit per heap word, set at object starts.
//! - [`mark_stack::MarkStack`]: the grey set; starts at 64 entries and doubles.
//! - [`remset::RememberedSet`]: deduplicated old-to-young slots recorded by the write barrier.
//! - [`partitions::PartitionTable`]: fixed-size partitions of the incremental plan.

pub mod bitmap;
pub mod mark_stack;
pub mod partitions;
pub mod remset;
pub mod space;
