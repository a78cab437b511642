//! The ticket desk's timers, on the test clock (no sleeps): an SLA breach is
//! appended exactly once, also when its time passed while the server was down;
//! pending pauses the clock; a solved ticket closes by itself after its idle
//! time; the requester rates a solved ticket once, also after it closed.

mod common;

use agora_protocol::{EventBody, Push};
use common::{Client, TestServer, PASSWORD};
use serde_json::{json, Value};

const MIN: u64 = 60_000;

fn desk(c: &mut agora::config::Config, offset_ms: u64) {
    c.test_clock = true;
    c.test_clock_offset_ms = offset_ms;
    c.desk.first_response_secs = [60; 4];
    c.desk.next_reply_secs = [0; 4];
    c.desk.resolution_secs = [0; 4];
    c.desk.close_after_secs = 600;
}

async fn advance(srv: &TestServer, ms: u64) {
    let admin = srv.admin_token().await;
    let (status, body) = srv
        .http_json(srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": ms})))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn info(c: &mut Client, t: &str) -> Value {
    c.ok(json!({"op": "ticket_info", "stream": t})).await["ticket"].clone()
}

async fn change(c: &mut Client, t: &str, changes: Value) -> Result<Value, agora_protocol::ErrorBody> {
    let v = info(c, t).await["version"].as_u64().unwrap();
    c.request(json!({"op": "update_ticket", "stream": t, "version": v, "changes": changes})).await
}

fn breaches(history: &Value) -> Vec<Value> {
    history["events"].as_array().unwrap().iter().filter(|e| e["type"] == "ticket_sla_breached").cloned().collect()
}

#[tokio::test]
async fn a_breach_is_appended_once_even_when_it_fell_due_while_the_server_was_down() {
    let srv = TestServer::start_with(|c| desk(c, 0)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    srv.user_with_role("dave", "agent").await;
    let t = ann.ok(json!({"op": "open_ticket", "subject": "Down", "text": "site is down"})).await["ticket"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let created = t["created_at"].as_u64().unwrap();
    assert_eq!(t["sla_due"].as_u64(), Some(created + MIN), "{t}");
    drop(ann);
    let dir = srv.stop().await;

    // Restarted two minutes "later": the target passed while the server was down.
    let srv = TestServer::start_in(dir, |c| desk(c, 2 * MIN)).await;
    let mut dave = srv.connect(&srv.login("dave", PASSWORD).await).await;
    dave.subscribe(&id, Some(0), None).await.unwrap();
    let ev =
        dave.push_where(|p| matches!(p, Push::Event(e) if matches!(e.body, EventBody::TicketSlaBreached { .. }))).await;
    let Push::Event(ev) = ev else { unreachable!() };
    assert_eq!(ev.author.0, "system");
    assert_eq!(
        ev.body,
        EventBody::TicketSlaBreached { target: agora_protocol::ticket::SlaTarget::FirstResponse, due: created + MIN }
    );
    assert_eq!(info(&mut dave, &id).await["breaches"], json!(["first_response"]));
    let dir = srv.stop().await;

    // Again, later still, with the clock moved on: no second breach, one announcement.
    let srv = TestServer::start_in(dir, |c| desk(c, 4 * MIN)).await;
    advance(&srv, MIN).await;
    let mut dave = srv.connect(&srv.login("dave", PASSWORD).await).await;
    let h = dave.ok(json!({"op": "history", "stream": id})).await;
    assert_eq!(breaches(&h).len(), 1, "{h}");
    let esc = dave.ok(json!({"op": "history", "stream": "ch_escalations"})).await;
    let texts: Vec<&str> = esc["events"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts.len(), 1, "{esc}");
    assert!(texts[0].contains(&id) && texts[0].contains("first response"), "{texts:?}");
}

#[tokio::test]
async fn pending_pauses_the_sla_a_solved_ticket_closes_by_itself_and_is_rated_once() {
    let srv = TestServer::start_with(|c| desk(c, 0)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let open = |s: &str| json!({"op": "open_ticket", "subject": s, "text": "hello"});
    let id = ann.ok(open("Paused")).await["ticket"]["id"].as_str().unwrap().to_owned();
    change(&mut dave, &id, json!({"status": "pending"})).await.unwrap();
    assert_eq!(info(&mut dave, &id).await["sla_due"], Value::Null, "paused");
    advance(&srv, 5 * MIN).await;
    change(&mut dave, &id, json!({"status": "open"})).await.unwrap();
    advance(&srv, MIN / 2).await;
    assert_eq!(info(&mut dave, &id).await["breaches"], Value::Null, "30 s of the 60 s ran");
    advance(&srv, MIN / 2 + 5_000).await;
    assert_eq!(info(&mut dave, &id).await["breaches"], json!(["first_response"]));

    // Rating: not before solved; once; the requester only.
    let rate = |score: u8| json!({"op": "rate_ticket", "stream": id, "score": score, "comment": "ok"});
    assert_eq!(ann.request(rate(5)).await.unwrap_err().code.as_str(), "conflict");
    change(&mut dave, &id, json!({"status": "solved", "assignee": "dave"})).await.unwrap();
    assert_eq!(info(&mut ann, &id).await["survey_offered"], true);
    assert_eq!(dave.request(rate(1)).await.unwrap_err().code.as_str(), "forbidden");
    assert_eq!(ann.request(rate(9)).await.unwrap_err().code.as_str(), "bad_request");
    ann.ok(rate(4)).await;
    assert_eq!(ann.request(rate(5)).await.unwrap_err().code.as_str(), "conflict");
    assert_eq!(info(&mut ann, &id).await["rating"], 4);

    // Auto-close after the idle time (600 s); a rating is still possible afterwards on another ticket.
    let other = ann.ok(open("Later")).await["ticket"]["id"].as_str().unwrap().to_owned();
    change(&mut dave, &other, json!({"status": "solved", "assignee": "dave"})).await.unwrap();
    advance(&srv, 5 * MIN).await;
    assert_eq!(info(&mut dave, &id).await["status"], "solved", "not yet");
    advance(&srv, 6 * MIN).await;
    for t in [&id, &other] {
        let ticket = info(&mut dave, t).await;
        assert_eq!(ticket["status"], "closed", "{ticket}");
    }
    let rate_other = json!({"op": "rate_ticket", "stream": other, "score": 5});
    ann.ok(rate_other.clone()).await;
    assert_eq!(ann.request(rate_other).await.unwrap_err().code.as_str(), "conflict");
}
