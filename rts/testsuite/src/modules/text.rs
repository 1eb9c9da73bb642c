//! Text ropes against a `String` model: concatenation (with flattening of small and deep
//! results), length in bytes and code points, iteration by code point, comparison, slicing by
//! code point index (including out-of-range requests), and construction from bytes rejecting
//! invalid UTF-8; the same for texts on the collected heap (`rts::text::heap`) under every
//! collector of this build, operations interleaved with collections and increments, with the
//! rope's shape (lengths, sharing, flattening) checked too.

use crate::fixtures::values::{check_text, room};
use crate::fixtures::{ValueHeap, PLANS};
use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rts::object::{self, header_kind, Kind};
use rts::text::heap::{self, TextError};
use rts::text::{utf8, Text, MAX_DEPTH};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    basics,
    concat_model,
    deep_ropes,
    compare,
    slice,
    heap_ropes,
    heap_from_utf8
];

/// A short random string mixing 1- to 4-byte code points.
fn piece(rng: &mut Rng) -> String {
    const POOL: [char; 8] = [
        'a',
        'z',
        '~',
        '\u{e9}',
        '\u{3b1}',
        '\u{20ac}',
        '\u{ffff}',
        '\u{1f600}',
    ];
    let len = if rng.chance(10) {
        20 + rng.index(60)
    } else {
        rng.index(8)
    };
    (0..len).map(|_| POOL[rng.index(POOL.len())]).collect()
}

/// Checks every observable of `t` against the model `s`.
fn agree(ctx: &Ctx, t: &Text, s: &str, what: &str) {
    check_eq!(ctx, t.len_bytes(), s.len(), "{what}: bytes");
    check_eq!(ctx, t.len_chars(), s.chars().count(), "{what}: chars");
    check!(
        ctx,
        t.to_bytes() == s.as_bytes(),
        "{what}: contents differ from {s:?}"
    );
    check!(
        ctx,
        t.chars().eq(s.chars()),
        "{what}: iteration differs from {s:?}"
    );
    check!(
        ctx,
        t.depth() <= MAX_DEPTH,
        "{what}: depth {} > {MAX_DEPTH}",
        t.depth()
    );
}

fn basics(ctx: &Ctx) {
    let e = Text::empty();
    agree(ctx, &e, "", "empty");
    check!(ctx, e.is_empty(), "empty is empty");
    let h = Text::from_str_slice("h\u{e9}llo");
    agree(ctx, &h, "h\u{e9}llo", "blob");
    agree(ctx, &h.concat(&e), "h\u{e9}llo", "concat with empty");
    agree(ctx, &e.concat(&h), "h\u{e9}llo", "empty concat");
    check!(
        ctx,
        Text::from_utf8(b"ok \xE2\x82\xAC").is_ok(),
        "valid bytes accepted"
    );
    for bad in [
        &b"\xC0\x80"[..],
        b"\xED\xA0\x80",
        b"ab\xF4\x90\x80\x80",
        b"\xE2\x82",
        b"\x80",
    ] {
        check!(
            ctx,
            Text::from_utf8(bad).is_err(),
            "invalid bytes {bad:02x?} accepted"
        );
    }
    let long: String = "\u{1f600}x".repeat(40);
    let t = Text::from_str_slice(&long).concat(&Text::from_str_slice(&long));
    check!(
        ctx,
        t.depth() == 1,
        "large concat is a node, depth {}",
        t.depth()
    );
    agree(ctx, &t, &(long.clone() + &long), "concat node");
}

/// Rounds of `concat_model`, 60 texts each (about 40 of them concatenations of earlier ones, so
/// shared and nested ropes): 200 rounds are some 8,000 concatenations checked against strings.
const CONCAT_ROUNDS: usize = 200;

fn concat_model(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for round in 0..ctx.scaled(CONCAT_ROUNDS) {
        let mut pool: Vec<(Text, String)> = Vec::new();
        for _ in 0..60 {
            let op = rng.below(3);
            if op == 0 || pool.len() < 2 {
                let s = piece(&mut rng);
                pool.push((Text::from_str_slice(&s), s));
            } else {
                let a = rng.index(pool.len());
                let b = rng.index(pool.len()); // may equal a: sharing
                let t = pool[a].0.concat(&pool[b].0);
                let s = pool[a].1.clone() + &pool[b].1;
                pool.push((t, s));
            }
        }
        for (i, (t, s)) in pool.iter().enumerate() {
            agree(ctx, t, s, &alloc::format!("round {round} text {i}"));
        }
    }
}

fn deep_ropes(ctx: &Ctx) {
    // Appending one piece at a time makes the deepest ropes; depth must stay bounded.
    for rope in 0..ctx.scaled_u64(DEEP_ROPES) {
        deep_rope(ctx, rope);
    }
}

/// Ropes grown in `deep_ropes`, 3,000 pieces each (the length that makes a rope deep is fixed;
/// the ropes differ only in which pieces are prepended): 3 ropes, each checked 7 times as it
/// grows, see the depth bound hold under different mixes of appends and prepends.
pub const DEEP_ROPES: u64 = 3;

fn deep_rope(ctx: &Ctx, rope: u64) {
    let mut rng = ctx.rng(&[2, rope]);
    let mut t = Text::empty();
    let mut s = String::new();
    for i in 0..3_000 {
        let p: String = core::iter::repeat_n('\u{3b1}', 20 + rng.index(5)).collect();
        let pt = Text::from_str_slice(&p);
        if rng.chance(20) {
            t = pt.concat(&t); // prepend
            s = p + &s;
        } else {
            t = t.concat(&pt);
            s.push_str(&p);
        }
        if i % 500 == 0 {
            agree(ctx, &t, &s, &alloc::format!("growing rope {rope}"));
        }
    }
    agree(ctx, &t, &s, &alloc::format!("final rope {rope}"));
}

/// Random pairs in `compare`: built from a shared piece 60% of the time, so 20,000 pairs include
/// thousands of equal texts, texts equal up to a prefix, and prefixes of one another, split
/// into pieces differently on both sides.
const COMPARED_PAIRS: usize = 20_000;

fn compare(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    for i in 0..ctx.scaled(COMPARED_PAIRS) {
        // Build two texts from overlapping material so that equal prefixes are common.
        let base = piece(&mut rng);
        let mk = |rng: &mut Rng| -> (Text, String) {
            let mut t = Text::empty();
            let mut s = String::new();
            for _ in 0..rng.index(4) {
                let p = if rng.chance(60) {
                    base.clone()
                } else {
                    piece(rng)
                };
                t = t.concat(&Text::from_str_slice(&p));
                s.push_str(&p);
            }
            (t, s)
        };
        let (ta, sa) = mk(&mut rng);
        let (tb, sb) = mk(&mut rng);
        check_eq!(ctx, ta.cmp(&tb), sa.cmp(&sb), "#{i}: cmp {sa:?} vs {sb:?}");
        check_eq!(ctx, ta == tb, sa == sb, "#{i}: eq {sa:?} vs {sb:?}");
        // Code point order agrees with byte order.
        check_eq!(
            ctx,
            ta.chars().cmp(tb.chars()),
            sa.cmp(&sb),
            "#{i}: chars order"
        );
    }
}

/// Random texts in `slice`, 20 random slices each: 1,000 texts of 0 to 11 pieces are 20,000
/// slices, in and out of range, across piece boundaries or inside one piece.
const SLICED_TEXTS: usize = 1_000;

fn slice(ctx: &Ctx) {
    let mut rng = ctx.rng(&[4]);
    for round in 0..ctx.scaled(SLICED_TEXTS) {
        let mut t = Text::empty();
        let mut s = String::new();
        for _ in 0..rng.index(12) {
            let p = piece(&mut rng);
            t = t.concat(&Text::from_str_slice(&p));
            s.push_str(&p);
        }
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        for _ in 0..20 {
            let a = rng.index(n + 2);
            let b = rng.index(n + 2);
            let got = t.slice(a, b);
            if a <= b && b <= n {
                let want: String = chars[a..b].iter().collect();
                match got {
                    Some(x) => agree(
                        ctx,
                        &x,
                        &want,
                        &alloc::format!("round {round} slice {a}..{b}"),
                    ),
                    None => ctx.fail(format_args!("round {round}: slice {a}..{b} of {n} refused")),
                }
            } else {
                check!(
                    ctx,
                    got.is_none(),
                    "round {round}: slice {a}..{b} of {n} accepted"
                );
            }
        }
        agree(
            ctx,
            &t.slice(0, n).unwrap_or_else(Text::empty),
            &s,
            "whole slice",
        );
    }
}

/// Operations on heap texts per collector, a safepoint after every 4th: 75 safepoints, so
/// several whole incremental cycles (operations run during marking, evacuation and update) and
/// 9 stop-the-world collections, over a few hundred texts sharing subtrees.
const HEAP_TEXT_OPS: usize = 300;

/// Longest text `heap_ropes` builds: long enough for ropes many nodes deep, short enough that the
/// model's copies stay cheap.
const HEAP_TEXT_MAX: usize = 2_048;

fn heap_ropes(ctx: &Ctx) {
    for (p, plan) in PLANS.iter().enumerate() {
        let mut rng = ctx.rng(&[6, p as u64]);
        let what = format!("heap texts, {}", plan.name);
        let mut h = ValueHeap::new(plan, &mut rng, HEAP_TEXT_OPS, check_text);
        let mut shared = 0;
        for _ in 0..ctx.scaled(HEAP_TEXT_OPS) {
            let a = h.pick(&mut rng).map(|(i, s)| (i, s.clone()));
            let b = h.pick(&mut rng).map(|(i, s)| (i, s.clone()));
            match (rng.index(10), a, b) {
                (3..=7, Some((a, sa)), Some((b, sb))) => {
                    // `a` may equal `b`: a node sharing one child twice.
                    if sa.len() + sb.len() > HEAP_TEXT_MAX {
                        h.drop_value(if sa.len() > sb.len() { a } else { b });
                        continue;
                    }
                    let (va, vb) = (h.roots[a], h.roots[b]);
                    let v = room(ctx, &what, heap::concat(h.gc.as_mut(), va, vb));
                    let n = object::addr_of(v);
                    if a == b && header_kind(h.gc.words()[n]) == Some(Kind::Concat) {
                        check_eq!(
                            ctx,
                            h.gc.words()[n + 1],
                            h.gc.words()[n + 2],
                            "{what}: a text concatenated with itself shares it"
                        );
                        shared += 1;
                    }
                    h.hold(v, sa + &sb);
                }
                (8, Some((a, _)), _) => h.drop_value(a),
                (9, Some((a, sa)), Some((b, sb))) => {
                    let got = heap::compare(h.gc.as_ref(), h.roots[a], h.roots[b]);
                    check_eq!(ctx, got, sa.cmp(&sb), "{what}: compare {a} and {b}");
                }
                _ => {
                    let s = piece(&mut rng);
                    let v = room(ctx, &what, heap::from_str(h.gc.as_mut(), &s));
                    h.hold(v, s);
                }
            }
            h.after_op(ctx, &what);
        }
        h.finish(ctx, &what);
        check!(
            ctx,
            h.collections >= 2 && shared > 0,
            "{what}: {} collections, {shared} self-concatenations: the test proves little",
            h.collections
        );
    }
}

/// Byte strings in `heap_from_utf8`: a third valid text, the rest random bytes, most of which
/// are invalid in each of the ways `utf8` reports.
const HEAP_UTF8_INPUTS: usize = 300;

fn heap_from_utf8(ctx: &Ctx) {
    for (p, plan) in PLANS.iter().enumerate() {
        let mut rng = ctx.rng(&[7, p as u64]);
        let what = format!("heap from_utf8, {}", plan.name);
        let mut h = ValueHeap::new(plan, &mut rng, HEAP_UTF8_INPUTS, check_text);
        let (mut accepted, mut rejected) = (0, 0);
        for i in 0..ctx.scaled(HEAP_UTF8_INPUTS) {
            let bytes = if rng.chance(33) {
                piece(&mut rng).into_bytes()
            } else {
                let n = rng.index(12);
                rng.bytes(n)
            };
            match (heap::from_utf8(h.gc.as_mut(), &bytes), utf8::to_str(&bytes)) {
                (Ok(v), Ok(s)) => {
                    accepted += 1;
                    h.hold(v, String::from(s));
                }
                (Err(TextError::Utf8(got)), Err(want)) => {
                    rejected += 1;
                    check_eq!(ctx, got, want, "{what}: input {i} {bytes:02x?}");
                }
                (got, want) => ctx.fail(format_args!(
                    "{what}: input {i} {bytes:02x?}: heap text {got:?}, validation {want:?}"
                )),
            }
            h.after_op(ctx, &what);
        }
        h.finish(ctx, &what);
        check!(
            ctx,
            accepted > 10 && rejected > 10,
            "{what}: {accepted} accepted, {rejected} rejected"
        );
    }
}
