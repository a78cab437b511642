//! Who hears of a page event besides those who have it open: the page's
//! watchers, in their notification feed.
//!
//! The feed (`kinds::feed::notify`) is another branch's; until it is on main,
//! [`watchers_to_notify`] computes the recipients and `edit::revision` calls
//! it, and the lead wires each recipient to `feed::notify(user, item)` in the
//! revision's `Append::also`.

use super::page;
use crate::streams::visibility::{can_read_stream, Actor};
use crate::streams::StreamState;
use agora_protocol::UserId;

/// The watchers of the page to tell about an edit by `editor`: everyone
/// watching except the editor. (Whether each may still read the page is the
/// caller's to check with their role: see [`may_notify`].)
pub fn watchers_to_notify(st: &StreamState, editor: &UserId) -> Vec<UserId> {
    page(st).watchers.iter().filter(|w| *w != editor).cloned().collect()
}

/// A watcher who may no longer read the page (its namespace's readers) is not told.
pub fn may_notify(st: &StreamState, watcher: &Actor) -> bool {
    can_read_stream(st, watcher)
}
