//! The desk's SLAs beyond calendar time, over real sockets on the test clock (no
//! sleeps): business-hours targets across a weekend, a holiday and a DST change,
//! with policies per team and the KPIs' business-hours figures; upcoming-breach
//! warnings announced exactly once, across a restart; ticket events in the
//! notification feed (never a note for the requester); the agents' queue live.

mod common;

use agora_protocol::{EventBody, Push};
use common::{Client, TestServer, PASSWORD};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

const MIN: u64 = 60_000;
const H: u64 = 60 * MIN;

/// Friday 2027-10-29 16:00 in Berlin (CEST, UTC+2). DST ends on Sunday the 31st;
/// Monday 1 November is a holiday in the schedule below.
const FRIDAY_4PM: u64 = 1_824_818_400_000;
/// Tuesday 2027-11-02 09:00 in Berlin (CET, UTC+1).
const TUESDAY_9AM: u64 = 1_825_142_400_000;

fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn berlin_desk(c: &mut agora::config::Config, starting_at: u64) {
    c.test_clock = true;
    c.test_clock_offset_ms = starting_at - wall_ms();
    c.desk.first_response_secs = [60; 4];
    c.desk.next_reply_secs = [0; 4];
    c.desk.resolution_secs = [0; 4];
    c.desk.business_hours = Some(
        serde_json::from_value(json!({
            "time_zone": "Europe/Berlin",
            "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}],
            "holidays": ["2027-11-01"],
        }))
        .unwrap(),
    );
    // Billing: first response in two business hours, next reply in one.
    use agora_protocol::ticket::SlaTarget::{FirstResponse, NextReply};
    c.desk.policies = vec![agora::config::PolicyDef {
        team: Some("billing".into()),
        first_response_secs: 2 * 3600,
        next_reply_secs: 3600,
        business: Some(vec![FirstResponse, NextReply]),
        ..Default::default()
    }];
}

fn calendar_desk(c: &mut agora::config::Config, offset_ms: u64) {
    c.test_clock = true;
    c.test_clock_offset_ms = offset_ms;
    c.desk.first_response_secs = [3600; 4];
    c.desk.next_reply_secs = [0; 4];
    c.desk.resolution_secs = [0; 4];
    c.desk.warn_before_secs = 600;
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

async fn change(c: &mut Client, t: &str, changes: Value) -> Value {
    let v = info(c, t).await["version"].as_u64().unwrap();
    c.ok(json!({"op": "update_ticket", "stream": t, "version": v, "changes": changes})).await
}

fn of_type<'a>(history: &'a Value, ty: &str) -> Vec<&'a Value> {
    history["events"].as_array().unwrap().iter().filter(|e| e["type"] == ty).collect()
}

async fn history(c: &mut Client, stream: &str) -> Value {
    c.ok(json!({"op": "history", "stream": stream, "after": 0, "limit": 200})).await
}

#[tokio::test]
async fn a_business_hours_target_skips_the_weekend_a_holiday_and_follows_dst() {
    let srv = TestServer::start_with(|c| berlin_desk(c, FRIDAY_4PM)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let t = ann.ok(json!({"op": "open_ticket", "subject": "Invoice", "text": "wrong amount"})).await["ticket"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let created = t["created_at"].as_u64().unwrap();
    let late = created - FRIDAY_4PM;
    assert!(late < H / 2, "the clock starts at Friday 16:00 (+{late} ms)");
    assert_eq!(t["sla_due"].as_u64(), Some(created + MIN), "no team: one calendar minute");

    // Into billing: two business hours from creation. One on Friday (16:00–17:00
    // CEST), none at the weekend nor on the holiday, one from 09:00 CET on Tuesday.
    change(&mut dave, &id, json!({"team": "billing"})).await;
    let due = info(&mut dave, &id).await["sla_due"].as_u64().unwrap();
    assert_eq!(due, TUESDAY_9AM + H + late);

    // Monday (the holiday) passes without a breach; a minute past the due time, one.
    advance(&srv, due - created - 5 * MIN).await;
    assert_eq!(info(&mut dave, &id).await["breaches"], Value::Null);
    advance(&srv, 6 * MIN).await;
    assert_eq!(info(&mut dave, &id).await["breaches"], json!(["first_response"]));

    // The KPIs count the first response in business hours as well as in calendar time.
    let reply = dave.ok(json!({"op": "post", "stream": id, "text": "on it"})).await["at"].as_u64().unwrap();
    let business = (FRIDAY_4PM + H - created) + (reply - TUESDAY_9AM);
    let admin = srv.admin_token().await;
    let (status, k) = srv.http_json(srv.http.get(srv.url("/api/v1/kpis?from=0")).bearer_auth(&admin)).await;
    assert_eq!(status, 200, "{k}");
    assert_eq!(k["first_response_ms"]["median"].as_u64(), Some(reply - created), "{k}");
    assert_eq!(k["first_response_business_ms"]["median"].as_u64(), Some(business), "{k}");
    let (_, replayed) =
        srv.http_json(srv.http.get(srv.url("/api/v1/kpis?from=0&replay=true")).bearer_auth(&admin)).await;
    assert_eq!(replayed["first_response_business_ms"], k["first_response_business_ms"]);

    // Next reply: the requester writes on Tuesday at 16:30; of its business hour,
    // half runs before closing, the rest from 09:00 on Wednesday.
    let tuesday_4pm = TUESDAY_9AM + 7 * H;
    advance(&srv, tuesday_4pm + 30 * MIN - reply).await;
    let asked = ann.ok(json!({"op": "post", "stream": id, "text": "any news?"})).await["at"].as_u64().unwrap();
    assert!((tuesday_4pm + 30 * MIN..tuesday_4pm + H).contains(&asked));
    let due = info(&mut dave, &id).await["sla_due"].as_u64().unwrap();
    assert_eq!(due, TUESDAY_9AM + 24 * H + (asked - tuesday_4pm));
}

#[tokio::test]
async fn an_upcoming_breach_is_announced_once_also_across_a_restart_that_spans_it() {
    let srv = TestServer::start_with(|c| calendar_desk(c, 0)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    srv.user_with_role("dave", "agent").await;
    let t =
        ann.ok(json!({"op": "open_ticket", "subject": "Slow", "text": "pages load slowly"})).await["ticket"].clone();
    let id = t["id"].as_str().unwrap().to_owned();
    let due = t["created_at"].as_u64().unwrap() + H;
    assert_eq!(info(&mut ann, &id).await["warnings"], Value::Null);
    drop(ann);
    let dir = srv.stop().await;

    // Restarted 55 minutes "later": the warning time (10 min before due) passed while down.
    let srv = TestServer::start_in(dir, |c| calendar_desk(c, 55 * MIN)).await;
    let mut dave = srv.connect(&srv.login("dave", PASSWORD).await).await;
    dave.subscribe(&id, Some(0), None).await.unwrap();
    let ev =
        dave.push_where(|p| matches!(p, Push::Event(e) if matches!(e.body, EventBody::TicketSlaWarning { .. }))).await;
    let Push::Event(ev) = ev else { unreachable!() };
    assert_eq!(ev.author.0, "system");
    let first_response = agora_protocol::ticket::SlaTarget::FirstResponse;
    assert_eq!(ev.body, EventBody::TicketSlaWarning { target: first_response, due });
    assert_eq!(info(&mut dave, &id).await["warnings"], json!(["first_response"]));
    let dir = srv.stop().await;

    // Again, a minute later and with the clock moved on: no second warning; then the breach.
    let srv = TestServer::start_in(dir, |c| calendar_desk(c, 56 * MIN)).await;
    advance(&srv, MIN).await;
    let mut dave = srv.connect(&srv.login("dave", PASSWORD).await).await;
    assert_eq!(of_type(&history(&mut dave, &id).await, "ticket_sla_warning").len(), 1);
    advance(&srv, 5 * MIN).await;
    let h = history(&mut dave, &id).await;
    assert_eq!((of_type(&h, "ticket_sla_warning").len(), of_type(&h, "ticket_sla_breached").len()), (1, 1), "{h}");
    let esc = history(&mut dave, "ch_escalations").await;
    let texts: Vec<&str> = of_type(&esc, "message_posted").iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts.len(), 2, "{esc}");
    assert!(texts[0].starts_with("SLA warning: first response") && texts[0].contains(&id), "{texts:?}");
    assert!(texts[1].starts_with("SLA breach: first response"), "{texts:?}");

    // The warning is for staff: the requester's history skips it.
    let mut ann = srv.connect(&srv.login("ann", PASSWORD).await).await;
    let h = history(&mut ann, &id).await;
    assert!(of_type(&h, "ticket_sla_warning").is_empty(), "{h}");
    assert_eq!(of_type(&h, "ticket_sla_breached").len(), 1);
}

/// The feed items in a feed `history`: (detail, source seq).
fn items(history: &Value) -> Vec<(String, u64)> {
    of_type(history, "feed_item")
        .iter()
        .map(|e| (e["item"]["detail"].as_str().unwrap_or("").to_owned(), e["item"]["source_seq"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn ticket_events_reach_the_feed_and_a_note_never_reaches_the_requester() {
    let srv = TestServer::start_with(|c| calendar_desk(c, 0)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let mut erin = srv.connect(&srv.user_with_role("erin", "agent").await).await;
    let feed = ann.ok(json!({"op": "feed"})).await;
    ann.subscribe("nf_ann", feed["head"].as_u64(), None).await.unwrap();
    let id = ann.ok(json!({"op": "open_ticket", "subject": "Login", "text": "cannot log in"})).await["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Erin assigns it to Dave: Dave hears of it, and of the upcoming breach.
    change(&mut erin, &id, json!({"assignee": "dave"})).await;
    advance(&srv, 55 * MIN).await;
    // Dave answers (the requester hears), writes a note mentioning Erin (she hears;
    // the requester does not), then answers again.
    let reply = dave.ok(json!({"op": "post", "stream": id, "text": "try again now"})).await["seq"].as_u64().unwrap();
    let note = dave.ok(json!({"op": "add_note", "stream": id, "text": "@erin @ann is this the SSO bug?"})).await["seq"]
        .as_u64()
        .unwrap();
    let again = dave.ok(json!({"op": "post", "stream": id, "text": "fixed"})).await["seq"].as_u64().unwrap();

    // Live: the requester's feed gets the two replies and nothing in between.
    let mut live = Vec::new();
    while live.len() < 2 {
        let ev = ann.next_event().await;
        if let EventBody::FeedItem { item } = ev.body {
            assert_ne!(item.source_seq.0, note, "a note reached the requester's feed: {item:?}");
            live.push((item.detail, item.source_seq.0, item.excerpt));
        }
    }
    assert_eq!(
        live,
        vec![
            ("agent_replied".to_owned(), reply, "try again now".to_owned()),
            ("agent_replied".to_owned(), again, "fixed".to_owned())
        ]
    );
    // On read (and after a reconnect): the same two.
    let mut ann = srv.connect(&srv.login("ann", PASSWORD).await).await;
    let mine = items(&history(&mut ann, "nf_ann").await);
    assert_eq!(mine, vec![("agent_replied".to_owned(), reply), ("agent_replied".to_owned(), again)]);

    let daves = items(&history(&mut dave, "nf_dave").await);
    assert!(daves.iter().any(|(d, _)| d == "assigned"), "{daves:?}");
    assert!(daves.iter().any(|(d, _)| d == "sla_warning:first_response"), "{daves:?}");
    let erins = items(&history(&mut erin, "nf_erin").await);
    assert_eq!(erins, vec![("mentioned_in_note".to_owned(), note)]);

    // The requester's reply goes to the assignee.
    let ann_msg = ann.ok(json!({"op": "post", "stream": id, "text": "still broken"})).await["seq"].as_u64().unwrap();
    let daves = items(&history(&mut dave, "nf_dave").await);
    assert!(daves.contains(&("requester_replied".to_owned(), ann_msg)), "{daves:?}");
}

#[tokio::test]
async fn the_agents_queue_updates_live_as_tickets_change() {
    let srv = TestServer::start_with(|c| calendar_desk(c, 0)).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let mut erin = srv.connect(&srv.user_with_role("erin", "agent").await).await;
    assert_eq!(ann.request(json!({"op": "watch_queue"})).await.unwrap_err().code.as_str(), "forbidden");
    dave.ok(json!({"op": "watch_queue"})).await;

    async fn changed(c: &mut Client) -> Value {
        match c.push_where(|p| matches!(p, Push::TicketChanged { .. })).await {
            Push::TicketChanged { ticket } => serde_json::to_value(ticket).unwrap(),
            _ => unreachable!(),
        }
    }
    let id = ann.ok(json!({"op": "open_ticket", "subject": "Refund", "text": "please"})).await["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut t = changed(&mut dave).await;
    while t["head"].as_u64() < Some(2) {
        t = changed(&mut dave).await;
    }
    assert_eq!((t["id"].as_str(), t["status"].as_str()), (Some(id.as_str()), Some("new")), "{t}");

    change(&mut erin, &id, json!({"assignee": "erin", "priority": "urgent"})).await;
    let t = changed(&mut dave).await;
    assert_eq!(
        (t["assignee"].as_str(), t["priority"].as_str(), t["status"].as_str()),
        (Some("erin"), Some("urgent"), Some("open"))
    );
    // The first response ends the running target (a new `sla_due`); a message
    // alone changes no queue row: the next push is the status change.
    erin.ok(json!({"op": "post", "stream": id, "text": "looking"})).await;
    assert_eq!(changed(&mut dave).await["sla_due"], Value::Null);
    erin.ok(json!({"op": "post", "stream": id, "text": "still looking"})).await;
    change(&mut erin, &id, json!({"status": "pending"})).await;
    let t = changed(&mut dave).await;
    assert_eq!(t["status"], "pending", "{t}");
    change(&mut erin, &id, json!({"status": "open"})).await;
    assert_eq!(changed(&mut dave).await["status"], "open");
    // Next reply is not configured and the first response was given: no SLA runs. A
    // new ticket's warning and breach are pushed too.
    let other = ann.ok(json!({"op": "open_ticket", "subject": "Other", "text": "x"})).await["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(&srv, 55 * MIN).await;
    let mut t = changed(&mut dave).await;
    while t["warnings"].is_null() {
        t = changed(&mut dave).await;
    }
    assert_eq!((t["id"].as_str(), &t["warnings"]), (Some(other.as_str()), &json!(["first_response"])));
    advance(&srv, 10 * MIN).await;
    assert_eq!(changed(&mut dave).await["breaches"], json!(["first_response"]));

    // Stopped: no more pushes (the next reply is the op's own).
    dave.ok(json!({"op": "watch_queue", "stop": true})).await;
    change(&mut erin, &other, json!({"priority": "low"})).await;
    dave.ok(json!({"op": "ping"})).await;
    assert!(!dave.take_pushes().iter().any(|p| matches!(p, Push::TicketChanged { .. })));
}
