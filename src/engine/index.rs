//! Where each event lives in the segments, per stream and seq, and which seq
//! each idempotency key got. Kept in memory and rebuilt from the log on start.
//!
//! What lives here: applying a commit record to the index, and lookups by
//! stream and seq. What does not: I/O (`segments` reads the bytes) and the
//! record layout (`commit_record`).
//!
//! A stream's locations are a `Vec` indexed by `seq - 1` (sequences are
//! gapless), so a lookup is one array index and an event costs 16 bytes of
//! memory. A tombstone replaces its event's location in place.
//!
//! Idempotency keys are kept for a retention window (`idempotency_retention_secs`):
//! a key older than that is no longer found, and is dropped from memory at the
//! next segment roll and from checkpoints.
//!
//! The whole index can be written out (`encode`) and read back (`decode`) for
//! the checkpoint (`checkpoint`), with `end`, the log position it covers.

use super::commit_record::{self, Entry};
use super::segments::Pos;
use super::EngineError;
use agora_protocol::{Seq, StreamId, UserId};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Where one event's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    pub segment: u32,
    pub len: u32,
    pub offset: u64,
}

/// One idempotency key's seq, and when it was recorded (ms since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdemEntry {
    pub seq: Seq,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// Stream ids are made by the server (random or hashed), so FxHash is safe here.
    streams: FxHashMap<StreamId, Vec<Loc>>,
    /// Idempotency keys: [`idem_digest`] of (stream, author, key) → seq. A digest
    /// instead of the strings: 40 to 85 bytes a key (digest, seq, time, table overhead) instead of 100 to 150, and most
    /// posts carry one (the JS SDK sends a key with every post).
    idem: HashMap<u128, IdemEntry>,
    /// Where the last record applied ends: the log up to here is in the index.
    end: Pos,
    /// How long an idempotency key is honoured, in ms.
    retention_ms: u64,
}

impl Default for Index {
    fn default() -> Self {
        Index::new(u64::MAX)
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The first 128 bits of SHA-256 over the three length-prefixed strings. A
/// collision would answer one user's post as a duplicate of another's; with a
/// cryptographic digest, finding one takes about 2^64 hashes, so the map can
/// hold the digest alone.
fn idem_digest(stream: &str, author: &str, key: &str) -> u128 {
    let mut h = Sha256::new();
    for part in [stream, author, key] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let d = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_le_bytes(first)
}

fn corrupt(detail: String) -> EngineError {
    EngineError::Corrupt { what: "event log", detail }
}

impl Index {
    /// An empty index whose idempotency keys are honoured for `retention_ms`.
    pub fn new(retention_ms: u64) -> Index {
        Index { streams: Default::default(), idem: HashMap::new(), end: Pos { segment: 1, offset: 0 }, retention_ms }
    }

    /// Take in one record whose payload starts at `pos`. Refuses a record that
    /// [`Index::checked`] refuses; nothing of it is applied then.
    pub fn apply(&mut self, pos: Pos, record: &[u8]) -> Result<(), EngineError> {
        let entries = self.checked(record)?;
        self.apply_checked(pos, record.len(), entries);
        Ok(())
    }

    /// Where the last record applied ends.
    pub fn end(&self) -> Pos {
        self.end
    }

    /// Drop idempotency keys older than the retention window.
    pub fn prune_idem(&mut self, now_ms: u64) {
        let keep = self.retention_ms;
        self.idem.retain(|_, e| now_ms.saturating_sub(e.at_ms) < keep);
    }

    /// The entries of `record` if the index would take it: it decodes, and no
    /// event in it leaves a gap in its stream.
    pub fn checked<'r>(&self, record: &'r [u8]) -> Result<Vec<Entry<'r>>, EngineError> {
        let entries = commit_record::entries(record).collect::<Result<Vec<_>, _>>()?;
        let mut next: FxHashMap<&str, u64> = FxHashMap::default();
        for e in &entries {
            if let Entry::Event { stream, seq, .. } = e {
                let head = match next.get(stream) {
                    Some(&h) => h,
                    None => self.streams.get(*stream).map_or(0, |v| v.len() as u64),
                };
                if seq.0 == 0 || seq.0 > head + 1 {
                    return Err(corrupt(format!("event {stream}#{} after head {head}", seq.0)));
                }
                next.insert(stream, head.max(seq.0));
            }
        }
        Ok(entries)
    }

    /// Take in the entries [`Index::checked`] returned, of a record of `len`
    /// bytes whose payload starts at `pos`.
    pub fn apply_checked(&mut self, pos: Pos, len: usize, entries: Vec<Entry<'_>>) {
        self.end = Pos { segment: pos.segment, offset: pos.offset + len as u64 };
        let mut now = None;
        for e in entries {
            match e {
                Entry::Event { stream, seq, at, bytes } => {
                    let loc = Loc { segment: pos.segment, len: bytes.len() as u32, offset: pos.offset + at as u64 };
                    if !self.streams.contains_key(stream) {
                        self.streams.insert(StreamId::from(stream), Vec::new());
                    }
                    let Some(locs) = self.streams.get_mut(stream) else { continue };
                    let i = (seq.0 - 1) as usize;
                    if i == locs.len() {
                        locs.push(loc);
                    } else {
                        locs[i] = loc;
                    }
                }
                Entry::Idem { stream, author, key, seq, at_ms } => {
                    // Keys of earlier versions carry no time: they count as recorded now.
                    let at_ms = at_ms.unwrap_or_else(|| *now.get_or_insert_with(now_ms));
                    self.idem.insert(idem_digest(stream, author, key), IdemEntry { seq, at_ms });
                }
            }
        }
    }

    /// The last seq of `stream` (`Seq(0)` for none).
    pub fn head(&self, stream: &StreamId) -> Seq {
        Seq(self.streams.get(stream).map_or(0, |v| v.len() as u64))
    }

    /// Locations of `stream`'s events with `after < seq <= upto`, ascending, at most `limit`.
    pub fn range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Vec<(Seq, Loc)> {
        let Some(locs) = self.streams.get(stream) else { return Vec::new() };
        let end = upto.0.min(locs.len() as u64);
        if end <= after.0 {
            return Vec::new();
        }
        let start = after.0 as usize;
        let end = (end as usize).min(start.saturating_add(limit));
        locs[start..end].iter().enumerate().map(|(i, l)| (Seq((start + i + 1) as u64), *l)).collect()
    }

    /// Locations of the newest `limit` events of `stream` with `seq < before`, ascending.
    pub fn before(&self, stream: &StreamId, before: Seq, limit: usize) -> Vec<(Seq, Loc)> {
        let upto = before.0.saturating_sub(1).min(self.head(stream).0);
        self.range(stream, Seq(upto.saturating_sub(limit as u64)), Seq(upto), limit)
    }

    pub fn get(&self, stream: &StreamId, seq: Seq) -> Option<Loc> {
        let i = usize::try_from(seq.0.checked_sub(1)?).ok()?;
        self.streams.get(stream)?.get(i).copied()
    }

    /// Every stream with at least one event.
    pub fn streams(&self) -> Vec<StreamId> {
        self.streams.keys().cloned().collect()
    }

    /// The seq of an idempotency key recorded less than the retention window before `now_ms`.
    pub fn idem(&self, stream: &StreamId, author: &UserId, key: &str, now_ms: u64) -> Option<Seq> {
        let e = self.idem.get(&idem_digest(&stream.0, &author.0, key))?;
        (now_ms.saturating_sub(e.at_ms) < self.retention_ms).then_some(e.seq)
    }

    /// The index as bytes, for a checkpoint: `end` (segment `u32`, offset `u64`),
    /// the number of streams (`u64`), each stream (`u16` length + id, `u64` count,
    /// then segment `u32`, length `u32`, offset `u64` per event), the number of
    /// idempotency keys (`u64`), each (digest `u128`, seq `u64`, at `u64`); all LE.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.end.segment.to_le_bytes());
        out.extend_from_slice(&self.end.offset.to_le_bytes());
        out.extend_from_slice(&(self.streams.len() as u64).to_le_bytes());
        for (stream, locs) in &self.streams {
            out.extend_from_slice(&(stream.0.len() as u16).to_le_bytes());
            out.extend_from_slice(stream.0.as_bytes());
            out.extend_from_slice(&(locs.len() as u64).to_le_bytes());
            out.reserve(locs.len() * 16);
            for l in locs {
                out.extend_from_slice(&l.segment.to_le_bytes());
                out.extend_from_slice(&l.len.to_le_bytes());
                out.extend_from_slice(&l.offset.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.idem.len() as u64).to_le_bytes());
        for (digest, e) in &self.idem {
            out.extend_from_slice(&digest.to_le_bytes());
            out.extend_from_slice(&e.seq.0.to_le_bytes());
            out.extend_from_slice(&e.at_ms.to_le_bytes());
        }
    }

    /// Read back what [`Index::encode`] wrote. Every length is checked against
    /// the bytes present before anything is allocated from it.
    pub fn decode(bytes: &[u8], retention_ms: u64) -> Result<Index, EngineError> {
        let mut r = Cursor(bytes);
        let mut ix = Index::new(retention_ms);
        ix.end = Pos { segment: r.u32()?, offset: r.u64()? };
        let n = r.u64()?;
        for _ in 0..n {
            let len = r.u16()? as usize;
            let stream = std::str::from_utf8(r.take(len)?).map_err(|e| corrupt(format!("checkpoint: {e}")))?;
            let count = r.u64()? as usize;
            let raw = r.take(count.checked_mul(16).ok_or_else(|| corrupt("checkpoint: count".into()))?)?;
            let locs = raw
                .chunks_exact(16)
                .map(|c| Loc {
                    segment: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    len: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                    offset: u64::from_le_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]),
                })
                .collect();
            ix.streams.insert(StreamId::from(stream), locs);
        }
        let n = r.u64()?;
        let raw = r.take((n as usize).checked_mul(32).ok_or_else(|| corrupt("checkpoint: count".into()))?)?;
        ix.idem.reserve(n as usize);
        for c in raw.chunks_exact(32) {
            let digest = u128::from_le_bytes(c[..16].try_into().map_err(|_| corrupt("checkpoint".into()))?);
            let seq = u64::from_le_bytes(c[16..24].try_into().map_err(|_| corrupt("checkpoint".into()))?);
            let at_ms = u64::from_le_bytes(c[24..32].try_into().map_err(|_| corrupt("checkpoint".into()))?);
            ix.idem.insert(digest, IdemEntry { seq: Seq(seq), at_ms });
        }
        if !r.0.is_empty() {
            return Err(corrupt("checkpoint: trailing bytes".into()));
        }
        Ok(ix)
    }
}

/// Reads little-endian fields off the front of a checkpoint.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EngineError> {
        if n > self.0.len() {
            return Err(corrupt("checkpoint: truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16, EngineError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| corrupt("checkpoint".into()))?))
    }
    fn u32(&mut self) -> Result<u32, EngineError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| corrupt("checkpoint".into()))?))
    }
    fn u64(&mut self) -> Result<u64, EngineError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| corrupt("checkpoint".into()))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commit_record::{push_event, push_idem};

    fn record(events: &[(&str, u64)]) -> Vec<u8> {
        let mut r = Vec::new();
        for (s, q) in events {
            push_event(&mut r, &StreamId::from(*s), Seq(*q), b"xx");
        }
        r
    }

    #[test]
    fn events_are_found_by_seq_and_tombstones_replace_in_place() {
        let mut ix = Index::default();
        ix.apply(Pos { segment: 1, offset: 100 }, &record(&[("ch_a", 1), ("ch_a", 2), ("ch_b", 1)])).unwrap();
        let mut r = record(&[("ch_a", 3), ("ch_a", 1)]);
        push_idem(&mut r, &"ch_a".into(), &"ann".into(), "k", Seq(3), now_ms());
        ix.apply(Pos { segment: 2, offset: 8 }, &r).unwrap();
        let a: StreamId = "ch_a".into();
        assert_eq!(ix.head(&a), Seq(3));
        assert_eq!(ix.get(&a, Seq(1)).unwrap().segment, 2, "the rewrite replaced seq 1");
        assert_eq!(ix.get(&a, Seq(2)).unwrap().segment, 1);
        assert_eq!(ix.get(&a, Seq(0)), None);
        assert_eq!(ix.get(&a, Seq(4)), None);
        assert_eq!(ix.range(&a, Seq(1), Seq(9), 10).iter().map(|(s, _)| s.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(ix.range(&a, Seq(0), Seq(3), 2).iter().map(|(s, _)| s.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!(ix.range(&a, Seq(3), Seq(9), 10).is_empty());
        assert_eq!(ix.before(&a, Seq(3), 1).iter().map(|(s, _)| s.0).collect::<Vec<_>>(), vec![2]);
        assert_eq!(ix.before(&a, Seq(99), 10).iter().map(|(s, _)| s.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(ix.before(&a, Seq(1), 10).is_empty());
        assert_eq!(ix.idem(&a, &"ann".into(), "k", now_ms()), Some(Seq(3)));
        assert_eq!(ix.idem(&a, &"bob".into(), "k", now_ms()), None);
        assert_eq!(ix.idem(&"ch_b".into(), &"ann".into(), "k", now_ms()), None);
        // Length prefixes keep the parts apart: ("ch_a", "ann", "k") is not ("ch_a", "an", "nk").
        assert_eq!(ix.idem(&a, &"an".into(), "nk", now_ms()), None);
        let mut s = ix.streams();
        s.sort();
        assert_eq!(s, vec![a, "ch_b".into()]);
    }

    #[test]
    fn a_record_that_would_leave_a_gap_is_refused_whole() {
        let mut ix = Index::default();
        ix.apply(Pos { segment: 1, offset: 0 }, &record(&[("ch_a", 1)])).unwrap();
        assert!(ix.apply(Pos { segment: 1, offset: 50 }, &record(&[("ch_b", 1), ("ch_a", 3)])).is_err());
        assert_eq!(ix.head(&"ch_b".into()), Seq(0), "nothing of the bad record was applied");
        assert!(ix.apply(Pos { segment: 1, offset: 50 }, &record(&[("ch_c", 0)])).is_err());
    }
}

#[cfg(test)]
mod retention_and_encoding {
    use super::*;
    use commit_record::{push_event, push_idem};

    #[test]
    fn keys_older_than_the_retention_window_are_not_found_and_are_pruned() {
        let mut ix = Index::new(1_000);
        let mut r = Vec::new();
        push_event(&mut r, &"ch_a".into(), Seq(1), b"e");
        push_idem(&mut r, &"ch_a".into(), &"ann".into(), "old", Seq(1), 10_000);
        push_idem(&mut r, &"ch_a".into(), &"ann".into(), "new", Seq(1), 10_800);
        ix.apply(Pos { segment: 1, offset: 8 }, &r).unwrap();
        let a = StreamId::from("ch_a");
        assert_eq!(ix.idem(&a, &"ann".into(), "old", 10_999), Some(Seq(1)));
        assert_eq!(ix.idem(&a, &"ann".into(), "old", 11_000), None, "retention over");
        ix.prune_idem(11_500);
        assert_eq!(ix.idem.len(), 1);
        assert_eq!(ix.idem(&a, &"ann".into(), "new", 11_500), Some(Seq(1)));
    }

    #[test]
    fn an_index_decodes_to_what_was_encoded_and_damage_is_an_error() {
        let mut ix = Index::new(5);
        let mut r = Vec::new();
        for q in 1..=3 {
            push_event(&mut r, &"ch_a".into(), Seq(q), b"abc");
        }
        push_event(&mut r, &"ch_b".into(), Seq(1), b"x");
        push_idem(&mut r, &"ch_a".into(), &"ann".into(), "k", Seq(2), 77);
        ix.apply(Pos { segment: 2, offset: 40 }, &r).unwrap();
        let mut bytes = Vec::new();
        ix.encode(&mut bytes);
        assert_eq!(Index::decode(&bytes, 5).unwrap(), ix);
        assert_eq!(ix.end(), Pos { segment: 2, offset: 40 + r.len() as u64 });
        for cut in [0, 5, bytes.len() - 1] {
            assert!(Index::decode(&bytes[..cut], 5).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Index::decode(&longer, 5).is_err());
    }
}
