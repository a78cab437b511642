//! Who should hear about a ticket event in their notification feed, and what
//! the item says. The ticket kind's `decide` puts these items in the users'
//! feeds (`kinds::feed::notify`, in the event's `Append::also`), so each is
//! committed with its event; an item is seen only while its owner may see the
//! event (a note's item never reaches a requester, even if one were made).
//! Pure: a function of the ticket's state before the event and the event.
//!
//! - an internal note: the staff it @mentions (never the requester);
//! - an assignment: the new assignee (unless they assigned themselves);
//! - a requester's public reply: the assignee;
//! - an agent's public reply: the requester;
//! - a breach or an upcoming breach (warning): the assignee.

use super::state;
use crate::streams::StreamState;
use agora_protocol::ticket::SlaTarget;
use agora_protocol::{Event, EventBody, FeedItem, FeedReason, UserId};

/// What a feed item says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    MentionedInNote,
    Assigned,
    RequesterReplied,
    AgentReplied,
    SlaBreached,
    SlaWarning,
}

impl Reason {
    /// The feed item's `detail` (PROTOCOL.md §22).
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::MentionedInNote => "mentioned_in_note",
            Reason::Assigned => "assigned",
            Reason::RequesterReplied => "requester_replied",
            Reason::AgentReplied => "agent_replied",
            Reason::SlaBreached => "sla_breached",
            Reason::SlaWarning => "sla_warning",
        }
    }
}

/// The feed item telling of `ev` for `reason`: the ticket's subject as title, the
/// message's or note's text as excerpt, the reason (and SLA target) as detail.
pub fn item(st: &StreamState, ev: &Event, reason: Reason) -> FeedItem {
    let (text, target) = match &ev.body {
        EventBody::MessagePosted { text, .. } | EventBody::TicketNote { text, .. } => (text.as_str(), None),
        EventBody::TicketSlaBreached { target, .. } | EventBody::TicketSlaWarning { target, .. } => ("", Some(*target)),
        _ => ("", None),
    };
    let mut item = FeedItem::new(FeedReason::Ticket, st.id.clone(), ev.seq, ev.author.clone(), text);
    item.title = st.name.clone();
    item.detail = match target {
        Some(SlaTarget::FirstResponse) => format!("{}:first_response", reason.as_str()),
        Some(SlaTarget::NextReply) => format!("{}:next_reply", reason.as_str()),
        Some(SlaTarget::Resolution) => format!("{}:resolution", reason.as_str()),
        None => reason.as_str().to_owned(),
    };
    item
}

/// `(user, reason)` for each user to notify of `ev`, given the ticket before it.
pub fn notifications(st: &StreamState, ev: &Event) -> Vec<(UserId, Reason)> {
    let t = state::of(st);
    let requester = &st.created_by;
    let not_author = |u: &UserId| *u != ev.author;
    match &ev.body {
        EventBody::TicketNote { mentions, .. } => mentions
            .iter()
            .filter(|u| not_author(u) && *u != requester)
            .map(|u| (u.clone(), Reason::MentionedInNote))
            .collect(),
        EventBody::TicketUpdated { changes, .. } => changes
            .assignee
            .iter()
            .filter(|a| not_author(a) && t.assignee.as_ref() != Some(*a))
            .map(|a| (a.clone(), Reason::Assigned))
            .collect(),
        EventBody::MessagePosted { .. } if ev.author == *requester => {
            t.assignee.into_iter().map(|a| (a, Reason::RequesterReplied)).collect()
        }
        EventBody::MessagePosted { .. } => vec![(requester.clone(), Reason::AgentReplied)],
        EventBody::TicketSlaBreached { .. } => t.assignee.into_iter().map(|a| (a, Reason::SlaBreached)).collect(),
        EventBody::TicketSlaWarning { .. } => t.assignee.into_iter().map(|a| (a, Reason::SlaWarning)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kinds::ticket::TicketState;
    use crate::streams::kinds::KindState;
    use agora_protocol::ticket::TicketChanges;
    use agora_protocol::{Seq, StreamKind};

    fn ev(author: &str, body: EventBody) -> Event {
        Event { stream: "tk_t".into(), seq: Seq(5), at: 0, author: author.into(), idem: None, body }
    }

    #[test]
    fn notes_notify_mentioned_staff_never_the_requester() {
        let created = ev(
            "ann",
            EventBody::StreamCreated {
                kind: StreamKind::Ticket,
                name: "x".into(),
                topic: String::new(),
                members: vec![],
            },
        );
        let mut st = StreamState::from_created(&created).unwrap();
        st.ext = KindState::Ticket(Box::new(TicketState { assignee: Some("dave".into()), ..TicketState::default() }));
        let note = ev("dave", EventBody::TicketNote { text: "x".into(), mentions: vec!["erin".into(), "ann".into()] });
        assert_eq!(notifications(&st, &note), vec![(UserId::from("erin"), Reason::MentionedInNote)]);
        let reply = ev(
            "ann",
            EventBody::MessagePosted { text: "x".into(), reply_to: None, mentions: vec![], attachments: vec![] },
        );
        assert_eq!(notifications(&st, &reply), vec![(UserId::from("dave"), Reason::RequesterReplied)]);
        let answer = ev(
            "dave",
            EventBody::MessagePosted { text: "x".into(), reply_to: None, mentions: vec![], attachments: vec![] },
        );
        assert_eq!(notifications(&st, &answer), vec![(UserId::from("ann"), Reason::AgentReplied)]);
        let assign = |to: &str| EventBody::TicketUpdated {
            based_on: 1,
            changes: Box::new(TicketChanges { assignee: Some(to.into()), ..TicketChanges::default() }),
        };
        assert_eq!(notifications(&st, &ev("system", assign("erin"))), vec![(UserId::from("erin"), Reason::Assigned)]);
        assert!(notifications(&st, &ev("erin", assign("erin"))).is_empty(), "assigning oneself");
    }
}
