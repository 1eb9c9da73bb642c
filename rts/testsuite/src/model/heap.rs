//! The model heap itself: objects ([`MObj`]) with kinds, value fields ([`MVal`]) and blob
//! lengths, indexed by [`ObjId`], and roots. Object 0 is the continuation table (an array
//! referenced by root 0); objects are never removed, so an id names one object for good.

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
