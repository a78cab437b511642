//! The WebSocket gateway: the only code that sees frames.
//!
//! `upgrade` checks the per-IP handshake limit and Origin, picks the encoding
//! by subprotocol, sets tungstenite's buffer and size caps, and hands the
//! socket to `session`: the connection's one task (auth, then a loop that
//! reads and dispatches frames, and has `writer` write replies, replays, live
//! events and pings).

mod close;
pub mod frames;
mod session;
mod writer;

use crate::app::App;
use crate::error::AppError;
use agora_protocol::{
    Encoding, SUBPROTOCOL_JSON, SUBPROTOCOL_JSON_BATCH, SUBPROTOCOL_MSGPACK, SUBPROTOCOL_MSGPACK_BATCH,
};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// Is this browser Origin allowed? No Origin (non-browser clients) is allowed.
fn origin_allowed(app: &App, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if !app.config.allowed_origins.is_empty() {
        return app.config.allowed_origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin));
    }
    // Default: same origin — the Origin's host[:port] equals the Host header.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin).trim_end_matches('/');
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// The token of an `Authorization: Bearer` header. `Bearer` with no token gives
/// an empty one (refused like any bad token: 4500); other schemes (a proxy's
/// `Basic`) are not ours and are ignored (PROTOCOL.md §2).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// `GET /ws`.
pub async fn upgrade(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if app.shutdown.is_cancelled() {
        return AppError::Unavailable("server is shutting down".into()).into_response();
    }
    if let Err(e) = app.limits.check_handshake(peer.ip()) {
        app.metrics.count_rate_limited("handshake");
        return e.into_response();
    }
    if !origin_allowed(&app, &headers) {
        return AppError::Forbidden("origin not allowed".into()).into_response();
    }
    let token = bearer(&headers).or(q.token);
    let limits = &app.config.limits;
    let ws = ws
        // Our preference when a client offers several: MessagePack over JSON, batched
        // over one frame per message.
        .protocols([SUBPROTOCOL_MSGPACK_BATCH, SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON_BATCH, SUBPROTOCOL_JSON])
        // tungstenite's defaults (64 MiB messages, 128 KiB read buffer) are far too
        // generous for what one chat client sends. The read buffer is only the initial
        // capacity (`read_buffer_bytes`, 1 KiB: most client frames fit, a larger one
        // grows it up to the frame's size, and it is a quarter of an idle
        // connection's memory at 4 KiB). The write buffer is flushed past 16 KiB and the writer waits for
        // each flush, so it holds at most that plus one message; its hard maximum is
        // left unbounded because it caps the largest *server* message (a full history
        // page can be megabytes), and a message over it failed the write and dropped
        // the connection without a close frame.
        .read_buffer_size(limits.read_buffer_bytes.max(64))
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(usize::MAX)
        .max_message_size(limits.hard_frame_bytes)
        .max_frame_size(limits.hard_frame_bytes);
    let (enc, batch) = match ws.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some(SUBPROTOCOL_MSGPACK_BATCH) => (Encoding::MsgPack, true),
        Some(SUBPROTOCOL_MSGPACK) => (Encoding::MsgPack, false),
        Some(SUBPROTOCOL_JSON_BATCH) => (Encoding::Json, true),
        _ => (Encoding::Json, false),
    };
    let tracker = app.sessions.clone();
    ws.on_failed_upgrade(|e| tracing::debug!(error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| tracker.track_future(session::run(app, socket, enc, batch, token, peer)))
}
