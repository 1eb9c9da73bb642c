//! The coverage manifest: which sub-tests each test module runs, so that splitting a module into
//! shards can never silently drop (or duplicate) a sub-test.
//!
//! Every exported module is a [`Module`] of the registry (`crate::exports::MODULES`): its name,
//! its *family* (the unsplit module it belongs to; a module that is not split is its own family)
//! and its table of top-level sub-tests, which declares them. A sub-test's identity is
//! `(family, name)`. Rules, checked natively:
//! - every exported module has exactly one entry, and every entry names an exported module;
//! - within a family, each sub-test is declared by exactly one module;
//! - a module reaches (calls `ctx.sub` for) exactly the sub-tests it declares: an undeclared one
//!   is an error, and so is a declared one it never reaches; so each sub-test of a family is
//!   reached from exactly one entry point, never from none or two.
//!
//! [`run_checked`] applies the last rule to every native test run (the real execution); the
//! `coverage_manifest` test (in `crate::exports`) applies all of them to every module at once, in
//! list-only mode (sub-test bodies skipped, so it takes milliseconds; `RTS_MANIFEST_FULL=1` runs
//! them for real).
//!
//! Layering: above the modules (it reads their tables through the registry it is given) and
//! below the exports; it imports only the harness.

use crate::harness::Module;
#[cfg(not(target_family = "wasm"))]
use crate::harness::{coverage, run_module, Ctx};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The entry of `module` in `modules`, if any.
pub fn entry<'m>(modules: &'m [Module], module: &str) -> Option<&'m Module> {
    modules.iter().find(|e| e.name == module)
}

/// Whether `m` declares sub-test `s`.
fn declares(m: &Module, s: &str) -> bool {
    m.tests.iter().any(|&(t, _)| t == s)
}

/// Checks that a run of `m` reached exactly its declared sub-tests.
pub fn check_run(m: &Module, reached: &[&'static str]) -> Result<(), String> {
    let module = m.name;
    let mut problems = Vec::new();
    for s in reached {
        if !declares(m, s) {
            problems.push(format!("sub-test {s:?} run by {module} is not declared"));
        }
    }
    for &(s, _) in m.tests {
        if !reached.contains(&s) {
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

/// Runs `m` under `seed` natively, recording the sub-tests it reaches, and fails the test unless
/// they are exactly its declared ones: the path of every native `#[test]` of a module.
#[cfg(not(target_family = "wasm"))]
pub fn run_checked(m: &Module, seed: u64, scale: u32) {
    let reached = coverage::record(false, || run_module(m.name, seed, scale, |ctx| m.run(ctx)));
    if let Err(e) = check_run(m, &reached) {
        let ctx = Ctx {
            module: m.name,
            seed,
            scale,
        };
        ctx.fail(format_args!("coverage manifest: {e}"));
    }
}

/// Checks every rule over the registry `modules` and the `exported` modules, given what each
/// reached; returns the problems.
pub fn audit(
    modules: &[Module],
    exported: &[&str],
    reached: &[(&str, Vec<&'static str>)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for m in exported {
        match modules.iter().filter(|e| e.name == *m).count() {
            0 => problems.push(format!("exported module {m} has no manifest entry")),
            1 => {}
            n => problems.push(format!("module {m} has {n} manifest entries")),
        }
    }
    for e in modules {
        if !exported.contains(&e.name) {
            problems.push(format!("module {} is declared but not exported", e.name));
        }
        // Declared once within the family.
        for &(s, _) in e.tests {
            let declarers: Vec<&str> = modules
                .iter()
                .filter(|o| o.family == e.family && declares(o, s))
                .map(|o| o.name)
                .collect();
            if declarers.len() > 1 && declarers[0] == e.name {
                problems.push(format!(
                    "sub-test {}/{s} is declared by {} modules: {declarers:?}",
                    e.family,
                    declarers.len()
                ));
            }
            if e.tests.iter().filter(|&&(t, _)| t == s).count() > 1 {
                problems.push(format!("sub-test {s} declared twice by {}", e.name));
            }
        }
    }
    // Reached from exactly one entry point: its declarer.
    for e in modules {
        for &(s, _) in e.tests {
            let from: Vec<&str> = reached
                .iter()
                .filter(|(m, r)| {
                    entry(modules, m).map(|o| o.family) == Some(e.family) && r.contains(&s)
                })
                .map(|(m, _)| *m)
                .collect();
            match from.as_slice() {
                [] => problems.push(format!(
                    "sub-test {}/{s} (declared by {}) is reached from no module",
                    e.family, e.name
                )),
                [m] if *m == e.name => {}
                _ => problems.push(format!(
                    "sub-test {}/{s} (declared by {}) is reached from {from:?}",
                    e.family, e.name
                )),
            }
        }
    }
    for (m, r) in reached {
        match entry(modules, m) {
            Some(e) => {
                if let Err(p) = check_run(e, r) {
                    problems.push(p);
                }
            }
            None => problems.push(format!("module {m} has no entry in the registry")),
        }
    }
    problems
}
