//! Authorization for streams: the one place that says who may read and write.
//!
//! Every read path (subscribe, live delivery, history, resume, list and counts,
//! presence and typing) asks [`can_read`]; every append asks [`can_write`].

use super::StreamState;
use agora_protocol::ops::Role;
use agora_protocol::{StreamKind, UserId};

/// May `user` see this stream and its events? Public channels: everyone.
/// Private channels and DMs: members only (to others they do not exist).
pub fn can_read(state: &StreamState, user: &UserId, _role: Role) -> bool {
    match state.kind {
        StreamKind::Channel => true,
        StreamKind::PrivateChannel | StreamKind::Dm => state.is_member(user),
    }
}

/// May `user` append messages, reactions and typing to this stream? Members only.
pub fn can_write(state: &StreamState, user: &UserId, _role: Role) -> bool {
    state.is_member(user)
}
