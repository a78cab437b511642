//! The sled 0.34 implementation of [`EventLog`].
//!
//! Durability: sled's `flush` writes its log with `sync_file_range`, which
//! survives `kill -9` but reaches neither the disk cache nor file metadata
//! (sled#1452). So every commit is `apply_batch` → `flush` → `sync_data()` on
//! sled's data file. sled writes large items (over ~128 KiB) to files under
//! `blobs/` without any fsync, so new blob files and the directory are fsynced
//! too. Any error on that path is returned to the sequencer, which treats it as
//! fatal (never acks, never retries).

use super::keys;
use super::{CommitBatch, EngineError, EventLog, StateRecord, Table};
use agora_protocol::{Event, Seq, StreamId, UserId};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct SledLog {
    db: sled::Db,
    /// Log records, the stream registry and idempotency keys: one tree so that
    /// one `apply_batch` makes a group commit atomic.
    log: sled::Tree,
    users: sled::Tree,
    tokens: sled::Tree,
    read_markers: sled::Tree,
    snapshots: sled::Tree,
    meta: sled::Tree,
    /// sled's data file, fsynced after every flush (see the module doc).
    data_file: File,
    /// sled's blob directory, and the blob files already fsynced.
    blob_dir: PathBuf,
    synced_blobs: Mutex<HashSet<OsString>>,
    epoch: String,
}

fn corrupt(what: &'static str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Corrupt { what, detail: e.to_string() }
}

fn decode_event(bytes: &[u8]) -> Result<Event, EngineError> {
    rmp_serde::from_slice(bytes).map_err(|e| corrupt("event", e))
}

impl SledLog {
    /// Open (or create) the store under `dir/sled`.
    pub fn open(dir: &Path) -> Result<SledLog, EngineError> {
        let path = dir.join("sled");
        std::fs::create_dir_all(&path)?;
        let db = sled::Config::new().path(&path).mode(sled::Mode::HighThroughput).open()?;
        let data_file = File::open(path.join("db"))?;
        let meta = db.open_tree("meta")?;
        let epoch = match meta.get(b"epoch")? {
            Some(v) => String::from_utf8(v.to_vec()).map_err(|e| corrupt("epoch", e))?,
            None => {
                let epoch = format!("{:016x}", rand::random::<u64>());
                meta.insert(b"epoch", epoch.as_bytes())?;
                db.flush()?;
                data_file.sync_data()?;
                epoch
            }
        };
        Ok(SledLog {
            log: db.open_tree("log")?,
            users: db.open_tree("users")?,
            tokens: db.open_tree("tokens")?,
            read_markers: db.open_tree("read_markers")?,
            snapshots: db.open_tree("snapshots")?,
            meta,
            db,
            data_file,
            blob_dir: path.join("blobs"),
            synced_blobs: Mutex::new(HashSet::new()),
            epoch,
        })
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
                match File::open(entry.path()) {
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
            File::open(&self.blob_dir)?.sync_all()?;
        }
        *synced = present;
        Ok(())
    }

    fn table(&self, t: Table) -> &sled::Tree {
        match t {
            Table::Users => &self.users,
            Table::Tokens => &self.tokens,
            Table::ReadMarkers => &self.read_markers,
            Table::Snapshots => &self.snapshots,
            Table::Meta => &self.meta,
        }
    }
}

impl EventLog for SledLog {
    fn commit(&self, batch: &CommitBatch) -> Result<(), EngineError> {
        let mut log = sled::Batch::default();
        for ev in batch.events.iter().chain(batch.rewrites.iter()) {
            if ev.seq == Seq(1) {
                log.insert(keys::stream_key(&ev.stream), &[][..]);
            }
            let bytes = rmp_serde::to_vec_named(ev).map_err(|e| corrupt("event encode", e))?;
            log.insert(keys::log_key(&ev.stream, ev.seq), bytes);
        }
        for (stream, author, key, seq) in &batch.idem {
            log.insert(keys::idem_key(stream, author, key), &seq.0.to_be_bytes()[..]);
        }
        self.log.apply_batch(log)?;
        for put in &batch.puts {
            let tree = self.table(put.table);
            match &put.value {
                Some(v) => tree.insert(&put.key[..], &v[..])?,
                None => tree.remove(&put.key[..])?,
            };
        }
        self.db.flush()?;
        self.data_file.sync_data()?;
        self.sync_new_blobs()?;
        Ok(())
    }

    fn read_range(&self, stream: &StreamId, after: Seq, upto: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        if upto <= after || limit == 0 {
            return Ok(Vec::new());
        }
        let from = keys::log_key(stream, after.next());
        let to = keys::log_key(stream, upto);
        let mut out = Vec::with_capacity(limit.min((upto.0 - after.0) as usize).min(1024));
        for item in self.log.range(from..=to).take(limit) {
            let (_, v) = item?;
            out.push(decode_event(&v)?);
        }
        Ok(out)
    }

    fn read_before(&self, stream: &StreamId, before: Seq, limit: usize) -> Result<Vec<Event>, EngineError> {
        if before <= Seq(1) || limit == 0 {
            return Ok(Vec::new());
        }
        let from = keys::log_key(stream, Seq(1));
        let to = keys::log_key(stream, before);
        let mut out = Vec::with_capacity(limit.min(1024));
        for item in self.log.range(from..to).rev().take(limit) {
            let (_, v) = item?;
            out.push(decode_event(&v)?);
        }
        out.reverse();
        Ok(out)
    }

    fn get(&self, stream: &StreamId, seq: Seq) -> Result<Option<Event>, EngineError> {
        self.log.get(keys::log_key(stream, seq))?.map(|v| decode_event(&v)).transpose()
    }

    fn head(&self, stream: &StreamId) -> Result<Seq, EngineError> {
        let prefix = keys::log_prefix(stream);
        match self.log.scan_prefix(&prefix).next_back() {
            None => Ok(Seq(0)),
            Some(item) => {
                let (k, _) = item?;
                keys::seq_of_log_key(&k).ok_or_else(|| corrupt("log key", "short key"))
            }
        }
    }

    fn streams(&self) -> Result<Vec<StreamId>, EngineError> {
        let mut out = Vec::new();
        for item in self.log.scan_prefix([keys::STREAM]) {
            let (k, _) = item?;
            let id = std::str::from_utf8(&k[1..]).map_err(|e| corrupt("stream key", e))?;
            out.push(StreamId::from(id));
        }
        Ok(out)
    }

    fn idem_get(&self, stream: &StreamId, author: &UserId, key: &str) -> Result<Option<Seq>, EngineError> {
        match self.log.get(keys::idem_key(stream, author, key))? {
            None => Ok(None),
            Some(v) => {
                let b: [u8; 8] = v.as_ref().try_into().map_err(|e| corrupt("idem value", e))?;
                Ok(Some(Seq(u64::from_be_bytes(b))))
            }
        }
    }

    fn get_state(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(self.table(table).get(key)?.map(|v| v.to_vec()))
    }

    fn scan_state(&self, table: Table, prefix: &[u8]) -> Result<Vec<StateRecord>, EngineError> {
        self.table(table)
            .scan_prefix(prefix)
            .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(EngineError::from))
            .collect()
    }

    fn epoch(&self) -> String {
        self.epoch.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::EventBody;

    fn ev(stream: &str, seq: u64, text: &str) -> Event {
        Event {
            stream: stream.into(),
            seq: Seq(seq),
            at: 0,
            author: "ann".into(),
            idem: None,
            body: EventBody::MessagePosted { text: text.into(), reply_to: None, mentions: vec![] },
        }
    }

    #[test]
    fn commit_read_head_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let epoch;
        {
            let log = SledLog::open(dir.path()).unwrap();
            epoch = log.epoch();
            let mut b = CommitBatch { events: (1..=5).map(|s| ev("ch_a", s, &format!("m{s}"))).collect(), ..Default::default() };
            b.events.push(ev("ch_b", 1, "other"));
            b.idem.push(("ch_a".into(), "ann".into(), "k1".into(), Seq(3)));
            log.commit(&b).unwrap();
            assert_eq!(log.head(&"ch_a".into()).unwrap(), Seq(5));
            let r = log.read_range(&"ch_a".into(), Seq(1), Seq(4), 10).unwrap();
            assert_eq!(r.iter().map(|e| e.seq.0).collect::<Vec<_>>(), vec![2, 3, 4]);
            let r = log.read_before(&"ch_a".into(), Seq(5), 2).unwrap();
            assert_eq!(r.iter().map(|e| e.seq.0).collect::<Vec<_>>(), vec![3, 4]);
        }
        let log = SledLog::open(dir.path()).unwrap();
        assert_eq!(log.epoch(), epoch);
        let mut s = log.streams().unwrap();
        s.sort();
        assert_eq!(s, vec![StreamId::from("ch_a"), StreamId::from("ch_b")]);
        assert_eq!(log.head(&"ch_b".into()).unwrap(), Seq(1));
        assert_eq!(log.head(&"ch_c".into()).unwrap(), Seq(0));
        assert_eq!(log.idem_get(&"ch_a".into(), &"ann".into(), "k1").unwrap(), Some(Seq(3)));
    }
}
