//! The test clock (`test_clock` in the config): an admin moves the server's
//! clock forward over HTTP, and event times follow it. Without `test_clock`
//! the path does not exist; a member may not move it.

mod common;
use common::*;
use serde_json::json;

const HOUR_MS: u64 = 3_600_000;

async fn advance(srv: &TestServer, token: &str, ms: u64) -> (u16, serde_json::Value) {
    srv.http_json(srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(token).json(&json!({"advance_ms": ms})))
        .await
}

#[tokio::test]
async fn an_admin_moves_the_test_clock_and_event_times_follow() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let ann = srv.user("ann").await;
    let mut c = srv.connect(&ann).await;
    let stream = c.create_channel("clock").await;
    let before = c.ok(json!({"op": "post", "stream": stream, "text": "before"})).await["at"].as_u64().unwrap();

    let (status, body) = advance(&srv, &ann, HOUR_MS).await;
    assert_eq!(status, 403, "a member may not move the clock: {body}");
    let (status, body) = advance(&srv, &admin, 2 * HOUR_MS).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["now"].as_u64().unwrap() >= before + 2 * HOUR_MS, "{body}");

    let after = c.ok(json!({"op": "post", "stream": stream, "text": "after"})).await["at"].as_u64().unwrap();
    assert!(after >= before + 2 * HOUR_MS, "the event's time follows the clock: {before} → {after}");
}

#[tokio::test]
async fn without_test_clock_the_path_does_not_exist() {
    let srv = TestServer::start().await;
    let admin = srv.admin_token().await;
    let (status, body) = advance(&srv, &admin, HOUR_MS).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "not_found", "{body}");
}
