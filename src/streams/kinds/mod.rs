//! Every stream kind, one module each, and the one table that maps a
//! [`StreamKind`] to its module. Adding a kind: write `kinds/<kind>.rs`
//! implementing [`Kind`], add its `StreamKind` variant and event types to the
//! protocol crate, and add one line to [`of`]. A kind with state of its own
//! (a ticket's status, a page's revisions) adds one variant to [`KindState`].
//! Nothing else names a kind.

pub mod channel;
pub mod chat;
pub mod dm;
pub mod private_channel;
pub mod wiki;

use super::kind::Kind;
use agora_protocol::StreamKind;
use serde::{Deserialize, Serialize};

/// The module of a kind; `None` for a kind this server does not know.
pub fn of(kind: StreamKind) -> Option<&'static dyn Kind> {
    match kind {
        StreamKind::Channel => Some(&channel::Channel),
        StreamKind::PrivateChannel => Some(&private_channel::PrivateChannel),
        StreamKind::Dm => Some(&dm::Dm),
        StreamKind::WikiPage => Some(&wiki::WikiPage),
        StreamKind::WikiChanges => Some(&wiki::changes::WikiChanges),
        StreamKind::Unknown => None,
    }
}

/// State that only one kind has, kept in `StreamState::ext` and folded by that
/// kind. Chat kinds need nothing beyond the shared fields. Each variant holds
/// a type defined in its kind's module; snapshots carry it (MessagePack), so
/// add fields with `#[serde(default)]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum KindState {
    #[default]
    None,
    /// A wiki page's revisions (metadata), links, redirects, protection, watchers.
    Wiki(Box<wiki::PageState>),
}
