//! The index checkpoint: the segment engine's in-memory index written to a
//! file, with the log position it covers, so a start reads only the log after it.
//!
//! What lives here: the file (`<data>/log/index.ckpt`), writing it atomically
//! and reading it back. What does not: the index's own encoding (`index`), and
//! when a checkpoint is taken (`segment_log`: at each segment roll, in the
//! background, and at clean shutdown).
//!
//! Layout: `AGORAIX1`, CRC-32 of the body (`u32 LE`), body ([`Index::encode`]).
//! Written to `index.ckpt.tmp`, fsynced, renamed over `index.ckpt`, then the
//! directory fsynced: a crash leaves the old checkpoint or the new one. A
//! checkpoint is only a shortcut: one that is missing, damaged, or points past
//! the log is ignored (with a warning) and the whole log is read instead; an
//! ignored one is deleted before anything is appended (see [`discard`]).

use super::index::Index;
use super::EngineError;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"AGORAIX1";
const FILE: &str = "index.ckpt";

pub fn path(log_dir: &Path) -> PathBuf {
    log_dir.join(FILE)
}

/// Write `index` as the checkpoint of `log_dir`, atomically.
pub fn write(log_dir: &Path, index: &Index) -> Result<(), EngineError> {
    let mut body = Vec::new();
    index.encode(&mut body);
    let tmp = log_dir.join(format!("{FILE}.tmp"));
    let mut f = OpenOptions::new().create(true).write(true).truncate(true).open(&tmp)?;
    f.write_all(MAGIC)?;
    f.write_all(&crc32fast::hash(&body).to_le_bytes())?;
    f.write_all(&body)?;
    f.sync_data()?;
    std::fs::rename(&tmp, path(log_dir))?;
    File::open(log_dir)?.sync_all()?;
    Ok(())
}

/// Remove the checkpoint of `log_dir` (durably), after it was found unusable.
/// A checkpoint that points past the log today could point *inside* it
/// tomorrow, once new appends grow the log past its end: it would then be
/// trusted, and the log after it read from the middle of a record.
pub fn discard(log_dir: &Path) -> Result<(), EngineError> {
    match std::fs::remove_file(path(log_dir)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    File::open(log_dir)?.sync_all()?;
    Ok(())
}

/// The checkpoint of `log_dir`, if there is a sound one.
pub fn load(log_dir: &Path, retention_ms: u64) -> Option<Index> {
    let bytes = match std::fs::read(path(log_dir)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the index checkpoint; reading the whole log");
            return None;
        }
    };
    let body = match bytes.strip_prefix(MAGIC).and_then(|r| r.split_at_checked(4)) {
        Some((crc, body)) if crc32fast::hash(body).to_le_bytes() == crc => body,
        _ => {
            tracing::warn!("the index checkpoint is damaged; reading the whole log");
            return None;
        }
    };
    match Index::decode(body, retention_ms) {
        Ok(ix) => Some(ix),
        Err(e) => {
            tracing::warn!(error = %e, "the index checkpoint does not decode; reading the whole log");
            None
        }
    }
}
