//! The notification feed over real sockets: mentions and DMs arrive as items
//! in the user's feed stream, which resumes like any stream (no duplicates),
//! keeps read state that syncs across devices, and shows an item only while
//! its owner may see the event it is about.

mod common;

use agora_protocol::{EventBody, FeedReason, Push};
use common::{Client, TestServer};
use serde_json::{json, Value};

/// The feed items (reason, source seq) in a `history` reply.
fn items(history: &Value) -> Vec<(String, u64)> {
    history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "feed_item")
        .map(|e| (e["item"]["reason"].as_str().unwrap().to_owned(), e["item"]["source_seq"].as_u64().unwrap()))
        .collect()
}

async fn feed(c: &mut Client) -> (String, u64, u64) {
    let ok = c.ok(json!({"op": "feed"})).await;
    (ok["stream"].as_str().unwrap().to_owned(), ok["head"].as_u64().unwrap(), ok["unread"].as_u64().unwrap())
}

async fn feed_history(c: &mut Client, stream: &str) -> Value {
    c.ok(json!({"op": "history", "stream": stream, "after": 0, "limit": 100})).await
}

#[tokio::test]
async fn mentions_and_dms_reach_the_feed_which_resumes_without_duplicates_and_syncs_read_state() {
    let server = TestServer::start().await;
    let ann_token = server.user("ann").await;
    let mut ann = server.connect(&ann_token).await;
    let mut ann2 = server.connect(&ann_token).await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let (stream, head, unread) = feed(&mut ann).await;
    assert_eq!((stream.as_str(), head, unread), ("nf_ann", 1, 0));
    ann.subscribe(&stream, Some(head), None).await.unwrap();
    ann2.subscribe(&stream, Some(head), None).await.unwrap();

    let ch = server.channel(&mut bob, "general", &mut [&mut ann]).await;
    let mention = bob.post(&ch, "hi @ann, look").await;
    let ev = ann.next_event().await;
    let EventBody::FeedItem { item } = &ev.body else { panic!("not a feed item: {ev:?}") };
    assert_eq!((item.reason, item.source.0.as_str(), item.source_seq.0), (FeedReason::Mention, ch.as_str(), mention));
    assert_eq!(
        (item.actor.0.as_str(), item.excerpt.as_str(), item.title.as_str()),
        ("bob", "hi @ann, look", "general")
    );
    bob.post(&ch, "no mention here").await;

    let dm = bob.ok(json!({"op": "open_dm", "users": ["ann"]})).await["id"].as_str().unwrap().to_owned();
    let dm_seq = bob.post(&dm, "psst").await;
    let ev = ann.next_event().await;
    assert!(
        matches!(&ev.body, EventBody::FeedItem { item } if item.reason == FeedReason::Dm && item.source_seq.0 == dm_seq)
    );
    assert_eq!(feed(&mut ann).await.2, 2);

    // The other device marks the mention read: the first sees the feed_read event and the count.
    let ok = ann2.ok(json!({"op": "feed_mark_read", "items": [2]})).await;
    assert_eq!(ok["unread"], 1);
    // The feed_read event and the feed_unread push come in either order.
    let (mut read, mut unread) = (None, None);
    while read.is_none() || unread.is_none() {
        match ann.next_push().await {
            Push::Event(e) => read = Some(e),
            p @ Push::FeedUnread { .. } => unread = Some(p),
            _ => {}
        }
    }
    let (read, push) = (read.unwrap(), unread.unwrap());
    assert!(matches!(&read.body, EventBody::FeedRead { items, .. } if items.len() == 1 && items[0].0 == 2), "{read:?}");
    assert!(matches!(push, Push::FeedUnread { unread: 1, .. }), "{push:?}");

    // Reconnect and resume from the last seq seen: only what came after, once.
    let last = read.seq.0;
    drop(ann);
    let again = bob.post(&ch, "@ann again").await;
    let mut ann = server.connect(&ann_token).await;
    ann.subscribe(&stream, Some(last), None).await.unwrap();
    let ev = ann.next_event().await;
    assert_eq!(ev.seq.0, last + 1);
    assert!(matches!(&ev.body, EventBody::FeedItem { item } if item.source_seq.0 == again));
    ann.ok(json!({"op": "ping"})).await;
    assert!(ann.take_events(&stream).is_empty(), "nothing delivered twice");

    let ok = ann.ok(json!({"op": "feed_mark_read", "all": true})).await;
    assert_eq!(ok["unread"], 0);
    // Own posts, and posts with no one to tell, put nothing in anyone's feed.
    let h = feed_history(&mut ann, &stream).await;
    assert_eq!(items(&h), vec![("mention".into(), mention), ("dm".into(), dm_seq), ("mention".into(), again)]);
}

#[tokio::test]
async fn an_item_disappears_when_its_owner_loses_access_or_the_post_is_hidden() {
    let server = TestServer::start().await;
    let ann_token = server.user("ann").await;
    let mut ann = server.connect(&ann_token).await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let mut carol = server.connect(&server.user_with_role("carol", "moderator").await).await;
    let (stream, _, _) = feed(&mut ann).await;

    let private = bob.ok(json!({"op": "create_channel", "name": "secret", "private": true, "members": ["ann"]})).await;
    let private = private["id"].as_str().unwrap().to_owned();
    let in_private = bob.post(&private, "@ann the plan").await;
    let ch = server.channel(&mut bob, "open", &mut [&mut ann]).await;
    let hidden = bob.post(&ch, "@ann spoiler").await;
    let kept = bob.post(&ch, "@ann fine").await;
    assert_eq!(feed(&mut ann).await.2, 3);
    assert_eq!(items(&feed_history(&mut ann, &stream).await).len(), 3);

    // Ann leaves the private channel; a moderator hides a post.
    ann.ok(json!({"op": "leave", "stream": private})).await;
    carol.ok(json!({"op": "hide", "stream": ch, "target": hidden, "reason": "spoiler"})).await;

    let (_, head, unread) = feed(&mut ann).await;
    assert_eq!(unread, 1, "only the item whose post ann still sees counts");
    assert_eq!(items(&feed_history(&mut ann, &stream).await), vec![("mention".into(), kept)]);
    // Resuming from the start: the items ann may not see come as skips, the rest once.
    ann.subscribe(&stream, Some(0), None).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = 0;
    while cursor < head {
        match ann.next_push().await {
            Push::Event(e) if e.stream.0 == stream => {
                cursor = e.seq.0;
                if let EventBody::FeedItem { item } = e.body {
                    seen.push(item.source_seq.0);
                }
            }
            Push::Skip { stream: s, to, .. } if s.0 == stream => cursor = to.0,
            _ => {}
        }
    }
    assert_eq!(seen, vec![kept]);
    assert!(in_private > 0);
    // A moderator unhides it: it is back.
    carol.ok(json!({"op": "unhide", "stream": ch, "target": hidden})).await;
    assert_eq!(feed(&mut ann).await.2, 2);
}
