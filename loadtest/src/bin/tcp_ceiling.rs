//! agora-tcp-ceiling: the raw-TCP ceiling for the fan-out benchmarks. The same
//! delivery pattern as `agora-loadtest fanout` (publishers post to streams that
//! subscribers follow) over plain loopback TCP with length-prefixed frames: no
//! WebSocket framing, no protocol encoding, no storage, no sequence numbers. It is
//! what one core can do with the kernel's loopback and tokio, nothing else, so a
//! real server's figure reads as a fraction of it.
//!
//! Wire format: every frame is a 4-byte big-endian length, then that many bytes.
//! A connection's first frame says what it is:
//! - `S 0 1 2`: a subscriber of streams 0, 1, 2; the server answers `ok` once it is
//!   subscribed (the harness then counts it as ready).
//! - `P 3`: a publisher to stream 3. Each following frame is a message: the server
//!   sends the same frame (shared, not copied) to every subscriber of stream 3, then
//!   answers the publisher `ok` (the harness's "ack").
//!
//! Each connection has one writer task that drains its queue and writes everything
//! queued with one `write_all` (the write batching BENCH.md's lessons name).
//! Single-threaded on purpose: the benchmark pins the server to one core.
//!
//! Usage: agora-tcp-ceiling PORT  (listens on 127.0.0.1 only; stop it with a signal)

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type Frame = Arc<[u8]>;
type Subs = Rc<RefCell<HashMap<u32, Vec<(u64, mpsc::UnboundedSender<Frame>)>>>>;

/// Largest frame a client may send (a message or a hello).
const MAX_FRAME: usize = 1 << 20;
/// Write at most this much per `write_all` (then drain the queue again).
const BATCH: usize = 64 * 1024;

fn frame(payload: &[u8]) -> Frame {
    let mut v = Vec::with_capacity(4 + payload.len());
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v.into()
}

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| {
        eprintln!("usage: agora-tcp-ceiling PORT");
        std::process::exit(2)
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind 127.0.0.1");
        eprintln!("agora-tcp-ceiling listening on 127.0.0.1:{port}");
        let subs: Subs = Rc::new(RefCell::new(HashMap::new()));
        let mut next_id = 0u64;
        loop {
            let (sock, _) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: wait a little instead of spinning.
                    eprintln!("accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            next_id += 1;
            let (subs, id) = (subs.clone(), next_id);
            tokio::task::spawn_local(async move {
                if let Err(e) = connection(sock, id, &subs).await {
                    if e.kind() != std::io::ErrorKind::UnexpectedEof {
                        eprintln!("connection {id}: {e}");
                    }
                }
                // Forget this connection's subscriptions.
                for list in subs.borrow_mut().values_mut() {
                    list.retain(|(i, _)| *i != id);
                }
            });
        }
    });
}

async fn read_frame(rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let len = rd.read_u32().await? as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "frame too large"));
    }
    buf.resize(len, 0);
    rd.read_exact(buf).await?;
    Ok(())
}

async fn connection(sock: TcpStream, id: u64, subs: &Subs) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let (rd, mut wr) = sock.into_split();
    let mut rd = BufReader::with_capacity(4096, rd);
    let (tx, mut rx) = mpsc::unbounded_channel::<Frame>();
    // The writer: drain everything queued, write it at once.
    tokio::task::spawn_local(async move {
        let mut out = Vec::new();
        while let Some(f) = rx.recv().await {
            out.extend_from_slice(&f);
            while out.len() < BATCH {
                match rx.try_recv() {
                    Ok(f) => out.extend_from_slice(&f),
                    Err(_) => break,
                }
            }
            if wr.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
            if out.capacity() > BATCH * 2 {
                out = Vec::new();
            }
        }
    });
    let ok = frame(b"ok");
    let mut buf = Vec::new();
    read_frame(&mut rd, &mut buf).await?;
    let hello = String::from_utf8_lossy(&buf).into_owned();
    let mut words = hello.split(' ');
    match words.next() {
        Some("S") => {
            {
                let mut s = subs.borrow_mut();
                for w in words {
                    if let Ok(stream) = w.parse::<u32>() {
                        s.entry(stream).or_default().push((id, tx.clone()));
                    }
                }
            }
            let _ = tx.send(ok);
            // Subscribers send nothing more; wait for the close.
            loop {
                read_frame(&mut rd, &mut buf).await?;
            }
        }
        Some("P") => {
            let stream: u32 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
            loop {
                read_frame(&mut rd, &mut buf).await?;
                let f = frame(&buf);
                if let Some(list) = subs.borrow().get(&stream) {
                    for (_, s) in list {
                        let _ = s.send(f.clone());
                    }
                }
                let _ = tx.send(ok.clone());
            }
        }
        _ => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad hello {hello:?}"))),
    }
}
