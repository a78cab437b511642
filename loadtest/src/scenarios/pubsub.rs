//! The publish/subscribe engine behind `fanout` and `resume`.
//!
//! Subscribers connect and subscribe during the setup phase (before the barrier),
//! each subscription starting from the stream's head as `stream_info` reports it
//! (`subscribe since=head`), so the check knows the exact first seq to expect.
//! Publishers then post stamped texts ([`Stamp`]) at the offered rate, keeping
//! at most `--window` posts awaiting their ack. When the publishers stop, the shard
//! asks every stream's head and each subscriber drains until it has everything up
//! to that head (or the drain timeout passes: what is still missing is lost).
//!
//! A subscriber told to drop (a `resume` storm) or closed by the server reconnects
//! and resubscribes with `since` = the last seq it checked, so the same
//! [`StreamCheck`] covers the whole run: a resume that loses or repeats an event
//! shows as a gap or a duplicate.

use super::Env;
use crate::check::StreamCheck;
use crate::cli::PubSubArgs;
use crate::client::{Client, Incoming};
use crate::procs::Barrier;
use crate::progress::TimedBar;
use crate::report::RunResult;
use crate::setup::{Plan, UserSpec};
use crate::stamp::Stamp;
use crate::stats::Hist;
use crate::util::{mono_ns, shard_range, Rng};
use agora_protocol::ops::{AppendOk, StreamInfoOk, SubscribeOk};
use agora_protocol::{ErrorCode, Op, StreamId};
use anyhow::{anyhow, Result};
use futures_util::stream::{self, StreamExt};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Disconnect storms (the `resume` scenario).
#[derive(Clone, Debug)]
pub struct Storms {
    pub count: u32,
    pub drop_fraction: f64,
    pub jitter: Duration,
    pub graceful: bool,
}

/// Channel names and users for a pub/sub run, and how subscribers map to them.
pub fn user_specs(a: &PubSubArgs, scenario: &str) -> (Vec<String>, Vec<UserSpec>, Vec<UserSpec>) {
    let p = &a.common.prefix;
    let streams = a.streams.max(1);
    let channels = (0..streams).map(|i| format!("{p}_{scenario}_{i}")).collect();
    let publishers =
        (0..a.publishers).map(|i| UserSpec { name: format!("{p}_pub_{i}"), streams: vec![i % streams] }).collect();
    let per_user = a.subs_per_user.max(1);
    let groups = a.subscribers.div_ceil(per_user);
    let subscribers = (0..groups)
        .map(|g| {
            let mut mine: Vec<usize> =
                (g * per_user..((g + 1) * per_user).min(a.subscribers)).flat_map(|j| sub_streams(a, j)).collect();
            mine.sort_unstable();
            mine.dedup();
            UserSpec { name: format!("{p}_sub_{g}"), streams: mine }
        })
        .collect();
    (channels, publishers, subscribers)
}

/// The streams (by index) subscriber `j` follows: j, j+1, ... mod streams.
pub fn sub_streams(a: &PubSubArgs, j: usize) -> Vec<usize> {
    let streams = a.streams.max(1);
    (0..a.streams_per_sub.clamp(1, streams)).map(|k| (j + k) % streams).collect()
}

/// Create channels and users; expand the subscriber users' tokens to one per connection.
pub async fn setup(a: &PubSubArgs, env: &Env, scenario: &str) -> Result<Plan> {
    let (channels, pubs, subs) = user_specs(a, scenario);
    let p = &a.common.prefix;
    let flooders: Vec<UserSpec> = (0..a.flooders)
        .map(|i| UserSpec { name: format!("{p}_flood_{i}"), streams: vec![i % a.streams.max(1)] })
        .collect();
    let mut users = pubs.clone();
    users.extend(subs.iter().cloned());
    users.extend(flooders.iter().cloned());
    eprintln!("setup: {} channels, {} users", channels.len(), users.len());
    let (streams, tokens) = crate::setup::prepare(&a.common, &env.opts, &channels, &users).await?;
    let (pub_tokens, rest) = tokens.split_at(pubs.len());
    let (sub_user_tokens, flooder_tokens) = rest.split_at(subs.len());
    let per_user = a.subs_per_user.max(1);
    Ok(Plan {
        streams: streams.into_iter().map(|s| s.0).collect(),
        publisher_tokens: pub_tokens.to_vec(),
        subscriber_tokens: (0..a.subscribers).map(|j| sub_user_tokens[j / per_user].clone()).collect(),
        flooder_tokens: flooder_tokens.to_vec(),
    })
}

/// Live counters for the progress line.
#[derive(Default)]
struct Live {
    published: AtomicU64,
    acked: AtomicU64,
    delivered: AtomicU64,
    reconnects: AtomicU64,
}

/// Latencies are batched per task, then added to the shard's histograms here.
#[derive(Default)]
struct Shared {
    deliver: Mutex<Hist>,
    ack: Mutex<Hist>,
    reconnect: Mutex<Hist>,
}

/// What a subscriber is told during the measured phase.
enum Ctl {
    /// Drop the connection, wait, reconnect and resume.
    Drop { after: Duration, graceful: bool },
    /// Publishers are done: finish once every stream reaches its head, or at the deadline.
    Drain { heads: Arc<HashMap<String, u64>>, deadline: tokio::time::Instant },
}

/// One subscriber connection and its checks.
struct Subscriber {
    index: usize,
    token: String,
    client: Option<Client>,
    /// stream id -> check, in the order of `streams`.
    checks: FxHashMap<String, StreamCheck>,
    streams: Vec<StreamId>,
}

struct SubOutcome {
    index: usize,
    checks: FxHashMap<String, StreamCheck>,
    delivered: u64,
    last_delivery_ns: u64,
    reconnects: u64,
    foreign: u64,
    errors: Vec<String>,
}

impl Subscriber {
    /// Connect and subscribe to each stream from its current head.
    async fn open(env: &Env, index: usize, token: String, streams: Vec<StreamId>) -> Result<Subscriber> {
        let t = env.common.op_timeout;
        let (mut client, _) = Client::connect_patiently(&env.opts, &token, env.source(index), t * 3).await?;
        let mut checks = FxHashMap::default();
        for s in &streams {
            let info: StreamInfoOk = client.call(Op::StreamInfo { stream: s.clone() }, t).await?;
            let op = Op::Subscribe { stream: s.clone(), since: Some(info.head), epoch: None };
            let ok: SubscribeOk = client.call(op, t).await?;
            if !ok.recovered {
                return Err(anyhow!("subscribe {s} since {}: not recovered", info.head));
            }
            checks.insert(s.0.clone(), StreamCheck::starting_after(info.head.0));
        }
        Ok(Subscriber { index, token, client: Some(client), checks, streams })
    }

    /// Reconnect and resubscribe every stream with `since` = the last seq checked.
    async fn resume(&mut self, env: &Env) -> Result<()> {
        let t = env.common.op_timeout;
        let (mut client, _) = Client::connect_patiently(&env.opts, &self.token, env.source(self.index), t * 3).await?;
        for s in &self.streams {
            let since = self.checks[&s.0].last_seq().map(agora_protocol::Seq);
            let op = Op::Subscribe { stream: s.clone(), since, epoch: None };
            match client.request::<SubscribeOk>(op, t).await? {
                Ok(ok) if ok.recovered => {}
                Ok(_) => return Err(anyhow!("resume {s} since {since:?}: not recovered (epoch changed?)")),
                Err(e) if e.code == ErrorCode::TooFarBehind => {
                    return Err(anyhow!("resume {s} since {since:?}: too_far_behind (head {:?})", e.head))
                }
                Err(e) => return Err(anyhow!("resume {s}: {} ({})", e.code, e.message)),
            }
        }
        self.client = Some(client);
        Ok(())
    }

    async fn run(
        mut self,
        env: Arc<Env>,
        mut ctl: mpsc::Receiver<Ctl>,
        live: Arc<Live>,
        shared: Arc<Shared>,
    ) -> SubOutcome {
        let mut lat: Vec<u64> = Vec::with_capacity(256);
        let mut out = SubOutcome {
            index: self.index,
            checks: FxHashMap::default(),
            delivered: 0,
            last_delivery_ns: 0,
            reconnects: 0,
            foreign: 0,
            errors: Vec::new(),
        };
        let mut drain: Option<(Arc<HashMap<String, u64>>, tokio::time::Instant)> = None;
        let flush = |lat: &mut Vec<u64>| {
            let mut h = shared.deliver.lock().unwrap();
            for us in lat.drain(..) {
                h.record_us(us);
            }
        };
        loop {
            if let Some((heads, _)) = &drain {
                if heads.iter().all(|(s, &h)| self.checks.get(s).is_none_or(|c| c.reached(h))) {
                    break;
                }
            }
            let drain_deadline = drain.as_ref().map(|d| d.1);
            let Some(client) = self.client.as_mut() else {
                // Lost the connection and could not resume: nothing more will arrive.
                break;
            };
            let lost: Option<String> = tokio::select! {
                c = ctl.recv() => match c {
                    Some(Ctl::Drop { after, graceful }) => {
                        let client = self.client.take().expect("connected");
                        if graceful { client.close().await } else { drop(client) }
                        tokio::time::sleep(after).await;
                        let started = Instant::now();
                        match self.resume(&env).await {
                            Ok(()) => {
                                out.reconnects += 1;
                                live.reconnects.fetch_add(1, Relaxed);
                                shared.reconnect.lock().unwrap().record(started.elapsed());
                            }
                            Err(e) => out.errors.push(format!("subscriber {}: resume failed: {e:#}", self.index)),
                        }
                        None
                    }
                    Some(Ctl::Drain { heads, deadline }) => { drain = Some((heads, deadline)); None }
                    None => break,
                },
                _ = sleep_until_opt(drain_deadline) => break,
                f = client.recv() => match f {
                    Ok(Incoming::Event(ev)) => {
                        let now = mono_ns();
                        match self.checks.get_mut(&ev.stream) {
                            None => out.foreign += 1,
                            Some(check) => {
                                check.observe(ev.seq);
                                if let Some(Stamp { publisher: p, number: n, sent_ns: sent }) = ev.stamp {
                                    check.observe_message(p, n, ev.seq);
                                    lat.push(now.saturating_sub(sent) / 1000);
                                    if lat.len() == lat.capacity() { flush(&mut lat); }
                                    out.delivered += 1;
                                    out.last_delivery_ns = now;
                                    live.delivered.fetch_add(1, Relaxed);
                                }
                            }
                        }
                        None
                    }
                    Ok(Incoming::Reply { result: Err(e), re }) => {
                        out.errors.push(format!("subscriber {}: error reply to {re:?}: {} ({})", self.index, e.code, e.message));
                        None
                    }
                    Ok(Incoming::Reply { .. }) | Ok(Incoming::Push(_)) => None,
                    Ok(Incoming::Closed(c)) => Some(format!("closed by the server: {c:?}")),
                    Err(e) => Some(format!("{e:#}")),
                },
            };
            if let Some(why) = lost {
                // Unexpected: an error for the run, but reconnect so the check goes on.
                out.errors.push(format!("subscriber {}: connection lost: {why}", self.index));
                self.client = None;
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Err(e) = self.resume(&env).await {
                    out.errors.push(format!("subscriber {}: resume failed: {e:#}", self.index));
                } else {
                    out.reconnects += 1;
                }
            }
        }
        flush(&mut lat);
        if let Some((heads, _)) = &drain {
            for (s, check) in self.checks.iter_mut() {
                if let Some(&h) = heads.get(s) {
                    check.finish(h);
                }
            }
        }
        if let Some(c) = self.client.take() {
            c.close().await;
        }
        out.checks = std::mem::take(&mut self.checks);
        out
    }
}

async fn sleep_until_opt(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

struct PubOutcome {
    published: u64,
    acked: u64,
    rate_limited: u64,
    /// Highest acked seq per stream.
    max_seq: u64,
    stream: String,
    errors: Vec<String>,
}

/// When publisher `index` of `publishers` sends first: its share of one period of
/// its own rate, so that together they send evenly instead of in bursts.
pub fn publisher_phase(index: u32, publishers: usize, rate_per_publisher: f64) -> Duration {
    if rate_per_publisher <= 0.0 || publishers == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(index as f64 / publishers as f64 / rate_per_publisher)
}

/// One publisher: post stamped texts at `rate` per second (0: as fast as the window allows) until `deadline`.
#[allow(clippy::too_many_arguments)]
async fn publish(
    mut client: Client,
    index: u32,
    stream: StreamId,
    a: Arc<PubSubArgs>,
    rate: f64,
    deadline: tokio::time::Instant,
    live: Arc<Live>,
    shared: Arc<Shared>,
) -> PubOutcome {
    let mut out =
        PubOutcome { published: 0, acked: 0, rate_limited: 0, max_seq: 0, stream: stream.0.clone(), errors: vec![] };
    let mut pending: HashMap<u64, u64> = HashMap::new();
    let mut acks: Vec<u64> = Vec::with_capacity(256);
    let window = a.window.max(1);
    let start = tokio::time::Instant::now();
    // Publishers are spread evenly over one period instead of sending in lockstep.
    let phase = publisher_phase(index, a.publishers, rate);
    let mut number: u64 = 0;
    let mut paused_until = start;
    let mut stopping = false;
    let ack_deadline = deadline + a.common.op_timeout;
    loop {
        let limit_reached = a.messages > 0 && number >= a.messages;
        if (stopping || limit_reached) && pending.is_empty() {
            break;
        }
        let can_send = !stopping && !limit_reached && pending.len() < window;
        let next_at = if rate > 0.0 {
            (start + phase + Duration::from_secs_f64(number as f64 / rate)).max(paused_until)
        } else {
            paused_until
        };
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(deadline), if !stopping => { stopping = true; }
            _ = tokio::time::sleep_until(ack_deadline), if stopping || limit_reached => {
                out.errors.push(format!("publisher {index}: {} posts never acked", pending.len()));
                break;
            }
            f = client.recv() => match f {
                Ok(Incoming::Reply { re: Some(re), result }) => {
                    let Some(sent) = pending.remove(&re) else { continue };
                    match result {
                        Ok(v) => match serde_json::from_value::<AppendOk>(v) {
                            Ok(ok) => {
                                out.acked += 1;
                                live.acked.fetch_add(1, Relaxed);
                                out.max_seq = out.max_seq.max(ok.seq.0);
                                acks.push(mono_ns().saturating_sub(sent) / 1000);
                                if acks.len() == acks.capacity() {
                                    let mut h = shared.ack.lock().unwrap();
                                    acks.drain(..).for_each(|us| h.record_us(us));
                                }
                            }
                            Err(e) => out.errors.push(format!("publisher {index}: bad post reply: {e}")),
                        },
                        Err(e) if e.code == ErrorCode::RateLimited => {
                            out.rate_limited += 1;
                            let wait = Duration::from_millis(e.retry_after_ms.unwrap_or(100));
                            paused_until = tokio::time::Instant::now() + wait;
                        }
                        Err(e) => out.errors.push(format!("publisher {index}: post failed: {} ({})", e.code, e.message)),
                    }
                }
                Ok(Incoming::Reply { re: None, result }) => out.errors.push(format!("publisher {index}: reply without id: {result:?}")),
                Ok(Incoming::Event(_)) | Ok(Incoming::Push(_)) => {}
                Ok(Incoming::Closed(c)) => { out.errors.push(format!("publisher {index}: closed by the server: {c:?}")); break; }
                Err(e) => { out.errors.push(format!("publisher {index}: {e:#}")); break; }
            },
            _ = tokio::time::sleep_until(next_at), if can_send => {
                let sent = mono_ns();
                number += 1;
                let text = Stamp { publisher: index, number, sent_ns: sent }.text(a.size);
                match client.send(Op::Post { stream: stream.clone(), text, reply_to: None, idem: None, attachments: vec![] }).await {
                    Ok(id) => {
                        pending.insert(id, sent);
                        out.published += 1;
                        live.published.fetch_add(1, Relaxed);
                    }
                    Err(e) => { out.errors.push(format!("publisher {index}: {e:#}")); break; }
                }
            }
        }
    }
    {
        let mut h = shared.ack.lock().unwrap();
        acks.drain(..).for_each(|us| h.record_us(us));
    }
    client.close().await;
    out
}

/// Run this shard's subscribers and publishers.
pub async fn run_shard(
    a: &PubSubArgs,
    storms: Option<Storms>,
    scenario: &str,
    env: Env,
    plan: &Plan,
    (shard, shards): (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let env = Arc::new(env);
    let c = &a.common;
    let mut result = RunResult::new(scenario, params(a, &storms));
    let streams: Vec<StreamId> = plan.streams.iter().map(|s| StreamId(s.clone())).collect();

    // Subscribers: connect and subscribe before the barrier.
    let subs_range = shard_range(a.subscribers, shards, shard);
    let bar = TimedBar::counter(c.quiet, "subscribe", subs_range.len() as u64);
    let opened: Vec<(usize, Result<Subscriber>)> = stream::iter(subs_range.clone())
        .map(|j| {
            let env = env.clone();
            let token = plan.subscriber_tokens[j].clone();
            let mine: Vec<StreamId> = sub_streams(a, j).into_iter().map(|i| streams[i].clone()).collect();
            let bar = bar.clone();
            async move {
                let r = Subscriber::open(&env, j, token, mine).await;
                bar.inc(1);
                (j, r)
            }
        })
        .buffer_unordered(c.setup_concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut subscribers = Vec::new();
    for (j, r) in opened {
        match r {
            Ok(s) => subscribers.push(s),
            Err(e) => {
                result.count("connect_failures", 1);
                result.error(format!("subscriber {j}: {e:#}"));
            }
        }
    }
    result.count("subscribers_connected", subscribers.len() as u64);

    // Publishers: connected before the barrier too.
    let pubs_range = shard_range(a.publishers, shards, shard);
    let mut publishers = Vec::new();
    for i in pubs_range.clone() {
        match Client::connect(&env.opts, &plan.publisher_tokens[i], env.source(a.subscribers + i)).await {
            Ok((cl, _)) => publishers.push((i, cl)),
            Err(e) => {
                result.count("connect_failures", 1);
                result.error(format!("publisher {i}: {e:#}"));
            }
        }
    }
    result.count("connected_at_ready", (subscribers.len() + publishers.len()) as u64);

    barrier.ready_then_go().await?;

    // The measured phase.
    let live = Arc::new(Live::default());
    let shared = Arc::new(Shared::default());
    result.t_start_ns = mono_ns();
    let cpu = crate::util::CpuWindow::start(c.server_pid.filter(|_| shard == 0));
    let deadline = tokio::time::Instant::now() + c.duration;
    let status = {
        let live = live.clone();
        Arc::new(move || {
            format!(
                "published={} acked={} delivered={} reconnects={}",
                live.published.load(Relaxed),
                live.acked.load(Relaxed),
                live.delivered.load(Relaxed),
                live.reconnects.load(Relaxed)
            )
        }) as Arc<dyn Fn() -> String + Send + Sync>
    };
    let bar = TimedBar::start(c.quiet, scenario, c.duration, status);

    let mut ctls = Vec::new();
    let mut sub_tasks = Vec::new();
    for s in subscribers {
        let (tx, rx) = mpsc::channel(4);
        ctls.push(tx);
        sub_tasks.push(tokio::spawn(s.run(env.clone(), rx, live.clone(), shared.clone())));
    }
    let a_arc = Arc::new(a.clone());
    // The offered rate is split evenly over all publishers (of all shards).
    let per_pub_rate = if a.rate > 0.0 { a.rate / a.publishers.max(1) as f64 } else { 0.0 };
    let pub_tasks: Vec<_> = publishers
        .into_iter()
        .map(|(i, cl)| {
            let stream = streams[i % streams.len()].clone();
            tokio::spawn(publish(
                cl,
                i as u32,
                stream,
                a_arc.clone(),
                per_pub_rate,
                deadline,
                live.clone(),
                shared.clone(),
            ))
        })
        .collect();

    // Flooders run in the first shard only, until the deadline.
    let flood_tasks: Vec<_> = plan
        .flooder_tokens
        .iter()
        .enumerate()
        .filter(|_| shard == 0)
        .map(|(i, token)| {
            let stream = streams[i % streams.len()].clone();
            tokio::spawn(super::flood::flood(env.clone(), i, token.clone(), stream, a.flood_rate, deadline))
        })
        .collect();

    let storm_task = storms.clone().map(|st| {
        let ctls = ctls.clone();
        let dur = c.duration;
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let mut rng = Rng::new(0x5707 + shard as u64);
            for k in 1..=st.count {
                tokio::time::sleep_until(start + dur.mul_f64(k as f64 / (st.count + 1) as f64)).await;
                for tx in &ctls {
                    if rng.f64() < st.drop_fraction {
                        let after = st.jitter.mul_f64(rng.f64());
                        let _ = tx.try_send(Ctl::Drop { after, graceful: st.graceful });
                    }
                }
            }
        })
    });

    // Publishers stop at the deadline and wait for their acks.
    let mut max_acked: HashMap<String, u64> = HashMap::new();
    for t in pub_tasks {
        let o = t.await?;
        result.count("published", o.published);
        result.count("acked", o.acked);
        result.count("rate_limited", o.rate_limited);
        let m = max_acked.entry(o.stream).or_default();
        *m = (*m).max(o.max_seq);
        for e in o.errors {
            result.error(e);
        }
    }
    if let Some(t) = storm_task {
        t.abort();
    }
    for t in flood_tasks {
        let o = t.await?;
        o.add_to(&mut result);
        for e in o.errors.into_iter().take(5) {
            result.error(e);
        }
    }
    result.t_end_ns = mono_ns();
    bar.finish();

    // Drain: every subscriber must reach each stream's head.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heads = final_heads(&env, plan, &streams, &max_acked, &mut result).await;
    let heads = Arc::new(heads);
    let drain_deadline = tokio::time::Instant::now() + c.drain_timeout;
    for tx in &ctls {
        let _ = tx.send(Ctl::Drain { heads: heads.clone(), deadline: drain_deadline }).await;
    }
    drop(ctls);
    let mut last_delivery = 0;
    for t in sub_tasks {
        let o = t.await?;
        result.count("delivered", o.delivered);
        result.count("reconnects", o.reconnects);
        result.count("foreign_events", o.foreign);
        last_delivery = last_delivery.max(o.last_delivery_ns);
        for (s, check) in &o.checks {
            result.check.add_check(&format!("subscriber {} {s}", o.index), check);
        }
        for e in o.errors {
            result.error(e);
        }
    }
    result.t_last_delivery_ns = last_delivery;
    cpu.finish(&mut result);
    let shared = Arc::try_unwrap(shared).map_err(|_| anyhow!("tasks still hold the histograms"))?;
    result.hists.insert("publish_to_ack".into(), shared.ack.into_inner().unwrap());
    result.hists.insert("publish_to_delivery".into(), shared.deliver.into_inner().unwrap());
    let reconnect = shared.reconnect.into_inner().unwrap();
    if reconnect.len() > 0 {
        result.hists.insert("reconnect_and_resume".into(), reconnect);
    }
    Ok(result)
}

/// Each stream's head after the publishers stopped: `stream_info` through a fresh
/// connection, raised to the highest seq our own publishers had acked.
async fn final_heads(
    env: &Env,
    plan: &Plan,
    streams: &[StreamId],
    max_acked: &HashMap<String, u64>,
    result: &mut RunResult,
) -> HashMap<String, u64> {
    let mut heads: HashMap<String, u64> = max_acked.clone();
    let token = plan.subscriber_tokens.first().or(plan.publisher_tokens.first());
    let Some(token) = token else { return heads };
    match Client::connect(&env.opts, token, None).await {
        Ok((mut cl, _)) => {
            for s in streams {
                match cl.call::<StreamInfoOk>(Op::StreamInfo { stream: s.clone() }, env.common.op_timeout).await {
                    Ok(info) => {
                        let h = heads.entry(s.0.clone()).or_default();
                        if info.head.0 < *h {
                            result.error(format!("{s}: stream_info head {} is below an acked seq {h}", info.head));
                        }
                        *h = (*h).max(info.head.0);
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

fn params(a: &PubSubArgs, storms: &Option<Storms>) -> serde_json::Value {
    let mut p = serde_json::json!({
        "url": a.common.url,
        "encoding": format!("{:?}", a.common.encoding).to_lowercase(),
        "duration_s": a.common.duration.as_secs_f64(),
        "procs": a.common.procs,
        "subscribers": a.subscribers,
        "streams": a.streams,
        "streams_per_sub": a.streams_per_sub,
        "publishers": a.publishers,
        "rate": a.rate,
        "size": a.size,
        "window": a.window,
        "messages": a.messages,
        "flooders": a.flooders,
        "flood_rate": a.flood_rate,
    });
    if let Some(s) = storms {
        p["storms"] = s.count.into();
        p["drop_fraction"] = s.drop_fraction.into();
        p["reconnect_jitter_ms"] = (s.jitter.as_millis() as u64).into();
        p["graceful"] = s.graceful.into();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> PubSubArgs {
        let mut v = vec!["agora-loadtest", "fanout"];
        v.extend_from_slice(extra);
        match crate::cli::Cli::parse_from(v).cmd {
            crate::cli::Command::Fanout(f) => f.pubsub,
            _ => unreachable!(),
        }
    }

    #[test]
    fn publishers_are_spread_over_one_period() {
        assert_eq!(publisher_phase(0, 4, 10.0), Duration::ZERO);
        assert_eq!(publisher_phase(1, 4, 10.0), Duration::from_millis(25));
        assert_eq!(publisher_phase(3, 4, 10.0), Duration::from_millis(75));
        assert_eq!(publisher_phase(3, 4, 0.0), Duration::ZERO);
    }

    #[test]
    fn subscribers_follow_consecutive_streams() {
        let a = args(&["--streams", "4", "--streams-per-sub", "2"]);
        assert_eq!(sub_streams(&a, 0), vec![0, 1]);
        assert_eq!(sub_streams(&a, 3), vec![3, 0]);
        let a = args(&["--streams", "2", "--streams-per-sub", "5"]);
        assert_eq!(sub_streams(&a, 1), vec![1, 0]);
    }

    #[test]
    fn users_group_subscribers_and_join_their_streams() {
        let a = args(&["--streams", "3", "--subscribers", "5", "--subs-per-user", "2", "--publishers", "4"]);
        let (channels, pubs, subs) = user_specs(&a, "fanout");
        assert_eq!(channels, vec!["lt_fanout_0", "lt_fanout_1", "lt_fanout_2"]);
        assert_eq!(pubs.len(), 4);
        assert_eq!(pubs[3].streams, vec![0]);
        assert_eq!(subs.len(), 3);
        assert_eq!(subs[0].streams, vec![0, 1]);
        assert_eq!(subs[2].streams, vec![1]);
        assert_eq!(subs[2].name, "lt_sub_2");
    }
}
