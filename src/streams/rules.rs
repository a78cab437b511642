//! What an action appends, or why it is refused. Called by the sequencer with
//! the stream's current state, so check-then-append is atomic per stream.

use super::access::{can_read, can_write};
use super::StreamState;
use crate::error::{AppError, AppResult};
use agora_protocol::ops::Role;
use agora_protocol::{Event, EventBody, Seq, StreamKind, UserId};

/// Who is acting.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

/// A change someone asks of a stream. Strings are already validated for length.
#[derive(Clone, Debug)]
pub enum Action {
    Create { kind: StreamKind, name: String, topic: String, members: Vec<UserId> },
    Join,
    Leave,
    Invite { user: UserId },
    Rename { name: String },
    SetTopic { topic: String },
    Post { text: String, reply_to: Option<Seq>, mentions: Vec<UserId> },
    Edit { target: Seq, text: String, mentions: Vec<UserId> },
    Delete { target: Seq },
    React { target: Seq, emoji: String },
    Unreact { target: Seq, emoji: String },
}

impl Action {
    /// Whether the action can carry a client idempotency key.
    pub fn is_post(&self) -> bool {
        matches!(self, Action::Post { .. })
    }
}

/// The event to append, and for deletions the message to turn into a tombstone.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub body: EventBody,
    pub tombstone: Option<Seq>,
}

impl From<EventBody> for Decision {
    fn from(body: EventBody) -> Self {
        Decision { body, tombstone: None }
    }
}

/// Decide. `Ok(None)` means "nothing to append, already so" (joining twice).
/// `head` is the stream's last seq including events decided but not yet
/// committed; `lookup` reads one event of this stream (log or pending).
pub fn decide(
    state: Option<&StreamState>,
    head: Seq,
    actor: &Actor,
    action: Action,
    lookup: &dyn Fn(Seq) -> AppResult<Option<Event>>,
) -> AppResult<Option<Decision>> {
    let Some(st) = state else {
        return match action {
            Action::Create { kind, name, topic, members } => {
                Ok(Some(EventBody::StreamCreated { kind, name, topic, members }.into()))
            }
            _ => Err(AppError::not_found_stream()),
        };
    };
    if let Action::Create { .. } = action {
        return Err(AppError::Conflict("stream already exists".into()));
    }
    if !can_read(st, &actor.id, actor.role) {
        return Err(AppError::not_found_stream());
    }
    let is_dm = st.kind == StreamKind::Dm;
    let member = st.is_member(&actor.id);
    let manager = member || actor.role.can_moderate();
    let fixed = || AppError::Forbidden("a direct message's members and name are fixed".into());
    let body = match action {
        Action::Create { .. } => unreachable!("handled above"),
        Action::Join => {
            if is_dm || st.kind == StreamKind::PrivateChannel {
                return Err(if is_dm {
                    fixed()
                } else {
                    AppError::Forbidden("private channels are joined by invitation".into())
                });
            }
            if member {
                return Ok(None);
            }
            EventBody::MemberJoined { user: actor.id.clone() }
        }
        Action::Leave => {
            if is_dm {
                return Err(fixed());
            }
            if !member {
                return Err(AppError::Conflict("not a member".into()));
            }
            EventBody::MemberLeft { user: actor.id.clone() }
        }
        Action::Invite { user } => {
            if is_dm {
                return Err(fixed());
            }
            if !manager {
                return Err(AppError::Forbidden("only members can invite".into()));
            }
            if st.is_member(&user) {
                return Err(AppError::Conflict(format!("{user} is already a member")));
            }
            EventBody::MemberInvited { user }
        }
        Action::Rename { name } => {
            if is_dm {
                return Err(fixed());
            }
            if !manager {
                return Err(AppError::Forbidden("only members can rename a channel".into()));
            }
            EventBody::StreamRenamed { name }
        }
        Action::SetTopic { topic } => {
            if !manager {
                return Err(AppError::Forbidden("only members can set the topic".into()));
            }
            EventBody::TopicSet { topic }
        }
        Action::Post { text, reply_to, mentions } => {
            require_writer(st, actor)?;
            if let Some(r) = reply_to {
                message_at(st, head, r, lookup)?;
            }
            EventBody::MessagePosted { text, reply_to, mentions }
        }
        Action::Edit { target, text, mentions } => {
            require_writer(st, actor)?;
            let original = message_at(st, head, target, lookup)?;
            if original.author != actor.id {
                return Err(AppError::Forbidden("only the author can edit a message".into()));
            }
            EventBody::MessageEdited { target, text, mentions }
        }
        Action::Delete { target } => {
            let original = message_at(st, head, target, lookup)?;
            if original.author != actor.id && !actor.role.can_moderate() {
                return Err(AppError::Forbidden("only the author or a moderator can delete a message".into()));
            }
            return Ok(Some(Decision { body: EventBody::MessageDeleted { target }, tombstone: Some(target) }));
        }
        Action::React { target, emoji } => {
            require_writer(st, actor)?;
            message_at(st, head, target, lookup)?;
            if st.reactions.get(&target).is_some_and(|s| s.contains(&(emoji.clone(), actor.id.clone()))) {
                return Err(AppError::Conflict("you already reacted with that emoji".into()));
            }
            EventBody::ReactionAdded { target, emoji }
        }
        Action::Unreact { target, emoji } => {
            require_writer(st, actor)?;
            if !st.reactions.get(&target).is_some_and(|s| s.contains(&(emoji.clone(), actor.id.clone()))) {
                return Err(AppError::NotFound("no such reaction of yours".into()));
            }
            EventBody::ReactionRemoved { target, emoji }
        }
    };
    Ok(Some(body.into()))
}

fn require_writer(st: &StreamState, actor: &Actor) -> AppResult<()> {
    if can_write(st, &actor.id, actor.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("join the channel first".into()))
    }
}

/// The live (not deleted) message at `seq`, or `not_found`.
fn message_at(
    st: &StreamState,
    head: Seq,
    seq: Seq,
    lookup: &dyn Fn(Seq) -> AppResult<Option<Event>>,
) -> AppResult<Event> {
    let missing = || AppError::NotFound(format!("no message at seq {seq}"));
    if seq == Seq(0) || seq > head || st.deleted.contains(&seq) {
        return Err(missing());
    }
    match lookup(seq)? {
        Some(ev) if matches!(ev.body, EventBody::MessagePosted { .. }) => Ok(ev),
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(kind: StreamKind, members: &[&str]) -> StreamState {
        let ev = Event {
            stream: "ch_t".into(),
            seq: Seq(1),
            at: 0,
            author: "ann".into(),
            idem: None,
            body: EventBody::StreamCreated {
                kind,
                name: "t".into(),
                topic: String::new(),
                members: members.iter().map(|m| UserId::from(*m)).collect(),
            },
        };
        StreamState::from_created(&ev).unwrap()
    }
    fn actor(id: &str, role: Role) -> Actor {
        Actor { id: id.into(), role }
    }
    fn none(_: Seq) -> AppResult<Option<Event>> {
        Ok(None)
    }

    #[test]
    fn private_channel_is_invisible_to_outsiders() {
        let st = channel(StreamKind::PrivateChannel, &["ann"]);
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![] };
        let err = decide(Some(&st), st.head, &actor("eve", Role::Member), post, &none).unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
        let err = decide(Some(&st), st.head, &actor("eve", Role::Member), Action::Join, &none).unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
    }

    #[test]
    fn public_channel_needs_join_before_post_and_join_is_idempotent() {
        let st = channel(StreamKind::Channel, &["ann"]);
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![] };
        assert!(matches!(
            decide(Some(&st), st.head, &actor("bob", Role::Member), post, &none),
            Err(AppError::Forbidden(_))
        ));
        assert!(decide(Some(&st), st.head, &actor("bob", Role::Member), Action::Join, &none).unwrap().is_some());
        assert!(decide(Some(&st), st.head, &actor("ann", Role::Member), Action::Join, &none).unwrap().is_none());
    }

    #[test]
    fn dm_membership_is_fixed() {
        let st = channel(StreamKind::Dm, &["ann", "bob"]);
        let err = decide(Some(&st), st.head, &actor("ann", Role::Member), Action::Invite { user: "eve".into() }, &none);
        assert!(matches!(err, Err(AppError::Forbidden(_))));
    }
}
