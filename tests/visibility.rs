//! The one visibility rule, walked over every read path at once: a message a
//! moderator hid is absent for a member from live delivery, replay on resume,
//! `history` (both directions) and unread and mention counts, while its author
//! and moderators still see it everywhere; the member's cursor stays gapless
//! through `skip` markers. (The notification feed and search join this walk
//! when they land.)

mod common;

use agora_protocol::{EventBody, Push};
use common::{Client, TestServer};
use serde_json::{json, Value};

/// What one connection received for `stream` up to seq `last`: events and skipped seqs.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    events: Vec<u64>,
    skipped: Vec<u64>,
    texts: Vec<String>,
}

async fn seen_until(c: &mut Client, stream: &str, last: u64) -> Seen {
    let mut seen = Seen::default();
    let mut cursor = 0;
    while cursor < last {
        match c.next_push().await {
            Push::Event(e) if e.stream.0 == stream => {
                assert!(e.seq.0 > cursor, "duplicate or out of order: {} after {cursor}", e.seq);
                cursor = e.seq.0;
                seen.events.push(e.seq.0);
                match &e.body {
                    EventBody::MessagePosted { text, .. } | EventBody::MessageEdited { text, .. } => {
                        seen.texts.push(text.clone())
                    }
                    _ => {}
                }
            }
            Push::Skip { stream: s, from, to } if s.0 == stream => {
                assert!(from.0 > cursor && to >= from, "skip {from}..={to} after {cursor}");
                seen.skipped.extend(from.0..=to.0);
                cursor = to.0;
            }
            _ => {}
        }
    }
    seen
}

/// Seqs that `events` of a history reply hold.
fn history_seqs(ok: &Value) -> Vec<u64> {
    ok["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

fn counts(list: &Value, stream: &str) -> (u64, u64) {
    let s = list["streams"].as_array().unwrap().iter().find(|s| s["id"] == stream).expect("stream listed");
    (s["unread"].as_u64().unwrap(), s["mentions"].as_u64().unwrap())
}

#[tokio::test]
async fn a_hidden_message_is_absent_for_members_on_every_read_path_and_present_for_its_author_and_moderators() {
    let server = TestServer::start().await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let alice_token = server.user("alice").await;
    let mut alice = server.connect(&alice_token).await;
    let carol_token = server.user_with_role("carol", "moderator").await;
    let mut carol = server.connect(&carol_token).await;
    let ch = server.channel(&mut bob, "vis", &mut [&mut alice, &mut carol]).await; // seqs 1-3
    alice.subscribe(&ch, None, None).await.unwrap();
    carol.subscribe(&ch, None, None).await.unwrap();

    let hidden = bob.post(&ch, "hello @alice").await; // 4
    assert_eq!(alice.next_event().await.seq.0, hidden, "posted before it was hidden: delivered live");
    let hide = carol.ok(json!({"op": "hide", "stream": ch, "target": hidden, "reason": "spoiler"})).await;
    let edit = bob.ok(json!({"op": "edit", "stream": ch, "target": hidden, "text": "secret @alice"})).await;
    let later = bob.post(&ch, "visible to all").await; // 7
    assert_eq!((hide["seq"].as_u64(), edit["seq"].as_u64(), later), (Some(5), Some(6), 7));

    // Live: the member gets the hide event, a skip for the edit, then the next message.
    let live = seen_until(&mut alice, &ch, later).await;
    assert_eq!(live.events, vec![5, 7]);
    assert_eq!(live.skipped, vec![6]);
    assert!(!live.texts.iter().any(|t| t.contains("secret")), "{live:?}");
    // The moderator sees the edit live.
    let mod_live = seen_until(&mut carol, &ch, later).await;
    assert_eq!((mod_live.events, mod_live.skipped), (vec![4, 5, 6, 7], vec![]));

    // Resume: a new connection of the member replays from seq 3.
    let mut alice2 = server.connect(&alice_token).await;
    alice2.subscribe(&ch, Some(3), None).await.unwrap();
    let replay = seen_until(&mut alice2, &ch, later).await;
    assert_eq!((replay.events, replay.skipped), (vec![5, 7], vec![4, 6]));
    assert_eq!(replay.texts, vec!["visible to all".to_owned()]);
    // The author and a moderator replay all of it.
    let mut bob2 = server.connect(&server.login("bob", common::PASSWORD).await).await;
    bob2.subscribe(&ch, Some(3), None).await.unwrap();
    assert_eq!(seen_until(&mut bob2, &ch, later).await.events, vec![4, 5, 6, 7]);
    let mut carol2 = server.connect(&carol_token).await;
    carol2.subscribe(&ch, Some(3), None).await.unwrap();
    assert_eq!(seen_until(&mut carol2, &ch, later).await.events, vec![4, 5, 6, 7]);

    // History, newest page and paging forward: the member's pages leave out 4 and 6
    // but say which seqs they covered.
    let page = alice.ok(json!({"op": "history", "stream": ch})).await;
    assert_eq!(history_seqs(&page), vec![1, 2, 3, 5, 7]);
    assert_eq!((page["from"].as_u64(), page["to"].as_u64(), page["more"].as_bool()), (Some(1), Some(7), Some(false)));
    let page = alice.ok(json!({"op": "history", "stream": ch, "after": 3})).await;
    assert_eq!(history_seqs(&page), vec![5, 7]);
    let page = carol.ok(json!({"op": "history", "stream": ch, "after": 3})).await;
    assert_eq!(history_seqs(&page), vec![4, 5, 6, 7]);

    // Counts: the hidden message (which mentioned alice) counts for no member.
    let list = alice.ok(json!({"op": "list_streams"})).await;
    assert_eq!(counts(&list, &ch), (1, 0), "member: only seq 7 is unread");
    let list = carol.ok(json!({"op": "list_streams"})).await;
    assert_eq!(counts(&list, &ch), (2, 0), "moderator: 4 and 7");

    // Unhiding makes it visible again on every path, by the current state.
    carol.ok(json!({"op": "unhide", "stream": ch, "target": hidden})).await; // 8
    let mut alice3 = server.connect(&alice_token).await;
    alice3.subscribe(&ch, Some(3), None).await.unwrap();
    let replay = seen_until(&mut alice3, &ch, 8).await;
    assert_eq!((replay.events, replay.skipped), (vec![4, 5, 6, 7, 8], vec![]));
    let list = alice.ok(json!({"op": "list_streams"})).await;
    assert_eq!(counts(&list, &ch), (2, 1), "4 (mentioning alice) and 7");
}

#[tokio::test]
async fn only_moderators_hide_and_a_message_is_hidden_once() {
    let server = TestServer::start().await;
    let mut bob = server.connect(&server.user("bob").await).await;
    let mut carol = server.connect(&server.user_with_role("carol", "moderator").await).await;
    let ch = server.channel(&mut bob, "mod", &mut [&mut carol]).await;
    let seq = bob.post(&ch, "hi").await;
    let err = bob.request(json!({"op": "hide", "stream": ch, "target": seq})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "forbidden");
    carol.ok(json!({"op": "hide", "stream": ch, "target": seq})).await;
    let err = carol.request(json!({"op": "hide", "stream": ch, "target": seq})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "conflict");
    let err = carol.request(json!({"op": "unhide", "stream": ch, "target": 1})).await.unwrap_err();
    assert_eq!(err.code.as_str(), "not_found", "seq 1 is not a message");
}
