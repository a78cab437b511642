//! The one visibility rule. Every read path asks these two functions and
//! nothing else: live delivery (`gateway::writer`, through the audience the
//! hub carries with each event), replay on resume, `history`, unread and
//! mention counts (`counters`), mentions, listings and presence.
//!
//! - [`can_read_stream`]: may this user see the stream at all? The stream's kind says.
//! - [`can_see`]: may this user see this event? They must read the stream, and
//!   be in the event's [`Audience`], which the kind computes from the current
//!   state (so hiding a message later hides it on every later read).

use super::kinds;
use super::StreamState;
use agora_protocol::ops::Role;
use agora_protocol::{Event, UserId};
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
}

fn role_bit(role: Role) -> u8 {
    1 << match role {
        Role::Member => 0,
        Role::Agent => 1,
        Role::Moderator => 2,
        Role::Admin => 3,
        Role::Bot => 4,
    }
}

impl Audience {
    /// Every reader of the stream.
    pub fn everyone() -> Audience {
        Audience { everyone: true, roles: 0, users: Vec::new() }
    }

    /// Moderators, admins and `user` (a hidden message's author).
    pub fn moderators_and(user: &UserId) -> Audience {
        Audience {
            everyone: false,
            roles: role_bit(Role::Moderator) | role_bit(Role::Admin),
            users: vec![user.clone()],
        }
    }

    /// Only these users (among the stream's readers).
    pub fn users(users: Vec<UserId>) -> Audience {
        Audience { everyone: false, roles: 0, users }
    }

    /// Readers with one of these roles.
    pub fn roles(roles: &[Role]) -> Audience {
        Audience { everyone: false, roles: roles.iter().fold(0, |acc, r| acc | role_bit(*r)), users: Vec::new() }
    }

    pub fn is_everyone(&self) -> bool {
        self.everyone
    }

    /// Is `who` (already a reader of the stream) in this audience?
    pub fn admits(&self, who: &Actor) -> bool {
        self.everyone || self.roles & role_bit(who.role) != 0 || self.users.contains(&who.id)
    }
}

/// May `who` see the stream and (subject to each event's audience) its events?
pub fn can_read_stream(st: &StreamState, who: &Actor) -> bool {
    kinds::of(st.kind).is_some_and(|k| k.can_read(st, who))
}

/// May `who` append messages, reactions and typing to the stream?
pub fn can_write_stream(st: &StreamState, who: &Actor) -> bool {
    kinds::of(st.kind).is_some_and(|k| k.can_write(st, who))
}

/// Who may see `ev`, given the stream's current state.
pub fn audience(st: &StreamState, ev: &Event) -> Audience {
    kinds::of(st.kind).map_or_else(Audience::default, |k| k.audience(st, ev))
}

/// May `who` see `ev` of this stream? The rule every read path applies.
pub fn can_see(st: &StreamState, ev: &Event, who: &Actor) -> bool {
    can_read_stream(st, who) && audience(st, ev).admits(who)
}
