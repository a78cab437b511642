//! `feed`: a user's notification feed, one durable stream per user
//! (`nf_<user>`). Only its owner reads it; nobody posts to it: kinds put
//! items in it with [`notify`], a [`Derived`] append in their decision's
//! `Append::also`, so an item is committed with the event that caused it.
//!
//! What does not live here: *who* is told of what (each kind decides that in
//! its own `decide`), and the ops that read the feed (`ops::feed`).

use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::{Event, EventBody, FeedItem, StreamId, StreamKind, UserId};

/// What may be asked of a feed.
#[derive(Clone, Debug)]
pub enum FeedAction {
    /// Add an item (the server only, through [`notify`]).
    Notify(FeedItem),
}

/// The id of `user`'s feed.
pub fn feed_id(user: &UserId) -> StreamId {
    StreamId::new(format!("nf_{user}"))
}

/// The owner of a feed: its one member.
fn owner(st: &StreamState) -> Option<&UserId> {
    st.members.iter().next()
}

/// Put `item` in `user`'s feed, creating the feed on first use. Return it in
/// `Append::also`; the item is appended by the server (`Actor::system()`) in
/// the same commit as the event that caused it.
pub fn notify(user: &UserId, item: FeedItem) -> Derived {
    Derived {
        stream: feed_id(user),
        actor: Actor::system(),
        ensure: Some(Action::Create {
            kind: StreamKind::Feed,
            name: user.to_string(),
            topic: String::new(),
            members: vec![user.clone()],
        }),
        action: Action::Feed(FeedAction::Notify(item)),
    }
}

fn is_system(who: &Actor) -> bool {
    *who == Actor::system()
}

pub struct Feed;

impl Kind for Feed {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        match (st, action) {
            (None, Action::Create { kind, name, topic, members }) => {
                // One owner; created by the server or by the owner opening it.
                let [user] = members.as_slice() else {
                    return Err(AppError::BadRequest("a feed has exactly one owner".into()));
                };
                if !is_system(who) && who.id != *user {
                    return Err(AppError::Forbidden("only the server opens someone's feed".into()));
                }
                let joined = members.clone();
                Ok(Append { joined, ..Append::event(EventBody::StreamCreated { kind, name, topic, members }) }.into())
            }
            (None, _) => Err(AppError::not_found_stream()),
            (Some(_), Action::Create { .. }) => Ok(Decision::AlreadySo),
            (Some(_), Action::Feed(FeedAction::Notify(item))) => {
                if !is_system(who) {
                    return Err(AppError::Forbidden("only the server adds to a feed".into()));
                }
                Ok(Append::event(EventBody::FeedItem { item }).into())
            }
            (Some(_), _) => Err(AppError::Forbidden("a feed takes no posts".into())),
        }
    }

    fn fold(&self, _st: &mut StreamState, _ev: &Event) {}

    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        owner(st) == Some(&who.id) || is_system(who)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::visibility::can_see;
    use agora_protocol::ops::Role;
    use agora_protocol::{FeedReason, Seq};

    fn none(_: Seq) -> AppResult<Option<Event>> {
        Ok(None)
    }

    /// Decide `action` on `st` as `who`; fold what it appends (seq = head + 1).
    fn apply(st: Option<StreamState>, who: &Actor, stream: &StreamId, action: Action) -> AppResult<StreamState> {
        let head = st.as_ref().map_or(Seq(0), |s| s.head);
        let cx = Cx { actor: who, now: 7, head, lookup: &none };
        let Decision::Append(a) = crate::streams::decide(st.as_ref(), &cx, action)? else {
            return st.ok_or_else(|| AppError::Internal("nothing".into()));
        };
        let ev =
            Event { stream: stream.clone(), seq: head.next(), at: 7, author: who.id.clone(), idem: None, body: a.body };
        Ok(match st {
            None => StreamState::from_created(&ev).unwrap(),
            Some(mut s) => {
                s.apply(&ev);
                s
            }
        })
    }

    #[test]
    fn notify_creates_the_owners_feed_and_appends_the_item_as_the_server() {
        let ann = UserId::from("ann");
        let item = FeedItem::new(FeedReason::Mention, "ch_x".into(), Seq(4), "bob".into(), "hi @ann");
        let d = notify(&ann, item.clone());
        assert_eq!((d.stream.as_str(), &d.actor), ("nf_ann", &Actor::system()));
        let st = apply(None, &d.actor, &d.stream, d.ensure.clone().unwrap()).unwrap();
        assert_eq!(st.kind, StreamKind::Feed);
        // Ensuring an existing feed is a no-op.
        let st = apply(Some(st), &d.actor, &d.stream, d.ensure.unwrap()).unwrap();
        assert_eq!(st.head, Seq(1));
        let st = apply(Some(st), &d.actor, &d.stream, d.action).unwrap();
        assert_eq!(st.head, Seq(2));

        let owner = Actor { id: ann.clone(), role: Role::Member };
        let admin = Actor { id: "root".into(), role: Role::Admin };
        let ev = Event {
            stream: d.stream.clone(),
            seq: Seq(2),
            at: 7,
            author: "system".into(),
            idem: None,
            body: EventBody::FeedItem { item },
        };
        assert!(can_see(&st, &ev, &owner));
        assert!(!can_see(&st, &ev, &admin), "a feed is its owner's alone, admins included");
    }

    #[test]
    fn nobody_but_the_server_adds_to_a_feed() {
        let ann = UserId::from("ann");
        let d = notify(&ann, FeedItem::new(FeedReason::Dm, "dm_x".into(), Seq(2), "bob".into(), "psst"));
        let st = apply(None, &d.actor, &d.stream, d.ensure.unwrap()).unwrap();
        let owner = Actor { id: ann.clone(), role: Role::Member };
        let err = apply(Some(st.clone()), &owner, &d.stream, d.action.clone()).unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)));
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![] };
        assert!(matches!(apply(Some(st), &owner, &d.stream, post), Err(AppError::Forbidden(_))));
        // Someone else cannot open ann's feed.
        let bob = Actor { id: "bob".into(), role: Role::Member };
        let open =
            Action::Create { kind: StreamKind::Feed, name: "ann".into(), topic: String::new(), members: vec![ann] };
        assert!(matches!(apply(None, &bob, &d.stream, open), Err(AppError::Forbidden(_))));
    }
}
