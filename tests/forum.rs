//! The forum over real sockets: categories and their read restriction on
//! every read path, a thread's lifecycle under staff actions (pin, lock,
//! close, archive, move, split, merge), edit history, likes once per user,
//! thread lists by last activity with cursor paging and unread counts,
//! landing on the first unread post, and notification levels (stored
//! durably, kept across a restart).

mod common;

use agora_protocol::{EventBody, Push};
use common::{Client, TestServer};
use serde_json::{json, Value};

/// A thread's first post: seq 1 creates the stream, seq 2 places it in its category.
const FIRST: u64 = 3;

async fn category(c: &mut Client, name: &str, slug: &str, read_role: Option<&str>) -> String {
    let ok = c
        .ok(json!({"op": "forum_save_category", "name": name, "slug": slug, "description": "d", "read_role": read_role}))
        .await;
    ok["category"]["id"].as_str().unwrap().to_owned()
}

async fn thread(c: &mut Client, category: &str, title: &str, text: &str) -> String {
    let ok = c.ok(json!({"op": "forum_create_thread", "category": category, "title": title, "text": text})).await;
    ok["thread"].as_str().unwrap().to_owned()
}

async fn reply(c: &mut Client, thread: &str, text: &str) -> u64 {
    c.ok(json!({"op": "post", "stream": thread, "text": text})).await["seq"].as_u64().unwrap()
}

async fn view(c: &mut Client, thread: &str) -> Value {
    c.ok(json!({"op": "forum_thread", "thread": thread, "after": 0, "limit": 100})).await
}

fn post_texts(view: &Value) -> Vec<String> {
    view["posts"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect()
}

fn actions(view: &Value) -> Vec<String> {
    view["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap().to_owned()).collect()
}

async fn list(c: &mut Client, category: Option<&str>) -> Vec<String> {
    let ok = c.ok(json!({"op": "forum_threads", "category": category, "limit": 100})).await;
    ok["threads"].as_array().unwrap().iter().map(|t| t["thread"].as_str().unwrap().to_owned()).collect()
}

async fn staff(c: &mut Client, thread: &str, action: &str) {
    c.ok(json!({"op": "forum_staff", "thread": thread, "action": action})).await;
}

#[tokio::test]
async fn a_threads_lifecycle_pin_lock_close_archive_move_split_and_merge() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let general = category(&mut m, "General", "general", None).await;
    let support = category(&mut m, "Support", "support", None).await;
    let other = thread(&mut ann, &general, "Other", "another thread").await;
    let t = thread(&mut ann, &general, "Hello", "first post").await;
    let r1 = reply(&mut bob, &t, "a reply").await;
    let quote =
        bob.ok(json!({"op": "post", "stream": t, "text": "quoting", "reply_to": FIRST})).await["seq"].as_u64().unwrap();

    // A member cannot use staff tools.
    let e = ann.request(json!({"op": "forum_staff", "thread": t, "action": "pin"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden");

    // Pinned threads lead their category's list.
    staff(&mut m, &other, "pin").await;
    assert_eq!(list(&mut ann, Some(&general)).await, vec![other.clone(), t.clone()]);

    // Locked: replies refused with a clear code; unlocked: accepted again.
    staff(&mut m, &t, "lock").await;
    let e = bob.request(json!({"op": "post", "stream": t, "text": "no"})).await.unwrap_err();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("conflict", "thread is locked"));
    staff(&mut m, &t, "unlock").await;
    reply(&mut bob, &t, "after unlock").await;
    staff(&mut m, &t, "close").await;
    let e = bob.request(json!({"op": "post", "stream": t, "text": "no"})).await.unwrap_err();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("conflict", "thread is closed"));
    staff(&mut m, &t, "reopen").await;
    staff(&mut m, &t, "archive").await;
    let e = bob.request(json!({"op": "forum_like", "thread": t, "post": FIRST})).await.unwrap_err();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("conflict", "thread is archived"));
    staff(&mut m, &t, "unarchive").await;

    // Moved: listed in its new category only, same id, same posts, quotes intact.
    m.ok(json!({"op": "forum_move", "thread": t, "category": support})).await;
    assert!(!list(&mut ann, Some(&general)).await.contains(&t));
    assert_eq!(list(&mut ann, Some(&support)).await, vec![t.clone()]);
    let v = view(&mut ann, &t).await;
    assert_eq!(v["row"]["category"], support.as_str());
    assert_eq!(post_texts(&v), ["first post", "a reply", "quoting", "after unlock"]);
    let q = v["posts"].as_array().unwrap().iter().find(|p| p["seq"] == quote).unwrap();
    assert_eq!(q["quote"], FIRST);
    assert_eq!(actions(&v), ["lock", "unlock", "close", "reopen", "archive", "unarchive", "moved"]);
    // Moving back is the opposite action.
    m.ok(json!({"op": "forum_move", "thread": t, "category": general})).await;
    assert!(list(&mut ann, Some(&general)).await.contains(&t));

    // Split bob's first reply into a new thread: it leaves the old one (for members).
    let split = m.ok(json!({"op": "forum_split", "thread": t, "posts": [r1], "title": "Split off"})).await;
    let s = split["thread"].as_str().unwrap().to_owned();
    let sv = view(&mut ann, &s).await;
    assert_eq!(post_texts(&sv), ["a reply"]);
    assert_eq!(sv["posts"][0]["author"], "bob");
    assert_eq!(sv["posts"][0]["moved_from"], t.as_str());
    assert_eq!(sv["row"]["category"], general.as_str());
    assert!(!post_texts(&view(&mut ann, &t).await).contains(&"a reply".to_owned()));
    assert!(list(&mut ann, Some(&general)).await.contains(&s));
    // Merge it back: its posts are copied into the old thread, and it is closed.
    m.ok(json!({"op": "forum_merge", "thread": s, "into": t})).await;
    assert!(post_texts(&view(&mut ann, &t).await).contains(&"a reply".to_owned()));
    let sv = view(&mut ann, &s).await;
    assert_eq!((sv["row"]["closed"].clone(), sv["row"]["merged_into"].clone()), (json!(true), json!(t)));
    assert!(actions(&view(&mut ann, &t).await).contains(&"split".to_owned()));
}

#[tokio::test]
async fn edits_keep_every_version_with_who_and_when() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let c = category(&mut m, "General", "general", None).await;
    let t = thread(&mut ann, &c, "Edits", "v1").await;
    ann.ok(json!({"op": "edit", "stream": t, "target": FIRST, "text": "v2"})).await;
    let e = bob.request(json!({"op": "edit", "stream": t, "target": FIRST, "text": "mine"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden");
    m.ok(json!({"op": "edit", "stream": t, "target": FIRST, "text": "v3 (fixed by staff)"})).await;
    let h = bob.ok(json!({"op": "forum_post_history", "thread": t, "post": FIRST})).await;
    let versions = h["versions"].as_array().unwrap();
    let who: Vec<(&str, &str)> =
        versions.iter().map(|v| (v["by"].as_str().unwrap(), v["text"].as_str().unwrap())).collect();
    assert_eq!(who, [("ann", "v1"), ("ann", "v2"), ("mia", "v3 (fixed by staff)")]);
    assert!(versions.windows(2).all(|w| w[0]["at"].as_u64() <= w[1]["at"].as_u64()));
    let v = view(&mut bob, &t).await;
    assert_eq!(
        (v["posts"][0]["text"].clone(), v["posts"][0]["edits"].clone()),
        (json!("v3 (fixed by staff)"), json!(2))
    );

    // Soft delete by the author: gone for others, kept for the author, recoverable.
    let r = reply(&mut bob, &t, "oops").await;
    bob.ok(json!({"op": "delete", "stream": t, "target": r})).await;
    assert!(!post_texts(&view(&mut ann, &t).await).contains(&"oops".to_owned()));
    let mine = view(&mut bob, &t).await;
    let p = mine["posts"].as_array().unwrap().iter().find(|p| p["seq"] == r).unwrap().clone();
    assert_eq!(p["deleted"], true);
    let e = ann.request(json!({"op": "forum_post_history", "thread": t, "post": r})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "not_found");
    bob.ok(json!({"op": "forum_recover", "thread": t, "post": r})).await;
    assert!(post_texts(&view(&mut ann, &t).await).contains(&"oops".to_owned()));
}

#[tokio::test]
async fn a_like_counts_once_per_user() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let c = category(&mut m, "General", "general", None).await;
    let t = thread(&mut ann, &c, "Likes", "like me").await;
    let like = json!({"op": "forum_like", "thread": t, "post": FIRST});
    assert_eq!(bob.ok(like.clone()).await["duplicate"], false);
    assert_eq!(bob.ok(like.clone()).await["duplicate"], true);
    let e = ann.request(like.clone()).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden", "no liking your own post");
    m.ok(like.clone()).await;
    let v = view(&mut bob, &t).await;
    assert_eq!((v["posts"][0]["likes"].clone(), v["posts"][0]["liked"].clone()), (json!(2), json!(true)));
    assert_eq!(v["row"]["likes"], 2);
    bob.ok(json!({"op": "forum_unlike", "thread": t, "post": FIRST})).await;
    assert_eq!(view(&mut bob, &t).await["posts"][0]["likes"], 1);
}

#[tokio::test]
async fn a_restricted_category_is_invisible_to_members_on_every_read_path() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut agent = srv.connect(&srv.user_with_role("ada", "agent").await).await;
    let open = category(&mut m, "General", "general", None).await;
    let staff_only = category(&mut m, "Staff", "staff", Some("moderator")).await;
    let agents = category(&mut m, "Agents", "agents", Some("agent")).await;
    let secret = thread(&mut m, &staff_only, "Secret", "for staff").await;
    let agent_t = thread(&mut agent, &agents, "Agents", "for agents").await;
    let public = thread(&mut ann, &open, "Public", "for all").await;

    let cats = ann.ok(json!({"op": "forum_categories"})).await;
    let ids: Vec<&str> = cats["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [open.as_str()]);
    assert_eq!(list(&mut ann, None).await, vec![public.clone()]);
    assert_eq!(list(&mut agent, None).await.len(), 2, "agents see theirs and the public one");
    assert_eq!(list(&mut m, None).await.len(), 3);
    for (thread, cat) in [(&secret, &staff_only), (&agent_t, &agents)] {
        for op in [
            json!({"op": "forum_threads", "category": cat}),
            json!({"op": "forum_thread", "thread": thread}),
            json!({"op": "forum_post_history", "thread": thread, "post": FIRST}),
            json!({"op": "history", "stream": thread}),
            json!({"op": "subscribe", "stream": thread}),
            json!({"op": "stream_info", "stream": thread}),
            json!({"op": "post", "stream": thread, "text": "hi"}),
            json!({"op": "forum_like", "thread": thread, "post": FIRST}),
            json!({"op": "forum_create_thread", "category": cat, "title": "x", "text": "y"}),
        ] {
            let e = ann.request(op.clone()).await.unwrap_err();
            assert_eq!(e.code.as_str(), "not_found", "{op}");
        }
    }
    let listed = m.ok(json!({"op": "list_streams"})).await;
    assert!(listed["streams"].as_array().unwrap().iter().all(|s| s["kind"] != "forum_thread" && s["kind"] != "forum"));
    let listed = ann.ok(json!({"op": "list_streams"})).await;
    let kinds: Vec<&str> = listed["streams"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&secret.as_str()) && !kinds.contains(&agent_t.as_str()), "{kinds:?}");
    // The forum stream's events about them reach a member as skips.
    let h = ann.ok(json!({"op": "history", "stream": "forum", "limit": 100})).await;
    let text = h["events"].to_string();
    assert!(!text.contains(&staff_only) && !text.contains(&secret) && !text.contains("Agents"), "{text}");
    assert!(text.contains(&open));

    // Restricting a category later hides its threads at once, live subscribers included.
    ann.ok(json!({"op": "subscribe", "stream": public})).await;
    m.ok(json!({"op": "forum_save_category", "category": open, "name": "General", "slug": "general", "read_role": "agent"}))
        .await;
    let seq = reply(&mut m, &public, "now for agents only").await;
    loop {
        match ann.next_push().await {
            Push::Event(ev) if ev.stream.0 == public => {
                assert!(!matches!(ev.body, EventBody::MessagePosted { .. }), "{ev:?} reached a member")
            }
            Push::Skip { stream, to, .. } if stream.0 == public && to.0 >= seq => break,
            _ => {}
        }
    }
    let e = ann.request(json!({"op": "forum_thread", "thread": public})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "not_found");
    assert!(list(&mut ann, None).await.is_empty());
    assert!(list(&mut agent, None).await.contains(&public));
}

#[tokio::test]
async fn thread_lists_sort_by_last_activity_page_by_cursor_and_count_new_replies() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let tick = || async {
        let (status, _) = srv
            .http_json(
                srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": 1000})),
            )
            .await;
        assert_eq!(status, 200);
    };
    let a = category(&mut m, "A", "a", None).await;
    let b = category(&mut m, "B", "b", None).await;
    let mut made = Vec::new();
    for i in 0..7 {
        let cat = if i % 2 == 0 { &a } else { &b };
        made.push(thread(&mut ann, cat, &format!("t{i}"), "text").await);
        tick().await;
    }
    // A reply bumps the oldest thread to the top.
    bob.ok(json!({"op": "post", "stream": made[0], "text": "bump"})).await;
    let mut expected: Vec<String> = made[1..].iter().rev().cloned().collect();
    expected.insert(0, made[0].clone());
    assert_eq!(list(&mut ann, None).await, expected);
    let in_a: Vec<String> =
        expected.iter().filter(|t| made.iter().position(|m| m == *t).unwrap() % 2 == 0).cloned().collect();
    assert_eq!(list(&mut ann, Some(&a)).await, in_a);

    // Pages of 3 with the cursor walk the same order, once each.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let ok = ann.ok(json!({"op": "forum_threads", "limit": 3, "cursor": cursor})).await;
        let rows = ok["threads"].as_array().unwrap();
        assert!(rows.len() <= 3);
        paged.extend(rows.iter().map(|t| t["thread"].as_str().unwrap().to_owned()));
        match ok["next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    let e = ann.request(json!({"op": "forum_threads", "cursor": "garbage"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "bad_request");

    // Rows: reply count, participants, last poster, and "new since you read".
    let row =
        |ok: &Value, t: &str| ok["threads"].as_array().unwrap().iter().find(|r| r["thread"] == t).unwrap().clone();
    let ok = ann.ok(json!({"op": "forum_threads"})).await;
    let r = row(&ok, &made[0]);
    assert_eq!((r["replies"].clone(), r["last_poster"].clone()), (json!(1), json!("bob")));
    assert_eq!(r["participants"], json!(["ann", "bob"]));
    ann.ok(json!({"op": "mark_read", "stream": made[0], "seq": FIRST + 1})).await;
    let r1 = reply(&mut bob, &made[0], "new one").await;
    reply(&mut bob, &made[0], "newer one").await;
    let ok = ann.ok(json!({"op": "forum_threads"})).await;
    assert_eq!(row(&ok, &made[0])["unread"], 2);
    // Opening the thread lands on the first unread post.
    let v = ann.ok(json!({"op": "forum_thread", "thread": made[0]})).await;
    assert_eq!(v["first_unread"], r1);
    assert_eq!(v["posts"][0]["seq"], r1);
}

#[tokio::test]
async fn notification_levels_are_stored_durably_and_shown_per_user() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let c = category(&mut m, "General", "general", None).await;
    let t = thread(&mut ann, &c, "Levels", "text").await;
    bob.ok(json!({"op": "forum_set_level", "thread": t, "level": "muted"})).await;
    bob.ok(json!({"op": "forum_set_level", "category": c, "level": "watching_first_post"})).await;
    let e =
        bob.request(json!({"op": "forum_set_level", "thread": t, "level": "watching_first_post"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "bad_request");
    // Ann's level is hers alone (she started the thread: watching); her view does not see bob's.
    let level = |ok: &Value| ok["threads"][0]["level"].as_str().unwrap().to_owned();
    assert_eq!(level(&ann.ok(json!({"op": "forum_threads"})).await), "watching");
    assert_eq!(level(&bob.ok(json!({"op": "forum_threads"})).await), "muted");
    let h = ann.ok(json!({"op": "history", "stream": t})).await;
    assert!(!h["events"].to_string().contains("muted"), "a level is for its user only");
    drop((m, ann, bob));

    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let mut bob = srv.connect(&srv.login("bob", common::PASSWORD).await).await;
    assert_eq!(level(&bob.ok(json!({"op": "forum_threads"})).await), "muted", "kept across a restart");
    let cats = bob.ok(json!({"op": "forum_categories"})).await;
    assert_eq!(cats["categories"][0]["level"], "watching_first_post");
    assert_eq!(cats["categories"][0]["thread_count"], 1);
}

#[tokio::test]
async fn a_subscriber_gets_thread_events_live_and_categories_are_for_staff_to_manage() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let e = ann.request(json!({"op": "forum_save_category", "name": "Mine", "slug": "mine"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden");
    let c = category(&mut m, "General", "general", None).await;
    let e = m.request(json!({"op": "forum_save_category", "name": "Again", "slug": "general"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict", "slugs are unique");
    let e = m.request(json!({"op": "forum_save_category", "name": "Bad", "slug": "Not A Slug"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "bad_request");
    let t = thread(&mut m, &c, "Live", "first").await;
    ann.ok(json!({"op": "subscribe", "stream": t, "since": 0})).await;
    let seq = reply(&mut m, &t, "live reply").await;
    loop {
        if let Push::Event(ev) = ann.next_push().await {
            if ev.seq.0 == seq {
                assert!(matches!(ev.body, EventBody::MessagePosted { ref text, .. } if text == "live reply"));
                break;
            }
        }
    }
}

/// The feed items in `user`'s feed: (reason, source thread, actor).
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

#[tokio::test]
async fn notification_levels_deliver_what_they_promise_to_the_feed() {
    let srv = TestServer::start().await;
    let mut m = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut eve = srv.connect(&srv.user("eve").await).await;
    let c = category(&mut m, "General", "general", None).await;
    // Eve watches the category's first posts: she hears of new threads only.
    eve.ok(json!({"op": "forum_set_level", "category": c, "level": "watching_first_post"})).await;
    let t = thread(&mut ann, &c, "Feed", "first post").await;
    assert_eq!(feed(&mut eve, "eve").await, [("watched".into(), t.clone(), "ann".into())]);
    // Ann started it (watching): every reply. Bob posted (tracking): only replies to him.
    let b = reply(&mut bob, &t, "bob's reply").await;
    assert_eq!(feed(&mut ann, "ann").await, [("watched".into(), t.clone(), "bob".into())]);
    m.ok(json!({"op": "post", "stream": t, "text": "to bob, hi @eve", "reply_to": b})).await;
    assert_eq!(feed(&mut bob, "bob").await, [("reply".into(), t.clone(), "mia".into())]);
    assert_eq!(feed(&mut ann, "ann").await.len(), 2, "ann watches: mia's reply too");
    assert_eq!(feed(&mut eve, "eve").await.last().unwrap().0, "mention");
    // Likes go to the post's author; a muted thread delivers nothing at all.
    bob.ok(json!({"op": "forum_like", "thread": t, "post": FIRST})).await;
    assert_eq!(feed(&mut ann, "ann").await.last().unwrap(), &("like".to_owned(), t.clone(), "bob".to_owned()));
    ann.ok(json!({"op": "forum_set_level", "thread": t, "level": "muted"})).await;
    m.ok(json!({"op": "forum_like", "thread": t, "post": FIRST})).await;
    reply(&mut bob, &t, "@ann are you there?").await;
    assert_eq!(feed(&mut ann, "ann").await.len(), 3, "muted: no like, no reply, no mention");
    // Nobody hears of their own posts.
    assert!(feed(&mut m, "mia").await.is_empty());
}
