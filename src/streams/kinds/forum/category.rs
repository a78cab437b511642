//! `forum`: the one stream (id `forum`) whose events fold the forum's category
//! list, which thread is filed in which category, and each user's notification
//! level per category. Opening and moving threads and changing a category's
//! restrictions are decided here and reach the threads as derived appends
//! (`Append::also`) in the same commit.
//!
//! What does not live here: a thread's posts and staff actions (`thread.rs`),
//! the thread lists (`crate::forum_list`).

use super::notify::Reason;
use super::{audience_of, may_read, ForumAction};
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::audit::audit;
use crate::streams::kinds::KindState;
use crate::streams::moderation::audited;
use crate::streams::screening::{check_not_muted, flagged, screen_post, Screened};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::forum::{Category, NotificationLevel};
use agora_protocol::{AuditAction, AuditEntry, Event, EventBody, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};

pub struct ForumKind;

/// The forum stream's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ForumState {
    /// Categories by id.
    #[serde(default)]
    pub categories: imbl::OrdMap<String, Category>,
    /// Every thread → the category it is filed in.
    #[serde(default)]
    pub threads: imbl::OrdMap<StreamId, String>,
    /// Threads per category.
    #[serde(default)]
    pub thread_counts: imbl::HashMap<String, u32>,
    /// Category → user → the level they chose.
    #[serde(default)]
    pub levels: imbl::HashMap<String, imbl::HashMap<UserId, NotificationLevel>>,
}

impl ForumState {
    /// The forum state of a stream (empty for another kind).
    pub fn of(st: &StreamState) -> ForumState {
        match &st.ext {
            KindState::Forum(f) => f.clone(),
            _ => ForumState::default(),
        }
    }

    /// Categories `who` may see, in list order.
    pub fn visible_categories(&self, who: &Actor) -> Vec<&Category> {
        let mut v: Vec<&Category> = self.categories.values().filter(|c| may_read(c.read_role, who)).collect();
        v.sort_by_cached_key(|c| (c.position, c.name.to_lowercase()));
        v
    }

    /// The category `id` if `who` may see it, else `not_found` (invisible and absent look alike).
    pub fn category_for(&self, id: &str, who: &Actor) -> AppResult<&Category> {
        self.categories
            .get(id)
            .filter(|c| may_read(c.read_role, who))
            .ok_or_else(|| AppError::NotFound(format!("no category {id}")))
    }

    /// `user`'s level for `category` (normal unless they chose one).
    pub fn level(&self, category: &str, user: &UserId) -> NotificationLevel {
        self.levels.get(category).and_then(|m| m.get(user)).copied().unwrap_or_default()
    }
}

/// The levels users chose for `category`, from the forum stream's state.
pub fn levels_of(st: &StreamState, category: &str) -> imbl::HashMap<UserId, NotificationLevel> {
    forum(st).levels.get(category).cloned().unwrap_or_default()
}

fn forum(st: &StreamState) -> &ForumState {
    static EMPTY: std::sync::OnceLock<ForumState> = std::sync::OnceLock::new();
    match &st.ext {
        KindState::Forum(f) => f,
        _ => EMPTY.get_or_init(ForumState::default),
    }
}

fn require_staff(who: &Actor, what: &str) -> AppResult<()> {
    if who.role.can_moderate() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only moderators and admins can {what}")))
    }
}

impl Kind for ForumKind {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        let Some(st) = st else {
            let Action::Create { kind, name, topic, members } = action else {
                return Err(AppError::not_found_stream());
            };
            return Ok(Append::event(EventBody::StreamCreated { kind, name, topic, members }).into());
        };
        let f = forum(st);
        let action = match action {
            Action::Create { .. } => return Ok(Decision::AlreadySo),
            Action::Forum(a) => a,
            _ => return Err(AppError::BadRequest("not an action on the forum".into())),
        };
        match action {
            ForumAction::SaveCategory { category, new } => {
                require_staff(who, "manage categories")?;
                let old = f.categories.get(&category.id);
                match (new, old) {
                    (true, Some(_)) => return Err(AppError::Conflict(format!("category {} exists", category.id))),
                    (false, None) => return Err(AppError::NotFound(format!("no category {}", category.id))),
                    _ => {}
                }
                if old == Some(&category) {
                    return Ok(Decision::AlreadySo);
                }
                if f.categories.values().any(|c| c.slug == category.slug && c.id != category.id) {
                    return Err(AppError::Conflict(format!("slug {:?} is taken", category.slug)));
                }
                let restricted =
                    old.is_some_and(|o| o.read_role != category.read_role || o.post_role != category.post_role);
                let also = if restricted {
                    // Every thread of the category takes the new restrictions in the same commit.
                    f.threads
                        .iter()
                        .filter(|(_, c)| **c == category.id)
                        .map(|(t, _)| Derived {
                            stream: t.clone(),
                            actor: who.clone(),
                            ensure: None,
                            action: Action::Forum(ForumAction::Place {
                                category: category.id.clone(),
                                read_role: category.read_role,
                                post_role: category.post_role,
                                from: None,
                            }),
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Ok(Append { also, ..Append::event(EventBody::ForumCategorySet { category }) }.into())
            }
            ForumAction::OpenThread { thread, category, title, text, mentions } => {
                let c = f.category_for(&category, who)?;
                if !may_read(c.post_role, who) {
                    return Err(AppError::Forbidden(format!("you cannot start threads in {}", c.name)));
                }
                check_not_muted(cx)?;
                // The first post is derived (not screened again): screen title and text here.
                let flag = match screen_post(cx, format!("{title}\n{text}"))? {
                    Screened::Post { flag, .. } => flag,
                    Screened::Hold(_) => {
                        return Err(AppError::Forbidden(
                            "your thread contains a word that needs a moderator's approval; new threads cannot be \
                             held for approval yet"
                                .into(),
                        ))
                    }
                };
                if f.threads.contains_key(&thread) {
                    return Err(AppError::Conflict(format!("thread {thread} exists")));
                }
                let create = Action::Create {
                    kind: StreamKind::ForumThread,
                    name: title.clone(),
                    topic: String::new(),
                    members: vec![who.id.clone()],
                };
                let place = ForumAction::Place {
                    category: c.id.clone(),
                    read_role: c.read_role,
                    post_role: c.post_role,
                    from: None,
                };
                let also = vec![
                    Derived {
                        stream: thread.clone(),
                        actor: who.clone(),
                        ensure: Some(create),
                        action: Action::Forum(place),
                    },
                    Derived {
                        stream: thread.clone(),
                        actor: who.clone(),
                        ensure: None,
                        action: Action::Post {
                            text: text.clone(),
                            reply_to: None,
                            mentions: mentions.clone(),
                            attachments: Vec::new(),
                        },
                    },
                ];
                // The category's watchers hear of the new thread (its first post is seq 3).
                let mut also = also;
                let mut watchers: Vec<&UserId> = f
                    .levels
                    .get(&category)
                    .into_iter()
                    .flat_map(|m| m.iter())
                    .filter(|(u, l)| {
                        matches!(l, NotificationLevel::Watching | NotificationLevel::WatchingFirstPost)
                            && **u != who.id
                            && !mentions.contains(u)
                    })
                    .map(|(u, _)| u)
                    .collect();
                watchers.sort();
                for u in watchers {
                    also.push(super::notify::item(u, Reason::NewThread, &thread, &title, Seq(3), &who.id, &text));
                }
                if let Some(p) = flag {
                    also.push(flagged(&thread, Seq(3), &who.id, &text, &p));
                }
                let body = EventBody::ForumThreadFiled { thread, category, from: None };
                Ok(Append { also, ..Append::event(body) }.into())
            }
            ForumAction::MoveThread { thread, to } => {
                require_staff(who, "move threads")?;
                let c = f.category_for(&to, who)?;
                let from = f.threads.get(&thread).ok_or_else(|| AppError::NotFound(format!("no thread {thread}")))?;
                if *from == to {
                    return Ok(Decision::AlreadySo);
                }
                let place = ForumAction::Place {
                    category: to.clone(),
                    read_role: c.read_role,
                    post_role: c.post_role,
                    from: Some(from.clone()),
                };
                let mut also = vec![Derived {
                    stream: thread.clone(),
                    actor: who.clone(),
                    ensure: None,
                    action: Action::Forum(place),
                }];
                also.extend(audited(
                    cx,
                    audit(AuditEntry {
                        stream: Some(thread.clone()),
                        detail: format!("{from} → {to}"),
                        reverse: Some(format!("forum_move category={from}")),
                        ..AuditEntry::new(AuditAction::Move, who.id.clone(), "")
                    }),
                ));
                let body = EventBody::ForumThreadFiled { thread, category: to, from: Some(from.clone()) };
                Ok(Append { also, ..Append::event(body) }.into())
            }
            ForumAction::FileThread { thread, category } => {
                require_staff(who, "file threads")?;
                f.category_for(&category, who)?;
                if f.threads.contains_key(&thread) {
                    return Err(AppError::Conflict(format!("thread {thread} is filed")));
                }
                Ok(Append::event(EventBody::ForumThreadFiled { thread, category, from: None }).into())
            }
            ForumAction::SetLevel { category: Some(category), level } => {
                f.category_for(&category, who)?;
                if f.level(&category, &who.id) == level {
                    return Ok(Decision::AlreadySo);
                }
                let body = EventBody::ForumLevelSet { user: who.id.clone(), level, category: Some(category) };
                Ok(Append::event(body).into())
            }
            _ => Err(AppError::BadRequest("not an action on the forum stream".into())),
        }
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        if !matches!(st.ext, KindState::Forum(_)) {
            st.ext = KindState::Forum(ForumState::default());
        }
        let KindState::Forum(f) = &mut st.ext else { return };
        match &ev.body {
            EventBody::ForumCategorySet { category } => {
                f.categories.insert(category.id.clone(), category.clone());
            }
            EventBody::ForumThreadFiled { thread, category, .. } => {
                if let Some(old) = f.threads.insert(thread.clone(), category.clone()) {
                    if let Some(n) = f.thread_counts.get_mut(&old) {
                        *n = n.saturating_sub(1);
                    }
                }
                *f.thread_counts.entry(category.clone()).or_default() += 1;
            }
            EventBody::ForumLevelSet { user, level, category: Some(c) } => {
                f.levels.entry(c.clone()).or_default().insert(user.clone(), *level);
            }
            _ => {}
        }
    }

    fn can_read(&self, _st: &StreamState, _who: &Actor) -> bool {
        true
    }

    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        true
    }

    /// A category's events are for those who may read it (as it is restricted now);
    /// a level is for the user who chose it.
    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        let f = forum(st);
        let role_of = |c: &str| f.categories.get(c).and_then(|c| c.read_role);
        match &ev.body {
            EventBody::ForumCategorySet { category } => audience_of(role_of(&category.id)),
            EventBody::ForumThreadFiled { thread, category, .. } => {
                let now = f.threads.get(thread).map_or(category.as_str(), |c| c.as_str());
                let (a, b) = (role_of(now), role_of(category));
                // Restricted if either the category it was filed in or the one it is in now is.
                match (a, b) {
                    (None, None) => Audience::everyone(),
                    (Some(r), None) | (None, Some(r)) => audience_of(Some(r)),
                    (Some(r), Some(s)) if r == s => audience_of(Some(r)),
                    (Some(_), Some(_)) => audience_of(Some(agora_protocol::ops::Role::Moderator)),
                }
            }
            EventBody::ForumLevelSet { user, .. } => Audience::only(vec![user.clone()]),
            _ => Audience::everyone(),
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
