//! LEB128 / SLEB128: known encodings, round trips of random values of every width, agreement
//! with a 128-bit reference decoder on arbitrary byte strings, truncation and overflow.

use crate::fixtures::vectors;
use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::vec::Vec;
use rts::leb128::{self, Leb128Error, Reader};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    known_vectors,
    roundtrip,
    reference_decoder,
    truncation,
    overflow,
    reader
];

fn encode_u(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    leb128::write_u64(&mut out, v);
    out
}

fn encode_i(v: i64) -> Vec<u8> {
    let mut out = Vec::new();
    leb128::write_i64(&mut out, v);
    out
}

/// Public vectors, of one to ten bytes: the DWARF 5 standard's examples (section 7.6, "Variable
/// Length Data", figure 22 for unsigned: 2, 127, 128, 129, 130, 12857; figure 23 for signed: 2,
/// -2, 127, -127, 128, -128, 129, -129), and Wikipedia's "LEB128" article (624485 = E5 8E 26,
/// -123456 = C0 BB 78); the rest are the extremes of each width. Each was checked against an
/// independent encoder (a few lines of Python) before it was written here.
fn known_vectors(ctx: &Ctx) {
    let unsigned: &[(u64, &[u8])] = &[
        (0, &[0x00]),
        (1, &[0x01]),
        (2, &[0x02]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (129, &[0x81, 0x01]),
        (130, &[0x82, 0x01]),
        (300, &[0xac, 0x02]),
        (12_857, &[0xb9, 0x64]),
        (624_485, &[0xe5, 0x8e, 0x26]),
        (
            u64::MAX,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ),
    ];
    for &(v, bytes) in unsigned {
        check_eq!(ctx, encode_u(v), bytes.to_vec(), "write_u64({v})");
        check_eq!(
            ctx,
            leb128::read_u64(bytes),
            Ok((v, bytes.len())),
            "read_u64 of {bytes:02x?}"
        );
    }
    let extremes: &[(i64, &[u8])] = &[
        (
            i64::MAX,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
        ),
        (
            i64::MIN,
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
        ),
    ];
    for &(v, bytes) in vectors::SLEB128.iter().chain(extremes) {
        check_eq!(ctx, encode_i(v), bytes.to_vec(), "write_i64({v})");
        check_eq!(
            ctx,
            leb128::read_i64(bytes),
            Ok((v, bytes.len())),
            "read_i64 of {bytes:02x?}"
        );
    }
    // Padded (non-minimal) forms decode to the same value.
    check_eq!(
        ctx,
        leb128::read_u64(&[0x80, 0x00]),
        Ok((0, 2)),
        "padded zero"
    );
    check_eq!(
        ctx,
        leb128::read_u64(&[0xff, 0x80, 0x00]),
        Ok((127, 3)),
        "padded 127"
    );
    check_eq!(
        ctx,
        leb128::read_i64(&[0xff, 0x7f]),
        Ok((-1, 2)),
        "padded -1"
    );
}

/// Random values in `roundtrip`: widths 0 to 64 are drawn uniformly, so 20,000 values give each
/// width about 300 times and each of the 10 encoded lengths (1 to 10 bytes) at least 300 times
/// (10 bytes: width 64 only), signed and unsigned.
const ROUNDTRIP_VALUES: usize = 20_000;

fn roundtrip(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    let mut buf = Vec::new();
    for i in 0..ctx.scaled(ROUNDTRIP_VALUES) {
        let u = rng.u64_any_width();
        buf.clear();
        let n = leb128::write_u64(&mut buf, u);
        check_eq!(ctx, n, buf.len(), "bytes written for {u}");
        check_eq!(ctx, n, leb128::len_u64(u), "len_u64({u})");
        check_eq!(
            ctx,
            leb128::read_u64(&buf),
            Ok((u, n)),
            "u64 round trip #{i} of {u}"
        );

        let s = rng.u64_any_width() as i64;
        let s = if rng.chance(50) { s } else { s.wrapping_neg() };
        buf.clear();
        let n = leb128::write_i64(&mut buf, s);
        check_eq!(ctx, n, leb128::len_i64(s), "len_i64({s})");
        check_eq!(
            ctx,
            leb128::read_i64(&buf),
            Ok((s, n)),
            "i64 round trip #{i} of {s}"
        );
        // Trailing bytes are not consumed.
        buf.push(rng.u64() as u8);
        check_eq!(
            ctx,
            leb128::read_i64(&buf),
            Ok((s, n)),
            "i64 with trailing byte, {s}"
        );
    }
}

/// Decodes with 128-bit arithmetic and no tricks: the oracle for arbitrary inputs.
fn reference(input: &[u8], signed: bool) -> Result<(i128, usize), Leb128Error> {
    let mut acc: i128 = 0;
    for (i, &b) in input.iter().enumerate() {
        if i >= leb128::MAX_LEN_64 {
            return Err(Leb128Error::Overflow);
        }
        acc |= i128::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let bits = 7 * (i + 1);
            if signed && b & 0x40 != 0 {
                acc -= 1i128 << bits;
            }
            let fits = if signed {
                acc >= i128::from(i64::MIN) && acc <= i128::from(i64::MAX)
            } else {
                acc <= i128::from(u64::MAX)
            };
            return if fits {
                Ok((acc, i + 1))
            } else {
                Err(Leb128Error::Overflow)
            };
        }
    }
    if input.len() >= leb128::MAX_LEN_64 {
        Err(Leb128Error::Overflow)
    } else {
        Err(Leb128Error::Truncated)
    }
}

/// A byte string shaped like an encoding: continuation bits set except (usually) on the last
/// byte, with the last byte biased towards the boundary values.
fn encoding_like(rng: &mut Rng) -> Vec<u8> {
    let len = 1 + rng.index(12);
    let mut v: Vec<u8> = (0..len).map(|_| rng.u64() as u8 | 0x80).collect();
    let last = [
        0x00,
        0x01,
        0x02,
        0x3f,
        0x40,
        0x41,
        0x7e,
        0x7f,
        rng.u64() as u8 & 0x7f,
    ];
    v[len - 1] = last[rng.index(last.len())];
    if rng.chance(10) {
        v[len - 1] |= 0x80; // truncated
    }
    if rng.chance(20) {
        for b in v.iter_mut().take(len - 1) {
            *b = if rng.chance(50) { 0x80 } else { 0xff };
        }
    }
    v
}

/// Random inputs in `reference_decoder`: 12 lengths times 9 last-byte classes are 108 shapes, so
/// 30,000 inputs give each shape about 280 times, and the truncated (10%) and all-0x80/0xff
/// (20%) variants of each shape dozens of times.
const DECODER_INPUTS: usize = 30_000;

fn reference_decoder(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    for i in 0..ctx.scaled(DECODER_INPUTS) {
        let input = encoding_like(&mut rng);
        let want_u = reference(&input, false).map(|(v, n)| (v as u64, n));
        check_eq!(
            ctx,
            leb128::read_u64(&input),
            want_u,
            "read_u64 #{i} of {input:02x?}"
        );
        let want_i = reference(&input, true).map(|(v, n)| (v as i64, n));
        check_eq!(
            ctx,
            leb128::read_i64(&input),
            want_i,
            "read_i64 #{i} of {input:02x?}"
        );
    }
}

/// Random values in `truncation`, every proper prefix of each tried: 2,000 values give each of the
/// 65 widths about 30 times, so every cut of every encoded length is tried dozens of times.
const TRUNCATED_VALUES: usize = 2_000;

fn truncation(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    for _ in 0..ctx.scaled(TRUNCATED_VALUES) {
        let u = rng.u64_any_width();
        let enc = encode_u(u);
        for cut in 0..enc.len() {
            check_eq!(
                ctx,
                leb128::read_u64(&enc[..cut]),
                Err(Leb128Error::Truncated),
                "prefix of {cut} bytes of {u} = {enc:02x?}"
            );
        }
        let s = rng.u64_any_width() as i64;
        let enc = encode_i(s.wrapping_neg());
        for cut in 0..enc.len() {
            check_eq!(
                ctx,
                leb128::read_i64(&enc[..cut]),
                Err(Leb128Error::Truncated),
                "prefix of {cut} bytes of {} = {enc:02x?}",
                s.wrapping_neg()
            );
        }
    }
}

fn overflow(ctx: &Ctx) {
    let ten_ff = [0xffu8; 9];
    let cases: &[(&[u8], bool)] = &[
        // (tenth byte, valid for u64?)
        (&[0x01], true),
        (&[0x02], false),
        (&[0x7f], false),
        (&[0x81, 0x00], false), // an eleventh byte
    ];
    for &(tail, ok) in cases {
        let mut input = ten_ff.to_vec();
        input.extend_from_slice(tail);
        let got = leb128::read_u64(&input);
        check!(
            ctx,
            got.is_ok() == ok,
            "read_u64 of {input:02x?} gave {got:?}"
        );
        if !ok {
            check_eq!(
                ctx,
                got,
                Err(Leb128Error::Overflow),
                "read_u64 of {input:02x?}"
            );
        }
    }
    let mut eleven = [0x80u8; 11];
    eleven[10] = 0x00;
    check_eq!(
        ctx,
        leb128::read_u64(&eleven),
        Err(Leb128Error::Overflow),
        "11-byte padded zero"
    );
    check_eq!(
        ctx,
        leb128::read_i64(&eleven),
        Err(Leb128Error::Overflow),
        "11-byte padded zero"
    );
    for tenth in 0u8..=255 {
        let mut input = [0x80u8; 10];
        input[9] = tenth;
        let got = leb128::read_i64(&input);
        let valid = tenth == 0x00 || tenth == 0x7f;
        check!(
            ctx,
            got.is_ok() == valid,
            "read_i64 with tenth byte {tenth:#04x} gave {got:?}"
        );
    }
}

/// Random value pairs in `reader`'s one stream: 2,000 pairs are 4,000 values, each width about
/// 60 times, so the reader steps over every encoded length, signed and unsigned, dozens of times
/// at ever-changing offsets in the stream.
const READER_PAIRS: usize = 2_000;

fn reader(ctx: &Ctx) {
    let mut rng = ctx.rng(&[4]);
    let values: Vec<(u64, i64)> = (0..ctx.scaled(READER_PAIRS))
        .map(|_| (rng.u64_any_width(), rng.u64_any_width() as i64))
        .collect();
    let mut buf = Vec::new();
    for &(u, s) in &values {
        leb128::write_u64(&mut buf, u);
        leb128::write_i64(&mut buf, s);
    }
    let mut r = Reader::new(&buf);
    for (i, &(u, s)) in values.iter().enumerate() {
        check_eq!(ctx, r.u64(), Ok(u), "reader value {i} (unsigned)");
        check_eq!(ctx, r.i64(), Ok(s), "reader value {i} (signed)");
    }
    check_eq!(ctx, r.position(), buf.len(), "reader consumed everything");
    check_eq!(
        ctx,
        r.u64(),
        Err(Leb128Error::Truncated),
        "reading past the end"
    );
}
