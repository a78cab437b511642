//! Routing: which agent a new conversation goes to. Agents say whether they
//! take new conversations (`available`, `busy`, `away`), how many at once
//! (`max_chats`) and for which teams; a ticket goes round-robin to a connected,
//! available agent of its team under their maximum, never to an offline one.
//! When nobody can take it, it waits unassigned in the team's queue and is
//! offered (assigned) to the next agent who becomes available or frees a slot.
//!
//! Availability is in memory, like presence: an agent who reconnects after a
//! restart sets it again. Assignments are `ticket_updated` events by the server
//! (`Actor::system()`), decided by the ticket kind like any other change.

use crate::app::App;
use crate::streams::kinds::ticket::TicketAction;
use crate::streams::{Action, Actor};
use agora_protocol::ops::PresenceStatus;
use agora_protocol::ticket::{AgentStatus, TicketChanges, TicketView};
use agora_protocol::{StreamId, UserId};
use dashmap::DashMap;
use std::collections::HashMap;
use std::sync::Mutex;

/// One agent's routing settings.
#[derive(Clone, Debug)]
pub struct AgentState {
    pub status: AgentStatus,
    pub max_chats: u32,
    pub teams: Vec<String>,
}

/// The default most conversations an agent is given at once.
pub const DEFAULT_MAX_CHATS: u32 = 3;

#[derive(Default)]
pub struct Routing {
    agents: DashMap<UserId, AgentState>,
    /// Per team: the agent who was given the last conversation (round-robin continues after them).
    last: Mutex<HashMap<String, UserId>>,
}

impl Routing {
    pub fn set(
        &self,
        agent: &UserId,
        status: AgentStatus,
        max_chats: Option<u32>,
        teams: Option<Vec<String>>,
    ) -> AgentState {
        let mut e = self.agents.entry(agent.clone()).or_insert(AgentState {
            status,
            max_chats: DEFAULT_MAX_CHATS,
            teams: Vec::new(),
        });
        e.status = status;
        if let Some(m) = max_chats {
            e.max_chats = m;
        }
        if let Some(t) = teams {
            e.teams = t;
        }
        e.clone()
    }

    /// Every agent who set a routing status, with it (connected or not).
    pub fn statuses(&self) -> Vec<(UserId, AgentStatus)> {
        self.agents.iter().map(|a| (a.key().clone(), a.status)).collect()
    }

    pub fn get(&self, agent: &UserId) -> Option<AgentState> {
        self.agents.get(agent).map(|a| a.clone())
    }

    /// Agents who could take a ticket of `team` now (connected and available), by id.
    fn available(&self, app: &App, team: &str) -> Vec<(UserId, AgentState)> {
        let mut v: Vec<(UserId, AgentState)> = self
            .agents
            .iter()
            .filter(|a| a.status == AgentStatus::Available)
            .filter(|a| a.teams.is_empty() || a.teams.iter().any(|t| t == team))
            .filter(|a| app.presence.get(a.key()).status != PresenceStatus::Offline)
            .filter(|a| app.auth.user(a.key()).is_some_and(|u| !u.disabled && u.role.is_staff()))
            .map(|a| (a.key().clone(), a.value().clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// How many agents of `team` are connected and available.
    pub fn answering(&self, app: &App, team: &str) -> u32 {
        self.available(app, team).len() as u32
    }

    /// The next agent, round-robin, who is available for `team` and under their maximum.
    pub fn pick(&self, app: &App, team: &str) -> Option<UserId> {
        let candidates: Vec<UserId> = self
            .available(app, team)
            .into_iter()
            .filter(|(id, a)| app.projections.tickets.load_of(id) < a.max_chats)
            .map(|(id, _)| id)
            .collect();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let start = match last.get(team) {
            Some(prev) => candidates.iter().position(|c| c > prev).unwrap_or(0),
            None => 0,
        };
        let chosen = candidates.get(start).cloned()?;
        last.insert(team.to_owned(), chosen.clone());
        Some(chosen)
    }
}

/// Assign `ticket` (if unassigned and active) to the next agent; leaves it in the
/// team's queue if nobody can take it. Returns the agent it went to.
pub async fn route(app: &App, ticket: &StreamId) -> Option<UserId> {
    let t = app.projections.tickets.get(ticket)?;
    if t.assignee.is_some() || !super::queue::is_active(&t) {
        return None;
    }
    let agent = app.routing.pick(app, &t.team)?;
    assign(app, &t, &agent).await.then_some(agent)
}

async fn assign(app: &App, t: &TicketView, agent: &UserId) -> bool {
    let changes = TicketChanges { assignee: Some(agent.clone()), ..TicketChanges::default() };
    let action = Action::ticket(TicketAction::Update { version: t.version, changes });
    match app.sequencer.append(t.id.clone(), Actor::system(), action, None).await {
        Ok(_) => true,
        Err(e) => {
            // Someone changed the ticket meanwhile (an agent took it): leave it be.
            tracing::debug!(ticket = %t.id, error = %e, "routing did not assign");
            false
        }
    }
}

/// Offer waiting tickets to `agent` while they are available and under their maximum.
pub async fn offer(app: &App, agent: &UserId) {
    let Some(a) = app.routing.get(agent) else { return };
    if a.status != AgentStatus::Available || app.presence.get(agent).status == PresenceStatus::Offline {
        return;
    }
    for t in app.projections.tickets.waiting(&a.teams) {
        if app.projections.tickets.load_of(agent) >= a.max_chats {
            break;
        }
        assign(app, &t, agent).await;
    }
}
