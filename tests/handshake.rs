//! The HTTP/WebSocket handshake is bounded in time.

mod common;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_handshake_that_never_finishes_is_cut_off() {
    let srv = TestServer::start_with(|c| c.limits.handshake_timeout_ms = 300).await;
    let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    // Half a request head, then silence.
    s.write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(WAIT, s.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the server kept a half-sent handshake open");
    // The server is still serving others.
    let token = srv.user("ann").await;
    let mut c = srv.connect(&token).await;
    c.ok(serde_json::json!({"op": "ping"})).await;
}
