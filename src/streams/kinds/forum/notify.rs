//! Who is told of a forum event, and why: Discourse's notification levels in
//! one pure function, [`notifications`]. The feed (`kinds::feed::notify`,
//! another branch) turns each pair into a feed item; until it is on main this
//! function is computed and tested but delivered nowhere.
//!
//! Levels: a user's level for a thread is the one they chose for it; else
//! `watching` if they started it; else the one they chose for its category
//! (`watching_first_post` counts as `normal` for replies); else `tracking` if
//! they posted in it; else `normal`.
//! - `muted`: nothing at all.
//! - `normal`, `tracking`: replies to (and quotes of) their posts, mentions, likes of their posts.
//! - `watching`: also every new reply.
//! - new threads: users watching the category or watching its first posts.

use super::thread::ThreadState;
use agora_protocol::forum::NotificationLevel;
use agora_protocol::{Event, EventBody, UserId};
use serde::{Deserialize, Serialize};

/// Why someone is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Someone mentioned them (`@name`).
    Mentioned,
    /// Someone replied to or quoted their post.
    Replied,
    /// A new thread in a category they watch (or watch first posts of).
    NewThread,
    /// A new reply in a thread they watch.
    Posted,
    /// Someone liked their post.
    Liked,
}

/// `user`'s effective level for the thread `t` (see the module doc).
pub fn level(t: &ThreadState, category_level: NotificationLevel, author: &UserId, user: &UserId) -> NotificationLevel {
    if let Some(l) = t.levels.get(user) {
        return *l;
    }
    if author == user {
        return NotificationLevel::Watching;
    }
    match category_level {
        NotificationLevel::Normal | NotificationLevel::WatchingFirstPost => {}
        other => return other,
    }
    if t.posts.values().any(|p| &p.author == user) {
        return NotificationLevel::Tracking;
    }
    NotificationLevel::Normal
}

/// Who is told of `ev` (already folded into `t`), and why: at most one reason
/// per user, never the event's author. `thread_author` started the thread;
/// `category_levels` are the levels users chose for its category; `may_read`
/// says whether a user may read the thread now (a restricted category's
/// threads tell only those who may read them).
pub fn notifications(
    t: &ThreadState,
    thread_author: &UserId,
    category_levels: &imbl::HashMap<UserId, NotificationLevel>,
    ev: &Event,
    may_read: &dyn Fn(&UserId) -> bool,
) -> Vec<(UserId, Reason)> {
    let mut out: Vec<(UserId, Reason)> = Vec::new();
    let actor = &ev.author;
    let lvl = |u: &UserId| level(t, category_levels.get(u).copied().unwrap_or_default(), thread_author, u);
    let tell = |u: &UserId, r: Reason, out: &mut Vec<(UserId, Reason)>| {
        if u == actor || out.iter().any(|(o, _)| o == u) || lvl(u) == NotificationLevel::Muted || !may_read(u) {
            return;
        }
        out.push((u.clone(), r));
    };
    match &ev.body {
        EventBody::MessagePosted { reply_to, mentions, .. } => {
            for m in mentions {
                tell(m, Reason::Mentioned, &mut out);
            }
            if let Some(p) = reply_to.and_then(|q| t.posts.get(&q)) {
                tell(&p.author, Reason::Replied, &mut out);
            }
            if t.first_post() == Some(ev.seq) {
                // A new thread: the category's watchers.
                let mut watchers: Vec<&UserId> = category_levels
                    .iter()
                    .filter(|(_, l)| matches!(l, NotificationLevel::Watching | NotificationLevel::WatchingFirstPost))
                    .map(|(u, _)| u)
                    .collect();
                watchers.sort();
                for u in watchers {
                    tell(u, Reason::NewThread, &mut out);
                }
            } else {
                let mut candidates: Vec<&UserId> = t
                    .levels
                    .keys()
                    .chain(category_levels.keys())
                    .chain(std::iter::once(thread_author))
                    .chain(t.posts.values().map(|p| &p.author))
                    .collect();
                candidates.sort();
                candidates.dedup();
                for u in candidates {
                    if lvl(u) == NotificationLevel::Watching {
                        tell(u, Reason::Posted, &mut out);
                    }
                }
            }
        }
        EventBody::ForumPostLiked { target } => {
            if let Some(p) = t.posts.get(target) {
                tell(&p.author, Reason::Liked, &mut out);
            }
        }
        _ => {}
    }
    out
}
