//! The ticket desk's ops: open a ticket, change its fields, add an internal
//! note, read its fields; agents' availability, the desk's status for a
//! visitor, and the agents' queue. Public replies are `post` (the ticket kind decides
//! what a reply does to the status). Input is checked here (lengths, that an
//! assignee is an agent); the lifecycle is the kind's (`streams/kinds/ticket`).

use super::messages::{check_text, mentions, submit};
use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::config::FieldKind;
use crate::desk::routing;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::ticket::{self, TicketAction};
use crate::streams::Action;
use agora_protocol::ops::AppendOk;
use agora_protocol::push::OkBody;
use agora_protocol::ticket::{AgentStatus, AgentStatusOk, DeskStatusOk, QueueFilter, TicketQueueOk};
use agora_protocol::ticket::{Canned, CannedOk, FieldValue, TicketChanges, TicketOk};
use agora_protocol::{StreamId, StreamKind};
use std::sync::Arc;

/// Most tags and custom fields one change may carry.
const MAX_TAGS: usize = 50;

/// Check and normalise changes (tags lower-case and trimmed; an assignee must be staff).
fn checked(app: &App, mut c: TicketChanges) -> AppResult<TicketChanges> {
    if c.add_tags.len() + c.remove_tags.len() > MAX_TAGS || c.fields.len() > MAX_TAGS {
        return Err(AppError::TooLarge(format!("at most {MAX_TAGS} tags and {MAX_TAGS} fields per change")));
    }
    for tag in c.add_tags.iter_mut().chain(c.remove_tags.iter_mut()) {
        *tag = tag.trim().to_lowercase();
        check_len("tag", tag, 1, 64)?;
    }
    if let Some(team) = &c.team {
        check_len("team", team, 0, app.config.limits.max_name_chars)?;
    }
    let desk = crate::streams::kinds::desk_settings::current(app).settings;
    for (name, value) in &c.fields {
        let def = desk
            .fields
            .iter()
            .find(|d| &d.name == name)
            .ok_or_else(|| AppError::BadRequest(format!("no custom field {name:?}")))?;
        match (def.kind, value) {
            (FieldKind::Text, FieldValue::Text(t)) => check_len("field value", t, 0, 1000)?,
            (FieldKind::Number, FieldValue::Number(n)) if n.is_finite() => {}
            (FieldKind::Choice, FieldValue::Choice(t)) if def.choices.contains(t) => {}
            _ => return Err(AppError::BadRequest(format!("not a valid value for field {name:?}"))),
        }
    }
    if let Some(name) = &c.custom_status {
        let def = desk
            .statuses
            .iter()
            .find(|d| &d.name == name)
            .ok_or_else(|| AppError::BadRequest(format!("no custom status {name:?}")))?;
        c.status = Some(def.category);
    }
    // The SLA policy is the server's to set (`with_policy`).
    c.policy = None;
    if let Some(a) = &c.assignee {
        if !app.auth.user(a).is_some_and(|u| !u.disabled && u.role.is_staff()) {
            return Err(AppError::NotFound(format!("no agent {a}")));
        }
    }
    c.add_tags.dedup();
    Ok(c)
}

/// Set the SLA policy when the priority or team changes (or the ticket opens:
/// `stream` none): from the configuration, for the ticket's priority and team after the change.
fn with_policy(app: &App, stream: Option<&StreamId>, mut c: TicketChanges) -> TicketChanges {
    let current = stream.and_then(|s| app.projections.tickets.get(s));
    if current.is_none() || c.priority.is_some() || c.team.is_some() {
        let priority = c.priority.or(current.as_ref().map(|t| t.priority)).unwrap_or_default();
        let team = c.team.clone().or(current.map(|t| t.team)).unwrap_or_default();
        c.policy = Some(app.config.desk.policy_for(priority, &team));
    }
    c
}

pub(super) fn open(app: &Arc<App>, s: &Session, subject: String, text: String, changes: TicketChanges) -> Outcome {
    let subject = subject.trim().to_owned();
    let checks = check_len("subject", &subject, 1, app.config.limits.max_topic_chars)
        .and_then(|_| check_text(app, &text))
        .and_then(|_| checked(app, changes));
    let mut changes = match checks {
        Ok(c) => c,
        Err(e) => return Outcome::err(e),
    };
    if !s.user.role.is_staff() {
        // A requester says how urgent it is; agents set the rest.
        changes = TicketChanges { priority: changes.priority, ..TicketChanges::default() };
    }
    let changes = with_policy(app, None, changes);
    let id = StreamId(format!("tk_{}", crate::ids::random_id(12)));
    let action = TicketAction::Open { id: id.clone(), subject, text, changes, follow_up_of: None };
    let fut = match app.sequencer.submit(id.clone(), s.actor(), Action::ticket(action), None) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        fut.await?;
        routing::route(&app, &id).await;
        let entry = app.registry.get(&id).ok_or_else(AppError::not_found_stream)?;
        let ticket = ticket::view(&entry.read());
        Ok(OkBody::Ticket(Box::new(TicketOk { ticket })))
    }))
}

/// Change fields; then let routing react: the previous assignee may have room
/// for a waiting ticket, and an unassigned active ticket goes to the next agent.
pub(super) fn update(app: &Arc<App>, s: &Session, stream: StreamId, version: u64, changes: TicketChanges) -> Outcome {
    let changes = match checked(app, changes) {
        Ok(c) => with_policy(app, Some(&stream), c),
        Err(e) => return Outcome::err(e),
    };
    let before = app.projections.tickets.get(&stream).and_then(|t| t.assignee);
    let fut = match app.sequencer.submit(
        stream.clone(),
        s.actor(),
        Action::ticket(TicketAction::Update { version, changes }),
        None,
    ) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        let a = fut.await?;
        if let Some(prev) = before {
            routing::offer(&app, &prev).await;
        }
        routing::route(&app, &stream).await;
        Ok(OkBody::Append(AppendOk { stream: a.stream, seq: a.seq, at: a.at, duplicate: a.duplicate }))
    }))
}

/// An agent's availability; becoming available takes waiting tickets at once.
pub(super) fn set_agent_status(
    app: &Arc<App>,
    s: &Session,
    status: AgentStatus,
    max_chats: Option<u32>,
    teams: Option<Vec<String>>,
) -> Outcome {
    if !s.user.role.is_staff() {
        return Outcome::err(AppError::Forbidden("agents only".into()));
    }
    if max_chats.is_some_and(|m| m > 1000) || teams.as_ref().is_some_and(|t| t.len() > MAX_TAGS) {
        return Outcome::err(AppError::TooLarge("at most 1000 chats and 50 teams".into()));
    }
    let a = app.routing.set(&s.user.id, status, max_chats, teams);
    let (app, me) = (app.clone(), s.user.id.clone());
    Outcome::Later(Box::pin(async move {
        routing::offer(&app, &me).await;
        let assigned = app.projections.tickets.load_of(&me);
        Ok(OkBody::AgentStatus(AgentStatusOk { status: a.status, max_chats: a.max_chats, teams: a.teams, assigned }))
    }))
}

pub(super) fn desk_status(app: &Arc<App>, team: Option<String>) -> AppResult<OkBody> {
    let agents_available = app.routing.answering(app, team.as_deref().unwrap_or(""));
    Ok(OkBody::DeskStatus(DeskStatusOk { agents_available, answering: agents_available > 0 }))
}

/// Most tickets one `ticket_queue` reply lists.
const MAX_QUEUE_PAGE: u32 = 500;

pub(super) fn queue(app: &Arc<App>, s: &Session, filter: QueueFilter, limit: Option<u32>) -> AppResult<OkBody> {
    if !s.user.role.is_staff() {
        return Err(AppError::Forbidden("agents only".into()));
    }
    let limit = limit.unwrap_or(100).min(MAX_QUEUE_PAGE) as usize;
    let (tickets, total, by_status) = app.projections.tickets.view(&filter, &s.user.id, limit);
    Ok(OkBody::TicketQueue(TicketQueueOk { tickets, total, by_status }))
}

/// Agents: `ticket_changed` pushes from now on (or no longer).
pub(super) fn watch_queue(app: &Arc<App>, s: &Session, stop: bool) -> AppResult<OkBody> {
    if !s.user.role.is_staff() {
        return Err(AppError::Forbidden("agents only".into()));
    }
    app.hub.watch_queue(&s.conn, !stop);
    Ok(OkBody::Empty(agora_protocol::ops::Empty {}))
}

pub(super) fn note(app: &Arc<App>, s: &Session, stream: StreamId, text: String) -> Outcome {
    if let Err(e) = check_text(app, &text) {
        return Outcome::err(e);
    }
    // Only staff read notes, so only staff are mentioned in them.
    let mentions = mentions(app, &stream, &text)
        .into_iter()
        .filter(|u| app.auth.user(u).is_some_and(|r| r.role.is_staff()))
        .collect();
    submit(app, s, stream, Action::ticket(TicketAction::Note { text, mentions }), None)
}

pub(super) fn info(app: &Arc<App>, s: &Session, stream: &StreamId) -> AppResult<OkBody> {
    let entry = app.readable(stream, &s.user.id, s.user.role)?;
    let st = entry.read();
    if st.kind != StreamKind::Ticket {
        return Err(AppError::BadRequest("not a ticket".into()));
    }
    let mut ticket = ticket::view(&st);
    ticket.head = entry.committed_head();
    Ok(OkBody::Ticket(Box::new(TicketOk { ticket })))
}

pub(super) fn rate(app: &Arc<App>, s: &Session, stream: StreamId, score: u8, comment: String) -> Outcome {
    if let Err(e) = check_len("comment", &comment, 0, app.config.limits.max_text_chars) {
        return Outcome::err(e);
    }
    submit(app, s, stream, Action::ticket(TicketAction::Rate { score, comment }), None)
}

/// Merge `stream` into `into`: both must be tickets the agent reads, with the
/// same requester (so nobody gains sight of another's conversation).
pub(super) fn merge(app: &Arc<App>, s: &Session, stream: StreamId, version: u64, into: StreamId) -> Outcome {
    let requester = |id: &StreamId| -> AppResult<(StreamKind, agora_protocol::UserId)> {
        let e = app.readable(id, &s.user.id, s.user.role)?;
        let st = e.read();
        Ok((st.kind, st.created_by.clone()))
    };
    match (requester(&stream), requester(&into)) {
        (Ok((StreamKind::Ticket, a)), Ok((StreamKind::Ticket, b))) if a == b => {}
        (Ok((StreamKind::Ticket, _)), Ok((StreamKind::Ticket, _))) => {
            return Outcome::err(AppError::Conflict("only tickets of the same requester are merged".into()))
        }
        (Err(e), _) | (_, Err(e)) => return Outcome::err(e),
        _ => return Outcome::err(AppError::BadRequest("not a ticket".into())),
    }
    submit(app, s, stream, Action::ticket(TicketAction::Merge { version, into }), None)
}

pub(super) fn list_canned(app: &Arc<App>, s: &Session, team: Option<String>) -> AppResult<OkBody> {
    if !s.user.role.is_staff() {
        return Err(AppError::Forbidden("agents only".into()));
    }
    let desk = crate::streams::kinds::desk_settings::current(app).settings;
    let canned = desk
        .canned
        .iter()
        .filter(|c| c.team.is_empty() || team.as_ref().is_none_or(|t| &c.team == t))
        .map(|c| Canned { name: c.name.clone(), team: c.team.clone(), text: c.text.clone() })
        .collect();
    let macros = desk.macros.iter().map(|m| m.name.clone()).collect();
    Ok(OkBody::Canned(CannedOk { canned, macros }))
}

/// Fill a saved text's placeholders for this ticket and agent.
fn fill(app: &App, s: &Session, stream: &StreamId, text: &str) -> AppResult<String> {
    let entry = app.readable(stream, &s.user.id, s.user.role)?;
    let (requester, subject) = {
        let st = entry.read();
        if st.kind != StreamKind::Ticket {
            return Err(AppError::BadRequest("not a ticket".into()));
        }
        (st.created_by.clone(), st.name.clone())
    };
    let name = app.auth.user(&requester).map_or_else(|| requester.0.clone(), |u| u.display_name);
    Ok(text
        .replace("{{requester.name}}", &name)
        .replace("{{agent.name}}", &s.user.display_name)
        .replace("{{ticket.id}}", stream.as_str())
        .replace("{{ticket.subject}}", &subject))
}

pub(super) fn canned_reply(app: &Arc<App>, s: &Session, stream: StreamId, name: String) -> Outcome {
    if !s.user.role.is_staff() {
        return Outcome::err(AppError::Forbidden("agents only".into()));
    }
    let settings = crate::streams::kinds::desk_settings::current(app).settings;
    let Some(c) = settings.canned.iter().find(|c| c.name == name) else {
        return Outcome::err(AppError::NotFound(format!("no saved reply {name:?}")));
    };
    match fill(app, s, &stream, &c.text).and_then(|t| check_text(app, &t).map(|_| t)) {
        Ok(text) => submit(
            app,
            s,
            stream,
            Action::Post { text, reply_to: None, mentions: Vec::new(), attachments: Vec::new() },
            None,
        ),
        Err(e) => Outcome::err(e),
    }
}

pub(super) fn apply_macro(app: &Arc<App>, s: &Session, stream: StreamId, version: u64, name: String) -> Outcome {
    if !s.user.role.is_staff() {
        return Outcome::err(AppError::Forbidden("agents only".into()));
    }
    let settings = crate::streams::kinds::desk_settings::current(app).settings;
    let Some(m) = settings.macros.into_iter().find(|m| m.name == name) else {
        return Outcome::err(AppError::NotFound(format!("no macro {name:?}")));
    };
    let filled = |t: Option<String>| t.map(|t| fill(app, s, &stream, &t)).transpose();
    let action = checked(app, m.changes).and_then(|changes| {
        let changes = with_policy(app, Some(&stream), changes);
        Ok(TicketAction::Macro { version, changes, reply: filled(m.reply)?, note: filled(m.note)? })
    });
    match action {
        Ok(a) => submit(app, s, stream, Action::ticket(a), None),
        Err(e) => Outcome::err(e),
    }
}
