//! `forum_thread`: one thread. Its title is the stream's name; its posts are
//! `message_posted` events (the first is the first post; `reply_to` is the
//! post a reply quotes) and `forum_post_moved_in` events (posts carried here
//! by a split or merge); edits are `message_edited` (every version stays in
//! the log: `forum_post_history` reads them); likes, soft deletes, staff
//! actions, splits and merges have events of their own (PROTOCOL.md §Forum).
//!
//! Readability follows the category through `read_role`, copied into the
//! thread's state by `forum_thread_placed` (see `mod.rs`). A withdrawn
//! (soft-deleted) post, a post split off into another thread and a post a
//! moderator hid are, with what refers to them, for their author and staff
//! only: the audience rule gives every read path the same answer.

use super::{may_read, ForumAction};
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::audit::audit;
use crate::streams::kinds::KindState;
use crate::streams::moderation::{audited, message_entry, set_restriction, Moderation};
use crate::streams::screening::{check_not_muted, flagged, held, screen_edit, screen_post, Screened};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::forum::{MovedPost, NotificationLevel, Pinned, StaffAction, FORUM_STREAM};
use agora_protocol::ops::Role;
use agora_protocol::{AuditAction, AuditEntry, Event, EventBody, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};

pub struct ThreadKind;

/// How many participants a thread row shows.
pub const PARTICIPANTS: usize = 5;

/// One post's metadata (its text stays in the log).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PostMeta {
    pub author: UserId,
    pub at: u64,
    /// The seq of the event holding the current text (the post, or its last edit).
    pub text_seq: Seq,
    /// Seqs of its edits, oldest first.
    #[serde(default)]
    pub edits: Vec<Seq>,
    #[serde(default)]
    pub likes: imbl::OrdSet<UserId>,
    #[serde(default)]
    pub deleted: bool,
    /// Split off into this thread.
    #[serde(default)]
    pub split_to: Option<StreamId>,
    #[serde(default)]
    pub quote: Option<Seq>,
    #[serde(default)]
    pub moved_from: Option<StreamId>,
}

impl PostMeta {
    /// Shown only to its author and staff (withdrawn, split off, or hidden).
    pub fn restricted(&self, seq: Seq, hidden: &imbl::HashMap<Seq, UserId>) -> bool {
        self.deleted || self.split_to.is_some() || hidden.contains_key(&seq)
    }
}

/// A thread's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadState {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub read_role: Option<Role>,
    #[serde(default)]
    pub post_role: Option<Role>,
    #[serde(default)]
    pub created_at: u64,
    #[serde(default)]
    pub last_activity: u64,
    #[serde(default)]
    pub last_poster: UserId,
    #[serde(default)]
    pub posts: imbl::OrdMap<Seq, PostMeta>,
    /// Posts shown to everyone (not the first), and likes on them.
    #[serde(default)]
    pub replies: u32,
    #[serde(default)]
    pub likes: u32,
    /// The first posters, the author first.
    #[serde(default)]
    pub participants: Vec<UserId>,
    #[serde(default)]
    pub pinned: Pinned,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub merged_into: Option<StreamId>,
    /// The levels users chose for this thread.
    #[serde(default)]
    pub levels: imbl::HashMap<UserId, NotificationLevel>,
    /// The wiki page whose talk thread this is.
    #[serde(default)]
    pub talk_of: Option<StreamId>,
}

impl ThreadState {
    /// The thread state of a stream (`None` for another kind).
    pub fn of(st: &StreamState) -> Option<&ThreadState> {
        match &st.ext {
            KindState::ForumThread(t) => Some(t),
            _ => None,
        }
    }

    /// The first post (seq 2 unless the thread came from a split: its first moved post).
    pub fn first_post(&self) -> Option<Seq> {
        self.posts.keys().next().copied()
    }

    fn recount(&mut self, hidden: &imbl::HashMap<Seq, UserId>) {
        let first = self.first_post();
        let shown = |(s, p): &(&Seq, &PostMeta)| !p.restricted(**s, hidden);
        self.replies = self.posts.iter().filter(shown).filter(|(s, _)| Some(**s) != first).count() as u32;
        self.likes = self.posts.iter().filter(shown).map(|(_, p)| p.likes.len() as u32).sum();
    }
}

/// The thread's state; empty right after `stream_created` (nothing folded yet).
fn thread(st: &StreamState) -> AppResult<&ThreadState> {
    static EMPTY: std::sync::OnceLock<ThreadState> = std::sync::OnceLock::new();
    Ok(ThreadState::of(st).unwrap_or_else(|| EMPTY.get_or_init(ThreadState::default)))
}

fn require_staff(who: &Actor, what: &str) -> AppResult<()> {
    if who.role.can_moderate() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only moderators and admins can {what}")))
    }
}

/// The post at `seq` that `who` may see, or `not_found`.
fn post_at<'a>(st: &StreamState, t: &'a ThreadState, who: &Actor, seq: Seq) -> AppResult<&'a PostMeta> {
    match t.posts.get(&seq) {
        Some(p) if !p.restricted(seq, &st.hidden) || p.author == who.id || who.role.can_moderate() => Ok(p),
        _ => Err(AppError::NotFound(format!("no post at seq {seq}"))),
    }
}

/// New replies are refused while the thread is archived, or (except for staff) locked or closed.
fn require_open(t: &ThreadState, who: &Actor) -> AppResult<()> {
    if t.archived {
        return Err(AppError::Conflict("thread is archived".into()));
    }
    if who.role.can_moderate() {
        return Ok(());
    }
    if t.locked {
        return Err(AppError::Conflict("thread is locked".into()));
    }
    if t.closed {
        return Err(AppError::Conflict("thread is closed".into()));
    }
    Ok(())
}

fn require_post_role(t: &ThreadState, who: &Actor) -> AppResult<()> {
    if may_read(t.post_role, who) {
        Ok(())
    } else {
        Err(AppError::Forbidden("you cannot post in this category".into()))
    }
}

/// The text of a post as it is now (its last version), read from the log.
pub(super) fn current_text(cx: &Cx<'_>, p: &PostMeta) -> AppResult<String> {
    match (cx.lookup)(p.text_seq)?.map(|e| e.body) {
        Some(EventBody::MessagePosted { text, .. }) | Some(EventBody::MessageEdited { text, .. }) => Ok(text),
        Some(EventBody::ForumPostMovedIn { post, .. }) => Ok(post.text),
        _ => Err(AppError::Internal(format!("post text at seq {} is missing", p.text_seq))),
    }
}

/// A post to carry into another thread (split, merge).
fn moved(cx: &Cx<'_>, seq: Seq, p: &PostMeta) -> AppResult<MovedPost> {
    Ok(MovedPost { from_seq: seq, author: p.author.clone(), at: p.at, text: current_text(cx, p)? })
}

/// Soft-delete post `target`: its author may; staff may delete anyone's,
/// which the audit log records (with `reason`; `forum_recover` reverses it).
fn delete(st: &StreamState, t: &ThreadState, cx: &Cx<'_>, target: Seq, reason: String) -> AppResult<Decision> {
    let who = cx.actor;
    let p = post_at(st, t, who, target)?;
    if p.author != who.id && !who.role.can_moderate() {
        return Err(AppError::Forbidden("only the author or staff can delete a post".into()));
    }
    if p.deleted {
        return Ok(Decision::AlreadySo);
    }
    let mut also = Vec::new();
    if p.author != who.id {
        let reverse = Some("forum_recover");
        also.extend(audited(cx, message_entry(cx, AuditAction::Delete, &st.id, target, &p.author, &reason, reverse)));
    }
    Ok(Append { also, ..Append::event(EventBody::ForumPostDeleted { target }) }.into())
}

/// The audit entry of a staff action on thread `thread`, naming its opposite.
fn staff_entry(cx: &Cx<'_>, thread: &StreamId, action: StaffAction) -> Derived {
    let (audit_action, detail, reverse) = match action {
        StaffAction::Pin => (AuditAction::Pin, "", "unpin"),
        StaffAction::PinGlobally => (AuditAction::Pin, "globally", "unpin"),
        StaffAction::Unpin => (AuditAction::Unpin, "", "pin"),
        StaffAction::Lock => (AuditAction::Lock, "", "unlock"),
        StaffAction::Unlock => (AuditAction::Unlock, "", "lock"),
        StaffAction::Close => (AuditAction::Close, "", "reopen"),
        StaffAction::Reopen => (AuditAction::Reopen, "", "close"),
        StaffAction::Archive => (AuditAction::Archive, "", "unarchive"),
        StaffAction::Unarchive => (AuditAction::Unarchive, "", "archive"),
    };
    audit(AuditEntry {
        stream: Some(thread.clone()),
        detail: detail.into(),
        reverse: Some(format!("forum_staff action={reverse}")),
        ..AuditEntry::new(audit_action, cx.actor.id.clone(), "")
    })
}

fn staff_change(t: &ThreadState, action: StaffAction) -> bool {
    match action {
        StaffAction::Pin => t.pinned != Pinned::Category,
        StaffAction::PinGlobally => t.pinned != Pinned::Globally,
        StaffAction::Unpin => t.pinned != Pinned::No,
        StaffAction::Lock => !t.locked,
        StaffAction::Unlock => t.locked,
        StaffAction::Close => !t.closed,
        StaffAction::Reopen => t.closed,
        StaffAction::Archive => !t.archived,
        StaffAction::Unarchive => t.archived,
    }
}

impl Kind for ThreadKind {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        let Some(st) = st else {
            // Threads are created only as a derived append of the forum stream
            // (`forum_create_thread`, `forum_split`), which checked the category.
            let Action::Create { kind, name, topic, members } = action else {
                return Err(AppError::not_found_stream());
            };
            return Ok(Append::event(EventBody::StreamCreated { kind, name, topic, members }).into());
        };
        let t = thread(st)?;
        let body = match action {
            Action::Create { .. } => return Err(AppError::Conflict("thread exists".into())),
            Action::Post { text, reply_to, mentions, attachments } => {
                require_post_role(t, who)?;
                require_open(t, who)?;
                check_not_muted(cx)?;
                st.moderation.check_post(cx)?;
                if let Some(q) = reply_to {
                    post_at(st, t, who, q)?;
                }
                let (text, flag) = match screen_post(cx, text)? {
                    Screened::Post { text, flag } => (text, flag),
                    Screened::Hold(text) => {
                        return Ok(Decision::Instead(held(&st.id, &who.id, text, reply_to, attachments)))
                    }
                };
                let body = EventBody::MessagePosted { text, reply_to, mentions, attachments };
                let mut also = super::notify::feed_items(st, t, cx, &body);
                if let (Some(p), EventBody::MessagePosted { text, .. }) = (flag, &body) {
                    also.push(flagged(&st.id, cx.head.next(), &who.id, text, &p));
                }
                return Ok(Append { also, ..Append::event(body) }.into());
            }
            Action::Edit { target, text, mentions } => {
                let p = post_at(st, t, who, target)?;
                if t.archived {
                    return Err(AppError::Conflict("thread is archived".into()));
                }
                if p.author != who.id && !who.role.can_moderate() {
                    return Err(AppError::Forbidden("only the author or staff can edit a post".into()));
                }
                if p.deleted {
                    return Err(AppError::Conflict("post is deleted; recover it first".into()));
                }
                check_not_muted(cx)?;
                let text = screen_edit(cx, text)?;
                EventBody::MessageEdited { target, text, mentions }
            }
            Action::Delete { target } => return delete(st, t, cx, target, String::new()),
            Action::Moderate(Moderation::Delete { target, reason }) => {
                require_staff(who, "delete others' posts")?;
                return delete(st, t, cx, target, reason);
            }
            Action::Moderate(m) => {
                let (body, entry) = set_restriction(cx, &st.id, m)?;
                return Ok(Append { also: audited(cx, entry), ..Append::event(body) }.into());
            }
            Action::Rename { name } => {
                if st.created_by != who.id && !who.role.can_moderate() {
                    return Err(AppError::Forbidden("only the author or staff can change the title".into()));
                }
                EventBody::StreamRenamed { name }
            }
            Action::Hide { target, reason } => {
                require_staff(who, "hide posts")?;
                let p = post_at(st, t, who, target)?;
                if st.hidden.contains_key(&target) {
                    return Err(AppError::Conflict(format!("post {target} is already hidden")));
                }
                let entry = message_entry(cx, AuditAction::Hide, &st.id, target, &p.author, &reason, Some("unhide"));
                let body = EventBody::MessageHidden { target, message_author: p.author.clone(), reason };
                return Ok(Append { also: audited(cx, entry), ..Append::event(body) }.into());
            }
            Action::Unhide { target } => {
                require_staff(who, "unhide posts")?;
                let p = post_at(st, t, who, target)?;
                if !st.hidden.contains_key(&target) {
                    return Err(AppError::Conflict(format!("post {target} is not hidden")));
                }
                let entry = message_entry(cx, AuditAction::Unhide, &st.id, target, &p.author, "", Some("hide"));
                let body = EventBody::MessageUnhidden { target };
                return Ok(Append { also: audited(cx, entry), ..Append::event(body) }.into());
            }
            Action::Forum(a) => return forum_action(st, t, cx, a),
            _ => return Err(AppError::BadRequest("not an action on a forum thread".into())),
        };
        Ok(Append::event(body).into())
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        // `stream_created` is not folded (`StreamState::from_created` starts the state):
        // the thread's own state starts with the event after it, in the same commit.
        if !matches!(st.ext, KindState::ForumThread(_)) {
            st.ext =
                KindState::ForumThread(ThreadState { created_at: ev.at, last_activity: ev.at, ..Default::default() });
        }
        match &ev.body {
            EventBody::MessageHidden { target, message_author, .. } => {
                st.hidden.insert(*target, message_author.clone());
            }
            EventBody::MessageUnhidden { target } => {
                st.hidden.remove(target);
            }
            EventBody::StreamRenamed { name } => st.name = name.clone(),
            _ => {}
        }
        let hidden = st.hidden.clone();
        let KindState::ForumThread(t) = &mut st.ext else { return };
        // Posts whose audience this event changes (their unread counting follows).
        let mut touched: Vec<Seq> = Vec::new();
        let new_post = |t: &mut ThreadState, author: &UserId, at: u64, quote, moved_from| {
            t.posts.insert(
                ev.seq,
                PostMeta { author: author.clone(), at, text_seq: ev.seq, quote, moved_from, ..Default::default() },
            );
            t.last_activity = t.last_activity.max(at);
            t.last_poster = author.clone();
            if !t.participants.contains(author) && t.participants.len() < PARTICIPANTS {
                t.participants.push(author.clone());
            }
        };
        match &ev.body {
            EventBody::MessagePosted { reply_to, .. } => new_post(t, &ev.author, ev.at, *reply_to, None),
            EventBody::ForumPostMovedIn { from, post } => new_post(t, &post.author, post.at, None, Some(from.clone())),
            EventBody::MessageEdited { target, .. } => {
                if let Some(p) = t.posts.get_mut(target) {
                    p.edits.push(ev.seq);
                    p.text_seq = ev.seq;
                }
            }
            EventBody::ForumPostLiked { target } => {
                if let Some(p) = t.posts.get_mut(target) {
                    p.likes.insert(ev.author.clone());
                }
            }
            EventBody::ForumPostUnliked { target } => {
                if let Some(p) = t.posts.get_mut(target) {
                    p.likes.remove(&ev.author);
                }
            }
            EventBody::ForumPostDeleted { target } | EventBody::ForumPostRecovered { target } => {
                if let Some(p) = t.posts.get_mut(target) {
                    p.deleted = matches!(ev.body, EventBody::ForumPostDeleted { .. });
                    touched.push(*target);
                }
            }
            EventBody::MessageHidden { target, .. } | EventBody::MessageUnhidden { target } => touched.push(*target),
            EventBody::ForumPostsSplit { to, posts } => {
                for s in posts {
                    if let Some(p) = t.posts.get_mut(s) {
                        p.split_to = Some(to.clone());
                        touched.push(*s);
                    }
                }
            }
            EventBody::ForumThreadPlaced { category, read_role, post_role, .. } => {
                t.category = category.clone();
                t.read_role = *read_role;
                t.post_role = *post_role;
            }
            EventBody::ForumStaffAction { action } => match action {
                StaffAction::Pin => t.pinned = Pinned::Category,
                StaffAction::PinGlobally => t.pinned = Pinned::Globally,
                StaffAction::Unpin => t.pinned = Pinned::No,
                StaffAction::Lock | StaffAction::Unlock => t.locked = *action == StaffAction::Lock,
                StaffAction::Close | StaffAction::Reopen => t.closed = *action == StaffAction::Close,
                StaffAction::Archive | StaffAction::Unarchive => t.archived = *action == StaffAction::Archive,
            },
            EventBody::ForumThreadMerged { into } => {
                t.merged_into = Some(into.clone());
                t.closed = true;
            }
            EventBody::ForumLevelSet { user, level, category: None } => {
                t.levels.insert(user.clone(), *level);
            }
            EventBody::WikiTalkLinked { page, .. } => t.talk_of = Some(page.clone()),
            _ => {}
        }
        t.recount(&hidden);
        let audiences: Vec<(Seq, Audience)> = touched
            .into_iter()
            .filter_map(|s| t.posts.get(&s).map(|p| (s, p)))
            .map(|(s, p)| {
                let a =
                    if p.restricted(s, &hidden) { Audience::moderators_and(&p.author) } else { Audience::everyone() };
                (s, a)
            })
            .collect();
        match &ev.body {
            EventBody::MessagePosted { mentions, attachments, .. } => {
                st.counters.add(ev.seq, &ev.author, mentions, Audience::everyone());
                for a in attachments {
                    st.attachments.entry(a.hash.clone()).or_default().insert(ev.seq);
                }
                st.moderation.note_post(&ev.author, ev.at);
            }
            EventBody::ForumPostMovedIn { post, .. } => {
                st.counters.add(ev.seq, &post.author, &[], Audience::everyone())
            }
            _ => {}
        }
        for (s, a) in audiences {
            st.counters.set_audience(s, a);
        }
    }

    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        ThreadState::of(st).is_none_or(|t| may_read(t.read_role, who))
    }

    fn can_write(&self, st: &StreamState, who: &Actor) -> bool {
        ThreadState::of(st).is_none_or(|t| may_read(t.post_role, who))
    }

    /// A withdrawn, split-off or hidden post, and its edits and likes, are for its
    /// author and staff; a notification level is for the user who chose it; the
    /// rest is for every reader of the thread's category.
    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        let Some(t) = ThreadState::of(st) else { return Audience::everyone() };
        let target = match &ev.body {
            EventBody::MessagePosted { .. } | EventBody::ForumPostMovedIn { .. } => Some(ev.seq),
            EventBody::MessageEdited { target, .. }
            | EventBody::ForumPostLiked { target }
            | EventBody::ForumPostUnliked { target } => Some(*target),
            EventBody::ForumLevelSet { user, .. } => return Audience::only(vec![user.clone()]),
            _ => None,
        };
        match target.and_then(|s| t.posts.get(&s).map(|p| (s, p))) {
            Some((s, p)) if p.restricted(s, &st.hidden) => Audience::moderators_and(&p.author),
            // Live delivery asks only the audience: a thread in a restricted category
            // is for that category's readers (a member subscribed before the category
            // was restricted gets `skip` markers from then on).
            _ => super::audience_of(t.read_role),
        }
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
    /// Found through `forum_categories` and `forum_threads`, which page.
    fn listed(&self) -> bool {
        false
    }
}

/// The staff actions, likes, recoveries, splits, merges and levels of a thread.
fn forum_action(st: &StreamState, t: &ThreadState, cx: &Cx<'_>, action: ForumAction) -> AppResult<Decision> {
    let who = cx.actor;
    let here = st.id.clone();
    let body = match action {
        ForumAction::Place { category, read_role, post_role, from } => {
            if !t.category.is_empty() && !who.role.can_moderate() {
                return Err(AppError::Forbidden("only moderators and admins can move threads".into()));
            }
            EventBody::ForumThreadPlaced { category, read_role, post_role, from }
        }
        ForumAction::Like { target } | ForumAction::Unlike { target } => {
            let like = matches!(action, ForumAction::Like { .. });
            let p = post_at(st, t, who, target)?;
            check_not_muted(cx)?;
            if t.archived {
                return Err(AppError::Conflict("thread is archived".into()));
            }
            if like && p.author == who.id {
                return Err(AppError::Forbidden("you cannot like your own post".into()));
            }
            if p.likes.contains(&who.id) == like {
                // Once per user: liking twice (or taking back a like never given) changes nothing.
                return Ok(Decision::AlreadySo);
            }
            if like {
                let body = EventBody::ForumPostLiked { target };
                let also = super::notify::feed_items(st, t, cx, &body);
                return Ok(Append { also, ..Append::event(body) }.into());
            } else {
                EventBody::ForumPostUnliked { target }
            }
        }
        ForumAction::Recover { target } => {
            let p = post_at(st, t, who, target)?;
            if p.author != who.id && !who.role.can_moderate() {
                return Err(AppError::Forbidden("only the author or staff can recover a post".into()));
            }
            if !p.deleted {
                return Ok(Decision::AlreadySo);
            }
            EventBody::ForumPostRecovered { target }
        }
        ForumAction::Staff(action) => {
            require_staff(who, "pin, lock, close or archive threads")?;
            if !staff_change(t, action) {
                return Ok(Decision::AlreadySo);
            }
            let also = audited(cx, staff_entry(cx, &here, action));
            return Ok(Append { also, ..Append::event(EventBody::ForumStaffAction { action }) }.into());
        }
        ForumAction::Split { posts, to, title } => {
            require_staff(who, "split threads")?;
            if posts.is_empty() {
                return Err(AppError::BadRequest("name the posts to split off".into()));
            }
            let mut carried = Vec::new();
            let mut sorted = posts.clone();
            sorted.sort();
            sorted.dedup();
            for s in &sorted {
                let p = post_at(st, t, who, *s)?;
                if Some(*s) == t.first_post() {
                    return Err(AppError::BadRequest("the first post cannot be split off; move the thread".into()));
                }
                if p.split_to.is_some() || p.deleted {
                    return Err(AppError::Conflict(format!("post {s} was split off or deleted")));
                }
                carried.push(moved(cx, *s, p)?);
            }
            let create = Action::Create {
                kind: StreamKind::ForumThread,
                name: title,
                topic: String::new(),
                members: vec![who.id.clone()],
            };
            let place = ForumAction::Place {
                category: t.category.clone(),
                read_role: t.read_role,
                post_role: t.post_role,
                from: None,
            };
            let mut also = vec![Derived {
                stream: to.clone(),
                actor: who.clone(),
                ensure: Some(create),
                action: Action::Forum(place),
            }];
            also.extend(carried.into_iter().map(|post| Derived {
                stream: to.clone(),
                actor: who.clone(),
                ensure: None,
                action: Action::Forum(ForumAction::MovedIn { from: here.clone(), post }),
            }));
            also.push(Derived {
                stream: StreamId::from(FORUM_STREAM),
                actor: who.clone(),
                ensure: None,
                action: Action::Forum(ForumAction::FileThread { thread: to.clone(), category: t.category.clone() }),
            });
            also.extend(audited(
                cx,
                audit(AuditEntry {
                    stream: Some(here.clone()),
                    detail: format!("{} posts → {to}", sorted.len()),
                    reverse: Some(format!("forum_merge thread={to} into={here}")),
                    ..AuditEntry::new(AuditAction::Split, who.id.clone(), "")
                }),
            ));
            let body = EventBody::ForumPostsSplit { to, posts: sorted };
            return Ok(Append { also, ..Append::event(body) }.into());
        }
        ForumAction::MovedIn { from, post } => {
            require_staff(who, "move posts")?;
            EventBody::ForumPostMovedIn { from, post }
        }
        ForumAction::Merge { into } => {
            require_staff(who, "merge threads")?;
            if into == here {
                return Err(AppError::BadRequest("a thread cannot be merged into itself".into()));
            }
            if t.merged_into.is_some() {
                return Err(AppError::Conflict("thread was merged already".into()));
            }
            let mut also = Vec::new();
            for (s, p) in t.posts.iter().filter(|(s, p)| !p.restricted(**s, &st.hidden)) {
                also.push(Derived {
                    stream: into.clone(),
                    actor: who.clone(),
                    ensure: None,
                    action: Action::Forum(ForumAction::MovedIn { from: here.clone(), post: moved(cx, *s, p)? }),
                });
            }
            also.extend(audited(
                cx,
                audit(AuditEntry {
                    stream: Some(here.clone()),
                    detail: format!("→ {into}"),
                    ..AuditEntry::new(AuditAction::Merge, who.id.clone(), "")
                }),
            ));
            return Ok(Append { also, ..Append::event(EventBody::ForumThreadMerged { into }) }.into());
        }
        ForumAction::TalkOf { page } => {
            if t.talk_of.is_some() {
                return Err(AppError::Conflict("the thread is a page's talk thread already".into()));
            }
            EventBody::WikiTalkLinked { page, thread: here }
        }
        ForumAction::SetLevel { category: None, level } => {
            if t.levels.get(&who.id) == Some(&level) {
                return Ok(Decision::AlreadySo);
            }
            EventBody::ForumLevelSet { user: who.id.clone(), level, category: None }
        }
        _ => return Err(AppError::BadRequest("not an action on a forum thread".into())),
    };
    Ok(Append::event(body).into())
}
