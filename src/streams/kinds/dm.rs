//! `dm`: a direct message between two or more users. Its id comes from its
//! member set (`ops::dm_id`), so opening it again finds it; members and name
//! are fixed; only members read it; it claims no name.

use super::chat;
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Cx, Decision, Kind, NameClaim};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::Event;

pub struct Dm;

fn fixed() -> AppError {
    AppError::Forbidden("a direct message's members and name are fixed".into())
}

impl Kind for Dm {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let Some(st) = st else { return chat::create(action, false) };
        match action {
            // Opening an existing DM finds it.
            Action::Create { .. } => Ok(Decision::AlreadySo),
            Action::Join | Action::Leave | Action::Invite { .. } | Action::Rename { .. } | Action::Kick { .. } => {
                Err(fixed())
            }
            other => chat::message_action(st, cx, other),
        }
    }
    fn fold(&self, st: &mut StreamState, ev: &Event) {
        chat::fold(st, ev)
    }
    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        st.is_member(&who.id) && !who.is_visitor()
    }
    fn can_write(&self, st: &StreamState, who: &Actor) -> bool {
        st.is_member(&who.id) && !who.is_visitor()
    }
    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        chat::audience(st, ev)
    }
    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}
