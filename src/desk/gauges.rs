//! The desk's Prometheus gauges, set from the projections just before each
//! scrape of `GET /metrics` (the metrics module registers and renders them):
//! outstanding tickets by status and priority, CSAT score, tickets that
//! breached each SLA target, open chats, and connected agents by routing status.
//! Definitions in docs/KPIS.md; what does not live here: the KPI query (`kpis.rs`).

use crate::app::App;
use agora_protocol::ops::PresenceStatus;
use agora_protocol::ticket::{AgentStatus, Priority, SlaTarget, TicketStatus};
use std::collections::BTreeMap;

/// Snake-case wire name of a protocol enum (its serde name).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Set the desk gauges of `app.metrics` from the ticket queue and routing.
pub fn refresh(app: &App) {
    let mut outstanding: BTreeMap<(TicketStatus, Priority), i64> = BTreeMap::new();
    let mut breached: BTreeMap<SlaTarget, i64> = BTreeMap::new();
    let (mut open_assigned, mut open_unassigned) = (0, 0);
    let (mut ratings, mut good) = (0u32, 0u32);
    app.projections.tickets.for_each(|t| {
        if matches!(t.status, TicketStatus::New | TicketStatus::Open | TicketStatus::Pending | TicketStatus::OnHold) {
            *outstanding.entry((t.status, t.priority)).or_default() += 1;
        }
        if super::queue::is_active(t) {
            if t.assignee.is_some() {
                open_assigned += 1;
            } else {
                open_unassigned += 1;
            }
        }
        for b in &t.breaches {
            *breached.entry(*b).or_default() += 1;
        }
        if let Some(r) = t.rating {
            ratings += 1;
            good += u32::from(r >= 4);
        }
    });
    let d = &app.metrics.desk;
    d.outstanding.clear();
    for ((status, priority), n) in outstanding {
        d.outstanding
            .get_or_create(&vec![("status".into(), name(&status)), ("priority".into(), name(&priority))])
            .set(n);
    }
    d.sla_breached.clear();
    for target in [SlaTarget::FirstResponse, SlaTarget::NextReply, SlaTarget::Resolution] {
        let n = breached.get(&target).copied().unwrap_or(0);
        d.sla_breached.get_or_create(&vec![("target".into(), name(&target))]).set(n);
    }
    d.open_chats.get_or_create(&vec![("assigned".into(), "yes".into())]).set(open_assigned);
    d.open_chats.get_or_create(&vec![("assigned".into(), "no".into())]).set(open_unassigned);
    d.csat_ratings.set(i64::from(ratings));
    d.csat_score.set(if ratings > 0 { f64::from(good) * 100.0 / f64::from(ratings) } else { f64::NAN });
    let mut agents: BTreeMap<String, i64> =
        [AgentStatus::Available, AgentStatus::Busy, AgentStatus::Away].iter().map(|s| (name(s), 0)).collect();
    for (agent, status) in app.routing.statuses() {
        if app.presence.get(&agent).status != PresenceStatus::Offline {
            *agents.entry(name(&status)).or_default() += 1;
        }
    }
    for (status, n) in agents {
        d.agents.get_or_create(&vec![("status".into(), status)]).set(n);
    }
}
