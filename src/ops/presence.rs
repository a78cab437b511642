//! set_presence and typing: ephemeral signals, never stored.

use super::Session;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::sequencer::now_ms;
use crate::streams::visibility::can_write_stream;
use agora_protocol::ops::{Empty, PresenceEntry, PresenceStatus};
use agora_protocol::push::OkBody;
use agora_protocol::{Push, StreamId};
use std::sync::Arc;

/// Tell the subscribers of every stream the user belongs to about a presence change.
pub fn announce(app: &App, entry: PresenceEntry) {
    for stream in app.registry.streams_of(&entry.user) {
        if app.hub.has_subscribers(&stream) {
            let push = Push::Presence {
                stream: stream.clone(),
                user: entry.user.clone(),
                status: entry.status,
                last_seen: entry.last_seen,
            };
            app.hub.publish_stream_push(&stream, push, None);
        }
    }
}

pub(super) fn set_presence(app: &Arc<App>, s: &Session, status: PresenceStatus) -> AppResult<OkBody> {
    if status == PresenceStatus::Offline {
        return Err(AppError::BadRequest("a connected device can be online, away or dnd".into()));
    }
    if let Some(changed) = app.presence.set(&s.user.id, s.conn.id, status, now_ms()) {
        announce(app, changed);
    }
    Ok(OkBody::Empty(Empty {}))
}

pub(super) fn typing(app: &Arc<App>, s: &Session, stream: &StreamId) -> AppResult<OkBody> {
    let entry = app.readable(stream, &s.user.id, s.user.role)?;
    if !can_write_stream(&entry.read(), &s.actor()) {
        return Err(AppError::Forbidden("join the channel first".into()));
    }
    let push =
        Push::Typing { stream: stream.clone(), user: s.user.id.clone(), ttl_ms: app.config.limits.typing_ttl_ms };
    app.hub.publish_stream_push(stream, push, Some(&s.user.id));
    Ok(OkBody::Empty(Empty {}))
}
