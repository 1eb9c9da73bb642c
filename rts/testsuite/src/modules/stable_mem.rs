//! Stable memory: page growth and its limit, byte and word access against a plain byte-vector
//! model (including accesses across page boundaries), little-endian words, and out-of-bounds
//! accesses (also at the edge of 64-bit offsets) that fail cleanly and change nothing.

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use alloc::vec;
use alloc::vec::Vec;
use rts::stable_mem::{StableMemError, StableMemory, PAGE_SIZE};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![grow, page_limit, model, words_le, bounds];

fn grow(ctx: &Ctx) {
    let mut m = StableMemory::new(1000);
    check_eq!(ctx, m.size_pages(), 0, "a new memory is empty");
    check_eq!(ctx, m.grow(0), Ok(0), "growing by nothing");
    check_eq!(ctx, m.grow(3), Ok(0), "grow returns the old size");
    check_eq!(ctx, m.grow(5), Ok(3), "second grow returns the old size");
    check_eq!(ctx, m.size_pages(), 8, "pages after growth");
    check_eq!(ctx, m.size_bytes(), 8 * PAGE_SIZE, "bytes after growth");
    // Fresh pages read as zero, at their first and last bytes and a word spanning two pages.
    for p in 0..8 {
        check_eq!(
            ctx,
            m.read_u8(p * PAGE_SIZE),
            Ok(0),
            "first byte of page {p}"
        );
        check_eq!(
            ctx,
            m.read_u8((p + 1) * PAGE_SIZE - 1),
            Ok(0),
            "last byte of page {p}"
        );
    }
    check_eq!(
        ctx,
        m.write_u64(PAGE_SIZE - 3, u64::MAX),
        Ok(()),
        "word across a page boundary"
    );
    check_eq!(ctx, m.grow(1), Ok(8), "grow after writing");
    check_eq!(
        ctx,
        m.read_u64(PAGE_SIZE - 3),
        Ok(u64::MAX),
        "contents survive growth"
    );
    check_eq!(
        ctx,
        m.read_u64(8 * PAGE_SIZE),
        Ok(0),
        "the new page is zero"
    );
    // A large growth is page-granular: 800 pages (50 MiB) in one call.
    check_eq!(ctx, m.grow(800), Ok(9), "large growth");
    check_eq!(
        ctx,
        m.read_u32(809 * PAGE_SIZE - 4),
        Ok(0),
        "last word of a large growth"
    );
    check!(
        ctx,
        m.ensure_bytes(100).is_ok(),
        "ensure_bytes within the size"
    );
    check_eq!(
        ctx,
        m.size_pages(),
        809,
        "ensure_bytes does not shrink or grow needlessly"
    );
}

fn page_limit(ctx: &Ctx) {
    let mut m = StableMemory::new(4);
    check_eq!(ctx, m.grow(4), Ok(0), "growing to the limit");
    check_eq!(
        ctx,
        m.grow(1),
        Err(StableMemError::PageLimit {
            requested: 5,
            limit: 4
        }),
        "one page past the limit"
    );
    check_eq!(ctx, m.size_pages(), 4, "a failed grow changes nothing");
    check!(ctx, m.grow(u64::MAX).is_err(), "growing by u64::MAX pages");
    check_eq!(ctx, m.size_pages(), 4, "still 4 pages");
    let mut m = StableMemory::new(2);
    check_eq!(
        ctx,
        m.ensure_bytes(2 * PAGE_SIZE),
        Ok(()),
        "ensure exactly the limit"
    );
    check!(
        ctx,
        m.ensure_bytes(2 * PAGE_SIZE + 1).is_err(),
        "ensure one byte past the limit"
    );
    check_eq!(
        ctx,
        StableMemory::new(0).grow(1).is_err(),
        true,
        "a zero-page limit"
    );
}

/// Random operations of `model` on 3 pages (4 kinds; lengths under 40 bytes or, one in ten, up
/// to 1.5 pages): half start within 16 bytes of one of the 4 page boundaries (the end of memory
/// included), so 40,000 operations start some 5,000 times around each boundary, every offset
/// there about 150 times; the other half start anywhere.
const MODEL_OPS: usize = 40_000;

fn model(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    let pages = 3;
    let mut m = StableMemory::new(pages);
    m.grow(pages)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    let mut shadow = vec![0u8; (pages * PAGE_SIZE) as usize];
    let size = shadow.len() as u64;
    for i in 0..ctx.scaled(MODEL_OPS) {
        // Offsets biased towards page boundaries.
        let near = rng.below(pages + 1) * PAGE_SIZE;
        let off = if rng.chance(50) {
            near.saturating_sub(rng.below(16)) + rng.below(16)
        } else {
            rng.below(size)
        };
        let len = if rng.chance(10) {
            rng.below(3 * PAGE_SIZE / 2)
        } else {
            rng.below(40)
        };
        let in_bounds = off + len <= size;
        match rng.below(4) {
            0 => {
                let data = rng.bytes(len as usize);
                let got = m.write(off, &data);
                check_eq!(
                    ctx,
                    got.is_ok(),
                    in_bounds,
                    "op {i}: write {len} at {off}: {got:?}"
                );
                if in_bounds {
                    shadow[off as usize..(off + len) as usize].copy_from_slice(&data);
                }
            }
            1 => {
                let got = m.read_vec(off, len);
                if in_bounds {
                    let want = &shadow[off as usize..(off + len) as usize];
                    check!(
                        ctx,
                        got.as_deref() == Ok(want),
                        "op {i}: read {len} at {off}"
                    );
                } else {
                    check!(ctx, got.is_err(), "op {i}: read {len} at {off} past {size}");
                }
            }
            2 => {
                let v = rng.u64();
                let ok = off + 8 <= size;
                check_eq!(
                    ctx,
                    m.write_u64(off, v).is_ok(),
                    ok,
                    "op {i}: write_u64 at {off}"
                );
                if ok {
                    shadow[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
                }
            }
            _ => {
                let ok = off + 4 <= size;
                let got = m.read_u32(off);
                if ok {
                    let b = &shadow[off as usize..off as usize + 4];
                    let want = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    check_eq!(ctx, got, Ok(want), "op {i}: read_u32 at {off}");
                } else {
                    check!(ctx, got.is_err(), "op {i}: read_u32 at {off} past the end");
                }
            }
        }
    }
    let all = m
        .read_vec(0, size)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    check!(ctx, all == shadow, "whole memory agrees with the model");
}

/// Random round trips of `words_le` (u64, u32 and u8 at one random offset each): 1,000 offsets
/// give each of the 8 alignments about 125 times.
const WORD_ROUND_TRIPS: usize = 1_000;

fn words_le(ctx: &Ctx) {
    let mut m = StableMemory::new(1);
    m.grow(1).unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    check_eq!(ctx, m.write_u32(10, 0x1122_3344), Ok(()), "write_u32");
    let bytes = m.read_vec(10, 4).unwrap_or_default();
    check_eq!(
        ctx,
        bytes,
        vec![0x44, 0x33, 0x22, 0x11],
        "u32 is little endian"
    );
    check_eq!(
        ctx,
        m.write_u64(20, 0x0102_0304_0506_0708),
        Ok(()),
        "write_u64"
    );
    let bytes = m.read_vec(20, 8).unwrap_or_default();
    check_eq!(
        ctx,
        bytes,
        vec![8, 7, 6, 5, 4, 3, 2, 1],
        "u64 is little endian"
    );
    check_eq!(ctx, m.read_u32(20), Ok(0x0506_0708), "low half of a u64");
    check_eq!(ctx, m.read_u32(24), Ok(0x0102_0304), "high half of a u64");
    let mut rng = ctx.rng(&[2]);
    for _ in 0..ctx.scaled(WORD_ROUND_TRIPS) {
        let off = rng.below(PAGE_SIZE - 8);
        let v = rng.u64();
        let _ = m.write_u64(off, v);
        check_eq!(ctx, m.read_u64(off), Ok(v), "u64 round trip at {off}");
        let _ = m.write_u32(off, v as u32);
        check_eq!(
            ctx,
            m.read_u32(off),
            Ok(v as u32),
            "u32 round trip at {off}"
        );
        let _ = m.write_u8(off, v as u8);
        check_eq!(ctx, m.read_u8(off), Ok(v as u8), "u8 round trip at {off}");
    }
}

fn bounds(ctx: &Ctx) {
    let mut m = StableMemory::new(2);
    m.grow(1).unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    m.write(0, &[0xAB; 64])
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    let snapshot = m.read_vec(0, PAGE_SIZE).unwrap_or_default();
    let cases: &[(u64, u64)] = &[
        (PAGE_SIZE, 1),
        (PAGE_SIZE - 1, 2),
        (PAGE_SIZE + 1, 0),
        (u64::MAX, 1),
        (u64::MAX - 3, 8),
        (1 << 32, 4),
        (0, PAGE_SIZE + 1),
    ];
    for &(off, len) in cases {
        let want = StableMemError::OutOfBounds {
            offset: off,
            len,
            size: PAGE_SIZE,
        };
        check_eq!(ctx, m.read_vec(off, len), Err(want), "read {len} at {off}");
        let data = vec![0x55u8; (len as usize).min(PAGE_SIZE as usize + 1)];
        let got = m.write(off, &data);
        check!(
            ctx,
            got.is_err(),
            "write {} at {off} gave {got:?}",
            data.len()
        );
    }
    check!(
        ctx,
        m.read_u64(PAGE_SIZE - 7).is_err(),
        "u64 one byte past the end"
    );
    check!(
        ctx,
        m.write_u32(PAGE_SIZE - 3, 1).is_err(),
        "u32 one byte past the end"
    );
    check!(ctx, m.read_u8(u64::MAX).is_err(), "byte at u64::MAX");
    check_eq!(
        ctx,
        m.read_vec(PAGE_SIZE, 0),
        Ok(Vec::new()),
        "empty read at the end"
    );
    let after = m.read_vec(0, PAGE_SIZE).unwrap_or_default();
    check!(ctx, after == snapshot, "failed writes changed nothing");
}
