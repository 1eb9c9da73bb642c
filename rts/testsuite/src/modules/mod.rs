//! The test modules, one file each (the gc chunks share `gc_random`). Each exports one table of
//! sub-tests (`TESTS`, or `gc_random::CHUNKS[c]` for chunk `c`) that `crate::exports` runs; no
//! module imports another, only `crate::fixtures`, `crate::model` and `crate::harness`.

pub mod array_slicing;
pub mod bigint;
pub mod bitrel;
pub mod continuation_table;
pub mod crc32;
pub mod gc_components;
pub mod gc_predefined;
pub mod gc_random;
pub mod leb128;
pub mod memory;
pub mod persistence_20k;
pub mod persistence_format;
pub mod persistence_small;
pub mod principal_id;
pub mod stable_mem;
pub mod text;
pub mod utf8;
