//! [`AttachmentStore`]: attachment files on disk, content-addressed.
//!
//! Layout under `<data>/attachments`: `<h[0..2]>/<h>` holds the bytes of the
//! file whose SHA-256 is `h` (64 hex digits), `<h[0..2]>/<h>.json` what the
//! server found in them ([`Stored`]: type, size, pixel size, who uploaded it),
//! and `tmp/` uploads in progress (emptied at start).
//!
//! Durability: an upload is streamed into `tmp/`, hashed and checked on the way,
//! fsynced, renamed into place, and the directory fsynced; then its `.json` the
//! same way. Only then is the upload answered, so a file a message can reference
//! is on disk. A crash between the two leaves bytes without a `.json`: not
//! referenceable, and the next upload of the same bytes writes it. Files are
//! never deleted (a deleted message's files are no longer served, `can_read_attachment`).

use super::types;
use crate::error::{AppError, AppResult};
use agora_protocol::UserId;
use axum::body::Body;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// How much of the start of an upload is kept to check its type and read an
/// image's pixel size (a JPEG's size can follow large metadata).
const HEAD_BYTES: usize = 256 * 1024;

/// What the server found in a stored file (its `.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// Media type, checked against the bytes (`types`).
    pub mime: String,
    pub size: u64,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// Everyone who uploaded these bytes: they may reference the file in a post.
    pub uploaders: Vec<UserId>,
}

pub struct AttachmentStore {
    dir: PathBuf,
    max_bytes: u64,
    /// Serializes read-modify-writes of `.json` files (two uploads of the same bytes).
    meta_lock: tokio::sync::Mutex<()>,
}

/// Removes an upload's temporary file unless it was moved into place.
struct TmpFile(Option<PathBuf>);

impl Drop for TmpFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn io_err(what: &str) -> impl FnOnce(io::Error) -> AppError + '_ {
    move |e| AppError::Internal(format!("attachments: {what}: {e}"))
}

/// fsync a directory, so a rename into it survives a crash.
async fn sync_dir(dir: PathBuf) -> io::Result<()> {
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}

impl AttachmentStore {
    /// The store under `<data>/attachments` (nothing is touched until [`Self::prepare`]).
    pub fn new(data: &Path, max_bytes: u64) -> AttachmentStore {
        AttachmentStore { dir: data.join("attachments"), max_bytes, meta_lock: tokio::sync::Mutex::new(()) }
    }

    /// Create the directories; remove leftovers of interrupted uploads. At start, before serving.
    pub fn prepare(&self) -> io::Result<()> {
        let tmp = self.dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn shard(&self, hash: &str) -> PathBuf {
        self.dir.join(&hash[..2])
    }

    fn blob_path(&self, hash: &str) -> PathBuf {
        self.shard(hash).join(hash)
    }

    fn meta_path(&self, hash: &str) -> PathBuf {
        self.shard(hash).join(format!("{hash}.json"))
    }

    /// Store an upload of declared type `content_type` by `uploader`, and return
    /// its hash and what was stored. Refuses with `unsupported_type` (type not
    /// allowed, or bytes not of it), `too_large` (over the limit) or `bad_request`
    /// (empty, or the body broke off).
    pub async fn put(&self, content_type: &str, uploader: &UserId, body: Body) -> AppResult<(String, Stored)> {
        let mime = types::declared(content_type)?;
        let tmp_path = self.dir.join("tmp").join(format!("{:016x}.part", rand::random::<u64>()));
        let mut file = tokio::fs::File::create(&tmp_path).await.map_err(io_err("create"))?;
        let mut tmp = TmpFile(Some(tmp_path.clone()));
        let (mut hasher, mut head, mut size) = (Sha256::new(), Vec::new(), 0u64);
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("upload broke off: {e}")))?;
            size += chunk.len() as u64;
            if size > self.max_bytes {
                return Err(too_large(self.max_bytes));
            }
            hasher.update(&chunk);
            if head.len() < HEAD_BYTES {
                head.extend_from_slice(&chunk[..chunk.len().min(HEAD_BYTES - head.len())]);
            }
            file.write_all(&chunk).await.map_err(io_err("write"))?;
        }
        if size == 0 {
            return Err(AppError::BadRequest("the file is empty".into()));
        }
        types::check_bytes(mime, &head)?;
        let (width, height) = types::dimensions(mime, &head).unzip();
        file.sync_all().await.map_err(io_err("fsync"))?;
        drop(file);

        let hash = hex::encode(hasher.finalize());
        let shard = self.shard(&hash);
        tokio::fs::create_dir_all(&shard).await.map_err(io_err("mkdir"))?;
        let blob = self.blob_path(&hash);
        if tokio::fs::try_exists(&blob).await.map_err(io_err("stat"))? {
            // The same bytes are already stored (and were synced before they were renamed).
        } else {
            tokio::fs::rename(&tmp_path, &blob).await.map_err(io_err("rename"))?;
            tmp.0 = None;
            sync_dir(shard.clone()).await.map_err(io_err("fsync dir"))?;
            sync_dir(self.dir.clone()).await.map_err(io_err("fsync dir"))?;
        }

        let _guard = self.meta_lock.lock().await;
        let mut stored = match self.stored(&hash)? {
            Some(s) => s,
            None => Stored { mime: mime.to_owned(), size, width, height, uploaders: Vec::new() },
        };
        if !stored.uploaders.contains(uploader) {
            stored.uploaders.push(uploader.clone());
            let json = serde_json::to_vec(&stored).map_err(|e| AppError::Internal(e.to_string()))?;
            let meta_tmp = shard.join(format!("{hash}.json.part"));
            let mut f = tokio::fs::File::create(&meta_tmp).await.map_err(io_err("create"))?;
            f.write_all(&json).await.map_err(io_err("write"))?;
            f.sync_all().await.map_err(io_err("fsync"))?;
            drop(f);
            tokio::fs::rename(&meta_tmp, self.meta_path(&hash)).await.map_err(io_err("rename"))?;
            sync_dir(shard).await.map_err(io_err("fsync dir"))?;
        }
        Ok((hash, stored))
    }

    /// What is stored for `hash`, if a complete upload of it exists. A small read
    /// (the `.json`), done in place: posts with attachments are rare next to
    /// everything else a session does.
    pub fn stored(&self, hash: &str) -> AppResult<Option<Stored>> {
        if !agora_protocol::Attachment::valid_hash(hash) {
            return Ok(None);
        }
        match std::fs::read(self.meta_path(hash)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| AppError::Internal(format!("attachments: {hash}.json: {e}"))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read")(e)),
        }
    }

    /// The stored file `hash` for reading, with what is stored about it.
    pub async fn open_file(&self, hash: &str) -> AppResult<Option<(tokio::fs::File, Stored)>> {
        let Some(stored) = self.stored(hash)? else { return Ok(None) };
        match tokio::fs::File::open(self.blob_path(hash)).await {
            Ok(f) => Ok(Some((f, stored))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("open")(e)),
        }
    }
}

pub fn too_large(max: u64) -> AppError {
    AppError::TooLarge(format!("attachments are limited to {max} bytes (limits.max_attachment_bytes)"))
}
