//! A safe-Rust model of a heap, to check collectors (and anything else that produces a heap, such
//! as deserialization) against.
//!
//! A [`Model`] is a list of objects ([`MObj`]: kind, fields, blob length), indexed by [`ObjId`],
//! plus roots. Object 0 is the continuation table (an array referenced by root 0). Each object's
//! identity is stored inside its heap copy (see [`layout`]), so the checker recognises objects
//! wherever a collector moved them.
//!
//! The types live in [`heap`] (so that the checker, builder and mutator import them from a
//! sibling file, never from this one, which only re-exports). Reusable entry points:
//! - [`random_model`]`(rng, &params)` and [`build_heap`]`(&model, gc)`, or both at once with
//!   [`build_random_heap`]`(rng, &params, gc) -> (Model, roots)`.
//! - [`check()`]`(ctx, &model, gc, &roots, exact, what)`: the whole check (graph, object walk,
//!   collector's own `verify`); [`check_graph`]`(ctx, &model, words, &roots, resolve, what)` is
//!   the part that needs only heap words, for heaps that no collector owns.
//! - [`mutate()`]`(rng, &mut model, gc, &mut roots, &reached, ops)`: a realistic mutator that
//!   loads through the read barrier (each load checked against the model), stores through the
//!   write barrier into every kind of object, drops roots, allocates garbage before new objects
//!   and replaces the continuation table; the same as [`draw_batch`] (the random [`Step`]s)
//!   followed by [`apply_steps`] (which replays too).
//!
//! The checker verifies that every root and field equals the model's (scalar or the model
//! target's heap copy), that each object is reached at one address only, that every reachable
//! model object is present with the right kind, identity and contents, and (when `exact`) that
//! nothing unreachable remains in the heap.

pub mod build;
pub mod check;
pub mod heap;
pub mod layout;
pub mod mutate;

pub use build::{build_heap, build_random_heap, random_model, HeapParams};
pub use check::{
    check, check_cycle, check_graph, check_increment, check_quiet_reclaimed, snapshot, Reached,
    Snapshot,
};
pub use heap::{MObj, MVal, Model, ObjId, CONT_TABLE};
pub use mutate::{
    apply_steps, apply_steps_with, draw_batch, draw_shuffle, mutate, MutateError, Step,
};
