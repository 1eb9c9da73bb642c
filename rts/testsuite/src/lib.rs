//! The RTS test suite. Each test module is one wasm export `test_<module>(seed: u64)`, which the
//! shard runner calls as `wasmtime run --invoke test_<module> rts_testsuite.cwasm <seed>`; the same
//! modules run natively as `#[test]`s (`cargo test`, seed from `RTS_SEED`, default 1).
//!
//! A module passes by returning and fails by trapping after printing
//! `FAIL variant=V module=M seed=S: what was expected and what was found`.
#![cfg_attr(target_family = "wasm", no_std)]
#![cfg_attr(target_arch = "wasm64", feature(simd_wasm64))]

extern crate alloc;

pub mod harness;
pub mod manifest;
pub mod model;
pub mod modules;
pub mod probes;
#[cfg(target_family = "wasm")]
pub mod wasm_env;

pub use harness::{Ctx, Module};

/// True when `export` is `test_` followed by `module` (checked at compile time for every export).
pub const fn is_export_name(export: &str, module: &str) -> bool {
    let (e, m) = (export.as_bytes(), module.as_bytes());
    let prefix = b"test_";
    if e.len() != prefix.len() + m.len() {
        return false;
    }
    let mut i = 0;
    while i < e.len() {
        let want = if i < prefix.len() {
            prefix[i]
        } else {
            m[i - prefix.len()]
        };
        if e[i] != want {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares the test modules: one wasm export, one registry entry and one native `#[test]` each.
macro_rules! test_modules {
    ($($export:ident => $module:ident),* $(,)?) => {
        /// Every test module, in export order.
        pub static MODULES: &[Module] = &[
            $(Module { name: stringify!($module), run: modules::$module::run }),*
        ];

        $(
            const _: () = assert!(
                is_export_name(stringify!($export), stringify!($module)),
                "export must be named test_<module>"
            );

            #[doc = concat!("Runs the `", stringify!($module), "` test module with `seed`; traps on failure.")]
            #[no_mangle]
            pub extern "C" fn $export(seed: u64) {
                harness::run_module(stringify!($module), seed, modules::$module::run)
            }
        )*

        #[cfg(test)]
        mod native {
            fn seed() -> u64 {
                std::env::var("RTS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
            }
            $(
                #[test]
                fn $module() {
                    crate::harness::run_module(stringify!($module), seed(), crate::modules::$module::run)
                }
            )*
        }
    };
}

test_modules! {
    test_crc32 => crc32,
    test_leb128 => leb128,
    test_memory => memory,
    test_gc_chunk_0 => gc_chunk_0,
    test_gc_chunk_1 => gc_chunk_1,
    test_gc_chunk_2 => gc_chunk_2,
    test_gc_chunk_3 => gc_chunk_3,
    test_gc_chunk_4 => gc_chunk_4,
    test_gc_chunk_5 => gc_chunk_5,
    test_gc_chunk_6 => gc_chunk_6,
    test_gc_chunk_7 => gc_chunk_7,
    test_gc_chunk_8 => gc_chunk_8,
    test_gc_chunk_9 => gc_chunk_9,
    test_gc_predefined => gc_predefined,
    test_gc_components => gc_components,
    test_stable_mem => stable_mem,
    test_utf8 => utf8,
    test_text => text,
    test_bigint => bigint,
    test_continuation_table => continuation_table,
    test_principal_id => principal_id,
    test_persistence_format => persistence_format,
    test_persistence_small => persistence_small,
    test_persistence_20k => persistence_20k,
}
