//! JSON and MessagePack clients on one stream (PROTOCOL.md §3).

mod common;
use agora_protocol::codec::Encoding;
use agora_protocol::EventBody;
use common::*;
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn msgpack_and_json_clients_see_each_others_messages_identically() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await; // JSON
    let mut bob = srv.connect_msgpack(&bob_t).await;
    let ch = srv.channel(&mut ann, "mixed", &mut [&mut bob]).await;
    ann.subscribe(&ch, None, None).await.unwrap();
    bob.subscribe(&ch, None, None).await.unwrap();
    let text_from_ann = "héllo from JSON 🎉 @bob \"quoted\" \\ back\nslash";
    let text_from_bob = "grüße from MessagePack 🚀 @ann\u{0}nul";
    let a = ann.ok(json!({"op": "post", "stream": ch, "text": text_from_ann, "idem": "ann-1"})).await["seq"]
        .as_u64()
        .unwrap();
    let ea_json = ann.next_event().await;
    let ea_mp = bob.next_event().await;
    assert_eq!(ea_json, ea_mp, "the same event, field for field, in both encodings");
    assert_eq!((ea_mp.seq.0, text_of(&ea_mp), ea_mp.idem.as_deref()), (a, text_from_ann, Some("ann-1")));
    match &ea_mp.body {
        EventBody::MessagePosted { mentions, .. } => {
            assert_eq!(mentions.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(), vec!["bob"])
        }
        other => panic!("{other:?}"),
    }
    let b = bob.ok(json!({"op": "post", "stream": ch, "text": text_from_bob, "reply_to": a})).await["seq"]
        .as_u64()
        .unwrap();
    let eb_mp = bob.next_event().await;
    let eb_json = ann.next_event().await;
    assert_eq!(eb_json, eb_mp);
    assert_eq!((eb_json.seq.0, text_of(&eb_json), eb_json.author.0.as_str()), (b, text_from_bob, "bob"));
    // History agrees across encodings too.
    let hj = ann.ok(json!({"op": "history", "stream": ch})).await;
    let hm = bob.ok(json!({"op": "history", "stream": ch})).await;
    assert_eq!(hj, hm);
}

#[tokio::test]
async fn a_msgpack_connection_gets_binary_frames_and_json_gets_text() {
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    let mut mp = srv.connect_msgpack(&t).await;
    let mut js = srv.connect(&t).await;
    assert_eq!(mp.enc, Encoding::MsgPack);
    let ch = mp.create_channel("frames").await;
    for c in [&mut mp, &mut js] {
        let id = c.send(json!({"op": "subscribe", "stream": ch, "since": 0})).await;
        let _ = id;
    }
    // Read raw: the reply and the replayed event.
    for (c, binary) in [(&mut mp, true), (&mut js, false)] {
        let mut data_frames = 0;
        while data_frames < 2 {
            let m = tokio::time::timeout(WAIT, c.ws.next()).await.expect("frame").expect("open").expect("ok");
            match m {
                Message::Binary(b) => {
                    assert!(binary, "binary frame on a JSON connection");
                    let v: serde_json::Value = rmp_serde::from_slice(&b).expect("valid MessagePack map");
                    assert!(v.is_object(), "{v}");
                    data_frames += 1;
                }
                Message::Text(t) => {
                    assert!(!binary, "text frame on a MessagePack connection: {t}");
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    assert!(v.is_object());
                    data_frames += 1;
                }
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn the_server_echoes_the_chosen_subprotocol() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    for (offer, expect) in [("agora.msgpack.v1", "agora.msgpack.v1"), ("agora.json.v1", "agora.json.v1")] {
        let mut req = srv.ws_url().into_client_request().unwrap();
        req.headers_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
        req.headers_mut().insert("sec-websocket-protocol", offer.parse().unwrap());
        let (_ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), expect);
    }
}

/// Connect offering `offer` (a subprotocol list) and return the socket and the
/// subprotocol the server chose.
async fn connect_offering(srv: &TestServer, token: &str, offer: &'static str) -> (Ws, Option<String>) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let mut req = srv.ws_url().into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(offer));
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.expect("ws connect");
    let chosen = resp.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap().to_owned());
    (ws, chosen)
}

#[tokio::test]
async fn batched_subprotocols_carry_several_frames_per_message_in_order() {
    use agora_protocol::codec::{batch_frames, decode_server_frame, encode};
    use agora_protocol::{Push, ServerFrame};
    use futures_util::SinkExt;
    let srv = TestServer::start_with(|c| {
        c.limits.rate.post_per_sec = 1000;
        c.limits.rate.post_burst = 1000;
    })
    .await;
    let t = srv.user("ann").await;
    let mut ann = srv.connect(&t).await;
    let ch = ann.create_channel("batched").await;
    let texts: Vec<String> = (0..40).map(|i| format!("message {i}\nwith a newline")).collect();
    ann.post_many(&ch, &texts).await;
    for (offer, enc) in
        [("agora.json.batch.v1, agora.json.v1", Encoding::Json), ("agora.msgpack.batch.v1", Encoding::MsgPack)]
    {
        let (mut ws, chosen) = connect_offering(&srv, &t, offer).await;
        let expected = if enc == Encoding::Json { "agora.json.batch.v1" } else { "agora.msgpack.batch.v1" };
        assert_eq!(chosen.as_deref(), Some(expected), "batched is preferred when offered");
        // A replay from seq 0 is written in one go: the reply and 41 events (stream_created + 40).
        let sub = serde_json::json!({"id": 1, "op": "subscribe", "stream": ch, "since": 0});
        let m = match enc {
            Encoding::Json => Message::Text(sub.to_string().into()),
            Encoding::MsgPack => Message::Binary(encode(&sub, enc).into()),
        };
        ws.send(m).await.unwrap();
        let (mut messages, mut seqs, mut replied) = (0, Vec::new(), false);
        while seqs.len() < 41 {
            let m = tokio::time::timeout(WAIT, ws.next()).await.expect("a message").expect("open").expect("ok");
            let bytes = match (enc, m) {
                (Encoding::Json, Message::Text(t)) => t.as_bytes().to_vec(),
                (Encoding::MsgPack, Message::Binary(b)) => b.to_vec(),
                (_, Message::Ping(_)) => continue,
                (_, other) => panic!("{enc:?}: unexpected {other:?}"),
            };
            messages += 1;
            for frame in batch_frames(&bytes, enc) {
                match decode_server_frame(frame.unwrap(), enc).unwrap() {
                    ServerFrame::Reply { re: Some(1), result: Ok(_) } => replied = true,
                    ServerFrame::Push(Push::Event(e)) => seqs.push(e.seq.0),
                    other => panic!("{other:?}"),
                }
            }
        }
        assert!(replied, "{enc:?}: the subscribe reply arrived");
        assert_eq!(seqs, (1..=41).collect::<Vec<_>>(), "{enc:?}: every event once, in order");
        assert!(messages < 41, "{enc:?}: 42 frames came in {messages} messages, so some were batched");
    }
    // Without a batch subprotocol, one frame per message as before.
    let (mut ws, chosen) = connect_offering(&srv, &t, "agora.json.v1").await;
    assert_eq!(chosen.as_deref(), Some("agora.json.v1"));
    ws.send(Message::Text(
        serde_json::json!({"id": 1, "op": "subscribe", "stream": ch, "since": 0}).to_string().into(),
    ))
    .await
    .unwrap();
    for _ in 0..42 {
        let m = tokio::time::timeout(WAIT, ws.next()).await.expect("a message").expect("open").expect("ok");
        let Message::Text(t) = m else { panic!("{m:?}") };
        assert!(!t.as_str().contains('\n'), "one frame per message: {t}");
    }
}

/// PROTOCOL.md §3: a client offering only subprotocols the server does not know
/// gets no `Sec-WebSocket-Protocol` in the answer and a JSON connection; an
/// offered `permessage-deflate` is not negotiated (no `Sec-WebSocket-Extensions`),
/// so frames are never compressed.
#[tokio::test]
async fn unknown_subprotocols_fall_back_to_json_and_compression_is_not_negotiated() {
    use common::raw::RawWs;
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    let offer = "Sec-WebSocket-Protocol: chat.v9, agora.yaml.v1\r\n\
                 Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    let (mut ws, head) = RawWs::handshake(srv.addr, &t, offer).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(!lower.contains("sec-websocket-protocol"), "{head}");
    assert!(!lower.contains("sec-websocket-extensions"), "{head}");
    ws.send_text(&json!({"id": 1, "op": "ping"}).to_string()).await;
    let f = ws.read_frame().await.unwrap();
    assert_eq!((f.opcode, f.rsv), (common::raw::TEXT, 0), "an uncompressed JSON text frame");
    let r: serde_json::Value = serde_json::from_slice(&f.payload).unwrap();
    assert_eq!(r["re"], json!(1));
}
