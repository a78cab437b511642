//! The hub: who is subscribed to what, and handing each of them the event.
//!
//! An event is wrapped once in a `SharedFrame` (gateway::frames); each
//! encoding's bytes are produced at most once (by whichever connection writer
//! needs them first) and shared by reference with every subscriber of that
//! encoding. The hub knows streams, users and connections' queues; it never
//! sees sockets or bytes. Delivery
//! is a `try_send` into the connection's bounded queue: a full queue closes
//! that connection as a slow consumer (it resumes later with `since`); it
//! never blocks the publisher or the other subscribers.

use crate::gateway::frames::{Closer, LiveEvent, Outbound, SharedFrame, Unsubscribed};
use crate::metrics::Metrics;
use crate::streams::Audience;
use agora_protocol::ops::Role;
use agora_protocol::{CloseCode, Push, StreamId, UserId};
use dashmap::DashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// A connection's id, unique for the life of the process.
pub type ConnId = u64;

/// One connection as the hub sees it.
#[derive(Clone)]
pub struct ConnHandle {
    pub id: ConnId,
    pub user: UserId,
    pub tx: mpsc::Sender<Outbound>,
    pub closer: Arc<Closer>,
    /// The user's role as this connection acts and reads with it: shared with the
    /// session loop and the writer, changed at once by a role change (`moderation`).
    pub role: Arc<RoleCell>,
}

/// A role that can change under a running connection (one atomic load per read).
#[derive(Debug)]
pub struct RoleCell(AtomicU8);

impl RoleCell {
    pub fn new(role: Role) -> RoleCell {
        RoleCell(AtomicU8::new(code(role)))
    }
    pub fn get(&self) -> Role {
        // Only `code` stores here, so every value decodes; the least privileged
        // role is the fallback all the same.
        role(self.0.load(Ordering::Acquire)).unwrap_or(Role::Visitor)
    }
    pub fn set(&self, role: Role) {
        self.0.store(code(role), Ordering::Release);
    }
}

/// Exhaustive both ways, so a new role cannot silently become another one
/// (a table once lacked `visitor`, which then read as `member`).
fn code(role: Role) -> u8 {
    match role {
        Role::Member => 0,
        Role::Agent => 1,
        Role::Moderator => 2,
        Role::Admin => 3,
        Role::Bot => 4,
        Role::Visitor => 5,
    }
}

fn role(code: u8) -> Option<Role> {
    Some(match code {
        0 => Role::Member,
        1 => Role::Agent,
        2 => Role::Moderator,
        3 => Role::Admin,
        4 => Role::Bot,
        5 => Role::Visitor,
        _ => return None,
    })
}

impl ConnHandle {
    /// Queue without waiting; a full queue cuts the connection off as a slow consumer.
    fn deliver(&self, item: Outbound, metrics: &Metrics) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.closer.is_closed() {
                    metrics.slow_consumers.inc();
                    tracing::info!(conn = self.id, user = %self.user, "outbound queue full; closing slow consumer");
                }
                self.closer.close(CloseCode::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// A committed event to publish: the event, who may see it, and the event as
/// members are shown it if censoring changes it (`streams::screening::shown`).
pub type Published = (agora_protocol::Event, Audience, Option<agora_protocol::Event>);

pub struct Hub {
    /// stream → its subscribed connections.
    streams: DashMap<StreamId, Vec<ConnHandle>>,
    /// user → their open connections (for `read` and `stream_added` pushes).
    users: DashMap<UserId, Vec<ConnHandle>>,
    /// Connections that asked for the agents' queue changes (`watch_queue`).
    queue_watchers: DashMap<ConnId, ConnHandle>,
    metrics: Arc<Metrics>,
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Hub {
        Hub { streams: DashMap::new(), users: DashMap::new(), queue_watchers: DashMap::new(), metrics }
    }

    pub fn subscribe(&self, stream: &StreamId, conn: &ConnHandle) {
        let mut subs = self.streams.entry(stream.clone()).or_default();
        if !subs.iter().any(|c| c.id == conn.id) {
            subs.push(conn.clone());
            self.metrics.subscriptions.inc();
        }
    }

    pub fn unsubscribe(&self, stream: &StreamId, conn: ConnId) {
        let mut empty = false;
        if let Some(mut subs) = self.streams.get_mut(stream) {
            let before = subs.len();
            subs.retain(|c| c.id != conn);
            if subs.len() < before {
                self.metrics.subscriptions.dec();
            }
            empty = subs.is_empty();
        }
        if empty {
            self.streams.remove_if(stream, |_, v| v.is_empty());
        }
    }

    /// Drop `user`'s subscriptions to `stream` (they lost access) and tell their writers.
    pub fn revoke_user(&self, stream: &StreamId, user: &UserId) {
        let mut removed = Vec::new();
        if let Some(mut subs) = self.streams.get_mut(stream) {
            subs.retain(|c| {
                let keep = &c.user != user;
                if !keep {
                    removed.push(c.clone());
                }
                keep
            });
        }
        for c in removed {
            self.metrics.subscriptions.dec();
            c.deliver(
                Outbound::Unsubscribed(Box::new(Unsubscribed { reply: None, stream: stream.clone() })),
                &self.metrics,
            );
        }
    }

    pub fn add_user_conn(&self, conn: &ConnHandle) {
        self.users.entry(conn.user.clone()).or_default().push(conn.clone());
    }

    /// Start (or stop) sending `conn` the agents' queue changes.
    pub fn watch_queue(&self, conn: &ConnHandle, watch: bool) {
        if watch {
            self.queue_watchers.insert(conn.id, conn.clone());
        } else {
            self.queue_watchers.remove(&conn.id);
        }
    }

    pub fn has_queue_watchers(&self) -> bool {
        !self.queue_watchers.is_empty()
    }

    /// Deliver a queue change to each watching connection whose user, with the
    /// role the connection has *now*, `admits` (the ticket's visibility rule).
    pub fn publish_queue(&self, push: Push, admits: impl Fn(&UserId, Role) -> bool) {
        let frame = SharedFrame::new(push);
        for c in self.queue_watchers.iter().filter(|c| admits(&c.user, c.role.get())) {
            c.deliver(Outbound::Frame(frame.clone()), &self.metrics);
        }
    }

    pub fn remove_user_conn(&self, user: &UserId, conn: ConnId) {
        self.queue_watchers.remove(&conn);
        if let Some(mut v) = self.users.get_mut(user) {
            v.retain(|c| c.id != conn);
        }
        self.users.remove_if(user, |_, v| v.is_empty());
    }

    /// Deliver committed events of one stream (in seq order) to every subscriber:
    /// one queue item per subscriber for the whole run, so a group commit of k
    /// events costs each subscriber one enqueue and one wakeup, not k. Each event
    /// travels with its audience; the connection's writer applies it.
    pub fn publish_events(
        &self,
        stream: &StreamId,
        events: Vec<(agora_protocol::Event, Audience, Option<agora_protocol::Event>)>,
    ) {
        if events.is_empty() {
            return;
        }
        let started = std::time::Instant::now();
        let n = events.len() as u64;
        let frames: Arc<[LiveEvent]> = events
            .into_iter()
            .map(|(e, audience, censored)| LiveEvent {
                frame: SharedFrame::new(Push::Event(e)),
                audience,
                censored: censored.map(|c| SharedFrame::new(Push::Event(c))),
            })
            .collect();
        let mut delivered = 0u64;
        if let Some(subs) = self.streams.get(stream) {
            for c in subs.iter() {
                delivered += c.deliver(Outbound::Events(frames.clone()), &self.metrics) as u64 * n;
            }
        }
        self.metrics.deliveries.inc_by(delivered);
        self.metrics.fanout_seconds.observe(started.elapsed().as_secs_f64());
    }

    /// Deliver an ephemeral push to a stream's subscribers, except `except`'s connections.
    pub fn publish_stream_push(&self, stream: &StreamId, push: Push, except: Option<&UserId>) {
        let Some(subs) = self.streams.get(stream) else { return };
        let frame = SharedFrame::new(push);
        for c in subs.iter().filter(|c| Some(&c.user) != except) {
            c.deliver(Outbound::StreamPush(stream.clone(), frame.clone()), &self.metrics);
        }
    }

    /// Deliver a push to every connection of `user`, except connection `except`.
    pub fn push_to_user(&self, user: &UserId, push: Push, except: Option<ConnId>) {
        let Some(conns) = self.users.get(user) else { return };
        let frame = SharedFrame::new(push);
        for c in conns.iter().filter(|c| Some(c.id) != except) {
            c.deliver(Outbound::Frame(frame.clone()), &self.metrics);
        }
    }

    /// Close every open connection of `user` with `code` (a suspension). Returns how many.
    pub fn close_user(&self, user: &UserId, code: CloseCode) -> usize {
        let conns = self.users.get(user).map(|v| v.clone()).unwrap_or_default();
        for c in &conns {
            c.closer.close(code);
        }
        conns.len()
    }

    /// From now on `user`'s open connections act and read as `role`.
    pub fn set_role(&self, user: &UserId, role: Role) {
        if let Some(conns) = self.users.get(user) {
            for c in conns.iter() {
                c.role.set(role);
            }
        }
    }

    /// The streams some connection of `user` is subscribed to (a scan: for rare
    /// account changes, not per event).
    pub fn streams_of_user(&self, user: &UserId) -> Vec<StreamId> {
        self.streams.iter().filter(|e| e.value().iter().any(|c| &c.user == user)).map(|e| e.key().clone()).collect()
    }

    pub fn has_subscribers(&self, stream: &StreamId) -> bool {
        self.streams.get(stream).is_some_and(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod role_cell_tests {
    use super::*;

    #[test]
    fn every_role_survives_the_cell() {
        for r in [Role::Member, Role::Agent, Role::Moderator, Role::Admin, Role::Bot, Role::Visitor] {
            let cell = RoleCell::new(r);
            assert_eq!(cell.get(), r);
            cell.set(Role::Member);
            cell.set(r);
            assert_eq!(cell.get(), r);
        }
    }
}
