//! Kill at every step of a group commit (docs/DURABILITY.md): for each failpoint
//! of `agora::failpoint::ALL` and each durable engine that reaches it, a child
//! server runs writers over a channel, a private channel and a DM until the
//! failpoint kills it with SIGKILL; a restart must hold every acked post exactly
//! once, at its acked seq, gapless, and take the next post at the next seq.
//!
//! Needs the `failpoints` feature (README's test command turns it on):
//! `cargo test --features failpoints --test failpoints`.
#![cfg(feature = "failpoints")]

mod child;
mod common;

use agora::failpoint;
use child::{Acked, Kind, Spawn, Workload};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

/// Small segments (rolls every few dozen commits) and frequent snapshots, so the
/// rarer steps (segment rolled, checkpoint written, snapshot written) are reached.
const LIMITS: &str = "log_segment_bytes = 8192\nsnapshot_every = 25\n";
const WRITERS: usize = 4;
/// Posts per writer at most: far more than any failpoint needs to fire.
const MAX_POSTS: usize = 300;
/// Steps reached at every commit with events: the kill comes after 5 to 35 of them.
const PER_COMMIT: &[&str] = &[
    failpoint::BATCH_BUILT,
    failpoint::SEGMENT_WRITTEN,
    failpoint::SEGMENT_FSYNCED,
    failpoint::SEGMENT_INDEXED,
    failpoint::SLED_WRITTEN,
    failpoint::SLED_FSYNCED,
    failpoint::ACKED,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_at_any_step_of_a_group_commit_loses_no_acked_post_on_the_segment_engine() {
    every_step("segment").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_at_any_step_of_a_group_commit_loses_no_acked_post_on_the_sled_engine() {
    every_step("sled").await;
}

async fn every_step(engine: &str) {
    let seed = std::env::var("AGORA_FAILPOINT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(child::rand_u64);
    eprintln!("{engine}: failpoint seed {seed} (AGORA_FAILPOINT_SEED replays it)");
    let mut total = 0;
    for (i, (point, engines)) in failpoint::ALL.iter().enumerate() {
        if !engines.contains(&engine) {
            continue;
        }
        let roll = seed.rotate_left(i as u32 * 7) % 31;
        let skip = if PER_COMMIT.contains(point) { 5 + roll } else { 1 + roll % 3 };
        total += kill_at(engine, point, skip).await;
    }
    assert!(total > 100, "{engine}: only {total} posts were acked over all failpoints: the test proved little");
}

/// Run writers until `point` has been passed `skip` times and kills the server
/// at the next; restart and verify. Returns how many posts were acked.
async fn kill_at(engine: &str, point: &str, skip: u64) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let plain = Spawn { engine, limits: LIMITS, env: &[] };
    let server = child::spawn_server(dir.path(), &plain).await;
    let workload = Workload::create(server.port, WRITERS, &[Kind::Channel, Kind::PrivateChannel, Kind::Dm]).await;
    server.kill();

    let actions = format!("{point}={skip}*off->return");
    let env = [("FAILPOINTS", actions.as_str())];
    let armed = Spawn { env: &env, ..plain.clone() };
    let acked = Acked::default();
    let status = match child::try_spawn_server(dir.path(), &armed).await {
        // Killed during start-up: nothing new was acked; recovery must still hold.
        Err(status) => status,
        Ok(mut server) => {
            for w in workload.start_writers(server.port, "fp", MAX_POSTS, &acked).await {
                let _ = w.await;
            }
            // Every writer stopped: the server died, or the failpoint was never reached.
            let mut status = None;
            for _ in 0..400 {
                status = server.child.try_wait().unwrap();
                if status.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            match status {
                Some(s) => s,
                None => {
                    server.kill();
                    panic!("{engine}: failpoint {point} was not reached {} times", skip + 1);
                }
            }
        }
    };
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{engine}: {point} ended the server with {status}");

    let server = child::spawn_server(dir.path(), &plain).await;
    workload.verify(server.port, &acked).await;
    server.kill();
    let n = acked.lock().unwrap().len();
    eprintln!("{engine}: killed at {point} after {skip} passes; {n} acked posts present once, in order, gapless");
    n
}
