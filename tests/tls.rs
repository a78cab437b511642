//! TLS in the binary (README "TLS"): HTTPS login and a `wss://` session against
//! a real server with a self-signed certificate made here, and the certificate
//! swapped on reload: in process through `Control::reload_tls`, and in a child
//! process by SIGHUP.

mod common;
use common::{ADMIN_PASSWORD, WAIT};
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// A fresh self-signed certificate for `localhost`, written to `dir/name.{crt,key}`.
fn make_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf, CertificateDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (cert, key, ck.cert.der().clone())
}

/// A client that trusts exactly `roots`.
fn client(roots: &[CertificateDer<'static>]) -> tokio_rustls::TlsConnector {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        store.add(r.clone()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn connect(addr: SocketAddr, roots: &[CertificateDer<'static>]) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    client(roots).connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// The certificate the server presents now.
async fn presented(addr: SocketAddr, roots: &[CertificateDer<'static>]) -> Option<CertificateDer<'static>> {
    let tls = connect(addr, roots).await.ok()?;
    tls.get_ref().1.peer_certificates().map(|c| c[0].clone())
}

/// One HTTP/1.1 request over TLS: (status, JSON body).
async fn https(addr: SocketAddr, root: &CertificateDer<'static>, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut tls = connect(addr, std::slice::from_ref(root)).await.expect("TLS handshake");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    tokio::time::timeout(WAIT, tls.read_to_end(&mut resp)).await.expect("response in time").unwrap();
    let text = String::from_utf8(resp).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Wait until the server answers HTTPS (bounded by `WAIT`).
async fn wait_ready(addr: SocketAddr, root: &CertificateDer<'static>) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if presented(addr, std::slice::from_ref(root)).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server did not answer TLS");
}

struct TlsServer {
    addr: SocketAddr,
    control: agora::Control,
    handle: tokio::task::JoinHandle<Result<(), agora::ServerError>>,
    cert: PathBuf,
    key: PathBuf,
    first: CertificateDer<'static>,
    dir: tempfile::TempDir,
}

async fn start() -> TlsServer {
    start_with(|_| {}).await
}

async fn start_with(tweak: impl FnOnce(&mut agora::config::Config)) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, first) = make_cert(dir.path(), "server");
    let mut config = agora::config::Config {
        data: dir.path().join("data"),
        admin_password: Some(ADMIN_PASSWORD.into()),
        tls_cert: Some(cert.clone()),
        tls_key: Some(key.clone()),
        ..Default::default()
    };
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let control = agora::Control::default();
    let handle = tokio::spawn(agora::run_controlled(config, listener, control.clone()));
    wait_ready(addr, &first).await;
    TlsServer { addr, control, handle, cert, key, first, dir }
}

#[tokio::test]
async fn https_login_and_a_wss_session() {
    let srv = start().await;
    let (status, body) = https(
        srv.addr,
        &srv.first,
        "POST",
        "/api/v1/auth/login",
        &json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("a token").to_owned();

    // wss://: the WebSocket handshake and frames inside TLS.
    let tls = connect(srv.addr, std::slice::from_ref(&srv.first)).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), None, "the client offered no ALPN");
    let mut req = "wss://localhost/ws".into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    let (mut ws, resp) = tokio_tungstenite::client_async(req, tls).await.expect("wss handshake");
    assert_eq!(resp.status(), 101);
    ws.send(Message::Text(json!({"id": 1, "op": "whoami"}).to_string().into())).await.unwrap();
    let reply = loop {
        let m = tokio::time::timeout(WAIT, ws.next()).await.expect("a frame").expect("open").expect("ok");
        let Message::Text(t) = m else { continue };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["re"] == json!(1) {
            break v;
        }
    };
    assert_eq!(reply["ok"]["user"]["id"], "admin", "{reply}");
    ws.close(None).await.unwrap();

    // A client that does not trust the certificate is refused; plain HTTP gets no answer it can use.
    let (_, _, stranger) = make_cert(srv.dir.path(), "stranger");
    assert!(connect(srv.addr, &[stranger]).await.is_err());
    let plain = reqwest::Client::new().get(format!("http://{}/healthz", srv.addr)).send().await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));

    srv.control.shutdown.cancel();
    srv.handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn reload_swaps_the_certificate_for_new_connections() {
    let srv = start().await;
    let open = connect(srv.addr, std::slice::from_ref(&srv.first)).await.unwrap();
    let (cert, key, second) = make_cert(srv.dir.path(), "next");
    std::fs::copy(&cert, &srv.cert).unwrap();
    std::fs::copy(&key, &srv.key).unwrap();
    srv.control.reload_tls.notify_one();
    let both = [srv.first.clone(), second.clone()];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if presented(srv.addr, &both).await.as_ref() == Some(&second) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new certificate was not served");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Only the new one now; the connection opened before keeps working with the old one.
    assert!(presented(srv.addr, std::slice::from_ref(&srv.first)).await.is_none());
    assert_eq!(open.get_ref().1.peer_certificates().unwrap()[0], srv.first);
    let (status, _) = https(srv.addr, &second, "GET", "/healthz", "").await;
    assert_eq!(status, 200);
    srv.control.shutdown.cancel();
    srv.handle.await.unwrap().unwrap();
}

/// A client that opens TCP and never starts TLS is closed at `handshake_timeout_ms`.
#[tokio::test]
async fn a_silent_client_is_closed_at_the_handshake_deadline() {
    let srv = start_with(|c| c.limits.handshake_timeout_ms = 300).await;
    let mut silent = TcpStream::connect(srv.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(WAIT, silent.read(&mut buf)).await.expect("closed before WAIT");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    srv.control.shutdown.cancel();
    srv.handle.await.unwrap().unwrap();
}

/// The binary: `--tls-cert`/`--tls-key`, and SIGHUP reloads them.
#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_certificate_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, first) = make_cert(dir.path(), "server");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["serve", "--listen", &addr.to_string(), "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AGORA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn agora");
    let pid = child.id() as libc::pid_t;
    let result = tokio::time::timeout(WAIT * 3, async {
        wait_ready(addr, &first).await;
        let (next_cert, next_key, second) = make_cert(dir.path(), "next");
        std::fs::copy(&next_cert, &cert).unwrap();
        std::fs::copy(&next_key, &key).unwrap();
        // SAFETY: kill only sends a signal to the child we started.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
        let both = [first.clone(), second.clone()];
        loop {
            if presented(addr, &both).await.as_ref() == Some(&second) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    // SAFETY: as above; SIGTERM drains and exits.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = child.wait().unwrap();
    result.expect("the binary served the new certificate after SIGHUP");
    assert!(status.success(), "{status}");
}
