//! Shrinking a failing random collector heap to a small heap script that fails the same way.
//!
//! [`shrink`] reruns a random-heap sub-test (`gc_chunk_<c>`, "<collector> heap <k>") natively
//! under [`record`], which yields the [`HeapScript`] of the failing run: the heap as drawn and
//! every decision of its rounds up to the failure. It then cuts the script down greedily, in the
//! manner of delta debugging: for each kind of part (rounds, mutator steps, objects, roots,
//! references, fields, nonzero scalars, blob bytes, full collections) it tries to drop chunks of
//! them, halving the chunk size down to single parts, and keeps every cut after which [`replay`]
//! still fails *the same way*; the passes repeat until a whole sweep cuts nothing (or the replay
//! budget is spent). Dropping an object turns references to it into scalar 0 and renumbers the
//! rest; dropping a root renumbers root steps.
//!
//! *The same way* means: the same sub-test (the replay runs under the original sub-test's name,
//! module and seed) and the same kind of check, which is the source location of the check that
//! failed (the caller of `Ctx::fail`, a `check_eq!` site in the model checker, the collector's
//! `verify` report, or the panic site of an assertion), as [`catch`] reports it; the values in
//! the message (addresses, ids, rounds) may change.
//!
//! Why not proptest's shrinking: proptest shrinks the *inputs of a strategy* (value trees), so the
//! heap would have to be drawn through proptest strategies instead of the suite's own seeded
//! generator (changing every random heap, and pulling std-only proptest into the no_std wasm
//! build), and its shrinking is local per value, not structural (it cannot drop an object and
//! renumber every reference to it). The heap script is already an explicit description; a small
//! structural shrinker over it is the direct fit, and replays exactly what the test runs.

use crate::exports::MODULES;
use crate::fixtures::script::{record, replay, HeapScript};
use crate::fixtures::script_text;
use crate::harness::{catch, run_module, Failure, Module};
use crate::model::{MObj, MVal, Step};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use rts::object::Kind;

/// What is being shrunk: a sub-test of a module, under a seed.
#[derive(Clone, Copy)]
pub struct Target {
    /// The module.
    pub module: &'static Module,
    /// The sub-test's name (from the module's table).
    pub sub: &'static str,
    /// The seed.
    pub seed: u64,
}

impl Target {
    /// The target named on a command line; the error says what is wrong.
    pub fn find(module: &str, sub: &str, seed: u64) -> Result<Target, String> {
        let Some(m) = MODULES.iter().find(|m| m.name == module) else {
            return Err(format!("no test module {module:?}"));
        };
        let Some(&(sub, _)) = m.tests.iter().find(|t| t.0 == sub) else {
            let names: Vec<&str> = m.tests.iter().map(|t| t.0).collect();
            return Err(format!(
                "module {module} has no sub-test {sub:?}; its sub-tests: {names:?}"
            ));
        };
        Ok(Target {
            module: m,
            sub,
            seed,
        })
    }

    /// Runs `body` as this target's sub-test, caught.
    fn run_as(&self, body: impl FnOnce(&crate::harness::Ctx)) -> Result<(), Failure> {
        catch(|| run_module(self.module.name, self.seed, |ctx| ctx.sub(self.sub, body)))
    }

    /// Replays `script` as this target's sub-test; the failure, if any.
    pub fn replay(&self, script: &HeapScript) -> Option<Failure> {
        self.run_as(|ctx| {
            replay(ctx, "replay", script);
        })
        .err()
    }
}

/// The sizes of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Objects: the initial heap's and the mutator's new ones.
    pub objects: usize,
    /// References in the fields of all those objects.
    pub edges: usize,
    /// Roots (the continuation table's included).
    pub roots: usize,
    /// Rounds (one collection each).
    pub rounds: usize,
    /// Mutation points between increments.
    pub increment_batches: usize,
    /// Root and field stores of the mutator.
    pub stores: usize,
}

impl Sizes {
    /// The sizes of `s`.
    pub fn of(s: &HeapScript) -> Sizes {
        let objs = all_objects(s);
        let stores = steps(s)
            .filter(|st| !matches!(st, Step::New { .. }))
            .count();
        Sizes {
            objects: objs.len(),
            edges: objs
                .iter()
                .flat_map(|o| &o.fields)
                .filter(|v| matches!(v, MVal::Ref(_)))
                .count(),
            roots: s.model.roots.len(),
            rounds: s.rounds.len(),
            increment_batches: s.rounds.iter().map(|r| r.between.len()).sum(),
            stores,
        }
    }
}

impl core::fmt::Display for Sizes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} objects, {} edges, {} roots, {} rounds, {} mutations between increments, {} stores",
            self.objects, self.edges, self.roots, self.rounds, self.increment_batches, self.stores
        )
    }
}

/// The outcome of [`shrink`].
pub struct Shrunk {
    /// The failure of the original run (its location is the kind of check kept).
    pub failure: Failure,
    /// The failure of the shrunk script (same location).
    pub shrunk_failure: Failure,
    /// The script of the original run, up to its failure.
    pub original: HeapScript,
    /// The shrunk script.
    pub script: HeapScript,
    /// Replays spent.
    pub replays: usize,
}

impl Shrunk {
    /// The shrunk script in `gc_predefined`'s source form, with a doc comment saying where it
    /// comes from, the check it fails and the sizes before and after.
    pub fn source(&self, t: &Target) -> String {
        let name = format!(
            "shrunk_{}_seed_{}_{}",
            t.module.name,
            t.seed,
            t.sub.replace([' ', '-'], "_")
        );
        let doc = format!(
            "Shrunk from module {} seed {} sub-test {:?}: fails the check at {}.\n\
             Before: {}.\nAfter: {}.",
            t.module.name,
            t.seed,
            t.sub,
            self.failure.location,
            Sizes::of(&self.original),
            Sizes::of(&self.script)
        );
        script_text::print(&self.script, &name, &doc)
    }
}

/// Records the failing run of `t` and shrinks it, spending at most `max_replays` replays.
pub fn shrink(t: &Target, max_replays: usize) -> Result<Shrunk, String> {
    let body = t
        .module
        .tests
        .iter()
        .find(|x| x.0 == t.sub)
        .map(|x| x.1)
        .ok_or_else(|| format!("no sub-test {:?}", t.sub))?;
    let (script, out) = record(|| run_module(t.module.name, t.seed, |ctx| ctx.sub(t.sub, body)));
    let failure = match out {
        Ok(()) => {
            return Err(format!(
                "{} seed {} {:?} passes: nothing to shrink",
                t.module.name, t.seed, t.sub
            ))
        }
        Err(f) => f,
    };
    let Some(original) = script else {
        return Err(format!(
            "{} {:?} failed before running a heap script (it is not a random-heap sub-test): {}",
            t.module.name, t.sub, failure.message
        ));
    };
    match t.replay(&original) {
        Some(f) if f.location == failure.location => {}
        other => {
            return Err(format!(
                "the recorded script does not fail the same way when replayed ({other:?}; \
                 originally {failure:?})"
            ))
        }
    }
    let want = failure.location.clone();
    let mut s = Shrinker {
        t,
        want: &want,
        replays: 1,
        max: max_replays,
    };
    let script = s.run(original.clone());
    let shrunk_failure = t
        .replay(&script)
        .filter(|f| f.location == failure.location)
        .ok_or("the shrunk script no longer fails the same way")?;
    Ok(Shrunk {
        failure,
        shrunk_failure,
        original,
        script,
        replays: s.replays,
    })
}

struct Shrinker<'a> {
    t: &'a Target,
    want: &'a str,
    replays: usize,
    max: usize,
}

impl Shrinker<'_> {
    fn fails(&mut self, s: &HeapScript) -> bool {
        if self.replays >= self.max {
            return false;
        }
        self.replays += 1;
        self.t.replay(s).is_some_and(|f| f.location == self.want)
    }

    /// Greedy delta debugging over `n` parts: `cut(dead)` is the script without the parts marked
    /// dead; returns the smallest failing script found.
    fn ddmin(
        &mut self,
        best: HeapScript,
        n: usize,
        cut: impl Fn(&HeapScript, &[bool]) -> HeapScript,
    ) -> HeapScript {
        let base = best;
        let mut dead = vec![false; n];
        let mut best = base.clone();
        let mut chunk = n.div_ceil(2).max(1);
        while n > 0 && self.replays < self.max {
            let alive: Vec<usize> = (0..n).filter(|&i| !dead[i]).collect();
            if alive.is_empty() {
                break;
            }
            let chunk_now = chunk.min(alive.len());
            let mut changed = false;
            for part in alive.chunks(chunk_now) {
                let mut cand = dead.clone();
                for &i in part {
                    cand[i] = true;
                }
                let c = cut(&base, &cand);
                if self.fails(&c) {
                    dead = cand;
                    best = c;
                    changed = true;
                }
            }
            if !changed {
                if chunk_now == 1 {
                    break;
                }
                chunk = chunk_now / 2;
            }
        }
        best
    }

    fn run(&mut self, mut s: HeapScript) -> HeapScript {
        loop {
            let before = Sizes::of(&s);
            let total = |s: &HeapScript| script_text::print(s, "x", "").len();
            let len = total(&s);
            s = self.ddmin(s.clone(), s.rounds.len(), cut_rounds);
            s = self.ddmin(s.clone(), store_count(&s), cut_stores);
            s = self.ddmin(s.clone(), all_objects(&s).len(), |s, dead| {
                let mut d = dead.to_vec();
                d[0] = false; // the continuation table stays
                cut_objects(s, &d)
            });
            s = self.ddmin(s.clone(), s.model.roots.len(), cut_roots);
            s = self.ddmin(s.clone(), value_count(&s, is_ref), |s, d| {
                zero_values(s, d, is_ref)
            });
            s = self.ddmin(s.clone(), field_slots(&s).len(), cut_fields);
            s = self.ddmin(s.clone(), value_count(&s, is_big_scalar), |s, d| {
                zero_values(s, d, is_big_scalar)
            });
            s = self.ddmin(s.clone(), all_objects(&s).len(), small_blobs);
            s = self.ddmin(s.clone(), s.rounds.len(), |s, d| {
                let mut s = s.clone();
                for (r, &d) in s.rounds.iter_mut().zip(d) {
                    r.full &= !d;
                }
                s
            });
            if Sizes::of(&s) == before && total(&s) == len || self.replays >= self.max {
                return s;
            }
        }
    }
}

/// Every step of the rounds, in replay order.
fn steps(s: &HeapScript) -> impl Iterator<Item = &Step> {
    s.rounds.iter().flat_map(|r| {
        r.between
            .iter()
            .flat_map(|(_, b)| b.iter())
            .chain(r.after.iter())
    })
}

/// Applies `f` to every batch of steps, in replay order.
fn for_batches(s: &mut HeapScript, mut f: impl FnMut(&mut Vec<Step>)) {
    for r in &mut s.rounds {
        for (_, b) in &mut r.between {
            f(b);
        }
        f(&mut r.after);
    }
}

/// The initial objects and then the mutator's new ones, in id order.
fn all_objects(s: &HeapScript) -> Vec<&MObj> {
    let mut v: Vec<&MObj> = s.model.objects.iter().collect();
    for st in steps(s) {
        if let Step::New { objects } = st {
            v.extend(objects.iter());
        }
    }
    v
}

/// Applies `f` to every object (initial, then new), with its id.
fn for_objects(s: &mut HeapScript, mut f: impl FnMut(usize, &mut MObj)) {
    let mut id = 0;
    for o in &mut s.model.objects {
        f(id, o);
        id += 1;
    }
    for_batches(s, |b| {
        for st in b {
            if let Step::New { objects } = st {
                for o in objects {
                    f(id, o);
                    id += 1;
                }
            }
        }
    });
}

fn store_count(s: &HeapScript) -> usize {
    steps(s)
        .filter(|st| !matches!(st, Step::New { .. }))
        .count()
}

/// Without the root and field stores marked dead (in replay order).
fn cut_stores(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut s = s.clone();
    let mut i = 0;
    for_batches(&mut s, |b| {
        b.retain(|st| {
            if matches!(st, Step::New { .. }) {
                return true;
            }
            i += 1;
            !dead[i - 1]
        })
    });
    drop_empty(&mut s);
    s
}

/// Drops empty mutation points between increments.
fn drop_empty(s: &mut HeapScript) {
    for r in &mut s.rounds {
        r.between.retain(|(_, b)| !b.is_empty());
    }
}

/// Without the rounds marked dead (and the objects they create).
fn cut_rounds(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut gone = vec![false; s.model.objects.len()];
    for (r, &d) in s.rounds.iter().zip(dead) {
        let batches = r.between.iter().map(|(_, b)| b).chain([&r.after]);
        let created: usize = batches
            .flatten()
            .map(|st| match st {
                Step::New { objects } => objects.len(),
                _ => 0,
            })
            .sum();
        gone.extend(core::iter::repeat_n(d, created));
    }
    let mut s = cut_objects(s, &gone);
    let mut i = 0;
    s.rounds.retain(|_| {
        i += 1;
        !dead[i - 1]
    });
    s
}

/// Without the objects marked dead (ids over initial and new objects): references to them become
/// scalar 0, stores into them go, and the other ids close up.
fn cut_objects(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut new_id = Vec::with_capacity(dead.len());
    let mut next = 0;
    for &d in dead {
        new_id.push(if d { None } else { Some(next) });
        if !d {
            next += 1;
        }
    }
    let map = |v: &mut MVal| {
        if let MVal::Ref(id) = *v {
            *v = match new_id.get(id).copied().flatten() {
                Some(n) => MVal::Ref(n),
                None => MVal::Scalar(0),
            };
        }
    };
    let mut s = s.clone();
    let mut id = 0;
    s.model.objects.retain(|_| {
        id += 1;
        !dead.get(id - 1).copied().unwrap_or(false)
    });
    for o in &mut s.model.objects {
        o.fields.iter_mut().for_each(map);
    }
    s.model.roots.iter_mut().for_each(map);
    for_batches(&mut s, |b| {
        b.retain_mut(|st| match st {
            Step::New { objects } => {
                objects.retain(|_| {
                    id += 1;
                    !dead.get(id - 1).copied().unwrap_or(false)
                });
                for o in objects.iter_mut() {
                    o.fields.iter_mut().for_each(map);
                }
                !objects.is_empty()
            }
            Step::Root { value, .. } => {
                map(value);
                true
            }
            Step::Field { obj, value, .. } => match new_id.get(*obj).copied().flatten() {
                Some(n) => {
                    *obj = n;
                    map(value);
                    true
                }
                None => false,
            },
        })
    });
    drop_empty(&mut s);
    s
}

/// Without the roots marked dead (root 0 stays): root stores renumbered or dropped.
fn cut_roots(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut new_no = Vec::new();
    let mut next = 0;
    for (i, &d) in dead.iter().enumerate() {
        let keep = i == 0 || !d;
        new_no.push(keep.then_some(next));
        if keep {
            next += 1;
        }
    }
    let mut s = s.clone();
    let mut i = 0;
    s.model.roots.retain(|_| {
        i += 1;
        new_no[i - 1].is_some()
    });
    for_batches(&mut s, |b| {
        b.retain_mut(|st| match st {
            Step::Root { root, .. } => match new_no.get(*root).copied().flatten() {
                Some(n) => {
                    *root = n;
                    true
                }
                None => false,
            },
            _ => true,
        })
    });
    drop_empty(&mut s);
    s
}

fn is_ref(v: &MVal) -> bool {
    matches!(v, MVal::Ref(_))
}

fn is_big_scalar(v: &MVal) -> bool {
    matches!(v, MVal::Scalar(n) if *n != 0)
}

/// The values in object fields (initial and new) that `pick` selects.
fn value_count(s: &HeapScript, pick: fn(&MVal) -> bool) -> usize {
    all_objects(s)
        .iter()
        .flat_map(|o| &o.fields)
        .filter(|v| pick(v))
        .count()
}

/// With the selected field values marked dead replaced by scalar 0.
fn zero_values(s: &HeapScript, dead: &[bool], pick: fn(&MVal) -> bool) -> HeapScript {
    let mut s = s.clone();
    let mut i = 0;
    for_objects(&mut s, |_, o| {
        for v in &mut o.fields {
            if pick(v) {
                if dead[i] {
                    *v = MVal::Scalar(0);
                }
                i += 1;
            }
        }
    });
    s
}

/// Whether objects of `kind` have as many fields as they like.
fn variable_fields(kind: Kind) -> bool {
    matches!(kind, Kind::Array | Kind::Record | Kind::Closure)
}

/// `(object, field)` of every field that could go (objects of variable field count).
fn field_slots(s: &HeapScript) -> Vec<(usize, usize)> {
    all_objects(s)
        .iter()
        .enumerate()
        .filter(|(_, o)| variable_fields(o.kind))
        .flat_map(|(id, o)| (0..o.fields.len()).map(move |f| (id, f)))
        .collect()
}

/// Without the fields marked dead; field stores renumbered or dropped.
fn cut_fields(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let slots = field_slots(s);
    let gone = |id: usize, f: usize| slots.binary_search(&(id, f)).is_ok_and(|i| dead[i]);
    let mut s = s.clone();
    for_objects(&mut s, |id, o| {
        let mut f = 0;
        o.fields.retain(|_| {
            f += 1;
            !gone(id, f - 1)
        });
    });
    for_batches(&mut s, |b| {
        b.retain_mut(|st| match st {
            Step::Field { obj, field, .. } => {
                if gone(*obj, *field) {
                    return false;
                }
                *field -= (0..*field).filter(|&g| gone(*obj, g)).count();
                true
            }
            _ => true,
        })
    });
    drop_empty(&mut s);
    s
}

/// The blobs marked dead cut to 8 bytes (one identity word on any target).
fn small_blobs(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut s = s.clone();
    for_objects(&mut s, |id, o| {
        if dead[id] && o.kind == Kind::Blob {
            o.bytes = o.bytes.min(8);
        }
    });
    s
}
