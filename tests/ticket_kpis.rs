//! The manager's ticket KPIs of a scripted scenario (on the test clock) equal
//! the figures worked out by hand, and equal them again when every ticket is
//! folded afresh from the log (`replay=true`).

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

const MIN: u64 = 60_000;

async fn advance(srv: &TestServer, admin: &str, ms: u64) {
    let r = srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(admin).json(&json!({"advance_ms": ms}));
    assert_eq!(srv.http_json(r).await.0, 200);
}

async fn change(c: &mut Client, t: &str, changes: Value) {
    let v = c.ok(json!({"op": "ticket_info", "stream": t})).await["ticket"]["version"].as_u64().unwrap();
    c.ok(json!({"op": "update_ticket", "stream": t, "version": v, "changes": changes})).await;
}

async fn kpis(srv: &TestServer, token: &str, query: &str) -> Value {
    let (status, body) =
        srv.http_json(srv.http.get(srv.url(&format!("/api/v1/kpis?{query}"))).bearer_auth(token)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Within 30 s above `ms` (the few ms the test itself takes between clock moves).
fn about(v: &Value, ms: u64) {
    let got = v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!(got >= ms && got < ms + 30_000, "{got} is not about {ms}");
}

#[tokio::test]
async fn kpis_of_a_scripted_scenario_match_the_hand_computed_figures_and_a_replay_from_the_log() {
    let srv = TestServer::start_with(|c| {
        c.test_clock = true;
        c.desk.first_response_secs = [900; 4];
        c.desk.resolution_secs = [0; 4];
        c.desk.next_reply_secs = [0; 4];
        c.desk.close_after_secs = 0;
    })
    .await;
    let admin = srv.admin_token().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let dave_token = srv.user_with_role("dave", "agent").await;
    let mut dave = srv.connect(&dave_token).await;
    let open = |s: &str| json!({"op": "open_ticket", "subject": s, "text": "help"});
    let t1 = ann.ok(open("one")).await["ticket"]["id"].as_str().unwrap().to_owned();
    let t2 = ann.ok(open("two")).await["ticket"]["id"].as_str().unwrap().to_owned();
    let _t3 = ann.ok(open("three")).await["ticket"]["id"].as_str().unwrap().to_owned();

    // t1: answered after 10 min, solved: one touch, rated 5.
    advance(&srv, &admin, 10 * MIN).await;
    dave.post(&t1, "fixed").await;
    change(&mut dave, &t1, json!({"status": "solved", "assignee": "dave"})).await;
    // t2: answered after 20 min (first response target of 15 min breached), solved,
    // reopened by ann, answered and solved again, rated 2.
    advance(&srv, &admin, 10 * MIN).await;
    dave.post(&t2, "try this").await;
    change(&mut dave, &t2, json!({"status": "solved", "assignee": "dave"})).await;
    ann.post(&t2, "did not work").await;
    dave.post(&t2, "now?").await;
    change(&mut dave, &t2, json!({"status": "solved"})).await;
    ann.ok(json!({"op": "rate_ticket", "stream": t1, "score": 5})).await;
    ann.ok(json!({"op": "rate_ticket", "stream": t2, "score": 2, "comment": "slow"})).await;
    // t3 stays new and breaches its first response.
    advance(&srv, &admin, 30 * MIN).await;

    let k = kpis(&srv, &dave_token, "bucket=day").await;
    assert_eq!(k["outstanding_by_status"], json!({"new": 1}), "{k}");
    assert_eq!(k["outstanding_by_priority"], json!({"normal": 1}));
    assert_eq!((k["created"].as_u64(), k["solved"].as_u64(), k["reopened"].as_u64()), (Some(3), Some(2), Some(1)));
    assert!((k["closure_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(k["one_touch"], 1);
    assert_eq!(k["first_response_ms"]["count"], 2);
    about(&k["first_response_ms"]["median"], 10 * MIN);
    about(&k["first_response_ms"]["p90"], 20 * MIN);
    about(&k["resolution_ms"]["median"], 10 * MIN);
    assert_eq!(k["sla"]["breaches"], json!({"first_response": 2}), "t2 and t3");
    assert!((k["sla"]["met_pct"]["first_response"].as_f64().unwrap() - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!(k["csat"]["distribution"], json!([0, 1, 0, 0, 1]));
    assert_eq!((k["csat"]["score"].as_f64(), k["csat"]["response_rate"].as_f64()), (Some(50.0), Some(100.0)));
    let buckets = k["buckets"].as_array().unwrap();
    let sum = |f: &str| buckets.iter().map(|b| b[f].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("created"), sum("solved"), sum("reopened")), (3, 3, 1), "per bucket: solves, not distinct tickets");

    // Folding every ticket again from the log gives the same figures.
    let to = k["to"].as_u64().unwrap();
    let q = format!("bucket=week&to={to}");
    let live = kpis(&srv, &admin, &q).await;
    let replayed = kpis(&srv, &admin, &format!("{q}&replay=true")).await;
    assert_eq!(live, replayed);
    // Agents may read the figures; replays are for admins; members see nothing.
    let (status, _) = srv.http_json(srv.http.get(srv.url("/api/v1/kpis?replay=true")).bearer_auth(&dave_token)).await;
    assert_eq!(status, 403);
    let ann_token = srv.login("ann", common::PASSWORD).await;
    let (status, _) = srv.http_json(srv.http.get(srv.url("/api/v1/kpis")).bearer_auth(&ann_token)).await;
    assert_eq!(status, 403);
}

/// Next-reply times, first and full resolution, the backlog, and the forum, chat
/// and wiki activity of a scripted scenario equal the hand-computed figures, a
/// replay from the log, and the figures after a restart (rebuilt from the log).
#[tokio::test]
async fn next_reply_resolution_backlog_and_community_activity_match_hand_computed_figures() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let mut mia = srv.connect(&srv.user_with_role("mia", "moderator").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut bob = srv.connect(&srv.user("bob").await).await;
    let mut carl = srv.connect(&srv.user("carl").await).await;
    let dave_token = srv.user_with_role("dave", "agent").await;
    let mut dave = srv.connect(&dave_token).await;

    // Forum, two days before the rest: ann opens a thread and replies to it herself;
    // bob's reply 10 min after the opening is its first reply; bob likes it.
    let cat = mia
        .ok(json!({"op": "forum_save_category", "name": "General", "slug": "general", "description": "d"}))
        .await["category"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open_thread = |title: &str| json!({"op": "forum_create_thread", "category": cat, "title": title, "text": "hi"});
    let th = ann.ok(open_thread("T")).await["thread"].as_str().unwrap().to_owned();
    advance(&srv, &admin, 5 * MIN).await;
    ann.post(&th, "more").await;
    advance(&srv, &admin, 5 * MIN).await;
    bob.post(&th, "an answer").await;
    bob.ok(json!({"op": "forum_like", "thread": th, "post": 3})).await;
    advance(&srv, &admin, 2 * 24 * 60 * MIN).await;
    // The last day: carl opens a thread, ann likes it.
    let u = carl.ok(open_thread("U")).await["thread"].as_str().unwrap().to_owned();
    ann.ok(json!({"op": "forum_like", "thread": u, "post": 3})).await;

    // Chat: three messages by two users; wiki: three revisions by two editors.
    let ch = srv.channel(&mut ann, "lobby", &mut [&mut bob]).await;
    ann.post(&ch, "a").await;
    ann.post(&ch, "b").await;
    bob.post(&ch, "c").await;
    wiki_save(&mut ann, "one").await;
    wiki_save(&mut bob, "two").await;
    wiki_save(&mut ann, "three").await;

    // A ticket: first response after 10 min; ann writes twice (the wait starts at
    // the first), dave answers 10 min after it; ann writes, dave answers after 30
    // min and solves (first resolution: 50 min); ann reopens, dave answers after
    // 20 min and solves again (full resolution: 70 min). Next replies: 10, 30, 20.
    let t1 = ann.ok(json!({"op": "open_ticket", "subject": "s", "text": "help"})).await["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(&srv, &admin, 10 * MIN).await;
    dave.post(&t1, "hello").await;
    ann.post(&t1, "still broken").await;
    advance(&srv, &admin, 4 * MIN).await;
    ann.post(&t1, "really").await;
    advance(&srv, &admin, 6 * MIN).await;
    dave.post(&t1, "try this").await;
    ann.post(&t1, "no").await;
    advance(&srv, &admin, 30 * MIN).await;
    dave.post(&t1, "this then").await;
    change(&mut dave, &t1, json!({"status": "solved", "assignee": "dave"})).await;
    ann.post(&t1, "broken again").await;
    advance(&srv, &admin, 20 * MIN).await;
    dave.post(&t1, "fixed").await;
    change(&mut dave, &t1, json!({"status": "solved"})).await;
    // A second ticket stays new: the backlog at the end is 1.
    ann.ok(json!({"op": "open_ticket", "subject": "t2", "text": "hm"})).await;

    let k = kpis(&srv, &dave_token, "bucket=day").await;
    assert_eq!(k["next_reply_ms"]["count"], 3, "{k}");
    about(&k["next_reply_ms"]["median"], 20 * MIN);
    about(&k["next_reply_ms"]["p90"], 30 * MIN);
    about(&k["resolution_ms"]["median"], 50 * MIN);
    about(&k["full_resolution_ms"]["median"], 70 * MIN);
    assert_eq!(k["one_touch"], 0);
    let buckets = k["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 30, "every day of the period is listed");
    assert_eq!(buckets.first().unwrap()["backlog"], 0);
    assert_eq!(buckets.last().unwrap()["backlog"], 1);
    let f = &k["forum"];
    assert_eq!((f["threads"].as_u64(), f["replies"].as_u64(), f["likes"].as_u64()), (Some(2), Some(2), Some(2)), "{f}");
    assert_eq!(f["engaged_users"], 3, "ann, bob, carl");
    assert_eq!((f["dau"].as_u64(), f["mau"].as_u64()), (Some(2), Some(3)), "carl and ann on the last day");
    assert!((f["dau_mau"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(f["new_contributors"], 3);
    assert_eq!(f["time_to_first_reply_ms"]["count"], 1, "ann's own reply is not a first reply");
    about(&f["time_to_first_reply_ms"]["median"], 10 * MIN);
    assert_eq!(k["chat"], json!({"messages": 3, "active_users": 2}));
    assert_eq!(k["wiki"], json!({"edits": 3, "editors": 2}));
    let sum = |f: &str| buckets.iter().map(|b| b[f].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("forum_threads"), sum("forum_replies"), sum("chat_messages"), sum("wiki_edits")), (2, 2, 3, 3));
    assert_eq!(sum("new_contributors"), 3);

    // A replay from the log, and a restart (which rebuilds from the log), give the same figures.
    let (from, to) = (k["from"].as_u64().unwrap(), k["to"].as_u64().unwrap());
    let q = format!("bucket=week&from={from}&to={to}");
    let live = kpis(&srv, &admin, &q).await;
    assert_eq!(live, kpis(&srv, &admin, &format!("{q}&replay=true")).await);
    drop((mia, ann, bob, carl, dave));
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |c| c.test_clock = true).await;
    let admin = srv.login("admin", common::ADMIN_PASSWORD).await;
    let after = kpis(&srv, &admin, &q).await;
    assert_eq!(live["forum"], after["forum"]);
    assert_eq!(live["next_reply_ms"], after["next_reply_ms"]);
    assert_eq!(live["buckets"], after["buckets"]);
}

/// A revision of the wiki page Home, based on its latest.
async fn wiki_save(c: &mut Client, text: &str) {
    let base = c.request(json!({"op": "wiki_get", "page": "Home"})).await.ok().and_then(|v| v["rev"].as_u64());
    let mut op = json!({"op": "wiki_save", "page": "Home", "text": text, "summary": "s"});
    if let Some(b) = base {
        op["base"] = json!(b);
    }
    c.ok(op).await;
}

/// The value of the sample `series` (name and labels exactly as rendered) in a scrape of `/metrics`.
async fn gauge(srv: &TestServer, series: &str) -> f64 {
    let text = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("{series} missing from /metrics:\n{text}"));
    line[series.len()..].trim().parse().unwrap()
}

/// /metrics carries the desk's gauges, from the projections at each scrape.
#[tokio::test]
async fn metrics_expose_outstanding_tickets_csat_breaches_open_chats_and_agents_online() {
    let srv = TestServer::start_with(|c| {
        c.test_clock = true;
        c.desk.first_response_secs = [60; 4];
        c.desk.resolution_secs = [0; 4];
        c.desk.next_reply_secs = [0; 4];
    })
    .await;
    let admin = srv.admin_token().await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let mut erin = srv.connect(&srv.user_with_role("erin", "agent").await).await;
    let open = |s: &str| json!({"op": "open_ticket", "subject": s, "text": "help"});
    let t1 = ann.ok(open("one")).await["ticket"]["id"].as_str().unwrap().to_owned();
    let t2 = ann.ok(open("two")).await["ticket"]["id"].as_str().unwrap().to_owned();
    let t3 = ann.ok(open("three")).await["ticket"]["id"].as_str().unwrap().to_owned();
    change(&mut dave, &t2, json!({"priority": "high", "assignee": "dave"})).await;
    dave.post(&t1, "hi").await;
    change(&mut dave, &t1, json!({"status": "solved", "assignee": "dave"})).await;
    ann.ok(json!({"op": "rate_ticket", "stream": t1, "score": 4})).await;
    // t2 and t3 had no public reply within a minute: both breach their first response.
    advance(&srv, &admin, 2 * MIN).await;
    dave.ok(json!({"op": "set_agent_status", "status": "available"})).await;
    erin.ok(json!({"op": "set_agent_status", "status": "busy"})).await;
    erin.ok(json!({"op": "ticket_info", "stream": t2})).await;

    // The breaches are appended by the timer task: wait for both events.
    let mut watcher = srv.connect(&srv.login("dave", common::PASSWORD).await).await;
    for t in [&t2, &t3] {
        watcher.subscribe(t, Some(0), None).await.unwrap();
    }
    for _ in 0..2 {
        watcher
            .push_where(|p| {
                matches!(p, agora_protocol::Push::Event(e) if matches!(e.body, agora_protocol::EventBody::TicketSlaBreached { .. }))
            })
            .await;
    }
    change(&mut dave, &t3, json!({"status": "pending", "assignee": "dave"})).await;
    let out = |status: &str, priority: &str| {
        format!("agora_desk_tickets_outstanding{{status=\"{status}\",priority=\"{priority}\"}}")
    };
    assert_eq!(gauge(&srv, &out("open", "high")).await, 1.0);
    assert_eq!(gauge(&srv, &out("pending", "normal")).await, 1.0);
    assert_eq!(gauge(&srv, "agora_desk_sla_breached_tickets{target=\"first_response\"}").await, 2.0);
    assert_eq!(gauge(&srv, "agora_desk_open_chats{assigned=\"yes\"}").await, 1.0, "t2 (t3 is pending)");
    assert_eq!(gauge(&srv, "agora_desk_csat_score").await, 100.0);
    assert_eq!(gauge(&srv, "agora_desk_agents_online{status=\"available\"}").await, 1.0);
    assert_eq!(gauge(&srv, "agora_desk_agents_online{status=\"busy\"}").await, 1.0);
    // Gauges follow the projection: t2 is solved.
    change(&mut dave, &t2, json!({"status": "solved"})).await;
    let text = srv.http.get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains(&out("open", "high")), "{text}");
    assert_eq!(gauge(&srv, "agora_desk_open_chats{assigned=\"yes\"}").await, 0.0);
}
