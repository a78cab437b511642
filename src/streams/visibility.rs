//! The one visibility rule. Every read path asks these two functions and
//! nothing else: live delivery (`gateway::writer`, through the audience the
//! hub carries with each event), replay on resume, `history`, unread and
//! mention counts (`counters`), mentions, listings and presence.
//!
//! - [`can_read_stream`]: may this user see the stream at all? The stream's kind says.
//! - [`can_read_attachment`]: may this user fetch a file? Through a stream they
//!   read, where a message they may see references it.
//! - [`can_see`]: may this user see this event? They must read the stream, and
//!   be in the event's [`Audience`], which the kind computes from the current
//!   state (so hiding a message later hides it on every later read).
//! - An event about another event (a feed item about a mention) names it in
//!   its audience ([`Audience::depending_on`]): it is seen only by who may
//!   see that one, now (left the channel, message hidden or deleted: gone).
//!   [`Sources`] is how the rule finds that event; the read paths pass one
//!   backed by the registry and the log (`app::LogSources`).

use super::kinds;
use super::StreamState;
use agora_protocol::ops::Role;
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// Who is acting or reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

impl Actor {
    /// The server itself, acting on its own (timers, derived events): an admin
    /// named `system`, which no account can be (user ids are lower-case names
    /// chosen at sign-up; `system` is reserved in `auth`).
    pub fn system() -> Actor {
        Actor { id: UserId::from("system"), role: Role::Admin }
    }

    /// A website visitor (no account): reads only their own tickets.
    pub fn is_visitor(&self) -> bool {
        self.role == Role::Visitor
    }
}

/// Who among a stream's readers may see one event. Most events are for every
/// reader; a hidden message is for its author and moderators, a ticket's
/// internal note for agents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Every reader of the stream.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    everyone: bool,
    /// Else: readers with one of these roles (bit `1 << role_bit(role)`)...
    #[serde(default)]
    roles: u8,
    /// ...or one of these users.
    #[serde(default)]
    users: Vec<UserId>,
    /// And only while the reader may see this event of another stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    depends: Option<(StreamId, Seq)>,
}

/// Where the visibility rule looks up the events others depend on: the
/// committed state of a stream and one event of its log. Implemented outside
/// `streams` (which does no I/O) by `app::LogSources`.
pub trait Sources: Send + Sync {
    fn state(&self, stream: &StreamId) -> Option<StreamState>;
    fn event(&self, stream: &StreamId, seq: Seq) -> Option<Event>;
}

/// No other streams (unit tests of events that depend on nothing).
pub struct NoSources;

impl Sources for NoSources {
    fn state(&self, _: &StreamId) -> Option<StreamState> {
        None
    }
    fn event(&self, _: &StreamId, _: Seq) -> Option<Event> {
        None
    }
}

fn role_bit(role: Role) -> u8 {
    1 << match role {
        Role::Member => 0,
        Role::Agent => 1,
        Role::Moderator => 2,
        Role::Admin => 3,
        Role::Bot => 4,
        Role::Visitor => 5,
    }
}

impl Audience {
    /// Every reader of the stream.
    pub fn everyone() -> Audience {
        Audience { everyone: true, roles: 0, users: Vec::new(), depends: None }
    }

    /// Moderators, admins and `user` (a hidden message's author).
    pub fn moderators_and(user: &UserId) -> Audience {
        Audience {
            everyone: false,
            roles: role_bit(Role::Moderator) | role_bit(Role::Admin),
            users: vec![user.clone()],
            depends: None,
        }
    }

    /// Nobody (an event superseded by a later one, like a grouped notification).
    pub fn nobody() -> Audience {
        Audience::default()
    }

    /// This audience, and only while the reader may also see event `seq` of `stream`.
    pub fn depending_on(self, stream: StreamId, seq: Seq) -> Audience {
        Audience { depends: Some((stream, seq)), ..self }
    }

    /// Only these users (a forum notification level is for the user who set it).
    pub fn only(users: Vec<UserId>) -> Audience {
        Audience { everyone: false, roles: 0, users, depends: None }
    }

    /// Users with `role`, moderators and admins (a restricted forum category).
    pub fn role_and_staff(role: Role) -> Audience {
        Audience {
            everyone: false,
            roles: role_bit(role) | role_bit(Role::Moderator) | role_bit(Role::Admin),
            users: Vec::new(),
            depends: None,
        }
    }

    /// Readers with one of these roles (a ticket's internal notes: staff).
    pub fn roles(roles: &[Role]) -> Audience {
        Audience {
            everyone: false,
            roles: roles.iter().fold(0, |b, r| b | role_bit(*r)),
            users: Vec::new(),
            depends: None,
        }
    }

    pub fn is_everyone(&self) -> bool {
        self.everyone
    }

    /// Is `who` (already a reader of the stream) in this audience? The event it
    /// depends on, if any, is looked up in `src` (one level: that event's own
    /// dependency is not followed). A deleted event is seen by nobody.
    pub fn admits(&self, who: &Actor, src: &dyn Sources) -> bool {
        self.admits_here(who) && self.depends.as_ref().is_none_or(|(s, q)| sees_source(s, *q, who, src))
    }

    /// The audience without its dependency (counters keep only local audiences).
    pub fn admits_here(&self, who: &Actor) -> bool {
        self.everyone || self.roles & role_bit(who.role) != 0 || self.users.contains(&who.id)
    }
}

/// May `who` see event `seq` of `stream` (the source of a dependent event)?
fn sees_source(stream: &StreamId, seq: Seq, who: &Actor, src: &dyn Sources) -> bool {
    let (Some(st), Some(ev)) = (src.state(stream), src.event(stream, seq)) else { return false };
    !matches!(ev.body, EventBody::Tombstone { .. })
        && !st.deleted.contains(&seq)
        && can_read_stream(&st, who)
        && audience(&st, &ev).admits_here(who)
}

/// May `who` see the stream and (subject to each event's audience) its events?
/// The server itself (`Actor::system()`, acting for a moderator's decision or
/// appending derived events) reads every stream.
pub fn can_read_stream(st: &StreamState, who: &Actor) -> bool {
    *who == Actor::system() || kinds::of(st.kind).is_some_and(|k| k.can_read(st, who))
}

/// May `who` append messages, reactions and typing to the stream?
pub fn can_write_stream(st: &StreamState, who: &Actor) -> bool {
    kinds::of(st.kind).is_some_and(|k| k.can_write(st, who))
}

/// Who may see `ev`, given the stream's current state.
pub fn audience(st: &StreamState, ev: &Event) -> Audience {
    kinds::of(st.kind).map_or_else(Audience::default, |k| k.audience(st, ev))
}

/// May `who` fetch the attachment `hash` through this stream? They must read the
/// stream, and see a message of it that references the file and is not deleted
/// (a hidden message's files are for its author and moderators, like its text).
pub fn can_read_attachment(st: &StreamState, hash: &str, who: &Actor) -> bool {
    can_read_stream(st, who)
        && st.attachments.get(hash).is_some_and(|seqs| {
            seqs.iter().any(|seq| {
                !st.deleted.contains(seq)
                    && st.hidden.get(seq).is_none_or(|author| Audience::moderators_and(author).admits_here(who))
            })
        })
}

/// May `who` see `ev` of this stream? The rule every read path applies;
/// `src` finds the event `ev` depends on, if it names one.
pub fn can_see(st: &StreamState, ev: &Event, who: &Actor, src: &dyn Sources) -> bool {
    can_read_stream(st, who) && audience(st, ev).admits(who, src)
}
