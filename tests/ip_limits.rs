//! Per-IP limits on logins and WebSocket handshakes.

mod common;
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn logins_over_the_per_ip_limit_get_429_with_retry_after() {
    let srv = TestServer::start_with(|c| {
        c.limits.rate.login_per_ip_burst = 3;
        c.limits.rate.login_per_ip_per_sec = 1;
    })
    .await;
    let mut statuses = Vec::new();
    let mut limited = None;
    let started = std::time::Instant::now();
    for _ in 0..10 {
        let r = srv
            .http
            .post(srv.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let retry_header = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            limited = Some((retry_header, r.json::<Value>().await.unwrap()));
        }
    }
    // The burst of 3 (plus what refilled at 1/s meanwhile) is answered; the rest is refused.
    let allowed = 3 + started.elapsed().as_secs() as usize + 1;
    let answered = statuses.iter().take_while(|s| **s == 401).count();
    assert!((3..=allowed).contains(&answered), "{statuses:?}");
    assert!(statuses[answered..].iter().all(|s| *s == 429 || *s == 401), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let (header, body) = limited.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert!(body["retry_after_ms"].as_u64().unwrap() > 0);
    assert!(header.unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test]
async fn handshakes_over_the_per_ip_limit_are_refused_with_429() {
    let srv = TestServer::start_with(|c| {
        c.limits.rate.handshake_per_ip_burst = 2;
        c.limits.rate.handshake_per_ip_per_sec = 1;
    })
    .await;
    let token = srv.admin_token().await;
    let _a = srv.connect(&token).await;
    let _b = srv.connect(&token).await;
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(srv.ws_url()).unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 429),
        Err(e) => panic!("expected HTTP 429, got {e}"),
        Ok(_) => panic!("the third handshake within the burst should be refused"),
    }
}
