//! Machine words and sizes.
//!
//! A [`Word`] is the target's pointer-sized integer: 4 bytes on wasm32, 8 bytes on wasm64 and on
//! 64-bit hosts. All heap sizes in the RTS are counted in words unless a name says bytes.

/// One heap word.
pub type Word = usize;

/// Bytes per heap word.
pub const WORD_SIZE: usize = core::mem::size_of::<Word>();

/// Bits per heap word.
pub const WORD_BITS: u32 = Word::BITS;

/// Size of a WebAssembly page in bytes; linear memory grows by whole pages.
pub const WASM_PAGE_SIZE: usize = 65536;

/// Size of a WebAssembly page in words.
pub const WASM_PAGE_WORDS: usize = WASM_PAGE_SIZE / WORD_SIZE;

const _: () = assert!(WORD_SIZE == 4 || WORD_SIZE == 8);
const _: () = assert!(WASM_PAGE_SIZE % WORD_SIZE == 0);
#[cfg(target_arch = "wasm32")]
const _: () = assert!(WORD_SIZE == 4);
#[cfg(target_arch = "wasm64")]
const _: () = assert!(WORD_SIZE == 8);

/// Words needed to hold `bytes` bytes.
pub const fn words_for_bytes(bytes: usize) -> usize {
    bytes.div_ceil(WORD_SIZE)
}
