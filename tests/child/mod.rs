//! Test support for crash tests: the `agora` binary as a child process that a
//! test kills (or that kills itself at a failpoint), a writer workload over
//! streams of mixed kinds that records every acked post, and the check that
//! every acked post is present exactly once, at its acked seq, gapless.
//! Used by tests/crash.rs and tests/failpoints.rs; in-process servers are `common`.
#![allow(dead_code)]

use crate::common::{Client, ADMIN_PASSWORD, PASSWORD};
use agora_protocol::codec::Encoding;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub port: u16,
    /// From the spawn to the first healthy `/healthz`: about how long recovery took.
    pub started_in: Duration,
}

impl Server {
    /// SIGKILL the child and reap it.
    pub fn kill(self) {}
}

impl Drop for Server {
    /// A test that panics must not leave its server running (it holds the test's stderr open).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// How to start a child server.
#[derive(Clone, Default)]
pub struct Spawn<'a> {
    /// `AGORA_ENGINE` (default: segment).
    pub engine: &'a str,
    /// Extra `[limits]` keys (TOML lines).
    pub limits: &'a str,
    /// Extra environment (`FAILPOINTS`).
    pub env: &'a [(&'a str, &'a str)],
}

/// A server on `data`, healthy; panics if it does not start.
pub async fn spawn_server(data: &std::path::Path, how: &Spawn<'_>) -> Server {
    match try_spawn_server(data, how).await {
        Ok(s) => s,
        Err(status) => panic!("server exited before it was healthy: {status}"),
    }
}

/// A server on `data`, once `/healthz` answers; `Err` with its exit status if it
/// died first (killed by a failpoint during recovery, say).
// The child is returned inside `Server`; every caller kills and waits for it.
#[allow(clippy::zombie_processes)]
pub async fn try_spawn_server(data: &std::path::Path, how: &Spawn<'_>) -> Result<Server, ExitStatus> {
    let port = free_port();
    // Writers post as fast as acks come, `verify` pages through everything they
    // stored, and a workload logs in 32 writers at once: lift the per-user post and
    // read limits and the per-address login limit.
    let config = data.with_extension("toml");
    let rates = "post_per_sec = 100000\npost_burst = 100000\nread_per_sec = 100000\nread_burst = 100000\n\
                 login_per_ip_per_sec = 100000\nlogin_per_ip_burst = 100000\n";
    std::fs::write(&config, format!("[limits]\n{}[limits.rate]\n{rates}", how.limits)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data)
        .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AGORA_ENGINE", if how.engine.is_empty() { "segment" } else { how.engine })
        .env("AGORA_LOG", "error")
        .envs(how.env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn agora");
    let http = reqwest::Client::new();
    let spawned = std::time::Instant::now();
    for _ in 0..800 {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(status);
        }
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(Server { child, port, started_in: spawned.elapsed() });
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start within 20 s");
}

/// Start a server on `data` and SIGKILL it after `after`, during its recovery if
/// that has not finished by then. Returns whether it was still starting (its
/// `/healthz` not answering 200) when killed.
// The child is killed and reaped here.
#[allow(clippy::zombie_processes)]
pub async fn kill_during_start(data: &std::path::Path, how: &Spawn<'_>, after: Duration) -> bool {
    let config = data.with_extension("toml");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--config"])
        .arg(&config)
        .arg("--data")
        .arg(data)
        .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AGORA_ENGINE", if how.engine.is_empty() { "segment" } else { how.engine })
        .env("AGORA_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn agora");
    tokio::time::sleep(after).await;
    // The port is bound before recovery and served after it: a probe that gets no
    // answer at once means recovery is still running (the probe only delays the kill 10 ms).
    let probe =
        reqwest::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).timeout(Duration::from_millis(10));
    let starting = !probe.send().await.is_ok_and(|r| r.status().is_success());
    let _ = child.kill();
    let _ = child.wait();
    starting
}

pub async fn login(port: u16, user: &str, password: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

pub async fn connect(port: u16, token: &str) -> Client {
    Client::connect(&format!("ws://127.0.0.1:{port}/ws"), Some(token), Encoding::Json).await
}

/// All events of a stream, paging forwards.
pub async fn read_all(c: &mut Client, stream: &str) -> Vec<Value> {
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

/// The kinds of stream a workload writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    PrivateChannel,
    /// A group DM of up to 9 writers (the DM limit).
    Dm,
}

/// Writers (`writer0`, `writer1`, ...) and the streams they post to.
#[derive(Clone, Debug)]
pub struct Workload {
    pub writers: usize,
    /// Each stream's id and the writers that are its members.
    pub streams: Vec<(String, Vec<usize>)>,
    /// Each writer's session token (tokens survive restarts: one login each).
    pub tokens: Vec<String>,
}

/// (stream, seq) → text, for every acked post.
pub type Acked = Arc<Mutex<HashMap<(String, u64), String>>>;

impl Workload {
    /// Create `writers` users and one stream per entry of `kinds`. Channels (public or
    /// private) have every writer as a member; the n-th DM has 8 writers from `8 n` on
    /// (wrapping), so each DM has its own set.
    pub async fn create(port: u16, writers: usize, kinds: &[Kind]) -> Workload {
        let admin = login(port, "admin", ADMIN_PASSWORD).await;
        let http = reqwest::Client::new();
        for w in 0..writers {
            let r = http
                .post(format!("http://127.0.0.1:{port}/api/v1/users"))
                .bearer_auth(&admin)
                .json(&json!({"username": format!("writer{w}"), "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let mut tokens = Vec::with_capacity(writers);
        for w in 0..writers {
            tokens.push(login(port, &format!("writer{w}"), PASSWORD).await);
        }
        let mut adm = connect(port, &admin).await;
        let everyone: Vec<usize> = (0..writers).collect();
        let mut streams = Vec::new();
        let mut dms = 0;
        for (i, kind) in kinds.iter().enumerate() {
            let names = |ws: &[usize]| ws.iter().map(|w| format!("writer{w}")).collect::<Vec<_>>();
            let (id, members) = match kind {
                Kind::Channel | Kind::PrivateChannel => {
                    let private = *kind == Kind::PrivateChannel;
                    let op = json!({"op": "create_channel", "name": format!("load-{i}"), "private": private,
                                    "members": names(&everyone)});
                    (adm.ok(op).await["id"].as_str().unwrap().to_owned(), everyone.clone())
                }
                Kind::Dm => {
                    let members: Vec<usize> = (0..writers.min(8)).map(|k| (8 * dms + k) % writers).collect();
                    dms += 1;
                    // The first member opens it: a DM has its opener as a member.
                    let mut c = connect(port, &tokens[members[0]]).await;
                    let id = c.ok(json!({"op": "open_dm", "users": names(&members[1..])})).await["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    (id, members)
                }
            };
            streams.push((id, members));
        }
        Workload { writers, streams, tokens }
    }

    /// The streams writer `w` may post to.
    pub fn streams_of(&self, w: usize) -> Vec<String> {
        self.streams.iter().filter(|(_, m)| m.contains(&w)).map(|(s, _)| s.clone()).collect()
    }

    /// Start every writer: each connects, then posts to its streams in turn (at
    /// most `max_posts` posts) until the server goes away, recording acked posts
    /// in `acked`. `tag` makes this round's texts unique.
    pub async fn start_writers(
        &self,
        port: u16,
        tag: &str,
        max_posts: usize,
        acked: &Acked,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut out = Vec::new();
        for w in 0..self.writers {
            let streams = self.streams_of(w);
            if streams.is_empty() {
                continue;
            }
            let (acked, tag, token) = (acked.clone(), tag.to_owned(), self.tokens[w].clone());
            out.push(tokio::spawn(async move {
                // `None`: the server died before this writer got in.
                let Some(mut c) = Client::try_connect(&format!("ws://127.0.0.1:{port}/ws"), &token).await else {
                    return;
                };
                for n in 0..max_posts {
                    let stream = &streams[n % streams.len()];
                    let text = format!("{tag}-w{w}-n{n}");
                    let Some(id) =
                        c.try_send(json!({"op": "post", "stream": stream, "text": text, "idem": text})).await
                    else {
                        return;
                    };
                    let reply = match tokio::time::timeout(Duration::from_secs(10), c.wait_reply_or_closed(id)).await {
                        Ok(Some(r)) => r,
                        _ => return, // the server died under us
                    };
                    if let Ok(ok) = reply {
                        acked.lock().unwrap().insert((stream.clone(), ok["seq"].as_u64().unwrap()), text);
                    }
                }
            }));
        }
        out
    }

    /// Every stream: gapless from 1, no text twice, every acked post at its acked seq.
    /// Then one more post per stream must take the next seq (the log is appendable).
    pub async fn verify(&self, port: u16, acked: &Acked) {
        let acked = acked.lock().unwrap().clone();
        for (stream, members) in &self.streams {
            let mut c = connect(port, &self.tokens[members[0]]).await;
            let events = read_all(&mut c, stream).await;
            let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
            assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "gapless sequence in {stream}");
            let mut seen = HashSet::new();
            for e in &events {
                if let Some(text) = e["text"].as_str() {
                    assert!(seen.insert(text.to_owned()), "message {text} stored twice in {stream}");
                }
            }
            for ((s, seq), text) in acked.iter().filter(|((s, _), _)| s == stream) {
                let e = events.get((*seq - 1) as usize).unwrap_or_else(|| panic!("acked {s}#{seq} missing"));
                assert_eq!(e["text"].as_str(), Some(text.as_str()), "acked {s}#{seq}");
            }
            let next = c.post(stream, &format!("after the restart at {}", seqs.len())).await;
            assert_eq!(next, seqs.len() as u64 + 1, "the next post in {stream} follows the recovered head");
        }
    }
}

/// A seed from the clock, printed by the caller so a failure can be replayed.
pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    h.finish()
}
