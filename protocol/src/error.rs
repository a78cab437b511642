//! Stable error codes (in `error` replies and HTTP error bodies) and WebSocket close codes.
//!
//! Codes are part of the contract: never rename one, only add.

use serde::{Deserialize, Serialize};

/// Why a request failed. Serialized as a snake_case string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame or a field is malformed, missing or of the wrong type.
    BadRequest,
    /// The `op` is not one this server knows.
    UnknownOp,
    /// No valid credentials (no token, bad token, wrong password).
    Unauthorized,
    /// Authenticated, but not allowed to do this to this stream or resource.
    Forbidden,
    /// The stream, user or message does not exist (or is invisible to you).
    NotFound,
    /// The request conflicts with current state (name taken, already a member, ...).
    Conflict,
    /// A frame, text or field exceeds a documented limit.
    TooLarge,
    /// Over a rate limit; `retry_after_ms` says when to try again.
    RateLimited,
    /// `subscribe` asked to replay more events than the replay limit; page with `history`.
    TooFarBehind,
    /// The server is shutting down or overloaded; retry elsewhere or later.
    Unavailable,
    /// A bug or an I/O failure on the server; the request may be retried.
    Internal,
    /// An upload whose media type is not an allowed one, or whose bytes are not of the type it names.
    UnsupportedType,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnknownOp => "unknown_op",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooFarBehind => "too_far_behind",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::UnsupportedType => "unsupported_type",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of an `error` reply, and of every HTTP error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// A human-readable explanation; not stable, do not parse it.
    pub message: String,
    /// With `rate_limited`: milliseconds until the request would be allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// With `too_far_behind`: the stream's current head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<u64>,
    /// When a moderation restriction on this request ends (a mute; slow mode's
    /// next allowed post), ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// With some errors: structured details of the state that caused them (for
    /// `conflict` from `wiki_save`, a `WikiConflict`). Typed per op in PROTOCOL.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody { code, message: message.into(), retry_after_ms: None, head: None, until: None, details: None }
    }
}

/// WebSocket close codes the server uses. 4000–4499: reconnect (after a
/// backoff) and resume; 4500–4999: do not reconnect without fixing something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CloseCode {
    /// Server shutting down (standard 1001). Reconnect after a backoff.
    GoingAway = 1001,
    /// The client broke the WebSocket protocol (RFC 6455): reserved bits or opcodes,
    /// an unmasked frame, a bad fragment sequence, an oversized or fragmented control
    /// frame, a malformed close frame (standard 1002). Fix the client.
    ProtocolError = 1002,
    /// Invalid UTF-8 where UTF-8 is required: a text message or a close reason
    /// (standard 1007). Fix the client.
    InvalidPayload = 1007,
    /// A single frame exceeded the hard frame cap (standard 1009).
    MessageTooBig = 1009,
    /// Your outbound queue overflowed: you read too slowly. Reconnect and resume with `since`.
    SlowConsumer = 4000,
    /// No frame (not even a pong) within the idle timeout.
    IdleTimeout = 4001,
    /// Kept sending after being rate limited. Reconnect after a backoff of at least the flood window (10 s by default).
    Flood = 4002,
    /// No valid credentials, or no `auth` frame within the auth timeout.
    Unauthorized = 4500,
    /// The account was disabled or deleted.
    AccountDisabled = 4501,
    /// An admin suspended the account (until a time, or until unsuspended). Do not
    /// reconnect until the suspension ends: logins and tokens are refused meanwhile.
    Suspended = 4502,
}

impl CloseCode {
    /// Every close code, for documentation and the TypeScript constant (`ts.rs`).
    pub const ALL: [CloseCode; 9] = [
        CloseCode::GoingAway,
        CloseCode::ProtocolError,
        CloseCode::InvalidPayload,
        CloseCode::MessageTooBig,
        CloseCode::SlowConsumer,
        CloseCode::IdleTimeout,
        CloseCode::Flood,
        CloseCode::Unauthorized,
        CloseCode::AccountDisabled,
    ];
    pub fn code(self) -> u16 {
        self as u16
    }
    /// The short reason string sent with the close frame.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::GoingAway => "going_away",
            CloseCode::ProtocolError => "protocol_error",
            CloseCode::InvalidPayload => "invalid_payload",
            CloseCode::MessageTooBig => "message_too_big",
            CloseCode::SlowConsumer => "slow_consumer",
            CloseCode::IdleTimeout => "idle_timeout",
            CloseCode::Flood => "flood",
            CloseCode::Unauthorized => "unauthorized",
            CloseCode::AccountDisabled => "account_disabled",
            CloseCode::Suspended => "suspended",
        }
    }
    pub fn from_code(code: u16) -> Option<CloseCode> {
        Some(match code {
            1001 => CloseCode::GoingAway,
            1002 => CloseCode::ProtocolError,
            1007 => CloseCode::InvalidPayload,
            1009 => CloseCode::MessageTooBig,
            4000 => CloseCode::SlowConsumer,
            4001 => CloseCode::IdleTimeout,
            4002 => CloseCode::Flood,
            4500 => CloseCode::Unauthorized,
            4501 => CloseCode::AccountDisabled,
            4502 => CloseCode::Suspended,
            _ => return None,
        })
    }
    /// Whether a client should reconnect after this close.
    pub fn should_reconnect(self) -> bool {
        (self as u16) < 4500
    }
}
