//! Read markers and unread counts. A marker only moves forward; it is durable
//! and every other device of the user is told with a `read` push.

use super::{Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::registry::StreamEntry;
use crate::streams::Actor;
use agora_protocol::ops::Empty;
use agora_protocol::push::OkBody;
use agora_protocol::{Push, Seq, StreamId, UserId};
use std::sync::Arc;

#[derive(Default)]
pub(super) struct Counts {
    pub last_read: Seq,
    pub unread: u32,
    pub mentions: u32,
}

pub(super) fn last_read(app: &App, user: &UserId, stream: &StreamId) -> AppResult<Seq> {
    Ok(app.log.read_marker(user, stream)?)
}

/// Messages the user may see after their marker (others' only), and how many
/// mention them: from the counters folded as events commit (`streams::counters`),
/// filtered by the same audience rule as every other read path.
pub(super) fn counts(app: &App, entry: &StreamEntry, who: &Actor) -> AppResult<Counts> {
    let stream = entry.read().id.clone();
    let last = last_read(app, &who.id, &stream)?;
    let c = entry.read().counters.counts_for(who, last);
    Ok(Counts { last_read: last, unread: c.unread, mentions: c.mentions })
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
