//! The single writer: orders appends, decides them against current state,
//! group-commits them, then acks and publishes.
//!
//! One OS thread owns this loop. It takes the first waiting job, drains every
//! other job already queued (up to `group_commit_max`), decides each against
//! the stream state (so check-then-append is atomic per stream), assigns
//! gapless sequences, writes the whole group with one `EventLog::commit` (one
//! flush, one fsync), and only then marks the events committed, publishes them
//! to subscribers and answers the callers. Jobs that arrive during a commit
//! form the next group, so the group grows with the load.
//!
//! Under sustained load the loop also *lingers* (PostgreSQL's `commit_delay`,
//! Kafka's `linger.ms`): when the previous group held at least
//! `group_commit_linger_after` jobs, it waits up to `group_commit_linger_us`
//! for more before committing, and stops waiting as soon as a wait brings in
//! nothing. Larger groups share one fsync, one storage batch and one fan-out
//! item per subscriber per stream. A quiet server never lingers, so its acks
//! keep the latency of one fsync.
//!
//! A failed commit is fatal: the process logs and exits with status 70, no ack
//! is sent, and recovery starts from what is on disk (see `engine`).

use crate::clock::Clock;
use crate::engine::{CommitBatch, Engine, StateWrite};
use crate::error::{AppError, AppResult};
use crate::failpoint;
use crate::hub::{Hub, Published};
use crate::metrics::Metrics;
use crate::projections::Projections;
use crate::registry::Registry;
use crate::streams::kinds;
use crate::streams::screening::{censor_rules_stream, censored, censoring};
use crate::streams::visibility::audience;
use crate::streams::{decide, Action, Actor, Append, Cx, Decision, Derived, NameClaim, StreamState};
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// A lingering loop looks for new jobs this often (at most `GroupPolicy::linger` in all).
pub const LINGER_STEP: Duration = Duration::from_micros(500);

/// How jobs are grouped into commits (the `group_commit_*` settings).
#[derive(Clone, Copy, Debug)]
pub struct GroupPolicy {
    /// Most jobs in one group.
    pub max: usize,
    /// Longest extra wait for more jobs before a commit (zero: never linger).
    pub linger: Duration,
    /// Linger only after a group of at least this many jobs (the load signal).
    pub linger_after: usize,
    /// How often a lingering loop looks for new jobs; a look that finds none ends the wait.
    pub step: Duration,
    /// Jobs waiting for the writer thread at most (`sequencer_queue`).
    pub queue: usize,
    /// Events a stream may gain before its folded state is snapshotted again (`snapshot_every`).
    pub snapshot_every: u64,
}

impl GroupPolicy {
    /// Commit whatever is queued, never wait for more.
    pub fn eager(max: usize) -> GroupPolicy {
        GroupPolicy {
            max,
            linger: Duration::ZERO,
            linger_after: usize::MAX,
            step: LINGER_STEP,
            queue: 65_536,
            snapshot_every: 1000,
        }
    }
}

/// The outcome of an append job.
#[derive(Clone, Debug)]
pub struct Appended {
    pub stream: StreamId,
    pub seq: Seq,
    pub at: u64,
    /// True when nothing new was stored: an idempotent retry, an existing DM,
    /// or an action that was already so (joining twice).
    pub duplicate: bool,
}

// `Append` is nearly every job and is moved, not copied, once: boxing it would add an
// allocation per append for the sake of the rare `Stop` and `Put`.
#[allow(clippy::large_enum_variant)]
enum Job {
    Append {
        stream: StreamId,
        actor: Actor,
        action: Action,
        idem: Option<String>,
        reply: oneshot::Sender<AppResult<Appended>>,
    },
    Put {
        writes: Vec<StateWrite>,
        reply: oneshot::Sender<AppResult<()>>,
    },
    /// Raise a read marker if `seq` is greater; answers whether it moved.
    Advance {
        user: UserId,
        stream: StreamId,
        seq: Seq,
        reply: oneshot::Sender<AppResult<bool>>,
    },
    /// Commit what is queued before this, then stop.
    Stop,
}

/// The handle ops use to submit work. Cheap to clone.
#[derive(Clone)]
pub struct Sequencer {
    tx: mpsc::Sender<Job>,
}

fn stopped() -> AppError {
    AppError::Unavailable("server is shutting down".into())
}

/// Wall time in ms since the Unix epoch, for what is not a rule's time (pings,
/// presence). Rules and event times use the server's [`Clock`].
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Sequencer {
    /// Start the writer thread. It stops when every `Sequencer` handle is dropped,
    /// after committing what was queued; join the returned handle to wait for that.
    pub fn start(
        log: Arc<dyn Engine>,
        registry: Arc<Registry>,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
        policy: GroupPolicy,
        clock: Arc<Clock>,
        projections: Arc<Projections>,
    ) -> (Sequencer, std::thread::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(policy.queue.max(1));
        let mut names = HashMap::new();
        for e in registry.all() {
            let st = e.read();
            if let Some(claim) = kinds::of(st.kind).and_then(|k| k.name_claim(&st)) {
                names.insert(claim, st.id.clone());
            }
        }
        let mut w = Writer {
            log,
            registry,
            hub,
            metrics,
            names,
            clock,
            projections,
            since_snapshot: HashMap::new(),
            policy: GroupPolicy { max: policy.max.max(1), ..policy },
        };
        let handle = std::thread::Builder::new()
            .name("agora-sequencer".into())
            .spawn(move || w.run(rx))
            .expect("spawning the sequencer thread");
        (Sequencer { tx }, handle)
    }

    /// Append the events `action` decides on, durably. Resolves after the fsync.
    pub async fn append(
        &self,
        stream: StreamId,
        actor: Actor,
        action: Action,
        idem: Option<String>,
    ) -> AppResult<Appended> {
        self.call(|reply| Job::Append { stream, actor, action, idem, reply }).await
    }

    /// Send a job and wait for its answer; a stopped writer means `unavailable`.
    async fn call<T>(&self, job: impl FnOnce(oneshot::Sender<AppResult<T>>) -> Job) -> AppResult<T> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(job(reply)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Enqueue an append and return the future of its result, so the caller can
    /// keep the order of submission (a connection's posts) without waiting for the fsync.
    pub fn submit(
        &self,
        stream: StreamId,
        actor: Actor,
        action: Action,
        idem: Option<String>,
    ) -> AppResult<impl std::future::Future<Output = AppResult<Appended>> + Send + 'static> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(Job::Append { stream, actor, action, idem, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => AppError::Unavailable("write queue full; retry".into()),
            mpsc::error::TrySendError::Closed(_) => stopped(),
        })?;
        Ok(async move { rx.await.map_err(|_| stopped())? })
    }

    /// Commit everything queued so far, then stop the writer thread.
    pub async fn stop(&self) {
        let _ = self.tx.send(Job::Stop).await;
    }

    /// Durably raise `user`'s read marker in `stream` to `seq` if that is an increase
    /// (never moves it back); answers whether it moved. Compare-and-write happens on
    /// the writer thread, so concurrent calls cannot regress it.
    pub async fn advance_read_marker(&self, user: UserId, stream: StreamId, seq: Seq) -> AppResult<bool> {
        self.call(|reply| Job::Advance { user, stream, seq, reply }).await
    }

    /// Durably write state (users, tokens, secrets).
    pub async fn put(&self, writes: Vec<StateWrite>) -> AppResult<()> {
        self.call(|reply| Job::Put { writes, reply }).await
    }
}

struct Writer {
    log: Arc<dyn Engine>,
    registry: Arc<Registry>,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    /// Unique names claimed by streams (per the kind's `name_claim`) → the stream.
    names: HashMap<NameClaim, StreamId>,
    clock: Arc<Clock>,
    /// Read models over many streams, fed every committed event.
    projections: Arc<Projections>,
    since_snapshot: HashMap<StreamId, u64>,
    policy: GroupPolicy,
}

/// Streams changed by the group being decided, not yet visible to readers.
#[derive(Default)]
struct GroupState {
    /// Working copies of the streams this group appends to (cheap: the state's
    /// sets and maps are persistent, a clone shares them).
    working: HashMap<StreamId, StreamState>,
    /// Membership changes and revocations decided in this group, applied after the commit.
    effects: Vec<Effects>,
}

/// What an appended event entails beyond the log (from the kind's [`Append`]).
struct Effects {
    stream: StreamId,
    seq: Seq,
    joined: Vec<UserId>,
    left: Vec<UserId>,
    revoke: Vec<UserId>,
}

/// How deep appends may cause appends (`Append::also`): an event, what it
/// causes (a feed item, an audit entry), what that causes, and no further.
const MAX_DERIVED_DEPTH: u8 = 2;

/// One append to decide: the job's fields, and how many appends caused it.
struct One<'a> {
    stream: &'a StreamId,
    actor: &'a Actor,
    action: Action,
    idem: Option<String>,
    depth: u8,
}

/// Move already-queued jobs into `jobs`, up to `max` in all.
fn drain_queued(rx: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>, max: usize) {
    while jobs.len() < max {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
}

/// A decided job waiting for the commit.
enum Pending {
    Appended { reply: oneshot::Sender<AppResult<Appended>>, result: AppResult<Appended> },
    Put { reply: oneshot::Sender<AppResult<()>> },
    Advanced { reply: oneshot::Sender<AppResult<bool>>, result: AppResult<bool> },
}

impl Writer {
    fn run(&mut self, mut rx: mpsc::Receiver<Job>) {
        let max = self.policy.max;
        let mut jobs = Vec::with_capacity(max);
        let mut stopping = false;
        let mut last_group = 0;
        while let Some(first) = rx.blocking_recv() {
            jobs.push(first);
            drain_queued(&mut rx, &mut jobs, max);
            if last_group >= self.policy.linger_after {
                self.linger(&mut rx, &mut jobs);
            }
            last_group = jobs.len();
            if let Some(i) = jobs.iter().position(|j| matches!(j, Job::Stop)) {
                // Jobs queued after the stop are answered `unavailable` when dropped.
                jobs.truncate(i);
                stopping = true;
            }
            self.commit_group(std::mem::take(&mut jobs));
            if stopping {
                break;
            }
        }
        // All handles dropped: snapshot what changed since the last snapshot, so the next start folds little.
        let mut batch = CommitBatch::default();
        for stream in self.since_snapshot.keys() {
            if let Some(p) = self.snapshot_put(stream, None) {
                batch.state.push(p);
            }
        }
        if !batch.is_empty() {
            if let Err(e) = self.log.commit(&batch) {
                tracing::error!(error = %e, "final snapshot commit failed (the log is intact; the next start refolds)");
            }
        }
        tracing::info!("sequencer stopped");
    }

    /// Wait (in short steps, `policy.linger` at most) for more jobs to join the
    /// group; stop at a full group, a stop job, or a step that brought nothing.
    fn linger(&self, rx: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>) {
        let deadline = Instant::now() + self.policy.linger;
        while jobs.len() < self.policy.max && !jobs.iter().any(|j| matches!(j, Job::Stop)) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(self.policy.step.min(deadline - now));
            let before = jobs.len();
            drain_queued(rx, jobs, self.policy.max);
            if jobs.len() == before {
                break;
            }
        }
    }

    fn commit_group(&mut self, jobs: Vec<Job>) {
        let started = Instant::now();
        let mut batch = CommitBatch::default();
        let mut pending = Vec::with_capacity(jobs.len());
        let mut batch_idem: HashMap<(StreamId, UserId, String), Seq> = HashMap::new();
        let mut markers: HashMap<(UserId, StreamId), Seq> = HashMap::new();
        let mut group = GroupState::default();
        for job in jobs {
            match job {
                Job::Put { writes, reply } => {
                    batch.state.extend(writes);
                    pending.push(Pending::Put { reply });
                }
                Job::Stop => {}
                Job::Advance { user, stream, seq, reply } => {
                    let result = self.advance_one(user, stream, seq, &mut markers, &mut batch);
                    pending.push(Pending::Advanced { reply, result });
                }
                Job::Append { stream, actor, action, idem, reply } => {
                    let one = One { stream: &stream, actor: &actor, action, idem, depth: 0 };
                    let result = self.decide_one(one, &mut batch, &mut batch_idem, &mut group);
                    pending.push(Pending::Appended { reply, result });
                }
            }
        }
        let mut snapshot_streams = Vec::new();
        for ev in &batch.events {
            let n = self.since_snapshot.entry(ev.stream.clone()).or_insert(0);
            *n += 1;
            if ev.seq == Seq(1) || *n >= self.policy.snapshot_every {
                snapshot_streams.push(ev.stream.clone());
            }
        }
        snapshot_streams.dedup();
        for s in &snapshot_streams {
            if let Some(p) = self.snapshot_put(s, Some(&group)) {
                batch.state.push(p);
                self.since_snapshot.insert(s.clone(), 0);
            }
        }
        let n_events = batch.events.len();
        if !batch.is_empty() {
            failpoint::hit(failpoint::BATCH_BUILT);
            if let Err(e) = self.log.commit(&batch) {
                // Never ack, never retry: the kernel may have dropped the dirty pages.
                tracing::error!(error = %e, "commit failed; exiting so recovery starts from the log");
                std::process::exit(70);
            }
        }
        self.metrics.observe_commit(started.elapsed(), n_events);
        // Durable: make the group's state visible, advance committed heads, answer
        // the callers (so acks do not queue behind a large fan-out), then publish.
        for (stream, st) in group.working {
            match self.registry.get(&stream) {
                Some(e) => e.write_with(|cur| *cur = st),
                None => {
                    self.registry.insert(st, Seq(0));
                }
            }
        }
        let mut revocations: HashMap<(StreamId, Seq), Vec<UserId>> = HashMap::new();
        for fx in group.effects {
            for u in &fx.joined {
                self.registry.add_member(u, &fx.stream);
            }
            for u in &fx.left {
                self.registry.remove_member(u, &fx.stream);
            }
            if !fx.revoke.is_empty() {
                revocations.insert((fx.stream, fx.seq), fx.revoke);
            }
        }
        let projections = self.projections.all();
        for ev in &batch.events {
            self.registry.index_attachments(ev);
            if let Some(entry) = self.registry.get(&ev.stream) {
                entry.set_committed(ev.seq);
                if !projections.is_empty() {
                    let st = entry.read();
                    for p in &projections {
                        p.apply(&st, ev);
                    }
                }
            }
        }
        for p in pending {
            match p {
                Pending::Put { reply } => {
                    let _ = reply.send(Ok(()));
                }
                Pending::Appended { reply, result, .. } => {
                    let _ = reply.send(result);
                }
                Pending::Advanced { reply, result } => {
                    let _ = reply.send(result);
                }
            }
        }
        if n_events > 0 {
            failpoint::hit(failpoint::ACKED);
        }
        self.publish(batch.events, revocations);
    }

    /// Hand committed events to the hub: per stream, in seq order, one run per
    /// stream per commit, each event with its audience (computed from the
    /// committed state). Someone who lost the right to read gets the run up to
    /// the event that revoked it, and nothing after.
    fn publish(&self, events: Vec<Event>, mut revocations: HashMap<(StreamId, Seq), Vec<UserId>>) {
        let mut runs: Vec<(StreamId, Vec<Published>)> = Vec::new();
        let mut index: HashMap<StreamId, usize> = HashMap::new();
        // What members are shown of each event, censored once here for every subscriber.
        let rules = self.registry.get(&censor_rules_stream()).and_then(|e| censoring(Some(&e.read())));
        for ev in events {
            let Some(entry) = self.registry.get(&ev.stream) else { continue };
            let aud = audience(&entry.read(), &ev);
            let members_see = rules.as_ref().and_then(|r| censored(&ev, r));
            let stream = ev.stream.clone();
            let revoked = revocations.remove(&(stream.clone(), ev.seq));
            let i = *index.entry(stream.clone()).or_insert_with(|| {
                runs.push((stream.clone(), Vec::new()));
                runs.len() - 1
            });
            runs[i].1.push((ev, aud, members_see));
            if let Some(users) = revoked {
                let run = std::mem::take(&mut runs[i].1);
                self.hub.publish_events(&stream, run);
                for u in &users {
                    self.hub.revoke_user(&stream, u);
                }
            }
        }
        for (stream, events) in runs {
            self.hub.publish_events(&stream, events);
        }
    }

    /// Decide one append against current state, fold it in, and add it to the
    /// batch; then the appends it causes in other streams (`Append::also`).
    fn decide_one(
        &mut self,
        one: One<'_>,
        batch: &mut CommitBatch,
        batch_idem: &mut HashMap<(StreamId, UserId, String), Seq>,
        group: &mut GroupState,
    ) -> AppResult<Appended> {
        let One { stream, actor, action, idem, depth } = one;
        let at = self.clock.now_ms();
        // An idempotent retry returns the original, stored once; the same key with a
        // different text is a `conflict` (PROTOCOL.md §5 post).
        if let Some(key) = &idem {
            let k = (stream.clone(), actor.id.clone(), key.clone());
            let found = match batch_idem.get(&k) {
                Some(seq) => Some(*seq),
                None => self.log.idem_get(stream, &actor.id, key)?,
            };
            if let Some(seq) = found {
                let original = |e: &Event| (e.at, action.same_as_stored(&e.body));
                let (at, same) = batch
                    .events
                    .iter()
                    .find(|e| &e.stream == stream && e.seq == seq)
                    .map(original)
                    .or_else(|| self.log.get(stream, seq).ok().flatten().map(|e| original(&e)))
                    .unwrap_or((at, true));
                if !same {
                    return Err(AppError::Conflict(format!("idem key {key:?} was used for a different text")));
                }
                return Ok(Appended { stream: stream.clone(), seq, at, duplicate: true });
            }
        }
        // This group's working copy of the stream, or a (cheap) copy of the committed state.
        if !group.working.contains_key(stream) {
            if let Some(e) = self.registry.get(stream) {
                group.working.insert(stream.clone(), e.read().clone());
            }
        }
        let current = group.working.get(stream);
        let head = current.map_or(Seq(0), |st| st.head);
        let old_claim = current.and_then(|st| kinds::of(st.kind).and_then(|k| k.name_claim(st)));
        let log = self.log.clone();
        let events_in_batch: &[Event] = &batch.events;
        let lookup = |seq: Seq| -> AppResult<Option<Event>> {
            if let Some(e) = events_in_batch.iter().find(|e| &e.stream == stream && e.seq == seq) {
                return Ok(Some(e.clone()));
            }
            Ok(log.get(stream, seq)?)
        };
        let (working, registry) = (&group.working, &self.registry);
        let other = |id: &StreamId, f: &mut dyn FnMut(&StreamState)| match working.get(id) {
            Some(st) => f(st),
            None => {
                if let Some(e) = registry.get(id) {
                    f(&e.read())
                }
            }
        };
        let cx = Cx { actor, now: at, head, lookup: &lookup, other: &other, derived: depth > 0 };
        let append = match decide(current, &cx, action)? {
            Decision::AlreadySo => return Ok(Appended { stream: stream.clone(), seq: head, at, duplicate: true }),
            Decision::Instead(d) => return self.decide_instead(d, depth, batch, batch_idem, group),
            Decision::Append(a) => a,
        };
        let Append { body, tombstone, claim, joined, left, revoke, also } = append;
        if let Some(claim) = &claim {
            if self.names.get(claim).is_some_and(|other| other != stream) {
                let (ns, name) = (claim.namespace, &claim.name);
                return Err(AppError::Conflict(format!("the {ns} name {name:?} is taken")));
            }
        }
        let seq = head.next();
        let event = Event { stream: stream.clone(), seq, at, author: actor.id.clone(), idem: idem.clone(), body };
        // Fold into this group's working state. Readers keep seeing the committed
        // state until the commit returns (see `commit_group`).
        match group.working.entry(stream.clone()) {
            std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().apply(&event),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(
                    StreamState::from_created(&event)
                        .ok_or_else(|| AppError::Internal("first event is not stream_created".into()))?,
                );
            }
        }
        if let Some(claim) = claim {
            if let Some(old) = old_claim.filter(|old| *old != claim) {
                self.names.remove(&old);
            }
            self.names.insert(claim, stream.clone());
        }
        if let Some(target) = tombstone {
            if let Some(mut original) = lookup(target)? {
                original.body = EventBody::Tombstone { deleted_by: seq };
                original.idem = None;
                batch.rewrites.retain(|r| !(r.stream == original.stream && r.seq == target));
                // A tombstone for a message posted in this same batch replaces it in place.
                if let Some(e) = batch.events.iter_mut().find(|e| &e.stream == stream && e.seq == target) {
                    *e = original;
                } else {
                    batch.rewrites.push(original);
                }
            }
        }
        if !(joined.is_empty() && left.is_empty() && revoke.is_empty()) {
            group.effects.push(Effects { stream: stream.clone(), seq, joined, left, revoke });
        }
        if let Some(key) = event.idem.clone() {
            batch.idem.push((stream.clone(), actor.id.clone(), key.clone(), seq));
            batch_idem.insert((stream.clone(), actor.id.clone(), key), seq);
        }
        batch.events.push(event);
        for derived in also {
            self.decide_derived(derived, depth, batch, batch_idem, group);
        }
        Ok(Appended { stream: stream.clone(), seq, at, duplicate: false })
    }

    /// Decide an append caused by another (same group, same commit). Refusals are
    /// logged, not returned: the causing event stands on its own.
    fn decide_derived(
        &mut self,
        derived: Derived,
        depth: u8,
        batch: &mut CommitBatch,
        batch_idem: &mut HashMap<(StreamId, UserId, String), Seq>,
        group: &mut GroupState,
    ) {
        let Derived { stream, actor, ensure, action } = derived;
        if depth >= MAX_DERIVED_DEPTH {
            tracing::warn!(%stream, "derived append nested too deep; dropped");
            return;
        }
        let exists = group.working.contains_key(&stream) || self.registry.get(&stream).is_some();
        if let (false, Some(create)) = (exists, ensure) {
            let one = One { stream: &stream, actor: &actor, action: create, idem: None, depth: depth + 1 };
            if let Err(e) = self.decide_one(one, batch, batch_idem, group) {
                tracing::warn!(%stream, error = %e, "creating the stream of a derived append failed; dropped");
                return;
            }
        }
        let one = One { stream: &stream, actor: &actor, action, idem: None, depth: depth + 1 };
        if let Err(e) = self.decide_one(one, batch, batch_idem, group) {
            tracing::debug!(%stream, error = %e, "derived append refused; dropped");
        }
    }

    /// Decide `derived` in place of an append that appends nothing itself
    /// ([`Decision::Instead`]); unlike [`Self::decide_derived`], its refusal is the reply.
    fn decide_instead(
        &mut self,
        derived: Derived,
        depth: u8,
        batch: &mut CommitBatch,
        batch_idem: &mut HashMap<(StreamId, UserId, String), Seq>,
        group: &mut GroupState,
    ) -> AppResult<Appended> {
        let Derived { stream, actor, ensure, action } = derived;
        if depth >= MAX_DERIVED_DEPTH {
            return Err(AppError::Internal("derived append nested too deep".into()));
        }
        let exists = group.working.contains_key(&stream) || self.registry.get(&stream).is_some();
        if let (false, Some(create)) = (exists, ensure) {
            let one = One { stream: &stream, actor: &actor, action: create, idem: None, depth: depth + 1 };
            self.decide_one(one, batch, batch_idem, group)?;
        }
        let one = One { stream: &stream, actor: &actor, action, idem: None, depth: depth + 1 };
        self.decide_one(one, batch, batch_idem, group)
    }

    /// Raise a read marker if `seq` is larger than what is stored (or queued in this batch).
    fn advance_one(
        &self,
        user: UserId,
        stream: StreamId,
        seq: Seq,
        markers: &mut HashMap<(UserId, StreamId), Seq>,
        batch: &mut CommitBatch,
    ) -> AppResult<bool> {
        let key = (user, stream);
        let current = match markers.get(&key) {
            Some(v) => *v,
            None => self.log.read_marker(&key.0, &key.1)?,
        };
        if seq <= current {
            return Ok(false);
        }
        markers.insert(key.clone(), seq);
        batch.state.push(StateWrite::ReadMarker { user: key.0, stream: key.1, seq });
        Ok(true)
    }

    /// A snapshot of a stream's state: this group's working copy if it has one
    /// (committed in the same flush), else the committed state.
    fn snapshot_put(&self, stream: &StreamId, group: Option<&GroupState>) -> Option<StateWrite> {
        let bytes = match group.and_then(|g| g.working.get(stream)) {
            Some(st) => rmp_serde::to_vec_named(st).ok()?,
            None => {
                let entry = self.registry.get(stream)?;
                let st = entry.read();
                rmp_serde::to_vec_named(&*st).ok()?
            }
        };
        Some(StateWrite::Snapshot { stream: stream.clone(), state: bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::MemoryEngine;
    use agora_protocol::ops::Role;
    use agora_protocol::StreamKind;
    use std::sync::Mutex;

    fn clock() -> Arc<Clock> {
        Arc::new(Clock::system())
    }
    fn projections() -> Arc<Projections> {
        Arc::new(Projections::default())
    }

    /// What the gate saw of the commits it held.
    #[derive(Default)]
    struct Gate {
        sizes: Mutex<Vec<usize>>,
        /// Commits that have reached the gate: their group is sealed.
        started: std::sync::atomic::AtomicUsize,
    }

    /// A memory engine whose commits wait for a signal, to look at the world
    /// mid-commit, and which records how many events each commit held.
    fn gated_log() -> (Arc<MemoryEngine>, Arc<Gate>, std::sync::mpsc::Sender<()>) {
        let (open, gate_rx) = std::sync::mpsc::channel::<()>();
        let gate_rx = Mutex::new(gate_rx);
        let gate = Arc::new(Gate::default());
        let seen = gate.clone();
        let log = MemoryEngine::new().with_commit_hook(Box::new(move |batch| {
            seen.started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = gate_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
            seen.sizes.lock().unwrap().push(batch.events.len());
            Ok(())
        }));
        (Arc::new(log), gate, open)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_see_a_change_only_after_its_commit_returns() {
        let (log, _gate, open) = gated_log();
        let registry = Arc::new(Registry::default());
        let metrics = Arc::new(Metrics::new());
        let hub = Arc::new(Hub::new(metrics.clone()));
        let (seq, thread) =
            Sequencer::start(log, registry.clone(), hub, metrics, GroupPolicy::eager(16), clock(), projections());
        let ann = Actor { id: "ann".into(), role: Role::Member };
        let bob = Actor { id: "bob".into(), role: Role::Member };
        let stream = StreamId::from("ch_test");
        let create = Action::Create {
            kind: StreamKind::Channel,
            name: "t".into(),
            topic: String::new(),
            members: vec!["ann".into()],
        };
        open.send(()).unwrap();
        seq.append(stream.clone(), ann, create, None).await.unwrap();

        // bob joins; the commit is held at the gate.
        let join = seq.submit(stream.clone(), bob.clone(), Action::Join, None).unwrap();
        let join = tokio::spawn(join);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let entry = registry.get(&stream).unwrap();
        assert!(!entry.read().is_member(&bob.id), "an uncommitted join must not be visible");
        assert_eq!(entry.committed_head(), Seq(1));
        assert_eq!(entry.read().head, Seq(1));
        assert!(registry.streams_of(&bob.id).is_empty());

        open.send(()).unwrap();
        let appended = join.await.unwrap().unwrap();
        assert_eq!(appended.seq, Seq(2));
        assert!(entry.read().is_member(&bob.id));
        assert_eq!(entry.committed_head(), Seq(2));
        assert_eq!(registry.streams_of(&bob.id), vec![stream]);

        open.send(()).unwrap();
        seq.stop().await;
        drop(seq);
        thread.join().unwrap();
    }

    /// Wait until `n` commits have reached the gate: the group of the last one is
    /// sealed, so jobs submitted now form the next group.
    async fn at_gate(gate: &Gate, n: usize) {
        while gate.started.load(std::sync::atomic::Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Wait until the writer thread has taken every queued job.
    async fn taken(seq: &Sequencer) {
        while seq.tx.capacity() < seq.tx.max_capacity() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_a_large_group_the_writer_lingers_so_later_appends_share_the_commit() {
        let (log, gate, open) = gated_log();
        let registry = Arc::new(Registry::default());
        let metrics = Arc::new(Metrics::new());
        let hub = Arc::new(Hub::new(metrics.clone()));
        // Steps long enough that "arrives during the linger" does not depend on the machine's speed.
        let policy = GroupPolicy {
            linger: Duration::from_secs(2),
            linger_after: 2,
            step: Duration::from_secs(1),
            ..GroupPolicy::eager(1024)
        };
        let (seq, thread) = Sequencer::start(log.clone(), registry, hub, metrics, policy, clock(), projections());
        let ann = Actor { id: "ann".into(), role: Role::Member };
        let stream = StreamId::from("ch_linger");
        let post = |t: &str| Action::Post { text: t.into(), reply_to: None, mentions: vec![], attachments: vec![] };
        let create = Action::Create {
            kind: StreamKind::Channel,
            name: "l".into(),
            topic: String::new(),
            members: vec!["ann".into()],
        };
        open.send(()).unwrap();
        seq.append(stream.clone(), ann.clone(), create, None).await.unwrap();

        // A group of 1 is no load: the next job is taken at once (and held at the gate)...
        let g = tokio::spawn(seq.submit(stream.clone(), ann.clone(), post("g"), None).unwrap());
        at_gate(&gate, 2).await;
        // ...while three more queue behind it and then commit together: that is load.
        let queued: Vec<_> = ["a1", "a2", "a3"]
            .iter()
            .map(|t| tokio::spawn(seq.submit(stream.clone(), ann.clone(), post(t), None).unwrap()))
            .collect();
        open.send(()).unwrap();
        open.send(()).unwrap();
        g.await.unwrap().unwrap();
        for q in queued {
            q.await.unwrap().unwrap();
        }

        // After that group of 3 the writer takes b and lingers; c and d arrive meanwhile and join it.
        let b = tokio::spawn(seq.submit(stream.clone(), ann.clone(), post("b"), None).unwrap());
        taken(&seq).await;
        let later: Vec<_> = ["c", "d"]
            .iter()
            .map(|t| tokio::spawn(seq.submit(stream.clone(), ann.clone(), post(t), None).unwrap()))
            .collect();
        // Enough openings for every commit that could follow, so a writer that does not linger fails below instead of hanging.
        for _ in 0..3 {
            open.send(()).unwrap();
        }
        assert_eq!(b.await.unwrap().unwrap().seq, Seq(6));
        for l in later {
            l.await.unwrap().unwrap();
        }
        assert_eq!(*gate.sizes.lock().unwrap(), vec![1, 1, 3, 3], "events per commit");

        seq.stop().await;
        drop(seq);
        thread.join().unwrap();
    }

    /// The race an op-side check loses: a post that passed every check before
    /// a mute committed, queued right behind the mute in the same group. The
    /// writer decides the post against the mute it decided a moment earlier.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_post_queued_behind_a_mute_in_one_group_is_refused() {
        use crate::streams::kinds::audit::{self, AuditOp};
        let (log, gate, open) = gated_log();
        let registry = Arc::new(Registry::default());
        let metrics = Arc::new(Metrics::new());
        let hub = Arc::new(Hub::new(metrics.clone()));
        let (seq, thread) =
            Sequencer::start(log, registry, hub, metrics, GroupPolicy::eager(16), clock(), projections());
        let ann = Actor { id: "ann".into(), role: Role::Member };
        let mo = Actor { id: "mo".into(), role: Role::Moderator };
        let stream = StreamId::from("ch_mute");
        let post = |t: &str| Action::Post { text: t.into(), reply_to: None, mentions: vec![], attachments: vec![] };
        let create = Action::Create {
            kind: StreamKind::Channel,
            name: "m".into(),
            topic: String::new(),
            members: vec!["ann".into()],
        };
        open.send(()).unwrap();
        seq.append(stream.clone(), ann.clone(), create, None).await.unwrap();
        open.send(()).unwrap();
        seq.append(audit::audit_id(), Actor::system(), audit::create(), None).await.unwrap();

        // A post holds the writer at the gate; the mute and then ann's post queue behind it.
        let first = tokio::spawn(seq.submit(stream.clone(), ann.clone(), post("before"), None).unwrap());
        at_gate(&gate, 3).await;
        let mute = AuditOp::Mute { user: ann.id.clone(), duration_ms: 60_000, reason: "spam".into() };
        let mute = tokio::spawn(seq.submit(audit::audit_id(), mo, Action::Audit(mute), None).unwrap());
        let behind = tokio::spawn(seq.submit(stream.clone(), ann.clone(), post("behind the mute"), None).unwrap());
        open.send(()).unwrap();
        first.await.unwrap().unwrap();
        at_gate(&gate, 4).await;
        open.send(()).unwrap();
        mute.await.unwrap().unwrap();
        let refused = behind.await.unwrap().unwrap_err();
        assert!(matches!(refused, AppError::Muted { .. }), "{refused:?}");
        assert_eq!(*gate.sizes.lock().unwrap(), vec![1, 1, 1, 1], "the mute's group held the mute alone");

        open.send(()).unwrap();
        seq.stop().await;
        drop(seq);
        thread.join().unwrap();
    }
}
