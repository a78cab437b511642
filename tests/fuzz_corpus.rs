//! The fuzz corpora as regression tests on stable: every file under
//! fuzz/corpus/<target>/ goes through the same `agora::fuzz` function the
//! cargo-fuzz target calls, and must not panic. A crash a fuzzer finds is fixed
//! and its input committed there, so it stays fixed.
//!
//! The seeds are written by `write_seed_corpora` (ignored: run it with
//! `cargo test --test fuzz_corpus -- --ignored` after changing them).

use agora::fuzz;
use agora_protocol::codec::encode;
use agora_protocol::Encoding;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

/// Run every file of `target`'s corpus through `f`; returns how many there were.
fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    for path in &files {
        let data = std::fs::read(path).expect("a corpus file");
        if let Err(panic) = std::panic::catch_unwind(|| f(&data)) {
            panic!("{} panicked: {panic:?}", path.display());
        }
    }
    assert!(!files.is_empty(), "{target} has no corpus in {}", dir.display());
    files.len()
}

#[test]
fn json_frame_corpus() {
    replay("json_frame", fuzz::json_frame);
}

#[test]
fn msgpack_frame_corpus() {
    replay("msgpack_frame", fuzz::msgpack_frame);
}

#[test]
fn batch_corpus() {
    replay("batch", fuzz::batch);
}

#[test]
fn commit_record_corpus() {
    replay("commit_record", fuzz::commit_record);
}

#[test]
fn recovery_corpus() {
    replay("recovery", fuzz::recovery);
}

#[test]
fn op_dispatch_corpus() {
    replay("op_dispatch", fuzz::op_dispatch);
}

/// Client requests the seeds are made of; `$0`, `$1`, `$2` are the op harness's streams.
fn requests() -> Vec<(&'static str, Value)> {
    vec![
        ("ping", json!({"id": 1, "op": "ping"})),
        ("whoami", json!({"id": 2, "op": "whoami"})),
        ("list_streams", json!({"id": 3, "op": "list_streams"})),
        ("post", json!({"id": 4, "op": "post", "stream": "$0", "text": "hi @mod", "idem": "k1"})),
        ("post_reply", json!({"id": 5, "op": "post", "stream": "$0", "text": "re", "reply_to": 1})),
        ("edit", json!({"id": 6, "op": "edit", "stream": "$0", "target": 2, "text": "edited"})),
        ("react", json!({"id": 7, "op": "react", "stream": "$0", "target": 2, "emoji": "👍"})),
        ("unreact", json!({"id": 8, "op": "unreact", "stream": "$0", "target": 2, "emoji": "👍"})),
        ("delete", json!({"id": 9, "op": "delete", "stream": "$0", "target": 2})),
        ("hide", json!({"id": 10, "op": "hide", "stream": "$1", "target": 2, "reason": "spam"})),
        ("unhide", json!({"id": 11, "op": "unhide", "stream": "$1", "target": 2})),
        ("subscribe", json!({"id": 12, "op": "subscribe", "stream": "$0", "since": 1, "epoch": "x"})),
        ("unsubscribe", json!({"id": 13, "op": "unsubscribe", "stream": "$0"})),
        ("history_before", json!({"id": 14, "op": "history", "stream": "$0", "before": 5, "limit": 2})),
        ("history_after", json!({"id": 15, "op": "history", "stream": "$2", "after": 0, "limit": 50})),
        ("mark_read", json!({"id": 16, "op": "mark_read", "stream": "$0", "seq": 3})),
        ("join", json!({"id": 17, "op": "join", "stream": "$0"})),
        ("leave", json!({"id": 18, "op": "leave", "stream": "$0"})),
        ("invite", json!({"id": 19, "op": "invite", "stream": "$1", "user": "bot"})),
        ("rename", json!({"id": 20, "op": "rename", "stream": "$0", "name": "lobby"})),
        ("set_topic", json!({"id": 21, "op": "set_topic", "stream": "$0", "topic": "t"})),
        (
            "create_channel",
            json!({"id": 22, "op": "create_channel", "name": "new", "private": true, "members": ["bot"]}),
        ),
        ("open_dm", json!({"id": 23, "op": "open_dm", "users": ["mod", "bot"]})),
        ("stream_info", json!({"id": 24, "op": "stream_info", "stream": "$1"})),
        ("set_presence", json!({"id": 25, "op": "set_presence", "status": "away"})),
        ("typing", json!({"id": 26, "op": "typing", "stream": "$2"})),
        ("auth", json!({"id": 27, "op": "auth", "token": "nope"})),
        ("unknown_op", json!({"id": 28, "op": "fly", "to": "moon"})),
        ("missing_field", json!({"id": 29, "op": "post", "stream": "$0"})),
        ("wrong_type", json!({"id": 30, "op": "post", "stream": 1, "text": "x"})),
    ]
}

/// Server frames (pushes and replies) for the decoders of clients.
fn server_frames() -> Vec<(&'static str, Value)> {
    vec![
        (
            "push_event",
            json!({"ev": "event", "stream": "ch_a", "seq": 4, "at": 1, "author": "ann", "idem": "k",
                "type": "message_posted", "text": "hi", "reply_to": 2, "mentions": ["bob"]}),
        ),
        (
            "push_created",
            json!({"ev": "event", "stream": "ch_a", "seq": 1, "at": 1, "author": "ann",
                "type": "stream_created", "kind": "channel", "name": "a", "members": ["ann"]}),
        ),
        (
            "push_hidden",
            json!({"ev": "event", "stream": "ch_a", "seq": 9, "at": 1, "author": "mod",
                "type": "message_hidden", "target": 4, "message_author": "ann", "reason": "r"}),
        ),
        ("push_skip", json!({"ev": "skip", "stream": "ch_a", "from": 3, "to": 5})),
        ("push_typing", json!({"ev": "typing", "stream": "ch_a", "user": "ann", "ttl_ms": 3000})),
        ("push_presence", json!({"ev": "presence", "stream": "ch_a", "user": "ann", "status": "dnd", "last_seen": 7})),
        (
            "push_stream_added",
            json!({"ev": "stream_added", "stream": {"id": "dm_x", "kind": "dm", "name": "", "topic": "",
                "member_count": 2, "member": true, "head": 4, "last_read": 1, "unread": 3, "mentions": 0}}),
        ),
        ("push_unknown", json!({"ev": "notification_badge", "count": 3})),
        ("reply_ok", json!({"re": 4, "ok": {"stream": "ch_a", "seq": 5, "at": 9, "duplicate": false}})),
        ("reply_error", json!({"re": 5, "error": {"code": "rate_limited", "message": "slow", "retry_after_ms": 10}})),
    ]
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).expect("creating a corpus directory");
    std::fs::write(dir.join(name), bytes).expect("writing a seed");
}

#[test]
#[ignore = "writes the seed corpora into fuzz/corpus; run by hand after changing them"]
fn write_seed_corpora() {
    for (target, enc) in [("json_frame", Encoding::Json), ("msgpack_frame", Encoding::MsgPack)] {
        for (name, v) in requests().into_iter().chain(server_frames()) {
            write(target, &format!("seed-{name}"), &encode(&v, enc));
        }
    }
    write("json_frame", "seed-garbage", b"{\"id\": 1, \"op\": [[[[[[[[");
    write("json_frame", "seed-trailing", b"{\"id\":1,\"op\":\"ping\"} 7");
    write(
        "msgpack_frame",
        "seed-huge-length",
        &[0x82, 0xa2, b'i', b'd', 0x01, 0xa2, b'o', b'p', 0xdd, 0xff, 0xff, 0xff],
    );

    // Batches: the first byte picks the encoding (0 JSON, 1 MessagePack).
    let frames: Vec<Value> = server_frames().into_iter().map(|(_, v)| v).collect();
    let json_lines: Vec<Vec<u8>> = frames.iter().map(|v| encode(v, Encoding::Json)).collect();
    write("batch", "seed-json", &[&[0u8][..], &json_lines.join(&b"\n"[..])].concat());
    let mp: Vec<u8> = frames.iter().flat_map(|v| encode(v, Encoding::MsgPack)).collect();
    write("batch", "seed-msgpack", &[&[1u8][..], &mp].concat());
    write("batch", "seed-msgpack-truncated", &[&[1u8][..], &mp[..mp.len() - 3]].concat());

    // Op dispatch: the first byte picks the encoding (bit 0) and the session (ann, mod, bot).
    let script: Vec<Value> = requests().into_iter().map(|(_, v)| v).collect();
    for (sel, who) in [(0u8, "ann"), (2, "mod"), (4, "bot")] {
        for chunk in 0..2 {
            let part = &script[chunk * 15..(chunk + 1) * 15];
            let lines: Vec<Vec<u8>> = part.iter().map(|v| encode(v, Encoding::Json)).collect();
            write("op_dispatch", &format!("seed-json-{who}-{chunk}"), &[&[sel][..], &lines.join(&b"\n"[..])].concat());
            let mp: Vec<u8> = part.iter().flat_map(|v| encode(v, Encoding::MsgPack)).collect();
            write("op_dispatch", &format!("seed-msgpack-{who}-{chunk}"), &[&[sel | 1][..], &mp].concat());
        }
    }

    // Commit records and segments.
    let rec = fuzz::record_bytes("ch_a", 1..=3);
    write("commit_record", "seed-three-events", &rec);
    write("commit_record", "seed-truncated", &rec[..rec.len() - 4]);
    write("commit_record", "seed-empty", b"");
    let (r1, r2) = (fuzz::record_bytes("ch_a", 1..=2), fuzz::record_bytes("ch_b", 1..=1));
    let clean = fuzz::segment_bytes(&[&r1, &r2]);
    write("recovery", "seed-clean", &fuzz::join_segments(&[&clean]));
    write("recovery", "seed-torn-tail", &fuzz::join_segments(&[&clean[..clean.len() - 7]]));
    let mut flipped = clean.clone();
    flipped[20] ^= 0x40;
    write("recovery", "seed-flipped-bit-before-valid", &fuzz::join_segments(&[&flipped]));
    let next = fuzz::segment_bytes(&[&fuzz::record_bytes("ch_a", 3..=4)]);
    write("recovery", "seed-two-segments", &fuzz::join_segments(&[&clean, &next]));
    write("recovery", "seed-three-segments-torn", &fuzz::join_segments(&[&clean, &next, &next[..9]]));
    write("recovery", "seed-zeros-tail", &fuzz::join_segments(&[&[&clean[..], &[0u8; 64]].concat()]));
}
