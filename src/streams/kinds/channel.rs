//! `channel`: a public channel. Everyone reads it and may join; members post,
//! invite, rename and set the topic; its name is unique among channels.
//! Website visitors (role `visitor`) see no channel.

use super::chat;
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Cx, Decision, Kind, NameClaim};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::Event;

pub struct Channel;

impl Kind for Channel {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let Some(st) = st else { return chat::create(action, true) };
        match action {
            Action::Create { .. } => Err(AppError::Conflict("stream already exists".into())),
            Action::Join => Ok(chat::join(st, cx.actor)),
            Action::Leave => chat::leave(st, cx.actor, false),
            Action::Invite { user } => chat::invite(st, cx.actor, user),
            Action::Rename { name } => chat::rename(st, cx.actor, name),
            Action::Kick { user } => chat::kick(st, cx.actor, user),
            other => chat::message_action(st, cx, other),
        }
    }
    fn fold(&self, st: &mut StreamState, ev: &Event) {
        chat::fold(st, ev)
    }
    /// Everyone with an account; website visitors see only their tickets.
    fn can_read(&self, _st: &StreamState, who: &Actor) -> bool {
        !who.is_visitor()
    }
    fn can_write(&self, st: &StreamState, who: &Actor) -> bool {
        st.is_member(&who.id) && !who.is_visitor()
    }
    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        chat::audience(st, ev)
    }
    fn name_claim(&self, st: &StreamState) -> Option<NameClaim> {
        Some(NameClaim::new(chat::CHANNEL_NAMES, &st.name))
    }
}
