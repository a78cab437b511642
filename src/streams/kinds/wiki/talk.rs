//! A page's talk thread: a `forum_thread` linked to the page (MediaWiki's
//! `Talk:` page, as a Discourse-style discussion). The first `wiki_talk` on a
//! page decides [`open`] on the page's stream: the page records the link
//! (`wiki_talk_linked`) and, in the same commit (`Append::also`), the thread is
//! created, placed in the [`TALK_CATEGORY`] with the page's read role as its
//! read and post role, and records the link back. Decisions on one stream are
//! serial, so two racing calls open one thread: the second finds the link and
//! changes nothing.
//!
//! Who reads the thread is then the forum's rule on its own state
//! (`forum::may_read` of that role), the rule the page's `can_read` uses too.
//! A move keeps the link and retitles the thread; what is not here: the
//! thread's posts and staff actions (`kinds::forum::thread`).

use super::{page, read_role, PageState};
use crate::error::AppResult;
use crate::streams::kind::{Append, Cx, Decision, Derived};
use crate::streams::kinds::forum::ForumAction;
use crate::streams::visibility::Actor;
use crate::streams::{Action, StreamState};
use agora_protocol::{EventBody, StreamId, StreamKind};

/// The forum category talk threads are placed in (not one of the forum's
/// categories: talk threads are found from their page, and in "latest").
pub const TALK_CATEGORY: &str = "wiki-talk";

/// A talk thread's title.
pub fn title(page_title: &str) -> String {
    format!("Talk:{page_title}")
}

/// Open the page's talk thread as `thread`, unless it has one already.
pub(super) fn open(st: &StreamState, cx: &Cx<'_>, thread: StreamId) -> AppResult<Decision> {
    if page(st).talk.is_some() {
        return Ok(Decision::AlreadySo);
    }
    let role = read_role(st);
    let create = Action::Create {
        kind: StreamKind::ForumThread,
        name: title(&st.name),
        topic: String::new(),
        members: vec![cx.actor.id.clone()],
    };
    let place = ForumAction::Place { category: TALK_CATEGORY.into(), read_role: role, post_role: role, from: None };
    let on_thread = |ensure, action| Derived { stream: thread.clone(), actor: cx.actor.clone(), ensure, action };
    let also = vec![
        on_thread(Some(create), Action::Forum(place)),
        on_thread(None, Action::Forum(ForumAction::TalkOf { page: st.id.clone() })),
    ];
    Ok(Append { also, ..Append::event(EventBody::WikiTalkLinked { page: st.id.clone(), thread }) }.into())
}

/// When the page is moved to `new_title`: its talk thread takes the new title
/// (by the server: the mover need not be the thread's author).
pub(super) fn renamed(p: &PageState, new_title: &str) -> Option<Derived> {
    p.talk.as_ref().map(|thread| Derived {
        stream: thread.clone(),
        actor: Actor::system(),
        ensure: None,
        action: Action::Rename { name: title(new_title) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::ops::Role;
    use agora_protocol::wiki::WikiNamespace;
    use agora_protocol::{Event, Seq};

    fn ev(seq: u64, body: EventBody) -> Event {
        Event { stream: "wk_t".into(), seq: Seq(seq), at: 0, author: "ag".into(), idem: None, body }
    }

    #[test]
    fn the_first_open_links_and_places_the_thread_with_the_pages_readers_and_a_second_changes_nothing() {
        let created = ev(
            1,
            EventBody::StreamCreated {
                kind: StreamKind::WikiPage,
                name: "Internal:Plan".into(),
                topic: String::new(),
                members: vec![],
            },
        );
        let mut st = StreamState::from_created(&created).unwrap();
        let ns = WikiNamespace { prefix: "Internal".into(), read_role: Some(Role::Agent), edit_role: None };
        st.apply(&ev(2, EventBody::WikiNamespaceSet { namespace: ns }));
        let actor = Actor { id: "ag".into(), role: Role::Agent };
        let lookup = |_| Ok(None);
        let cx = Cx {
            actor: &actor,
            now: 0,
            head: Seq(2),
            lookup: &lookup,
            other: &crate::streams::kind::no_other_streams,
            derived: false,
        };
        let Decision::Append(a) = open(&st, &cx, "ft_a".into()).unwrap() else { panic!("an append") };
        assert_eq!(a.body, EventBody::WikiTalkLinked { page: "wk_t".into(), thread: "ft_a".into() });
        assert!(a.also.iter().all(|d| d.stream.0 == "ft_a"));
        match &a.also[0].action {
            Action::Forum(ForumAction::Place { category, read_role, post_role, .. }) => {
                assert_eq!(
                    (category.as_str(), *read_role, *post_role),
                    (TALK_CATEGORY, Some(Role::Agent), Some(Role::Agent))
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(a.also[1].action, Action::Forum(ForumAction::TalkOf { .. })));
        st.apply(&ev(3, a.body));
        assert_eq!(open(&st, &cx, "ft_b".into()).unwrap(), Decision::AlreadySo);
        assert_eq!(page(&st).talk, Some("ft_a".into()));
    }
}
