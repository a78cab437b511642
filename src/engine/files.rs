//! The file layer the engines' writes are made durable through: open a segment
//! for appending, write, `fdatasync`; `fdatasync` a file sled writes in place
//! (its data file, its blobs); make a directory's entries durable.
//!
//! What lives here: the [`FileLayer`], [`AppendFile`] and [`SyncedFile`] traits
//! and [`OsFiles`], the real file system. What does not: reading (start-up recovery and `pread`s
//! use `std::fs` directly: what they see is what the appends left), and the
//! power-loss simulator the tests put in its place (`sim_files`).
//!
//! It exists so a test can stand between the engine and the disk: forget every
//! write not yet synced, tear the last one, fail a sync (docs/DURABILITY.md).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Where the segment engine's appends and both engines' syncs go.
pub trait FileLayer: Send + Sync + 'static {
    /// Open `path` for appending, creating it if it is missing (its directory
    /// entry is durable only after [`FileLayer::sync_dir`]).
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn AppendFile>>;
    /// Make the entries of directory `dir` (files created in it) durable.
    fn sync_dir(&self, dir: &Path) -> std::io::Result<()>;
    /// Open `path`, a file another writer (sled) writes in place, to make its
    /// contents durable with [`SyncedFile::sync_data`].
    fn open_synced(&self, path: &Path) -> std::io::Result<Box<dyn SyncedFile>>;
}

/// A file written by someone else (sled), which we only make durable.
pub trait SyncedFile: Send + Sync {
    /// Make every byte written to the file so far durable (`fdatasync`).
    fn sync_data(&self) -> std::io::Result<()>;
}

/// A file open for appending.
pub trait AppendFile: Send {
    /// Append all of `bytes` (not yet durable).
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Make every byte written so far durable (`fdatasync`).
    fn sync_data(&mut self) -> std::io::Result<()>;
}

/// The real file system.
pub struct OsFiles;

impl FileLayer for OsFiles {
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn AppendFile>> {
        Ok(Box::new(OpenOptions::new().create(true).append(true).open(path)?))
    }

    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn open_synced(&self, path: &Path) -> std::io::Result<Box<dyn SyncedFile>> {
        Ok(Box::new(File::open(path)?))
    }
}

impl SyncedFile for File {
    fn sync_data(&self) -> std::io::Result<()> {
        File::sync_data(self)
    }
}

impl AppendFile for File {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        Write::write_all(self, bytes)
    }

    fn sync_data(&mut self) -> std::io::Result<()> {
        File::sync_data(self)
    }
}
