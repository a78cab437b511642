//! The forum's wire types: categories, thread rows, thread views, staff
//! actions and notification levels, used by the `forum_*` ops, their replies
//! and the forum events (PROTOCOL.md §Forum).
//!
//! What does not live here: the ops and events themselves (`ops.rs`,
//! `event.rs`, appended there like every other kind's) and any rule about who
//! may do what (that is the server's `streams/kinds/forum`).

use crate::ids::{Seq, StreamId, UserId};
use crate::ops::Role;
use serde::{Deserialize, Serialize};

/// The id of the one stream that holds the forum's categories.
pub const FORUM_STREAM: &str = "forum";

/// A forum category as stored in `forum_category_set` events and listed by `forum_categories`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Category {
    /// Stable id (`cat_<random>`); the slug may change, the id does not.
    pub id: String,
    pub name: String,
    /// Lower-case, `a-z0-9-`, unique among categories.
    pub slug: String,
    #[serde(default)]
    pub description: String,
    /// Lists sort categories by position, then name.
    #[serde(default)]
    pub position: u32,
    /// Only users with this role (and moderators and admins) see the category and its threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_role: Option<Role>,
    /// Only users with this role (and moderators and admins) start threads and reply in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_role: Option<Role>,
}

/// How much a user hears about a thread or a category (Discourse's levels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NotificationLevel {
    /// Nothing at all, not even replies or mentions.
    Muted,
    /// Replies to my posts, quotes of them, mentions and likes.
    #[default]
    Normal,
    /// As normal; the thread's unread count is shown.
    Tracking,
    /// Every new reply, as well as what normal gives.
    Watching,
    /// (Categories) the first post of every new thread; replies as normal.
    WatchingFirstPost,
}

/// A staff action on a thread; each has an opposite that undoes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StaffAction {
    /// Pinned at the top of its category's list.
    Pin,
    /// Pinned at the top of every list (latest and its category).
    PinGlobally,
    /// Undoes either pin.
    Unpin,
    /// No new replies (refused with `conflict`, message "thread is locked").
    Lock,
    Unlock,
    /// Closed: no new replies until reopened (refused with `conflict`, "thread is closed").
    Close,
    Reopen,
    /// Archived: frozen, no replies, likes or edits.
    Archive,
    Unarchive,
}

impl StaffAction {
    /// The action that undoes this one.
    pub fn opposite(self) -> StaffAction {
        match self {
            StaffAction::Pin | StaffAction::PinGlobally => StaffAction::Unpin,
            StaffAction::Unpin => StaffAction::Pin,
            StaffAction::Lock => StaffAction::Unlock,
            StaffAction::Unlock => StaffAction::Lock,
            StaffAction::Close => StaffAction::Reopen,
            StaffAction::Reopen => StaffAction::Close,
            StaffAction::Archive => StaffAction::Unarchive,
            StaffAction::Unarchive => StaffAction::Archive,
        }
    }
}

/// How a thread is pinned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Pinned {
    #[default]
    No,
    Category,
    Globally,
}

/// A category as listed for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryInfo {
    #[serde(flatten)]
    pub category: Category,
    pub thread_count: u32,
    /// My notification level for the category.
    pub level: NotificationLevel,
}

/// Reply to `forum_categories`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumCategoriesOk {
    pub categories: Vec<CategoryInfo>,
}

/// Reply to `forum_save_category`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumCategoryOk {
    pub category: Category,
}

/// One thread in a list, for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadRow {
    pub thread: StreamId,
    pub category: String,
    pub title: String,
    pub author: UserId,
    pub created_at: u64,
    /// Time of the last post (the list's sort key).
    pub last_activity: u64,
    pub last_poster: UserId,
    /// Posts after the first that are not deleted.
    pub replies: u32,
    pub likes: u32,
    /// Up to five posters, the author first.
    pub participants: Vec<UserId>,
    pub pinned: Pinned,
    pub locked: bool,
    pub closed: bool,
    pub archived: bool,
    /// The thread this one was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<StreamId>,
    /// My read marker in the thread (0: never opened).
    pub last_read: Seq,
    /// Posts by others after my marker ("new replies since you read").
    pub unread: u32,
    pub level: NotificationLevel,
    /// For a wiki page's talk thread: the page's slug (its title is the thread's without `Talk:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_page: Option<String>,
}

/// Reply to `forum_threads`. Pinned threads come first on the first page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumThreadsOk {
    pub threads: Vec<ThreadRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Reply to `forum_create_thread` and `forum_split`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumThreadCreatedOk {
    pub thread: StreamId,
}

/// A post as shown in a thread view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PostView {
    pub seq: Seq,
    pub author: UserId,
    pub at: u64,
    /// The current text; empty for a deleted post shown to someone other than its author or staff.
    pub text: String,
    /// The post this one quotes or replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Seq>,
    pub likes: u32,
    pub liked: bool,
    /// How many times it was edited (its versions: `forum_post_history`).
    pub edits: u32,
    pub deleted: bool,
    /// Moved here from another thread (split or merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<StreamId>,
    /// The post's files (as chat messages carry them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachment::Attachment>,
    /// Its text holds censored watched words: replaced in `text` for members;
    /// staff get the text as written, marked by this flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub censored: bool,
    /// Hidden by a moderator: only staff and its author get it, marked by this flag
    /// (members get neither the post nor its events; PROTOCOL.md §20).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// A staff action or move shown in a thread as a one-line entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmallAction {
    pub seq: Seq,
    pub by: UserId,
    pub at: u64,
    /// `pin`, `unlock`, `moved`, `split`, `merged`, ... (PROTOCOL.md §Forum).
    pub action: String,
    /// What it refers to: the category moved from/to, the thread split into or merged into.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Reply to `forum_thread`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumThreadOk {
    pub row: ThreadRow,
    /// The posts of this page, ascending.
    pub posts: Vec<PostView>,
    /// Small-action lines of this page, ascending.
    pub actions: Vec<SmallAction>,
    /// The first post after my read marker I may see: where opening the thread lands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_unread: Option<Seq>,
    /// The last seq this page covered: continue with `after: to`.
    pub to: Seq,
    pub head: Seq,
    pub more: bool,
}

/// One version of a post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PostVersion {
    /// The seq of the event holding this version (the post, then each edit).
    pub seq: Seq,
    pub by: UserId,
    pub at: u64,
    pub text: String,
}

/// Reply to `forum_post_history`: oldest version first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ForumPostHistoryOk {
    pub versions: Vec<PostVersion>,
}

/// A post carried into another thread by a split or a merge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MovedPost {
    pub from_seq: Seq,
    pub author: UserId,
    pub at: u64,
    pub text: String,
}
