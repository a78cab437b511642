//! agora's wire types, shared by the server, the load-test harness and Rust clients.
//!
//! What lives here: the envelope (requests, replies, pushes), every op and its
//! reply payload, the events stored in a stream's log, ids as newtypes, the
//! stable error and close codes, and the two encodings (JSON text frames,
//! MessagePack binary frames) with their safe decoders.
//!
//! What does not: anything about sockets, storage, authorization or the server.
//! This crate does no I/O. `PROTOCOL.md` beside it is the human contract; the
//! types here are its executable twin and must change together with it.
//!
//! With the `ts` feature every wire type also derives `ts_rs::TS`, and the `ts` module
//! writes the JS SDK's TypeScript types from them (`clients/js/src/protocol.gen.ts`;
//! `tests/typescript.rs` fails while that file is stale). A new wire type takes
//! one line under its serde derive: `#[cfg_attr(feature = "ts", derive(ts_rs::TS))]`
//! (PROTOCOL.md, "Adding a wire type").

pub mod attachment;
pub mod codec;
pub mod desk_settings;
pub mod error;
pub mod event;
pub mod feed;
pub mod forum;
pub mod ids;
pub mod moderation;
pub mod ops;
pub mod push;
pub mod ticket;
#[cfg(feature = "ts")]
pub mod ts;
pub mod wiki;

pub use attachment::Attachment;
pub use codec::{DecodeError, Encoding};
pub use error::{CloseCode, ErrorBody, ErrorCode};
pub use event::{Event, EventBody, StreamKind};
pub use feed::{FeedItem, FeedOk, FeedReason};
pub use ids::{Seq, StreamId, UserId};
pub use moderation::{AuditAction, AuditEntry};
pub use ops::{Op, Request};
pub use push::{Push, Reply, ServerFrame};

/// Subprotocol a client names in `Sec-WebSocket-Protocol` for JSON text frames (the default).
pub const SUBPROTOCOL_JSON: &str = "agora.json.v1";
/// Subprotocol a client names for MessagePack binary frames.
pub const SUBPROTOCOL_MSGPACK: &str = "agora.msgpack.v1";
/// JSON with batched server messages: one text message may carry several frames,
/// one per line (see [`codec::batch_frames`]). Clients still send one frame per message.
pub const SUBPROTOCOL_JSON_BATCH: &str = "agora.json.batch.v1";
/// MessagePack with batched server messages: one binary message may carry several
/// frames, as consecutive MessagePack values.
pub const SUBPROTOCOL_MSGPACK_BATCH: &str = "agora.msgpack.batch.v1";
