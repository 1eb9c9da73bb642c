//! The runtime system (RTS) of a garbage-collected language, as a `no_std` + `alloc` library.
//!
//! The heap is a flat array of machine words behind the [`memory::Memory`] trait, addressed by
//! word offsets rather than raw pointers, so the same code runs on wasm32 (4-byte words), wasm64
//! (8-byte words) and natively, and tests can supply their own memory.
//!
//! Modules:
//! - [`leb128`]: LEB128 / SLEB128 integer encodings with overflow detection.
//! - [`crc32`]: the IEEE CRC-32 checksum.
//! - [`memory`]: the `Memory` trait, the bump allocator and heap sizing from content.
#![no_std]

extern crate alloc;

pub mod crc32;
pub mod leb128;
pub mod memory;
pub mod types;
