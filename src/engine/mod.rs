//! The storage boundary: durable, gapless, per-stream logs plus small state tables.
//!
//! What lives here: the [`EventLog`] trait (commit, read a range, head, list
//! streams, idempotency and key-value state) and [`SegmentLog`], which keeps
//! the logs in our own checksummed segment files and the state tables in sled.
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
//!   them, the engine stores them as given.

mod commit_record;
mod index;
mod keys;
pub mod segment_log;
mod segments;

use agora_protocol::{Event, Seq, StreamId, UserId};

pub use segment_log::{SegmentLog, SEGMENT_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("corrupt record in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// A state table: small key-value records kept beside the log (users, tokens,
/// read markers, snapshots of folded stream state, server metadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Users,
    Tokens,
    ReadMarkers,
    Snapshots,
    Meta,
}

/// One key-value write in a commit.
#[derive(Clone, Debug)]
pub struct Put {
    pub table: Table,
    pub key: Vec<u8>,
    /// `None` deletes the key.
    pub value: Option<Vec<u8>>,
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
    /// State-table writes made durable together with the events.
    pub puts: Vec<Put>,
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rewrites.is_empty() && self.puts.is_empty()
    }
}

/// One state-table record: (key, value).
pub type StateRecord = (Vec<u8>, Vec<u8>);

/// A durable store of stream logs. See the module doc for the contract.
/// Methods are blocking: call them from the sequencer thread or briefly from tasks
/// (reads are served from the page cache in the common case).
pub trait EventLog: Send + Sync + 'static {
    /// Durably write the batch. Returns after the data is on stable storage.
    fn commit(&self, batch: &CommitBatch) -> Result<(), EngineError>;
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
    /// Read a state-table record.
    fn get_state(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError>;
    /// Every record of a state table whose key starts with `prefix`.
    fn scan_state(&self, table: Table, prefix: &[u8]) -> Result<Vec<StateRecord>, EngineError>;
    /// A random id fixed when the store was created; changes if the store is wiped.
    fn epoch(&self) -> String;
}
