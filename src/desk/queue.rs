//! [`TicketQueue`]: every ticket's current fields, kept by the sequencer after
//! each commit (a `Projection`), for the agents' queue views, their counts and
//! routing's load per agent. In memory; rebuilt from the recovered states on start.
//!
//! Live: when a committed event changes a ticket's view (created, assigned,
//! status, priority, SLA due/warning/breach; not a mere new message), the new
//! view goes to every connection watching the queue (`watch_queue`) whose user
//! may read the ticket by the ticket kind's own `can_read`, as a
//! `ticket_changed` push through the hub: no polling, no second event in the log.

use crate::hub::Hub;
use crate::projections::Projection;
use crate::streams::kinds::{self, ticket};
use crate::streams::{Actor, StreamState};
use agora_protocol::ticket::{QueueFilter, TicketStatus, TicketView};
use agora_protocol::{Event, Push, StreamId, StreamKind, UserId};
use dashmap::DashMap;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

#[derive(Default)]
pub struct TicketQueue {
    tickets: DashMap<StreamId, TicketView>,
    /// Where changes are pushed live (set once by `App::new`).
    hub: OnceLock<Arc<Hub>>,
}

impl Projection for TicketQueue {
    fn load(&self, st: &StreamState) {
        if st.kind == StreamKind::Ticket {
            self.tickets.insert(st.id.clone(), ticket::view(st));
        }
    }
    fn apply(&self, st: &StreamState, _ev: &Event) {
        if st.kind != StreamKind::Ticket {
            return;
        }
        let view = ticket::view(st);
        let same = |old: &TicketView| TicketView { head: view.head, ..old.clone() } == view;
        let changed = self.tickets.insert(st.id.clone(), view.clone()).is_none_or(|old| !same(&old));
        if let Some(hub) = self.hub.get().filter(|h| changed && h.has_queue_watchers()) {
            let Some(kind) = kinds::of(StreamKind::Ticket) else { return };
            let admits = |id: &UserId, role| kind.can_read(st, &Actor { id: id.clone(), role });
            hub.publish_queue(Push::TicketChanged { ticket: Box::new(view) }, admits);
        }
    }
}

/// A ticket routing counts against its assignee's capacity.
pub fn is_active(t: &TicketView) -> bool {
    matches!(t.status, TicketStatus::New | TicketStatus::Open)
}

impl TicketQueue {
    /// Push changes to the hub's queue watchers from now on.
    pub fn go_live(&self, hub: Arc<Hub>) {
        let _ = self.hub.set(hub);
    }

    pub fn get(&self, id: &StreamId) -> Option<TicketView> {
        self.tickets.get(id).map(|t| t.clone())
    }

    /// Call `f` with every ticket, in no order.
    pub fn for_each(&self, mut f: impl FnMut(&TicketView)) {
        for t in self.tickets.iter() {
            f(&t)
        }
    }

    /// Active tickets assigned to `agent`.
    pub fn load_of(&self, agent: &UserId) -> u32 {
        self.tickets.iter().filter(|t| t.assignee.as_ref() == Some(agent) && is_active(t)).count() as u32
    }

    /// Unassigned active tickets of `teams` (empty: any team), oldest first.
    pub fn waiting(&self, teams: &[String]) -> Vec<TicketView> {
        let mut v: Vec<TicketView> = self
            .tickets
            .iter()
            .filter(|t| t.assignee.is_none() && is_active(t) && (teams.is_empty() || teams.contains(&t.team)))
            .map(|t| t.clone())
            .collect();
        v.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.created_at, t.id.clone()));
        v
    }

    /// Tickets matching `f` (for `me`: the agent `me`), most urgent then oldest first,
    /// at most `limit`; the number matching; counts per status ignoring `f.status`.
    pub fn view(
        &self,
        f: &QueueFilter,
        me: &UserId,
        limit: usize,
    ) -> (Vec<TicketView>, u32, BTreeMap<TicketStatus, u32>) {
        let others = |t: &TicketView| {
            f.priority.is_none_or(|p| t.priority == p)
                && f.team.as_ref().is_none_or(|team| &t.team == team)
                && f.tag.as_ref().is_none_or(|tag| t.tags.contains(tag))
                && match f.assignee.as_deref() {
                    None | Some("any") => true,
                    Some("me") => t.assignee.as_ref() == Some(me),
                    Some("unassigned") => t.assignee.is_none(),
                    Some(a) => t.assignee.as_ref().is_some_and(|x| x.as_str() == a),
                }
        };
        let status = |t: &TicketView| {
            if f.status.is_empty() {
                t.status != TicketStatus::Closed
            } else {
                f.status.contains(&t.status)
            }
        };
        let mut by_status = BTreeMap::new();
        let mut matched = Vec::new();
        for t in self.tickets.iter() {
            if !others(&t) {
                continue;
            }
            *by_status.entry(t.status).or_insert(0) += 1;
            if status(&t) {
                matched.push(t.clone());
            }
        }
        matched.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.created_at, t.id.clone()));
        let total = matched.len() as u32;
        matched.truncate(limit);
        (matched, total, by_status)
    }
}
