//! The coverage manifest: which sub-tests each test module runs, so that splitting a module into
//! shards can never silently drop (or duplicate) a sub-test.
//!
//! Every exported module has one [`Entry`]: its *family* (the unsplit module it belongs to; a
//! module that is not split is its own family) and the top-level sub-tests (`ctx.sub` names) it
//! runs. A sub-test's identity is `(family, name)`. Rules, checked natively:
//! - every exported module has exactly one entry, and every entry names an exported module;
//! - within a family, each sub-test is declared by exactly one module;
//! - a module reaches (calls `ctx.sub` for) exactly the sub-tests it declares: an undeclared one
//!   is an error, and so is a declared one it never reaches; so each sub-test of a family is
//!   reached from exactly one entry point, never from none or two.
//!
//! [`check_run`] applies the last rule to every native test run (the real execution); the
//! `coverage_manifest` test applies all of them to every module at once, in list-only mode
//! (sub-test bodies skipped, so it takes milliseconds; `RTS_MANIFEST_FULL=1` runs them for
//! real). Modules in [`NOT_YET_SPLIT_INTO_SUBTESTS`] run no `ctx.sub` at top level and are only
//! held to the export rule; the list must shrink, never grow.

use crate::modules;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One test module's declaration.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The module (its export is `test_<module>`).
    pub module: &'static str,
    /// The unsplit module it is a shard of (itself if not split).
    pub family: &'static str,
    /// The top-level sub-tests it runs, in order.
    pub subtests: &'static [&'static str],
}

const fn solo(module: &'static str, subtests: &'static [&'static str]) -> Entry {
    Entry {
        module,
        family: module,
        subtests,
    }
}

/// Modules whose bodies do not yet use top-level `ctx.sub` (none now; keep it that way).
pub const NOT_YET_SPLIT_INTO_SUBTESTS: &[&str] = &[];

// The gc chunks' sub-test names `"<collector> heap <k>"`, spelled by the macro the chunks use.
use crate::modules::gc_random::heap_subs;

/// Every gc chunk runs its ten heaps under each collector of the build (the heaps themselves
/// differ by chunk: heap `k` of chunk `c` is drawn from `(c, k)`).
#[cfg(not(feature = "incremental"))]
const GC_CHUNK: &[&str] = &{
    let (a, b, c) = (
        heap_subs!("copying"),
        heap_subs!("mark-compact"),
        heap_subs!("generational"),
    );
    let mut out = [""; 30];
    let mut i = 0;
    while i < 10 {
        out[i] = a[i];
        out[10 + i] = b[i];
        out[20 + i] = c[i];
        i += 1;
    }
    out
};

#[cfg(feature = "incremental")]
const GC_CHUNK: &[&str] = &heap_subs!("incremental");

const fn gc_chunk(module: &'static str) -> Entry {
    solo(module, GC_CHUNK)
}

/// Every test module's declaration.
pub static MANIFEST: &[Entry] = &[
    solo(
        "crc32",
        &["check_values", "reference", "split", "single_bit_errors"],
    ),
    solo(
        "leb128",
        &[
            "known_vectors",
            "roundtrip",
            "reference_decoder",
            "truncation",
            "overflow",
            "reader",
        ],
    ),
    solo(
        "memory",
        &[
            "allocations_survive_growth",
            "growth_is_amortized",
            "limit",
            "reset",
            "page_rounding",
            "sizing",
        ],
    ),
    gc_chunk("gc_chunk_0"),
    gc_chunk("gc_chunk_1"),
    gc_chunk("gc_chunk_2"),
    gc_chunk("gc_chunk_3"),
    gc_chunk("gc_chunk_4"),
    gc_chunk("gc_chunk_5"),
    gc_chunk("gc_chunk_6"),
    gc_chunk("gc_chunk_7"),
    gc_chunk("gc_chunk_8"),
    gc_chunk("gc_chunk_9"),
    solo(
        "gc_predefined",
        &[
            "empty",
            "all_garbage",
            "root_points_backwards",
            "self_loops",
            "cycle",
            "deep_chain",
            "array_larger_than_partition",
            "large_garbage",
            "every_kind",
            "shared_by_roots",
        ],
    ),
    solo("gc_components", modules::gc_components::SUBTESTS),
    solo("stable_mem", modules::stable_mem::SUBTESTS),
    solo("utf8", modules::utf8::SUBTESTS),
    solo("text", modules::text::SUBTESTS),
    solo("bigint", modules::bigint::SUBTESTS),
    solo("continuation_table", modules::continuation_table::SUBTESTS),
    solo("principal_id", modules::principal_id::SUBTESTS),
    Entry {
        module: "persistence_format",
        family: "persistence",
        subtests: modules::persistence_format::SUBTESTS,
    },
    Entry {
        module: "persistence_small",
        family: "persistence",
        subtests: modules::persistence_small::SUBTESTS,
    },
    Entry {
        module: "persistence_20k",
        family: "persistence",
        subtests: modules::persistence_20k::SUBTESTS,
    },
];

/// The entry of `module`, if any.
pub fn entry(module: &str) -> Option<&'static Entry> {
    MANIFEST.iter().find(|e| e.module == module)
}

fn is_exempt(module: &str) -> bool {
    NOT_YET_SPLIT_INTO_SUBTESTS.contains(&module)
}

/// Checks that a run of `module` reached exactly its declared sub-tests.
pub fn check_run(module: &str, reached: &[&'static str]) -> Result<(), String> {
    let e = entry(module)
        .ok_or_else(|| format!("module {module} has no entry in testsuite/src/manifest.rs"))?;
    if is_exempt(module) {
        if let Some(s) = reached.first() {
            return Err(format!(
                "module {module} now runs sub-test {s:?}: declare its sub-tests in \
                 testsuite/src/manifest.rs and remove it from NOT_YET_SPLIT_INTO_SUBTESTS"
            ));
        }
        return Ok(());
    }
    let mut problems = Vec::new();
    for s in reached {
        if !e.subtests.contains(s) {
            problems.push(format!("sub-test {s:?} run by {module} is not declared"));
        }
    }
    for s in e.subtests {
        if !reached.contains(s) {
            problems.push(format!(
                "declared sub-test {s:?} of {module} was not reached"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Checks every rule over `exported` modules, given what each reached; returns the problems.
pub fn audit(exported: &[&str], reached: &[(&str, Vec<&'static str>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for m in exported {
        match MANIFEST.iter().filter(|e| e.module == *m).count() {
            0 => problems.push(format!("exported module {m} has no manifest entry")),
            1 => {}
            n => problems.push(format!("module {m} has {n} manifest entries")),
        }
    }
    for e in MANIFEST {
        if !exported.contains(&e.module) {
            problems.push(format!("module {} is declared but not exported", e.module));
        }
        // Declared once within the family.
        for s in e.subtests {
            let declarers: Vec<&str> = MANIFEST
                .iter()
                .filter(|o| o.family == e.family && o.subtests.contains(s))
                .map(|o| o.module)
                .collect();
            if declarers.len() > 1 && declarers[0] == e.module {
                problems.push(format!(
                    "sub-test {}/{s} is declared by {} modules: {declarers:?}",
                    e.family,
                    declarers.len()
                ));
            }
            if e.subtests.iter().filter(|t| *t == s).count() > 1 {
                problems.push(format!("sub-test {s} declared twice by {}", e.module));
            }
        }
    }
    // Reached from exactly one entry point: its declarer.
    for e in MANIFEST.iter().filter(|e| !is_exempt(e.module)) {
        for s in e.subtests {
            let from: Vec<&str> = reached
                .iter()
                .filter(|(m, r)| entry(m).map(|o| o.family) == Some(e.family) && r.contains(s))
                .map(|(m, _)| *m)
                .collect();
            match from.as_slice() {
                [] => problems.push(format!(
                    "sub-test {}/{s} (declared by {}) is reached from no module",
                    e.family, e.module
                )),
                [m] if *m == e.module => {}
                _ => problems.push(format!(
                    "sub-test {}/{s} (declared by {}) is reached from {from:?}",
                    e.family, e.module
                )),
            }
        }
    }
    for (m, r) in reached {
        if let Err(p) = check_run(m, r) {
            problems.push(p);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::coverage;

    /// Every module, listed (or, with `RTS_MANIFEST_FULL=1`, run), against the manifest.
    #[test]
    fn coverage_manifest() {
        let full = std::env::var("RTS_MANIFEST_FULL").is_ok_and(|v| v == "1");
        let exported: Vec<&str> = crate::MODULES.iter().map(|m| m.name).collect();
        let reached: Vec<(&str, Vec<&'static str>)> = crate::MODULES
            .iter()
            .filter(|m| !is_exempt(m.name))
            .map(|m| (m.name, coverage::reached_by(m, 1, !full)))
            .collect();
        let problems = audit(&exported, &reached);
        assert!(
            problems.is_empty(),
            "coverage manifest:\n{}",
            problems.join("\n")
        );
    }

    /// The audit catches each kind of mistake.
    #[test]
    fn audit_detects_mistakes() {
        let exported: Vec<&str> = MANIFEST.iter().map(|e| e.module).collect();
        let honest: Vec<(&str, Vec<&'static str>)> = MANIFEST
            .iter()
            .filter(|e| !is_exempt(e.module))
            .map(|e| (e.module, e.subtests.to_vec()))
            .collect();
        assert!(audit(&exported, &honest).is_empty());
        // A dropped sub-test (a shard forgot one).
        let mut dropped = honest.clone();
        dropped[0].1.pop();
        let p = audit(&exported, &dropped);
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
        let p = audit(&exported, &twice);
        assert!(p.iter().any(|p| p.contains("reached from [")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("not declared")), "{p:?}");
        // An undeclared sub-test.
        let mut extra = honest.clone();
        extra[0].1.push("surprise");
        assert!(!audit(&exported, &extra).is_empty());
        // A declared module that is not exported, and an export without an entry.
        let fewer: Vec<&str> = exported.iter().copied().filter(|m| *m != "utf8").collect();
        let p = audit(&fewer, &honest);
        assert!(
            p.iter()
                .any(|p| p.contains("utf8 is declared but not exported")),
            "{p:?}"
        );
        let mut more = exported.clone();
        more.push("ghost");
        let p = audit(&more, &honest);
        assert!(
            p.iter().any(|p| p.contains("ghost has no manifest entry")),
            "{p:?}"
        );
    }
}
