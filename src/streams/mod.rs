//! Streams: the kinds of conversation, the state folded from a stream's
//! events, and the one visibility rule. Pure: no I/O, no sockets; time comes in
//! as `Cx::now` from the server's clock.
//!
//! - `action`: what someone asks of a stream, and `decide`, which hands it to the stream's kind.
//! - `kind`: the interface every kind implements (`Kind`) and what a decision returns (`Append`).
//! - `kinds/`: one module per kind (`channel`, `private_channel`, `dm`; `chat` holds what they share;
//!   `feed`, a user's notifications; `audit`, the audit log and mutes; `review`, the review queue).
//! - `state`: `StreamState`, folded from events by the kind; `counters`: unread and mention counts.
//! - `visibility`: who may read a stream and see each event, for every read path.
//! - `text`: usernames and `@mentions`.
//! - `moderation`: slow mode and lock (shared by every kind) and moderators' stream actions.
//! - `roles`: what moderators and admins may do, the one table every kind asks.

pub mod action;
pub mod counters;
pub mod kind;
pub mod kinds;
pub mod moderation;
pub mod roles;
pub mod screening;
pub mod state;
pub mod text;
pub mod visibility;

pub use action::{decide, Action};
pub use kind::{Append, Cx, Decision, Derived, NameClaim};
pub use state::StreamState;
pub use visibility::{
    can_read_attachment, can_read_stream, can_see, can_write_stream, Actor, Audience, NoSources, Sources,
};
