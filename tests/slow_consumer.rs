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

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_closed_and_others_get_every_event() {
    let srv = TestServer::start_with(|c| {
        c.limits.outbound_queue = 64;
        c.limits.write_timeout_ms = 1_000;
        // No server Pings: the slow reader must see only data, then the end.
        c.limits.ping_interval_ms = 600_000;
        c.limits.idle_timeout_ms = 600_000;
        // Keeps the server-side WebSocket write buffer small, so the queue backs up sooner.
        c.limits.hard_frame_bytes = 16 * 1024;
        c.limits.rate.post_per_sec = 100_000;
        c.limits.rate.post_burst = 100_000;
    })
    .await;
    let (ann_t, slow_t, ok_t) = (srv.user("ann").await, srv.user("slow").await, srv.user("healthy").await);
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("firehose").await;
    let epoch = ann.epoch().await;

    // The slow reader: a tiny receive buffer, and after subscribing we stop polling it.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(srv.addr).await.unwrap();
    let mut req = srv.ws_url().into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {slow_t}")).unwrap());
    let (mut slow, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    slow.send(Message::Text(json!({"id": 1, "op": "subscribe", "stream": ch}).to_string().into())).await.unwrap();
    let reply = tokio::time::timeout(WAIT, slow.next()).await.unwrap().unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    let start = reply["ok"]["head"].as_u64().expect("subscribed");

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
    let (mut healthy, events) = tokio::time::timeout(Duration::from_secs(60), healthy_task).await.expect("healthy reader done").unwrap();
    assert_eq!(seqs(&events), ((start + 1)..=last).collect::<Vec<_>>(), "every event, in order, for the healthy reader");
    healthy.assert_usable().await;

    // Now read what the slow reader was sent: a prefix of the stream, then the end.
    let mut seen = start;
    let mut close_code = None;
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), slow.next()).await.expect("the slow reader must be cut off");
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
