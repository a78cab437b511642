//! Slow consumers (PROTOCOL.md §14): a reader that stops reading is cut off with 4000;
//! nobody else is slowed; it resumes with `since` and loses nothing.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const POSTS: u64 = 1500;
/// Posts pipelined per round: the healthy reader's queue must hold a round's events.
const ROUND: usize = 10;

/// A raw WebSocket client with a 4 KiB receive buffer, subscribed to `ch` as `token`;
/// the caller then stops reading it. Returns it and the stream's head at subscribe.
async fn stalling_subscriber(
    srv: &TestServer,
    token: &str,
    ch: &str,
) -> (tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, u64) {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(srv.addr).await.unwrap();
    let mut req = srv.ws_url().into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    let (mut slow, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    slow.send(Message::Text(json!({"id": 1, "op": "subscribe", "stream": ch}).to_string().into())).await.unwrap();
    let reply = tokio::time::timeout(WAIT, slow.next()).await.unwrap().unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    (slow, reply["ok"]["head"].as_u64().expect("subscribed"))
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_closed_and_others_get_every_event() {
    let srv = TestServer::start_with(|c| {
        c.limits.outbound_queue = 64;
        c.limits.write_timeout_ms = 1_000;
        // No server Pings: the slow reader must see only data, then the end.
        c.limits.ping_interval_ms = 600_000;
        c.limits.idle_timeout_ms = 600_000;
        c.limits.rate.post_per_sec = 100_000;
        c.limits.rate.post_burst = 100_000;
    })
    .await;
    let (ann_t, slow_t, ok_t) = (srv.user("ann").await, srv.user("slow").await, srv.user("healthy").await);
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("firehose").await;
    let epoch = ann.epoch().await;

    // The slow reader: a tiny receive buffer, and after subscribing we stop polling it.
    let (mut slow, start) = stalling_subscriber(&srv, &slow_t, &ch).await;

    // The healthy reader drains promptly in its own task.
    let mut healthy = srv.connect(&ok_t).await;
    healthy.subscribe(&ch, Some(start), Some(&epoch)).await.unwrap();
    let ch2 = ch.clone();
    let healthy_task = tokio::spawn(async move {
        let events = healthy.events_until(&ch2, start + POSTS).await;
        (healthy, events)
    });

    // Big messages in small pipelined rounds (each round acked before the next), so the
    // healthy reader's queue never holds more than a round's events.
    // About 6 MB in all: more than the kernel and WebSocket buffers can absorb.
    let texts: Vec<String> = (0..ROUND).map(|_| "y".repeat(4000)).collect();
    let mut last = 0;
    for _ in 0..(POSTS as usize / ROUND) {
        last = *ann.post_many(&ch, &texts).await.iter().max().unwrap();
    }
    assert_eq!(last, start + POSTS);
    let (mut healthy, events) =
        tokio::time::timeout(Duration::from_secs(60), healthy_task).await.expect("healthy reader done").unwrap();
    assert_eq!(
        seqs(&events),
        ((start + 1)..=last).collect::<Vec<_>>(),
        "every event, in order, for the healthy reader"
    );
    healthy.assert_usable().await;

    // Now read what the slow reader was sent: a prefix of the stream, then the end.
    let mut seen = start;
    let mut close_code = None;
    loop {
        let m =
            tokio::time::timeout(Duration::from_secs(30), slow.next()).await.expect("the slow reader must be cut off");
        match m {
            None | Some(Err(_)) => break,
            Some(Ok(Message::Close(f))) => {
                close_code = f.map(|f| u16::from(f.code));
                break;
            }
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["ev"] == "event" {
                    let seq = v["seq"].as_u64().unwrap();
                    assert_eq!(seq, seen + 1, "in order until cut off");
                    seen = seq;
                }
            }
            Some(Ok(_)) => {}
        }
    }
    assert!(seen < last, "the slow reader was cut off before the end (saw up to {seen} of {last})");
    assert!(close_code.is_none() || close_code == Some(4000), "close code {close_code:?}");
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("agora_slow_consumers") && !l.ends_with(" 0")),
        "the slow-consumer counter moved:\n{metrics}"
    );

    // It reconnects and resumes from what it saw: exactly the rest.
    let mut again = srv.connect(&slow_t).await;
    let r = again.subscribe(&ch, Some(seen), Some(&epoch)).await.unwrap();
    assert_eq!(r["head"].as_u64(), Some(last));
    let rest = again.events_until(&ch, last).await;
    assert_eq!(seqs(&rest), ((seen + 1)..=last).collect::<Vec<_>>());
}

/// One jittery subscriber under a tiny queue: events must arrive as seq+1 every time
/// (a skipped seq without a close would be a silent gap); a close must be the
/// slow-consumer close (or a reset); after each close it resumes from what it saw.
/// Returns how many times it was cut off.
async fn jittery_subscriber(
    srv: &TestServer,
    token: String,
    ch: String,
    epoch: String,
    start: u64,
    mut done: tokio::sync::watch::Receiver<Option<u64>>,
    seed: u64,
) -> u32 {
    let mut seen = start;
    let mut closes = 0;
    let mut rng = seed;
    loop {
        let mut c = srv.connect(&token).await;
        // Not `Client::subscribe`: with a queue this small the close may come before the reply.
        let id = c.send(json!({"op": "subscribe", "stream": ch, "since": seen, "epoch": epoch})).await;
        loop {
            if let Some(last) = *done.borrow_and_update() {
                if seen >= last {
                    return closes;
                }
            }
            let ev = match tokio::time::timeout(Duration::from_millis(200), c.read_frame()).await {
                Err(_) => continue, // quiet: check whether the publishers are done
                Ok(Ok(agora_protocol::ServerFrame::Push(agora_protocol::Push::Event(e)))) => e,
                Ok(Ok(agora_protocol::ServerFrame::Reply { re, result })) => {
                    assert_eq!(re, Some(id));
                    assert_eq!(result.expect("subscribed")["recovered"], json!(true));
                    continue;
                }
                Ok(Ok(_)) => continue,
                Ok(Err(code)) => {
                    assert!(code.is_none() || code == Some(4000), "only slow-consumer closes, got {code:?}");
                    closes += 1;
                    break;
                }
            };
            assert_eq!(ev.seq.0, seen + 1, "a skipped or repeated seq without a close (silent gap)");
            seen = ev.seq.0;
            // Scheduling jitter: now and then stall a few ms, so the tiny queue overflows.
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if (rng >> 33).is_multiple_of(16) {
                tokio::time::sleep(Duration::from_millis((rng >> 40) % 4)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_queues_and_jittery_readers_never_see_a_silent_gap() {
    let srv = std::sync::Arc::new(
        TestServer::start_with(|c| {
            c.limits.outbound_queue = 2;
            c.limits.rate.post_per_sec = 100_000;
            c.limits.rate.post_burst = 100_000;
        })
        .await,
    );
    let owner_t = srv.user("owner").await;
    let mut owner = srv.connect(&owner_t).await;
    let ch = owner.create_channel("jitter").await;
    let epoch = owner.epoch().await;
    let mut readers = Vec::new();
    for i in 0..12u64 {
        let t = srv.user(&format!("reader{i}")).await;
        srv.connect(&t).await.ok(json!({"op": "join", "stream": ch})).await;
        readers.push(t);
    }
    let mut writers = Vec::new();
    for p in 0..3 {
        let t = srv.user(&format!("writer{p}")).await;
        let mut c = srv.connect(&t).await;
        c.ok(json!({"op": "join", "stream": ch})).await;
        writers.push(c);
    }
    let start = owner.ok(json!({"op": "stream_info", "stream": ch})).await["head"].as_u64().unwrap();
    let (done_tx, done_rx) = tokio::sync::watch::channel(None);
    let subs: Vec<_> = readers
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let (srv, ch, epoch, rx) = (srv.clone(), ch.clone(), epoch.clone(), done_rx.clone());
            tokio::spawn(async move { jittery_subscriber(&srv, t, ch, epoch, start, rx, i as u64 + 1).await })
        })
        .collect();
    // Three publishers, pipelined rounds of 20, 600 posts in all.
    let pubs: Vec<_> = writers
        .into_iter()
        .enumerate()
        .map(|(p, mut c)| {
            let ch = ch.clone();
            tokio::spawn(async move {
                let texts: Vec<String> = (0..20).map(|n| format!("w{p} {n} {}", "z".repeat(200))).collect();
                let mut last = 0;
                for _ in 0..10 {
                    last = last.max(*c.post_many(&ch, &texts).await.iter().max().unwrap());
                }
                last
            })
        })
        .collect();
    let mut last = 0;
    for p in pubs {
        last = last.max(p.await.unwrap());
    }
    assert_eq!(last, start + 600);
    done_tx.send(Some(last)).unwrap();
    let mut closes = 0;
    for s in subs {
        closes +=
            tokio::time::timeout(Duration::from_secs(60), s).await.expect("every reader reaches the head").unwrap();
    }
    // Informational: how hard the queues were pushed (the assertions are the seq checks).
    eprintln!("slow-consumer closes across 12 readers: {closes}");
}

/// The slow-consumer counter from /metrics.
async fn slow_consumers(srv: &TestServer) -> u64 {
    let metrics = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    metrics
        .lines()
        .find(|l| l.starts_with("agora_slow_consumers"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// PROTOCOL.md §14: a reader that stalls, is cut off, and then reads again within
/// `close_timeout_ms` gets the rest of the message being written when the cut came
/// and then a clean 4000 close frame: no frame cut in the middle, no reset.
#[tokio::test]
async fn a_reader_cut_off_that_reads_again_gets_a_clean_4000() {
    let srv = TestServer::start_with(|c| {
        c.limits.outbound_queue = 16;
        // The cut comes from the queue overflowing, and the close frame may wait long
        // for the socket to drain.
        c.limits.write_timeout_ms = 600_000;
        c.limits.close_timeout_ms = 120_000;
        c.limits.socket_send_buffer_bytes = 8 * 1024;
        c.limits.ping_interval_ms = 600_000;
        c.limits.idle_timeout_ms = 600_000;
        c.limits.rate.post_per_sec = 100_000;
        c.limits.rate.post_burst = 100_000;
    })
    .await;
    let (ann_t, slow_t) = (srv.user("ann").await, srv.user("slow").await);
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("stall").await;

    let (mut slow, start) = stalling_subscriber(&srv, &slow_t, &ch).await;

    // Post until the server has cut the stalled reader off.
    let texts: Vec<String> = (0..ROUND).map(|_| "s".repeat(4000)).collect();
    let mut last = start;
    let mut rounds = 0;
    while slow_consumers(&srv).await == 0 {
        rounds += 1;
        assert!(rounds < 1000, "the stalled reader was never cut off");
        last = *ann.post_many(&ch, &texts).await.iter().max().unwrap();
    }

    // It reads again: events in order, whole, then the close frame.
    let mut seen = start;
    let mut held = 0;
    let close = loop {
        match tokio::time::timeout(WAIT, slow.next()).await.expect("frames, then the close") {
            Some(Ok(Message::Text(t))) => {
                held += t.len();
                let v: serde_json::Value = serde_json::from_str(&t).expect("whole frames only");
                if v["ev"] == "event" {
                    assert_eq!(v["seq"].as_u64(), Some(seen + 1), "in order until cut off");
                    seen += 1;
                }
            }
            Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(close, Some(4000));
    assert!(seen < last, "cut off before the end ({seen} of {last})");
    // What a stalled reader holds is bounded: the server's socket buffer (8 KiB, doubled
    // by Linux), the client's (4 KiB, doubled), the WebSocket write buffer and the message
    // being written. With the kernel's autotuned buffers it was megabytes.
    eprintln!("bytes held for the stalled reader: {held}");
    assert!(held < 128 * 1024, "{held} bytes were buffered for a stalled reader");
}
