//! Who is told of a forum event, and why: Discourse's notification levels in
//! one pure function, [`notifications`]; [`feed_items`] turns its answer into
//! feed items (`kinds::feed::notify`) that a thread's decision appends in the
//! same commit as the post or like. New threads are told to the category's
//! watchers by the forum stream's decision (`category.rs`), which holds the
//! category levels; a reply's decision reads those levels from the forum
//! stream as the writer sees it (`Cx::with_state`), so watching a category is
//! watching every thread in it, and muting it mutes them.
//!
//! Levels: a user's level for a thread is the one they chose for it; else
//! `watching` if they started it; else the one they chose for its category
//! (`watching_first_post` counts as `normal` for replies); else `tracking` if
//! they posted in it; else `normal`.
//! - `muted`: nothing at all.
//! - `normal`, `tracking`: replies to (and quotes of) their posts, mentions, likes of their posts.
//! - `watching`: also every new reply.
//! - new threads: users watching the category or watching its first posts.

use super::thread::{current_text, PostMeta, ThreadState};
use crate::streams::kind::{Cx, Derived};
use crate::streams::kinds::feed::notify;
use crate::streams::StreamState;
use agora_protocol::feed::{FeedItem, FeedReason};
use agora_protocol::forum::{NotificationLevel, FORUM_STREAM};
use agora_protocol::{Event, EventBody, StreamId, UserId};
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

impl Reason {
    /// The feed's name for it.
    pub fn feed_reason(self) -> FeedReason {
        match self {
            Reason::Mentioned => FeedReason::Mention,
            Reason::Replied => FeedReason::Reply,
            Reason::NewThread | Reason::Posted => FeedReason::Watched,
            Reason::Liked => FeedReason::Like,
        }
    }
}

/// A feed item for `user` about `seq` of `thread` (titled `title`) by `actor`.
pub fn item(
    user: &UserId,
    reason: Reason,
    thread: &StreamId,
    title: &str,
    seq: agora_protocol::Seq,
    actor: &UserId,
    text: &str,
) -> Derived {
    let mut item = FeedItem::new(reason.feed_reason(), thread.clone(), seq, actor.clone(), text);
    item.title = title.to_owned();
    notify(user, item)
}

/// The feed items a thread's new event `body` (by `cx.actor`, about to be
/// appended at `cx.head + 1`) causes: [`notifications`] over the thread as it
/// will be, with its category's levels (see the module doc). Readability is
/// checked by the feed when it shows an item.
pub fn feed_items(st: &StreamState, t: &ThreadState, cx: &Cx<'_>, body: &EventBody) -> Vec<Derived> {
    let seq = cx.head.next();
    let ev =
        Event { stream: st.id.clone(), seq, at: cx.now, author: cx.actor.id.clone(), idem: None, body: body.clone() };
    let mut after = t.clone();
    let (about, text) = match body {
        EventBody::MessagePosted { text, reply_to, .. } => {
            let meta = PostMeta {
                author: cx.actor.id.clone(),
                at: cx.now,
                text_seq: seq,
                quote: *reply_to,
                ..Default::default()
            };
            after.posts.insert(seq, meta);
            (seq, text.clone())
        }
        EventBody::ForumPostLiked { target } => {
            let text = t.posts.get(target).and_then(|p| current_text(cx, p).ok()).unwrap_or_default();
            (*target, text)
        }
        _ => return Vec::new(),
    };
    // A first post's category watchers are told by the forum stream (`ForumAction::OpenThread`).
    let category_levels = match t.first_post() {
        None => imbl::HashMap::new(),
        Some(_) => cx
            .with_state(&StreamId::from(FORUM_STREAM), |f| super::category::levels_of(f, &t.category))
            .unwrap_or_default(),
    };
    notifications(&after, &st.created_by, &category_levels, &ev, &|_| true)
        .into_iter()
        .map(|(user, reason)| item(&user, reason, &st.id, &st.name, about, &cx.actor.id, &text))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kinds::forum::PostMeta;
    use agora_protocol::{Seq, StreamId};

    fn u(s: &str) -> UserId {
        UserId::from(s)
    }

    /// A thread by ann: her first post at 3, bob's reply at 4.
    fn thread() -> ThreadState {
        let mut t = ThreadState::default();
        for (seq, author) in [(3, "ann"), (4, "bob")] {
            t.posts.insert(Seq(seq), PostMeta { author: u(author), text_seq: Seq(seq), ..Default::default() });
        }
        t
    }

    fn posted(seq: u64, author: &str, reply_to: Option<u64>, mentions: &[&str]) -> Event {
        Event {
            stream: StreamId::from("ft_t"),
            seq: Seq(seq),
            at: 0,
            author: u(author),
            idem: None,
            body: EventBody::MessagePosted {
                text: "x".into(),
                reply_to: reply_to.map(Seq),
                mentions: mentions.iter().map(|m| u(m)).collect(),
                attachments: Vec::new(),
            },
        }
    }

    /// Fold the post into `t` as the thread would, then compute.
    fn tell(t: &mut ThreadState, cats: &imbl::HashMap<UserId, NotificationLevel>, ev: &Event) -> Vec<(UserId, Reason)> {
        t.posts.insert(ev.seq, PostMeta { author: ev.author.clone(), text_seq: ev.seq, ..Default::default() });
        notifications(t, &u("ann"), cats, ev, &|who| who.as_str() != "eve")
    }

    #[test]
    fn levels_default_to_watching_for_the_author_and_tracking_for_posters() {
        let t = thread();
        let none = NotificationLevel::Normal;
        assert_eq!(level(&t, none, &u("ann"), &u("ann")), NotificationLevel::Watching);
        assert_eq!(level(&t, none, &u("ann"), &u("bob")), NotificationLevel::Tracking);
        assert_eq!(level(&t, none, &u("ann"), &u("carl")), NotificationLevel::Normal);
        assert_eq!(level(&t, NotificationLevel::Watching, &u("ann"), &u("carl")), NotificationLevel::Watching);
        assert_eq!(level(&t, NotificationLevel::WatchingFirstPost, &u("ann"), &u("carl")), NotificationLevel::Normal);
        let mut muted = t.clone();
        muted.levels.insert(u("ann"), NotificationLevel::Muted);
        assert_eq!(level(&muted, none, &u("ann"), &u("ann")), NotificationLevel::Muted, "a chosen level wins");
    }

    #[test]
    fn watching_hears_every_reply_normal_only_replies_mentions_and_likes() {
        let mut t = thread();
        let cats = imbl::HashMap::new();
        // carl replies to nobody: ann (author: watching) hears it; bob (tracking) does not.
        assert_eq!(tell(&mut t, &cats, &posted(5, "carl", None, &[])), [(u("ann"), Reason::Posted)]);
        // dan replies to bob's post and mentions carl and eve (who cannot read the thread).
        let got = tell(&mut t, &cats, &posted(6, "dan", Some(4), &["carl", "eve"]));
        assert_eq!(got, [(u("carl"), Reason::Mentioned), (u("bob"), Reason::Replied), (u("ann"), Reason::Posted)]);
        // Nobody is told of their own post; one reason per user (a mention beats a reply).
        let got = tell(&mut t, &cats, &posted(7, "bob", Some(3), &["ann", "bob"]));
        assert_eq!(got, [(u("ann"), Reason::Mentioned)]);
        // Likes go to the post's author.
        let like = Event { body: EventBody::ForumPostLiked { target: Seq(4) }, ..posted(8, "carl", None, &[]) };
        assert_eq!(notifications(&t, &u("ann"), &cats, &like, &|_| true), [(u("bob"), Reason::Liked)]);
    }

    #[test]
    fn a_muted_thread_tells_nothing_and_a_watched_category_tells_new_threads() {
        let mut t = thread();
        t.levels.insert(u("bob"), NotificationLevel::Muted);
        t.levels.insert(u("ann"), NotificationLevel::Muted);
        let cats = imbl::HashMap::new();
        let got = tell(&mut t, &cats, &posted(5, "carl", Some(4), &["bob", "ann"]));
        assert!(got.is_empty(), "{got:?}");

        let mut fresh = ThreadState::default();
        let mut cats = imbl::HashMap::new();
        cats.insert(u("fay"), NotificationLevel::WatchingFirstPost);
        cats.insert(u("gus"), NotificationLevel::Watching);
        cats.insert(u("hal"), NotificationLevel::Tracking);
        cats.insert(u("ida"), NotificationLevel::Muted);
        let first = tell(&mut fresh, &cats, &posted(3, "ann", None, &[]));
        assert_eq!(first, [(u("fay"), Reason::NewThread), (u("gus"), Reason::NewThread)]);
        // A reply: the category's watchers hear it, watching-first-post does not.
        let reply = tell(&mut fresh, &cats, &posted(4, "carl", None, &[]));
        assert_eq!(reply, [(u("ann"), Reason::Posted), (u("gus"), Reason::Posted)]);
    }
}
