//! Text: immutable UTF-8 strings as ropes.
//!
//! A [`Text`] is a shared node: a *blob* (validated UTF-8 bytes) or a *concatenation* of two
//! texts. Concatenation is O(1) except that small results (at most [`FLATTEN_BYTES`] bytes) and
//! results deeper than [`MAX_DEPTH`] are flattened into one blob, so the depth of every rope is
//! bounded and the recursive operations (slicing) cannot exhaust the stack. Invariants:
//! - every blob holds well-formed UTF-8 (checked by [`utf8`] on entry, preserved by slicing at
//!   code point boundaries);
//! - every node caches its length in bytes and in code points, and its depth (blob = 0);
//! - `depth <= MAX_DEPTH`.
//!
//! These ropes are the safe-Rust form (and the tests' oracle); [`heap`] keeps texts on the
//! collected heap, as blobs and concatenation nodes.
//!
//! Iteration walks the leaves left to right with an explicit stack. Comparison is lexicographic
//! by bytes, which for UTF-8 is the same as by code points. Slicing is by code point index and
//! shares whole subtrees inside the range.

pub mod heap;
pub mod utf8;

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cmp::Ordering;

pub use utf8::{Utf8Error, Utf8ErrorKind};

/// Concatenations of at most this many bytes are copied into one blob.
pub const FLATTEN_BYTES: usize = 32;

/// Ropes deeper than this are flattened.
pub const MAX_DEPTH: u32 = 48;

#[derive(Debug)]
enum Node {
    Blob {
        bytes: Box<[u8]>,
        chars: usize,
    },
    Concat {
        left: Text,
        right: Text,
        bytes: usize,
        chars: usize,
        depth: u32,
    },
}

/// An immutable text; cloning shares it.
#[derive(Debug, Clone)]
pub struct Text(Rc<Node>);

fn count_chars(s: &str) -> usize {
    s.chars().count()
}

impl Text {
    /// The empty text.
    pub fn empty() -> Text {
        Text::from_str_slice("")
    }

    /// A text holding a copy of `s`.
    pub fn from_str_slice(s: &str) -> Text {
        Text(Rc::new(Node::Blob {
            bytes: s.as_bytes().into(),
            chars: count_chars(s),
        }))
    }

    /// A text from bytes, which must be well-formed UTF-8.
    pub fn from_utf8(bytes: &[u8]) -> Result<Text, Utf8Error> {
        Ok(Text::from_str_slice(utf8::to_str(bytes)?))
    }

    /// Length in bytes.
    pub fn len_bytes(&self) -> usize {
        match &*self.0 {
            Node::Blob { bytes, .. } => bytes.len(),
            Node::Concat { bytes, .. } => *bytes,
        }
    }

    /// Length in code points.
    pub fn len_chars(&self) -> usize {
        match &*self.0 {
            Node::Blob { chars, .. } | Node::Concat { chars, .. } => *chars,
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len_bytes() == 0
    }

    /// Depth of the rope (a blob has depth 0).
    pub fn depth(&self) -> u32 {
        match &*self.0 {
            Node::Blob { .. } => 0,
            Node::Concat { depth, .. } => *depth,
        }
    }

    /// `self` followed by `other`.
    pub fn concat(&self, other: &Text) -> Text {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        let bytes = self.len_bytes() + other.len_bytes();
        let depth = 1 + self.depth().max(other.depth());
        if bytes <= FLATTEN_BYTES || depth > MAX_DEPTH {
            let mut v = Vec::with_capacity(bytes);
            self.write_bytes(&mut v);
            other.write_bytes(&mut v);
            return Text(Rc::new(Node::Blob {
                bytes: v.into_boxed_slice(),
                chars: self.len_chars() + other.len_chars(),
            }));
        }
        Text(Rc::new(Node::Concat {
            left: self.clone(),
            right: other.clone(),
            bytes,
            chars: self.len_chars() + other.len_chars(),
            depth,
        }))
    }

    /// The blobs of the rope, left to right.
    pub fn leaves(&self) -> Leaves<'_> {
        Leaves {
            stack: alloc::vec![self],
        }
    }

    /// The code points, in order.
    pub fn chars(&self) -> Chars<'_> {
        Chars {
            leaves: self.leaves(),
            current: &[],
        }
    }

    /// Appends the bytes to `out`.
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        for leaf in self.leaves() {
            out.extend_from_slice(leaf);
        }
    }

    /// The bytes as one vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len_bytes());
        self.write_bytes(&mut v);
        v
    }

    /// The code points `start..end`, or `None` unless `start <= end <= len_chars()`.
    pub fn slice(&self, start: usize, end: usize) -> Option<Text> {
        if start > end || end > self.len_chars() {
            return None;
        }
        Some(self.slice_in(start, end))
    }

    fn slice_in(&self, start: usize, end: usize) -> Text {
        if start == 0 && end == self.len_chars() {
            return self.clone();
        }
        match &*self.0 {
            Node::Blob { bytes, .. } => {
                // SAFETY: blobs hold only validated UTF-8 (module invariant).
                let s = unsafe { core::str::from_utf8_unchecked(bytes) };
                let mut idx = s.char_indices().map(|(i, _)| i).chain(Some(s.len()));
                let b0 = idx.nth(start).unwrap_or(s.len());
                let b1 = if end == start {
                    b0
                } else {
                    idx.nth(end - start - 1).unwrap_or(s.len())
                };
                Text::from_str_slice(&s[b0..b1])
            }
            Node::Concat { left, right, .. } => {
                let split = left.len_chars();
                if end <= split {
                    left.slice_in(start, end)
                } else if start >= split {
                    right.slice_in(start - split, end - split)
                } else {
                    left.slice_in(start, split)
                        .concat(&right.slice_in(0, end - split))
                }
            }
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.len_bytes() == other.len_bytes() && self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    /// Lexicographic by bytes, equivalently by code points.
    fn cmp(&self, other: &Text) -> Ordering {
        let (mut a, mut b) = (self.leaves(), other.leaves());
        let (mut sa, mut sb): (&[u8], &[u8]) = (&[], &[]);
        loop {
            while sa.is_empty() {
                match a.next() {
                    Some(l) => sa = l,
                    None => break,
                }
            }
            while sb.is_empty() {
                match b.next() {
                    Some(l) => sb = l,
                    None => break,
                }
            }
            match (sa.is_empty(), sb.is_empty()) {
                (true, true) => return Ordering::Equal,
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                (false, false) => {}
            }
            let n = sa.len().min(sb.len());
            match sa[..n].cmp(&sb[..n]) {
                Ordering::Equal => {}
                o => return o,
            }
            sa = &sa[n..];
            sb = &sb[n..];
        }
    }
}

/// Iterator over the blobs of a rope.
pub struct Leaves<'a> {
    stack: Vec<&'a Text>,
}

impl<'a> Iterator for Leaves<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while let Some(t) = self.stack.pop() {
            match &*t.0 {
                Node::Blob { bytes, .. } => return Some(bytes),
                Node::Concat { left, right, .. } => {
                    self.stack.push(right);
                    self.stack.push(left);
                }
            }
        }
        None
    }
}

/// Iterator over the code points of a rope.
pub struct Chars<'a> {
    leaves: Leaves<'a>,
    current: &'a [u8],
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        while self.current.is_empty() {
            self.current = self.leaves.next()?;
        }
        // Blobs are whole code points, so a code point never spans two leaves.
        match utf8::decode(self.current) {
            Ok((c, n)) => {
                self.current = &self.current[n..];
                Some(c)
            }
            Err(_) => {
                debug_assert!(false, "blob holds invalid UTF-8");
                None
            }
        }
    }
}
