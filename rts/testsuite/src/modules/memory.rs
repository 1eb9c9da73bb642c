//! Memory and allocation: disjoint zeroed allocations whose contents survive growth, page-granular
//! amortized growth, clean failure at the limit, and heap sizing computed from live data.

use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use alloc::vec::Vec;
use rts::memory::{round_up_to_pages, BumpAllocator, HeapSizing, Memory, OutOfMemory, VecMemory};
use rts::types::{Word, WASM_PAGE_WORDS, WORD_SIZE};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    allocations_survive_growth,
    growth_is_amortized,
    limit,
    reset,
    page_rounding,
    sizing
];

fn pattern(alloc_no: usize, i: usize) -> Word {
    (alloc_no as Word).wrapping_mul(0x9E37_79B9) ^ (i as Word) ^ 0x5A5A
}

/// Heaps in `allocations_survive_growth`, each grown by 3,000 allocations (2% of them up to 3
/// pages, the rest under 64 words), which takes a heap to about 100 pages through 7 doublings of
/// its memory, each copying everything allocated so far: 3 heaps see those growths at different
/// moments and sizes of the allocation that triggers them.
pub const GROWTH_HEAPS: u64 = 3;

fn allocations_survive_growth(ctx: &Ctx) {
    for h in 0..ctx.scaled_u64(GROWTH_HEAPS) {
        survive_growth(ctx, h);
    }
}

fn survive_growth(ctx: &Ctx, h: u64) {
    let mut rng = ctx.rng(&[1, h]);
    let mut heap = BumpAllocator::new(VecMemory::unlimited());
    let mut allocs: Vec<(usize, usize)> = Vec::new();
    for no in 0..3_000 {
        let n = if rng.chance(2) {
            rng.index(3 * WASM_PAGE_WORDS)
        } else {
            rng.index(64)
        };
        let before = heap.hp();
        let a = heap
            .alloc(n)
            .unwrap_or_else(|e| ctx.fail(format_args!("alloc({n}): {e}")));
        check_eq!(
            ctx,
            a,
            before,
            "heap {h}: allocation {no} starts at the old heap pointer"
        );
        check_eq!(
            ctx,
            heap.hp(),
            before + n,
            "heap {h}: allocation {no} of {n} words moves hp"
        );
        check!(
            ctx,
            heap.memory().len() >= heap.hp(),
            "hp {} beyond memory {}",
            heap.hp(),
            heap.memory().len()
        );
        let words = &mut heap.memory_mut().words_mut()[a..a + n];
        check!(
            ctx,
            words.iter().all(|&w| w == 0),
            "heap {h}: allocation {no} at {a} not zeroed"
        );
        for (i, w) in words.iter_mut().enumerate() {
            *w = pattern(no, i);
        }
        allocs.push((a, n));
    }
    for (no, &(a, n)) in allocs.iter().enumerate() {
        let words = &heap.memory().words()[a..a + n];
        for (i, &w) in words.iter().enumerate() {
            check_eq!(
                ctx,
                w,
                pattern(no, i),
                "heap {h}: word {i} of allocation {no} at {a} after growth"
            );
        }
    }
}

/// Pages that `growth_is_amortized` fills with 7-word allocations (a power of two).
pub const GROWTH_PAGES: usize = 1024;

fn growth_is_amortized(ctx: &Ctx) {
    let mut heap = BumpAllocator::new(VecMemory::unlimited());
    let mut grows = 0;
    let mut last_len = 0;
    let total = GROWTH_PAGES * WASM_PAGE_WORDS;
    while heap.hp() < total {
        heap.alloc(7)
            .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
        let len = heap.memory().len();
        if len != last_len {
            check_eq!(
                ctx,
                len % WASM_PAGE_WORDS,
                0,
                "memory length is whole pages"
            );
            grows += 1;
            last_len = len;
        }
    }
    // Doubling from one page to 2^k pages takes k + 1 growth steps.
    let doublings = GROWTH_PAGES.trailing_zeros() as usize + 1;
    check!(
        ctx,
        grows <= doublings + 1,
        "{grows} growth steps to reach {GROWTH_PAGES} pages; expected doubling"
    );
}

fn limit(ctx: &Ctx) {
    let limit = 2 * WASM_PAGE_WORDS + 10;
    let mut heap = BumpAllocator::new(VecMemory::with_limit(limit));
    let a = heap
        .alloc(WASM_PAGE_WORDS)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    check_eq!(ctx, a, 0, "first allocation");
    let hp = heap.hp();
    let err = heap.alloc(limit);
    check_eq!(
        ctx,
        err,
        Err(OutOfMemory {
            requested: limit * WORD_SIZE,
            available: (limit - hp) * WORD_SIZE
        }),
        "allocation past the limit"
    );
    check_eq!(ctx, heap.hp(), hp, "a failed allocation leaves hp alone");
    let err = heap.alloc(usize::MAX);
    check!(
        ctx,
        err.is_err(),
        "alloc(usize::MAX) must fail, gave {err:?}"
    );
    // Up to the limit exactly still works.
    let rest = limit - heap.hp();
    check!(
        ctx,
        heap.alloc(rest).is_ok(),
        "allocating the last {rest} words"
    );
    check_eq!(
        ctx,
        heap.memory().len(),
        limit,
        "memory grown to exactly the limit"
    );
    check!(ctx, heap.alloc(1).is_err(), "one word past a full memory");
}

fn reset(ctx: &Ctx) {
    let mut heap = BumpAllocator::new(VecMemory::unlimited());
    let a = heap
        .alloc(100)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    heap.memory_mut().words_mut()[a..a + 100].fill(7);
    heap.reset_to(40);
    check_eq!(ctx, heap.hp(), 40, "hp after reset");
    check!(
        ctx,
        heap.memory().words()[40..100].iter().all(|&w| w == 0),
        "freed words zeroed"
    );
    check!(
        ctx,
        heap.memory().words()[..40].iter().all(|&w| w == 7),
        "kept words untouched"
    );
    let b = heap
        .alloc(60)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e}")));
    check_eq!(ctx, b, 40, "allocation after reset reuses the space");
}

fn page_rounding(ctx: &Ctx) {
    check_eq!(ctx, round_up_to_pages(0), 0, "zero words");
    check_eq!(ctx, round_up_to_pages(1), WASM_PAGE_WORDS, "one word");
    check_eq!(
        ctx,
        round_up_to_pages(WASM_PAGE_WORDS),
        WASM_PAGE_WORDS,
        "one page"
    );
    check_eq!(
        ctx,
        round_up_to_pages(WASM_PAGE_WORDS + 1),
        2 * WASM_PAGE_WORDS,
        "a page and a word"
    );
    let top = round_up_to_pages(usize::MAX);
    check!(
        ctx,
        top % WASM_PAGE_WORDS == 0 && top > usize::MAX - WASM_PAGE_WORDS,
        "saturates: {top}"
    );
}

/// Random cases of `sizing`'s properties: 10,000 give each of the 64 growth ratios (numerator
/// and denominator 1 to 8 above it) about 150 times, live sizes of every width, and the
/// overflowing multiplications (live sizes of 61 bits and more) hundreds of times.
const SIZING_CASES: usize = 10_000;

fn sizing(ctx: &Ctx) {
    let s = HeapSizing {
        min_words: 1_000,
        growth_num: 2,
        growth_den: 1,
    };
    check_eq!(
        ctx,
        s.next_threshold(0),
        1_000,
        "empty heap gets the minimum"
    );
    check_eq!(
        ctx,
        s.next_threshold(400),
        1_000,
        "small heap gets the minimum"
    );
    check_eq!(
        ctx,
        s.next_threshold(5_000),
        10_000,
        "threshold doubles live data"
    );
    check_eq!(
        ctx,
        s.next_threshold(usize::MAX / 2 + 7),
        usize::MAX,
        "saturates"
    );
    let s = HeapSizing {
        min_words: 0,
        growth_num: 3,
        growth_den: 2,
    };
    check_eq!(ctx, s.next_threshold(1_000), 1_500, "factor 3/2");
    check_eq!(
        ctx,
        s.next_threshold(usize::MAX),
        usize::MAX,
        "never below live data"
    );
    check_eq!(
        ctx,
        s.next_threshold(usize::MAX / 3 * 2),
        usize::MAX / 3 * 2 / 2 * 3,
        "3/2 without overflow"
    );
    let mut rng = ctx.rng(&[5]);
    for _ in 0..ctx.scaled(SIZING_CASES) {
        let den = 1 + rng.index(8);
        let s = HeapSizing {
            min_words: rng.index(1 << 20),
            growth_num: den + rng.index(8),
            growth_den: den,
        };
        let a = rng.u64_any_width() as usize;
        let b = rng.u64_any_width() as usize;
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let (tl, th) = (s.next_threshold(lo), s.next_threshold(hi));
        check!(
            ctx,
            tl >= lo && tl >= s.min_words,
            "{s:?}: threshold {tl} below live {lo} or minimum"
        );
        check!(
            ctx,
            tl <= th,
            "{s:?}: not monotone, t({lo}) = {tl} > t({hi}) = {th}"
        );
        if let Some(exact) = lo.checked_mul(s.growth_num) {
            check_eq!(
                ctx,
                tl,
                (exact / s.growth_den).max(s.min_words).max(lo),
                "{s:?} at {lo}"
            );
        }
    }
    check_eq!(
        ctx,
        HeapSizing::default().to_space_words(123),
        123,
        "to-space holds everything"
    );
}
