//! Every stream kind, one module each, and the one table that maps a
//! [`StreamKind`] to its module. Adding a kind: write `kinds/<kind>.rs`
//! implementing [`Kind`], add its `StreamKind` variant and event types to the
//! protocol crate, and add one line to [`of`]. A kind with state of its own
//! (a ticket's status, a page's revisions) adds one variant to [`KindState`].
//! Nothing else names a kind.

pub mod audit;
pub mod channel;
pub mod chat;
pub mod desk_settings;
pub mod dm;
pub mod feed;
pub mod forum;
pub mod private_channel;
pub mod review;
pub mod ticket;
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
        StreamKind::Feed => Some(&feed::Feed),
        StreamKind::Audit => Some(&audit::Audit),
        StreamKind::ReviewQueue => Some(&review::Review),
        StreamKind::Forum => Some(&forum::ForumKind),
        StreamKind::ForumThread => Some(&forum::ThreadKind),
        StreamKind::Ticket => Some(&ticket::Ticket),
        StreamKind::WikiPage => Some(&wiki::WikiPage),
        StreamKind::WikiChanges => Some(&wiki::changes::WikiChanges),
        StreamKind::DeskSettings => Some(&desk_settings::DeskSettingsKind),
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
    /// A user's notification feed (`feed::FeedState`).
    Feed(feed::FeedState),
    /// The audit log (`audit::AuditState`: mutes in force).
    Audit(audit::AuditState),
    /// The review queue (`review::ReviewState`: pending items).
    Review(review::ReviewState),
    /// The forum stream: categories, which thread is where, category levels.
    Forum(forum::ForumState),
    /// A forum thread: its category, posts, likes, edits, staff state, levels.
    ForumThread(forum::ThreadState),
    /// Boxed: much larger than the chat kinds' nothing.
    Ticket(Box<ticket::TicketState>),
    /// A wiki page's revisions (metadata), links, redirects, protection, watchers.
    Wiki(Box<wiki::PageState>),
    /// The desk settings stream: the settings admins edited and their version.
    DeskSettings(Box<desk_settings::DeskSettingsState>),
}
