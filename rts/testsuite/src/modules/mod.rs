//! One file per test module; each has `pub fn run(ctx: &Ctx)`.

pub mod crc32;
pub mod leb128;
pub mod memory;
