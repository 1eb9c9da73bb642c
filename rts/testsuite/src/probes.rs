//! Exports that are not tests (their names do not start with `test_`, so they are in no shard):
//! fixed points for measuring and checking the shard machinery itself.
//! - `probe_empty`: does nothing; the cost of a shard minus its test (benchmarks).
//! - `probe_unbounded_alloc`: allocates until the memory cap stops it; a shard running it must
//!   fail cleanly at the cap instead of exhausting the machine.
//! - `replay_planted` (builds with the `planted-faults` feature only): replays a heap script
//!   embedded at build time, with a collector bug planted, to show in wasm that a shrunk heap
//!   fails as it did natively.

use alloc::vec::Vec;

/// Does nothing.
#[no_mangle]
pub extern "C" fn probe_empty(_seed: u64) {}

/// Allocates 1 MiB blocks, touching every page, until allocation fails (then the allocation
/// error handler reports it and traps).
#[no_mangle]
pub extern "C" fn probe_unbounded_alloc(seed: u64) {
    crate::harness::run_module("probe_unbounded_alloc", seed, 1, allocate_forever);
}

fn allocate_forever(ctx: &crate::harness::Ctx) {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = Vec::with_capacity(1 << 20);
        block.resize(1 << 20, ctx.seed as u8 | 1);
        blocks.push(block);
    }
}

/// Replays script `arg >> 8` (0-based) of the scripts embedded at build time (the source form of
/// `fixtures::script_text`, any number of `fn`s, in the environment variable
/// `RTS_REPLAY_SCRIPTS`), under its collector with planted fault number `arg & 0xff` (0: none;
/// see `fixtures::faults::FAULTS`). Fails as the replay fails, under sub-test `replay`.
#[cfg(feature = "planted-faults")]
#[no_mangle]
pub extern "C" fn replay_planted(arg: u64) {
    use crate::fixtures::faults::{plant, Fault};
    use crate::fixtures::script::replay;
    use crate::fixtures::script_text::parse_fns;
    crate::harness::run_module("replay_planted", arg, 1, |ctx| {
        let Some(text) = option_env!("RTS_REPLAY_SCRIPTS") else {
            ctx.fail(format_args!(
                "built without RTS_REPLAY_SCRIPTS: no heap script to replay"
            ))
        };
        let scripts =
            parse_fns(text).unwrap_or_else(|e| ctx.fail(format_args!("RTS_REPLAY_SCRIPTS: {e}")));
        let (index, fault) = ((arg >> 8) as usize, arg & 0xff);
        let Some((name, script)) = scripts.get(index) else {
            ctx.fail(format_args!(
                "script {index} asked for; {} embedded",
                scripts.len()
            ))
        };
        let planted = match fault {
            0 => None,
            n => Some(
                Fault::numbered(n)
                    .unwrap_or_else(|| ctx.fail(format_args!("no fault numbered {n}"))),
            ),
        };
        plant(planted);
        ctx.sub("replay", |ctx| {
            replay(ctx, name, script);
        });
    });
}
