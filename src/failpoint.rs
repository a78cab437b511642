//! Failpoints at each step of a group commit, for the crash tests
//! (tests/failpoints.rs). Compiled in only with the `failpoints` cargo feature
//! (TiKV's `fail` crate); in a normal build [`hit`] is an empty inline function.
//!
//! What lives here: the names of the steps ([`ALL`]), [`hit`], and [`setup`]
//! (reads `FAILPOINTS` from the environment). What does not: where each step
//! is — the engines and the sequencer call [`hit`] at the point they name.
//!
//! A test starts a child server with, e.g., `FAILPOINTS=segment::fsynced=20*off->return`:
//! the 21st time the step is reached, the `return` action kills the process
//! with SIGKILL (as `kill -9` would: no destructor, no flush, no reply). The
//! `panic` action unwinds the writer thread instead.

/// The batch is decided and built, nothing is written (sequencer; both engines).
pub const BATCH_BUILT: &str = "commit::batch_built";
/// Segment engine: the record is written to the segment file, not yet fsynced.
pub const SEGMENT_WRITTEN: &str = "segment::written";
/// Segment engine: the record is fsynced, the index does not know it yet.
pub const SEGMENT_FSYNCED: &str = "segment::fsynced";
/// Segment engine: the index knows the record; state writes not yet applied.
pub const SEGMENT_INDEXED: &str = "segment::indexed";
/// Segment engine: a new segment file exists (and its directory entry is durable), empty.
pub const SEGMENT_ROLLED: &str = "segment::rolled";
/// Segment engine: the index checkpoint was renamed into place.
pub const CHECKPOINT_WRITTEN: &str = "segment::checkpoint_written";
/// Sled engine: the log batch is applied to sled's tree, not yet flushed.
pub const SLED_WRITTEN: &str = "sled::written";
/// Sled engine: the log batch is applied and sled flushed (its data file not yet fsynced).
pub const SLED_FSYNCED: &str = "sled::fsynced";
/// Both engines: a stream snapshot was written to the state table, not yet flushed.
pub const SNAPSHOT_WRITTEN: &str = "state::snapshot_written";
/// Both engines: the state tables are flushed and fsynced (`make_durable` returned).
pub const STATE_FLUSHED: &str = "state::flushed";
/// The commit returned and every caller of the group was answered (sequencer; both engines).
pub const ACKED: &str = "commit::acked";

/// Every step, with the engines that reach it.
pub const ALL: &[(&str, &[&str])] = &[
    (BATCH_BUILT, &["segment", "sled"]),
    (SEGMENT_WRITTEN, &["segment"]),
    (SEGMENT_FSYNCED, &["segment"]),
    (SEGMENT_INDEXED, &["segment"]),
    (SEGMENT_ROLLED, &["segment"]),
    (CHECKPOINT_WRITTEN, &["segment"]),
    (SLED_WRITTEN, &["sled"]),
    (SLED_FSYNCED, &["sled"]),
    (SNAPSHOT_WRITTEN, &["segment", "sled"]),
    (STATE_FLUSHED, &["segment", "sled"]),
    (ACKED, &["segment", "sled"]),
];

/// Evaluate the failpoint `name`: nothing unless `FAILPOINTS` configured it.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    fail::eval(name, |_| kill_self());
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}

#[cfg(feature = "failpoints")]
fn kill_self() -> ! {
    tracing::warn!("failpoint: killing the process with SIGKILL");
    // SAFETY: kill(2) on our own pid; SIGKILL cannot be caught, so it does not return.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    std::process::abort()
}

/// Configure the failpoints named in `FAILPOINTS`; keep the guard for the process's life.
#[cfg(feature = "failpoints")]
pub fn setup() -> Option<fail::FailScenario<'static>> {
    Some(fail::FailScenario::setup())
}

#[cfg(not(feature = "failpoints"))]
pub fn setup() -> Option<()> {
    None
}
