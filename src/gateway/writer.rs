//! A connection's writer task: the only code that writes to its socket.
//!
//! It drains the connection's bounded queue, writes every ready frame, and
//! flushes once per wakeup (many frames, one syscall). It keeps a cursor per
//! subscribed stream: an event at or below the cursor is a duplicate and is
//! skipped; an event past cursor+1 means a gap (the subscription was just
//! (re)started) and the missing range is read from the log first. So each
//! stream is delivered in order with no gap and no duplicate. A write that
//! does not complete within the write timeout closes the connection as a
//! slow consumer; so does a full queue (decided by the hub).

use crate::engine::EventLog;
use crate::fanout::{Closer, Outbound, SharedFrame, Subscribed, Unsubscribed};
use agora_protocol::{CloseCode, Encoding, Push, Seq, StreamId};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Most queued items written before one flush.
const MAX_BATCH: usize = 256;
/// Events read from the log per replay page.
const REPLAY_PAGE: usize = 500;

pub struct Writer {
    pub sink: SplitSink<WebSocket, Message>,
    pub rx: mpsc::Receiver<Outbound>,
    pub enc: Encoding,
    pub log: Arc<dyn EventLog>,
    pub closer: Arc<Closer>,
    pub ping_interval: Duration,
    pub write_timeout: Duration,
    /// stream → last seq delivered.
    pub cursors: FxHashMap<StreamId, Seq>,
}

enum Stop {
    Close(CloseCode),
    SocketGone,
}

impl Writer {
    pub async fn run(mut self) {
        let mut ping = tokio::time::interval(self.ping_interval);
        ping.tick().await;
        let stop = loop {
            tokio::select! {
                biased;
                _ = self.closer.closed() => break Stop::Close(self.closer.code().unwrap_or(CloseCode::GoingAway)),
                item = self.rx.recv() => {
                    let Some(item) = item else { break Stop::SocketGone };
                    if let Err(stop) = self.write_batch(item).await {
                        break stop;
                    }
                }
                _ = ping.tick() => {
                    if let Err(stop) = self.send_flush(Message::Ping(Default::default())).await {
                        break stop;
                    }
                }
            }
        };
        if let Stop::Close(code) = stop {
            self.closer.close(code);
            let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
            let _ = tokio::time::timeout(Duration::from_secs(1), self.sink.send(Message::Close(Some(frame)))).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.sink.close()).await;
    }

    async fn send_flush(&mut self, msg: Message) -> Result<(), Stop> {
        match tokio::time::timeout(self.write_timeout, self.sink.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::SocketGone),
            Err(_) => Err(Stop::Close(CloseCode::SlowConsumer)),
        }
    }

    /// Write `first` and whatever else is already queued, then flush once.
    async fn write_batch(&mut self, first: Outbound) -> Result<(), Stop> {
        let mut out: Vec<Message> = Vec::new();
        self.render(first, &mut out)?;
        let mut n = 1;
        while n < MAX_BATCH {
            match self.rx.try_recv() {
                Ok(item) => self.render(item, &mut out)?,
                Err(_) => break,
            }
            n += 1;
        }
        if out.is_empty() {
            return Ok(());
        }
        let timeout = self.write_timeout;
        let closer = self.closer.clone();
        let sink = &mut self.sink;
        let write = tokio::time::timeout(timeout, async {
            for m in out {
                sink.feed(m).await?;
            }
            sink.flush().await
        });
        // A write blocked on a full socket must not outlive a close decided elsewhere
        // (the hub cutting off a slow consumer): stop waiting at once.
        let res = tokio::select! {
            r = write => r,
            _ = closer.closed() => return Err(Stop::Close(closer.code().unwrap_or(CloseCode::SlowConsumer))),
        };
        match res {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::SocketGone),
            Err(_) => Err(Stop::Close(CloseCode::SlowConsumer)),
        }
    }

    /// Turn one queued item into frames to write (possibly none, possibly a replay).
    fn render(&mut self, item: Outbound, out: &mut Vec<Message>) -> Result<(), Stop> {
        match item {
            Outbound::Reply(m) => out.push(m),
            Outbound::Frame(f) => out.push(f.message(self.enc)),
            Outbound::StreamPush(stream, f) => {
                if self.cursors.contains_key(&stream) {
                    out.push(f.message(self.enc));
                }
            }
            Outbound::Subscribed(s) => {
                let Subscribed { reply, stream, since, entry } = *s;
                out.extend(reply);
                self.cursors.insert(stream.clone(), since);
                // Replay to the head committed *now*, not when subscribe ran: an
                // event published in between was dropped (no cursor yet) and must
                // come from the log.
                self.catch_up(&stream, entry.committed_head(), out)?;
            }
            Outbound::Unsubscribed(u) => {
                let Unsubscribed { reply, stream } = *u;
                out.extend(reply);
                self.cursors.remove(&stream);
            }
            Outbound::Events(frames) => {
                for f in frames.iter() {
                    self.render_event(f, out)?;
                }
            }
        }
        Ok(())
    }

    /// One live event: skip it if already delivered, fill a gap from the log first.
    fn render_event(&mut self, f: &SharedFrame, out: &mut Vec<Message>) -> Result<(), Stop> {
        let Some((stream, seq)) = f.event_pos() else { return Ok(()) };
        let Some(&cursor) = self.cursors.get(stream) else { return Ok(()) };
        if seq <= cursor {
            return Ok(());
        }
        if seq.0 > cursor.0 + 1 {
            let stream = stream.clone();
            self.catch_up(&stream, Seq(seq.0 - 1), out)?;
        }
        out.push(f.message(self.enc));
        // Hot path: update in place, no key clone.
        if let Some(c) = self.cursors.get_mut(stream) {
            *c = seq;
        }
        Ok(())
    }

    /// Deliver `stream` from its cursor up to `upto` from the log.
    fn catch_up(&mut self, stream: &StreamId, upto: Seq, out: &mut Vec<Message>) -> Result<(), Stop> {
        let Some(mut cursor) = self.cursors.get(stream).copied() else { return Ok(()) };
        while cursor < upto {
            let page = match self.log.read_range(stream, cursor, upto, REPLAY_PAGE) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(%stream, error = %e, "replay read failed; closing so the client resumes");
                    return Err(Stop::Close(CloseCode::GoingAway));
                }
            };
            if page.is_empty() {
                break;
            }
            for ev in page {
                cursor = ev.seq;
                out.push(SharedFrame::new(Push::Event(ev)).message(self.enc));
            }
        }
        self.cursors.insert(stream.clone(), cursor);
        Ok(())
    }
}
