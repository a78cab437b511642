//! A connection's output: the only code that writes to its socket.
//!
//! The connection's one task (`session`) hands it queued items; it writes
//! every ready frame and flushes once per wakeup (many frames, one syscall).
//! On a batched connection (`*.batch.v1` subprotocols) the ready frames also
//! share WebSocket messages (up to 64 KiB each), so the client handles one
//! message per batch. It keeps a cursor per subscribed stream: an event at or
//! below the cursor is a duplicate and is skipped; an event past cursor+1
//! means a gap (the subscription was just (re)started) and the missing range
//! is read from the log first (on the blocking pool, so a replay never stalls
//! a runtime worker). So each stream is delivered in order with no gap and no
//! duplicate. A write that does not complete within the write timeout closes
//! the connection as a slow consumer; so does a full queue (decided by the
//! hub). What does not live here: reading the socket and the timers
//! (`session`).

use super::frames::{to_message, Closer, LiveEvent, Outbound, SharedFrame, Subscribed, Unsubscribed};
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::registry::StreamEntry;
use crate::streams::kinds::audit::audit_id;
use crate::streams::screening::{censoring, sees_original, shown};
use crate::streams::{can_see, Actor, Sources};
use agora_protocol::{CloseCode, Encoding, Push, Seq, StreamId};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Writer {
    /// The whole socket: `session` reads it through this field between writes
    /// (one task per connection, no split and no lock between a reader and a writer).
    pub socket: WebSocket,
    pub rx: mpsc::Receiver<Outbound>,
    pub enc: Encoding,
    /// Several frames may share one WebSocket message (`*.batch.v1` subprotocols).
    pub batch: bool,
    pub log: Arc<dyn Engine>,
    /// Shared bound on replay reads running at once (`App::replay_slots`).
    pub replay_slots: Arc<tokio::sync::Semaphore>,
    pub closer: Arc<Closer>,
    /// Counts a write past `write_timeout` as a slow consumer (the hub counts full queues).
    pub metrics: Arc<Metrics>,
    pub write_timeout: Duration,
    /// How long the close frame may wait for room in the socket (`close_timeout_ms`).
    pub close_timeout: Duration,
    /// Most queued items rendered before one write and flush (`writer_batch_items`).
    pub max_batch: usize,
    /// Largest joined message on a batched connection (`batch_message_bytes`).
    pub batch_message_bytes: usize,
    /// Events per replay page (`replay_page_events`).
    pub replay_page: usize,
    /// Whose connection this is: events are filtered by their audience for them.
    pub who: Actor,
    /// Their role now (a role change applies at once): copied into `who` before each read.
    pub role: Arc<crate::hub::RoleCell>,
    /// Where the visibility rule finds the events others depend on (feed items' sources).
    pub sources: Arc<dyn Sources>,
    /// stream → last seq delivered (or skipped as not for this user).
    pub cursors: FxHashMap<StreamId, Cursor>,
    /// Requests awaiting their commit whose reply (`Outbound::Done`) is not written yet.
    pub in_flight: usize,
    /// Frames of one batch, and the spare buffer batching swaps in: both are kept between batches.
    pub out: Vec<Message>,
    pub spare: Vec<Message>,
}

/// Where a subscribed stream's delivery stands.
pub struct Cursor {
    seq: Seq,
    /// The stream's committed state, for the visibility of replayed events.
    entry: Arc<StreamEntry>,
}

pub enum Stop {
    Close(CloseCode),
    SocketGone,
}

impl Writer {
    /// End the connection's output. On a close we decided, no more data is
    /// written: what is already in tungstenite's buffer (at most the message being
    /// written when the close came, which must be finished or the client could not
    /// parse the close frame after it) goes out, then the close frame, as soon as
    /// the socket has room, within `close_timeout`. A client that reads nothing in
    /// that time does not get the close frame: the connection then ends after
    /// whatever the kernel still holds, possibly mid-frame (PROTOCOL.md §14).
    /// Dropping the socket afterwards closes TCP without a reset (`crate::linger`).
    pub async fn close(&mut self, stop: Stop) {
        let (sink, closer) = (&mut self.socket, &self.closer);
        let closing = async {
            if let Stop::Close(code) = stop {
                closer.close(code);
                let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
                // Refused when the client closed first: tungstenite has then queued
                // its echo of the client's close frame, which `close` flushes.
                let _ = sink.send(Message::Close(Some(frame))).await;
            }
            sink.close().await
        };
        let _ = tokio::time::timeout(self.close_timeout, closing).await;
    }

    /// A write did not complete within `write_timeout`: a slow consumer, unless the
    /// connection was already being closed for another reason.
    fn write_timed_out(&self) -> Stop {
        if !self.closer.is_closed() {
            self.metrics.slow_consumers.inc();
            tracing::info!("write timed out; closing slow consumer");
        }
        Stop::Close(CloseCode::SlowConsumer)
    }

    pub async fn send_flush(&mut self, msg: Message) -> Result<(), Stop> {
        match tokio::time::timeout(self.write_timeout, self.socket.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::SocketGone),
            Err(_) => Err(self.write_timed_out()),
        }
    }

    /// Write `first` and whatever else is already queued, then flush once.
    /// `closed` is the connection's wait-for-close future, created once for its
    /// whole life (creating one per wakeup registered and dropped a waiter each
    /// time: 2% of the server's CPU in the many-streams fan-out).
    pub async fn write_batch(
        &mut self,
        first: Outbound,
        closed: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Result<(), Stop> {
        let mut out = std::mem::take(&mut self.out);
        let res = self.write_batch_into(first, &mut out, closed).await;
        out.clear();
        self.out = out;
        res
    }

    async fn write_batch_into(
        &mut self,
        first: Outbound,
        out: &mut Vec<Message>,
        closed: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Result<(), Stop> {
        out.clear();
        // A queued close ends the batch: what was queued before it is written first.
        let mut close = None;
        let mut next = Some(first);
        let mut n = 0;
        while let Some(item) = next.take() {
            if let Outbound::Close(code) = item {
                close = Some(code);
                break;
            }
            self.render(item, out).await?;
            n += 1;
            if n < self.max_batch {
                next = self.rx.try_recv().ok();
            }
        }
        let done = |close: Option<CloseCode>| close.map_or(Ok(()), |code| Err(Stop::Close(code)));
        if out.is_empty() {
            return done(close);
        }
        if self.batch && out.len() > 1 {
            batch_messages(out, &mut self.spare, self.enc, self.batch_message_bytes);
        }
        let timeout = self.write_timeout;
        let sink = &mut self.socket;
        let write = tokio::time::timeout(timeout, async {
            for m in out.drain(..) {
                sink.feed(m).await?;
            }
            sink.flush().await
        });
        // A write blocked on a full socket must not outlive a close decided elsewhere
        // (the hub cutting off a slow consumer): stop waiting at once.
        let res = tokio::select! {
            biased;
            r = write => r,
            _ = closed => return Err(Stop::Close(self.closer.code().unwrap_or(CloseCode::SlowConsumer))),
        };
        match res {
            Ok(Ok(())) => done(close),
            Ok(Err(_)) => Err(Stop::SocketGone),
            Err(_) => Err(self.write_timed_out()),
        }
    }

    /// Turn one queued item into frames to write (possibly none, possibly a replay).
    async fn render(&mut self, item: Outbound, out: &mut Vec<Message>) -> Result<(), Stop> {
        match item {
            Outbound::Reply(m) => out.push(m),
            Outbound::Done(m) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                out.push(m);
            }
            Outbound::Frame(f) => out.push(f.message(self.enc)),
            Outbound::StreamPush(stream, f) => {
                if self.cursors.contains_key(&stream) {
                    out.push(f.message(self.enc));
                }
            }
            Outbound::Subscribed(s) => {
                let Subscribed { reply, stream, since, entry } = *s;
                out.extend(reply);
                let head = entry.committed_head();
                self.cursors.insert(stream.clone(), Cursor { seq: since, entry });
                // Replay to the head committed *now*, not when subscribe ran: an
                // event published in between was dropped (no cursor yet) and must
                // come from the log. Boxed, like every rarely taken await point, so
                // that it does not size the state of every idle connection.
                Box::pin(self.catch_up(&stream, head, out)).await?;
            }
            Outbound::Unsubscribed(u) => {
                let Unsubscribed { reply, stream } = *u;
                out.extend(reply);
                self.cursors.remove(&stream);
            }
            // Taken out by `write_batch` before rendering.
            Outbound::Close(_) => {}
            Outbound::Events(events) => {
                for e in events.iter() {
                    self.render_event(e, out).await?;
                }
            }
        }
        Ok(())
    }

    /// One live event: skip it if already delivered, fill a gap from the log first;
    /// an event not for this user becomes a `skip` marker, so the cursor stays gapless.
    async fn render_event(&mut self, e: &LiveEvent, out: &mut Vec<Message>) -> Result<(), Stop> {
        let f = &e.frame;
        let Some((stream, seq)) = f.event_pos() else { return Ok(()) };
        let Some(cursor) = self.cursors.get(stream).map(|c| c.seq) else { return Ok(()) };
        self.who.role = self.role.get();
        if seq <= cursor {
            return Ok(());
        }
        if seq.0 > cursor.0 + 1 {
            let stream = stream.clone();
            Box::pin(self.catch_up(&stream, Seq(seq.0 - 1), out)).await?;
        }
        if e.audience.admits(&self.who, &*self.sources) {
            let frame = match &e.censored {
                Some(c) if !sees_original(&self.who) => c,
                _ => f,
            };
            out.push(frame.message(self.enc));
        } else {
            out.push(skip(stream, seq, seq, self.enc));
        }
        // Hot path: update in place, no key clone.
        if let Some(c) = self.cursors.get_mut(stream) {
            c.seq = seq;
        }
        Ok(())
    }

    /// Deliver `stream` from its cursor up to `upto` from the log. The reads run on
    /// the blocking pool, page by page, at most `replay_slots` at once: in a resume
    /// storm thousands of replays (possibly from disk) must neither stall the
    /// runtime's workers, and with them every other connection, nor start a
    /// thread each.
    async fn catch_up(&mut self, stream: &StreamId, upto: Seq, out: &mut Vec<Message>) -> Result<(), Stop> {
        self.who.role = self.role.get();
        let Some((mut cursor, entry)) = self.cursors.get(stream).map(|c| (c.seq, c.entry.clone())) else {
            return Ok(());
        };
        let page_size = self.replay_page;
        while cursor < upto {
            let (log, s) = (self.log.clone(), stream.clone());
            // The semaphore is never closed, so acquiring only waits.
            let Ok(slot) = self.replay_slots.clone().acquire_owned().await else {
                return Err(Stop::Close(CloseCode::GoingAway));
            };
            let read = tokio::task::spawn_blocking(move || {
                let page = log.read_range(&s, cursor, upto, page_size);
                drop(slot);
                page
            })
            .await;
            let page = match read {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => {
                    tracing::error!(%stream, error = %e, "replay read failed; closing so the client resumes");
                    return Err(Stop::Close(CloseCode::GoingAway));
                }
                Err(e) => {
                    tracing::error!(%stream, error = %e, "replay read task failed; closing so the client resumes");
                    return Err(Stop::Close(CloseCode::GoingAway));
                }
            };
            if page.is_empty() {
                break;
            }
            // Events this user may not see (by the current state: a message hidden
            // since it was posted stays hidden on resume) become `skip` ranges.
            let st = entry.read().clone();
            let rules = censoring(self.sources.state(&audit_id()).as_ref());
            let mut skipped: Option<(Seq, Seq)> = None;
            for ev in page {
                cursor = ev.seq;
                if can_see(&st, &ev, &self.who, &*self.sources) {
                    if let Some((from, to)) = skipped.take() {
                        out.push(skip(stream, from, to, self.enc));
                    }
                    let ev = shown(ev, &self.who, rules.as_ref());
                    out.push(SharedFrame::new(Push::Event(ev)).message(self.enc));
                } else {
                    skipped = Some(skipped.map_or((ev.seq, ev.seq), |(from, _)| (from, ev.seq)));
                }
            }
            if let Some((from, to)) = skipped {
                out.push(skip(stream, from, to, self.enc));
            }
        }
        if let Some(c) = self.cursors.get_mut(stream) {
            c.seq = cursor;
        }
        Ok(())
    }
}

/// The `skip` marker for seqs `from..=to` of `stream` that this user may not see.
fn skip(stream: &StreamId, from: Seq, to: Seq, enc: Encoding) -> Message {
    to_message(&Push::Skip { stream: stream.clone(), from, to }, enc)
}

/// Join consecutive data frames of `out` into as few messages of at most `cap`
/// bytes as possible: JSON frames one per line, MessagePack values
/// back to back (PROTOCOL.md, "Batched messages"). Order is kept. `scratch` is
/// an empty buffer swapped with `out`, so both keep their capacity between
/// batches, and each joined message is allocated once at its final size.
fn batch_messages(out: &mut Vec<Message>, scratch: &mut Vec<Message>, enc: Encoding, cap: usize) {
    std::mem::swap(out, scratch);
    let data_len = |m: &Message| match (enc, m) {
        (Encoding::Json, Message::Text(t)) => t.len() + 1,
        (Encoding::MsgPack, Message::Binary(b)) => b.len(),
        _ => 0,
    };
    // Bytes of data frames not yet joined: sizes each new buffer.
    let mut left: usize = scratch.iter().map(data_len).sum();
    let fresh = |left: usize| left.min(cap);
    let mut text = String::new();
    let mut bin: Vec<u8> = Vec::new();
    for m in scratch.drain(..) {
        left -= data_len(&m);
        match (enc, m) {
            (Encoding::Json, Message::Text(t)) => {
                if !text.is_empty() && text.len() + 1 + t.len() > cap {
                    out.push(Message::Text(std::mem::take(&mut text).into()));
                }
                if text.is_empty() {
                    text.reserve_exact(fresh(left + t.len() + 1));
                } else {
                    text.push('\n');
                }
                text.push_str(t.as_str());
            }
            (Encoding::MsgPack, Message::Binary(b)) => {
                if !bin.is_empty() && bin.len() + b.len() > cap {
                    out.push(Message::Binary(std::mem::take(&mut bin).into()));
                }
                if bin.is_empty() {
                    bin.reserve_exact(fresh(left + b.len()));
                }
                bin.extend_from_slice(&b);
            }
            (_, other) => {
                // Not a data frame of this encoding: flush what is joined so far, keep order.
                if !text.is_empty() {
                    out.push(Message::Text(std::mem::take(&mut text).into()));
                }
                if !bin.is_empty() {
                    out.push(Message::Binary(std::mem::take(&mut bin).into()));
                }
                out.push(other);
            }
        }
    }
    if !text.is_empty() {
        out.push(Message::Text(text.into()));
    }
    if !bin.is_empty() {
        out.push(Message::Binary(bin.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::codec::{batch_frames, encode};

    const BATCH_MESSAGE_BYTES: usize = 64 * 1024;

    fn frames(enc: Encoding, n: usize, size: usize) -> Vec<Message> {
        (0..n)
            .map(|i| {
                let v = serde_json::json!({"ev": "typing", "n": i, "pad": "x".repeat(size)});
                let bytes = encode(&v, enc);
                match enc {
                    Encoding::Json => Message::Text(String::from_utf8(bytes).unwrap().into()),
                    Encoding::MsgPack => Message::Binary(bytes.into()),
                }
            })
            .collect()
    }

    fn payload(m: &Message) -> Vec<u8> {
        match m {
            Message::Text(t) => t.as_bytes().to_vec(),
            Message::Binary(b) => b.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn joined_frames_split_back_in_order_within_the_size_cap() {
        for enc in Encoding::ALL {
            // 100 frames of ~2 KiB: several messages, none over the cap.
            let orig = frames(enc, 100, 2000);
            let mut out = orig.clone();
            batch_messages(&mut out, &mut Vec::new(), enc, BATCH_MESSAGE_BYTES);
            assert!(out.len() > 1 && out.len() < 10, "{enc:?}: {} messages", out.len());
            let mut split = Vec::new();
            for m in &out {
                let p = payload(m);
                assert!(p.len() <= BATCH_MESSAGE_BYTES, "{enc:?}");
                split.extend(batch_frames(&p, enc).map(|f| f.unwrap().to_vec()));
            }
            assert_eq!(split, orig.iter().map(payload).collect::<Vec<_>>(), "{enc:?}");
        }
    }

    #[test]
    fn a_frame_over_the_cap_goes_alone_and_control_frames_keep_their_place() {
        let big = frames(Encoding::Json, 1, BATCH_MESSAGE_BYTES + 10).remove(0);
        let small = frames(Encoding::Json, 2, 10);
        let mut out = vec![small[0].clone(), big.clone(), Message::Ping(Default::default()), small[1].clone()];
        batch_messages(&mut out, &mut Vec::new(), Encoding::Json, BATCH_MESSAGE_BYTES);
        assert_eq!(out.len(), 4);
        assert_eq!(payload(&out[0]), payload(&small[0]));
        assert_eq!(payload(&out[1]), payload(&big));
        assert!(matches!(out[2], Message::Ping(_)));
        assert_eq!(payload(&out[3]), payload(&small[1]));
    }
}
