//! A WebSocket client that speaks agora's protocol with the shared wire types.
//!
//! One [`Client`] is one connection, owned by one task: `send` writes a request
//! and returns its id without waiting; `recv` returns the next reply, push or
//! close. Scenarios drive many requests in flight with a `select!` over a timer
//! and `recv`; [`Client::request`] is the simple wait-for-the-reply form used in
//! setup (pushes that arrive meanwhile are kept for the next `recv`).
//!
//! Event pushes are decoded through a borrowed fast path ([`LiteEvent`]) because
//! the harness decodes every delivery of a fan-out and must not be the bottleneck:
//! the text is never copied, only the publisher's stamp is read out of it.

use crate::stamp::Stamp;
use agora_protocol::codec::batch_frames;
use agora_protocol::codec::{decode_server_frame, encode};
use agora_protocol::{
    Encoding, ErrorBody, Op, Push, Request, ServerFrame, SUBPROTOCOL_JSON_BATCH, SUBPROTOCOL_MSGPACK,
    SUBPROTOCOL_MSGPACK_BATCH,
};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct ConnectOpts {
    pub url: String,
    /// Resolved once per run: the server's socket address.
    pub addr: SocketAddr,
    pub encoding: Encoding,
    /// Ask for batched server messages (the `*.batch.v1` subprotocols).
    pub batch: bool,
    pub timeout: Duration,
}

impl ConnectOpts {
    pub async fn new(url: &str, encoding: Encoding, batch: bool, timeout: Duration) -> Result<Self> {
        // tcp:// is the raw-TCP ceiling (`fanout --target tcp-ceiling`).
        let rest = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| anyhow!("--url must start with ws:// (got {url})"))?;
        let hostport = rest.split('/').next().unwrap_or(rest);
        let addr = tokio::net::lookup_host(hostport)
            .await
            .with_context(|| format!("resolving {hostport}"))?
            .min_by_key(|a| !a.is_ipv4())
            .ok_or_else(|| anyhow!("{hostport} resolves to nothing"))?;
        Ok(ConnectOpts { url: url.to_owned(), addr, encoding, batch, timeout })
    }
}

/// One thing the server said.
#[derive(Debug)]
pub enum Incoming {
    Reply {
        re: Option<u64>,
        result: Result<serde_json::Value, ErrorBody>,
    },
    /// A message event, decoded on the fast path.
    Event(LiteEvent),
    /// Any other push.
    Push(Push),
    /// The connection ended: the close frame's code and reason, if there was one.
    Closed(Option<(u16, String)>),
}

/// The fields of an `event` push the harness needs: which stream, which seq, and
/// for a `message_posted` whose text a publisher of ours stamped, the stamp.
#[derive(Debug, Clone, PartialEq)]
pub struct LiteEvent {
    pub stream: String,
    pub seq: u64,
    pub stamp: Option<Stamp>,
}

#[derive(Deserialize)]
struct LiteFrame<'a> {
    #[serde(borrow)]
    ev: Cow<'a, str>,
    #[serde(borrow)]
    stream: Cow<'a, str>,
    seq: u64,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

/// Decode an event push without copying its text (one allocation: the stream id).
fn decode_lite(bytes: &[u8], enc: Encoding) -> Option<LiteEvent> {
    let f: LiteFrame = match enc {
        Encoding::Json => serde_json::from_slice(bytes).ok()?,
        // Frames from the server under test; rmp-serde's own depth limit applies.
        Encoding::MsgPack => rmp_serde::from_slice(bytes).ok()?,
    };
    lite_event(f)
}

/// [`decode_lite`] for a text message tungstenite has already checked as UTF-8:
/// `serde_json::from_str` does not validate it a second time (`from_slice` does,
/// string by string, which was 5% of the harness's CPU in the many-streams fan-out).
fn decode_lite_text(text: &str) -> Option<LiteEvent> {
    lite_event(serde_json::from_str(text).ok()?)
}

fn lite_event(f: LiteFrame<'_>) -> Option<LiteEvent> {
    if f.ev != "event" {
        return None;
    }
    let stamp = if f.kind == "message_posted" { f.text.as_deref().and_then(Stamp::parse) } else { None };
    Some(LiteEvent { stream: f.stream.into_owned(), seq: f.seq, stamp })
}

/// Decode one data frame into [`Incoming`].
pub fn decode_frame(bytes: &[u8], enc: Encoding) -> Result<Incoming> {
    if let Some(ev) = decode_lite(bytes, enc) {
        return Ok(Incoming::Event(ev));
    }
    decode_other(bytes, enc)
}

/// [`decode_frame`] for a text (JSON) message.
pub fn decode_text(text: &str) -> Result<Incoming> {
    if let Some(ev) = decode_lite_text(text) {
        return Ok(Incoming::Event(ev));
    }
    decode_other(text.as_bytes(), Encoding::Json)
}

/// Replies and pushes other than events: the full protocol types.
fn decode_other(bytes: &[u8], enc: Encoding) -> Result<Incoming> {
    match decode_server_frame(bytes, enc).map_err(|e| anyhow!("undecodable server frame: {e}"))? {
        ServerFrame::Reply { re, result } => Ok(Incoming::Reply { re, result }),
        ServerFrame::Push(p) => Ok(Incoming::Push(p)),
    }
}

/// Open a WebSocket to `url` on `opts.addr` (TCP from `source` if given), with a
/// bearer token and a subprotocol if given, within `opts.timeout`.
pub async fn connect_raw(
    opts: &ConnectOpts,
    url: &str,
    token: Option<&str>,
    subprotocol: Option<&'static str>,
    source: Option<IpAddr>,
) -> Result<Ws> {
    let fut = async {
        let sock = if opts.addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        if let Some(ip) = source {
            sock.bind(SocketAddr::new(ip, 0)).with_context(|| format!("binding source address {ip}"))?;
        }
        let tcp = sock.connect(opts.addr).await.with_context(|| format!("connecting to {}", opts.addr))?;
        tcp.set_nodelay(true)?;
        let mut req = url.into_client_request()?;
        if let Some(token) = token {
            req.headers_mut().insert("Authorization", HeaderValue::from_str(&format!("Bearer {token}"))?);
        }
        if let Some(p) = subprotocol {
            req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
        }
        // Small buffers: the harness holds thousands of connections per process.
        // tungstenite zeroes up to `read_buffer_size` bytes before every socket read
        // (5% of the harness's CPU at 16 KiB); 8 KiB still takes a typical batched
        // message (a few KiB) in one read.
        let config = WebSocketConfig::default().read_buffer_size(8 * 1024).write_buffer_size(0);
        let (ws, _resp) =
            tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await.context("WebSocket handshake")?;
        anyhow::Ok(ws)
    };
    tokio::time::timeout(opts.timeout, fut).await.map_err(|_| anyhow!("connect timed out"))?
}

/// One authenticated connection.
pub struct Client {
    sink: SplitSink<Ws, Message>,
    stream: SplitStream<Ws>,
    enc: Encoding,
    /// Server messages may hold several frames (a `*.batch.v1` subprotocol).
    batched: bool,
    next_id: u64,
    /// Frames read while waiting in [`Client::request`], handed out by `recv` first.
    backlog: VecDeque<Incoming>,
    /// The rest of a batched message, not yet looked at: after `backlog`, before the socket.
    pending: VecDeque<Incoming>,
}

impl Client {
    /// Open a connection with `Authorization: Bearer token`, from `source` if given.
    /// Returns the client and how long the TCP connect plus the upgrade took.
    pub async fn connect(opts: &ConnectOpts, token: &str, source: Option<IpAddr>) -> Result<(Client, Duration)> {
        let started = Instant::now();
        let sub = match (opts.encoding, opts.batch) {
            (Encoding::Json, false) => None,
            (Encoding::Json, true) => Some(SUBPROTOCOL_JSON_BATCH),
            (Encoding::MsgPack, false) => Some(SUBPROTOCOL_MSGPACK),
            (Encoding::MsgPack, true) => Some(SUBPROTOCOL_MSGPACK_BATCH),
        };
        // tungstenite refuses a handshake whose response does not echo the subprotocol
        // we asked for, so from here on the server batches if we asked it to.
        let ws = connect_raw(opts, &opts.url, Some(token), sub, source).await?;
        let elapsed = started.elapsed();
        let (sink, stream) = ws.split();
        let client = Client {
            sink,
            stream,
            enc: opts.encoding,
            batched: opts.batch,
            next_id: 1,
            backlog: VecDeque::new(),
            pending: VecDeque::new(),
        };
        Ok((client, elapsed))
    }

    /// Like [`Client::connect`], but a handshake refused with HTTP 429 (the server's
    /// per-IP handshake limit) is retried after the server's `Retry-After`, for up to
    /// `patience`. For setup and reconnects, not for measuring handshakes.
    pub async fn connect_patiently(
        opts: &ConnectOpts,
        token: &str,
        source: Option<IpAddr>,
        patience: Duration,
    ) -> Result<(Client, Duration)> {
        let give_up = Instant::now() + patience;
        loop {
            match Client::connect(opts, token, source).await {
                Ok(x) => return Ok(x),
                Err(e) => match retry_after_429(&e) {
                    Some(wait) if Instant::now() + wait < give_up => tokio::time::sleep(wait).await,
                    _ => return Err(e),
                },
            }
        }
    }

    /// Send a request; returns its id (the reply's `re`).
    pub async fn send(&mut self, op: Op) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let bytes = encode(&Request { id, op }, self.enc);
        let msg = match self.enc {
            Encoding::Json => Message::Text(String::from_utf8(bytes).context("JSON is UTF-8")?.into()),
            Encoding::MsgPack => Message::Binary(bytes.into()),
        };
        self.sink.send(msg).await.context("sending a frame")?;
        Ok(id)
    }

    /// The next reply, push or close. Errors are transport or decoding failures.
    pub async fn recv(&mut self) -> Result<Incoming> {
        if let Some(f) = self.backlog.pop_front() {
            return Ok(f);
        }
        self.read_socket().await
    }

    /// The next frame not yet looked at: the rest of a batch, else from the socket.
    async fn read_socket(&mut self) -> Result<Incoming> {
        if let Some(f) = self.pending.pop_front() {
            return Ok(f);
        }
        loop {
            let msg = match self.stream.next().await {
                None => return Ok(Incoming::Closed(None)),
                Some(Err(e)) => return Err(anyhow!("reading: {e}")),
                Some(Ok(m)) => m,
            };
            return match msg {
                Message::Text(t) if self.batched && self.enc == Encoding::Json => self.split_text_batch(t.as_str()),
                Message::Binary(b) if self.batched => self.split_batch(&b),
                Message::Text(t) if self.enc == Encoding::Json => decode_text(t.as_str()),
                Message::Text(t) => decode_frame(t.as_bytes(), self.enc),
                Message::Binary(b) => decode_frame(&b, self.enc),
                Message::Close(f) => Ok(Incoming::Closed(f.map(|f| (u16::from(f.code), f.reason.to_string())))),
                // Pings are answered by tungstenite itself.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
        }
    }

    /// Decode every frame of a batched MessagePack message into `pending` (empty:
    /// `read_socket` drains it first) and return the first.
    fn split_batch(&mut self, bytes: &[u8]) -> Result<Incoming> {
        for frame in batch_frames(bytes, self.enc) {
            let f = decode_frame(frame.map_err(|e| anyhow!("{e}"))?, self.enc)?;
            self.pending.push_back(f);
        }
        self.pending.pop_front().ok_or_else(|| anyhow!("empty batched message"))
    }

    /// [`Client::split_batch`] for a JSON text message: one frame per line. Lines
    /// of checked UTF-8 are UTF-8, so they are not checked again.
    fn split_text_batch(&mut self, text: &str) -> Result<Incoming> {
        for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
            let f = decode_text(line)?;
            self.pending.push_back(f);
        }
        self.pending.pop_front().ok_or_else(|| anyhow!("empty batched message"))
    }

    /// Send `op` and wait (up to `timeout`) for its reply, decoded as `T`.
    pub async fn request<T: DeserializeOwned>(&mut self, op: Op, timeout: Duration) -> Result<Result<T, ErrorBody>> {
        let name = op.name();
        let id = self.send(op).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.read_socket())
                .await
                .map_err(|_| anyhow!("no reply to `{name}` within {timeout:?}"))??;
            match frame {
                Incoming::Reply { re: Some(re), result } if re == id => {
                    return match result {
                        Ok(v) => Ok(Ok(serde_json::from_value(v).with_context(|| format!("decoding `{name}` reply"))?)),
                        Err(e) => Ok(Err(e)),
                    };
                }
                Incoming::Reply { re: None, result: Err(e) } => bail!("server could not read our `{name}`: {e:?}"),
                Incoming::Closed(c) => bail!("connection closed while waiting for `{name}`: {c:?}"),
                other => self.backlog.push_back(other),
            }
        }
    }

    /// Like [`Client::request`], but an error reply is an error.
    pub async fn call<T: DeserializeOwned>(&mut self, op: Op, timeout: Duration) -> Result<T> {
        let name = op.name();
        self.request(op, timeout).await?.map_err(|e| anyhow!("`{name}` failed: {} ({})", e.code, e.message))
    }

    /// Close politely (close frame), bounded in time.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.sink.close()).await;
    }
}

/// If `e` is a handshake refused with 429, how long to wait before trying again.
pub fn retry_after_429(e: &anyhow::Error) -> Option<Duration> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let resp = match e.downcast_ref::<WsError>()? {
        WsError::Http(resp) if resp.status().as_u16() == 429 => resp,
        _ => return None,
    };
    let secs = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.2);
    Some(Duration::from_secs_f64(secs.clamp(0.05, 5.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::{Event, EventBody, Seq, StreamId};

    fn posted(text: &str) -> Push {
        Push::Event(Event {
            stream: StreamId::from("ch_a"),
            seq: Seq(42),
            at: 1,
            author: "ann".into(),
            idem: None,
            body: EventBody::MessagePosted { text: text.into(), reply_to: None, mentions: vec![], attachments: vec![] },
        })
    }

    #[test]
    fn message_events_take_the_fast_path_in_both_encodings() {
        for enc in Encoding::ALL {
            let bytes = encode(&posted("lt1 3 7 123 xx"), enc);
            let stamp = Some(Stamp { publisher: 3, number: 7, sent_ns: 123 });
            match decode_frame(&bytes, enc).unwrap() {
                Incoming::Event(e) => assert_eq!(e, LiteEvent { stream: "ch_a".into(), seq: 42, stamp }),
                other => panic!("{other:?}"),
            }
            // Someone else's message: an event, without a stamp.
            let bytes = encode(&posted("hello"), enc);
            let Incoming::Event(e) = decode_frame(&bytes, enc).unwrap() else { panic!() };
            assert_eq!((e.seq, e.stamp), (42, None));
        }
    }

    #[test]
    fn text_frames_decode_like_bytes() {
        let bytes = encode(&posted("lt1 3 7 123 xx"), Encoding::Json);
        let text = std::str::from_utf8(&bytes).unwrap();
        let Incoming::Event(a) = decode_text(text).unwrap() else { panic!() };
        let Incoming::Event(b) = decode_frame(&bytes, Encoding::Json).unwrap() else { panic!() };
        assert_eq!(a, b);
        assert!(a.stamp.is_some());
        let r = decode_text(r#"{"re":5,"ok":{"seq":3}}"#).unwrap();
        assert!(matches!(r, Incoming::Reply { re: Some(5), result: Ok(_) }));
        assert!(decode_text("[]").is_err());
    }

    #[test]
    fn replies_and_other_pushes_take_the_full_path() {
        let r = decode_frame(br#"{"re":5,"ok":{"seq":3}}"#, Encoding::Json).unwrap();
        assert!(matches!(r, Incoming::Reply { re: Some(5), result: Ok(_) }));
        let r = decode_frame(
            br#"{"re":6,"error":{"code":"rate_limited","message":"slow down","retry_after_ms":100}}"#,
            Encoding::Json,
        )
        .unwrap();
        let Incoming::Reply { result: Err(e), .. } = r else { panic!() };
        assert_eq!(e.retry_after_ms, Some(100));
        let t = decode_frame(br#"{"ev":"typing","stream":"ch_a","user":"bob","ttl_ms":3000}"#, Encoding::Json).unwrap();
        assert!(matches!(t, Incoming::Push(Push::Typing { .. })));
        assert!(decode_frame(b"[]", Encoding::Json).is_err());
    }

    #[test]
    fn a_429_handshake_is_retried_after_retry_after() {
        use tokio_tungstenite::tungstenite::http::Response;
        use tokio_tungstenite::tungstenite::Error as WsError;
        let resp = Response::builder().status(429).header("Retry-After", "2").body(None).unwrap();
        let e = anyhow::Error::new(WsError::Http(Box::new(resp))).context("WebSocket handshake");
        assert_eq!(retry_after_429(&e), Some(Duration::from_secs(2)));
        let resp = Response::builder().status(403).body(None).unwrap();
        assert_eq!(retry_after_429(&anyhow::Error::new(WsError::Http(Box::new(resp)))), None);
        assert_eq!(retry_after_429(&anyhow!("connect timed out")), None);
    }
}
