//! SLA targets and auto-close as pure functions of a ticket's state: when each
//! running target falls due, which one has passed at `now`, which one is to be
//! announced as falling due soon, and when a solved ticket closes. Time in
//! pending and on-hold does not count (the clock pauses); a solved or closed
//! ticket runs no target. A target is counted in calendar time, or in business
//! hours when its policy says so (`hours.rs`), from the same anchors: creation
//! for first response and resolution, the requester's message for next reply.

use super::hours::Schedule;
use super::state::TicketState;
use agora_protocol::ticket::{SlaTarget, TicketStatus};

/// When a target started at `start` with `budget` ms falls due, given the
/// calendar time paused since then (`paused`, for calendar targets).
fn due(t: &TicketState, target: SlaTarget, start: u64, budget: u64, paused: u64) -> Option<u64> {
    let p = &t.policy;
    let schedule = p.hours.as_ref().filter(|_| p.business.contains(&target)).and_then(|h| Schedule::parse(h).ok());
    match schedule {
        Some(s) => s.add(start, budget, &t.pause_log),
        None => Some(start + budget + paused),
    }
}

/// Each running target not yet breached, with the time it falls due.
pub fn running(t: &TicketState) -> Vec<(SlaTarget, u64)> {
    let mut v = Vec::new();
    if matches!(t.status, TicketStatus::Solved | TicketStatus::Closed) || t.paused_since.is_some() {
        return v;
    }
    let p = &t.policy;
    if let (None, Some(ms), false) = (t.first_response_at, p.first_response_ms, t.breached_first_response) {
        v.extend(
            due(t, SlaTarget::FirstResponse, t.created_at, ms, t.paused_ms).map(|d| (SlaTarget::FirstResponse, d)),
        );
    }
    if let (Some(_), Some(since), Some(ms)) = (t.first_response_at, t.awaiting_since, p.next_reply_ms) {
        if t.breached_next_reply != Some(since) {
            let paused = t.paused_ms - t.paused_at_awaiting;
            v.extend(due(t, SlaTarget::NextReply, since, ms, paused).map(|d| (SlaTarget::NextReply, d)));
        }
    }
    if let (Some(ms), false) = (p.resolution_ms, t.breached_resolution) {
        v.extend(due(t, SlaTarget::Resolution, t.created_at, ms, t.paused_ms).map(|d| (SlaTarget::Resolution, d)));
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

/// Running targets not yet announced as falling due soon, with when to announce
/// each (the policy's lead time before it falls due) and its due time.
pub fn unwarned(t: &TicketState) -> Vec<(SlaTarget, u64, u64)> {
    let Some(lead) = t.policy.warn_before_ms else { return Vec::new() };
    running(t)
        .into_iter()
        .filter(|(target, _)| !t.warned(*target))
        .map(|(target, due)| (target, due.saturating_sub(lead), due))
        .collect()
}

/// The first target to announce at `now` (its due time not yet passed), earliest first.
pub fn warning(t: &TicketState, now: u64) -> Option<(SlaTarget, u64)> {
    unwarned(t)
        .into_iter()
        .filter(|(_, warn, due)| *warn <= now && now < *due)
        .min_by_key(|(target, warn, _)| (*warn, *target))
        .map(|(target, _, due)| (target, due))
}

/// When the next warning is to be announced.
pub fn next_warning(t: &TicketState) -> Option<u64> {
    unwarned(t).into_iter().map(|(_, warn, _)| warn).min()
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

    #[test]
    fn a_warning_comes_once_per_target_lead_time_before_it_is_due() {
        let policy = SlaPolicy {
            first_response_ms: Some(100),
            resolution_ms: Some(1000),
            warn_before_ms: Some(30),
            ..SlaPolicy::default()
        };
        let mut t = TicketState { created_at: 0, policy, ..TicketState::default() };
        assert_eq!(next_warning(&t), Some(70));
        assert_eq!(warning(&t, 69), None);
        assert_eq!(warning(&t, 70), Some((SlaTarget::FirstResponse, 100)));
        assert_eq!(warning(&t, 100), None, "due: a breach, not a warning");
        t.warn(SlaTarget::FirstResponse);
        assert_eq!(next_warning(&t), Some(970));
        // The next-reply target warns once per reply cycle.
        t.policy.next_reply_ms = Some(100);
        t.replied(false, 200);
        t.replied(true, 300);
        assert_eq!(warning(&t, 370), Some((SlaTarget::NextReply, 400)));
        t.warn(SlaTarget::NextReply);
        assert_eq!(warning(&t, 380), None);
        t.replied(false, 390);
        t.replied(true, 500);
        assert_eq!(warning(&t, 570), Some((SlaTarget::NextReply, 600)));
    }

    #[test]
    fn a_business_hours_target_counts_open_time_less_pauses() {
        use agora_protocol::ticket::{BusinessHours, OpenHours, Weekday};
        let hours = BusinessHours {
            time_zone: "UTC".into(),
            hours: vec![OpenHours { days: vec![Weekday::Thu, Weekday::Fri], from: "09:00".into(), to: "17:00".into() }],
            holidays: Vec::new(),
        };
        let h = 3_600_000;
        // Thursday 1970-01-01 16:00Z: 1 h on Thursday, 1 h on Friday; resolution in calendar time.
        let policy = SlaPolicy {
            first_response_ms: Some(2 * h),
            resolution_ms: Some(2 * h),
            business: vec![SlaTarget::FirstResponse],
            hours: Some(hours),
            ..SlaPolicy::default()
        };
        let mut t = TicketState { created_at: 16 * h, policy, ..TicketState::default() };
        assert_eq!(running(&t), vec![(SlaTarget::FirstResponse, 34 * h), (SlaTarget::Resolution, 18 * h)]);
        // Pending on Friday 09:00–09:30 pushes the business-hours target by half an hour.
        t.set_status(TicketStatus::Pending, 33 * h);
        t.set_status(TicketStatus::Open, 33 * h + h / 2);
        assert_eq!(running(&t)[0], (SlaTarget::FirstResponse, 34 * h + h / 2));
    }
}
