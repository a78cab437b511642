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

#[derive(Default)]
pub struct Index {
    /// Stream ids are made by the server (random or hashed), so FxHash is safe here.
    streams: FxHashMap<StreamId, Vec<Loc>>,
    /// Idempotency keys: [`idem_digest`] of (stream, author, key) → seq. A digest
    /// instead of the strings: 32 to 75 bytes a key instead of 100 to 150, and most
    /// posts carry one (the JS SDK sends a key with every post).
    idem: HashMap<u128, Seq>,
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
    /// Take in one record whose payload starts at `pos`. Refuses a record that
    /// [`Index::checked`] refuses; nothing of it is applied then.
    pub fn apply(&mut self, pos: Pos, record: &[u8]) -> Result<(), EngineError> {
        let entries = self.checked(record)?;
        self.apply_checked(pos, entries);
        Ok(())
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

    /// Take in the entries [`Index::checked`] returned, at `pos`.
    pub fn apply_checked(&mut self, pos: Pos, entries: Vec<Entry<'_>>) {
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
                Entry::Idem { stream, author, key, seq } => {
                    self.idem.insert(idem_digest(stream, author, key), seq);
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

    pub fn idem(&self, stream: &StreamId, author: &UserId, key: &str) -> Option<Seq> {
        self.idem.get(&idem_digest(&stream.0, &author.0, key)).copied()
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
        push_idem(&mut r, &"ch_a".into(), &"ann".into(), "k", Seq(3));
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
        assert_eq!(ix.idem(&a, &"ann".into(), "k"), Some(Seq(3)));
        assert_eq!(ix.idem(&a, &"bob".into(), "k"), None);
        assert_eq!(ix.idem(&"ch_b".into(), &"ann".into(), "k"), None);
        // Length prefixes keep the parts apart: ("ch_a", "ann", "k") is not ("ch_a", "an", "nk").
        assert_eq!(ix.idem(&a, &"an".into(), "nk"), None);
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
