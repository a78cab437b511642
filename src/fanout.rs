//! Fan-out: who is subscribed to what, and handing each of them the event.
//!
//! An event is wrapped once in a [`SharedFrame`]; each encoding's bytes are
//! produced at most once (by whichever connection writer needs them first)
//! and shared by reference with every subscriber of that encoding. Delivery
//! is a `try_send` into the connection's bounded queue: a full queue closes
//! that connection as a slow consumer (it resumes later with `since`); it
//! never blocks the publisher or the other subscribers.

use crate::metrics::Metrics;
use crate::registry::StreamEntry;
use agora_protocol::codec::{encode, Encoding};
use agora_protocol::{CloseCode, Push, Seq, StreamId, UserId};
use axum::extract::ws::Message;
use dashmap::DashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A connection's id, unique for the life of the process.
pub type ConnId = u64;

/// A push encoded lazily, once per encoding, then shared.
pub struct SharedFrame {
    push: Push,
    encoded: [OnceLock<Message>; 2],
}

impl SharedFrame {
    pub fn new(push: Push) -> Arc<SharedFrame> {
        Arc::new(SharedFrame { push, encoded: [OnceLock::new(), OnceLock::new()] })
    }
    pub fn push(&self) -> &Push {
        &self.push
    }
    /// The frame as a WebSocket message in `enc`; encoded on first use.
    pub fn message(&self, enc: Encoding) -> Message {
        self.encoded[enc.index()].get_or_init(|| to_message(&self.push, enc)).clone()
    }
    /// (stream, seq) when this is an event push.
    pub fn event_pos(&self) -> Option<(&StreamId, Seq)> {
        match &self.push {
            Push::Event(ev) => Some((&ev.stream, ev.seq)),
            _ => None,
        }
    }
}

/// Encode any wire value as a message: text frames for JSON, binary for MessagePack.
pub fn to_message<T: serde::Serialize + ?Sized>(value: &T, enc: Encoding) -> Message {
    let bytes = encode(value, enc);
    match enc {
        // serde_json writes valid UTF-8.
        Encoding::Json => Message::Text(String::from_utf8(bytes).unwrap_or_default().into()),
        Encoding::MsgPack => Message::Binary(bytes.into()),
    }
}

/// What a connection's writer task receives, in order.
pub enum Outbound {
    /// Consecutive events of one stream, live from the hub. The writer checks each against its cursor.
    Events(Arc<[Arc<SharedFrame>]>),
    /// An ephemeral push about a stream (presence, typing): sent if subscribed.
    StreamPush(StreamId, Arc<SharedFrame>),
    /// A frame for this connection alone (a push to the user).
    Frame(Arc<SharedFrame>),
    /// A reply, already encoded for this connection.
    Reply(Message),
    /// Start (or restart) delivering `stream`: write `reply` (the subscribe
    /// reply), then replay (since, committed head] from the log, then live.
    /// One item, so no live event can fall between the reply and the replay.
    /// Boxed, like `Unsubscribed`: every queue preallocates a block of items, so
    /// the largest variant sets a floor on each idle connection's memory.
    Subscribed(Box<Subscribed>),
    /// Write `reply` (if any), then stop delivering `stream`.
    Unsubscribed(Box<Unsubscribed>),
}

pub struct Subscribed {
    pub reply: Option<Message>,
    pub stream: StreamId,
    pub since: Seq,
    pub entry: Arc<StreamEntry>,
}

pub struct Unsubscribed {
    pub reply: Option<Message>,
    pub stream: StreamId,
}

impl Outbound {
    /// Put an op's reply inside this control item so both are handled as one;
    /// gives the reply back if this item does not carry one.
    pub fn attach_reply(&mut self, m: Message) -> Option<Message> {
        match self {
            Outbound::Subscribed(s) if s.reply.is_none() => {
                s.reply = Some(m);
                None
            }
            Outbound::Unsubscribed(u) if u.reply.is_none() => {
                u.reply = Some(m);
                None
            }
            _ => Some(m),
        }
    }
}

/// Closes one connection from anywhere, with a reason, exactly once.
#[derive(Default)]
pub struct Closer {
    code: AtomicU16,
    token: CancellationToken,
}

impl Closer {
    pub fn close(&self, code: CloseCode) {
        if self.code.compare_exchange(0, code.code(), Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.token.cancel();
        }
    }
    pub fn code(&self) -> Option<CloseCode> {
        CloseCode::from_code(self.code.load(Ordering::Acquire))
    }
    /// Resolves once the connection is closed. Meant to be pinned once per task
    /// and polled on every wakeup (see [`Closed`]).
    pub fn closed(&self) -> Closed<'_> {
        Closed { code: &self.code, wait: Box::pin(self.token.cancelled()), waker: None }
    }
    pub fn is_closed(&self) -> bool {
        self.code.load(Ordering::Acquire) != 0
    }
}

/// The future of [`Closer::closed`]. A writer polls it on every wakeup (it is the
/// first branch of its `select!`), and polling the token's own future takes two
/// mutexes each time (2% of the server's CPU in the many-streams fan-out). So
/// the close code, which `close` stores before it cancels the token, is checked
/// first with one atomic load, and the token's future is polled only to register
/// a waker: on the first poll and when the polling task's waker changes. The
/// registered waker stays with the token until it is cancelled.
pub struct Closed<'a> {
    code: &'a AtomicU16,
    wait: std::pin::Pin<Box<tokio_util::sync::WaitForCancellationFuture<'a>>>,
    waker: Option<std::task::Waker>,
}

impl std::future::Future for Closed<'_> {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        use std::task::Poll;
        if self.code.load(Ordering::Acquire) != 0 {
            return Poll::Ready(());
        }
        if self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        self.waker = Some(cx.waker().clone());
        self.wait.as_mut().poll(cx)
    }
}

/// One connection as the hub sees it.
#[derive(Clone)]
pub struct ConnHandle {
    pub id: ConnId,
    pub user: UserId,
    pub tx: mpsc::Sender<Outbound>,
    pub closer: Arc<Closer>,
}

impl ConnHandle {
    /// Queue without waiting; a full queue cuts the connection off as a slow consumer.
    fn deliver(&self, item: Outbound, metrics: &Metrics) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.closer.is_closed() {
                    metrics.slow_consumers.inc();
                    tracing::info!(conn = self.id, user = %self.user, "outbound queue full; closing slow consumer");
                }
                self.closer.close(CloseCode::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

pub struct Hub {
    /// stream → its subscribed connections.
    streams: DashMap<StreamId, Vec<ConnHandle>>,
    /// user → their open connections (for `read` and `stream_added` pushes).
    users: DashMap<UserId, Vec<ConnHandle>>,
    metrics: Arc<Metrics>,
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Hub {
        Hub { streams: DashMap::new(), users: DashMap::new(), metrics }
    }

    pub fn subscribe(&self, stream: &StreamId, conn: &ConnHandle) {
        let mut subs = self.streams.entry(stream.clone()).or_default();
        if !subs.iter().any(|c| c.id == conn.id) {
            subs.push(conn.clone());
            self.metrics.subscriptions.inc();
        }
    }

    pub fn unsubscribe(&self, stream: &StreamId, conn: ConnId) {
        let mut empty = false;
        if let Some(mut subs) = self.streams.get_mut(stream) {
            let before = subs.len();
            subs.retain(|c| c.id != conn);
            if subs.len() < before {
                self.metrics.subscriptions.dec();
            }
            empty = subs.is_empty();
        }
        if empty {
            self.streams.remove_if(stream, |_, v| v.is_empty());
        }
    }

    /// Drop `user`'s subscriptions to `stream` (they lost access) and tell their writers.
    pub fn revoke_user(&self, stream: &StreamId, user: &UserId) {
        let mut removed = Vec::new();
        if let Some(mut subs) = self.streams.get_mut(stream) {
            subs.retain(|c| {
                let keep = &c.user != user;
                if !keep {
                    removed.push(c.clone());
                }
                keep
            });
        }
        for c in removed {
            self.metrics.subscriptions.dec();
            c.deliver(Outbound::Unsubscribed(Box::new(Unsubscribed { reply: None, stream: stream.clone() })), &self.metrics);
        }
    }

    pub fn add_user_conn(&self, conn: &ConnHandle) {
        self.users.entry(conn.user.clone()).or_default().push(conn.clone());
    }

    pub fn remove_user_conn(&self, user: &UserId, conn: ConnId) {
        if let Some(mut v) = self.users.get_mut(user) {
            v.retain(|c| c.id != conn);
        }
        self.users.remove_if(user, |_, v| v.is_empty());
    }

    /// Deliver committed events of one stream (in seq order) to every subscriber:
    /// one queue item per subscriber for the whole run, so a group commit of k
    /// events costs each subscriber one enqueue and one wakeup, not k.
    pub fn publish_events(&self, stream: &StreamId, events: Vec<agora_protocol::Event>) {
        if events.is_empty() {
            return;
        }
        let started = std::time::Instant::now();
        let n = events.len() as u64;
        let frames: Arc<[Arc<SharedFrame>]> = events.into_iter().map(|e| SharedFrame::new(Push::Event(e))).collect();
        let mut delivered = 0u64;
        if let Some(subs) = self.streams.get(stream) {
            for c in subs.iter() {
                delivered += c.deliver(Outbound::Events(frames.clone()), &self.metrics) as u64 * n;
            }
        }
        self.metrics.deliveries.inc_by(delivered);
        self.metrics.fanout_seconds.observe(started.elapsed().as_secs_f64());
    }

    /// Deliver an ephemeral push to a stream's subscribers, except `except`'s connections.
    pub fn publish_stream_push(&self, stream: &StreamId, push: Push, except: Option<&UserId>) {
        let Some(subs) = self.streams.get(stream) else { return };
        let frame = SharedFrame::new(push);
        for c in subs.iter().filter(|c| Some(&c.user) != except) {
            c.deliver(Outbound::StreamPush(stream.clone(), frame.clone()), &self.metrics);
        }
    }

    /// Deliver a push to every connection of `user`, except connection `except`.
    pub fn push_to_user(&self, user: &UserId, push: Push, except: Option<ConnId>) {
        let Some(conns) = self.users.get(user) else { return };
        let frame = SharedFrame::new(push);
        for c in conns.iter().filter(|c| Some(c.id) != except) {
            c.deliver(Outbound::Frame(frame.clone()), &self.metrics);
        }
    }

    pub fn has_subscribers(&self, stream: &StreamId) -> bool {
        self.streams.get(stream).is_some_and(|s| !s.is_empty())
    }
}
