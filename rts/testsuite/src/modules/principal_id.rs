//! Principal ids: known texts (the management canister, the anonymous principal, the IC
//! specification's example, the NNS canister ids; RFC 4648's base32 vectors), round trips of
//! random principals of every length, base32 against a bit-by-bit reference, and rejection of
//! every kind of bad input: wrong checksum, bad characters, uppercase, misplaced dashes,
//! non-zero padding bits, impossible lengths, too long, too short; plus every single-character
//! change of a valid text is rejected or decodes to different bytes.

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use alloc::string::String;
use alloc::vec::Vec;
use rts::principal_id::{self, PrincipalError, MAX_LEN};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![known, roundtrip, base32_reference, rejects, mutations];

fn known(ctx: &Ctx) {
    check_eq!(
        ctx,
        principal_id::to_text(&[]),
        "aaaaa-aa",
        "management canister"
    );
    check_eq!(
        ctx,
        principal_id::to_text(&[4]),
        "2vxsx-fae",
        "anonymous principal"
    );
    check_eq!(
        ctx,
        principal_id::parse("aaaaa-aa"),
        Ok(Vec::new()),
        "parse management canister"
    );
    check_eq!(
        ctx,
        principal_id::parse("2vxsx-fae"),
        Ok(alloc::vec![4]),
        "parse anonymous"
    );
    let t = principal_id::to_text(&[0xAB, 0xCD, 0x01]);
    check!(
        ctx,
        t.split('-').all(|g| !g.is_empty() && g.len() <= 5),
        "groups of {t}"
    );
    check!(
        ctx,
        t.split('-').rev().skip(1).all(|g| g.len() == 5),
        "full groups in {t}"
    );
    // Public principals of 0, 1, 3 and 10 bytes, both ways: the IC interface specification's
    // example ("Textual representation of principals": the blob AB CD 01, checksum 233FF206, is
    // em77e-bvlzu-aq) and the well-known canister ids of the NNS subnet (canister index k is the
    // blob 00 00 00 00 00 00 00 k 01 01): registry 0, governance 1, ledger 2, root 3, cycles
    // minting 4, Internet Identity 7. Each was checked against an independent encoder (Python's
    // zlib.crc32 and base64.b32encode) before it was written here.
    let nns = |k: u8| alloc::vec![0, 0, 0, 0, 0, 0, 0, k, 1, 1];
    let public: &[(Vec<u8>, &str)] = &[
        (alloc::vec![0xAB, 0xCD, 0x01], "em77e-bvlzu-aq"),
        (nns(0), "rwlgt-iiaaa-aaaaa-aaaaa-cai"),
        (nns(1), "rrkah-fqaaa-aaaaa-aaaaq-cai"),
        (nns(2), "ryjl3-tyaaa-aaaaa-aaaba-cai"),
        (nns(3), "r7inp-6aaaa-aaaaa-aaabq-cai"),
        (nns(4), "rkp4c-7iaaa-aaaaa-aaaca-cai"),
        (nns(7), "rdmx6-jaaaa-aaaaa-aaadq-cai"),
    ];
    for (bytes, text) in public {
        check_eq!(
            ctx,
            principal_id::to_text(bytes),
            *text,
            "text of {bytes:02x?}"
        );
        check_eq!(
            ctx,
            principal_id::parse(text),
            Ok(bytes.clone()),
            "parse {text}"
        );
    }
    // RFC 4648, section 10 (test vectors), base32 of 0 to 6 bytes, as principals use it:
    // lowercase, without the padding `=`.
    let rfc4648: &[(&[u8], &str)] = &[
        (b"", ""),
        (b"f", "my"),
        (b"fo", "mzxq"),
        (b"foo", "mzxw6"),
        (b"foob", "mzxw6yq"),
        (b"fooba", "mzxw6ytb"),
        (b"foobar", "mzxw6ytboi"),
    ];
    for &(bytes, b32) in rfc4648 {
        check_eq!(
            ctx,
            principal_id::base32_encode(bytes),
            b32,
            "RFC 4648 base32 of {bytes:?}"
        );
        check_eq!(
            ctx,
            principal_id::base32_decode(b32.as_bytes()),
            Ok(bytes.to_vec()),
            "RFC 4648 base32 {b32:?} decoded"
        );
    }
}

/// Random byte strings in `roundtrip`: 20,000 give each length 0 to 29 about 670 times, so each
/// length's textual form (its groups of five and the last, shorter group) hundreds of times.
const ROUNDTRIP_IDS: usize = 20_000;

fn roundtrip(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for i in 0..ctx.scaled(ROUNDTRIP_IDS) {
        let len = rng.index(MAX_LEN + 1);
        let bytes = rng.bytes(len);
        let text = principal_id::to_text(&bytes);
        check!(
            ctx,
            text.bytes()
                .all(|c| c == b'-' || c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)),
            "#{i}: {text}"
        );
        check_eq!(
            ctx,
            principal_id::parse(&text),
            Ok(bytes.clone()),
            "#{i}: round trip of {text}"
        );
    }
}

/// Base32 by individual bits, the obviously correct way.
fn base32_slow(bytes: &[u8]) -> String {
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |k| (b >> k) & 1))
        .collect();
    bits.chunks(5)
        .map(|c| {
            let v = (0..5).fold(0u8, |acc, k| (acc << 1) | c.get(k).copied().unwrap_or(0));
            b"abcdefghijklmnopqrstuvwxyz234567"[v as usize] as char
        })
        .collect()
}

/// Random byte strings in `base32_reference`: 3,000 give each length 0 to 39 about 75 times, so
/// each of the 5 remainders of the length mod 5 (the padding cases of base32) some 600 times.
const BASE32_INPUTS: usize = 3_000;

fn base32_reference(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    for i in 0..ctx.scaled(BASE32_INPUTS) {
        let n = rng.index(40);
        let bytes = rng.bytes(n);
        let enc = principal_id::base32_encode(&bytes);
        check_eq!(
            ctx,
            enc,
            base32_slow(&bytes),
            "#{i}: base32 of {bytes:02x?}"
        );
        check_eq!(
            ctx,
            principal_id::base32_decode(enc.as_bytes()),
            Ok(bytes.clone()),
            "#{i}: decode {enc}"
        );
    }
}

fn rejects(ctx: &Ctx) {
    use PrincipalError::*;
    let good = principal_id::to_text(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let cases: Vec<(String, PrincipalError)> = alloc::vec![
        (String::new(), TooShort),
        ("aaaaa".into(), TooShort),      // 3 bytes: less than a checksum
        ("aaaaa-a".into(), BadPadding),  // 6 chars
        ("aaaaa-ab".into(), BadPadding), // non-zero unused bits
        ("aaaaa-ac".into(), BadPadding),
        ("aaaaa-ba".into(), BadChecksum),
        ("aaaaaaa".into(), BadGrouping), // no dash
        ("aaaa-aaa".into(), BadGrouping),
        ("aaaaa--aa".into(), BadGrouping),
        ("aaaaa-aa-".into(), BadGrouping),
        ("-aaaaa-aa".into(), BadGrouping),
        ("AAAAA-AA".into(), BadChar),
        ("2VXSX-FAE".into(), BadChar),
        ("aaaaa-a1".into(), BadChar),
        ("aaaaa-a8".into(), BadChar),
        ("aaaaa-a=".into(), BadChar),
        ("aaaaa-a\u{e9}".into(), BadChar),
        (good.to_uppercase(), BadChar),
    ];
    for (text, want) in &cases {
        check_eq!(ctx, principal_id::parse(text), Err(*want), "parse {text:?}");
    }
    // One byte too long: 30 bytes.
    let long = principal_id::to_text(&[7u8; MAX_LEN + 1]);
    check_eq!(
        ctx,
        principal_id::parse(&long),
        Err(TooLong),
        "a {}-byte principal",
        MAX_LEN + 1
    );
    let huge: String = core::iter::repeat_n("aaaaa", 1_000)
        .collect::<Vec<_>>()
        .join("-");
    check_eq!(
        ctx,
        principal_id::parse(&huge),
        Err(TooLong),
        "a very long text"
    );
    check_eq!(
        ctx,
        principal_id::parse(&principal_id::to_text(&[7u8; MAX_LEN])).map(|b| b.len()),
        Ok(MAX_LEN),
        "the longest principal"
    );
}

/// Random ids in `mutations`, each mutated at every position: 1,500 ids give each length 0 to 29
/// about 50 times, every character position of each length's text changed dozens of times.
const MUTATED_IDS: usize = 1_500;

fn mutations(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567-A1";
    for i in 0..ctx.scaled(MUTATED_IDS) {
        let n = rng.index(MAX_LEN + 1);
        let bytes = rng.bytes(n);
        let text = principal_id::to_text(&bytes);
        for pos in 0..text.len() {
            let mut m = text.clone().into_bytes();
            let c = CHARS[rng.index(CHARS.len())];
            if m[pos] == c {
                continue;
            }
            m[pos] = c;
            let m = String::from_utf8(m).unwrap_or_default();
            // CRC-32 catches every change of up to 32 consecutive bits.
            check!(
                ctx,
                principal_id::parse(&m).is_err(),
                "#{i}: mutated {text} -> {m} accepted"
            );
        }
        // Dropping the last group char or adding one is rejected too.
        let mut short = text.clone();
        short.pop();
        check!(
            ctx,
            principal_id::parse(&short) != Ok(bytes.clone()),
            "#{i}: {short} accepted as {text}"
        );
    }
}
