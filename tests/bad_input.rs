//! Hostile and malformed input (PROTOCOL.md §4, §13, §16): each gets its documented error
//! and the connection stays usable.

mod common;
use agora_protocol::codec::Encoding;
use common::*;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

async fn setup() -> (TestServer, Client) {
    setup_with(|_| {}).await
}

async fn setup_with(tweak: impl FnOnce(&mut agora::config::Config)) -> (TestServer, Client) {
    let srv = TestServer::start_with(tweak).await;
    let t = srv.user("ann").await;
    let c = srv.connect(&t).await;
    (srv, c)
}

async fn idless_after_text(c: &mut Client, text: &str) -> agora_protocol::ErrorBody {
    c.send_raw(Message::Text(text.to_owned().into())).await;
    c.next_idless_error().await
}

#[tokio::test]
async fn malformed_json_gets_an_idless_bad_request() {
    let (_srv, mut c) = setup().await;
    let e = idless_after_text(&mut c, "{\"id\": 1, \"op\": \"ping\"").await;
    assert_eq!(e.code.as_str(), "bad_request");
    c.assert_usable().await;
}

#[tokio::test]
async fn non_object_json_gets_an_idless_bad_request() {
    let (_srv, mut c) = setup().await;
    for text in ["[1, 2, 3]", "42", "\"ping\"", "null"] {
        let e = idless_after_text(&mut c, text).await;
        assert_eq!(e.code.as_str(), "bad_request", "{text}");
    }
    c.assert_usable().await;
}

#[tokio::test]
async fn a_missing_id_gets_an_idless_bad_request() {
    let (_srv, mut c) = setup().await;
    let e = idless_after_text(&mut c, r#"{"op": "ping"}"#).await;
    assert_eq!(e.code.as_str(), "bad_request");
    c.assert_usable().await;
}

#[tokio::test]
async fn an_id_of_the_wrong_type_gets_an_idless_bad_request() {
    let (_srv, mut c) = setup().await;
    for text in [r#"{"id": "7", "op": "ping"}"#, r#"{"id": -1, "op": "ping"}"#, r#"{"id": 1.5, "op": "ping"}"#] {
        let e = idless_after_text(&mut c, text).await;
        assert_eq!(e.code.as_str(), "bad_request", "{text}");
    }
    c.assert_usable().await;
}

#[tokio::test]
async fn an_unknown_op_gets_unknown_op_with_re() {
    let (_srv, mut c) = setup().await;
    let e = c.request(json!({"op": "teleport", "to": "moon"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "unknown_op");
    c.assert_usable().await;
}

#[tokio::test]
async fn a_missing_field_gets_bad_request_with_re() {
    let (_srv, mut c) = setup().await;
    let ch = c.create_channel("fields").await;
    let e = c.request(json!({"op": "post", "stream": ch})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "bad_request");
    let e = c.request(json!({"op": "subscribe"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "bad_request");
    c.assert_usable().await;
}

#[tokio::test]
async fn a_field_of_the_wrong_type_gets_bad_request_with_re() {
    let (_srv, mut c) = setup().await;
    let ch = c.create_channel("types").await;
    for op in [
        json!({"op": "post", "stream": ch, "text": 5}),
        json!({"op": "post", "stream": 5, "text": "x"}),
        json!({"op": "subscribe", "stream": ch, "since": "3"}),
        json!({"op": "subscribe", "stream": ch, "since": -3}),
        json!({"op": "history", "stream": ch, "limit": 2.5}),
    ] {
        let e = c.request(op.clone()).await.unwrap_err();
        assert_eq!(e.code.as_str(), "bad_request", "{op}");
    }
    c.assert_usable().await;
}

#[tokio::test]
async fn a_frame_over_max_frame_bytes_gets_an_idless_too_large() {
    let (_srv, mut c) = setup_with(|cfg| cfg.limits.max_frame_bytes = 1024).await;
    let ch = c.create_channel("big").await;
    // A well-formed post with a valid id, just too big to be parsed at all.
    let big = json!({"id": 99, "op": "post", "stream": ch, "text": "x".repeat(2000)}).to_string();
    let e = idless_after_text(&mut c, &big).await;
    assert_eq!(e.code.as_str(), "too_large");
    // Not stored.
    let h = c.ok(json!({"op": "history", "stream": ch})).await;
    assert_eq!(h["head"].as_u64(), Some(1));
    c.assert_usable().await;
}

#[tokio::test]
async fn text_longer_than_max_text_chars_is_too_large() {
    let (_srv, mut c) = setup_with(|cfg| cfg.limits.max_text_chars = 10).await;
    let ch = c.create_channel("long").await;
    // Characters, not bytes: ten 4-byte characters are fine.
    c.post(&ch, &"🎉".repeat(10)).await;
    let e = c.request(json!({"op": "post", "stream": ch, "text": "🎉".repeat(11)})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "too_large");
    c.assert_usable().await;
}

#[tokio::test]
async fn empty_or_blank_text_is_bad_request() {
    let (_srv, mut c) = setup().await;
    let ch = c.create_channel("empty").await;
    for text in ["", "   \n\t"] {
        let e = c.request(json!({"op": "post", "stream": ch, "text": text})).await.unwrap_err();
        assert_eq!(e.code.as_str(), "bad_request", "{text:?}");
    }
    c.assert_usable().await;
}

#[tokio::test]
async fn deeply_nested_json_gets_an_idless_bad_request() {
    let (_srv, mut c) = setup().await;
    let text = format!(r#"{{"id": 1, "op": "ping", "x": {}{}}}"#, "[".repeat(100), "]".repeat(100));
    let e = idless_after_text(&mut c, &text).await;
    assert_eq!(e.code.as_str(), "bad_request");
    // Within the limit is fine (unknown fields are ignored).
    let ok = format!(r#"{{"id": 2, "op": "ping", "x": {}{}}}"#, "[".repeat(20), "]".repeat(20));
    c.send_raw(Message::Text(ok.into())).await;
    c.wait_reply(2).await.unwrap();
    c.assert_usable().await;
}

#[tokio::test]
async fn messagepack_garbage_gets_an_idless_bad_request() {
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    let mut c = srv.connect_msgpack(&t).await;
    assert_eq!(c.enc, Encoding::MsgPack);
    for bytes in [
        vec![0xc1u8, 0xff, 0x00],                             // reserved byte
        vec![0x92, 0x01, 0x02],                               // an array, not a map
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],                   // array32 claiming 4 billion items
        vec![0x82, 0xa2, b'i', b'd', 0x01, 0xa2, b'o', b'p'], // truncated
    ] {
        c.send_raw(Message::Binary(bytes.clone().into())).await;
        let e = c.next_idless_error().await;
        assert_eq!(e.code.as_str(), "bad_request", "{bytes:x?}");
    }
    // JSON text on a MessagePack connection is decoded as MessagePack: garbage too.
    c.send_raw(Message::Text(r#"{"id":1,"op":"ping"}"#.into())).await;
    assert_eq!(c.next_idless_error().await.code.as_str(), "bad_request");
    c.assert_usable().await;
}

#[tokio::test]
async fn a_frame_above_the_hard_cap_closes_with_1009_and_others_are_unaffected() {
    let srv = TestServer::start_with(|cfg| {
        cfg.limits.max_frame_bytes = 1024;
        cfg.limits.hard_frame_bytes = 8192;
    })
    .await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "hard-cap", &mut [&mut bob]).await;
    bob.subscribe(&ch, None, None).await.unwrap();
    let huge = json!({"id": 1, "op": "post", "stream": ch, "text": "x".repeat(20_000)}).to_string();
    // The send itself may fail if the server closes first.
    let _ = futures_util::SinkExt::send(&mut ann.ws, Message::Text(huge.into())).await;
    assert_eq!(ann.closed().await, Some(1009));
    let seq = bob.post(&ch, "bob carries on").await;
    assert_eq!(bob.next_event().await.seq.0, seq);
    bob.assert_usable().await;
}

#[tokio::test]
async fn posting_to_a_public_channel_without_joining_is_forbidden() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = ann.create_channel("members-only").await;
    let e = bob.request(json!({"op": "post", "stream": ch, "text": "hi"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden");
    // Reading without joining is allowed.
    bob.ok(json!({"op": "history", "stream": ch})).await;
    bob.assert_usable().await;
}

#[tokio::test]
async fn posting_to_a_nonexistent_stream_is_not_found() {
    let (_srv, mut c) = setup().await;
    for stream in ["ch_doesnotexist", "dm_nope", ""] {
        let e = c.request(json!({"op": "post", "stream": stream, "text": "hello?"})).await.unwrap_err();
        assert_eq!(e.code.as_str(), "not_found", "{stream:?}");
    }
    c.assert_usable().await;
}
