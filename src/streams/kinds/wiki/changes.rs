//! `wiki_changes`: the wiki's recent changes, one durable stream (id
//! [`RECENT_CHANGES`]) that members subscribe to and resume like any other.
//! Each page event records one `wiki_change` here in the same commit (derived
//! by the page's decision); no client op appends to it. A change is seen by
//! whoever reads its page (its audience is the page's read role, carried in the
//! event), so subscribers who may not see it get a `skip`.

use super::names;
use super::WikiAction;
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::chat;
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::wiki::RECENT_CHANGES;
use agora_protocol::{Event, EventBody, StreamId, StreamKind};

/// The derived append that records `change` (a `wiki_change` body), creating the stream the first time.
pub fn record(actor: &Actor, change: EventBody) -> Derived {
    Derived {
        stream: StreamId::from(RECENT_CHANGES),
        actor: actor.clone(),
        ensure: Some(Action::Create {
            kind: StreamKind::WikiChanges,
            name: "Recent changes".into(),
            topic: String::new(),
            members: vec![],
        }),
        action: Action::Wiki(WikiAction::Record(change)),
    }
}

pub struct WikiChanges;

impl Kind for WikiChanges {
    fn decide(&self, st: Option<&StreamState>, _cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        match (st, action) {
            (None, create @ Action::Create { .. }) => chat::create(create, false),
            (Some(_), Action::Wiki(WikiAction::Record(body @ EventBody::WikiChange { .. }))) => {
                Ok(Append::event(body).into())
            }
            (None, _) => Err(AppError::not_found_stream()),
            (Some(_), _) => Err(AppError::Forbidden("recent changes are recorded by the wiki".into())),
        }
    }
    fn fold(&self, _st: &mut StreamState, _ev: &Event) {}
    fn can_read(&self, _st: &StreamState, _who: &Actor) -> bool {
        true
    }
    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        false
    }
    fn audience(&self, _st: &StreamState, ev: &Event) -> Audience {
        match &ev.body {
            // Who reads the page (events from before `read_role`: the default table's role).
            EventBody::WikiChange { namespace, read_role, .. } => {
                crate::streams::kinds::forum::audience_of(read_role.or_else(|| names::default_read_role(namespace)))
            }
            _ => Audience::everyone(),
        }
    }
    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}
