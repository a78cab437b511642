//! Censored watched words over real sockets: a post is stored as written and
//! its censored words are replaced when shown to members, on every read path
//! (live, history, resume, the forum's thread view and edit history, the
//! feed's excerpts); staff see the text as written (a forum post is marked
//! `censored`); and changing the list changes what is shown, old posts too.

mod common;

use common::{text_of, Client, TestServer};
use serde_json::{json, Value};

fn history_texts(h: &Value) -> Vec<String> {
    h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message_posted")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn history(c: &mut Client, stream: &str) -> Vec<String> {
    history_texts(&c.ok(json!({"op": "history", "stream": stream})).await)
}

#[tokio::test]
async fn censored_words_are_replaced_when_shown_to_members_on_every_read_path() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let bob_t = srv.user("bob").await;
    let mut bob = srv.connect(&bob_t).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let ch = srv.channel(&mut ann, "general", &mut [&mut bob, &mut mo]).await;
    let early = ann.post(&ch, "heck, before the list").await;
    mo.ok(json!({"op": "watch_word", "pattern": "darn|heck", "action": "censor"})).await;

    // Live: members get the censored text, staff the text as written.
    bob.subscribe(&ch, Some(early), None).await.unwrap();
    mo.subscribe(&ch, Some(early), None).await.unwrap();
    ann.post(&ch, "DARN it, @bob").await;
    assert_eq!(text_of(&bob.next_event().await), "■■■■ it, @bob");
    assert_eq!(text_of(&mo.next_event().await), "DARN it, @bob");

    // History: the list applies to posts made before it, too.
    assert_eq!(history(&mut bob, &ch).await, ["■■■■, before the list", "■■■■ it, @bob"]);
    assert_eq!(history(&mut mo, &ch).await, ["heck, before the list", "DARN it, @bob"]);
    assert_eq!(history(&mut ann, &ch).await[1], "■■■■ it, @bob", "the author is a member too");

    // Resume from the start (replay from the log): censored.
    let mut bob2 = srv.connect(&bob_t).await;
    bob2.subscribe(&ch, Some(0), None).await.unwrap();
    let mut replayed = Vec::new();
    while replayed.len() < 2 {
        let ev = bob2.next_event().await;
        if matches!(ev.body, agora_protocol::EventBody::MessagePosted { .. }) {
            replayed.push(text_of(&ev).to_owned());
        }
    }
    assert_eq!(replayed, ["■■■■, before the list", "■■■■ it, @bob"]);

    // The feed's excerpt of the mention.
    let h = bob.ok(json!({"op": "history", "stream": "nf_bob"})).await;
    let items: Vec<&Value> = h["events"].as_array().unwrap().iter().filter(|e| e["type"] == "feed_item").collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["item"]["excerpt"], "■■■■ it, @bob");

    // Changing the list changes what is shown: the stored text never changed.
    mo.ok(json!({"op": "unwatch_word", "pattern": "darn|heck"})).await;
    assert_eq!(history(&mut bob, &ch).await, ["heck, before the list", "DARN it, @bob"]);
}

#[tokio::test]
async fn a_forum_post_is_censored_for_members_and_marked_for_staff() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut mo = srv.connect(&srv.user_with_role("mo", "moderator").await).await;
    let c = mo.ok(json!({"op": "forum_save_category", "name": "General", "slug": "general", "description": "d"})).await
        ["category"]["id"]
        .clone();
    mo.ok(json!({"op": "watch_word", "pattern": "darn", "action": "censor"})).await;
    let t = ann.ok(json!({"op": "forum_create_thread", "category": c, "title": "T", "text": "darn first"})).await
        ["thread"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = ann.ok(json!({"op": "post", "stream": t, "text": "a clean reply"})).await["seq"].as_u64().unwrap();
    ann.ok(json!({"op": "edit", "stream": t, "target": r, "text": "a darn reply"})).await;

    let view = |v: &Value| -> Vec<(String, bool)> {
        v["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["text"].as_str().unwrap().to_owned(), p["censored"].as_bool().unwrap_or(false)))
            .collect()
    };
    let q = json!({"op": "forum_thread", "thread": t, "after": 0});
    let members = view(&bob.ok(q.clone()).await);
    assert_eq!(members, [("■■■■ first".to_owned(), true), ("a ■■■■ reply".to_owned(), true)]);
    let staff = view(&mo.ok(q).await);
    assert_eq!(staff, [("darn first".to_owned(), true), ("a darn reply".to_owned(), true)]);
    let versions = bob.ok(json!({"op": "forum_post_history", "thread": t, "post": r})).await;
    let texts: Vec<&str> =
        versions["versions"].as_array().unwrap().iter().map(|v| v["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["a clean reply", "a ■■■■ reply"]);
}
