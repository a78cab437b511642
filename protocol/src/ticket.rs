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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Choice(String),
}

/// Field changes to a ticket, each optional (absent: unchanged). Used by
/// `update_ticket` and `open_ticket` and stored in `ticket_updated` events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// A custom status (defined by the admins, each behaving as one status
    /// category): sets `status` to its category and shows under its own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_status: Option<String>,
    /// The SLA policy that applies from now on. Set by the server (from its
    /// configuration, by priority) when a ticket opens or its priority changes;
    /// ignored in requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<SlaPolicy>,
}

/// A ticket's service targets, in milliseconds not spent in pending or on-hold
/// (absent: no target): of calendar time, or of business hours for the targets
/// named in `business` (counted on `hours`). The policy travels in the log
/// (`ticket_updated`), so every due time is a function of the ticket's events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlaPolicy {
    /// From creation to the first public reply by an agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_ms: Option<u64>,
    /// From a requester's message (after the first response) to the next agent reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reply_ms: Option<u64>,
    /// From creation to solved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_ms: Option<u64>,
    /// A solved ticket closes by itself after this long (calendar time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_after_ms: Option<u64>,
    /// The targets counted in business hours (the others in calendar time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub business: Vec<SlaTarget>,
    /// The schedule business-hours targets are counted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BusinessHours>,
    /// Announce a running target this long before it falls due (`ticket_sla_warning`), in calendar time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before_ms: Option<u64>,
}

/// A weekly schedule in a time zone, less holidays: when business-hours SLA
/// targets run. Local times, so 09:00–17:00 stays 09:00–17:00 across DST changes.
/// Carried in the log (inside a policy): unknown fields are ignored, not refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusinessHours {
    /// An IANA time zone name, e.g. "Europe/Berlin".
    pub time_zone: String,
    /// Opening hours; a day may have several ranges.
    #[serde(default)]
    pub hours: Vec<OpenHours>,
    /// Local dates ("2027-12-25") on which nothing runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
}

/// Open from `from` to `to` ("09:00", "17:30"; local time, `to` after `from`) on `days`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenHours {
    pub days: Vec<Weekday>,
    pub from: String,
    pub to: String,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// One of a ticket's service targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    FirstResponse,
    NextReply,
    Resolution,
}

impl TicketChanges {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

/// A ticket as agents and its requester see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TicketView {
    pub id: StreamId,
    pub subject: String,
    pub requester: UserId,
    pub status: TicketStatus,
    /// The custom status the ticket is in, if any (its category is `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_status: Option<String>,
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
    /// When the earliest running SLA target falls due (ms since the Unix epoch); none while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_due: Option<u64>,
    /// Targets this ticket has breached (`next_reply` once per reply cycle).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaches: Vec<SlaTarget>,
    /// Running targets that were announced as falling due soon (and not breached yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SlaTarget>,
    /// The requester was asked to rate the ticket (once, when first solved).
    #[serde(default)]
    pub survey_offered: bool,
    /// The requester's rating, 1–5, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The ticket this one was merged into (it is closed while merged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<StreamId>,
    /// Tickets merged into this one: their conversations belong here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<StreamId>,
}

/// Reply to `open_ticket` and `ticket_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TicketOk {
    pub ticket: TicketView,
}

/// An agent's availability for new conversations (set with `set_agent_status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes new conversations (while connected and under their maximum).
    Available,
    /// Connected, keeps their tickets, takes no new ones.
    Busy,
    /// Takes nothing new.
    #[default]
    Away,
}

/// Reply to `set_agent_status`: the agent's routing settings and load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgentStatusOk {
    pub status: AgentStatus,
    /// Most tickets (new or open) assigned to the agent at once by routing.
    pub max_chats: u32,
    /// Teams whose tickets the agent takes (empty: every team).
    pub teams: Vec<String>,
    /// Tickets (new or open) assigned to the agent now.
    pub assigned: u32,
}

/// Reply to `desk_status`: whether someone will answer soon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskStatusOk {
    /// Agents of the team who are connected and available.
    pub agents_available: u32,
    /// "An agent will answer shortly" (true) or "we're away, we'll reply by e-mail".
    pub answering: bool,
}

/// Which tickets `ticket_queue` lists (every filter optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueFilter {
    /// Any of these statuses (empty: all but closed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// "me", "unassigned", "any" (the default) or an agent's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// Reply to `ticket_queue`: the matching tickets, most urgent first, then oldest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TicketQueueOk {
    pub tickets: Vec<TicketView>,
    /// How many tickets match (before `limit`).
    pub total: u32,
    /// Of the tickets matching every filter but `status`, how many are in each status.
    pub by_status: BTreeMap<TicketStatus, u32>,
}

/// A saved reply, as `list_canned` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Canned {
    pub name: String,
    #[serde(default)]
    pub team: String,
    pub text: String,
}

/// Reply to `list_canned`: saved replies and macros agents may apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CannedOk {
    pub canned: Vec<Canned>,
    pub macros: Vec<String>,
}
