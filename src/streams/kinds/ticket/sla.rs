//! SLA targets and auto-close as pure functions of a ticket's state: when each
//! running target falls due, which one has passed at `now`, and when a solved
//! ticket closes. Time in pending and on-hold does not count (the clock pauses);
//! a solved or closed ticket runs no target. Calendar time only: business-hours
//! schedules are not built yet.

use super::state::TicketState;
use agora_protocol::ticket::{SlaTarget, TicketStatus};

/// Each running target not yet breached, with the time it falls due.
pub fn running(t: &TicketState) -> Vec<(SlaTarget, u64)> {
    let mut v = Vec::new();
    if matches!(t.status, TicketStatus::Solved | TicketStatus::Closed) || t.paused_since.is_some() {
        return v;
    }
    let p = &t.policy;
    if let (None, Some(ms), false) = (t.first_response_at, p.first_response_ms, t.breached_first_response) {
        v.push((SlaTarget::FirstResponse, t.created_at + ms + t.paused_ms));
    }
    if let (Some(_), Some(since), Some(ms)) = (t.first_response_at, t.awaiting_since, p.next_reply_ms) {
        if t.breached_next_reply != Some(since) {
            v.push((SlaTarget::NextReply, since + ms + (t.paused_ms - t.paused_at_awaiting)));
        }
    }
    if let (Some(ms), false) = (p.resolution_ms, t.breached_resolution) {
        v.push((SlaTarget::Resolution, t.created_at + ms + t.paused_ms));
    }
    v
}

/// The earliest running target.
pub fn next_due(t: &TicketState) -> Option<u64> {
    running(t).into_iter().map(|(_, d)| d).min()
}

/// The first target that has passed at `now`, earliest first.
pub fn breached(t: &TicketState, now: u64) -> Option<(SlaTarget, u64)> {
    running(t).into_iter().filter(|(_, d)| *d <= now).min_by_key(|(target, d)| (*d, *target))
}

/// When a solved ticket closes by itself.
pub fn close_at(t: &TicketState) -> Option<u64> {
    match (t.status, t.solved_at, t.policy.close_after_ms) {
        (TicketStatus::Solved, Some(at), Some(ms)) => Some(at + ms),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::ticket::SlaPolicy;

    #[test]
    fn pending_pauses_the_clock_and_a_breach_is_not_due_again() {
        let policy = SlaPolicy { first_response_ms: Some(100), resolution_ms: Some(1000), ..SlaPolicy::default() };
        let mut t = TicketState { created_at: 0, policy, ..TicketState::default() };
        assert_eq!(next_due(&t), Some(100));
        t.set_status(TicketStatus::Pending, 50);
        assert_eq!(next_due(&t), None, "paused");
        t.set_status(TicketStatus::Open, 80);
        assert_eq!(running(&t), vec![(SlaTarget::FirstResponse, 130), (SlaTarget::Resolution, 1030)]);
        assert_eq!(breached(&t, 129), None);
        assert_eq!(breached(&t, 130), Some((SlaTarget::FirstResponse, 130)));
        t.breached_first_response = true;
        assert_eq!(next_due(&t), Some(1030));
    }
}
