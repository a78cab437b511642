//! Requests a client sends (`{"id": N, "op": "...", ...}`) and the payloads of their `ok` replies.
//!
//! Each op's reply payload type is named after it (`post` → [`PostOk`]).

use crate::attachment::Attachment;
use crate::event::{Event, StreamKind};
use crate::forum::{NotificationLevel, StaffAction};
use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// A client request: an id the reply will echo as `re`, and the op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub op: Op,
}

/// Every operation a client can ask for, tagged by `op`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Authenticate a connection opened without credentials (browsers). Must be the first frame.
    Auth { token: String },
    /// Round trip check; the reply carries the server time.
    Ping {},
    /// Who am I? Replies [`WhoamiOk`].
    Whoami {},
    /// Streams I can see, with unread counts. Replies [`ListStreamsOk`].
    ListStreams {},
    /// One stream's details and members. Replies [`StreamInfoOk`].
    StreamInfo { stream: StreamId },
    /// Create a channel. Replies [`StreamInfoOk`].
    CreateChannel {
        name: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        topic: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
        /// Other users to add at once (for private channels: invited).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<UserId>,
    },
    /// Open (or find) the DM between me and `users`. Replies [`StreamInfoOk`].
    OpenDm { users: Vec<UserId> },
    /// Join a public channel. Replies [`AppendOk`] (or the existing membership).
    Join { stream: StreamId },
    /// Leave a channel. Replies [`AppendOk`].
    Leave { stream: StreamId },
    /// Add `user` to a private (or public) channel I am a member of. Replies [`AppendOk`].
    Invite { stream: StreamId, user: UserId },
    /// Rename a channel. Replies [`AppendOk`].
    Rename { stream: StreamId, name: String },
    /// Set a channel's topic. Replies [`AppendOk`].
    SetTopic { stream: StreamId, topic: String },
    /// Post a message. `idem` makes a retry after a lost ack store the message once. Replies [`AppendOk`].
    Post {
        stream: StreamId,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idem: Option<String>,
        /// Files uploaded before (`POST /api/v1/streams/{id}/attachments`), by the
        /// answers of their uploads; `text` may then be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    /// Edit one of my messages. Replies [`AppendOk`].
    Edit { stream: StreamId, target: Seq, text: String },
    /// Delete a message (mine, or any as moderator/admin; a moderator may give a
    /// reason, recorded in the audit log). Replies [`AppendOk`].
    Delete {
        stream: StreamId,
        target: Seq,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Add a reaction. Replies [`AppendOk`].
    React { stream: StreamId, target: Seq, emoji: String },
    /// Remove my reaction. Replies [`AppendOk`].
    Unreact { stream: StreamId, target: Seq, emoji: String },
    /// Hide a message from members (moderators and admins). Its author and moderators still
    /// see it; everyone else gets a `skip` for its seq. Replies [`AppendOk`].
    Hide {
        stream: StreamId,
        target: Seq,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Make a hidden message visible again (moderators and admins). Replies [`AppendOk`].
    Unhide { stream: StreamId, target: Seq },
    /// Receive a stream's events: those after `since` (replayed), then live ones. Replies [`SubscribeOk`].
    Subscribe {
        stream: StreamId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Seq>,
        /// The epoch the client saw with `since`; a mismatch means the store was wiped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    /// Stop receiving a stream. Replies `{}`.
    Unsubscribe { stream: StreamId },
    /// Page through a stream's log. Replies [`HistoryOk`].
    History {
        stream: StreamId,
        /// Events with seq < before, newest page first (default: from the head).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Seq>,
        /// Events with seq > after, oldest first. Exclusive with `before`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Mark a stream read up to `seq`; my other devices get a `read` push. Replies `{}`.
    MarkRead { stream: StreamId, seq: Seq },
    /// Set this device's presence. Replies `{}`.
    SetPresence { status: PresenceStatus },
    /// I am typing in `stream` (ephemeral; repeat every few seconds while typing). Replies `{}`.
    Typing { stream: StreamId },
    /// Remove `user` from a channel (moderators and admins who can read it; not DMs).
    /// Their subscriptions to it end right after the `member_kicked` event. Replies [`AppendOk`].
    Kick { stream: StreamId, user: UserId },
    /// Admins: suspend `user` until `until` (ms since the Unix epoch; absent: until
    /// unsuspended). Their logins and tokens stop working and their connections close
    /// with 4502 `suspended` at once. Replies `{}`.
    SuspendUser {
        user: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<u64>,
    },
    /// Admins: end `user`'s suspension. Replies `{}`.
    UnsuspendUser { user: UserId },
    /// Admins: change `user`'s role. Their open connections act and read with the new
    /// role at once; subscriptions it may not read end with `unsubscribed`. Replies `{}`.
    SetRole { user: UserId, role: Role },
    /// My notification feed: its stream id, head and unread count (creates it if
    /// I have none yet). Replies [`crate::FeedOk`].
    Feed {},
    /// Mark feed items read: `items` one by one, or with `all` every item so far.
    /// My other devices get a `feed_read` event in the feed and a `feed_unread`
    /// push. Replies [`crate::FeedOk`].
    FeedMarkRead {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        items: Vec<Seq>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all: bool,
    },
    /// Mute `user` for `minutes` (moderators): their posts are refused until then. Replies [`AppendOk`] (the audit entry).
    Mute {
        user: UserId,
        minutes: u64,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// End a mute early (moderators). Replies [`AppendOk`].
    Unmute {
        user: UserId,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Slow mode (moderators): members post at most once per `seconds` in `stream`; 0 turns it off. Replies [`AppendOk`].
    SlowMode {
        stream: StreamId,
        seconds: u32,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Lock or unlock a stream (moderators): while locked only moderators post. Replies [`AppendOk`].
    Lock {
        stream: StreamId,
        locked: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Page the audit log (moderators and admins), newest first, optionally only
    /// entries by `actor` or about `target` (a user id or a stream id). Replies
    /// [`crate::moderation::AuditLogOk`].
    AuditLog {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Flag a message I can see, for moderators to review. Replies [`AppendOk`] (in the review queue).
    Flag {
        stream: StreamId,
        target: Seq,
        reason: crate::moderation::FlagReason,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
    },
    /// The pending items of the review queue (moderators). Replies [`crate::moderation::ReviewQueueOk`].
    ReviewQueue {},
    /// Decide on review item `item` (moderators). Replies [`AppendOk`].
    Review {
        item: Seq,
        decision: crate::moderation::ReviewDecision,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// The watched words (moderators). Replies [`crate::moderation::WatchedWordsOk`].
    WatchedWords {},
    /// Add (or change the action of) a watched word (moderators). Replies [`AppendOk`] (the audit entry).
    WatchWord { pattern: String, action: crate::moderation::WatchAction },
    /// Remove a watched word (moderators). Replies [`AppendOk`].
    UnwatchWord { pattern: String },
    /// Forum categories I can see, in order. Replies [`ForumCategoriesOk`](crate::forum::ForumCategoriesOk).
    ForumCategories {},
    /// Create (no `category`) or change category `category` (moderators and admins).
    /// Replies [`ForumCategoryOk`](crate::forum::ForumCategoryOk).
    ForumSaveCategory {
        /// The id of the category to change (`id` is the request's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        name: String,
        slug: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        description: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        position: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post_role: Option<Role>,
    },
    /// Threads by last activity, newest first: of `category`, or "latest" across all.
    /// Replies [`ForumThreadsOk`](crate::forum::ForumThreadsOk).
    ForumThreads {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        /// `next` of the previous page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Start a thread. Replies [`ForumThreadCreatedOk`](crate::forum::ForumThreadCreatedOk).
    ForumCreateThread { category: String, title: String, text: String },
    /// A thread's row and a page of its posts and small actions (from my first unread post
    /// unless `after` is given). Replies [`ForumThreadOk`](crate::forum::ForumThreadOk).
    ForumThread {
        thread: StreamId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Like a post (once per user). Replies [`AppendOk`].
    ForumLike { thread: StreamId, post: Seq },
    /// Take my like back. Replies [`AppendOk`].
    ForumUnlike { thread: StreamId, post: Seq },
    /// Undo the soft delete of a post (its author or staff). Replies [`AppendOk`].
    ForumRecover { thread: StreamId, post: Seq },
    /// A post's versions: who wrote each, when, and its text. Replies
    /// [`ForumPostHistoryOk`](crate::forum::ForumPostHistoryOk).
    ForumPostHistory { thread: StreamId, post: Seq },
    /// Pin, lock, close, archive or undo it (moderators and admins). Replies [`AppendOk`].
    ForumStaff { thread: StreamId, action: StaffAction },
    /// Move a thread to another category (moderators and admins). Replies [`AppendOk`].
    ForumMove { thread: StreamId, category: String },
    /// Move replies `posts` into a new thread titled `title` in the same category
    /// (moderators and admins). Replies [`ForumThreadCreatedOk`](crate::forum::ForumThreadCreatedOk).
    ForumSplit { thread: StreamId, posts: Vec<Seq>, title: String },
    /// Merge `thread` into `into`: its posts are copied there, it is closed (moderators
    /// and admins). Replies [`AppendOk`].
    ForumMerge { thread: StreamId, into: StreamId },
    /// Set my notification level for a thread or (with `category`) a category. Replies [`AppendOk`].
    ForumSetLevel {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<StreamId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        level: NotificationLevel,
    },
    /// Open a support ticket as its requester, with its first message. Agents may
    /// set fields at once (`changes`); a requester's are ignored but `priority`.
    /// Replies [`crate::ticket::TicketOk`].
    OpenTicket {
        subject: String,
        text: String,
        #[serde(default, skip_serializing_if = "is_default")]
        changes: Box<crate::ticket::TicketChanges>,
    },
    /// Change a ticket's fields (agents). `version` is the ticket version the change
    /// was decided on: if the ticket changed since, `conflict` with `current`. Replies [`AppendOk`].
    UpdateTicket { stream: StreamId, version: u64, changes: Box<crate::ticket::TicketChanges> },
    /// Add an internal note to a ticket (agents): never shown to the requester. Replies [`AppendOk`].
    AddNote { stream: StreamId, text: String },
    /// A ticket's fields and version. Replies [`crate::ticket::TicketOk`].
    TicketInfo { stream: StreamId },
    /// Agents: my availability for new conversations, the most I take at once
    /// (`max_chats`) and my teams. Replies [`crate::ticket::AgentStatusOk`].
    SetAgentStatus {
        status: crate::ticket::AgentStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_chats: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        teams: Option<Vec<String>>,
    },
    /// Is an agent of `team` available now? Replies [`crate::ticket::DeskStatusOk`].
    DeskStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    /// Agents: tickets matching `filter`, with counts per status. Replies [`crate::ticket::TicketQueueOk`].
    TicketQueue {
        #[serde(default, skip_serializing_if = "is_default")]
        filter: Box<crate::ticket::QueueFilter>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// The requester rates a ticket that was solved (once; also after it closed). Replies [`AppendOk`].
    RateTicket {
        stream: StreamId,
        score: u8,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
    },
    /// Staff: merge ticket `stream` (at `version`) into `into` (same requester). Replies [`AppendOk`].
    MergeTicket { stream: StreamId, version: u64, into: StreamId },
    /// Staff: undo the merge of `stream` (at `version`), restoring both tickets. Replies [`AppendOk`].
    SplitTicket { stream: StreamId, version: u64 },
    /// Staff: the saved replies (of `team` and every team) and macros. Replies [`crate::ticket::CannedOk`].
    ListCanned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    /// Staff: post saved reply `name` in `stream`, placeholders filled. Replies [`AppendOk`].
    CannedReply { stream: StreamId, name: String },
    /// Staff: apply macro `name` to `stream` at `version`: its field changes, reply
    /// and note in one commit. Replies [`AppendOk`] (the field change's seq).
    ApplyMacro { stream: StreamId, version: u64, name: String },
    /// A wiki page by title or slug (following a redirect), its latest revision or `rev`. Replies [`crate::wiki::WikiPageOk`].
    WikiGet {
        page: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rev: Option<Seq>,
        /// Include the text rendered to sanitized HTML.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        render: bool,
    },
    /// Save a page's text (creating the page if `base` is absent and it does not exist).
    /// `base`: the revision the edit started from; if someone saved since, the edits are
    /// merged three-way or refused with `conflict` and [`crate::wiki::WikiConflict`] details.
    /// Replies [`crate::wiki::WikiSaveOk`].
    WikiSave {
        page: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<Seq>,
        text: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        summary: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        minor: bool,
    },
    /// A page's history, newest first, entries with seq < `before`. Replies [`crate::wiki::WikiHistoryOk`].
    WikiHistory {
        page: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// The diff between two revisions of a page (line and word level). Replies [`crate::wiki::WikiDiffOk`].
    WikiDiff { page: String, from: Seq, to: Seq },
    /// Restore an earlier revision's text as a new revision. Replies [`crate::wiki::WikiSaveOk`].
    WikiRevert {
        page: String,
        to: Seq,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        summary: String,
    },
    /// Moderators: undo every consecutive latest edit by `user` (who must be the last editor).
    /// Replies [`crate::wiki::WikiSaveOk`].
    WikiRollback { page: String, user: UserId },
    /// Move (rename) a page; its old title redirects to the new one. Replies [`AppendOk`].
    WikiMove {
        page: String,
        to: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        summary: String,
    },
    /// Moderators: set a page's protection (`edit: none, rename: false` lifts it). Replies [`AppendOk`].
    WikiProtect {
        page: String,
        #[serde(default, skip_serializing_if = "is_default")]
        edit: crate::wiki::ProtectLevel,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rename: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
        /// When it lapses (ms since the epoch); absent: never.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<u64>,
    },
    /// Watch (or stop watching) a page. Replies [`AppendOk`].
    WikiWatch { page: String, watch: bool },
    /// A page's links and "what links here" (through redirects too). Replies [`crate::wiki::WikiLinksOk`].
    WikiLinks { page: String },
    /// Pages linked to that do not exist. Replies [`crate::wiki::WikiWantedOk`].
    WikiWanted {},
    /// The pages I may read, optionally in one namespace, in slug order, one page
    /// of at most `limit` (default 100, at most 500) after `cursor`. Replies [`crate::wiki::WikiPagesOk`].
    WikiPages {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Recent changes, newest first, optionally by one user or in one namespace. Replies
    /// [`crate::wiki::WikiRecentOk`]. Live: subscribe to the stream `wiki_changes`.
    WikiRecent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Seq>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Agents: receive a `ticket_changed` push for every ticket change from now on
    /// (`stop`: no longer). Replies `{}`. Read the queue with `ticket_queue` after
    /// asking, then apply the pushes: nothing is missed in between.
    WatchQueue {
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        stop: bool,
    },
    /// A page's talk thread (a forum thread linked to the page, read by whoever
    /// reads the page), created on first use. Replies [`crate::wiki::WikiTalkOk`].
    WikiTalk { page: String },
    /// Staff: the desk settings in force (custom fields, statuses, saved replies,
    /// macros). Replies [`crate::desk_settings::DeskSettingsOk`].
    DeskSettings {},
    /// Admins: replace the desk settings as a whole, decided on `version` (the
    /// `version` of `desk_settings`; a stale one is a `conflict` with the current).
    /// Replies [`crate::desk_settings::DeskSettingsOk`].
    SetDeskSettings { version: u64, settings: Box<crate::desk_settings::DeskSettings> },
    /// Any op this server does not know. Answered with `unknown_op`; the connection stays open.
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// For `skip_serializing_if`: an optional field left at its default is omitted
/// (and the generated TypeScript marks it optional).
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Op {
    /// The op's wire name, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Auth { .. } => "auth",
            Op::Ping {} => "ping",
            Op::Whoami {} => "whoami",
            Op::ListStreams {} => "list_streams",
            Op::StreamInfo { .. } => "stream_info",
            Op::CreateChannel { .. } => "create_channel",
            Op::OpenDm { .. } => "open_dm",
            Op::Join { .. } => "join",
            Op::Leave { .. } => "leave",
            Op::Invite { .. } => "invite",
            Op::Rename { .. } => "rename",
            Op::SetTopic { .. } => "set_topic",
            Op::Post { .. } => "post",
            Op::Edit { .. } => "edit",
            Op::Delete { .. } => "delete",
            Op::React { .. } => "react",
            Op::Unreact { .. } => "unreact",
            Op::Hide { .. } => "hide",
            Op::Unhide { .. } => "unhide",
            Op::Subscribe { .. } => "subscribe",
            Op::Unsubscribe { .. } => "unsubscribe",
            Op::History { .. } => "history",
            Op::MarkRead { .. } => "mark_read",
            Op::SetPresence { .. } => "set_presence",
            Op::Typing { .. } => "typing",
            Op::Kick { .. } => "kick",
            Op::SuspendUser { .. } => "suspend_user",
            Op::UnsuspendUser { .. } => "unsuspend_user",
            Op::SetRole { .. } => "set_role",
            Op::Feed {} => "feed",
            Op::FeedMarkRead { .. } => "feed_mark_read",
            Op::Mute { .. } => "mute",
            Op::Unmute { .. } => "unmute",
            Op::SlowMode { .. } => "slow_mode",
            Op::Lock { .. } => "lock",
            Op::AuditLog { .. } => "audit_log",
            Op::Flag { .. } => "flag",
            Op::ReviewQueue {} => "review_queue",
            Op::Review { .. } => "review",
            Op::WatchedWords {} => "watched_words",
            Op::WatchWord { .. } => "watch_word",
            Op::UnwatchWord { .. } => "unwatch_word",
            Op::ForumCategories {} => "forum_categories",
            Op::ForumSaveCategory { .. } => "forum_save_category",
            Op::ForumThreads { .. } => "forum_threads",
            Op::ForumCreateThread { .. } => "forum_create_thread",
            Op::ForumThread { .. } => "forum_thread",
            Op::ForumLike { .. } => "forum_like",
            Op::ForumUnlike { .. } => "forum_unlike",
            Op::ForumRecover { .. } => "forum_recover",
            Op::ForumPostHistory { .. } => "forum_post_history",
            Op::ForumStaff { .. } => "forum_staff",
            Op::ForumMove { .. } => "forum_move",
            Op::ForumSplit { .. } => "forum_split",
            Op::ForumMerge { .. } => "forum_merge",
            Op::ForumSetLevel { .. } => "forum_set_level",
            Op::OpenTicket { .. } => "open_ticket",
            Op::UpdateTicket { .. } => "update_ticket",
            Op::AddNote { .. } => "add_note",
            Op::TicketInfo { .. } => "ticket_info",
            Op::SetAgentStatus { .. } => "set_agent_status",
            Op::DeskStatus { .. } => "desk_status",
            Op::TicketQueue { .. } => "ticket_queue",
            Op::RateTicket { .. } => "rate_ticket",
            Op::MergeTicket { .. } => "merge_ticket",
            Op::SplitTicket { .. } => "split_ticket",
            Op::ListCanned { .. } => "list_canned",
            Op::CannedReply { .. } => "canned_reply",
            Op::ApplyMacro { .. } => "apply_macro",
            Op::WikiGet { .. } => "wiki_get",
            Op::WikiSave { .. } => "wiki_save",
            Op::WikiHistory { .. } => "wiki_history",
            Op::WikiDiff { .. } => "wiki_diff",
            Op::WikiRevert { .. } => "wiki_revert",
            Op::WikiRollback { .. } => "wiki_rollback",
            Op::WikiMove { .. } => "wiki_move",
            Op::WikiProtect { .. } => "wiki_protect",
            Op::WikiWatch { .. } => "wiki_watch",
            Op::WikiLinks { .. } => "wiki_links",
            Op::WikiWanted {} => "wiki_wanted",
            Op::WikiPages { .. } => "wiki_pages",
            Op::WikiRecent { .. } => "wiki_recent",
            Op::WatchQueue { .. } => "watch_queue",
            Op::WikiTalk { .. } => "wiki_talk",
            Op::DeskSettings {} => "desk_settings",
            Op::SetDeskSettings { .. } => "set_desk_settings",
            Op::Unknown => "unknown",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A user's role. `moderator` and `admin` may moderate (delete others' messages,
/// manage public channels); `admin` also manages accounts; `agent` answers
/// customers; `bot` marks automated accounts (API tokens, no password).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Agent,
    Moderator,
    Admin,
    Bot,
    /// A website visitor with a short-lived token (no account): opens tickets
    /// and reads only their own.
    Visitor,
}

impl Role {
    /// May delete others' messages and manage any channel.
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
    /// Staff of the ticket desk: agents, moderators and admins (they read every
    /// ticket and its internal notes).
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Moderator | Role::Admin)
    }
}

/// Presence a device can set. The user's aggregate adds `offline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Dnd,
    Offline,
}

/// A user as others see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserInfo {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
    /// Set while the account is suspended: until when (ms since the Unix epoch;
    /// 18446744073709551615: until unsuspended). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_until: Option<u64>,
}

/// A user's aggregated presence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceEntry {
    pub user: UserId,
    pub status: PresenceStatus,
    /// When the user was last connected (ms since epoch); 0 if never.
    pub last_seen: u64,
}

/// Reply to `ping`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PingOk {
    pub time: u64,
}

/// Reply to `auth` and `whoami`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WhoamiOk {
    pub user: UserInfo,
    /// The store's epoch (see `subscribe`).
    pub epoch: String,
}

/// A stream as listed for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StreamSummary {
    pub id: StreamId,
    pub kind: StreamKind,
    pub name: String,
    pub topic: String,
    pub member_count: u32,
    /// Whether the listing user is a member.
    pub member: bool,
    /// The last sequence in the stream.
    pub head: Seq,
    /// The listing user's read marker.
    pub last_read: Seq,
    /// Messages by others after `last_read` (capped at 1000).
    pub unread: u32,
    /// Of those, messages mentioning the listing user.
    pub mentions: u32,
}

/// Reply to `list_streams`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListStreamsOk {
    pub streams: Vec<StreamSummary>,
}

/// A stream's full details.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StreamInfoOk {
    pub id: StreamId,
    pub kind: StreamKind,
    pub name: String,
    pub topic: String,
    pub members: Vec<UserId>,
    pub head: Seq,
    pub created_by: UserId,
}

/// Reply to every op that appends an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppendOk {
    pub stream: StreamId,
    /// The appended event's sequence (for a duplicate `idem`, the original's).
    pub seq: Seq,
    pub at: u64,
    /// True when nothing new was stored: `idem` matched an earlier post, or the
    /// change was already so (joining a channel you are in, opening an existing DM).
    #[serde(default)]
    pub duplicate: bool,
}

/// Reply to `subscribe`. Replayed events follow as `event` pushes, then live ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubscribeOk {
    pub stream: StreamId,
    /// The head when the subscription started: the replay covers at least (since, head],
    /// and every later event follows, replayed or live, in order.
    pub head: Seq,
    pub epoch: String,
    /// False when `since` could not be honoured (epoch changed): reload with `history`.
    pub recovered: bool,
    /// Presence of the stream's members who are not offline.
    pub presence: Vec<PresenceEntry>,
}

/// Reply to `history`: events in ascending seq order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryOk {
    pub stream: StreamId,
    /// The events of the page that the caller may see, ascending.
    pub events: Vec<Event>,
    pub head: Seq,
    /// Whether more events lie beyond this page in the paging direction.
    pub more: bool,
    /// The seqs this page covered, `from..=to` (0, 0 for an empty page). Events the caller
    /// may not see are left out, so continue paging from these, not from the first or
    /// last event: `before: from` or `after: to`.
    #[serde(default)]
    pub from: Seq,
    #[serde(default)]
    pub to: Seq,
}

/// An empty `ok` payload: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Empty {}
