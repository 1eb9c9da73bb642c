//! CRC-32: standard check values, a bit-at-a-time reference on random data, independence from
//! how the input is split, and detection of every single-bit error.

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use rts::crc32::{self, Crc32, POLYNOMIAL};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![check_values, reference, split, single_bit_errors];

/// Bit-at-a-time CRC-32, the textbook definition.
fn bitwise(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (POLYNOMIAL & mask);
        }
    }
    !crc
}

/// Public check values over inputs of 0 to 57 bytes: the catalogue check value of CRC-32/ISO-HDLC
/// ("123456789" -> CBF43926, Greg Cook's CRC RevEng catalogue), the golden table of Go's
/// `hash/crc32` tests (IEEE column: "" to "abcdefghij", and two of its sentences), and the fox
/// (Wikipedia, "Cyclic redundancy check"). Each was checked against zlib's `crc32` (Python)
/// before it was written here. Inputs of many lengths: a table-driven CRC with a byte-order or
/// reflection bug can still get one-byte inputs right.
fn check_values(ctx: &Ctx) {
    check_eq!(ctx, crc32::checksum(b""), 0, "empty input");
    let golden: &[(u32, &[u8])] = &[
        (0xe8b7_be43, b"a"),
        (0x9e83_486d, b"ab"),
        (0x3524_41c2, b"abc"),
        (0xed82_cd11, b"abcd"),
        (0x8587_d865, b"abcde"),
        (0x4b8e_39ef, b"abcdef"),
        (0x312a_6aa6, b"abcdefg"),
        (0xaeef_2a50, b"abcdefgh"),
        (0x8da9_88af, b"abcdefghi"),
        (0x3981_703a, b"abcdefghij"),
        (0x6b9c_dfe7, b"Discard medicine more than two years old."),
        (
            0xc90e_f73f,
            b"He who has a shady past knows that nice guys finish last.",
        ),
    ];
    for &(want, input) in golden {
        check_eq!(
            ctx,
            crc32::checksum(input),
            want,
            "CRC-32 of {:?} ({} bytes)",
            core::str::from_utf8(input).unwrap_or("?"),
            input.len()
        );
        // The same through the streaming interface, one byte at a time.
        let mut c = Crc32::new();
        for b in input {
            c.update(core::slice::from_ref(b));
        }
        check_eq!(
            ctx,
            c.finish(),
            want,
            "streamed CRC-32 of {} bytes",
            input.len()
        );
    }
    check_eq!(
        ctx,
        crc32::checksum(b"123456789"),
        0xCBF4_3926,
        "the CRC-32 check value"
    );
    check_eq!(
        ctx,
        crc32::checksum(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339,
        "the fox"
    );
    check_eq!(
        ctx,
        crc32::checksum(&[0u8; 32]),
        0x190A_55AD,
        "32 zero bytes"
    );
    check_eq!(
        ctx,
        crc32::checksum(&[0xffu8; 32]),
        0xFF6C_AB0B,
        "32 0xff bytes"
    );
}

/// Random buffers in `reference`: 300 buffers of 0 to 1,999 bytes are about 300,000 bytes, so
/// each of the 256 entries of the byte-at-a-time table is indexed over 1,000 times, at every
/// position of short and long buffers alike.
const REFERENCE_BUFFERS: usize = 300;

fn reference(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    for i in 0..ctx.scaled(REFERENCE_BUFFERS) {
        let len = rng.index(2_000);
        let data = rng.bytes(len);
        check_eq!(
            ctx,
            crc32::checksum(&data),
            bitwise(&data),
            "random buffer #{i}, {} bytes",
            data.len()
        );
    }
}

/// Random buffers in `split`: each is cut into about 7 random pieces (a random length of the
/// rest each time), so 300 buffers give some 2,000 piece boundaries, pieces of 1 byte and of
/// nearly the whole buffer included.
const SPLIT_BUFFERS: usize = 300;

fn split(ctx: &Ctx) {
    let mut rng = ctx.rng(&[2]);
    for i in 0..ctx.scaled(SPLIT_BUFFERS) {
        let len = 1 + rng.index(1_000);
        let data = rng.bytes(len);
        let whole = crc32::checksum(&data);
        let mut c = Crc32::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = 1 + rng.index(rest.len());
            c.update(&rest[..n]);
            rest = &rest[n..];
        }
        check_eq!(ctx, c.finish(), whole, "buffer #{i} fed in random pieces");
    }
}

/// Random buffers in `single_bit_errors`, every bit of each flipped: 20 buffers of 1 to 200 bytes
/// are some 16,000 flips, every bit position of the first 100 bytes flipped in about 10 buffers.
const BIT_ERROR_BUFFERS: usize = 20;

fn single_bit_errors(ctx: &Ctx) {
    let mut rng = ctx.rng(&[3]);
    for i in 0..ctx.scaled(BIT_ERROR_BUFFERS) {
        let len = 1 + rng.index(200);
        let mut data = rng.bytes(len);
        let good = crc32::checksum(&data);
        for bit in 0..data.len() * 8 {
            data[bit / 8] ^= 1 << (bit % 8);
            let bad = crc32::checksum(&data);
            data[bit / 8] ^= 1 << (bit % 8);
            check!(
                ctx,
                bad != good,
                "flipping bit {bit} of buffer #{i} left the CRC at {good:#010x}"
            );
        }
    }
}
