//! The forum under moderation, over real sockets: a category's notification
//! levels reach its threads' replies exactly as promised; forum posts carry
//! attachments, and a post held by a watched word keeps them when approved;
//! mutes, watched words and slow mode hold in threads; and every staff and
//! moderation action on the forum is in the audit log once, by its actor,
//! naming the op that reverses it.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

/// A 3 x 2 PNG (header and IHDR are all that type checks and sizes read).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 3, 0, 0, 0, 2, 8, 6,
    0, 0, 0, 0x12, 0x34, 0x56, 0x78,
];

async fn category(c: &mut Client, name: &str, slug: &str) -> String {
    let ok = c.ok(json!({"op": "forum_save_category", "name": name, "slug": slug, "description": "d"})).await;
    ok["category"]["id"].as_str().unwrap().to_owned()
}

async fn thread(c: &mut Client, category: &str, title: &str, text: &str) -> String {
    let ok = c.ok(json!({"op": "forum_create_thread", "category": category, "title": title, "text": text})).await;
    ok["thread"].as_str().unwrap().to_owned()
}

async fn reply(c: &mut Client, thread: &str, text: &str) -> Result<Value, agora_protocol::ErrorBody> {
    c.request(json!({"op": "post", "stream": thread, "text": text})).await
}

async fn view(c: &mut Client, thread: &str) -> Value {
    c.ok(json!({"op": "forum_thread", "thread": thread, "after": 0, "limit": 100})).await
}

/// The items in `user`'s feed: (reason, source, actor).
async fn feed(c: &mut Client, user: &str) -> Vec<(String, String, String)> {
    let Ok(h) = c.request(json!({"op": "history", "stream": format!("nf_{user}"), "limit": 100})).await else {
        return Vec::new(); // no feed yet: nothing was delivered
    };
    h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "feed_item")
        .map(|e| {
            let i = &e["item"];
            (
                i["reason"].as_str().unwrap().into(),
                i["source"].as_str().unwrap().into(),
                i["actor"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn item(reason: &str, source: &str, actor: &str) -> (String, String, String) {
    (reason.into(), source.into(), actor.into())
}

async fn upload(srv: &TestServer, token: &str, stream: &str, name: &str) -> Value {
    let url = srv.url(&format!("/api/v1/streams/{stream}/attachments?name={name}"));
    let (status, a) = srv
        .http_json(srv.http.post(url).bearer_auth(token).header("content-type", "image/png").body(PNG.to_vec()))
        .await;
    assert_eq!(status, 201, "{a}");
    a
}

#[tokio::test]
async fn a_categorys_levels_reach_its_threads_replies_exactly_as_promised() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut fay = srv.connect(&srv.user("fay").await).await;
    let mut gus = srv.connect(&srv.user("gus").await).await;
    let mut hal = srv.connect(&srv.user("hal").await).await;
    let mut eve = srv.connect(&srv.user("eve").await).await;
    let c = category(&mut m, "General", "general").await;
    for (who, level) in
        [(&mut fay, "watching"), (&mut gus, "tracking"), (&mut hal, "muted"), (&mut eve, "watching_first_post")]
    {
        who.ok(json!({"op": "forum_set_level", "category": c, "level": level})).await;
    }
    let t = thread(&mut ann, &c, "Levels", "first post").await;
    // A new thread: watching and watching-first-post hear of it; tracking and muted do not.
    assert_eq!(feed(&mut fay, "fay").await, [item("watched", &t, "ann")]);
    assert_eq!(feed(&mut eve, "eve").await, [item("watched", &t, "ann")]);
    assert!(feed(&mut gus, "gus").await.is_empty());

    // Replies: watching the category is watching every thread in it.
    reply(&mut bob, &t, "a reply").await.unwrap();
    reply(&mut bob, &t, "@hal @gus are you there?").await.unwrap();
    assert_eq!(
        feed(&mut fay, "fay").await,
        [item("watched", &t, "ann"), item("watched", &t, "bob"), item("watched", &t, "bob")]
    );
    // Watching first post: new threads only.
    assert_eq!(feed(&mut eve, "eve").await.len(), 1);
    // Tracking: a mention reaches it, plain replies only count as unread in the list.
    assert_eq!(feed(&mut gus, "gus").await, [item("mention", &t, "bob")]);
    let row = &gus.ok(json!({"op": "forum_threads", "category": c})).await["threads"][0];
    assert_eq!((row["level"].as_str(), row["unread"].as_u64()), (Some("tracking"), Some(3)));
    // Muted: nothing at all, mentions included.
    assert!(feed(&mut hal, "hal").await.is_empty());

    // A level chosen for the thread wins over the category's.
    fay.ok(json!({"op": "forum_set_level", "thread": t, "level": "normal"})).await;
    reply(&mut bob, &t, "quiet now").await.unwrap();
    assert_eq!(feed(&mut fay, "fay").await.len(), 3);
}

#[tokio::test]
async fn forum_posts_carry_attachments_and_a_held_post_keeps_them_when_approved() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let c = category(&mut m, "General", "general").await;
    m.ok(json!({"op": "watch_word", "pattern": "straße", "action": "require_approval"})).await;
    let t = thread(&mut ann, &c, "Pictures", "first post").await;

    let a = upload(&srv, &ann_t, &t, "dot.png").await;
    let seq =
        ann.ok(json!({"op": "post", "stream": t, "text": "a dot", "attachments": [a.clone()]})).await["seq"].clone();
    let v = view(&mut bob, &t).await;
    let post = v["posts"].as_array().unwrap().iter().find(|p| p["seq"] == seq).unwrap().clone();
    assert_eq!(post["attachments"][0]["hash"], a["hash"], "{post}");
    let r = srv.http.get(srv.url(&format!("/api/v1/attachments/{}", a["hash"].as_str().unwrap()))).bearer_auth(&bob_t);
    assert_eq!(r.send().await.unwrap().status(), 200, "a reader of the thread gets the file");

    // Held for approval with its file; approved, it is published with it.
    let b = upload(&srv, &ann_t, &t, "held.png").await;
    let held = ann.ok(json!({"op": "post", "stream": t, "text": "on the Straße", "attachments": [b.clone()]})).await;
    assert_eq!(held["stream"], "review", "{held}");
    let items = m.ok(json!({"op": "review_queue"})).await["items"].clone();
    assert_eq!(items[0]["held"], true);
    m.ok(json!({"op": "review", "item": items[0]["id"], "decision": "approve"})).await;
    let v = view(&mut bob, &t).await;
    let last = v["posts"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["author"].as_str(), last["text"].as_str()), (Some("ann"), Some("on the Straße")));
    assert_eq!(last["attachments"][0]["name"], "held.png", "{last}");
}

#[tokio::test]
async fn mutes_watched_words_and_slow_mode_hold_in_threads() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let c = category(&mut m, "General", "general").await;
    let t = thread(&mut m, &c, "Rules", "be nice").await;
    reply(&mut ann, &t, "hello").await.unwrap();

    m.ok(json!({"op": "mute", "user": "ann", "minutes": 10, "reason": "spam"})).await;
    let err = reply(&mut ann, &t, "muted?").await.unwrap_err();
    assert!(err.until.is_some(), "a mute says until when: {err:?}");
    let err = ann.request(json!({"op": "forum_like", "thread": t, "post": 3})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden", "{err:?}");
    let new = json!({"op": "forum_create_thread", "category": c, "title": "Hi", "text": "muted?"});
    assert!(ann.request(new).await.unwrap_err().until.is_some(), "a muted user opens no thread");
    m.ok(json!({"op": "unmute", "user": "ann"})).await;

    m.ok(json!({"op": "watch_word", "pattern": "crypto", "action": "block"})).await;
    let err = reply(&mut ann, &t, "buy crypto").await.unwrap_err();
    assert!(err.message.contains("blocked word (crypto)"), "{}", err.message);
    let new = json!({"op": "forum_create_thread", "category": c, "title": "Crypto!", "text": "hello"});
    let err = ann.request(new).await.unwrap_err();
    assert!(err.message.contains("blocked word (crypto)"), "a title is screened too: {}", err.message);
    m.ok(json!({"op": "watch_word", "pattern": "free money", "action": "flag"})).await;
    let flagged = thread(&mut ann, &c, "Offer", "free money inside").await;
    let items = m.ok(json!({"op": "review_queue"})).await["items"].clone();
    assert_eq!((items[0]["stream"].as_str(), items[0]["seq"].as_u64()), (Some(flagged.as_str()), Some(3)));

    m.ok(json!({"op": "slow_mode", "stream": t, "seconds": 3600, "reason": "heated"})).await;
    reply(&mut ann, &t, "one").await.unwrap();
    let err = reply(&mut ann, &t, "two").await.unwrap_err();
    assert_eq!(err.code.as_str(), "rate_limited", "{err:?}");
    reply(&mut m, &t, "moderators are exempt").await.unwrap();
}

#[tokio::test]
async fn every_forum_staff_and_moderation_action_is_audited_once_with_its_reverse() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let c = category(&mut m, "General", "general").await;
    let d = category(&mut m, "Other", "other").await;
    let t = thread(&mut ann, &c, "Audited", "first post").await;
    let r1 = reply(&mut ann, &t, "one").await.unwrap()["seq"].as_u64().unwrap();
    let r2 = reply(&mut ann, &t, "two").await.unwrap()["seq"].as_u64().unwrap();
    let r3 = reply(&mut ann, &t, "three").await.unwrap()["seq"].as_u64().unwrap();

    for action in ["pin", "lock", "unlock", "close", "reopen", "archive", "unarchive", "unpin"] {
        m.ok(json!({"op": "forum_staff", "thread": t, "action": action})).await;
    }
    // Already so: no second entry.
    m.ok(json!({"op": "forum_staff", "thread": t, "action": "unpin"})).await;
    m.ok(json!({"op": "forum_move", "thread": t, "category": d})).await;
    m.ok(json!({"op": "hide", "stream": t, "target": r1, "reason": "rude"})).await;
    m.ok(json!({"op": "unhide", "stream": t, "target": r1})).await;
    m.ok(json!({"op": "delete", "stream": t, "target": r2, "reason": "spam"})).await;
    // The author withdrawing their own post is no moderation.
    ann.ok(json!({"op": "delete", "stream": t, "target": r1})).await;
    m.ok(json!({"op": "slow_mode", "stream": t, "seconds": 60})).await;
    let s = m.ok(json!({"op": "forum_split", "thread": t, "posts": [r3], "title": "Split"})).await["thread"]
        .as_str()
        .unwrap()
        .to_owned();
    m.ok(json!({"op": "forum_merge", "thread": s, "into": t})).await;

    let log = m.ok(json!({"op": "audit_log", "limit": 100})).await;
    let got: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            let e = &e["entry"];
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["reverse"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want = [
        ("pin", "forum_staff action=unpin"),
        ("lock", "forum_staff action=unlock"),
        ("unlock", "forum_staff action=lock"),
        ("close", "forum_staff action=reopen"),
        ("reopen", "forum_staff action=close"),
        ("archive", "forum_staff action=unarchive"),
        ("unarchive", "forum_staff action=archive"),
        ("unpin", "forum_staff action=pin"),
        ("move", &format!("forum_move category={c}")),
        ("hide", "unhide"),
        ("unhide", "hide"),
        ("delete", "forum_recover"),
        ("slow_mode", "slow_mode seconds=0"),
        ("split", &format!("forum_merge thread={s} into={t}")),
        ("merge", ""),
    ]
    .map(|(a, r)| (a.to_owned(), "mia".to_owned(), r.to_owned()));
    assert_eq!(got, want);
    // Filtered by target: the thread's entries (the merge is the merged thread's).
    let by_thread = m.ok(json!({"op": "audit_log", "target": t, "limit": 100})).await;
    assert_eq!(by_thread["entries"].as_array().unwrap().len(), want.len() - 1);
}
