//! Stable memory: a byte-addressed memory that outlives upgrades, addressed by 64-bit offsets.
//!
//! It is an array of 64 KiB pages, each allocated zeroed on growth, so growing by `n` pages costs
//! `n` page allocations (never a byte-by-byte loop) and never moves existing pages. Invariants:
//! - `pages.len() == size_pages() <= max_pages`, and every page is exactly [`PAGE_SIZE`] bytes;
//! - bytes never written read as zero;
//! - an access `[offset, offset + len)` succeeds only if `offset + len <= size_bytes()` (computed
//!   without overflow); otherwise it fails with [`StableMemError::OutOfBounds`] and changes
//!   nothing. Words are little endian.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

/// Bytes per stable memory page.
pub const PAGE_SIZE: u64 = 65536;

/// Why a stable memory operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StableMemError {
    /// The access `[offset, offset + len)` is not inside the memory of `size` bytes.
    OutOfBounds {
        /// First byte accessed.
        offset: u64,
        /// Bytes accessed.
        len: u64,
        /// Size of the memory in bytes.
        size: u64,
    },
    /// Growing to `requested` pages would pass the limit of `limit` pages.
    PageLimit {
        /// Pages the memory would have had.
        requested: u64,
        /// The most pages allowed.
        limit: u64,
    },
    /// The host could not allocate the pages.
    OutOfMemory,
}

impl core::fmt::Display for StableMemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            StableMemError::OutOfBounds { offset, len, size } => write!(
                f,
                "stable memory access of {len} bytes at {offset} out of bounds (size {size})"
            ),
            StableMemError::PageLimit { requested, limit } => {
                write!(
                    f,
                    "stable memory grow to {requested} pages past limit {limit}"
                )
            }
            StableMemError::OutOfMemory => f.write_str("stable memory: host out of memory"),
        }
    }
}

/// A growable stable memory with a page limit.
#[derive(Debug, Clone)]
pub struct StableMemory {
    pages: Vec<Box<[u8]>>,
    max_pages: u64,
}

impl StableMemory {
    /// An empty memory that may grow to `max_pages` pages.
    pub fn new(max_pages: u64) -> Self {
        StableMemory {
            pages: Vec::new(),
            max_pages,
        }
    }

    /// The page limit.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Current size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_pages() * PAGE_SIZE
    }

    /// Adds `delta` zeroed pages; returns the previous size in pages. Fails, changing nothing,
    /// past the limit.
    pub fn grow(&mut self, delta: u64) -> Result<u64, StableMemError> {
        let old = self.size_pages();
        let requested = old.checked_add(delta).ok_or(StableMemError::PageLimit {
            requested: u64::MAX,
            limit: self.max_pages,
        })?;
        if requested > self.max_pages {
            return Err(StableMemError::PageLimit {
                requested,
                limit: self.max_pages,
            });
        }
        let delta = usize::try_from(delta).map_err(|_| StableMemError::OutOfMemory)?;
        self.pages
            .try_reserve(delta)
            .map_err(|_| StableMemError::OutOfMemory)?;
        for _ in 0..delta {
            self.pages
                .push(vec![0u8; PAGE_SIZE as usize].into_boxed_slice());
        }
        Ok(old)
    }

    /// Grows, if needed, so that `bytes` bytes are addressable.
    pub fn ensure_bytes(&mut self, bytes: u64) -> Result<(), StableMemError> {
        let pages = bytes.div_ceil(PAGE_SIZE);
        if pages > self.size_pages() {
            self.grow(pages - self.size_pages())?;
        }
        Ok(())
    }

    fn check(&self, offset: u64, len: u64) -> Result<(), StableMemError> {
        let size = self.size_bytes();
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(()),
            _ => Err(StableMemError::OutOfBounds { offset, len, size }),
        }
    }

    /// Copies `buf.len()` bytes starting at `offset` into `buf`.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), StableMemError> {
        self.check(offset, buf.len() as u64)?;
        let mut pos = offset;
        let mut done = 0;
        while done < buf.len() {
            let page = (pos / PAGE_SIZE) as usize;
            let in_page = (pos % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - in_page).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&self.pages[page][in_page..in_page + n]);
            done += n;
            pos += n as u64;
        }
        Ok(())
    }

    /// Copies `data` into the memory starting at `offset`.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), StableMemError> {
        self.check(offset, data.len() as u64)?;
        let mut pos = offset;
        let mut done = 0;
        while done < data.len() {
            let page = (pos / PAGE_SIZE) as usize;
            let in_page = (pos % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - in_page).min(data.len() - done);
            self.pages[page][in_page..in_page + n].copy_from_slice(&data[done..done + n]);
            done += n;
            pos += n as u64;
        }
        Ok(())
    }

    /// Reads `len` bytes at `offset` into a new vector.
    pub fn read_vec(&self, offset: u64, len: u64) -> Result<Vec<u8>, StableMemError> {
        self.check(offset, len)?;
        let mut v = vec![0u8; len as usize];
        self.read(offset, &mut v)?;
        Ok(v)
    }

    /// Reads one byte.
    pub fn read_u8(&self, offset: u64) -> Result<u8, StableMemError> {
        let mut b = [0u8; 1];
        self.read(offset, &mut b)?;
        Ok(b[0])
    }

    /// Writes one byte.
    pub fn write_u8(&mut self, offset: u64, value: u8) -> Result<(), StableMemError> {
        self.write(offset, &[value])
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, offset: u64) -> Result<u32, StableMemError> {
        let mut b = [0u8; 4];
        self.read(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, offset: u64, value: u32) -> Result<(), StableMemError> {
        self.write(offset, &value.to_le_bytes())
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, offset: u64) -> Result<u64, StableMemError> {
        let mut b = [0u8; 8];
        self.read(offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, offset: u64, value: u64) -> Result<(), StableMemError> {
        self.write(offset, &value.to_le_bytes())
    }
}
