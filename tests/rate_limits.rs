//! Per-user rate limits and flood protection (PROTOCOL.md §12).

mod common;
use agora_protocol::ErrorBody;
use common::*;
use serde_json::json;
use std::time::Duration;

fn slow_posts(cfg: &mut agora::config::Config) {
    cfg.limits.rate.post_per_sec = 2;
    cfg.limits.rate.post_burst = 3;
}

/// Send `n` posts pipelined, then collect every reply in order.
async fn burst(c: &mut Client, stream: &str, n: usize) -> Vec<Result<serde_json::Value, ErrorBody>> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(c.send(json!({"op": "post", "stream": stream, "text": format!("burst {i}")})).await);
    }
    let mut out = Vec::new();
    for id in ids {
        out.push(c.wait_reply(id).await);
    }
    out
}

#[tokio::test]
async fn over_the_post_limit_is_rate_limited_with_retry_after_and_other_users_are_unaffected() {
    let srv = TestServer::start_with(slow_posts).await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "limits", &mut [&mut bob]).await;
    // create_channel and join drew from the post buckets too; exhaust ann's.
    let replies = burst(&mut ann, &ch, 8).await;
    let limited: Vec<&ErrorBody> = replies.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(!limited.is_empty(), "8 posts against a burst of 3 must hit the limit");
    for e in &limited {
        assert_eq!(e.code.as_str(), "rate_limited");
        assert!(e.retry_after_ms.unwrap_or(0) > 0, "{e:?}");
    }
    // At the same moment, bob's bucket is his own.
    bob.post(&ch, "bob is fine").await;
    // Other classes are unaffected.
    ann.ok(json!({"op": "history", "stream": ch})).await;
    ann.assert_usable().await;
    // Nothing refused was stored.
    let stored = replies.iter().filter(|r| r.is_ok()).count();
    let h = ann.ok(json!({"op": "history", "stream": ch})).await;
    let bursts = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"].as_str().is_some_and(|t| t.starts_with("burst")))
        .count();
    assert_eq!(bursts, stored);
}

#[tokio::test]
async fn waiting_retry_after_ms_lets_the_request_through() {
    let srv = TestServer::start_with(|c| {
        c.limits.rate.post_per_sec = 3;
        c.limits.rate.post_burst = 1;
    })
    .await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("retry").await;
    for round in 0..5 {
        // Drain the bucket until refused.
        let wait = loop {
            match ann.request(json!({"op": "post", "stream": ch, "text": "x"})).await {
                Ok(_) => continue,
                Err(e) => {
                    assert_eq!(e.code.as_str(), "rate_limited");
                    break e.retry_after_ms.expect("retry_after_ms");
                }
            }
        };
        assert!(wait > 0);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let r = ann.request(json!({"op": "post", "stream": ch, "text": "after waiting"})).await;
        assert!(r.is_ok(), "round {round}: still limited after waiting {wait}ms: {r:?}");
    }
}

#[tokio::test]
async fn flooding_past_flood_strikes_closes_with_4002() {
    let srv = TestServer::start_with(|c| {
        slow_posts(c);
        c.limits.rate.flood_strikes = 20;
    })
    .await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "flood", &mut [&mut bob]).await;
    for i in 0..40 {
        ann.send(json!({"op": "post", "stream": ch, "text": format!("flood {i}")})).await;
    }
    // At most flood_strikes rate_limited replies, then the close.
    let mut limited = 0;
    let code = loop {
        match ann.read_frame().await {
            Ok(agora_protocol::ServerFrame::Reply { result: Err(e), .. }) => {
                assert_eq!(e.code.as_str(), "rate_limited");
                limited += 1;
            }
            Ok(_) => {}
            Err(code) => break code,
        }
    };
    assert_eq!(code, Some(4002));
    assert!(limited <= 20, "{limited} rate_limited replies before the close");
    // The flood did not affect bob.
    bob.post(&ch, "still here").await;
    bob.assert_usable().await;
}

/// PROTOCOL.md §12, pipelined requests: the flood close comes after a reply to
/// every request read before the one that tripped it (acks of stored posts and
/// `rate_limited` errors alike), and every acked post is stored; requests sent
/// after it are not read. The close frame reaches the client although its
/// unread requests were still pending (no TCP reset).
#[tokio::test]
async fn a_flood_close_comes_after_every_reply_already_owed() {
    let srv = TestServer::start_with(|c| {
        c.limits.rate.post_per_sec = 1;
        c.limits.rate.post_burst = 20;
        c.limits.rate.flood_strikes = 20;
    })
    .await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("pipelined-flood").await;
    // 19 posts fit what is left of the burst, 21 more trip the flood close on the
    // 21st strike; 20 more are pipelined behind, never read.
    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(ann.send(json!({"op": "post", "stream": ch, "text": format!("pipelined {i}")})).await);
    }
    let (mut acked, mut limited, mut answered) = (Vec::new(), 0, Vec::new());
    let code = loop {
        match ann.read_frame().await {
            Ok(agora_protocol::ServerFrame::Reply { re: Some(re), result }) => {
                answered.push(re);
                match result {
                    Ok(ok) => acked.push(ok["seq"].as_u64().unwrap()),
                    Err(e) => {
                        assert_eq!(e.code.as_str(), "rate_limited");
                        limited += 1;
                    }
                }
            }
            Ok(_) => {}
            Err(code) => break code,
        }
    };
    assert_eq!(code, Some(4002), "the flood close frame arrives");
    assert_eq!(limited, 20, "every rate_limited reply before the close");
    answered.sort_unstable();
    let tripped = answered.len() as u64 + 1;
    assert_eq!(answered, ids[..answered.len()].to_vec(), "a reply to each request before the one that tripped it");
    assert!(acked.len() >= 19, "the acks of the posts within the burst ({} acks)", acked.len());
    assert!(tripped < *ids.last().unwrap(), "requests behind the close were not read");
    // Every acked post is stored, and nothing else.
    let mut bob = srv.connect(&ann_t).await;
    let h = bob.ok(json!({"op": "history", "stream": ch, "limit": 200})).await;
    let mut stored: Vec<u64> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"].as_str().is_some_and(|t| t.starts_with("pipelined")))
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    stored.sort_unstable();
    acked.sort_unstable();
    assert_eq!(stored, acked);
}
