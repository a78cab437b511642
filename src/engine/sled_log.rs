//! The sled engine: stream logs in sled beside the state tables, one sled
//! database under `<data>/sled`. Selected with `--engine sled`; the segment
//! engine is the default because it measured faster (docs/BENCHMARKS.md,
//! "Engine A/B").
//!
//! What lives here: [`SledLog`] and the key layout of its log tree. What does
//! not: the state tables and making sled durable (`sled_state`).
//!
//! Tree `events` (key → value), beside `sled_state`'s trees; one-byte prefixes
//! keep four tables in one tree, so that one atomic `apply_batch` covers a commit:
//!   `E` stream (u16 BE length + bytes), seq (u64 BE)       → event (MessagePack)
//!   `H` stream                                           → last seq (u64 BE)
//!   `I` stream, author (each u16 BE length + bytes), key → seq, recorded at (ms; u64 BE each)
//!   `C` commit number (u64 BE, from 1)                   → (stream, seq) of each event it
//!       wrote (u16 BE length + stream, u64 BE seq, repeated): `follow`'s log
//!
//! A commit is checked against the heads (`CommitBatch::check`; only this
//! process can write: sled locks the directory, and only the sequencer thread
//! commits), then its events, heads, idempotency keys and commit entry go in one
//! `sled::Batch` (atomic, also across a crash), then its state writes; then
//! `make_durable`: `flush`, `sync_data()` on sled's data file (sled 0.34's flush is
//! only `sync_file_range`, sled#1452) and an fsync of new blob files. Only then
//! does `commit` return; any error is returned and is fatal to the caller.
//! (A first version used a sled transaction over four trees; under 100 streams ×
//! 50 subscribers its `flush` never returned: sled 0.34 waited forever for the
//! log to become stable.)

use super::files::{FileLayer, OsFiles};
use super::index::now_ms;
use super::sled_state::{corrupt, SledState, SledStateOwner};
use super::{CommitBatch, Committed, EngineError, EngineOptions, EventLog, FollowedCommit, LogPosition};
use crate::failpoint;
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::path::Path;
use std::sync::Arc;

/// What this engine writes in the `engine` meta record.
pub const ENGINE_NAME: &str = "sled";

const EVENT: u8 = b'E';
const HEAD: u8 = b'H';
const IDEM: u8 = b'I';
const COMMIT: u8 = b'C';

pub struct SledLog {
    state: SledState,
    /// The log tree (layout in the module doc).
    log: sled::Tree,
    epoch: String,
    /// How long an idempotency key is honoured, in ms.
    retention_ms: u64,
}

/// An idempotency value: seq and when it was recorded (ms since the Unix epoch), both u64 BE.
fn idem_value(v: &[u8]) -> Result<(Seq, u64), EngineError> {
    let bad = || corrupt("idem value", "not 16 bytes");
    let (seq, at) = (v.get(..8).ok_or_else(bad)?, v.get(8..16).ok_or_else(bad)?);
    Ok((seq_of(seq)?, u64::from_be_bytes(at.try_into().map_err(|_| bad())?)))
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Ids and keys are short (validated before they get here); cap defensively.
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

fn event_key(stream: &StreamId, seq: Seq) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + stream.0.len() + 8);
    k.push(EVENT);
    push_str(&mut k, &stream.0);
    k.extend_from_slice(&seq.0.to_be_bytes());
    k
}

fn head_key(stream: &StreamId) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + stream.0.len());
    k.push(HEAD);
    k.extend_from_slice(stream.0.as_bytes());
    k
}

fn idem_key(stream: &StreamId, author: &UserId, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + stream.0.len() + author.0.len() + key.len());
    k.push(IDEM);
    push_str(&mut k, &stream.0);
    push_str(&mut k, &author.0);
    k.extend_from_slice(key.as_bytes());
    k
}

fn commit_key(number: u64) -> [u8; 9] {
    let mut k = [COMMIT; 9];
    k[1..].copy_from_slice(&number.to_be_bytes());
    k
}

fn commit_number(key: &[u8]) -> Result<u64, EngineError> {
    Ok(seq_of(key.get(1..).unwrap_or_default())?.0)
}

fn seq_of(v: &[u8]) -> Result<Seq, EngineError> {
    let b: [u8; 8] = v.try_into().map_err(|_| corrupt("seq value", "not 8 bytes"))?;
    Ok(Seq(u64::from_be_bytes(b)))
}

fn decode_event(bytes: &[u8]) -> Result<Event, EngineError> {
    rmp_serde::from_slice(bytes).map_err(|e| corrupt("event", e))
}

impl SledLog {
    /// Open (or create) the store under `dir` (sled in `dir/sled`) with the default options.
    pub fn open(dir: &Path) -> Result<SledLog, EngineError> {
        SledLog::open_with(dir, &EngineOptions::default())
    }

    /// Open (or create) the store under `dir`; idempotency keys older than the
    /// retention window are removed now and ignored from then on.
    pub fn open_with(dir: &Path, opts: &EngineOptions) -> Result<SledLog, EngineError> {
        SledLog::open_on(Arc::new(OsFiles), dir, opts)
    }

    /// [`SledLog::open_with`], making sled's files durable through `files` (the
    /// disk, or a test's power-loss simulator).
    pub fn open_on(files: Arc<dyn FileLayer>, dir: &Path, opts: &EngineOptions) -> Result<SledLog, EngineError> {
        let retention_ms = opts.idem_retention.as_millis().try_into().unwrap_or(u64::MAX);
        let state = SledState::open_on(files, &dir.join("sled"))?;
        let marker = state.engine_marker()?;
        let epoch = match (state.epoch()?, marker.as_deref()) {
            (Some(epoch), Some(ENGINE_NAME)) => epoch,
            (None, None) if !has_segments(&dir.join("log")) => {
                state.set_engine_marker(ENGINE_NAME)?;
                state.create_epoch()?
            }
            // A directory of the segment engine (those written before the marker existed have none).
            (_, found) => {
                return Err(EngineError::WrongEngine {
                    found: found.unwrap_or(super::segment_log::ENGINE_NAME).to_owned(),
                    wanted: ENGINE_NAME,
                })
            }
        };
        let log = state.db.open_tree("events")?;
        let now = now_ms();
        for item in log.scan_prefix([IDEM]) {
            let (k, v) = item?;
            if now.saturating_sub(idem_value(&v)?.1) >= retention_ms {
                log.remove(k)?;
            }
        }
        Ok(SledLog { retention_ms, log, state, epoch })
    }

    fn last_commit(&self) -> Result<Option<u64>, EngineError> {
        match self.log.scan_prefix([COMMIT]).next_back() {
            Some(item) => Ok(Some(commit_number(&item?.0)?)),
            None => Ok(None),
        }
    }
}

fn has_segments(log_dir: &Path) -> bool {
    std::fs::read_dir(log_dir).is_ok_and(|mut d| d.next().is_some())
}

impl EventLog for SledLog {
    fn commit(&self, batch: &CommitBatch) -> Result<Committed, EngineError> {
        let mut committed = Committed::default();
        if !(batch.events.is_empty() && batch.rewrites.is_empty() && batch.idem.is_empty()) {
            // Only the sequencer thread commits: the heads cannot move between this check and the batch.
            let heads = batch.check(|s| self.head(s))?;
            let number = self.last_commit()?.unwrap_or(0) + 1;
            let mut b = sled::Batch::default();
            let mut ids = Vec::new();
            for ev in batch.events.iter().chain(&batch.rewrites) {
                let bytes = rmp_serde::to_vec_named(ev).map_err(|e| corrupt("event encode", e))?;
                b.insert(event_key(&ev.stream, ev.seq), bytes);
                push_str(&mut ids, &ev.stream.0);
                ids.extend_from_slice(&ev.seq.0.to_be_bytes());
            }
            for (stream, head) in &heads {
                b.insert(head_key(stream), &head.0.to_be_bytes()[..]);
            }
            let now = now_ms();
            for (stream, author, key, seq) in &batch.idem {
                let mut v = seq.0.to_be_bytes().to_vec();
                v.extend_from_slice(&now.to_be_bytes());
                b.insert(idem_key(stream, author, key), v);
            }
            b.insert(&commit_key(number)[..], ids);
            self.log.apply_batch(b)?;
            failpoint::hit(failpoint::SLED_WRITTEN);
            committed = Committed { position: Some(LogPosition(number)), heads };
        }
        self.state.apply(&batch.state)?;
        self.state.make_durable()?;
        if committed.position.is_some() {
            failpoint::hit(failpoint::SLED_FSYNCED);
        }
        if !batch.state.is_empty() {
            failpoint::hit(failpoint::STATE_FLUSHED);
        }
        Ok(committed)
    }

    fn read_range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        if upto <= after || limit == 0 {
            return Ok(Vec::new());
        }
        let from = event_key(stream, Seq(after.0 + 1));
        let to = event_key(stream, upto);
        self.log.range(from..=to).values().take(limit).map(|v| decode_event(&v?)).collect()
    }

    fn read_before(&self, stream: &StreamId, before: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        let upto = before.0.saturating_sub(1).min(self.head(stream)?.0);
        self.read_range(stream, Seq(upto.saturating_sub(limit as u64)), Seq(upto), limit)
    }

    fn get(&self, stream: &StreamId, seq: Seq) -> Result<Option<Event>, EngineError> {
        self.log.get(event_key(stream, seq))?.map(|v| decode_event(&v)).transpose()
    }

    fn head(&self, stream: &StreamId) -> Result<Seq, EngineError> {
        self.log.get(head_key(stream))?.map(|v| seq_of(&v)).transpose().map(Option::unwrap_or_default)
    }

    fn streams(&self) -> Result<Vec<StreamId>, EngineError> {
        self.log
            .scan_prefix([HEAD])
            .keys()
            .map(|k| Ok(StreamId(String::from_utf8_lossy(&k?[1..]).into_owned())))
            .collect()
    }

    fn idem_get(&self, stream: &StreamId, author: &UserId, key: &str) -> Result<Option<Seq>, EngineError> {
        let Some(v) = self.log.get(idem_key(stream, author, key))? else { return Ok(None) };
        let (seq, at) = idem_value(&v)?;
        Ok((now_ms().saturating_sub(at) < self.retention_ms).then_some(seq))
    }

    fn epoch(&self) -> String {
        self.epoch.clone()
    }

    fn position(&self) -> Result<LogPosition, EngineError> {
        Ok(self.last_commit()?.map_or(LogPosition::START, LogPosition))
    }

    fn follow(&self, after: LogPosition, limit: usize) -> Result<Vec<FollowedCommit>, EngineError> {
        let mut out = Vec::new();
        let from = commit_key(after.0.saturating_add(1));
        for item in
            self.log.range(&from[..]..).take_while(|i| i.as_ref().map_or(true, |(k, _)| k[0] == COMMIT)).take(limit)
        {
            let (k, ids) = item?;
            let mut rest = &ids[..];
            let mut events = Vec::new();
            while !rest.is_empty() {
                let bad = || corrupt("commit ids", "truncated");
                let n = u16::from_be_bytes(rest.get(..2).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
                let stream =
                    std::str::from_utf8(rest.get(2..2 + n).ok_or_else(bad)?).map_err(|e| corrupt("commit ids", e))?;
                let seq = seq_of(rest.get(2 + n..10 + n).ok_or_else(bad)?)?;
                rest = &rest[10 + n..];
                if let Some(e) = self.get(&StreamId::from(stream), seq)? {
                    events.push(e);
                }
            }
            out.push(FollowedCommit { position: LogPosition(commit_number(&k)?), events });
        }
        Ok(out)
    }
}

impl SledStateOwner for SledLog {
    fn sled_state(&self) -> &SledState {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::conformance::{ev, retry_lock};
    use crate::engine::{CommitBatch, EngineError, EventLog, SegmentLog, SledLog, SEGMENT_BYTES};

    /// The error opening with `open` gives, once sled's lock from a just-dropped store is released.
    fn refused<T>(open: impl Fn() -> Result<T, EngineError>) -> EngineError {
        for _ in 0..300 {
            match open() {
                Err(EngineError::Sled(e)) if e.to_string().contains("could not acquire lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(e) => return e,
                Ok(_) => panic!("opened a directory of the other engine"),
            }
        }
        panic!("sled's lock was never released");
    }

    #[test]
    fn a_directory_of_one_engine_is_refused_by_the_other_with_a_clear_error() {
        let seg = tempfile::tempdir().unwrap();
        {
            let log = retry_lock(|| SegmentLog::open(seg.path(), SEGMENT_BYTES));
            log.commit(&CommitBatch { events: vec![ev("ch_a", 1, "m")], ..Default::default() }).unwrap();
        }
        let err = refused(|| SledLog::open(seg.path()));
        assert!(matches!(err, EngineError::WrongEngine { .. }), "{err}");
        assert!(err.to_string().contains("--engine segment"), "{err}");

        let sled = tempfile::tempdir().unwrap();
        {
            let log = retry_lock(|| SledLog::open(sled.path()));
            log.commit(&CommitBatch { events: vec![ev("ch_a", 1, "m")], ..Default::default() }).unwrap();
        }
        let err = refused(|| SegmentLog::open(sled.path(), SEGMENT_BYTES));
        assert!(err.to_string().contains("--engine sled"), "{err}");
        // And each still opens with its own engine.
        let log = retry_lock(|| SledLog::open(sled.path()));
        assert_eq!(log.head(&"ch_a".into()).unwrap(), agora_protocol::Seq(1));
    }
}
