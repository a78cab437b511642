//! `forum`: readers browse thread lists and open threads while writers reply,
//! over a forum of `--threads` threads in `--categories` categories.
//!
//! Setup (once, idempotent by `--prefix`): the admin creates the categories and
//! opens threads until the forum holds `--threads` (from `--setup-concurrency`
//! connections at once), then the reader and writer users are created. In the
//! measured phase each reader, after a random pause (exponential, mean
//! `--think`), lists a page of "latest" or of a random category and follows the
//! `next` cursor up to `--pages` pages, then opens one listed thread (landing on
//! its first unread post) and marks it read; each writer lists "latest", opens a
//! thread and replies to it (one in 20 actions opens a new thread instead).
//!
//! Reports request→reply latency per op: `list_first_page`, `list_next_page`,
//! `open_thread`, `reply`, `create_thread`. A reply that is not `ok` is a client
//! error (rate-limited replies are counted apart).

use super::Env;
use crate::cli::ForumArgs;
use crate::client::Client;
use crate::procs::Barrier;
use crate::report::RunResult;
use crate::setup::{owner_token, Http, Plan};
use crate::util::{mono_ns, shard_range, Rng};
use agora_protocol::forum::{ForumCategoriesOk, ForumCategoryOk, ForumThreadCreatedOk, ForumThreadOk, ForumThreadsOk};
use agora_protocol::ops::AppendOk;
use agora_protocol::{ErrorBody, ErrorCode, Op, StreamId};
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

pub async fn setup(a: &ForumArgs, env: &Env) -> Result<Plan> {
    let c = &a.common;
    let http = Http::from_ws_url(&c.url, c.op_timeout)?;
    let owner = owner_token(c, &http).await?;
    let t = c.op_timeout;
    let (mut cl, _) = Client::connect_patiently(&env.opts, &owner, None, t * 3).await.context("connecting as admin")?;
    let mut have: ForumCategoriesOk = cl.call(Op::ForumCategories {}, t).await?;
    let mut ids = Vec::new();
    for i in 0..a.categories.max(1) {
        let slug = format!("{}-forum-{i}", c.prefix.to_lowercase().replace('_', "-"));
        if let Some(found) = have.categories.iter().find(|x| x.category.slug == slug) {
            ids.push(found.category.id.clone());
            continue;
        }
        let op = Op::ForumSaveCategory {
            category: None,
            name: format!("Load {i}"),
            slug,
            description: String::new(),
            position: i as u32,
            read_role: None,
            post_role: None,
        };
        let ok: ForumCategoryOk = cl.call(op, t).await.context("creating a category")?;
        ids.push(ok.category.id);
    }
    have = cl.call(Op::ForumCategories {}, t).await?;
    let existing: usize =
        have.categories.iter().filter(|x| ids.contains(&x.category.id)).map(|x| x.thread_count as usize).sum();
    cl.close().await;
    let missing = a.threads.saturating_sub(existing);
    eprintln!("setup: {} categories, {existing} threads exist, opening {missing}", ids.len());
    let conns = c.setup_concurrency.clamp(1, 64).min(missing.max(1));
    let started = Instant::now();
    stream::iter(0..conns)
        .map(|k| {
            let (opts, owner, ids) = (&env.opts, &owner, &ids);
            async move {
                let (mut cl, _) = Client::connect_patiently(opts, owner, None, t * 3).await?;
                for n in shard_range(missing, conns, k) {
                    let op = Op::ForumCreateThread {
                        category: ids[n % ids.len()].clone(),
                        title: format!("Thread {n}"),
                        text: text(a.size, "first post"),
                    };
                    let _: ForumThreadCreatedOk = cl.call(op, t).await.context("opening a thread")?;
                }
                cl.close().await;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(conns)
        .try_collect::<Vec<()>>()
        .await?;
    if missing > 0 {
        eprintln!("setup: opened {missing} threads in {:.1}s", started.elapsed().as_secs_f64());
    }
    // Users: readers first, then writers.
    let conc = c.setup_concurrency.clamp(1, 8);
    let names: Vec<String> = (0..a.readers)
        .map(|i| format!("{}_fr_{i}", c.prefix))
        .chain((0..a.writers).map(|i| format!("{}_fw_{i}", c.prefix)))
        .collect();
    let tokens: Vec<String> = match &c.token {
        Some(tok) => vec![tok.clone(); names.len()],
        None => {
            stream::iter(names.iter())
                .map(|n| {
                    let (http, owner, role) = (&http, &owner, &c.role);
                    async move { http.ensure_user(owner, n, role).await }
                })
                .buffered(conc)
                .try_collect()
                .await?
        }
    };
    Ok(Plan {
        streams: ids,
        publisher_tokens: tokens[a.readers..].to_vec(),
        subscriber_tokens: tokens[..a.readers].to_vec(),
        flooder_tokens: vec![],
    })
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

/// One user's loop until `deadline`: a reader browses, a writer replies.
async fn act(
    a: Arc<ForumArgs>,
    env: Arc<Env>,
    index: usize,
    token: String,
    writer: bool,
    categories: Arc<Vec<String>>,
    deadline: tokio::time::Instant,
) -> RunResult {
    let mut r = RunResult::default();
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
    let think = a.think.as_secs_f64();
    loop {
        let pause = Duration::from_secs_f64(rng.exp(think));
        if tokio::time::Instant::now() + pause >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        let category =
            (!writer && rng.below(2) == 0).then(|| categories[rng.below(categories.len() as u64) as usize].clone());
        let limit = Some(a.page_size);
        let op = Op::ForumThreads { category: category.clone(), cursor: None, limit };
        let Some(mut page) = timed::<ForumThreadsOk>(&mut cl, op, t, "list_first_page", &mut r).await else { continue };
        let pages = if writer { 0 } else { rng.below(a.pages as u64 + 1) };
        for _ in 0..pages {
            let Some(cursor) = page.next.clone() else { break };
            let op = Op::ForumThreads { category: category.clone(), cursor: Some(cursor), limit };
            match timed::<ForumThreadsOk>(&mut cl, op, t, "list_next_page", &mut r).await {
                Some(p) if !p.threads.is_empty() => page = p,
                _ => break,
            }
        }
        if page.threads.is_empty() {
            continue;
        }
        let thread: StreamId = page.threads[rng.below(page.threads.len() as u64) as usize].thread.clone();
        if writer && rng.below(20) == 0 {
            let op = Op::ForumCreateThread {
                category: categories[rng.below(categories.len() as u64) as usize].clone(),
                title: format!("New thread by {index}"),
                text: text(a.size, "first post"),
            };
            timed::<ForumThreadCreatedOk>(&mut cl, op, t, "create_thread", &mut r).await;
            continue;
        }
        let op = Op::ForumThread { thread: thread.clone(), after: None, limit: Some(a.page_size) };
        let Some(view) = timed::<ForumThreadOk>(&mut cl, op, t, "open_thread", &mut r).await else { continue };
        if writer {
            let op = Op::Post {
                stream: thread,
                text: text(a.size, "reply"),
                reply_to: None,
                idem: None,
                attachments: Vec::new(),
            };
            timed::<AppendOk>(&mut cl, op, t, "reply", &mut r).await;
        } else {
            let op = Op::MarkRead { stream: thread, seq: view.head };
            timed::<serde_json::Value>(&mut cl, op, t, "mark_read", &mut r).await;
        }
    }
    cl.close().await;
    r
}

pub async fn run_shard(
    a: &ForumArgs,
    env: Env,
    plan: &Plan,
    (shard, shards): (usize, usize),
    barrier: &Barrier,
) -> Result<RunResult> {
    let c = &a.common;
    let mut result = RunResult::new(
        "forum",
        serde_json::json!({
            "url": c.url, "readers": a.readers, "writers": a.writers, "threads": a.threads,
            "categories": a.categories, "think_ms": a.think.as_millis() as u64, "page_size": a.page_size,
            "pages": a.pages, "size": a.size, "seed": a.seed, "procs": c.procs,
            "duration_s": c.duration.as_secs_f64(), "encoding": format!("{:?}", c.encoding).to_lowercase(),
        }),
    );
    if plan.streams.is_empty() {
        return Err(anyhow!("no categories in the plan"));
    }
    let users: Vec<(usize, String, bool)> = plan
        .subscriber_tokens
        .iter()
        .map(|t| (t.clone(), false))
        .chain(plan.publisher_tokens.iter().map(|t| (t.clone(), true)))
        .enumerate()
        .map(|(i, (t, w))| (i, t, w))
        .collect();
    let mine: Vec<(usize, String, bool)> = shard_range(users.len(), shards, shard).map(|i| users[i].clone()).collect();
    barrier.ready_then_go().await?;
    result.t_start_ns = mono_ns();
    let cpu = crate::util::CpuWindow::start(c.server_pid.filter(|_| shard == 0));
    let deadline = tokio::time::Instant::now() + c.duration;
    let (a, env, cats) = (Arc::new(a.clone()), Arc::new(env), Arc::new(plan.streams.clone()));
    let tasks: Vec<_> = mine
        .into_iter()
        .map(|(i, token, writer)| tokio::spawn(act(a.clone(), env.clone(), i, token, writer, cats.clone(), deadline)))
        .collect();
    for task in tasks {
        result.merge(&task.await?);
    }
    result.t_end_ns = mono_ns();
    cpu.finish(&mut result);
    Ok(result)
}
