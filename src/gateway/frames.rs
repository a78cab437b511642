//! Frames: what a connection's writer receives and how a push becomes bytes.
//!
//! [`SharedFrame`] wraps a push once and encodes it at most once per encoding,
//! sharing the bytes with every connection of that encoding. [`Outbound`] is
//! the item type of a connection's bounded queue; [`Closer`] closes one
//! connection from anywhere, exactly once, with a reason. What does not live
//! here: who is subscribed to what (that is the hub, `crate::hub`), and the
//! connection's task (`session`, `writer`).

use crate::registry::StreamEntry;
use crate::streams::Audience;
use agora_protocol::codec::{encode, Encoding};
use agora_protocol::{CloseCode, Push, Seq, StreamId};
use axum::extract::ws::Message;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};
use tokio_util::sync::CancellationToken;

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

/// A committed event on its way to subscribers: its frame (encoded once per
/// encoding) and who among the stream's readers may see it.
pub struct LiveEvent {
    pub frame: Arc<SharedFrame>,
    pub audience: Audience,
    /// The event as members are shown it, if censoring changes it (staff get `frame`).
    pub censored: Option<Arc<SharedFrame>>,
}

/// What a connection's writer task receives, in order.
pub enum Outbound {
    /// Consecutive events of one stream, live from the hub. The writer checks each
    /// against its cursor and the connection's user against the event's audience.
    Events(Arc<[LiveEvent]>),
    /// An ephemeral push about a stream (presence, typing): sent if subscribed.
    StreamPush(StreamId, Arc<SharedFrame>),
    /// A frame for this connection alone (a push to the user).
    Frame(Arc<SharedFrame>),
    /// A reply, already encoded for this connection.
    Reply(Message),
    /// The reply to a request that awaited its commit: written like `Reply`, and
    /// counted off the connection's requests in flight.
    Done(Message),
    /// Start (or restart) delivering `stream`: write `reply` (the subscribe
    /// reply), then replay (since, committed head] from the log, then live.
    /// One item, so no live event can fall between the reply and the replay.
    /// Boxed, like `Unsubscribed`: every queue preallocates a block of items, so
    /// the largest variant sets a floor on each idle connection's memory.
    Subscribed(Box<Subscribed>),
    /// Write `reply` (if any), then stop delivering `stream`.
    Unsubscribed(Box<Unsubscribed>),
    /// Close the connection with this code after everything queued before it
    /// (a flood close must not overtake the replies already owed).
    Close(CloseCode),
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
