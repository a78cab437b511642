//! `--procs K`: run a scenario in K child processes of this binary and merge their results.
//!
//! The parent does the setup once (users, tokens, channels) and writes the [`Plan`]
//! to a file; child I re-executes this binary with the parent's own arguments plus
//! `--procs 1 --shard I/K --plan-file F --shard-out O --quiet`, takes its share of
//! every connection range (`util::shard_range`), opens its connections and prints
//! `READY` on stdout. When all are ready the parent samples server memory, writes
//! `GO` to every child's stdin, and the measured phase starts everywhere at once.
//! Each child writes its [`RunResult`] as JSON to its `--shard-out` file.
//!
//! In a single process the same [`Barrier`] is local and does nothing but record
//! the memory sample.

use crate::cli::Common;
use crate::report::RunResult;
use crate::setup::Plan;
use anyhow::{anyhow, bail, Context, Result};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Where a shard waits between "connections are open" and "start the measured phase".
pub enum Barrier {
    /// In-process: sample server memory (if asked) once everything is connected.
    Local { common: Box<Common>, measure: bool, rss_at_ready: Mutex<Option<(u64, String)>> },
    /// A child: tell the parent we are ready and wait for it to say go.
    Child,
}

impl Barrier {
    pub fn local(common: &Common, measure: bool) -> Self {
        Barrier::Local { common: Box::new(common.clone()), measure, rss_at_ready: Mutex::new(None) }
    }

    pub async fn ready_then_go(&self) -> Result<()> {
        match self {
            Barrier::Local { common, measure, rss_at_ready } => {
                if *measure {
                    // Let the server finish the subscriptions' bookkeeping before measuring.
                    *rss_at_ready.lock().unwrap() = crate::memory::settled_sample(common).await;
                }
                Ok(())
            }
            Barrier::Child => {
                let mut out = tokio::io::stdout();
                out.write_all(b"READY\n").await?;
                out.flush().await?;
                let mut line = String::new();
                BufReader::new(tokio::io::stdin()).read_line(&mut line).await?;
                if line.trim() != "GO" {
                    bail!("parent said {line:?} instead of GO");
                }
                Ok(())
            }
        }
    }

    pub fn rss_at_ready(&self) -> Option<(u64, String)> {
        match self {
            Barrier::Local { rss_at_ready, .. } => rss_at_ready.lock().unwrap().clone(),
            Barrier::Child => None,
        }
    }
}

/// Run `common.procs` children over `plan` and merge their results.
/// `ready_timeout` bounds the children's connection phase; the measured phase is
/// bounded by the duration plus the drain timeout plus a minute.
pub async fn run_children(
    common: &Common,
    plan: &Plan,
    ready_timeout: Duration,
    measure: bool,
) -> Result<(RunResult, Option<(u64, String)>)> {
    let k = common.procs;
    let dir = std::env::temp_dir().join(format!("agora-loadtest-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let plan_path = dir.join("plan.json");
    std::fs::write(&plan_path, serde_json::to_vec(plan)?)?;
    let exe = std::env::current_exe().context("locating this binary")?;
    let args: Vec<String> = std::env::args().skip(1).collect();

    let mut children = Vec::with_capacity(k);
    let mut outs: Vec<PathBuf> = Vec::with_capacity(k);
    for i in 0..k {
        let out = dir.join(format!("shard-{i}.json"));
        let child = tokio::process::Command::new(&exe)
            .args(&args)
            .args(["--procs", "1", "--quiet", "--shard", &format!("{i}/{k}")])
            .arg("--plan-file")
            .arg(&plan_path)
            .arg("--shard-out")
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting child {i}"))?;
        children.push(child);
        outs.push(out);
    }

    // Wait until every child says READY.
    let mut readers = Vec::with_capacity(k);
    for (i, c) in children.iter_mut().enumerate() {
        let stdout = c.stdout.take().ok_or_else(|| anyhow!("child {i} has no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(ready_timeout, lines.next_line())
            .await
            .map_err(|_| anyhow!("child {i} not ready within {ready_timeout:?}"))??;
        if line.as_deref() != Some("READY") {
            bail!("child {i} failed before it was ready (said {line:?}); see its stderr above");
        }
        readers.push(lines);
    }
    let rss = if measure { crate::memory::settled_sample(common).await } else { None };
    for c in children.iter_mut() {
        let stdin = c.stdin.as_mut().ok_or_else(|| anyhow!("child has no stdin"))?;
        stdin.write_all(b"GO\n").await?;
        stdin.flush().await?;
    }

    let bar =
        crate::progress::TimedBar::start(common.quiet, "children", common.duration, std::sync::Arc::new(String::new));
    let limit = common.duration + common.drain_timeout + Duration::from_secs(60);
    let mut merged: Option<RunResult> = None;
    let mut failures = Vec::new();
    for (i, mut c) in children.into_iter().enumerate() {
        let status = match tokio::time::timeout(limit, c.wait()).await {
            Ok(s) => s?,
            Err(_) => {
                let _ = c.kill().await;
                failures.push(format!("child {i} did not finish within {limit:?} and was killed"));
                continue;
            }
        };
        match std::fs::read(&outs[i]).ok().and_then(|b| serde_json::from_slice::<RunResult>(&b).ok()) {
            Some(r) => match &mut merged {
                None => merged = Some(r),
                Some(m) => m.merge(&r),
            },
            None => failures.push(format!("child {i} exited with {status} and left no result")),
        }
    }
    bar.finish();
    let _ = std::fs::remove_dir_all(&dir);
    let mut merged = merged.ok_or_else(|| anyhow!("no child produced a result: {failures:?}"))?;
    for f in failures {
        merged.error(f);
    }
    Ok((merged, rss))
}
