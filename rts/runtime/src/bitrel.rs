//! A bit relation over two type tables, to memoise a co/contra-variant subtype check.
//!
//! A subtype check between the types of table 1 (`n1` entries) and table 2 (`n2` entries)
//! recurses through pairs of types in both directions: *co* pairs `(i, j)` (`i < n1`, `j < n2`:
//! is type `i` of table 1 a subtype of type `j` of table 2?) and *contra* pairs `(j, i)` (`j < n2`,
//! `i < n1`: the other way round, for argument positions). For every pair and direction the
//! relation keeps two bits: *visited* (the check has started on this pair, so a cycle through it
//! may assume it holds) and *disproved* (the pair is known not to be related). A fresh relation
//! ([`BitRel::init`]) has every pair unvisited and related; [`BitRel::visit`] and
//! [`BitRel::disprove`] only set bits, [`BitRel::assume`] clears the disproved bit again.
//!
//! Layout. The bits live in a slice of words that the caller provides ([`words`] gives the
//! needed length for `W`, the word type), so a runtime can put the relation wherever scratch
//! memory is (no allocation here). Pairs are numbered co first, then contra:
//! - co `(i, j)` is pair `i * n2 + j`;
//! - contra `(j, i)` is pair `n1 * n2 + j * n1 + i`;
//!
//! and pair `k` has its visited bit at bit `2k` and its disproved bit at bit `2k + 1` of the
//! slice, bit `b` being bit `b % W::BITS` (least significant first) of word `b / W::BITS`. So
//! the relation uses the first `4 * n1 * n2` bits. Words beyond [`words`] are never read or
//! written; the unused rest of the last word is never read, and written only by `init`.
//!
//! Invariants: every operation but `init` changes at most one bit, the bit of its pair and
//! direction, leaving every other bit of the slice as it was; `init` zeroes exactly the first
//! [`words`] words (the used ones: `4 * n1 * n2` bits, rounded up). An index out of range
//! (`i >= n1` or `j >= n2`) panics with a message naming the direction, the pair and the sizes,
//! in every build (with a flat bit index it could otherwise land silently on another pair); a
//! slice shorter than [`words`] panics at [`BitRel::new`].

use crate::types::Word;

/// A word type the relation can store its bits in.
pub trait RelWord: Copy {
    /// Bits per word.
    const BITS: usize;
    /// Whether bit `b` (`b < BITS`) is set.
    fn bit(self, b: usize) -> bool;
    /// `self` with bit `b` set to `v`.
    fn with_bit(self, b: usize, v: bool) -> Self;
    /// The all-zero word.
    const ZERO: Self;
}

macro_rules! rel_word {
    ($($t:ty),*) => {$(
        impl RelWord for $t {
            const BITS: usize = <$t>::BITS as usize;
            const ZERO: Self = 0;
            fn bit(self, b: usize) -> bool {
                (self >> b) & 1 != 0
            }
            fn with_bit(self, b: usize, v: bool) -> Self {
                if v {
                    self | (1 << b)
                } else {
                    self & !(1 << b)
                }
            }
        }
    )*};
}

rel_word!(u8, u32, u64, usize);

/// The direction of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variance {
    /// `(i, j)`: `i < n1` indexes table 1, `j < n2` table 2.
    Co,
    /// `(j, i)`: `j < n2` indexes table 2, `i < n1` table 1.
    Contra,
}

/// Bits per pair and direction (visited, disproved).
pub const BITS_PER_PAIR: usize = 2;

/// Words of type `W` that a relation over tables of `n1` and `n2` types needs.
pub const fn words_for<W: RelWord>(n1: usize, n2: usize) -> usize {
    (2 * n1 * n2 * BITS_PER_PAIR).div_ceil(W::BITS)
}

/// Machine words ([`Word`]) that a relation over tables of `n1` and `n2` types needs.
pub const fn words(n1: usize, n2: usize) -> usize {
    words_for::<Word>(n1, n2)
}

/// A bit relation over tables of `n1` and `n2` types, in caller-provided words.
#[derive(Debug)]
pub struct BitRel<'a, W: RelWord = Word> {
    bits: &'a mut [W],
    n1: usize,
    n2: usize,
}

#[cold]
#[track_caller]
fn out_of_range(v: Variance, a: usize, b: usize, n1: usize, n2: usize) -> ! {
    panic!("bitrel: {v:?} pair ({a}, {b}) out of range for tables of {n1} and {n2} types")
}

impl<'a, W: RelWord> BitRel<'a, W> {
    /// A relation over tables of `n1` and `n2` types in `bits`, which must hold at least
    /// [`words_for`]`::<W>(n1, n2)` words. The contents are not changed: call [`Self::init`]
    /// before the first check.
    #[track_caller]
    pub fn new(bits: &'a mut [W], n1: usize, n2: usize) -> Self {
        let need = words_for::<W>(n1, n2);
        assert!(
            bits.len() >= need,
            "bitrel: {} words for tables of {n1} and {n2} types, which need {need}",
            bits.len()
        );
        BitRel { bits, n1, n2 }
    }

    /// The table sizes `(n1, n2)`.
    pub fn sizes(&self) -> (usize, usize) {
        (self.n1, self.n2)
    }

    /// The whole slice the relation was given (for inspection of the layout).
    pub fn as_words(&self) -> &[W] {
        self.bits
    }

    /// Every pair in both directions unvisited and related (the used words zeroed).
    pub fn init(&mut self) {
        let n = words_for::<W>(self.n1, self.n2);
        self.bits[..n].fill(W::ZERO);
    }

    /// The pair number of `(a, b)` in direction `v` (see the module doc).
    #[track_caller]
    fn pair(&self, v: Variance, a: usize, b: usize) -> usize {
        let (lim_a, lim_b, base) = match v {
            Variance::Co => (self.n1, self.n2, 0),
            Variance::Contra => (self.n2, self.n1, self.n1 * self.n2),
        };
        debug_assert!(
            a < lim_a && b < lim_b,
            "bitrel: {v:?} pair ({a}, {b}) out of range for tables of {} and {} types",
            self.n1,
            self.n2
        );
        if a >= lim_a || b >= lim_b {
            out_of_range(v, a, b, self.n1, self.n2)
        }
        base + a * lim_b + b
    }

    #[track_caller]
    fn get(&self, v: Variance, a: usize, b: usize, which: usize) -> bool {
        let bit = self.pair(v, a, b) * BITS_PER_PAIR + which;
        debug_assert!(bit < 4 * self.n1 * self.n2);
        self.bits[bit / W::BITS].bit(bit % W::BITS)
    }

    #[track_caller]
    fn put(&mut self, v: Variance, a: usize, b: usize, which: usize, value: bool) {
        let bit = self.pair(v, a, b) * BITS_PER_PAIR + which;
        debug_assert!(bit < 4 * self.n1 * self.n2);
        let w = &mut self.bits[bit / W::BITS];
        *w = w.with_bit(bit % W::BITS, value);
    }

    /// Marks the pair visited.
    #[track_caller]
    pub fn visit(&mut self, v: Variance, a: usize, b: usize) {
        self.put(v, a, b, 0, true)
    }

    /// Whether the pair has been visited since [`Self::init`].
    #[track_caller]
    pub fn visited(&self, v: Variance, a: usize, b: usize) -> bool {
        self.get(v, a, b, 0)
    }

    /// Assumes the pair related again (clears its disproved bit).
    #[track_caller]
    pub fn assume(&mut self, v: Variance, a: usize, b: usize) {
        self.put(v, a, b, 1, false)
    }

    /// Records that the pair is not related.
    #[track_caller]
    pub fn disprove(&mut self, v: Variance, a: usize, b: usize) {
        self.put(v, a, b, 1, true)
    }

    /// Whether the pair is (still assumed) related.
    #[track_caller]
    pub fn related(&self, v: Variance, a: usize, b: usize) -> bool {
        !self.get(v, a, b, 1)
    }
}
