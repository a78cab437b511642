//! `fanout`: publishers post to channels that many subscribers follow.
//!
//! Measures publish→ack and publish→delivery latency (the text carries the send
//! time on the shared monotonic clock), delivered messages per second, and checks
//! that every subscriber got every event of its streams exactly once, in seq order.
//! For a latency figure use a fixed `--rate` below saturation; for throughput use
//! `--rate 0` (as fast as each publisher's `--window` of unacked posts allows).

use super::{pubsub, Env};
use crate::cli::{FanoutArgs, Target};
use crate::procs::Barrier;
use crate::report::RunResult;
use crate::setup::Plan;
use anyhow::Result;

pub async fn setup(a: &FanoutArgs, env: &Env) -> Result<Plan> {
    match a.target {
        Target::Agora => pubsub::setup(&a.pubsub, env, "fanout").await,
        // Peers have no accounts or channels.
        _ => Ok(Plan::default()),
    }
}

pub async fn run_shard(
    a: &FanoutArgs,
    env: Env,
    plan: &Plan,
    shard: (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    match a.target {
        Target::Agora => pubsub::run_shard(&a.pubsub, None, "fanout", env, plan, shard, barrier).await,
        _ => super::peer::run_shard(a, env, barrier).await,
    }
}
