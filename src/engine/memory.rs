//! The in-memory engine twin: the same contract as the durable engines, kept in
//! maps, for unit tests (and as the reference the conformance suite holds the
//! others to).
//!
//! What lives here: [`MemoryEngine`], its `reopen` (a restart that keeps what
//! was committed, as a durable engine would) and a commit hook for tests that
//! need to hold or observe a commit. What does not: durability — nothing
//! survives the process.

use super::index::now_ms;
use super::{CommitBatch, Committed, EngineError, EventLog, FollowedCommit, LogPosition, StateStore, StateWrite};
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// Called with each batch before it is applied; an error refuses the commit.
pub type CommitHook = Box<dyn Fn(&CommitBatch) -> Result<(), EngineError> + Send + Sync>;

#[derive(Default)]
struct Data {
    /// A stream's events, `seq - 1` indexed.
    streams: HashMap<StreamId, Vec<Event>>,
    /// Idempotency keys: seq and when recorded (ms since the Unix epoch).
    idem: HashMap<(StreamId, UserId, String), (Seq, u64)>,
    markers: HashMap<(UserId, StreamId), Seq>,
    snapshots: HashMap<StreamId, Vec<u8>>,
    users: BTreeMap<UserId, Vec<u8>>,
    tokens: BTreeMap<String, UserId>,
    jwt_secret: Option<Vec<u8>>,
    revoked: BTreeMap<String, u64>,
    /// Each commit with events: which events it wrote. Commit `n` has position `n`.
    commits: Vec<Vec<(StreamId, Seq)>>,
}

pub struct MemoryEngine {
    data: Arc<Mutex<Data>>,
    epoch: String,
    hook: Option<CommitHook>,
    retention_ms: u64,
}

impl Default for MemoryEngine {
    fn default() -> Self {
        MemoryEngine::new()
    }
}

impl MemoryEngine {
    pub fn new() -> MemoryEngine {
        MemoryEngine {
            data: Arc::default(),
            epoch: format!("{:016x}", rand::random::<u64>()),
            hook: None,
            retention_ms: u64::MAX,
        }
    }

    /// Another handle on the same committed data, as after a restart of a durable engine.
    pub fn reopen(&self) -> MemoryEngine {
        MemoryEngine { data: self.data.clone(), epoch: self.epoch.clone(), hook: None, retention_ms: self.retention_ms }
    }

    /// Honour idempotency keys for `retention` only (default: forever).
    pub fn with_idem_retention(mut self, retention: std::time::Duration) -> MemoryEngine {
        self.retention_ms = retention.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Call `hook` with every batch before it is applied (to hold a commit, or count them).
    pub fn with_commit_hook(mut self, hook: CommitHook) -> MemoryEngine {
        self.hook = Some(hook);
        self
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl EventLog for MemoryEngine {
    fn commit(&self, batch: &CommitBatch) -> Result<Committed, EngineError> {
        if let Some(hook) = &self.hook {
            hook(batch)?;
        }
        let mut d = self.data();
        // Check the whole batch first: a refused batch changes nothing.
        let heads = batch.check(|s| Ok(Seq(d.streams.get(s).map_or(0, |v| v.len() as u64))))?;
        for ev in batch.events.iter().chain(&batch.rewrites) {
            let events = d.streams.entry(ev.stream.clone()).or_default();
            let i = (ev.seq.0 - 1) as usize;
            if i == events.len() {
                events.push(ev.clone());
            } else {
                events[i] = ev.clone();
            }
        }
        let mut position = None;
        if !(batch.events.is_empty() && batch.rewrites.is_empty()) {
            let ids = batch.events.iter().chain(&batch.rewrites).map(|e| (e.stream.clone(), e.seq)).collect();
            d.commits.push(ids);
            position = Some(LogPosition(d.commits.len() as u64));
        }
        let now = now_ms();
        for (stream, author, key, seq) in &batch.idem {
            d.idem.insert((stream.clone(), author.clone(), key.clone()), (*seq, now));
        }
        for w in &batch.state {
            match w.clone() {
                StateWrite::ReadMarker { user, stream, seq } => {
                    let m = d.markers.entry((user, stream)).or_default();
                    *m = (*m).max(seq);
                }
                StateWrite::Snapshot { stream, state } => {
                    d.snapshots.insert(stream, state);
                }
                StateWrite::User { id, record } => {
                    d.users.insert(id, record);
                }
                StateWrite::ApiToken { hash, user } => {
                    d.tokens.insert(hash, user);
                }
                StateWrite::JwtSecret(s) => d.jwt_secret = Some(s),
                StateWrite::ApiTokenRemoved { hash } => {
                    d.tokens.remove(&hash);
                }
                StateWrite::RevokedSession { key, expires } => {
                    d.revoked.insert(key, expires);
                }
                StateWrite::RevokedSessionExpired { key } => {
                    d.revoked.remove(&key);
                }
            }
        }
        Ok(Committed { position, heads })
    }

    fn read_range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        let d = self.data();
        let Some(events) = d.streams.get(stream) else { return Ok(Vec::new()) };
        let end = (upto.0.min(events.len() as u64)) as usize;
        let start = (after.0 as usize).min(end);
        Ok(events[start..end].iter().take(limit).cloned().collect())
    }

    fn read_before(&self, stream: &StreamId, before: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        let upto = before.0.saturating_sub(1).min(self.head(stream)?.0);
        self.read_range(stream, Seq(upto.saturating_sub(limit as u64)), Seq(upto), limit)
    }

    fn get(&self, stream: &StreamId, seq: Seq) -> Result<Option<Event>, EngineError> {
        let i = match seq.0.checked_sub(1) {
            Some(i) => i as usize,
            None => return Ok(None),
        };
        Ok(self.data().streams.get(stream).and_then(|v| v.get(i).cloned()))
    }

    fn head(&self, stream: &StreamId) -> Result<Seq, EngineError> {
        Ok(Seq(self.data().streams.get(stream).map_or(0, |v| v.len() as u64)))
    }

    fn streams(&self) -> Result<Vec<StreamId>, EngineError> {
        Ok(self.data().streams.keys().cloned().collect())
    }

    fn idem_get(&self, stream: &StreamId, author: &UserId, key: &str) -> Result<Option<Seq>, EngineError> {
        let d = self.data();
        let found = d.idem.get(&(stream.clone(), author.clone(), key.to_owned()));
        Ok(found.filter(|(_, at)| now_ms().saturating_sub(*at) < self.retention_ms).map(|(seq, _)| *seq))
    }

    fn epoch(&self) -> String {
        self.epoch.clone()
    }

    fn position(&self) -> Result<LogPosition, EngineError> {
        Ok(LogPosition(self.data().commits.len() as u64))
    }

    fn follow(&self, after: LogPosition, limit: usize) -> Result<Vec<FollowedCommit>, EngineError> {
        let d = self.data();
        let from = usize::try_from(after.0).unwrap_or(usize::MAX).min(d.commits.len());
        Ok(d.commits[from..]
            .iter()
            .take(limit)
            .enumerate()
            .map(|(i, ids)| FollowedCommit {
                position: LogPosition((from + i + 1) as u64),
                events: ids.iter().filter_map(|(s, q)| d.streams.get(s)?.get((q.0 - 1) as usize).cloned()).collect(),
            })
            .collect())
    }
}

impl StateStore for MemoryEngine {
    fn read_marker(&self, user: &UserId, stream: &StreamId) -> Result<Seq, EngineError> {
        Ok(self.data().markers.get(&(user.clone(), stream.clone())).copied().unwrap_or_default())
    }
    fn snapshot(&self, stream: &StreamId) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.data().snapshots.get(stream).cloned())
    }
    fn users(&self) -> Result<Vec<Vec<u8>>, EngineError> {
        Ok(self.data().users.values().cloned().collect())
    }
    fn api_tokens(&self) -> Result<Vec<(String, UserId)>, EngineError> {
        Ok(self.data().tokens.iter().map(|(h, u)| (h.clone(), u.clone())).collect())
    }
    fn jwt_secret(&self) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.data().jwt_secret.clone())
    }
    fn revoked_sessions(&self) -> Result<Vec<(String, u64)>, EngineError> {
        Ok(self.data().revoked.iter().map(|(k, e)| (k.clone(), *e)).collect())
    }
}
