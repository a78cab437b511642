//! The engine conformance suite: the contract of `EventLog` and `StateStore`
//! written once as tests, and run over every engine (see the `conformance!`
//! invocations at the bottom: memory, segment, sled).
//!
//! Each test gets a [`Store`], which opens the same data again after the
//! previous handle is dropped (a restart). The durability contract that a
//! process cannot check from inside (a commit survives `kill -9` and power loss)
//! is tests/crash.rs's job; here: what a commit returned is there after a
//! reopen, and a refused commit leaves nothing behind.

use super::{CommitBatch, Engine, EngineError, FollowedCommit, LogPosition, StateWrite, IDEM_RETENTION};
use agora_protocol::{Event, EventBody, Seq, StreamId};
use std::time::Duration;

/// Opens one store, again and again.
pub trait Store {
    /// Open the store (the previous handle, if any, has been dropped) with
    /// idempotency keys honoured for `retention`.
    fn open_retaining(&mut self, retention: Duration) -> Box<dyn Engine>;
    /// Open the store with the default options.
    fn open(&mut self) -> Box<dyn Engine> {
        self.open_retaining(IDEM_RETENTION)
    }
}

/// Retry `open` while a just-dropped sled database's background threads still
/// hold its file lock for a moment.
pub fn retry_lock<T>(mut open: impl FnMut() -> Result<T, EngineError>) -> T {
    for _ in 0..300 {
        match open() {
            Err(EngineError::Sled(e)) if e.to_string().contains("could not acquire lock") => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            r => return r.unwrap(),
        }
    }
    panic!("sled's lock was never released");
}

pub fn ev(stream: &str, seq: u64, text: &str) -> Event {
    Event {
        stream: stream.into(),
        seq: Seq(seq),
        at: 1000 + seq,
        author: "ann".into(),
        idem: None,
        body: EventBody::MessagePosted { text: text.into(), reply_to: None, mentions: vec![], attachments: vec![] },
    }
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq.0).collect()
}

fn events(v: Vec<Event>) -> CommitBatch {
    CommitBatch { events: v, ..Default::default() }
}

fn sorted(mut v: Vec<StreamId>) -> Vec<StreamId> {
    v.sort();
    v
}

pub fn append_read_range_before_get_head_streams(s: &mut dyn Store) {
    let e = s.open();
    let a = StreamId::from("ch_a");
    assert_eq!(e.head(&a).unwrap(), Seq(0));
    assert!(e.streams().unwrap().is_empty());
    assert!(e.read_range(&a, Seq(0), Seq(10), 10).unwrap().is_empty());
    let mut b = events((1..=5).map(|q| ev("ch_a", q, &format!("a{q}"))).collect());
    b.events.push(ev("ch_b", 1, "b1"));
    e.commit(&b).unwrap();
    e.commit(&events(vec![ev("ch_a", 6, "a6")])).unwrap();
    assert_eq!(e.head(&a).unwrap(), Seq(6));
    assert_eq!(e.head(&"ch_b".into()).unwrap(), Seq(1));
    assert_eq!(sorted(e.streams().unwrap()), vec![a.clone(), "ch_b".into()]);
    assert_eq!(seqs(&e.read_range(&a, Seq(1), Seq(4), 10).unwrap()), vec![2, 3, 4]);
    assert_eq!(seqs(&e.read_range(&a, Seq(0), Seq(99), 3).unwrap()), vec![1, 2, 3], "limit");
    assert_eq!(seqs(&e.read_range(&a, Seq(6), Seq(99), 3).unwrap()), Vec::<u64>::new());
    assert_eq!(seqs(&e.read_range(&a, Seq(4), Seq(2), 3).unwrap()), Vec::<u64>::new());
    assert_eq!(seqs(&e.read_before(&a, Seq(5), 2).unwrap()), vec![3, 4]);
    assert_eq!(seqs(&e.read_before(&a, Seq(99), 2).unwrap()), vec![5, 6]);
    assert_eq!(seqs(&e.read_before(&a, Seq(1), 2).unwrap()), Vec::<u64>::new());
    assert_eq!(e.get(&a, Seq(4)).unwrap(), Some(ev("ch_a", 4, "a4")));
    assert_eq!(e.get(&a, Seq(0)).unwrap(), None);
    assert_eq!(e.get(&a, Seq(7)).unwrap(), None);
    assert_eq!(e.get(&"ch_zz".into(), Seq(1)).unwrap(), None);
    assert_eq!(
        e.read_range(&a, Seq(0), Seq(6), 10).unwrap(),
        (1..=6).map(|q| ev("ch_a", q, &format!("a{q}"))).collect::<Vec<_>>()
    );
}

pub fn a_batch_that_would_leave_a_gap_is_refused_whole(s: &mut dyn Store) {
    let e = s.open();
    e.commit(&events(vec![ev("ch_a", 1, "a1")])).unwrap();
    let mut bad = events(vec![ev("ch_b", 1, "b1"), ev("ch_a", 3, "a3")]);
    bad.idem.push(("ch_b".into(), "ann".into(), "k".into(), Seq(1)));
    assert_eq!(bad.expected_heads(), vec![("ch_b".into(), Seq(0)), ("ch_a".into(), Seq(2))]);
    match e.commit(&bad) {
        Err(EngineError::Conflict { stream, expected, actual }) => {
            assert_eq!((stream, expected, actual), ("ch_a".into(), Seq(2), Seq(1)))
        }
        other => panic!("a gap must be a conflict: {other:?}"),
    }
    let tomb = Event { body: EventBody::Tombstone { deleted_by: Seq(1) }, ..ev("ch_a", 2, "") };
    let bad_rewrite = CommitBatch { rewrites: vec![tomb], ..Default::default() };
    assert!(e.commit(&bad_rewrite).is_err(), "a rewrite of an event that does not exist");
    assert!(e.commit(&events(vec![ev("ch_c", 0, "zero")])).is_err(), "seq 0 does not exist");
    let check = |e: &dyn Engine| {
        assert_eq!(e.head(&"ch_a".into()).unwrap(), Seq(1));
        assert_eq!(e.head(&"ch_b".into()).unwrap(), Seq(0), "nothing of the refused batch was stored");
        assert_eq!(e.idem_get(&"ch_b".into(), &"ann".into(), "k").unwrap(), None);
    };
    check(&*e);
    drop(e);
    check(&*s.open());
}

pub fn idempotency_keys_are_found_in_their_stream_for_their_author(s: &mut dyn Store) {
    {
        let e = s.open();
        let mut b = events(vec![ev("ch_a", 1, "a1"), ev("ch_a", 2, "a2")]);
        b.idem.push(("ch_a".into(), "ann".into(), "k1".into(), Seq(2)));
        e.commit(&b).unwrap();
    }
    let e = s.open();
    let a = StreamId::from("ch_a");
    assert_eq!(e.idem_get(&a, &"ann".into(), "k1").unwrap(), Some(Seq(2)));
    assert_eq!(e.idem_get(&a, &"bob".into(), "k1").unwrap(), None);
    assert_eq!(e.idem_get(&"ch_b".into(), &"ann".into(), "k1").unwrap(), None);
    assert_eq!(e.idem_get(&a, &"ann".into(), "k2").unwrap(), None);
}

pub fn a_tombstone_replaces_its_event_in_place_and_stays_after_a_restart(s: &mut dyn Store) {
    let tomb = Event { body: EventBody::Tombstone { deleted_by: Seq(3) }, ..ev("ch_a", 1, "") };
    {
        let e = s.open();
        e.commit(&events(vec![ev("ch_a", 1, "secret"), ev("ch_a", 2, "a2")])).unwrap();
        let deleted = Event { body: EventBody::MessageDeleted { target: Seq(1) }, ..ev("ch_a", 3, "") };
        e.commit(&CommitBatch { events: vec![deleted], rewrites: vec![tomb.clone()], ..Default::default() }).unwrap();
        assert_eq!(e.get(&"ch_a".into(), Seq(1)).unwrap(), Some(tomb.clone()));
        assert_eq!(e.head(&"ch_a".into()).unwrap(), Seq(3), "a rewrite does not move the head");
    }
    let e = s.open();
    let all = e.read_range(&"ch_a".into(), Seq(0), Seq(9), 9).unwrap();
    assert_eq!(seqs(&all), vec![1, 2, 3]);
    assert_eq!(all[0], tomb, "the deleted text is never served again");
}

pub fn state_is_typed_read_markers_only_advance_and_all_of_it_survives_a_restart(s: &mut dyn Store) {
    let (ann, a) = ("ann".into(), StreamId::from("ch_a"));
    let epoch;
    {
        let e = s.open();
        epoch = e.epoch();
        assert_eq!(e.read_marker(&ann, &a).unwrap(), Seq(0));
        assert_eq!(e.snapshot(&a).unwrap(), None);
        assert_eq!(e.jwt_secret().unwrap(), None);
        let state = vec![
            StateWrite::ReadMarker { user: ann.clone(), stream: a.clone(), seq: Seq(5) },
            StateWrite::ReadMarker { user: "bob".into(), stream: a.clone(), seq: Seq(2) },
            StateWrite::Snapshot { stream: a.clone(), state: b"old".to_vec() },
            StateWrite::Snapshot { stream: a.clone(), state: b"new".to_vec() },
            StateWrite::User { id: ann.clone(), record: b"ann's record".to_vec() },
            StateWrite::User { id: "bob".into(), record: b"bob's record".to_vec() },
            StateWrite::ApiToken { hash: "00ff".into(), user: "bob".into() },
            StateWrite::JwtSecret(b"secret".to_vec()),
        ];
        e.commit(&CommitBatch { state, ..Default::default() }).unwrap();
        // A lower marker, in a later commit and within one, leaves it where it is.
        let lower = StateWrite::ReadMarker { user: ann.clone(), stream: a.clone(), seq: Seq(3) };
        e.commit(&CommitBatch { state: vec![lower], ..Default::default() }).unwrap();
        assert_eq!(e.read_marker(&ann, &a).unwrap(), Seq(5));
    }
    let e = s.open();
    assert_eq!(e.epoch(), epoch, "the epoch is fixed when the store is created");
    assert_eq!(e.read_marker(&ann, &a).unwrap(), Seq(5));
    assert_eq!(e.read_marker(&"bob".into(), &a).unwrap(), Seq(2));
    assert_eq!(e.read_marker(&ann, &"ch_b".into()).unwrap(), Seq(0));
    assert_eq!(e.snapshot(&a).unwrap(), Some(b"new".to_vec()));
    let mut users = e.users().unwrap();
    users.sort();
    assert_eq!(users, vec![b"ann's record".to_vec(), b"bob's record".to_vec()]);
    assert_eq!(e.api_tokens().unwrap(), vec![("00ff".to_owned(), "bob".into())]);
    assert_eq!(e.jwt_secret().unwrap(), Some(b"secret".to_vec()));
}

pub fn every_returned_commit_is_there_after_restarts_and_appending_goes_on(s: &mut dyn Store) {
    let mut want: Vec<Event> = Vec::new();
    for round in 0..4u64 {
        let e = s.open();
        assert_eq!(e.read_range(&"ch_a".into(), Seq(0), Seq(u64::MAX), usize::MAX).unwrap(), want);
        for c in 0..30u64 {
            let q = want.len() as u64 + 1;
            // Now and then a long event, so segment files fill and roll over.
            let text = if c % 7 == 0 { "x".repeat(3000) } else { format!("r{round}c{c}") };
            let mut b = events(vec![ev("ch_a", q, &text)]);
            b.events.push(ev("ch_b", round * 30 + c + 1, "b"));
            e.commit(&b).unwrap();
            want.push(b.events[0].clone());
        }
    }
    let e = s.open();
    assert_eq!(e.head(&"ch_b".into()).unwrap(), Seq(120));
    assert_eq!(e.read_range(&"ch_a".into(), Seq(50), Seq(60), 100).unwrap(), want[50..60].to_vec());
    assert_eq!(e.read_before(&"ch_a".into(), Seq(121), 7).unwrap(), want[113..].to_vec());
}

pub fn two_writers_cannot_both_take_the_same_seq(s: &mut dyn Store) {
    let e = s.open();
    e.commit(&events(vec![ev("ch_a", 1, "a1")])).unwrap();
    // Both writers saw head 1 and want seq 2: the first wins, the second is refused.
    let receipt = e.commit(&events(vec![ev("ch_a", 2, "first"), ev("ch_a", 3, "first")])).unwrap();
    assert_eq!(receipt.heads, vec![("ch_a".into(), Seq(3))], "the engine reports the heads it left");
    match e.commit(&events(vec![ev("ch_a", 2, "second")])) {
        Err(EngineError::Conflict { stream, expected, actual }) => {
            assert_eq!((stream, expected, actual), ("ch_a".into(), Seq(1), Seq(3)))
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    drop(e);
    let e = s.open();
    assert_eq!(e.get(&"ch_a".into(), Seq(2)).unwrap(), Some(ev("ch_a", 2, "first")));
    assert_eq!(e.head(&"ch_a".into()).unwrap(), Seq(3));
}

pub fn follow_returns_the_commits_after_a_position_in_order_across_restarts(s: &mut dyn Store) {
    let e = s.open();
    assert_eq!(e.position().unwrap(), LogPosition::START);
    assert!(e.follow(LogPosition::START, 10).unwrap().is_empty());
    let mut receipts = Vec::new();
    for c in 1..=6u64 {
        let mut b = events(vec![ev("ch_a", c, &format!("a{c}"))]);
        if c % 2 == 0 {
            b.events.push(ev("ch_b", c / 2, &"b".repeat(3000)));
        }
        receipts.push(e.commit(&b).unwrap().position.expect("a commit with events has a position"));
        // A commit of state only has no place in the log.
        let marker = StateWrite::ReadMarker { user: "ann".into(), stream: "ch_a".into(), seq: Seq(c) };
        assert_eq!(e.commit(&CommitBatch { state: vec![marker], ..Default::default() }).unwrap().position, None);
    }
    assert!(receipts.windows(2).all(|w| w[0] < w[1]), "positions increase: {receipts:?}");
    assert_eq!(e.position().unwrap(), receipts[5]);
    let all = e.follow(LogPosition::START, 100).unwrap();
    assert_eq!(all.iter().map(|c| c.position).collect::<Vec<_>>(), receipts);
    assert_eq!(all[3].events, vec![ev("ch_a", 4, "a4"), ev("ch_b", 2, &"b".repeat(3000))]);
    let page = e.follow(receipts[1], 2).unwrap();
    assert_eq!(page, all[2..4].to_vec(), "after a position, at most limit");
    assert!(e.follow(receipts[5], 10).unwrap().is_empty());
    drop(e);
    let e = s.open();
    assert_eq!(e.follow(receipts[2], 100).unwrap(), all[3..].to_vec(), "positions survive a restart");
    let next = e.commit(&events(vec![ev("ch_a", 7, "a7")])).unwrap().position.unwrap();
    assert_eq!(
        e.follow(receipts[5], 10).unwrap(),
        vec![FollowedCommit { position: next, events: vec![ev("ch_a", 7, "a7")] }]
    );
}

pub fn idempotency_keys_are_forgotten_after_the_retention_window(s: &mut dyn Store) {
    {
        let e = s.open();
        let mut b = events(vec![ev("ch_a", 1, "a1")]);
        b.idem.push(("ch_a".into(), "ann".into(), "k1".into(), Seq(1)));
        e.commit(&b).unwrap();
    }
    // A window of zero: every key is already older than it.
    let e = s.open_retaining(Duration::ZERO);
    assert_eq!(e.idem_get(&"ch_a".into(), &"ann".into(), "k1").unwrap(), None);
    let mut b = events(vec![ev("ch_a", 2, "a2")]);
    b.idem.push(("ch_a".into(), "ann".into(), "k2".into(), Seq(2)));
    e.commit(&b).unwrap();
    assert_eq!(e.idem_get(&"ch_a".into(), &"ann".into(), "k2").unwrap(), None);
    drop(e);
    let e = s.open();
    assert_eq!(e.idem_get(&"ch_a".into(), &"ann".into(), "k2").unwrap(), Some(Seq(2)), "recent keys stay");
    assert_eq!(e.head(&"ch_a".into()).unwrap(), Seq(2), "forgetting keys loses no event");
}

/// One `#[test]` per conformance test, for the store `$store` makes.
macro_rules! conformance {
    ($store:expr) => {
        conformance!(@tests $store;
            append_read_range_before_get_head_streams,
            a_batch_that_would_leave_a_gap_is_refused_whole,
            idempotency_keys_are_found_in_their_stream_for_their_author,
            a_tombstone_replaces_its_event_in_place_and_stays_after_a_restart,
            state_is_typed_read_markers_only_advance_and_all_of_it_survives_a_restart,
            every_returned_commit_is_there_after_restarts_and_appending_goes_on,
            two_writers_cannot_both_take_the_same_seq,
            follow_returns_the_commits_after_a_position_in_order_across_restarts,
            idempotency_keys_are_forgotten_after_the_retention_window,
        );
    };
    (@tests $store:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let mut store = $store;
                $crate::engine::conformance::$name(&mut store);
            }
        )*
    };
}

mod memory {
    use super::Store;
    use crate::engine::{Engine, MemoryEngine};

    struct Memory(MemoryEngine);
    impl Store for Memory {
        fn open_retaining(&mut self, retention: std::time::Duration) -> Box<dyn Engine> {
            Box::new(self.0.reopen().with_idem_retention(retention))
        }
    }
    conformance!(Memory(MemoryEngine::new()));
}

mod segment {
    use super::{retry_lock, Store};
    use crate::engine::{Engine, EngineOptions, SegmentLog};

    /// Small segments, so the suite crosses segment ends.
    struct Segment(tempfile::TempDir);
    impl Store for Segment {
        fn open_retaining(&mut self, idem_retention: std::time::Duration) -> Box<dyn Engine> {
            let opts = EngineOptions { segment_bytes: 16 * 1024, idem_retention };
            Box::new(retry_lock(|| SegmentLog::open_with(self.0.path(), &opts)))
        }
    }
    conformance!(Segment(tempfile::tempdir().unwrap()));
}

mod sled {
    use super::{retry_lock, Store};
    use crate::engine::{Engine, EngineOptions, SledLog};

    struct Sled(tempfile::TempDir);
    impl Store for Sled {
        fn open_retaining(&mut self, idem_retention: std::time::Duration) -> Box<dyn Engine> {
            let opts = EngineOptions { idem_retention, ..Default::default() };
            Box::new(retry_lock(|| SledLog::open_with(self.0.path(), &opts)))
        }
    }
    conformance!(Sled(tempfile::tempdir().unwrap()));
}
