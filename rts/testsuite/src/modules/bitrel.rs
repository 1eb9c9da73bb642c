//! The bit relation of a subtype check (`rts::bitrel`), in 32- and 64-bit words (and the
//! machine word) against a safe-Rust model (a `BTreeMap` from pair and direction to its two
//! flags): every table size up to 24 x 24 exhaustively, independence of every bit (an operation
//! changes at most its own bit, never the unused bits or the words after the relation), the
//! documented layout at word boundaries and at the co/contra boundary, and random sequences of
//! operations with re-initialisation.

use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rts::bitrel::{self, BitRel, RelWord, Variance};
use rts::types::Word;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![exhaustive_sizes, independence, word_boundaries, random_ops];

const DIRS: [Variance; 2] = [Variance::Co, Variance::Contra];

/// A word that [`guarded`] puts after the relation's words; no operation may change it.
const GUARD: u64 = 0xA5A5_5A5A_C3C3_3C3C;

/// The model: `(direction, a, b)` -> `(visited, related)`; absent means `(false, true)`.
#[derive(Default)]
struct Model {
    n1: usize,
    n2: usize,
    pairs: BTreeMap<(bool, usize, usize), (bool, bool)>,
}

impl Model {
    fn new(n1: usize, n2: usize) -> Self {
        Model {
            n1,
            n2,
            pairs: BTreeMap::new(),
        }
    }

    fn get(&self, v: Variance, a: usize, b: usize) -> (bool, bool) {
        let key = (v == Variance::Co, a, b);
        self.pairs.get(&key).copied().unwrap_or((false, true))
    }

    fn set(&mut self, v: Variance, a: usize, b: usize, f: impl FnOnce(&mut (bool, bool))) {
        let mut flags = self.get(v, a, b);
        f(&mut flags);
        self.pairs.insert((v == Variance::Co, a, b), flags);
    }

    /// Every pair in both directions: `(direction, a, b)`.
    fn all(&self) -> Vec<(Variance, usize, usize)> {
        let mut out = Vec::new();
        for v in DIRS {
            let (la, lb) = limits(v, self.n1, self.n2);
            for a in 0..la {
                for b in 0..lb {
                    out.push((v, a, b));
                }
            }
        }
        out
    }
}

/// Index limits of a direction: co `(i < n1, j < n2)`, contra `(j < n2, i < n1)`.
fn limits(v: Variance, n1: usize, n2: usize) -> (usize, usize) {
    match v {
        Variance::Co => (n1, n2),
        Variance::Contra => (n2, n1),
    }
}

/// The word type's name, for messages.
fn word_name<W: RelWord>() -> &'static str {
    match W::BITS {
        32 => "u32",
        64 => "u64",
        _ => "word",
    }
}

/// A word slice for tables of `n1` and `n2` types filled with `fill` (garbage that `init` must
/// clear) and followed by two guard words.
fn guarded<W: RelWord + From<u8>>(n1: usize, n2: usize, fill: W) -> Vec<W> {
    let mut v = alloc::vec![fill; bitrel::words_for::<W>(n1, n2)];
    v.extend([guard::<W>(), guard::<W>()]);
    v
}

/// [`GUARD`] cut to the word size.
fn guard<W: RelWord + From<u8>>() -> W {
    let mut w = W::ZERO;
    for b in 0..W::BITS {
        w = w.with_bit(b, (GUARD >> (b % 64)) & 1 != 0);
    }
    w
}

/// Checks every pair of `rel` against the model.
fn check_all<W: RelWord>(ctx: &Ctx, rel: &BitRel<'_, W>, m: &Model, what: &dyn core::fmt::Display) {
    for (v, a, b) in m.all() {
        let got = (rel.visited(v, a, b), rel.related(v, a, b));
        check_eq!(
            ctx,
            got,
            m.get(v, a, b),
            "{what} ({}): (visited, related) of {v:?} ({a}, {b})",
            word_name::<W>()
        );
    }
}

/// Checks that the guard words after the relation are intact.
fn check_guards<W: RelWord + From<u8> + PartialEq + core::fmt::Debug>(
    ctx: &Ctx,
    words: &[W],
    n1: usize,
    n2: usize,
    what: &dyn core::fmt::Display,
) {
    let used = bitrel::words_for::<W>(n1, n2);
    check!(
        ctx,
        words[used..].iter().all(|&w| w == guard::<W>()),
        "{what} ({}): the words after the relation's {used} changed: {:x?}",
        word_name::<W>(),
        &words[used..]
    );
}

/// Every size `n1 x n2` up to 24 x 24, in words of type `W`: init over garbage, then for every
/// pair in order visit and disprove it (checking it before and after, and its neighbours left
/// alone), a full check against the model, then assume every pair related again.
///
/// Why 24: a pair's two bits then start at every even offset of a 32- and a 64-bit word
/// thousands of times over (`4 * n1 * n2` bits in all, up to 36 words of 64 bits), relations
/// end exactly on and just past word boundaries of both sizes (for instance 8 pairs fill a
/// `u32`, 16 a `u64`), every table size is both the smaller and the larger one (a swapped
/// `n1`/`n2` in the index arithmetic shows only when they differ), and sizes 0 and 1 are
/// included. Larger tables add no new position of a pair relative to a word (48 x 48 took 16
/// times as long for nothing new).
fn exhaustive_for<W: RelWord + From<u8> + PartialEq + core::fmt::Debug>(ctx: &Ctx) {
    const MAX: usize = 24;
    for n1 in 0..=MAX {
        for n2 in 0..=MAX {
            let mut words = guarded::<W>(n1, n2, guard::<W>());
            let mut rel = BitRel::new(&mut words, n1, n2);
            rel.init();
            let mut m = Model::new(n1, n2);
            let all = m.all();
            for (k, &(v, a, b)) in all.iter().enumerate() {
                let what = format_args!("{n1}x{n2}, pair #{k}");
                check!(
                    ctx,
                    !rel.visited(v, a, b) && rel.related(v, a, b),
                    "{what} ({}): {v:?} ({a}, {b}) not fresh before its turn",
                    word_name::<W>()
                );
                let raw = |rel: &BitRel<'_, W>, bit: usize| {
                    rel.as_words()[bit / W::BITS].bit(bit % W::BITS)
                };
                rel.visit(v, a, b);
                // `all` lists the pairs in the documented numbering, so pair k is `all[k]`.
                check!(
                    ctx,
                    raw(&rel, 2 * k) && !raw(&rel, 2 * k + 1),
                    "{what} ({}): visiting {v:?} ({a}, {b}) did not set raw bit {} alone",
                    word_name::<W>(),
                    2 * k
                );
                rel.disprove(v, a, b);
                m.set(v, a, b, |f| *f = (true, false));
                check!(
                    ctx,
                    rel.visited(v, a, b) && !rel.related(v, a, b) && raw(&rel, 2 * k + 1),
                    "{what} ({}): {v:?} ({a}, {b}) not visited and disproved (raw bit {})",
                    word_name::<W>(),
                    2 * k + 1
                );
                if k > 0 {
                    let (pv, pa, pb) = all[k - 1];
                    check!(
                        ctx,
                        rel.visited(pv, pa, pb) && !rel.related(pv, pa, pb),
                        "{what} ({}): the previous pair {pv:?} ({pa}, {pb}) changed",
                        word_name::<W>()
                    );
                }
            }
            check_all(ctx, &rel, &m, &format_args!("{n1}x{n2}, all disproved"));
            for &(v, a, b) in &all {
                rel.assume(v, a, b);
                m.set(v, a, b, |f| f.1 = true);
            }
            check_all(ctx, &rel, &m, &format_args!("{n1}x{n2}, all assumed"));
            check_guards(ctx, &words, n1, n2, &format_args!("{n1}x{n2}"));
        }
    }
}

fn exhaustive_sizes(ctx: &Ctx) {
    exhaustive_for::<u32>(ctx);
    exhaustive_for::<u64>(ctx);
    exhaustive_for::<Word>(ctx);
    // The machine-word constructor and `words` agree with the generic ones.
    for (n1, n2) in [(0, 0), (1, 1), (3, 5), (48, 48)] {
        check_eq!(
            ctx,
            bitrel::words(n1, n2),
            bitrel::words_for::<Word>(n1, n2),
            "words({n1}, {n2})"
        );
    }
}

/// The raw bits of a slice.
fn raw_bits<W: RelWord>(words: &[W]) -> Vec<bool> {
    words
        .iter()
        .flat_map(|&w| (0..W::BITS).map(move |b| w.bit(b)))
        .collect()
}

/// Sizes for [`independence`]: square and not, odd and even, single rows and columns, ending
/// inside and exactly at 32- and 64-bit word boundaries (`4 * n1 * n2` bits: 3x5 = 60 bits, 4x4
/// = 64, 2x4 = 32, 1x9 = 36, 7x3 = 84, 5x13 = 260, 8x8 = 256).
const INDEPENDENCE_SIZES: &[(usize, usize)] = &[
    (1, 1),
    (1, 9),
    (9, 1),
    (2, 4),
    (3, 5),
    (5, 3),
    (4, 4),
    (7, 3),
    (5, 13),
    (8, 8),
];

/// For each size of [`INDEPENDENCE_SIZES`], from a random state, every operation on every pair
/// and direction: the model agrees on every pair afterwards, the raw slice differs from before
/// in at most one bit (inside the used `4 * n1 * n2`), and the guard words after the relation
/// are intact. Each operation is applied both where it changes its bit and where it does not.
fn independence_for<W: RelWord + From<u8> + PartialEq + core::fmt::Debug>(
    ctx: &Ctx,
    rng: &mut Rng,
) {
    for &(n1, n2) in INDEPENDENCE_SIZES {
        let mut words = guarded::<W>(n1, n2, guard::<W>());
        let mut rel = BitRel::new(&mut words, n1, n2);
        rel.init();
        let mut m = Model::new(n1, n2);
        let all = m.all();
        // A random start, so that neighbours of every bit are both set and clear.
        for &(v, a, b) in &all {
            if rng.chance(50) {
                rel.visit(v, a, b);
                m.set(v, a, b, |f| f.0 = true);
            }
            if rng.chance(50) {
                rel.disprove(v, a, b);
                m.set(v, a, b, |f| f.1 = false);
            }
        }
        check_all(ctx, &rel, &m, &format_args!("{n1}x{n2}, random start"));
        for &(v, a, b) in &all {
            for op in 0..6 {
                let before = raw_bits(rel.as_words());
                let name = match op % 3 {
                    0 => {
                        rel.visit(v, a, b);
                        m.set(v, a, b, |f| f.0 = true);
                        "visit"
                    }
                    1 => {
                        rel.disprove(v, a, b);
                        m.set(v, a, b, |f| f.1 = false);
                        "disprove"
                    }
                    _ => {
                        rel.assume(v, a, b);
                        m.set(v, a, b, |f| f.1 = true);
                        "assume"
                    }
                };
                let what = format_args!("{n1}x{n2}, {name} {v:?} ({a}, {b})");
                check_all(ctx, &rel, &m, &what);
                let after = raw_bits(rel.as_words());
                let changed: Vec<usize> = (0..before.len())
                    .filter(|&i| before[i] != after[i])
                    .collect();
                check!(
                    ctx,
                    changed.len() <= 1 && changed.iter().all(|&i| i < 4 * n1 * n2),
                    "{what} ({}): changed bits {changed:?} (the relation uses {})",
                    word_name::<W>(),
                    4 * n1 * n2
                );
            }
        }
        check_guards(ctx, &words, n1, n2, &format_args!("{n1}x{n2}"));
    }
}

fn independence(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    independence_for::<u32>(ctx, &mut rng);
    independence_for::<u64>(ctx, &mut rng);
    independence_for::<Word>(ctx, &mut rng);
}

/// The documented layout where pairs meet word boundaries, in `W` words: tables `1 x B`,
/// `B x 1`, `2 x B/2` and `B/2 x 2` (`B` bits per word) fill exactly four words (two per direction), so the last pair of
/// a word, the first of the next, the last co and the first contra pair are all boundary pairs;
/// each is visited and disproved alone after `init`, and the raw words must hold exactly its two
/// bits. Then a relation ending inside a word (3 x 3: 36 bits) with garbage in the unused rest
/// of its last word: no query reads it and no operation writes it.
fn boundaries_for<W: RelWord + From<u8> + PartialEq + core::fmt::Debug>(ctx: &Ctx) {
    let b = W::BITS;
    let name = word_name::<W>();
    // 1 x B and B x 1 put all of a direction in one row; 2 x B/2 and B/2 x 2 tell a row from a
    // column (a transposed index is caught only there).
    for (n1, n2) in [(1, b), (b, 1), (2, b / 2), (b / 2, 2)] {
        check_eq!(
            ctx,
            bitrel::words_for::<W>(n1, n2),
            4,
            "{name}: words of a {n1}x{n2} relation"
        );
        let half = b / 2;
        for k in [
            0,
            half - 1,
            half,
            b - 1,
            b,
            b + half - 1,
            b + half,
            2 * b - 1,
        ] {
            // Pair k in the documented numbering: co first (i * n2 + j), then contra.
            let (v, a, bb) = if k < n1 * n2 {
                (Variance::Co, k / n2, k % n2)
            } else {
                let c = k - n1 * n2;
                (Variance::Contra, c / n1, c % n1)
            };
            let mut words = guarded::<W>(n1, n2, guard::<W>());
            let mut rel = BitRel::new(&mut words, n1, n2);
            rel.init();
            rel.visit(v, a, bb);
            let mut want = alloc::vec![W::ZERO; 4];
            want[2 * k / b] = W::ZERO.with_bit(2 * k % b, true);
            check_eq!(
                ctx,
                rel.as_words()[..4].to_vec(),
                want,
                "{name}, {n1}x{n2}: raw words after visiting pair {k} = {v:?} ({a}, {bb})"
            );
            rel.disprove(v, a, bb);
            want[(2 * k + 1) / b] = want[(2 * k + 1) / b].with_bit((2 * k + 1) % b, true);
            check_eq!(
                ctx,
                rel.as_words()[..4].to_vec(),
                want,
                "{name}, {n1}x{n2}: raw words after disproving pair {k} = {v:?} ({a}, {bb})"
            );
            check_guards(ctx, &words, n1, n2, &format_args!("{n1}x{n2}, pair {k}"));
        }
    }
    // 3 x 3: 36 bits, so the last word has unused bits (64 - 36, or 2 * 32 - 36).
    let (n1, n2) = (3, 3);
    let used = 4 * n1 * n2;
    let mut words = guarded::<W>(n1, n2, guard::<W>());
    BitRel::new(&mut words, n1, n2).init();
    let last = bitrel::words_for::<W>(n1, n2) - 1;
    for bit in used % b..b {
        words[last] = words[last].with_bit(bit, true);
    }
    let garbage = words[last];
    let mut rel = BitRel::new(&mut words, n1, n2);
    let mut m = Model::new(n1, n2);
    check_all(ctx, &rel, &m, &"3x3 with garbage after the used bits");
    for (v, a, bb) in m.all() {
        rel.visit(v, a, bb);
        rel.disprove(v, a, bb);
        m.set(v, a, bb, |f| *f = (true, false));
    }
    check_all(ctx, &rel, &m, &"3x3, all visited and disproved");
    let unused = |w: W| (used % b..b).all(|bit| w.bit(bit));
    check!(
        ctx,
        unused(rel.as_words()[last]),
        "{name}, 3x3: unused bits of the last word changed: {:x?} (was {garbage:x?})",
        rel.as_words()[last]
    );
    check_guards(ctx, &words, n1, n2, &"3x3");
}

fn word_boundaries(ctx: &Ctx) {
    // Word counts from the formula `ceil(4 * n1 * n2 / bits)` at and around the boundaries.
    let counts: &[(usize, usize, usize, usize)] = &[
        // (n1, n2, u32 words, u64 words)
        (0, 0, 0, 0),
        (0, 7, 0, 0),
        (1, 1, 1, 1),
        (2, 4, 1, 1),  // 32 bits
        (3, 3, 2, 1),  // 36 bits
        (4, 4, 2, 1),  // 64 bits
        (1, 17, 3, 2), // 68 bits
        (48, 48, 288, 144),
    ];
    for &(n1, n2, w32, w64) in counts {
        check_eq!(
            ctx,
            (
                bitrel::words_for::<u32>(n1, n2),
                bitrel::words_for::<u64>(n1, n2)
            ),
            (w32, w64),
            "(u32, u64) words for {n1}x{n2}"
        );
    }
    boundaries_for::<u32>(ctx);
    boundaries_for::<u64>(ctx);
}

/// Random relations per word type in `random_ops` (see `random_for` for why 200); the 2,000
/// operations of each are the length of one random history and are not scaled.
const RANDOM_RELATIONS: usize = 200;

/// Random relations (sizes up to 40 x 40, so the bits of a pair fall at every offset within a
/// word) in `W` words, each through a random sequence of operations (queries, visit, assume,
/// disprove, and now and then `init`) checked against the model as it goes: the touched pair
/// after every operation and one other random pair, and every pair at the end.
///
/// Why these counts: the exhaustive and independence tests apply the operations in fixed orders;
/// this one mixes them (visit after disprove, assume after init, repeats). 200 relations of
/// 2,000 operations per word type draw each combination of operation, direction and position
/// of the pair within a word (5 x 2 x 32 classes for a `u64`) over a thousand times per seed,
/// and every shard run uses another seed.
fn random_for<W: RelWord + From<u8> + PartialEq + core::fmt::Debug>(ctx: &Ctx, rng: &mut Rng) {
    for r in 0..ctx.scaled(RANDOM_RELATIONS) {
        let (n1, n2) = (1 + rng.index(40), 1 + rng.index(40));
        let mut words = guarded::<W>(n1, n2, guard::<W>());
        let mut rel = BitRel::new(&mut words, n1, n2);
        rel.init();
        let mut m = Model::new(n1, n2);
        let pick = |rng: &mut Rng| {
            let v = DIRS[rng.index(2)];
            let (la, lb) = limits(v, n1, n2);
            (v, rng.index(la), rng.index(lb))
        };
        for step in 0..2_000 {
            let (v, a, b) = pick(rng);
            let what = format_args!("relation #{r} ({n1}x{n2}), step {step}");
            match rng.below(100) {
                0 => {
                    rel.init();
                    m = Model::new(n1, n2);
                }
                1..=20 => {
                    rel.visit(v, a, b);
                    m.set(v, a, b, |f| f.0 = true);
                }
                21..=40 => {
                    rel.disprove(v, a, b);
                    m.set(v, a, b, |f| f.1 = false);
                }
                41..=60 => {
                    rel.assume(v, a, b);
                    m.set(v, a, b, |f| f.1 = true);
                }
                _ => {}
            }
            for (v, a, b) in [(v, a, b), pick(rng)] {
                check_eq!(
                    ctx,
                    (rel.visited(v, a, b), rel.related(v, a, b)),
                    m.get(v, a, b),
                    "{what} ({}): (visited, related) of {v:?} ({a}, {b})",
                    word_name::<W>()
                );
            }
        }
        check_all(ctx, &rel, &m, &format_args!("relation #{r} at the end"));
        check_guards(ctx, &words, n1, n2, &format_args!("relation #{r}"));
    }
}

fn random_ops(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    random_for::<u32>(ctx, &mut rng);
    random_for::<u64>(ctx, &mut rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index out of range panics with a message naming it (natively only: on wasm a panic
    /// traps, so a shard cannot observe it and carry on), and so does a slice too short.
    #[test]
    fn out_of_range_panics() {
        let cases: &[(Variance, usize, usize)] = &[
            (Variance::Co, 3, 0),
            (Variance::Co, 0, 5),
            (Variance::Contra, 5, 0),
            (Variance::Contra, 0, 3),
        ];
        for &(v, a, b) in cases {
            let r = std::panic::catch_unwind(|| {
                let mut words = [0u64; 4];
                let mut rel = BitRel::new(&mut words, 3, 5);
                rel.visit(v, a, b);
            });
            let msg = r.expect_err("out of range accepted");
            let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(
                msg.contains(&format!("{v:?} pair ({a}, {b}) out of range")),
                "{msg}"
            );
        }
        let r = std::panic::catch_unwind(|| {
            let mut words = [0u32; 1];
            BitRel::new(&mut words, 3, 3).init();
        });
        assert!(r.is_err(), "a 1-word slice accepted for 36 bits");
    }
}
