//! Events: what a stream's log holds, and what subscribers receive in `event` pushes.
//!
//! An event is immutable once acked, with one exception documented in
//! PROTOCOL.md: deleting a message rewrites the original `message_posted`
//! record into a `tombstone` that keeps its sequence, so deleted text is never
//! served again.

use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// What kind of conversation a stream is. Later kinds (forum threads, tickets,
/// wiki pages) join this enum; clients must treat an unknown kind as opaque.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// A public channel: anyone can read and join it.
    Channel,
    /// A private channel: only members read it; members invite others.
    PrivateChannel,
    /// A direct message between two or more users; its member set is fixed.
    Dm,
    /// A support ticket: a requester (a user or a website visitor) and the agents
    /// answering them. Agents' internal notes are never shown to the requester.
    Ticket,
    /// A kind this client does not know (added by a newer server): treat as opaque.
    #[serde(other)]
    Unknown,
}

/// One entry in a stream's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub stream: StreamId,
    pub seq: Seq,
    /// Server time of the append, milliseconds since the Unix epoch.
    pub at: u64,
    pub author: UserId,
    /// The client's idempotency key, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idem: Option<String>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened. Serialized with a `type` field next to the event's other fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    StreamCreated {
        kind: StreamKind,
        name: String,
        #[serde(default)]
        topic: String,
        /// The members the stream starts with (the creator first).
        members: Vec<UserId>,
    },
    StreamRenamed {
        name: String,
    },
    TopicSet {
        topic: String,
    },
    MemberJoined {
        user: UserId,
    },
    MemberLeft {
        user: UserId,
    },
    /// `user` was added to a channel by the event's author.
    MemberInvited {
        user: UserId,
    },
    MessagePosted {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        /// Users named as `@username` in the text who can read the stream.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<UserId>,
    },
    MessageEdited {
        target: Seq,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<UserId>,
    },
    MessageDeleted {
        target: Seq,
    },
    /// What a deleted `message_posted` becomes in the log: its sequence stays,
    /// its text is gone. `deleted_by` is the seq of the `message_deleted` event.
    Tombstone {
        deleted_by: Seq,
    },
    ReactionAdded {
        target: Seq,
        emoji: String,
    },
    ReactionRemoved {
        target: Seq,
        emoji: String,
    },
    /// A moderator hid message `target` from members: from now on only its author
    /// and moderators see it (others get a `skip` for it on replay and history).
    MessageHidden {
        target: Seq,
        /// The hidden message's author (who still sees it).
        message_author: UserId,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// A moderator made hidden message `target` visible again.
    MessageUnhidden {
        target: Seq,
    },
    /// Ticket fields changed by an agent (or the server), decided on ticket
    /// `version` `based_on`; the ticket's version is `based_on + 1` after it.
    TicketUpdated {
        based_on: u64,
        changes: Box<crate::ticket::TicketChanges>,
    },
    /// An internal note on a ticket: agents (and moderators, admins) only; the
    /// requester gets a `skip` for its seq.
    TicketNote {
        text: String,
        /// Agents named as `@username` in the note.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<UserId>,
    },
    /// The requester wrote to this closed ticket: their message opened `follow_up`.
    TicketFollowUp {
        follow_up: StreamId,
    },
    /// This ticket follows up the closed ticket `follow_up_of`.
    TicketLinked {
        follow_up_of: StreamId,
    },
    /// A ticket's SLA target passed without being met (appended once per target
    /// and cycle by the server, also when it was down at `due`).
    TicketSlaBreached {
        target: crate::ticket::SlaTarget,
        /// When the target fell due (ms since the Unix epoch).
        due: u64,
    },
    /// The requester rated the solved ticket (once): 1–5 and an optional comment.
    TicketRated {
        score: u8,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
    },
    /// This ticket was merged into `into` (it closes; its conversation shows inside `into`).
    TicketMerged {
        into: StreamId,
    },
    /// Ticket `from` was merged into this one.
    TicketAbsorbed {
        from: StreamId,
    },
    /// Undo of a merge: this ticket is out of `from` again, with the status it had before.
    TicketUnmerged {
        from: StreamId,
        status: crate::ticket::TicketStatus,
    },
    /// Undo of a merge: ticket `ticket` is no longer part of this one.
    TicketReleased {
        ticket: StreamId,
    },
    /// An event type this client does not know (written by a newer server): its
    /// seq counts, its body is ignored.
    #[serde(other)]
    Unknown,
}

impl EventBody {
    /// The snake_case name used on the wire (`type` field); for metrics and logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::StreamCreated { .. } => "stream_created",
            EventBody::StreamRenamed { .. } => "stream_renamed",
            EventBody::TopicSet { .. } => "topic_set",
            EventBody::MemberJoined { .. } => "member_joined",
            EventBody::MemberLeft { .. } => "member_left",
            EventBody::MemberInvited { .. } => "member_invited",
            EventBody::MessagePosted { .. } => "message_posted",
            EventBody::MessageEdited { .. } => "message_edited",
            EventBody::MessageDeleted { .. } => "message_deleted",
            EventBody::Tombstone { .. } => "tombstone",
            EventBody::ReactionAdded { .. } => "reaction_added",
            EventBody::ReactionRemoved { .. } => "reaction_removed",
            EventBody::MessageHidden { .. } => "message_hidden",
            EventBody::MessageUnhidden { .. } => "message_unhidden",
            EventBody::TicketUpdated { .. } => "ticket_updated",
            EventBody::TicketNote { .. } => "ticket_note",
            EventBody::TicketFollowUp { .. } => "ticket_follow_up",
            EventBody::TicketLinked { .. } => "ticket_linked",
            EventBody::TicketSlaBreached { .. } => "ticket_sla_breached",
            EventBody::TicketRated { .. } => "ticket_rated",
            EventBody::TicketMerged { .. } => "ticket_merged",
            EventBody::TicketAbsorbed { .. } => "ticket_absorbed",
            EventBody::TicketUnmerged { .. } => "ticket_unmerged",
            EventBody::TicketReleased { .. } => "ticket_released",
            EventBody::Unknown => "unknown",
        }
    }
}
