//! The storage boundary: durable, gapless, per-stream logs plus small state tables.
//!
//! What lives here: the [`EventLog`] trait (commit, read a range, head, list
//! streams, idempotency), the [`StateStore`] trait (typed reads of read markers,
//! snapshots, users, tokens and secrets; written through [`StateWrite`]s in a
//! commit), [`Engine`] (both), the engines side by side — [`SegmentLog`] (the
//! default: logs in our own checksummed segment files, state tables in sled),
//! [`SledLog`] (everything in sled) and [`MemoryEngine`] (tests) — and
//! `conformance`, the contract as tests run over all three; `files`, the file
//! layer the segment engine appends through, and in tests `sim_files` (a
//! power-loss simulator in its place) with `power_loss`, the runs over it.
//! Only this module knows files, sled and byte layouts. What does not: deciding what to append
//! (that is `streams`), assigning sequences and batching (that is `sequencer`),
//! and delivering events (that is `hub` and `gateway`).
//!
//! Contract every engine keeps:
//! - `commit` returns only after every record in the batch is on stable storage
//!   (written and fsynced). A batch is atomic for the log: after a crash either
//!   all of its events and idempotency keys are present or none is.
//! - A failed commit is fatal for the process: the caller must not ack and must
//!   not retry (the page cache may have dropped the dirty pages); it exits and
//!   recovery starts from what is on disk.
//! - Sequences in one stream are gapless and start at 1: the caller assigns
//!   them, and a commit is *conditional*: its new events of a stream must
//!   start right after the stream's current head (the batch's expected last
//!   sequence per stream, [`CommitBatch::expected_heads`]). Otherwise the whole
//!   batch is refused with [`EngineError::Conflict`] and nothing is written, so
//!   two writers can never both take seq N (optimistic concurrency; a
//!   replicated engine maps it to JetStream's `Nats-Expected-Last-Subject-Sequence`).
//! - Heads are the engine's: `head` and the [`Committed`] receipt report them.
//! - Every commit with events has a [`LogPosition`]; `follow` returns the
//!   commits after a position, in order, so a process can tail appends made by
//!   another (the local engines read their own log; JetStream uses a consumer).
//! - Idempotency keys are honoured for [`EngineOptions::idem_retention`] after
//!   they were recorded, and may be forgotten after that.

mod checkpoint;
mod commit_record;
#[cfg(test)]
#[macro_use]
mod conformance;
pub mod files;
/// Fuzz entry points (the `fuzz/` crate and `tests/fuzz_corpus.rs`); not used by the server.
#[doc(hidden)]
pub mod fuzz;
mod index;
mod keys;
pub mod memory;
#[cfg(test)]
mod model;
#[cfg(test)]
mod power_loss;
pub mod segment_log;
mod segments;
#[cfg(test)]
mod sim_files;
pub mod sled_log;
mod sled_state;

use agora_protocol::{Event, Seq, StreamId, UserId};

pub use memory::MemoryEngine;
pub use segment_log::{SegmentLog, SEGMENT_BYTES};
pub use sled_log::SledLog;

/// Where a commit ends in an engine's log: increasing with each commit, opaque
/// otherwise (a record's end in the segment files, a commit number in sled and
/// memory, a stream sequence in JetStream). [`LogPosition::START`] is before the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogPosition(pub u64);

impl LogPosition {
    pub const START: LogPosition = LogPosition(0);
}

/// What a commit returns: where it ends in the log, and the heads it left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// `None` for a commit without events (state only).
    pub position: Option<LogPosition>,
    /// The new head of every stream that gained events.
    pub heads: Vec<(StreamId, Seq)>,
}

/// One commit read back by [`EventLog::follow`].
#[derive(Clone, Debug, PartialEq)]
pub struct FollowedCommit {
    pub position: LogPosition,
    /// Its events, new ones and rewrites (a rewrite has a seq at or below the
    /// stream's head before the commit), as they are stored now.
    pub events: Vec<Event>,
}

/// Which durable engine a server runs on (`--engine`, `AGORA_ENGINE`, TOML `engine`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// The event log in our own segment files, state tables in sled (the default: measured faster).
    #[default]
    Segment,
    /// Everything in sled trees.
    Sled,
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "segment" => Ok(EngineKind::Segment),
            "sled" => Ok(EngineKind::Sled),
            other => Err(format!("unknown engine {other:?}: expected segment or sled")),
        }
    }
}

/// How long an idempotency key is honoured by default (`idempotency_retention_secs`).
pub const IDEM_RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Settings every engine takes when it is opened.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Segment engine: start a new segment file at this size.
    pub segment_bytes: u64,
    /// A retry with the same idempotency key within this window returns the
    /// original; after it, the key is forgotten (and the retry is a new post).
    pub idem_retention: std::time::Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { segment_bytes: SEGMENT_BYTES, idem_retention: IDEM_RETENTION }
    }
}

/// Open (or create) the data directory `dir` with the engine `kind`.
pub fn open(kind: EngineKind, dir: &std::path::Path, opts: &EngineOptions) -> Result<Box<dyn Engine>, EngineError> {
    Ok(match kind {
        EngineKind::Segment => Box::new(SegmentLog::open_with(dir, opts)?),
        EngineKind::Sled => Box::new(SledLog::open_with(dir, opts)?),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("this data directory was written by the {found} engine; start with --engine {found} (AGORA_ENGINE={found}) or use another directory for the {wanted} engine")]
    WrongEngine { found: String, wanted: &'static str },
    #[error("append to {stream} expected head {expected} but the head is {actual}")]
    Conflict { stream: StreamId, expected: Seq, actual: Seq },
    #[error("corrupt record in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// One typed write to the state kept beside the log. Keys and their byte
/// layout belong to the engine; values that another module owns the shape of
/// (a stream's folded state, a user record) are opaque bytes in its encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateWrite {
    /// Raise `user`'s read marker in `stream` to `seq`. Advance-only: a lower
    /// or equal `seq` leaves the stored marker as it is.
    ReadMarker { user: UserId, stream: StreamId, seq: Seq },
    /// The folded state of `stream` (its owner's encoding), replacing the previous snapshot.
    Snapshot { stream: StreamId, state: Vec<u8> },
    /// A user account (its owner's encoding), replacing any record of that id.
    User { id: UserId, record: Vec<u8> },
    /// A long-lived API token, stored as its hash, and the user it authenticates.
    ApiToken { hash: String, user: UserId },
    /// Forget an API token (its owner logged out with it).
    ApiTokenRemoved { hash: String },
    /// A session token logged out before it expired, by its key (`auth`'s
    /// hash of the token), kept until `expires` (Unix seconds).
    RevokedSession { key: String, expires: u64 },
    /// Forget a revoked session token that has expired anyway.
    RevokedSessionExpired { key: String },
    /// The secret session tokens are signed with.
    JwtSecret(Vec<u8>),
}

/// Everything one group commit writes.
#[derive(Default, Debug)]
pub struct CommitBatch {
    /// New events, sequences already assigned by the caller.
    pub events: Vec<Event>,
    /// Existing events replaced in place (deletion tombstones), same stream and seq.
    pub rewrites: Vec<Event>,
    /// Idempotency keys recorded with the events: (stream, author, key) → seq.
    pub idem: Vec<(StreamId, UserId, String, Seq)>,
    /// State writes made durable together with the events.
    pub state: Vec<StateWrite>,
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rewrites.is_empty() && self.state.is_empty()
    }

    /// The head each stream must have for this batch to apply: the seq before
    /// its first new event in the batch. The append is conditional on these.
    pub fn expected_heads(&self) -> Vec<(StreamId, Seq)> {
        let mut out: Vec<(StreamId, Seq)> = Vec::new();
        for ev in &self.events {
            if !out.iter().any(|(s, _)| s == &ev.stream) {
                out.push((ev.stream.clone(), Seq(ev.seq.0.saturating_sub(1))));
            }
        }
        out
    }

    /// Check the batch against the current heads (`head`): new events of a
    /// stream follow each other from its head + 1, rewrites replace events that
    /// exist. Returns the heads the batch leaves. Every engine calls this before
    /// writing anything.
    pub fn check(
        &self,
        mut head: impl FnMut(&StreamId) -> Result<Seq, EngineError>,
    ) -> Result<Vec<(StreamId, Seq)>, EngineError> {
        let mut heads: Vec<(StreamId, Seq)> = Vec::new();
        let mut current = |stream: &StreamId, heads: &Vec<(StreamId, Seq)>| -> Result<Seq, EngineError> {
            match heads.iter().find(|(s, _)| s == stream) {
                Some((_, h)) => Ok(*h),
                None => head(stream),
            }
        };
        for ev in &self.events {
            if ev.seq.0 == 0 {
                return Err(EngineError::Corrupt { what: "commit", detail: format!("event {}#0", ev.stream) });
            }
            let actual = current(&ev.stream, &heads)?;
            if ev.seq != actual.next() {
                return Err(EngineError::Conflict { stream: ev.stream.clone(), expected: Seq(ev.seq.0 - 1), actual });
            }
            match heads.iter_mut().find(|(s, _)| s == &ev.stream) {
                Some((_, h)) => *h = ev.seq,
                None => heads.push((ev.stream.clone(), ev.seq)),
            }
        }
        for ev in &self.rewrites {
            let actual = current(&ev.stream, &heads)?;
            if ev.seq.0 == 0 || ev.seq > actual {
                return Err(EngineError::Corrupt {
                    what: "commit",
                    detail: format!("rewrite of {}#{} past head {actual}", ev.stream, ev.seq),
                });
            }
        }
        Ok(heads)
    }
}

/// A durable store of stream logs. See the module doc for the contract.
/// Methods are blocking: call them from the sequencer thread or briefly from tasks
/// (reads are served from the page cache in the common case).
pub trait EventLog: Send + Sync + 'static {
    /// Durably write the batch, if its expected heads hold ([`CommitBatch::check`];
    /// otherwise [`EngineError::Conflict`] and nothing is written). Returns after
    /// the data is on stable storage.
    fn commit(&self, batch: &CommitBatch) -> Result<Committed, EngineError>;
    /// Events of `stream` with `after < seq <= upto`, ascending, at most `limit`.
    fn read_range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Event>, EngineError>;
    /// Events of `stream` with `seq < before`, the newest `limit` of them, returned ascending.
    fn read_before(&self, stream: &StreamId, before: Seq, limit: usize) -> Result<Vec<Event>, EngineError>;
    /// One event.
    fn get(&self, stream: &StreamId, seq: Seq) -> Result<Option<Event>, EngineError>;
    /// The last sequence of a stream (`Seq(0)` for none).
    fn head(&self, stream: &StreamId) -> Result<Seq, EngineError>;
    /// Every stream that has at least one event.
    fn streams(&self) -> Result<Vec<StreamId>, EngineError>;
    /// The seq stored under an idempotency key, if any.
    fn idem_get(&self, stream: &StreamId, author: &UserId, key: &str) -> Result<Option<Seq>, EngineError>;
    /// A random id fixed when the store was created; changes if the store is wiped.
    fn epoch(&self) -> String;
    /// The position of the last commit with events ([`LogPosition::START`] for none).
    fn position(&self) -> Result<LogPosition, EngineError>;
    /// Write whatever makes the next start fast (the segment engine's index
    /// checkpoint). Called at clean shutdown; engines without one do nothing.
    fn checkpoint(&self) -> Result<(), EngineError> {
        Ok(())
    }
    /// Up to `limit` commits with events after `after`, in commit order: how
    /// another process follows appends (a replica, a search indexer).
    fn follow(&self, after: LogPosition, limit: usize) -> Result<Vec<FollowedCommit>, EngineError>;
}

/// The small state kept beside the log: read markers, snapshots, users, API
/// tokens, server secrets. Written only through [`CommitBatch::state`]; read here.
pub trait StateStore: Send + Sync + 'static {
    /// `user`'s read marker in `stream` (`Seq(0)` if none).
    fn read_marker(&self, user: &UserId, stream: &StreamId) -> Result<Seq, EngineError>;
    /// The latest snapshot of `stream`'s folded state, if any.
    fn snapshot(&self, stream: &StreamId) -> Result<Option<Vec<u8>>, EngineError>;
    /// Every user record.
    fn users(&self) -> Result<Vec<Vec<u8>>, EngineError>;
    /// Every API token: (hash, user).
    fn api_tokens(&self) -> Result<Vec<(String, UserId)>, EngineError>;
    /// The session-token secret, once written.
    fn jwt_secret(&self) -> Result<Option<Vec<u8>>, EngineError>;
    /// Every revoked session token: (key, expires in Unix seconds).
    fn revoked_sessions(&self) -> Result<Vec<(String, u64)>, EngineError>;
}

/// A whole engine: the log and the state beside it.
pub trait Engine: EventLog + StateStore {}
impl<T: EventLog + StateStore + ?Sized> Engine for T {}
