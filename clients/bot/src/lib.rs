//! agora-bot: a Rust client SDK for agora bots, on the shared `agora-protocol` types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agora_bot::Error> {
//! use agora_bot::{Bot, BotEvent, Encoding};
//! let login = Bot::login("http://127.0.0.1:8080", "alice", "demo-password").await?;
//! let bot = Bot::connect("http://127.0.0.1:8080", &login.token, Encoding::Json).await?;
//! for s in bot.list_streams().await? {
//!     bot.subscribe(&s.id, None).await?;
//! }
//! while let Some(ev) = bot.next_event().await {
//!     if let BotEvent::Event(e) = ev { println!("{} #{}: {:?}", e.stream, e.seq, e.body); }
//! }
//! # Ok(()) }
//! ```
//!
//! What the SDK does (see protocol/PROTOCOL.md):
//! * one background task owns the WebSocket; requests are matched to replies by id;
//! * pushes come out of [`Bot::next_event`], `event` pushes deduplicated by seq;
//! * on a close that allows it (any code below 4500, or a lost connection) it
//!   reconnects with exponential backoff and jitter, re-subscribes every followed
//!   stream with `since` + `epoch`, and reports [`BotEvent::Reset`] when a resume
//!   was not honoured (`recovered: false`, or `too_far_behind`);
//! * requests made while reconnecting wait for the new connection; [`Bot::post`]
//!   sends an idempotency key and retries with the same key after a reconnect.

pub mod cursors;
pub mod echo;

use agora_protocol::codec::{batch_frames, decode_server_frame, encode};
use agora_protocol::ops::{
    AppendOk, Empty, HistoryOk, ListStreamsOk, Op, Request, StreamInfoOk, StreamSummary, SubscribeOk, UserInfo,
    WhoamiOk,
};
pub use agora_protocol::Encoding;
use agora_protocol::{ErrorBody, ErrorCode, Event, Push, Seq, ServerFrame, StreamId, UserId};
use cursors::Cursors;
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Treat a connection as dead after this long without any frame (the server pings every 15 s).
const DEAD_AFTER: Duration = Duration::from_secs(45);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered the request with an `error` (or an HTTP error body).
    #[error("{}: {}", .0.code, .0.message)]
    Server(ErrorBody),
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("websocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The connection dropped before the reply; the op may or may not have happened.
    #[error("disconnected before the reply")]
    Disconnected,
    /// The bot was closed, or the server refused it for good (close code 4500–4999).
    #[error("closed: {0}")]
    Closed(String),
    #[error("decoding: {0}")]
    Decode(String),
}

impl Error {
    /// The protocol error code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Server(b) => Some(b.code),
            _ => None,
        }
    }
}

/// Whether a close code allows reconnecting: 4500–4999 do not (PROTOCOL.md §15).
pub fn should_reconnect(code: u16) -> bool {
    !(4500..=4999).contains(&code)
}

/// Backoff before attempt `attempt` (0-based): doubling from 500 ms up to 30 s,
/// scaled by `jitter` in [0, 1] into [50%, 100%] of that.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let cap = (500u64 << attempt.min(6)).min(30_000);
    Duration::from_millis(cap / 2 + (cap as f64 / 2.0 * jitter.clamp(0.0, 1.0)) as u64)
}

fn jitter() -> f64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    (nanos.wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0
}

/// What [`Bot::next_event`] yields.
#[derive(Clone, Debug, PartialEq)]
pub enum BotEvent {
    /// An event of a followed stream, each seq once, in order per stream.
    Event(Event),
    /// Any other push: presence, typing, read, stream_added, and `Push::Unknown`
    /// for pushes of a newer server. (`skip` markers only advance the stream's cursor.)
    Push(Push),
    /// A frame this SDK could not decode at all (a newer server's shape of a
    /// known frame, say): handed over as raw bytes in the connection's encoding,
    /// never silently dropped.
    Undecodable { bytes: Vec<u8>, error: String },
    /// The resume of `stream` was not honoured (new epoch, or too far behind):
    /// events were missed; reload with `history` if you keep state. Live
    /// events continue after `head`.
    Reset { stream: StreamId, epoch: String, head: Seq },
    /// Connected (again) and every followed stream is resubscribed.
    Connected { reconnected: bool },
    /// The connection dropped; `retry_in` is None when it will not reconnect.
    Disconnected { code: u16, reason: String, retry_in: Option<Duration> },
}

/// The answer to `POST /api/v1/auth/login`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Login {
    pub token: String,
    pub user: UserInfo,
}

enum Command {
    Request { op: Op, reply: oneshot::Sender<Result<serde_json::Value, Error>>, internal: bool },
    Ready { generation: u64 },
    Close,
}

struct Shared {
    cursors: Cursors,
    user: Option<UserInfo>,
    epoch: Option<String>,
}

/// A connected bot. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Bot {
    cmd: mpsc::UnboundedSender<Command>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<BotEvent>>,
    shared: Arc<Mutex<Shared>>,
}

fn ws_url(url: &str) -> String {
    let mut u = url.trim_end_matches('/').to_owned();
    if let Some(rest) = u.strip_prefix("http://") {
        u = format!("ws://{rest}");
    } else if let Some(rest) = u.strip_prefix("https://") {
        u = format!("wss://{rest}");
    }
    let after_scheme = u.split_once("://").map(|(_, r)| r).unwrap_or(&u);
    if !after_scheme.contains('/') {
        u.push_str("/ws");
    }
    u
}

async fn open_socket(url: &str, token: &str, enc: Encoding) -> Result<Ws, Error> {
    let mut req = url.into_client_request()?;
    let h = req.headers_mut();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| Error::Decode(e.to_string()))?,
    );
    // Batched messages first (several frames per message, PROTOCOL.md §3), the plain
    // subprotocol as the fallback for servers without batching. Every message goes
    // through `batch_frames`, which yields an unbatched message whole.
    use agora_protocol::{SUBPROTOCOL_JSON, SUBPROTOCOL_JSON_BATCH, SUBPROTOCOL_MSGPACK, SUBPROTOCOL_MSGPACK_BATCH};
    let (batched, plain) = match enc {
        Encoding::Json => (SUBPROTOCOL_JSON_BATCH, SUBPROTOCOL_JSON),
        Encoding::MsgPack => (SUBPROTOCOL_MSGPACK_BATCH, SUBPROTOCOL_MSGPACK),
    };
    let protos = HeaderValue::from_str(&format!("{batched}, {plain}")).map_err(|e| Error::Decode(e.to_string()))?;
    h.insert("sec-websocket-protocol", protos);
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    Ok(ws)
}

impl Bot {
    /// Log in with a username and password over HTTP (`http_base` like `http://127.0.0.1:8080`).
    pub async fn login(http_base: &str, user: &str, password: &str) -> Result<Login, Error> {
        let url = format!("{}/api/v1/auth/login", http_base.trim_end_matches('/'));
        let res = reqwest::Client::new()
            .post(url)
            .json(&serde_json::json!({ "username": user, "password": password }))
            .send()
            .await?;
        if !res.status().is_success() {
            let body: ErrorBody = res.json().await?;
            return Err(Error::Server(body));
        }
        Ok(res.json().await?)
    }

    /// Connect with a token (a JWT from [`Bot::login`] or an `agb_` API token).
    /// `url` is `http://host:port`, or the full `ws://host:port/ws`. The first
    /// connection must succeed; later drops are reconnected automatically.
    pub async fn connect(url: &str, token: &str, enc: Encoding) -> Result<Bot, Error> {
        let url = ws_url(url);
        let ws = open_socket(&url, token, enc).await?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(Shared { cursors: Cursors::default(), user: None, epoch: None }));
        let conn = Connection {
            url,
            token: token.to_owned(),
            enc,
            cmd_tx: cmd_tx.clone(),
            events: ev_tx,
            shared: shared.clone(),
            pending: HashMap::new(),
            pending_subs: HashMap::new(),
            waiting: Vec::new(),
            next_id: 1,
            generation: 0,
            ready: false,
            ever_ready: false,
        };
        let (first_tx, first_rx) = oneshot::channel();
        tokio::spawn(conn.run(ws, cmd_rx, first_tx));
        let bot = Bot { cmd: cmd_tx, events: tokio::sync::Mutex::new(ev_rx), shared };
        first_rx.await.map_err(|_| Error::Closed("connection task ended".into()))??;
        Ok(bot)
    }

    /// The next push or connection event; None once the bot is closed for good.
    pub async fn next_event(&self) -> Option<BotEvent> {
        self.events.lock().await.recv().await
    }

    /// Who the bot is (from `whoami` on the latest connection).
    pub fn user(&self) -> Option<UserInfo> {
        self.shared.lock().unwrap().user.clone()
    }

    /// The server epoch seen last.
    pub fn epoch(&self) -> Option<String> {
        self.shared.lock().unwrap().epoch.clone()
    }

    /// The last seq processed for a followed stream.
    pub fn last_seq(&self, stream: &StreamId) -> Option<Seq> {
        self.shared.lock().unwrap().cursors.get(stream).and_then(|c| c.last_seq)
    }

    /// Close the connection for good.
    pub fn close(&self) {
        let _ = self.cmd.send(Command::Close);
    }

    /// Send any op and get its raw `ok` value.
    pub async fn request(&self, op: Op) -> Result<serde_json::Value, Error> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(Command::Request { op, reply: tx, internal: false })
            .map_err(|_| Error::Closed("bot closed".into()))?;
        rx.await.map_err(|_| Error::Closed("bot closed".into()))?
    }

    async fn typed<T: DeserializeOwned>(&self, op: Op) -> Result<T, Error> {
        let v = self.request(op).await?;
        ServerFrame::ok_as(v).map_err(|e| Error::Decode(e.to_string()))
    }

    pub async fn whoami(&self) -> Result<WhoamiOk, Error> {
        self.typed(Op::Whoami {}).await
    }

    pub async fn list_streams(&self) -> Result<Vec<StreamSummary>, Error> {
        Ok(self.typed::<ListStreamsOk>(Op::ListStreams {}).await?.streams)
    }

    pub async fn stream_info(&self, stream: &StreamId) -> Result<StreamInfoOk, Error> {
        self.typed(Op::StreamInfo { stream: stream.clone() }).await
    }

    /// Follow a stream: subscribe now and again after every reconnect. With
    /// `since: None`, resumes from the remembered cursor if any, else live only.
    pub async fn subscribe(&self, stream: &StreamId, since: Option<Seq>) -> Result<SubscribeOk, Error> {
        let (since, epoch) = {
            let mut sh = self.shared.lock().unwrap();
            sh.cursors.follow(stream);
            match since {
                Some(s) => (Some(s), sh.epoch.clone()),
                None => sh.cursors.resume_point(stream),
            }
        };
        self.typed(Op::Subscribe { stream: stream.clone(), since, epoch }).await
    }

    pub async fn unsubscribe(&self, stream: &StreamId) -> Result<(), Error> {
        self.shared.lock().unwrap().cursors.forget(stream);
        self.typed::<Empty>(Op::Unsubscribe { stream: stream.clone() }).await.map(|_| ())
    }

    pub async fn history(
        &self,
        stream: &StreamId,
        before: Option<Seq>,
        after: Option<Seq>,
        limit: Option<u32>,
    ) -> Result<HistoryOk, Error> {
        self.typed(Op::History { stream: stream.clone(), before, after, limit }).await
    }

    pub async fn join(&self, stream: &StreamId) -> Result<AppendOk, Error> {
        self.typed(Op::Join { stream: stream.clone() }).await
    }

    pub async fn mark_read(&self, stream: &StreamId, seq: Seq) -> Result<(), Error> {
        self.typed::<Empty>(Op::MarkRead { stream: stream.clone(), seq }).await.map(|_| ())
    }

    pub async fn typing(&self, stream: &StreamId) -> Result<(), Error> {
        self.typed::<Empty>(Op::Typing { stream: stream.clone() }).await.map(|_| ())
    }

    /// Post a message (see [`Bot::post_with`]).
    pub async fn post(&self, stream: &StreamId, text: &str) -> Result<AppendOk, Error> {
        self.post_with(stream, text, None).await
    }

    /// Post with an idempotency key; if the connection drops before the ack,
    /// re-send with the same key after the reconnect (stored at most once).
    /// Waits out `rate_limited` answers.
    pub async fn post_with(&self, stream: &StreamId, text: &str, reply_to: Option<Seq>) -> Result<AppendOk, Error> {
        let idem = new_idem();
        loop {
            let op = Op::Post {
                stream: stream.clone(),
                text: text.to_owned(),
                reply_to,
                idem: Some(idem.clone()),
                attachments: vec![],
            };
            match self.typed(op).await {
                Err(Error::Disconnected) => continue,
                Err(Error::Server(b)) if b.code == ErrorCode::RateLimited => {
                    tokio::time::sleep(Duration::from_millis(b.retry_after_ms.unwrap_or(500))).await;
                }
                other => return other,
            }
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.cmd.send(Command::Close);
    }
}

fn new_idem() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("bot-{t:x}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The background task that owns the socket.
struct Connection {
    url: String,
    token: String,
    enc: Encoding,
    cmd_tx: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedSender<BotEvent>,
    shared: Arc<Mutex<Shared>>,
    pending: HashMap<u64, oneshot::Sender<Result<serde_json::Value, Error>>>,
    /// Subscribe requests in flight: id -> (stream, since sent).
    pending_subs: HashMap<u64, (StreamId, Option<Seq>)>,
    /// User requests held until the connection is ready.
    waiting: Vec<Command>,
    next_id: u64,
    generation: u64,
    ready: bool,
    ever_ready: bool,
}

enum Ended {
    Closed { code: u16, reason: String },
    Stop,
}

impl Connection {
    async fn run(
        mut self,
        first: Ws,
        mut cmds: mpsc::UnboundedReceiver<Command>,
        first_ready: oneshot::Sender<Result<(), Error>>,
    ) {
        let mut first_ready = Some(first_ready);
        let mut ws = Some(first);
        let mut attempt: u32 = 0;
        loop {
            let socket = match ws.take() {
                Some(s) => s,
                None => match open_socket(&self.url, &self.token, self.enc).await {
                    Ok(s) => s,
                    Err(e) => {
                        let fatal = matches!(&e, Error::WebSocket(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401 || r.status() == 403);
                        if fatal {
                            self.shutdown(4500, "unauthorized".into());
                            return;
                        }
                        let delay = backoff_delay(attempt, jitter());
                        attempt += 1;
                        let _ = self.events.send(BotEvent::Disconnected {
                            code: 1006,
                            reason: e.to_string(),
                            retry_in: Some(delay),
                        });
                        if self.sleep_handling(delay, &mut cmds).await {
                            self.shutdown(1000, "closed".into());
                            return;
                        }
                        continue;
                    }
                },
            };
            self.generation += 1;
            self.ready = false;
            self.next_id = 1;
            self.spawn_setup(first_ready.take());
            let started = tokio::time::Instant::now();
            match self.serve(socket, &mut cmds).await {
                Ended::Stop => {
                    self.shutdown(1000, "closed".into());
                    return;
                }
                Ended::Closed { code, reason } => {
                    self.fail_pending();
                    if !should_reconnect(code) {
                        self.shutdown(code, reason);
                        return;
                    }
                    if started.elapsed() > Duration::from_secs(10) {
                        attempt = 0; // it was stable
                    }
                    let mut delay = backoff_delay(attempt, jitter());
                    if code == 4002 {
                        delay = delay.max(Duration::from_secs(10)); // flood
                    }
                    attempt += 1;
                    let _ = self.events.send(BotEvent::Disconnected { code, reason, retry_in: Some(delay) });
                    if self.sleep_handling(delay, &mut cmds).await {
                        self.shutdown(1000, "closed".into());
                        return;
                    }
                }
            }
        }
    }

    /// Sleep while queueing commands; true if asked to close.
    async fn sleep_handling(&mut self, delay: Duration, cmds: &mut mpsc::UnboundedReceiver<Command>) -> bool {
        let until = tokio::time::sleep(delay);
        tokio::pin!(until);
        loop {
            tokio::select! {
                _ = &mut until => return false,
                c = cmds.recv() => match c {
                    None | Some(Command::Close) => return true,
                    Some(Command::Ready { .. }) => {}
                    Some(Command::Request { reply, internal: true, .. }) => { let _ = reply.send(Err(Error::Disconnected)); }
                    Some(c) => self.waiting.push(c),
                },
            }
        }
    }

    fn shutdown(&mut self, code: u16, reason: String) {
        self.fail_pending();
        let msg = format!("{code} {reason}");
        for c in self.waiting.drain(..) {
            if let Command::Request { reply, .. } = c {
                let _ = reply.send(Err(Error::Closed(msg.clone())));
            }
        }
        let _ = self.events.send(BotEvent::Disconnected { code, reason, retry_in: None });
    }

    fn fail_pending(&mut self) {
        for (_, tx) in self.pending.drain() {
            let _ = tx.send(Err(Error::Disconnected));
        }
        self.pending_subs.clear();
    }

    /// whoami + resubscribe every followed stream, then mark the connection ready.
    fn spawn_setup(&self, first_ready: Option<oneshot::Sender<Result<(), Error>>>) {
        let cmd = self.cmd_tx.clone();
        let shared = self.shared.clone();
        let generation = self.generation;
        tokio::spawn(async move {
            let internal = |op: Op| {
                let cmd = cmd.clone();
                async move {
                    let (tx, rx) = oneshot::channel();
                    cmd.send(Command::Request { op, reply: tx, internal: true }).map_err(|_| Error::Disconnected)?;
                    rx.await.map_err(|_| Error::Disconnected)?
                }
            };
            let who = match internal(Op::Whoami {})
                .await
                .and_then(|v| ServerFrame::ok_as::<WhoamiOk>(v).map_err(|e| Error::Decode(e.to_string())))
            {
                Ok(w) => w,
                Err(e) => {
                    if let Some(tx) = first_ready {
                        let _ = tx.send(Err(e));
                    }
                    return;
                }
            };
            let streams = {
                let mut sh = shared.lock().unwrap();
                sh.user = Some(who.user);
                sh.epoch = Some(who.epoch);
                sh.cursors.followed()
            };
            let subs = streams.into_iter().map(|s| {
                let (since, epoch) = shared.lock().unwrap().cursors.resume_point(&s);
                internal(Op::Subscribe { stream: s, since, epoch })
            });
            for r in futures_util::future::join_all(subs).await {
                if matches!(r, Err(Error::Disconnected)) {
                    return; // this connection died; the next one redoes the setup
                }
            }
            let _ = cmd.send(Command::Ready { generation });
            if let Some(tx) = first_ready {
                let _ = tx.send(Ok(()));
            }
        });
    }

    async fn send(&mut self, sink: &mut Ws, op: Op, reply: oneshot::Sender<Result<serde_json::Value, Error>>) {
        let id = self.next_id;
        self.next_id += 1;
        if let Op::Subscribe { stream, since, .. } = &op {
            self.pending_subs.insert(id, (stream.clone(), *since));
        }
        let bytes = encode(&Request { id, op }, self.enc);
        let msg = match self.enc {
            Encoding::Json => Message::text(String::from_utf8(bytes).expect("JSON is UTF-8")),
            Encoding::MsgPack => Message::binary(bytes),
        };
        self.pending.insert(id, reply);
        if sink.send(msg).await.is_err() {
            if let Some(tx) = self.pending.remove(&id) {
                let _ = tx.send(Err(Error::Disconnected));
            }
        }
    }

    async fn serve(&mut self, mut socket: Ws, cmds: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
        loop {
            tokio::select! {
                c = cmds.recv() => match c {
                    None | Some(Command::Close) => {
                        let _ = socket.close(None).await;
                        return Ended::Stop;
                    }
                    Some(Command::Ready { generation }) if generation == self.generation => {
                        self.ready = true;
                        let reconnected = self.ever_ready;
                        self.ever_ready = true;
                        for c in std::mem::take(&mut self.waiting) {
                            if let Command::Request { op, reply, .. } = c {
                                self.send(&mut socket, op, reply).await;
                            }
                        }
                        let _ = self.events.send(BotEvent::Connected { reconnected });
                    }
                    Some(Command::Ready { .. }) => {}
                    Some(Command::Request { op, reply, internal }) => {
                        if internal || self.ready {
                            self.send(&mut socket, op, reply).await;
                        } else {
                            self.waiting.push(Command::Request { op, reply, internal });
                        }
                    }
                },
                frame = tokio::time::timeout(DEAD_AFTER, socket.next()) => match frame {
                    Err(_) => return Ended::Closed { code: 1006, reason: "no frames for 45 s".into() },
                    Ok(None) => return Ended::Closed { code: 1006, reason: "connection lost".into() },
                    Ok(Some(Err(e))) => return Ended::Closed { code: 1006, reason: e.to_string() },
                    Ok(Some(Ok(msg))) => match msg {
                        Message::Text(t) => self.on_message(&mut socket, t.as_bytes()).await,
                        Message::Binary(b) => self.on_message(&mut socket, &b).await,
                        Message::Close(c) => {
                            let (code, reason) = c.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((u16::from(WsCloseCode::Status), String::new()));
                            return Ended::Closed { code, reason };
                        }
                        _ => {}
                    },
                },
            }
        }
    }

    /// Every frame of one server message, in order.
    async fn on_message(&mut self, socket: &mut Ws, bytes: &[u8]) {
        for frame in batch_frames(bytes, self.enc) {
            match frame {
                Ok(f) => self.on_frame(socket, f).await,
                Err(_) => return, // undecodable rest of a batch: nothing more to read in it
            }
        }
    }

    async fn on_frame(&mut self, socket: &mut Ws, bytes: &[u8]) {
        // Unknown kinds, event types and pushes decode (as `Unknown`); what still
        // fails goes to the application as raw bytes.
        let frame = match decode_server_frame(bytes, self.enc) {
            Ok(f) => f,
            Err(error) => {
                let _ = self.events.send(BotEvent::Undecodable { bytes: bytes.to_vec(), error });
                return;
            }
        };
        match frame {
            ServerFrame::Push(Push::Event(ev)) => {
                let fresh = self.shared.lock().unwrap().cursors.accept(&ev.stream, ev.seq);
                if fresh {
                    let _ = self.events.send(BotEvent::Event(ev));
                }
            }
            ServerFrame::Push(Push::Skip { stream, to, .. }) => {
                // Seqs not for this bot: resume continues after them.
                self.shared.lock().unwrap().cursors.accept(&stream, to);
            }
            ServerFrame::Push(p) => {
                let _ = self.events.send(BotEvent::Push(p));
            }
            ServerFrame::Reply { re: Some(re), result } => {
                if let Some((stream, since)) = self.pending_subs.remove(&re) {
                    self.on_subscribe_reply(socket, &stream, since, &result).await;
                }
                if let Some(tx) = self.pending.remove(&re) {
                    let _ = tx.send(result.map_err(Error::Server));
                }
            }
            ServerFrame::Reply { re: None, .. } => {}
        }
    }

    /// Update cursors as the reply arrives, before any replayed event is read.
    async fn on_subscribe_reply(
        &mut self,
        socket: &mut Ws,
        stream: &StreamId,
        since: Option<Seq>,
        result: &Result<serde_json::Value, ErrorBody>,
    ) {
        match result {
            Ok(v) => {
                let Ok(ok) = ServerFrame::ok_as::<SubscribeOk>(v.clone()) else { return };
                let reset = {
                    let mut sh = self.shared.lock().unwrap();
                    sh.epoch = Some(ok.epoch.clone());
                    sh.cursors.subscribed(&ok, since)
                };
                if reset {
                    let _ =
                        self.events.send(BotEvent::Reset { stream: stream.clone(), epoch: ok.epoch, head: ok.head });
                }
            }
            Err(e) if e.code == ErrorCode::TooFarBehind && since.is_some() => {
                // Too much to replay: follow live from now on and report the gap.
                let (tx, rx) = oneshot::channel();
                self.send(socket, Op::Subscribe { stream: stream.clone(), since: None, epoch: None }, tx).await;
                let events = self.events.clone();
                let stream = stream.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(v)) = rx.await {
                        if let Ok(ok) = ServerFrame::ok_as::<SubscribeOk>(v) {
                            let _ = events.send(BotEvent::Reset { stream, epoch: ok.epoch, head: ok.head });
                        }
                    }
                });
            }
            Err(e) if e.code == ErrorCode::NotFound => {
                self.shared.lock().unwrap().cursors.forget(stream);
            }
            Err(_) => {}
        }
    }
}

/// Helpers for bots: who an event mentions, its text.
pub fn message_text(ev: &Event) -> Option<(&str, &[UserId])> {
    match &ev.body {
        agora_protocol::EventBody::MessagePosted { text, mentions, .. } => Some((text.as_str(), mentions.as_slice())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_rules() {
        for code in [1000, 1001, 1006, 1011, 4000, 4001, 4002, 4499] {
            assert!(should_reconnect(code), "{code}");
        }
        for code in [4500, 4501, 4999] {
            assert!(!should_reconnect(code), "{code}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        assert_eq!(backoff_delay(0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(0, 1.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(3, 1.0), Duration::from_millis(4000));
        assert_eq!(backoff_delay(30, 1.0), Duration::from_millis(30_000));
    }

    #[test]
    fn urls() {
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("https://chat.example.com/"), "wss://chat.example.com/ws");
        assert_eq!(ws_url("ws://h:1/ws"), "ws://h:1/ws");
    }
}
