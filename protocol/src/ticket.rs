//! The ticket desk's wire types: priorities, statuses, ticket fields, the
//! changes an agent asks for (`update_ticket`) and the ticket as clients see it
//! (`ticket_info`, `open_ticket`, a `conflict`'s `current`).
//!
//! What does not live here: the lifecycle rules (the server's ticket kind
//! decides them) and the ops and events themselves (`ops.rs`, `event.rs`).

use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How urgent a ticket is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// Where a ticket is in its lifecycle (Zendesk's status categories).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Nobody has picked it up yet.
    #[default]
    New,
    /// An agent is working on it.
    Open,
    /// Waiting on the requester.
    Pending,
    /// Waiting on a third party.
    OnHold,
    /// Answered; the requester may still reply (which reopens it).
    Solved,
    /// Final: nothing changes any more; a requester's reply opens a follow-up ticket.
    Closed,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::OnHold => "on_hold",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }
}

/// A custom field's value: `{"text": "..."}`, `{"number": 3}` or `{"choice": "gold"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Choice(String),
}

/// Field changes to a ticket, each optional (absent: unchanged). Used by
/// `update_ticket` and `open_ticket` and stored in `ticket_updated` events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The agent the ticket is assigned to from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
    /// Take the ticket away from its assignee (back to the team's queue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unassign: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    /// Custom fields to set (by name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldValue>,
}

impl TicketChanges {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

/// A ticket as agents and its requester see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub id: StreamId,
    pub subject: String,
    pub requester: UserId,
    pub status: TicketStatus,
    pub priority: Priority,
    #[serde(default)]
    pub assignee: Option<UserId>,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
    /// Name this in `update_ticket`: a change decided on an older version is refused (`conflict`).
    pub version: u64,
    /// The closed ticket this one follows up, if any.
    #[serde(default)]
    pub follow_up_of: Option<StreamId>,
    /// Follow-up tickets opened after this one was closed.
    #[serde(default)]
    pub follow_ups: Vec<StreamId>,
    pub created_at: u64,
    /// The stream's head (its last seq).
    pub head: Seq,
}

/// Reply to `open_ticket` and `ticket_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketOk {
    pub ticket: TicketView,
}
