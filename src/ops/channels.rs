//! Channels and DMs: create, open, join, leave, invite, rename, topic, info, listing.

use super::messages::{submit, submit_then};
use super::{check_len, read_state, Outcome, Session};
use crate::app::visible;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::registry::StreamEntry;
use crate::streams::{Action, Actor};
use agora_protocol::ops::{ListStreamsOk, StreamInfoOk, StreamSummary};
use agora_protocol::push::OkBody;
use agora_protocol::{Push, StreamId, StreamKind, UserId};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A stream's details for someone who can read it.
fn info(entry: &StreamEntry) -> StreamInfoOk {
    let st = entry.read();
    StreamInfoOk {
        id: st.id.clone(),
        kind: st.kind,
        name: st.name.clone(),
        topic: st.topic.clone(),
        members: st.members.iter().cloned().collect(),
        head: entry.committed_head(),
        created_by: st.created_by.clone(),
    }
}

/// A stream as listed for `user`.
pub(super) fn summary(app: &App, entry: &StreamEntry, who: &Actor) -> AppResult<StreamSummary> {
    let user = &who.id;
    let (id, kind, name, topic, member_count, member) = {
        let st = entry.read();
        (st.id.clone(), st.kind, st.name.clone(), st.topic.clone(), st.members.len() as u32, st.is_member(user))
    };
    let head = entry.committed_head();
    let counts = if member { read_state::counts(app, entry, who)? } else { Default::default() };
    Ok(StreamSummary {
        id,
        kind,
        name,
        topic,
        member_count,
        member,
        head,
        last_read: counts.last_read,
        unread: counts.unread,
        mentions: counts.mentions,
    })
}

pub(super) fn list_streams(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    let mut streams = Vec::new();
    for entry in app.registry.all() {
        // Kinds paged through their own lists (a forum of 100k threads) are not listed.
        if !crate::streams::kinds::of(entry.read().kind).is_some_and(|k| k.listed()) {
            continue;
        }
        if visible(&entry, &s.actor()) {
            streams.push(summary(app, &entry, &s.actor())?);
        }
    }
    streams.sort_by_cached_key(|a| (a.kind as u8, a.name.to_lowercase()));
    Ok(OkBody::ListStreams(ListStreamsOk { streams }))
}

pub(super) fn stream_info(app: &Arc<App>, s: &Session, stream: &StreamId) -> AppResult<OkBody> {
    let entry = app.readable(stream, &s.user.id, s.user.role)?;
    Ok(OkBody::StreamInfo(info(&entry)))
}

/// Tell users (other than the actor) that they were added to a stream.
fn announce_added(app: &Arc<App>, stream: &StreamId, users: &[UserId], actor: &UserId) {
    let Some(entry) = app.registry.get(stream) else { return };
    for u in users.iter().filter(|u| *u != actor) {
        let Some(rec) = app.auth.user(u) else { continue };
        if let Ok(summary) = summary(app, &entry, &Actor { id: u.clone(), role: rec.role }) {
            app.hub.push_to_user(u, Push::StreamAdded { stream: summary }, None);
        }
    }
}

fn existing_users(app: &App, users: &[UserId]) -> AppResult<()> {
    match users.iter().find(|u| !app.auth.exists(u)) {
        Some(u) => Err(AppError::NotFound(format!("no user {u}"))),
        None => Ok(()),
    }
}

/// Create a stream and reply with its info once durable; announce it to the other members.
fn create(
    app: &Arc<App>,
    s: &Session,
    id: StreamId,
    kind: StreamKind,
    name: String,
    topic: String,
    members: Vec<UserId>,
) -> Outcome {
    let fut = match app.sequencer.submit(
        id.clone(),
        s.actor(),
        Action::Create { kind, name, topic, members: members.clone() },
        None,
    ) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    let actor = s.user.id.clone();
    Outcome::Later(Box::pin(async move {
        let appended = fut.await?;
        if !appended.duplicate {
            announce_added(&app, &id, &members, &actor);
        }
        let entry = app.registry.get(&id).ok_or_else(AppError::not_found_stream)?;
        Ok(OkBody::StreamInfo(info(&entry)))
    }))
}

pub(super) fn create_channel(
    app: &Arc<App>,
    s: &Session,
    name: String,
    topic: String,
    private: bool,
    members: Vec<UserId>,
) -> Outcome {
    let limits = &app.config.limits;
    let name = name.trim().to_owned();
    if let Err(e) =
        check_len("name", &name, 1, limits.max_name_chars).and(check_len("topic", &topic, 0, limits.max_topic_chars))
    {
        return Outcome::err(e);
    }
    if members.len() > 1000 {
        return Outcome::err(AppError::TooLarge("at most 1000 initial members".into()));
    }
    if let Err(e) = existing_users(app, &members) {
        return Outcome::err(e);
    }
    let mut all = vec![s.user.id.clone()];
    for m in members {
        if !all.contains(&m) {
            all.push(m);
        }
    }
    let id = StreamId(format!("ch_{}", crate::ids::random_id(12)));
    let kind = if private { StreamKind::PrivateChannel } else { StreamKind::Channel };
    create(app, s, id, kind, name, topic, all)
}

/// The DM id for a set of users: the same set always gives the same stream.
pub fn dm_id(members: &[UserId]) -> StreamId {
    let mut h = Sha256::new();
    for m in members {
        h.update(m.0.as_bytes());
        h.update([0u8]);
    }
    StreamId(format!("dm_{}", &hex::encode(h.finalize())[..24]))
}

pub(super) fn open_dm(app: &Arc<App>, s: &Session, users: Vec<UserId>) -> Outcome {
    let mut members: Vec<UserId> = users;
    members.push(s.user.id.clone());
    members.sort();
    members.dedup();
    let max = app.config.limits.max_dm_users;
    if members.len() < 2 {
        return Outcome::err(AppError::BadRequest("a DM needs at least one other user".into()));
    }
    if members.len() > max {
        return Outcome::err(AppError::TooLarge(format!("a DM has at most {max} users")));
    }
    if let Err(e) = existing_users(app, &members) {
        return Outcome::err(e);
    }
    let name = members.iter().map(|m| m.0.as_str()).collect::<Vec<_>>().join(", ");
    create(app, s, dm_id(&members), StreamKind::Dm, name, String::new(), members)
}

pub(super) fn membership(app: &Arc<App>, s: &Session, stream: StreamId, action: Action) -> Outcome {
    submit(app, s, stream, action, None)
}

pub(super) fn invite(app: &Arc<App>, s: &Session, stream: StreamId, user: UserId) -> Outcome {
    if !app.auth.exists(&user) {
        return Outcome::err(AppError::NotFound(format!("no user {user}")));
    }
    let (app2, actor, target) = (app.clone(), s.user.id.clone(), stream.clone());
    let action = Action::Invite { user: user.clone() };
    submit_then(app, s, stream, action, None, move |_| announce_added(&app2, &target, &[user], &actor))
}

pub(super) fn rename(app: &Arc<App>, s: &Session, stream: StreamId, name: String) -> Outcome {
    let name = name.trim().to_owned();
    if let Err(e) = check_len("name", &name, 1, app.config.limits.max_name_chars) {
        return Outcome::err(e);
    }
    submit(app, s, stream, Action::Rename { name }, None)
}

pub(super) fn set_topic(app: &Arc<App>, s: &Session, stream: StreamId, topic: String) -> Outcome {
    if let Err(e) = check_len("topic", &topic, 0, app.config.limits.max_topic_chars) {
        return Outcome::err(e);
    }
    submit(app, s, stream, Action::SetTopic { topic }, None)
}
