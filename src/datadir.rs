//! One agora per data directory: `<data>/agora.lock`, held with an exclusive
//! `flock` for the life of the server and holding its pid, so a second server
//! on the same directory stops at once with a plain message naming the holder
//! (instead of sled's raw lock error). The lock goes with the process: a
//! `kill -9` leaves the file but not the lock.
//!
//! What does not live here: the files inside the directory (that is `engine`).

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another agora{} is already serving from the data directory {dir}: stop it, or start this one with another --data", .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Held { dir: String, pid: Option<u32> },
    #[error("cannot lock the data directory {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

/// The held lock; dropping it releases the directory.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    pub path: PathBuf,
}

/// Create `dir` if needed and take its lock, or say who holds it.
pub fn lock(dir: &Path) -> Result<DataDirLock, LockError> {
    let io = |source| LockError::Io { dir: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join("agora.lock");
    let mut file =
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    if let Err(e) = try_lock(&file) {
        if e.kind() != std::io::ErrorKind::WouldBlock {
            return Err(io(e));
        }
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        return Err(LockError::Held { dir: dir.display().to_string(), pid: pid.trim().parse().ok() });
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DataDirLock { _file: file, path })
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is shared with the call.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<()> {
    // sled's own lock still refuses a second server, with its own message.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        match &err {
            LockError::Held { pid, .. } => assert_eq!(*pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("another agora"), "{err}");
        drop(held);
        lock(dir.path()).expect("free again once the holder is gone");
    }
}
