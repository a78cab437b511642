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
