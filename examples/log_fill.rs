//! Fill a segment-engine data directory with a large log, straight through the
//! engine (no server, no sockets), to measure start time and memory on it
//! (docs/BENCHMARKS.md, "Start with 10 M events").
//!
//! `cargo run --release --example log_fill -- DIR EVENTS STREAMS`
//!
//! Writes STREAMS channels (each a `stream_created` by `admin`), then EVENTS
//! posts of 100 B round-robin over them, 1,000 events per commit, then a
//! snapshot of every stream (so the server's recovery folds nothing) and an
//! index checkpoint, as a clean shutdown would. Refuses a directory that
//! already has a log. Bounded by EVENTS; about 150 B of disk per event.

use agora::engine::{CommitBatch, EventLog, SegmentLog, StateWrite, SEGMENT_BYTES};
use agora::streams::StreamState;
use agora_protocol::{Event, EventBody, Seq, StreamId, StreamKind};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, events, streams] = &args[..] else {
        anyhow::bail!("usage: log_fill DIR EVENTS STREAMS");
    };
    let (events, n_streams): (u64, u64) = (events.parse()?, streams.parse()?);
    let dir = std::path::Path::new(dir);
    anyhow::ensure!(!dir.join("log").exists(), "{} already has a log", dir.display());
    let started = Instant::now();
    let log = SegmentLog::open(dir, SEGMENT_BYTES)?;
    let ids: Vec<StreamId> = (0..n_streams).map(|i| StreamId(format!("ch_fill{i:06}"))).collect();
    let mut states: Vec<StreamState> = Vec::new();
    let mut batch = CommitBatch::default();
    for (i, id) in ids.iter().enumerate() {
        let ev = Event {
            stream: id.clone(),
            seq: Seq(1),
            at: 0,
            author: "admin".into(),
            idem: None,
            body: EventBody::StreamCreated {
                kind: StreamKind::Channel,
                name: format!("fill-{i}"),
                topic: String::new(),
                members: vec!["admin".into()],
            },
        };
        states.push(StreamState::from_created(&ev).expect("a stream_created event"));
        batch.events.push(ev);
    }
    log.commit(&batch)?;
    let text = "x".repeat(100);
    let mut heads = vec![1u64; ids.len()];
    let mut written = 0u64;
    while written < events {
        let mut batch = CommitBatch::default();
        for _ in 0..1000.min(events - written) {
            let i = (written % n_streams) as usize;
            heads[i] += 1;
            let ev = Event {
                stream: ids[i].clone(),
                seq: Seq(heads[i]),
                at: 1_767_261_600_000 + written,
                author: "admin".into(),
                idem: None,
                body: EventBody::MessagePosted {
                    text: text.clone(),
                    reply_to: None,
                    mentions: vec![],
                    attachments: vec![],
                },
            };
            states[i].apply(&ev);
            batch.events.push(ev);
            written += 1;
        }
        log.commit(&batch)?;
    }
    let mut snapshots = CommitBatch::default();
    for st in &states {
        snapshots.state.push(StateWrite::Snapshot { stream: st.id.clone(), state: rmp_serde::to_vec_named(st)? });
    }
    log.commit(&snapshots)?;
    log.checkpoint()?;
    eprintln!("wrote {written} events over {n_streams} streams in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
