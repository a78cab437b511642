//! `App`: every shared service of a running server, passed explicitly (no globals).

use crate::attachments::AttachmentStore;
use crate::auth::Auth;
use crate::clock::Clock;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::hub::Hub;
use crate::limits::RateLimits;
use crate::login_backoff::{LoginBackoff, Policy as BackoffPolicy};
use crate::metrics::Metrics;
use crate::presence::Presence;
use crate::projections::Projections;
use crate::registry::{Registry, StreamEntry};
use crate::sequencer::Sequencer;
use crate::streams::{can_read_attachment, can_read_stream, Actor, Sources, StreamState};
use agora_protocol::ops::Role;
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub struct App {
    pub config: Config,
    /// The durable logs and state tables.
    pub log: Arc<dyn Engine>,
    /// Folded state of every stream.
    pub registry: Arc<Registry>,
    /// Subscriptions and delivery.
    pub hub: Arc<Hub>,
    /// The single writer; every durable change goes through it.
    pub sequencer: Sequencer,
    pub presence: Presence,
    /// "Now" for events and time rules (adjustable in tests).
    pub clock: Arc<Clock>,
    /// Read models over many streams (thread lists, queues, links, KPIs).
    pub projections: Arc<Projections>,
    /// Agents' availability and round-robin state for the ticket desk.
    pub routing: crate::desk::Routing,
    pub limits: RateLimits,
    /// Per-account waits after failed logins.
    pub login_backoff: LoginBackoff,
    pub auth: Auth,
    /// Attachment files (`<data>/attachments`).
    pub attachments: AttachmentStore,
    /// Open connections by the credential they authenticated with (log out closes them).
    pub credentials: Credentials,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server starts draining: `/healthz` answers 503 and new
    /// WebSockets are refused; open sessions go on until `closing`.
    pub shutdown: CancellationToken,
    /// Cancelled `drain_grace_ms` after `shutdown`: stop accepting, close every
    /// session with 1001.
    pub closing: CancellationToken,
    /// Open WebSocket sessions, so shutdown can wait for them.
    pub sessions: TaskTracker,
    /// Replay reads running at once on the blocking pool (see `gateway::writer`):
    /// a resume storm queues here instead of starting hundreds of threads.
    pub replay_slots: Arc<tokio::sync::Semaphore>,
    /// The watched words, compiled once per change.
    next_conn: AtomicU64,
}

/// The services `App::new` takes besides storage and the writer.
pub struct Services {
    pub auth: Auth,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<Clock>,
    pub projections: Arc<Projections>,
}

impl App {
    pub fn new(
        config: Config,
        log: Arc<dyn Engine>,
        registry: Arc<Registry>,
        hub: Arc<Hub>,
        sequencer: Sequencer,
        services: Services,
        shutdown: CancellationToken,
    ) -> App {
        let Services { auth, metrics, clock, projections } = services;
        projections.tickets.go_live(hub.clone());
        let m = &config.moderation;
        let limits = RateLimits::with_new_users(&config.limits.rate, m.new_user_posts_per_minute, m.new_user_burst);
        let login_backoff = LoginBackoff::new(BackoffPolicy::from_config(&config.limits.rate));
        let attachments = AttachmentStore::new(&config.data, config.limits.max_attachment_bytes);
        App {
            config,
            log,
            registry,
            hub,
            sequencer,
            presence: Presence::default(),
            clock,
            projections,
            routing: Default::default(),
            limits,
            login_backoff,
            auth,
            attachments,
            credentials: Credentials::default(),
            metrics,
            shutdown,
            closing: CancellationToken::new(),
            sessions: TaskTracker::new(),
            replay_slots: Arc::new(tokio::sync::Semaphore::new(replay_concurrency())),
            next_conn: AtomicU64::new(1),
        }
    }

    /// What the visibility rule reads to check the events others depend on.
    pub fn sources(&self) -> Arc<LogSources> {
        Arc::new(LogSources { registry: self.registry.clone(), log: self.log.clone() })
    }

    /// The watched words that censor, if any (what members are shown: `streams::screening::shown`).
    pub fn censoring(&self) -> Option<crate::streams::kinds::audit::AuditState> {
        let entry = self.registry.get(&crate::streams::kinds::audit::audit_id())?;
        let st = entry.read();
        crate::streams::screening::censoring(Some(&st))
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The stream, if `user` may read it; `not_found` otherwise (invisible and absent look alike).
    pub fn readable(&self, stream: &StreamId, user: &UserId, role: Role) -> AppResult<Arc<StreamEntry>> {
        let entry = self.registry.get(stream).ok_or_else(AppError::not_found_stream)?;
        if visible(&entry, &Actor { id: user.clone(), role }) {
            Ok(entry)
        } else {
            Err(AppError::not_found_stream())
        }
    }
}

impl App {
    /// May `who` fetch attachment `hash`? Through some stream that references it,
    /// by the one visibility rule (`can_read_attachment`).
    pub fn attachment_readable(&self, hash: &str, who: &Actor) -> bool {
        self.registry.streams_with_attachment(hash).iter().any(|s| {
            self.registry.get(s).is_some_and(|e| visible(&e, who) && can_read_attachment(&e.read(), hash, who))
        })
    }
}

/// May `who` see this stream? It must be committed (a stream whose creation is
/// not yet durable does not exist) and readable by the one visibility rule.
/// Every path that finds or lists streams asks this.
pub fn visible(entry: &StreamEntry, who: &Actor) -> bool {
    entry.committed_head().0 > 0 && can_read_stream(&entry.read(), who)
}

/// The committed streams and their logs, as the visibility rule's [`Sources`]
/// (a feed item is seen only while its source event is).
pub struct LogSources {
    pub registry: Arc<Registry>,
    pub log: Arc<dyn Engine>,
}

impl Sources for LogSources {
    fn state(&self, stream: &StreamId) -> Option<StreamState> {
        let entry = self.registry.get(stream).filter(|e| e.committed_head().0 > 0)?;
        let st = entry.read().clone();
        Some(st)
    }
    fn event(&self, stream: &StreamId, seq: Seq) -> Option<Event> {
        let entry = self.registry.get(stream)?;
        if seq > entry.committed_head() {
            return None;
        }
        self.log.get(stream, seq).ok().flatten()
    }
}

/// Two replay reads per core: enough to keep the disk and the cores busy.
fn replay_concurrency() -> usize {
    2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
