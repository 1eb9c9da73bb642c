//! Shrinking a failing random collector heap to a small heap script that fails the same way.
//!
//! [`shrink`] reruns a random-heap sub-test (`gc_chunk_<c>`, "<collector> heap <k>") natively
//! under [`record`], which yields the [`HeapScript`] of the failing run: the heap as drawn and
//! every decision of its rounds up to the failure. It then cuts the script down greedily, in the
//! manner of delta debugging (ddmin): a pass over one kind of part tries to drop chunks of them,
//! halves first, then quarters and so on down to single parts, and keeps every cut after which
//! [`replay`] still fails *the same way*. A replay takes time in proportion to the heap, so the
//! passes that make it smaller fastest come first: rounds (with the objects they create); the
//! objects farthest from the roots, first made garbage in place and then cut (each a bisection
//! for the shortest prefix of the objects in distance order that still fails), with runs of
//! garbage merged in between; mutator steps (loads, stores, shuffles; they keep the objects they
//! name), objects (ddmin in distance order), roots; then the small cuts: load paths, references,
//! fields, nonzero scalars, blob bytes, merged garbage, full collections. The passes repeat until
//! a whole sweep cuts nothing (or the replay budget is spent). Dropping an object turns
//! references to it into scalar 0 and renumbers the rest; dropping a root renumbers root steps.
//!
//! Distance order: breadth first from the roots and from what the mutator steps create or name,
//! then the objects nothing reaches. Cutting its far end leaves a connected heap, collected much
//! as before. Cutting by id instead leaves scattered fragments, and on a large heap most such
//! cuts lose the failure, each after a replay of the whole heap (the 20k graph's upgrade cycle
//! took about 300 s to shrink that way in a debug build, a few seconds in distance order).
//!
//! Garbage in place: some failures need the heap's layout, not its graph. The incremental
//! collector evacuates only partitions it did not allocate into, so a lost root shows only when
//! its object sits in an older partition; cutting the objects allocated before it moves it into
//! the allocation partition, and the failure goes. Making the far objects garbage of the same
//! size keeps every address; merging consecutive garbage into one array then cuts the object
//! count without moving anything (on `gc_chunk_0`'s incremental heap 0, cutting directly stalled
//! at 4,426 of 6,495 objects after 4,000 replays; this way it ends at 3).
//!
//! Invariants: every cut kept fails the same way, so the result does; object 0 (the continuation
//! table as drawn), root 0 and the object it names (the table now) stay; at most `max_replays`
//! replays (besides the final check); deterministic (the passes, their order and their chunks
//! depend only on the script, so a failing run always shrinks to the same script).
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
use crate::model::{MObj, MVal, Model, Step};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use rts::object::{Kind, MIN_OBJECT_WORDS};

/// What is being shrunk: a sub-test of a module, under a seed.
#[derive(Clone, Copy)]
pub struct Target {
    /// The module.
    pub module: &'static Module,
    /// The sub-test's name (from the module's table).
    pub sub: &'static str,
    /// The seed.
    pub seed: u64,
    /// The depth of the failing run (`Ctx::scale`).
    pub scale: u32,
}

impl Target {
    /// The target named on a command line; the error says what is wrong.
    pub fn find(module: &str, sub: &str, seed: u64, scale: u32) -> Result<Target, String> {
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
            scale,
        })
    }

    /// Runs `body` as this target's sub-test, caught.
    fn run_as(&self, body: impl FnOnce(&crate::harness::Ctx)) -> Result<(), Failure> {
        catch(|| {
            run_module(self.module.name, self.seed, self.scale, |ctx| {
                ctx.sub(self.sub, body)
            })
        })
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
    /// Loads of the mutator (each a root and a path of fields).
    pub loads: usize,
}

impl Sizes {
    /// The sizes of `s`.
    pub fn of(s: &HeapScript) -> Sizes {
        let objs = all_objects(s);
        let count = |f: fn(&Step) -> bool| steps(s).filter(|st| f(st)).count();
        let stores = count(|st| {
            matches!(
                st,
                Step::Root { .. } | Step::Field { .. } | Step::Store { .. }
            )
        });
        let loads = count(|st| matches!(st, Step::Load { .. }));
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
            loads,
        }
    }
}

impl core::fmt::Display for Sizes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} objects, {} edges, {} roots, {} rounds, {} mutations between increments, {} stores, \
             {} loads",
            self.objects,
            self.edges,
            self.roots,
            self.rounds,
            self.increment_batches,
            self.stores,
            self.loads
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
            "Shrunk from module {} seed {} sub-test {:?};\nfails the check at {}.\n\
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
    let (script, out) =
        record(|| run_module(t.module.name, t.seed, t.scale, |ctx| ctx.sub(t.sub, body)));
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
    /// dead. Tries chunks of half the parts, then of a quarter and so on down to single parts (a
    /// chunk size again while it cuts); returns the smallest failing script found.
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

    /// Bisection for the shortest prefix of the objects in [`by_distance`] order that still fails
    /// with the rest cut by `cut` (the prefix of all of them does): a few replays.
    fn truncate(
        &mut self,
        s: HeapScript,
        cut: fn(&HeapScript, &[bool]) -> HeapScript,
    ) -> HeapScript {
        let order = by_distance(&s);
        let (mut lo, mut hi) = (0, order.len());
        let mut best = None;
        while lo + 1 < hi && self.replays < self.max {
            let mid = lo + (hi - lo) / 2;
            let dead: Vec<bool> = (0..order.len()).map(|i| i >= mid).collect();
            let c = cut(&s, &by_id(&s, &order, &dead));
            if self.fails(&c) {
                (hi, best) = (mid, Some(c));
            } else {
                lo = mid;
            }
        }
        best.unwrap_or(s)
    }

    fn run(&mut self, mut s: HeapScript) -> HeapScript {
        loop {
            let before = Sizes::of(&s);
            let total = |s: &HeapScript| script_text::print(s, "x", "").len();
            let len = total(&s);
            // The big cuts.
            s = self.ddmin(s.clone(), s.rounds.len(), cut_rounds);
            s = self.truncate(s, hollow);
            let loose = unreferenced(&s);
            s = self.ddmin(s.clone(), loose.len(), |s, d| merge_loose(s, &loose, d));
            s = self.truncate(s, cut_objects);
            s = self.ddmin(s.clone(), store_count(&s), cut_stores);
            let order = by_distance(&s);
            s = self.ddmin(s.clone(), order.len(), |s, d| {
                cut_objects(s, &by_id(s, &order, d))
            });
            s = self.ddmin(s.clone(), s.model.roots.len(), cut_roots);
            // The small ones.
            s = self.ddmin(s.clone(), path_count(&s), cut_path_steps);
            s = self.ddmin(s.clone(), value_count(&s, is_ref), |s, d| {
                zero_values(s, d, is_ref)
            });
            s = self.ddmin(s.clone(), field_slots(&s).len(), cut_fields);
            s = self.ddmin(s.clone(), value_count(&s, is_big_scalar), |s, d| {
                zero_values(s, d, is_big_scalar)
            });
            s = self.ddmin(s.clone(), all_objects(&s).len(), small_blobs);
            let loose = unreferenced(&s);
            s = self.ddmin(s.clone(), loose.len(), |s, d| merge_loose(s, &loose, d));
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

/// What a step names besides its root and path: the object a field store stores into, then the
/// value a root or field store stores.
fn named(st: &Step) -> impl Iterator<Item = MVal> {
    let (obj, value) = match st {
        Step::Root { value, .. } => (None, Some(*value)),
        Step::Field { obj, value, .. } | Step::Store { obj, value, .. } => {
            (Some(MVal::Ref(*obj)), Some(*value))
        }
        Step::New { .. } | Step::Load { .. } | Step::Shuffle { .. } => (None, None),
    };
    obj.into_iter().chain(value)
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

/// Without the mutator steps (stores, loads, shuffles) marked dead (in replay order).
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

/// Every object id, nearest to the roots first: breadth first from the roots, the new objects
/// and the objects the steps name (what a step creates or names counts as a root), then the ones
/// nothing reaches, in id order.
fn by_distance(s: &HeapScript) -> Vec<usize> {
    let mut m = Model {
        objects: all_objects(s).into_iter().cloned().collect(),
        roots: s.model.roots.clone(),
    };
    let n = m.objects.len();
    m.roots.extend((s.model.objects.len()..n).map(MVal::Ref));
    m.roots.extend(steps(s).flat_map(named));
    // A step may name an object that is not there (it is skipped then).
    m.roots.retain(|v| !matches!(*v, MVal::Ref(id) if id >= n));
    let mut order = m.reachable();
    let mut seen = vec![false; n];
    order.iter().for_each(|&id| seen[id] = true);
    order.extend((0..n).filter(|&id| !seen[id]));
    order
}

/// Marks by object id from marks by place in `order` (a permutation of the ids of `s`'s objects);
/// object 0 and the continuation table (root 0's object, object 0 unless the mutator replaced
/// it) are never marked.
fn by_id(s: &HeapScript, order: &[usize], dead: &[bool]) -> Vec<bool> {
    let mut d = vec![false; order.len()];
    for (&id, &x) in order.iter().zip(dead) {
        d[id] = x;
    }
    d[0] = false;
    if let Some(MVal::Ref(table)) = s.model.roots.first() {
        d[*table] = false;
    }
    d
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
            Step::Field { obj, value, .. } | Step::Store { obj, value, .. } => {
                match new_id.get(*obj).copied().flatten() {
                    Some(n) => {
                        *obj = n;
                        map(value);
                        true
                    }
                    None => false,
                }
            }
            Step::Load { .. } | Step::Shuffle { .. } => true,
        })
    });
    drop_empty(&mut s);
    s
}

/// With the objects marked dead (ids over initial and new objects) made garbage in place: each
/// becomes an array of scalars of the same size in words, references to it become scalar 0 and
/// stores into it go.
/// The heap keeps its layout (the partitions, their occupancy at allocation), which a fault that
/// shows only when a particular partition is evacuated needs; [`merge_loose`] then folds runs of
/// such garbage into few objects.
fn hollow(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let is_dead = |v: &MVal| matches!(*v, MVal::Ref(id) if dead.get(id).copied().unwrap_or(false));
    let zero = |v: &mut MVal| {
        if is_dead(v) {
            *v = MVal::Scalar(0);
        }
    };
    let mut s = s.clone();
    for_objects(&mut s, |id, o| {
        if is_dead(&MVal::Ref(id)) {
            *o = filler(o.kind.size(crate::model::layout::aux(id, o)));
        } else {
            o.fields.iter_mut().for_each(zero);
        }
    });
    s.model.roots.iter_mut().for_each(zero);
    for_batches(&mut s, |b| {
        b.retain_mut(|st| match st {
            Step::Root { value, .. } => {
                zero(value);
                true
            }
            Step::Field { obj, value, .. } | Step::Store { obj, value, .. } => {
                zero(value);
                !is_dead(&MVal::Ref(*obj))
            }
            Step::New { .. } | Step::Load { .. } | Step::Shuffle { .. } => true,
        })
    });
    drop_empty(&mut s);
    s
}

/// Without the roots marked dead (root 0 stays): root stores and loads renumbered or dropped,
/// shuffles renumbered.
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
            Step::Root { root, .. } | Step::Load { root, .. } => {
                match new_no.get(*root).copied().flatten() {
                    Some(n) => {
                        *root = n;
                        true
                    }
                    None => false,
                }
            }
            Step::Shuffle { order } => {
                *order = order
                    .iter()
                    .filter_map(|&r| new_no.get(r).copied().flatten())
                    .collect();
                true
            }
            _ => true,
        })
    });
    drop_empty(&mut s);
    s
}

/// Path elements of all loads.
fn path_count(s: &HeapScript) -> usize {
    steps(s)
        .map(|st| match st {
            Step::Load { path, .. } => path.len(),
            _ => 0,
        })
        .sum()
}

/// Without the path elements of loads marked dead (a shorter walk, or another one).
fn cut_path_steps(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut s = s.clone();
    let mut i = 0;
    for_batches(&mut s, |b| {
        for st in b.iter_mut() {
            if let Step::Load { path, .. } = st {
                path.retain(|_| {
                    i += 1;
                    !dead[i - 1]
                });
            }
        }
    });
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
            Step::Field { obj, field, .. } | Step::Store { obj, field, .. } => {
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

/// The initial objects (besides the continuation table) that nothing refers to: no field, root
/// or step.
fn unreferenced(s: &HeapScript) -> Vec<usize> {
    let mut seen = vec![false; all_objects(s).len()];
    let mut mark = |v: &MVal| {
        if let MVal::Ref(id) = *v {
            if let Some(x) = seen.get_mut(id) {
                *x = true;
            }
        }
    };
    all_objects(s)
        .iter()
        .flat_map(|o| &o.fields)
        .for_each(&mut mark);
    s.model.roots.iter().for_each(&mut mark);
    steps(s).flat_map(named).for_each(|v| mark(&v));
    (1..s.model.objects.len()).filter(|&id| !seen[id]).collect()
}

/// With each run of consecutive `loose` (unreferenced) objects marked dead merged into one array
/// of the same size in words: fewer objects, the same heap layout (exactly so where blob sizes
/// do not depend on the word size).
fn merge_loose(s: &HeapScript, loose: &[usize], dead: &[bool]) -> HeapScript {
    let mut merge = vec![false; all_objects(s).len()];
    for (&id, &d) in loose.iter().zip(dead) {
        merge[id] = d;
    }
    let mut t = s.clone();
    let mut gone = vec![false; merge.len()];
    let mut id = 1;
    while id < s.model.objects.len() {
        if !merge[id] {
            id += 1;
            continue;
        }
        let start = id;
        let mut words = 0;
        while id < s.model.objects.len() && merge[id] {
            let o = &s.model.objects[id];
            words += o.kind.size(crate::model::layout::aux(id, o));
            id += 1;
        }
        if id - start >= 2 {
            gone[start + 1..id].iter_mut().for_each(|g| *g = true);
            t.model.objects[start] = filler(words);
        }
    }
    cut_objects(&t, &gone)
}

/// An array of scalars taking `words` words (`n + 2` for `n` model fields); `words` is at least
/// [`MIN_OBJECT_WORDS`], as every object's size is.
fn filler(words: usize) -> MObj {
    debug_assert!(words >= MIN_OBJECT_WORDS);
    MObj {
        kind: Kind::Array,
        fields: vec![MVal::Scalar(0); words - 2],
        bytes: 0,
    }
}

/// The blobs and bigints marked dead cut to 8 bytes (one identity word on any target).
fn small_blobs(s: &HeapScript, dead: &[bool]) -> HeapScript {
    let mut s = s.clone();
    for_objects(&mut s, |id, o| {
        if dead[id] && matches!(o.kind, Kind::Blob | Kind::BigInt) {
            o.bytes = o.bytes.min(8);
        }
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::faults::{plant, Fault};
    use crate::fixtures::script::{field, load, new, obj, record, round, script, shuffle, store};
    use crate::model::MVal::{Ref as R, Scalar as S};

    /// Shrinks `sub` of `module` under `seed` with `fault` planted.
    fn shrink_under(fault: Fault, module: &str, seed: u64, sub: &str) -> (Target, Shrunk) {
        let t = Target::find(module, sub, seed, 1).expect("target");
        plant(Some(fault));
        let out = shrink(&t, 4000);
        plant(None);
        (
            t,
            out.unwrap_or_else(|e| panic!("{module} {sub:?} under {fault:?}: {e}")),
        )
    }

    /// Checks what every shrink must give: the same check fails before and after, the shrunk
    /// heap has at most `max_objects` objects, the printed form reads back to the same script,
    /// and without the fault the original sub-test and the shrunk script both pass.
    fn check_shrunk(fault: Fault, t: &Target, s: &Shrunk, max_objects: usize) -> Sizes {
        let (before, after) = (Sizes::of(&s.original), Sizes::of(&s.script));
        assert_eq!(s.shrunk_failure.location, s.failure.location);
        assert!(
            after.objects <= max_objects && after.objects < before.objects,
            "{fault:?}: {before} -> {after}"
        );
        assert!(after.edges <= before.edges && after.rounds <= before.rounds.max(1));
        let text = s.source(t);
        let back = script_text::parse(&text).expect("printed form parses");
        assert_eq!(back, s.script, "round trip of\n{text}");
        plant(Some(fault));
        let again = t.replay(&back).map(|f| f.location);
        plant(None);
        assert_eq!(again.as_deref(), Some(s.failure.location.as_str()));
        assert_eq!(
            t.replay(&s.script),
            None,
            "the shrunk heap passes without the fault"
        );
        let body = t.module.tests.iter().find(|x| x.0 == t.sub).expect("sub").1;
        let clean =
            catch(|| run_module(t.module.name, t.seed, t.scale, |ctx| ctx.sub(t.sub, body)));
        assert_eq!(
            clean.err(),
            None,
            "the original sub-test passes without the fault"
        );
        after
    }

    /// Root scanning that misses the last root (tracing): a heap of 6,495 objects, 7,910
    /// references and 3 roots shrinks to 2 objects (the continuation table and the lost
    /// root's object), no references, 2 roots and 1 round.
    #[cfg(not(feature = "incremental"))]
    #[test]
    fn shrinks_a_tracing_bug() {
        let (t, s) = shrink_under(Fault::UntracedRoot, "gc_chunk_0", 1, "copying heap 0");
        let after = check_shrunk(Fault::UntracedRoot, &t, &s, 5);
        assert!(after.roots <= 2 && after.rounds <= 1, "{after}");
    }

    /// Stores into boxes that bypass the write barrier: a generational heap of 5,571 objects,
    /// 4,509 references, 96 stores and 676 loads shrinks to 5 objects (four new in the rounds),
    /// 2 references, 2 stores (one the barrier missed) and 1 load.
    #[cfg(not(feature = "incremental"))]
    #[test]
    fn shrinks_a_barrier_bug() {
        let (t, s) = shrink_under(
            Fault::SkippedBarrier,
            "gc_chunk_0",
            1,
            "generational heap 1",
        );
        let after = check_shrunk(Fault::SkippedBarrier, &t, &s, 12);
        assert!(after.stores >= 1, "a barrier bug needs a store: {after}");
    }

    /// The incremental collector missing its last root: a heap of 6,495 objects and 7,910
    /// references shrinks to 3 objects (one an array of 509 words standing for the garbage
    /// allocated after the lost root's object, so that its partition is not the allocation
    /// partition and is evacuated), no references and 1 round.
    #[cfg(feature = "incremental")]
    #[test]
    fn shrinks_a_tracing_bug_incremental() {
        let (t, s) = shrink_under(Fault::UntracedRoot, "gc_chunk_0", 1, "incremental heap 0");
        check_shrunk(Fault::UntracedRoot, &t, &s, 10);
    }

    /// The mutator's loads skipping the read barrier (incremental collector): caught by the
    /// mutator's own load check (the checker resolves every pointer itself, so only a load
    /// sees the stale from-space address). A heap of 4,878 objects, 4,584 references, 672
    /// stores and 3,115 loads over 51 rounds shrinks to 3 objects (the table, the record its
    /// field names, and garbage that keeps the record out of the allocation partition), 1
    /// reference and the 1 load, between increments, that meets the stale address.
    #[cfg(feature = "incremental")]
    #[test]
    fn shrinks_an_unresolved_load() {
        let (t, s) = shrink_under(Fault::UnresolvedLoad, "gc_chunk_0", 1, "incremental heap 8");
        assert!(
            s.failure.message.contains("mutator load:"),
            "caught by the load check: {}",
            s.failure.message
        );
        let after = check_shrunk(Fault::UnresolvedLoad, &t, &s, 12);
        assert!(after.loads >= 1, "a load bug needs a load: {after}");
    }

    /// Saving that misses the last root (a planted persistence bug): the first failing random
    /// graph of `persistence_small` shrinks to the continuation table alone (1 object, 1 root).
    #[test]
    fn shrinks_a_persistence_graph() {
        let (t, s) = shrink_under(Fault::UnsavedRoot, "persistence_small", 1, "random_graphs");
        assert_eq!(s.script.collector, crate::fixtures::script::GRAPH);
        let after = Sizes::of(&s.script);
        assert!(after.objects <= 2 && after.roots <= 2, "{after}");
        assert_eq!(s.shrunk_failure.location, s.failure.location);
        let back = script_text::parse(&s.source(&t)).expect("parses");
        assert_eq!(back, s.script);
        assert_eq!(t.replay(&back), None, "passes without the fault");
    }

    /// The 20k graph's upgrade cycles run through the same heap scripts: with the last root
    /// untraced, the failing cycle's heap (20,122 objects) shrinks to a handful of objects under
    /// the stop-the-world collectors (4 reached). Under the incremental collector, whose paced
    /// and sliced increments hide the lost root until a later cycle, the failing cycle's heap
    /// (20,579 objects, 11 stores and 48 loads) shrinks to 30 objects, 10 edges and 19 roots
    /// (its first replays run the whole heap, hence the big cuts first, see the module doc).
    /// A later cycle may start from a continuation table the mutator replaced (root 0 is not
    /// object 0); its printed form reads back all the same.
    #[test]
    fn shrinks_an_upgrade_cycle_of_the_20k_graph() {
        let (t, s) = shrink_under(Fault::UntracedRoot, "persistence_20k", 1, "graph_20k");
        let back = script_text::parse(&s.source(&t)).expect("printed form parses");
        assert_eq!(back, s.script);
        let (before, after) = (Sizes::of(&s.original), Sizes::of(&s.script));
        let bound = if cfg!(feature = "incremental") {
            300
        } else {
            150
        };
        assert!(
            before.objects >= 20_000 && after.objects <= bound,
            "{before} -> {after}"
        );
        assert_eq!(s.shrunk_failure.location, s.failure.location);
    }

    /// A heap script with every kind of object and step reads back from its printed form.
    #[test]
    fn source_form_round_trip() {
        let mut objects: Vec<MObj> = rts::object::KINDS
            .iter()
            .map(|&k| match k {
                Kind::Blob => obj(k, &[], 13),
                Kind::BigInt => obj(k, &[], 16),
                Kind::MutBox | Kind::Variant => obj(k, &[R(1)], 0),
                Kind::Concat => obj(k, &[R(0), S(7)], 0),
                _ => obj(k, &[S(1 << 29), R(2), S(0)], 0),
            })
            .collect();
        objects.push(obj(Kind::Array, &[S(0); 9], 0));
        let s = script(
            "copying",
            u64::MAX,
            &objects,
            &[R(0), S(3), R(4)],
            &[
                round(true, &[(0, &[field(1, 0, S(5))]), (3, &[])], &[]),
                round(
                    false,
                    &[],
                    &[
                        new(&[obj(Kind::Array, &[R(7)], 0)]),
                        crate::fixtures::script::root(2, R(7)),
                        load(2, &[0, 3]),
                        load(1, &[]),
                        store(8, 0, R(1)),
                        shuffle(&[2, 1]),
                    ],
                ),
            ],
        );
        let text = script_text::print(&s, "every_kind", "A doc line.\nAnother.");
        assert_eq!(script_text::parse(&text), Ok(s.clone()), "{text}");
        let two = format!("{text}\n{text}");
        let both = script_text::parse_fns(&two).expect("two functions");
        assert_eq!(both.len(), 2);
        assert!(both.iter().all(|(n, x)| n == "every_kind" && *x == s));
        // A continuation table the mutator replaced: root 0 names a later array.
        let text = "script(\"copying\", 1, &[array(&[]), array(&[r(0)])], &[r(1)], &[])";
        assert!(script_text::parse(text).is_ok(), "{text}");
        // A heap entering its collector through persistence keeps that in its form.
        let up = crate::fixtures::script::upgraded(s.clone());
        let text = script_text::print(&up, "upgraded", "");
        assert!(text.contains("upgraded(script("), "{text}");
        assert_eq!(script_text::parse(&text), Ok(up), "{text}");
        // Mistakes are reported with their place, never a panic.
        for bad in [
            "script(",
            "fn f() -> HeapScript { script(\"copying\", 1, &[array(&[r(5)])], &[r(0)], &[]) }",
            "script(\"copying\", 1, &[array(&[])], &[s(0)], &[])",
            "script(\"copying\", 1, &[array(&[]), boxed(s(0))], &[r(1)], &[])",
            "script(\"copying\", 1, &[obj(Kind::Nope, &[], 0)], &[r(0)], &[])",
            "script(\"copying\", 99999999999999999999, &[], &[], &[])",
            "script(\"copying\", 1, &[array(&[])], &[r(0)], &[]) extra",
            "upgraded(script(\"copying\", 1, &[array(&[])], &[r(0)], &[])",
            "script(\"copying\", 1, &[array(&[]), obj(Kind::BigInt, &[], 10)], &[r(0)], &[])",
            "script(\"copying\", 1, &[array(&[]), obj(Kind::Blob, &[], 2)], &[r(0)], &[])",
        ] {
            assert!(script_text::parse(bad).is_err(), "{bad}");
        }
    }

    /// A recorded run replays exactly: recording the replay gives the same script again.
    #[test]
    fn recorded_runs_replay_exactly() {
        let m = MODULES
            .iter()
            .find(|m| m.name == "gc_chunk_1")
            .expect("chunk 1");
        let (name, body) = m.tests[m.tests.len() - 1];
        let (first, out) = record(|| run_module(m.name, 5, 1, |ctx| ctx.sub(name, body)));
        assert_eq!(out.err(), None);
        let first = first.expect("a script was recorded");
        assert!(!first.rounds.is_empty());
        let t = Target::find(m.name, name, 5, 1).expect("target");
        let (second, out) = record(|| t.replay(&first));
        assert_eq!(out, Ok(None));
        assert!(
            second.as_ref() == Some(&first),
            "the replay ran differently"
        );
    }

    /// Bad command-line targets are errors, not panics.
    #[test]
    fn unknown_targets_are_errors() {
        assert!(Target::find("gc_chunk_99", "copying heap 0", 1, 1).is_err());
        let e = Target::find("gc_chunk_0", "no such heap", 1, 1)
            .err()
            .unwrap_or_default();
        assert!(e.contains("sub-tests"), "{e}");
        let t = Target::find("crc32", MODULES[0].tests[0].0, 1, 1).expect("crc32 target");
        let e = shrink(&t, 10).err().unwrap_or_default();
        assert!(e.contains("passes"), "{e}");
    }

    /// The end-to-end test in wasm (the stop-the-world variant: one wasm build per test run).
    #[cfg(not(feature = "incremental"))]
    mod wasm {
        use super::*;
        use std::path::{Path, PathBuf};
        use std::process::Command;
        use std::string::ToString;

        /// The toolchain of a local wasm build (what tools/setup.sh installs on Debian: wasmtime in
        /// /opt/rts-shards, wasm-ld of lld-22, rustc with its library sources in /usr/bin) ahead of
        /// the caller's PATH, as the README's local build asks.
        fn build_path() -> std::ffi::OsString {
            let mut dirs: Vec<PathBuf> = [
                "/opt/rts-shards/wasmtime/bin",
                "/usr/lib/llvm-22/bin",
                "/usr/bin",
            ]
            .iter()
            .map(PathBuf::from)
            .collect();
            if let Some(p) = std::env::var_os("PATH") {
                dirs.extend(std::env::split_paths(&p));
            }
            std::env::join_paths(dirs).expect("PATH")
        }

        /// End to end on planted bugs: both shrunk heaps (tracing and barrier), printed, are
        /// embedded in a wasm build (nix/build-variant.sh, variant ni plus `planted-faults`) and
        /// replayed there under wasmtime: each fails the same check (the same source location) as
        /// natively under its fault, and passes without it.
        #[test]
        fn shrunk_heaps_fail_the_same_check_in_wasm() {
            let cases = [
                (Fault::UntracedRoot, "copying heap 0"),
                (Fault::SkippedBarrier, "generational heap 1"),
            ];
            let mut text = String::new();
            let mut want = Vec::new();
            for (fault, sub) in cases {
                let (t, s) = shrink_under(fault, "gc_chunk_0", 1, sub);
                text.push_str(&s.source(&t));
                text.push('\n');
                // `file:line` (wasm reports no column).
                let loc = s.failure.location.rsplit_once(':').map(|x| x.0.to_string());
                want.push((fault, loc.expect("a location")));
            }
            let rts = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("rts/");
            let script = rts.parent().expect("repo").join("nix/build-variant.sh");
            let out = std::env::temp_dir().join(format!("rts-replay-wasm-{}", std::process::id()));
            let log = rts.join("target/replay-wasm.log");
            std::fs::create_dir_all(rts.join("target")).expect("target dir");
            let mut cmd = Command::new("bash");
            cmd.arg(&script)
                .arg(&out)
                .env("RTS_SRC", rts)
                .env("VARIANT", "ni")
                .env("TARGET", "wasm32-unknown-unknown")
                .env("FEATURES", "planted-faults")
                .env("WASMTIME_FLAGS", "")
                .env("RTS_REPLAY_SCRIPTS", &text)
                .env("CARGO_TARGET_DIR", rts.join("target/replay-wasm"))
                .env("PATH", build_path())
                .stdout(std::fs::File::create(&log).expect("log"))
                .stderr(
                    std::fs::File::options()
                        .append(true)
                        .open(&log)
                        .expect("log"),
                );
            for v in [
                "RUSTC",
                "RUSTC_WRAPPER",
                "RUSTC_WORKSPACE_WRAPPER",
                "RUSTFLAGS",
            ] {
                cmd.env_remove(v);
            }
            for v in [
                "CARGO_ENCODED_RUSTFLAGS",
                "CARGO_MAKEFLAGS",
                "MAKEFLAGS",
                "MFLAGS",
            ] {
                cmd.env_remove(v);
            }
            let status = cmd.status().expect("run build-variant.sh");
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                status.success(),
                "building the wasm failed ({status}):\n{log_text}"
            );
            let cwasm = out.join("rts_testsuite.cwasm");
            let wasmtime = ["/opt/rts-shards/wasmtime/bin/wasmtime", "wasmtime"]
                .into_iter()
                .find(|w| Path::new(w).is_file())
                .unwrap_or("wasmtime");
            let run = |arg: u64| {
                let o = Command::new(wasmtime)
                    .args(["run", "--allow-precompiled", "--invoke", "replay_planted"])
                    .arg(&cwasm)
                    .arg(arg.to_string())
                    .output()
                    .expect("run wasmtime");
                (
                    o.status.success(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                )
            };
            for (i, (fault, loc)) in want.iter().enumerate() {
                let (ok, err) = run(((i as u64) << 8) | fault.number());
                assert!(!ok, "script {i} passed in wasm under {fault:?}:\n{err}");
                assert!(
                    err.contains("FAIL variant=ni module=replay_planted")
                        && err.contains(&format!("(at {loc})")),
                    "script {i} under {fault:?}: expected a failure at {loc}:\n{err}"
                );
                let (ok, err) = run((i as u64) << 8);
                assert!(ok, "script {i} failed in wasm without a fault:\n{err}");
            }
            std::fs::remove_dir_all(&out).expect("clean up");
        }
    }
}
