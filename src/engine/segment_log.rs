//! The storage engine: stream logs in our own segment files, state tables in sled.
//!
//! What lives here: [`SegmentLog`], the [`EventLog`] the server runs on, and the
//! one-time move of a log kept in sled by earlier versions into segments. What
//! does not: framing and fsync (`segments`), the record layout
//! (`commit_record`), finding an event (`index`).
//!
//! - **Events and idempotency keys**: a group commit is one record appended to
//!   `<data>/log` with one `write` and one `fdatasync` (`segments`). The record
//!   is durable before the index learns of it and long before anyone is acked.
//!   The in-memory `index` (stream, seq → where the bytes are) is rebuilt by
//!   reading the segments on start. Events were kept in a sled tree before;
//!   each insert copied a B-tree leaf and sled's own log wrote it again, which
//!   cost more than half of the single writer thread (docs/BENCHMARKS.md).
//! - **State tables** (users, tokens, read markers, snapshots, meta) stay in
//!   sled under `<data>/sled`. A commit that writes any of them returns after
//!   sled's `flush`, then `sync_data()` on sled's data file (sled's flush only
//!   does `sync_file_range`, which reaches neither the disk cache nor file
//!   metadata: sled#1452) and an fsync of new files in `blobs/` (sled writes
//!   those without any). These writes are not atomic with the events of the
//!   same commit, and need not be: none of them is derived from an event (a
//!   snapshot is only a shortcut for folding the log, checked against it).
//!
//! Any error on the commit path is returned to the sequencer, which treats it
//! as fatal (never acks, never retries).

use super::commit_record;
use super::index::{Index, Loc};
use super::keys;
use super::segments::Segments;
use super::sled_state::{corrupt, SledState};
use super::{CommitBatch, Committed, EngineError, EventLog, FollowedCommit, LogPosition, StateStore};
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::path::Path;
use std::sync::{Mutex, RwLock};

/// A segment is closed and the next one started at this size (the `log_segment_bytes` setting).
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// What this engine writes in the `engine` meta record.
pub const ENGINE_NAME: &str = "segment";
/// Largest gap between two events that one read of a range still bridges.
const READ_GAP: u64 = 4 * 1024;
/// Most bytes one read of a range may span.
const READ_SPAN: u64 = 256 * 1024;
/// The sled tree that held the log before segments (migrated, then dropped).
const OLD_LOG_TREE: &[u8] = b"log";

pub struct SegmentLog {
    segments: Segments,
    /// Written only by the sequencer thread, once per commit; read by history and replays.
    index: RwLock<Index>,
    /// The commit record being built, reused (only the sequencer commits).
    record: Mutex<Vec<u8>>,
    /// The state tables (and, in directories of earlier versions, the old log tree).
    state: SledState,
    epoch: String,
}

fn decode_event(bytes: &[u8]) -> Result<Event, EngineError> {
    rmp_serde::from_slice(bytes).map_err(|e| corrupt("event", e))
}

impl SegmentLog {
    /// Open (or create) the store under `dir`: segments in `dir/log`, sled in `dir/sled`.
    pub fn open(dir: &Path, segment_bytes: u64) -> Result<SegmentLog, EngineError> {
        let log_dir = dir.join("log");
        let state = SledState::open(&dir.join("sled"))?;
        let epoch = match state.epoch()? {
            Some(e) => e,
            None => {
                // A new sled store beside an old log would serve the log's streams
                // without their users, tokens or epoch: refuse rather than guess.
                if std::fs::read_dir(&log_dir)
                    .is_ok_and(|d| d.flatten().any(|e| e.metadata().is_ok_and(|m| m.len() > 0)))
                {
                    return Err(corrupt(
                        "data directory",
                        format!("{} holds an event log but the sled store is new", log_dir.display()),
                    ));
                }
                state.create_epoch()?
            }
        };
        match state.engine_marker()?.as_deref() {
            None => state.set_engine_marker(ENGINE_NAME)?,
            Some(ENGINE_NAME) => {}
            Some(other) => return Err(EngineError::WrongEngine { found: other.to_owned(), wanted: ENGINE_NAME }),
        }
        let mut index = Index::default();
        let mut records = 0u64;
        let started = std::time::Instant::now();
        let segments = Segments::open(&log_dir, segment_bytes, |pos, record| {
            records += 1;
            index.apply(pos, record)
        })?;
        tracing::info!(records, elapsed_ms = started.elapsed().as_millis() as u64, "read the event log");
        let log = SegmentLog { segments, index: RwLock::new(index), record: Mutex::new(Vec::new()), state, epoch };
        log.migrate_sled_log()?;
        Ok(log)
    }

    /// Move a log that an earlier version kept in sled's `log` tree into segments,
    /// then drop the tree. Safe to repeat after a crash half way: an event appended
    /// again at a seq the index has replaces it with the same bytes.
    fn migrate_sled_log(&self) -> Result<(), EngineError> {
        if !self.state.db.tree_names().iter().any(|n| n.as_ref() == OLD_LOG_TREE) {
            return Ok(());
        }
        let old = self.state.db.open_tree(OLD_LOG_TREE)?;
        let mut record = Vec::new();
        let mut moved = 0u64;
        // Keys sort as `I…` (idempotency) < `L…` (events, by stream then seq) < `S…`.
        for item in old.iter() {
            let (k, v) = item?;
            if let Some((stream, seq)) = keys::parse_log_key(&k) {
                commit_record::push_event(&mut record, &stream, seq, &v);
                moved += 1;
            } else if let Some((stream, author, key)) = keys::parse_idem_key(&k) {
                let seq: [u8; 8] = v.as_ref().try_into().map_err(|e| corrupt("idem value", e))?;
                commit_record::push_idem(&mut record, &stream, &author, &key, Seq(u64::from_be_bytes(seq)));
            }
            if record.len() >= 1 << 20 {
                self.append(&record)?;
                record.clear();
            }
        }
        if !record.is_empty() {
            self.append(&record)?;
        }
        self.state.db.drop_tree(OLD_LOG_TREE)?;
        self.state.make_durable()?;
        tracing::info!(events = moved, "moved the event log from sled into segments");
        Ok(())
    }

    /// Append a record durably, then index it. The record is checked against the
    /// index first, so a bad one never reaches the disk. Called by the sequencer
    /// thread only (and by `open`, before anyone else can).
    fn append(&self, record: &[u8]) -> Result<(), EngineError> {
        // Readers keep reading during the fsync; only this thread changes the index,
        // so nothing can slip in between the check and the apply.
        let entries = self.index().checked(record)?;
        let pos = self.segments.append(record)?;
        self.index.write().unwrap_or_else(|e| e.into_inner()).apply_checked(pos, entries);
        Ok(())
    }

    /// Read and decode the events at `locs` (index lookups done, lock released).
    /// Events that lie close together in one segment (a stream's events of
    /// consecutive commits usually do) are read with one `pread` of the span
    /// that holds them: a replay or a history page is a few reads, not one per event.
    fn load(&self, locs: Vec<(Seq, Loc)>) -> Result<Vec<Event>, EngineError> {
        let mut out = Vec::with_capacity(locs.len());
        let mut i = 0;
        while i < locs.len() {
            let first = locs[i].1;
            let mut end = first.offset + u64::from(first.len);
            let mut j = i + 1;
            while let Some(&(_, l)) = locs.get(j) {
                let bridges = l.segment == first.segment
                    && l.offset >= end
                    && l.offset - end <= READ_GAP
                    && l.offset + u64::from(l.len) - first.offset <= READ_SPAN;
                if !bridges {
                    break;
                }
                end = l.offset + u64::from(l.len);
                j += 1;
            }
            let span = self.segments.read_at(first.segment, first.offset, (end - first.offset) as usize)?;
            for &(seq, l) in &locs[i..j] {
                let at = (l.offset - first.offset) as usize;
                let bytes =
                    span.get(at..at + l.len as usize).ok_or_else(|| corrupt("event location", format!("seq {seq}")))?;
                out.push(decode_event(bytes)?);
            }
            i = j;
        }
        Ok(out)
    }

    fn index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl StateStore for SegmentLog {
    fn read_marker(&self, user: &UserId, stream: &StreamId) -> Result<Seq, EngineError> {
        self.state.read_marker(user, stream)
    }
    fn snapshot(&self, stream: &StreamId) -> Result<Option<Vec<u8>>, EngineError> {
        self.state.snapshot(stream)
    }
    fn users(&self) -> Result<Vec<Vec<u8>>, EngineError> {
        self.state.users()
    }
    fn api_tokens(&self) -> Result<Vec<(String, UserId)>, EngineError> {
        self.state.api_tokens()
    }
    fn jwt_secret(&self) -> Result<Option<Vec<u8>>, EngineError> {
        self.state.jwt_secret()
    }
    fn revoked_sessions(&self) -> Result<Vec<(String, u64)>, EngineError> {
        self.state.revoked_sessions()
    }
}

impl EventLog for SegmentLog {
    fn commit(&self, batch: &CommitBatch) -> Result<Committed, EngineError> {
        // Only the sequencer thread commits, so the heads cannot move between this check and the append.
        let heads = batch.check(|s| Ok(self.index().head(s)))?;
        let mut position = None;
        if !(batch.events.is_empty() && batch.rewrites.is_empty() && batch.idem.is_empty()) {
            let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
            record.clear();
            for ev in batch.events.iter().chain(batch.rewrites.iter()) {
                let bytes = rmp_serde::to_vec_named(ev).map_err(|e| corrupt("event encode", e))?;
                commit_record::push_event(&mut record, &ev.stream, ev.seq, &bytes);
            }
            for (stream, author, key, seq) in &batch.idem {
                commit_record::push_idem(&mut record, stream, author, key, *seq);
            }
            self.append(&record)?;
            let (segment, len) = self.segments.end();
            position = Some(encode_position(segment, len));
        }
        if !batch.state.is_empty() {
            self.state.apply(&batch.state)?;
            self.state.make_durable()?;
        }
        Ok(Committed { position, heads })
    }

    fn read_range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        let locs = self.index().range(stream, after, upto, limit);
        self.load(locs)
    }

    fn read_before(&self, stream: &StreamId, before: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        let locs = self.index().before(stream, before, limit);
        self.load(locs)
    }

    fn get(&self, stream: &StreamId, seq: Seq) -> Result<Option<Event>, EngineError> {
        let loc = self.index().get(stream, seq);
        Ok(self.load(loc.map(|l| (seq, l)).into_iter().collect())?.pop())
    }

    fn head(&self, stream: &StreamId) -> Result<Seq, EngineError> {
        Ok(self.index().head(stream))
    }

    fn streams(&self) -> Result<Vec<StreamId>, EngineError> {
        Ok(self.index().streams())
    }

    fn idem_get(&self, stream: &StreamId, author: &UserId, key: &str) -> Result<Option<Seq>, EngineError> {
        Ok(self.index().idem(stream, author, key))
    }

    fn epoch(&self) -> String {
        self.epoch.clone()
    }

    fn position(&self) -> Result<LogPosition, EngineError> {
        let (segment, len) = self.segments.end();
        Ok(if segment == 1 && len == 0 { LogPosition::START } else { encode_position(segment, len) })
    }

    fn follow(&self, after: LogPosition, limit: usize) -> Result<Vec<FollowedCommit>, EngineError> {
        let (mut segment, mut offset) = decode_position(after);
        let (newest, _) = self.segments.end();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some((record, next)) = self.segments.record_from(segment, offset)? else {
                if segment >= newest {
                    break;
                }
                (segment, offset) = (segment + 1, 0);
                continue;
            };
            offset = next;
            let mut events = Vec::new();
            for entry in commit_record::entries(&record) {
                if let commit_record::Entry::Event { bytes, .. } = entry? {
                    events.push(decode_event(bytes)?);
                }
            }
            // A rewrite stored later replaced what this record holds: serve the current version.
            for e in events.iter_mut() {
                if let Some(now) = self.get(&e.stream, e.seq)? {
                    *e = now;
                }
            }
            if !events.is_empty() {
                out.push(FollowedCommit { position: encode_position(segment, offset), events });
            }
        }
        Ok(out)
    }
}

/// A position in the segments: the segment number in the high 24 bits, the
/// byte offset where the commit's record ends in the low 40 (segments are far
/// smaller than 1 TiB).
fn encode_position(segment: u32, offset: u64) -> LogPosition {
    LogPosition((u64::from(segment) << 40) | offset)
}

pub(super) fn decode_position(p: LogPosition) -> (u32, u64) {
    if p == LogPosition::START {
        return (1, 0);
    }
    ((p.0 >> 40) as u32, p.0 & ((1 << 40) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::conformance::{ev, retry_lock};

    /// Open `dir`, waiting out the file lock of a just-dropped sled store.
    fn open(dir: &Path, segment_bytes: u64) -> SegmentLog {
        retry_lock(|| SegmentLog::open(dir, segment_bytes))
    }

    #[test]
    fn ranges_read_back_exactly_whatever_lies_between_their_events() {
        let dir = tempfile::tempdir().unwrap();
        // Two segment sizes: one where spans cross segment ends, one where they do not.
        for segment_bytes in [2_000, SEGMENT_BYTES] {
            let dir = dir.path().join(segment_bytes.to_string());
            let log = open(&dir, segment_bytes);
            let mut want: Vec<Event> = Vec::new();
            for c in 0..60u64 {
                // ch_a gets one event per commit; ch_b a varying number, with long texts
                // now and then, so ch_a's events are near each other, or not.
                let mut b = CommitBatch { events: vec![ev("ch_a", c + 1, &format!("a{c}"))], ..Default::default() };
                let long = "x".repeat(if c % 7 == 0 { 5_000 } else { 10 });
                for k in 0..(c % 4) {
                    let seq = log.head(&"ch_b".into()).unwrap().0 + 1 + k;
                    b.events.push(ev("ch_b", seq, &long));
                }
                want.push(b.events[0].clone());
                log.commit(&b).unwrap();
            }
            assert_eq!(log.read_range(&"ch_a".into(), Seq(0), Seq(60), 100).unwrap(), want);
            assert_eq!(log.read_range(&"ch_a".into(), Seq(10), Seq(20), 5).unwrap(), want[10..15].to_vec());
            assert_eq!(log.read_before(&"ch_a".into(), Seq(61), 7).unwrap(), want[53..].to_vec());
        }
    }

    #[test]
    fn a_log_kept_in_sled_by_an_earlier_version_moves_into_segments() {
        let dir = tempfile::tempdir().unwrap();
        {
            // The layout earlier versions wrote: tree `log` with `S`, `L` and `I` keys.
            let db = sled::Config::new().path(dir.path().join("sled")).open().unwrap();
            db.open_tree("meta").unwrap().insert(b"epoch", &b"0123456789abcdef"[..]).unwrap();
            let old = db.open_tree(OLD_LOG_TREE).unwrap();
            for (s, n) in [("ch_a", 3u64), ("ch_b", 1)] {
                old.insert(keys::stream_key(&s.into()), &[][..]).unwrap();
                for q in 1..=n {
                    old.insert(
                        keys::log_key(&s.into(), Seq(q)),
                        rmp_serde::to_vec_named(&ev(s, q, &format!("{s}{q}"))).unwrap(),
                    )
                    .unwrap();
                }
            }
            old.insert(keys::idem_key(&"ch_a".into(), &"ann".into(), "k9"), &2u64.to_be_bytes()[..]).unwrap();
            db.flush().unwrap();
        }
        for _ in 0..2 {
            let log = open(dir.path(), SEGMENT_BYTES);
            assert_eq!(log.epoch(), "0123456789abcdef");
            assert_eq!(
                log.read_range(&"ch_a".into(), Seq(0), Seq(9), 9).unwrap(),
                (1..=3).map(|q| ev("ch_a", q, &format!("ch_a{q}"))).collect::<Vec<_>>()
            );
            assert_eq!(log.head(&"ch_b".into()).unwrap(), Seq(1));
            assert_eq!(log.idem_get(&"ch_a".into(), &"ann".into(), "k9").unwrap(), Some(Seq(2)));
            assert!(!log.state.db.tree_names().iter().any(|n| n.as_ref() == OLD_LOG_TREE), "the old tree is dropped");
        }
    }

    #[test]
    fn a_new_sled_store_beside_an_old_log_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let log = open(dir.path(), SEGMENT_BYTES);
            log.commit(&CommitBatch { events: vec![ev("ch_a", 1, "m1")], ..Default::default() }).unwrap();
        }
        std::fs::remove_dir_all(dir.path().join("sled")).unwrap();
        assert!(matches!(SegmentLog::open(dir.path(), SEGMENT_BYTES), Err(EngineError::Corrupt { .. })));
    }
}
