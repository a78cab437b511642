//! Stream-level moderation every kind shares: slow mode and lock, kept in
//! `StreamState::moderation` and checked when a kind decides a post; the
//! [`Moderation`] actions that set them (and delete with a reason). Who may
//! do these is `roles`; the audit entries they cause are built here too, so
//! each kind records them the same way.
//!
//! What does not live here: mutes (per user, server-wide: `kinds::audit`
//! keeps them), flags and watched words.

use super::kind::Cx;
use super::kinds::audit::audit;
use super::roles::{may, require, Permission};
use super::Derived;
use crate::error::{AppError, AppResult};
use agora_protocol::{AuditAction, AuditEntry, Event, EventBody, Seq, UserId};
use serde::{Deserialize, Serialize};

/// A moderator's action on one stream.
#[derive(Clone, Debug)]
pub enum Moderation {
    /// Delete anyone's message, with a reason for the audit log.
    Delete {
        target: Seq,
        reason: String,
    },
    /// One post per `seconds` per member; 0 turns slow mode off.
    SlowMode {
        seconds: u32,
        reason: String,
    },
    Lock {
        locked: bool,
        reason: String,
    },
}

/// A stream's restrictions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Moderated {
    #[serde(default)]
    pub slow_mode_secs: u32,
    #[serde(default)]
    pub locked: bool,
    /// While slow mode is on: each member's last post time (ms).
    #[serde(default)]
    pub last_post: imbl::HashMap<UserId, u64>,
}

impl Moderated {
    /// May the actor post now? Moderators are exempt. Slow mode's refusal says
    /// when the next post is allowed.
    pub fn check_post(&self, cx: &Cx<'_>) -> AppResult<()> {
        if may(cx.actor.role, Permission::ExemptFromRestrictions) {
            return Ok(());
        }
        if self.locked {
            return Err(AppError::Forbidden("this stream is locked by a moderator".into()));
        }
        if self.slow_mode_secs > 0 {
            if let Some(last) = self.last_post.get(&cx.actor.id) {
                let next = last + u64::from(self.slow_mode_secs) * 1000;
                if next > cx.now {
                    return Err(AppError::SlowMode { next_at: next, wait_ms: next - cx.now });
                }
            }
        }
        Ok(())
    }

    /// Fold a post (by `ev.author` at `ev.at`) and the moderation events.
    pub fn fold(&mut self, ev: &Event) {
        match &ev.body {
            EventBody::SlowModeSet { seconds, .. } => {
                self.slow_mode_secs = *seconds;
                if *seconds == 0 {
                    self.last_post = Default::default();
                }
            }
            EventBody::StreamLocked { locked, .. } => self.locked = *locked,
            _ => {}
        }
    }

    /// A post by `author` at `at` (call from the kind's fold for what it counts as a post).
    pub fn note_post(&mut self, author: &UserId, at: u64) {
        if self.slow_mode_secs > 0 {
            self.last_post.insert(author.clone(), at);
        }
    }
}

/// The event a slow-mode or lock action appends and its audit entry (the
/// caller checks the stream exists; the actor must hold the permission).
pub fn set_restriction(
    cx: &Cx<'_>,
    stream: &agora_protocol::StreamId,
    m: Moderation,
) -> AppResult<(EventBody, Derived)> {
    require(cx.actor, Permission::SlowModeAndLock)?;
    let (body, action, reverse, detail, reason) = match m {
        Moderation::SlowMode { seconds, reason } => {
            let (action, reverse) = if seconds == 0 {
                (AuditAction::SlowModeOff, None)
            } else {
                (AuditAction::SlowMode, Some("slow_mode seconds=0"))
            };
            (EventBody::SlowModeSet { seconds, reason: reason.clone() }, action, reverse, seconds.to_string(), reason)
        }
        Moderation::Lock { locked, reason } => {
            let (action, reverse) = if locked {
                (AuditAction::Lock, Some("lock locked=false"))
            } else {
                (AuditAction::Unlock, Some("lock locked=true"))
            };
            (EventBody::StreamLocked { locked, reason: reason.clone() }, action, reverse, String::new(), reason)
        }
        Moderation::Delete { .. } => return Err(AppError::BadRequest("not a restriction".into())),
    };
    let entry = AuditEntry {
        stream: Some(stream.clone()),
        reverse: reverse.map(str::to_owned),
        detail,
        ..AuditEntry::new(action, cx.actor.id.clone(), reason)
    };
    Ok((body, audit(entry)))
}

/// `entry` to record, unless this action was caused by another decision: an
/// entry is recorded by the decision someone asked for (a review decision
/// records the hide it causes), so each action is in the audit log once.
pub fn audited(cx: &Cx<'_>, entry: Derived) -> Vec<Derived> {
    if cx.derived {
        Vec::new()
    } else {
        vec![entry]
    }
}

/// The audit entry for an action on message `seq` of `stream` by `author`.
pub fn message_entry(
    cx: &Cx<'_>,
    action: AuditAction,
    stream: &agora_protocol::StreamId,
    seq: Seq,
    author: &UserId,
    reason: &str,
    reverse: Option<&str>,
) -> Derived {
    audit(AuditEntry {
        target_user: Some(author.clone()),
        stream: Some(stream.clone()),
        seq: Some(seq),
        reverse: reverse.map(str::to_owned),
        ..AuditEntry::new(action, cx.actor.id.clone(), reason)
    })
}
