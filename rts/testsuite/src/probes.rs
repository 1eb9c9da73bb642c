//! Exports that are not tests (their names do not start with `test_`, so they are in no shard):
//! fixed points for measuring and checking the shard machinery itself.
//! - `probe_empty`: does nothing; the cost of a shard minus its test (benchmarks).
//! - `probe_unbounded_alloc`: allocates until the memory cap stops it; a shard running it must
//!   fail cleanly at the cap instead of exhausting the machine.

use alloc::vec::Vec;

/// Does nothing.
#[no_mangle]
pub extern "C" fn probe_empty(_seed: u64) {}

/// Allocates 1 MiB blocks, touching every page, until allocation fails (then the allocation
/// error handler reports it and traps).
#[no_mangle]
pub extern "C" fn probe_unbounded_alloc(seed: u64) {
    crate::harness::run_module("probe_unbounded_alloc", seed, allocate_forever);
}

fn allocate_forever(ctx: &crate::harness::Ctx) {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = Vec::with_capacity(1 << 20);
        block.resize(1 << 20, ctx.seed as u8 | 1);
        blocks.push(block);
    }
}
