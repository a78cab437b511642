//! Who hears of a page event besides those who have it open: the page's
//! watchers, in their notification feed.
//!
//! `edit::revision` puts a `wiki_edit` item in each of [`watchers_to_notify`]'s
//! feeds (`kinds::feed::notify`, in the revision's `Append::also`).

use super::page;
use crate::streams::StreamState;
use agora_protocol::UserId;

/// The watchers of the page to tell about an edit by `editor`: everyone
/// watching except the editor. Whether each may still read the page is the one
/// visibility rule's, at delivery and read time (a feed item depends on its revision).
pub fn watchers_to_notify(st: &StreamState, editor: &UserId) -> Vec<UserId> {
    page(st).watchers.iter().filter(|w| *w != editor).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::visibility::{can_read_stream, Actor};
    use agora_protocol::ops::Role;
    use agora_protocol::{Event, EventBody, Seq, StreamKind};

    fn ev(seq: u64, author: &str, body: EventBody) -> Event {
        Event { stream: "wk_t".into(), seq: Seq(seq), at: 0, author: author.into(), idem: None, body }
    }

    #[test]
    fn watchers_but_not_the_editor_hear_of_an_edit() {
        let created = ev(
            1,
            "ann",
            EventBody::StreamCreated {
                kind: StreamKind::WikiPage,
                name: "Internal:Plan".into(),
                topic: String::new(),
                members: vec![],
            },
        );
        let mut st = StreamState::from_created(&created).unwrap();
        for (seq, who) in [(2, "ann"), (3, "bob"), (4, "eve")] {
            st.apply(&ev(seq, who, EventBody::WikiWatched { user: who.into(), watching: true }));
        }
        st.apply(&ev(5, "eve", EventBody::WikiWatched { user: "eve".into(), watching: false }));
        assert_eq!(watchers_to_notify(&st, &"ann".into()), vec![UserId::from("bob")]);
        // bob lost the right to read (a member, in a staff namespace): his item is not shown.
        assert!(!can_read_stream(&st, &Actor { id: "bob".into(), role: Role::Member }));
        assert!(can_read_stream(&st, &Actor { id: "bob".into(), role: Role::Agent }));
    }
}
