//! UTF-8 validation: known valid and invalid sequences (overlong forms, surrogates, values above
//! U+10FFFF, truncation, stray continuation bytes), every 1..=4-byte sequence over the boundary
//! bytes checked against `core::str::from_utf8`, random byte strings against the same oracle,
//! and decode/encode round trips of every code point class.

use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::vec::Vec;
use rts::text::utf8::{self, Utf8Error, Utf8ErrorKind};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![known, exhaustive_prefixes, random_vs_core, roundtrip];

fn err(valid_up_to: usize, kind: Utf8ErrorKind) -> Result<(), Utf8Error> {
    Err(Utf8Error { valid_up_to, kind })
}

/// What `core` says, in our error type.
fn oracle(bytes: &[u8]) -> Result<(), Utf8Error> {
    match core::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => err(
            e.valid_up_to(),
            if e.error_len().is_none() {
                Utf8ErrorKind::Truncated
            } else {
                Utf8ErrorKind::Invalid
            },
        ),
    }
}

fn known(ctx: &Ctx) {
    use Utf8ErrorKind::{Invalid, Truncated};
    let cases: &[(&[u8], Result<(), Utf8Error>, &str)] = &[
        (b"", Ok(()), "empty"),
        (b"hello", Ok(()), "ascii"),
        (&[0xC2, 0x80], Ok(()), "U+0080"),
        (&[0xDF, 0xBF], Ok(()), "U+07FF"),
        (&[0xE0, 0xA0, 0x80], Ok(()), "U+0800"),
        (&[0xED, 0x9F, 0xBF], Ok(()), "U+D7FF"),
        (&[0xEE, 0x80, 0x80], Ok(()), "U+E000"),
        (&[0xEF, 0xBF, 0xBF], Ok(()), "U+FFFF"),
        (&[0xF0, 0x90, 0x80, 0x80], Ok(()), "U+10000"),
        (&[0xF4, 0x8F, 0xBF, 0xBF], Ok(()), "U+10FFFF"),
        (&[0xC0, 0x80], err(0, Invalid), "overlong NUL (2 bytes)"),
        (&[0xC1, 0xBF], err(0, Invalid), "overlong U+007F"),
        (
            &[0xE0, 0x80, 0x80],
            err(0, Invalid),
            "overlong NUL (3 bytes)",
        ),
        (&[0xE0, 0x9F, 0xBF], err(0, Invalid), "overlong U+07FF"),
        (
            &[0xF0, 0x80, 0x80, 0x80],
            err(0, Invalid),
            "overlong NUL (4 bytes)",
        ),
        (
            &[0xF0, 0x8F, 0xBF, 0xBF],
            err(0, Invalid),
            "overlong U+FFFF",
        ),
        (&[0xED, 0xA0, 0x80], err(0, Invalid), "surrogate U+D800"),
        (&[0xED, 0xBF, 0xBF], err(0, Invalid), "surrogate U+DFFF"),
        (&[0xF4, 0x90, 0x80, 0x80], err(0, Invalid), "U+110000"),
        (&[0xF5, 0x80, 0x80, 0x80], err(0, Invalid), "lead 0xF5"),
        (&[0xFF], err(0, Invalid), "byte 0xFF"),
        (&[0x80], err(0, Invalid), "lone continuation"),
        (b"ab\xBF", err(2, Invalid), "continuation after ascii"),
        (&[0xC2], err(0, Truncated), "truncated 2-byte"),
        (&[0xE2, 0x82], err(0, Truncated), "truncated 3-byte"),
        (
            b"x\xF0\x9F\x98",
            err(1, Truncated),
            "truncated 4-byte after ascii",
        ),
        (&[0xE2, 0x28, 0xA1], err(0, Invalid), "bad second byte"),
        (
            &[0xF0, 0x9F, 0x98, 0x41],
            err(0, Invalid),
            "bad fourth byte",
        ),
        (
            &[0xC2, 0x80, 0xC2],
            err(2, Truncated),
            "valid then truncated",
        ),
    ];
    for &(bytes, want, what) in cases {
        check_eq!(ctx, utf8::validate(bytes), want, "{what}: {bytes:02x?}");
        check_eq!(
            ctx,
            oracle(bytes),
            want,
            "oracle disagrees on the test vector {what}"
        );
    }
    check_eq!(
        ctx,
        utf8::decode(&[0xF0, 0x9F, 0x98, 0x80]),
        Ok(('\u{1F600}', 4)),
        "decode U+1F600"
    );
    check!(
        ctx,
        utf8::to_str(b"\xE2\x82\xAC").ok() == Some("\u{20AC}"),
        "to_str of the euro sign"
    );
}

/// Bytes that sit on the boundaries of the rules.
const EDGES: [u8; 24] = [
    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC,
    0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF,
];

fn exhaustive_prefixes(ctx: &Ctx) {
    // Every sequence of 1..=3 edge bytes, and 4-byte ones with a boundary lead.
    let mut buf = Vec::new();
    // `None` is "no byte here", so shorter sequences are covered by the same loops.
    let opt = || core::iter::once(None).chain(EDGES.iter().copied().map(Some));
    for &a in &EDGES {
        for b in opt() {
            for c in opt() {
                buf.clear();
                buf.push(a);
                buf.extend(b);
                if b.is_some() {
                    buf.extend(c);
                }
                check_eq!(ctx, utf8::validate(&buf), oracle(&buf), "{buf:02x?}");
            }
        }
    }
    for lead in [0xF0u8, 0xF1, 0xF3, 0xF4, 0xF5] {
        for b in 0x70u8..=0xC0 {
            for d in [0x7Fu8, 0x80, 0xBF, 0xC0] {
                let seq = [lead, b, 0x80, d];
                check_eq!(ctx, utf8::validate(&seq), oracle(&seq), "{seq:02x?}");
            }
        }
    }
    // Every second byte after every lead.
    for lead in 0xC0u8..=0xFF {
        for b in 0u8..=255 {
            let seq = [lead, b, 0xBF, 0xBF];
            check_eq!(ctx, utf8::validate(&seq), oracle(&seq), "{seq:02x?}");
        }
    }
}

fn random_text(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let len = rng.index(40);
    while v.len() < len {
        match rng.below(4) {
            0 => v.push(EDGES[rng.index(EDGES.len())]),
            1 => v.push(rng.u64() as u8),
            _ => {
                let c = char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?');
                utf8::encode(c, &mut v);
            }
        }
    }
    v
}

fn random_vs_core(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for i in 0..4_400_000 {
        let mut v = random_text(&mut rng);
        if rng.chance(30) && !v.is_empty() {
            let cut = rng.index(v.len());
            v.truncate(cut); // truncation inside a sequence
        }
        check_eq!(
            ctx,
            utf8::validate(&v),
            oracle(&v),
            "random string #{i}: {v:02x?}"
        );
    }
}

fn roundtrip(ctx: &Ctx) {
    let mut buf = Vec::new();
    let mut cp = 0u32;
    while cp <= 0x10_FFFF {
        if let Some(c) = char::from_u32(cp) {
            buf.clear();
            utf8::encode(c, &mut buf);
            let mut std_buf = [0u8; 4];
            let want = c.encode_utf8(&mut std_buf).as_bytes();
            check_eq!(ctx, buf.as_slice(), want, "encode U+{cp:04X}");
            check_eq!(
                ctx,
                utf8::decode(&buf),
                Ok((c, buf.len())),
                "decode U+{cp:04X}"
            );
        } else {
            // Surrogates, encoded the generalized way, are rejected.
            let s = [
                0xE0 | (cp >> 12) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            ];
            check!(
                ctx,
                utf8::validate(&s).is_err(),
                "surrogate U+{cp:04X} accepted"
            );
        }
        // Dense near the boundaries, sparse elsewhere.
        cp += if !(0x1_0000..=0x10_FF00).contains(&cp) {
            1
        } else {
            97
        };
    }
}
