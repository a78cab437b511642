//! [`Activity`]: the KPI figures that need each event rather than a stream's
//! folded state: tickets' next-reply times and outstanding-over-time
//! (backlog), the forum's threads, replies, likes and first replies, chat
//! messages and wiki edits, each with who did it and when. A projection kept
//! by the sequencer after each commit; on start it is rebuilt by reading the
//! events of those streams from the log ([`Activity::rebuild`]), and
//! `GET /api/v1/kpis?replay=true` rebuilds a fresh one the same way, so the
//! figures are a function of the log.
//!
//! Every figure is order-independent across streams (per-stream sequences, sets
//! and minima), so replaying stream by stream gives what the live, interleaved
//! commits gave. What the figures mean is in `kpis.rs` and docs/KPIS.md; what
//! does not live here: figures read from a ticket's own state (`kpis.rs`).

use crate::engine::Engine;
use crate::projections::Projection;
use crate::registry::Registry;
use crate::streams::kinds::ticket;
use crate::streams::StreamState;
use agora_protocol::ticket::TicketStatus;
use agora_protocol::{Event, EventBody, Seq, StreamId, StreamKind, UserId};
use std::collections::HashMap;
use std::sync::Mutex;

/// One counted act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The opening post of a forum thread.
    Thread,
    /// Any later post in a forum thread.
    Reply,
    Like,
    /// A message in a channel, private channel or DM.
    Chat,
    /// A wiki revision.
    WikiEdit,
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub at: u64,
    pub act: Act,
    /// An index into the interned users.
    pub user: u32,
}

/// What the projection remembers of one ticket.
#[derive(Clone, Debug, Default)]
pub struct TicketTrack {
    requester: UserId,
    agent_replied: bool,
    awaiting: Option<u64>,
    /// (when the agent answered, how long the requester had waited).
    pub next_replies: Vec<(u64, u64)>,
    /// When the ticket became outstanding (true) or stopped being (false).
    pub outstanding: Vec<(u64, bool)>,
}

impl TicketTrack {
    /// Whether the ticket was outstanding just before `t`.
    pub fn outstanding_before(&self, t: u64) -> bool {
        self.outstanding.iter().take_while(|(at, _)| *at < t).last().is_some_and(|(_, o)| *o)
    }
}

#[derive(Clone, Debug, Default)]
struct ThreadTrack {
    opened: Option<(UserId, u64)>,
    replied: bool,
}

#[derive(Default)]
pub struct Inner {
    pub entries: Vec<Entry>,
    users: Vec<UserId>,
    index: HashMap<UserId, u32>,
    /// Per interned user: their first forum post (thread or reply).
    pub first_post: HashMap<u32, u64>,
    /// (when a thread got its first reply by someone else, how long after it opened).
    pub first_replies: Vec<(u64, u64)>,
    pub tickets: HashMap<StreamId, TicketTrack>,
    threads: HashMap<StreamId, ThreadTrack>,
}

#[derive(Default)]
pub struct Activity {
    inner: Mutex<Inner>,
}

/// The kinds this projection reads.
fn counted(kind: StreamKind) -> bool {
    matches!(
        kind,
        StreamKind::Ticket
            | StreamKind::ForumThread
            | StreamKind::Channel
            | StreamKind::PrivateChannel
            | StreamKind::Dm
            | StreamKind::WikiPage
    )
}

fn is_outstanding(s: TicketStatus) -> bool {
    matches!(s, TicketStatus::New | TicketStatus::Open | TicketStatus::Pending | TicketStatus::OnHold)
}

impl Inner {
    fn intern(&mut self, u: &UserId) -> u32 {
        if let Some(i) = self.index.get(u) {
            return *i;
        }
        let i = self.users.len() as u32;
        self.users.push(u.clone());
        self.index.insert(u.clone(), i);
        i
    }

    fn push(&mut self, at: u64, act: Act, user: &UserId) -> u32 {
        let user = self.intern(user);
        self.entries.push(Entry { at, act, user });
        user
    }

    fn apply(&mut self, st: &StreamState, ev: &Event) {
        match st.kind {
            StreamKind::Ticket => self.ticket(st, ev),
            StreamKind::ForumThread => self.forum(st, ev),
            StreamKind::Channel | StreamKind::PrivateChannel | StreamKind::Dm => {
                if matches!(ev.body, EventBody::MessagePosted { .. }) {
                    self.push(ev.at, Act::Chat, &ev.author);
                }
            }
            StreamKind::WikiPage => {
                if matches!(ev.body, EventBody::WikiRevised { .. }) {
                    self.push(ev.at, Act::WikiEdit, &ev.author);
                }
            }
            _ => {}
        }
    }

    fn ticket(&mut self, st: &StreamState, ev: &Event) {
        let t = self
            .tickets
            .entry(st.id.clone())
            .or_insert_with(|| TicketTrack { requester: st.created_by.clone(), ..TicketTrack::default() });
        if let EventBody::MessagePosted { .. } = ev.body {
            if ev.author == t.requester {
                if t.agent_replied && t.awaiting.is_none() {
                    t.awaiting = Some(ev.at);
                }
            } else {
                if let Some(since) = t.awaiting.take() {
                    t.next_replies.push((ev.at, ev.at.saturating_sub(since)));
                }
                t.agent_replied = true;
            }
        }
        let now = is_outstanding(ticket::state::of(st).status);
        if t.outstanding.last().map(|(_, o)| *o) != Some(now) {
            t.outstanding.push((ev.at, now));
        }
    }

    fn forum(&mut self, st: &StreamState, ev: &Event) {
        match &ev.body {
            EventBody::MessagePosted { .. } => {
                let opened = self.threads.get(&st.id).and_then(|t| t.opened.clone());
                let act = if opened.is_none() { Act::Thread } else { Act::Reply };
                let user = self.push(ev.at, act, &ev.author);
                let first = self.first_post.entry(user).or_insert(ev.at);
                *first = (*first).min(ev.at);
                let th = self.threads.entry(st.id.clone()).or_default();
                match opened {
                    None => th.opened = Some((ev.author.clone(), ev.at)),
                    Some((opener, at)) if !th.replied && opener != ev.author => {
                        th.replied = true;
                        self.first_replies.push((ev.at, ev.at.saturating_sub(at)));
                    }
                    Some(_) => {}
                }
            }
            // A thread split or merged off another starts with moved posts: its
            // later posts are replies, and the move itself is no new activity.
            EventBody::ForumPostMovedIn { post, .. } => {
                let th = self.threads.entry(st.id.clone()).or_default();
                if th.opened.is_none() {
                    th.opened = Some((post.author.clone(), post.at));
                    th.replied = true;
                }
            }
            EventBody::ForumPostLiked { .. } => {
                self.push(ev.at, Act::Like, &ev.author);
            }
            _ => {}
        }
    }
}

impl Projection for Activity {
    fn apply(&self, st: &StreamState, ev: &Event) {
        if counted(st.kind) {
            self.lock().apply(st, ev);
        }
    }
}

impl Activity {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Read every counted stream of `registry` from the log, folding its state
    /// event by event, as the live commits did.
    pub fn rebuild(&self, log: &dyn Engine, registry: &Registry) -> Result<(), crate::engine::EngineError> {
        let mut inner = Inner::default();
        for entry in registry.all() {
            let (id, kind) = {
                let st = entry.read();
                (st.id.clone(), st.kind)
            };
            if !counted(kind) {
                continue;
            }
            let head = log.head(&id)?;
            let mut st: Option<StreamState> = None;
            let mut after = Seq(0);
            while after < head {
                let page = log.read_range(&id, after, head, 1000)?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for ev in &page {
                    match &mut st {
                        None => st = StreamState::from_created(ev),
                        Some(s) => s.apply(ev),
                    }
                    if let Some(s) = &st {
                        inner.apply(s, ev);
                    }
                }
            }
        }
        *self.lock() = inner;
        Ok(())
    }
}
