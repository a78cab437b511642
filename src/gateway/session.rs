//! A connection's session loop: authenticate, then read frames, decode,
//! rate-limit, dispatch, and queue replies for the writer. Ends on close,
//! error, idle timeout, flood, slow-consumer cut-off, log out of its token
//! (`credentials`) or server shutdown, and then removes every trace of the
//! connection (subscriptions, presence).

use super::close;
use super::frames::{to_message, Closer, Outbound};
use super::writer::Writer;
use crate::app::App;
use crate::auth::{credential_key, UserRecord, API_TOKEN_PREFIX};
use crate::error::AppError;
use crate::hub::ConnHandle;
use crate::limits::CommandClass;
use crate::ops::{self, Outcome, Session};
use crate::sequencer::now_ms;
use agora_protocol::codec::decode_request;
use agora_protocol::ops::WhoamiOk;
use agora_protocol::push::{OkBody, Reply};
use agora_protocol::{CloseCode, Encoding, ErrorBody, ErrorCode, Op};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

fn frame_bytes(msg: &Message) -> Option<&[u8]> {
    match msg {
        Message::Text(t) => Some(t.as_bytes()),
        Message::Binary(b) => Some(b),
        _ => None,
    }
}

/// Why a connection ends before a session exists: the error reply to send (if
/// any) and the close code.
struct Refusal {
    reply: Option<(Option<u64>, AppError)>,
    code: CloseCode,
}

impl Refusal {
    /// A token that does not authenticate: 4500, or 4502 for a suspended account
    /// (the only `forbidden` that `Auth::authenticate` answers).
    fn unauthorized(re: Option<u64>, err: AppError) -> Refusal {
        let code = match err {
            AppError::Forbidden(_) => CloseCode::Suspended,
            _ => CloseCode::Unauthorized,
        };
        Refusal { reply: Some((re, err)), code }
    }
}

/// Send the error reply and close, before a session exists (auth failures,
/// protocol violations before `auth`).
async fn refuse(mut socket: WebSocket, enc: Encoding, refusal: Refusal, close_timeout: Duration) {
    if let Some((re, err)) = refusal.reply {
        let _ = tokio::time::timeout(close_timeout, socket.send(to_message(&Reply::error(re, err.body()), enc))).await;
    }
    let code = refusal.code;
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = tokio::time::timeout(close_timeout, socket.send(Message::Close(Some(frame)))).await;
}

/// Wait for the first frame to be a valid `auth` op.
async fn auth_by_frame(app: &App, socket: &mut WebSocket, enc: Encoding) -> Result<(UserRecord, u64, String), Refusal> {
    let deadline = Duration::from_millis(app.config.limits.auth_timeout_ms);
    let started = Instant::now();
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        let msg = match tokio::time::timeout(left, socket.next()).await {
            Err(_) => {
                return Err(Refusal::unauthorized(
                    None,
                    AppError::Unauthorized("no auth frame within the auth timeout".into()),
                ))
            }
            // A bad frame before `auth` gets its RFC 6455 code, not 4500.
            Ok(Some(Err(e))) if close::for_read_error(&e).is_some() => {
                return Err(Refusal {
                    reply: None,
                    code: close::for_read_error(&e).unwrap_or(CloseCode::ProtocolError),
                })
            }
            Ok(None) | Ok(Some(Err(_))) => {
                return Err(Refusal::unauthorized(None, AppError::Unauthorized("connection closed before auth".into())))
            }
            Ok(Some(Ok(m))) => m,
        };
        let Some(bytes) = frame_bytes(&msg) else { continue };
        // Anything but a valid `auth` is answered and the connection waits for one,
        // until the auth timeout (PROTOCOL.md §2). A bad token in `auth` ends it.
        let (re, err) = if bytes.len() > app.config.limits.max_frame_bytes {
            (None, AppError::TooLarge("frame too large".into()))
        } else {
            match decode_request(bytes, enc) {
                Ok(req) => match req.op {
                    Op::Auth { token } => {
                        return match app.auth.authenticate(&token) {
                            Ok(u) => Ok((u, req.id, token)),
                            Err(e) => Err(Refusal::unauthorized(Some(req.id), e)),
                        }
                    }
                    _ => (Some(req.id), AppError::Unauthorized("authenticate first: send an `auth` op".into())),
                },
                Err(e) => (e.id, AppError::Unauthorized(format!("authenticate first ({})", e.message))),
            }
        };
        let reply = to_message(&Reply::error(re, err.body()), enc);
        if tokio::time::timeout(left, socket.send(reply)).await.map_or(true, |r| r.is_err()) {
            return Err(Refusal::unauthorized(None, AppError::Unauthorized("connection lost before auth".into())));
        }
    }
}

/// `batch`: the client chose a `*.batch.v1` subprotocol, so the writer may put
/// several frames in one WebSocket message.
pub async fn run(
    app: Arc<App>,
    mut socket: WebSocket,
    enc: Encoding,
    batch: bool,
    token: Option<String>,
    peer: SocketAddr,
) {
    let close_timeout = Duration::from_millis(app.config.limits.close_timeout_ms);
    // Authenticate: a token from the handshake, or a first `auth` frame.
    let (user, auth_reply, token) = match token {
        Some(t) => match app.auth.authenticate(&t) {
            Ok(u) => (u, None, t),
            Err(e) => return refuse(socket, enc, Refusal::unauthorized(None, e), close_timeout).await,
        },
        None => match auth_by_frame(&app, &mut socket, enc).await {
            Ok((u, id, t)) => (u, Some(id), t),
            Err(refusal) => return refuse(socket, enc, refusal, close_timeout).await,
        },
    };
    let (credential, is_api) = (credential_key(&token), token.starts_with(API_TOKEN_PREFIX));
    drop(token);
    // Borrowed, not cloned: a copy of every limit would live as long as each connection.
    let limits = &app.config.limits;
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(limits.outbound_queue);
    let closer = Arc::new(Closer::default());
    let role = Arc::new(crate::hub::RoleCell::new(user.role));
    let conn = ConnHandle {
        id: app.next_conn_id(),
        user: user.id.clone(),
        tx: tx.clone(),
        closer: closer.clone(),
        role: role.clone(),
    };
    let writer = Writer {
        sink,
        rx,
        enc,
        batch,
        log: app.log.clone(),
        replay_slots: app.replay_slots.clone(),
        closer: closer.clone(),
        metrics: app.metrics.clone(),
        ping_interval: Duration::from_millis(limits.ping_interval_ms),
        write_timeout: Duration::from_millis(limits.write_timeout_ms),
        who: crate::streams::Actor { id: user.id.clone(), role: user.role },
        role,
        sources: app.sources(),
        close_timeout,
        max_batch: limits.writer_batch_items.max(1),
        batch_message_bytes: limits.batch_message_bytes,
        replay_page: limits.replay_page_events.max(1),
        cursors: Default::default(),
    };
    let writer = tokio::spawn(writer.run());
    // Registered before the re-check, so a log out racing this handshake either
    // finds the connection here or is seen by the check (4500 either way).
    app.credentials.add(&credential, conn.id, closer.clone());
    if app.auth.is_revoked(&credential, is_api) {
        closer.close(CloseCode::Unauthorized);
    }
    let mut session = Session { conn: conn.clone(), user, enc, subs: Default::default() };
    tracing::debug!(conn = conn.id, user = %session.user.id, %peer, ?enc, "connected");
    app.metrics.connections.inc();
    app.hub.add_user_conn(&conn);
    // Registered before these re-checks, so a suspension or role change racing this
    // handshake either finds the connection in the hub or is seen here.
    match app.auth.user(&session.user.id) {
        Some(now) if app.auth.is_suspended(&now) => closer.close(CloseCode::Suspended),
        Some(now) => conn.role.set(now.role),
        None => closer.close(CloseCode::Unauthorized),
    }
    if let Some(changed) = app.presence.connect(&session.user.id, conn.id, now_ms()) {
        ops::announce(&app, changed);
    }
    if let Some(id) = auth_reply {
        let ok = OkBody::Whoami(WhoamiOk { user: session.user.info(), epoch: app.log.epoch() });
        let _ = tx.send(Outbound::Reply(to_message(&Reply::ok(id, ok), enc))).await;
    }

    let max_in_flight = limits.max_in_flight_per_connection.clamp(1, Semaphore::MAX_PERMITS) as u32;
    let in_flight = Arc::new(Semaphore::new(max_in_flight as usize));
    // A close that must come after every reply already owed (flood).
    let mut close_after_replies = None;
    let idle = Duration::from_millis(limits.idle_timeout_ms);
    let flood_window = Duration::from_millis(limits.rate.flood_window_ms);
    let mut strikes: VecDeque<Instant> = VecDeque::new();
    // Created once, not once per frame (each creation registers and drops a waiter).
    let closed = closer.closed();
    tokio::pin!(closed);
    let shutting_down = app.closing.cancelled();
    tokio::pin!(shutting_down);
    loop {
        let msg = tokio::select! {
            _ = &mut closed => break,
            _ = &mut shutting_down => { closer.close(CloseCode::GoingAway); break }
            r = tokio::time::timeout(idle, stream.next()) => match r {
                Err(_) => { closer.close(CloseCode::IdleTimeout); break }
                Ok(Some(Err(e))) => {
                    // A protocol violation (1002), bad UTF-8 (1007) or a message over
                    // `hard_frame_bytes` (1009) is answered with its code; a gone socket is not.
                    // Requests read before the bad frame are still answered first.
                    close_after_replies = close::for_read_error(&e);
                    if let Some(code) = close_after_replies {
                        tracing::debug!(conn = conn.id, error = %e, code = code.code(), "closing on a bad frame");
                    }
                    break
                }
                Ok(None) => break,
                Ok(Some(Ok(m))) => m,
            },
        };
        let bytes = match &msg {
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
            _ => frame_bytes(&msg).unwrap_or_default(),
        };
        let reply = |re: Option<u64>, body: ErrorBody| Outbound::Reply(to_message(&Reply::error(re, body), enc));
        if bytes.len() > limits.max_frame_bytes {
            let e = AppError::TooLarge(format!("frame of {} bytes exceeds {}", bytes.len(), limits.max_frame_bytes));
            if tx.send(reply(None, e.body())).await.is_err() {
                break;
            }
            continue;
        }
        let req = match decode_request(bytes, enc) {
            Ok(r) => r,
            Err(e) => {
                if tx.send(reply(e.id, e.body())).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let class = CommandClass::of(&req.op);
        if let Err(e) = app.limits.check_user(class, &session.user.id) {
            app.metrics.count_rate_limited(class.label());
            let now = Instant::now();
            strikes.push_back(now);
            while strikes.front().is_some_and(|t| now.duration_since(*t) > flood_window) {
                strikes.pop_front();
            }
            if strikes.len() as u32 > limits.rate.flood_strikes {
                tracing::info!(conn = conn.id, user = %session.user.id, "closing a flooding connection");
                close_after_replies = Some(CloseCode::Flood);
                break;
            }
            if tx.send(reply(Some(req.id), e.body())).await.is_err() {
                break;
            }
            continue;
        }
        let id = req.id;
        // A role change applies from the next op on (`moderation`).
        session.user.role = conn.role.get();
        match ops::dispatch(&app, &mut session, req.op) {
            Outcome::Ready(Ok((body, mut follow))) => {
                let reply = to_message(&Reply::ok(id, body), enc);
                if let Some(reply) = match follow.first_mut() {
                    Some(first) => first.attach_reply(reply),
                    None => Some(reply),
                } {
                    follow.insert(0, Outbound::Reply(reply));
                }
                for item in follow {
                    if tx.send(item).await.is_err() {
                        break;
                    }
                }
            }
            Outcome::Ready(Err(e)) => {
                log_internal(&e);
                if tx.send(reply(Some(id), e.body())).await.is_err() {
                    break;
                }
            }
            Outcome::Later(fut) => {
                // Bounded: a client that pipelines more than `max_in_flight_per_connection` waits here.
                let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let frame = match fut.await {
                        Ok(body) => Reply::ok(id, body),
                        Err(e) => {
                            log_internal(&e);
                            Reply::error(Some(id), e.body())
                        }
                    };
                    let _ = tx.send(Outbound::Reply(to_message(&frame, enc))).await;
                    drop(permit);
                });
            }
        }
    }

    if let Some(code) = close_after_replies {
        close_in_order(&tx, &in_flight, max_in_flight, &closer, code, close_timeout).await;
    }
    // Clean up: subscriptions, presence, user routing; then let the writer finish.
    for s in &session.subs {
        app.hub.unsubscribe(s, conn.id);
    }
    app.hub.remove_user_conn(&session.user.id, conn.id);
    app.credentials.remove(&credential, conn.id);
    if let Some(changed) = app.presence.disconnect(&session.user.id, conn.id, now_ms()) {
        ops::announce(&app, changed);
    }
    app.metrics.connections.dec();
    if !closer.is_closed() && close_after_replies.is_none() {
        // The peer went away or closed: the writer answers the close and stops.
        closer.close(CloseCode::GoingAway);
    }
    drop(tx);
    let _ = writer.await;
    tracing::debug!(conn = conn.id, reason = ?closer.code(), "disconnected");
}

/// Close with `code` after every reply the connection is owed: wait for the
/// requests still awaiting their commit (holding every in-flight permit means
/// each has queued its reply), then queue the close behind those replies. If
/// that takes longer than `deadline` (a full queue, a stuck commit), close now.
async fn close_in_order(
    tx: &mpsc::Sender<Outbound>,
    in_flight: &Semaphore,
    permits: u32,
    closer: &Closer,
    code: CloseCode,
    deadline: Duration,
) {
    let queue = tokio::time::timeout(deadline, async {
        let _all = in_flight.acquire_many(permits).await;
        tx.send(Outbound::Close(code)).await
    });
    let queued = tokio::select! {
        r = queue => matches!(r, Ok(Ok(()))),
        // Closed meanwhile for another reason (a slow-consumer cut, shutdown): nothing to wait for.
        _ = closer.closed() => return,
    };
    if !queued {
        closer.close(code);
    }
}

fn log_internal(e: &AppError) {
    if e.code() == ErrorCode::Internal {
        tracing::error!(error = %e, "request failed");
    }
}
