//! A power-loss simulator for tests: a [`FileLayer`] over a real directory that
//! remembers what has been synced, so a test can cut the power and see what a
//! disk would have kept (in the spirit of sled's and TigerBeetle's simulators).
//!
//! What lives here: [`SimFiles`]: writes go to the real files (so reads during
//! the run see them). Two kinds of file:
//! - appended files (the segments): each file's synced length is tracked; at the
//!   cut a file keeps what was synced plus a prefix of the unsynced bytes torn at
//!   a random byte (written, or zeros: blocks allocated but never written);
//! - files another writer changes in place (sled's data file, `conf`, blobs: we
//!   only see their syncs, [`FileLayer::open_synced`]): each sync records the
//!   whole file as its durable image; at the cut every 4 KiB block that differs
//!   from the image is kept or forgotten at random, independently (a disk may
//!   write back any subset of dirty pages, in any order), and one kept block is
//!   torn at a random byte. A file first seen by the simulator is new: nothing
//!   of it is durable before its first sync. A file removed while the power was
//!   on comes back with its image unless its directory was synced since.
//!
//! For both, a file whose directory entry was never synced disappears, and
//! [`SimFiles::forget_untracked`] removes every file under a directory that was
//! never synced through the simulator (sled's own snapshot files, the index
//! checkpoint: their own fsyncs are not seen, so the simulator does not count
//! on them). The power goes out after a seeded number of operations (that
//! operation and every later one fails), or when the test calls
//! [`SimFiles::power_loss`]. Two switches: the control (`sync_data` returns
//! without syncing, directories are still synced: the simulator must then lose
//! acked data, or it proves nothing) and a failing `sync_data`. What does not
//! live here: the runs (`power_loss`).

use super::files::{AppendFile, FileLayer, SyncedFile};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Tracked {
    /// Bytes in the file.
    written: u64,
    /// Bytes a power cut keeps for certain.
    synced: u64,
    /// The directory entry survives a power cut (the file existed, or its directory was synced since).
    entry_durable: bool,
}

/// A file changed in place by another writer: what its last sync made durable.
#[derive(Default)]
struct Image {
    /// The whole file as of its last sync (empty: never synced).
    durable: Vec<u8>,
    /// The directory entry survives a power cut (its directory was synced since the file was first seen).
    entry_durable: bool,
}

/// Bytes a disk writes back together.
const BLOCK: usize = 4096;

struct State {
    files: HashMap<PathBuf, Tracked>,
    images: HashMap<PathBuf, Image>,
    /// Operations left before the power goes out (`None`: only on `power_loss`).
    ops_left: Option<u64>,
    off: bool,
    rng: StdRng,
}

pub struct SimFiles {
    state: Mutex<State>,
    /// The control: `sync_data` returns Ok without syncing anything.
    skip_sync: bool,
    /// Every `sync_data` fails (EIO), as a dying disk's would.
    fail_sync: AtomicBool,
}

fn power_is_out() -> std::io::Error {
    std::io::Error::other("simulated power loss")
}

impl SimFiles {
    /// A simulator whose power goes out at operation `cut_after` (if any), with
    /// tears drawn from `seed`; `skip_sync` makes it the control.
    pub fn new(seed: u64, cut_after: Option<u64>, skip_sync: bool) -> Arc<SimFiles> {
        Arc::new(SimFiles {
            state: Mutex::new(State {
                files: HashMap::new(),
                images: HashMap::new(),
                ops_left: cut_after,
                off: false,
                rng: StdRng::seed_from_u64(seed),
            }),
            skip_sync,
            fail_sync: AtomicBool::new(false),
        })
    }

    /// From now on every `sync_data` fails.
    pub fn fail_syncs(&self) {
        self.fail_sync.store(true, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count one operation: `Err` if the power is out or goes out now.
    fn tick(state: &mut State) -> std::io::Result<()> {
        if state.off {
            return Err(power_is_out());
        }
        if let Some(n) = state.ops_left.as_mut() {
            if *n == 0 {
                state.off = true;
                return Err(power_is_out());
            }
            *n -= 1;
        }
        Ok(())
    }

    /// Cut the power (if it is still on) and leave on disk what a disk would have
    /// kept. Returns how many unsynced bytes were forgotten.
    pub fn power_loss(&self) -> std::io::Result<u64> {
        let mut st = self.lock();
        st.off = true;
        let State { files, rng, .. } = &mut *st;
        let mut forgotten = 0;
        for (path, t) in files.iter_mut() {
            if !t.entry_durable {
                std::fs::remove_file(path)?;
                forgotten += t.written;
                continue;
            }
            let unsynced = t.written - t.synced;
            if unsynced == 0 {
                continue;
            }
            // The unsynced bytes are forgotten, except a prefix torn at a random byte.
            let torn = rng.gen_range(0..=unsynced);
            let f = OpenOptions::new().write(true).open(path)?;
            f.set_len(t.synced + torn)?;
            if torn > 0 && rng.gen_bool(0.5) {
                // Allocated but never written: the torn part reads as zeros.
                use std::os::unix::fs::FileExt;
                f.write_all_at(&vec![0; torn as usize], t.synced)?;
            }
            f.sync_all()?;
            forgotten += unsynced - torn;
            t.written = t.synced + torn;
        }
        let State { images, rng, .. } = &mut *st;
        for (path, image) in images.iter_mut() {
            forgotten += cut_image(path, image, rng)?;
        }
        Ok(forgotten)
    }

    /// After [`SimFiles::power_loss`]: remove every file under `root` that was
    /// never synced through the simulator (the disk kept no promise about it).
    /// Returns how many were removed.
    pub fn forget_untracked(&self, root: &Path) -> std::io::Result<usize> {
        let st = self.lock();
        let mut removed = 0;
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    dirs.push(path);
                } else if !st.files.contains_key(&path) && !st.images.contains_key(&path) {
                    std::fs::remove_file(&path)?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// What a disk keeps of a file changed in place: its image, plus a random
/// subset of the 4 KiB blocks written since, one of them torn. Returns how many
/// changed bytes were forgotten.
fn cut_image(path: &Path, image: &Image, rng: &mut StdRng) -> std::io::Result<u64> {
    let now = match std::fs::read(path) {
        Ok(bytes) => bytes,
        // Removed, but its directory was not synced since: the removal is forgotten.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if image.entry_durable {
                std::fs::write(path, &image.durable)?;
            }
            return Ok(0);
        }
        Err(e) => return Err(e),
    };
    if !image.entry_durable {
        if path.exists() {
            std::fs::remove_file(path)?;
        }
        return Ok(now.len() as u64);
    }
    let old = &image.durable;
    let len = now.len().max(old.len());
    let byte = |v: &Vec<u8>, i: usize| v.get(i).copied().unwrap_or(0);
    let changed: Vec<usize> =
        (0..len).step_by(BLOCK).filter(|&b| (b..len.min(b + BLOCK)).any(|i| byte(&now, i) != byte(old, i))).collect();
    let mut out = old.clone();
    let mut forgotten = 0u64;
    let kept: Vec<usize> = changed.iter().copied().filter(|_| rng.gen_bool(0.5)).collect();
    let torn = (!kept.is_empty()).then(|| kept[rng.gen_range(0..kept.len())]);
    for &b in &changed {
        let end = len.min(b + BLOCK);
        let keep_upto = if !kept.contains(&b) {
            b
        } else if Some(b) == torn {
            rng.gen_range(b..=end)
        } else {
            end
        };
        for i in b..end {
            let new = byte(&now, i);
            if i < keep_upto && i < now.len() {
                if out.len() <= i {
                    out.resize(i + 1, 0);
                }
                out[i] = new;
            } else if new != byte(old, i) {
                forgotten += 1;
            }
        }
    }
    std::fs::write(path, &out)?;
    std::fs::File::open(path)?.sync_all()?;
    Ok(forgotten)
}

struct SimFile {
    sim: Arc<SimFiles>,
    path: PathBuf,
    file: std::fs::File,
}

impl FileLayer for Arc<SimFiles> {
    fn open_append(&self, path: &Path) -> std::io::Result<Box<dyn AppendFile>> {
        let mut st = self.lock();
        SimFiles::tick(&mut st)?;
        let existed = path.exists();
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        st.files.entry(path.to_path_buf()).or_insert(Tracked { written: len, synced: len, entry_durable: existed });
        Ok(Box::new(SimFile { sim: self.clone(), path: path.to_path_buf(), file }))
    }

    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        let mut st = self.lock();
        SimFiles::tick(&mut st)?;
        for (path, t) in st.files.iter_mut() {
            if path.parent() == Some(dir) {
                t.entry_durable = true;
            }
        }
        // Files removed from `dir` stay removed; the others' entries are durable.
        st.images.retain(|path, _| path.parent() != Some(dir) || path.exists());
        for (path, image) in st.images.iter_mut() {
            if path.parent() == Some(dir) {
                image.entry_durable = true;
            }
        }
        Ok(())
    }

    fn open_synced(&self, path: &Path) -> std::io::Result<Box<dyn SyncedFile>> {
        let mut st = self.lock();
        SimFiles::tick(&mut st)?;
        if !path.exists() {
            return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        }
        st.images.entry(path.to_path_buf()).or_default();
        Ok(Box::new(SimSynced { sim: self.clone(), path: path.to_path_buf() }))
    }
}

/// A file another writer changes in place, synced through the simulator.
struct SimSynced {
    sim: Arc<SimFiles>,
    path: PathBuf,
}

impl SyncedFile for SimSynced {
    fn sync_data(&self) -> std::io::Result<()> {
        let mut st = self.sim.lock();
        SimFiles::tick(&mut st)?;
        if self.sim.fail_sync.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(libc::EIO));
        }
        if self.sim.skip_sync {
            return Ok(());
        }
        let bytes = std::fs::read(&self.path)?;
        if let Some(image) = st.images.get_mut(&self.path) {
            image.durable = bytes;
        }
        Ok(())
    }
}

impl AppendFile for SimFile {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut st = self.sim.lock();
        let cut = SimFiles::tick(&mut st);
        // The power went out during this write: some of it may have reached the
        // page cache (the tear decides how much survives).
        std::io::Write::write_all(&mut self.file, bytes)?;
        if let Some(t) = st.files.get_mut(&self.path) {
            t.written += bytes.len() as u64;
        }
        cut
    }

    fn sync_data(&mut self) -> std::io::Result<()> {
        let mut st = self.sim.lock();
        SimFiles::tick(&mut st)?;
        if self.sim.fail_sync.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(libc::EIO));
        }
        if self.sim.skip_sync {
            return Ok(());
        }
        if let Some(t) = st.files.get_mut(&self.path) {
            t.synced = t.written;
        }
        Ok(())
    }
}
