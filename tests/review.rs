//! Flags, the review queue, watched words and the new-user rate over real
//! sockets: flags reach the queue (one item per post, every flag on it) and
//! their outcome reaches each flagger's feed; enough flags hide a post pending
//! review; watched words block, censor, hold and flag; new accounts post at
//! the lower rate until they are old enough; each decision is audited once.

mod common;

use agora_protocol::{EventBody, FeedReason};
use common::{Client, TestServer};
use serde_json::{json, Value};

async fn queue(c: &mut Client) -> Vec<Value> {
    c.ok(json!({"op": "review_queue"})).await["items"].as_array().unwrap().clone()
}

async fn audit_actions(c: &mut Client) -> Vec<String> {
    let log = c.ok(json!({"op": "audit_log"})).await;
    log["entries"].as_array().unwrap().iter().rev().map(|e| e["entry"]["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn flags_reach_the_queue_enough_hide_the_post_and_flaggers_hear_the_outcome() {
    let srv = TestServer::start_with(|c| c.moderation.flags_to_hide = 2).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut cat = srv.connect(&srv.user("cat").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut bob, &mut cat, &mut mo]).await;
    let spam = ann.post(&ch, "buy cheap watches").await;
    let fine = ann.post(&ch, "hello").await;

    let err = bob.request(json!({"op": "flag", "stream": ch, "target": spam, "reason": "other"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "bad_request", "`other` needs a text");
    assert_eq!(
        ann.request(json!({"op": "flag", "stream": ch, "target": spam, "reason": "spam"}))
            .await
            .unwrap_err()
            .code
            .as_str(),
        "bad_request"
    );
    assert_eq!(bob.request(json!({"op": "review_queue"})).await.unwrap_err().code.as_str(), "forbidden");
    bob.ok(json!({"op": "flag", "stream": ch, "target": spam, "reason": "spam"})).await;
    assert_eq!(
        bob.request(json!({"op": "flag", "stream": ch, "target": spam, "reason": "spam"}))
            .await
            .unwrap_err()
            .code
            .as_str(),
        "conflict"
    );
    let items = queue(&mut mo).await;
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["seq"].as_u64(), items[0]["hidden"].as_bool()), (Some(spam), Some(false)));

    // The second distinct flag hides it pending review: gone for members, there for moderators.
    cat.ok(json!({"op": "flag", "stream": ch, "target": spam, "reason": "other", "text": "scam"})).await;
    let items = queue(&mut mo).await;
    assert_eq!(items[0]["flags"].as_array().unwrap().len(), 2);
    assert_eq!(items[0]["hidden"], true);
    let seen = |h: &Value| h["events"].as_array().unwrap().iter().any(|e| e["seq"] == spam);
    assert!(!seen(&bob.ok(json!({"op": "history", "stream": ch})).await));
    assert!(seen(&mo.ok(json!({"op": "history", "stream": ch})).await));

    // A moderator agrees: it stays hidden; both flaggers are told.
    let id = items[0]["id"].as_u64().unwrap();
    let bob_feed = bob.ok(json!({"op": "feed"})).await["stream"].as_str().unwrap().to_owned();
    bob.subscribe(&bob_feed, None, None).await.unwrap();
    mo.ok(json!({"op": "review", "item": id, "decision": "agree_hide", "reason": "spam"})).await;
    let ev = bob.next_event().await;
    let EventBody::FeedItem { item } = &ev.body else { panic!("{ev:?}") };
    assert_eq!((item.reason, item.source_seq.0, item.detail.as_str()), (FeedReason::FlagOutcome, spam, "agreed"));
    assert_eq!(cat.ok(json!({"op": "feed"})).await["unread"], 1);
    assert!(queue(&mut mo).await.is_empty());
    assert_eq!(
        mo.request(json!({"op": "review", "item": id, "decision": "ignore"})).await.unwrap_err().code.as_str(),
        "not_found"
    );

    // A disagreement on a post hidden by flags shows it again.
    bob.ok(json!({"op": "flag", "stream": ch, "target": fine, "reason": "off_topic"})).await;
    cat.ok(json!({"op": "flag", "stream": ch, "target": fine, "reason": "off_topic"})).await;
    let id = queue(&mut mo).await[0]["id"].as_u64().unwrap();
    mo.ok(json!({"op": "review", "item": id, "decision": "disagree"})).await;
    assert!(seen_seq(&mut bob, &ch, fine).await);

    // The unhide is the moderator's own act, not the server's.
    let h = mo.ok(json!({"op": "history", "stream": ch})).await;
    let unhidden: Vec<&Value> =
        h["events"].as_array().unwrap().iter().filter(|e| e["type"] == "message_unhidden").collect();
    assert_eq!(unhidden.len(), 1);
    assert_eq!(unhidden[0]["author"], "mo");

    // Audit: one entry per action, by whoever acted, naming what reverses it: the flag
    // hide (by the server), the agreement, the flag hide, the disagreement (which unhid).
    assert_eq!(audit_actions(&mut mo).await, ["hide", "flag_agreed", "hide", "flag_disagreed"]);
    let log = mo.ok(json!({"op": "audit_log"})).await;
    let entries: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| (e["entry"]["actor"].as_str().unwrap().into(), e["entry"]["reverse"].as_str().unwrap_or("").into()))
        .collect();
    let want = [("system", "unhide"), ("mo", "unhide"), ("system", "unhide"), ("mo", "hide")];
    assert_eq!(entries, want.map(|(a, r)| (a.to_owned(), r.to_owned())));
}

async fn seen_seq(c: &mut Client, ch: &str, seq: u64) -> bool {
    let h = c.ok(json!({"op": "history", "stream": ch})).await;
    h["events"].as_array().unwrap().iter().any(|e| e["seq"] == seq)
}

#[tokio::test]
async fn watched_words_block_censor_hold_and_flag() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut mo]).await;
    assert_eq!(
        ann.request(json!({"op": "watch_word", "pattern": "x", "action": "block"})).await.unwrap_err().code.as_str(),
        "forbidden"
    );
    let err =
        mo.request(json!({"op": "watch_word", "pattern": "\\w{1000}{1000}", "action": "block"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "bad_request", "an oversized pattern is refused: {err:?}");
    for (pattern, action) in
        [("crypto", "block"), ("darn", "censor"), ("straße", "require_approval"), ("\\bfree money\\b", "flag")]
    {
        mo.ok(json!({"op": "watch_word", "pattern": pattern, "action": action})).await;
    }
    let words = mo.ok(json!({"op": "watched_words"})).await;
    assert_eq!(words["words"].as_array().unwrap().len(), 4);

    let err = ann.request(json!({"op": "post", "stream": ch, "text": "buy CRYPTO now"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    assert!(err.message.contains("blocked word (crypto)"), "{}", err.message);

    let censored = ann.post(&ch, "DARN it, Darn").await;
    let h = ann.ok(json!({"op": "history", "stream": ch, "after": censored - 1})).await;
    assert_eq!(h["events"][0]["text"], "■■■■ it, ■■■■");

    let held = ann.ok(json!({"op": "post", "stream": ch, "text": "meet on the STRASSE? no, the Straße"})).await;
    assert_eq!(held["stream"], "review", "held for approval: {held}");
    let head = mo.ok(json!({"op": "stream_info", "stream": ch})).await["head"].as_u64().unwrap();
    assert_eq!(head, censored, "nothing posted yet");

    let flagged = ann.post(&ch, "Free Money here").await;
    // The flag is queued before the post's reply.
    let items = queue(&mut mo).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!((items[0]["held"].as_bool(), items[1]["seq"].as_u64()), (Some(true), Some(flagged)));
    assert_eq!(items[1]["flags"][0]["by"], "system");

    // Approving the held post publishes it as its author.
    let id = items[0]["id"].as_u64().unwrap();
    mo.ok(json!({"op": "review", "item": id, "decision": "approve"})).await;
    let h = mo.ok(json!({"op": "history", "stream": ch, "after": flagged})).await;
    assert_eq!(
        (&h["events"][0]["author"], &h["events"][0]["text"]),
        (&json!("ann"), &json!("meet on the STRASSE? no, the Straße"))
    );

    mo.ok(json!({"op": "unwatch_word", "pattern": "crypto"})).await;
    ann.post(&ch, "crypto is fine now").await;
    let actions = audit_actions(&mut mo).await;
    assert_eq!(
        actions,
        [
            "watched_word_added",
            "watched_word_added",
            "watched_word_added",
            "watched_word_added",
            "approve",
            "watched_word_removed"
        ]
    );
}

#[tokio::test]
async fn new_accounts_post_at_the_lower_rate_until_old_enough_and_staff_are_exempt() {
    let srv = TestServer::start_with(|c| {
        c.test_clock = true;
        c.moderation.new_user_age_secs = 3600;
        c.moderation.new_user_posts_per_minute = 1;
        c.moderation.new_user_burst = 2;
    })
    .await;
    let admin = srv.admin_token().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut mo]).await;
    ann.post(&ch, "one").await;
    ann.post(&ch, "two").await;
    let err = ann.request(json!({"op": "post", "stream": ch, "text": "three"})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "rate_limited", "{err:?}");
    assert!(err.retry_after_ms.is_some());
    for i in 0..4 {
        mo.post(&ch, &format!("staff {i}")).await;
    }
    let (status, body) = srv
        .http_json(
            srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": 3_600_000})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    ann.post(&ch, "an hour old now").await;
    ann.post(&ch, "and free").await;
}
