//! The state tables in sled, and making sled durable: used by both durable
//! engines (the segment engine keeps only these in sled; the sled engine keeps
//! its log trees in the same database).
//!
//! What lives here: the trees and their key layouts, applying [`StateWrite`]s,
//! and `make_durable` (sled's `flush`, then `sync_data()` on its data file and
//! an fsync of new blob files). What does not: the event log.
//!
//! Trees (key → value):
//!   `users`         user id                      → user record (`auth`'s encoding)
//!   `tokens`        hex SHA-256 of the API token → user id
//!   `read_markers`  user id, 0x00, stream id     → seq (u64 BE)
//!   `snapshots`     stream id                    → folded state (`streams`' encoding)
//!   `meta`          `epoch`                      → 16 hex digits, fixed at creation
//!                   `jwt_secret`                 → 32 random bytes
//!                   `engine`                     → `segment` or `sled`: which engine wrote the directory
//!                   `revoked/` + token key       → expiry, Unix seconds (u64 BE): logged-out session tokens
//!
//! Durability: sled 0.34's `flush` only calls `sync_file_range`, which reaches
//! neither the disk cache nor file metadata (sled#1452), and sled writes blob
//! files without any fsync. So `make_durable` adds `sync_data()` on the data
//! file and an fsync of every blob file it has not synced yet, then of the blob
//! directory; the first time in a process also of sled's `conf` and of sled's
//! directory and its parent (so a new store's files are there after a power
//! cut). These syncs go through the [`FileLayer`] (the disk, or the power-loss
//! simulator of the tests). Any error is returned: the caller treats it as fatal.

use super::files::{FileLayer, OsFiles, SyncedFile};
use super::{EngineError, StateStore, StateWrite};
use agora_protocol::{Seq, StreamId, UserId};
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct SledState {
    pub db: sled::Db,
    users: sled::Tree,
    tokens: sled::Tree,
    read_markers: sled::Tree,
    snapshots: sled::Tree,
    pub meta: sled::Tree,
    /// Where the syncs go (the disk, or a test's power-loss simulator).
    files: Arc<dyn FileLayer>,
    /// sled's directory.
    dir: PathBuf,
    /// sled's data file, fsynced after every flush (see the module doc).
    data_file: Box<dyn SyncedFile>,
    /// sled's blob directory, and the blob files already fsynced.
    blob_dir: PathBuf,
    synced_blobs: Mutex<HashSet<OsString>>,
    /// `conf` and the directory entries have been made durable in this process.
    entries_synced: AtomicBool,
}

/// An engine whose state tables are a [`SledState`] (both durable engines): its
/// [`StateStore`] is the sled state's, written once here.
pub trait SledStateOwner {
    fn sled_state(&self) -> &SledState;
}

impl<T: SledStateOwner + Send + Sync + 'static> StateStore for T {
    fn read_marker(&self, user: &UserId, stream: &StreamId) -> Result<Seq, EngineError> {
        self.sled_state().read_marker(user, stream)
    }
    fn snapshot(&self, stream: &StreamId) -> Result<Option<Vec<u8>>, EngineError> {
        self.sled_state().snapshot(stream)
    }
    fn users(&self) -> Result<Vec<Vec<u8>>, EngineError> {
        self.sled_state().users()
    }
    fn api_tokens(&self) -> Result<Vec<(String, UserId)>, EngineError> {
        self.sled_state().api_tokens()
    }
    fn jwt_secret(&self) -> Result<Option<Vec<u8>>, EngineError> {
        self.sled_state().jwt_secret()
    }
    fn revoked_sessions(&self) -> Result<Vec<(String, u64)>, EngineError> {
        self.sled_state().revoked_sessions()
    }
}

pub fn corrupt(what: &'static str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Corrupt { what, detail: e.to_string() }
}

fn marker_key(user: &UserId, stream: &StreamId) -> Vec<u8> {
    let mut k = Vec::with_capacity(user.0.len() + 1 + stream.0.len());
    k.extend_from_slice(user.0.as_bytes());
    k.push(0);
    k.extend_from_slice(stream.0.as_bytes());
    k
}

/// Prefix of revoked session tokens in `meta`.
const REVOKED_PREFIX: &[u8] = b"revoked/";

fn revoked_key(key: &str) -> Vec<u8> {
    [REVOKED_PREFIX, key.as_bytes()].concat()
}

fn seq_value(v: &[u8]) -> Seq {
    <[u8; 8]>::try_from(v).map(|b| Seq(u64::from_be_bytes(b))).unwrap_or_default()
}

impl SledState {
    /// Open (or create) the sled database at `path`.
    pub fn open(path: &Path) -> Result<SledState, EngineError> {
        SledState::open_on(Arc::new(OsFiles), path)
    }

    /// [`SledState::open`], making sled's files durable through `files`.
    pub fn open_on(files: Arc<dyn FileLayer>, path: &Path) -> Result<SledState, EngineError> {
        std::fs::create_dir_all(path)?;
        let db = sled::Config::new().path(path).mode(sled::Mode::HighThroughput).open()?;
        let data_file = files.open_synced(&path.join("db"))?;
        Ok(SledState {
            files,
            dir: path.to_path_buf(),
            entries_synced: AtomicBool::new(false),
            users: db.open_tree("users")?,
            tokens: db.open_tree("tokens")?,
            read_markers: db.open_tree("read_markers")?,
            snapshots: db.open_tree("snapshots")?,
            meta: db.open_tree("meta")?,
            db,
            data_file,
            blob_dir: path.join("blobs"),
            synced_blobs: Mutex::new(HashSet::new()),
        })
    }

    /// The store's epoch, if it has one yet.
    pub fn epoch(&self) -> Result<Option<String>, EngineError> {
        match self.meta.get(b"epoch")? {
            Some(v) => Ok(Some(String::from_utf8(v.to_vec()).map_err(|e| corrupt("epoch", e))?)),
            None => Ok(None),
        }
    }

    /// A new epoch for a new store, made durable.
    pub fn create_epoch(&self) -> Result<String, EngineError> {
        let epoch = format!("{:016x}", rand::random::<u64>());
        self.meta.insert(b"epoch", epoch.as_bytes())?;
        self.make_durable()?;
        Ok(epoch)
    }

    /// Which engine wrote this directory (`None`: none said so; directories
    /// written before the marker existed are segment directories).
    pub fn engine_marker(&self) -> Result<Option<String>, EngineError> {
        Ok(self.meta.get(b"engine")?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_engine_marker(&self, name: &str) -> Result<(), EngineError> {
        self.meta.insert(b"engine", name.as_bytes())?;
        self.make_durable()
    }

    /// Stage `writes` in sled (not yet durable: call [`SledState::make_durable`]).
    pub fn apply(&self, writes: &[StateWrite]) -> Result<(), EngineError> {
        for w in writes {
            match w {
                StateWrite::ReadMarker { user, stream, seq } => {
                    let key = marker_key(user, stream);
                    // Only the sequencer thread writes, so read-then-write cannot race.
                    let current = self.read_markers.get(&key)?.map(|v| seq_value(&v)).unwrap_or_default();
                    if *seq > current {
                        self.read_markers.insert(key, &seq.0.to_be_bytes()[..])?;
                    }
                }
                StateWrite::Snapshot { stream, state } => {
                    self.snapshots.insert(stream.0.as_bytes(), &state[..])?;
                    crate::failpoint::hit(crate::failpoint::SNAPSHOT_WRITTEN);
                }
                StateWrite::User { id, record } => {
                    self.users.insert(id.0.as_bytes(), &record[..])?;
                }
                StateWrite::ApiToken { hash, user } => {
                    self.tokens.insert(hash.as_bytes(), user.0.as_bytes())?;
                }
                StateWrite::JwtSecret(secret) => {
                    self.meta.insert(b"jwt_secret", &secret[..])?;
                }
                StateWrite::ApiTokenRemoved { hash } => {
                    self.tokens.remove(hash.as_bytes())?;
                }
                StateWrite::RevokedSession { key, expires } => {
                    self.meta.insert(revoked_key(key), &expires.to_be_bytes()[..])?;
                }
                StateWrite::RevokedSessionExpired { key } => {
                    self.meta.remove(revoked_key(key))?;
                }
            }
        }
        Ok(())
    }

    pub fn read_marker(&self, user: &UserId, stream: &StreamId) -> Result<Seq, EngineError> {
        Ok(self.read_markers.get(marker_key(user, stream))?.map(|v| seq_value(&v)).unwrap_or_default())
    }

    pub fn snapshot(&self, stream: &StreamId) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.snapshots.get(stream.0.as_bytes())?.map(|v| v.to_vec()))
    }

    pub fn users(&self) -> Result<Vec<Vec<u8>>, EngineError> {
        self.users.iter().values().map(|v| Ok(v?.to_vec())).collect()
    }

    pub fn api_tokens(&self) -> Result<Vec<(String, UserId)>, EngineError> {
        self.tokens
            .iter()
            .map(|item| {
                let (k, v) = item?;
                Ok((String::from_utf8_lossy(&k).into_owned(), UserId(String::from_utf8_lossy(&v).into_owned())))
            })
            .collect()
    }

    pub fn jwt_secret(&self) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.meta.get(b"jwt_secret")?.map(|v| v.to_vec()))
    }

    pub fn revoked_sessions(&self) -> Result<Vec<(String, u64)>, EngineError> {
        self.meta
            .scan_prefix(REVOKED_PREFIX)
            .map(|item| {
                let (k, v) = item?;
                let key = String::from_utf8_lossy(&k[REVOKED_PREFIX.len()..]).into_owned();
                // An unreadable expiry keeps the token revoked for good.
                let expires = <[u8; 8]>::try_from(&v[..]).map(u64::from_be_bytes).unwrap_or(u64::MAX);
                Ok((key, expires))
            })
            .collect()
    }

    /// Everything sled holds is on stable storage when this returns (see the module doc).
    pub fn make_durable(&self) -> Result<(), EngineError> {
        self.db.flush()?;
        self.data_file.sync_data()?;
        self.sync_new_blobs()?;
        if !self.entries_synced.load(Ordering::Acquire) {
            match self.files.open_synced(&self.dir.join("conf")) {
                Ok(conf) => conf.sync_data()?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            self.files.sync_dir(&self.dir)?;
            if let Some(parent) = self.dir.parent() {
                self.files.sync_dir(parent)?;
            }
            self.entries_synced.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// fsync blob files sled created since the last call, then the directory.
    fn sync_new_blobs(&self) -> Result<(), EngineError> {
        let entries = match std::fs::read_dir(&self.blob_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let mut synced = self.synced_blobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut present = HashSet::new();
        let mut any_new = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                match self.files.open_synced(&entry.path()) {
                    Ok(f) => f.sync_data()?,
                    // sled removed it meanwhile (garbage collection): nothing to make durable.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e.into()),
                }
                any_new = true;
            }
            present.insert(name);
        }
        if any_new {
            self.files.sync_dir(&self.blob_dir)?;
        }
        *synced = present;
        Ok(())
    }
}
