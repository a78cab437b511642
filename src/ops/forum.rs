//! The forum's ops: categories, thread lists, opening a thread, likes,
//! recovering posts, edit history, staff actions, moves, splits, merges and
//! notification levels. Replies and edits to posts use the ordinary `post`,
//! `edit` and `delete` ops (a thread is a stream).
//!
//! Decisions are the forum kinds' (`streams/kinds/forum`); lists come from
//! the projection (`forum_list`); this file validates, submits and shapes replies.

use super::messages::submit;
use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::forum_list::{decode_cursor, encode_cursor, Row};
use crate::streams::kinds::forum::{may_read, notify, ForumAction, ForumState, ThreadState};
use crate::streams::screening::shown_text;
use crate::streams::text::mention_candidates;
use crate::streams::{can_see, Action, Actor, StreamState};
use agora_protocol::forum::{
    Category, CategoryInfo, ForumCategoriesOk, ForumCategoryOk, ForumPostHistoryOk, ForumThreadCreatedOk,
    ForumThreadOk, ForumThreadsOk, NotificationLevel, PostVersion, PostView, SmallAction, StaffAction, ThreadRow,
    FORUM_STREAM,
};
use agora_protocol::ops::Role;
use agora_protocol::push::OkBody;
use agora_protocol::{EventBody, Seq, StreamId, StreamKind, UserId};
use std::sync::Arc;

fn forum_id() -> StreamId {
    StreamId::from(FORUM_STREAM)
}

/// The forum stream's state (empty before the first category).
fn forum_state(app: &App) -> ForumState {
    app.registry.get(&forum_id()).map(|e| ForumState::of(&e.read())).unwrap_or_default()
}

/// A thread `who` may read, with its state; `not_found` for anything else.
fn thread_state(app: &App, thread: &StreamId, who: &Actor) -> AppResult<StreamState> {
    let entry = app.readable(thread, &who.id, who.role)?;
    let st = entry.read().clone();
    if st.kind != StreamKind::ForumThread {
        return Err(AppError::NotFound(format!("no thread {thread}")));
    }
    Ok(st)
}

pub(super) fn categories(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    let who = s.actor();
    let f = forum_state(app);
    let categories = f
        .visible_categories(&who)
        .into_iter()
        .map(|c| CategoryInfo {
            category: c.clone(),
            thread_count: f.thread_counts.get(&c.id).copied().unwrap_or(0),
            level: f.level(&c.id, &who.id),
        })
        .collect();
    Ok(OkBody::ForumCategories(ForumCategoriesOk { categories }))
}

fn valid_slug(slug: &str) -> bool {
    (1..=50).contains(&slug.len()) && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) fn save_category(app: &Arc<App>, s: &Session, mut category: Category, id: Option<String>) -> Outcome {
    let limits = &app.config.limits;
    category.name = category.name.trim().to_owned();
    if let Err(e) = check_len("name", &category.name, 1, limits.max_name_chars).and(check_len(
        "description",
        &category.description,
        0,
        limits.max_topic_chars,
    )) {
        return Outcome::err(e);
    }
    if !valid_slug(&category.slug) {
        return Outcome::err(AppError::BadRequest("slug: 1 to 50 of a-z, 0-9 and -".into()));
    }
    let new = id.is_none();
    category.id = id.unwrap_or_else(|| format!("cat_{}", crate::ids::random_id(8)));
    let app = app.clone();
    let actor = s.actor();
    Outcome::Later(Box::pin(async move {
        if app.registry.get(&forum_id()).is_none() {
            let create = Action::Create {
                kind: StreamKind::Forum,
                name: "forum".into(),
                topic: String::new(),
                members: Vec::new(),
            };
            app.sequencer.submit(forum_id(), Actor::system(), create, None)?.await?;
        }
        let action = Action::Forum(ForumAction::SaveCategory { category: category.clone(), new });
        app.sequencer.submit(forum_id(), actor, action, None)?.await?;
        Ok(OkBody::ForumCategory(ForumCategoryOk { category }))
    }))
}

/// A page's rows for `who`, with their read marker, unread count and level.
fn thread_row(app: &App, r: &Row, f: &ForumState, who: &Actor) -> AppResult<ThreadRow> {
    let last_read = app.log.read_marker(&who.id, &r.thread)?;
    let unread = app.registry.get(&r.thread).map_or(0, |e| e.read().counters.counts_for(who, last_read).unread);
    let t = &r.state;
    Ok(ThreadRow {
        thread: r.thread.clone(),
        category: r.category.clone(),
        title: r.title.clone(),
        author: r.author.clone(),
        created_at: t.created_at,
        last_activity: t.last_activity,
        last_poster: t.last_poster.clone(),
        replies: t.replies,
        likes: t.likes,
        participants: t.participants.clone(),
        pinned: t.pinned,
        locked: t.locked,
        closed: t.closed,
        archived: t.archived,
        merged_into: t.merged_into.clone(),
        last_read,
        unread,
        level: notify::level(t, f.level(&r.category, &who.id), &r.author, &who.id),
        talk_page: t
            .talk_of
            .as_ref()
            .and_then(|page| app.projections.wiki.title(page))
            .map(|title| crate::streams::kinds::wiki::names::slug(&title)),
    })
}

pub(super) fn threads(
    app: &Arc<App>,
    s: &Session,
    category: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let who = s.actor();
    let f = forum_state(app);
    if let Some(c) = &category {
        f.category_for(c, &who)?;
    }
    let limit = limit.unwrap_or(30);
    if limit == 0 || limit > 100 {
        return Err(AppError::BadRequest("limit must be between 1 and 100".into()));
    }
    let cursor = match cursor {
        Some(c) => Some(decode_cursor(&c).ok_or_else(|| AppError::BadRequest("bad cursor".into()))?),
        None => None,
    };
    let (rows, next) = app.projections.forum.page(category.as_deref(), cursor.as_ref(), limit as usize, &who);
    let threads = rows.iter().map(|r| thread_row(app, r, &f, &who)).collect::<AppResult<Vec<_>>>()?;
    Ok(OkBody::ForumThreads(ForumThreadsOk { threads, next: next.as_ref().map(encode_cursor) }))
}

fn check_text(app: &App, text: &str) -> AppResult<()> {
    if text.trim().is_empty() {
        return Err(AppError::BadRequest("text must not be empty".into()));
    }
    check_len("text", text, 1, app.config.limits.max_text_chars)
}

fn check_title(app: &App, title: &str) -> AppResult<()> {
    check_len("title", title.trim(), 1, app.config.limits.max_topic_chars)
}

pub(super) fn create_thread(app: &Arc<App>, s: &Session, category: String, title: String, text: String) -> Outcome {
    if let Err(e) = check_title(app, &title).and(check_text(app, &text)) {
        return Outcome::err(e);
    }
    let who = s.actor();
    let f = forum_state(app);
    let read_role = match f.category_for(&category, &who) {
        Ok(c) => c.read_role,
        Err(e) => return Outcome::err(e),
    };
    // `@name` mentions of users who exist and may read the category.
    let mentions: Vec<UserId> = mention_candidates(&text)
        .into_iter()
        .filter(|u| {
            app.auth
                .user(u)
                .is_some_and(|rec| !rec.disabled && may_read(read_role, &Actor { id: u.clone(), role: rec.role }))
        })
        .collect();
    let thread = StreamId(format!("ft_{}", crate::ids::random_id(12)));
    let action =
        ForumAction::OpenThread { thread: thread.clone(), category, title: title.trim().to_owned(), text, mentions };
    created(app, who, forum_id(), Action::Forum(action), thread)
}

/// Submit an action that creates thread `thread` (through derived appends) and
/// reply with its id once it is durable.
fn created(app: &Arc<App>, who: Actor, stream: StreamId, action: Action, thread: StreamId) -> Outcome {
    let fut = match app.sequencer.submit(stream, who, action, None) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        fut.await?;
        if app.registry.get(&thread).is_none() {
            return Err(AppError::Internal("the thread was not created".into()));
        }
        Ok(OkBody::ForumThreadCreated(ForumThreadCreatedOk { thread }))
    }))
}

/// Raw log pages one `forum_thread` call reads at most.
const SCAN_PAGES: usize = 8;

fn staff_name(a: StaffAction) -> &'static str {
    match a {
        StaffAction::Pin => "pin",
        StaffAction::PinGlobally => "pin_globally",
        StaffAction::Unpin => "unpin",
        StaffAction::Lock => "lock",
        StaffAction::Unlock => "unlock",
        StaffAction::Close => "close",
        StaffAction::Reopen => "reopen",
        StaffAction::Archive => "archive",
        StaffAction::Unarchive => "unarchive",
    }
}

pub(super) fn thread(
    app: &Arc<App>,
    s: &Session,
    thread: &StreamId,
    after: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let who = s.actor();
    let st = thread_state(app, thread, &who)?;
    let Some(t) = ThreadState::of(&st) else { return Err(AppError::NotFound(format!("no thread {thread}"))) };
    let head = app.registry.get(thread).map_or(st.head, |e| e.committed_head());
    let limit = limit.unwrap_or(30);
    if limit == 0 || limit > app.config.limits.history_max {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {}", app.config.limits.history_max)));
    }
    let last_read = app.log.read_marker(&who.id, thread)?;
    let sees = |seq: Seq, author: &UserId| {
        t.posts
            .get(&seq)
            .is_some_and(|p| !p.restricted(seq, &st.hidden) || *author == who.id || who.role.can_moderate())
    };
    let first_unread =
        t.posts.range(last_read.next()..).find(|(s, p)| p.author != who.id && sees(**s, &p.author)).map(|(s, _)| *s);
    // Land on the first unread post; with nothing unread, on the last one read.
    let after = after.unwrap_or_else(|| match first_unread {
        Some(s) => Seq(s.0 - 1),
        None => Seq(last_read.0.saturating_sub(1)),
    });
    let (mut posts, mut actions) = (Vec::new(), Vec::new());
    let rules = app.censoring();
    let mut cursor = after;
    'pages: for _ in 0..SCAN_PAGES {
        let page = app.log.read_range(thread, cursor, head, limit as usize)?;
        if page.is_empty() {
            break;
        }
        for ev in page {
            cursor = ev.seq;
            if !can_see(&st, &ev, &who, &*app.sources()) {
                continue;
            }
            let small = |action: &str, detail: String| SmallAction {
                seq: ev.seq,
                by: ev.author.clone(),
                at: ev.at,
                action: action.into(),
                detail,
            };
            match &ev.body {
                EventBody::MessagePosted { .. } | EventBody::ForumPostMovedIn { .. } => {
                    let Some(p) = t.posts.get(&ev.seq) else { continue };
                    let text = if p.text_seq == ev.seq {
                        match &ev.body {
                            EventBody::MessagePosted { text, .. } => text.clone(),
                            EventBody::ForumPostMovedIn { post, .. } => post.text.clone(),
                            _ => String::new(),
                        }
                    } else {
                        match app.log.get(thread, p.text_seq)?.map(|e| e.body) {
                            Some(EventBody::MessageEdited { text, .. }) => text,
                            _ => String::new(),
                        }
                    };
                    let (text, censored) = shown_text(text, &who, rules.as_ref());
                    let attachments = match &ev.body {
                        EventBody::MessagePosted { attachments, .. } => attachments.clone(),
                        _ => Vec::new(),
                    };
                    posts.push(PostView {
                        seq: ev.seq,
                        author: p.author.clone(),
                        at: p.at,
                        text,
                        quote: p.quote,
                        likes: p.likes.len() as u32,
                        liked: p.likes.contains(&who.id),
                        edits: p.edits.len() as u32,
                        deleted: p.deleted,
                        moved_from: p.moved_from.clone(),
                        attachments,
                        censored,
                        hidden: st.hidden.contains_key(&ev.seq),
                    });
                    if posts.len() >= limit as usize {
                        break 'pages;
                    }
                }
                EventBody::ForumStaffAction { action } => actions.push(small(staff_name(*action), String::new())),
                EventBody::ForumThreadPlaced { category, from: Some(from), .. } => {
                    actions.push(small("moved", format!("{from} → {category}")))
                }
                EventBody::ForumPostsSplit { to, posts } => {
                    actions.push(small("split", format!("{} posts → {to}", posts.len())))
                }
                EventBody::ForumThreadMerged { into } => actions.push(small("merged", into.to_string())),
                EventBody::StreamRenamed { name } => actions.push(small("renamed", name.clone())),
                _ => {}
            }
        }
    }
    let f = forum_state(app);
    let row = match app.projections.forum.row(thread) {
        Some(r) => thread_row(app, &r, &f, &who)?,
        None => return Err(AppError::NotFound(format!("no thread {thread}"))),
    };
    Ok(OkBody::ForumThread(Box::new(ForumThreadOk {
        row,
        posts,
        actions,
        first_unread,
        to: cursor,
        head,
        more: cursor < head,
    })))
}

pub(super) fn post_history(app: &Arc<App>, s: &Session, thread: &StreamId, post: Seq) -> AppResult<OkBody> {
    let who = s.actor();
    let st = thread_state(app, thread, &who)?;
    let missing = || AppError::NotFound(format!("no post at seq {post}"));
    let t = ThreadState::of(&st).ok_or_else(missing)?;
    let p = t.posts.get(&post).ok_or_else(missing)?;
    if p.restricted(post, &st.hidden) && p.author != who.id && !who.role.can_moderate() {
        return Err(missing());
    }
    let mut versions = Vec::new();
    let rules = app.censoring();
    for seq in std::iter::once(post).chain(p.edits.iter().copied()) {
        let Some(ev) = app.log.get(thread, seq)? else { continue };
        let (by, at, text) = match ev.body {
            EventBody::MessagePosted { text, .. } | EventBody::MessageEdited { text, .. } => (ev.author, ev.at, text),
            EventBody::ForumPostMovedIn { post, .. } => (post.author, post.at, post.text),
            _ => continue,
        };
        let (text, _) = shown_text(text, &who, rules.as_ref());
        versions.push(PostVersion { seq, by, at, text });
    }
    Ok(OkBody::ForumPostHistory(ForumPostHistoryOk { versions }))
}

/// Submit a forum action on a thread the actor may read.
pub(super) fn on_thread(app: &Arc<App>, s: &Session, thread: StreamId, action: ForumAction) -> Outcome {
    if let Err(e) = thread_state(app, &thread, &s.actor()) {
        return Outcome::err(e);
    }
    submit(app, s, thread, Action::Forum(action), None)
}

pub(super) fn move_thread(app: &Arc<App>, s: &Session, thread: StreamId, category: String) -> Outcome {
    if let Err(e) = thread_state(app, &thread, &s.actor()) {
        return Outcome::err(e);
    }
    submit(app, s, forum_id(), Action::Forum(ForumAction::MoveThread { thread, to: category }), None)
}

pub(super) fn split(app: &Arc<App>, s: &Session, thread: StreamId, posts: Vec<Seq>, title: String) -> Outcome {
    if let Err(e) = check_title(app, &title).and(thread_state(app, &thread, &s.actor()).map(|_| ())) {
        return Outcome::err(e);
    }
    if posts.len() > 1000 {
        return Outcome::err(AppError::TooLarge("at most 1000 posts per split".into()));
    }
    let to = StreamId(format!("ft_{}", crate::ids::random_id(12)));
    let action = ForumAction::Split { posts, to: to.clone(), title: title.trim().to_owned() };
    created(app, s.actor(), thread, Action::Forum(action), to)
}

pub(super) fn merge(app: &Arc<App>, s: &Session, thread: StreamId, into: StreamId) -> Outcome {
    let who = s.actor();
    if let Err(e) = thread_state(app, &thread, &who).and(thread_state(app, &into, &who)) {
        return Outcome::err(e);
    }
    submit(app, s, thread, Action::Forum(ForumAction::Merge { into }), None)
}

pub(super) fn set_level(
    app: &Arc<App>,
    s: &Session,
    thread: Option<StreamId>,
    category: Option<String>,
    level: NotificationLevel,
) -> Outcome {
    match (thread, category) {
        (Some(_), None) if level == NotificationLevel::WatchingFirstPost => {
            Outcome::err(AppError::BadRequest("watching_first_post is a category level".into()))
        }
        (Some(thread), None) => on_thread(app, s, thread, ForumAction::SetLevel { category: None, level }),
        (None, Some(category)) => {
            if let Err(e) = forum_state(app).category_for(&category, &s.actor()) {
                return Outcome::err(e);
            }
            submit(app, s, forum_id(), Action::Forum(ForumAction::SetLevel { category: Some(category), level }), None)
        }
        _ => Outcome::err(AppError::BadRequest("give `thread` or `category`".into())),
    }
}

/// A category from `forum_save_category`'s fields (its id is set by [`save_category`]).
pub(super) fn category_from(
    name: String,
    slug: String,
    description: String,
    position: u32,
    read_role: Option<Role>,
    post_role: Option<Role>,
) -> Category {
    Category { id: String::new(), name, slug, description, position, read_role, post_role }
}
