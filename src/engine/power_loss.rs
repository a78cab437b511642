//! Power-loss runs of the segment engine over the simulator (`sim_files`):
//! seeded commits until the power goes out at a seeded operation, the cut
//! applied (unsynced writes forgotten, the last torn), a start on what is left;
//! every commit that returned must be there. The control skips `sync_data` in
//! the same simulator and must lose commits that returned, or the simulator
//! proves nothing. Also: a failed `sync_data` fails the commit, which nobody
//! sees, and the sequencer exits on it without answering (docs/DURABILITY.md).

use super::conformance::retry_lock;
use super::sim_files::SimFiles;
use super::{CommitBatch, EngineOptions, EventLog, SegmentLog};
use agora_protocol::{Event, EventBody, Seq, StreamId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Seeded runs of each kind (`AGORA_POWER_LOSS_RUNS` overrides: more offline).
const RUNS: u64 = 100;
const STREAMS: [&str; 3] = ["ch_a", "pc_b", "dm_c"];

fn runs() -> u64 {
    std::env::var("AGORA_POWER_LOSS_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(RUNS)
}

/// Small segments, so cuts land around the start of a new segment too.
fn options() -> EngineOptions {
    EngineOptions { segment_bytes: 2048, ..Default::default() }
}

/// What one run acked, and how many of those events the start after the cut lacked.
struct Outcome {
    acked: usize,
    lost: usize,
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

/// Commit seeded batches through `sim` until a commit fails (the power went out).
fn commit_until_the_power_goes(dir: &Path, sim: &Arc<SimFiles>, rng: &mut StdRng) -> Vec<Event> {
    let log = retry_lock(|| SegmentLog::open_on(Arc::new(sim.clone()), dir, &options()));
    let mut heads: HashMap<&str, u64> = HashMap::new();
    let mut acked = Vec::new();
    for _ in 0..2000 {
        let mut batch = CommitBatch::default();
        let mut next = heads.clone();
        for _ in 0..rng.gen_range(1..=4) {
            let stream = STREAMS[rng.gen_range(0..STREAMS.len())];
            let seq = next.entry(stream).or_insert(0);
            *seq += 1;
            let ev = event(stream, *seq, rng);
            if let Some(key) = &ev.idem {
                batch.idem.push((ev.stream.clone(), ev.author.clone(), key.clone(), ev.seq));
            }
            batch.events.push(ev);
        }
        match log.commit(&batch) {
            Ok(_) => {
                heads = next;
                acked.extend(batch.events);
            }
            Err(_) => return acked,
        }
    }
    panic!("the power never went out");
}

/// One seeded run: commit, cut the power, start again, compare.
fn run(seed: u64, skip_sync: bool) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let cut_after = rng.gen_range(4..400);
    let sim = SimFiles::new(seed, Some(cut_after), skip_sync);
    let acked = commit_until_the_power_goes(dir.path(), &sim, &mut rng);
    sim.power_loss().unwrap();
    let log = match SegmentLog::open_with(dir.path(), &options()) {
        Ok(log) => log,
        // Without fsync an older segment can be torn too: refusing to start loses everything acked.
        Err(_) if skip_sync => return Outcome { acked: acked.len(), lost: acked.len() },
        Err(e) => panic!("seed {seed}: the start after the power cut refused: {e}"),
    };
    let mut lost = 0;
    for stream in STREAMS {
        let id = StreamId::from(stream);
        let stored = match log.read_range(&id, Seq(0), Seq(u64::MAX), usize::MAX) {
            Ok(events) => events,
            // The control's index checkpoint may name records the cut took: unreadable, so lost.
            Err(_) if skip_sync => {
                lost += acked.iter().filter(|e| e.stream == id).count();
                continue;
            }
            Err(e) => panic!("seed {seed}: reading {stream} after the power cut: {e}"),
        };
        let seqs: Vec<u64> = stored.iter().map(|e| e.seq.0).collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "seed {seed}: {stream} is gapless");
        for ev in acked.iter().filter(|e| e.stream == id) {
            if stored.get(ev.seq.0 as usize - 1) != Some(ev) {
                lost += 1;
            }
        }
        // Idempotency keys of acked events survive with them.
        for ev in acked.iter().filter(|e| e.stream == id && e.idem.is_some()) {
            let key = ev.idem.as_deref().unwrap_or_default();
            if (ev.seq.0 as usize) <= stored.len() {
                assert_eq!(log.idem_get(&id, &ev.author, key).unwrap(), Some(ev.seq), "seed {seed}: key {key}");
            }
        }
    }
    Outcome { acked: acked.len(), lost }
}

#[test]
fn no_acked_event_is_lost_to_a_power_cut_at_any_operation() {
    let (mut acked, mut runs_with_loss) = (0, 0);
    for seed in 0..runs() {
        let out = run(seed, false);
        assert_eq!(out.lost, 0, "seed {seed}: {} of {} acked events lost", out.lost, out.acked);
        acked += out.acked;
        runs_with_loss += usize::from(out.lost > 0);
    }
    eprintln!("power loss: {} runs, {acked} acked events, {runs_with_loss} runs lost any", runs());
    assert!(acked > 10 * runs() as usize, "only {acked} events acked: the runs proved little");
}

#[test]
fn the_control_without_fsync_loses_acked_events_in_the_same_simulator() {
    let (mut acked, mut lost, mut runs_with_loss) = (0, 0, 0);
    for seed in 0..runs() {
        let out = run(seed, true);
        acked += out.acked;
        lost += out.lost;
        runs_with_loss += u64::from(out.lost > 0);
    }
    eprintln!("control: {} runs, {acked} acked events, {lost} lost, in {runs_with_loss} runs", runs());
    assert!(runs_with_loss * 2 > runs(), "the control lost acked events in only {runs_with_loss} runs");
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
