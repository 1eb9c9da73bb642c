//! The RTS test suite. Each test module is one wasm export `test_<module>(seed: u64)`, which the
//! shard runner calls as `wasmtime run --invoke test_<module> rts_testsuite.cwasm <seed>`; the same
//! modules run natively as `#[test]`s (`cargo test`, seed from `RTS_SEED`, default 1).
//!
//! A module passes by returning and fails by trapping after printing
//! `FAIL variant=V module=M seed=S: what was expected and what was found`.
//!
//! Layers, each importing only from layers below it (checked by the `layering` test):
//! 1. [`harness`]: context, randomness, checks, sub-test tables, coverage recorder.
//! 2. [`model`]: the safe-Rust model heap and its checker.
//! 3. [`fixtures`]: the collectors under test, the random-round driver, the bump heap and the
//!    persistence round trip.
//! 4. [`modules`]: one sub-test table per test module; no module imports another.
//! 5. [`manifest`]: the coverage rules over the modules' tables.
//! 6. [`exports`] (the registry, wasm exports and native tests), [`probes`] and the wasm glue.
//! 7. `shrink` (native only): cutting a failing random heap down to a small heap script.
#![cfg_attr(target_family = "wasm", no_std)]
#![cfg_attr(target_arch = "wasm64", feature(simd_wasm64))]

extern crate alloc;

pub mod exports;
pub mod fixtures;
pub mod harness;
#[cfg(test)]
mod layering;
pub mod manifest;
pub mod model;
pub mod modules;
pub mod probes;
#[cfg(not(target_family = "wasm"))]
pub mod shrink;
#[cfg(target_family = "wasm")]
pub mod wasm_env;

pub use exports::MODULES;
pub use harness::{Ctx, Module};
