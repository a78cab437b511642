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
    let a = ann.ok(json!({"op": "post", "stream": ch, "text": text_from_ann, "idem": "ann-1"})).await["seq"].as_u64().unwrap();
    let ea_json = ann.next_event().await;
    let ea_mp = bob.next_event().await;
    assert_eq!(ea_json, ea_mp, "the same event, field for field, in both encodings");
    assert_eq!((ea_mp.seq.0, text_of(&ea_mp), ea_mp.idem.as_deref()), (a, text_from_ann, Some("ann-1")));
    match &ea_mp.body {
        EventBody::MessagePosted { mentions, .. } => assert_eq!(mentions.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(), vec!["bob"]),
        other => panic!("{other:?}"),
    }
    let b = bob.ok(json!({"op": "post", "stream": ch, "text": text_from_bob, "reply_to": a})).await["seq"].as_u64().unwrap();
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
