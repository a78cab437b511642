//! A ticket's own state (`KindState::Ticket`): its fields, lifecycle status and
//! version, and how ticket events fold into it. The rules for what may change
//! are in `rules.rs`; deciding is in `mod.rs`.

use crate::streams::kinds::KindState;
use crate::streams::StreamState;
use agora_protocol::ticket::{FieldValue, Priority, TicketChanges, TicketStatus, TicketView};
use agora_protocol::{StreamId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a ticket is now, folded from its events. Snapshotted (MessagePack) with
/// the stream: new fields get `#[serde(default)]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketState {
    #[serde(default)]
    pub status: TicketStatus,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub assignee: Option<UserId>,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub tags: BTreeSet<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
    /// Bumped by every `ticket_updated`; a change names the version it was decided on.
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub follow_up_of: Option<StreamId>,
    #[serde(default)]
    pub follow_ups: Vec<StreamId>,
    #[serde(default)]
    pub created_at: u64,
    /// When an agent first replied publicly.
    #[serde(default)]
    pub first_response_at: Option<u64>,
    #[serde(default)]
    pub solved_at: Option<u64>,
}

impl TicketState {
    /// Apply field changes (already checked by the rules); bumps the version.
    pub fn apply(&mut self, changes: &TicketChanges, at: u64) {
        if changes.unassign {
            self.assignee = None;
        }
        if let Some(a) = &changes.assignee {
            self.assignee = Some(a.clone());
        }
        if let Some(p) = changes.priority {
            self.priority = p;
        }
        if let Some(t) = &changes.team {
            self.team = t.clone();
        }
        for t in &changes.remove_tags {
            self.tags.remove(t);
        }
        for t in &changes.add_tags {
            self.tags.insert(t.clone());
        }
        for (k, v) in &changes.fields {
            self.fields.insert(k.clone(), v.clone());
        }
        match changes.status {
            Some(s) => self.set_status(s, at),
            // Assigning a new ticket opens it.
            None if self.status == TicketStatus::New && self.assignee.is_some() => {
                self.set_status(TicketStatus::Open, at)
            }
            None => {}
        }
        self.version += 1;
    }

    pub fn set_status(&mut self, s: TicketStatus, at: u64) {
        if s == TicketStatus::Solved && self.status != TicketStatus::Solved {
            self.solved_at = Some(at);
        }
        self.status = s;
    }
}

/// The ticket state of a ticket stream (the default for a stream without one).
pub fn of(st: &StreamState) -> TicketState {
    match &st.ext {
        KindState::Ticket(t) => t.clone(),
        _ => TicketState::default(),
    }
}

/// Change a ticket stream's ticket state in place.
pub fn update(st: &mut StreamState, f: impl FnOnce(&mut TicketState)) {
    if !matches!(st.ext, KindState::Ticket(_)) {
        st.ext = KindState::Ticket(TicketState::default());
    }
    if let KindState::Ticket(t) = &mut st.ext {
        f(t)
    }
}

/// The ticket as clients see it.
pub fn view(st: &StreamState) -> TicketView {
    let t = of(st);
    TicketView {
        id: st.id.clone(),
        subject: st.name.clone(),
        requester: st.created_by.clone(),
        status: t.status,
        priority: t.priority,
        assignee: t.assignee,
        team: t.team,
        tags: t.tags.into_iter().collect(),
        fields: t.fields,
        version: t.version,
        follow_up_of: t.follow_up_of,
        follow_ups: t.follow_ups,
        created_at: t.created_at,
        head: st.head,
    }
}
