//! feed, feed_mark_read: a user's notification feed. The feed is a stream
//! (`kinds::feed`): items arrive by subscribing to it like any other, and
//! read state is `feed_read` events in it. These ops find or open it, count
//! what is unread (by the one visibility rule), and mark items read.

use super::{Outcome, Session};
use crate::app::App;
use crate::error::AppResult;
use crate::streams::kinds::feed::{feed_id, unread, FeedAction};
use crate::streams::{Action, Actor};
use agora_protocol::push::OkBody;
use agora_protocol::{FeedOk, Push, Seq, StreamId, StreamKind, UserId};
use std::sync::Arc;

/// My feed's id, head and unread count, now.
fn state(app: &App, who: &Actor, stream: &StreamId) -> AppResult<FeedOk> {
    let entry = app.readable(stream, &who.id, who.role)?;
    let st = entry.read().clone();
    Ok(FeedOk { stream: stream.clone(), head: entry.committed_head(), unread: unread(&st, who, &*app.sources()) })
}

/// Create `user`'s feed if it does not exist yet (the owner may open it).
async fn ensure(app: &App, who: &Actor) -> AppResult<StreamId> {
    let stream = feed_id(&who.id);
    if app.registry.get(&stream).is_none_or(|e| e.committed_head() == Seq(0)) {
        let create = Action::Create {
            kind: StreamKind::Feed,
            name: who.id.to_string(),
            topic: String::new(),
            members: vec![who.id.clone()],
        };
        app.sequencer.append(stream.clone(), who.clone(), create, None).await?;
    }
    Ok(stream)
}

pub(super) fn feed(app: &Arc<App>, s: &Session) -> Outcome {
    let (app, who) = (app.clone(), s.actor());
    Outcome::Later(Box::pin(async move {
        let stream = ensure(&app, &who).await?;
        Ok(OkBody::Feed(state(&app, &who, &stream)?))
    }))
}

pub(super) fn mark_read(app: &Arc<App>, s: &Session, items: Vec<Seq>, all: bool) -> Outcome {
    let (app, who) = (app.clone(), s.actor());
    Outcome::Later(Box::pin(async move {
        let stream = ensure(&app, &who).await?;
        let up_to = if all { app.registry.get(&stream).map(|e| e.committed_head()) } else { None };
        if !items.is_empty() || up_to.is_some() {
            let action = Action::Feed(FeedAction::MarkRead { items, up_to });
            app.sequencer.append(stream.clone(), who.clone(), action, None).await?;
        }
        let ok = state(&app, &who, &stream)?;
        push_unread(&app, &who.id, &ok);
        Ok(OkBody::Feed(ok))
    }))
}

/// Tell every connection of `user` their feed's unread count.
fn push_unread(app: &App, user: &UserId, ok: &FeedOk) {
    app.hub.push_to_user(user, Push::FeedUnread { stream: ok.stream.clone(), unread: ok.unread }, None);
}
