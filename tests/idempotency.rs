//! Idempotent posts (PROTOCOL.md §5 `post`, "Idempotency").

mod common;
use common::*;
use serde_json::{json, Value};

async fn history_texts(c: &mut Client, stream: &str) -> Vec<(u64, String, Option<String>)> {
    let h = c.ok(json!({"op": "history", "stream": stream, "limit": 200})).await;
    h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message_posted")
        .map(|e| {
            (e["seq"].as_u64().unwrap(), e["text"].as_str().unwrap().to_owned(), e["idem"].as_str().map(str::to_owned))
        })
        .collect()
}

fn post(stream: &str, text: &str, idem: &str) -> Value {
    json!({"op": "post", "stream": stream, "text": text, "idem": idem})
}

#[tokio::test]
async fn a_retried_post_with_the_same_idem_is_stored_once() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("idem").await;
    let first = ann.ok(post(&ch, "hello", "key-1")).await;
    assert_eq!(first["duplicate"], json!(false));
    let again = ann.ok(post(&ch, "hello", "key-1")).await;
    assert_eq!(again["duplicate"], json!(true));
    assert_eq!((again["seq"].clone(), again["at"].clone()), (first["seq"].clone(), first["at"].clone()));
    // A retry on a new connection, even with different text: the original stands.
    let mut ann2 = srv.connect(&ann_t).await;
    let third = ann2.ok(post(&ch, "hello (edited in the retry)", "key-1")).await;
    assert_eq!((third["seq"].clone(), third["duplicate"].clone()), (first["seq"].clone(), json!(true)));
    let msgs = history_texts(&mut ann, &ch).await;
    assert_eq!(msgs, vec![(first["seq"].as_u64().unwrap(), "hello".to_owned(), Some("key-1".to_owned()))]);
    // Nothing was appended after the original.
    let info = ann.ok(json!({"op": "stream_info", "stream": ch})).await;
    assert_eq!(info["head"], first["seq"]);
}

#[tokio::test]
async fn pipelined_duplicates_in_one_commit_are_stored_once() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("pipelined").await;
    let ids = [
        ann.send(post(&ch, "same", "k")).await,
        ann.send(post(&ch, "same", "k")).await,
        ann.send(post(&ch, "same", "k")).await,
    ];
    let mut replies = Vec::new();
    for id in ids {
        replies.push(ann.wait_reply(id).await.unwrap());
    }
    let seq = replies[0]["seq"].clone();
    assert!(replies.iter().all(|r| r["seq"] == seq), "{replies:?}");
    assert_eq!(replies.iter().filter(|r| r["duplicate"] == json!(false)).count(), 1, "{replies:?}");
    assert_eq!(history_texts(&mut ann, &ch).await.len(), 1);
}

#[tokio::test]
async fn different_idem_keys_store_twice() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("two-keys").await;
    let a = ann.ok(post(&ch, "same text", "key-a")).await;
    let b = ann.ok(post(&ch, "same text", "key-b")).await;
    assert_eq!((a["duplicate"].as_bool(), b["duplicate"].as_bool()), (Some(false), Some(false)));
    assert_ne!(a["seq"], b["seq"]);
    // Posts without a key are never deduplicated either.
    ann.post(&ch, "same text").await;
    ann.post(&ch, "same text").await;
    let msgs = history_texts(&mut ann, &ch).await;
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(msgs.iter().filter(|m| m.2.is_some()).count(), 2);
}

#[tokio::test]
async fn the_same_key_from_another_user_is_independent() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "shared-key", &mut [&mut bob]).await;
    let a = ann.ok(post(&ch, "from ann", "shared")).await;
    let b = bob.ok(post(&ch, "from bob", "shared")).await;
    assert_eq!(b["duplicate"], json!(false));
    assert_ne!(a["seq"], b["seq"]);
    let msgs = history_texts(&mut ann, &ch).await;
    let texts: Vec<&str> = msgs.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(texts, vec!["from ann", "from bob"]);
    // Each user's retry still finds their own original.
    let b2 = bob.ok(post(&ch, "from bob", "shared")).await;
    assert_eq!((b2["seq"].clone(), b2["duplicate"].clone()), (b["seq"].clone(), json!(true)));
}

#[tokio::test]
async fn keys_are_scoped_to_the_stream() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let one = ann.create_channel("one").await;
    let two = ann.create_channel("two").await;
    ann.ok(post(&one, "hi", "k")).await;
    let r = ann.ok(post(&two, "hi", "k")).await;
    assert_eq!(r["duplicate"], json!(false));
    assert_eq!(history_texts(&mut ann, &two).await.len(), 1);
}

#[tokio::test]
async fn bad_idem_keys_are_refused() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("bad-keys").await;
    assert_eq!(ann.request(post(&ch, "x", "")).await.unwrap_err().code.as_str(), "bad_request");
    assert_eq!(ann.request(post(&ch, "x", &"k".repeat(65))).await.unwrap_err().code.as_str(), "too_large");
    ann.ok(post(&ch, "x", &"k".repeat(64))).await;
}
