//! Every stream kind, one module each, and the one table that maps a
//! [`StreamKind`] to its module. Adding a kind: write `kinds/<kind>.rs`
//! implementing [`Kind`], add its `StreamKind` variant and event types to the
//! protocol crate, and add one line to [`of`]. Nothing else names a kind.

pub mod channel;
pub mod chat;
pub mod dm;
pub mod private_channel;

use super::kind::Kind;
use agora_protocol::StreamKind;

/// The module of a kind; `None` for a kind this server does not know.
pub fn of(kind: StreamKind) -> Option<&'static dyn Kind> {
    match kind {
        StreamKind::Channel => Some(&channel::Channel),
        StreamKind::PrivateChannel => Some(&private_channel::PrivateChannel),
        StreamKind::Dm => Some(&dm::Dm),
        StreamKind::Unknown => None,
    }
}
