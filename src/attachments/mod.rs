//! Attachments: files uploaded over HTTP and referenced by messages.
//!
//! - `types.rs`: the allowed media types, and the check that an upload's bytes are
//!   of the type it names (an image is an image, text is UTF-8).
//! - `store.rs`: [`AttachmentStore`], the files on disk, content-addressed by
//!   SHA-256 under `<data>/attachments`, each written durably before it is answered.
//! - `http.rs`: `POST /api/v1/streams/{id}/attachments` and
//!   `GET /api/v1/attachments/{hash}`.
//!
//! Who may fetch a file is the one visibility rule (`streams::can_read_attachment`,
//! through `can_read_stream`), over the streams that reference it (`Registry`).
//! What does not live here: the `attachments` of a post (checked in `ops::messages`,
//! folded by the chat kinds) and the wire type (`agora_protocol::Attachment`).

pub mod http;
mod store;
mod types;

pub use store::{AttachmentStore, Stored};
pub use types::clean_name;
