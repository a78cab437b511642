//! Authentication, users and tokens, the Origin check, health and metrics (PROTOCOL.md §2).

mod common;
use agora_protocol::codec::Encoding;
use agora_protocol::ServerFrame;
use common::*;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Expect an `unauthorized` error (with `re` = `re`) and then close 4500.
async fn expect_unauthorized_then_4500(c: &mut Client, re: Option<u64>) {
    match c.read_frame().await {
        Ok(ServerFrame::Reply { re: got, result: Err(e) }) => {
            assert_eq!(e.code.as_str(), "unauthorized", "{e:?}");
            assert_eq!(got, re);
        }
        other => panic!("expected an unauthorized error, got {other:?}"),
    }
    assert_eq!(c.closed().await, Some(4500));
}

#[tokio::test]
async fn a_wrong_password_is_401_unauthorized() {
    let srv = TestServer::start().await;
    srv.user("ann").await;
    for (user, pass) in [("ann", "wrong-password"), ("nobody", PASSWORD)] {
        let (status, body) = srv
            .http_json(srv.http.post(srv.url("/api/v1/auth/login")).json(&json!({"username": user, "password": pass})))
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["code"], "unauthorized", "{body}");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn no_credentials_and_no_auth_frame_closes_with_4500_after_the_auth_timeout() {
    let srv = TestServer::start_with(|c| c.limits.auth_timeout_ms = 300).await;
    let mut c = Client::connect(&srv.ws_url(), None, Encoding::Json).await;
    expect_unauthorized_then_4500(&mut c, None).await;
}

#[tokio::test]
async fn a_bad_bearer_token_gets_unauthorized_and_close_4500() {
    let srv = TestServer::start().await;
    for token in ["not-a-token", "agb_doesnotexist", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.AAAA"] {
        let mut c = Client::connect(&srv.ws_url(), Some(token), Encoding::Json).await;
        expect_unauthorized_then_4500(&mut c, None).await;
    }
    // The same for a bad token in the query.
    let mut c = Client::connect(&format!("{}?token=garbage", srv.ws_url()), None, Encoding::Json).await;
    expect_unauthorized_then_4500(&mut c, None).await;
}

#[tokio::test]
async fn a_token_in_the_query_authenticates() {
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    let mut c = Client::connect(&format!("{}?token={t}", srv.ws_url()), None, Encoding::Json).await;
    let me = c.ok(json!({"op": "whoami"})).await;
    assert_eq!(me["user"]["id"], "ann");
}

#[tokio::test]
async fn a_first_frame_auth_authenticates_and_replies_with_the_user() {
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    let mut c = Client::connect(&srv.ws_url(), None, Encoding::Json).await;
    let ok = c.ok(json!({"op": "auth", "token": t})).await;
    assert_eq!(ok["user"]["id"], "ann");
    assert_eq!(ok["user"]["role"], "member");
    let epoch = c.epoch().await;
    assert_eq!(ok["epoch"], json!(epoch));
    // A second auth is a conflict; the connection stays.
    let e = c.request(json!({"op": "auth", "token": t})).await.unwrap_err();
    assert_eq!(e.code.as_str(), "conflict");
    c.assert_usable().await;
}

#[tokio::test]
async fn a_bad_token_in_an_auth_frame_gets_unauthorized_with_re_then_4500() {
    let srv = TestServer::start().await;
    let mut c = Client::connect(&srv.ws_url(), None, Encoding::Json).await;
    let id = c.send(json!({"op": "auth", "token": "bogus"})).await;
    expect_unauthorized_then_4500(&mut c, Some(id)).await;
}

#[tokio::test]
async fn ops_before_auth_are_refused_until_auth_succeeds() {
    let srv = TestServer::start_with(|c| c.limits.auth_timeout_ms = 5_000).await;
    let t = srv.user("ann").await;
    let mut c = Client::connect(&srv.ws_url(), None, Encoding::Json).await;
    for op in [json!({"op": "whoami"}), json!({"op": "list_streams"}), json!({"op": "ping"})] {
        let e = c.request(op.clone()).await.unwrap_err();
        assert_eq!(e.code.as_str(), "unauthorized", "{op}");
    }
    // Per PROTOCOL.md §2 the connection stays open: auth still works.
    let ok = c.ok(json!({"op": "auth", "token": t})).await;
    assert_eq!(ok["user"]["id"], "ann");
    c.assert_usable().await;
}

#[tokio::test]
async fn admins_create_users_duplicates_conflict_and_non_admins_are_forbidden() {
    let srv = TestServer::start().await;
    let admin = srv.admin_token().await;
    let create =
        |token: &str, body: serde_json::Value| srv.http.post(srv.url("/api/v1/users")).bearer_auth(token).json(&body);
    let (status, body) = srv
        .http_json(create(
            &admin,
            json!({"username": "carol", "password": PASSWORD, "display_name": "Carol C", "role": "agent"}),
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"], json!({"id": "carol", "display_name": "Carol C", "role": "agent"}));
    let (status, body) = srv.http_json(create(&admin, json!({"username": "carol", "password": PASSWORD}))).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let carol = srv.login("carol", PASSWORD).await;
    let (status, body) = srv.http_json(create(&carol, json!({"username": "dave", "password": PASSWORD}))).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = srv.http_json(create("garbage", json!({"username": "dave", "password": PASSWORD}))).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");
    let (status, body) = srv.http_json(create(&admin, json!({"username": "Bad Name!", "password": PASSWORD}))).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");
    // dave was never created.
    let (status, _) = srv
        .http_json(
            srv.http.post(srv.url("/api/v1/auth/login")).json(&json!({"username": "dave", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_bot_api_token_authenticates_a_websocket() {
    let srv = TestServer::start().await;
    let token = srv.bot_token("helpbot").await;
    assert!(token.starts_with("agb_"), "{token}");
    for mut c in [
        srv.connect(&token).await,
        Client::connect(&format!("{}?token={token}", srv.ws_url()), None, Encoding::Json).await,
    ] {
        let me = c.ok(json!({"op": "whoami"})).await;
        assert_eq!((me["user"]["id"].as_str(), me["user"]["role"].as_str()), (Some("helpbot"), Some("bot")));
    }
    let mut c = Client::connect(&srv.ws_url(), None, Encoding::Json).await;
    assert_eq!(c.ok(json!({"op": "auth", "token": token})).await["user"]["id"], "helpbot");
    // A non-admin cannot mint tokens.
    let ann = srv.user("ann").await;
    let (status, _) = srv.http_json(srv.http.post(srv.url("/api/v1/users/helpbot/tokens")).bearer_auth(&ann)).await;
    assert_eq!(status, 403);
}

async fn connect_with_origin(url: &str, token: &str, origin: &str) -> Result<(), u16> {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    req.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

#[tokio::test]
async fn a_foreign_browser_origin_is_refused_with_403_and_the_same_origin_works() {
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, "https://evil.example").await, Err(403));
    // Same host, different port is another origin.
    let other_port = format!("http://127.0.0.1:{}", srv.addr.port().wrapping_add(1));
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, &other_port).await, Err(403));
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, &format!("http://{}", srv.addr)).await, Ok(()));
    // No Origin at all (bots) is fine.
    srv.connect(&t).await.assert_usable().await;
}

#[tokio::test]
async fn configured_allowed_origins_replace_the_same_origin_default() {
    let srv = TestServer::start_with(|c| c.allowed_origins = vec!["https://chat.example.com".into()]).await;
    let t = srv.user("ann").await;
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, "https://chat.example.com").await, Ok(()));
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, "https://evil.example").await, Err(403));
    assert_eq!(connect_with_origin(&srv.ws_url(), &t, &format!("http://{}", srv.addr)).await, Err(403));
}

#[tokio::test]
async fn healthz_is_ok_and_metrics_expose_connections_and_appends() {
    let srv = TestServer::start().await;
    let (status, body) = srv.http_json(srv.http.get(srv.url("/healthz"))).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let t = srv.user("ann").await;
    let mut c = srv.connect(&t).await;
    let ch = c.create_channel("metrics").await;
    c.post(&ch, "count me").await;
    let r = srv.http.get(srv.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| {
                // Counters carry the OpenMetrics `_total` suffix.
                let rest = l.strip_prefix(name).map(|r| r.strip_prefix("_total").unwrap_or(r));
                rest.is_some_and(|r| r.starts_with([' ', '{']))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
    };
    assert!(value("agora_connections") >= 1.0);
    assert!(value("agora_events_appended") >= 2.0, "create + post at least");
    drop(c);
    let _ = Message::Close(None);
}

/// PROTOCOL.md §2: a bad header token is not refused with HTTP 401: the upgrade
/// succeeds (101), then an `unauthorized` error frame without `re`, then 4500.
/// `Bearer` with no token is a bad token; another scheme (a proxy's `Basic`) is
/// ignored, and the connection waits for an `auth` frame.
#[tokio::test]
async fn header_tokens_bad_empty_or_of_another_scheme() {
    use common::raw::{Ending, RawWs};
    let srv = TestServer::start().await;
    let t = srv.user("ann").await;
    for header in ["Authorization: Bearer garbage\r\n", "Authorization: Bearer\r\n", "Authorization: bearer   \r\n"] {
        let (mut ws, head) = RawWs::handshake(srv.addr, "", header).await;
        assert!(head.starts_with("HTTP/1.1 101"), "{header:?}: {head}");
        let e = ws.read_json().await;
        assert_eq!((e["re"].clone(), e["error"]["code"].clone()), (json!(null), json!("unauthorized")), "{header:?}");
        assert_eq!(ws.ending().await, Ending::Closed(4500), "{header:?}");
    }
    let (mut ws, head) = RawWs::handshake(srv.addr, "", "Authorization: Basic YW5uOnB3\r\n").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    ws.send_text(&json!({"id": 1, "op": "auth", "token": t}).to_string()).await;
    let ok = ws.read_json().await;
    assert_eq!(ok["ok"]["user"]["id"], json!("ann"), "{ok}");
}

/// PROTOCOL.md §1 and §2: session tokens, API tokens and the epoch survive a
/// restart (the signing secret and the epoch are stored with the data).
#[tokio::test]
async fn tokens_and_the_epoch_survive_a_restart() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let admin = srv.admin_token().await;
    srv.user_with_role("helper", "bot").await;
    let (status, body) = srv.http_json(srv.http.post(srv.url("/api/v1/users/helper/tokens")).bearer_auth(&admin)).await;
    assert_eq!(status, 201, "{body}");
    let api_t = body["token"].as_str().unwrap().to_owned();
    let epoch = srv.connect(&ann_t).await.epoch().await;
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let mut ann = srv.connect(&ann_t).await;
    assert_eq!(ann.epoch().await, epoch);
    let me = ann.ok(json!({"op": "whoami"})).await;
    assert_eq!(me["user"]["id"], json!("ann"));
    let mut bot = srv.connect(&api_t).await;
    assert_eq!(bot.ok(json!({"op": "whoami"})).await["user"]["id"], json!("helper"));
}
