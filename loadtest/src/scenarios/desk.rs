//! `desk`: the ticket desk under load. Visitors (website visitor tokens from
//! `POST /api/v1/visitors`) open tickets and write in them; agents, available
//! for routing, work their queue: reply, add an internal note, solve; one
//! manager polls `GET /api/v1/kpis` (the last 30 days, by day).
//!
//! Setup (once): creates `--agents` agent users and `--visitors` visitor
//! tokens, and preloads the log with `--preload-tickets` tickets of
//! `--preload-messages` public messages each (requester and agent in turn, from
//! `--setup-concurrency` pairs of connections), so that the KPI query runs over
//! that many ticket events (about `tickets × (messages + 2)`). Preloading is not
//! idempotent: each setup adds its tickets.
//!
//! In the measured phase each visitor, after a random pause (exponential, mean
//! `--think`), opens a ticket or (two times in three) writes in its latest one;
//! each agent lists its open tickets (`ticket_queue`, assignee me) and, for the
//! oldest, replies, adds a note and solves it (with the version it read; a
//! `conflict` is counted apart), or takes the oldest unassigned one when it has
//! none. Reports request→reply latency per op: `open_ticket`, `visitor_message`,
//! `queue`, `take`, `agent_reply`, `note`, `solve`, and `kpis` (HTTP).

use super::Env;
use crate::cli::DeskArgs;
use crate::client::Client;
use crate::procs::Barrier;
use crate::report::RunResult;
use crate::setup::{owner_token, Http, Plan};
use crate::util::{mono_ns, shard_range, Rng};
use agora_protocol::ops::AppendOk;
use agora_protocol::ticket::{
    AgentStatus, AgentStatusOk, QueueFilter, TicketChanges, TicketOk, TicketQueueOk, TicketStatus,
};
use agora_protocol::{ErrorBody, ErrorCode, Op, StreamId, UserId};
use anyhow::{anyhow, Context, Result};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn text(size: usize, tag: &str) -> String {
    let mut s = format!("{tag} ");
    while s.len() < size {
        s.push_str("lorem ipsum ");
    }
    s.truncate(size.max(tag.len() + 1));
    s
}

fn post(stream: StreamId, text: String) -> Op {
    Op::Post { stream, text, reply_to: None, idem: None, attachments: Vec::new() }
}

pub async fn setup(a: &DeskArgs, env: &Env) -> Result<Plan> {
    let c = &a.common;
    let http = Http::from_ws_url(&c.url, c.op_timeout)?;
    let owner = owner_token(c, &http).await?;
    let t = c.op_timeout;
    let conc = c.setup_concurrency.clamp(1, 8);
    let agents: Vec<String> = stream::iter(0..a.agents)
        .map(|i| {
            let (http, owner) = (&http, &owner);
            async move { http.ensure_user(owner, &format!("{}_da_{i}", c.prefix), "agent").await }
        })
        .buffered(conc)
        .try_collect()
        .await?;
    let visitors: Vec<String> = stream::iter(0..a.visitors)
        .map(|i| {
            let http = &http;
            async move { http.visitor(&format!("visitor {i}")).await }
        })
        .buffered(conc)
        .try_collect()
        .await?;
    if a.preload_tickets > 0 {
        let pairs = c.setup_concurrency.clamp(1, 64).min(a.preload_tickets);
        let requesters: Vec<String> = stream::iter(0..pairs)
            .map(|k| {
                let (http, owner) = (&http, &owner);
                async move { http.ensure_user(owner, &format!("{}_dp_{k}", c.prefix), "member").await }
            })
            .buffered(conc)
            .try_collect()
            .await?;
        let started = Instant::now();
        let done = std::sync::atomic::AtomicUsize::new(0);
        stream::iter(0..pairs)
            .map(|k| {
                let (opts, owner, requesters, done) = (&env.opts, &owner, &requesters, &done);
                async move {
                    let (mut req, _) = Client::connect_patiently(opts, &requesters[k], None, t * 3).await?;
                    let (mut agent, _) = Client::connect_patiently(opts, owner, None, t * 3).await?;
                    for n in shard_range(a.preload_tickets, pairs, k) {
                        let op = Op::OpenTicket {
                            subject: format!("Preloaded {n}"),
                            text: text(a.size, "help"),
                            changes: Box::default(),
                        };
                        let ok: TicketOk = req.call(op, t).await.context("opening a ticket")?;
                        for m in 1..a.preload_messages {
                            let cl = if m % 2 == 1 { &mut agent } else { &mut req };
                            let _: AppendOk = cl.call(post(ok.ticket.id.clone(), text(a.size, "msg")), t).await?;
                        }
                        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if d % 1000 == 0 {
                            eprintln!("setup: {d} tickets preloaded in {:.0}s", started.elapsed().as_secs_f64());
                        }
                    }
                    req.close().await;
                    agent.close().await;
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(pairs)
            .try_collect::<Vec<()>>()
            .await?;
        eprintln!(
            "setup: preloaded {} tickets × {} messages in {:.1}s",
            a.preload_tickets,
            a.preload_messages,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Plan { streams: vec![owner], publisher_tokens: agents, subscriber_tokens: visitors, flooder_tokens: vec![] })
}

/// One request, timed into `hist`; `None` (and a counted error) if it failed.
async fn timed<T: DeserializeOwned>(cl: &mut Client, op: Op, t: Duration, hist: &str, r: &mut RunResult) -> Option<T> {
    let started = Instant::now();
    let out: Result<Result<T, ErrorBody>> = cl.request(op, t).await;
    match out {
        Ok(Ok(v)) => {
            r.hist(hist).record(started.elapsed());
            r.count(hist, 1);
            Some(v)
        }
        Ok(Err(e)) if e.code == ErrorCode::RateLimited => {
            r.count("rate_limited", 1);
            None
        }
        Ok(Err(e)) if e.code == ErrorCode::Conflict => {
            r.count(&format!("{hist}_conflict"), 1);
            None
        }
        Ok(Err(e)) => {
            r.error(format!("{hist}: {} ({})", e.code, e.message));
            None
        }
        Err(e) => {
            r.error(format!("{hist}: {e:#}"));
            None
        }
    }
}

/// A visitor's loop: open a ticket, then mostly write in it.
async fn visitor(a: &DeskArgs, cl: &mut Client, rng: &mut Rng, deadline: tokio::time::Instant, r: &mut RunResult) {
    let t = a.common.op_timeout;
    let mut mine: Option<StreamId> = None;
    loop {
        let pause = Duration::from_secs_f64(rng.exp(a.think.as_secs_f64()));
        if tokio::time::Instant::now() + pause >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        match &mine {
            Some(id) if rng.below(3) != 0 => {
                timed::<AppendOk>(cl, post(id.clone(), text(a.size, "more")), t, "visitor_message", r).await;
            }
            _ => {
                let op = Op::OpenTicket {
                    subject: "Where is my order?".into(),
                    text: text(a.size, "help"),
                    changes: Box::default(),
                };
                if let Some(ok) = timed::<TicketOk>(cl, op, t, "open_ticket", r).await {
                    mine = Some(ok.ticket.id);
                }
            }
        }
    }
}

/// An agent's loop: work the oldest of my open tickets, or take one.
async fn agent(
    a: &DeskArgs,
    cl: &mut Client,
    me: UserId,
    rng: &mut Rng,
    deadline: tokio::time::Instant,
    r: &mut RunResult,
) {
    let t = a.common.op_timeout;
    let op = Op::SetAgentStatus { status: AgentStatus::Available, max_chats: Some(a.max_chats), teams: None };
    timed::<AgentStatusOk>(cl, op, t, "set_agent_status", r).await;
    loop {
        let pause = Duration::from_secs_f64(rng.exp(a.think.as_secs_f64()));
        if tokio::time::Instant::now() + pause >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        let filter = QueueFilter {
            status: vec![TicketStatus::New, TicketStatus::Open],
            assignee: Some("me".into()),
            ..QueueFilter::default()
        };
        let op = Op::TicketQueue { filter: Box::new(filter), limit: Some(1) };
        let Some(q) = timed::<TicketQueueOk>(cl, op, t, "queue", r).await else { continue };
        let Some(tk) = q.tickets.into_iter().next() else {
            let filter = QueueFilter {
                status: vec![TicketStatus::New, TicketStatus::Open],
                assignee: Some("unassigned".into()),
                ..QueueFilter::default()
            };
            let op = Op::TicketQueue { filter: Box::new(filter), limit: Some(1) };
            if let Some(tk) =
                timed::<TicketQueueOk>(cl, op, t, "queue", r).await.and_then(|q| q.tickets.into_iter().next())
            {
                let changes = TicketChanges { assignee: Some(me.clone()), ..TicketChanges::default() };
                let op = Op::UpdateTicket { stream: tk.id, version: tk.version, changes: Box::new(changes) };
                timed::<AppendOk>(cl, op, t, "take", r).await;
            }
            continue;
        };
        timed::<AppendOk>(cl, post(tk.id.clone(), text(a.size, "answer")), t, "agent_reply", r).await;
        let op = Op::AddNote { stream: tk.id.clone(), text: text(a.size, "note") };
        timed::<AppendOk>(cl, op, t, "note", r).await;
        // The reply may have changed the version (new → open): read it again.
        let Some(info) = timed::<TicketOk>(cl, Op::TicketInfo { stream: tk.id.clone() }, t, "ticket_info", r).await
        else {
            continue;
        };
        let changes = TicketChanges { status: Some(TicketStatus::Solved), ..TicketChanges::default() };
        let op = Op::UpdateTicket { stream: tk.id, version: info.ticket.version, changes: Box::new(changes) };
        timed::<AppendOk>(cl, op, t, "solve", r).await;
    }
}

/// The manager: `GET /api/v1/kpis` every `--kpi-every`.
async fn manager(a: &DeskArgs, token: &str, deadline: tokio::time::Instant, r: &mut RunResult) {
    let Ok(http) = Http::from_ws_url(&a.common.url, a.common.op_timeout) else { return };
    loop {
        if tokio::time::Instant::now() + a.kpi_every >= deadline {
            break;
        }
        tokio::time::sleep(a.kpi_every).await;
        let started = Instant::now();
        match http.kpis(token).await {
            Ok(()) => {
                r.hist("kpis").record(started.elapsed());
                r.count("kpis", 1);
            }
            Err(e) => r.error(format!("kpis: {e:#}")),
        }
    }
}

async fn user(
    a: Arc<DeskArgs>,
    env: Arc<Env>,
    index: usize,
    token: String,
    role: Role,
    deadline: tokio::time::Instant,
) -> RunResult {
    let mut r = RunResult::default();
    if let Role::Manager = role {
        manager(&a, &token, deadline, &mut r).await;
        return r;
    }
    let t = env.common.op_timeout;
    let mut cl = match Client::connect_patiently(&env.opts, &token, env.source(index), t * 3).await {
        Ok((cl, _)) => cl,
        Err(e) => {
            r.count("connect_failures", 1);
            r.error(format!("user {index}: {e:#}"));
            return r;
        }
    };
    let mut rng = Rng::new(a.seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    match role {
        Role::Visitor => visitor(&a, &mut cl, &mut rng, deadline, &mut r).await,
        Role::Agent => {
            let me = match cl.call::<agora_protocol::ops::WhoamiOk>(Op::Whoami {}, t).await {
                Ok(w) => w.user.id,
                Err(e) => {
                    r.error(format!("whoami: {e:#}"));
                    return r;
                }
            };
            agent(&a, &mut cl, me, &mut rng, deadline, &mut r).await
        }
        Role::Manager => {}
    }
    cl.close().await;
    r
}

#[derive(Clone, Copy)]
enum Role {
    Visitor,
    Agent,
    Manager,
}

pub async fn run_shard(
    a: &DeskArgs,
    env: Env,
    plan: &Plan,
    (shard, shards): (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let c = &a.common;
    let mut result = RunResult::new(
        "desk",
        serde_json::json!({
            "url": c.url, "visitors": a.visitors, "agents": a.agents, "max_chats": a.max_chats,
            "think_ms": a.think.as_millis() as u64, "kpi_every_ms": a.kpi_every.as_millis() as u64,
            "preload_tickets": a.preload_tickets, "preload_messages": a.preload_messages,
            "size": a.size, "seed": a.seed, "procs": c.procs,
            "duration_s": c.duration.as_secs_f64(), "encoding": format!("{:?}", c.encoding).to_lowercase(),
        }),
    );
    let owner = plan.streams.first().ok_or_else(|| anyhow!("no owner token in the plan"))?.as_str().to_owned();
    let mut users: Vec<(String, Role)> = plan
        .subscriber_tokens
        .iter()
        .map(|t| (t.clone(), Role::Visitor))
        .chain(plan.publisher_tokens.iter().map(|t| (t.clone(), Role::Agent)))
        .collect();
    users.push((owner, Role::Manager));
    let mine: Vec<(usize, String, Role)> =
        shard_range(users.len(), shards, shard).map(|i| (i, users[i].0.clone(), users[i].1)).collect();
    barrier.ready_then_go().await?;
    result.t_start_ns = mono_ns();
    let cpu = crate::util::CpuWindow::start(c.server_pid.filter(|_| shard == 0));
    let deadline = tokio::time::Instant::now() + c.duration;
    let (a, env) = (Arc::new(a.clone()), Arc::new(env));
    let tasks: Vec<_> = mine
        .into_iter()
        .map(|(i, token, role)| tokio::spawn(user(a.clone(), env.clone(), i, token, role, deadline)))
        .collect();
    for task in tasks {
        result.merge(&task.await?);
    }
    result.t_end_ns = mono_ns();
    cpu.finish(&mut result);
    Ok(result)
}
