//! What the chat kinds (channel, private channel, DM) share: messages,
//! edits, deletions, reactions, moderators hiding messages, topics and
//! membership events, how those fold into state, and who sees each event.
//! Each chat kind's module decides *whether* its members may do these things;
//! the functions here say *what* is appended.

use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, NameClaim};
use crate::streams::kinds::feed::notify;
use crate::streams::moderation::{audited, message_entry, set_restriction, Moderation};
use crate::streams::roles::{may, require, Permission};
use crate::streams::screening::{check_not_muted, flagged, held, screen_edit, screen_post, Screened};
use crate::streams::visibility::{can_write_stream, Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::{AuditAction, Event, EventBody, FeedItem, FeedReason, Seq, StreamKind, UserId};

/// Namespace of channel names: unique among public and private channels.
pub const CHANNEL_NAMES: &str = "channel";

/// A new stream's first event (the caller has checked that it does not exist).
pub fn create(action: Action, claim_names: bool) -> AppResult<Decision> {
    let Action::Create { kind, name, topic, members } = action else { return Err(AppError::not_found_stream()) };
    let claim = claim_names.then(|| NameClaim::new(CHANNEL_NAMES, &name));
    let joined = members.clone();
    let body = EventBody::StreamCreated { kind, name, topic, members };
    Ok(Append { claim, joined, ..Append::event(body) }.into())
}

/// Join (already a member: nothing to do).
pub fn join(st: &StreamState, who: &Actor) -> Decision {
    if st.is_member(&who.id) {
        return Decision::AlreadySo;
    }
    Append { joined: vec![who.id.clone()], ..Append::event(EventBody::MemberJoined { user: who.id.clone() }) }.into()
}

/// Leave; `revoke` when leaving also ends the right to read (private streams).
pub fn leave(st: &StreamState, who: &Actor, revoke: bool) -> AppResult<Decision> {
    if !st.is_member(&who.id) {
        return Err(AppError::Conflict("not a member".into()));
    }
    let user = who.id.clone();
    let revoke = if revoke { vec![user.clone()] } else { Vec::new() };
    Ok(Append { left: vec![user.clone()], revoke, ..Append::event(EventBody::MemberLeft { user }) }.into())
}

/// Members (and moderators) manage a channel: invite, rename, topic.
fn require_manager(st: &StreamState, who: &Actor, what: &str) -> AppResult<()> {
    if st.is_member(&who.id) || may(who.role, Permission::ManageAnyChannel) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only members can {what}")))
    }
}

pub fn invite(st: &StreamState, who: &Actor, user: agora_protocol::UserId) -> AppResult<Decision> {
    require_manager(st, who, "invite")?;
    if st.is_member(&user) {
        return Err(AppError::Conflict(format!("{user} is already a member")));
    }
    Ok(Append { joined: vec![user.clone()], ..Append::event(EventBody::MemberInvited { user }) }.into())
}

/// A moderator removes `user`: like their leaving, and their subscriptions end right
/// after the event even where the stream stays readable to them (a public channel:
/// they may subscribe and join again; a kick is not a ban).
pub fn kick(st: &StreamState, who: &Actor, user: agora_protocol::UserId) -> AppResult<Decision> {
    if !who.role.can_moderate() {
        return Err(AppError::Forbidden("only moderators can remove members".into()));
    }
    if user == who.id {
        return Err(AppError::BadRequest("use leave to leave".into()));
    }
    if !st.is_member(&user) {
        return Err(AppError::Conflict(format!("{user} is not a member")));
    }
    Ok(Append {
        left: vec![user.clone()],
        revoke: vec![user.clone()],
        ..Append::event(EventBody::MemberKicked { user })
    }
    .into())
}

pub fn rename(st: &StreamState, who: &Actor, name: String) -> AppResult<Decision> {
    require_manager(st, who, "rename a channel")?;
    let claim = Some(NameClaim::new(CHANNEL_NAMES, &name));
    Ok(Append { claim, ..Append::event(EventBody::StreamRenamed { name }) }.into())
}

/// Messages, reactions, topics and moderation: the same rules in every chat kind.
pub fn message_action(st: &StreamState, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
    let who = cx.actor;
    let body = match action {
        Action::SetTopic { topic } => {
            require_manager(st, who, "set the topic")?;
            EventBody::TopicSet { topic }
        }
        Action::Post { text, reply_to, mentions, attachments } => {
            require_writer(st, who)?;
            check_not_muted(cx)?;
            st.moderation.check_post(cx)?;
            let replied = match reply_to {
                Some(r) => Some(message_at(st, cx, r)?.author),
                None => None,
            };
            let (text, flag) = match screen_post(cx, text)? {
                Screened::Post { text, flag } => (text, flag),
                Screened::Hold(text) => {
                    return Ok(Decision::Instead(held(&st.id, &who.id, text, reply_to, attachments)))
                }
            };
            let mut also = post_notifications(st, cx, &text, replied.as_ref(), &mentions);
            also.extend(flag.map(|p| flagged(&st.id, cx.head.next(), &who.id, &text, &p)));
            return Ok(Append {
                also,
                ..Append::event(EventBody::MessagePosted { text, reply_to, mentions, attachments })
            }
            .into());
        }
        Action::Edit { target, text, mentions } => {
            require_writer(st, who)?;
            check_not_muted(cx)?;
            let original = message_at(st, cx, target)?;
            if original.author != who.id {
                return Err(AppError::Forbidden("only the author can edit a message".into()));
            }
            let text = screen_edit(cx, text)?;
            EventBody::MessageEdited { target, text, mentions }
        }
        Action::Delete { target } => return delete(st, cx, target, String::new()),
        Action::Moderate(Moderation::Delete { target, reason }) => {
            require(who, Permission::DeleteAny)?;
            return delete(st, cx, target, reason);
        }
        Action::Moderate(m) => {
            let (body, entry) = set_restriction(cx, &st.id, m)?;
            return Ok(Append { also: vec![entry], ..Append::event(body) }.into());
        }
        Action::React { target, emoji } => {
            require_writer(st, who)?;
            check_not_muted(cx)?;
            let original = message_at(st, cx, target)?;
            if reacted(st, target, &emoji, who) {
                return Err(AppError::Conflict("you already reacted with that emoji".into()));
            }
            let mut also = Vec::new();
            if original.author != who.id {
                let text = match &original.body {
                    EventBody::MessagePosted { text, .. } => text.as_str(),
                    _ => "",
                };
                let item = FeedItem::new(FeedReason::Like, st.id.clone(), target, who.id.clone(), text);
                also.push(notify(&original.author, FeedItem { title: st.name.clone(), detail: emoji.clone(), ..item }));
            }
            return Ok(Append { also, ..Append::event(EventBody::ReactionAdded { target, emoji }) }.into());
        }
        Action::Unreact { target, emoji } => {
            require_writer(st, who)?;
            if !reacted(st, target, &emoji, who) {
                return Err(AppError::NotFound("no such reaction of yours".into()));
            }
            EventBody::ReactionRemoved { target, emoji }
        }
        Action::Hide { target, reason } => {
            require(who, Permission::Hide)?;
            let original = message_at(st, cx, target)?;
            if st.hidden.contains_key(&target) {
                return Err(AppError::Conflict(format!("message {target} is already hidden")));
            }
            let author = original.author;
            let entry = message_entry(cx, AuditAction::Hide, &st.id, target, &author, &reason, Some("unhide"));
            let body = EventBody::MessageHidden { target, message_author: author, reason };
            return Ok(Append { also: audited(cx, entry), ..Append::event(body) }.into());
        }
        Action::Unhide { target } => {
            require(who, Permission::Hide)?;
            let original = message_at(st, cx, target)?;
            if !st.hidden.contains_key(&target) {
                return Err(AppError::Conflict(format!("message {target} is not hidden")));
            }
            let entry = message_entry(cx, AuditAction::Unhide, &st.id, target, &original.author, "", Some("hide"));
            let body = EventBody::MessageUnhidden { target };
            return Ok(Append { also: audited(cx, entry), ..Append::event(body) }.into());
        }
        Action::Create { .. }
        | Action::Join
        | Action::Leave
        | Action::Invite { .. }
        | Action::Rename { .. }
        | Action::Feed(_)
        | Action::Kick { .. }
        | Action::Audit(_)
        | Action::Review(_)
        | Action::Forum(_)
        | Action::Tick
        | Action::Ticket(_)
        | Action::Wiki(_)
        | Action::DeskSettings(_) => return Err(AppError::BadRequest("not an action on messages".into())),
    };
    Ok(Append::event(body).into())
}

/// Who is told of a new message (it will be `cx.head + 1`), and why: each
/// user it mentions, the author of the message it replies to, and in a DM
/// every other member. One item per user, the first reason that applies; never
/// the poster. Mentions are already only users who can read the stream.
pub fn post_notifications(
    st: &StreamState,
    cx: &Cx<'_>,
    text: &str,
    replied: Option<&UserId>,
    mentions: &[UserId],
) -> Vec<Derived> {
    let poster = &cx.actor.id;
    let tell = |u: &UserId, why: FeedReason, told: &mut Vec<(UserId, FeedReason)>| {
        if u != poster && !told.iter().any(|(t, _)| t == u) {
            told.push((u.clone(), why));
        }
    };
    let mut list: Vec<(UserId, FeedReason)> = Vec::new();
    for m in mentions {
        tell(m, FeedReason::Mention, &mut list);
    }
    if let Some(r) = replied {
        tell(r, FeedReason::Reply, &mut list);
    }
    if st.kind == StreamKind::Dm {
        for m in st.members.iter() {
            tell(m, FeedReason::Dm, &mut list);
        }
    }
    let seq = cx.head.next();
    list.into_iter()
        .map(|(u, why)| {
            let item = FeedItem::new(why, st.id.clone(), seq, poster.clone(), text);
            notify(&u, FeedItem { title: st.name.clone(), ..item })
        })
        .collect()
}

fn reacted(st: &StreamState, target: Seq, emoji: &str, who: &Actor) -> bool {
    st.reactions.get(&target).is_some_and(|s| s.contains(&(emoji.to_owned(), who.id.clone())))
}

fn require_writer(st: &StreamState, who: &Actor) -> AppResult<()> {
    if can_write_stream(st, who) {
        Ok(())
    } else {
        Err(AppError::Forbidden("join the channel first".into()))
    }
}

/// Delete message `target`: its author may; a moderator may delete anyone's,
/// which the audit log records (with `reason`).
fn delete(st: &StreamState, cx: &Cx<'_>, target: Seq, reason: String) -> AppResult<Decision> {
    let original = message_at(st, cx, target)?;
    let mut also = Vec::new();
    if original.author != cx.actor.id {
        if !may(cx.actor.role, Permission::DeleteAny) {
            return Err(AppError::Forbidden("only the author or a moderator can delete a message".into()));
        }
        also.extend(audited(
            cx,
            message_entry(cx, AuditAction::Delete, &st.id, target, &original.author, &reason, None),
        ));
    }
    Ok(Append { tombstone: Some(target), also, ..Append::event(EventBody::MessageDeleted { target }) }.into())
}

/// The live (not deleted) message at `seq` that the actor may see, or `not_found`
/// (a hidden message is not there for a member to reply to, react to or edit).
fn message_at(st: &StreamState, cx: &Cx<'_>, seq: Seq) -> AppResult<Event> {
    let missing = || AppError::NotFound(format!("no message at seq {seq}"));
    if seq == Seq(0) || seq > cx.head || st.deleted.contains(&seq) {
        return Err(missing());
    }
    if st.hidden.get(&seq).is_some_and(|author| !Audience::moderators_and(author).admits_here(cx.actor)) {
        return Err(missing());
    }
    match (cx.lookup)(seq)? {
        Some(ev) if matches!(ev.body, EventBody::MessagePosted { .. }) => Ok(ev),
        _ => Err(missing()),
    }
}

/// Fold one event of a chat stream.
pub fn fold(st: &mut StreamState, ev: &Event) {
    match &ev.body {
        EventBody::StreamCreated { .. }
        | EventBody::MessageEdited { .. }
        | EventBody::Tombstone { .. }
        | EventBody::FeedItem { .. }
        | EventBody::FeedRead { .. }
        | EventBody::SlowModeSet { .. }
        | EventBody::StreamLocked { .. }
        | EventBody::AuditEntry { .. }
        | EventBody::Flagged { .. }
        | EventBody::Held { .. }
        | EventBody::ReviewResolved { .. }
        | EventBody::TicketUpdated { .. }
        | EventBody::TicketNote { .. }
        | EventBody::TicketFollowUp { .. }
        | EventBody::TicketLinked { .. }
        | EventBody::TicketSlaBreached { .. }
        | EventBody::TicketRated { .. }
        | EventBody::TicketMerged { .. }
        | EventBody::TicketAbsorbed { .. }
        | EventBody::TicketUnmerged { .. }
        | EventBody::TicketReleased { .. }
        | EventBody::WikiRevised { .. }
        | EventBody::WikiMoved { .. }
        | EventBody::WikiProtected { .. }
        | EventBody::WikiWatched { .. }
        | EventBody::WikiChange { .. }
        | EventBody::WikiTalkLinked { .. }
        | EventBody::WikiNamespaceSet { .. }
        | EventBody::Unknown => {}
        EventBody::MessagePosted { mentions, attachments, .. } => {
            st.counters.add(ev.seq, &ev.author, mentions, Audience::everyone());
            for a in attachments {
                st.attachments.entry(a.hash.clone()).or_default().insert(ev.seq);
            }
            st.moderation.note_post(&ev.author, ev.at);
        }
        EventBody::StreamRenamed { name } => st.name = name.clone(),
        EventBody::TopicSet { topic } => st.topic = topic.clone(),
        EventBody::MemberJoined { user } | EventBody::MemberInvited { user } => {
            st.members.insert(user.clone());
        }
        EventBody::MemberLeft { user } | EventBody::MemberKicked { user } => {
            st.members.remove(user);
        }
        EventBody::MessageDeleted { target } => {
            st.deleted.insert(*target);
            st.hidden.remove(target);
            st.reactions.remove(target);
            st.counters.remove(*target);
        }
        EventBody::ReactionAdded { target, emoji } => {
            st.reactions.entry(*target).or_default().insert((emoji.clone(), ev.author.clone()));
        }
        EventBody::ReactionRemoved { target, emoji } => {
            if let Some(set) = st.reactions.get_mut(target) {
                set.remove(&(emoji.clone(), ev.author.clone()));
                if set.is_empty() {
                    st.reactions.remove(target);
                }
            }
        }
        EventBody::MessageHidden { target, message_author, .. } => {
            st.counters.set_audience(*target, Audience::moderators_and(message_author));
            st.hidden.insert(*target, message_author.clone());
        }
        EventBody::MessageUnhidden { target } => {
            st.hidden.remove(target);
            st.counters.set_audience(*target, Audience::everyone());
        }
        // Other kinds' events (the forum's) are never decided in a chat stream.
        _ => {}
    }
}

/// Who sees `ev`: everyone, except a hidden message and what refers to it
/// (its edits and reactions), which only its author and moderators see. The
/// hide and unhide events themselves are for everyone: they carry no text and
/// tell clients to drop or refetch the message.
pub fn audience(st: &StreamState, ev: &Event) -> Audience {
    let target = match &ev.body {
        EventBody::MessagePosted { .. } => Some(ev.seq),
        EventBody::MessageEdited { target, .. }
        | EventBody::ReactionAdded { target, .. }
        | EventBody::ReactionRemoved { target, .. } => Some(*target),
        _ => None,
    };
    match target.and_then(|t| st.hidden.get(&t)) {
        Some(author) => Audience::moderators_and(author),
        None => Audience::everyone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kind::no_other_streams;
    use crate::streams::kinds;
    use crate::streams::visibility::{can_see, NoSources};
    use agora_protocol::ops::Role;
    use agora_protocol::{StreamKind, UserId};

    fn ev(seq: u64, author: &str, body: EventBody) -> Event {
        Event { stream: "ch_t".into(), seq: Seq(seq), at: 0, author: author.into(), idem: None, body }
    }

    fn who(id: &str, role: Role) -> Actor {
        Actor { id: id.into(), role }
    }

    /// A channel where bob posted seq 2; decisions are folded like the sequencer does.
    fn channel_with_post() -> (StreamState, Vec<Event>) {
        let members = vec![UserId::from("bob"), UserId::from("ann")];
        let created = ev(
            1,
            "bob",
            EventBody::StreamCreated { kind: StreamKind::Channel, name: "T".into(), topic: String::new(), members },
        );
        let post = ev(
            2,
            "bob",
            EventBody::MessagePosted { text: "hi".into(), reply_to: None, mentions: vec![], attachments: vec![] },
        );
        let mut st = StreamState::from_created(&created).unwrap();
        st.apply(&post);
        (st, vec![created, post])
    }

    fn decide_as(st: &StreamState, log: &[Event], actor: &Actor, action: Action) -> AppResult<Decision> {
        let lookup = |s: Seq| Ok(log.iter().find(|e| e.seq == s).cloned());
        crate::streams::decide(
            Some(st),
            &Cx { actor, now: 0, head: st.head, lookup: &lookup, other: &no_other_streams, derived: false },
            action,
        )
    }

    #[test]
    fn a_hidden_message_and_its_edits_are_for_its_author_and_moderators_only() {
        let (mut st, log) = channel_with_post();
        let (ann, bob, carol) = (who("ann", Role::Member), who("bob", Role::Member), who("carol", Role::Moderator));
        let hide = Action::Hide { target: Seq(2), reason: String::new() };
        assert!(matches!(decide_as(&st, &log, &ann, hide.clone()), Err(AppError::Forbidden(_))));
        let Decision::Append(a) = decide_as(&st, &log, &carol, hide).unwrap() else { panic!("not an append") };
        assert_eq!(
            a.body,
            EventBody::MessageHidden { target: Seq(2), message_author: "bob".into(), reason: String::new() }
        );
        let hidden = ev(3, "carol", a.body);
        st.apply(&hidden);
        let edit = ev(4, "bob", EventBody::MessageEdited { target: Seq(2), text: "x".into(), mentions: vec![] });
        for e in [&log[1], &edit] {
            assert!(!can_see(&st, e, &ann, &NoSources), "{e:?}");
            assert!(can_see(&st, e, &bob, &NoSources) && can_see(&st, e, &carol, &NoSources), "{e:?}");
        }
        assert!(can_see(&st, &hidden, &ann, &NoSources), "the hide event itself is for everyone");
        // A member cannot act on what they cannot see; its author still can.
        let react = |t: Seq| Action::React { target: t, emoji: "👍".into() };
        assert!(matches!(decide_as(&st, &log, &ann, react(Seq(2))), Err(AppError::NotFound(_))));
        assert!(matches!(decide_as(&st, &log, &bob, react(Seq(2))), Ok(Decision::Append(_))));
    }

    #[test]
    fn channels_claim_their_name_and_dms_are_found_again() {
        let (st, log) = channel_with_post();
        let ann = who("ann", Role::Member);
        let Decision::Append(a) = decide_as(&st, &log, &ann, Action::Rename { name: "New".into() }).unwrap() else {
            panic!()
        };
        assert_eq!(a.claim, Some(NameClaim::new(CHANNEL_NAMES, "new")));
        assert_eq!(kinds::of(StreamKind::Channel).unwrap().name_claim(&st), Some(NameClaim::new(CHANNEL_NAMES, "t")));
        let mut dm = st.clone();
        dm.kind = StreamKind::Dm;
        let open = Action::Create { kind: StreamKind::Dm, name: String::new(), topic: String::new(), members: vec![] };
        assert_eq!(decide_as(&dm, &log, &ann, open).unwrap(), Decision::AlreadySo);
        assert_eq!(kinds::of(StreamKind::Dm).unwrap().name_claim(&dm), None);
        // Leaving a private channel ends the right to read; leaving a public one does not.
        let mut private = st.clone();
        private.kind = StreamKind::PrivateChannel;
        let Decision::Append(a) = decide_as(&private, &log, &ann, Action::Leave).unwrap() else { panic!() };
        assert_eq!((a.left.clone(), a.revoke), (vec![ann.id.clone()], vec![ann.id.clone()]));
        let Decision::Append(a) = decide_as(&st, &log, &ann, Action::Leave).unwrap() else { panic!() };
        assert!(a.revoke.is_empty());
    }
}
