//! Entry points for fuzzing the engine's byte decoders: a commit record, and
//! start-up recovery over damaged segment files. The `fuzz/` crate's targets
//! and `tests/fuzz_corpus.rs` call these, so a corpus file that once crashed a
//! target stays a regression test on stable.
//!
//! What lives here: feeding bytes to `commit_record` and to `Segments` + `Index`
//! (the log half of `SegmentLog::open`) and asserting what must hold for any
//! input. What does not: the sled state tables (sled's own format), and the
//! protocol and op harnesses (`crate::fuzz`). Nothing here runs in the server.

use super::commit_record::{self, Entry};
use super::index::Index;
use super::segments::{segment_path, Pos, Segments};
use super::EngineError;
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::path::{Path, PathBuf};

/// Decode `data` as a commit record. Must not panic; every entry decoded says
/// where its event bytes are; writing the decoded entries again gives back the
/// bytes they were decoded from.
pub fn commit_record(data: &[u8]) {
    let mut rebuilt = Vec::new();
    for entry in commit_record::entries(data) {
        match entry {
            Ok(Entry::Event { stream, seq, at, bytes }) => {
                assert_eq!(data.get(at..at + bytes.len()), Some(bytes), "event bytes are where `at` says");
                // The event itself, as `history` decodes it: an error, never a panic.
                let _ = rmp_serde::from_slice::<Event>(bytes);
                let again = commit_record::push_event(&mut rebuilt, &StreamId::from(stream), seq, bytes);
                assert_eq!(again, at);
            }
            Ok(Entry::Idem { stream, author, key, seq, at_ms: Some(at_ms) }) => {
                commit_record::push_idem(&mut rebuilt, &StreamId::from(stream), &UserId::from(author), key, seq, at_ms);
            }
            // An untimed key (an earlier version's record) is never written again: the
            // re-encoding check covers what comes before it.
            Ok(Entry::Idem { at_ms: None, .. }) => break,
            Err(_) => break,
        }
    }
    assert_eq!(&data[..rebuilt.len()], rebuilt.as_slice(), "decoded entries re-encode to the same bytes");
}

/// A directory removed when dropped (tempfile is a dev-dependency only).
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> ScratchDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("agora-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a scratch directory");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many segment files an input makes, and their bytes: the first byte
/// picks 1 to 3 files; every file but the last takes a `u16 LE` length then
/// that many bytes; the last takes the rest.
fn split_segments(data: &[u8]) -> Vec<&[u8]> {
    let Some((&n, mut rest)) = data.split_first() else { return vec![&[]] };
    let n = usize::from(n % 3) + 1;
    let mut out = Vec::with_capacity(n);
    for _ in 1..n {
        let len = match rest {
            [a, b, tail @ ..] => {
                rest = tail;
                usize::from(u16::from_le_bytes([*a, *b])).min(rest.len())
            }
            _ => {
                rest = &[];
                0
            }
        };
        let (seg, tail) = rest.split_at(len);
        out.push(seg);
        rest = tail;
    }
    out.push(rest);
    out
}

/// The inverse of [`split_segments`], to build inputs (seed corpora, tests).
pub fn join_segments(segments: &[&[u8]]) -> Vec<u8> {
    assert!((1..=3).contains(&segments.len()), "1 to 3 segments");
    let mut out = vec![segments.len() as u8 - 1];
    for (i, s) in segments.iter().enumerate() {
        if i + 1 < segments.len() {
            out.extend_from_slice(&(s.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(s);
    }
    out
}

/// A segment file holding `payloads` as records, as `Segments::append` writes them.
pub fn segment_bytes(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(p).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// A commit record of message events `seqs` of `stream`, with an idempotency key per event.
pub fn record_bytes(stream: &str, seqs: std::ops::RangeInclusive<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    for q in seqs {
        let ev = Event {
            stream: stream.into(),
            seq: Seq(q),
            at: 1000 + q,
            author: "ann".into(),
            idem: Some(format!("k{q}")),
            body: agora_protocol::EventBody::MessagePosted {
                text: format!("m{q}"),
                reply_to: None,
                mentions: vec![],
                attachments: vec![],
            },
        };
        let bytes = rmp_serde::to_vec_named(&ev).expect("an event encodes");
        commit_record::push_event(&mut out, &ev.stream, ev.seq, &bytes);
        commit_record::push_idem(&mut out, &ev.stream, &ev.author, &format!("k{q}"), ev.seq, ev.at);
    }
    out
}

/// Segments small enough that the append after recovery may start a new one.
const FUZZ_SEGMENT_BYTES: u64 = 4096;

/// Every record read on open, with where it is.
type Records = Vec<(Pos, Vec<u8>)>;

fn open_log(dir: &Path) -> Result<(Segments, Index, Records), EngineError> {
    let mut index = Index::default();
    let mut records = Vec::new();
    let segments = Segments::open(dir, FUZZ_SEGMENT_BYTES, Pos { segment: 1, offset: 0 }, |pos, record| {
        records.push((pos, record.to_vec()));
        index.apply(pos, record)
    })?;
    Ok((segments, index, records))
}

/// Write `data` as segment files (see [`split_segments`]) and recover the log
/// from them, as `SegmentLog::open` does. Refusing to open is fine (damage
/// before the tail is corruption); when it opens: every indexed event can be
/// read back (and decodes or fails cleanly), a second open finds exactly the
/// same records (the repair is done once), and a record appended after the
/// repair is there after another open.
pub fn recovery(data: &[u8]) {
    let scratch = ScratchDir::new();
    let dir = scratch.0.join("log");
    std::fs::create_dir_all(&dir).expect("creating the log directory");
    for (i, seg) in split_segments(data).into_iter().enumerate() {
        std::fs::write(segment_path(&dir, i as u32 + 1), seg).expect("writing a segment");
    }
    let Ok((segments, index, records)) = open_log(&dir) else { return };
    check_readable(&segments, &index);
    drop(segments);

    let (segments, _, again) = open_log(&dir).expect("a repaired log opens again");
    assert_eq!(again, records, "a second open reads the same records");
    // An entry the index accepts whatever it held before: an idempotency key.
    let mut record = Vec::new();
    commit_record::push_idem(&mut record, &"ch_fuzz".into(), &"fuzz".into(), "after-repair", Seq(1), 1000);
    let pos = segments.append(&record).expect("appending after the repair");
    drop(segments);

    let (_, index, after) = open_log(&dir).expect("the log opens after an append");
    assert_eq!(after.len(), records.len() + 1);
    assert_eq!(after[..records.len()], records[..]);
    assert_eq!(after[records.len()], (pos, record));
    assert_eq!(index.idem(&"ch_fuzz".into(), &"fuzz".into(), "after-repair", 1000), Some(Seq(1)));
}

/// Every event the index knows lies inside its segment and decodes or fails cleanly.
fn check_readable(segments: &Segments, index: &Index) {
    for stream in index.streams() {
        let head = index.head(&stream);
        for (_, loc) in index.range(&stream, Seq(0), head, usize::MAX) {
            let bytes =
                segments.read_at(loc.segment, loc.offset, loc.len as usize).expect("an indexed event is readable");
            let _ = rmp_serde::from_slice::<Event>(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_split_into_one_to_three_segments_and_join_back() {
        assert_eq!(split_segments(b""), vec![&b""[..]]);
        assert_eq!(split_segments(b"\x00abc"), vec![&b"abc"[..]]);
        assert_eq!(split_segments(b"\x01\x02\x00abcd"), vec![&b"ab"[..], &b"cd"[..]]);
        assert_eq!(split_segments(b"\x02\xff\xffab"), vec![&b"ab"[..], &b""[..], &b""[..]]);
        let segs: [&[u8]; 3] = [b"one", b"", b"three"];
        assert_eq!(split_segments(&join_segments(&segs)), segs.to_vec());
    }

    #[test]
    fn a_clean_log_and_a_torn_one_recover() {
        let whole = segment_bytes(&[&record_bytes("ch_a", 1..=2), &record_bytes("ch_a", 3..=3)]);
        recovery(&join_segments(&[&whole]));
        recovery(&join_segments(&[&whole[..whole.len() - 5]]));
        commit_record(&record_bytes("ch_a", 1..=3));
    }
}
