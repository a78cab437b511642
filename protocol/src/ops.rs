//! Requests a client sends (`{"id": N, "op": "...", ...}`) and the payloads of their `ok` replies.
//!
//! Each op's reply payload type is named after it (`post` → [`PostOk`]).

use crate::event::{Event, StreamKind};
use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// A client request: an id the reply will echo as `re`, and the op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub op: Op,
}

/// Every operation a client can ask for, tagged by `op`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        #[serde(default)]
        topic: String,
        #[serde(default)]
        private: bool,
        /// Other users to add at once (for private channels: invited).
        #[serde(default)]
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
        #[serde(default)]
        reply_to: Option<Seq>,
        #[serde(default)]
        idem: Option<String>,
    },
    /// Edit one of my messages. Replies [`AppendOk`].
    Edit { stream: StreamId, target: Seq, text: String },
    /// Delete a message (mine, or any as moderator/admin). Replies [`AppendOk`].
    Delete { stream: StreamId, target: Seq },
    /// Add a reaction. Replies [`AppendOk`].
    React { stream: StreamId, target: Seq, emoji: String },
    /// Remove my reaction. Replies [`AppendOk`].
    Unreact { stream: StreamId, target: Seq, emoji: String },
    /// Hide a message from members (moderators and admins). Its author and moderators still
    /// see it; everyone else gets a `skip` for its seq. Replies [`AppendOk`].
    Hide {
        stream: StreamId,
        target: Seq,
        #[serde(default)]
        reason: String,
    },
    /// Make a hidden message visible again (moderators and admins). Replies [`AppendOk`].
    Unhide { stream: StreamId, target: Seq },
    /// Receive a stream's events: those after `since` (replayed), then live ones. Replies [`SubscribeOk`].
    Subscribe {
        stream: StreamId,
        #[serde(default)]
        since: Option<Seq>,
        /// The epoch the client saw with `since`; a mismatch means the store was wiped.
        #[serde(default)]
        epoch: Option<String>,
    },
    /// Stop receiving a stream. Replies `{}`.
    Unsubscribe { stream: StreamId },
    /// Page through a stream's log. Replies [`HistoryOk`].
    History {
        stream: StreamId,
        /// Events with seq < before, newest page first (default: from the head).
        #[serde(default)]
        before: Option<Seq>,
        /// Events with seq > after, oldest first. Exclusive with `before`.
        #[serde(default)]
        after: Option<Seq>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Mark a stream read up to `seq`; my other devices get a `read` push. Replies `{}`.
    MarkRead { stream: StreamId, seq: Seq },
    /// Set this device's presence. Replies `{}`.
    SetPresence { status: PresenceStatus },
    /// I am typing in `stream` (ephemeral; repeat every few seconds while typing). Replies `{}`.
    Typing { stream: StreamId },
    /// A wiki page by title or slug (following a redirect), its latest revision or `rev`. Replies [`crate::wiki::WikiPageOk`].
    WikiGet {
        page: String,
        #[serde(default)]
        rev: Option<Seq>,
        /// Include the text rendered to sanitized HTML.
        #[serde(default)]
        render: bool,
    },
    /// Save a page's text (creating the page if `base` is absent and it does not exist).
    /// `base`: the revision the edit started from; if someone saved since, the edits are
    /// merged three-way or refused with `conflict` and [`crate::wiki::WikiConflict`] details.
    /// Replies [`crate::wiki::WikiSaveOk`].
    WikiSave {
        page: String,
        #[serde(default)]
        base: Option<Seq>,
        text: String,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        minor: bool,
    },
    /// A page's history, newest first, entries with seq < `before`. Replies [`crate::wiki::WikiHistoryOk`].
    WikiHistory {
        page: String,
        #[serde(default)]
        before: Option<Seq>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// The diff between two revisions of a page (line and word level). Replies [`crate::wiki::WikiDiffOk`].
    WikiDiff { page: String, from: Seq, to: Seq },
    /// Restore an earlier revision's text as a new revision. Replies [`crate::wiki::WikiSaveOk`].
    WikiRevert {
        page: String,
        to: Seq,
        #[serde(default)]
        summary: String,
    },
    /// Moderators: undo every consecutive latest edit by `user` (who must be the last editor).
    /// Replies [`crate::wiki::WikiSaveOk`].
    WikiRollback { page: String, user: UserId },
    /// Move (rename) a page; its old title redirects to the new one. Replies [`AppendOk`].
    WikiMove {
        page: String,
        to: String,
        #[serde(default)]
        summary: String,
    },
    /// Moderators: set a page's protection (`edit: none, rename: false` lifts it). Replies [`AppendOk`].
    WikiProtect {
        page: String,
        #[serde(default)]
        edit: crate::wiki::ProtectLevel,
        #[serde(default)]
        rename: bool,
        #[serde(default)]
        reason: String,
        /// When it lapses (ms since the epoch); absent: never.
        #[serde(default)]
        expires: Option<u64>,
    },
    /// Watch (or stop watching) a page. Replies [`AppendOk`].
    WikiWatch { page: String, watch: bool },
    /// A page's links and "what links here" (through redirects too). Replies [`crate::wiki::WikiLinksOk`].
    WikiLinks { page: String },
    /// Pages linked to that do not exist. Replies [`crate::wiki::WikiWantedOk`].
    WikiWanted {},
    /// Every page I may read, optionally in one namespace. Replies [`crate::wiki::WikiPagesOk`].
    WikiPages {
        #[serde(default)]
        namespace: Option<String>,
    },
    /// Recent changes, newest first, optionally by one user or in one namespace. Replies
    /// [`crate::wiki::WikiRecentOk`]. Live: subscribe to the stream `wiki_changes`.
    WikiRecent {
        #[serde(default)]
        user: Option<UserId>,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        before: Option<Seq>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Any op this server does not know. Answered with `unknown_op`; the connection stays open.
    #[serde(other)]
    Unknown,
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
            Op::Unknown => "unknown",
        }
    }
}

/// A user's role. `moderator` and `admin` may moderate (delete others' messages,
/// manage public channels); `admin` also manages accounts; `agent` answers
/// customers; `bot` marks automated accounts (API tokens, no password).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Agent,
    Moderator,
    Admin,
    Bot,
}

impl Role {
    /// May delete others' messages and manage any channel.
    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

/// Presence a device can set. The user's aggregate adds `offline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Dnd,
    Offline,
}

/// A user as others see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
}

/// A user's aggregated presence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresenceEntry {
    pub user: UserId,
    pub status: PresenceStatus,
    /// When the user was last connected (ms since epoch); 0 if never.
    pub last_seen: u64,
}

/// Reply to `ping`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PingOk {
    pub time: u64,
}

/// Reply to `auth` and `whoami`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WhoamiOk {
    pub user: UserInfo,
    /// The store's epoch (see `subscribe`).
    pub epoch: String,
}

/// A stream as listed for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct ListStreamsOk {
    pub streams: Vec<StreamSummary>,
}

/// A stream's full details.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct Empty {}
