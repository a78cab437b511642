//! agora-loadtest: drives an agora server over WebSockets and reports latency,
//! throughput, memory and delivery correctness. See loadtest/README.md.
//!
//! Module map: `cli` (flags) → `setup` (users, tokens, channels over HTTP/WS) →
//! `scenarios` (connect, fanout, chat, resume, forum, desk; each split into shards) using
//! `client` (the protocol client) → `check` (exactly-once, in-order) and `stats`
//! (HdrHistogram) → `report` (human summary, `--json`). `procs` runs shards in
//! child processes; `memory` reads server RSS; `progress` draws bars; `util` has
//! the shared clock, PRNG and shard ranges.

mod check;
mod cli;
mod client;
mod memory;
mod procs;
mod progress;
mod report;
mod scenarios;
mod setup;
mod stamp;
mod stats;
mod util;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command};
use client::ConnectOpts;
use procs::Barrier;
use report::{Memory, RunResult};
use scenarios::Env;
use setup::Plan;
use std::time::Duration;

/// The scenario's name, for the last-resort error line.
fn cli_name() -> &'static str {
    Cli::try_parse().map(|c| c.cmd.name()).unwrap_or("")
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(true) => std::process::exit(0),
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("agora-loadtest {}: {e:#}", cli_name());
            std::process::exit(2);
        }
    }
}

/// Returns whether the run passed.
async fn run(cli: Cli) -> Result<bool> {
    let common = cli.cmd.common().clone();
    let nofile = util::raise_nofile_limit();
    let opts = ConnectOpts::new(&common.url, common.encoding.into(), !common.no_batch, common.op_timeout).await?;
    let env = || Env { common: common.clone(), opts: opts.clone() };

    // A child: take the parent's plan, run one shard, write the result.
    if let Some(shard) = &common.shard {
        let shard = util::parse_shard(shard)?;
        let path = common.plan_file.as_ref().context("--shard needs --plan-file")?;
        let plan: Plan = serde_json::from_slice(&std::fs::read(path)?)?;
        let result = run_shard(&cli.cmd, env(), &plan, shard, &Barrier::Child).await?;
        let out = common.shard_out.as_ref().context("--shard needs --shard-out")?;
        std::fs::write(out, serde_json::to_vec(&result)?)?;
        return Ok(true);
    }

    let per_proc = connections(&cli.cmd).div_ceil(common.procs.max(1));
    if per_proc as u64 + 64 > nofile {
        eprintln!("warning: {per_proc} connections per process but the open-files limit is {nofile}: use --procs");
    }
    let plan = setup(&cli.cmd, &env()).await?;
    // Memory per connection is `connect`'s figure (from /metrics if no --server-pid). In the
    // other scenarios the allocator reuses memory freed by setup, so the figure would be noise.
    let measure = matches!(cli.cmd, Command::Connect(_));
    let before = if measure { memory::settled_sample(&common).await } else { None };

    let (mut result, at_ready) = if common.procs > 1 {
        let ready_timeout = ready_timeout(&cli.cmd);
        procs::run_children(&common, &plan, ready_timeout, measure).await?
    } else {
        let barrier = Barrier::local(&common, measure);
        let r = run_shard(&cli.cmd, env(), &plan, (0, 1), &barrier).await?;
        (r, barrier.rss_at_ready())
    };
    // Children ran with `--procs 1`: the record shows the parent's.
    if let Some(p) = result.params.as_object_mut() {
        p.insert("procs".into(), common.procs.into());
        if !common.source_addrs.is_empty() {
            let addrs: Vec<String> = common.source_addrs.iter().map(|a| a.to_string()).collect();
            p.insert("source_addrs".into(), addrs.into());
        }
    }
    if let (Some((b, source)), Some((w, _))) = (before, at_ready) {
        let n = result.counter("connected_at_ready");
        result.memory = Some(Memory {
            source,
            rss_before_bytes: b,
            rss_with_connections_bytes: w,
            connections: n,
            bytes_per_connection: if n > 0 { (w as f64 - b as f64) / n as f64 } else { 0.0 },
        });
    } else if measure {
        eprintln!("note: no server memory figure (give --server-pid PID, or expose process_resident_memory_bytes on /metrics)");
    }
    print!("{}", result.human());
    if let Some(path) = &common.json {
        result.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(result.passed())
}

async fn setup(cmd: &Command, env: &Env) -> Result<Plan> {
    match cmd {
        Command::Connect(a) => scenarios::connect::setup(a, env).await,
        Command::Fanout(a) => scenarios::fanout::setup(a, env).await,
        Command::Chat(a) => scenarios::chat::setup(a, env).await,
        Command::Resume(a) => scenarios::resume::setup(a, env).await,
        Command::Forum(a) => scenarios::forum::setup(a, env).await,
        Command::Desk(a) => scenarios::desk::setup(a, env).await,
    }
}

async fn run_shard(
    cmd: &Command,
    env: Env,
    plan: &Plan,
    shard: (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    match cmd {
        Command::Connect(a) => scenarios::connect::run_shard(a, env, plan, shard, barrier).await,
        Command::Fanout(a) => scenarios::fanout::run_shard(a, env, plan, shard, barrier).await,
        Command::Chat(a) => scenarios::chat::run_shard(a, env, plan, shard, barrier).await,
        Command::Resume(a) => scenarios::resume::run_shard(a, env, plan, shard, barrier).await,
        Command::Forum(a) => scenarios::forum::run_shard(a, env, plan, shard, barrier).await,
        Command::Desk(a) => scenarios::desk::run_shard(a, env, plan, shard, barrier).await,
    }
}

/// Connections a run opens in total (for the open-files warning).
fn connections(cmd: &Command) -> usize {
    match cmd {
        Command::Connect(a) => a.connections,
        Command::Fanout(a) => a.subscribers + a.publishers,
        Command::Chat(a) => a.users,
        Command::Resume(a) => scenarios::resume::normalized(a).subscribers + a.pubsub.publishers,
        Command::Forum(a) => a.readers + a.writers,
        Command::Desk(a) => a.visitors + a.agents,
    }
}

/// How long children may take to open their connections.
fn ready_timeout(cmd: &Command) -> Duration {
    let c = cmd.common();
    let ramp = match cmd {
        Command::Connect(a) => Duration::from_secs_f64(a.connections as f64 / a.rate.max(0.001)),
        _ => Duration::ZERO,
    };
    ramp + c.op_timeout * 3 + Duration::from_secs(60)
}
