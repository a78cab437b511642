//! Heartbeats, idle timeout and draining (PROTOCOL.md §11, §15).

mod common;
use agora_protocol::ops::PresenceStatus;
use agora_protocol::Push;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Wait for a push matching `f` while sending WebSocket Pings so `c` itself never idles out.
async fn push_keeping_alive(c: &mut Client, f: impl Fn(&Push) -> bool) -> Push {
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    loop {
        tokio::select! {
            p = c.next_push() => if f(&p) { return p },
            _ = tick.tick() => c.ws.send(Message::Ping(Default::default())).await.unwrap(),
        }
    }
}

#[tokio::test]
async fn a_silent_client_is_closed_with_4001_and_goes_offline() {
    let srv = TestServer::start_with(|c| {
        c.limits.idle_timeout_ms = 1_500;
        c.limits.ping_interval_ms = 600_000;
    })
    .await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "idle", &mut [&mut bob]).await;
    let sub = ann.subscribe(&ch, None, None).await.unwrap();
    assert!(sub["presence"].as_array().unwrap().iter().any(|p| p["user"] == "bob"), "{sub}");
    // bob now sends nothing and is not polled (so it answers no Pings either).
    let p = push_keeping_alive(&mut ann, |p| matches!(p, Push::Presence { user, .. } if user.0 == "bob")).await;
    assert!(matches!(p, Push::Presence { status: PresenceStatus::Offline, .. }), "{p:?}");
    assert_eq!(bob.closed().await, Some(4001));
    // ann, who kept sending Pings, is still connected.
    ann.assert_usable().await;
}

#[tokio::test]
async fn a_client_that_answers_pings_is_not_idle() {
    let srv = TestServer::start_with(|c| {
        c.limits.idle_timeout_ms = 1_000;
        c.limits.ping_interval_ms = 200;
    })
    .await;
    let t = srv.user("ann").await;
    let mut c = srv.connect(&t).await;
    // Keep polling (tungstenite answers Pings with Pongs) for several idle timeouts,
    // sending no data frame at all.
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(3_500);
    while let Ok(m) = tokio::time::timeout_at(until, c.ws.next()).await {
        match m {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Close(f))) => panic!("closed while answering pings: {f:?}"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 3, "the server pings every ping_interval ({pings} seen)");
    c.assert_usable().await;
}

#[tokio::test]
async fn shutdown_closes_connections_with_1001() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect_msgpack(&bob_t).await;
    let ch = srv.channel(&mut ann, "drain", &mut [&mut bob]).await;
    let seq = ann.post(&ch, "before the restart").await;
    bob.subscribe(&ch, None, None).await.unwrap();
    srv.shutdown.cancel();
    assert_eq!(ann.closed().await, Some(1001));
    assert_eq!(bob.closed().await, Some(1001));
    // The server finishes, and what was acked survives the restart.
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let mut ann = srv.connect(&srv.login("ann", PASSWORD).await).await;
    let h = ann.ok(json!({"op": "history", "stream": ch})).await;
    assert_eq!(h["head"].as_u64(), Some(seq));
}
