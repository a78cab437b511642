//! The in-memory view of every stream: folded state, committed head, who is a
//! member of what, and which streams reference each attachment. Shared by ops (reads) and the sequencer (the only writer).
//!
//! Holds committed state only: the sequencer decides against its own working
//! copies and publishes them here after the commit returns.
//!
//! Locks: a std `RwLock` per stream, never held across an `.await`; the
//! sequencer holds the write side only to install a committed state.

use crate::streams::StreamState;
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use dashmap::DashMap;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

pub struct StreamEntry {
    state: RwLock<StreamState>,
    /// The last seq known to be durable. Readers bound replays and listings by
    /// this (it is advanced right after the state is installed).
    committed: AtomicU64,
}

impl StreamEntry {
    pub fn read(&self) -> RwLockReadGuard<'_, StreamState> {
        // A poisoned lock means a panic mid-fold; the state is still the best we have.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn write_with<R>(&self, f: impl FnOnce(&mut StreamState) -> R) -> R {
        let mut g = self.state.write().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }
    pub fn committed_head(&self) -> Seq {
        Seq(self.committed.load(Ordering::Acquire))
    }
    pub fn set_committed(&self, seq: Seq) {
        self.committed.fetch_max(seq.0, Ordering::AcqRel);
    }
}

#[derive(Default)]
pub struct Registry {
    streams: DashMap<StreamId, Arc<StreamEntry>>,
    /// user → streams they are a member of (for presence fan-out and listings).
    memberships: DashMap<UserId, HashSet<StreamId>>,
    /// attachment hash → streams with a message that references it (for
    /// `GET /api/v1/attachments/{hash}`; whether the caller may see one of those
    /// messages is the stream state's to say, `can_read_attachment`).
    attachments: DashMap<String, HashSet<StreamId>>,
}

impl Registry {
    pub fn get(&self, id: &StreamId) -> Option<Arc<StreamEntry>> {
        self.streams.get(id).map(|e| e.value().clone())
    }

    /// Insert a stream whose state is already folded up to `committed`.
    pub fn insert(&self, state: StreamState, committed: Seq) -> Arc<StreamEntry> {
        for m in &state.members {
            self.memberships.entry(m.clone()).or_default().insert(state.id.clone());
        }
        for hash in state.attachments.keys() {
            self.attachments.entry(hash.clone()).or_default().insert(state.id.clone());
        }
        let id = state.id.clone();
        let entry = Arc::new(StreamEntry { state: RwLock::new(state), committed: AtomicU64::new(committed.0) });
        self.streams.insert(id, entry.clone());
        entry
    }

    pub fn add_member(&self, user: &UserId, stream: &StreamId) {
        self.memberships.entry(user.clone()).or_default().insert(stream.clone());
    }

    pub fn remove_member(&self, user: &UserId, stream: &StreamId) {
        if let Some(mut set) = self.memberships.get_mut(user) {
            set.remove(stream);
        }
    }

    /// Note the attachments a committed event references (called by the sequencer after each commit).
    pub fn index_attachments(&self, ev: &Event) {
        if let EventBody::MessagePosted { attachments, .. } = &ev.body {
            for a in attachments {
                self.attachments.entry(a.hash.clone()).or_default().insert(ev.stream.clone());
            }
        }
    }

    /// Streams with a message that references attachment `hash`.
    pub fn streams_with_attachment(&self, hash: &str) -> Vec<StreamId> {
        self.attachments.get(hash).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// Streams `user` is a member of.
    pub fn streams_of(&self, user: &UserId) -> Vec<StreamId> {
        self.memberships.get(user).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// Every stream entry (for listings; public channels are visible to all).
    pub fn all(&self) -> Vec<Arc<StreamEntry>> {
        self.streams.iter().map(|e| e.value().clone()).collect()
    }

    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}
