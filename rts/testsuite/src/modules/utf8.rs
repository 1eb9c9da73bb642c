//! UTF-8 validation: known valid and invalid sequences (overlong forms, surrogates, values above
//! U+10FFFF, truncation, stray continuation bytes), the examples of RFC 3629 encoded and decoded,
//! Markus Kuhn's decoder stress test, every 1..=4-byte sequence over the boundary
//! bytes checked against `core::str::from_utf8`, random byte strings against the same oracle,
//! and decode/encode round trips of every code point class.

use crate::harness::{check, check_eq, tests, Ctx, Rng, SubTest};
use alloc::vec::Vec;
use rts::text::utf8::{self, Utf8Error, Utf8ErrorKind};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    known,
    rfc3629_examples,
    kuhn_stress,
    exhaustive_prefixes,
    random_vs_core,
    roundtrip
];

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

/// The examples of RFC 3629 (section 7), strings of 2 to 4 code points and 7 to 9 bytes:
/// encoded code point by code point with `utf8::encode`, decoded back with `utf8::decode`, and
/// accepted by `utf8::validate`, whole and with every proper prefix judged like `core` does.
/// Each was checked against Python's UTF-8 codec before it was written here.
fn rfc3629_examples(ctx: &Ctx) {
    let examples: &[(&[u32], &[u8])] = &[
        // "A<NOT IDENTICAL TO><ALPHA>."
        (
            &[0x0041, 0x2262, 0x0391, 0x002E],
            &[0x41, 0xE2, 0x89, 0xA2, 0xCE, 0x91, 0x2E],
        ),
        // The Korean word "hangugeo" (the Korean language).
        (
            &[0xD55C, 0xAD6D, 0xC5B4],
            &[0xED, 0x95, 0x9C, 0xEA, 0xB5, 0xAD, 0xEC, 0x96, 0xB4],
        ),
        // The Japanese word "nihongo" (the Japanese language).
        (
            &[0x65E5, 0x672C, 0x8A9E],
            &[0xE6, 0x97, 0xA5, 0xE6, 0x9C, 0xAC, 0xE8, 0xAA, 0x9E],
        ),
        // A byte order mark and the Chinese character U+233B4.
        (
            &[0xFEFF, 0x233B4],
            &[0xEF, 0xBB, 0xBF, 0xF0, 0xA3, 0x8E, 0xB4],
        ),
    ];
    for &(cps, bytes) in examples {
        let mut enc = Vec::new();
        for &cp in cps {
            let c = char::from_u32(cp)
                .unwrap_or_else(|| ctx.fail(format_args!("U+{cp:04X} is no char")));
            utf8::encode(c, &mut enc);
        }
        check_eq!(ctx, enc.as_slice(), bytes, "encoding of {cps:04X?}");
        let mut at = 0;
        for &cp in cps {
            let (c, n) = utf8::decode(&bytes[at..])
                .unwrap_or_else(|e| ctx.fail(format_args!("decoding {bytes:02X?} at {at}: {e:?}")));
            check_eq!(ctx, c as u32, cp, "code point at byte {at} of {bytes:02X?}");
            at += n;
        }
        check_eq!(ctx, at, bytes.len(), "bytes decoded of {bytes:02X?}");
        check_eq!(ctx, utf8::validate(bytes), Ok(()), "{bytes:02X?}");
        for cut in 0..bytes.len() {
            let p = &bytes[..cut];
            check_eq!(ctx, utf8::validate(p), oracle(p), "prefix {p:02X?}");
        }
    }
}

/// Markus Kuhn's "UTF-8 decoder capability and stress test" (UTF-8-test.txt): its sample text
/// and boundary cases (sections 1 and 2, those RFC 3629 still allows), its malformed sequences
/// (3.1 unexpected continuation bytes, 3.2 lonely start bytes, 3.3 sequences missing their last
/// byte, 3.5 impossible bytes, 4.1-4.3 overlong forms, 5.1-5.2 UTF-16 surrogates) and its
/// noncharacters (5.3, which UTF-8 encodes like any scalar value), alone and after the 11-byte
/// sample text (so `valid_up_to` is tested past the first byte). The five- and six-byte forms
/// of the test are malformed under RFC 3629. Each expected result was checked against Python's
/// UTF-8 decoder (error position and whether the input merely ended) before it was written here.
fn kuhn_stress(ctx: &Ctx) {
    use Utf8ErrorKind::{Invalid, Truncated};
    // 1: the Greek word "kosme", with U+1F79 (omicron with oxia).
    const KOSME: &[u8] = &[
        0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5,
    ];
    let valid: &[(&[u8], &str)] = &[
        (KOSME, "1: kosme"),
        (&[0x00], "2.1.1: U+0000"),
        (&[0xC2, 0x80], "2.1.2: U+0080"),
        (&[0xE0, 0xA0, 0x80], "2.1.3: U+0800"),
        (&[0xF0, 0x90, 0x80, 0x80], "2.1.4: U+10000"),
        (&[0x7F], "2.2.1: U+007F"),
        (&[0xDF, 0xBF], "2.2.2: U+07FF"),
        (&[0xEF, 0xBF, 0xBF], "2.2.3: U+FFFF"),
        (&[0xED, 0x9F, 0xBF], "2.3.1: U+D7FF"),
        (&[0xEE, 0x80, 0x80], "2.3.2: U+E000"),
        (&[0xEF, 0xBF, 0xBD], "2.3.3: U+FFFD"),
        (&[0xF4, 0x8F, 0xBF, 0xBF], "2.3.4: U+10FFFF"),
        (&[0xEF, 0xBF, 0xBE], "5.3.1: U+FFFE"),
    ];
    for &(bytes, what) in valid {
        check_eq!(ctx, utf8::validate(bytes), Ok(()), "{what}: {bytes:02X?}");
    }
    let malformed: &[(&[u8], Utf8ErrorKind, &str)] = &[
        (&[0x80], Invalid, "3.1.1: first continuation byte"),
        (&[0xBF], Invalid, "3.1.2: last continuation byte"),
        (&[0x80, 0xBF], Invalid, "3.1.3: two continuation bytes"),
        (
            &[0x80, 0xBF, 0x80],
            Invalid,
            "3.1.4: three continuation bytes",
        ),
        (&[0xC0, 0x20], Invalid, "3.2.1: lonely start 0xC0"),
        (&[0xE0, 0x20], Invalid, "3.2.2: lonely start 0xE0"),
        (&[0xF0, 0x20], Invalid, "3.2.3: lonely start 0xF0"),
        (&[0xF8, 0x20], Invalid, "3.2.4: lonely start 0xF8"),
        (&[0xFC, 0x20], Invalid, "3.2.5: lonely start 0xFC"),
        (&[0xDF], Truncated, "3.3.6: U+07FF missing its last byte"),
        (
            &[0xEF, 0xBF],
            Truncated,
            "3.3.7: U+FFFF missing its last byte",
        ),
        (
            &[0xE0, 0x80],
            Invalid,
            "3.3.2: 3-byte U+0000 missing its last byte",
        ),
        (
            &[0xF0, 0x80, 0x80],
            Invalid,
            "3.3.3: 4-byte U+0000 missing its last byte",
        ),
        (
            &[0xF7, 0xBF, 0xBF],
            Invalid,
            "3.3.8: U+1FFFFF missing its last byte",
        ),
        (&[0xFE], Invalid, "3.5.1: byte 0xFE"),
        (&[0xFF], Invalid, "3.5.2: byte 0xFF"),
        (&[0xFE, 0xFE, 0xFF, 0xFF], Invalid, "3.5.3: FE FE FF FF"),
        (&[0xC0, 0xAF], Invalid, "4.1.1: overlong '/' in 2 bytes"),
        (
            &[0xE0, 0x80, 0xAF],
            Invalid,
            "4.1.2: overlong '/' in 3 bytes",
        ),
        (
            &[0xF0, 0x80, 0x80, 0xAF],
            Invalid,
            "4.1.3: overlong '/' in 4 bytes",
        ),
        (
            &[0xF8, 0x80, 0x80, 0x80, 0xAF],
            Invalid,
            "4.1.4: overlong '/' in 5 bytes",
        ),
        (
            &[0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF],
            Invalid,
            "4.1.5: overlong '/' in 6 bytes",
        ),
        (&[0xC1, 0xBF], Invalid, "4.2.1: overlong U+007F"),
        (&[0xE0, 0x9F, 0xBF], Invalid, "4.2.2: overlong U+07FF"),
        (&[0xF0, 0x8F, 0xBF, 0xBF], Invalid, "4.2.3: overlong U+FFFF"),
        (&[0xC0, 0x80], Invalid, "4.3.1: overlong U+0000 in 2 bytes"),
        (
            &[0xE0, 0x80, 0x80],
            Invalid,
            "4.3.2: overlong U+0000 in 3 bytes",
        ),
        (
            &[0xF0, 0x80, 0x80, 0x80],
            Invalid,
            "4.3.3: overlong U+0000 in 4 bytes",
        ),
        (&[0xED, 0xA0, 0x80], Invalid, "5.1.1: U+D800"),
        (&[0xED, 0xAD, 0xBF], Invalid, "5.1.2: U+DB7F"),
        (&[0xED, 0xAE, 0x80], Invalid, "5.1.3: U+DB80"),
        (&[0xED, 0xAF, 0xBF], Invalid, "5.1.4: U+DBFF"),
        (&[0xED, 0xB0, 0x80], Invalid, "5.1.5: U+DC00"),
        (&[0xED, 0xBE, 0x80], Invalid, "5.1.6: U+DF80"),
        (&[0xED, 0xBF, 0xBF], Invalid, "5.1.7: U+DFFF"),
        (
            &[0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],
            Invalid,
            "5.2.1: U+D800 U+DC00",
        ),
        (
            &[0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF],
            Invalid,
            "5.2.8: U+DBFF U+DFFF",
        ),
    ];
    let mut buf = Vec::new();
    for &(bytes, kind, what) in malformed {
        for prefix in [&[][..], KOSME] {
            buf.clear();
            buf.extend_from_slice(prefix);
            buf.extend_from_slice(bytes);
            let want = err(prefix.len(), kind);
            check_eq!(ctx, utf8::validate(&buf), want, "{what}: {buf:02X?}");
            check_eq!(ctx, oracle(&buf), want, "oracle disagrees on {what}");
        }
    }
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

/// Random strings in `random_vs_core`: 200,000 strings of up to 40 bytes are about 1.5 million
/// units, a quarter of them boundary bytes (each of the `EDGES` tens of thousands of times) and
/// half encoded scalars of every length, 30% of the strings cut inside a sequence. (The
/// exhaustive sub-tests cover every short sequence; this one covers them in context.)
const RANDOM_STRINGS: usize = 200_000;

fn random_vs_core(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for i in 0..ctx.scaled(RANDOM_STRINGS) {
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
