//! flag, review_queue, review: members flag what they see; moderators read
//! the review queue (`kinds::review`) and decide. Also the watched-word
//! outcomes that reach the queue: a held post, a flagged post.

use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::review::{create, review_id, review_state, ReviewOp};
use crate::streams::roles::{require, Permission};
use crate::streams::{can_see, Action, Actor};
use agora_protocol::moderation::{FlagReason, ReviewDecision, ReviewQueueOk};
use agora_protocol::ops::AppendOk;
use agora_protocol::push::OkBody;
use agora_protocol::{EventBody, Seq, StreamId};
use std::sync::Arc;

/// Append `op` to the review queue as `who`, creating the queue first if needed.
pub(super) async fn to_queue(app: &App, who: Actor, op: ReviewOp) -> AppResult<AppendOk> {
    let stream = review_id();
    if app.registry.get(&stream).is_none_or(|e| e.committed_head() == Seq(0)) {
        app.sequencer.append(stream.clone(), Actor::system(), create(), None).await?;
    }
    let a = app.sequencer.append(stream, who, Action::Review(op), None).await?;
    Ok(AppendOk { stream: a.stream, seq: a.seq, at: a.at, duplicate: a.duplicate })
}

/// The flag of post `target` of `stream` by `who`, if they can see it (and it is not theirs).
fn flag_op(
    app: &App,
    who: &Actor,
    stream: &StreamId,
    target: Seq,
    reason: FlagReason,
    text: String,
) -> AppResult<ReviewOp> {
    let entry = app.readable(stream, &who.id, who.role)?;
    let missing = || AppError::NotFound(format!("no message at seq {target}"));
    if target > entry.committed_head() {
        return Err(missing());
    }
    let ev = app.log.get(stream, target)?.ok_or_else(missing)?;
    let st = entry.read().clone();
    let EventBody::MessagePosted { text: posted, .. } = &ev.body else { return Err(missing()) };
    if !can_see(&st, &ev, who, &*app.sources()) || st.deleted.contains(&target) {
        return Err(missing());
    }
    if ev.author == who.id {
        return Err(AppError::BadRequest("you cannot flag your own message".into()));
    }
    let excerpt = agora_protocol::feed::excerpt(posted);
    let hide_at = app.config.moderation.flags_to_hide;
    Ok(ReviewOp::Flag {
        by: who.id.clone(),
        source: stream.clone(),
        seq: target,
        author: ev.author,
        excerpt,
        reason,
        text,
        hide_at,
    })
}

pub(super) fn flag(
    app: &Arc<App>,
    s: &Session,
    stream: StreamId,
    target: Seq,
    reason: FlagReason,
    text: String,
) -> Outcome {
    let who = s.actor();
    let op = check_len("text", &text, 0, app.config.limits.max_topic_chars)
        .and_then(|_| match reason {
            FlagReason::Unknown => Err(AppError::BadRequest("unknown flag reason".into())),
            FlagReason::Other if text.trim().is_empty() => Err(AppError::BadRequest("say why in `text`".into())),
            _ => Ok(()),
        })
        .and_then(|_| flag_op(app, &who, &stream, target, reason, text));
    let op = match op {
        Ok(op) => op,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move { Ok(OkBody::Append(to_queue(&app, Actor::system(), op).await?)) }))
}

pub(super) fn review_queue(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    require(&s.actor(), Permission::ReviewFlags)?;
    let stream = review_id();
    let items = match app.registry.get(&stream) {
        Some(e) => {
            review_state(&e.read()).map_or_else(Vec::new, |r| r.items.iter().map(|(id, p)| p.to_item(*id)).collect())
        }
        None => Vec::new(),
    };
    Ok(OkBody::ReviewQueue(ReviewQueueOk { stream, items }))
}

pub(super) fn review(app: &Arc<App>, s: &Session, item: Seq, decision: ReviewDecision, reason: String) -> Outcome {
    if let Err(e) = require(&s.actor(), Permission::ReviewFlags)
        .and_then(|_| check_len("reason", &reason, 0, app.config.limits.max_topic_chars))
    {
        return Outcome::err(e);
    }
    let (app, who) = (app.clone(), s.actor());
    Outcome::Later(Box::pin(async move {
        Ok(OkBody::Append(to_queue(&app, who, ReviewOp::Resolve { item, decision, reason }).await?))
    }))
}
