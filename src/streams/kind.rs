//! The interface every stream kind implements, and what its decisions return.
//!
//! A kind says what an action appends ([`Kind::decide`], against the stream's
//! current state, on the sequencer thread so check-then-append is atomic), how
//! its events fold into state ([`Kind::fold`]), who may read and write, who may
//! see each event ([`Kind::audience`]) and which name the stream claims. What
//! the sequencer must do besides appending (tombstones, name claims,
//! membership upkeep, revocation) comes back as data in [`Append`]: the
//! sequencer, the engine, the hub and the writer never name a kind.

use super::visibility::{Actor, Audience};
use super::{Action, StreamState};
use crate::error::AppResult;
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};

/// Shows another stream's state to a callback (see [`Cx::other`]).
pub type OtherStreams<'a> = dyn Fn(&StreamId, &mut dyn FnMut(&StreamState)) + 'a;

/// What a kind decides needs to know besides the state.
pub struct Cx<'a> {
    pub actor: &'a Actor,
    /// The server clock's time of this append, ms since the Unix epoch (the event's `at`).
    pub now: u64,
    /// The stream's last seq, including events decided but not yet committed.
    pub head: Seq,
    /// Reads one event of this stream (log, or this group's pending events).
    pub lookup: &'a dyn Fn(Seq) -> AppResult<Option<Event>>,
    /// Shows another stream's state as this group has decided it so far
    /// (pending appends included) to the callback, if the stream exists: the
    /// rules a decision needs from elsewhere (mutes and watched words on the
    /// audit stream, a forum category's notification levels) are read here, on
    /// the writer, so checking them and appending is one atomic step.
    pub other: &'a OtherStreams<'a>,
    /// This append was caused by another decision (`Append::also`, or
    /// [`Decision::Instead`]) rather than asked for by a client.
    pub derived: bool,
}

impl Cx<'_> {
    /// `f` over another stream's state (see [`Cx::other`]); `None` if it does not exist.
    pub fn with_state<R>(&self, id: &StreamId, f: impl FnOnce(&StreamState) -> R) -> Option<R> {
        let mut f = Some(f);
        let mut out = None;
        (self.other)(id, &mut |st| {
            if let Some(f) = f.take() {
                out = Some(f(st));
            }
        });
        out
    }
}

/// A [`Cx::other`] that knows no other stream (for tests of one stream's decisions).
pub fn no_other_streams(_: &StreamId, _: &mut dyn FnMut(&StreamState)) {}

/// The outcome of deciding an action.
// Made and consumed at once on the writer thread, one per append: boxing the
// large variant would only add an allocation per append.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Nothing to append: it is already so (joining twice, opening an existing DM).
    AlreadySo,
    /// Append one event, and do what it entails.
    Append(Append),
    /// Append nothing here: decide this other append in its place (a post a
    /// watched word holds goes to the review queue instead); its result is the reply.
    Instead(Derived),
}

/// One event to append and its consequences beyond the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Append {
    pub body: EventBody,
    /// Replace the event at this seq with a tombstone (deletion), in the same commit.
    pub tombstone: Option<Seq>,
    /// The name the stream claims from now on (created or renamed). The sequencer
    /// refuses it with `conflict` if another stream holds it, and releases the old one.
    pub claim: Option<NameClaim>,
    /// Users who become members (kept in the user → streams index).
    pub joined: Vec<UserId>,
    /// Users who stop being members.
    pub left: Vec<UserId>,
    /// Users who can no longer read the stream after this event: their
    /// subscriptions end right after it is delivered.
    pub revoke: Vec<UserId>,
    /// Appends this event causes in *other* streams (a user's notification feed,
    /// the audit stream, the wiki's recent changes), decided right after it in
    /// the same group and committed with it, so both are durable or neither is.
    /// A derived action that is refused is logged and dropped; the event stays.
    pub also: Vec<Derived>,
}

impl Append {
    pub fn event(body: EventBody) -> Append {
        Append {
            body,
            tombstone: None,
            claim: None,
            joined: Vec::new(),
            left: Vec::new(),
            revoke: Vec::new(),
            also: Vec::new(),
        }
    }
}

/// An append in another stream, caused by an event (see [`Append::also`]).
/// Derived appends may cause further ones, one level deep at most.
#[derive(Clone, Debug)]
pub struct Derived {
    pub stream: StreamId,
    /// Who the derived event is by (usually the same actor; `Actor::system()` for the server).
    pub actor: Actor,
    /// If `stream` does not exist yet, this action (a create) is decided first.
    pub ensure: Option<Action>,
    pub action: Action,
}

impl PartialEq for Derived {
    // Actions are not comparable; a decision's tests compare the events, streams and actors.
    fn eq(&self, other: &Derived) -> bool {
        self.stream == other.stream && self.actor == other.actor
    }
}

impl From<Append> for Decision {
    fn from(a: Append) -> Decision {
        Decision::Append(a)
    }
}

/// A unique name, lower-cased, within a namespace (channel names are unique among
/// channels, public and private; a forum thread's title is not a channel name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameClaim {
    pub namespace: &'static str,
    pub name: String,
}

impl NameClaim {
    pub fn new(namespace: &'static str, name: &str) -> NameClaim {
        NameClaim { namespace, name: name.to_lowercase() }
    }
}

/// A stream kind. One implementation per module in `kinds/`.
pub trait Kind: Send + Sync {
    /// Decide `action` by `cx.actor`. `st` is `None` when the stream does not exist
    /// (only a create can succeed then).
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision>;
    /// Fold one event (the next in sequence; `head` is already advanced) into the state.
    fn fold(&self, st: &mut StreamState, ev: &Event);
    /// May `who` see this stream?
    fn can_read(&self, st: &StreamState, who: &Actor) -> bool;
    /// May `who` post to this stream?
    fn can_write(&self, st: &StreamState, who: &Actor) -> bool;
    /// Who among the readers may see `ev`, given the current state.
    fn audience(&self, st: &StreamState, ev: &Event) -> Audience;
    /// The unique name this stream holds, if its kind has unique names.
    fn name_claim(&self, st: &StreamState) -> Option<NameClaim>;
    /// When this stream next needs the server to act on its own (an SLA target,
    /// an auto-close), ms since the Unix epoch. The timers (`crate::timers`)
    /// submit [`Action::Tick`] as `Actor::system()` at that time (or at start, if
    /// it passed while the server was down); the kind decides it with `cx.now`,
    /// and what it appends must move `due` past `cx.now` (or answer `AlreadySo`).
    fn due(&self, _st: &StreamState) -> Option<u64> {
        None
    }
    /// Is the stream in `list_streams`? A kind whose streams are many and paged
    /// through its own lists (forum threads, `forum_threads`) says no.
    fn listed(&self) -> bool {
        true
    }
}
