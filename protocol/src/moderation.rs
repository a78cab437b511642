//! Moderation's wire types: the audit log's entries (one `audit_entry` event
//! per moderation or staff action, on the one `audit` stream), and the
//! replies of the moderation ops. Every kind's staff actions use these.

use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// What a moderator or admin did. Each names its reversing action in
/// [`AuditEntry::reverse`] where there is one. Clients show an unknown action generically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Hide,
    Unhide,
    /// A moderator deleted someone else's message or post.
    Delete,
    Mute,
    Unmute,
    /// Slow mode on (or changed); `detail` holds the interval in seconds.
    SlowMode,
    SlowModeOff,
    Lock,
    Unlock,
    /// A moderator agreed with the flags on a post (hid or deleted it).
    FlagAgreed,
    FlagDisagreed,
    FlagIgnored,
    /// A post held by a watched word was approved (published) or rejected.
    Approve,
    Reject,
    /// `detail` is "<action> <pattern>" (`block darn`).
    WatchedWordAdded,
    /// `detail` is the pattern.
    WatchedWordRemoved,
    // For the other kinds' staff actions (forum, wiki, accounts):
    Suspend,
    Unsuspend,
    RoleChanged,
    Pin,
    Unpin,
    Close,
    Reopen,
    Archive,
    Unarchive,
    Move,
    Merge,
    Split,
    Protect,
    Unprotect,
    /// An action this client does not know (written by a newer server).
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// One moderation or staff action, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub action: AuditAction,
    /// Who did it (the moderator; the event's own author is the server).
    pub actor: UserId,
    /// The user it was done to (a muted user, a hidden message's author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<UserId>,
    /// The stream it was done in or to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamId>,
    /// The event it was done to (a message's seq).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<Seq>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// When it ends by itself (a mute), ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    /// The op that reverses it (`unhide` for a hide), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse: Option<String>,
    /// Action-specific detail (slow mode's seconds, a watched word's pattern).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl AuditEntry {
    /// An entry with only the action, the actor and the reason.
    pub fn new(action: AuditAction, actor: UserId, reason: impl Into<String>) -> AuditEntry {
        AuditEntry {
            action,
            actor,
            target_user: None,
            stream: None,
            seq: None,
            reason: reason.into(),
            until: None,
            reverse: None,
            detail: String::new(),
        }
    }
}

/// One entry of the audit log as `audit_log` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditRecord {
    /// Its seq in the `audit` stream (page with `before`).
    pub seq: Seq,
    pub at: u64,
    pub entry: AuditEntry,
}

/// Reply to `audit_log`: matching entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditLogOk {
    pub entries: Vec<AuditRecord>,
    /// Continue with `before: next` (absent: nothing older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Seq>,
}

/// Why a member flags a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    OffTopic,
    Inappropriate,
    Spam,
    /// Say why in `text`.
    Other,
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// A moderator's decision on a flagged (or held) post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Agree with the flags and hide the post.
    AgreeHide,
    /// Agree with the flags and delete the post.
    AgreeDelete,
    /// The flags were wrong (a post hidden by flags is shown again).
    Disagree,
    /// Drop the item without acting.
    Ignore,
    /// A post held by a watched word: publish it.
    Approve,
    /// A post held by a watched word: drop it.
    Reject,
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// One flag on a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FlagInfo {
    pub by: UserId,
    pub reason: FlagReason,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// One item of the review queue: a flagged post (with every flag on it), or a
/// post held for approval by a watched word (`held`: `seq` is 0, `text` is the post).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewItem {
    /// The item's id in the queue (its first event's seq in the `review` stream).
    pub id: Seq,
    pub stream: StreamId,
    #[serde(default)]
    pub seq: Seq,
    pub author: UserId,
    pub excerpt: String,
    pub flags: Vec<FlagInfo>,
    /// Hidden pending review (enough members flagged it).
    #[serde(default)]
    pub hidden: bool,
    /// Held for approval by a watched word (not posted yet).
    #[serde(default)]
    pub held: bool,
}

/// Reply to `review_queue`: pending items, oldest first, and the queue's stream
/// (moderators subscribe to it for `flagged`, `held` and `review_resolved` events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewQueueOk {
    pub stream: StreamId,
    pub items: Vec<ReviewItem>,
}

/// What a watched word does to a post that matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WatchAction {
    /// Refuse the post, saying which word.
    Block,
    /// Replace each match with `■` characters.
    Censor,
    /// Hold the post in the review queue until a moderator approves it.
    RequireApproval,
    /// Post it and put it in the review queue.
    Flag,
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// One watched word or pattern (a `regex` crate pattern, matched case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchedWord {
    pub pattern: String,
    pub action: WatchAction,
}

/// Reply to `watched_words`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchedWordsOk {
    pub words: Vec<WatchedWord>,
}
