//! The ticket lifecycle as Zendesk users know it, as pure checks: which field
//! changes are allowed from which status, and what a reply does. Refusals are
//! `conflict` with the ticket's current state (see `mod.rs`).
//!
//! - `new` → `open` when an agent is assigned or replies publicly; never back to `new`.
//! - `pending` (waiting on the requester) and `on_hold` (waiting on a third party)
//!   are set by agents; a requester's reply to pending, on-hold or solved reopens.
//! - Solving needs an assignee. Only a solved ticket is closed; closed is final.

use super::state::TicketState;
use agora_protocol::ticket::{TicketChanges, TicketStatus};

/// Why a change is refused (the message of the `conflict`).
pub fn check_update(t: &TicketState, changes: &TicketChanges) -> Result<(), String> {
    use TicketStatus::*;
    let cur = t.status;
    if cur == Closed {
        return Err("the ticket is closed".into());
    }
    if changes.unassign && changes.assignee.is_some() {
        return Err("assign or unassign, not both".into());
    }
    let to = changes.status.unwrap_or(cur);
    if to == New && cur != New {
        return Err(format!("a ticket never goes back to new (it is {})", cur.as_str()));
    }
    if to == Closed && cur != Solved {
        return Err(format!("only a solved ticket can be closed (it is {})", cur.as_str()));
    }
    let assignee = if changes.unassign { None } else { changes.assignee.as_ref().or(t.assignee.as_ref()) };
    if to == Solved && assignee.is_none() {
        return Err("solving needs an assignee".into());
    }
    Ok(())
}

/// The status after a public reply: by the requester (reopens pending, on-hold
/// and solved) or by an agent (opens a new ticket). Closed tickets take no replies.
pub fn after_reply(cur: TicketStatus, by_requester: bool) -> TicketStatus {
    use TicketStatus::*;
    match (cur, by_requester) {
        (Pending | OnHold | Solved, true) => Open,
        (New, false) => Open,
        (s, _) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::UserId;
    use TicketStatus::*;

    fn at(status: TicketStatus, assignee: Option<&str>) -> TicketState {
        TicketState { status, assignee: assignee.map(UserId::from), ..TicketState::default() }
    }
    fn to(s: TicketStatus) -> TicketChanges {
        TicketChanges { status: Some(s), ..TicketChanges::default() }
    }

    #[test]
    fn every_status_pair_follows_the_lifecycle() {
        let all = [New, Open, Pending, OnHold, Solved, Closed];
        for from in all {
            for target in all {
                let ok = check_update(&at(from, Some("dave")), &to(target)).is_ok();
                let expected = match (from, target) {
                    (Closed, _) => false,
                    (New, New) => true,
                    (_, New) => false,
                    (Solved, Closed) => true,
                    (_, Closed) => false,
                    _ => true,
                };
                assert_eq!(ok, expected, "{from:?} → {target:?}");
            }
        }
    }

    #[test]
    fn solving_needs_an_assignee_and_replies_move_the_status() {
        assert!(check_update(&at(Open, None), &to(Solved)).is_err());
        let assign_and_solve = TicketChanges { assignee: Some("dave".into()), ..to(Solved) };
        assert!(check_update(&at(Open, None), &assign_and_solve).is_ok());
        let unassign = TicketChanges { unassign: true, ..TicketChanges::default() };
        assert!(check_update(&at(Solved, Some("dave")), &unassign).is_err());
        assert_eq!(after_reply(Solved, true), Open);
        assert_eq!(after_reply(Pending, false), Pending);
        assert_eq!(after_reply(New, false), Open);
        assert_eq!(after_reply(New, true), New);
    }
}
