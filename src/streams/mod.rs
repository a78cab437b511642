//! Stream kinds, the state folded from a stream's events, and the rules that
//! decide which events an action appends. Pure: no I/O, no clocks, no sockets.
//!
//! `state` folds events into [`StreamState`]; `rules` turns an [`Action`] by an
//! actor into events or a refusal; `access` is the one authorization path every
//! read (live, history, resume, counts) goes through.

pub mod access;
pub mod rules;
pub mod state;
pub mod text;

pub use access::{can_read, can_write};
pub use rules::{decide, Action, Decision};
pub use state::StreamState;
