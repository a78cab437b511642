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

use super::checkpoint;
use super::commit_record;
use super::files::{FileLayer, OsFiles};
use super::index::now_ms;
use super::index::{Index, Loc};
use super::keys;
use super::segments::{self, Pos, Segments};
use super::sled_state::{corrupt, SledState, SledStateOwner};
use super::{CommitBatch, Committed, EngineError, EngineOptions, EventLog, FollowedCommit, LogPosition};
use crate::failpoint;
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

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
    /// Written only by the sequencer thread, once per commit; read by history and
    /// replays, and copied by a background checkpoint.
    index: Arc<RwLock<Index>>,
    log_dir: PathBuf,
    /// A background checkpoint is under way (at most one at a time).
    checkpointing: Arc<AtomicBool>,
    /// Held while the checkpoint file is written (background or at shutdown).
    checkpoint_file: Arc<Mutex<()>>,
    /// The last background checkpoint's thread, joined on drop: a checkpoint
    /// must not land after the store is closed (a test may then cut the log).
    background: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// How this store's index was built on open: from a checkpoint or not, and how many records were read.
    started: (bool, u64),
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
    /// Open (or create) the store under `dir`: segments in `dir/log`, sled in
    /// `dir/sled`, idempotency keys kept for the default retention window.
    pub fn open(dir: &Path, segment_bytes: u64) -> Result<SegmentLog, EngineError> {
        SegmentLog::open_with(dir, &EngineOptions { segment_bytes, ..Default::default() })
    }

    /// Open (or create) the store under `dir` with `opts`. The index comes from
    /// the checkpoint plus the log after it, or, without a sound checkpoint, from
    /// the whole log.
    pub fn open_with(dir: &Path, opts: &EngineOptions) -> Result<SegmentLog, EngineError> {
        SegmentLog::open_on(Arc::new(OsFiles), dir, opts)
    }

    /// [`SegmentLog::open_with`], appending to the log and syncing sled through
    /// `files` (the disk, or a test's power-loss simulator).
    pub fn open_on(files: Arc<dyn FileLayer>, dir: &Path, opts: &EngineOptions) -> Result<SegmentLog, EngineError> {
        let segment_bytes = opts.segment_bytes;
        let retention_ms = opts.idem_retention.as_millis().try_into().unwrap_or(u64::MAX);
        let log_dir = dir.join("log");
        let state = SledState::open_on(files.clone(), &dir.join("sled"))?;
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
        let started = std::time::Instant::now();
        let checkpointed = checkpoint::load(&log_dir, retention_ms).filter(|ix| {
            // The checkpoint must end inside the log as it is now.
            let end = ix.end();
            let ok =
                std::fs::metadata(segments::segment_path(&log_dir, end.segment)).is_ok_and(|m| m.len() >= end.offset);
            if !ok {
                tracing::warn!(
                    segment = end.segment,
                    offset = end.offset,
                    "the index checkpoint points past the log; reading the whole log"
                );
            }
            ok
        });
        let from_checkpoint = checkpointed.is_some();
        if !from_checkpoint {
            // Appends may grow the log past its end again, where it would look sound:
            // remove it (durably) before anything is appended.
            checkpoint::discard(&log_dir)?;
        }
        let mut index = checkpointed.unwrap_or_else(|| Index::new(retention_ms));
        let from = if from_checkpoint { index.end() } else { Pos { segment: 1, offset: 0 } };
        let mut records = 0u64;
        let segments = Segments::open_on(files, &log_dir, segment_bytes, from, |pos, record| {
            records += 1;
            index.apply(pos, record)
        })?;
        index.prune_idem(now_ms());
        tracing::info!(
            from_checkpoint,
            records,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "read the event log"
        );
        let log = SegmentLog {
            segments,
            index: Arc::new(RwLock::new(index)),
            log_dir,
            checkpointing: Arc::default(),
            checkpoint_file: Arc::default(),
            background: Mutex::new(None),
            started: (from_checkpoint, records),
            record: Mutex::new(Vec::new()),
            state,
            epoch,
        };
        log.migrate_sled_log()?;
        Ok(log)
    }

    /// How the index was built on open: from a checkpoint or not, and how many log records were read.
    pub fn start_info(&self) -> (bool, u64) {
        self.started
    }

    /// Write the index checkpoint in the background, unless one is being written.
    /// The copy is taken under the read lock (the writer waits for the copy, not
    /// for the file); the file is written on its own thread.
    fn checkpoint_in_background(&self) {
        if self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (index, dir, busy) = (self.index.clone(), self.log_dir.clone(), self.checkpointing.clone());
        let file = self.checkpoint_file.clone();
        let spawned = std::thread::Builder::new().name("agora-checkpoint".into()).spawn(move || {
            let _file = file.lock().unwrap_or_else(|e| e.into_inner());
            let copy = index.read().unwrap_or_else(|e| e.into_inner()).clone();
            match checkpoint::write(&dir, &copy) {
                Ok(()) => tracing::debug!(segment = copy.end().segment, "wrote the index checkpoint"),
                // Only a shortcut for the next start: log and go on.
                Err(e) => tracing::warn!(error = %e, "writing the index checkpoint failed"),
            }
            busy.store(false, Ordering::Release);
        });
        match spawned {
            Ok(handle) => *self.background.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle),
            Err(_) => self.checkpointing.store(false, Ordering::Release),
        }
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
        let now = now_ms();
        // Keys sort as `I…` (idempotency) < `L…` (events, by stream then seq) < `S…`.
        for item in old.iter() {
            let (k, v) = item?;
            if let Some((stream, seq)) = keys::parse_log_key(&k) {
                commit_record::push_event(&mut record, &stream, seq, &v);
                moved += 1;
            } else if let Some((stream, author, key)) = keys::parse_idem_key(&k) {
                let seq: [u8; 8] = v.as_ref().try_into().map_err(|e| corrupt("idem value", e))?;
                commit_record::push_idem(&mut record, &stream, &author, &key, Seq(u64::from_be_bytes(seq)), now);
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
        let rolled = {
            let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
            let rolled = index.end().segment != pos.segment;
            index.apply_checked(pos, record.len(), entries);
            if rolled {
                // Once per segment: forget idempotency keys past their retention window.
                index.prune_idem(now_ms());
            }
            rolled
        };
        failpoint::hit(failpoint::SEGMENT_INDEXED);
        if rolled {
            // A new segment started: checkpoint the index, so a start reads at most about a segment.
            self.checkpoint_in_background();
        }
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

impl Drop for SegmentLog {
    fn drop(&mut self) {
        if let Some(handle) = self.background.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

impl SledStateOwner for SegmentLog {
    fn sled_state(&self) -> &SledState {
        &self.state
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
            let now = now_ms();
            for (stream, author, key, seq) in &batch.idem {
                commit_record::push_idem(&mut record, stream, author, key, *seq, now);
            }
            self.append(&record)?;
            let (segment, len) = self.segments.end();
            position = Some(encode_position(segment, len));
        }
        if !batch.state.is_empty() {
            self.state.apply(&batch.state)?;
            self.state.make_durable()?;
            failpoint::hit(failpoint::STATE_FLUSHED);
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
        Ok(self.index().idem(stream, author, key, now_ms()))
    }

    fn epoch(&self) -> String {
        self.epoch.clone()
    }

    fn checkpoint(&self) -> Result<(), EngineError> {
        let _file = self.checkpoint_file.lock().unwrap_or_else(|e| e.into_inner());
        let copy = self.index().clone();
        checkpoint::write(&self.log_dir, &copy)
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
    use crate::engine::index::Index;

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

    /// A log of many commits over small segments, with idempotency keys and tombstones.
    fn write_commits(log: &SegmentLog, from: u64, to: u64) {
        for c in from..=to {
            let mut b = CommitBatch { events: vec![ev("ch_a", c, &format!("a{c}"))], ..Default::default() };
            b.idem.push(("ch_a".into(), "ann".into(), format!("k{c}"), Seq(c)));
            if c % 5 == 0 {
                let head = log.head(&"ch_b".into()).unwrap().0;
                b.events.push(ev("ch_b", head + 1, &"b".repeat(300)));
            }
            if c % 7 == 0 {
                let tomb = Event {
                    body: agora_protocol::EventBody::Tombstone { deleted_by: Seq(c) },
                    ..ev("ch_a", c - 3, "")
                };
                b.rewrites.push(tomb);
            }
            log.commit(&b).unwrap();
        }
    }

    fn index_of(log: &SegmentLog) -> Index {
        log.index().clone()
    }

    #[test]
    fn a_start_from_the_checkpoint_reads_only_the_tail_and_builds_the_same_index_as_a_full_scan() {
        let dir = tempfile::tempdir().unwrap();
        {
            let log = open(dir.path(), 2_000);
            write_commits(&log, 1, 120);
            log.checkpoint().unwrap();
            write_commits(&log, 121, 140);
        }
        let (from_checkpoint, records, with_checkpoint) = {
            let log = open(dir.path(), 2_000);
            assert_eq!(log.read_range(&"ch_a".into(), Seq(135), Seq(140), 9).unwrap().len(), 5);
            assert_eq!(log.idem_get(&"ch_a".into(), &"ann".into(), "k3").unwrap(), Some(Seq(3)));
            (log.started.0, log.started.1, index_of(&log))
        };
        assert!(from_checkpoint, "the checkpoint was used");
        // The background checkpoints at segment rolls may have covered some of the tail too.
        assert!(records <= 20, "read only the tail after the checkpoint: {records} records");
        std::fs::remove_file(checkpoint::path(&dir.path().join("log"))).unwrap();
        let log = open(dir.path(), 2_000);
        assert_eq!(log.started, (false, 140), "no checkpoint: the whole log");
        assert_eq!(index_of(&log), with_checkpoint);
    }

    #[test]
    fn a_damaged_or_foreign_checkpoint_falls_back_to_a_full_scan() {
        let dir = tempfile::tempdir().unwrap();
        {
            let log = open(dir.path(), 2_000);
            write_commits(&log, 1, 40);
            log.checkpoint().unwrap();
        }
        let ckpt = checkpoint::path(&dir.path().join("log"));
        let full = {
            let mut bytes = std::fs::read(&ckpt).unwrap();
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x10;
            std::fs::write(&ckpt, &bytes).unwrap();
            let log = open(dir.path(), 2_000);
            assert_eq!(log.started, (false, 40), "a damaged checkpoint is ignored");
            log.checkpoint().unwrap();
            index_of(&log)
        };
        // A checkpoint that ends past the log (here: of a longer log) is ignored too.
        let other = tempfile::tempdir().unwrap();
        {
            let log = open(other.path(), 2_000);
            write_commits(&log, 1, 80);
            log.checkpoint().unwrap();
        }
        std::fs::copy(checkpoint::path(&other.path().join("log")), &ckpt).unwrap();
        let log = open(dir.path(), 2_000);
        assert!(!log.started.0, "a checkpoint pointing past the log is ignored");
        assert_eq!(index_of(&log), full);
    }

    #[test]
    fn a_checkpoint_ignored_once_is_never_trusted_after_the_log_grows_past_it() {
        // proptest found this: a tail cut below the checkpoint's end, new appends
        // growing the log past that end again, a restart trusting the stale
        // checkpoint and reading the new appends from the middle of a record.
        let dir = tempfile::tempdir().unwrap();
        let big = 1 << 30; // one segment: no background checkpoints
        {
            let log = open(dir.path(), big);
            write_commits(&log, 1, 40);
            log.checkpoint().unwrap();
        }
        let segment = segments::segment_path(&dir.path().join("log"), 1);
        let len = std::fs::metadata(&segment).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&segment).unwrap().set_len(len / 2).unwrap();
        let kept = {
            let log = open(dir.path(), big);
            assert!(!log.started.0, "the checkpoint points past the cut log");
            let kept = log.head(&"ch_a".into()).unwrap().0;
            assert!(kept < 40);
            // Other bytes than before the cut (a different text length), as after a real crash.
            for c in kept + 1..=kept + 60 {
                let b =
                    CommitBatch { events: vec![ev("ch_a", c, &format!("after the cut {c}"))], ..Default::default() };
                log.commit(&b).unwrap();
            }
            kept
        };
        assert!(std::fs::metadata(&segment).unwrap().len() > len, "the log grew past the old checkpoint's end");
        let log = open(dir.path(), big);
        assert_eq!(log.head(&"ch_a".into()).unwrap(), Seq(kept + 60), "every commit after the cut survives");
        let all = log.read_range(&"ch_a".into(), Seq(0), Seq(u64::MAX), usize::MAX).unwrap();
        assert_eq!(all.len() as u64, kept + 60);
    }

    #[test]
    fn a_segment_roll_writes_a_checkpoint_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 2_000);
        write_commits(&log, 1, 60);
        // Bounded wait for the background thread (no timing assertion: only that it finishes).
        for _ in 0..500 {
            if !log.checkpointing.load(Ordering::Acquire) && checkpoint::path(&dir.path().join("log")).exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let ix = checkpoint::load(&dir.path().join("log"), u64::MAX).expect("a checkpoint after the rolls");
        assert!(ix.end().segment > 1 && ix.end() <= index_of(&log).end());
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
