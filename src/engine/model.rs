//! Model-based property test of the engines: random sequences of appends (with
//! idempotency keys), deletions (a tombstone rewrite plus a `message_deleted`
//! append), reads (range, before, get, idempotency) and restarts, checked
//! step by step against a plain model, a list of commits folded into
//! `BTreeMap`s. For the segment engine a step can also be a crash: the newest
//! segment is cut at a random byte, and the model forgets exactly the commits
//! whose records no longer end inside the file.
//!
//! What does not live here: the contract's fixed cases (`conformance`), and
//! crashes of a real process (tests/crash.rs).

use super::conformance::retry_lock;
use super::segment_log::decode_position;
use super::segments::segment_path;
use super::{CommitBatch, Engine, MemoryEngine, SegmentLog, SledLog};
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use proptest::prelude::*;
use std::collections::BTreeMap;

const STREAMS: [&str; 3] = ["ch_a", "ch_b", "dm_c"];
/// Small segments, so runs cross segment ends and crashes cut different files.
const SEGMENT_BYTES: u64 = 1500;

#[derive(Clone, Debug)]
enum Step {
    /// `n` new messages in `stream`, the first with a new idempotency key if `idem`.
    Append {
        stream: usize,
        n: u64,
        idem: bool,
    },
    /// Delete the `pick`-th (mod count) message still posted in `stream`.
    Delete {
        stream: usize,
        pick: usize,
    },
    Range {
        stream: usize,
        after: u64,
        upto: u64,
        limit: usize,
    },
    Before {
        stream: usize,
        before: u64,
        limit: usize,
    },
    Get {
        stream: usize,
        seq: u64,
    },
    /// Look up the `key`-th (mod count) key ever used, or one never used.
    Idem {
        stream: usize,
        key: usize,
    },
    Reopen,
    /// Cut the newest segment at this fraction (of `u16::MAX`) of its length, then reopen.
    Crash {
        at: u16,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let s = 0..STREAMS.len();
    prop_oneof![
        6 => (s.clone(), 1..4u64, any::<bool>()).prop_map(|(stream, n, idem)| Step::Append { stream, n, idem }),
        2 => (s.clone(), any::<usize>()).prop_map(|(stream, pick)| Step::Delete { stream, pick }),
        2 => (s.clone(), 0..20u64, 0..20u64, 1..8usize)
            .prop_map(|(stream, after, upto, limit)| Step::Range { stream, after, upto, limit }),
        2 => (s.clone(), 0..22u64, 1..8usize).prop_map(|(stream, before, limit)| Step::Before { stream, before, limit }),
        1 => (s.clone(), 0..20u64).prop_map(|(stream, seq)| Step::Get { stream, seq }),
        1 => (s, any::<usize>()).prop_map(|(stream, key)| Step::Idem { stream, key }),
        1 => Just(Step::Reopen),
        1 => any::<u16>().prop_map(|at| Step::Crash { at }),
    ]
}

/// One acknowledged commit as the model remembers it.
struct ModelCommit {
    batch: CommitBatch,
    /// Where its record ends (segment engine): (segment, byte offset).
    end: Option<(u32, u64)>,
}

/// The model: the acknowledged commits, folded on demand.
#[derive(Default)]
struct Model {
    commits: Vec<ModelCommit>,
    keys_used: u64,
}

#[derive(Default)]
struct Folded {
    streams: BTreeMap<StreamId, BTreeMap<Seq, Event>>,
    idem: BTreeMap<(StreamId, String), Seq>,
}

impl Model {
    fn fold(&self) -> Folded {
        let mut f = Folded::default();
        for c in &self.commits {
            for ev in c.batch.events.iter().chain(&c.batch.rewrites) {
                f.streams.entry(ev.stream.clone()).or_default().insert(ev.seq, ev.clone());
            }
            for (stream, _, key, seq) in &c.batch.idem {
                f.idem.insert((stream.clone(), key.clone()), *seq);
            }
        }
        f
    }
}

impl Folded {
    fn head(&self, s: &StreamId) -> Seq {
        self.streams.get(s).and_then(|m| m.keys().next_back().copied()).unwrap_or_default()
    }
    fn range(&self, s: &StreamId, after: Seq, upto: Seq, limit: usize) -> Vec<Event> {
        if after >= upto {
            return Vec::new();
        }
        let Some(m) = self.streams.get(s) else { return Vec::new() };
        m.range(after.next()..=upto).take(limit).map(|(_, e)| e.clone()).collect()
    }
    fn before(&self, s: &StreamId, before: Seq, limit: usize) -> Vec<Event> {
        let Some(m) = self.streams.get(s) else { return Vec::new() };
        let mut v: Vec<Event> = m.range(..before).rev().take(limit).map(|(_, e)| e.clone()).collect();
        v.reverse();
        v
    }
}

fn message(stream: &StreamId, seq: Seq, n: usize) -> Event {
    Event {
        stream: stream.clone(),
        seq,
        at: 1_000 + seq.0,
        author: "ann".into(),
        idem: None,
        body: EventBody::MessagePosted {
            text: format!("{stream} {seq} of commit {n}"),
            reply_to: None,
            mentions: vec![],
            attachments: vec![],
        },
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Memory,
    Segment,
    Sled,
}

/// The engine under test, reopened as a restart would.
struct Subject {
    kind: Kind,
    dir: tempfile::TempDir,
    memory: MemoryEngine,
    engine: Option<Box<dyn Engine>>,
}

impl Subject {
    fn new(kind: Kind) -> Subject {
        let mut s = Subject { kind, dir: tempfile::tempdir().unwrap(), memory: MemoryEngine::new(), engine: None };
        s.reopen();
        s
    }
    fn reopen(&mut self) {
        self.engine = None;
        let path = self.dir.path();
        self.engine = Some(match self.kind {
            Kind::Memory => Box::new(self.memory.reopen()),
            Kind::Segment => Box::new(retry_lock(|| SegmentLog::open(path, SEGMENT_BYTES))),
            Kind::Sled => Box::new(retry_lock(|| SledLog::open(path))),
        });
    }
    fn e(&self) -> &dyn Engine {
        self.engine.as_deref().expect("open")
    }
}

fn check_all(e: &dyn Engine, f: &Folded) -> Result<(), TestCaseError> {
    let mut streams = e.streams().unwrap();
    streams.sort();
    prop_assert_eq!(streams, f.streams.keys().cloned().collect::<Vec<_>>());
    for (s, events) in &f.streams {
        prop_assert_eq!(e.head(s).unwrap(), f.head(s));
        prop_assert_eq!(
            e.read_range(s, Seq(0), Seq(u64::MAX), usize::MAX).unwrap(),
            events.values().cloned().collect::<Vec<_>>()
        );
    }
    for ((s, key), seq) in &f.idem {
        prop_assert_eq!(e.idem_get(s, &UserId::from("ann"), key).unwrap(), Some(*seq));
    }
    Ok(())
}

fn run(kind: Kind, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut subject = Subject::new(kind);
    let mut model = Model::default();
    for step in steps {
        let f = model.fold();
        let e = subject.e();
        match step {
            Step::Append { stream, n, idem } => {
                let s = StreamId::from(STREAMS[stream]);
                let head = f.head(&s);
                let mut batch = CommitBatch::default();
                for i in 1..=n {
                    batch.events.push(message(&s, Seq(head.0 + i), model.commits.len()));
                }
                if idem {
                    model.keys_used += 1;
                    let key = format!("k{}", model.keys_used);
                    batch.events[0].idem = Some(key.clone());
                    batch.idem.push((s.clone(), "ann".into(), key, batch.events[0].seq));
                }
                let done = e.commit(&batch).unwrap();
                prop_assert_eq!(done.heads, vec![(s, Seq(head.0 + n))]);
                let end = match kind {
                    Kind::Segment => Some(decode_position(done.position.expect("a commit with events has a position"))),
                    _ => None,
                };
                model.commits.push(ModelCommit { batch, end });
            }
            Step::Delete { stream, pick } => {
                let s = StreamId::from(STREAMS[stream]);
                let posted: Vec<&Event> = f
                    .streams
                    .get(&s)
                    .map(|m| m.values().filter(|e| matches!(e.body, EventBody::MessagePosted { .. })).collect())
                    .unwrap_or_default();
                if posted.is_empty() {
                    continue;
                }
                let target = posted[pick % posted.len()];
                let deleted = f.head(&s).next();
                let mut del = message(&s, deleted, model.commits.len());
                del.body = EventBody::MessageDeleted { target: target.seq };
                let mut tomb = target.clone();
                tomb.body = EventBody::Tombstone { deleted_by: deleted };
                let batch = CommitBatch { events: vec![del], rewrites: vec![tomb], ..Default::default() };
                let done = e.commit(&batch).unwrap();
                let end = match kind {
                    Kind::Segment => Some(decode_position(done.position.expect("a position"))),
                    _ => None,
                };
                model.commits.push(ModelCommit { batch, end });
            }
            Step::Range { stream, after, upto, limit } => {
                let s = StreamId::from(STREAMS[stream]);
                prop_assert_eq!(
                    e.read_range(&s, Seq(after), Seq(upto), limit).unwrap(),
                    f.range(&s, Seq(after), Seq(upto), limit)
                );
            }
            Step::Before { stream, before, limit } => {
                let s = StreamId::from(STREAMS[stream]);
                prop_assert_eq!(e.read_before(&s, Seq(before), limit).unwrap(), f.before(&s, Seq(before), limit));
            }
            Step::Get { stream, seq } => {
                let s = StreamId::from(STREAMS[stream]);
                prop_assert_eq!(
                    e.get(&s, Seq(seq)).unwrap(),
                    f.streams.get(&s).and_then(|m| m.get(&Seq(seq))).cloned()
                );
            }
            Step::Idem { stream, key } => {
                let s = StreamId::from(STREAMS[stream]);
                let key = format!("k{}", key as u64 % (model.keys_used + 2));
                let want = f.idem.get(&(s.clone(), key.clone())).copied();
                prop_assert_eq!(e.idem_get(&s, &"ann".into(), &key).unwrap(), want);
            }
            Step::Reopen => {
                subject.reopen();
                check_all(subject.e(), &f)?;
            }
            Step::Crash { at } => {
                let Kind::Segment = kind else { continue };
                subject.engine = None;
                let log = subject.dir.path().join("log");
                let newest = (1..).take_while(|&n| segment_path(&log, n).exists()).last().unwrap_or(1);
                let path = segment_path(&log, newest);
                let len = std::fs::metadata(&path).unwrap().len();
                let cut = len * u64::from(at) / u64::from(u16::MAX);
                std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(cut).unwrap();
                // Commits whose record ended past the cut are gone (they were the newest).
                model.commits.retain(|c| c.end.is_none_or(|(seg, end)| seg != newest || end <= cut));
                subject.reopen();
                check_all(subject.e(), &model.fold())?;
            }
        }
    }
    subject.reopen();
    check_all(subject.e(), &model.fold())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_memory_engine_matches_the_model(steps in proptest::collection::vec(step(), 1..40)) {
        run(Kind::Memory, steps)?;
    }

    #[test]
    fn the_segment_engine_matches_the_model_through_restarts_and_crashes(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        run(Kind::Segment, steps)?;
    }
}

proptest! {
    // sled's open is slower: fewer cases.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_sled_engine_matches_the_model_through_restarts(steps in proptest::collection::vec(step(), 1..30)) {
        run(Kind::Sled, steps)?;
    }
}
