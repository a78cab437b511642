//! The KPIs' business-hours variants: first-response and resolution times
//! counted in business hours on each ticket's schedule (the one its SLA policy
//! carries in the log, so replaying gives the same figures), over the same
//! tickets and period as their calendar counterparts in `kpis.rs`. A ticket
//! whose policy has no schedule is left out of these two figures.

use super::kpis::{stat, KpiQuery, Kpis};
use crate::streams::kinds::ticket::{self, hours::Schedule};
use crate::streams::StreamState;
use agora_protocol::ticket::BusinessHours;
use agora_protocol::StreamKind;

/// Fill `k`'s business-hours figures from `tickets` for `[from, to)`.
pub fn add<'a>(k: &mut Kpis, tickets: impl Iterator<Item = &'a StreamState>, from: u64, to: u64, q: &KpiQuery) {
    let within = |t: u64| t >= from && t < to;
    let (mut frt, mut res) = (Vec::new(), Vec::new());
    // Tickets of one desk share a schedule: parse it once per distinct one.
    let mut last: Option<(BusinessHours, Option<Schedule>)> = None;
    for st in tickets.filter(|s| s.kind == StreamKind::Ticket) {
        let t = ticket::state::of(st);
        if q.team.as_ref().is_some_and(|team| &t.team != team) {
            continue;
        }
        let Some(hours) = &t.policy.hours else { continue };
        if last.as_ref().is_none_or(|(h, _)| h != hours) {
            last = Some((hours.clone(), Schedule::parse(hours).ok()));
        }
        let Some((_, Some(schedule))) = &last else { continue };
        if let Some(first) = t.first_response_at.filter(|a| within(*a)) {
            frt.push(schedule.between(t.created_at, first));
        }
        if let Some(&first) = t.solves.first().filter(|a| within(**a)) {
            res.push(schedule.between(t.created_at, first));
        }
    }
    k.first_response_business_ms = stat(frt);
    k.resolution_business_ms = stat(res);
}
