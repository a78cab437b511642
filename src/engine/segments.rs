//! The event log on disk: checksummed, append-only segment files. A group
//! commit is one record, made durable with one `write` and one `fdatasync`.
//!
//! What lives here: the record framing, appending (write, then `sync_data`),
//! reading every record back on start (cutting off a torn tail), reading a
//! byte range of a record later, and starting a new segment when one is full.
//! What does not: what a record holds (`commit_record`) and where each event
//! is (`index`).
//!
//! On disk: `<dir>/<segment number, 20 digits>.seg`, numbered from 1, never
//! rewritten, never deleted. A record is `payload length (u32 LE)`, `CRC-32
//! of the payload (u32 LE)`, `payload`. A record is acknowledged only after its
//! `sync_data` returned, so after a crash every acknowledged record is whole
//! and at most the last record of the newest segment can be torn: `open` stops
//! there and truncates it away. A bad record anywhere else (in an older
//! segment, or followed by a valid record) is corruption, and the store refuses
//! to open rather than serve a log with a hole in it. When a header's length
//! field is what is damaged, the next record's place is unknown: the rest of the
//! segment is searched for any valid record (a checksum over a plausible length;
//! at most [`SCAN_BUDGET`] bytes checksummed), and finding one (or giving up)
//! refuses to start, naming the file and both offsets.

use super::files::{AppendFile, FileLayer, OsFiles};
use super::EngineError;
use crate::failpoint;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Bytes before a record's payload: length and checksum.
const HEADER: u64 = 8;
/// Largest payload a record may have; a longer length field is a torn or corrupt header.
/// (A record is never empty either.)
pub const MAX_RECORD: usize = 256 * 1024 * 1024;

/// Where a record's payload starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub segment: u32,
    pub offset: u64,
}

pub struct Segments {
    dir: PathBuf,
    /// Segment `n` is `readers[n - 1]`, opened for reading (`pread`).
    readers: RwLock<Vec<Arc<File>>>,
    appender: Mutex<Appender>,
    /// Where appends, syncs and new segment files go (the disk, or a test's simulator).
    files: Arc<dyn FileLayer>,
    /// Start a new segment before a record would take the current one past this.
    segment_bytes: u64,
}

struct Appender {
    /// The newest segment, open for appending.
    file: Box<dyn AppendFile>,
    segment: u32,
    /// Bytes in `file`.
    len: u64,
    /// Header and payload of the record being appended, reused.
    buf: Vec<u8>,
}

pub fn segment_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("{n:020}.seg"))
}

/// Segment numbers present in `dir`, ascending.
fn segment_numbers(dir: &Path) -> Result<Vec<u32>, EngineError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else { continue };
        if let Ok(n) = stem.parse::<u32>() {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn corrupt(detail: String) -> EngineError {
    EngineError::Corrupt { what: "event log segment", detail }
}

/// How reading one segment ended.
enum SegmentEnd {
    /// Every byte was a whole, valid record.
    Clean,
    /// The records end at this offset; what follows is torn or damaged.
    Bad { offset: u64, reason: &'static str },
    /// A damaged record with a valid one after it (at `valid`): not a torn write
    /// (records are written one at a time, each synced before the next), so acked
    /// data is damaged. `valid` is `None` when the search for one gave up (see
    /// [`SCAN_BUDGET`]): it could not be ruled out.
    Corrupt { offset: u64, valid: Option<u64> },
}

/// What starts at some offset of a segment.
enum RecordAt<'a> {
    /// A whole record with a matching checksum: its payload.
    Whole(&'a [u8]),
    /// No whole, valid record. `next`: where the following record would start,
    /// when only the checksum failed (the header and the payload's length are sound).
    Damaged { reason: &'static str, next: Option<usize> },
}

fn record_at(bytes: &[u8]) -> RecordAt<'_> {
    let h = HEADER as usize;
    let damaged = |reason| RecordAt::Damaged { reason, next: None };
    let Some(header) = bytes.get(..h) else { return damaged("short header") };
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    // Zero length is never written: a run of zeros (blocks allocated but never
    // written before a power cut) would otherwise read as valid empty records.
    if len == 0 || len > MAX_RECORD {
        return damaged("length out of range");
    }
    let Some(payload) = bytes.get(h..h + len) else { return damaged("short payload") };
    if crc32fast::hash(payload) != crc {
        return RecordAt::Damaged { reason: "checksum mismatch", next: Some(h + len) };
    }
    RecordAt::Whole(payload)
}

/// Most payload bytes [`find_valid_record`] checksums before it gives up.
const SCAN_BUDGET: u64 = 256 * 1024 * 1024;

/// Look for a whole, valid record starting anywhere in `bytes` from `from` on:
/// `Some(Some(offset))` if one is found, `None` if there is none, `Some(None)` if
/// the search gave up after checksumming [`SCAN_BUDGET`] bytes of candidates
/// (random bytes that look like plausible lengths), so one cannot be ruled out.
fn find_valid_record(bytes: &[u8], from: usize) -> Option<Option<usize>> {
    let h = HEADER as usize;
    let mut spent = 0u64;
    for at in from..bytes.len().saturating_sub(h) {
        let len = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        // Cheap rejections first: most offsets cannot start a record that fits.
        if len == 0 || len > MAX_RECORD || at + h + len > bytes.len() {
            continue;
        }
        spent += len as u64;
        if spent > SCAN_BUDGET {
            return Some(None);
        }
        if let RecordAt::Whole(_) = record_at(&bytes[at..]) {
            return Some(Some(at));
        }
    }
    None
}

/// Call `apply` with each valid record of `bytes` (and its payload's offset), in
/// order, until the first bad one.
fn read_records(
    bytes: &[u8],
    apply: &mut impl FnMut(u64, &[u8]) -> Result<(), EngineError>,
) -> Result<SegmentEnd, EngineError> {
    let mut at = 0usize;
    while at < bytes.len() {
        match record_at(&bytes[at..]) {
            RecordAt::Whole(payload) => {
                apply((at + HEADER as usize) as u64, payload)?;
                at += HEADER as usize + payload.len();
            }
            RecordAt::Damaged { reason, next } => {
                // Only the checksum failed: the header says where the next record is.
                // Otherwise the length itself may be damaged: look for a valid record anywhere after.
                let valid = match next {
                    Some(n) => matches!(record_at(&bytes[at + n..]), RecordAt::Whole(_)).then_some(Some(at + n)),
                    None => find_valid_record(bytes, at + 1),
                };
                return Ok(match valid {
                    Some(valid) => SegmentEnd::Corrupt { offset: at as u64, valid: valid.map(|v| v as u64) },
                    None => SegmentEnd::Bad { offset: at as u64, reason },
                });
            }
        }
    }
    Ok(SegmentEnd::Clean)
}

impl Segments {
    /// Open the log in `dir` (created if missing), pass every record from `from`
    /// on to `apply` in order with its position, and get ready to append.
    /// Segments before `from` are opened but not read (a checkpoint covers them);
    /// `Pos { segment: 1, offset: 0 }` reads everything.
    pub fn open(
        dir: &Path,
        segment_bytes: u64,
        from: Pos,
        apply: impl FnMut(Pos, &[u8]) -> Result<(), EngineError>,
    ) -> Result<Segments, EngineError> {
        Segments::open_on(Arc::new(OsFiles), dir, segment_bytes, from, apply)
    }

    /// [`Segments::open`], appending through `files`.
    pub fn open_on(
        files: Arc<dyn FileLayer>,
        dir: &Path,
        segment_bytes: u64,
        from: Pos,
        mut apply: impl FnMut(Pos, &[u8]) -> Result<(), EngineError>,
    ) -> Result<Segments, EngineError> {
        std::fs::create_dir_all(dir)?;
        let present = segment_numbers(dir)?;
        for (i, &n) in present.iter().enumerate() {
            if n as usize != i + 1 {
                return Err(corrupt(format!("segment {n} found where segment {} should be", i + 1)));
            }
        }
        let mut readers = Vec::with_capacity(present.len() + 1);
        for &n in &present {
            let path = segment_path(dir, n);
            let mut file = File::open(&path)?;
            if n < from.segment {
                readers.push(Arc::new(file));
                continue;
            }
            let start = if n == from.segment { from.offset } else { 0 };
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            let tail = bytes
                .get(start as usize..)
                .ok_or_else(|| corrupt(format!("{} is shorter than {start}", path.display())))?;
            let end =
                read_records(tail, &mut |offset, payload| apply(Pos { segment: n, offset: start + offset }, payload))?;
            let end = match end {
                SegmentEnd::Clean => SegmentEnd::Clean,
                SegmentEnd::Bad { offset, reason } => SegmentEnd::Bad { offset: start + offset, reason },
                SegmentEnd::Corrupt { offset, valid } => {
                    SegmentEnd::Corrupt { offset: start + offset, valid: valid.map(|v| start + v) }
                }
            };
            if let SegmentEnd::Corrupt { offset, valid } = end {
                let after = match valid {
                    Some(v) => format!("a valid record follows at byte {v}"),
                    None => "valid records after it could not be ruled out".into(),
                };
                return Err(corrupt(format!(
                    "damaged record at byte {offset} of {}: {after}, so this is not a torn write; \
                     refusing to start rather than serve a log with a hole in it",
                    path.display()
                )));
            }
            if let SegmentEnd::Bad { offset, reason } = end {
                if n != *present.last().unwrap_or(&n) {
                    return Err(corrupt(format!(
                        "{reason} at byte {offset} of {} (not the newest segment)",
                        path.display()
                    )));
                }
                // The tail of the newest segment: a record cut off by a crash, never acknowledged.
                tracing::warn!(segment = %path.display(), offset, dropped = bytes.len() as u64 - offset, reason,
                    "cutting a torn record off the event log");
                let f = OpenOptions::new().write(true).open(&path)?;
                f.set_len(offset)?;
                f.sync_all()?;
            }
            readers.push(Arc::new(file));
        }
        let segment = present.last().copied().unwrap_or(1);
        let path = segment_path(dir, segment);
        let file = files.open_append(&path)?;
        if present.is_empty() {
            files.sync_dir(dir)?;
            readers.push(Arc::new(File::open(&path)?));
        }
        let len = std::fs::metadata(&path)?.len();
        Ok(Segments {
            dir: dir.to_path_buf(),
            readers: RwLock::new(readers),
            appender: Mutex::new(Appender { file, segment, len, buf: Vec::new() }),
            files,
            segment_bytes: segment_bytes.max(1),
        })
    }

    /// Append one record and make it durable; returns where its payload starts.
    /// An error is fatal for the caller (see the engine contract): the file's
    /// state is unknown and nothing may be acked.
    pub fn append(&self, payload: &[u8]) -> Result<Pos, EngineError> {
        if payload.is_empty() || payload.len() > MAX_RECORD {
            return Err(corrupt(format!("a record of {} bytes is outside 1..={MAX_RECORD}", payload.len())));
        }
        let mut a = self.appender.lock().unwrap_or_else(|e| e.into_inner());
        if a.len > 0 && a.len + HEADER + payload.len() as u64 > self.segment_bytes {
            self.rotate(&mut a)?;
        }
        let Appender { file, segment, len, buf } = &mut *a;
        buf.clear();
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        buf.extend_from_slice(payload);
        file.write_all(buf)?;
        failpoint::hit(failpoint::SEGMENT_WRITTEN);
        file.sync_data()?;
        failpoint::hit(failpoint::SEGMENT_FSYNCED);
        let pos = Pos { segment: *segment, offset: *len + HEADER };
        *len += buf.len() as u64;
        Ok(pos)
    }

    /// Continue in a new, empty segment. The file and its directory entry are
    /// durable before any record goes into it.
    fn rotate(&self, a: &mut Appender) -> Result<(), EngineError> {
        let next = a.segment.checked_add(1).ok_or_else(|| corrupt("out of segment numbers".into()))?;
        let path = segment_path(&self.dir, next);
        let file = self.files.open_append(&path)?;
        self.files.sync_dir(&self.dir)?;
        let reader = Arc::new(File::open(&path)?);
        self.readers.write().unwrap_or_else(|e| e.into_inner()).push(reader);
        *a = Appender { file, segment: next, len: 0, buf: std::mem::take(&mut a.buf) };
        failpoint::hit(failpoint::SEGMENT_ROLLED);
        Ok(())
    }

    /// `len` bytes at `offset` of `segment` (a range inside a record `append` returned).
    pub fn read_at(&self, segment: u32, offset: u64, len: usize) -> Result<Vec<u8>, EngineError> {
        let file = {
            let readers = self.readers.read().unwrap_or_else(|e| e.into_inner());
            let i = (segment as usize).checked_sub(1).ok_or_else(|| corrupt("segment 0".into()))?;
            readers.get(i).cloned().ok_or_else(|| corrupt(format!("no segment {segment}")))?
        };
        let mut out = vec![0; len];
        file.read_exact_at(&mut out, offset)?;
        Ok(out)
    }

    /// The newest segment and how many durable bytes it holds: where the next record goes.
    pub fn end(&self) -> (u32, u64) {
        let a = self.appender.lock().unwrap_or_else(|e| e.into_inner());
        (a.segment, a.len)
    }

    /// The record starting at `offset` of `segment` and where the next one starts,
    /// or `None` at the end of the segment's durable records.
    pub fn record_from(&self, segment: u32, offset: u64) -> Result<Option<(Vec<u8>, u64)>, EngineError> {
        let (newest, newest_len) = self.end();
        let len = if segment == newest {
            newest_len
        } else {
            let readers = self.readers.read().unwrap_or_else(|e| e.into_inner());
            match (segment as usize).checked_sub(1).and_then(|i| readers.get(i)) {
                Some(f) => f.metadata()?.len(),
                None => return Ok(None),
            }
        };
        if offset + HEADER > len {
            return Ok(None);
        }
        let header = self.read_at(segment, offset, HEADER as usize)?;
        let n = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as u64;
        if n == 0 || offset + HEADER + n > len {
            return Err(corrupt(format!("segment {segment}: bad record header at {offset}")));
        }
        let mut bytes = header;
        bytes.extend_from_slice(&self.read_at(segment, offset + HEADER, n as usize)?);
        match record_at(&bytes) {
            RecordAt::Whole(payload) => Ok(Some((payload.to_vec(), offset + HEADER + n))),
            RecordAt::Damaged { reason, .. } => Err(corrupt(format!("segment {segment} at {offset}: {reason}"))),
        }
    }

    /// Every segment file, oldest first (for tests and tools).
    #[cfg(test)]
    pub fn files(&self) -> Result<Vec<PathBuf>, EngineError> {
        Ok(segment_numbers(&self.dir)?.into_iter().map(|n| segment_path(&self.dir, n)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Pos = Pos { segment: 1, offset: 0 };

    fn collect(dir: &Path, segment_bytes: u64) -> (Segments, Vec<(Pos, Vec<u8>)>) {
        let mut seen = Vec::new();
        let s = Segments::open(dir, segment_bytes, Pos { segment: 1, offset: 0 }, |pos, p| {
            seen.push((pos, p.to_vec()));
            Ok(())
        })
        .unwrap();
        (s, seen)
    }

    fn payloads(seen: &[(Pos, Vec<u8>)]) -> Vec<Vec<u8>> {
        seen.iter().map(|(_, p)| p.clone()).collect()
    }

    #[test]
    fn records_come_back_in_order_across_segments_and_read_at_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let written;
        {
            let (s, seen) = collect(dir.path(), 30);
            assert!(seen.is_empty());
            // 8-byte headers: "one" and "2" share segment 1 (20 bytes), "three..." starts segment 2.
            written = vec![s.append(b"one").unwrap(), s.append(b"2").unwrap(), s.append(b"three is longer").unwrap()];
            assert!(s.append(b"").is_err(), "an empty record is never written");
            assert_eq!(written[2].segment, 2);
            assert_eq!(s.read_at(written[2].segment, written[2].offset + 6, 2).unwrap(), b"is");
            assert_eq!(s.files().unwrap().len(), 2);
        }
        let (s, seen) = collect(dir.path(), 30);
        assert_eq!(payloads(&seen), vec![b"one".to_vec(), b"2".to_vec(), b"three is longer".to_vec()]);
        assert_eq!(seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(), written);
        assert_eq!(s.read_at(1, written[0].offset, 3).unwrap(), b"one");
        assert!(s.read_at(9, 0, 1).is_err());
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_appending_goes_on_after_the_last_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 1 << 20);
            s.append(b"kept").unwrap();
            s.append(b"torn away").unwrap();
        }
        let path = segment_path(dir.path(), 1);
        let full = std::fs::metadata(&path).unwrap().len();
        OpenOptions::new().write(true).open(&path).unwrap().set_len(full - 3).unwrap();
        {
            let (s, seen) = collect(dir.path(), 1 << 20);
            assert_eq!(payloads(&seen), vec![b"kept".to_vec()]);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER + 4, "torn bytes truncated");
            s.append(b"after").unwrap();
        }
        let (_, seen) = collect(dir.path(), 1 << 20);
        assert_eq!(payloads(&seen), vec![b"kept".to_vec(), b"after".to_vec()]);
    }

    #[test]
    fn a_flipped_byte_ends_the_newest_segment_but_is_corruption_in_an_older_one() {
        let flip = |dir: &Path, n: u32, at: u64| {
            let path = segment_path(dir, n);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[at as usize] ^= 0x40;
            std::fs::write(&path, bytes).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 20);
            s.append(b"first").unwrap();
            s.append(b"second").unwrap();
            s.append(b"third").unwrap();
        }
        // Damage in the newest segment: the log ends before it.
        flip(dir.path(), 3, HEADER + 1);
        let (_, seen) = collect(dir.path(), 20);
        assert_eq!(payloads(&seen), vec![b"first".to_vec(), b"second".to_vec()]);
        // Damage in an older one: refuse to open.
        flip(dir.path(), 1, HEADER + 2);
        assert!(matches!(Segments::open(dir.path(), 20, START, |_, _| Ok(())), Err(EngineError::Corrupt { .. })));
    }

    #[test]
    fn a_damaged_record_followed_by_a_valid_one_is_corruption_even_in_the_newest_segment() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 1 << 20);
            for p in [&b"first"[..], b"second", b"third"] {
                s.append(p).unwrap();
            }
        }
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        let size = bytes.len();
        // A bit flipped in "second"'s payload: "third" after it was acked, so this is no torn write.
        bytes[(HEADER + 5 + HEADER + 1) as usize] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let err = match Segments::open(dir.path(), 1 << 20, START, |_, _| Ok(())) {
            Err(e @ EngineError::Corrupt { .. }) => e.to_string(),
            other => panic!("a flipped bit in acked data: {:?}", other.map(|_| "opened")),
        };
        // The refusal names the file and the offset of the damaged record.
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(&format!("byte {}", HEADER + 5)), "{err}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size as u64, "nothing was cut off");
    }

    #[test]
    fn a_damaged_length_field_followed_by_a_valid_record_is_corruption_naming_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 1 << 20);
            for p in [&b"first"[..], b"second", b"third"] {
                s.append(p).unwrap();
            }
        }
        let path = segment_path(dir.path(), 1);
        let clean = std::fs::read(&path).unwrap();
        let second = (HEADER + 5) as usize;
        // "second"'s length made too large (runs past the end) and out of range: both are refused.
        for bad_len in [1_000u32, u32::MAX] {
            let mut bytes = clean.clone();
            bytes[second..second + 4].copy_from_slice(&bad_len.to_le_bytes());
            std::fs::write(&path, &bytes).unwrap();
            let err = match Segments::open(dir.path(), 1 << 20, START, |_, _| Ok(())) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("opened a log whose length field {bad_len} hides a valid record"),
            };
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains(&format!("byte {second}")), "{err}");
            assert!(err.contains(&format!("valid record follows at byte {}", second + 8 + 6)), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was cut off");
        }
        // The same damage on the last record is a torn tail: cut off, the rest served.
        let mut bytes = clean.clone();
        let third = second + 8 + 6;
        bytes[third..third + 4].copy_from_slice(&1_000u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let (_, seen) = collect(dir.path(), 1 << 20);
        assert_eq!(payloads(&seen), vec![b"first".to_vec(), b"second".to_vec()]);
    }

    #[test]
    fn zeros_after_the_last_record_are_a_torn_tail_not_empty_records() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 1 << 20);
            s.append(b"kept").unwrap();
        }
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0; 4096]);
        std::fs::write(&path, bytes).unwrap();
        let (_, seen) = collect(dir.path(), 1 << 20);
        assert_eq!(payloads(&seen), vec![b"kept".to_vec()]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER + 4);
    }

    #[test]
    fn a_missing_segment_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (s, _) = collect(dir.path(), 10);
            s.append(b"a").unwrap();
            s.append(b"b").unwrap();
            s.append(b"c").unwrap();
        }
        std::fs::remove_file(segment_path(dir.path(), 2)).unwrap();
        assert!(matches!(Segments::open(dir.path(), 10, START, |_, _| Ok(())), Err(EngineError::Corrupt { .. })));
    }
}
