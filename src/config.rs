//! One `Config` for the whole server: defaults < TOML file < `AGORA_*` env < flags.
//!
//! The TOML file and the defaults live here; env and flags are parsed by clap in
//! `main.rs` and applied with [`Config::apply_overrides`]. Nothing else reads env.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data directory: the event log in `<data>/log`, state tables (sled) in `<data>/sled`.
    pub data: PathBuf,
    /// Storage engine: `segment` (default, measured faster) or `sled`. A data
    /// directory is opened only by the engine that created it.
    pub engine: crate::engine::EngineKind,
    /// Seed a demo community on start (idempotent).
    pub demo: bool,
    /// Password for the bootstrap `admin` on first start; generated and logged if unset.
    pub admin_password: Option<String>,
    /// Browser origins allowed to open WebSockets (e.g. "https://chat.example.com").
    /// Empty: only an Origin whose host equals the request's Host header.
    pub allowed_origins: Vec<String>,
    /// Log format: "human" or "json".
    pub log_format: String,
    /// JWT lifetime in seconds.
    pub token_ttl_secs: u64,
    /// Lifetime of a website visitor's token and account (`POST /api/v1/visitors`), in seconds.
    pub visitor_ttl_secs: u64,
    /// PEM certificate chain: with `tls_key`, serve HTTPS and `wss://` (`tls`).
    /// Reloaded from the same paths on SIGHUP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Tests only: the server's clock may be moved forward by an admin
    /// (`POST /api/v1/test/clock`), so timers (SLAs, auto-close, mute expiry) are
    /// tested without sleeping. Never set in production.
    pub test_clock: bool,
    /// Tests only, with `test_clock`: start the clock this far ahead of the wall
    /// clock (a restart "after" a time that passed while the server was down).
    pub test_clock_offset_ms: u64,
    pub limits: Limits,
    pub moderation: ModerationConfig,
    /// The ticket desk: SLA targets per priority and auto-close.
    pub desk: Desk,
    /// The wiki: namespaces and who reads and edits them, semi-protection's account age.
    pub wiki: WikiConfig,
}

/// The wiki's policies (`[wiki]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WikiConfig {
    /// The namespaces besides the main one (`[[wiki.namespaces]]` with `prefix`,
    /// `read_role`, `edit_role`; a role means it and moderators and admins, none
    /// everyone). A page records its namespace's roles when created or moved.
    pub namespaces: Vec<agora_protocol::wiki::WikiNamespace>,
    /// How old an account must be to edit a semi-protected page, in days
    /// (MediaWiki's autoconfirmed: 4).
    pub semi_protect_min_age_days: u64,
}

impl WikiConfig {
    /// `semi_protect_min_age_days` in ms.
    pub fn semi_protect_min_age_ms(&self) -> u64 {
        self.semi_protect_min_age_days.saturating_mul(24 * 3600 * 1000)
    }
}

impl Default for WikiConfig {
    fn default() -> Self {
        WikiConfig {
            namespaces: crate::streams::kinds::wiki::names::default_namespaces(),
            semi_protect_min_age_days: 4,
        }
    }
}

/// The ticket desk's policies. Targets are per priority, in the order low,
/// normal, high, urgent, in seconds (0: no target), of calendar time or, for the
/// targets in `business`, of `business_hours`; `policies` override them for a
/// priority and/or a team (the first that matches). A ticket takes its policy
/// when it opens and when its priority or team changes; the policy (schedule
/// included) is written in the log with the ticket, so its due times follow
/// from its events alone, and a changed configuration applies to a ticket when
/// its policy is next set.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Desk {
    pub first_response_secs: [u64; 4],
    pub next_reply_secs: [u64; 4],
    pub resolution_secs: [u64; 4],
    /// A solved ticket closes by itself after this long (0: never).
    pub close_after_secs: u64,
    /// Custom ticket fields agents may set (no others are accepted).
    pub fields: Vec<FieldDef>,
    /// Custom statuses, each shown under its own name and behaving as its category.
    pub statuses: Vec<StatusDef>,
    /// Saved replies, with placeholders `{{requester.name}}`, `{{agent.name}}`,
    /// `{{ticket.id}}`, `{{ticket.subject}}`.
    pub canned: Vec<CannedDef>,
    /// Several field changes and a reply (or note) in one action.
    pub macros: Vec<MacroDef>,
    /// The weekly schedule, time zone and holidays business-hours targets are counted on.
    pub business_hours: Option<agora_protocol::ticket::BusinessHours>,
    /// The targets counted in business hours (`first_response`, `next_reply`,
    /// `resolution`) when a policy does not say; needs `business_hours`.
    pub business: Vec<agora_protocol::ticket::SlaTarget>,
    /// Announce a running target this long before it falls due, on the ticket
    /// and the escalation channel (0: no warnings).
    pub warn_before_secs: u64,
    /// Policies for a priority and/or a team, before the per-priority targets above.
    pub policies: Vec<PolicyDef>,
}

/// An SLA policy for tickets of `priority` (absent: any) in `team` (absent: any):
/// targets in seconds (0: none), `business` those counted in business hours.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyDef {
    pub priority: Option<agora_protocol::ticket::Priority>,
    pub team: Option<String>,
    pub first_response_secs: u64,
    pub next_reply_secs: u64,
    pub resolution_secs: u64,
    pub business: Option<Vec<agora_protocol::ticket::SlaTarget>>,
}

pub use agora_protocol::desk_settings::{CannedDef, FieldDef, FieldKind, MacroDef, StatusDef};

impl Default for Desk {
    fn default() -> Self {
        const H: u64 = 3600;
        Desk {
            first_response_secs: [24 * H, 8 * H, 2 * H, H / 2],
            next_reply_secs: [24 * H, 8 * H, 4 * H, H],
            resolution_secs: [7 * 24 * H, 3 * 24 * H, 24 * H, 8 * H],
            close_after_secs: 4 * 24 * H,
            fields: Vec::new(),
            statuses: Vec::new(),
            canned: Vec::new(),
            macros: Vec::new(),
            business_hours: None,
            business: Vec::new(),
            warn_before_secs: 0,
            policies: Vec::new(),
        }
    }
}

impl Desk {
    /// The editable settings as configured (they seed `desk_settings` until an admin edits them).
    pub fn settings(&self) -> agora_protocol::desk_settings::DeskSettings {
        agora_protocol::desk_settings::DeskSettings {
            fields: self.fields.clone(),
            statuses: self.statuses.clone(),
            canned: self.canned.clone(),
            macros: self.macros.clone(),
        }
    }

    /// The SLA policy of a ticket of this priority (in no team).
    pub fn policy(&self, p: agora_protocol::ticket::Priority) -> agora_protocol::ticket::SlaPolicy {
        self.policy_for(p, "")
    }

    /// The SLA policy of a ticket of this priority and team: the first of
    /// `policies` that matches, else the per-priority targets.
    pub fn policy_for(&self, p: agora_protocol::ticket::Priority, team: &str) -> agora_protocol::ticket::SlaPolicy {
        let i = p as usize;
        let ms = |secs: u64| (secs > 0).then_some(secs * 1000);
        let matching = self
            .policies
            .iter()
            .find(|d| d.priority.is_none_or(|x| x == p) && d.team.as_deref().is_none_or(|t| t == team));
        let (first, next, resolution, business) = match matching {
            Some(d) => (
                d.first_response_secs,
                d.next_reply_secs,
                d.resolution_secs,
                d.business.clone().unwrap_or_else(|| self.business.clone()),
            ),
            None => {
                (self.first_response_secs[i], self.next_reply_secs[i], self.resolution_secs[i], self.business.clone())
            }
        };
        // The schedule travels with every policy when the desk has one: the KPIs'
        // business-hours figures are counted on it, business targets or not.
        let hours = self.business_hours.clone();
        agora_protocol::ticket::SlaPolicy {
            first_response_ms: ms(first),
            next_reply_ms: ms(next),
            resolution_ms: ms(resolution),
            close_after_ms: ms(self.close_after_secs),
            business: if hours.is_some() { business } else { Vec::new() },
            hours,
            warn_before_ms: ms(self.warn_before_secs),
        }
    }

    /// Refuse a schedule the server could not count on (unknown zone, bad times or dates),
    /// and business-hours targets without a schedule.
    pub fn check(&self) -> Result<(), String> {
        if let Some(h) = &self.business_hours {
            crate::streams::kinds::ticket::hours::Schedule::parse(h)
                .map_err(|e| format!("desk.business_hours: {e}"))?;
        }
        let wants_hours = !self.business.is_empty()
            || self.policies.iter().any(|d| d.business.as_ref().is_some_and(|b| !b.is_empty()));
        if wants_hours && self.business_hours.is_none() {
            return Err("desk: business-hours targets need desk.business_hours".into());
        }
        Ok(())
    }
}

/// Moderation thresholds.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// Flags from distinct members that hide a post pending review (0: never).
    pub flags_to_hide: u32,
    /// Accounts younger than this post at the new-user rate (0, the default: no
    /// new-user limit; a community open to sign-ups sets a day or so).
    pub new_user_age_secs: u64,
    /// The new-user rate: posts per minute, and the burst.
    pub new_user_posts_per_minute: u32,
    pub new_user_burst: u32,
    /// Longest watched-word pattern, in characters, and most watched words.
    pub max_pattern_chars: usize,
    pub max_watched_words: usize,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        ModerationConfig {
            flags_to_hide: 3,
            new_user_age_secs: 0,
            new_user_posts_per_minute: 3,
            new_user_burst: 3,
            max_pattern_chars: 200,
            max_watched_words: 500,
        }
    }
}

/// Sizes, timeouts and rate limits. Every bound the server enforces is here.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest client frame decoded; larger ones get `too_large` and are skipped.
    pub max_frame_bytes: usize,
    /// Hard WebSocket message cap; larger messages close the connection with 1009.
    pub hard_frame_bytes: usize,
    pub max_text_chars: usize,
    /// Largest wiki page text, in bytes (a save must also fit in `max_frame_bytes`).
    pub max_wiki_page_bytes: usize,
    pub max_name_chars: usize,
    pub max_topic_chars: usize,
    pub max_dm_users: usize,
    pub max_subscriptions_per_connection: usize,
    /// Frames queued to one connection before it is cut off as a slow consumer.
    pub outbound_queue: usize,
    /// Initial size of a connection's read buffer (tungstenite's `read_buffer_size`),
    /// held by every connection for its whole life; a larger frame grows it as needed,
    /// up to `hard_frame_bytes`. Smaller means less memory per idle connection and
    /// more reads for a client that pipelines many requests.
    pub read_buffer_bytes: usize,
    /// Most events `subscribe` replays; further behind is `too_far_behind`.
    pub replay_limit: u64,
    pub history_max: u32,
    pub handshake_timeout_ms: u64,
    pub auth_timeout_ms: u64,
    pub ping_interval_ms: u64,
    pub idle_timeout_ms: u64,
    pub write_timeout_ms: u64,
    /// How long a close may wait for what must reach the client before it: replies
    /// still owed (a flood close) and room in a full socket for the close frame.
    pub close_timeout_ms: u64,
    /// After the close frame, the write side is shut down and the client's input read
    /// and discarded until it closes, for at most this long; then the socket is closed.
    /// Closing with unread input would send a TCP reset, which can destroy the close
    /// frame before the client reads it. 0: close at once.
    pub close_linger_ms: u64,
    /// `SO_SNDBUF` of every accepted socket: what a stalled reader can hold in the
    /// kernel (Linux doubles it for bookkeeping). 0: the kernel's default (autotuned,
    /// up to several MiB per socket).
    pub socket_send_buffer_bytes: usize,
    /// Requests of one connection awaiting a durable commit at once; the next one
    /// waits (the connection is not read meanwhile).
    pub max_in_flight_per_connection: usize,
    /// Most queued items one connection's writer renders before it writes and flushes.
    pub writer_batch_items: usize,
    /// On `*.batch.v1` connections, frames are joined into messages of at most this
    /// many bytes (a larger frame goes alone).
    pub batch_message_bytes: usize,
    /// Events read from the log per page of a replay (`subscribe` with `since`, gaps).
    pub replay_page_events: usize,
    pub typing_ttl_ms: u64,
    /// After SIGTERM, keep serving this long with `/healthz` at 503 and new
    /// WebSockets refused, so a load balancer stops routing here; then close
    /// every session with 1001. 0: close at once. A second signal ends the grace.
    pub drain_grace_ms: u64,
    /// Most appends committed in one group (one fsync).
    pub group_commit_max: usize,
    /// Under load, wait up to this long for more appends before a group commit
    /// (0: never). See `sequencer` for how the wait ends early.
    pub group_commit_linger_us: u64,
    /// The load signal for lingering: the previous group held at least this many appends.
    pub group_commit_linger_after: usize,
    /// Size at which an event log segment file is closed and the next one started.
    pub log_segment_bytes: u64,
    /// Appends and state writes waiting for the writer thread; a full queue answers `unavailable`.
    pub sequencer_queue: usize,
    /// A stream's folded state is snapshotted after this many new events (a start
    /// folds at most this many events per stream on top of its snapshot).
    pub snapshot_every: u64,
    /// Most members a channel can be created with (`create_channel`'s `members`).
    pub max_initial_members: usize,
    /// `history` reads at most this many pages of `limit` events looking for events the
    /// caller may see (hidden ones are left out), so one request's work is bounded.
    pub history_scan_pages: usize,
    /// How long a post's idempotency key is remembered: a retry within this
    /// window returns the original post; after it, the key is forgotten.
    pub idempotency_retention_secs: u64,
    /// Largest attachment upload, in bytes (`too_large` beyond).
    pub max_attachment_bytes: u64,
    /// Most attachments one message may reference.
    pub max_attachments_per_message: usize,
    pub rate: RateLimits,
}

/// Per-user rates by command class, and per-IP rates. `per_sec` refills, `burst` is the bucket.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub post_per_sec: u32,
    pub post_burst: u32,
    pub ephemeral_per_sec: u32,
    pub ephemeral_burst: u32,
    pub read_per_sec: u32,
    pub read_burst: u32,
    pub ping_per_sec: u32,
    pub ping_burst: u32,
    pub handshake_per_ip_per_sec: u32,
    pub handshake_per_ip_burst: u32,
    pub login_per_ip_per_sec: u32,
    pub login_per_ip_burst: u32,
    /// Visitor tokens (`POST /api/v1/visitors`) per IP.
    pub visitor_per_ip_per_sec: u32,
    pub visitor_per_ip_burst: u32,
    /// Failed logins in a row for one username before its attempts must wait
    /// (`login_backoff`); 0 turns the per-account back-off off.
    pub login_backoff_after: u32,
    /// The first wait; doubled for each further failure.
    pub login_backoff_base_ms: u64,
    /// The longest wait.
    pub login_backoff_max_ms: u64,
    /// Rate-limited replies within `flood_window_ms` after which the connection is closed.
    pub flood_strikes: u32,
    pub flood_window_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            data: PathBuf::from("./data"),
            engine: Default::default(),
            demo: false,
            admin_password: None,
            test_clock: false,
            test_clock_offset_ms: 0,
            allowed_origins: Vec::new(),
            log_format: "human".into(),
            token_ttl_secs: 7 * 24 * 3600,
            visitor_ttl_secs: 24 * 3600,
            tls_cert: None,
            tls_key: None,
            limits: Limits::default(),
            moderation: ModerationConfig::default(),
            desk: Desk::default(),
            wiki: WikiConfig::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 256 * 1024,
            hard_frame_bytes: 1024 * 1024,
            max_text_chars: 4000,
            max_wiki_page_bytes: 200 * 1024,
            max_name_chars: 80,
            max_topic_chars: 250,
            max_dm_users: 9,
            max_subscriptions_per_connection: 1000,
            outbound_queue: 1024,
            read_buffer_bytes: 1024,
            replay_limit: 10_000,
            history_max: 200,
            handshake_timeout_ms: 10_000,
            auth_timeout_ms: 5_000,
            ping_interval_ms: 15_000,
            idle_timeout_ms: 45_000,
            write_timeout_ms: 10_000,
            close_timeout_ms: 2_000,
            close_linger_ms: 2_000,
            socket_send_buffer_bytes: 128 * 1024,
            max_in_flight_per_connection: 256,
            writer_batch_items: 256,
            batch_message_bytes: 64 * 1024,
            replay_page_events: 500,
            typing_ttl_ms: 6_000,
            drain_grace_ms: 0,
            group_commit_max: 1024,
            group_commit_linger_us: 5_000,
            group_commit_linger_after: 8,
            log_segment_bytes: crate::engine::SEGMENT_BYTES,
            sequencer_queue: 65_536,
            snapshot_every: 1000,
            max_initial_members: 1000,
            history_scan_pages: 8,
            idempotency_retention_secs: crate::engine::IDEM_RETENTION.as_secs(),
            max_attachment_bytes: 10 * 1024 * 1024,
            max_attachments_per_message: 10,
            rate: RateLimits::default(),
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            post_per_sec: 10,
            post_burst: 20,
            ephemeral_per_sec: 5,
            ephemeral_burst: 10,
            read_per_sec: 20,
            read_burst: 50,
            ping_per_sec: 2,
            ping_burst: 10,
            handshake_per_ip_per_sec: 50,
            handshake_per_ip_burst: 200,
            login_per_ip_per_sec: 5,
            login_per_ip_burst: 20,
            visitor_per_ip_per_sec: 1,
            visitor_per_ip_burst: 10,
            login_backoff_after: 5,
            login_backoff_base_ms: 1_000,
            login_backoff_max_ms: 300_000,
            flood_strikes: 20,
            flood_window_ms: 10_000,
        }
    }
}

/// Values from env or flags that beat the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub engine: Option<crate::engine::EngineKind>,
    pub demo: bool,
    pub admin_password: Option<String>,
    pub log_format: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("parsing config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Defaults, then the TOML file if given.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let Some(path) = file else { return Ok(Config::default()) };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let c: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })?;
        c.desk.check().map_err(|message| ConfigError::Invalid { path: path.into(), message })?;
        Ok(c)
    }

    pub fn apply_overrides(&mut self, o: Overrides) {
        if let Some(v) = o.listen {
            self.listen = v;
        }
        if let Some(v) = o.data {
            self.data = v;
        }
        if let Some(v) = o.engine {
            self.engine = v;
        }
        self.demo |= o.demo;
        if o.admin_password.is_some() {
            self.admin_password = o.admin_password;
        }
        if let Some(v) = o.log_format {
            self.log_format = v;
        }
        if let Some(v) = o.allowed_origins {
            self.allowed_origins = v;
        }
        if o.tls_cert.is_some() {
            self.tls_cert = o.tls_cert;
        }
        if o.tls_key.is_some() {
            self.tls_key = o.tls_key;
        }
    }
}

impl Limits {
    pub fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// What the storage engine is opened with.
    pub fn engine_options(&self) -> crate::engine::EngineOptions {
        crate::engine::EngineOptions {
            segment_bytes: self.log_segment_bytes,
            idem_retention: Duration::from_secs(self.idempotency_retention_secs),
        }
    }

    /// How the sequencer groups appends into commits.
    pub fn group_policy(&self) -> crate::sequencer::GroupPolicy {
        crate::sequencer::GroupPolicy {
            max: self.group_commit_max,
            linger: Duration::from_micros(self.group_commit_linger_us),
            linger_after: self.group_commit_linger_after.max(1),
            step: crate::sequencer::LINGER_STEP,
            queue: self.sequencer_queue.max(1),
            snapshot_every: self.snapshot_every.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_rejects_typos() {
        let c: Config = toml::from_str(
            "listen = \"127.0.0.1:9000\"\n[limits]\nmax_text_chars = 10\n[limits.rate]\npost_burst = 3\n",
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.limits.max_text_chars, 10);
        assert_eq!(c.limits.rate.post_burst, 3);
        assert_eq!(c.limits.rate.post_per_sec, 10);
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
        assert_eq!(c.engine, crate::engine::EngineKind::Segment, "segment is the default engine");
        let sled: Config = toml::from_str("engine = \"sled\"").unwrap();
        assert_eq!(sled.engine, crate::engine::EngineKind::Sled);
        assert!(toml::from_str::<Config>("engine = \"rocks\"").is_err());
    }
}
