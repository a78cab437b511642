//! A power-loss simulator for tests: a [`FileLayer`] over a real directory that
//! remembers what has been synced, so a test can cut the power and see what a
//! disk would have kept (in the spirit of sled's and TigerBeetle's simulators).
//!
//! What lives here: [`SimFiles`]: writes go to the real files (so reads during
//! the run see them), and each file's synced length is tracked. The power goes
//! out after a seeded number of operations (that operation and every later one
//! fails), or when the test calls [`SimFiles::power_loss`]; then every file is
//! cut back to what was synced, plus a prefix of the unsynced bytes torn at a
//! random byte (written, or zeros: blocks allocated but never written), and a
//! file whose directory entry was never synced disappears. Two switches: the
//! control (`sync_data` returns without syncing, directories are still synced: the simulator must then lose
//! acked data, or it proves nothing) and a failing `sync_data`. What does not
//! live here: the runs (`power_loss`).

use super::files::{AppendFile, FileLayer};
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

struct State {
    files: HashMap<PathBuf, Tracked>,
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
        Ok(forgotten)
    }
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
