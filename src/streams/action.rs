//! Actions (what someone asks of a stream) and [`decide`], which hands an
//! action to the stream's kind. Called by the sequencer with the stream's
//! current state, so check-then-append is atomic per stream.

use super::kind::{Cx, Decision};
use super::kinds;
use super::visibility::can_read_stream;
use super::StreamState;
use crate::error::{AppError, AppResult};
use agora_protocol::{Attachment, EventBody, Seq, StreamKind, UserId};

/// A change someone asks of a stream. Strings are already validated for length.
#[derive(Clone, Debug)]
pub enum Action {
    Create {
        kind: StreamKind,
        name: String,
        topic: String,
        members: Vec<UserId>,
    },
    Join,
    Leave,
    Invite {
        user: UserId,
    },
    Rename {
        name: String,
    },
    SetTopic {
        topic: String,
    },
    /// `attachments` are checked: stored, and the poster may reference them (`ops::messages`).
    Post {
        text: String,
        reply_to: Option<Seq>,
        mentions: Vec<UserId>,
        attachments: Vec<Attachment>,
    },
    Edit {
        target: Seq,
        text: String,
        mentions: Vec<UserId>,
    },
    Delete {
        target: Seq,
    },
    React {
        target: Seq,
        emoji: String,
    },
    Unreact {
        target: Seq,
        emoji: String,
    },
    Hide {
        target: Seq,
        reason: String,
    },
    Unhide {
        target: Seq,
    },
    /// A user's notification feed (`kinds::feed`).
    Feed(super::kinds::feed::FeedAction),
    /// Remove a member (moderators); their right to read ends with it.
    Kick {
        user: UserId,
    },
    /// A moderator's action on a stream (`streams::moderation`).
    Moderate(super::moderation::Moderation),
    /// The audit log: record an entry, mute, unmute (`kinds::audit`).
    Audit(super::kinds::audit::AuditOp),
    /// The review queue: flag, hold, resolve (`kinds::review`).
    Review(super::kinds::review::ReviewOp),
    /// The forum's own actions (`kinds/forum`).
    Forum(super::kinds::forum::ForumAction),
    /// The server's timer: the stream's `Kind::due` time has come (decided with `cx.now`).
    Tick,
    /// A ticket's own actions (boxed: they are larger than the chat ones).
    Ticket(Box<kinds::ticket::TicketAction>),
    /// Wiki pages and recent changes (`kinds::wiki`).
    Wiki(kinds::wiki::WikiAction),
    /// The desk settings (`kinds::desk_settings`).
    DeskSettings(kinds::desk_settings::DeskSettingsAction),
}

impl Action {
    /// Whether a retry with an idempotency key asks for what is stored under the
    /// key (`stored`): a post with the same text. A deleted original (a tombstone)
    /// has no text left to compare, so the retry is taken as the same.
    pub fn same_as_stored(&self, stored: &EventBody) -> bool {
        match (stored, self) {
            (EventBody::MessagePosted { text: a, .. }, Action::Post { text: b, .. }) => a == b,
            _ => true,
        }
    }
}

/// Decide `action` against the stream's state (`None`: it does not exist yet) by
/// the rules of its kind. A stream the actor may not read answers `not_found`,
/// like one that does not exist.
pub fn decide(st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
    let kind = match (st, &action) {
        (Some(st), _) => st.kind,
        (None, Action::Create { kind, .. }) => *kind,
        (None, Action::Ticket(t)) if matches!(**t, kinds::ticket::TicketAction::Open { .. }) => StreamKind::Ticket,
        (None, Action::Wiki(kinds::wiki::WikiAction::Create { .. })) => StreamKind::WikiPage,
        (None, _) => return Err(AppError::not_found_stream()),
    };
    let module = kinds::of(kind).ok_or_else(|| AppError::BadRequest(format!("unknown stream kind {kind:?}")))?;
    if let Some(st) = st {
        if !matches!(action, Action::Create { .. }) && !can_read_stream(st, cx.actor) {
            return Err(AppError::not_found_stream());
        }
    }
    module.decide(st, cx, action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kind::no_other_streams;
    use crate::streams::Actor;
    use agora_protocol::ops::Role;
    use agora_protocol::{Event, EventBody};

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
    fn run(st: &StreamState, who: &Actor, action: Action) -> AppResult<Decision> {
        decide(
            Some(st),
            &Cx { actor: who, now: 0, head: st.head, lookup: &none, other: &no_other_streams, derived: false },
            action,
        )
    }

    #[test]
    fn private_channel_is_invisible_to_outsiders() {
        let st = channel(StreamKind::PrivateChannel, &["ann"]);
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![], attachments: vec![] };
        let err = run(&st, &actor("eve", Role::Member), post).unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
        let err = run(&st, &actor("eve", Role::Member), Action::Join).unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
    }

    #[test]
    fn public_channel_needs_join_before_post_and_join_is_idempotent() {
        let st = channel(StreamKind::Channel, &["ann"]);
        let post = Action::Post { text: "x".into(), reply_to: None, mentions: vec![], attachments: vec![] };
        assert!(matches!(run(&st, &actor("bob", Role::Member), post), Err(AppError::Forbidden(_))));
        assert!(matches!(run(&st, &actor("bob", Role::Member), Action::Join), Ok(Decision::Append(_))));
        assert!(run(&st, &actor("ann", Role::Member), Action::Join).unwrap() == Decision::AlreadySo);
    }

    #[test]
    fn dm_membership_is_fixed() {
        let st = channel(StreamKind::Dm, &["ann", "bob"]);
        let err = run(&st, &actor("ann", Role::Member), Action::Invite { user: "eve".into() });
        assert!(matches!(err, Err(AppError::Forbidden(_))));
    }
}
