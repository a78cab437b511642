//! The ticket desk's ops: open a ticket, change its fields, add an internal
//! note, read its fields. Public replies are `post` (the ticket kind decides
//! what a reply does to the status). Input is checked here (lengths, that an
//! assignee is an agent); the lifecycle is the kind's (`streams/kinds/ticket`).

use super::messages::{check_text, mentions, submit};
use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::ticket::{self, TicketAction};
use crate::streams::Action;
use agora_protocol::push::OkBody;
use agora_protocol::ticket::{FieldValue, TicketChanges, TicketOk};
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
    for (name, value) in &c.fields {
        check_len("field name", name, 1, 64)?;
        match value {
            FieldValue::Text(t) | FieldValue::Choice(t) => check_len("field value", t, 0, 1000)?,
            FieldValue::Number(n) if !n.is_finite() => {
                return Err(AppError::BadRequest(format!("field {name} must be a finite number")))
            }
            FieldValue::Number(_) => {}
        }
    }
    if let Some(a) = &c.assignee {
        if !app.auth.user(a).is_some_and(|u| !u.disabled && u.role.is_staff()) {
            return Err(AppError::NotFound(format!("no agent {a}")));
        }
    }
    c.add_tags.dedup();
    Ok(c)
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
    let id = StreamId(format!("tk_{}", crate::ids::random_id(12)));
    let action = TicketAction::Open { id: id.clone(), subject, text, changes, follow_up_of: None };
    let fut = match app.sequencer.submit(id.clone(), s.actor(), Action::ticket(action), None) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        fut.await?;
        let entry = app.registry.get(&id).ok_or_else(AppError::not_found_stream)?;
        let ticket = ticket::view(&entry.read());
        Ok(OkBody::Ticket(Box::new(TicketOk { ticket })))
    }))
}

pub(super) fn update(app: &Arc<App>, s: &Session, stream: StreamId, version: u64, changes: TicketChanges) -> Outcome {
    match checked(app, changes) {
        Ok(changes) => submit(app, s, stream, Action::ticket(TicketAction::Update { version, changes }), None),
        Err(e) => Outcome::err(e),
    }
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
