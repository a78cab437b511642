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
    /// A wiki page: its revisions, moves and protection (PROTOCOL.md § Wiki).
    WikiPage,
    /// The wiki's recent changes: one `wiki_change` per edit, move or protection.
    WikiChanges,
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
    /// A new revision of a wiki page: its full Markdown text.
    WikiRevised {
        text: String,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        minor: bool,
        /// The revision the editor started from.
        base: Seq,
        /// A revert: the revision whose text this restores.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restores: Option<Seq>,
        /// A moderator's rollback of the last editor's consecutive edits.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rollback: bool,
        /// `base` was older than the latest revision: merged three-way.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        merged: bool,
    },
    /// A wiki page was moved: `from` (its old title) now redirects to `to`.
    WikiMoved {
        from: String,
        to: String,
        #[serde(default)]
        summary: String,
    },
    /// A wiki page's protection changed (`edit: none` and `rename: false` lift it).
    WikiProtected {
        protection: crate::wiki::Protection,
    },
    /// `user` started or stopped watching a wiki page (seen only by that user).
    WikiWatched {
        user: UserId,
        watching: bool,
    },
    /// In the recent-changes stream: a page was created, edited, moved or protected.
    WikiChange {
        page: StreamId,
        title: String,
        #[serde(default)]
        namespace: String,
        change: crate::wiki::ChangeKind,
        /// The page event (seq in the page's stream).
        rev: Seq,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        minor: bool,
        /// Text size after the change, and the change in size (bytes).
        #[serde(default)]
        size: u64,
        #[serde(default)]
        delta: i64,
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
            EventBody::WikiRevised { .. } => "wiki_revised",
            EventBody::WikiMoved { .. } => "wiki_moved",
            EventBody::WikiProtected { .. } => "wiki_protected",
            EventBody::WikiWatched { .. } => "wiki_watched",
            EventBody::WikiChange { .. } => "wiki_change",
            EventBody::Unknown => "unknown",
        }
    }
}
