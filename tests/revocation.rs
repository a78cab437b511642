//! Revocation at once (PROTOCOL.md §15, "Revocation"): after a suspension, a
//! demotion or a kick, no further event reaches the user's open connections
//! that they may no longer see, and history and resume are refused. Over real
//! sockets. "No further event" is shown with a sentinel: an event posted after
//! the one that must not arrive, in another stream the user still reads; the
//! connection's queue is FIFO and the sequencer publishes commits in order, so
//! once the sentinel arrives, the earlier event would have arrived before it.

mod common;
use agora_protocol::{EventBody, Push};
use common::{Client, TestServer, PASSWORD};
use serde_json::{json, Value};

/// Events `c` receives up to and including seq `seq` of `stream`.
async fn events_through(c: &mut Client, stream: &str, seq: u64) -> Vec<agora_protocol::Event> {
    let mut out = Vec::new();
    loop {
        let e = c.next_event().await;
        let done = e.stream.0 == stream && e.seq.0 >= seq;
        out.push(e);
        if done {
            return out;
        }
    }
}

async fn post_http(server: &TestServer, admin: &str, path: &str, body: Value) -> (u16, Value) {
    server.http_json(server.http.post(server.url(path)).bearer_auth(admin).json(&body)).await
}

async fn login_status(server: &TestServer, user: &str) -> u16 {
    let body = json!({"username": user, "password": PASSWORD});
    server.http_json(server.http.post(server.url("/api/v1/auth/login")).json(&body)).await.0
}

#[tokio::test]
async fn a_suspension_closes_open_connections_with_4502_and_refuses_logins_tokens_and_handshakes() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let bob = server.user("bob").await;
    let bob_bot = server.bot_token("bobbot").await;
    let mut c1 = server.connect(&bob).await;
    let mut c2 = server.connect(&bob_bot).await;
    let mut other = server.connect(&server.user("ann").await).await;

    let (status, body) = post_http(&server, &admin, "/api/v1/users/bob/suspend", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["suspended_until"].as_u64(), Some(u64::MAX), "{body}");
    assert_eq!(c1.closed().await, Some(4502), "the open connection is closed as suspended");
    // The bot is not suspended: its connection stays.
    c2.assert_usable().await;
    other.assert_usable().await;

    // Logins, the session token (HTTP and WebSocket) are refused; the error says why.
    assert_eq!(login_status(&server, "bob").await, 403);
    let (status, body) = server.http_json(server.http.get(server.url("/api/v1/me")).bearer_auth(&bob)).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let mut again = server.connect(&bob).await;
    assert_eq!(again.closed().await, Some(4502), "a new handshake with the old token");

    // Suspending the bot stops its API token too.
    let (status, _) = post_http(&server, &admin, "/api/v1/users/bobbot/suspend", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(c2.closed().await, Some(4502));
    let (status, _) = server.http_json(server.http.get(server.url("/api/v1/me")).bearer_auth(&bob_bot)).await;
    assert_eq!(status, 403);

    // Unsuspended: everything works again, the old token included.
    let (status, body) = post_http(&server, &admin, "/api/v1/users/bob/unsuspend", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["user"].get("suspended_until").is_none(), "{body}");
    assert_eq!(login_status(&server, "bob").await, 200);
    server.connect(&bob).await.assert_usable().await;
}

#[tokio::test]
async fn a_suspension_until_a_time_lapses_by_itself_and_one_in_the_future_holds() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    server.user("bob").await;
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let (status, _) = post_http(&server, &admin, "/api/v1/users/bob/suspend", json!({"until": now_ms - 1})).await;
    assert_eq!(status, 200);
    assert_eq!(login_status(&server, "bob").await, 200, "a suspension whose end has passed no longer holds");
    let (status, _) =
        post_http(&server, &admin, "/api/v1/users/bob/suspend", json!({"until": now_ms + 3_600_000})).await;
    assert_eq!(status, 200);
    assert_eq!(login_status(&server, "bob").await, 403);
}

#[tokio::test]
async fn a_suspension_survives_a_restart() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    server.user("bob").await;
    let (status, _) = post_http(&server, &admin, "/api/v1/users/bob/suspend", json!({})).await;
    assert_eq!(status, 200);
    let server = TestServer::start_in(server.stop().await, |_| {}).await;
    assert_eq!(login_status(&server, "bob").await, 403, "still suspended after the restart");
    let admin = server.admin_token().await;
    post_http(&server, &admin, "/api/v1/users/bob/unsuspend", json!({})).await;
    let server = TestServer::start_in(server.stop().await, |_| {}).await;
    assert_eq!(login_status(&server, "bob").await, 200, "and unsuspended after the next one");
}

#[tokio::test]
async fn only_admins_suspend_or_change_roles_and_not_themselves_over_http_and_websocket() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let carol = server.user_with_role("carol", "moderator").await;
    server.user("bob").await;
    for path in ["/api/v1/users/bob/suspend", "/api/v1/users/bob/unsuspend"] {
        assert_eq!(post_http(&server, &carol, path, json!({})).await.0, 403, "{path}");
    }
    assert_eq!(post_http(&server, &carol, "/api/v1/users/bob/role", json!({"role": "admin"})).await.0, 403);
    assert_eq!(post_http(&server, &admin, "/api/v1/users/admin/suspend", json!({})).await.0, 400);
    assert_eq!(post_http(&server, &admin, "/api/v1/users/nobody/suspend", json!({})).await.0, 404);
    let mut c = server.connect(&carol).await;
    for op in [
        json!({"op": "suspend_user", "user": "bob"}),
        json!({"op": "unsuspend_user", "user": "bob"}),
        json!({"op": "set_role", "user": "bob", "role": "moderator"}),
    ] {
        assert_eq!(c.request(op.clone()).await.unwrap_err().code.as_str(), "forbidden", "{op}");
    }
    // Over the WebSocket, an admin may.
    let mut a = server.connect(&admin).await;
    a.ok(json!({"op": "suspend_user", "user": "bob", "until": u64::MAX})).await;
    assert_eq!(login_status(&server, "bob").await, 403);
    a.ok(json!({"op": "unsuspend_user", "user": "bob"})).await;
    assert_eq!(login_status(&server, "bob").await, 200);
}

#[tokio::test]
async fn a_demoted_moderator_stops_receiving_hidden_messages_and_loses_moderation_at_once() {
    let server = TestServer::start().await;
    let admin = server.admin_token().await;
    let mut ann = server.connect(&server.user("ann").await).await;
    let mut carol = server.connect(&server.user_with_role("carol", "moderator").await).await;
    let ch = server.channel(&mut ann, "general", &mut [&mut carol]).await;
    let hidden = ann.post(&ch, "spoiler").await;
    carol.ok(json!({"op": "hide", "stream": ch, "target": hidden})).await;
    carol.subscribe(&ch, Some(0), None).await.unwrap();
    let head = ann.post(&ch, "visible").await;
    let seen = events_through(&mut carol, &ch, head).await;
    assert!(seen.iter().any(|e| e.seq.0 == hidden), "a moderator sees the hidden message");

    // Demoted over the WebSocket by an admin.
    let mut a = server.connect(&admin).await;
    a.ok(json!({"op": "set_role", "user": "carol", "role": "member"})).await;
    // The hidden message's edit (for its author and moderators) no longer reaches carol: a skip does.
    let edit = ann.ok(json!({"op": "edit", "stream": ch, "target": hidden, "text": "still a spoiler"})).await;
    let edit = edit["seq"].as_u64().unwrap();
    let sentinel = ann.post(&ch, "after the edit").await;
    let mut pushes = Vec::new();
    loop {
        let p = carol.next_push().await;
        let done = matches!(&p, Push::Event(e) if e.seq.0 == sentinel);
        pushes.push(p);
        if done {
            break;
        }
    }
    assert!(!pushes.iter().any(|p| matches!(p, Push::Event(e) if e.seq.0 == edit)), "{pushes:?}");
    assert!(pushes.iter().any(|p| matches!(p, Push::Skip { from, .. } if from.0 == edit)), "{pushes:?}");
    // History and resume apply the new role too.
    let h = carol.ok(json!({"op": "history", "stream": ch, "after": 0, "limit": 100})).await;
    let seqs: Vec<u64> = h["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(!seqs.contains(&hidden) && !seqs.contains(&edit), "{seqs:?}");
    // And moderation is gone from the next op on.
    let other = ann.post(&ch, "someone else's").await;
    let err = carol.request(json!({"op": "delete", "stream": ch, "target": other})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    let err = carol.request(json!({"op": "hide", "stream": ch, "target": other})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    // The change is durable and shows in the user list.
    let (_, users) = server.http_json(server.http.get(server.url("/api/v1/users")).bearer_auth(&admin)).await;
    let carol_info = users["users"].as_array().unwrap().iter().find(|u| u["id"] == "carol").unwrap().clone();
    assert_eq!(carol_info["role"], "member");
}

#[tokio::test]
async fn a_kicked_member_of_a_private_channel_gets_nothing_after_the_kick_and_is_refused_history_and_resume() {
    let server = TestServer::start().await;
    let mut ann = server.connect(&server.user("ann").await).await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let mut carol = server.connect(&server.user_with_role("carol", "moderator").await).await;
    let private = ann
        .ok(json!({"op": "create_channel", "name": "ops", "private": true, "members": ["bob", "carol"]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The sentinel stream: a public channel bob keeps reading.
    let public = server.channel(&mut ann, "lobby", &mut [&mut bob]).await;
    bob.subscribe(&private, Some(0), None).await.unwrap();
    bob.subscribe(&public, Some(0), None).await.unwrap();
    let epoch = bob.epoch().await;

    // A member may not kick; neither may anyone in a DM.
    let err = ann.request(json!({"op": "kick", "stream": private, "user": "bob"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    let dm = carol.ok(json!({"op": "open_dm", "users": ["bob"]})).await["id"].as_str().unwrap().to_owned();
    let err = carol.request(json!({"op": "kick", "stream": dm, "user": "bob"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");

    let kick = carol.ok(json!({"op": "kick", "stream": private, "user": "bob"})).await["seq"].as_u64().unwrap();
    let after = ann.post(&private, "not for bob").await;
    let sentinel = ann.post(&public, "sentinel").await;
    let seen = events_through(&mut bob, &public, sentinel).await;
    let in_private: Vec<u64> = seen.iter().filter(|e| e.stream.0 == private).map(|e| e.seq.0).collect();
    assert_eq!(in_private.last(), Some(&kick), "bob gets the kick itself and nothing after it: {in_private:?}");
    assert!(!in_private.contains(&after));
    let kicked = seen.iter().find(|e| e.seq.0 == kick && e.stream.0 == private).unwrap();
    assert!(matches!(&kicked.body, EventBody::MemberKicked { user } if user.0 == "bob"), "{kicked:?}");

    let err = bob.request(json!({"op": "history", "stream": private, "after": 0})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "not_found", "history after the kick");
    let err = bob.subscribe(&private, Some(kick), Some(&epoch)).await.unwrap_err();
    assert_eq!(err.code.as_str(), "not_found", "resume after the kick");
    let err = bob.request(json!({"op": "post", "stream": private, "text": "hi"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "not_found");
    let info = carol.ok(json!({"op": "stream_info", "stream": private})).await;
    assert!(!info["members"].as_array().unwrap().iter().any(|m| m == "bob"), "{info}");
}

#[tokio::test]
async fn a_member_kicked_from_a_public_channel_is_unsubscribed_and_may_not_post() {
    let server = TestServer::start().await;
    let mut ann = server.connect(&server.user("ann").await).await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let mut carol = server.connect(&server.user_with_role("carol", "moderator").await).await;
    let ch = server.channel(&mut ann, "general", &mut [&mut bob]).await;
    let sentinel_stream = server.channel(&mut ann, "lobby", &mut [&mut bob]).await;
    bob.subscribe(&ch, Some(0), None).await.unwrap();
    bob.subscribe(&sentinel_stream, Some(0), None).await.unwrap();
    // A moderator who is not a member may kick from a public channel.
    let kick = carol.ok(json!({"op": "kick", "stream": ch, "user": "bob"})).await["seq"].as_u64().unwrap();
    let after = ann.post(&ch, "after the kick").await;
    let sentinel = ann.post(&sentinel_stream, "sentinel").await;
    let seen = events_through(&mut bob, &sentinel_stream, sentinel).await;
    let in_ch: Vec<u64> = seen.iter().filter(|e| e.stream.0 == ch).map(|e| e.seq.0).collect();
    assert_eq!(in_ch.last(), Some(&kick), "the subscription ended right after the kick: {in_ch:?}");
    assert!(!in_ch.contains(&after));
    let err = bob.request(json!({"op": "post", "stream": ch, "text": "hi"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden", "no longer a member");
}
