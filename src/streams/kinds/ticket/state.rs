//! A ticket's own state (`KindState::Ticket`): its fields, lifecycle status and
//! version, and how ticket events fold into it. The rules for what may change
//! are in `rules.rs`; deciding is in `mod.rs`.

use crate::streams::kinds::KindState;
use crate::streams::StreamState;
use agora_protocol::ticket::{FieldValue, Priority, SlaPolicy, SlaTarget, TicketChanges, TicketStatus, TicketView};
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
    /// The SLA policy in force (set by the server with `ticket_updated`).
    #[serde(default)]
    pub policy: SlaPolicy,
    /// Time spent in pending or on-hold so far (SLA clocks pause there), and since when it is paused now.
    #[serde(default)]
    pub paused_ms: u64,
    #[serde(default)]
    pub paused_since: Option<u64>,
    /// The requester wrote after the last agent reply (and after the first response): since then.
    #[serde(default)]
    pub awaiting_since: Option<u64>,
    /// `paused_ms` when `awaiting_since` began.
    #[serde(default)]
    pub paused_at_awaiting: u64,
    #[serde(default)]
    pub breached_first_response: bool,
    #[serde(default)]
    pub breached_resolution: bool,
    /// The `awaiting_since` of the reply cycle whose next-reply target was breached.
    #[serde(default)]
    pub breached_next_reply: Option<u64>,
    #[serde(default)]
    pub survey_offered: bool,
    #[serde(default)]
    pub rating: Option<u8>,
    /// Merged into this ticket, and the status it had before (restored by a split).
    #[serde(default)]
    pub merged_into: Option<(StreamId, TicketStatus)>,
    #[serde(default)]
    pub merged: Vec<StreamId>,
    #[serde(default)]
    pub custom_status: Option<String>,
    /// For the KPIs: when it was solved (each time), reopened from solved, rated,
    /// how many public agent replies it got, and its breaches with their due times.
    #[serde(default)]
    pub solves: Vec<u64>,
    #[serde(default)]
    pub reopens: Vec<u64>,
    #[serde(default)]
    pub agent_replies: u32,
    #[serde(default)]
    pub rated_at: Option<u64>,
    #[serde(default)]
    pub breach_log: Vec<(SlaTarget, u64)>,
    /// Pauses that ended, `[from, to)`: business-hours targets skip them.
    #[serde(default)]
    pub pause_log: Vec<(u64, u64)>,
    /// Targets announced as falling due soon (`ticket_sla_warning`), like the breaches:
    /// next reply by the `awaiting_since` of its cycle.
    #[serde(default)]
    pub warned_first_response: bool,
    #[serde(default)]
    pub warned_resolution: bool,
    #[serde(default)]
    pub warned_next_reply: Option<u64>,
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
        if let Some(p) = &changes.policy {
            self.policy = p.clone();
        }
        match changes.status {
            Some(s) => self.set_status(s, at),
            // Assigning a new ticket opens it.
            None if self.status == TicketStatus::New && self.assignee.is_some() => {
                self.set_status(TicketStatus::Open, at)
            }
            None => {}
        }
        if changes.status.is_some() || changes.custom_status.is_some() {
            self.custom_status = changes.custom_status.clone();
        }
        self.version += 1;
    }

    pub fn set_status(&mut self, s: TicketStatus, at: u64) {
        if s == TicketStatus::Solved && self.status != TicketStatus::Solved {
            self.solved_at = Some(at);
            self.survey_offered = true;
            self.solves.push(at);
        }
        if self.status == TicketStatus::Solved && !matches!(s, TicketStatus::Solved | TicketStatus::Closed) {
            self.reopens.push(at);
        }
        if s != self.status {
            // A custom status is a name for one category: leaving it ends it.
            self.custom_status = None;
        }
        let pauses = |s: TicketStatus| matches!(s, TicketStatus::Pending | TicketStatus::OnHold);
        match (pauses(self.status), pauses(s), self.paused_since) {
            (false, true, None) => self.paused_since = Some(at),
            (true, false, Some(since)) => {
                self.paused_ms += at.saturating_sub(since);
                self.paused_since = None;
                self.pause_log.push((since, at));
            }
            _ => {}
        }
        self.status = s;
    }

    /// A public message: the requester's starts a reply cycle (after the first
    /// response), an agent's ends it; either may move the status.
    pub fn replied(&mut self, by_requester: bool, at: u64) {
        let next = super::rules::after_reply(self.status, by_requester);
        self.set_status(next, at);
        if by_requester {
            if self.first_response_at.is_some() && self.awaiting_since.is_none() {
                self.awaiting_since = Some(at);
                self.paused_at_awaiting = self.paused_ms;
            }
        } else {
            self.first_response_at.get_or_insert(at);
            self.awaiting_since = None;
            self.agent_replies += 1;
        }
    }

    /// Record a warning, so the target is not announced again.
    pub fn warn(&mut self, target: SlaTarget) {
        match target {
            SlaTarget::FirstResponse => self.warned_first_response = true,
            SlaTarget::Resolution => self.warned_resolution = true,
            SlaTarget::NextReply => self.warned_next_reply = self.awaiting_since,
        }
    }

    /// Was `target` (in its current cycle) announced already?
    pub fn warned(&self, target: SlaTarget) -> bool {
        match target {
            SlaTarget::FirstResponse => self.warned_first_response,
            SlaTarget::Resolution => self.warned_resolution,
            SlaTarget::NextReply => self.warned_next_reply.is_some() && self.warned_next_reply == self.awaiting_since,
        }
    }

    /// Record a breach, so the target is not due again.
    pub fn breach(&mut self, target: SlaTarget, due: u64) {
        self.breach_log.push((target, due));
        match target {
            SlaTarget::FirstResponse => self.breached_first_response = true,
            SlaTarget::Resolution => self.breached_resolution = true,
            SlaTarget::NextReply => self.breached_next_reply = self.awaiting_since,
        }
    }
}

/// The ticket state of a ticket stream (the default for a stream without one).
pub fn of(st: &StreamState) -> TicketState {
    match &st.ext {
        KindState::Ticket(t) => (**t).clone(),
        _ => TicketState::default(),
    }
}

/// Change a ticket stream's ticket state in place.
pub fn update(st: &mut StreamState, f: impl FnOnce(&mut TicketState)) {
    if !matches!(st.ext, KindState::Ticket(_)) {
        st.ext = KindState::Ticket(Box::default());
    }
    if let KindState::Ticket(t) = &mut st.ext {
        f(t)
    }
}

/// The ticket as clients see it.
pub fn view(st: &StreamState) -> TicketView {
    let t = of(st);
    let mut breaches = Vec::new();
    if t.breached_first_response {
        breaches.push(SlaTarget::FirstResponse);
    }
    if t.breached_next_reply.is_some() {
        breaches.push(SlaTarget::NextReply);
    }
    if t.breached_resolution {
        breaches.push(SlaTarget::Resolution);
    }
    let running = super::sla::running(&t);
    let warnings = running.iter().map(|(target, _)| *target).filter(|target| t.warned(*target)).collect();
    TicketView {
        warnings,
        sla_due: running.iter().map(|(_, d)| *d).min(),
        breaches,
        survey_offered: t.survey_offered,
        rating: t.rating,
        merged_into: t.merged_into.map(|(b, _)| b),
        merged: t.merged,
        id: st.id.clone(),
        subject: st.name.clone(),
        requester: st.created_by.clone(),
        status: t.status,
        custom_status: t.custom_status,
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
