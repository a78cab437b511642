//! `resume`: a disconnect storm under a steady publish load.
//!
//! Subscribers follow channels while publishers post at `--rate`; `--storms` times
//! during the run, each subscriber is dropped with probability `--drop-fraction`
//! (TCP closed without a close frame, unless `--graceful`), waits up to
//! `--reconnect-jitter`, reconnects and resubscribes with `since` = the last seq
//! it had. The same per-stream checks run across the reconnect, so any event lost
//! or repeated by the resume is a failure. Reports reconnect-and-resume latency.

use super::pubsub::{self, Storms};
use super::Env;
use crate::cli::ResumeArgs;
use crate::procs::Barrier;
use crate::report::RunResult;
use crate::setup::Plan;
use anyhow::Result;

/// `--connections` is this scenario's name for the subscriber count.
pub fn normalized(a: &ResumeArgs) -> crate::cli::PubSubArgs {
    let mut p = a.pubsub.clone();
    if let Some(n) = a.connections {
        p.subscribers = n;
    }
    p
}

pub async fn setup(a: &ResumeArgs, env: &Env) -> Result<Plan> {
    pubsub::setup(&normalized(a), env, "resume").await
}

pub async fn run_shard(
    a: &ResumeArgs,
    env: Env,
    plan: &Plan,
    shard: (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let storms = Storms {
        count: a.storms,
        drop_fraction: a.drop_fraction.clamp(0.0, 1.0),
        jitter: a.reconnect_jitter,
        graceful: a.graceful,
    };
    pubsub::run_shard(&normalized(a), Some(storms), "resume", env, plan, shard, barrier).await
}
