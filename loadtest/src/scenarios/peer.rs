//! `fanout --target nats|ws-broadcast`: the same fan-out load against a peer, for
//! side-by-side figures (shared/BENCH.md rule 1: same harness, same flags).
//!
//! - `nats`: a NATS server's WebSocket listener (no TLS, no auth). Stream `i` is the
//!   subject `lt.fanout.i`; a publisher sends `PUB` then `PING`, and the `PONG` is its
//!   "ack" (the server has processed the publish; NATS core does not persist).
//! - `ws-broadcast`: `bench/ws-broadcast.js`, a Node `ws` server that sends every
//!   message from a `/pub/N` connection to every subscriber of stream N (a `/sub/N,M`
//!   connection) and answers the publisher `ok`.
//! - `tcp-ceiling`: `agora-tcp-ceiling` (src/bin/tcp_ceiling.rs), the raw-TCP ceiling:
//!   4-byte big-endian length-prefixed frames over loopback TCP, a hello frame
//!   `S 0 1` (subscriber, answered `ok`) or `P 3` (publisher to stream 3), then each
//!   publisher frame goes to every subscriber of its stream and the publisher gets `ok`.
//!
//! Peers have no sequence numbers, so the exactly-once check runs per publisher on
//! the stamp's message number (which each publisher increments by one): a skipped
//! number is a gap, a repeated one a duplicate, an older one a reorder. Runs in
//! one process (`--procs 1`): the drain needs every publisher's final count.

use super::Env;
use crate::check::StreamCheck;
use crate::cli::{FanoutArgs, Target};
use crate::client::{connect_raw, Ws};
use crate::procs::Barrier;
use crate::progress::TimedBar;
use crate::report::RunResult;
use crate::stamp::Stamp;
use crate::stats::Hist;
use crate::util::{mono_ns, CpuWindow};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// One peer connection: the socket halves and, for NATS, the unparsed bytes.
pub(crate) struct PeerConn {
    target: Target,
    io: Io,
    buf: Vec<u8>,
    pos: usize,
}

/// A WebSocket, or (tcp-ceiling) a plain TCP socket with length-prefixed frames.
enum Io {
    Ws { sink: SplitSink<Ws, Message>, stream: SplitStream<Ws> },
    Tcp { rd: OwnedReadHalf, wr: OwnedWriteHalf },
}

async fn connect_tcp(env: &Env, source: Option<std::net::IpAddr>) -> Result<TcpStream> {
    let addr = env.opts.addr;
    let fut = async {
        let sock = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        if let Some(ip) = source {
            sock.bind(std::net::SocketAddr::new(ip, 0)).with_context(|| format!("binding source address {ip}"))?;
        }
        let tcp = sock.connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        tcp.set_nodelay(true)?;
        anyhow::Ok(tcp)
    };
    tokio::time::timeout(env.opts.timeout, fut).await.map_err(|_| anyhow!("connect timed out"))?
}

/// What a peer connection received.
pub(crate) enum Got {
    Payload(Vec<u8>),
    /// NATS `PONG` or ws-broadcast `ok`: one publish acknowledged.
    Ack,
    Closed(String),
}

fn subject(stream: usize) -> String {
    format!("lt.fanout.{stream}")
}

impl PeerConn {
    /// Open a connection; `publish_to` is the stream of a publisher, `None` for a
    /// subscriber of `streams` (ws-broadcast subscribes in the URL; the others in `subscribe`).
    pub(crate) async fn open(
        env: &Env,
        target: Target,
        publish_to: Option<usize>,
        streams: &[usize],
        source: Option<std::net::IpAddr>,
    ) -> Result<PeerConn> {
        if target == Target::TcpCeiling {
            let (rd, wr) = connect_tcp(env, source).await?.into_split();
            let mut c = PeerConn { target, io: Io::Tcp { rd, wr }, buf: Vec::new(), pos: 0 };
            if let Some(s) = publish_to {
                c.send_text(format!("P {s}")).await?;
            }
            return Ok(c);
        }
        let base = env.common.url.trim_end_matches('/');
        let url = match (target, publish_to) {
            (Target::WsBroadcast, Some(s)) => format!("{base}/pub/{s}"),
            (Target::WsBroadcast, None) => {
                let list: Vec<String> = streams.iter().map(|s| s.to_string()).collect();
                format!("{base}/sub/{}", list.join(","))
            }
            _ => env.common.url.clone(),
        };
        let ws = connect_raw(&env.opts, &url, None, None, source).await?;
        let (sink, stream) = ws.split();
        let mut c = PeerConn { target, io: Io::Ws { sink, stream }, buf: Vec::new(), pos: 0 };
        if target == Target::Nats {
            let connect = r#"CONNECT {"verbose":false,"pedantic":false,"headers":false,"protocol":1,"echo":false}"#;
            c.send_text(format!("{connect}\r\n")).await?;
        }
        Ok(c)
    }

    async fn send_text(&mut self, s: String) -> Result<()> {
        let sink = match &mut self.io {
            Io::Tcp { wr, .. } => {
                let mut f = Vec::with_capacity(4 + s.len());
                f.extend_from_slice(&(s.len() as u32).to_be_bytes());
                f.extend_from_slice(s.as_bytes());
                return wr.write_all(&f).await.context("sending");
            }
            Io::Ws { sink, .. } => sink,
        };
        let msg = match self.target {
            Target::Nats => Message::Binary(s.into_bytes().into()),
            _ => Message::Text(s.into()),
        };
        sink.send(msg).await.context("sending")
    }

    /// NATS: subscribe to `streams` and wait for the server to confirm (PING/PONG);
    /// tcp-ceiling: the `S ...` hello, answered `ok`.
    pub(crate) async fn subscribe(&mut self, streams: &[usize], timeout: Duration) -> Result<()> {
        match self.target {
            Target::Nats => {
                let mut cmd = String::new();
                for (sid, s) in streams.iter().enumerate() {
                    cmd += &format!("SUB {} {}\r\n", subject(*s), sid + 1);
                }
                cmd += "PING\r\n";
                self.send_text(cmd).await?;
            }
            Target::TcpCeiling => {
                let list: Vec<String> = streams.iter().map(|s| s.to_string()).collect();
                self.send_text(format!("S {}", list.join(" "))).await?;
            }
            _ => return Ok(()),
        }
        loop {
            match tokio::time::timeout(timeout, self.recv()).await.map_err(|_| anyhow!("no PONG after SUB"))?? {
                Got::Ack => return Ok(()),
                Got::Closed(why) => bail!("closed while subscribing: {why}"),
                Got::Payload(_) => {}
            }
        }
    }

    async fn publish(&mut self, stream: usize, text: String) -> Result<()> {
        match self.target {
            Target::Nats => {
                self.send_text(format!("PUB {} {}\r\n{text}\r\nPING\r\n", subject(stream), text.len())).await
            }
            _ => self.send_text(text).await,
        }
    }

    pub(crate) async fn recv(&mut self) -> Result<Got> {
        // Cancel-safe (the scenarios `select!` over it): bytes go to `buf` with one
        // `read_buf` per wakeup, and frames are taken out of `buf` whole.
        if let Io::Tcp { rd, .. } = &mut self.io {
            loop {
                let unparsed = &self.buf[self.pos..];
                if unparsed.len() >= 4 {
                    let len = u32::from_be_bytes(unparsed[..4].try_into().unwrap()) as usize;
                    if unparsed.len() >= 4 + len {
                        let data = &unparsed[4..4 + len];
                        let got = if data == b"ok" { Got::Ack } else { Got::Payload(data.to_vec()) };
                        self.pos += 4 + len;
                        return Ok(got);
                    }
                }
                if self.pos > 0 {
                    self.buf.drain(..self.pos);
                    self.pos = 0;
                }
                self.buf.reserve(16 * 1024);
                match rd.read_buf(&mut self.buf).await {
                    Ok(0) => return Ok(Got::Closed("end of stream".into())),
                    Ok(_) => {}
                    Err(e) => return Err(anyhow!("reading: {e}")),
                }
            }
        }
        loop {
            if self.target == Target::Nats {
                if let Some(g) = self.parse_nats().await? {
                    return Ok(g);
                }
            }
            let Io::Ws { stream, .. } = &mut self.io else { unreachable!() };
            let msg = match stream.next().await {
                None => return Ok(Got::Closed("end of stream".into())),
                Some(Err(e)) => return Err(anyhow!("reading: {e}")),
                Some(Ok(m)) => m,
            };
            let data: Vec<u8> = match msg {
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Binary(b) => b.to_vec(),
                Message::Close(f) => return Ok(Got::Closed(format!("{f:?}"))),
                _ => continue,
            };
            match self.target {
                Target::Nats => self.buf.extend_from_slice(&data),
                _ if data == b"ok" => return Ok(Got::Ack),
                _ => return Ok(Got::Payload(data)),
            }
        }
    }

    /// Take one complete NATS protocol message out of the buffer, if there is one.
    /// `pos` is where the unparsed bytes start; the buffer is compacted only when
    /// everything was consumed or it grew large, so parsing a frame is linear.
    async fn parse_nats(&mut self) -> Result<Option<Got>> {
        loop {
            let unparsed = &self.buf[self.pos..];
            let Some(eol) = memchr_crlf(unparsed) else {
                self.compact();
                return Ok(None);
            };
            let line = std::str::from_utf8(&unparsed[..eol]).context("NATS control line")?;
            if let Some(rest) = line.strip_prefix("MSG ") {
                let len: usize = rest
                    .rsplit(' ')
                    .next()
                    .and_then(|l| l.parse().ok())
                    .ok_or_else(|| anyhow!("bad MSG line {line}"))?;
                let start = eol + 2;
                if unparsed.len() < start + len + 2 {
                    self.compact();
                    return Ok(None);
                }
                let payload = unparsed[start..start + len].to_vec();
                self.pos += start + len + 2;
                return Ok(Some(Got::Payload(payload)));
            }
            let verb = line.split(' ').next().unwrap_or("").to_owned();
            if verb == "-ERR" {
                bail!("NATS error: {line}");
            }
            self.pos += eol + 2;
            match verb.as_str() {
                "PONG" => return Ok(Some(Got::Ack)),
                "PING" => self.send_text("PONG\r\n".into()).await?,
                _ => {} // INFO, +OK
            }
        }
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == b'\r') {
        let at = from + i;
        if b.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[derive(Default)]
struct Live {
    published: AtomicU64,
    delivered: AtomicU64,
}

struct SubOut {
    checks: HashMap<u32, StreamCheck>,
    delivered: u64,
    last_ns: u64,
    errors: Vec<String>,
}

/// Publishers (by index) and their final counts, for the drain.
type Finals = Arc<HashMap<u32, u64>>;

async fn subscriber(
    mut c: PeerConn,
    index: usize,
    publishers_of_mine: Arc<Vec<u32>>,
    mut ctl: mpsc::Receiver<(Finals, tokio::time::Instant)>,
    live: Arc<Live>,
    hist: Arc<Mutex<Hist>>,
) -> SubOut {
    let mut out = SubOut { checks: HashMap::new(), delivered: 0, last_ns: 0, errors: vec![] };
    let mut lat = Vec::with_capacity(256);
    let mut drain: Option<(Finals, tokio::time::Instant)> = None;
    let done = |checks: &HashMap<u32, StreamCheck>, f: &Finals| {
        publishers_of_mine
            .iter()
            .all(|p| f.get(p).is_none_or(|&n| n == 0 || checks.get(p).is_some_and(|c| c.reached(n))))
    };
    loop {
        if let Some((f, _)) = &drain {
            if done(&out.checks, f) {
                break;
            }
        }
        let dl = drain.as_ref().map(|d| d.1);
        tokio::select! {
            m = ctl.recv(), if drain.is_none() => match m { Some(d) => drain = Some(d), None => break },
            _ = async { match dl { Some(t) => tokio::time::sleep_until(t).await, None => std::future::pending().await } } => break,
            g = c.recv() => match g {
                Ok(Got::Payload(p)) => {
                    let now = mono_ns();
                    match std::str::from_utf8(&p).ok().and_then(Stamp::parse) {
                        Some(st) => {
                            out.checks.entry(st.publisher).or_insert_with(|| StreamCheck::starting_after(0)).observe(st.number);
                            lat.push(now.saturating_sub(st.sent_ns) / 1000);
                            if lat.len() == lat.capacity() {
                                let mut h = hist.lock().unwrap();
                                lat.drain(..).for_each(|us| h.record_us(us));
                            }
                            out.delivered += 1;
                            out.last_ns = now;
                            live.delivered.fetch_add(1, Relaxed);
                        }
                        None => out.errors.push(format!("subscriber {index}: unstamped payload of {} bytes", p.len())),
                    }
                }
                Ok(Got::Ack) => {}
                Ok(Got::Closed(why)) => { out.errors.push(format!("subscriber {index}: closed: {why}")); break; }
                Err(e) => { out.errors.push(format!("subscriber {index}: {e:#}")); break; }
            },
        }
    }
    let mut h = hist.lock().unwrap();
    lat.drain(..).for_each(|us| h.record_us(us));
    drop(h);
    if let Some((f, _)) = &drain {
        for p in publishers_of_mine.iter() {
            let n = f.get(p).copied().unwrap_or(0);
            if n > 0 {
                out.checks.entry(*p).or_insert_with(|| StreamCheck::starting_after(0)).finish(n);
            }
        }
    }
    out
}

struct PubOut {
    index: u32,
    published: u64,
    acked: u64,
    errors: Vec<String>,
}

// The publisher's connection, identity, shared run state and outputs: all used.
#[allow(clippy::too_many_arguments)]
async fn publisher(
    mut c: PeerConn,
    index: u32,
    stream: usize,
    a: Arc<FanoutArgs>,
    rate: f64,
    deadline: tokio::time::Instant,
    live: Arc<Live>,
    hist: Arc<Mutex<Hist>>,
) -> PubOut {
    let mut out = PubOut { index, published: 0, acked: 0, errors: vec![] };
    let mut pending: VecDeque<u64> = VecDeque::new();
    let window = a.window.max(1);
    let start = tokio::time::Instant::now();
    let phase = super::pubsub::publisher_phase(index, a.publishers, rate);
    let ack_deadline = deadline + a.common.op_timeout;
    let mut stopping = false;
    loop {
        let limit = a.messages > 0 && out.published >= a.messages;
        if (stopping || limit) && pending.is_empty() {
            break;
        }
        let can_send = !stopping && !limit && pending.len() < window;
        let next_at =
            if rate > 0.0 { start + phase + Duration::from_secs_f64(out.published as f64 / rate) } else { start };
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(deadline), if !stopping => stopping = true,
            _ = tokio::time::sleep_until(ack_deadline), if stopping || limit => {
                out.errors.push(format!("publisher {index}: {} publishes never acknowledged", pending.len()));
                break;
            }
            g = c.recv() => match g {
                Ok(Got::Ack) => {
                    if let Some(sent) = pending.pop_front() {
                        out.acked += 1;
                        hist.lock().unwrap().record_ns_between(sent, mono_ns());
                    }
                }
                Ok(Got::Payload(_)) => {}
                Ok(Got::Closed(why)) => { out.errors.push(format!("publisher {index}: closed: {why}")); break; }
                Err(e) => { out.errors.push(format!("publisher {index}: {e:#}")); break; }
            },
            _ = tokio::time::sleep_until(next_at), if can_send => {
                let sent = mono_ns();
                let text = Stamp { publisher: index, number: out.published + 1, sent_ns: sent }.text(a.size);
                if let Err(e) = c.publish(stream, text).await {
                    out.errors.push(format!("publisher {index}: {e:#}"));
                    break;
                }
                out.published += 1;
                pending.push_back(sent);
                live.published.fetch_add(1, Relaxed);
            }
        }
    }
    out
}

pub async fn run_shard(a: &FanoutArgs, env: Env, barrier: &Barrier) -> Result<RunResult> {
    let target = a.target;
    let c = env.common.clone();
    if c.procs > 1 {
        bail!("--target {target:?} runs in one process (--procs 1)");
    }
    let env = Arc::new(env);
    let mut result = RunResult::new(
        "fanout",
        serde_json::json!({
            "target": clap::ValueEnum::to_possible_value(&target).map(|v| v.get_name().to_owned()), "url": c.url, "subscribers": a.subscribers,
            "streams": a.streams, "streams_per_sub": a.streams_per_sub, "publishers": a.publishers,
            "rate": a.rate, "size": a.size, "window": a.window, "messages": a.messages,
            "duration_s": c.duration.as_secs_f64(), "procs": 1,
        }),
    );
    let streams = a.streams.max(1);
    let pub_stream = |i: usize| i % streams;

    let mut subs = Vec::new();
    for j in 0..a.subscribers {
        let mine = super::pubsub::sub_streams(&a.pubsub, j);
        let opened = async {
            let mut conn = PeerConn::open(&env, target, None, &mine, env.source(j)).await?;
            conn.subscribe(&mine, c.op_timeout).await?;
            anyhow::Ok(conn)
        };
        match opened.await {
            Ok(conn) => {
                let pubs: Vec<u32> =
                    (0..a.publishers).filter(|i| mine.contains(&pub_stream(*i))).map(|i| i as u32).collect();
                subs.push((j, conn, Arc::new(pubs)));
            }
            Err(e) => {
                result.count("connect_failures", 1);
                result.error(format!("subscriber {j}: {e:#}"));
            }
        }
    }
    let mut pubs = Vec::new();
    for i in 0..a.publishers {
        match PeerConn::open(&env, target, Some(pub_stream(i)), &[], env.source(a.subscribers + i)).await {
            Ok(conn) => pubs.push((i, conn)),
            Err(e) => {
                result.count("connect_failures", 1);
                result.error(format!("publisher {i}: {e:#}"));
            }
        }
    }
    result.count("subscribers_connected", subs.len() as u64);
    result.count("connected_at_ready", (subs.len() + pubs.len()) as u64);
    barrier.ready_then_go().await?;

    let live = Arc::new(Live::default());
    let (deliver, ack) = (Arc::new(Mutex::new(Hist::default())), Arc::new(Mutex::new(Hist::default())));
    result.t_start_ns = mono_ns();
    let cpu = CpuWindow::start(c.server_pid);
    let deadline = tokio::time::Instant::now() + c.duration;
    let status = {
        let live = live.clone();
        Arc::new(move || {
            format!("published={} delivered={}", live.published.load(Relaxed), live.delivered.load(Relaxed))
        }) as Arc<dyn Fn() -> String + Send + Sync>
    };
    let bar = TimedBar::start(c.quiet, "fanout", c.duration, status);
    let mut ctls = Vec::new();
    let mut sub_tasks = Vec::new();
    for (j, conn, mine) in subs {
        let (tx, rx) = mpsc::channel(1);
        ctls.push(tx);
        sub_tasks.push(tokio::spawn(subscriber(conn, j, mine, rx, live.clone(), deliver.clone())));
    }
    let rate = if a.rate > 0.0 { a.rate / a.publishers.max(1) as f64 } else { 0.0 };
    let a_arc = Arc::new(a.clone());
    let pub_tasks: Vec<_> = pubs
        .into_iter()
        .map(|(i, conn)| {
            tokio::spawn(publisher(
                conn,
                i as u32,
                pub_stream(i),
                a_arc.clone(),
                rate,
                deadline,
                live.clone(),
                ack.clone(),
            ))
        })
        .collect();
    let mut finals = HashMap::new();
    for t in pub_tasks {
        let o = t.await?;
        result.count("published", o.published);
        result.count("acked", o.acked);
        finals.insert(o.index, o.published);
        for e in o.errors {
            result.error(e);
        }
    }
    result.t_end_ns = mono_ns();
    bar.finish();
    let finals = Arc::new(finals);
    let drain_deadline = tokio::time::Instant::now() + c.drain_timeout;
    for tx in &ctls {
        let _ = tx.send((finals.clone(), drain_deadline)).await;
    }
    let mut last = 0;
    for t in sub_tasks {
        let o = t.await?;
        result.count("delivered", o.delivered);
        last = last.max(o.last_ns);
        for (p, check) in &o.checks {
            result.check.add_check(&format!("publisher {p}"), check);
        }
        for e in o.errors {
            result.error(e);
        }
    }
    result.t_last_delivery_ns = last;
    cpu.finish(&mut result);
    result.hists.insert("publish_to_ack".into(), std::mem::take(&mut *ack.lock().unwrap()));
    result.hists.insert("publish_to_delivery".into(), std::mem::take(&mut *deliver.lock().unwrap()));
    Ok(result)
}
