//! The persistence stream format: its exact layout for a small heap, the stream writer and
//! reader (round trips, bounds), rejection of every single-bit flip and every truncation of a
//! small stream (leaving the heap untouched), well-framed bodies with malformed content
//! (unknown kinds, dangling pointers, absurd counts, trailing bytes), random body mutations
//! that must never panic and never produce an ill-formed heap, and the stable-memory side
//! (save/load, too-small memories, page limits).

use crate::fixtures::{build, params, BumpHeap};
use crate::harness::{check, check_eq, tests, Ctx, SubTest};
use crate::model::{self, MObj, MVal, Model};
use alloc::vec;
use alloc::vec::Vec;
use rts::crc32;
use rts::gc::Collector;
use rts::leb128;
use rts::object::{self, Kind};
use rts::persistence::stream::{self, FormatError, Reader, Writer, MAGIC, VERSION};
use rts::persistence::{self, PersistError};
use rts::stable_mem::{StableMemError, StableMemory, PAGE_SIZE};
use rts::types::{Word, WORD_SIZE};

/// The sub-tests, in order, named after their functions (the only place the names are written).
pub const TESTS: &[SubTest] = tests![
    layout,
    reader_writer,
    bit_flips,
    truncations,
    malformed_bodies,
    mutated_bodies,
    stable_memory
];

/// A tiny heap, laid out in the order loading allocates (breadth first from the roots): an array
/// [scalar 5, ptr blob, ptr self] at 0, the bigint -(2^32 + 5) (limbs 5 and 1, a root of its
/// own) at 4, the blob "hey" after it; returns the words, the roots and the heap's end.
fn tiny_heap() -> (Vec<Word>, Vec<Word>, usize) {
    let mut w: Vec<Word> = vec![0; 16];
    let int_aux = object::bigint_aux(2, true);
    let blob = 4 + Kind::BigInt.size(int_aux);
    object::init_object(&mut w, 0, Kind::Array, 3);
    w[1] = object::scalar(5);
    w[2] = object::ptr(blob);
    w[3] = object::ptr(0);
    object::init_object(&mut w, 4, Kind::BigInt, int_aux);
    for (k, word) in object::pack_bytes(&[5, 0, 0, 0, 1, 0, 0, 0]).enumerate() {
        w[5 + k] = word;
    }
    object::init_object(&mut w, blob, Kind::Blob, 3);
    w[blob + 1] = Word::from_le_bytes({
        let mut b = [0u8; WORD_SIZE];
        b[..3].copy_from_slice(b"hey");
        b
    });
    let end = blob + Kind::Blob.size(3);
    (
        w,
        vec![object::ptr(0), object::scalar(7), object::ptr(4)],
        end,
    )
}

fn layout(ctx: &Ctx) {
    let (words, roots, end) = tiny_heap();
    let s =
        persistence::serialize(&words, &roots).unwrap_or_else(|e| ctx.fail(format_args!("{e:?}")));
    let body: Vec<u8> = vec![
        3, // objects
        3, 1, 14, 3, // roots: ptr #0 (0 << 1 | 1), scalar 7 (word 14), ptr #1
        1, 3, 10, 5, 1, // array, aux 3: scalar 5 (word 10), ptr #2, ptr #0
        8, 5, 5, 0, 0, 0, 1, 0, 0, 0, // bigint, aux 2 limbs << 1 | negative, the limbs' bytes
        3, 3, b'h', b'e', b'y', // blob, 3 bytes
    ];
    let mut want = MAGIC.to_vec();
    want.extend_from_slice(&VERSION.to_le_bytes());
    want.push(body.len() as u8);
    want.extend_from_slice(&body);
    let crc = crc32::checksum(&want);
    want.extend_from_slice(&crc.to_le_bytes());
    check_eq!(ctx, s, want, "stream of the tiny heap");
    check_eq!(
        ctx,
        stream::unframe(&s),
        Ok(&body[..]),
        "unframe gives the body"
    );
    check_eq!(
        ctx,
        stream::read_header(&s),
        Ok((7, body.len())),
        "header: 7 bytes, body length"
    );
    // And back.
    let mut heap = BumpHeap::new();
    let r =
        persistence::deserialize(&s, &mut heap).unwrap_or_else(|e| ctx.fail(format_args!("{e:?}")));
    check_eq!(ctx, r, roots, "roots after loading at address 0");
    check_eq!(
        ctx,
        heap.words()[..end].to_vec(),
        words[..end].to_vec(),
        "words after loading"
    );
    check_eq!(ctx, heap.heap.hp(), end, "exactly three objects allocated");
    // Unreachable objects and roots of garbage are not written; no roots gives an empty graph.
    let empty = persistence::serialize(&words, &[]).unwrap_or_default();
    check_eq!(ctx, stream::unframe(&empty), Ok(&[0u8, 0][..]), "no roots");
    // A root pointing at no object is refused when saving.
    let bad = persistence::serialize(&words, &[object::ptr(2)]);
    check!(
        ctx,
        matches!(bad, Err(PersistError::CorruptHeap(_))),
        "root into the middle of an object: {bad:?}"
    );
    let bad = persistence::serialize(&words, &[object::ptr(1_000)]);
    check!(
        ctx,
        matches!(bad, Err(PersistError::CorruptHeap(_))),
        "root beyond the heap: {bad:?}"
    );
}

/// Random items in `reader_writer`'s one stream: 2,000 give each of the 5 item kinds 400 times
/// (values of every width, blobs of every length 0 to 8), each kind after each other one about
/// 80 times.
const WRITER_ITEMS: usize = 2_000;

fn reader_writer(ctx: &Ctx) {
    let mut rng = ctx.rng(&[1]);
    let mut w = Writer::new();
    let mut items = Vec::new();
    for _ in 0..ctx.scaled(WRITER_ITEMS) {
        let k = rng.below(5);
        let v = rng.u64_any_width();
        match k {
            0 => w.u8(v as u8),
            1 => w.u16_le(v as u16),
            2 => w.u32_le(v as u32),
            3 => w.leb(v),
            _ => w.bytes(&v.to_le_bytes()[..(v % 9) as usize]),
        }
        items.push((k, v));
    }
    let bytes = w.into_bytes();
    let mut r = Reader::new(&bytes);
    for (i, &(k, v)) in items.iter().enumerate() {
        let ok = match k {
            0 => r.u8() == Ok(v as u8),
            1 => r.u16_le() == Ok(v as u16),
            2 => r.u32_le() == Ok(v as u32),
            3 => r.leb() == Ok(v),
            _ => r.bytes((v % 9) as usize) == Ok(&v.to_le_bytes()[..(v % 9) as usize]),
        };
        check!(ctx, ok, "item {i} (kind {k}, value {v:#x}) read back wrong");
    }
    check_eq!(ctx, r.finish(), Ok(()), "everything consumed");
    check_eq!(ctx, r.u8(), Err(FormatError::Truncated), "u8 past the end");
    check_eq!(
        ctx,
        r.bytes(1),
        Err(FormatError::Truncated),
        "bytes past the end"
    );
    let mut r = Reader::new(&[1, 2, 3]);
    check_eq!(
        ctx,
        r.u32_le(),
        Err(FormatError::Truncated),
        "u32 of 3 bytes"
    );
    check_eq!(ctx, r.position(), 0, "a failed read consumes nothing");
    check_eq!(
        ctx,
        r.bytes(usize::MAX),
        Err(FormatError::Truncated),
        "bytes(usize::MAX)"
    );
    check_eq!(ctx, r.u16_le(), Ok(0x0201), "u16 after failures");
    check_eq!(
        ctx,
        r.finish(),
        Err(FormatError::TrailingBytes),
        "one byte left"
    );
    let mut r = Reader::new(&[0xff; 11]);
    check_eq!(ctx, r.leb(), Err(FormatError::Overflow), "11-byte LEB128");
}

/// A small random heap's stream (a few hundred bytes).
fn small_stream(ctx: &Ctx, seed: u64) -> Vec<u8> {
    let mut rng = ctx.rng(&[2, seed]);
    let n = 12 + rng.index(10);
    let p = params(&mut rng, n);
    let m = model::random_model(&mut rng, &p);
    let (h, r) = build(ctx, &m, "small stream");
    persistence::serialize(h.words(), &r).unwrap_or_else(|e| ctx.fail(format_args!("{e:?}")))
}

/// Deserializes `bytes` into a fresh heap, which must be untouched when it fails.
fn try_load(ctx: &Ctx, bytes: &[u8], what: &str) -> Result<(BumpHeap, Vec<Word>), PersistError> {
    let mut heap = BumpHeap::new();
    match persistence::deserialize(bytes, &mut heap) {
        Ok(r) => Ok((heap, r)),
        Err(e) => {
            check_eq!(
                ctx,
                heap.heap.hp(),
                0,
                "{what}: a rejected stream allocated"
            );
            Err(e)
        }
    }
}

/// Random streams in `bit_flips` and `truncations`, each damaged at every bit or cut at every
/// byte: 4 streams of 12 to 21 objects, which between them hold every object kind (one stream of
/// 12 misses a given kind one time in 6) at varying offsets.
const DAMAGED_STREAMS: u64 = 4;

fn bit_flips(ctx: &Ctx) {
    for seed in 0..ctx.scaled_u64(DAMAGED_STREAMS) {
        let s = small_stream(ctx, seed);
        check!(
            ctx,
            try_load(ctx, &s, "intact").is_ok(),
            "the intact stream loads"
        );
        let mut m = s.clone();
        for bit in 0..8 * s.len() {
            m[bit / 8] ^= 1 << (bit % 8);
            let got = try_load(ctx, &m, "flipped");
            check!(
                ctx,
                got.is_err(),
                "stream {seed} ({} bytes) with bit {bit} flipped was accepted",
                s.len()
            );
            m[bit / 8] ^= 1 << (bit % 8);
        }
    }
}

fn truncations(ctx: &Ctx) {
    for seed in 0..ctx.scaled_u64(DAMAGED_STREAMS) {
        let s = small_stream(ctx, seed);
        for cut in 0..s.len() {
            let got = try_load(ctx, &s[..cut], "truncated").map(|_| ());
            check!(
                ctx,
                got.is_err(),
                "stream {seed} cut to {cut} of {} bytes accepted",
                s.len()
            );
        }
        let mut long = s.clone();
        long.push(0);
        let got = try_load(ctx, &long, "extended").map(|_| ());
        check_eq!(
            ctx,
            got,
            Err(PersistError::Format(FormatError::TrailingBytes)),
            "stream {seed} plus a byte"
        );
    }
}

fn leb(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    leb128::write_u64(&mut out, v);
    out
}

fn malformed_bodies(ctx: &Ctx) {
    let cat = |parts: &[&[u8]]| -> Vec<u8> { parts.concat() };
    let big = leb(u64::MAX);
    let too_big_aux = leb(object::MAX_AUX as u64 + 1);
    let cases: Vec<(Vec<u8>, PersistError)> = vec![
        (vec![], PersistError::Format(FormatError::Truncated)),
        (vec![1, 0], PersistError::Format(FormatError::Truncated)), // one object, no bytes for it
        (vec![1, 0, 0, 0], PersistError::BadKind(0)),
        (vec![1, 0, 9, 0], PersistError::BadKind(9)),
        (vec![1, 0, 15, 0], PersistError::BadKind(15)),
        (vec![1, 1, 3, 4, 0, 0], PersistError::BadPointer(1)), // root -> #1 of 1 object
        (vec![1, 1, 1, 1, 1, 7], PersistError::BadPointer(3)), // array field -> #3
        (
            vec![0, 0, 9],
            PersistError::Format(FormatError::TrailingBytes),
        ),
        (
            vec![1, 0, 3, 5, b'a'],
            PersistError::Format(FormatError::Truncated),
        ), // blob of 5 bytes, 1 there
        (
            vec![1, 0, 1, 200, 1, 0],
            PersistError::Format(FormatError::Truncated),
        ), // array of 200
        (cat(&[&[1, 0, 1], &too_big_aux]), PersistError::TooLarge),
        (
            cat(&[&big, &[0]]),
            PersistError::Format(FormatError::Truncated),
        ), // absurd object count
        (
            cat(&[&[0], &big]),
            PersistError::Format(FormatError::Truncated),
        ), // absurd root count
        (
            vec![
                0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            PersistError::Format(FormatError::Overflow),
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let got = try_load(ctx, &stream::frame(body), "malformed").map(|(_, r)| r);
        check_eq!(ctx, got, Err(*want), "malformed body #{i} {body:02x?}");
    }
    // Scalars and raw words that do not fit a 32-bit word are rejected there, kept on 64-bit.
    let wide = 1u64 << 40;
    for body in [
        cat(&[&[0, 1], &leb(wide)]),
        cat(&[&[1, 1, 1], &[6, 0], &leb(wide), &[0]]),
    ] {
        let got = try_load(ctx, &stream::frame(&body), "wide").map(|_| ());
        if WORD_SIZE == 4 {
            check_eq!(
                ctx,
                got,
                Err(PersistError::TooLarge),
                "wide value on a 32-bit target"
            );
        } else {
            check_eq!(ctx, got, Ok(()), "wide value on a 64-bit target");
        }
    }
    // A wrong version with a valid checksum.
    let mut s = stream::frame(&[0, 0]);
    s[4] = 2;
    let n = s.len();
    let crc = crc32::checksum(&s[..n - 4]);
    s[n - 4..].copy_from_slice(&crc.to_le_bytes());
    check_eq!(
        ctx,
        try_load(ctx, &s, "v2").map(|_| ()),
        Err(PersistError::Format(FormatError::BadVersion(2))),
        "version 2"
    );
    check_eq!(
        ctx,
        try_load(ctx, b"RTSX\x01\x00\x00", "magic").map(|_| ()),
        Err(PersistError::Format(FormatError::BadMagic)),
        "bad magic"
    );
    check_eq!(
        ctx,
        try_load(ctx, b"RT", "short").map(|_| ()),
        Err(PersistError::Format(FormatError::Truncated)),
        "2 bytes"
    );
}

/// Damaged bodies tried by `mutated_bodies`: 4,000 damage each of the 20 small streams 200
/// times, each of the 4 kinds of damage (bit flip, byte overwritten, removed, inserted) some 100
/// times per stream, and the share accepted is measured over thousands.
pub const MUTATED_BODIES: usize = 4_000;

fn mutated_bodies(ctx: &Ctx) {
    // Well-framed bodies with random damage: an error or a well-formed heap, never a panic.
    let mut rng = ctx.rng(&[3]);
    let mut accepted = 0;
    let bodies = ctx.scaled(MUTATED_BODIES);
    for i in 0..bodies {
        let s = small_stream(ctx, 100 + (i as u64 % 20));
        let mut body = stream::unframe(&s).unwrap_or_default().to_vec();
        for _ in 0..1 + rng.index(3) {
            let at = rng.index(body.len());
            match rng.below(4) {
                0 => body[at] ^= 1 << rng.below(8),
                1 => body[at] = rng.u64() as u8,
                2 => {
                    body.remove(at);
                }
                _ => body.insert(at, rng.u64() as u8),
            }
            if body.is_empty() {
                break;
            }
        }
        if let Ok((heap, roots)) = try_load(ctx, &stream::frame(&body), "mutated") {
            accepted += 1;
            if let Err(e) = heap.verify(&roots) {
                ctx.fail(format_args!(
                    "mutated body #{i} loaded into an ill-formed heap: {e}"
                ));
            }
            // An accepted body describes a graph; saving it again and loading gives the same one.
            let again = persistence::serialize(heap.words(), &roots)
                .unwrap_or_else(|e| ctx.fail(format_args!("#{i}: {e:?}")));
            check!(
                ctx,
                try_load(ctx, &again, "resaved").is_ok(),
                "mutated body #{i}: re-saved stream rejected"
            );
        }
    }
    // Most damage is detected (an accepted body is usually a changed scalar or raw word).
    check!(
        ctx,
        accepted < bodies / 10 * 6,
        "{accepted} of {bodies} damaged bodies accepted"
    );
}

fn stable_memory(ctx: &Ctx) {
    let m = Model {
        objects: vec![
            MObj {
                kind: Kind::Array,
                fields: vec![MVal::Ref(1), MVal::Ref(0)],
                bytes: 0,
            },
            MObj {
                kind: Kind::Blob,
                fields: vec![],
                bytes: 3 * WORD_SIZE + 1,
            },
        ],
        roots: vec![MVal::Ref(0), MVal::Ref(1)],
    };
    let (h, r) = build(ctx, &m, "stable");
    let mut stable = StableMemory::new(4);
    let n = persistence::save(&mut stable, h.words(), &r)
        .unwrap_or_else(|e| ctx.fail(format_args!("{e:?}")));
    check_eq!(ctx, stable.size_pages(), 1, "a small stream takes one page");
    check_eq!(
        ctx,
        stable.read_vec(0, 4),
        Ok(MAGIC.to_vec()),
        "magic at offset 0"
    );
    let mut fresh = BumpHeap::new();
    let roots =
        persistence::load(&stable, &mut fresh).unwrap_or_else(|e| ctx.fail(format_args!("{e:?}")));
    model::check(ctx, &m, &fresh, &roots, true, "loaded from stable memory");
    // Damage in stable memory is detected.
    let last = stable.read_u8(n - 1).unwrap_or(0);
    let _ = stable.write_u8(n - 1, last ^ 0x10);
    let got = persistence::load(&stable, &mut BumpHeap::new()).map(|_| ());
    check!(
        ctx,
        matches!(
            got,
            Err(PersistError::Format(FormatError::BadChecksum { .. }))
        ),
        "damaged checksum: {got:?}"
    );
    // An empty stable memory, and one holding zeros, hold no stream.
    let empty = StableMemory::new(1);
    let got = persistence::load(&empty, &mut BumpHeap::new()).map(|_| ());
    check_eq!(
        ctx,
        got,
        Err(PersistError::Format(FormatError::Truncated)),
        "empty stable memory"
    );
    let mut zeros = StableMemory::new(1);
    let _ = zeros.grow(1);
    let got = persistence::load(&zeros, &mut BumpHeap::new()).map(|_| ());
    check_eq!(
        ctx,
        got,
        Err(PersistError::Format(FormatError::BadMagic)),
        "zeroed stable memory"
    );
    // A header declaring more than the memory holds.
    let mut lying = StableMemory::new(1);
    let _ = lying.grow(1);
    let mut head = MAGIC.to_vec();
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&leb(PAGE_SIZE));
    let _ = lying.write(0, &head);
    let got = persistence::load(&lying, &mut BumpHeap::new()).map(|_| ());
    check_eq!(
        ctx,
        got,
        Err(PersistError::Format(FormatError::Truncated)),
        "length past the memory"
    );
    // A big graph does not fit a one-page limit.
    let mut objects = vec![MObj {
        kind: Kind::Array,
        fields: (1..=20).map(MVal::Ref).collect(),
        bytes: 0,
    }];
    objects.extend((0..20).map(|_| MObj {
        kind: Kind::Blob,
        fields: vec![],
        bytes: 4_000,
    }));
    let big = Model {
        objects,
        roots: vec![MVal::Ref(0)],
    };
    let (h, r) = build(ctx, &big, "big");
    let mut small = StableMemory::new(1);
    let got = persistence::save(&mut small, h.words(), &r);
    check!(
        ctx,
        matches!(
            got,
            Err(PersistError::StableMem(StableMemError::PageLimit { .. }))
        ),
        "80 KB in one page: {got:?}"
    );
    check_eq!(ctx, small.size_pages(), 0, "a failed save grows nothing");
}
