//! Log out (`POST /api/v1/auth/logout`, PROTOCOL.md §2): the token is revoked on
//! the server, every connection opened with it is closed with 4500 at once, the
//! next handshake and HTTP call with it are refused, and that survives a
//! restart. Other tokens of the same user keep working.

mod common;
use agora_protocol::codec::Encoding;
use agora_protocol::ServerFrame;
use common::*;
use serde_json::json;

async fn logout(srv: &TestServer, token: &str) -> (u16, serde_json::Value) {
    srv.http_json(srv.http.post(srv.url("/api/v1/auth/logout")).bearer_auth(token)).await
}

async fn me_status(srv: &TestServer, token: &str) -> u16 {
    srv.http_json(srv.http.get(srv.url("/api/v1/me")).bearer_auth(token)).await.0
}

/// A handshake with `token` is refused: `unauthorized`, then close 4500.
async fn refused(srv: &TestServer, token: &str) {
    let mut c = Client::connect(&srv.ws_url(), Some(token), Encoding::Json).await;
    match c.read_frame().await {
        Ok(ServerFrame::Reply { re: None, result: Err(e) }) => assert_eq!(e.code.as_str(), "unauthorized", "{e:?}"),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    assert_eq!(c.closed().await, Some(4500));
}

#[tokio::test]
async fn logging_out_closes_every_connection_of_that_token_and_only_those() {
    let srv = TestServer::start().await;
    let laptop = srv.user("ann").await;
    let phone = srv.login("ann", PASSWORD).await;
    assert_ne!(laptop, phone, "two logins give two distinct tokens");

    // The laptop token on three connections, each way of authenticating.
    let mut by_header = srv.connect(&laptop).await;
    let mut by_query = Client::connect(&format!("{}?token={laptop}", srv.ws_url()), None, Encoding::Json).await;
    let mut by_frame = Client::connect(&srv.ws_url(), None, Encoding::MsgPack).await;
    by_frame.ok(json!({"op": "auth", "token": laptop})).await;
    let mut other = srv.connect(&phone).await;
    for c in [&mut by_header, &mut by_query, &mut by_frame, &mut other] {
        c.assert_usable().await;
    }

    let (status, body) = logout(&srv, &laptop).await;
    assert_eq!(status, 200, "{body}");

    for c in [&mut by_header, &mut by_query, &mut by_frame] {
        assert_eq!(c.closed().await, Some(4500));
    }
    refused(&srv, &laptop).await;
    assert_eq!(me_status(&srv, &laptop).await, 401);
    let (status, body) = logout(&srv, &laptop).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "logging out twice");

    // The phone's session is another token: untouched.
    other.assert_usable().await;
    assert_eq!(me_status(&srv, &phone).await, 200);

    // Durable: still refused after a restart on the same data directory.
    drop(other);
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    refused(&srv, &laptop).await;
    assert_eq!(me_status(&srv, &phone).await, 200);
}

#[tokio::test]
async fn logging_out_with_an_api_token_deletes_it() {
    let srv = TestServer::start().await;
    let token = srv.bot_token("helpbot").await;
    let mut bot = srv.connect(&token).await;
    bot.assert_usable().await;

    assert_eq!(logout(&srv, &token).await.0, 200);
    assert_eq!(bot.closed().await, Some(4500));
    refused(&srv, &token).await;
    assert_eq!(me_status(&srv, &token).await, 401);
}

#[tokio::test]
async fn logout_without_a_token_is_401_json() {
    let srv = TestServer::start().await;
    let (status, body) = srv.http_json(srv.http.post(srv.url("/api/v1/auth/logout"))).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthorized", "{body}");
}
