//! Attachments: files uploaded over HTTP (`POST /api/v1/streams/{id}/attachments`)
//! and referenced by messages (`post`'s and `message_posted`'s `attachments`).
//!
//! A file is addressed by the SHA-256 of its bytes; the server stores each file
//! once and serves it only to readers of a stream where a message references it
//! (PROTOCOL.md §18, "Attachments").

use serde::{Deserialize, Serialize};

/// A file as a message references it, and as the upload answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    /// SHA-256 of the file's bytes, 64 lower-case hex digits: the file's address
    /// (`GET /api/v1/attachments/{hash}`).
    pub hash: String,
    /// The file name the uploader gave (shown, and offered when saving; never a path).
    pub name: String,
    /// The media type, one of the allowed ones (PROTOCOL.md), as the server found it
    /// in the bytes; in a `post`, the server replaces it with what it stored.
    #[serde(rename = "type")]
    pub mime: String,
    /// Size in bytes (set by the server).
    pub size: u64,
    /// Pixel width of an image (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height of an image (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl Attachment {
    /// Whether `hash` has the shape of an attachment's address (64 lower-case hex digits).
    pub fn valid_hash(hash: &str) -> bool {
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}
