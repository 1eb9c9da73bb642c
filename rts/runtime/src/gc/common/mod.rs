//! Collection algorithms shared by several plans, on a region `[lo, hi)` of a dense space
//! (objects back to back): marking with a bitmap and a growing mark stack ([`mark`]), and
//! Jonkers' threaded sliding compaction ([`jonkers`]).
//!
//! The mark-compact plan runs both over its whole space; the generational plan over its young
//! generation (with the remembered slots as extra roots) or, for a full collection, over the
//! whole space. Invariant between the two: the region's marked objects are exactly those
//! [`mark::mark_region`] reached, and [`jonkers::compact_region`] leaves their mark bits clear.

pub mod jonkers;
pub mod mark;
