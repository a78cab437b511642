//! `review`: the review queue, one stream moderators subscribe to. One item
//! per flagged post (every flag on it: who, why) or per post a watched word
//! held for approval. Enough flags from distinct members hide the post
//! pending review (a derived hide in the post's stream); a moderator's
//! decision (agree: hide or delete, disagree, ignore; approve or reject a held
//! post) acts on the post as that moderator through derived appends, records
//! one audit entry (naming the op that reverses it), and tells each flagger
//! the outcome in their feed.

use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::audit::audit;
use crate::streams::kinds::feed::notify;
use crate::streams::kinds::KindState;
use crate::streams::moderation::Moderation;
use crate::streams::roles::{may, require, Permission};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::moderation::{FlagInfo, FlagReason, ReviewDecision, ReviewItem};
use agora_protocol::ops::Role;
use agora_protocol::{
    Attachment, AuditAction, AuditEntry, Event, EventBody, FeedItem, FeedReason, Seq, StreamId, StreamKind, UserId,
};
use serde::{Deserialize, Serialize};

/// The review queue's stream id.
pub fn review_id() -> StreamId {
    StreamId::from("review")
}

pub fn create() -> Action {
    Action::Create { kind: StreamKind::ReviewQueue, name: "review".into(), topic: String::new(), members: Vec::new() }
}

/// What may be asked of the review queue.
#[derive(Clone, Debug)]
pub enum ReviewOp {
    /// `by` flags post `seq` of `source` (the op has checked they can see it;
    /// the server appends it, as flaggers do not read the queue).
    /// `hide_at`: flags from distinct members that hide it pending review (0: never).
    Flag {
        by: UserId,
        source: StreamId,
        seq: Seq,
        author: UserId,
        excerpt: String,
        reason: FlagReason,
        text: String,
        hide_at: u32,
    },
    /// Hold `author`'s post for approval (the server, for a watched word).
    Hold {
        source: StreamId,
        author: UserId,
        text: String,
        reply_to: Option<Seq>,
        attachments: Vec<Attachment>,
    },
    Resolve {
        item: Seq,
        decision: ReviewDecision,
        reason: String,
    },
}

/// The pending items (`KindState::Review`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewState {
    #[serde(default)]
    pub items: imbl::OrdMap<Seq, Pending>,
    /// A flagged post → its pending item.
    #[serde(default)]
    pub by_post: imbl::HashMap<(StreamId, Seq), Seq>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub source: StreamId,
    /// The flagged post (0 for a held one).
    pub seq: Seq,
    pub author: UserId,
    pub excerpt: String,
    pub flags: Vec<FlagInfo>,
    pub hidden: bool,
    /// A held post's text and reply.
    pub held: Option<(String, Option<Seq>)>,
    /// A held post's files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

impl Pending {
    pub fn to_item(&self, id: Seq) -> ReviewItem {
        ReviewItem {
            id,
            stream: self.source.clone(),
            seq: self.seq,
            author: self.author.clone(),
            excerpt: self.excerpt.clone(),
            flags: self.flags.clone(),
            hidden: self.hidden,
            held: self.held.is_some(),
        }
    }
}

pub fn review_state(st: &StreamState) -> Option<&ReviewState> {
    match &st.ext {
        KindState::Review(r) => Some(r),
        _ => None,
    }
}

fn is_system(who: &Actor) -> bool {
    *who == Actor::system()
}

/// The derived appends of `decision` on item `p`, by moderator `who`: the
/// action on the post, by `who` (a derived moderation action records no audit
/// entry of its own), this decision's one audit entry naming the op that
/// reverses it, and the flaggers' feed items.
fn resolve(p: &Pending, who: &Actor, decision: ReviewDecision, reason: &str) -> AppResult<Vec<Derived>> {
    let on_post = |action: Action| Derived { stream: p.source.clone(), actor: who.clone(), ensure: None, action };
    let mut also = Vec::new();
    let (audit_action, reverse) = match (decision, &p.held) {
        (ReviewDecision::Approve, Some((text, reply_to))) => {
            // Published as its author, by the rules of its stream (membership, lock, slow mode).
            let author = Actor { id: p.author.clone(), role: Role::Member };
            let attachments = p.attachments.clone();
            let post = Action::Post { text: text.clone(), reply_to: *reply_to, mentions: Vec::new(), attachments };
            also.push(Derived { stream: p.source.clone(), actor: author, ensure: None, action: post });
            (AuditAction::Approve, Some("delete"))
        }
        (ReviewDecision::Reject, Some(_)) => (AuditAction::Reject, None),
        (ReviewDecision::AgreeHide, None) => {
            if !p.hidden {
                also.push(on_post(Action::Hide { target: p.seq, reason: reason.to_owned() }));
            }
            (AuditAction::FlagAgreed, Some("unhide"))
        }
        (ReviewDecision::AgreeDelete, None) => {
            let delete = Moderation::Delete { target: p.seq, reason: reason.to_owned() };
            also.push(on_post(Action::Moderate(delete)));
            (AuditAction::FlagAgreed, None)
        }
        (ReviewDecision::Disagree, None) => {
            if p.hidden {
                also.push(on_post(Action::Unhide { target: p.seq }));
                (AuditAction::FlagDisagreed, Some("hide"))
            } else {
                (AuditAction::FlagDisagreed, None)
            }
        }
        (ReviewDecision::Ignore, None) => (AuditAction::FlagIgnored, None),
        (d, _) => return Err(AppError::BadRequest(format!("{d:?} does not apply to this item"))),
    };
    also.push(audit(AuditEntry {
        target_user: Some(p.author.clone()),
        stream: Some(p.source.clone()),
        seq: (p.seq != Seq(0)).then_some(p.seq),
        detail: decision_name(decision).into(),
        reverse: reverse.map(str::to_owned),
        ..AuditEntry::new(audit_action, who.id.clone(), reason)
    }));
    for f in &p.flags {
        let item = FeedItem::new(FeedReason::FlagOutcome, p.source.clone(), p.seq, who.id.clone(), &p.excerpt);
        let detail = match decision {
            ReviewDecision::AgreeHide | ReviewDecision::AgreeDelete => "agreed",
            ReviewDecision::Disagree => "disagreed",
            _ => "ignored",
        };
        also.push(notify(&f.by, FeedItem { detail: detail.into(), ..item }));
    }
    Ok(also)
}

fn decision_name(d: ReviewDecision) -> &'static str {
    match d {
        ReviewDecision::AgreeHide => "agree_hide",
        ReviewDecision::AgreeDelete => "agree_delete",
        ReviewDecision::Disagree => "disagree",
        ReviewDecision::Ignore => "ignore",
        ReviewDecision::Approve => "approve",
        ReviewDecision::Reject => "reject",
        _ => "unknown",
    }
}

pub struct Review;

impl Kind for Review {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        let (st, op) = match (st, action) {
            (None, Action::Create { kind, name, topic, .. }) => {
                let body = EventBody::StreamCreated { kind, name, topic, members: Vec::new() };
                return Ok(Append::event(body).into());
            }
            (None, _) => return Err(AppError::not_found_stream()),
            (Some(_), Action::Create { .. }) => return Ok(Decision::AlreadySo),
            (Some(st), Action::Review(op)) => (st, op),
            (Some(_), _) => return Err(AppError::Forbidden("the review queue takes no posts".into())),
        };
        let state = review_state(st).cloned().unwrap_or_default();
        match op {
            ReviewOp::Flag { by, source, seq, author, excerpt, reason, text, hide_at } => {
                if !is_system(who) {
                    return Err(AppError::Forbidden("flags are queued by the server".into()));
                }
                let pending = state.by_post.get(&(source.clone(), seq)).and_then(|i| state.items.get(i));
                if pending.is_some_and(|p| p.flags.iter().any(|f| f.by == by)) {
                    return Err(AppError::Conflict("you already flagged this".into()));
                }
                let count = pending.map_or(0, |p| p.flags.len()) as u32 + 1;
                let hides = hide_at > 0 && count == hide_at && !pending.is_some_and(|p| p.hidden);
                let mut also = Vec::new();
                if hides {
                    // The server hides it; this decision records it (the derived hide records nothing).
                    let reason = format!("hidden pending review: flagged by {count} members");
                    also.push(audit(AuditEntry {
                        target_user: Some(author.clone()),
                        stream: Some(source.clone()),
                        seq: Some(seq),
                        reverse: Some("unhide".into()),
                        ..AuditEntry::new(AuditAction::Hide, who.id.clone(), reason.clone())
                    }));
                    let hide = Action::Hide { target: seq, reason };
                    also.push(Derived { stream: source.clone(), actor: Actor::system(), ensure: None, action: hide });
                }
                let body = EventBody::Flagged {
                    source,
                    target: seq,
                    message_author: author,
                    by,
                    reason,
                    text,
                    excerpt,
                    hides,
                };
                Ok(Append { also, ..Append::event(body) }.into())
            }
            ReviewOp::Hold { source, author, text, reply_to, attachments } => {
                if !is_system(who) {
                    return Err(AppError::Forbidden("only the server holds posts".into()));
                }
                Ok(Append::event(EventBody::Held { source, poster: author, text, reply_to, attachments }).into())
            }
            ReviewOp::Resolve { item, decision, reason } => {
                require(who, Permission::ReviewFlags)?;
                let p = state.items.get(&item).ok_or_else(|| AppError::NotFound(format!("no pending item {item}")))?;
                let also = resolve(p, who, decision, &reason)?;
                Ok(Append { also, ..Append::event(EventBody::ReviewResolved { item, decision, reason }) }.into())
            }
        }
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        if !matches!(st.ext, KindState::Review(_)) {
            st.ext = KindState::Review(ReviewState::default());
        }
        let KindState::Review(r) = &mut st.ext else { return };
        match &ev.body {
            EventBody::Flagged { source, target: seq, message_author: author, by, reason, text, excerpt, hides } => {
                let key = (source.clone(), *seq);
                let id = *r.by_post.entry(key).or_insert(ev.seq);
                let p = r.items.entry(id).or_insert_with(|| Pending {
                    source: source.clone(),
                    seq: *seq,
                    author: author.clone(),
                    excerpt: excerpt.clone(),
                    flags: Vec::new(),
                    hidden: false,
                    held: None,
                    attachments: Vec::new(),
                });
                p.flags.push(FlagInfo { by: by.clone(), reason: *reason, text: text.clone() });
                p.hidden |= *hides;
            }
            EventBody::Held { source, poster: author, text, reply_to, attachments } => {
                let excerpt = agora_protocol::feed::excerpt(text);
                let held = Some((text.clone(), *reply_to));
                let p = Pending {
                    source: source.clone(),
                    seq: Seq(0),
                    author: author.clone(),
                    excerpt,
                    flags: Vec::new(),
                    hidden: false,
                    held,
                    attachments: attachments.clone(),
                };
                r.items.insert(ev.seq, p);
            }
            EventBody::ReviewResolved { item, .. } => {
                if let Some(p) = r.items.remove(item) {
                    r.by_post.remove(&(p.source, p.seq));
                }
            }
            _ => {}
        }
    }

    fn can_read(&self, _st: &StreamState, who: &Actor) -> bool {
        may(who.role, Permission::ReviewFlags) || is_system(who)
    }

    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        false
    }

    fn audience(&self, _st: &StreamState, _ev: &Event) -> Audience {
        Audience::everyone()
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}
