//! `chat`: a realistic mix. Each user (one account, one connection) follows a few
//! channels and, after a random pause (exponential, mean `--think`), does one of:
//! post (30%), typing (20%), read history (20%), set presence (10%), mark read (8%),
//! list streams (5%), ping (5%), or drop the connection and resume (2%).
//!
//! Reports latency per op (request→reply), post→delivery latency, pushes received,
//! reconnect-and-resume latency, and the same exactly-once, in-order checks as
//! `fanout` over every followed channel, across reconnects.

use super::Env;
use crate::check::StreamCheck;
use crate::cli::ChatArgs;
use crate::client::{Client, Incoming};
use crate::procs::Barrier;
use crate::progress::TimedBar;
use crate::report::RunResult;
use crate::setup::{Plan, UserSpec};
use crate::stamp::Stamp;
use crate::util::{mono_ns, shard_range, Rng};
use agora_protocol::ops::{PresenceStatus, StreamInfoOk, SubscribeOk};
use agora_protocol::{ErrorCode, Op, Push, Seq, StreamId};
use anyhow::{anyhow, Result};
use futures_util::stream::{self, StreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn stream_count(a: &ChatArgs) -> usize {
    if a.streams > 0 {
        a.streams
    } else {
        a.users.div_ceil(20).max(1)
    }
}

/// The channels (by index) user `u` follows.
fn user_streams(a: &ChatArgs, u: usize) -> Vec<usize> {
    let s = stream_count(a);
    let mut v: Vec<usize> = (0..a.channels_per_user.clamp(1, s)).map(|k| (u + k * 7) % s).collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub async fn setup(a: &ChatArgs, env: &Env) -> Result<Plan> {
    let p = &a.common.prefix;
    let channels: Vec<String> = (0..stream_count(a)).map(|i| format!("{p}_chat_{i}")).collect();
    let users: Vec<UserSpec> =
        (0..a.users).map(|u| UserSpec { name: format!("{p}_chat_{u}"), streams: user_streams(a, u) }).collect();
    eprintln!("setup: {} channels, {} users", channels.len(), users.len());
    let (ids, tokens) = crate::setup::prepare(&a.common, &env.opts, &channels, &users).await?;
    Ok(Plan {
        streams: ids.into_iter().map(|s| s.0).collect(),
        publisher_tokens: vec![],
        subscriber_tokens: tokens,
        flooder_tokens: vec![],
    })
}

/// What a user task reports back.
#[derive(Default)]
struct UserOutcome {
    index: usize,
    result: RunResult,
    checks: Vec<(String, StreamCheck)>,
}

enum Ctl {
    Drain { heads: Arc<HashMap<String, u64>>, deadline: tokio::time::Instant },
}

struct User {
    index: usize,
    token: String,
    streams: Vec<StreamId>,
    checks: HashMap<String, StreamCheck>,
    client: Option<Client>,
}

impl User {
    async fn open(env: &Env, index: usize, token: String, streams: Vec<StreamId>) -> Result<User> {
        let t = env.common.op_timeout;
        let (mut client, _) = Client::connect_patiently(&env.opts, &token, env.source(index), t * 3).await?;
        let mut checks = HashMap::new();
        for s in &streams {
            let info: StreamInfoOk = client.call(Op::StreamInfo { stream: s.clone() }, t).await?;
            let _: SubscribeOk =
                client.call(Op::Subscribe { stream: s.clone(), since: Some(info.head), epoch: None }, t).await?;
            checks.insert(s.0.clone(), StreamCheck::starting_after(info.head.0));
        }
        Ok(User { index, token, streams, checks, client: Some(client) })
    }

    async fn resume(&mut self, env: &Env) -> Result<()> {
        let t = env.common.op_timeout;
        let (mut client, _) = Client::connect_patiently(&env.opts, &self.token, env.source(self.index), t * 3).await?;
        for s in &self.streams {
            let since = self.checks[&s.0].last_seq().map(Seq);
            let ok: SubscribeOk = client.call(Op::Subscribe { stream: s.clone(), since, epoch: None }, t).await?;
            if !ok.recovered {
                return Err(anyhow!("resume {s}: not recovered"));
            }
        }
        self.client = Some(client);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        mut self,
        env: Arc<Env>,
        a: Arc<ChatArgs>,
        deadline: tokio::time::Instant,
        done_sending: mpsc::Sender<()>,
        mut ctl: mpsc::Receiver<Ctl>,
        ops_live: Arc<AtomicU64>,
    ) -> UserOutcome {
        let mut r = RunResult::default();
        let mut rng = Rng::new(a.seed.wrapping_mul(1_000_003) + self.index as u64);
        let mean = a.think.as_secs_f64().max(0.001);
        let mut next = tokio::time::Instant::now() + Duration::from_secs_f64(rng.exp(mean));
        let mut pending: HashMap<u64, (&'static str, Instant)> = HashMap::new();
        let mut number = 0u64;
        let mut sending = true;
        let mut drain: Option<(Arc<HashMap<String, u64>>, tokio::time::Instant)> = None;
        let ack_limit = deadline + env.common.op_timeout;
        loop {
            if sending && tokio::time::Instant::now() >= deadline && pending.is_empty() {
                sending = false;
                let _ = done_sending.send(()).await;
            }
            if let Some((heads, _)) = &drain {
                if heads.iter().all(|(s, &h)| self.checks.get(s).is_none_or(|c| c.reached(h))) {
                    break;
                }
            }
            let Some(client) = self.client.as_mut() else { break };
            let act = sending && tokio::time::Instant::now() < deadline;
            let mut reconnect = false;
            tokio::select! {
                _ = tokio::time::sleep_until(next), if act => {
                    next += Duration::from_secs_f64(rng.exp(mean));
                    let stream = self.streams[rng.below(self.streams.len() as u64) as usize].clone();
                    let roll = rng.below(100);
                    let (name, op) = match roll {
                        0..=29 => {
                            number += 1;
                            let text = Stamp { publisher: self.index as u32, number, sent_ns: mono_ns() }.text(a.size);
                            ("post", Op::Post { stream, text, reply_to: None, idem: Some(format!("{}-{number}", self.index)), attachments: vec![] })
                        }
                        30..=49 => ("typing", Op::Typing { stream }),
                        50..=69 => ("history", Op::History { stream, before: None, after: None, limit: Some(50) }),
                        70..=79 => {
                            let status = [PresenceStatus::Online, PresenceStatus::Away, PresenceStatus::Dnd][rng.below(3) as usize];
                            ("set_presence", Op::SetPresence { status })
                        }
                        80..=87 => {
                            let seq = self.checks[&stream.0].last_seq().unwrap_or(0);
                            ("mark_read", Op::MarkRead { stream, seq: Seq(seq) })
                        }
                        88..=92 => ("list_streams", Op::ListStreams {}),
                        93..=97 => ("ping", Op::Ping {}),
                        _ => { reconnect = true; ("reconnect", Op::Ping {}) }
                    };
                    if !reconnect {
                        match client.send(op).await {
                            Ok(id) => { pending.insert(id, (name, Instant::now())); }
                            Err(e) => { r.error(format!("user {}: send {name}: {e:#}", self.index)); reconnect = true; }
                        }
                    }
                }
                _ = tokio::time::sleep_until(ack_limit), if sending && !pending.is_empty() => {
                    r.error(format!("user {}: {} requests never answered", self.index, pending.len()));
                    pending.clear();
                }
                c = ctl.recv() => match c {
                    Some(Ctl::Drain { heads, deadline }) => drain = Some((heads, deadline)),
                    None => break,
                },
                _ = sleep_until_opt(drain.as_ref().map(|d| d.1)) => break,
                f = client.recv() => match f {
                    Ok(Incoming::Reply { re: Some(re), result }) => {
                        if let Some((name, sent)) = pending.remove(&re) {
                            r.count("ops", 1);
                            ops_live.fetch_add(1, Relaxed);
                            match result {
                                Ok(_) => r.hist(&format!("op_{name}")).record(sent.elapsed()),
                                Err(e) if e.code == ErrorCode::RateLimited => r.count("rate_limited", 1),
                                Err(e) => r.error(format!("user {}: {name}: {} ({})", self.index, e.code, e.message)),
                            }
                        }
                    }
                    Ok(Incoming::Reply { re: None, result }) => r.error(format!("user {}: reply without id: {result:?}", self.index)),
                    Ok(Incoming::Event(ev)) => {
                        let now = mono_ns();
                        if let Some(check) = self.checks.get_mut(&ev.stream) {
                            check.observe(ev.seq);
                            if let Some(Stamp { publisher: p, number: n, sent_ns: sent }) = ev.stamp {
                                check.observe_message(p, n, ev.seq);
                                r.hist("post_to_delivery").record_ns_between(sent, now);
                                r.count("delivered", 1);
                                r.t_last_delivery_ns = now;
                            }
                        }
                    }
                    Ok(Incoming::Push(p)) => {
                        let kind = match p {
                            Push::Event(_) => "push_event_other",
                            Push::Presence { .. } => "push_presence",
                            Push::Typing { .. } => "push_typing",
                            Push::Read { .. } => "push_read",
                            Push::StreamAdded { .. } => "push_stream_added",
                            Push::Skip { .. } => "push_skip",
                            Push::FeedUnread { .. } => "push_feed_unread",
                            Push::TicketChanged { .. } => "push_ticket_changed",
                            Push::Unknown => "push_unknown",
                        };
                        r.count(kind, 1);
                    }
                    Ok(Incoming::Closed(c)) => { r.error(format!("user {}: closed by the server: {c:?}", self.index)); reconnect = true; }
                    Err(e) => { r.error(format!("user {}: {e:#}", self.index)); reconnect = true; }
                },
            }
            if reconnect {
                // Replies still in flight are lost with the connection: not errors of the server.
                r.count("abandoned_requests", pending.len() as u64);
                pending.clear();
                if let Some(c) = self.client.take() {
                    drop(c);
                }
                let started = Instant::now();
                match self.resume(&env).await {
                    Ok(()) => {
                        r.count("reconnects", 1);
                        r.hist("reconnect_and_resume").record(started.elapsed());
                    }
                    Err(e) => r.error(format!("user {}: resume failed: {e:#}", self.index)),
                }
            }
        }
        if sending {
            let _ = done_sending.send(()).await;
        }
        let mut checks = Vec::new();
        for (s, mut c) in std::mem::take(&mut self.checks) {
            if let Some(&h) = drain.as_ref().and_then(|(heads, _)| heads.get(&s)) {
                c.finish(h);
            }
            checks.push((s, c));
        }
        if let Some(c) = self.client.take() {
            c.close().await;
        }
        UserOutcome { index: self.index, result: r, checks }
    }
}

async fn sleep_until_opt(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

pub async fn run_shard(
    a: &ChatArgs,
    env: Env,
    plan: &Plan,
    (shard, shards): (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let env = Arc::new(env);
    let c = &a.common;
    let mut result = RunResult::new(
        "chat",
        serde_json::json!({
            "url": c.url, "users": a.users, "streams": stream_count(a), "channels_per_user": a.channels_per_user,
            "think_ms": a.think.as_millis() as u64, "size": a.size, "seed": a.seed, "procs": c.procs,
            "duration_s": c.duration.as_secs_f64(), "encoding": format!("{:?}", c.encoding).to_lowercase(),
        }),
    );
    let streams: Vec<StreamId> = plan.streams.iter().map(|s| StreamId(s.clone())).collect();
    let range = shard_range(a.users, shards, shard);
    let bar = TimedBar::counter(c.quiet, "users", range.len() as u64);
    let opened: Vec<(usize, Result<User>)> = stream::iter(range.clone())
        .map(|u| {
            let env = env.clone();
            let mine: Vec<StreamId> = user_streams(a, u).into_iter().map(|i| streams[i].clone()).collect();
            let token = plan.subscriber_tokens[u].clone();
            let bar = bar.clone();
            async move {
                let r = User::open(&env, u, token, mine).await;
                bar.inc(1);
                (u, r)
            }
        })
        .buffer_unordered(c.setup_concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut users = Vec::new();
    for (u, r) in opened {
        match r {
            Ok(x) => users.push(x),
            Err(e) => {
                result.count("connect_failures", 1);
                result.error(format!("user {u}: {e:#}"));
            }
        }
    }
    result.count("connected_at_ready", users.len() as u64);
    barrier.ready_then_go().await?;

    result.t_start_ns = mono_ns();
    let cpu = crate::util::CpuWindow::start(c.server_pid.filter(|_| shard == 0));
    let deadline = tokio::time::Instant::now() + c.duration;
    let ops = Arc::new(AtomicU64::new(0));
    let status = {
        let ops = ops.clone();
        Arc::new(move || format!("ops={}", ops.load(Relaxed))) as Arc<dyn Fn() -> String + Send + Sync>
    };
    let bar = TimedBar::start(c.quiet, "chat", c.duration, status);
    let a_arc = Arc::new(a.clone());
    let (done_tx, mut done_rx) = mpsc::channel(users.len().max(1));
    let mut ctls = Vec::new();
    let mut tasks = Vec::new();
    let n = users.len();
    for u in users {
        let (tx, rx) = mpsc::channel(2);
        ctls.push(tx);
        tasks.push(tokio::spawn(u.run(env.clone(), a_arc.clone(), deadline, done_tx.clone(), rx, ops.clone())));
    }
    drop(done_tx);
    // Wait until every user stopped acting (its requests answered), bounded.
    let limit = deadline + c.op_timeout * 2;
    for _ in 0..n {
        match tokio::time::timeout_at(limit, done_rx.recv()).await {
            Ok(Some(())) => {}
            _ => break,
        }
    }
    result.t_end_ns = mono_ns();
    bar.finish();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heads = Arc::new(heads_of(&env, plan, &streams, &mut result).await);
    let drain_deadline = tokio::time::Instant::now() + c.drain_timeout;
    for tx in &ctls {
        let _ = tx.send(Ctl::Drain { heads: heads.clone(), deadline: drain_deadline }).await;
    }
    drop(ctls);
    for t in tasks {
        let o = t.await?;
        let mut r = o.result;
        r.t_start_ns = 0;
        r.t_end_ns = 0;
        result.merge(&r);
        for (s, check) in &o.checks {
            result.check.add_check(&format!("user {} {s}", o.index), check);
        }
    }
    cpu.finish(&mut result);
    Ok(result)
}

async fn heads_of(env: &Env, plan: &Plan, streams: &[StreamId], result: &mut RunResult) -> HashMap<String, u64> {
    let mut heads = HashMap::new();
    let Some(token) = plan.subscriber_tokens.first() else { return heads };
    match Client::connect(&env.opts, token, None).await {
        Ok((mut cl, _)) => {
            for s in streams {
                match cl.call::<StreamInfoOk>(Op::StreamInfo { stream: s.clone() }, env.common.op_timeout).await {
                    Ok(info) => {
                        heads.insert(s.0.clone(), info.head.0);
                    }
                    Err(e) => result.error(format!("final head of {s}: {e:#}")),
                }
            }
            cl.close().await;
        }
        Err(e) => result.error(format!("final heads: {e:#}")),
    }
    heads
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn users_follow_distinct_channels() {
        let crate::cli::Command::Chat(a) =
            crate::cli::Cli::parse_from(["agora-loadtest", "chat", "--users", "100", "--channels-per-user", "3"]).cmd
        else {
            unreachable!()
        };
        assert_eq!(stream_count(&a), 5);
        for u in 0..100 {
            let s = user_streams(&a, u);
            assert_eq!(s.len(), 3, "{s:?}");
            assert!(s.iter().all(|&i| i < 5));
        }
    }
}
