//! The server-wide rules on contributions, checked inside a kind's `decide`
//! on the writer: mutes and watched words. Both live on the audit stream
//! (`kinds::audit`) and are read through [`Cx::with_state`] as this commit
//! group sees them, so a mute or a watched word decided before a post applies
//! to it: checking and appending are one step (no post queued behind a mute
//! lands after it).
//!
//! What does not live here: a stream's own restrictions (slow mode, lock:
//! `streams::moderation`), the new-user rate (a governor quota in `ops`), and
//! what a held or flagged post becomes in the queue (`kinds::review`).

use super::kind::{Cx, Derived};
use super::kinds::audit::{audit_id, audit_state, muted_until};
use super::kinds::review::{self, ReviewOp};
use super::roles::{may, Permission};
use super::visibility::Actor;
use crate::error::{AppError, AppResult};
use crate::watched::Screen;
use agora_protocol::moderation::FlagReason;
use agora_protocol::{Attachment, Seq, StreamId, UserId};

/// Refuse content from a muted user, saying until when.
pub fn check_not_muted(cx: &Cx<'_>) -> AppResult<()> {
    match cx.with_state(&audit_id(), |st| muted_until(st, &cx.actor.id, cx.now)).flatten() {
        Some(until) => Err(AppError::Muted { until, now: cx.now }),
        None => Ok(()),
    }
}

/// Screen a client's text against the watched words. Moderators are exempt,
/// and so are derived appends (a held post a moderator approved).
pub fn screen(cx: &Cx<'_>, text: &str) -> Screen {
    if cx.derived || may(cx.actor.role, Permission::ExemptFromRestrictions) {
        return Screen::Pass;
    }
    cx.with_state(&audit_id(), |st| audit_state(st).map(|a| a.screen(text))).flatten().unwrap_or(Screen::Pass)
}

/// What a post's screening means for its decision.
#[derive(Debug, PartialEq)]
pub enum Screened {
    /// Post it (with this text); `flag`: the watched word that queues it for review.
    Post { text: String, flag: Option<String> },
    /// Hold it (this text) for approval.
    Hold(String),
}

/// Screen a new post: block refuses it (saying why), require-approval holds it.
pub fn screen_post(cx: &Cx<'_>, text: String) -> AppResult<Screened> {
    Ok(match screen(cx, &text) {
        Screen::Pass => Screened::Post { text, flag: None },
        Screen::Censored(t) => Screened::Post { text: t, flag: None },
        Screen::Flag(pattern, t) => Screened::Post { text: t.unwrap_or(text), flag: Some(pattern) },
        Screen::Block(pattern) => return Err(blocked(&pattern)),
        Screen::Hold(_) => Screened::Hold(text),
    })
}

/// Screen an edit: it may not bring in what a post could not (block and hold refuse it).
pub fn screen_edit(cx: &Cx<'_>, text: String) -> AppResult<String> {
    match screen(cx, &text) {
        Screen::Pass | Screen::Flag(_, None) => Ok(text),
        Screen::Censored(t) | Screen::Flag(_, Some(t)) => Ok(t),
        Screen::Block(pattern) | Screen::Hold(pattern) => Err(blocked(&pattern)),
    }
}

fn blocked(pattern: &str) -> AppError {
    AppError::Forbidden(format!("your message contains a blocked word ({pattern}); it was not posted"))
}

fn to_queue(op: ReviewOp) -> Derived {
    Derived {
        stream: review::review_id(),
        actor: Actor::system(),
        ensure: Some(review::create()),
        action: crate::streams::Action::Review(op),
    }
}

/// The post held for approval instead of being appended to `source` (see `Decision::Instead`).
pub fn held(
    source: &StreamId,
    author: &UserId,
    text: String,
    reply_to: Option<Seq>,
    attachments: Vec<Attachment>,
) -> Derived {
    to_queue(ReviewOp::Hold { source: source.clone(), author: author.clone(), text, reply_to, attachments })
}

/// The review item for post `seq` of `source` that watched word `pattern` flagged.
pub fn flagged(source: &StreamId, seq: Seq, author: &UserId, text: &str, pattern: &str) -> Derived {
    to_queue(ReviewOp::Flag {
        by: UserId::from("system"),
        source: source.clone(),
        seq,
        author: author.clone(),
        excerpt: agora_protocol::feed::excerpt(text),
        reason: FlagReason::Other,
        text: format!("watched word: {pattern}"),
        hide_at: 0,
    })
}
