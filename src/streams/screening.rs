//! The server-wide rules on contributions, checked inside a kind's `decide`
//! on the writer: mutes and watched words. Both live on the audit stream
//! (`kinds::audit`) and are read through [`Cx::with_state`] as this commit
//! group sees them, so a mute or a watched word decided before a post applies
//! to it: checking and appending are one step (no post queued behind a mute
//! lands after it). And censoring: a `censor` word is stored as written and
//! replaced when shown, by [`shown`], which every read path applies (live,
//! replay, history, forum views, the feed's excerpts): changing the list
//! changes what members see, and staff see what was written.
//!
//! What does not live here: a stream's own restrictions (slow mode, lock:
//! `streams::moderation`), the new-user rate (a governor quota in `ops`), and
//! what a held or flagged post becomes in the queue (`kinds::review`).

use super::kind::{Cx, Derived};
use super::kinds::audit::{audit_id, audit_state, muted_until, AuditState};
use super::kinds::review::{self, ReviewOp};
use super::roles::{may, Permission};
use super::visibility::Actor;
use super::StreamState;
use crate::error::{AppError, AppResult};
use crate::watched::Screen;
use agora_protocol::moderation::FlagReason;
use agora_protocol::{Attachment, Event, EventBody, Seq, StreamId, UserId};

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

/// Does `who` see texts as written (staff), not censored?
pub fn sees_original(who: &Actor) -> bool {
    may(who.role, Permission::ExemptFromRestrictions)
}

/// The stream whose state holds the censoring rules (the audit stream).
pub fn censor_rules_stream() -> StreamId {
    audit_id()
}

/// The censoring in force, from the audit stream's state: `None` if no watched word censors.
pub fn censoring(audit: Option<&StreamState>) -> Option<AuditState> {
    audit.and_then(audit_state).filter(|a| a.censors()).cloned()
}

/// What members are shown of `ev` if censoring changes it (`None`: as stored).
pub fn censored(ev: &Event, rules: &AuditState) -> Option<Event> {
    fn text_of(body: &mut EventBody) -> Option<&mut String> {
        match body {
            EventBody::MessagePosted { text, .. } | EventBody::MessageEdited { text, .. } => Some(text),
            EventBody::ForumPostMovedIn { post, .. } => Some(&mut post.text),
            EventBody::FeedItem { item } => Some(&mut item.excerpt),
            _ => None,
        }
    }
    // Match first: most events have nothing to censor and are not copied.
    let shown = match &ev.body {
        EventBody::MessagePosted { text, .. } | EventBody::MessageEdited { text, .. } => rules.censor(text),
        EventBody::ForumPostMovedIn { post, .. } => rules.censor(&post.text),
        EventBody::FeedItem { item } => rules.censor(&item.excerpt),
        _ => None,
    }?;
    let mut out = ev.clone();
    *text_of(&mut out.body)? = shown;
    Some(out)
}

/// `ev` as `who` is shown it: censored for members, as written for staff.
pub fn shown(ev: Event, who: &Actor, rules: Option<&AuditState>) -> Event {
    match rules {
        Some(r) if !sees_original(who) => censored(&ev, r).unwrap_or(ev),
        _ => ev,
    }
}

/// A text as `who` is shown it (a forum view's post), and whether it holds censored words.
pub fn shown_text(text: String, who: &Actor, rules: Option<&AuditState>) -> (String, bool) {
    match rules.and_then(|r| r.censor(&text)) {
        Some(c) if !sees_original(who) => (c, true),
        Some(_) => (text, true),
        None => (text, false),
    }
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
        // Censored words are stored as written and replaced when shown (`shown`).
        Screen::Censored(_) => Screened::Post { text, flag: None },
        Screen::Flag(pattern, _) => Screened::Post { text, flag: Some(pattern) },
        Screen::Block(pattern) => return Err(blocked(&pattern)),
        Screen::Hold(_) => Screened::Hold(text),
    })
}

/// Screen an edit: it may not bring in what a post could not (block and hold refuse it).
pub fn screen_edit(cx: &Cx<'_>, text: String) -> AppResult<String> {
    match screen(cx, &text) {
        Screen::Pass | Screen::Censored(_) | Screen::Flag(..) => Ok(text),
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
