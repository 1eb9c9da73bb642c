//! The registry of test modules and their wasm exports: the top layer of the crate.
//!
//! One list, in `test_modules!`, gives for each test module its exports `test_<module>(seed)` and
//! `scaled_<module>(seed, scale)` (the same run at depth `scale`; see `Ctx::scaled`), its
//! family (for the coverage manifest; its own name unless `in <family>` says otherwise) and its
//! sub-test table (`modules::<module>::TESTS` unless `= <table>` says otherwise). From it come
//! [`MODULES`], one `#[no_mangle]` export per module (running its table through
//! [`run_module`]), and natively one `#[test]` per module (running it through
//! [`crate::manifest::run_checked`], which holds the run to the coverage manifest).

use crate::harness::{run_module, Module};
#[cfg(test)]
use crate::manifest;
use crate::modules;

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

/// The body of every export: one copy, so that the two exports of a module (and the modules'
/// tables) are not inlined into each.
#[inline(never)]
fn run_export(module: &'static Module, seed: u64, scale: u32) {
    run_module(module.name, seed, scale, |ctx| module.run(ctx))
}

/// The [`Module`] value of one registry line.
macro_rules! module {
    ($module:ident, [$($family:ident)?], [$($tests:expr)?]) => {
        Module {
            name: stringify!($module),
            family: module!(@family $module $($family)?),
            tests: module!(@tests $module $($tests)?),
        }
    };
    (@family $module:ident) => { stringify!($module) };
    (@family $module:ident $family:ident) => { stringify!($family) };
    (@tests $module:ident) => { modules::$module::TESTS };
    (@tests $module:ident $tests:expr) => { $tests };
}

/// Declares the test modules: one registry entry, one wasm export and one native `#[test]` each.
macro_rules! test_modules {
    ($($export:ident => $module:ident $(in $family:ident)? $(= $tests:expr)?),* $(,)?) => {
        /// Every test module, in export order.
        pub static MODULES: &[Module] = &[
            $(module!($module, [$($family)?], [$($tests)?])),*
        ];

        $(
            const _: () = assert!(
                is_export_name(stringify!($export), stringify!($module)),
                "export must be named test_<module>"
            );

            const _: () = {
                static MODULE: Module = module!($module, [$($family)?], [$($tests)?]);

                #[doc = concat!("Runs the `", stringify!($module), "` test module with `seed`; traps on failure.")]
                #[no_mangle]
                pub extern "C" fn $export(seed: u64) {
                    run_export(&MODULE, seed, 1)
                }

                #[doc = concat!("Runs the `", stringify!($module), "` test module with `seed` at depth `scale`.")]
                #[export_name = concat!("scaled_", stringify!($module))]
                pub extern "C" fn scaled(seed: u64, scale: u32) {
                    run_export(&MODULE, seed, scale)
                }
            };
        )*

        #[cfg(test)]
        mod native {
            use super::*;

            fn seed() -> u64 {
                std::env::var("RTS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
            }
            $(
                #[test]
                fn $module() {
                    manifest::run_checked(
                        &module!($module, [$($family)?], [$($tests)?]),
                        seed(),
                        crate::harness::native_scale(),
                    )
                }
            )*
        }
    };
}

test_modules! {
    test_crc32 => crc32,
    test_bitrel => bitrel,
    test_leb128 => leb128,
    test_memory => memory,
    test_gc_chunk_0 => gc_chunk_0 = modules::gc_random::CHUNKS[0],
    test_gc_chunk_1 => gc_chunk_1 = modules::gc_random::CHUNKS[1],
    test_gc_chunk_2 => gc_chunk_2 = modules::gc_random::CHUNKS[2],
    test_gc_chunk_3 => gc_chunk_3 = modules::gc_random::CHUNKS[3],
    test_gc_chunk_4 => gc_chunk_4 = modules::gc_random::CHUNKS[4],
    test_gc_chunk_5 => gc_chunk_5 = modules::gc_random::CHUNKS[5],
    test_gc_chunk_6 => gc_chunk_6 = modules::gc_random::CHUNKS[6],
    test_gc_chunk_7 => gc_chunk_7 = modules::gc_random::CHUNKS[7],
    test_gc_chunk_8 => gc_chunk_8 = modules::gc_random::CHUNKS[8],
    test_gc_chunk_9 => gc_chunk_9 = modules::gc_random::CHUNKS[9],
    test_gc_predefined => gc_predefined,
    test_gc_components => gc_components,
    test_array_slicing => array_slicing,
    test_stable_mem => stable_mem,
    test_utf8 => utf8,
    test_text => text,
    test_bigint => bigint,
    test_continuation_table => continuation_table,
    test_principal_id => principal_id,
    test_persistence_format => persistence_format in persistence,
    test_persistence_small => persistence_small in persistence,
    test_persistence_20k => persistence_20k in persistence,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::coverage;
    use crate::manifest::audit;

    /// Every module, listed (or, with `RTS_MANIFEST_FULL=1`, run), against the manifest.
    #[test]
    fn coverage_manifest() {
        let full = std::env::var("RTS_MANIFEST_FULL").is_ok_and(|v| v == "1");
        let exported: Vec<&str> = MODULES.iter().map(|m| m.name).collect();
        let reached: Vec<(&str, Vec<&'static str>)> = MODULES
            .iter()
            .map(|m| (m.name, coverage::reached_by(m, 1, !full)))
            .collect();
        let problems = audit(MODULES, &exported, &reached);
        assert!(
            problems.is_empty(),
            "coverage manifest:\n{}",
            problems.join("\n")
        );
    }

    /// The audit catches each kind of mistake.
    #[test]
    fn audit_detects_mistakes() {
        let exported: Vec<&str> = MODULES.iter().map(|e| e.name).collect();
        let honest: Vec<(&str, Vec<&'static str>)> = MODULES
            .iter()
            .map(|e| (e.name, e.tests.iter().map(|&(s, _)| s).collect()))
            .collect();
        assert!(audit(MODULES, &exported, &honest).is_empty());
        // A dropped sub-test (a shard forgot one).
        let mut dropped = honest.clone();
        dropped[0].1.pop();
        let p = audit(MODULES, &exported, &dropped);
        assert!(
            p.iter().any(|p| p.contains("reached from no module")),
            "{p:?}"
        );
        // A sub-test reached from two shards of a family.
        let mut twice = honest.clone();
        let fmt = twice
            .iter()
            .position(|(m, _)| *m == "persistence_small")
            .unwrap();
        twice[fmt].1.push("graph_20k");
        let p = audit(MODULES, &exported, &twice);
        assert!(p.iter().any(|p| p.contains("reached from [")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("not declared")), "{p:?}");
        // An undeclared sub-test.
        let mut extra = honest.clone();
        extra[0].1.push("surprise");
        assert!(!audit(MODULES, &exported, &extra).is_empty());
        // A declared module that is not exported, and an export without an entry.
        let fewer: Vec<&str> = exported.iter().copied().filter(|m| *m != "utf8").collect();
        let p = audit(MODULES, &fewer, &honest);
        assert!(
            p.iter()
                .any(|p| p.contains("utf8 is declared but not exported")),
            "{p:?}"
        );
        let mut more = exported.clone();
        more.push("ghost");
        let p = audit(MODULES, &more, &honest);
        assert!(
            p.iter().any(|p| p.contains("ghost has no manifest entry")),
            "{p:?}"
        );
    }
}
