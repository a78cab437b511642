//! Command-line interface: one subcommand per scenario, shared flags in [`Common`].
//!
//! Flag names are a contract: scripts outside the repo call them. Add flags, never
//! rename them. The hidden `--shard`, `--plan-file` and `--shard-out` flags are how
//! `--procs K` re-executes this binary as K children (see `procs`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(name = "agora-loadtest", version, about = "Load-test harness for the agora chat server")]
// Later occurrences of a flag override earlier ones: children are re-executed with
// the parent's argv plus `--procs 1 --shard I/K ...` appended.
#[command(args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Command,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Ramp N authenticated connections at R/s, hold them, report handshake latency and memory per connection.
    Connect(ConnectArgs),
    /// Publishers post to streams that many subscribers follow; latency, throughput and exactly-once checks.
    Fanout(FanoutArgs),
    /// A realistic mix per user: posts, typing, presence, history reads, reconnects with resume.
    Chat(ChatArgs),
    /// A disconnect storm under a steady publish load; reconnect with `since` and verify no loss or duplicate.
    Resume(ResumeArgs),
    /// Readers browse forum thread lists (cursor pages) and open threads while writers reply.
    Forum(ForumArgs),
    /// Website visitors open tickets and write; agents answer, add notes and solve; a manager polls the KPIs.
    Desk(DeskArgs),
}

impl Command {
    pub fn common(&self) -> &Common {
        match self {
            Command::Connect(a) => &a.common,
            Command::Fanout(a) => &a.common,
            Command::Chat(a) => &a.common,
            Command::Resume(a) => &a.pubsub.common,
            Command::Forum(a) => &a.common,
            Command::Desk(a) => &a.common,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Command::Connect(_) => "connect",
            Command::Fanout(_) => "fanout",
            Command::Chat(_) => "chat",
            Command::Resume(_) => "resume",
            Command::Forum(_) => "forum",
            Command::Desk(_) => "desk",
        }
    }
}

/// Wire encoding of the WebSocket frames.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncodingArg {
    Json,
    Msgpack,
}

impl From<EncodingArg> for agora_protocol::Encoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Json => agora_protocol::Encoding::Json,
            EncodingArg::Msgpack => agora_protocol::Encoding::MsgPack,
        }
    }
}

/// Flags every scenario takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The server's WebSocket endpoint; the HTTP API is derived from it (same host and port).
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Password of the bootstrap admin; used to create load-test users and channels.
    #[arg(long, env = "AGORA_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Admin username to log in with `--admin-password`.
    #[arg(long, default_value = "admin")]
    pub admin_user: String,
    /// Use this bearer token for every connection instead of creating users (per-user rate limits then apply to the whole run).
    #[arg(long)]
    pub token: Option<String>,
    /// How long the measured phase lasts (humantime: 30s, 2m, 1h; a bare number is seconds).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub duration: Duration,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Frame encoding: JSON text frames or MessagePack binary frames (`agora.msgpack.v1`).
    #[arg(long, value_enum, default_value = "json")]
    pub encoding: EncodingArg,
    /// One WebSocket message per frame (`agora.json.v1` / `agora.msgpack.v1`) instead of
    /// the batched subprotocols (`agora.json.batch.v1` / `agora.msgpack.batch.v1`, the default).
    #[arg(long)]
    pub no_batch: bool,
    /// Split connections over K child processes of this binary (each holds at most ~20k files).
    #[arg(long, default_value_t = 1)]
    pub procs: usize,
    /// Bind client sockets to these loopback source addresses, round-robin (e.g. 127.0.0.2,127.0.0.3).
    #[arg(long, value_delimiter = ',')]
    pub source_addrs: Vec<IpAddr>,
    /// Prefix of the usernames and channel names this run creates or reuses.
    #[arg(long, default_value = "lt")]
    pub prefix: String,
    /// Role of the users the harness creates (member, bot, ...).
    #[arg(long, default_value = "member")]
    pub role: String,
    /// How many connections (or HTTP calls) to open concurrently during setup.
    #[arg(long, default_value_t = 64)]
    pub setup_concurrency: usize,
    /// After the measured phase, how long subscribers may take to catch up with the stream heads.
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub drain_timeout: Duration,
    /// Time limit for one connection attempt, one request/reply, one login.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub op_timeout: Duration,
    /// The server's pid: memory per connection is read from /proc/PID/status (VmRSS).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,

    /// Internal: this process is child I of K (`I/K`).
    #[arg(long, hide = true)]
    pub shard: Option<String>,
    /// Internal: the setup a parent prepared (tokens, stream ids), as JSON.
    #[arg(long, hide = true)]
    pub plan_file: Option<PathBuf>,
    /// Internal: where a child writes its results.
    #[arg(long, hide = true)]
    pub shard_out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub common: Common,
    /// Connections to open (in total, over all `--procs`).
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// New connections per second (in total).
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// Subscribe each connection to one of `--streams` channels (what "idle, subscribed" means in BENCH.md).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub subscribe: bool,
    /// Channels the connections subscribe to, round-robin.
    #[arg(long, default_value_t = 1)]
    pub streams: usize,
    /// Connections sharing one user account. Few users on purpose: each login costs
    /// the server a password hash whose memory stays resident for a while, which
    /// would blur the per-connection figure.
    #[arg(long, default_value_t = 1000)]
    pub conns_per_user: usize,
    /// Send a `ping` op this often on each held connection (0 = never).
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    pub keepalive: Duration,
    /// The server under test: agora, or a peer (connect, subscribe the peer's way, hold; no accounts).
    #[arg(long, value_enum, default_value = "agora")]
    pub target: Target,
}

/// Flags shared by `fanout` and `resume`: publishers post, subscribers follow.
#[derive(Args, Debug, Clone)]
pub struct PubSubArgs {
    #[command(flatten)]
    pub common: Common,
    /// Subscriber connections (in total).
    #[arg(long, default_value_t = 100)]
    pub subscribers: usize,
    /// Channels; publisher i posts to channel i mod streams.
    #[arg(long, default_value_t = 1)]
    pub streams: usize,
    /// Channels each subscriber follows (subscriber j follows j, j+1, ... mod streams).
    #[arg(long, default_value_t = 1)]
    pub streams_per_sub: usize,
    /// Publisher connections (one user each).
    #[arg(long, default_value_t = 1)]
    pub publishers: usize,
    /// Offered posts per second over all publishers; 0 = as fast as acks allow (see --window).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Message text size in bytes (header with the send time, then padding).
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Posts a publisher may have awaiting their ack.
    #[arg(long, default_value_t = 16)]
    pub window: usize,
    /// Stop each publisher after this many posts (0 = only the duration limits it).
    #[arg(long, default_value_t = 0)]
    pub messages: u64,
    /// Subscriber connections sharing one user account.
    #[arg(long, default_value_t = 50)]
    pub subs_per_user: usize,
    /// Flooders (one user each, flooder i posts to channel i mod streams) that
    /// post at --flood-rate without waiting for acks and reconnect when closed.
    #[arg(long, default_value_t = 0)]
    pub flooders: usize,
    /// Posts per second of each flooder.
    #[arg(long, default_value_t = 1000.0)]
    pub flood_rate: f64,
}

#[derive(Args, Debug, Clone)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub pubsub: PubSubArgs,
    /// The server under test: agora, or a peer for side-by-side figures (a NATS
    /// WebSocket listener, or bench/ws-broadcast.js); peers need no credentials.
    #[arg(long, value_enum, default_value = "agora")]
    pub target: Target,
}

/// What `fanout` drives.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Agora,
    Nats,
    WsBroadcast,
    /// `agora-tcp-ceiling`: plain loopback TCP, length-prefixed frames (`--url tcp://127.0.0.1:PORT`).
    TcpCeiling,
}

#[derive(Args, Debug, Clone)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub pubsub: PubSubArgs,
    /// Subscriber connections (alias of --subscribers for this scenario).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Fraction of subscriber connections dropped in each storm.
    #[arg(long, default_value_t = 0.5)]
    pub drop_fraction: f64,
    /// Storms during the measured phase, evenly spaced.
    #[arg(long, default_value_t = 1)]
    pub storms: u32,
    /// Reconnect after a random delay up to this long.
    #[arg(long, value_parser = parse_duration, default_value = "500ms")]
    pub reconnect_jitter: Duration,
    /// Send a WebSocket close frame before dropping (default: drop the TCP connection without one).
    #[arg(long)]
    pub graceful: bool,
}

impl std::ops::Deref for FanoutArgs {
    type Target = PubSubArgs;
    fn deref(&self) -> &PubSubArgs {
        &self.pubsub
    }
}

#[derive(Args, Debug, Clone)]
pub struct ChatArgs {
    #[command(flatten)]
    pub common: Common,
    /// Users, one connection each.
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Channels in the workspace (0 = one per 20 users).
    #[arg(long, default_value_t = 0)]
    pub streams: usize,
    /// Channels each user joins and follows.
    #[arg(long, default_value_t = 3)]
    pub channels_per_user: usize,
    /// Mean pause between one user's actions.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub think: Duration,
    /// Message text size in bytes.
    #[arg(long, default_value_t = 80)]
    pub size: usize,
    /// Seed of the action mix (runs with one seed choose the same actions).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct ForumArgs {
    #[command(flatten)]
    pub common: Common,
    /// Reader users, one connection each: browse lists, open threads, mark them read.
    #[arg(long, default_value_t = 50)]
    pub readers: usize,
    /// Writer users, one connection each: open a thread and reply.
    #[arg(long, default_value_t = 5)]
    pub writers: usize,
    /// Threads the forum holds before the measured phase (setup opens the missing ones).
    #[arg(long, default_value_t = 1000)]
    pub threads: usize,
    /// Categories the threads are spread over.
    #[arg(long, default_value_t = 10)]
    pub categories: usize,
    /// Threads per list page.
    #[arg(long, default_value_t = 30)]
    pub page_size: u32,
    /// Up to this many further pages a reader follows with the cursor.
    #[arg(long, default_value_t = 3)]
    pub pages: usize,
    /// Mean pause between one user's actions.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub think: Duration,
    /// Post text size in bytes.
    #[arg(long, default_value_t = 80)]
    pub size: usize,
    /// Seed of the action mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct DeskArgs {
    #[command(flatten)]
    pub common: Common,
    /// Website visitors, one connection each (tokens from `POST /api/v1/visitors`).
    #[arg(long, default_value_t = 50)]
    pub visitors: usize,
    /// Agents, one connection each, available for routing.
    #[arg(long, default_value_t = 5)]
    pub agents: usize,
    /// The most conversations routing gives one agent at once.
    #[arg(long, default_value_t = 10)]
    pub max_chats: u32,
    /// Mean pause between one user's actions.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub think: Duration,
    /// The manager's pause between two `GET /api/v1/kpis`.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub kpi_every: Duration,
    /// Tickets setup adds before the measured phase (not idempotent: each setup adds them).
    #[arg(long, default_value_t = 0)]
    pub preload_tickets: usize,
    /// Public messages per preloaded ticket (its opening message included), requester and agent in turn.
    #[arg(long, default_value_t = 10)]
    pub preload_messages: usize,
    /// Message text size in bytes.
    #[arg(long, default_value_t = 80)]
    pub size: usize,
    /// Seed of the action mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Parse a duration: humantime (`30s`, `1m30s`, `250ms`) or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
        return Err(format!("bad duration `{s}`"));
    }
    humantime::parse_duration(s).map_err(|e| format!("bad duration `{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_humantime_and_bare_seconds() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-3").is_err());
    }

    #[test]
    fn flags_parse_and_later_ones_override() {
        let cli = Cli::try_parse_from([
            "agora-loadtest",
            "fanout",
            "--url",
            "ws://127.0.0.1:9/ws",
            "--token",
            "t",
            "--subscribers",
            "10",
            "--rate",
            "0",
            "--duration",
            "3s",
            "--encoding",
            "msgpack",
            "--procs",
            "4",
            "--source-addrs",
            "127.0.0.2,127.0.0.3",
            "--procs",
            "1",
        ])
        .unwrap();
        let Command::Fanout(f) = cli.cmd else { panic!() };
        assert_eq!(f.common.procs, 1);
        assert_eq!(f.subscribers, 10);
        assert_eq!(f.common.duration, Duration::from_secs(3));
        assert_eq!(f.common.encoding, EncodingArg::Msgpack);
        assert_eq!(f.common.source_addrs.len(), 2);
    }

    #[test]
    fn connect_and_resume_flags_parse() {
        let cli = Cli::try_parse_from([
            "agora-loadtest",
            "connect",
            "--connections",
            "5000",
            "--rate",
            "1000",
            "--server-pid",
            "42",
        ])
        .unwrap();
        let Command::Connect(c) = cli.cmd else { panic!() };
        assert_eq!((c.connections, c.common.server_pid), (5000, Some(42)));
        let cli = Cli::try_parse_from(["agora-loadtest", "resume", "--connections", "200", "--drop-fraction", "0.3"])
            .unwrap();
        let Command::Resume(r) = cli.cmd else { panic!() };
        assert_eq!((r.connections, r.drop_fraction), (Some(200), 0.3));
    }
}
