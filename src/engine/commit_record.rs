//! What one group commit writes to the event log: a list of entries, each an
//! event (new, or a deletion's tombstone replacing one) or an idempotency key.
//!
//! What lives here: encoding and decoding that list. What does not: framing
//! and checksums (`segments`), and where each event ends up (`index`).
//!
//! Layout, repeated for each entry:
//! - event: `1`, stream (`u16 LE` length + bytes), seq (`u64 LE`), event
//!   (`u32 LE` length + the event in MessagePack, as `history` decodes it);
//! - idempotency key: `3`, stream, author, key (each `u16 LE` length + bytes),
//!   seq (`u64 LE`), when it was recorded (ms since the Unix epoch, `u64 LE`),
//!   for the retention window. Tag `2`, without the time, was written by
//!   earlier versions and is still read (its keys count as recorded at start).
//!
//! Hand-written rather than serde: readers `pread` an event's bytes straight
//! out of the segment, so the layout must say exactly where they are, and a
//! serde format would encode byte strings as arrays of integers. Decoding
//! checks every length against the bytes present and never allocates from a
//! length it read.

use super::EngineError;
use agora_protocol::{Seq, StreamId, UserId};

const EVENT: u8 = 1;
const IDEM_UNTIMED: u8 = 2;
const IDEM: u8 = 3;

/// One entry read back from a record.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// `at`: where `bytes` starts inside the record's payload.
    Event { stream: &'a str, seq: Seq, at: usize, bytes: &'a [u8] },
    Idem {
        stream: &'a str,
        author: &'a str,
        key: &'a str,
        seq: Seq,
        /// When the key was recorded (ms since the Unix epoch); `None` in records of earlier versions.
        at_ms: Option<u64>,
    },
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    // Ids and keys are short (validated before they get here); cap defensively.
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

/// Append an event entry; returns where its bytes start in `out`.
pub fn push_event(out: &mut Vec<u8>, stream: &StreamId, seq: Seq, event: &[u8]) -> usize {
    out.push(EVENT);
    push_str(out, &stream.0);
    out.extend_from_slice(&seq.0.to_le_bytes());
    out.extend_from_slice(&(event.len() as u32).to_le_bytes());
    let at = out.len();
    out.extend_from_slice(event);
    at
}

pub fn push_idem(out: &mut Vec<u8>, stream: &StreamId, author: &UserId, key: &str, seq: Seq, at_ms: u64) {
    out.push(IDEM);
    push_str(out, &stream.0);
    push_str(out, &author.0);
    push_str(out, key);
    out.extend_from_slice(&seq.0.to_le_bytes());
    out.extend_from_slice(&at_ms.to_le_bytes());
}

fn bad(detail: &str) -> EngineError {
    EngineError::Corrupt { what: "commit record", detail: detail.into() }
}

/// A cursor over a record's bytes that knows how far in it is.
struct Reader<'a> {
    all: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EngineError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.all.len()).ok_or_else(|| bad("truncated"))?;
        let out = &self.all[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u16(&mut self) -> Result<usize, EngineError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]) as usize)
    }
    fn u32(&mut self) -> Result<usize, EngineError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn seq(&mut self) -> Result<Seq, EngineError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| bad("truncated"))?;
        Ok(Seq(u64::from_le_bytes(b)))
    }
    fn str(&mut self) -> Result<&'a str, EngineError> {
        let n = self.u16()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| bad("id is not UTF-8"))
    }
    fn entry(&mut self) -> Result<Entry<'a>, EngineError> {
        match self.take(1)?[0] {
            EVENT => {
                let stream = self.str()?;
                let seq = self.seq()?;
                let n = self.u32()?;
                let at = self.at;
                Ok(Entry::Event { stream, seq, at, bytes: self.take(n)? })
            }
            IDEM_UNTIMED => Ok(Entry::Idem {
                stream: self.str()?,
                author: self.str()?,
                key: self.str()?,
                seq: self.seq()?,
                at_ms: None,
            }),
            IDEM => Ok(Entry::Idem {
                stream: self.str()?,
                author: self.str()?,
                key: self.str()?,
                seq: self.seq()?,
                at_ms: Some(self.seq()?.0),
            }),
            _ => Err(bad("unknown entry tag")),
        }
    }
}

/// The entries of a record, in the order they were pushed; stops after the first error.
pub fn entries(record: &[u8]) -> impl Iterator<Item = Result<Entry<'_>, EngineError>> {
    let mut r = Reader { all: record, at: 0 };
    let mut failed = false;
    std::iter::from_fn(move || {
        if r.at >= r.all.len() || failed {
            return None;
        }
        let e = r.entry();
        failed = e.is_err();
        Some(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_in_order_and_say_where_event_bytes_are() {
        let mut rec = Vec::new();
        let at = push_event(&mut rec, &"ch_a".into(), Seq(7), b"event bytes");
        push_idem(&mut rec, &"ch_a".into(), &"ann".into(), "k1", Seq(7), 99);
        push_event(&mut rec, &"ch_b".into(), Seq(1), b"");
        let got: Vec<Entry> = entries(&rec).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            got,
            vec![
                Entry::Event { stream: "ch_a", seq: Seq(7), at, bytes: b"event bytes" },
                Entry::Idem { stream: "ch_a", author: "ann", key: "k1", seq: Seq(7), at_ms: Some(99) },
                Entry::Event { stream: "ch_b", seq: Seq(1), at: rec.len(), bytes: b"" },
            ]
        );
        assert_eq!(&rec[at..at + 11], b"event bytes");
        assert_eq!(entries(&[]).count(), 0);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let mut rec = Vec::new();
        push_event(&mut rec, &"ch_a".into(), Seq(1), b"event");
        let first = rec.len();
        push_idem(&mut rec, &"ch_a".into(), &"ann".into(), "k", Seq(1), 5);
        for cut in (1..rec.len()).filter(|&c| c != first) {
            let r: Result<Vec<Entry>, _> = entries(&rec[..cut]).collect();
            assert!(r.is_err(), "a record cut at {cut} must not decode");
        }
        assert_eq!(entries(&rec[..first]).count(), 1, "cut between entries: the first one whole");
        let mut huge = rec.clone();
        // The event's length field: tag, stream (2 + 4), seq (8).
        huge[15..19].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(entries(&huge).collect::<Result<Vec<_>, _>>().is_err());
        let mut tag = rec.clone();
        tag[0] = 99;
        assert!(entries(&tag).collect::<Result<Vec<_>, _>>().is_err());
    }
}
