//! Crash test: writers on streams of every kind (public channels, private
//! channels, DMs), `kill -9` of the server process at a random moment, restart
//! on the same data dir. Every acked message must be present exactly once, at
//! its acked seq, and every stream's sequence must be gapless, after each
//! restart and again after a second one at the end. Some kills land during
//! recovery (before the restarted server answers). Runs on both durable engines.
//! [`CYCLES`] cycles by default; `AGORA_CRASH_CYCLES=200` for the long offline run
//! (docs/DURABILITY.md has its figures).

mod child;
mod common;
use child::{kill_during_start, Acked, Kind, Server, Spawn, Workload};
use common::{Client, ADMIN_PASSWORD};
use std::time::Duration;

/// Kill cycles per engine in the test suite (CI); `AGORA_CRASH_CYCLES` overrides.
const CYCLES: usize = 20;
/// Writers, each posting to every stream it is a member of in turn.
const WRITERS: usize = 32;
/// 8 streams: 3 public channels, 3 private channels (all 32 writers in each) and 2 DMs of 8 writers.
const STREAMS: [Kind; 8] = [
    Kind::Channel,
    Kind::PrivateChannel,
    Kind::Dm,
    Kind::Channel,
    Kind::PrivateChannel,
    Kind::Dm,
    Kind::Channel,
    Kind::PrivateChannel,
];
/// Every tenth restart is killed again during recovery.
const KILL_DURING_RECOVERY: usize = 10;
/// The kill -9 test starts a new log segment every 64 KiB (a few hundred posts),
/// so kills land in old and new segments and around the switch between them.
const SMALL_SEGMENTS: &str = "log_segment_bytes = 65536\n";

async fn spawn_server(data: &std::path::Path) -> Server {
    spawn_server_with(data, "").await
}

/// `limits`: extra `[limits]` keys (TOML lines).
async fn spawn_server_with(data: &std::path::Path, limits: &str) -> Server {
    child::spawn_server(data, &Spawn { engine: "segment", limits, env: &[] }).await
}

async fn login(port: u16, user: &str, password: &str) -> String {
    child::login(port, user, password).await
}

async fn connect(port: u16, token: &str) -> Client {
    child::connect(port, token).await
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
    let cycles = std::env::var("AGORA_CRASH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(CYCLES);
    let seed = child::rand_u64();
    eprintln!("{engine}: kill -9 seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let how = Spawn { engine, limits: SMALL_SEGMENTS, env: &[] };
    let mut server = child::spawn_server(dir.path(), &how).await;
    let workload = Workload::create(server.port, WRITERS, &STREAMS).await;
    let acked = Acked::default();
    let (mut recovery_kills, mut during_recovery, started) = (0, 0, std::time::Instant::now());
    for cycle in 0..cycles {
        let roll = seed.rotate_left(cycle as u32) ^ (cycle as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let writers = workload.start_writers(server.port, &format!("c{cycle}"), usize::MAX, &acked).await;
        tokio::time::sleep(Duration::from_millis(200 + roll % 1200)).await;
        let started_in = server.started_in;
        server.kill();
        for w in writers {
            let _ = w.await;
        }
        if cycle % KILL_DURING_RECOVERY == KILL_DURING_RECOVERY / 2 {
            recovery_kills += 1;
            // Kill the next start somewhere inside the time the last one took to recover.
            let after = started_in.mul_f64((roll >> 8) as f64 % 1000.0 / 1000.0);
            during_recovery += usize::from(kill_during_start(dir.path(), &how, after).await);
        }
        server = child::spawn_server(dir.path(), &how).await;
        workload.verify(server.port, &acked).await;
        if (cycle + 1) % 10 == 0 {
            // Progress for long offline runs: a run cut short still says how far it got.
            let total = acked.lock().unwrap().len();
            eprintln!(
                "{engine}: {} cycles verified, {total} acked posts, {:.0} s",
                cycle + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    // A second restart: what the first recovery left must hold too.
    server.kill();
    server = child::spawn_server(dir.path(), &how).await;
    workload.verify(server.port, &acked).await;
    let total = acked.lock().unwrap().len();
    eprintln!(
        "{engine}: {total} acked posts on {} streams verified over {cycles} kill -9 cycles \
         and {recovery_kills} kills of a restart, {during_recovery} of them before it was healthy, in {:.0} s",
        STREAMS.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(total > 100 * cycles.min(20), "only {total} posts were acked: the test proved little");
    if engine == "segment" {
        let segments = std::fs::read_dir(dir.path().join("log")).unwrap().count();
        assert!(segments > 1, "the log never started a second segment ({segments}): the switch went untested");
    }
    server.kill();
}

/// All events of a stream, paging forwards.
async fn read_all(c: &mut Client, stream: &str) -> Vec<serde_json::Value> {
    child::read_all(c, stream).await
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
