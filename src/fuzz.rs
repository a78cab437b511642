//! Entry points for the fuzz targets (the `fuzz/` crate, nightly) and their
//! corpus regression tests (`tests/fuzz_corpus.rs`, stable): one function per
//! target, taking the raw input and panicking only on a real bug. A corpus file
//! that once crashed a target keeps running through the same function.
//!
//! What lives here: the protocol harnesses (a client frame in either encoding,
//! a batched server message) and op validation (decode, then dispatch on an
//! in-process [`App`] over the memory engine). The engine's byte decoders are in
//! `engine::fuzz` (they need the engine's private modules) and re-exported here.
//! What does not: anything the server runs. docs/FUZZING.md says how to run them.

use crate::app::App;
use crate::auth::{Auth, NewUser};
use crate::clock::Clock;
use crate::config::Config;
use crate::engine::{Engine, MemoryEngine};
use crate::gateway::frames::{Closer, Outbound};
use crate::hub::{ConnHandle, Hub};
use crate::metrics::Metrics;
use crate::ops::{self, Outcome, Session};
use crate::projections::Projections;
use crate::registry::Registry;
use crate::sequencer::Sequencer;
use agora_protocol::codec::{batch_frames, decode_request, decode_server_frame, encode};
use agora_protocol::ops::Role;
use agora_protocol::push::OkBody;
use agora_protocol::{Encoding, ErrorCode, Op, Reply, ServerFrame, StreamId, UserId};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::mpsc;

pub use crate::engine::fuzz::{commit_record, join_segments, record_bytes, recovery, segment_bytes};

/// A client frame as a JSON text message.
pub fn json_frame(data: &[u8]) {
    frame(data, Encoding::Json)
}

/// A client frame as a MessagePack binary message.
pub fn msgpack_frame(data: &[u8]) {
    frame(data, Encoding::MsgPack)
}

/// Decode `data` as a request and as a server frame. Neither panics; whatever
/// decodes encodes again, in both encodings, to the same value.
fn frame(data: &[u8], enc: Encoding) {
    match decode_request(data, enc) {
        Ok(req) => {
            for other in Encoding::ALL {
                let back = decode_request(&encode(&req, other), other);
                assert_eq!(back.as_ref(), Ok(&req), "a request decoded from {enc:?} round-trips through {other:?}");
            }
        }
        Err(e) => {
            // The error reply must encode too.
            let _ = encode(&Reply::error(e.id, e.body()), enc);
        }
    }
    if let Ok(ServerFrame::Push(push)) = decode_server_frame(data, enc) {
        for other in Encoding::ALL {
            let back = decode_server_frame(&encode(&push, other), other);
            assert_eq!(back, Ok(ServerFrame::Push(push.clone())), "a push decoded from {enc:?} round-trips");
        }
    }
}

/// The first byte picks the encoding (even: JSON, odd: MessagePack), the rest is
/// one batched server message. Splitting never panics and always ends; JSON
/// frames hold no newline; MessagePack frames are consecutive slices of the input.
pub fn batch(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let enc = if sel & 1 == 0 { Encoding::Json } else { Encoding::MsgPack };
    let mut at = 0usize;
    for frame in batch_frames(rest, enc) {
        let Ok(frame) = frame else { continue };
        assert!(!frame.is_empty(), "a frame is never empty");
        match enc {
            Encoding::Json => assert!(!frame.contains(&b'\n')),
            Encoding::MsgPack => {
                assert_eq!(rest.get(at..at + frame.len()), Some(frame), "frames are consecutive");
                at += frame.len();
            }
        }
        let _ = decode_server_frame(frame, enc);
    }
}

/// Users of the op harness: (name, role). A session of each is open.
const USERS: [(&str, Role); 3] = [("ann", Role::Member), ("mod", Role::Moderator), ("bot", Role::Bot)];
/// Frames of one input that are dispatched (the rest are ignored).
const MAX_FRAMES: usize = 16;
/// Inputs run on one `App` before a fresh one is built (its memory engine only grows).
const REBUILD_EVERY: u32 = 20_000;

/// One in-process server state: an `App` over the memory engine, three sessions,
/// three streams (public channel `$0`, private channel `$1` of ann and mod, DM `$2`
/// of ann and bot).
struct Harness {
    rt: tokio::runtime::Runtime,
    app: Arc<App>,
    sessions: Vec<Session>,
    outboxes: Vec<mpsc::Receiver<Outbound>>,
    streams: Vec<StreamId>,
    runs: u32,
}

impl Harness {
    fn build() -> Harness {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        let mut config = Config::default();
        // Commit at once: nothing else is queued to wait for.
        config.limits.group_commit_linger_us = 0;
        let log: Arc<dyn Engine> = Arc::new(MemoryEngine::new());
        let registry = Arc::new(Registry::default());
        let metrics = Arc::new(Metrics::new());
        let hub = Arc::new(Hub::new(metrics.clone()));
        let clock = Arc::new(Clock::system());
        let projections = Arc::new(Projections::default());
        let (sequencer, _writer) = Sequencer::start(
            log.clone(),
            registry.clone(),
            hub.clone(),
            metrics.clone(),
            config.limits.group_policy(),
            clock.clone(),
            projections.clone(),
        );
        let auth = rt.block_on(Auth::load(&*log, &sequencer, config.token_ttl_secs)).expect("auth loads");
        let mut records = Vec::new();
        for (name, role) in USERS {
            let new = NewUser {
                username: name.into(),
                password: (role != Role::Bot).then(|| "fuzz-password".into()),
                display_name: None,
                role,
            };
            records.push(rt.block_on(auth.create_user(&sequencer, new)).expect("a user is created"));
        }
        let app = Arc::new(App::new(
            config,
            log,
            registry,
            hub,
            sequencer,
            crate::app::Services { auth, metrics, clock, projections },
            tokio_util::sync::CancellationToken::new(),
        ));
        let mut sessions = Vec::new();
        let mut outboxes = Vec::new();
        for user in records {
            let (tx, rx) = mpsc::channel(1024);
            let conn = ConnHandle {
                id: app.next_conn_id(),
                user: user.id.clone(),
                tx,
                closer: Arc::new(Closer::default()),
                role: Arc::new(crate::hub::RoleCell::new(user.role)),
            };
            app.hub.add_user_conn(&conn);
            sessions.push(Session { conn, user, enc: Encoding::Json, subs: HashSet::new() });
            outboxes.push(rx);
        }
        let mut h = Harness { rt, app, sessions, outboxes, streams: Vec::new(), runs: 0 };
        let seeds = [
            Op::CreateChannel { name: "general".into(), topic: String::new(), private: false, members: vec![] },
            Op::CreateChannel {
                name: "staff".into(),
                topic: String::new(),
                private: true,
                members: vec![UserId::from("mod")],
            },
            Op::OpenDm { users: vec![UserId::from("bot")] },
        ];
        for op in seeds {
            match h.run(0, op) {
                Ok(OkBody::StreamInfo(info)) => h.streams.push(info.id),
                other => panic!("seeding the harness: {other:?}"),
            }
        }
        h
    }

    /// Dispatch `op` as session `who` and wait for its reply.
    fn run(&mut self, who: usize, op: Op) -> Result<OkBody, agora_protocol::ErrorBody> {
        let app = self.app.clone();
        let s = &mut self.sessions[who];
        self.rt.block_on(async move {
            match ops::dispatch(&app, s, op) {
                Outcome::Ready(r) => r.map(|(body, _follow)| body),
                Outcome::Later(fut) => fut.await,
            }
            .map_err(|e| e.body())
        })
    }

    /// Put the harness's stream ids where a frame names `$0`, `$1` or `$2` (ids
    /// are random, so a fuzzer could never guess them).
    fn substitute(&self, frame: &[u8], enc: Encoding) -> Vec<u8> {
        let mut out = Vec::with_capacity(frame.len());
        let mut i = 0;
        while i < frame.len() {
            let rest = &frame[i..];
            let hit = match enc {
                Encoding::Json => {
                    (rest.len() >= 4 && rest[0] == b'"' && rest[1] == b'$' && rest[3] == b'"').then(|| (rest[2], 4))
                }
                Encoding::MsgPack => (rest.len() >= 3 && rest[0] == 0xa2 && rest[1] == b'$').then(|| (rest[2], 3)),
            };
            match hit.and_then(|(d, n)| Some((self.streams.get(usize::from(d.checked_sub(b'0')?))?, n))) {
                Some((id, n)) => {
                    match enc {
                        Encoding::Json => out.extend_from_slice(format!("\"{id}\"").as_bytes()),
                        Encoding::MsgPack => out.extend_from_slice(&encode(id, Encoding::MsgPack)),
                    }
                    i += n;
                }
                None => {
                    out.push(frame[i]);
                    i += 1;
                }
            }
        }
        out
    }

    /// Drop what the sessions' writers would have sent.
    fn drain(&mut self) {
        for rx in &mut self.outboxes {
            while rx.try_recv().is_ok() {}
        }
    }
}

fn harness() -> MutexGuard<'static, Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    HARNESS.get_or_init(|| Mutex::new(Harness::build())).lock().unwrap_or_else(|e| e.into_inner())
}

/// Op validation: the first byte picks the encoding (bit 0) and the session
/// (ann, mod or bot); the rest is up to [`MAX_FRAMES`] client frames, split as a
/// batch ([`batch_frames`]: lines for JSON, consecutive values for MessagePack).
/// Each is decoded and, if it is a request, dispatched on a shared in-process
/// `App` and awaited. Nothing panics, every reply encodes, and no input makes an
/// `internal` error (that would be a server bug, not a bad request).
pub fn op_dispatch(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let enc = if sel & 1 == 0 { Encoding::Json } else { Encoding::MsgPack };
    let who = usize::from(sel >> 1) % USERS.len();
    let mut h = harness();
    h.runs += 1;
    if h.runs > REBUILD_EVERY {
        *h = Harness::build();
    }
    h.sessions[who].enc = enc;
    for frame in batch_frames(rest, enc).take(MAX_FRAMES) {
        let Ok(frame) = frame else { break };
        let frame = h.substitute(frame, enc);
        let reply = match decode_request(&frame, enc) {
            Err(e) => Reply::error(e.id, e.body()),
            Ok(req) => match h.run(who, req.op) {
                Ok(body) => Reply::ok(req.id, body),
                Err(e) => Reply::error(Some(req.id), e),
            },
        };
        if let Some(e) = &reply.error {
            assert_ne!(e.code, ErrorCode::Internal, "an op made an internal error: {}", e.message);
        }
        let _ = encode(&reply, enc);
    }
    h.drain();
}
