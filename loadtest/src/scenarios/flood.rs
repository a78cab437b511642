//! Flooders beside a `fanout` or `resume` load (`--flooders N --flood-rate R`):
//! each flooder is one user posting to its channel at R posts/s without waiting
//! for acks, far over the server's per-user limit. It counts what the server
//! answers (`ok`, `rate_limited`) and how the connection ends (4002 `flood`,
//! another close, a reset), then reconnects and floods again until the measured
//! phase ends, as an abusive client would. The rest of the run measures what
//! everybody else sees meanwhile (docs/BENCHMARKS.md, "Overload").
//!
//! What lives here: one flooder's loop and its counts. What does not: the
//! publishers, subscribers and checks (`pubsub`).

use super::Env;
use crate::client::{retry_after_429, Client, Incoming};
use crate::report::RunResult;
use agora_protocol::{ErrorCode, Op, StreamId};
use std::sync::Arc;
use std::time::Duration;

/// What one flooder saw.
#[derive(Default, Debug)]
pub struct FloodOutcome {
    pub posts: u64,
    pub acked: u64,
    pub rate_limited: u64,
    /// Connections the server closed with 4002 `flood`.
    pub closed_4002: u64,
    /// Of those, how many had been answered `rate_limited` first.
    pub closed_4002_after_rate_limited: u64,
    /// Connections that ended otherwise (another close code, a reset, no close frame).
    pub closed_other: u64,
    pub connects: u64,
    pub errors: Vec<String>,
}

impl FloodOutcome {
    pub fn add_to(&self, r: &mut RunResult) {
        r.count("flood_posts", self.posts);
        r.count("flood_acked", self.acked);
        r.count("flood_rate_limited", self.rate_limited);
        r.count("flood_closed_4002", self.closed_4002);
        r.count("flood_closed_4002_after_rate_limited", self.closed_4002_after_rate_limited);
        r.count("flood_closed_other", self.closed_other);
        r.count("flood_connects", self.connects);
    }
}

/// Flood `stream` as `token` at `rate` posts/s until `deadline`, reconnecting
/// whenever the server closes the connection.
pub async fn flood(
    env: Arc<Env>,
    index: usize,
    token: String,
    stream: StreamId,
    rate: f64,
    deadline: tokio::time::Instant,
) -> FloodOutcome {
    let mut out = FloodOutcome::default();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    while tokio::time::Instant::now() < deadline {
        let mut client = match Client::connect(&env.opts, &token, None).await {
            Ok((c, _)) => c,
            Err(e) => {
                // The handshake limit (429) is part of the defence: wait as told.
                let wait = retry_after_429(&e).unwrap_or(Duration::from_millis(200));
                if retry_after_429(&e).is_none() {
                    out.errors.push(format!("flooder {index}: {e:#}"));
                }
                tokio::time::sleep_until((tokio::time::Instant::now() + wait).min(deadline)).await;
                continue;
            }
        };
        out.connects += 1;
        let mut limited_here = false;
        let mut next = tokio::time::Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(deadline) => {
                    client.close().await;
                    return out;
                }
                f = client.recv() => match f {
                    Ok(Incoming::Reply { result: Ok(_), .. }) => out.acked += 1,
                    Ok(Incoming::Reply { result: Err(e), .. }) if e.code == ErrorCode::RateLimited => {
                        out.rate_limited += 1;
                        limited_here = true;
                    }
                    Ok(Incoming::Reply { result: Err(e), .. }) => {
                        out.errors.push(format!("flooder {index}: {} ({})", e.code, e.message));
                    }
                    Ok(Incoming::Event(_)) | Ok(Incoming::Push(_)) => {}
                    Ok(Incoming::Closed(Some((4002, _)))) => {
                        out.closed_4002 += 1;
                        out.closed_4002_after_rate_limited += u64::from(limited_here);
                        break;
                    }
                    Ok(Incoming::Closed(_)) | Err(_) => {
                        out.closed_other += 1;
                        break;
                    }
                },
                _ = tokio::time::sleep_until(next) => {
                    next += interval;
                    let text = format!("flood {index} {}", out.posts);
                    let op = Op::Post { stream: stream.clone(), text, reply_to: None, idem: None, attachments: vec![] };
                    if client.send(op).await.is_err() {
                        // The server closed first; the read side says how.
                        continue;
                    }
                    out.posts += 1;
                }
            }
        }
    }
    out
}
