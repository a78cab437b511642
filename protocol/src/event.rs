//! Events: what a stream's log holds, and what subscribers receive in `event` pushes.
//!
//! An event is immutable once acked, with one exception documented in
//! PROTOCOL.md: deleting a message rewrites the original `message_posted`
//! record into a `tombstone` that keeps its sequence, so deleted text is never
//! served again.

use crate::attachment::Attachment;
use crate::feed::FeedItem;
use crate::forum::{Category, MovedPost, NotificationLevel, StaffAction};
use crate::ids::{Seq, StreamId, UserId};
use crate::moderation::{AuditEntry, FlagReason, ReviewDecision};
use crate::ops::Role;
use serde::{Deserialize, Serialize};

/// What kind of conversation a stream is. Later kinds (forum threads, tickets,
/// wiki pages) join this enum; clients must treat an unknown kind as opaque.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// A public channel: anyone can read and join it.
    Channel,
    /// A private channel: only members read it; members invite others.
    PrivateChannel,
    /// A direct message between two or more users; its member set is fixed.
    Dm,
    /// A user's notification feed (`nf_<user>`): only its owner reads it; the server appends.
    Feed,
    /// The audit log (`audit`): one entry per moderation and staff action; moderators and admins read it.
    Audit,
    /// The review queue (`review`): flagged and held posts; moderators read it.
    ReviewQueue,
    /// The forum's one stream of categories (id `forum`): its events fold the category list.
    Forum,
    /// A forum thread: a title, a first post, replies (PROTOCOL.md §Forum).
    ForumThread,
    /// A support ticket: a requester (a user or a website visitor) and the agents
    /// answering them. Agents' internal notes are never shown to the requester.
    Ticket,
    /// A wiki page: its revisions, moves and protection (PROTOCOL.md § Wiki).
    WikiPage,
    /// The wiki's recent changes: one `wiki_change` per edit, move or protection.
    WikiChanges,
    /// The ticket desk's settings (id `desk_settings`): one `desk_settings_set` per admin edit; staff read it.
    DeskSettings,
    /// A kind this client does not know (added by a newer server): treat as opaque.
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// One entry in a stream's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
        /// Files attached to the message (uploaded first; PROTOCOL.md §18).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
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
    /// A notification in a user's feed stream (see `feed::FeedItem`).
    FeedItem {
        item: FeedItem,
    },
    /// A moderator (the event's author) removed `user` from the channel.
    MemberKicked {
        user: UserId,
    },
    /// The feed's owner marked items read: `items` one by one, and with `up_to`
    /// every item up to that seq. Every device of the owner gets it (it is an
    /// event of the feed stream), so read state syncs like any other.
    FeedRead {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        up_to: Option<Seq>,
    },
    /// A moderator set slow mode: one post per `seconds` per member (0: off).
    SlowModeSet {
        seconds: u32,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// A moderator locked (or unlocked) the stream: only moderators post while locked.
    StreamLocked {
        locked: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// One moderation or staff action, in the `audit` stream.
    AuditEntry {
        entry: AuditEntry,
    },
    /// In the review queue: `by` flagged post `target` of `source`.
    Flagged {
        source: StreamId,
        target: Seq,
        message_author: UserId,
        by: UserId,
        reason: FlagReason,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        excerpt: String,
        /// This flag reached the configured count: the post is hidden pending review.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        hides: bool,
    },
    /// In the review queue: a post held for approval by a watched word (not posted yet).
    Held {
        source: StreamId,
        poster: UserId,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        /// The post's files, published with it when approved.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    /// In the review queue: a moderator decided on item `item` (the seq of its first event).
    ReviewResolved {
        item: Seq,
        decision: ReviewDecision,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// (forum) A category was created or changed (all its fields, as they are now).
    ForumCategorySet {
        category: Category,
    },
    /// (forum) Thread `thread` was opened in, or moved to, `category` (`from`: where it was).
    ForumThreadFiled {
        thread: StreamId,
        category: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// (forum, forum_thread) `user` set their notification level: for `category` in the
    /// forum stream, for the thread in a thread. Only `user` sees it.
    ForumLevelSet {
        user: UserId,
        level: NotificationLevel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
    },
    /// (forum_thread) The thread is in `category`, with its read and post restrictions
    /// (at the start, after a move from `from`, and when the category's restrictions change).
    ForumThreadPlaced {
        category: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// (forum_thread) The author liked post `target` (once per user).
    ForumPostLiked {
        target: Seq,
    },
    ForumPostUnliked {
        target: Seq,
    },
    /// (forum_thread) Post `target` was withdrawn by its author (or staff): only they
    /// and staff see it from now on; `forum_post_recovered` undoes it.
    ForumPostDeleted {
        target: Seq,
    },
    ForumPostRecovered {
        target: Seq,
    },
    /// (forum_thread) A moderator pinned, locked, closed, archived the thread, or undid it.
    ForumStaffAction {
        action: StaffAction,
    },
    /// (forum_thread) Posts were split off into thread `to` (they stay here for staff only).
    ForumPostsSplit {
        to: StreamId,
        posts: Vec<Seq>,
    },
    /// (forum_thread) A post carried here from thread `from` by a split or a merge.
    ForumPostMovedIn {
        from: StreamId,
        post: MovedPost,
    },
    /// (forum_thread) The thread was merged into `into`: its posts were copied there and
    /// it is closed.
    ForumThreadMerged {
        into: StreamId,
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
        /// Who reads the page (its namespace's read role; none: everyone). Events
        /// written before this field read as their namespace's default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_role: Option<crate::ops::Role>,
    },
    /// A wiki page and its talk thread are linked: on the page (which records
    /// its talk thread) and on the thread (which records its page).
    WikiTalkLinked {
        page: StreamId,
        thread: StreamId,
    },
    /// A wiki page's namespace and its roles, as configured when the page was created or moved.
    WikiNamespaceSet {
        namespace: crate::wiki::WikiNamespace,
    },
    /// A ticket's SLA target falls due soon (the desk's warning lead time before
    /// `due`): appended once per target and cycle by the server, like a breach.
    TicketSlaWarning {
        target: crate::ticket::SlaTarget,
        /// When the target falls due (ms since the Unix epoch).
        due: u64,
    },
    /// (desk_settings) An admin replaced the desk settings (custom fields, statuses,
    /// saved replies, macros) as a whole.
    DeskSettingsSet {
        settings: Box<crate::desk_settings::DeskSettings>,
    },
    /// An event type this client does not know (written by a newer server): its
    /// seq counts, its body is ignored.
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
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
            EventBody::FeedItem { .. } => "feed_item",
            EventBody::MemberKicked { .. } => "member_kicked",
            EventBody::FeedRead { .. } => "feed_read",
            EventBody::SlowModeSet { .. } => "slow_mode_set",
            EventBody::StreamLocked { .. } => "stream_locked",
            EventBody::AuditEntry { .. } => "audit_entry",
            EventBody::Flagged { .. } => "flagged",
            EventBody::Held { .. } => "held",
            EventBody::ReviewResolved { .. } => "review_resolved",
            EventBody::ForumCategorySet { .. } => "forum_category_set",
            EventBody::ForumThreadFiled { .. } => "forum_thread_filed",
            EventBody::ForumLevelSet { .. } => "forum_level_set",
            EventBody::ForumThreadPlaced { .. } => "forum_thread_placed",
            EventBody::ForumPostLiked { .. } => "forum_post_liked",
            EventBody::ForumPostUnliked { .. } => "forum_post_unliked",
            EventBody::ForumPostDeleted { .. } => "forum_post_deleted",
            EventBody::ForumPostRecovered { .. } => "forum_post_recovered",
            EventBody::ForumStaffAction { .. } => "forum_staff_action",
            EventBody::ForumPostsSplit { .. } => "forum_posts_split",
            EventBody::ForumPostMovedIn { .. } => "forum_post_moved_in",
            EventBody::ForumThreadMerged { .. } => "forum_thread_merged",
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
            EventBody::WikiRevised { .. } => "wiki_revised",
            EventBody::WikiMoved { .. } => "wiki_moved",
            EventBody::WikiProtected { .. } => "wiki_protected",
            EventBody::WikiWatched { .. } => "wiki_watched",
            EventBody::WikiChange { .. } => "wiki_change",
            EventBody::TicketSlaWarning { .. } => "ticket_sla_warning",
            EventBody::WikiTalkLinked { .. } => "wiki_talk_linked",
            EventBody::WikiNamespaceSet { .. } => "wiki_namespace_set",
            EventBody::DeskSettingsSet { .. } => "desk_settings_set",
            EventBody::Unknown => "unknown",
        }
    }
}
