//! `connect`: ramp N authenticated connections at R per second, hold them idle.
//!
//! Reports the handshake latency (TCP connect plus WebSocket upgrade, with the
//! bearer token checked by the server), the time to a subscription, failures,
//! connections the server dropped while held, and server memory per connection
//! (measured at the barrier, when all connections are open and subscribed).

use super::peer::{Got, PeerConn};
use super::Env;
use crate::cli::{ConnectArgs, Target};
use crate::client::{Client, Incoming};
use crate::procs::Barrier;
use crate::progress::TimedBar;
use crate::report::RunResult;
use crate::setup::{Plan, UserSpec};
use crate::stats::Hist;
use crate::util::{mono_ns, shard_range};
use agora_protocol::ops::SubscribeOk;
use agora_protocol::{Op, StreamId};
use anyhow::Result;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

pub async fn setup(a: &ConnectArgs, env: &Env) -> Result<Plan> {
    if a.target != Target::Agora {
        return Ok(Plan::default()); // peers have no accounts or channels
    }
    let p = &a.common.prefix;
    let streams = a.streams.max(1);
    let channels: Vec<String> = (0..streams).map(|i| format!("{p}_connect_{i}")).collect();
    let per_user = a.conns_per_user.max(1);
    let users: Vec<UserSpec> = (0..a.connections.div_ceil(per_user))
        .map(|g| {
            let mut mine: Vec<usize> = if a.subscribe {
                (g * per_user..((g + 1) * per_user).min(a.connections)).map(|j| j % streams).collect()
            } else {
                vec![]
            };
            mine.sort_unstable();
            mine.dedup();
            UserSpec { name: format!("{p}_conn_{g}"), streams: mine }
        })
        .collect();
    eprintln!("setup: {} channels, {} users", channels.len(), users.len());
    let (ids, tokens) = crate::setup::prepare(&a.common, &env.opts, &channels, &users).await?;
    Ok(Plan {
        streams: ids.into_iter().map(|s| s.0).collect(),
        publisher_tokens: vec![],
        subscriber_tokens: (0..a.connections).map(|j| tokens[j / per_user].clone()).collect(),
        flooder_tokens: vec![],
    })
}

/// How one connection's opening went.
enum Opened {
    Ok { handshake: Duration, ready: Duration },
    Failed(String),
}

/// How one held connection ended.
struct Held {
    dropped: Option<String>,
}

pub async fn run_shard(
    a: &ConnectArgs,
    env: Env,
    plan: &Plan,
    (shard, shards): (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let env = Arc::new(env);
    let c = &a.common;
    let mut result = RunResult::new(
        "connect",
        serde_json::json!({
            "url": c.url, "connections": a.connections, "rate": a.rate, "subscribe": a.subscribe,
            "streams": a.streams, "procs": c.procs, "duration_s": c.duration.as_secs_f64(),
            "encoding": format!("{:?}", c.encoding).to_lowercase(),
            "target": clap::ValueEnum::to_possible_value(&a.target).map(|v| v.get_name().to_owned()),
        }),
    );
    let range = shard_range(a.connections, shards, shard);
    let rate = (a.rate / shards as f64).max(0.001);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (opened_tx, mut opened_rx) = mpsc::unbounded_channel::<Opened>();
    let bar = TimedBar::counter(c.quiet, "connect", range.len() as u64);
    let pings = Arc::new(AtomicU64::new(0));
    let ramp_start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(range.len());
    for (n, j) in range.clone().enumerate() {
        tokio::time::sleep_until(ramp_start + Duration::from_secs_f64(n as f64 / rate)).await;
        let (env, opened_tx, mut stop_rx, pings) = (env.clone(), opened_tx.clone(), stop_rx.clone(), pings.clone());
        if a.target != Target::Agora {
            let (target, subscribe, streams) = (a.target, a.subscribe, a.streams.max(1));
            tasks.push(tokio::spawn(async move {
                let started = Instant::now();
                let opened = async {
                    let mine = [j % streams];
                    let mut conn = PeerConn::open(&env, target, None, &mine, env.source(j)).await?;
                    let handshake = started.elapsed();
                    if subscribe {
                        conn.subscribe(&mine, env.common.op_timeout).await?;
                    }
                    anyhow::Ok((conn, handshake))
                };
                let mut conn = match opened.await {
                    Ok((conn, handshake)) => {
                        let _ = opened_tx.send(Opened::Ok { handshake, ready: started.elapsed() });
                        conn
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Opened::Failed(format!("connection {j}: {e:#}")));
                        return Held { dropped: None };
                    }
                };
                drop(opened_tx);
                // Hold; the peer's own keepalives (NATS PING) are answered inside recv.
                loop {
                    tokio::select! {
                        _ = stop_rx.changed() => return Held { dropped: None },
                        g = conn.recv() => match g {
                            Ok(Got::Closed(why)) => return Held { dropped: Some(format!("connection {j}: closed by the server: {why}")) },
                            Err(e) => return Held { dropped: Some(format!("connection {j}: {e:#}")) },
                            Ok(_) => {}
                        },
                    }
                }
            }));
            continue;
        }
        let token = plan.subscriber_tokens[j].clone();
        let stream = a.subscribe.then(|| StreamId(plan.streams[j % plan.streams.len()].clone()));
        let keepalive = a.keepalive;
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let (mut client, handshake) = match Client::connect(&env.opts, &token, env.source(j)).await {
                Ok(x) => x,
                Err(e) => {
                    let _ = opened_tx.send(Opened::Failed(format!("connection {j}: {e:#}")));
                    return Held { dropped: None };
                }
            };
            if let Some(s) = stream {
                let op = Op::Subscribe { stream: s.clone(), since: None, epoch: None };
                if let Err(e) = client.call::<SubscribeOk>(op, env.common.op_timeout).await {
                    let _ = opened_tx.send(Opened::Failed(format!("connection {j}: subscribe {s}: {e:#}")));
                    return Held { dropped: None };
                }
            }
            let _ = opened_tx.send(Opened::Ok { handshake, ready: started.elapsed() });
            drop(opened_tx);
            // Hold until told to stop; answer nothing but keep the connection alive.
            let mut tick = tokio::time::interval(if keepalive.is_zero() { Duration::from_secs(3600) } else { keepalive });
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = stop_rx.changed() => { client.close().await; return Held { dropped: None }; }
                    _ = tick.tick(), if !keepalive.is_zero() => {
                        if let Err(e) = client.send(Op::Ping {}).await {
                            return Held { dropped: Some(format!("connection {j}: {e:#}")) };
                        }
                        pings.fetch_add(1, Relaxed);
                    }
                    f = client.recv() => match f {
                        Ok(Incoming::Closed(c)) => return Held { dropped: Some(format!("connection {j}: closed by the server: {c:?}")) },
                        Err(e) => return Held { dropped: Some(format!("connection {j}: {e:#}")) },
                        Ok(_) => {}
                    },
                }
            }
        }));
    }
    drop(opened_tx);
    let (mut handshake, mut ready) = (Hist::default(), Hist::default());
    let (mut ok, mut failed) = (0u64, 0u64);
    let wait_limit = tokio::time::Instant::now() + c.op_timeout * 2;
    while ok + failed < range.len() as u64 {
        match tokio::time::timeout_at(wait_limit, opened_rx.recv()).await {
            Ok(Some(Opened::Ok { handshake: h, ready: r })) => {
                ok += 1;
                handshake.record(h);
                ready.record(r);
            }
            Ok(Some(Opened::Failed(e))) => {
                failed += 1;
                result.error(e);
            }
            Ok(None) | Err(_) => break,
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    // Connections still opening when the wait ran out are failures too, not silence.
    let unfinished = range.len() as u64 - ok - failed;
    if unfinished > 0 {
        failed += unfinished;
        result.error(format!(
            "{unfinished} connections neither opened nor failed within {:?} after the ramp",
            c.op_timeout * 2
        ));
    }
    let ramp_secs = ramp_start.elapsed().as_secs_f64();
    result.count("connected", ok);
    result.count("connected_at_ready", ok);
    result.count("connect_failures", failed);
    result.count("ramp_ms", (ramp_secs * 1000.0) as u64);
    result.hists.insert("handshake".into(), handshake);
    if a.subscribe {
        result.hists.insert("connect_and_subscribe".into(), ready);
    }

    barrier.ready_then_go().await?;
    result.t_start_ns = mono_ns();
    let cpu = crate::util::CpuWindow::start(c.server_pid.filter(|_| shard == 0));
    let status = {
        let pings = pings.clone();
        Arc::new(move || format!("held={ok} pings={}", pings.load(Relaxed))) as Arc<dyn Fn() -> String + Send + Sync>
    };
    let bar = TimedBar::start(c.quiet, "hold", c.duration, status);
    // Hold, noticing early drops as they happen.
    tokio::time::sleep(c.duration).await;
    bar.finish();
    result.t_end_ns = mono_ns();
    cpu.finish(&mut result);
    let _ = stop_tx.send(true);
    let mut dropped = 0;
    for t in tasks {
        if let Ok(Held { dropped: Some(why) }) = t.await {
            dropped += 1;
            result.error(why);
        }
    }
    result.count("dropped_while_held", dropped);
    result.count("keepalive_pings", pings.load(Relaxed));
    Ok(result)
}
