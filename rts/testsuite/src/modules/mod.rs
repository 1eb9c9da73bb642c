//! One file per test module; each has `pub fn run(ctx: &Ctx)`.

pub mod crc32;
pub mod gc_random;
pub mod leb128;
pub mod memory;
pub use gc_random::{
    gc_chunk_0, gc_chunk_1, gc_chunk_2, gc_chunk_3, gc_chunk_4, gc_chunk_5, gc_chunk_6, gc_chunk_7,
    gc_chunk_8, gc_chunk_9,
};
pub mod bigint;
pub mod continuation_table;
pub mod gc_components;
pub mod gc_predefined;
pub mod persistence_20k;
pub mod persistence_format;
pub mod persistence_small;
pub mod principal_id;
pub mod stable_mem;
pub mod text;
pub mod utf8;
