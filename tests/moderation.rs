//! Moderation over real sockets: slow mode, mute and lock are enforced by the
//! server, on connections opened before the action too, with errors that say
//! until when; moderators are exempt; and the audit log records every action
//! exactly once, for moderators only.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

async fn advance(srv: &TestServer, admin: &str, ms: u64) {
    let (status, body) = srv
        .http_json(srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(admin).json(&json!({"advance_ms": ms})))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn post(c: &mut Client, stream: &str, text: &str) -> Result<Value, agora_protocol::ErrorBody> {
    c.request(json!({"op": "post", "stream": stream, "text": text})).await
}

#[tokio::test]
async fn slow_mode_and_lock_hold_on_open_connections_and_spare_moderators() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut mo]).await;
    assert!(post(&mut ann, &ch, "before").await.is_ok());

    // A member may not set slow mode; a moderator may, and ann's open connection obeys it.
    let err = ann.request(json!({"op": "slow_mode", "stream": ch, "seconds": 30})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    // An hour, so the wall time the test clock also follows is negligible.
    mo.ok(json!({"op": "slow_mode", "stream": ch, "seconds": 3600, "reason": "heated"})).await;
    let one = post(&mut ann, &ch, "one").await.expect("first post in slow mode")["at"].as_u64().unwrap();
    let err = post(&mut ann, &ch, "two").await.unwrap_err();
    assert_eq!(err.code.as_str(), "rate_limited", "{err:?}");
    assert!(err.message.contains("slow mode") && err.message.contains("seconds"), "{}", err.message);
    let until = err.until.unwrap();
    assert_eq!(until, one + 3_600_000, "the next post is allowed an hour after the last");
    assert!(err.retry_after_ms.unwrap() <= 3_600_000);
    for _ in 0..3 {
        post(&mut mo, &ch, "moderators are exempt").await.unwrap();
    }
    advance(&srv, &admin, 3_600_000 - 60_000).await;
    assert!(post(&mut ann, &ch, "a minute early").await.is_err());
    advance(&srv, &admin, 60_000).await;
    let ok = post(&mut ann, &ch, "now").await.unwrap();
    assert!(ok["at"].as_u64().unwrap() >= until);
    mo.ok(json!({"op": "slow_mode", "stream": ch, "seconds": 0})).await;
    post(&mut ann, &ch, "free again").await.unwrap();
    post(&mut ann, &ch, "and again").await.unwrap();

    // Locked: members may not post, moderators may.
    mo.ok(json!({"op": "lock", "stream": ch, "locked": true, "reason": "cool down"})).await;
    let err = post(&mut ann, &ch, "locked?").await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    assert!(err.message.contains("locked"), "{}", err.message);
    post(&mut mo, &ch, "announcement").await.unwrap();
    mo.ok(json!({"op": "lock", "stream": ch, "locked": false})).await;
    post(&mut ann, &ch, "unlocked").await.unwrap();
}

#[tokio::test]
async fn a_mute_refuses_posts_until_it_ends_even_on_a_connection_opened_before() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut mo]).await;
    let target = post(&mut ann, &ch, "hello").await.unwrap()["seq"].as_u64().unwrap();

    let err = ann.request(json!({"op": "mute", "user": "mo", "minutes": 10})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    let muted_at = mo.ok(json!({"op": "mute", "user": "ann", "minutes": 10, "reason": "spam"})).await["at"].as_u64();
    for op in [
        json!({"op": "post", "stream": ch, "text": "muted?"}),
        json!({"op": "edit", "stream": ch, "target": target, "text": "edited"}),
        json!({"op": "react", "stream": ch, "target": target, "emoji": "👍"}),
    ] {
        let err = ann.request(op).await.unwrap_err();
        assert_eq!(err.code.as_str(), "forbidden", "{err:?}");
        assert!(err.message.contains("muted") && err.message.contains("more seconds"), "{}", err.message);
        assert_eq!(err.until, muted_at.map(|at| at + 600_000), "muted for ten minutes from the mute");
    }
    // A new connection is muted too; after ten minutes the mute is over.
    let mut ann2 = srv.connect(&srv.login("ann", common::PASSWORD).await).await;
    assert!(post(&mut ann2, &ch, "other device").await.is_err());
    advance(&srv, &admin, 10 * 60_000).await;
    post(&mut ann, &ch, "back").await.unwrap();

    // Unmute ends a mute early.
    mo.ok(json!({"op": "mute", "user": "ann", "minutes": 60})).await;
    assert!(post(&mut ann, &ch, "again muted").await.is_err());
    mo.ok(json!({"op": "unmute", "user": "ann", "reason": "apologised"})).await;
    post(&mut ann, &ch, "thanks").await.unwrap();
}

#[tokio::test]
async fn the_audit_log_records_each_moderation_action_exactly_once_for_moderators_only() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let mut root = srv.connect(&srv.admin_token().await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut mo]).await;
    let a = post(&mut ann, &ch, "one").await.unwrap()["seq"].as_u64().unwrap();
    let b = post(&mut ann, &ch, "two").await.unwrap()["seq"].as_u64().unwrap();
    let own = post(&mut mo, &ch, "mine").await.unwrap()["seq"].as_u64().unwrap();

    mo.ok(json!({"op": "hide", "stream": ch, "target": a, "reason": "rude"})).await;
    mo.ok(json!({"op": "unhide", "stream": ch, "target": a})).await;
    mo.ok(json!({"op": "delete", "stream": ch, "target": b, "reason": "spam link"})).await;
    mo.ok(json!({"op": "delete", "stream": ch, "target": own})).await; // own message: not a moderation action
    mo.ok(json!({"op": "mute", "user": "ann", "minutes": 5, "reason": "flood"})).await;
    root.ok(json!({"op": "unmute", "user": "ann"})).await;
    mo.ok(json!({"op": "slow_mode", "stream": ch, "seconds": 10})).await;
    mo.ok(json!({"op": "slow_mode", "stream": ch, "seconds": 0})).await;
    mo.ok(json!({"op": "lock", "stream": ch, "locked": true})).await;
    mo.ok(json!({"op": "lock", "stream": ch, "locked": false})).await;
    // Refused actions record nothing.
    assert!(mo.request(json!({"op": "hide", "stream": ch, "target": 999})).await.is_err());
    assert!(ann.request(json!({"op": "lock", "stream": ch, "locked": true})).await.is_err());

    let log = mo.ok(json!({"op": "audit_log"})).await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().rev().map(|e| e["entry"]["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["hide", "unhide", "delete", "mute", "unmute", "slow_mode", "slow_mode_off", "lock", "unlock"],
        "{log}"
    );
    let hide = &entries[entries.len() - 1]["entry"];
    assert_eq!(
        (&hide["actor"], &hide["target_user"], &hide["stream"], &hide["seq"], &hide["reason"], &hide["reverse"]),
        (&json!("mo"), &json!("ann"), &json!(ch), &json!(a), &json!("rude"), &json!("unhide"))
    );
    let delete = &entries[entries.len() - 3]["entry"];
    assert_eq!((&delete["reason"], &delete["seq"]), (&json!("spam link"), &json!(b)));
    assert!(log.get("next").is_none());

    // Filters and paging.
    let by_admin = mo.ok(json!({"op": "audit_log", "actor": "admin"})).await;
    assert_eq!(by_admin["entries"].as_array().unwrap().len(), 1, "{by_admin}");
    let about_ann = mo.ok(json!({"op": "audit_log", "target": "ann"})).await;
    assert_eq!(about_ann["entries"].as_array().unwrap().len(), 5, "{about_ann}");
    let page = mo.ok(json!({"op": "audit_log", "limit": 4})).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 4);
    let next = page["next"].as_u64().unwrap();
    let rest = mo.ok(json!({"op": "audit_log", "before": next, "limit": 50})).await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 5);

    // Members neither read nor see the audit stream.
    assert_eq!(ann.request(json!({"op": "audit_log"})).await.unwrap_err().code.as_str(), "forbidden");
    let err = ann.subscribe("audit", None, None).await.unwrap_err();
    assert_eq!(err.code.as_str(), "not_found");
    let listed = ann.ok(json!({"op": "list_streams"})).await;
    assert!(!listed.to_string().contains("\"audit\""));
}

#[tokio::test]
async fn suspensions_and_role_changes_are_in_the_audit_log_once_each_with_their_reverse() {
    let srv = TestServer::start().await;
    let admin = srv.admin_token().await;
    srv.user("bob").await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let (srv, admin) = (&srv, &admin);
    let call = |path: &str, body: Value| {
        let req = srv.http.post(srv.url(path)).bearer_auth(admin).json(&body);
        async move { srv.http_json(req).await }
    };
    assert_eq!(call("/api/v1/users/bob/suspend", json!({})).await.0, 200);
    assert_eq!(call("/api/v1/users/bob/unsuspend", json!({})).await.0, 200);
    assert_eq!(call("/api/v1/users/bob/role", json!({"role": "agent"})).await.0, 200);
    // The same role again changes nothing and records nothing.
    assert_eq!(call("/api/v1/users/bob/role", json!({"role": "agent"})).await.0, 200);

    let log = mo.ok(json!({"op": "audit_log", "target": "bob"})).await;
    let got: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            let e = &e["entry"];
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("action"), s("reverse"), s("detail"))
        })
        .collect();
    let want = [
        ("suspend", "unsuspend_user", ""),
        ("unsuspend", "suspend_user", ""),
        ("role_changed", "set_role role=member", "member → agent"),
    ]
    .map(|(a, r, d)| (a.to_owned(), r.to_owned(), d.to_owned()));
    assert_eq!(got, want);
}
