//! Read models that span many streams: a forum category's thread list, the
//! agents' ticket queue, a wiki's links and backlinks, the manager's KPIs.
//!
//! Each is a [`Projection`]: loaded at start from every recovered stream's
//! state, then kept up to date by the sequencer, which hands it every committed
//! event (after the commit, in commit order) with its stream's committed state.
//! Ops read them through [`Projections`], which holds one typed field per
//! projection (add yours there and to [`Projections::all`]).
//!
//! What does not live here: per-stream state (that is `streams::state`, folded
//! by each kind), and anything that must be decided atomically with an append
//! (that is `Kind::decide`). A projection sees only committed events and may
//! lag an ack by the length of one commit group.

use crate::streams::StreamState;
use agora_protocol::Event;
use std::sync::Arc;

/// A read model over many streams. Called on the writer thread: keep `apply` cheap.
pub trait Projection: Send + Sync {
    /// At start, once per recovered stream, with its folded state.
    fn load(&self, _st: &StreamState) {}
    /// After a commit, once per committed event in order, with the state of the
    /// event's stream as committed by that group.
    fn apply(&self, st: &StreamState, ev: &Event);
}

/// Every projection of a running server.
#[derive(Default)]
pub struct Projections {
    /// The forum's thread lists (latest and per category).
    pub forum: Arc<crate::forum_list::ForumList>,
    /// Every ticket's fields: the agents' queue and routing's load per agent.
    pub tickets: Arc<crate::desk::TicketQueue>,
    /// Every stream's next due time (the kinds' `due`), for the timer task.
    pub timers: Arc<crate::timers::Timers>,
    /// The wiki's slugs, redirects, links and backlinks.
    pub wiki: Arc<crate::streams::kinds::wiki::index::WikiIndex>,
    /// The KPIs' per-event figures: next replies, backlog, forum, chat and wiki activity.
    pub activity: Arc<crate::desk::activity::Activity>,
}

impl Projections {
    /// Every projection, for the sequencer and recovery to feed.
    pub fn all(&self) -> Vec<Arc<dyn Projection>> {
        vec![self.forum.clone(), self.tickets.clone(), self.timers.clone(), self.wiki.clone(), self.activity.clone()]
    }

    /// Feed one recovered stream to every projection.
    pub fn load(&self, st: &StreamState) {
        for p in self.all() {
            p.load(st);
        }
    }
}
