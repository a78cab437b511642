//! Read markers and unread counts. A marker only moves forward; it is durable
//! and every other device of the user is told with a `read` push.

use super::{Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use agora_protocol::ops::Empty;
use agora_protocol::push::OkBody;
use agora_protocol::{EventBody, Push, Seq, StreamId, UserId};
use std::sync::Arc;

/// Unread counts are exact up to this many messages.
const UNREAD_CAP: usize = 1000;

#[derive(Default)]
pub(super) struct Counts {
    pub last_read: Seq,
    pub unread: u32,
    pub mentions: u32,
}

pub(super) fn last_read(app: &App, user: &UserId, stream: &StreamId) -> AppResult<Seq> {
    Ok(app.log.read_marker(user, stream)?)
}

/// Messages by others after the user's marker, and how many mention them.
pub(super) fn counts(app: &App, stream: &StreamId, user: &UserId, head: Seq) -> AppResult<Counts> {
    let last = last_read(app, user, stream)?;
    let mut c = Counts { last_read: last, ..Default::default() };
    if head > last {
        // Read only the newest UNREAD_CAP events: the count is exact below the cap.
        let from = Seq(head.0.saturating_sub(UNREAD_CAP as u64).max(last.0));
        for ev in app.log.read_range(stream, from, head, UNREAD_CAP)? {
            if let EventBody::MessagePosted { mentions, .. } = &ev.body {
                if &ev.author != user {
                    c.unread += 1;
                    c.mentions += mentions.contains(user) as u32;
                }
            }
        }
    }
    Ok(c)
}

pub(super) fn mark_read(app: &Arc<App>, s: &Session, stream: StreamId, seq: Seq) -> Outcome {
    let entry = match app.readable(&stream, &s.user.id, s.user.role) {
        Ok(e) => e,
        Err(e) => return Outcome::err(e),
    };
    if seq > entry.committed_head() {
        return Outcome::err(AppError::BadRequest(format!("seq {seq} is past the stream's head")));
    }
    let app = app.clone();
    let user = s.user.id.clone();
    let conn = s.conn.id;
    Outcome::Later(Box::pin(async move {
        // Markers only move forward; the comparison happens on the writer thread.
        if app.sequencer.advance_read_marker(user.clone(), stream.clone(), seq).await? {
            app.hub.push_to_user(&user, Push::Read { stream, seq }, Some(conn));
        }
        Ok(OkBody::Empty(Empty {}))
    }))
}
