//! `feed`: a user's notification feed, one durable stream per user
//! (`nf_<user>`). Only its owner reads it; nobody posts to it: kinds put
//! items in it with [`notify`], a [`Derived`] append in their decision's
//! `Append::also`, so an item is committed with the event that caused it.
//!
//! Each item is seen only while its owner may see the event it is about
//! (its audience depends on it: see `visibility`), on every read path.
//! Read state is events of the feed itself (`feed_read`), so it syncs across
//! devices and resumes like everything else. Likes are grouped in the item:
//! a like for a post that already has an unread like item supersedes it
//! (the new item counts the `others`; the old one is then for nobody).
//!
//! What does not live here: *who* is told of what (each kind decides that in
//! its own `decide`), and the ops that read the feed (`ops::feed`).

use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::KindState;
use crate::streams::visibility::Sources;
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::{Event, EventBody, FeedItem, FeedReason, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};

/// What may be asked of a feed.
#[derive(Clone, Debug)]
pub enum FeedAction {
    /// Add an item (the server only, through [`notify`]).
    Notify(Box<FeedItem>),
    /// The owner read these items, and with `up_to` every item up to it.
    MarkRead { items: Vec<Seq>, up_to: Option<Seq> },
}

/// Unread items remembered per feed; older unread items count as read.
pub const UNREAD_CAP: usize = 500;

/// A feed's own state (`KindState::Feed`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedState {
    /// Unread items (newest [`UNREAD_CAP`]) → why, and the event each is about.
    #[serde(default)]
    pub unread: imbl::OrdMap<Seq, (FeedReason, StreamId, Seq)>,
    /// Items replaced by a later grouped item: for nobody.
    #[serde(default)]
    pub superseded: imbl::OrdSet<Seq>,
    /// Per liked post: its unread like item and how many liked it before that item.
    #[serde(default)]
    pub likes: imbl::HashMap<(StreamId, Seq), (Seq, u32)>,
}

fn feed_state(st: &StreamState) -> Option<&FeedState> {
    match &st.ext {
        KindState::Feed(f) => Some(f),
        _ => None,
    }
}

/// Who sees an item: its owner, while they may see the event it is about. A
/// flag's outcome is news about a decision, shown even when the post is gone.
fn item_audience(reason: &FeedReason, source: &StreamId, seq: Seq) -> Audience {
    match reason {
        FeedReason::FlagOutcome => Audience::everyone(),
        _ => Audience::everyone().depending_on(source.clone(), seq),
    }
}

/// Unread items of this feed that `who` (its owner) may see now.
pub fn unread(st: &StreamState, who: &Actor, src: &dyn Sources) -> u32 {
    let Some(f) = feed_state(st) else { return 0 };
    f.unread.values().filter(|(why, s, q)| item_audience(why, s, *q).admits(who, src)).count() as u32
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
        action: Action::Feed(FeedAction::Notify(Box::new(item))),
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
            (Some(st), Action::Feed(FeedAction::Notify(mut item))) => {
                if !is_system(who) {
                    return Err(AppError::Forbidden("only the server adds to a feed".into()));
                }
                if item.reason == FeedReason::Like {
                    let key = (item.source.clone(), item.source_seq);
                    if let Some((_, others)) = feed_state(st).and_then(|f| f.likes.get(&key)) {
                        item.others = others + 1;
                    }
                }
                Ok(Append::event(EventBody::FeedItem { item: *item }).into())
            }
            (Some(st), Action::Feed(FeedAction::MarkRead { items, up_to })) => {
                if owner(st) != Some(&who.id) {
                    return Err(AppError::Forbidden("only the owner reads a feed".into()));
                }
                if items.iter().chain(up_to.iter()).any(|s| *s > cx.head || *s == Seq(0)) {
                    return Err(AppError::BadRequest("no such feed item".into()));
                }
                Ok(Append::event(EventBody::FeedRead { items, up_to }).into())
            }
            (Some(_), _) => Err(AppError::Forbidden("a feed takes no posts".into())),
        }
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        if !matches!(st.ext, KindState::Feed(_)) {
            st.ext = KindState::Feed(FeedState::default());
        }
        let KindState::Feed(f) = &mut st.ext else { return };
        match &ev.body {
            EventBody::FeedItem { item } => {
                f.unread.insert(ev.seq, (item.reason, item.source.clone(), item.source_seq));
                if item.reason == FeedReason::Like {
                    let key = (item.source.clone(), item.source_seq);
                    if let Some((old, _)) = f.likes.insert(key, (ev.seq, item.others)) {
                        f.superseded.insert(old);
                        f.unread.remove(&old);
                    }
                }
                while f.unread.len() > UNREAD_CAP {
                    let Some(oldest) = f.unread.keys().next().copied() else { break };
                    f.unread.remove(&oldest);
                }
            }
            EventBody::FeedRead { items, up_to } => {
                if let Some(up_to) = up_to {
                    f.unread = f.unread.split(up_to).1;
                }
                for s in items {
                    f.unread.remove(s);
                }
                // A read like item starts a new group.
                let unread = f.unread.clone();
                f.likes.retain(|_, (item, _)| unread.contains_key(item));
            }
            _ => {}
        }
    }

    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        owner(st) == Some(&who.id) || is_system(who)
    }

    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        false
    }

    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        match &ev.body {
            EventBody::FeedItem { .. } if feed_state(st).is_some_and(|f| f.superseded.contains(&ev.seq)) => {
                Audience::nobody()
            }
            EventBody::FeedItem { item } => item_audience(&item.reason, &item.source, item.source_seq),
            _ => Audience::everyone(),
        }
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kind::no_other_streams;
    use crate::streams::visibility::{can_see, NoSources};
    use agora_protocol::ops::Role;
    use agora_protocol::{FeedReason, Seq};

    fn none(_: Seq) -> AppResult<Option<Event>> {
        Ok(None)
    }

    /// Decide `action` on `st` as `who`; fold what it appends (seq = head + 1).
    fn apply(st: Option<StreamState>, who: &Actor, stream: &StreamId, action: Action) -> AppResult<StreamState> {
        let head = st.as_ref().map_or(Seq(0), |s| s.head);
        let cx = Cx { actor: who, now: 7, head, lookup: &none, other: &no_other_streams, derived: false };
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
        // The item depends on its source event (ch_x, 4), which these sources lack.
        assert!(!can_see(&st, &ev, &owner, &NoSources));
        let src = OneSource::channel_post("ch_x", Seq(4), "bob");
        assert!(can_see(&st, &ev, &owner, &src));
        assert!(!can_see(&st, &ev, &admin, &src), "a feed is its owner's alone, admins included");
        assert_eq!(unread(&st, &owner, &src), 1);
        assert_eq!(unread(&st, &owner, &NoSources), 0);
    }

    /// One public channel with one post, as the visibility rule's sources.
    struct OneSource {
        st: StreamState,
        post: Event,
    }

    impl OneSource {
        fn channel_post(stream: &str, seq: Seq, author: &str) -> OneSource {
            let mk =
                |seq: Seq, body| Event { stream: stream.into(), seq, at: 0, author: author.into(), idem: None, body };
            let created = mk(
                Seq(1),
                EventBody::StreamCreated {
                    kind: StreamKind::Channel,
                    name: "x".into(),
                    topic: String::new(),
                    members: vec![author.into()],
                },
            );
            let post = mk(
                seq,
                EventBody::MessagePosted { text: "hi".into(), reply_to: None, mentions: vec![], attachments: vec![] },
            );
            let mut st = StreamState::from_created(&created).unwrap();
            st.apply(&post);
            OneSource { st, post }
        }
    }

    impl Sources for OneSource {
        fn state(&self, s: &StreamId) -> Option<StreamState> {
            (*s == self.st.id).then(|| self.st.clone())
        }
        fn event(&self, s: &StreamId, q: Seq) -> Option<Event> {
            (*s == self.st.id && q == self.post.seq).then(|| self.post.clone())
        }
    }

    #[test]
    fn an_item_is_gone_when_its_source_is_hidden_and_likes_group_until_read() {
        let ann = UserId::from("ann");
        let owner = Actor { id: ann.clone(), role: Role::Member };
        let like = |by: &str| notify(&ann, FeedItem::new(FeedReason::Like, "ch_x".into(), Seq(4), by.into(), "hi"));
        let d = like("bob");
        let sys = Actor::system();
        let mut st = apply(None, &sys, &d.stream, d.ensure.clone().unwrap()).unwrap();
        for by in ["bob", "cat", "dan"] {
            st = apply(Some(st), &sys, &d.stream, like(by).action).unwrap();
        }
        let mut src = OneSource::channel_post("ch_x", Seq(4), "ann");
        assert_eq!(unread(&st, &owner, &src), 1, "three likes of one post are one item");
        let KindState::Feed(f) = &st.ext else { panic!() };
        assert_eq!(f.superseded.iter().copied().collect::<Vec<_>>(), vec![Seq(2), Seq(3)]);
        assert_eq!(f.likes.get(&("ch_x".into(), Seq(4))), Some(&(Seq(4), 2)), "dan and 2 others");
        // Hidden by a moderator: the item is neither shown nor counted for ann (not the author here).
        let hide = Event {
            stream: "ch_x".into(),
            seq: Seq(5),
            at: 0,
            author: "mod".into(),
            idem: None,
            body: EventBody::MessageHidden { target: Seq(4), message_author: "bob".into(), reason: String::new() },
        };
        src.st.apply(&hide);
        assert_eq!(unread(&st, &owner, &src), 0);
        // Read all: a later like starts a new group.
        let read = Action::Feed(FeedAction::MarkRead { items: vec![], up_to: Some(Seq(4)) });
        st = apply(Some(st), &owner, &d.stream, read).unwrap();
        st = apply(Some(st), &sys, &d.stream, like("eve").action).unwrap();
        let KindState::Feed(f) = &st.ext else { panic!() };
        assert_eq!(f.likes.get(&("ch_x".into(), Seq(4))), Some(&(Seq(6), 0)));
        assert_eq!(f.unread.len(), 1);
    }

    #[test]
    fn nobody_but_the_server_adds_to_a_feed() {
        let ann = UserId::from("ann");
        let d = notify(&ann, FeedItem::new(FeedReason::Dm, "dm_x".into(), Seq(2), "bob".into(), "psst"));
        let st = apply(None, &d.actor, &d.stream, d.ensure.unwrap()).unwrap();
        let owner = Actor { id: ann.clone(), role: Role::Member };
        let err = apply(Some(st.clone()), &owner, &d.stream, d.action.clone()).unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)));
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![], attachments: vec![] };
        assert!(matches!(apply(Some(st), &owner, &d.stream, post), Err(AppError::Forbidden(_))));
        // Someone else cannot open ann's feed.
        let bob = Actor { id: "bob".into(), role: Role::Member };
        let open =
            Action::Create { kind: StreamKind::Feed, name: "ann".into(), topic: String::new(), members: vec![ann] };
        assert!(matches!(apply(None, &bob, &d.stream, open), Err(AppError::Forbidden(_))));
    }
}
