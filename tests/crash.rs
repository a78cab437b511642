//! Crash test: concurrent writers, `kill -9` of the server process at a random
//! moment, restart on the same data dir. Every acked message must be present
//! exactly once, at its acked seq, and every stream's sequence must be gapless.
//! Several cycles on the same data dir, so recovery after recovery is covered.
//! The kill -9 test runs on both durable engines (segment and sled).

mod common;
use agora_protocol::codec::Encoding;
use common::{Client, ADMIN_PASSWORD, PASSWORD};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CYCLES: usize = 5;
const WRITERS: usize = 4;
/// The kill -9 test starts a new log segment every 64 KiB (a few hundred posts),
/// so kills land in old and new segments and around the switch between them.
const SMALL_SEGMENTS: &str = "log_segment_bytes = 65536\n";

struct Server {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn spawn_server(data: &std::path::Path) -> Server {
    spawn_server_with(data, "").await
}

/// `limits`: extra `[limits]` keys (TOML lines).
async fn spawn_server_with(data: &std::path::Path, limits: &str) -> Server {
    spawn_server_on("segment", data, limits).await
}

/// A server on `engine` (`AGORA_ENGINE`).
// The child is returned inside `Server`; every test kills and waits for it.
#[allow(clippy::zombie_processes)]
async fn spawn_server_on(engine: &str, data: &std::path::Path, limits: &str) -> Server {
    let port = free_port();
    // Writers post as fast as acks come, and `verify` pages through everything they
    // stored: lift the per-user post and read limits.
    let config = data.with_extension("toml");
    let rates = "post_per_sec = 100000\npost_burst = 100000\nread_per_sec = 100000\nread_burst = 100000\n";
    std::fs::write(&config, format!("[limits]\n{limits}[limits.rate]\n{rates}")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data)
        .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AGORA_ENGINE", engine)
        .env("AGORA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn agora");
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
            if r.status().is_success() {
                return Server { child, port };
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not start");
}

async fn login(port: u16, user: &str, password: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn connect(port: u16, token: &str) -> Client {
    Client::connect(&format!("ws://127.0.0.1:{port}/ws"), Some(token), Encoding::Json).await
}

/// All events of a stream, paging forwards.
async fn read_all(c: &mut Client, stream: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0u64;
    loop {
        let h = c.ok(json!({"op": "history", "stream": stream, "after": after, "limit": 200})).await;
        let events = h["events"].as_array().unwrap().clone();
        if let Some(last) = events.last() {
            after = last["seq"].as_u64().unwrap();
        }
        out.extend(events);
        if !h["more"].as_bool().unwrap() {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_survive_kill_9_exactly_once_and_gapless() {
    kill_9_cycles("segment").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_survive_kill_9_exactly_once_and_gapless_on_the_sled_engine() {
    kill_9_cycles("sled").await;
}

/// Writers post while the server on `engine` is killed with SIGKILL, [`CYCLES`] times.
async fn kill_9_cycles(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_server_on(engine, dir.path(), SMALL_SEGMENTS).await;
    // Setup: writers, and two streams they all post to.
    let admin = login(server.port, "admin", ADMIN_PASSWORD).await;
    let http = reqwest::Client::new();
    for w in 0..WRITERS {
        let r = http
            .post(format!("http://127.0.0.1:{}/api/v1/users", server.port))
            .bearer_auth(&admin)
            .json(&json!({"username": format!("writer{w}"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let mut adm = connect(server.port, &admin).await;
    let mut streams = Vec::new();
    for name in ["crash-a", "crash-b"] {
        let members: Vec<String> = (0..WRITERS).map(|w| format!("writer{w}")).collect();
        let id = adm.ok(json!({"op": "create_channel", "name": name, "members": members})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        streams.push(id);
    }
    drop(adm);

    // (stream, seq) → text, for every acked post across all cycles.
    let acked: Arc<Mutex<HashMap<(String, u64), String>>> = Arc::default();
    for cycle in 0..CYCLES {
        let port = server.port;
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let token = login(port, &format!("writer{w}"), PASSWORD).await;
            let (acked, streams) = (acked.clone(), streams.clone());
            writers.push(tokio::spawn(async move {
                let mut c = connect(port, &token).await;
                for n in 0.. {
                    let stream = &streams[n % streams.len()];
                    let text = format!("c{cycle}-w{w}-n{n}");
                    let id = c.send(json!({"op": "post", "stream": stream, "text": text, "idem": text})).await;
                    let reply = match tokio::time::timeout(Duration::from_secs(5), c.wait_reply_or_closed(id)).await {
                        Ok(Some(r)) => r,
                        _ => return, // the server died under us
                    };
                    if let Ok(ok) = reply {
                        acked.lock().unwrap().insert((stream.clone(), ok["seq"].as_u64().unwrap()), text);
                    }
                }
            }));
        }
        let millis = 200 + (rand_u64() % 1200);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        server.child.kill().expect("kill -9");
        server.child.wait().unwrap();
        for w in writers {
            let _ = w.await;
        }
        server = spawn_server_on(engine, dir.path(), SMALL_SEGMENTS).await;
        let snapshot = acked.lock().unwrap().clone();
        verify(server.port, &streams, &snapshot).await;
    }
    let total = acked.lock().unwrap().len();
    eprintln!("{engine}: {total} acked posts verified over {CYCLES} kill -9 cycles");
    assert!(total > 100, "only {total} posts were acked: the test proved little");
    if engine == "segment" {
        let segments = std::fs::read_dir(dir.path().join("log")).unwrap().count();
        assert!(segments > 1, "the log never started a second segment ({segments}): the switch went untested");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

async fn verify(port: u16, streams: &[String], acked: &HashMap<(String, u64), String>) {
    let token = login(port, "writer0", PASSWORD).await;
    let mut c = connect(port, &token).await;
    for stream in streams {
        let events = read_all(&mut c, stream).await;
        let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gapless sequence in {stream}");
        let mut seen = HashSet::new();
        for e in &events {
            if let Some(text) = e["text"].as_str() {
                assert!(seen.insert(text.to_owned()), "message {text} stored twice");
            }
        }
        for ((s, seq), text) in acked.iter().filter(|((s, _), _)| s == stream) {
            let e = &events.get((*seq - 1) as usize).unwrap_or_else(|| panic!("acked {s}#{seq} missing"));
            assert_eq!(e["text"].as_str(), Some(text.as_str()), "acked {s}#{seq}");
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    h.finish()
}

/// Send SIGTERM to the server.
fn sigterm(server: &Server) {
    // SAFETY: plain kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) }, 0);
}

/// Wait (bounded) until `/healthz` answers 503: the signal is handled asynchronously.
async fn wait_until_draining(server: &Server) {
    let http = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{}/healthz", server.port);
    let mut status = 200;
    for _ in 0..200 {
        status = http.get(&health).send().await.unwrap().status().as_u16();
        if status == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status, 503, "/healthz answers 503 while draining");
}

/// Wait for the server to exit and require a clean exit.
async fn exits_cleanly(mut server: Server) {
    let status = tokio::task::spawn_blocking(move || server.child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "exit status after the drain: {status:?}");
}

/// Restart on `dir` and return the last seq stored in `stream`.
async fn last_seq_after_restart(dir: &std::path::Path, stream: &str) -> Option<u64> {
    let mut server = spawn_server(dir).await;
    let token = login(server.port, "admin", ADMIN_PASSWORD).await;
    let mut c = connect(server.port, &token).await;
    let events = read_all(&mut c, stream).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    events.last().and_then(|e| e["seq"].as_u64())
}

#[tokio::test]
async fn sigterm_drains_closes_sockets_with_1001_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_server(dir.path()).await;
    let token = login(server.port, "admin", ADMIN_PASSWORD).await;
    let mut c = connect(server.port, &token).await;
    let ch = c.create_channel("drain").await;
    let seq = c.post(&ch, "before the drain").await;
    sigterm(&server);
    assert_eq!(c.closed().await, Some(1001), "clients are told to go away");
    exits_cleanly(server).await;
    // And what was acked is there after a restart.
    assert_eq!(last_seq_after_restart(dir.path(), &ch).await, Some(seq));
}

#[tokio::test]
async fn during_the_drain_grace_health_is_503_new_sockets_are_refused_and_open_ones_still_work() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_server_with(dir.path(), "drain_grace_ms = 4000\n").await;
    let token = login(server.port, "admin", ADMIN_PASSWORD).await;
    let mut c = connect(server.port, &token).await;
    let ch = c.create_channel("grace").await;
    let health = format!("http://127.0.0.1:{}/healthz", server.port);
    assert_eq!(reqwest::get(&health).await.unwrap().status(), 200);
    sigterm(&server);
    wait_until_draining(&server).await;
    // New WebSockets are refused...
    let mut req = format!("ws://127.0.0.1:{}/ws", server.port).into_client_request().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("a new WebSocket during the drain: {:?}", other.map(|_| "upgraded")),
    }
    // ...while the open one still works, until the grace ends with 1001.
    let seq = c.post(&ch, "during the grace").await;
    assert_eq!(c.closed().await, Some(1001));
    exits_cleanly(server).await;
    assert_eq!(last_seq_after_restart(dir.path(), &ch).await, Some(seq), "the post made during the grace is durable");
}

#[tokio::test]
async fn a_second_sigterm_cuts_the_drain_grace_short() {
    let dir = tempfile::tempdir().unwrap();
    // Ten minutes of grace: only the second signal can end this test in time.
    let server = spawn_server_with(dir.path(), "drain_grace_ms = 600000\n").await;
    let token = login(server.port, "admin", ADMIN_PASSWORD).await;
    let mut c = connect(server.port, &token).await;
    sigterm(&server);
    wait_until_draining(&server).await;
    c.assert_usable().await;
    sigterm(&server);
    assert_eq!(c.closed().await, Some(1001));
    exits_cleanly(server).await;
}
