//! Power-loss runs of both durable engines over the simulator (`sim_files`):
//! seeded commits (events, idempotency keys and state-table writes) until the
//! power goes out at a seeded operation, the cut applied (unsynced writes
//! forgotten, the last torn; sled's data file keeps a random subset of the
//! blocks written since its last sync), a start on what is left; every commit
//! that returned must be there, events and state alike. The control skips
//! `sync_data` in the same simulator and must lose commits that returned, or
//! the simulator proves nothing. Also: a failed `sync_data` fails the commit,
//! which nobody sees, and the sequencer exits on it without answering
//! (docs/DURABILITY.md).

use super::conformance::retry_lock;
use super::sim_files::SimFiles;
use super::{CommitBatch, EngineOptions, EventLog, SegmentLog, SledLog, StateStore, StateWrite};
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// Seeded runs of each kind (`AGORA_POWER_LOSS_RUNS` overrides: more offline).
const RUNS: u64 = 100;
const STREAMS: [&str; 3] = ["ch_a", "pc_b", "dm_c"];
const USERS: [&str; 3] = ["ann", "bob", "cy"];

fn runs() -> u64 {
    let seeds = seeds();
    seeds.end - seeds.start
}

/// The seeds to run: `0..RUNS` (`AGORA_POWER_LOSS_RUNS` overrides), or only `AGORA_POWER_LOSS_SEED` (to replay one).
fn seeds() -> std::ops::Range<u64> {
    match std::env::var("AGORA_POWER_LOSS_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => seed..seed + 1,
        None => 0..std::env::var("AGORA_POWER_LOSS_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(RUNS),
    }
}

/// Small segments, so cuts land around the start of a new segment too.
fn options() -> EngineOptions {
    EngineOptions { segment_bytes: 2048, ..Default::default() }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Engine {
    Segment,
    Sled,
}

trait Store: EventLog + StateStore {}
impl<T: EventLog + StateStore> Store for T {}

/// Open `engine` over the simulator; `None` if the power went out during the open.
fn open_on(engine: Engine, sim: &Arc<SimFiles>, dir: &Path) -> Option<Box<dyn Store>> {
    for _ in 0..300 {
        let files = Arc::new(sim.clone());
        let opened = match engine {
            Engine::Segment => SegmentLog::open_on(files, dir, &options()).map(|l| Box::new(l) as Box<dyn Store>),
            Engine::Sled => SledLog::open_on(files, dir, &options()).map(|l| Box::new(l) as Box<dyn Store>),
        };
        match opened {
            Ok(log) => return Some(log),
            // The previous run's sled is still closing.
            Err(super::EngineError::Sled(e)) if e.to_string().contains("could not acquire lock") => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Err(_) => return None,
        }
    }
    panic!("sled's lock was never released");
}

fn open_after_the_cut(engine: Engine, dir: &Path) -> Result<Box<dyn Store>, super::EngineError> {
    match engine {
        Engine::Segment => SegmentLog::open_with(dir, &options()).map(|l| Box::new(l) as Box<dyn Store>),
        Engine::Sled => SledLog::open_with(dir, &options()).map(|l| Box::new(l) as Box<dyn Store>),
    }
}

/// Wait until no process holds sled's lock on its data file: the store is
/// closed and sled's threads have stopped writing (the cut must come after).
fn wait_until_sled_closed(dir: &Path) {
    use std::os::fd::AsRawFd;
    let Ok(db) = std::fs::File::open(dir.join("sled/db")) else { return };
    for _ in 0..500 {
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        if unsafe { libc::flock(db.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // SAFETY: as above.
            unsafe { libc::flock(db.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("sled's lock was never released");
}

/// What one run acked, and how many of those events or state values the start after the cut lacked.
struct Outcome {
    acked: usize,
    lost: usize,
    states: usize,
    states_lost: usize,
}

fn event(stream: &str, seq: u64, rng: &mut StdRng) -> Event {
    let text: String = (0..rng.gen_range(1..200)).map(|_| rng.gen_range(b'a'..=b'z') as char).collect();
    Event {
        stream: stream.into(),
        seq: Seq(seq),
        at: 1000 + seq,
        author: "ann".into(),
        idem: rng.gen_bool(0.3).then(|| format!("k{seq}")),
        body: EventBody::MessagePosted { text, reply_to: None, mentions: vec![], attachments: vec![] },
    }
}

/// The state tables as the commits so far left them: one value per key (`None`: removed).
type Model = BTreeMap<String, Option<Vec<u8>>>;

/// A seeded state write, and what it does to the model. Some snapshots are
/// larger than sled's blob threshold (a quarter of its 512 KiB segment), so
/// sled writes them as blob files.
fn state_write(rng: &mut StdRng, model: &mut Model) -> StateWrite {
    let user = USERS[rng.gen_range(0..USERS.len())];
    let stream = STREAMS[rng.gen_range(0..STREAMS.len())];
    match rng.gen_range(0..10) {
        0..=2 => {
            let key = format!("marker/{user}/{stream}");
            let seq = rng.gen_range(1..1000u64);
            let old = model.get(&key).cloned().flatten().map(|v| u64::from_be_bytes(v.try_into().unwrap_or_default()));
            model.insert(key, Some(seq.max(old.unwrap_or(0)).to_be_bytes().to_vec()));
            StateWrite::ReadMarker { user: user.into(), stream: stream.into(), seq: Seq(seq) }
        }
        3..=5 => {
            let len = if rng.gen_bool(0.1) { rng.gen_range(140_000..200_000) } else { rng.gen_range(1..3000) };
            let state: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            model.insert(format!("snapshot/{stream}"), Some(state.clone()));
            StateWrite::Snapshot { stream: stream.into(), state }
        }
        6 => {
            let record = format!("{user}:{}", rng.gen::<u64>()).into_bytes();
            model.insert(format!("user/{user}"), Some(record.clone()));
            StateWrite::User { id: user.into(), record }
        }
        7 => {
            let hash = format!("h{}", rng.gen_range(0..5));
            model.insert(format!("token/{hash}"), Some(user.as_bytes().to_vec()));
            StateWrite::ApiToken { hash, user: user.into() }
        }
        8 => {
            let hash = format!("h{}", rng.gen_range(0..5));
            model.insert(format!("token/{hash}"), None);
            StateWrite::ApiTokenRemoved { hash }
        }
        _ => {
            let key = format!("s{}", rng.gen_range(0..5));
            let expires = rng.gen::<u64>() >> 1;
            model.insert(format!("revoked/{key}"), Some(expires.to_be_bytes().to_vec()));
            StateWrite::RevokedSession { key, expires }
        }
    }
}

/// The state tables as `store` holds them, in the model's keys.
fn stored_state(store: &dyn Store) -> Result<Model, super::EngineError> {
    let mut out = Model::new();
    for user in USERS {
        for stream in STREAMS {
            let seq = store.read_marker(&UserId::from(user), &StreamId::from(stream))?;
            if seq.0 > 0 {
                out.insert(format!("marker/{user}/{stream}"), Some(seq.0.to_be_bytes().to_vec()));
            }
        }
    }
    for stream in STREAMS {
        if let Some(state) = store.snapshot(&StreamId::from(stream))? {
            out.insert(format!("snapshot/{stream}"), Some(state));
        }
    }
    for record in store.users()? {
        let id = String::from_utf8_lossy(&record).split(':').next().unwrap_or_default().to_owned();
        out.insert(format!("user/{id}"), Some(record));
    }
    for (hash, user) in store.api_tokens()? {
        out.insert(format!("token/{hash}"), Some(user.0.into_bytes()));
    }
    for (key, expires) in store.revoked_sessions()? {
        out.insert(format!("revoked/{key}"), Some(expires.to_be_bytes().to_vec()));
    }
    Ok(out)
}

/// What the seeded commits acked before the power went out, and the state
/// tables after the last acked commit and after each write of the one that
/// failed (its writes are not atomic: any prefix of them may be on disk).
struct Acked {
    events: Vec<Event>,
    state: Model,
    in_flight: Vec<Model>,
}

/// Commit seeded batches through `sim` until a commit fails (the power went out).
fn commit_until_the_power_goes(engine: Engine, dir: &Path, sim: &Arc<SimFiles>, rng: &mut StdRng) -> Acked {
    let mut acked = Acked { events: Vec::new(), state: Model::new(), in_flight: Vec::new() };
    let Some(log) = open_on(engine, sim, dir) else { return acked };
    let mut heads: HashMap<&str, u64> = HashMap::new();
    for _ in 0..2000 {
        let mut batch = CommitBatch::default();
        let mut next = heads.clone();
        let mut state = acked.state.clone();
        let mut prefixes = Vec::new();
        for _ in 0..rng.gen_range(0..=4) {
            let stream = STREAMS[rng.gen_range(0..STREAMS.len())];
            let seq = next.entry(stream).or_insert(0);
            *seq += 1;
            let ev = event(stream, *seq, rng);
            if let Some(key) = &ev.idem {
                batch.idem.push((ev.stream.clone(), ev.author.clone(), key.clone(), ev.seq));
            }
            batch.events.push(ev);
        }
        if batch.events.is_empty() || rng.gen_bool(0.4) {
            for _ in 0..rng.gen_range(1..=3) {
                batch.state.push(state_write(rng, &mut state));
                prefixes.push(state.clone());
            }
        }
        match log.commit(&batch) {
            Ok(_) => {
                heads = next;
                acked.events.extend(batch.events);
                acked.state = state;
            }
            Err(_) => {
                acked.in_flight = prefixes;
                return acked;
            }
        }
    }
    panic!("the power never went out");
}

/// One seeded run: commit, cut the power, start again, compare.
fn run(engine: Engine, seed: u64, skip_sync: bool) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let cut_after = rng.gen_range(4..400);
    let sim = SimFiles::new(seed, Some(cut_after), skip_sync);
    let acked = commit_until_the_power_goes(engine, dir.path(), &sim, &mut rng);
    wait_until_sled_closed(dir.path());
    sim.power_loss().unwrap();
    sim.forget_untracked(dir.path()).unwrap();
    let all_lost = Outcome {
        acked: acked.events.len(),
        lost: acked.events.len(),
        states: acked.state.len(),
        states_lost: acked.state.len(),
    };
    // Without fsync sled may find garbage where its log was, and panic on it.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_after_the_cut(engine, dir.path())));
    let log = match opened {
        Ok(Ok(log)) => log,
        // Without fsync an older segment can be torn too: refusing to start loses everything acked.
        Ok(Err(_)) | Err(_) if skip_sync => return all_lost,
        Ok(Err(e)) => panic!("{engine:?} seed {seed}: the start after the power cut refused: {e}"),
        Err(_) => panic!("{engine:?} seed {seed}: the start after the power cut panicked"),
    };
    let mut lost = 0;
    for stream in STREAMS {
        let id = StreamId::from(stream);
        let stored = match log.read_range(&id, Seq(0), Seq(u64::MAX), usize::MAX) {
            Ok(events) => events,
            // The control's index checkpoint may name records the cut took: unreadable, so lost.
            Err(_) if skip_sync => {
                lost += acked.events.iter().filter(|e| e.stream == id).count();
                continue;
            }
            Err(e) => panic!("{engine:?} seed {seed}: reading {stream} after the power cut: {e}"),
        };
        let seqs: Vec<u64> = stored.iter().map(|e| e.seq.0).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{engine:?} seed {seed}: {stream} is gapless");
        for ev in acked.events.iter().filter(|e| e.stream == id) {
            if stored.get(ev.seq.0 as usize - 1) != Some(ev) {
                lost += 1;
            }
        }
        // Idempotency keys of acked events survive with them.
        for ev in acked.events.iter().filter(|e| e.stream == id && e.idem.is_some()) {
            let key = ev.idem.as_deref().unwrap_or_default();
            if (ev.seq.0 as usize) <= stored.len() {
                let found = log.idem_get(&id, &ev.author, key).unwrap();
                assert_eq!(found, Some(ev.seq), "{engine:?} seed {seed}: key {key}");
            }
        }
    }
    // Every state value is the last acked commit's, or one the failed commit
    // wrote (it may have reached the disk, in part: its writes are not atomic).
    let stored = match stored_state(&*log) {
        Ok(stored) => stored,
        Err(_) if skip_sync => Model::new(),
        Err(e) => panic!("{engine:?} seed {seed}: reading the state tables after the power cut: {e}"),
    };
    let mut states_lost = 0;
    let mut keys: std::collections::BTreeSet<&String> = acked.state.keys().chain(stored.keys()).collect();
    keys.extend(acked.in_flight.iter().flat_map(|m| m.keys()));
    for key in keys {
        let now = stored.get(key).cloned().flatten();
        let before = acked.state.get(key).cloned().flatten();
        if now != before && !acked.in_flight.iter().any(|m| m.get(key).cloned().flatten() == now) {
            let show = |v: &Option<Vec<u8>>| v.as_ref().map(|v| (v.len(), v[..v.len().min(8)].to_vec()));
            assert!(
                skip_sync,
                "{engine:?} seed {seed}: state {key} is neither the acked value nor one the failed commit wrote: \
                 stored {:?}, acked {:?}",
                show(&now),
                show(&before),
            );
            states_lost += 1;
        }
    }
    Outcome { acked: acked.events.len(), lost, states: acked.state.len(), states_lost }
}

fn no_acked_event_or_state_is_lost(engine: Engine) {
    let (mut acked, mut states) = (0, 0);
    for seed in seeds() {
        let out = run(engine, seed, false);
        assert_eq!(out.lost, 0, "{engine:?} seed {seed}: {} of {} acked events lost", out.lost, out.acked);
        assert_eq!(out.states_lost, 0, "{engine:?} seed {seed}: state values lost");
        acked += out.acked;
        states += out.states;
    }
    eprintln!("{engine:?} power loss: {} runs, {acked} acked events, {states} acked state values, none lost", runs());
    assert!(acked > 10 * runs() as usize, "only {acked} events acked: the runs proved little");
}

#[test]
fn no_acked_event_is_lost_to_a_power_cut_at_any_operation() {
    no_acked_event_or_state_is_lost(Engine::Segment);
}

#[test]
fn no_acked_event_is_lost_to_a_power_cut_at_any_operation_on_the_sled_engine() {
    no_acked_event_or_state_is_lost(Engine::Sled);
}

fn the_control_loses(engine: Engine) {
    let (mut acked, mut lost, mut runs_with_loss, mut states, mut states_lost) = (0, 0, 0, 0, 0);
    for seed in seeds() {
        let out = run(engine, seed, true);
        acked += out.acked;
        lost += out.lost;
        states += out.states;
        states_lost += out.states_lost;
        runs_with_loss += u64::from(out.lost + out.states_lost > 0);
    }
    eprintln!(
        "{engine:?} control: {} runs, {acked} acked events, {lost} lost; {states} acked state values, \
         {states_lost} lost; loss in {runs_with_loss} runs",
        runs()
    );
    assert!(runs_with_loss * 2 > runs(), "the control lost acked data in only {runs_with_loss} runs");
    assert!(states_lost > 0, "the control lost no state value: the state tables are not simulated");
}

#[test]
fn the_control_without_fsync_loses_acked_events_in_the_same_simulator() {
    the_control_loses(Engine::Segment);
}

#[test]
fn the_control_without_fsync_loses_acked_events_in_the_same_simulator_on_the_sled_engine() {
    the_control_loses(Engine::Sled);
}

#[test]
fn a_failed_fsync_fails_the_commit_and_nobody_sees_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimFiles::new(1, None, false);
    let log = retry_lock(|| SegmentLog::open_on(Arc::new(sim.clone()), dir.path(), &options()));
    let mut rng = StdRng::seed_from_u64(1);
    let first = CommitBatch { events: vec![event("ch_a", 1, &mut rng)], ..Default::default() };
    log.commit(&first).unwrap();
    sim.fail_syncs();
    let second = CommitBatch { events: vec![event("ch_a", 2, &mut rng)], ..Default::default() };
    let err = log.commit(&second).expect_err("a commit whose fsync failed must fail");
    assert!(err.to_string().contains("I/O") || err.to_string().contains("io"), "{err}");
    assert_eq!(log.head(&"ch_a".into()).unwrap(), Seq(1), "the unsynced event is not served");
    assert_eq!(log.read_range(&"ch_a".into(), Seq(0), Seq(9), 9).unwrap(), first.events);
}

/// The child half of the test below: a sequencer over the segment engine on the
/// simulator, whose fsyncs start failing after one acked append. Does nothing
/// unless `AGORA_FSYNC_CHILD` names a data directory.
#[test]
fn failed_fsync_child() {
    use crate::hub::Hub;
    use crate::metrics::Metrics;
    use crate::registry::Registry;
    use crate::sequencer::{GroupPolicy, Sequencer};
    use crate::streams::{Action, Actor};
    use agora_protocol::ops::Role;
    use agora_protocol::StreamKind;
    let Ok(dir) = std::env::var("AGORA_FSYNC_CHILD") else { return };
    let sim = SimFiles::new(1, None, false);
    let log = Arc::new(SegmentLog::open_on(Arc::new(sim.clone()), Path::new(&dir), &options()).unwrap());
    let metrics = Arc::new(Metrics::new());
    let hub = Arc::new(Hub::new(metrics.clone()));
    let (seq, _thread) = Sequencer::start(
        log,
        Arc::new(Registry::default()),
        hub,
        metrics,
        GroupPolicy::eager(16),
        Arc::new(crate::clock::Clock::system()),
        Arc::new(crate::projections::Projections::default()),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ann = Actor { id: "ann".into(), role: Role::Member };
        let stream = StreamId::from("ch_fsync");
        let create = Action::Create {
            kind: StreamKind::Channel,
            name: "f".into(),
            topic: String::new(),
            members: vec!["ann".into()],
        };
        let created = seq.append(stream.clone(), ann.clone(), create, None).await;
        println!("answered create: {:?}", created.map(|a| a.seq));
        sim.fail_syncs();
        let post = Action::Post { text: "never acked".into(), reply_to: None, mentions: vec![], attachments: vec![] };
        let posted = seq.append(stream, ann, post, None).await;
        println!("answered post: {:?}", posted.map(|a| a.seq));
    });
}

#[test]
fn a_failed_fsync_exits_70_without_answering_the_append() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "engine::power_loss::failed_fsync_child", "--nocapture", "--test-threads=1"])
        .env("AGORA_FSYNC_CHILD", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("answered create: Ok(Seq(1))"), "the first append is acked: {stdout}");
    assert!(!stdout.contains("answered post"), "an append whose fsync failed was answered: {stdout}");
    assert_eq!(out.status.code(), Some(70), "exit status; stdout: {stdout}");
}
