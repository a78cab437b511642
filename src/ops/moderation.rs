//! mute, unmute, slow_mode, lock, delete with a reason, audit_log, watched
//! words: the moderators' ops; and the new-user rate every op that posts
//! checks before it submits ([`may_post`]). Mutes and watched words are
//! decided with each post on the writer (`streams::screening`). Who may do what is
//! `streams::roles`; the rules on a stream (slow mode, lock) are decided by
//! its kind (`streams::moderation`); each action's audit entry is appended in
//! the same commit (`kinds::audit`).

use super::messages::append;
use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::audit::{audit_id, audit_state, create, AuditOp};
use crate::streams::moderation::Moderation;
use crate::streams::roles::{may, require, Permission};
use crate::streams::{Action, Actor};
use agora_protocol::moderation::{AuditLogOk, AuditRecord};
use agora_protocol::moderation::{WatchAction, WatchedWord, WatchedWordsOk};
use agora_protocol::push::OkBody;
use agora_protocol::{EventBody, Seq, StreamId, UserId};
use std::sync::Arc;

fn check_reason(app: &App, reason: &str) -> AppResult<()> {
    check_len("reason", reason, 0, app.config.limits.max_topic_chars)
}

/// Append `action` to the audit stream, creating it first if needed.
fn to_audit(app: &Arc<App>, s: &Session, action: AuditOp) -> Outcome {
    let (app, who) = (app.clone(), s.actor());
    Outcome::Later(Box::pin(async move {
        let stream = audit_id();
        if app.registry.get(&stream).is_none_or(|e| e.committed_head() == Seq(0)) {
            app.sequencer.append(stream.clone(), Actor::system(), create(), None).await?;
        }
        let a = app.sequencer.append(stream, who, Action::Audit(action), None).await?;
        Ok(OkBody::Append(agora_protocol::ops::AppendOk {
            stream: a.stream,
            seq: a.seq,
            at: a.at,
            duplicate: a.duplicate,
        }))
    }))
}

pub(super) fn mute(app: &Arc<App>, s: &Session, user: UserId, minutes: u64, reason: String) -> Outcome {
    let checked = (|| {
        require(&s.actor(), Permission::Mute)?;
        check_reason(app, &reason)?;
        if app.auth.user(&user).is_none() {
            return Err(AppError::NotFound(format!("no user {user}")));
        }
        if minutes == 0 || minutes > 366 * 24 * 60 {
            return Err(AppError::BadRequest("minutes must be between 1 and 527040".into()));
        }
        Ok(())
    })();
    if let Err(e) = checked {
        return Outcome::err(e);
    }
    to_audit(app, s, AuditOp::Mute { user, duration_ms: minutes * 60_000, reason })
}

pub(super) fn unmute(app: &Arc<App>, s: &Session, user: UserId, reason: String) -> Outcome {
    if let Err(e) = require(&s.actor(), Permission::Mute).and_then(|_| check_reason(app, &reason)) {
        return Outcome::err(e);
    }
    to_audit(app, s, AuditOp::Unmute { user, reason })
}

pub(super) fn moderate(app: &Arc<App>, s: &Session, stream: StreamId, m: Moderation) -> Outcome {
    let reason = match &m {
        Moderation::Delete { reason, .. } | Moderation::SlowMode { reason, .. } | Moderation::Lock { reason, .. } => {
            reason
        }
    };
    if let Err(e) = check_reason(app, reason) {
        return Outcome::err(e);
    }
    append(app, s, stream, Action::Moderate(m))
}

/// `delete`: without a reason as before (author, or moderator); with one, a moderator's delete.
pub(super) fn delete(app: &Arc<App>, s: &Session, stream: StreamId, target: Seq, reason: String) -> Outcome {
    if reason.is_empty() {
        append(app, s, stream, Action::Delete { target })
    } else {
        moderate(app, s, stream, Moderation::Delete { target, reason })
    }
}

/// Audit entries a page scans at most (bounded work per request).
const SCAN: usize = 2000;

pub(super) fn audit_log(
    app: &Arc<App>,
    s: &Session,
    actor: Option<UserId>,
    target: Option<String>,
    before: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    require(&s.actor(), Permission::ReadAudit)?;
    let limit = limit.unwrap_or(50).clamp(1, app.config.limits.history_max) as usize;
    let stream = audit_id();
    let Some(entry) = app.registry.get(&stream) else {
        return Ok(OkBody::AuditLog(AuditLogOk { entries: Vec::new(), next: None }));
    };
    let head = entry.committed_head();
    let mut cursor = before.unwrap_or(head.next()).min(head.next());
    let mut entries = Vec::new();
    let mut scanned = 0;
    while entries.len() < limit && scanned < SCAN && cursor > Seq(1) {
        let page = app.log.read_before(&stream, cursor, 200)?;
        let Some(first) = page.first().map(|e| e.seq) else { break };
        scanned += page.len();
        for ev in page.into_iter().rev() {
            if entries.len() == limit {
                break;
            }
            cursor = ev.seq;
            let EventBody::AuditEntry { entry } = ev.body else { continue };
            let by = actor.as_ref().is_none_or(|a| *a == entry.actor);
            let about = target.as_deref().is_none_or(|t| {
                entry.target_user.as_ref().is_some_and(|u| u.as_str() == t)
                    || entry.stream.as_ref().is_some_and(|s| s.as_str() == t)
            });
            if by && about {
                entries.push(AuditRecord { seq: ev.seq, at: ev.at, entry });
            }
        }
        if entries.len() < limit {
            cursor = first;
        }
    }
    let next = (cursor > Seq(1)).then_some(cursor);
    Ok(OkBody::AuditLog(AuditLogOk { entries, next }))
}

/// The new-user rate: accounts younger than `moderation.new_user_age_secs`
/// draw from a smaller bucket (staff exempt). Mutes and watched words are
/// decided with the post, on the writer (`streams::screening`).
pub fn may_post(app: &App, who: &Actor) -> AppResult<()> {
    let age_limit = app.config.moderation.new_user_age_secs.saturating_mul(1000);
    if age_limit == 0 || may(who.role, Permission::ExemptFromNewUserLimits) {
        return Ok(());
    }
    let Some(rec) = app.auth.user(&who.id) else { return Ok(()) };
    if app.clock.now_ms().saturating_sub(rec.created_at) < age_limit {
        app.limits.check_new_user(&who.id)?;
    }
    Ok(())
}

/// The watched words and the version they are at.
fn watched_list(app: &App) -> (Seq, Vec<(String, WatchAction)>) {
    let Some(entry) = app.registry.get(&audit_id()) else { return (Seq(0), Vec::new()) };
    let st = entry.read();
    match audit_state(&st) {
        Some(a) => (a.watched_version, a.watched.iter().map(|(p, w)| (p.clone(), *w)).collect()),
        None => (Seq(0), Vec::new()),
    }
}

pub(super) fn watched_words(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    require(&s.actor(), Permission::WatchedWords)?;
    let words = watched_list(app).1.into_iter().map(|(pattern, action)| WatchedWord { pattern, action }).collect();
    Ok(OkBody::WatchedWords(WatchedWordsOk { words }))
}

pub(super) fn watch_word(app: &Arc<App>, s: &Session, pattern: String, action: WatchAction) -> Outcome {
    let m = &app.config.moderation;
    let checked = require(&s.actor(), Permission::WatchedWords)
        .and_then(|_| check_len("pattern", &pattern, 1, m.max_pattern_chars))
        .and_then(|_| match action {
            WatchAction::Unknown => Err(AppError::BadRequest("unknown action".into())),
            _ => Ok(()),
        })
        .and_then(|_| crate::watched::validate(&pattern).map_err(|e| AppError::BadRequest(format!("pattern: {e}"))))
        .and_then(|_| {
            let (_, words) = watched_list(app);
            if words.len() >= m.max_watched_words && !words.iter().any(|(p, _)| *p == pattern) {
                return Err(AppError::TooLarge(format!("at most {} watched words", m.max_watched_words)));
            }
            Ok(())
        });
    if let Err(e) = checked {
        return Outcome::err(e);
    }
    to_audit(app, s, AuditOp::Watch { pattern, action })
}

pub(super) fn unwatch_word(app: &Arc<App>, s: &Session, pattern: String) -> Outcome {
    if let Err(e) = require(&s.actor(), Permission::WatchedWords) {
        return Outcome::err(e);
    }
    to_audit(app, s, AuditOp::Unwatch { pattern })
}
