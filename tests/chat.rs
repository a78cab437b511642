//! Two users chatting: messages, presence, typing, read state, DMs, private channels.

mod common;
use agora_protocol::ops::PresenceStatus;
use agora_protocol::{EventBody, Push};
use common::*;
use serde_json::json;

#[tokio::test]
async fn two_users_see_each_others_messages_and_presence() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("lobby").await;
    let mut bob = srv.connect(&bob_t).await;
    bob.ok(json!({"op": "join", "stream": ch})).await;
    let sub = ann.ok(json!({"op": "subscribe", "stream": ch})).await;
    assert!(sub["presence"].as_array().unwrap().iter().any(|p| p["user"] == "bob" && p["status"] == "online"));
    bob.ok(json!({"op": "subscribe", "stream": ch})).await;

    let seq = bob.post(&ch, "hello ann").await;
    let ev = ann.next_event().await;
    assert_eq!((ev.seq.0, ev.author.0.as_str(), text_of(&ev)), (seq, "bob", "hello ann"));
    let own = bob.next_event().await;
    assert_eq!(own.seq.0, seq, "the author's own subscription gets the event too");

    // Presence: bob goes away, then disconnects.
    bob.ok(json!({"op": "set_presence", "status": "away"})).await;
    let p = ann.push_where(|p| matches!(p, Push::Presence { .. })).await;
    assert!(matches!(p, Push::Presence { ref user, status: PresenceStatus::Away, .. } if user.0 == "bob"), "{p:?}");
    drop(bob);
    let p = ann.push_where(|p| matches!(p, Push::Presence { .. })).await;
    assert!(
        matches!(p, Push::Presence { ref user, status: PresenceStatus::Offline, last_seen, .. } if user.0 == "bob" && last_seen > 0),
        "{p:?}"
    );
}

#[tokio::test]
async fn typing_reaches_others_but_is_never_stored() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = ann.create_channel("typing").await;
    bob.ok(json!({"op": "join", "stream": ch})).await;
    ann.ok(json!({"op": "subscribe", "stream": ch})).await;
    bob.ok(json!({"op": "typing", "stream": ch})).await;
    let p = ann.push_where(|p| matches!(p, Push::Typing { .. })).await;
    assert!(matches!(p, Push::Typing { ref user, ttl_ms, .. } if user.0 == "bob" && ttl_ms > 0));
    let h = ann.ok(json!({"op": "history", "stream": ch})).await;
    let types: Vec<&str> = h["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["stream_created", "member_joined"]);
}

#[tokio::test]
async fn private_channel_and_dm_are_invisible_to_outsiders() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t, eve_t) = (srv.user("ann").await, srv.user("bob").await, srv.user("eve").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut eve = srv.connect(&eve_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let private = ann.ok(json!({"op": "create_channel", "name": "secret", "private": true})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ann.post(&private, "for members only").await;
    let dm = ann.ok(json!({"op": "open_dm", "users": ["bob"]})).await["id"].as_str().unwrap().to_owned();
    ann.post(&dm, "psst bob").await;
    let again = bob.ok(json!({"op": "open_dm", "users": ["ann"]})).await;
    assert_eq!(again["id"], json!(dm), "opening the same DM twice gives the same stream");

    for stream in [&private, &dm] {
        for op in [
            json!({"op": "subscribe", "stream": stream, "since": 0}),
            json!({"op": "history", "stream": stream}),
            json!({"op": "stream_info", "stream": stream}),
            json!({"op": "post", "stream": stream, "text": "let me in"}),
            json!({"op": "join", "stream": stream}),
            json!({"op": "typing", "stream": stream}),
            json!({"op": "mark_read", "stream": stream, "seq": 1}),
        ] {
            let err = eve.request(op.clone()).await.unwrap_err();
            assert_eq!(err.code.as_str(), "not_found", "{op}");
        }
    }
    let list = eve.ok(json!({"op": "list_streams"})).await;
    let ids: Vec<&str> = list["streams"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&private.as_str()) && !ids.contains(&dm.as_str()), "{ids:?}");
    // Members can read.
    let h = bob.ok(json!({"op": "history", "stream": dm})).await;
    assert_eq!(h["events"].as_array().unwrap().last().unwrap()["text"], "psst bob");
    // An invite makes the private channel visible, with a stream_added push.
    ann.ok(json!({"op": "invite", "stream": private, "user": "eve"})).await;
    let added = eve.push_where(|p| matches!(p, Push::StreamAdded { .. })).await;
    assert!(matches!(added, Push::StreamAdded { ref stream } if stream.id.0 == private));
    eve.ok(json!({"op": "history", "stream": private})).await;
}

#[tokio::test]
async fn unread_and_mention_counts_and_read_sync_across_devices() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob_phone = srv.connect(&bob_t).await;
    let mut bob_laptop = srv.connect(&bob_t).await;
    let ch = ann.create_channel("news").await;
    bob_phone.ok(json!({"op": "join", "stream": ch})).await;
    ann.post(&ch, "one").await;
    ann.post(&ch, "two @bob").await;
    let last = ann.post(&ch, "three").await;
    let list = bob_phone.ok(json!({"op": "list_streams"})).await;
    let s = list["streams"].as_array().unwrap().iter().find(|s| s["id"] == json!(ch)).unwrap().clone();
    assert_eq!((s["unread"].as_u64(), s["mentions"].as_u64(), s["last_read"].as_u64()), (Some(3), Some(1), Some(0)));
    bob_phone.ok(json!({"op": "mark_read", "stream": ch, "seq": last})).await;
    let p = bob_laptop.push_where(|p| matches!(p, Push::Read { .. })).await;
    assert!(matches!(p, Push::Read { ref stream, seq } if stream.0 == ch && seq.0 == last));
    let list = bob_laptop.ok(json!({"op": "list_streams"})).await;
    let s = list["streams"].as_array().unwrap().iter().find(|s| s["id"] == json!(ch)).unwrap().clone();
    assert_eq!((s["unread"].as_u64(), s["last_read"].as_u64()), (Some(0), Some(last)));
    // Markers never move backwards.
    bob_phone.ok(json!({"op": "mark_read", "stream": ch, "seq": 1})).await;
    let list = bob_phone.ok(json!({"op": "list_streams"})).await;
    let s = list["streams"].as_array().unwrap().iter().find(|s| s["id"] == json!(ch)).unwrap().clone();
    assert_eq!(s["last_read"].as_u64(), Some(last));
}

#[tokio::test]
async fn edit_delete_and_reactions_follow_the_rules() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t, mod_t) =
        (srv.user("ann").await, srv.user("bob").await, srv.user_with_role("mia", "moderator").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let mut mia = srv.connect(&mod_t).await;
    let ch = ann.create_channel("rules").await;
    bob.ok(json!({"op": "join", "stream": ch})).await;
    let m = ann.post(&ch, "original").await;
    assert_eq!(
        bob.request(json!({"op": "edit", "stream": ch, "target": m, "text": "hijack"}))
            .await
            .unwrap_err()
            .code
            .as_str(),
        "forbidden"
    );
    ann.ok(json!({"op": "edit", "stream": ch, "target": m, "text": "edited"})).await;
    bob.ok(json!({"op": "react", "stream": ch, "target": m, "emoji": "👍"})).await;
    assert_eq!(
        bob.request(json!({"op": "react", "stream": ch, "target": m, "emoji": "👍"})).await.unwrap_err().code.as_str(),
        "conflict"
    );
    assert_eq!(
        ann.request(json!({"op": "unreact", "stream": ch, "target": m, "emoji": "👍"}))
            .await
            .unwrap_err()
            .code
            .as_str(),
        "not_found"
    );
    assert_eq!(
        bob.request(json!({"op": "delete", "stream": ch, "target": m})).await.unwrap_err().code.as_str(),
        "forbidden"
    );
    let del = mia.ok(json!({"op": "delete", "stream": ch, "target": m})).await["seq"].as_u64().unwrap();
    let h = ann.ok(json!({"op": "history", "stream": ch, "after": m - 1, "limit": 10})).await;
    let events = h["events"].as_array().unwrap();
    assert_eq!(events[0]["seq"].as_u64(), Some(m));
    assert_eq!(events[0]["type"], "tombstone", "the deleted message keeps its seq as a tombstone");
    assert_eq!(events[0]["deleted_by"].as_u64(), Some(del));
    assert!(!h.to_string().contains("original"), "deleted text is never served");
    assert_eq!(events.last().unwrap()["type"], "message_deleted");
    // Sequence stays gapless.
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (m..=del).collect::<Vec<_>>());
    assert_eq!(
        ann.request(json!({"op": "edit", "stream": ch, "target": m, "text": "x"})).await.unwrap_err().code.as_str(),
        "not_found"
    );
    let _ = EventBody::Tombstone { deleted_by: agora_protocol::Seq(0) };
}
