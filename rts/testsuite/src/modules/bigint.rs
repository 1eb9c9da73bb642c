//! Bigints: arithmetic checked against `u128`/`i128` wherever the result fits, algebraic
//! identities for numbers far beyond 128 bits (`(a*b)/b == a`, `a == q*b + r` with `r < b`,
//! `(a+b)-b == a`, distributivity, ordering consistent with subtraction), truncating signed
//! division, and LEB128/SLEB128 encodings of any length: known vectors, agreement with the
//! 64-bit codec, round trips, padded forms and truncation. Then the same arithmetic on bigints
//! on the collected heap (`rts::bigint::heap`) under every collector of this build, with the
//! `Int` values as the oracle and collections and increments between the operations.

use crate::fixtures::values::{check_int, room};
use crate::fixtures::{vectors, ValueHeap, PLANS};
use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::format;
use alloc::vec::Vec;
use core::cmp::Ordering;
use rts::bigint::{heap, Int, Nat};
use rts::gc::Collector;
use rts::leb128::{self, Leb128Error};
use rts::object::{self, header_kind, Kind};
use rts::types::Word;

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    nat_vs_u128,
    int_vs_i128,
    nat_identities,
    int_identities,
    leb128_vectors,
    leb128_roundtrip,
    leb128_truncation,
    heap_arithmetic
];

/// A `u128` spread over all widths, often with long runs of ones or zeros.
fn u128_any(rng: &mut Rng) -> u128 {
    let v = (u128::from(rng.u64()) << 64) | u128::from(rng.u64());
    let v = match rng.below(4) {
        0 => v | (u128::MAX >> rng.below(128)),
        1 => v & !(u128::MAX >> rng.below(128)),
        _ => v,
    };
    v >> rng.below(129).min(127) >> u32::from(rng.chance(3))
}

/// A natural of up to `max_limbs` limbs, favouring limbs that stress carries and Knuth's
/// correction steps.
fn nat_any(rng: &mut Rng, max_limbs: usize) -> Nat {
    let n = rng.index(max_limbs + 1);
    let limbs: Vec<u32> = (0..n)
        .map(|_| match rng.below(6) {
            0 => 0,
            1 => u32::MAX,
            2 => 0x8000_0000,
            3 => 1,
            _ => rng.u64() as u32,
        })
        .collect();
    Nat::from_limbs(&limbs)
}

/// Random pairs in `nat_vs_u128`: the final shift of `u128_any` is uniform over 128 widths, so
/// 60,000 pairs give each width of each operand about 470 times, and each pair of limb counts
/// (0 to 4 limbs each, so each division shape) thousands of times.
const U128_PAIRS: usize = 60_000;

fn nat_vs_u128(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for i in 0..ctx.scaled(U128_PAIRS) {
        let (a, b) = (u128_any(&mut rng), u128_any(&mut rng));
        let (na, nb) = (Nat::from_u128(a), Nat::from_u128(b));
        check_eq!(ctx, na.to_u128(), Some(a), "#{i}: u128 round trip");
        check_eq!(ctx, na.cmp(&nb), a.cmp(&b), "#{i}: {a} cmp {b}");
        if let Some(s) = a.checked_add(b) {
            check_eq!(ctx, na.add(&nb).to_u128(), Some(s), "#{i}: {a} + {b}");
        } else {
            check!(
                ctx,
                na.add(&nb).bit_len() == 129,
                "#{i}: {a} + {b} has 129 bits"
            );
        }
        check_eq!(
            ctx,
            na.checked_sub(&nb).and_then(|d| d.to_u128()),
            a.checked_sub(b),
            "#{i}: {a} - {b}"
        );
        let (a64, b64) = (a as u64, b as u64);
        let p = u128::from(a64) * u128::from(b64);
        check_eq!(
            ctx,
            Nat::from_u64(a64).mul(&Nat::from_u64(b64)).to_u128(),
            Some(p),
            "#{i}: {a64} * {b64}"
        );
        if let Some(p) = a.checked_mul(b) {
            check_eq!(ctx, na.mul(&nb).to_u128(), Some(p), "#{i}: {a} * {b}");
        }
        match na.div_rem(&nb) {
            None => check_eq!(ctx, b, 0, "#{i}: division refused"),
            Some((q, r)) => {
                check_eq!(ctx, q.to_u128(), Some(a / b), "#{i}: {a} / {b}");
                check_eq!(ctx, r.to_u128(), Some(a % b), "#{i}: {a} % {b}");
            }
        }
    }
    check!(
        ctx,
        Nat::from_u64(5).div_rem(&Nat::zero()).is_none(),
        "division by zero"
    );
    check_eq!(
        ctx,
        alloc::format!("{}", Nat::from_u128(u128::MAX)),
        alloc::format!("{}", u128::MAX),
        "decimal"
    );
}

fn i128_any(rng: &mut Rng) -> i128 {
    let v = (u128_any(rng) >> 1) as i128;
    match rng.below(8) {
        0 => i128::MIN + (v & 0xff),
        _ if rng.chance(50) => -v,
        _ => v,
    }
}

/// Random pairs in `int_vs_i128`: 20,000 pairs give each of the 4 sign combinations about 5,000
/// times (each operand near `i128::MIN` some 2,500 times), every width of each among them.
const I128_PAIRS: usize = 20_000;

fn int_vs_i128(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    for i in 0..ctx.scaled(I128_PAIRS) {
        let (a, b) = (i128_any(&mut rng), i128_any(&mut rng));
        let (ia, ib) = (Int::from_i128(a), Int::from_i128(b));
        check_eq!(ctx, ia.to_i128(), Some(a), "#{i}: i128 round trip");
        check_eq!(ctx, ia.cmp(&ib), a.cmp(&b), "#{i}: {a} cmp {b}");
        if let Some(s) = a.checked_add(b) {
            check_eq!(ctx, ia.add(&ib).to_i128(), Some(s), "#{i}: {a} + {b}");
        }
        if let Some(d) = a.checked_sub(b) {
            check_eq!(ctx, ia.sub(&ib).to_i128(), Some(d), "#{i}: {a} - {b}");
        }
        if let Some(p) = a.checked_mul(b) {
            check_eq!(ctx, ia.mul(&ib).to_i128(), Some(p), "#{i}: {a} * {b}");
        }
        if let (Some(q), Some(r)) = (a.checked_div(b), a.checked_rem(b)) {
            let got = ia.div_rem(&ib).map(|(q, r)| (q.to_i128(), r.to_i128()));
            check_eq!(ctx, got, Some((Some(q), Some(r))), "#{i}: {a} divrem {b}");
        }
    }
    check_eq!(
        ctx,
        Int::from_i128(i128::MIN).to_i128(),
        Some(i128::MIN),
        "i128::MIN"
    );
    check_eq!(
        ctx,
        Int::from_i128(i128::MIN).neg().to_i128(),
        None,
        "-i128::MIN does not fit"
    );
    check!(
        ctx,
        !Int::from_i64(0).neg().is_negative(),
        "-0 is not negative"
    );
    check!(
        ctx,
        Int::from_i64(7).div_rem(&Int::zero()).is_none(),
        "division by zero"
    );
}

/// Random triples in `nat_identities`: 6,000 give each of the 25 x 17 limb counts of `a` and
/// `b` about 14 times, and each limb draws one of the carry-stressing values (0, MAX, 2^31, 1)
/// two times in three, so the long-division correction steps are reached many times.
const NAT_TRIPLES: usize = 6_000;

fn nat_identities(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    for i in 0..ctx.scaled(NAT_TRIPLES) {
        let a = nat_any(&mut rng, 24);
        let b = nat_any(&mut rng, 16);
        let c = nat_any(&mut rng, 8);
        let sum = a.add(&b);
        check_eq!(ctx, sum.checked_sub(&b), Some(a.clone()), "#{i}: (a+b)-b");
        check_eq!(ctx, sum, b.add(&a), "#{i}: a+b = b+a");
        check_eq!(ctx, a.mul(&b), b.mul(&a), "#{i}: a*b = b*a");
        check_eq!(
            ctx,
            a.mul(&b.add(&c)),
            a.mul(&b).add(&a.mul(&c)),
            "#{i}: distributivity"
        );
        check_eq!(
            ctx,
            a.checked_sub(&b).is_some(),
            a >= b,
            "#{i}: a-b defined iff a>=b"
        );
        if b.is_zero() {
            continue;
        }
        let ab = a.mul(&b);
        check_eq!(
            ctx,
            ab.div_rem(&b),
            Some((a.clone(), Nat::zero())),
            "#{i}: (a*b)/b"
        );
        let (q, r) = a.div_rem(&b).unwrap_or_default();
        check!(ctx, r < b, "#{i}: remainder {r} not below divisor {b}");
        check_eq!(ctx, q.mul(&b).add(&r), a.clone(), "#{i}: a = q*b + r");
        // Perturbed dividends exercise Knuth's add-back step.
        let a2 = ab.add(&r);
        check_eq!(
            ctx,
            a2.div_rem(&b),
            Some((a.clone(), r.clone())),
            "#{i}: (a*b + r)/b"
        );
        if let Some(a3) = ab.checked_sub(&Nat::from_u64(1)) {
            let (q3, r3) = a3.div_rem(&b).unwrap_or_default();
            check_eq!(ctx, q3.mul(&b).add(&r3), a3, "#{i}: a*b-1 = q*b + r");
            check!(ctx, r3 < b, "#{i}: remainder of a*b-1");
        }
    }
}

/// Random pairs in `int_identities`: 6,000 give each of the 4 sign combinations 1,500 times,
/// each of the 13 x 13 limb counts about 35 times.
const INT_PAIRS: usize = 6_000;

fn int_identities(ctx: &Ctx) {
    let mut rng = ctx.rng(&[4]);
    for i in 0..ctx.scaled(INT_PAIRS) {
        let mk = |rng: &mut Rng| Int::from_parts(rng.chance(50), nat_any(rng, 12));
        let (a, b) = (mk(&mut rng), mk(&mut rng));
        check_eq!(ctx, a.add(&b).sub(&b), a, "#{i}: (a+b)-b");
        check_eq!(ctx, a.sub(&a), Int::zero(), "#{i}: a-a");
        check_eq!(
            ctx,
            a.mul(&b).neg(),
            a.neg().mul(&b),
            "#{i}: -(a*b) = (-a)*b"
        );
        check_eq!(
            ctx,
            a.cmp(&b),
            a.sub(&b).cmp(&Int::zero()),
            "#{i}: order = sign of a-b"
        );
        if let Some((q, r)) = a.div_rem(&b) {
            check_eq!(ctx, q.mul(&b).add(&r), a, "#{i}: a = q*b + r");
            check!(ctx, r.magnitude() < b.magnitude(), "#{i}: |r| < |b|");
            check!(
                ctx,
                r == Int::zero() || r.is_negative() == a.is_negative(),
                "#{i}: r has a's sign"
            );
        }
    }
}

fn enc_nat(n: &Nat) -> Vec<u8> {
    let mut v = Vec::new();
    let len = n.write_leb128(&mut v);
    assert_eq!(len, v.len());
    v
}

fn enc_int(n: &Int) -> Vec<u8> {
    let mut v = Vec::new();
    let len = n.write_sleb128(&mut v);
    assert_eq!(len, v.len());
    v
}

/// Random values in `leb128_vectors`' agreement with the 64-bit codec: 5,000 give each of the 65
/// widths about 75 times, so every LEB128 and SLEB128 length of a 64-bit value dozens of times.
const CODEC_VALUES: usize = 5_000;

/// Public vectors first: the DWARF 5 standard's (section 7.6, figures 22 and 23) and
/// Wikipedia's ("LEB128": 624485, -123456), as in the `leb128` module; then values past 64 bits.
fn leb128_vectors(ctx: &Ctx) {
    let nats: &[(u128, &[u8])] = &[
        (0, &[0x00]),
        (2, &[0x02]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (129, &[0x81, 0x01]),
        (130, &[0x82, 0x01]),
        (12_857, &[0xb9, 0x64]),
        (624_485, &[0xe5, 0x8e, 0x26]),
        (
            1 << 64,
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02],
        ),
    ];
    for &(v, bytes) in nats {
        check_eq!(
            ctx,
            enc_nat(&Nat::from_u128(v)),
            bytes.to_vec(),
            "LEB128 of {v}"
        );
        check_eq!(
            ctx,
            Nat::read_leb128(bytes),
            Ok((Nat::from_u128(v), bytes.len())),
            "decode {v}"
        );
    }
    // Beyond i64: the codec is for any size.
    let wide: &[(i128, &[u8])] = &[(
        -(1 << 64),
        &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e],
    )];
    let shared = vectors::SLEB128.iter().map(|&(v, b)| (i128::from(v), b));
    for (v, bytes) in shared.chain(wide.iter().copied()) {
        check_eq!(
            ctx,
            enc_int(&Int::from_i128(v)),
            bytes.to_vec(),
            "SLEB128 of {v}"
        );
        check_eq!(
            ctx,
            Int::read_sleb128(bytes),
            Ok((Int::from_i128(v), bytes.len())),
            "decode {v}"
        );
    }
    // Padded forms decode to the same value.
    check_eq!(
        ctx,
        Nat::read_leb128(&[0xff, 0x80, 0x00]),
        Ok((Nat::from_u64(127), 3)),
        "padded"
    );
    check_eq!(
        ctx,
        Int::read_sleb128(&[0xff, 0x7f]),
        Ok((Int::from_i64(-1), 2)),
        "padded -1"
    );
    // Agreement with the 64-bit codec.
    let mut rng = ctx.rng(&[5]);
    for _ in 0..ctx.scaled(CODEC_VALUES) {
        let u = rng.u64_any_width();
        let mut want = Vec::new();
        leb128::write_u64(&mut want, u);
        check_eq!(
            ctx,
            enc_nat(&Nat::from_u64(u)),
            want,
            "LEB128 of {u} vs leb128"
        );
        let s = u as i64;
        want.clear();
        leb128::write_i64(&mut want, s);
        check_eq!(
            ctx,
            enc_int(&Int::from_i64(s)),
            want,
            "SLEB128 of {s} vs leb128"
        );
    }
}

/// Random naturals in `leb128_roundtrip`: 4,000 give each limb count 0 to 40 about 100 times,
/// each with both signs about 50 times (so every SLEB128 length up to some 180 bytes, sign-bit
/// boundaries included).
const ROUNDTRIP_NATS: usize = 4_000;

fn leb128_roundtrip(ctx: &Ctx) {
    let mut rng = ctx.rng(&[6]);
    for i in 0..ctx.scaled(ROUNDTRIP_NATS) {
        let n = nat_any(&mut rng, 40);
        let e = enc_nat(&n);
        check_eq!(
            ctx,
            e.len() as u64,
            n.bit_len().div_ceil(7).max(1),
            "#{i}: LEB128 length"
        );
        let mut with_tail = e.clone();
        with_tail.push(rng.u64() as u8);
        check_eq!(
            ctx,
            Nat::read_leb128(&with_tail),
            Ok((n.clone(), e.len())),
            "#{i}: LEB128 of {n}"
        );
        let z = Int::from_parts(rng.chance(50), n);
        let e = enc_int(&z);
        check_eq!(
            ctx,
            Int::read_sleb128(&e),
            Ok((z.clone(), e.len())),
            "#{i}: SLEB128 of {z}"
        );
        // Shortest form: dropping the last byte would change the value (or not parse).
        if e.len() > 1 {
            let mut shorter = e[..e.len() - 1].to_vec();
            let last = shorter.len() - 1;
            shorter[last] &= 0x7f;
            let alt = Int::read_sleb128(&shorter).map(|(v, _)| v);
            check!(
                ctx,
                alt != Ok(z.clone()),
                "#{i}: SLEB128 of {z} is not the shortest"
            );
        }
    }
}

/// Random naturals in `leb128_truncation`, every prefix of each tried: 1,000 give each limb count
/// 0 to 20 about 50 times.
const TRUNCATED_NATS: usize = 1_000;

fn leb128_truncation(ctx: &Ctx) {
    let mut rng = ctx.rng(&[7]);
    for i in 0..ctx.scaled(TRUNCATED_NATS) {
        let n = nat_any(&mut rng, 20);
        let e = enc_nat(&n);
        for cut in 0..e.len() {
            check_eq!(
                ctx,
                Nat::read_leb128(&e[..cut]),
                Err(Leb128Error::Truncated),
                "#{i}: cut {cut}"
            );
        }
        let z = Int::from_parts(true, n);
        let e = enc_int(&z);
        for cut in 0..e.len() {
            check_eq!(
                ctx,
                Int::read_sleb128(&e[..cut]).map(|_| ()),
                Err(Leb128Error::Truncated),
                "#{i}: cut {cut}"
            );
        }
    }
    check_eq!(
        ctx,
        Nat::read_leb128(&[0x80; 1000]).map(|_| ()),
        Err(Leb128Error::Truncated),
        "all continuation"
    );
    let zero = Int::read_sleb128(&[0x80, 0x80, 0x00]).map(|(v, _)| v.cmp(&Int::zero()));
    check_eq!(ctx, zero, Ok(Ordering::Equal), "padded zero");
}

/// The bigint a root holds: the root itself, or the field of the mutable box it points to,
/// loaded as it is in the heap (the bigint operations resolve it, as they must for a pointer
/// loaded from a field during an incremental cycle).
fn operand(gc: &dyn Collector, root: Word) -> Word {
    let a = object::addr_of(gc.resolve(root));
    match header_kind(gc.words()[a]) {
        Some(Kind::MutBox) => gc.words()[a + 1],
        _ => root,
    }
}

/// [`check_int`] on the bigint `root` holds.
fn agree_heap(ctx: &Ctx, gc: &dyn Collector, root: Word, n: &Int, what: &str) {
    check_int(ctx, gc, operand(gc, root), n, what);
}

/// A fresh mutable box holding `v`.
fn boxed(gc: &mut dyn Collector, v: Word) -> Result<Word, rts::memory::OutOfMemory> {
    let b = gc.alloc(Kind::MutBox, 0)?;
    gc.init_word(b, 1, v);
    Ok(object::ptr(b))
}

/// Operations on heap bigints per collector, a safepoint after every 4th: 100 safepoints, so
/// several whole incremental cycles and 12 stop-the-world collections. Half the results are
/// held in mutable boxes, so operands are also pointers loaded from the heap, read through
/// forwarding when they moved.
const HEAP_INT_OPS: usize = 400;

/// Largest operand `heap_arithmetic` keeps, in limbs (results of up to twice that are checked,
/// then dropped), so multi-limb division and carries run while the heap stays small.
const HEAP_INT_LIMBS: usize = 12;

fn heap_arithmetic(ctx: &Ctx) {
    for (p, plan) in PLANS.iter().enumerate() {
        let mut rng = ctx.rng(&[9, p as u64]);
        let what = format!("heap bigints, {}", plan.name);
        let mut h = ValueHeap::new(plan, &mut rng, HEAP_INT_OPS, agree_heap);
        let mut divisions = 0;
        for op in 0..ctx.scaled(HEAP_INT_OPS) {
            let a = h.pick(&mut rng).map(|(i, n)| (i, n.clone()));
            let b = h.pick(&mut rng).map(|(i, n)| (i, n.clone()));
            match (rng.index(12), a, b) {
                (3..=8, Some((a, na)), Some((b, nb))) => {
                    let (va, vb) = (
                        operand(h.gc.as_ref(), h.roots[a]),
                        operand(h.gc.as_ref(), h.roots[b]),
                    );
                    let gc = h.gc.as_mut();
                    let results = match op % 4 {
                        0 => alloc::vec![(heap::add(gc, va, vb), na.add(&nb))],
                        1 => alloc::vec![(heap::sub(gc, va, vb), na.sub(&nb))],
                        2 => alloc::vec![(heap::mul(gc, va, vb), na.mul(&nb))],
                        _ => match (heap::div_rem(gc, va, vb), na.div_rem(&nb)) {
                            (Ok(Some((q, r))), Some((wq, wr))) => {
                                divisions += 1;
                                alloc::vec![(Ok(q), wq), (Ok(r), wr)]
                            }
                            (Ok(None), None) => alloc::vec![],
                            (got, want) => ctx.fail(format_args!(
                                "{what}: {na} / {nb}: heap {got:?}, oracle {want:?}"
                            )),
                        },
                    };
                    for (v, want) in results {
                        let v = room(ctx, &what, v);
                        agree_heap(ctx, h.gc.as_ref(), v, &want, &format!("{what}, op {op}"));
                        if want.magnitude().limbs().len() <= HEAP_INT_LIMBS {
                            let v = if rng.chance(50) {
                                room(ctx, &what, boxed(h.gc.as_mut(), v))
                            } else {
                                v
                            };
                            h.hold(v, want);
                        }
                    }
                }
                (9, Some((a, na)), Some((b, nb))) => {
                    let gc = h.gc.as_ref();
                    let got = heap::compare(gc, operand(gc, h.roots[a]), operand(gc, h.roots[b]));
                    check_eq!(ctx, got, na.cmp(&nb), "{what}: compare {na} and {nb}");
                }
                (10, Some((a, _)), _) => h.drop_value(a),
                _ => {
                    let n = Int::from_parts(rng.chance(50), nat_any(&mut rng, HEAP_INT_LIMBS));
                    let v = room(ctx, &what, heap::alloc(h.gc.as_mut(), &n));
                    h.hold(v, n);
                }
            }
            h.after_op(ctx, &what);
        }
        h.finish(ctx, &what);
        check!(
            ctx,
            h.collections >= 2 && divisions > 0,
            "{what}: {} collections, {divisions} divisions: the test proves little",
            h.collections
        );
    }
}
