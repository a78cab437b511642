//! The forum: one `forum` stream whose events fold the category list
//! (`category.rs`), and one `forum_thread` stream per thread (`thread.rs`).
//! Who is told of what is `notify.rs`. The thread lists are a projection
//! (`crate::forum_list`), not here.
//!
//! Categories live on one stream because what they are is a list: slugs are
//! unique across it, positions order it, and a restriction change must reach
//! every thread of the category atomically with the change. The forum stream
//! also keeps which thread is in which category, so opening, moving and
//! re-restricting threads are decided against one state and reach the
//! threads through `Append::also` in the same commit.
//!
//! A thread carries its category's read and post roles in its own state
//! (`forum_thread_placed` events), so its `can_read` needs nothing but the
//! thread: every read path (live, replay, history, counts, listings,
//! mentions) follows the category's restriction with no second check.

pub mod category;
pub mod notify;
pub mod thread;

use crate::streams::visibility::{Actor, Audience};
use agora_protocol::forum::{Category, MovedPost, NotificationLevel, StaffAction};
use agora_protocol::ops::Role;
use agora_protocol::{Seq, StreamId};

pub use category::{ForumKind, ForumState};
pub use thread::{PostMeta, ThreadKind, ThreadState};

/// What someone asks of the forum stream or a thread (inside `Action::Forum`).
/// Built by `ops/forum.rs` from validated input, or derived by another forum decision.
#[derive(Clone, Debug)]
pub enum ForumAction {
    /// (forum) Create or change a category; `new` says which was meant.
    SaveCategory {
        category: Category,
        new: bool,
    },
    /// (forum) Open thread `thread` in `category` with its first post.
    OpenThread {
        thread: StreamId,
        category: String,
        title: String,
        text: String,
        mentions: Vec<agora_protocol::UserId>,
    },
    /// (forum) Move a thread to another category.
    MoveThread {
        thread: StreamId,
        to: String,
    },
    /// (forum) File a thread made by a split in `category`.
    FileThread {
        thread: StreamId,
        category: String,
    },
    /// (forum: for a category; thread: for it) The actor's notification level.
    SetLevel {
        category: Option<String>,
        level: NotificationLevel,
    },
    /// (thread) Put the thread in a category with its restrictions (derived from the forum stream).
    Place {
        category: String,
        read_role: Option<Role>,
        post_role: Option<Role>,
        from: Option<String>,
    },
    Like {
        target: Seq,
    },
    Unlike {
        target: Seq,
    },
    Recover {
        target: Seq,
    },
    Staff(StaffAction),
    /// (thread) Move `posts` into the new thread `to`, titled `title`.
    Split {
        posts: Vec<Seq>,
        to: StreamId,
        title: String,
    },
    /// (thread) A post carried here by a split or a merge (derived).
    MovedIn {
        from: StreamId,
        post: MovedPost,
    },
    /// (thread) Copy this thread's posts into `into` and close it.
    Merge {
        into: StreamId,
    },
    /// (thread) This thread is the talk thread of wiki page `page` (derived from
    /// the page's `wiki_talk`, `kinds::wiki::talk`).
    TalkOf {
        page: StreamId,
    },
}

/// May `who` read what a category restricted to `role` holds? Staff read everything.
pub fn may_read(role: Option<Role>, who: &Actor) -> bool {
    role.is_none_or(|r| who.role == r || who.role.can_moderate())
}

/// Who sees an event of a category restricted to `role`.
pub fn audience_of(role: Option<Role>) -> Audience {
    match role {
        None => Audience::everyone(),
        Some(r) => Audience::role_and_staff(r),
    }
}
