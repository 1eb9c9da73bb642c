//! A safe-Rust model of a heap, to check collectors (and anything else that produces a heap, such
//! as deserialization) against.
//!
//! A [`Model`] is a list of objects ([`MObj`]: kind, fields, blob length), indexed by [`ObjId`],
//! plus roots. Object 0 is the continuation table (an array referenced by root 0). Each object's
//! identity is stored inside its heap copy (see [`layout`]), so the checker recognises objects
//! wherever a collector moved them.
//!
//! Reusable entry points:
//! - [`random_model`]`(rng, &params)` and [`build_heap`]`(&model, gc)`, or both at once with
//!   [`build_random_heap`]`(rng, &params, gc) -> (Model, roots)`.
//! - [`check`]`(ctx, &model, gc, &roots, exact, what)`: the whole check (graph, object walk,
//!   collector's own `verify`); [`check_graph`]`(ctx, &model, words, &roots, resolve, what)` is
//!   the part that needs only heap words, for heaps that no collector owns.
//! - [`mutate`]`(rng, &mut model, gc, &mut roots, &reached, ops)`: drops roots, adds objects,
//!   rewires fields through the write barrier, updates the continuation table.
//!
//! The checker verifies that every root and field equals the model's (scalar or the model
//! target's heap copy), that each object is reached at one address only, that every reachable
//! model object is present with the right kind, identity and contents, and (when `exact`) that
//! nothing unreachable remains in the heap.

pub mod build;
pub mod check;
pub mod layout;
pub mod mutate;

pub use build::{build_heap, build_random_heap, random_model, HeapParams};
pub use check::{check, check_graph, Reached};
pub use mutate::mutate;

use alloc::vec::Vec;
use rts::object::Kind;

/// Index of a model object.
pub type ObjId = usize;

/// The continuation table's id.
pub const CONT_TABLE: ObjId = 0;

/// A model value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MVal {
    /// A scalar (fits any target's scalars).
    Scalar(usize),
    /// A reference to a model object.
    Ref(ObjId),
}

/// A model object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MObj {
    /// Its kind.
    pub kind: Kind,
    /// Its value fields (the identity word excluded).
    pub fields: Vec<MVal>,
    /// Blob length in bytes (blobs only).
    pub bytes: usize,
}

/// A model heap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// All objects ever created, reachable or not.
    pub objects: Vec<MObj>,
    /// The roots; root 0 is always the continuation table.
    pub roots: Vec<MVal>,
}

impl Model {
    /// Ids reachable from the roots, in breadth-first order.
    pub fn reachable(&self) -> Vec<ObjId> {
        let mut seen = alloc::vec![false; self.objects.len()];
        let mut order = Vec::new();
        let push = |v: &MVal, seen: &mut Vec<bool>, order: &mut Vec<ObjId>| {
            if let MVal::Ref(id) = *v {
                if !seen[id] {
                    seen[id] = true;
                    order.push(id);
                }
            }
        };
        for r in &self.roots {
            push(r, &mut seen, &mut order);
        }
        let mut i = 0;
        while i < order.len() {
            let id = order[i];
            for f in &self.objects[id].fields {
                push(f, &mut seen, &mut order);
            }
            i += 1;
        }
        order
    }
}
