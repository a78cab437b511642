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
    // A retry on a new connection finds it too.
    let mut ann2 = srv.connect(&ann_t).await;
    let third = ann2.ok(post(&ch, "hello", "key-1")).await;
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

/// PROTOCOL.md §5 `post`, "Idempotency": a key reused with a different text is a
/// client bug, answered `conflict` (as Stripe and the IETF Idempotency-Key draft
/// do), not silently answered with the original; nothing is stored.
#[tokio::test]
async fn the_same_key_with_a_different_text_is_a_conflict() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("reused-key").await;
    let first = ann.ok(post(&ch, "hello", "key-1")).await;
    let e = ann.request(post(&ch, "hello (edited in the retry)", "key-1")).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict", "{e:?}");
    // Within one group commit too: the second of two pipelined posts with one key.
    let ids = [ann.send(post(&ch, "same group", "key-2")).await, ann.send(post(&ch, "other text", "key-2")).await];
    let a = ann.wait_reply(ids[0]).await.expect("the first is stored");
    let b = ann.wait_reply(ids[1]).await.unwrap_err();
    assert_eq!(b.code.as_str(), "conflict", "{b:?}");
    // After a restart (the key is read back from the log), and the same text still works.
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let mut ann = srv.connect(&srv.login("ann", PASSWORD).await).await;
    let e = ann.request(post(&ch, "different", "key-1")).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict", "{e:?}");
    let again = ann.ok(post(&ch, "hello", "key-1")).await;
    assert_eq!((again["seq"].clone(), again["duplicate"].clone()), (first["seq"].clone(), json!(true)));
    let msgs = history_texts(&mut ann, &ch).await;
    let seqs: Vec<u64> = msgs.iter().map(|m| m.0).collect();
    assert_eq!(seqs, vec![first["seq"].as_u64().unwrap(), a["seq"].as_u64().unwrap()], "{msgs:?}");
}

/// A retry after the original was deleted has no text to compare against: it
/// gets the original's seq, and nothing is stored again.
#[tokio::test]
async fn a_retry_after_the_original_was_deleted_gets_the_original_seq() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("deleted-original").await;
    let first = ann.ok(post(&ch, "oops", "key-1")).await;
    ann.ok(json!({"op": "delete", "stream": ch, "target": first["seq"]})).await;
    let again = ann.ok(post(&ch, "oops", "key-1")).await;
    assert_eq!((again["seq"].clone(), again["duplicate"].clone()), (first["seq"].clone(), json!(true)));
    assert!(history_texts(&mut ann, &ch).await.is_empty());
}
