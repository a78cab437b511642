//! A connection's one task: authenticate, then, in one loop, read frames
//! (decode, rate-limit, dispatch, queue the replies), write what the
//! connection's queue holds (`writer`), ping, and watch for idleness. Ends on
//! close, error, idle timeout, flood, slow-consumer cut-off, log out of its
//! token (`credentials`) or server shutdown, and then removes every trace of
//! the connection (subscriptions, presence).
//!
//! What an idle connection costs is mostly this task (docs/BENCHMARKS.md,
//! "Idle memory per connection"), so: the socket is not split (no second
//! task, no lock between a reader and a writer half); the await points taken
//! once or rarely (authentication, a replay, the final close) are boxed, so
//! their state is allocated only while they run instead of sizing the task's
//! future for its whole life; and one timer serves the pings, the idle
//! timeout and a close's deadline. What does not live here: rendering and
//! writing frames (`writer`), the close codes of bad frames (`close`).

use super::close;
use super::frames::{to_message, Closer, Outbound};
use super::writer::{Stop, Writer};
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
use tokio::sync::mpsc;

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

/// A connection that authenticated, on its way to being served.
struct Authed {
    app: Arc<App>,
    socket: WebSocket,
    user: UserRecord,
    /// The id of the `auth` frame to answer, when it came as a frame.
    auth_reply: Option<u64>,
    token: String,
}

/// Authenticate by the handshake's token or a first `auth` frame; refuse and
/// close the connection when that fails.
async fn authenticate(app: Arc<App>, mut socket: WebSocket, enc: Encoding, token: Option<String>) -> Option<Authed> {
    let res = match token {
        Some(t) => match app.auth.authenticate(&t) {
            Ok(u) => Ok((u, None, t)),
            Err(e) => Err(Refusal::unauthorized(None, e)),
        },
        None => auth_by_frame(&app, &mut socket, enc).await.map(|(u, id, t)| (u, Some(id), t)),
    };
    match res {
        Ok((user, auth_reply, token)) => Some(Authed { app, socket, user, auth_reply, token }),
        Err(refusal) => {
            let close_timeout = Duration::from_millis(app.config.limits.close_timeout_ms);
            refuse(socket, enc, refusal, close_timeout).await;
            None
        }
    }
}

/// The connection's task. `batch`: the client chose a `*.batch.v1`
/// subprotocol, so the writer may put several frames in one WebSocket message.
pub fn run(
    app: Arc<App>,
    socket: WebSocket,
    enc: Encoding,
    batch: bool,
    token: Option<String>,
    peer: SocketAddr,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    // Boxed: authentication runs once, so its state (and a second copy of the
    // socket) must not size the future for the connection's whole life. The box
    // is freed when it completes.
    let auth = Box::pin(authenticate(app, socket, enc, token));
    async move {
        let Some(authed) = auth.await else { return };
        Connection::start(authed, enc, batch, peer).serve().await
    }
}

/// One authenticated connection: its session (user, subscriptions), its output
/// (`Writer`, which owns the socket) and its close handle.
struct Connection {
    app: Arc<App>,
    session: Session,
    writer: Writer,
    closer: Arc<Closer>,
    credential: String,
    /// The reply to the `auth` frame, queued first.
    greeting: Option<Message>,
}

/// What a frame from the client asks of the connection's output.
enum Handled {
    Nothing,
    Queue(Outbound),
    QueueAll(Vec<Outbound>),
    /// Stop reading; close with this code once every reply owed is written.
    CloseAfterReplies(CloseCode),
}

/// What woke the connection's loop.
enum Wake {
    Closed,
    ShuttingDown,
    Frame(Option<Result<Message, axum::Error>>),
    Item(Option<Outbound>),
    Timer,
}

impl Connection {
    /// Register the connection (credentials, hub, presence) and build its output.
    fn start(a: Authed, enc: Encoding, batch: bool, peer: SocketAddr) -> Connection {
        let Authed { app, socket, user, auth_reply, token } = a;
        let (credential, is_api) = (credential_key(&token), token.starts_with(API_TOKEN_PREFIX));
        drop(token);
        // Borrowed, not cloned: a copy of every limit would live as long as each connection.
        let limits = &app.config.limits;
        let (tx, rx) = mpsc::channel(limits.outbound_queue);
        let closer = Arc::new(Closer::default());
        let role = Arc::new(crate::hub::RoleCell::new(user.role));
        let conn = ConnHandle {
            id: app.next_conn_id(),
            user: user.id.clone(),
            tx,
            closer: closer.clone(),
            role: role.clone(),
        };
        let writer = Writer {
            socket,
            rx,
            enc,
            batch,
            log: app.log.clone(),
            replay_slots: app.replay_slots.clone(),
            closer: closer.clone(),
            metrics: app.metrics.clone(),
            write_timeout: Duration::from_millis(limits.write_timeout_ms),
            who: crate::streams::Actor { id: user.id.clone(), role: user.role },
            role,
            sources: app.sources(),
            close_timeout: Duration::from_millis(limits.close_timeout_ms),
            max_batch: limits.writer_batch_items.max(1),
            batch_message_bytes: limits.batch_message_bytes,
            replay_page: limits.replay_page_events.max(1),
            cursors: Default::default(),
            in_flight: 0,
            out: Vec::new(),
            spare: Vec::new(),
        };
        // Registered before the re-check, so a log out racing this handshake either
        // finds the connection here or is seen by the check (4500 either way).
        app.credentials.add(&credential, conn.id, closer.clone());
        if app.auth.is_revoked(&credential, is_api) {
            closer.close(CloseCode::Unauthorized);
        }
        let session = Session { conn, user, enc, subs: Default::default() };
        tracing::debug!(conn = session.conn.id, user = %session.user.id, %peer, ?enc, "connected");
        app.metrics.connections.inc();
        app.hub.add_user_conn(&session.conn);
        // Registered before these re-checks, so a suspension or role change racing this
        // handshake either finds the connection in the hub or is seen here.
        match app.auth.user(&session.user.id) {
            Some(now) if app.auth.is_suspended(&now) => closer.close(CloseCode::Suspended),
            Some(now) => session.conn.role.set(now.role),
            None => closer.close(CloseCode::Unauthorized),
        }
        if let Some(changed) = app.presence.connect(&session.user.id, session.conn.id, now_ms()) {
            ops::announce(&app, changed);
        }
        let greeting = auth_reply.map(|id| {
            let ok = OkBody::Whoami(WhoamiOk { user: session.user.info(), epoch: app.log.epoch() });
            to_message(&Reply::ok(id, ok), enc)
        });
        Connection { app, session, writer, closer, credential, greeting }
    }

    /// The connection's loop, then its clean-up and close.
    async fn serve(mut self) {
        let app = self.app.clone();
        let limits = &app.config.limits;
        let closer = self.closer.clone();
        // Created once, not once per wakeup (each creation registers and drops a waiter).
        let closed = closer.closed();
        tokio::pin!(closed);
        let shutting_down = app.closing.cancelled();
        tokio::pin!(shutting_down);
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        let ping_every = Duration::from_millis(limits.ping_interval_ms);
        let close_timeout = Duration::from_millis(limits.close_timeout_ms);
        let max_in_flight = limits.max_in_flight_per_connection.max(1);
        let flood_window = Duration::from_millis(limits.rate.flood_window_ms);
        let mut strikes: VecDeque<Instant> = VecDeque::new();
        let mut last_read = Instant::now();
        let mut next_ping = last_read + ping_every;
        // One timer for the next ping, the idle timeout and a close's deadline: it
        // fires at the earliest, and what is due is decided then. Reads only move
        // `last_read`; the timer is re-armed when it fires, not once per frame.
        let timer = tokio::time::sleep_until(next_ping.min(last_read + idle).into());
        tokio::pin!(timer);
        // A close that must come after every reply already owed (flood, a bad
        // frame): reading stops, and the close is queued behind the replies once
        // the requests awaiting their commit have all queued theirs, or at the deadline.
        let mut closing: Option<(CloseCode, Instant, bool)> = None;
        let tx = self.session.conn.tx.clone();
        let stop = 'conn: {
            if let Some(m) = self.greeting.take() {
                if let Err(stop) = queue(&tx, &mut self.writer, Outbound::Reply(m), closed.as_mut()).await {
                    break 'conn stop;
                }
            }
            loop {
                if let Some((code, deadline, queued)) = &mut closing {
                    if !*queued && self.writer.in_flight == 0 {
                        *queued = true;
                        let code = *code;
                        if let Err(stop) = queue(&tx, &mut self.writer, Outbound::Close(code), closed.as_mut()).await {
                            break 'conn stop;
                        }
                    } else if Instant::now() >= *deadline {
                        // A full queue or a stuck commit: close now.
                        closer.close(*code);
                    }
                }
                let reading = closing.is_none() && self.writer.in_flight < max_in_flight;
                let w = &mut self.writer;
                // Biased: a close wins over everything; then the socket is read before
                // the queue is written, so a busy queue cannot starve the client's
                // requests (a client that only sends starves its own output and is cut
                // off as a slow consumer).
                let wake = tokio::select! {
                    biased;
                    _ = &mut closed => Wake::Closed,
                    _ = &mut shutting_down => Wake::ShuttingDown,
                    m = w.socket.next(), if reading => Wake::Frame(m),
                    item = w.rx.recv() => Wake::Item(item),
                    _ = &mut timer => Wake::Timer,
                };
                let handled = match wake {
                    Wake::Closed => break 'conn Stop::Close(closer.code().unwrap_or(CloseCode::GoingAway)),
                    Wake::ShuttingDown => {
                        closer.close(CloseCode::GoingAway);
                        break 'conn Stop::Close(CloseCode::GoingAway);
                    }
                    Wake::Item(None) => break 'conn Stop::SocketGone,
                    Wake::Item(Some(item)) => {
                        if let Err(stop) = self.writer.write_batch(item, closed.as_mut()).await {
                            break 'conn stop;
                        }
                        continue;
                    }
                    Wake::Timer => {
                        let now = Instant::now();
                        if let Some((_, deadline, _)) = closing {
                            timer.as_mut().reset(deadline.max(now + Duration::from_millis(1)).into());
                            continue;
                        }
                        if reading && now >= last_read + idle {
                            closer.close(CloseCode::IdleTimeout);
                            break 'conn Stop::Close(CloseCode::IdleTimeout);
                        }
                        if now >= next_ping {
                            next_ping = now + ping_every;
                            if let Err(stop) = self.writer.send_flush(Message::Ping(Default::default())).await {
                                break 'conn stop;
                            }
                        }
                        // Not reading (requests in flight at the cap): idleness is not
                        // counted, so look again after a full idle period.
                        let idle_at = if reading { last_read + idle } else { now + idle };
                        timer.as_mut().reset(next_ping.min(idle_at).into());
                        continue;
                    }
                    Wake::Frame(m) => {
                        last_read = Instant::now();
                        match m {
                            // The peer closed or went away: the writer answers the close and stops.
                            None | Some(Ok(Message::Close(_))) => break 'conn Stop::Close(CloseCode::GoingAway),
                            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                            Some(Err(e)) => match close::for_read_error(&e) {
                                // A protocol violation (1002), bad UTF-8 (1007) or a message over
                                // `hard_frame_bytes` (1009) is answered with its code, after the
                                // replies to the requests read before the bad frame; a gone
                                // socket is not.
                                Some(code) => {
                                    tracing::debug!(conn = self.session.conn.id, error = %e, code = code.code(), "closing on a bad frame");
                                    Handled::CloseAfterReplies(code)
                                }
                                None => break 'conn Stop::Close(CloseCode::GoingAway),
                            },
                            Some(Ok(msg)) => self.on_frame(&msg, &mut strikes, flood_window),
                        }
                    }
                };
                let res = match handled {
                    Handled::Nothing => Ok(()),
                    Handled::Queue(item) => queue(&tx, &mut self.writer, item, closed.as_mut()).await,
                    Handled::QueueAll(items) => {
                        let mut res = Ok(());
                        for item in items {
                            res = queue(&tx, &mut self.writer, item, closed.as_mut()).await;
                            if res.is_err() {
                                break;
                            }
                        }
                        res
                    }
                    Handled::CloseAfterReplies(code) => {
                        let deadline = Instant::now() + close_timeout;
                        closing = Some((code, deadline, false));
                        timer.as_mut().reset(deadline.into());
                        Ok(())
                    }
                };
                if let Err(stop) = res {
                    break 'conn stop;
                }
            }
        };
        drop(tx);
        // The close code is decided before the clean-up, so that it is what the
        // hub and the log see; then the writer writes the close frame (boxed: once).
        closer.close(match stop {
            Stop::Close(code) => code,
            Stop::SocketGone => CloseCode::GoingAway,
        });
        self.clean_up();
        Box::pin(self.writer.close(stop)).await;
        tracing::debug!(conn = self.session.conn.id, reason = ?closer.code(), "disconnected");
    }

    /// Remove every trace of the connection: subscriptions, user routing,
    /// credentials, presence.
    fn clean_up(&self) {
        let (app, session) = (&self.app, &self.session);
        for s in &session.subs {
            app.hub.unsubscribe(s, session.conn.id);
        }
        app.hub.remove_user_conn(&session.user.id, session.conn.id);
        app.credentials.remove(&self.credential, session.conn.id);
        if let Some(changed) = app.presence.disconnect(&session.user.id, session.conn.id, now_ms()) {
            ops::announce(app, changed);
        }
        app.metrics.connections.dec();
    }

    /// One data frame from the client: size check, decode, rate limit and flood
    /// check, dispatch. A request that awaits its commit runs on its own task,
    /// which queues its reply as `Outbound::Done`.
    fn on_frame(&mut self, msg: &Message, strikes: &mut VecDeque<Instant>, flood_window: Duration) -> Handled {
        let (app, enc) = (&self.app, self.session.enc);
        let limits = &app.config.limits;
        let Some(bytes) = frame_bytes(msg) else { return Handled::Nothing };
        let reply = |re: Option<u64>, body: ErrorBody| {
            Handled::Queue(Outbound::Reply(to_message(&Reply::error(re, body), enc)))
        };
        if bytes.len() > limits.max_frame_bytes {
            let e = AppError::TooLarge(format!("frame of {} bytes exceeds {}", bytes.len(), limits.max_frame_bytes));
            return reply(None, e.body());
        }
        let req = match decode_request(bytes, enc) {
            Ok(r) => r,
            Err(e) => return reply(e.id, e.body()),
        };
        let class = CommandClass::of(&req.op);
        if let Err(e) = app.limits.check_user(class, &self.session.user.id) {
            app.metrics.count_rate_limited(class.label());
            let now = Instant::now();
            strikes.push_back(now);
            while strikes.front().is_some_and(|t| now.duration_since(*t) > flood_window) {
                strikes.pop_front();
            }
            if strikes.len() as u32 > limits.rate.flood_strikes {
                tracing::info!(conn = self.session.conn.id, user = %self.session.user.id, "closing a flooding connection");
                return Handled::CloseAfterReplies(CloseCode::Flood);
            }
            return reply(Some(req.id), e.body());
        }
        let id = req.id;
        // A role change applies from the next op on (`moderation`).
        self.session.user.role = self.session.conn.role.get();
        match ops::dispatch(app, &mut self.session, req.op) {
            Outcome::Ready(Ok((body, mut follow))) => {
                let reply = to_message(&Reply::ok(id, body), enc);
                if let Some(reply) = match follow.first_mut() {
                    Some(first) => first.attach_reply(reply),
                    None => Some(reply),
                } {
                    if follow.is_empty() {
                        return Handled::Queue(Outbound::Reply(reply));
                    }
                    follow.insert(0, Outbound::Reply(reply));
                }
                Handled::QueueAll(follow)
            }
            Outcome::Ready(Err(e)) => {
                log_internal(&e);
                reply(Some(id), e.body())
            }
            Outcome::Later(fut) => {
                // Bounded: past `max_in_flight_per_connection` requests awaiting their
                // commit, the connection is not read until a reply is written.
                self.writer.in_flight += 1;
                let tx = self.session.conn.tx.clone();
                tokio::spawn(async move {
                    let frame = match fut.await {
                        Ok(body) => Reply::ok(id, body),
                        Err(e) => {
                            log_internal(&e);
                            Reply::error(Some(id), e.body())
                        }
                    };
                    let _ = tx.send(Outbound::Done(to_message(&frame, enc))).await;
                });
                Handled::Nothing
            }
        }
    }
}

/// Queue `item` behind what the connection's queue already holds, so replies
/// keep their order with the hub's deliveries. The queue is drained by this
/// same task, so a full queue is not waited on: a batch is written to make room.
async fn queue(
    tx: &mpsc::Sender<Outbound>,
    writer: &mut Writer,
    mut item: Outbound,
    mut closed: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) -> Result<(), Stop> {
    loop {
        item = match tx.try_send(item) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(Stop::SocketGone),
            Err(mpsc::error::TrySendError::Full(item)) => item,
        };
        let Ok(first) = writer.rx.try_recv() else { continue };
        writer.write_batch(first, closed.as_mut()).await?;
    }
}

fn log_internal(e: &AppError) {
    if e.code() == ErrorCode::Internal {
        tracing::error!(error = %e, "request failed");
    }
}
