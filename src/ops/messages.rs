//! post, edit, delete, react, unreact: ops that append to a stream's log (a
//! post's attachments are checked here: uploaded, and the poster's to share).

use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::attachments::clean_name;
use crate::error::AppError;
use crate::sequencer::Appended;
use crate::streams::text::mention_candidates;
use crate::streams::{can_read_stream, Action, Actor};
use agora_protocol::ops::AppendOk;
use agora_protocol::push::OkBody;
use agora_protocol::{Attachment, Seq, StreamId, UserId};
use std::sync::Arc;
use std::time::Instant;

/// Submit an append in order and reply once it is durable.
pub(super) fn submit(app: &Arc<App>, s: &Session, stream: StreamId, action: Action, idem: Option<String>) -> Outcome {
    submit_then(app, s, stream, action, idem, |_| {})
}

/// Like [`submit`], running `after` once the append is durable, before the reply.
pub(super) fn submit_then(
    app: &Arc<App>,
    s: &Session,
    stream: StreamId,
    action: Action,
    idem: Option<String>,
    after: impl FnOnce(&Appended) + Send + 'static,
) -> Outcome {
    let started = Instant::now();
    let fut = match app.sequencer.submit(stream, s.actor(), action, idem) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let metrics = app.metrics.clone();
    Outcome::Later(Box::pin(async move {
        let a = fut.await?;
        metrics.append_seconds.observe(started.elapsed().as_secs_f64());
        after(&a);
        Ok(OkBody::Append(AppendOk { stream: a.stream, seq: a.seq, at: a.at, duplicate: a.duplicate }))
    }))
}

pub(super) fn append(app: &Arc<App>, s: &Session, stream: StreamId, action: Action) -> Outcome {
    submit(app, s, stream, action, None)
}

/// `@name` mentions of users who exist and can read the stream.
pub(super) fn mentions(app: &App, stream: &StreamId, text: &str) -> Vec<UserId> {
    let Some(entry) = app.registry.get(stream) else { return Vec::new() };
    let st = entry.read();
    mention_candidates(text)
        .into_iter()
        .filter(|u| {
            app.auth
                .user(u)
                .is_some_and(|rec| !rec.disabled && can_read_stream(&st, &Actor { id: u.clone(), role: rec.role }))
        })
        .collect()
}

pub(super) fn check_text(app: &App, text: &str) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::BadRequest("text must not be empty".into()));
    }
    check_len("text", text, 1, app.config.limits.max_text_chars)
}

/// The attachments of a post, as stored: each must be a complete upload that the
/// poster made or can already read (knowing a hash gives no access), at most
/// `max_attachments_per_message`. Type, size and pixel size are the server's;
/// only the name is the client's.
fn attachments(app: &App, s: &Session, given: Vec<Attachment>) -> Result<Vec<Attachment>, AppError> {
    if given.len() > app.config.limits.max_attachments_per_message {
        return Err(AppError::TooLarge(format!(
            "at most {} attachments per message",
            app.config.limits.max_attachments_per_message
        )));
    }
    let who = s.actor();
    let missing = |h: &str| AppError::NotFound(format!("no such attachment {h:?}: upload it first"));
    given
        .into_iter()
        .map(|a| {
            let stored = app.attachments.stored(&a.hash)?.ok_or_else(|| missing(&a.hash))?;
            if !stored.uploaders.contains(&who.id) && !app.attachment_readable(&a.hash, &who) {
                return Err(missing(&a.hash));
            }
            Ok(Attachment {
                name: clean_name(&a.name),
                hash: a.hash,
                mime: stored.mime,
                size: stored.size,
                width: stored.width,
                height: stored.height,
            })
        })
        .collect()
}

pub(super) fn post(
    app: &Arc<App>,
    s: &Session,
    stream: StreamId,
    text: String,
    reply_to: Option<Seq>,
    idem: Option<String>,
    attachments: Vec<Attachment>,
) -> Outcome {
    // A message with files may have no text.
    let checked = if attachments.is_empty() || !text.is_empty() { check_text(app, &text) } else { Ok(()) };
    if let Err(e) = checked {
        return Outcome::err(e);
    }
    let attachments = match self::attachments(app, s, attachments) {
        Ok(a) => a,
        Err(e) => return Outcome::err(e),
    };
    if let Some(k) = &idem {
        if let Err(e) = check_len("idem", k, 1, 64) {
            return Outcome::err(e);
        }
    }
    // Mutes, watched words, slow mode and lock are decided by the stream's
    // kind on the writer (`streams::screening`); the new-user rate is a quota here.
    if let Err(e) = super::moderation::may_post(app, &s.actor()) {
        return Outcome::err(e);
    }
    let mentions = mentions(app, &stream, &text);
    submit(app, s, stream, Action::Post { text, reply_to, mentions, attachments }, idem)
}

pub(super) fn edit(app: &Arc<App>, s: &Session, stream: StreamId, target: Seq, text: String) -> Outcome {
    if let Err(e) = check_text(app, &text) {
        return Outcome::err(e);
    }
    let mentions = mentions(app, &stream, &text);
    append(app, s, stream, Action::Edit { target, text, mentions })
}

pub(super) fn hide(app: &Arc<App>, s: &Session, stream: StreamId, target: Seq, reason: String) -> Outcome {
    if let Err(e) = check_len("reason", &reason, 0, app.config.limits.max_topic_chars) {
        return Outcome::err(e);
    }
    append(app, s, stream, Action::Hide { target, reason })
}

pub(super) fn react(app: &Arc<App>, s: &Session, stream: StreamId, target: Seq, emoji: String, add: bool) -> Outcome {
    if let Err(e) = check_len("emoji", &emoji, 1, 64) {
        return Outcome::err(e);
    }
    let action = if add { Action::React { target, emoji } } else { Action::Unreact { target, emoji } };
    append(app, s, stream, action)
}
