//! The runtime system (RTS) of a garbage-collected language, as a `no_std` + `alloc` library.
//!
//! The heap is a flat array of machine words behind the [`memory::Memory`] trait, addressed by
//! word offsets rather than raw pointers, so the same code runs on wasm32 (4-byte words), wasm64
//! (8-byte words) and natively, and tests can supply their own memory.
//!
//! Modules:
//! - [`leb128`]: LEB128 / SLEB128 integer encodings with overflow detection.
//! - [`crc32`]: the IEEE CRC-32 checksum.
//! - [`bitrel`]: the bit relation memoising a co/contra-variant subtype check.
//! - [`memory`]: the `Memory` trait, the bump allocator and heap sizing from content.
//! - [`stable_mem`]: 64-bit addressed, page-growing stable memory with bounds-checked access.
//! - [`persistence`]: serializing the reachable object graph into stable memory and back.
//! - [`text`]: UTF-8 validation and text ropes; [`bigint`]: arbitrary-precision numbers; each
//!   with a `heap` module keeping its values on the collected heap (blobs and concatenation
//!   nodes; bigint objects), the safe-Rust types being the arithmetic and the tests' oracle.
//! - [`continuation_table`]: reusable callback slots; [`principal_id`]: principal text form.
//! - [`object`]: tagged values, object headers and layouts (word-size generic).
//! - [`gc`]: the collector API, GC policies, and the copying, mark-compact, generational and
//!   incremental collectors.
#![no_std]

extern crate alloc;

pub mod bigint;
pub mod bitrel;
pub mod continuation_table;
pub mod crc32;
pub mod gc;
pub mod leb128;
pub mod memory;
pub mod object;
pub mod persistence;
pub mod principal_id;
pub mod stable_mem;
pub mod text;
pub mod types;
