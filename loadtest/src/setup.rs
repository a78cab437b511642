//! Setup over HTTP and WebSocket: the admin token, load-test users and their
//! tokens, channels (created or found by name), and memberships.
//!
//! Everything is idempotent so that runs can repeat against one data directory:
//! an existing user (409) is logged in with the same derived password, an existing
//! channel (`conflict`) is found with `list_streams`, an existing membership is fine.

use crate::cli::Common;
use crate::client::{Client, ConnectOpts};
use agora_protocol::ops::{ListStreamsOk, StreamInfoOk};
use agora_protocol::{ErrorCode, Op, StreamId};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a parent prepares once and every shard uses: ids and tokens, by index.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Stream ids, by stream index.
    pub streams: Vec<String>,
    /// One token per publisher.
    pub publisher_tokens: Vec<String>,
    /// One token per subscriber connection (connections of one user share it).
    pub subscriber_tokens: Vec<String>,
    /// One token per flooder (`--flooders`).
    #[serde(default)]
    pub flooder_tokens: Vec<String>,
}

/// A user the scenario needs, and the channels (by index) it must be a member of.
#[derive(Clone, Debug)]
pub struct UserSpec {
    pub name: String,
    pub streams: Vec<usize>,
}

/// How often an HTTP call answered 429 is retried.
const MAX_429_RETRIES: usize = 60;

/// The HTTP side of the server, derived from the WebSocket URL.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    pub base: String,
}

#[derive(Deserialize)]
struct LoginOk {
    token: String,
}

impl Http {
    pub fn from_ws_url(url: &str, timeout: std::time::Duration) -> Result<Self> {
        let rest = url.strip_prefix("ws://").ok_or_else(|| anyhow!("--url must start with ws://"))?;
        let hostport = rest.split('/').next().unwrap_or(rest);
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Http { client, base: format!("http://{hostport}") })
    }

    /// Send a request built by `make`, retrying while the server answers 429 (bounded).
    async fn send_patiently(
        &self,
        what: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        for _ in 0..MAX_429_RETRIES {
            let resp = make().send().await.with_context(|| what.to_owned())?;
            if resp.status().as_u16() != 429 {
                return Ok(resp);
            }
            let wait = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.5);
            tokio::time::sleep(std::time::Duration::from_secs_f64(wait.clamp(0.05, 5.0))).await;
        }
        bail!("{what}: still rate limited after {MAX_429_RETRIES} tries (raise the server's login limits, see loadtest/bench/agora-bench.toml)")
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<String> {
        let body = json!({ "username": username, "password": password });
        let url = format!("{}/api/v1/auth/login", self.base);
        let resp = self
            .send_patiently(&format!("POST /api/v1/auth/login as {username}"), || self.client.post(&url).json(&body))
            .await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("login as {username}: HTTP {status}: {}", resp.text().await.unwrap_or_default());
        }
        Ok(resp.json::<LoginOk>().await.context("login reply")?.token)
    }

    /// Create a user; `Ok(false)` if it already exists.
    pub async fn create_user(&self, admin_token: &str, username: &str, password: &str, role: &str) -> Result<bool> {
        let body = json!({ "username": username, "password": password, "role": role });
        let url = format!("{}/api/v1/users", self.base);
        let resp = self
            .send_patiently(&format!("POST /api/v1/users {username}"), || {
                self.client.post(&url).bearer_auth(admin_token).json(&body)
            })
            .await?;
        match resp.status().as_u16() {
            200 | 201 => Ok(true),
            409 => Ok(false),
            s => bail!("creating user {username}: HTTP {s}: {}", resp.text().await.unwrap_or_default()),
        }
    }

    /// Create (or reuse) a user and log in as it.
    pub async fn ensure_user(&self, admin_token: &str, username: &str, role: &str) -> Result<String> {
        let password = password_for(username);
        self.create_user(admin_token, username, &password, role).await?;
        self.login(username, &password).await
    }

    /// A website visitor's token (`POST /api/v1/visitors`; raise `visitor_per_ip_*` for many).
    pub async fn visitor(&self, name: &str) -> Result<String> {
        let body = json!({ "name": name });
        let url = format!("{}/api/v1/visitors", self.base);
        let resp = self.send_patiently("POST /api/v1/visitors", || self.client.post(&url).json(&body)).await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("visitor token: HTTP {status}: {}", resp.text().await.unwrap_or_default());
        }
        Ok(resp.json::<LoginOk>().await.context("visitor reply")?.token)
    }

    /// `GET /api/v1/kpis` (the last 30 days, by day) as `token`; the body is read, not kept.
    pub async fn kpis(&self, token: &str) -> Result<()> {
        let resp = self.client.get(format!("{}/api/v1/kpis?bucket=day", self.base)).bearer_auth(token).send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        if !status.is_success() {
            bail!("GET /api/v1/kpis: HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(())
    }

    /// `process_resident_memory_bytes` from the server's Prometheus `/metrics`, if exposed.
    pub async fn metrics_rss(&self) -> Option<u64> {
        let text = self.client.get(format!("{}/metrics", self.base)).send().await.ok()?.text().await.ok()?;
        text.lines()
            .find(|l| l.starts_with("process_resident_memory_bytes"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as u64)
    }
}

/// The password the harness gives a user it creates; derived, so a later run can log in again.
pub fn password_for(username: &str) -> String {
    format!("{username}-loadtest-password")
}

/// The token that creates channels: `--token`, or the admin's.
pub async fn owner_token(common: &Common, http: &Http) -> Result<String> {
    if let Some(t) = &common.token {
        return Ok(t.clone());
    }
    let pw = common
        .admin_password
        .as_deref()
        .ok_or_else(|| anyhow!("give --admin-password (or AGORA_ADMIN_PASSWORD) or --token"))?;
    http.login(&common.admin_user, pw).await.context("logging in as the admin")
}

/// Create each named public channel, or find it if it exists; returns the ids in order.
pub async fn ensure_channels(
    opts: &ConnectOpts,
    token: &str,
    names: &[String],
    timeout: std::time::Duration,
) -> Result<Vec<StreamId>> {
    let (mut c, _) =
        Client::connect_patiently(opts, token, None, timeout * 3).await.context("connecting to create channels")?;
    let mut existing: Option<ListStreamsOk> = None;
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let op = Op::CreateChannel { name: name.clone(), topic: String::new(), private: false, members: vec![] };
        match c.request::<StreamInfoOk>(op, timeout).await? {
            Ok(info) => ids.push(info.id),
            Err(e) if e.code == ErrorCode::Conflict => {
                if existing.is_none() {
                    existing = Some(c.call(Op::ListStreams {}, timeout).await?);
                }
                let found = existing.as_ref().and_then(|l| l.streams.iter().find(|s| &s.name == name));
                match found {
                    Some(s) => ids.push(s.id.clone()),
                    None => bail!("channel {name} exists but list_streams does not show it"),
                }
            }
            Err(e) => bail!("create_channel {name}: {} ({})", e.code, e.message),
        }
    }
    c.close().await;
    Ok(ids)
}

/// Join `streams` as the token's user; an existing membership is fine.
pub async fn join_all(
    opts: &ConnectOpts,
    token: &str,
    streams: &[StreamId],
    timeout: std::time::Duration,
) -> Result<()> {
    if streams.is_empty() {
        return Ok(());
    }
    let (mut c, _) =
        Client::connect_patiently(opts, token, None, timeout * 3).await.context("connecting to join channels")?;
    for s in streams {
        match c.request::<serde_json::Value>(Op::Join { stream: s.clone() }, timeout).await? {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::Conflict => {}
            Err(e) => bail!("join {s}: {} ({})", e.code, e.message),
        }
    }
    c.close().await;
    Ok(())
}

/// Channels and users for a run: returns the stream ids and one token per user spec.
/// With `--token`, no user is created: every spec gets that token.
pub async fn prepare(
    common: &Common,
    opts: &ConnectOpts,
    channel_names: &[String],
    users: &[UserSpec],
) -> Result<(Vec<StreamId>, Vec<String>)> {
    let http = Http::from_ws_url(&common.url, common.op_timeout)?;
    let owner = owner_token(common, &http).await?;
    let streams = ensure_channels(opts, &owner, channel_names, common.op_timeout).await?;
    if let Some(t) = &common.token {
        join_all(opts, t, &streams, common.op_timeout).await?;
        return Ok((streams, vec![t.clone(); users.len()]));
    }
    // Password hashing makes user creation slow on the server: a few at a time.
    let conc = common.setup_concurrency.clamp(1, 8);
    let tokens: Vec<String> = stream::iter(users.iter())
        .map(|u| {
            let (http, owner, streams, role) = (&http, &owner, &streams, &common.role);
            async move {
                let token = http.ensure_user(owner, &u.name, role).await?;
                let mine: Vec<StreamId> = u.streams.iter().map(|&i| streams[i].clone()).collect();
                join_all(opts, &token, &mine, common.op_timeout).await.with_context(|| format!("user {}", u.name))?;
                anyhow::Ok(token)
            }
        })
        .buffered(conc)
        .try_collect()
        .await?;
    Ok((streams, tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_base_comes_from_the_ws_url() {
        let h = Http::from_ws_url("ws://127.0.0.1:8080/ws", std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(h.base, "http://127.0.0.1:8080");
        assert!(Http::from_ws_url("wss://x/ws", std::time::Duration::from_secs(1)).is_err());
    }

    #[test]
    fn passwords_are_derived_and_long_enough() {
        assert_eq!(password_for("lt_pub_0"), password_for("lt_pub_0"));
        assert!(password_for("a").len() >= 12);
    }
}
