//! The ticket desk over real sockets: every lifecycle transition allowed and
//! refused (with the current ticket in the `conflict`), the follow-up a reply
//! to a closed ticket opens, two agents solving at once (one wins), and website
//! visitors: their tokens, and that a visitor reads nothing but their own
//! ticket and never an internal note, by any op (one table).

mod common;

use agora_protocol::{EventBody, Push};
use common::{Client, TestServer};
use serde_json::{json, Value};

async fn open(c: &mut Client, subject: &str, text: &str) -> Value {
    c.ok(json!({"op": "open_ticket", "subject": subject, "text": text})).await["ticket"].clone()
}

async fn info(c: &mut Client, t: &str) -> Value {
    c.ok(json!({"op": "ticket_info", "stream": t})).await["ticket"].clone()
}

async fn update(c: &mut Client, t: &str, version: u64, changes: Value) -> Result<Value, agora_protocol::ErrorBody> {
    c.request(json!({"op": "update_ticket", "stream": t, "version": version, "changes": changes})).await
}

/// `update_ticket` at the ticket's current version.
async fn change(c: &mut Client, t: &str, changes: Value) -> Result<Value, agora_protocol::ErrorBody> {
    let v = info(c, t).await["version"].as_u64().unwrap();
    update(c, t, v, changes).await
}

async fn status(c: &mut Client, t: &str) -> String {
    info(c, t).await["status"].as_str().unwrap().to_owned()
}

fn assert_conflict(r: Result<Value, agora_protocol::ErrorBody>, current_status: &str, why: &str) {
    let e = r.expect_err(why);
    assert_eq!(e.code, agora_protocol::ErrorCode::Conflict, "{why}: {e:?}");
    let current = e.details.unwrap_or_else(|| panic!("{why}: no current ticket in {}", e.message));
    assert_eq!(current["status"], current_status, "{why}");
}

async fn visitor(srv: &TestServer, name: &str) -> (u16, Value) {
    srv.http_json(srv.http.post(srv.url("/api/v1/visitors")).json(&json!({"name": name}))).await
}

#[tokio::test]
async fn the_lifecycle_is_enforced_and_a_reply_to_a_closed_ticket_opens_a_linked_follow_up() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let t = open(&mut ann, "Printer on fire", "help").await;
    let id = t["id"].as_str().unwrap().to_owned();
    // Opened with its fields (the SLA policy of its priority) in one ticket_updated: version 1.
    assert_eq!(
        (t["status"].as_str(), t["version"].as_u64(), t["requester"].as_str()),
        (Some("new"), Some(1), Some("ann"))
    );

    // Only agents change fields; the requester is refused.
    let e = update(&mut ann, &id, 1, json!({"status": "pending"})).await.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::Forbidden);
    // Solving needs an assignee; closing needs solved; new stays new until someone acts.
    assert_conflict(change(&mut dave, &id, json!({"status": "solved"})).await, "new", "solve unassigned");
    assert_conflict(change(&mut dave, &id, json!({"status": "closed"})).await, "new", "close a new ticket");
    // An agent's public reply opens it; it never goes back to new.
    dave.post(&id, "on it").await;
    assert_eq!(status(&mut dave, &id).await, "open");
    assert_conflict(change(&mut dave, &id, json!({"status": "new"})).await, "open", "back to new");
    // Pending and on-hold; a requester's reply reopens each.
    for waiting in ["pending", "on_hold"] {
        change(&mut dave, &id, json!({"status": waiting})).await.unwrap();
        assert_eq!(status(&mut dave, &id).await, waiting);
        ann.post(&id, "any news?").await;
        assert_eq!(status(&mut dave, &id).await, "open", "a reply to {waiting} reopens");
    }
    assert_conflict(change(&mut dave, &id, json!({"status": "closed"})).await, "open", "close an open ticket");
    // Assign and solve in one change; a requester's reply reopens a solved ticket.
    change(&mut dave, &id, json!({"status": "solved", "assignee": "dave"})).await.unwrap();
    assert_eq!(info(&mut dave, &id).await["assignee"], "dave");
    ann.post(&id, "still burning").await;
    assert_eq!(status(&mut dave, &id).await, "open");
    assert_conflict(
        change(&mut dave, &id, json!({"unassign": true, "status": "solved"})).await,
        "open",
        "solve while unassigning",
    );
    change(&mut dave, &id, json!({"status": "solved"})).await.unwrap();
    change(&mut dave, &id, json!({"status": "closed"})).await.unwrap();
    // Closed is final: no field change, note or agent reply.
    for status_change in ["open", "pending", "solved", "new"] {
        assert_conflict(change(&mut dave, &id, json!({"status": status_change})).await, "closed", status_change);
    }
    assert_conflict(change(&mut dave, &id, json!({"priority": "high"})).await, "closed", "priority of closed");
    assert_conflict(
        dave.request(json!({"op": "add_note", "stream": id, "text": "x"})).await,
        "closed",
        "note on closed",
    );
    assert_conflict(
        dave.request(json!({"op": "post", "stream": id, "text": "x"})).await,
        "closed",
        "agent reply on closed",
    );

    // The requester's reply opens a follow-up that links back; the closed ticket links forward.
    ann.post(&id, "it is on fire again").await;
    let closed = info(&mut ann, &id).await;
    assert_eq!(closed["status"], "closed");
    let follow_ups = closed["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 1, "{closed}");
    let f = follow_ups[0].as_str().unwrap().to_owned();
    let fu = info(&mut dave, &f).await;
    assert_eq!((fu["status"].as_str(), fu["requester"].as_str()), (Some("new"), Some("ann")));
    assert_eq!(fu["follow_up_of"], id.as_str());
    assert_eq!(fu["subject"], "Printer on fire");
    let h = ann.ok(json!({"op": "history", "stream": f})).await;
    let texts: Vec<&str> = h["events"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["it is on fire again"]);
}

#[tokio::test]
async fn two_agents_solving_at_once_one_wins_and_the_other_gets_the_current_ticket() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let mut erin = srv.connect(&srv.user_with_role("erin", "agent").await).await;
    let id = open(&mut ann, "Login", "cannot log in").await["id"].as_str().unwrap().to_owned();
    change(&mut dave, &id, json!({"assignee": "dave"})).await.unwrap();
    let v = info(&mut dave, &id).await["version"].as_u64().unwrap();
    let solve = |by: &str| json!({"op": "update_ticket", "stream": id, "version": v, "changes": {"status": "solved", "assignee": by}});
    let a = dave.send(solve("dave")).await;
    let b = erin.send(solve("erin")).await;
    let (ra, rb) = (dave.wait_reply(a).await, erin.wait_reply(b).await);
    assert!(ra.is_ok() != rb.is_ok(), "exactly one wins: {ra:?} {rb:?}");
    let (winner, loser) = if ra.is_ok() { ("dave", rb) } else { ("erin", ra) };
    let e = loser.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::Conflict);
    let current = e.details.expect("the current ticket");
    assert_eq!((current["version"].as_u64(), current["status"].as_str()), (Some(v + 1), Some("solved")));
    assert_eq!(current["assignee"], winner);
    assert_eq!(info(&mut ann, &id).await["assignee"], winner);
}

#[tokio::test]
async fn a_visitor_reads_only_their_own_ticket_and_never_an_internal_note_by_any_op() {
    let srv = TestServer::start().await;
    let (status, v1) = visitor(&srv, "Vera").await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["user"]["role"], "visitor");
    assert!(v1["expires_at"].as_u64().unwrap() > 0);
    let (_, v2) = visitor(&srv, "Walt").await;
    let mut vera = srv.connect(v1["token"].as_str().unwrap()).await;
    let mut walt = srv.connect(v2["token"].as_str().unwrap()).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let _erin = srv.user_with_role("erin", "agent").await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let channel = ann.create_channel("general").await;

    let t = open(&mut vera, "Order 42", "where is it?").await["id"].as_str().unwrap().to_owned();
    let walts = open(&mut walt, "Refund", "please").await["id"].as_str().unwrap().to_owned();
    dave.post(&t, "looking").await;
    let note = dave.ok(json!({"op": "add_note", "stream": t, "text": "@erin customer is VIP, secret code 1234"})).await;
    let note_seq = note["seq"].as_u64().unwrap();
    // Staff see the note, with its mention.
    let h = dave.ok(json!({"op": "history", "stream": t})).await;
    let ev = h["events"].as_array().unwrap().iter().find(|e| e["seq"] == note_seq).cloned().expect("note in history");
    assert_eq!((ev["type"].as_str(), ev["mentions"][0].as_str()), (Some("ticket_note"), Some("erin")));

    // Vera: her ticket, minus the note, on every read path.
    let sub = vera.subscribe(&t, Some(0), None).await.unwrap();
    let head = sub["head"].as_u64().unwrap();
    let mut seen = Vec::new();
    let mut skipped = Vec::new();
    let mut cursor = 0;
    while cursor < head {
        match vera.next_push().await {
            Push::Event(e) if e.stream.0 == t => {
                assert!(!matches!(e.body, EventBody::TicketNote { .. }), "a note reached the visitor: {e:?}");
                cursor = e.seq.0;
                seen.push(e.seq.0);
            }
            Push::Skip { stream, from, to } if stream.0 == t => {
                skipped.extend(from.0..=to.0);
                cursor = to.0;
            }
            _ => {}
        }
    }
    assert_eq!(skipped, [note_seq], "replay skips the note, nothing else: {seen:?}");
    // Live: another note is a skip, the reply after it an event.
    dave.ok(json!({"op": "add_note", "stream": t, "text": "second secret"})).await;
    let reply = dave.post(&t, "shipped today").await;
    loop {
        match vera.next_push().await {
            Push::Event(e) if e.stream.0 == t => {
                assert!(matches!(e.body, EventBody::MessagePosted { .. }), "{e:?}");
                assert_eq!(e.seq.0, reply);
                break;
            }
            Push::Skip { stream, from, to } if stream.0 == t => assert_eq!((from.0, to.0), (reply - 1, reply - 1)),
            _ => {}
        }
    }
    let h = vera.ok(json!({"op": "history", "stream": t})).await;
    let text = h.to_string();
    assert!(!text.contains("secret") && !text.contains("ticket_note"), "{text}");
    let listed = vera.ok(json!({"op": "list_streams"})).await;
    let ids: Vec<&str> = listed["streams"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    // Their ticket, and their own notification feed (the agent's replies put items there).
    let feed = format!("nf_{}", v1["user"]["id"].as_str().unwrap());
    assert_eq!(ids, [feed.as_str(), t.as_str()], "a visitor lists their ticket and feed only");
    let mine = listed["streams"].as_array().unwrap().iter().find(|s| s["id"] == t.as_str()).unwrap();
    let unread = mine["unread"].as_u64().unwrap();
    assert_eq!(unread, 2, "the agent's two public replies, never the notes");

    // The table: every op naming someone else's ticket or a channel, refused like a stream that does not exist.
    let cases: Vec<(&str, Value, &str)> = vec![
        ("subscribe", json!({"op": "subscribe", "stream": walts, "since": 0}), "not_found"),
        ("history", json!({"op": "history", "stream": walts}), "not_found"),
        ("history after", json!({"op": "history", "stream": walts, "after": 0}), "not_found"),
        ("stream_info", json!({"op": "stream_info", "stream": walts}), "not_found"),
        ("ticket_info", json!({"op": "ticket_info", "stream": walts}), "not_found"),
        ("post", json!({"op": "post", "stream": walts, "text": "hi"}), "not_found"),
        ("react", json!({"op": "react", "stream": walts, "target": 2, "emoji": "x"}), "not_found"),
        ("typing", json!({"op": "typing", "stream": walts}), "not_found"),
        ("mark_read", json!({"op": "mark_read", "stream": walts, "seq": 1}), "not_found"),
        ("subscribe channel", json!({"op": "subscribe", "stream": channel}), "not_found"),
        ("history channel", json!({"op": "history", "stream": channel}), "not_found"),
        ("join channel", json!({"op": "join", "stream": channel}), "forbidden"),
        ("create channel", json!({"op": "create_channel", "name": "mine"}), "forbidden"),
        ("open dm", json!({"op": "open_dm", "users": ["dave"]}), "forbidden"),
        ("note on own ticket", json!({"op": "add_note", "stream": t, "text": "x"}), "forbidden"),
        (
            "update own ticket",
            json!({"op": "update_ticket", "stream": t, "version": 0, "changes": {"status": "solved"}}),
            "forbidden",
        ),
        ("edit the note", json!({"op": "edit", "stream": t, "target": note_seq, "text": "x"}), "not_found"),
        ("react to the note", json!({"op": "react", "stream": t, "target": note_seq, "emoji": "x"}), "not_found"),
    ];
    for (what, op, code) in cases {
        let e = vera.request(op).await.expect_err(what);
        assert_eq!(e.code.as_str(), code, "{what}: {e:?}");
    }
    // The feed: items for the agent's public replies, none for a note.
    let items = vera.ok(json!({"op": "history", "stream": feed, "after": 0})).await;
    let about: Vec<u64> = items["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "feed_item")
        .map(|e| e["item"]["source_seq"].as_u64().unwrap())
        .collect();
    assert!(!about.is_empty() && about.iter().all(|s| *s != note_seq && *s != reply - 1), "{items}");
    assert!(!items.to_string().contains("secret"), "{items}");
    // Nor over HTTP.
    let (status, _) =
        srv.http_json(srv.http.get(srv.url("/api/v1/users")).bearer_auth(v1["token"].as_str().unwrap())).await;
    assert_eq!(status, 403);
    // Nobody can name a visitor in a DM.
    let e = ann.request(json!({"op": "open_dm", "users": [v1["user"]["id"]]})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "not_found");
}

#[tokio::test]
async fn visitor_tokens_are_rate_limited_per_address_and_expire() {
    let srv = TestServer::start_with(|c| {
        c.limits.rate.visitor_per_ip_burst = 2;
        c.visitor_ttl_secs = 0;
    })
    .await;
    let (s1, v) = visitor(&srv, "a").await;
    assert_eq!(s1, 201);
    assert_eq!(visitor(&srv, "b").await.0, 201);
    let (s3, body) = visitor(&srv, "c").await;
    assert_eq!(s3, 429, "{body}");
    // A zero lifetime: the token is refused at once.
    let (status, _) =
        srv.http_json(srv.http.get(srv.url("/api/v1/me")).bearer_auth(v["token"].as_str().unwrap())).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn routing_goes_round_robin_to_connected_available_agents_under_their_maximum() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut amy = srv.connect(&srv.user_with_role("amy", "agent").await).await;
    let mut bob = srv.connect(&srv.user_with_role("bob", "agent").await).await;
    let mut cid = srv.connect(&srv.user_with_role("cid", "agent").await).await;
    let mut dan = srv.connect(&srv.user_with_role("dan", "agent").await).await;
    let set = |status: &str, max: u32| json!({"op": "set_agent_status", "status": status, "max_chats": max});
    amy.ok(set("available", 1)).await;
    bob.ok(set("available", 2)).await;
    dan.ok(set("busy", 5)).await;
    let ok = cid.ok(set("available", 5)).await;
    assert_eq!((ok["status"].as_str(), ok["assigned"].as_u64()), (Some("available"), Some(0)));
    // cid goes offline: ann, in a channel with cid, sees it happen.
    let ch = srv.channel(&mut ann, "ops", &mut [&mut cid]).await;
    ann.subscribe(&ch, None, None).await.unwrap();
    drop(cid);
    ann.push_where(|p| matches!(p, Push::Presence { user, status: agora_protocol::ops::PresenceStatus::Offline, .. } if user.0 == "cid"))
        .await;
    let desk = ann.ok(json!({"op": "desk_status"})).await;
    assert_eq!((desk["agents_available"].as_u64(), desk["answering"].as_bool()), (Some(2), Some(true)));

    let mut assignees = Vec::new();
    let mut ids = Vec::new();
    for i in 0..4 {
        let t = open(&mut ann, &format!("t{i}"), "hello").await;
        ids.push(t["id"].as_str().unwrap().to_owned());
        assignees.push(t["assignee"].as_str().map(str::to_owned));
        if let Some(a) = t["assignee"].as_str() {
            assert_eq!(t["status"], "open", "assigning opens: {a}");
        }
    }
    let names: Vec<Option<&str>> = assignees.iter().map(|a| a.as_deref()).collect();
    assert_eq!(
        names,
        [Some("amy"), Some("bob"), Some("bob"), None],
        "offline cid, busy dan and full agents are skipped"
    );
    // The waiting ticket is in the team queue.
    let q = bob.ok(json!({"op": "ticket_queue", "filter": {"assignee": "unassigned"}})).await;
    let waiting: Vec<&str> = q["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(waiting, [ids[3].as_str()]);
    assert_eq!(q["by_status"]["new"], 1, "{q}");
    let mine = bob.ok(json!({"op": "ticket_queue", "filter": {"assignee": "me"}})).await;
    assert_eq!(mine["total"], 2);
    // amy solves hers: the waiting ticket is offered to her at once.
    change(&mut amy, &ids[0], json!({"status": "solved"})).await.unwrap();
    assert_eq!(info(&mut amy, &ids[3]).await["assignee"], "amy");
    // Visitors and members may not see the queue.
    let e = ann.request(json!({"op": "ticket_queue"})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden");
}

/// A ticket's view without what every change moves (its version and head).
fn fields(mut t: Value) -> Value {
    let o = t.as_object_mut().unwrap();
    o.remove("version");
    o.remove("head");
    t
}

#[tokio::test]
async fn merge_then_split_restores_both_tickets() {
    let srv = TestServer::start().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let a = open(&mut ann, "Invoice wrong", "amount is off").await["id"].as_str().unwrap().to_owned();
    let b = open(&mut ann, "Invoice again", "still off").await["id"].as_str().unwrap().to_owned();
    let bobs = open(&mut bob, "Other", "x").await["id"].as_str().unwrap().to_owned();
    change(&mut dave, &a, json!({"assignee": "dave", "add_tags": ["billing"]})).await.unwrap();
    change(&mut dave, &b, json!({"status": "pending", "priority": "high"})).await.unwrap();
    let (before_a, before_b) = (info(&mut dave, &a).await, info(&mut dave, &b).await);

    let va = before_a["version"].as_u64().unwrap();
    let stale = dave.request(json!({"op": "merge_ticket", "stream": a, "version": va - 1, "into": b})).await;
    assert_conflict(stale, "open", "stale merge");
    let e = dave.request(json!({"op": "merge_ticket", "stream": a, "version": va, "into": bobs})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict", "another requester's ticket: {e:?}");
    dave.ok(json!({"op": "merge_ticket", "stream": a, "version": va, "into": b})).await;
    let (merged_a, merged_b) = (info(&mut dave, &a).await, info(&mut dave, &b).await);
    assert_eq!((merged_a["status"].as_str(), merged_a["merged_into"].as_str()), (Some("closed"), Some(b.as_str())));
    assert_eq!(merged_b["merged"], json!([a]));
    // The merged ticket takes no replies: the conversation goes on in the other.
    assert_conflict(
        ann.request(json!({"op": "post", "stream": a, "text": "hello?"})).await,
        "closed",
        "reply to merged",
    );

    let va = merged_a["version"].as_u64().unwrap();
    dave.ok(json!({"op": "split_ticket", "stream": a, "version": va})).await;
    let (after_a, after_b) = (info(&mut dave, &a).await, info(&mut dave, &b).await);
    assert_eq!(fields(after_a), fields(before_a), "split restores the merged ticket");
    assert_eq!(fields(after_b), fields(before_b), "split restores the ticket it was merged into");
    let e = dave.request(json!({"op": "split_ticket", "stream": a, "version": va + 1})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict", "not merged any more");
}

#[tokio::test]
async fn macros_canned_replies_custom_fields_and_statuses_come_from_the_desk_configuration() {
    use agora::config::{CannedDef, FieldDef, FieldKind, MacroDef, StatusDef};
    let srv = TestServer::start_with(|c| {
        c.desk.fields = vec![
            FieldDef { name: "plan".into(), kind: FieldKind::Choice, choices: vec!["gold".into(), "free".into()] },
            FieldDef { name: "seats".into(), kind: FieldKind::Number, choices: vec![] },
        ];
        c.desk.statuses = vec![StatusDef {
            name: "waiting_on_vendor".into(),
            category: agora_protocol::ticket::TicketStatus::OnHold,
        }];
        c.desk.canned = vec![CannedDef {
            name: "hello".into(),
            team: String::new(),
            text: "Hi {{requester.name}}, {{agent.name}} here about {{ticket.subject}}.".into(),
        }];
        c.desk.macros = vec![MacroDef {
            name: "refund".into(),
            changes: agora_protocol::ticket::TicketChanges {
                status: Some(agora_protocol::ticket::TicketStatus::Solved),
                assignee: Some("dave".into()),
                add_tags: vec!["refund".into()],
                ..Default::default()
            },
            reply: Some("Refunded, {{requester.name}}.".into()),
            note: Some("refund issued by macro".into()),
        }];
    })
    .await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let id = open(&mut ann, "Broken", "help").await["id"].as_str().unwrap().to_owned();

    // Custom fields: defined ones with valid values only.
    change(&mut dave, &id, json!({"fields": {"plan": {"choice": "gold"}, "seats": {"number": 12}}})).await.unwrap();
    for bad in
        [json!({"plan": {"choice": "platinum"}}), json!({"seats": {"text": "x"}}), json!({"color": {"text": "red"}})]
    {
        let e = change(&mut dave, &id, json!({"fields": bad})).await.unwrap_err();
        assert_eq!(e.code.as_str(), "bad_request", "{bad}");
    }
    assert_eq!(info(&mut dave, &id).await["fields"], json!({"plan": {"choice": "gold"}, "seats": {"number": 12.0}}));
    // A custom status behaves as its category and shows under its name until the status moves on.
    change(&mut dave, &id, json!({"custom_status": "waiting_on_vendor"})).await.unwrap();
    let t = info(&mut dave, &id).await;
    assert_eq!((t["status"].as_str(), t["custom_status"].as_str()), (Some("on_hold"), Some("waiting_on_vendor")));
    ann.post(&id, "any news?").await;
    let t = info(&mut dave, &id).await;
    assert_eq!((t["status"].as_str(), t["custom_status"].as_str()), (Some("open"), None));

    // A canned reply, placeholders filled.
    let listed = dave.ok(json!({"op": "list_canned"})).await;
    assert_eq!((listed["canned"][0]["name"].as_str(), listed["macros"][0].as_str()), (Some("hello"), Some("refund")));
    let seq = dave.ok(json!({"op": "canned_reply", "stream": id, "name": "hello"})).await["seq"].as_u64().unwrap();
    let h = ann.ok(json!({"op": "history", "stream": id, "after": seq - 1})).await;
    assert_eq!(h["events"][0]["text"], "Hi ann, dave here about Broken.");

    // A macro: fields, reply and note in one action; the requester sees the reply, not the note.
    let v = info(&mut dave, &id).await["version"].as_u64().unwrap();
    let first = dave.ok(json!({"op": "apply_macro", "stream": id, "version": v, "name": "refund"})).await["seq"]
        .as_u64()
        .unwrap();
    let t = info(&mut dave, &id).await;
    assert_eq!(
        (t["status"].as_str(), t["assignee"].as_str(), t["tags"].clone()),
        (Some("solved"), Some("dave"), json!(["refund"]))
    );
    let staff: Vec<String> = dave.ok(json!({"op": "history", "stream": id, "after": first - 1})).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(staff, ["ticket_updated", "message_posted", "ticket_note"]);
    let mine = ann.ok(json!({"op": "history", "stream": id, "after": first - 1})).await;
    let texts: Vec<&str> = mine["events"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, ["Refunded, ann."]);
    let stale = dave.request(json!({"op": "apply_macro", "stream": id, "version": v, "name": "refund"})).await;
    assert_conflict(stale, "solved", "a macro at a stale version");
}
